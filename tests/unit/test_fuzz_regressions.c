/* Regression tests from host fuzzing (tools/fuzz, tests/fuzz/). Two kinds:
 *
 * - Inputs that broke something, minimized and written out as the state they describe,
 *   each run through the code that broke (arch/mtrr.c, and through ept/ept.c the path a
 *   guest takes to it).
 * - The seed corpus (tests/fuzz/corpus/<target>/, the fixture logs for vmxlog), each seed
 *   decoded the way its harness decodes it (the same readers, tests/fuzz/fuzz_*.h) and run once
 *   through its target's code, with what the seed is there to show asserted: a good
 *   option line is taken, a bad one rejected with the message that names the key, a
 *   valid guest passes the checker, and so on. A seed that stops meaning what it says
 *   fails here rather than silently fuzzing something else. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/tree_path.h"
#include "boot/options.h"
#include "boot/madt.h"
#include "boot/relocate.h"
#include "drivers/log.h"
#include "ept/ept.h"
#include "tests/fuzz/fuzz_caps_source.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/fuzz_mtrr_state.h"
#include "tools/vmxlog/report.h"
#include "tools/vmxlog/vmxlog.h"
#include "vmx/checker/checker.h"
#include "vmx/decode/decode.h"
#include "vmx/decode/exit_reasons.h"
#include "vmx/hv.h"
#include "vmx/study/vmcs_dump.h"

void boot_config_apply(struct hv_config *cfg, const struct vmxray_options *o);

/* ---- Helpers ---- */

static const char *tree_path(const char *rel)
{
	return test_tree_path(rel);
}

struct seed {
	uint8_t *data;
	size_t len;
};

static struct seed seed_load(const char *target, const char *name)
{
	char rel[256];
	struct seed s = { NULL, 0 };
	FILE *f;

	snprintf(rel, sizeof(rel), "tests/fuzz/corpus/%s/%s", target, name);
	f = fopen(tree_path(rel), "rb");
	if (!f)
		fail_msg("cannot read %s", rel);
	s.data = malloc(65536);
	assert_non_null(s.data);
	s.len = fread(s.data, 1, 65536, f);
	fclose(f);
	assert_true(s.len > 0 && s.len < 65536);
	return s;
}

static void seed_free(struct seed *s)
{
	free(s->data);
}

static struct fz seed_fz(const struct seed *s)
{
	return fz_start(s->data, s->len);
}

/* ==== Found by fuzz_mtrr: arch/mtrr.c ==== */

/* A state with MTRRs on, WB by default, no fixed ranges, one WB pair. */
static void mtrr_wb_state(struct mtrr_state *s, uint64_t var_mask)
{
	memset(s, 0, sizeof(*s));
	s->cap = 1; /* VCNT = 1 */
	s->def_type = MTRR_DEF_TYPE_E | MTRR_TYPE_WB;
	s->maxphyaddr = 39;
	s->var[0].base = MTRR_TYPE_WB;
	s->var[0].mask = var_mask | MTRR_PHYSMASK_V;
}

/* fuzz_mtrr, crash: mtrr_range_is_uniform(0, 2^64 - 1) with the MTRRs enabled took the
 * whole space as one block of order 64, and mtrr_block_type() computed BIT(64): "shift
 * exponent 64 is too large" (undefined behaviour). Now the space is two 2^63 blocks. */
static void test_mtrr_uniform_over_the_whole_space(void **state)
{
	struct mtrr_state s;
	uint8_t type = 0xee;

	(void)state;
	mtrr_wb_state(&s, bits_mask(38, 31)); /* a 2 GiB WB range, WB around it */
	assert_true(mtrr_range_is_uniform(&s, 0, UINT64_MAX, &type));
	assert_int_equal(type, MTRR_TYPE_WB);
	s.var[0].base = 0x80000000 | MTRR_TYPE_UC; /* [2 GiB, 4 GiB) UC */
	assert_false(mtrr_range_is_uniform(&s, 0, UINT64_MAX, &type));
	s.def_type |= MTRR_DEF_TYPE_FE; /* through the fixed-range path too */
	s.cap |= MTRRCAP_FIX;
	assert_false(mtrr_range_is_uniform(&s, 0, UINT64_MAX, &type));
	assert_true(mtrr_range_is_uniform(&s, 0x100000000ULL, (1ULL << 39) - 0x100000000ULL, &type));
	assert_int_equal(type, MTRR_TYPE_WB);
	/* Above 2^39 the range repeats (the mask covers bits 38:31 only): not uniform up to
	 * the last byte either. */
	assert_false(mtrr_range_is_uniform(&s, 1ULL << 63, 1ULL << 63, &type));
}

/* fuzz_mtrr, timeout: a variable range with a discontinuous mask (legal: "Some mask values
 * can result in ranges that are not continuous") made mtrr_range_is_uniform() split every
 * block down to 4 KiB pages whenever both halves had one type: 2^27 pages for 512 GiB,
 * seconds per call, and a guest can write such a mask, after which vmx/exit/exit_msr.c re-types
 * the whole EPT. Here the WB pair matches every other page and the default is WB too, so
 * all of it is WB; the answer must come at once (the old code took ~9 s of CPU under ASan
 * for this range). */
static void test_mtrr_discontinuous_mask_is_not_exponential(void **state)
{
	struct mtrr_state s;
	uint8_t type = 0xee;
	clock_t start = clock();

	(void)state;
	mtrr_wb_state(&s, BIT(12)); /* every other 4 KiB page */
	assert_true(mtrr_range_is_uniform(&s, 0, 1ULL << 39, &type));
	assert_int_equal(type, MTRR_TYPE_WB);
	/* Two UC pairs that between them cover every page: uniform UC, found by splitting
	 * only at the bits the masks hold. */
	s.cap = 2;
	s.var[0] = (struct mtrr_var){ MTRR_TYPE_UC, BIT(12) | BIT(30) | MTRR_PHYSMASK_V };
	s.var[1] = (struct mtrr_var){ BIT(12) | MTRR_TYPE_UC, BIT(12) | MTRR_PHYSMASK_V };
	assert_false(mtrr_range_is_uniform(&s, 0, 1ULL << 39, &type)); /* pages with bit 12 = 1
									 * and bit 30 = 1: WB */
	s.var[0].mask = BIT(12) | MTRR_PHYSMASK_V;
	assert_true(mtrr_range_is_uniform(&s, 0, 1ULL << 39, &type));
	assert_int_equal(type, MTRR_TYPE_UC);
	/* Mixed pages still say mixed, whatever the size. */
	s.cap = 1;
	assert_false(mtrr_range_is_uniform(&s, 0, 1ULL << 39, &type));
	assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 1.0);
}

/* ---- The same through the EPT: what a guest's WRMSR to IA32_MTRR_PHYSMASK0 does ---- */

#define ARENA_PAGES 64
#define ARENA_PA 0x40000000ULL

struct arena {
	uint8_t *mem;
	size_t used;
};

static struct arena arena;

static void *arena_alloc(void *ctx, uint64_t *pa)
{
	struct arena *a = ctx;

	if (a->used == ARENA_PAGES)
		return NULL;
	*pa = ARENA_PA + a->used * 4096;
	return a->mem + a->used++ * 4096;
}

static void *arena_p2v(void *ctx, uint64_t pa)
{
	struct arena *a = ctx;

	if (pa < ARENA_PA || pa >= ARENA_PA + a->used * 4096)
		fail_msg("table pa %#llx outside the arena", (unsigned long long)pa);
	return a->mem + (pa - ARENA_PA);
}

static struct ept_alloc alloc = { arena_alloc, arena_p2v, &arena, NULL };

static int arena_setup(void **state)
{
	(void)state;
	arena.mem = aligned_alloc(4096, ARENA_PAGES * 4096);
	arena.used = 0;
	return arena.mem ? 0 : -1;
}

static int arena_teardown(void **state)
{
	(void)state;
	free(arena.mem);
	return 0;
}

static void assert_translates(const struct ept *e, uint64_t gpa, uint8_t memtype, unsigned level)
{
	uint64_t hpa;
	unsigned perms, got_level;
	uint8_t got_type;

	assert_int_equal(ept_translate(e, gpa, &hpa, &perms, &got_type, &got_level), 0);
	assert_int_equal(hpa, gpa);
	assert_int_equal(perms, EPT_RWX);
	assert_int_equal(got_type, memtype);
	assert_int_equal(got_level, level);
}

static void test_ept_retype_after_discontinuous_mask(void **state)
{
	const struct ept_caps caps = { .page_1g = true, .page_2m = true, .maxphyaddr = 39 };
	struct mtrr_state s;
	struct ept e;
	clock_t start;

	(void)state;
	arena.used = 0;
	mtrr_wb_state(&s, 0);
	s.var[0].mask = 0; /* pair 0 not valid: all WB */
	assert_int_equal(ept_build_identity(&e, &caps, &s, NULL, 0, &alloc), 0);
	assert_translates(&e, 0x12345000, MTRR_TYPE_WB, EPT_LEVEL_PDPT);
	/* The guest's writes, as vmx/exit/exit_msr.c applies them. */
	assert_true(mtrr_state_write(&s, MSR_IA32_MTRR_PHYSBASE0, MTRR_TYPE_WB));
	assert_true(mtrr_state_write(&s, MSR_IA32_MTRR_PHYSMASK0, BIT(12) | MTRR_PHYSMASK_V));
	start = clock();
	assert_int_equal(ept_update_memtypes(&e, &s, 0, 1ULL << 39, &alloc), 0);
	assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 1.0);
	assert_translates(&e, 0x12345000, MTRR_TYPE_WB, EPT_LEVEL_PDPT); /* still 1 GiB pages */
	assert_translates(&e, (1ULL << 39) - 1, MTRR_TYPE_WB, EPT_LEVEL_PDPT);
}

/* ==== Seeds: options (fuzz_options) ==== */

/* The harness's layout: mode byte (0 command line, 1 config file, 2 word), error-buffer
 * size byte (1 + b % OPT_ERROR_MAX), text. */
static bool options_seed(const char *name, struct vmxray_options *o, char *err, size_t *errlen)
{
	struct seed sd = seed_load("options", name);
	struct fz f = seed_fz(&sd);
	unsigned mode = fz_u8(&f) % 3;
	char *text = calloc(1, f.n + 1);
	bool ok;

	*errlen = 1 + fz_u8(&f) % OPT_ERROR_MAX;
	memcpy(text, f.p, f.n);
	options_set_defaults(o);
	err[0] = '\0';
	if (mode == 0)
		ok = options_parse_cmdline(o, text, err, *errlen);
	else if (mode == 1)
		ok = options_parse_config(o, text, f.n, err, *errlen);
	else
		ok = options_parse_word(o, text, f.n, err, *errlen);
	free(text);
	seed_free(&sd);
	return ok;
}

static void test_seed_options_accepted(void **state)
{
	struct vmxray_options o;
	char err[OPT_ERROR_MAX];
	size_t errlen;

	(void)state;
	assert_true(options_seed("cmdline-ok", &o, err, &errlen));
	assert_int_equal(o.serial_port, 0x2F8);
	assert_int_equal(o.log_level, LOG_DEBUG);
	assert_string_equal(o.chain, "\\EFI\\debian\\grubx64.efi");

	assert_true(options_seed("cfg-ok", &o, err, &errlen));
	assert_int_equal(o.serial_port, 0x3F8);
	assert_int_equal(o.log_level, LOG_TRACE);
	assert_int_equal(o.console, OPT_CONSOLE_OFF);
	assert_string_equal(o.chain, "none");
	assert_string_equal(o.trace, "cpuid,msr_read,ept_violation");
	assert_string_equal(o.dump, "triple_fault:1,cpuid:3");
	assert_true(o.check_every_entry);
	assert_int_equal(o.recorder_depth, 1024);
	assert_string_equal(o.test, "bad-guest-state");

	assert_true(options_seed("cmdline-intercept", &o, err, &errlen));
	assert_string_equal(o.intercept, "hlt,rdtsc,invlpg,cr3,pf,ept:0xb000-0xbfff:w");
	assert_false(options_seed("cmdline-intercept-bad", &o, err, &errlen));
	assert_non_null(strstr(err, "option 'intercept': invalid value 'hlt,nosuch'"));
}

static void test_seed_options_rejected_with_message(void **state)
{
	struct vmxray_options o, defaults;
	char err[OPT_ERROR_MAX];
	size_t errlen;

	(void)state;
	options_set_defaults(&defaults);
	assert_false(options_seed("cmdline-bad-value", &o, err, &errlen));
	assert_string_equal(err, "option 'log': invalid value 'loud' (valid: error, warn, info, debug, trace)");

	assert_false(options_seed("cfg-bad-line2", &o, err, &errlen));
	assert_string_equal(err, "vmxray.cfg line 2: option 'recorder': invalid value '1025' "
				 "(valid: 0..1024 (flight recorder entries per CPU))");

	/* A 65-byte error buffer: the message is cut, never overrun. */
	assert_false(options_seed("cmdline-unknown-key", &o, err, &errlen));
	assert_int_equal(errlen, 65);
	assert_int_equal(strlen(err), 64);
	assert_string_equal(err, "unknown option 'colour'; valid keys: serial, log, console, chain");

	assert_false(options_seed("word-bad-serial", &o, err, &errlen));
	assert_int_equal(strlen(err), errlen - 1);
	assert_string_equal(err, "option 'serial': invalid value '");
	assert_memory_equal(&o, &defaults, sizeof(o)); /* a rejected word changes nothing */

	assert_false(options_seed("word-no-equals", &o, err, &errlen));
	assert_string_equal(err, "option 'check' is not of the form key=value; keys: serial, log, "
				 "console, chain, chain_args, trace, trace_out, tracebuf, trace_filter, dump, check, recorder, ipi, "
				 "caps, gdb, gdb_wait, test, logbuf, user_hypercalls, intercept, log_tx");
}

/* ==== Seeds: config lists (fuzz_config) ==== */

static char warnings[4096];

static void capture_warning(void *ctx, const char *line, size_t len)
{
	size_t have = strlen(warnings);

	(void)ctx;
	if (have + len < sizeof(warnings))
		memcpy(warnings + have, line, len + 1);
}

/* The harness's layout: up to three '\n'-separated words, the first byte of each picking
 * trace=, dump= or test=. Each word must parse (want_ok) or be refused with a message
 * naming its key; then the options go through boot_config_apply(). */
static void config_seed(const char *name, bool want_ok, struct hv_config *cfg)
{
	static const char *const keys[] = { "trace=", "dump=", "test=" };
	struct seed sd = seed_load("config", name);
	struct vmxray_options o;
	char word[OPT_LIST_MAX + 8], err[OPT_ERROR_MAX];
	size_t i = 0;

	options_set_defaults(&o);
	for (int w = 0; w < 3 && i < sd.len; w++) {
		const char *key = keys[sd.data[i++] % 3];
		size_t start = i, klen = strlen(key);

		while (i < sd.len && sd.data[i] != '\n')
			i++;
		assert_true(i - start < OPT_LIST_MAX);
		memcpy(word, key, klen);
		memcpy(word + klen, sd.data + start, i - start);
		err[0] = '\0';
		assert_int_equal(options_parse_word(&o, word, klen + i - start, err, sizeof(err)), want_ok);
		if (!want_ok) {
			char head[32];
			snprintf(head, sizeof(head), "option '%.*s': invalid value", (int)klen - 1, key);
			assert_non_null(strstr(err, head));
		}
		i++;
	}
	warnings[0] = '\0';
	assert_true(log_add_sink(capture_warning, NULL));
	boot_config_apply(cfg, &o);
	log_remove_sink(capture_warning);
	seed_free(&sd);
}

static bool mask_test(const uint64_t mask[2], unsigned r)
{
	return (mask[r / 64] >> (r % 64)) & 1;
}

/* Lists with an unknown name, an empty name, a count too large and an empty count are
 * refused when parsed (they used to be warned about and half applied). */
static void test_seed_config_lists(void **state)
{
	struct hv_config cfg;

	(void)state;
	config_seed("lists", false, &cfg);
	assert_true(cfg.trace_mask[0] == 0 && cfg.trace_mask[1] == 0 && cfg.dump_mask[0] == 0 && cfg.test_flags == 0);
	assert_string_equal(warnings, "");

	config_seed("lists-ok", true, &cfg);
	assert_true(mask_test(cfg.trace_mask, EXIT_REASON_CPUID));
	assert_true(mask_test(cfg.trace_mask, EXIT_REASON_MSR_READ));
	assert_true(mask_test(cfg.trace_mask, EXIT_REASON_EPT_VIOLATION)); /* case ignored */
	assert_int_equal(__builtin_popcountll(cfg.trace_mask[0]) + __builtin_popcountll(cfg.trace_mask[1]), 3);
	assert_true(mask_test(cfg.dump_mask, EXIT_REASON_TRIPLE_FAULT));
	assert_int_equal(cfg.dump_count[EXIT_REASON_TRIPLE_FAULT], 1);
	assert_int_equal(cfg.dump_count[EXIT_REASON_CPUID], 3);
	assert_int_equal(cfg.test_flags, HV_TEST_BAD_GUEST_STATE | HV_TEST_ROOT_EXCEPTION);
	assert_string_equal(warnings, "");

	config_seed("trace-all", true, &cfg);
	assert_true(cfg.trace_mask[0] == ~0ULL && cfg.trace_mask[1] == ~0ULL);
	assert_string_equal(warnings, "");
}

/* ==== Seeds: madt (fuzz_madt) ==== */

/* The harness's layout: a control byte, then the table (the seeds carry valid headers,
 * so the control byte's fix-up changes nothing). */
static enum madt_status madt_seed(const char *name, struct madt_cpus *c)
{
	struct seed sd = seed_load("madt", name);
	enum madt_status st = madt_parse(sd.data + 1, sd.len - 1, c);
	seed_free(&sd);
	return st;
}

static void test_seed_madt(void **state)
{
	static struct madt_cpus c;
	(void)state;
	assert_int_equal(madt_seed("two-cpus", &c), MADT_OK);
	assert_int_equal(c.count, 2);
	assert_int_equal(c.entries, 4);
	assert_int_equal(madt_seed("x2apic-and-flags", &c), MADT_OK);
	assert_int_equal(c.count, 3);
	assert_int_equal(c.id[1], 2);
	assert_int_equal(c.id[2], 0x100);
	assert_int_equal(madt_seed("bad-entry-length", &c), MADT_BAD_ENTRY);
}

/* ==== Seeds: relocate (fuzz_relocate) ==== */

/* The harness's layout: count byte, entries (selector byte: bits 1:0 DT_RELA, DT_RELASZ,
 * DT_RELAENT or a raw tag; bit 2 a 64-bit value, else 16-bit), then the image. */
static long relocate_seed(const char *name, uint8_t **img, size_t *len)
{
	struct seed sd = seed_load("relocate", name);
	struct fz f = seed_fz(&sd);
	struct elf64_dyn dyn[17];
	unsigned n = fz_u8(&f) % 16;
	long rc;

	for (unsigned i = 0; i < n; i++) {
		uint8_t sel = fz_u8(&f);
		static const int64_t tags[3] = { DT_RELA, DT_RELASZ, DT_RELAENT };

		assert_true((sel & 3) != 3); /* the seeds use the named tags only */
		dyn[i].tag = tags[sel & 3];
		dyn[i].val = (sel & 4) ? fz_u64(&f) : fz_u16(&f);
	}
	dyn[n] = (struct elf64_dyn){ DT_NULL, 0 };
	*len = f.n;
	*img = malloc(f.n);
	memcpy(*img, f.p, f.n);
	rc = reloc_apply(*img, f.n, dyn);
	seed_free(&sd);
	return rc;
}

static void test_seed_relocate(void **state)
{
	uint8_t *img;
	size_t len;
	uint64_t v;

	(void)state;
	assert_int_equal(relocate_seed("three-entries", &img, &len), 2);
	memcpy(&v, img + 0x10, 8);
	assert_int_equal(v, (uint64_t)(uintptr_t)img + 0x20);
	memcpy(&v, img + 0x20, 8);
	assert_int_equal(v, (uint64_t)(uintptr_t)img + 0x30);
	free(img);
	assert_int_equal(relocate_seed("past-end", &img, &len), -1);
	free(img);
	assert_int_equal(relocate_seed("wrong-type", &img, &len), -1);
	free(img);
	assert_int_equal(relocate_seed("no-rela", &img, &len), 0);
	free(img);
}

/* ==== Seeds: decode (fuzz_decode) ==== */

/* The formatter fuzz_decode's op byte picks (the ops the seeds use). */
static size_t decode_format(unsigned op, char *buf, size_t n, uint64_t v, uint64_t w)
{
	uint32_t reason = (w >> 63) ? (uint32_t)w : (uint32_t)(w % (EXIT_REASON_MAX + 4));

	switch (op) {
	case 0: return exit_reason_format(buf, n, (uint32_t)v);
	case 1: return cr_access_qual_format(buf, n, v);
	case 3: return io_qual_format(buf, n, v);
	case 4: return ept_violation_qual_format(buf, n, v);
	case 7: return decode_exit_qualification(buf, n, reason, v);
	case 8: return intr_info_format(buf, n, (uint32_t)v);
	case 9: return seg_ar_format(buf, n, (uint32_t)v);
	case 10: return interruptibility_format(buf, n, (uint32_t)v);
	case 11: return eptp_format(buf, n, v);
	case 12: return vmx_insn_info_format(buf, n, reason, (uint32_t)v);
	case 13: return decode_controls(buf, n, (enum vmx_ctrl_group)(w % VMX_CTRL_GROUP_COUNT), v);
	case 14: return exception_bitmap_format(buf, n, (uint32_t)v);
	default: fail_msg("op %u is not used by the seeds", op); return 0;
	}
}

/* Runs every operation of a decode seed (op byte, buffer-size byte, value, word) with the
 * harness's check: into an exact-size buffer, the same length and the text cut like
 * snprintf. Returns the text of the first operation. */
static void decode_seed(const char *name, char *first, size_t n)
{
	struct seed sd = seed_load("decode", name);
	struct fz f = seed_fz(&sd);
	bool have_first = false;

	while (!fz_empty(&f)) {
		unsigned op = fz_u8(&f) % 15;
		size_t small_n = fz_u8(&f);
		uint64_t v = fz_u64(&f), w = fz_u64(&f);
		char big[1024], *small = malloc(small_n ? small_n : 1);
		size_t len = decode_format(op, big, sizeof(big), v, w);

		assert_int_equal(strlen(big), len);
		assert_int_equal(decode_format(op, small, small_n, v, w), len);
		if (small_n) {
			size_t kept = len < small_n - 1 ? len : small_n - 1;

			assert_memory_equal(small, big, kept);
			assert_int_equal(small[kept], '\0');
		}
		if (!have_first)
			snprintf(first, n, "%s", big);
		have_first = true;
		free(small);
	}
	seed_free(&sd);
}

static void test_seed_decode(void **state)
{
	char text[1024];

	(void)state;
	decode_seed("cr4-write", text, sizeof(text));
	assert_string_equal(text, "mov to cr4 from rax");
	decode_seed("ept-violation", text, sizeof(text));
	assert_string_equal(text, "access=r-- allowed=--- gla_valid=1 translation=1 nmi_unblocking=0");
	decode_seed("io-rep-ins", text, sizeof(text));
	assert_string_equal(text, "rep ins 4 bytes from port 0x1f0 (dx)");
	decode_seed("intr-pf", text, sizeof(text));
	assert_string_equal(text, "vector=0x0e (#PF) type=hardware exception error_code_valid=1");
	decode_seed("controls", text, sizeof(text));
	assert_string_equal(text, "Use I/O bitmaps | Use MSR bitmaps | Activate secondary controls");
	decode_seed("entry-failure-reason", text, sizeof(text));
	assert_string_equal(text, "INVALID_GUEST_STATE (33), VM-entry failure");
	decode_seed("vmread-insn", text, sizeof(text));
	assert_non_null(strstr(text, "reg2="));
}

/* ==== Seeds: vmcs_dump (fuzz_vmcs_dump) ==== */

struct dump_lines {
	size_t count;
	bool has_line;
	const char *want;
};

static void dump_capture(void *ctx, const char *line)
{
	struct dump_lines *d = ctx;

	assert_true(strlen(line) <= VMCS_DUMP_LINE_MAX);
	assert_memory_equal(line, "VMCS ", 5);
	d->has_line |= strcmp(line, d->want) == 0;
	d->count++;
}

/* The harness's layout: title length and title, then (field index, flags, value)
 * entries; flags bit 0: vmcs_snapshot_set(), else stored raw. */
static void vmcs_dump_seed(const char *name, const char *want)
{
	static struct vmcs_snapshot s;
	struct seed sd = seed_load("vmcs_dump", name);
	struct fz f = seed_fz(&sd);
	char title[256];
	size_t tlen = fz_u8(&f);
	struct dump_lines d = { 0, false, want };

	fz_bytes(&f, title, tlen);
	title[tlen] = '\0';
	vmcs_snapshot_init(&s);
	while (!fz_empty(&f)) {
		uint8_t idx = fz_u8(&f), flags = fz_u8(&f);
		uint64_t v = fz_u64(&f);

		assert_false(flags & 2); /* the seeds name fields by index */
		if (flags & 1) {
			assert_true(vmcs_snapshot_set(&s, vmcs_field_table[idx % VMCS_FIELD_COUNT].encoding, v));
		} else {
			s.value[idx % VMCS_FIELD_COUNT] = v;
			s.valid[idx % VMCS_FIELD_COUNT] = 1;
		}
	}
	vmcs_dump(&s, (tlen & 1) ? title : NULL, dump_capture, &d);
	assert_true(d.has_line);
	assert_true(d.count > 6);
	seed_free(&sd);
}

static void test_seed_vmcs_dump(void **state)
{
	(void)state;
	vmcs_dump_seed("cr4-write", "VMCS   ~ EXIT_QUALIFICATION (CR_ACCESS): mov to cr4 from rax");
	vmcs_dump_seed("entry-failure", "VMCS   ~ VM_EXIT_REASON: INVALID_GUEST_STATE (33), VM-entry failure");
}

/* ==== Seeds: checker and caps (fuzz_checker, fuzz_caps) ==== */

static void test_seed_checker_valid_guest(void **state)
{
	static struct vmx_caps caps;
	static struct vmcs_snapshot s;
	static struct vmx_check_result out;
	struct seed sd = seed_load("checker", "haswell-valid-guest");
	struct fz f = seed_fz(&sd);
	char buf[512];

	(void)state;
	assert_int_equal(fz_u8(&f) & 1, 0); /* controls are in the snapshot, not negotiated */
	fz_caps(&f, &caps);
	assert_string_equal(caps.cpu.vendor, "GenuineIntel");
	assert_int_equal(vmx_caps_maxphyaddr(&caps), 39);
	vmcs_snapshot_init(&s);
	while (!fz_empty(&f)) {
		uint8_t idx = fz_u8(&f);

		assert_true(vmcs_snapshot_set(&s, vmcs_field_table[idx % VMCS_FIELD_COUNT].encoding, fz_u64(&f)));
	}
	assert_int_equal(vmx_check_entry(&caps, &s, &out), 0);
	/* One bit off: CR0.PE clear with CR0.PG set, which even an unrestricted guest may
	 * not have. */
	assert_true(vmcs_snapshot_set(&s, GUEST_CR0, 0x80010032));
	assert_true(vmx_check_entry(&caps, &s, &out) >= 1);
	vmx_check_failure_format(&out.item[0], buf, sizeof(buf));
	assert_non_null(strstr(buf, "GUEST_CR0=0x80010032"));
	seed_free(&sd);
}

static void caps_capture(void *ctx, const char *line)
{
	size_t *n = ctx;

	assert_true(strlen(line) < VMX_CAPS_LINE_MAX);
	assert_memory_equal(line, "CAPS ", 5);
	if (*n == 0)
		assert_string_equal(line, "CAPS BEGIN format=1");
	(*n)++;
}

static void test_seed_caps_haswell(void **state)
{
	static struct vmx_caps caps;
	struct seed sd = seed_load("caps", "haswell");
	struct fz f = seed_fz(&sd);
	struct vmx_ctrl_request req;
	struct vmx_controls ctls;
	struct vmx_missing missing;
	size_t lines = 0;

	(void)state;
	fz_u8(&f);
	fz_caps(&f, &caps);
	for (int g = 0; g < VMX_CTRL_GROUP_COUNT; g++) {
		req.required[g] = fz_u64(&f);
		req.optional[g] = fz_u64(&f);
	}
	assert_true(vmx_negotiate(&caps, &req, &ctls, &missing));
	assert_true(ctls.proc2 & SECONDARY_EXEC_ENABLE_EPT);
	assert_true(ctls.proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
	vmx_caps_matrix(&caps, &req, &ctls, true, caps_capture, &lines);
	assert_true(lines > 20);
	assert_null(vmx_caps_unusable_reason(&caps));
	seed_free(&sd);
}

/* ==== Seeds: mtrr and ept (fuzz_mtrr, fuzz_ept) ==== */

/* A firmware-like state: WB by default, fixed ranges (A0000-BFFFF UC, C0000-C7FFF WP),
 * [2 GiB, 4 GiB) UC, [0xfed00000, +1 MiB) WT. */
static void test_seed_mtrr_firmware_like(void **state)
{
	struct seed sd = seed_load("mtrr", "firmware-like");
	struct fz f = seed_fz(&sd);
	struct mtrr_state s;
	uint8_t type;

	(void)state;
	assert_false(fz_mtrr_state(&f, &s));
	assert_int_equal(mtrr_type_of(&s, 0), MTRR_TYPE_WB);
	assert_int_equal(mtrr_type_of(&s, 0xa0000), MTRR_TYPE_UC);
	assert_int_equal(mtrr_type_of(&s, 0xc0000), MTRR_TYPE_WP);
	assert_int_equal(mtrr_type_of(&s, 0x90000000), MTRR_TYPE_UC);
	assert_int_equal(mtrr_type_of(&s, 0xfed00000), MTRR_TYPE_UC); /* UC wins over WT */
	assert_int_equal(mtrr_type_of(&s, 0x100000000ULL), MTRR_TYPE_WB);
	assert_false(mtrr_range_is_uniform(&s, 0, 1ULL << 30, &type));
	assert_true(mtrr_range_is_uniform(&s, 1ULL << 30, 1ULL << 30, &type));
	assert_int_equal(type, MTRR_TYPE_WB);
	assert_true(mtrr_range_is_uniform(&s, 0x80000000, 0x80000000, &type));
	assert_int_equal(type, MTRR_TYPE_UC);
	assert_false(mtrr_range_is_uniform(&s, 0, UINT64_MAX, &type));
	seed_free(&sd);
}

static void test_seed_ept_firmware_like(void **state)
{
	struct seed sd = seed_load("ept", "firmware-like");
	struct fz f = seed_fz(&sd);
	struct mtrr_state s;
	struct ept e;
	struct ept_caps caps;
	struct ept_range owned[4];
	size_t n_owned;
	uint8_t flags;

	(void)state;
	fz_mtrr_state(&f, &s);
	flags = fz_u8(&f);
	caps = (struct ept_caps){ flags & 1, flags & 2, flags & 4, 32 + fz_u8(&f) % 24 };
	assert_int_equal(caps.maxphyaddr, 39);
	n_owned = fz_u8(&f) % 5;
	assert_int_equal(n_owned, 2);
	for (size_t i = 0; i < n_owned; i++) { /* fuzz_ept's page-aligned form */
		assert_int_equal(fz_u8(&f) & 1, 0);
		owned[i].base = fz_u64(&f) & ((1ULL << 39) - 1) & ~0xfffULL;
		owned[i].size = (uint64_t)(fz_u32(&f) % (1u << 20)) << 12;
	}
	assert_int_equal(owned[0].base, 0x7f000000);
	arena.used = 0;
	assert_int_equal(ept_build_identity(&e, &caps, &s, owned, n_owned, &alloc), 0);
	assert_true(arena.used < ARENA_PAGES);
	assert_translates(&e, 0xa0000, MTRR_TYPE_UC, EPT_LEVEL_PT);
	assert_translates(&e, 0x200000, MTRR_TYPE_WB, EPT_LEVEL_PD);
	assert_translates(&e, 0x80000000, MTRR_TYPE_UC, EPT_LEVEL_PDPT);
	assert_translates(&e, 0xfed00abc, MTRR_TYPE_UC, EPT_LEVEL_PDPT); /* UC over WT: one type */
	assert_translates(&e, 0x123456789, MTRR_TYPE_WB, EPT_LEVEL_PDPT);
	assert_int_equal(ept_translate(&e, 0x100000, NULL, NULL, NULL, NULL), EPT_ENOTPRESENT);
	assert_int_equal(ept_translate(&e, 0x7f800000, NULL, NULL, NULL, NULL), EPT_ENOTPRESENT);
	assert_int_equal(ept_translate(&e, 1ULL << 39, NULL, NULL, NULL, NULL), EPT_ENOTPRESENT);
	seed_free(&sd);
}

/* ==== Seeds: vmxlog (fuzz_vmxlog: the fixture logs) ==== */

static void vmxlog_fixture(const char *name, bool vmx_used)
{
	char rel[128], why[256];
	struct vl_log log;
	FILE *out = fopen("/dev/null", "w");

	assert_non_null(out);
	snprintf(rel, sizeof(rel), "tests/fixtures/%s", name);
	vl_init(&log);
	if (!vl_load_file(&log, tree_path(rel), why, sizeof(why)))
		fail_msg("%s", why);
	assert_true(log.vmxray_lines > 0);
	assert_true(vl_caps_seen(&log.caps));
	report_summary(&log, out, name);
	report_caps(&log, out);
	if (vmx_used) {
		assert_true(log.ndump > 0);
		report_dump(&log, out, 0);
		report_diff(&log.dump[0], "a", &log.dump[log.ndump - 1], "b", out);
	}
	if (log.nstats)
		report_stats(&log, out, true);
	if (log.nexit) {
		const struct timeline_opts o = { true, false, "t" };

		report_trace(&log, out, TRACE_BY_BOTH, 20);
		report_timeline(&log, out, &o);
	}
	if (log.nrec)
		report_recorder(&log, out);
	vl_free(&log);
	fclose(out);
}

static void test_seed_vmxlog_fixtures(void **state)
{
	(void)state;
	vmxlog_fixture("haswell_entry_failure.log", true);
	vmxlog_fixture("haswell_shell.log", true);
	vmxlog_fixture("lynnfield_refused.log", false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mtrr_uniform_over_the_whole_space),
		cmocka_unit_test(test_mtrr_discontinuous_mask_is_not_exponential),
		cmocka_unit_test(test_ept_retype_after_discontinuous_mask),
		cmocka_unit_test(test_seed_options_accepted),
		cmocka_unit_test(test_seed_options_rejected_with_message),
		cmocka_unit_test(test_seed_config_lists),
		cmocka_unit_test(test_seed_madt),
		cmocka_unit_test(test_seed_relocate),
		cmocka_unit_test(test_seed_decode),
		cmocka_unit_test(test_seed_vmcs_dump),
		cmocka_unit_test(test_seed_checker_valid_guest),
		cmocka_unit_test(test_seed_caps_haswell),
		cmocka_unit_test(test_seed_mtrr_firmware_like),
		cmocka_unit_test(test_seed_ept_firmware_like),
		cmocka_unit_test(test_seed_vmxlog_fixtures),
	};
	return cmocka_run_group_tests_name("fuzz regressions", tests, arena_setup, arena_teardown);
}
