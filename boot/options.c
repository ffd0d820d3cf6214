#include "boot/options.h"

#include "drivers/fmt.h"
#include "drivers/logring.h"
#include "vmx/decode/exit_reasons.h"
#include "vmx/policy/intercept.h"

#include <string.h>

typedef bool (*opt_set_fn)(struct vmxray_options *o, const char *v, size_t n);

struct opt_desc {
	const char *key;
	const char *valid; /* human text listing the valid values */
	opt_set_fn set;
};

static bool word_eq(const char *v, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(v, lit, n) == 0;
}

static bool copy_value(char *dst, size_t cap, const char *v, size_t n)
{
	if (n == 0 || n >= cap)
		return false;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return true;
}

static bool parse_u64(const char *v, size_t n, uint64_t *out)
{
	unsigned base = 10;
	uint64_t r = 0;

	if (n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		base = 16;
		v += 2;
		n -= 2;
	}
	if (n == 0 || n > 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d;
		if (v[i] >= '0' && v[i] <= '9')
			d = (unsigned)(v[i] - '0');
		else if (base == 16 && v[i] >= 'a' && v[i] <= 'f')
			d = (unsigned)(v[i] - 'a' + 10);
		else if (base == 16 && v[i] >= 'A' && v[i] <= 'F')
			d = (unsigned)(v[i] - 'A' + 10);
		else
			return false;
		if (d >= base)
			return false;
		r = r * base + d;
	}
	*out = r;
	return true;
}

/* Up to `digits` hex digits without a prefix, at most max (pci:BB:DD.F). */
static bool parse_hex_field(const char *v, size_t n, size_t digits, uint64_t max, uint8_t *out)
{
	uint64_t x;
	char buf[8] = "0x";

	if (n == 0 || n > digits || v[0] == 'x' || v[0] == 'X')
		return false;
	memcpy(buf + 2, v, n);
	if (!parse_u64(buf, n + 2, &x) || x > max)
		return false;
	*out = (uint8_t)x;
	return true;
}

static bool set_serial_pci(struct opt_serial *s, const char *v, size_t n)
{
	const char *colon = memchr(v, ':', n), *dot = memchr(v, '.', n);

	if (!colon || !dot || dot < colon)
		return false;
	s->mode = OPT_SERIAL_PCI;
	return parse_hex_field(v, (size_t)(colon - v), 2, 0xFF, &s->bus) &&
	       parse_hex_field(colon + 1, (size_t)(dot - colon - 1), 2, 31, &s->dev) &&
	       parse_hex_field(dot + 1, (size_t)(v + n - dot - 1), 1, 7, &s->fn);
}

/* mmio:ADDR[,stride]: stride 1 (byte registers) or 4 (32-bit registers, Intel LPSS). */
static bool set_serial_mmio(struct opt_serial *s, const char *v, size_t n)
{
	const char *comma = memchr(v, ',', n);
	uint64_t addr, stride = 1;

	if (!parse_u64(v, comma ? (size_t)(comma - v) : n, &addr) || addr == 0)
		return false;
	if (comma && !parse_u64(comma + 1, (size_t)(v + n - comma - 1), &stride))
		return false;
	if ((stride != 1 && stride != 4) || addr % stride || addr > UINT64_MAX - 8 * stride)
		return false;
	s->mode = OPT_SERIAL_MMIO;
	s->at = (struct uart_desc){ UART_SPACE_MMIO, addr, (uint8_t)stride };
	return true;
}

static bool set_serial_port(struct opt_serial *s, const char *v, size_t n)
{
	uint64_t port;

	if (!parse_u64(v, n, &port) || port == 0 || port > 0xFFF8)
		return false;
	s->mode = OPT_SERIAL_PORT;
	s->at = (struct uart_desc){ UART_SPACE_IO, port, 1 };
	return true;
}

static bool set_serial(struct vmxray_options *o, const char *v, size_t n)
{
	struct opt_serial s = { .mode = OPT_SERIAL_AUTO };
	bool ok = true;

	if (word_eq(v, n, "none"))
		s.mode = OPT_SERIAL_NONE;
	else if (n > 5 && !memcmp(v, "mmio:", 5))
		ok = set_serial_mmio(&s, v + 5, n - 5);
	else if (n > 4 && !memcmp(v, "pci:", 4))
		ok = set_serial_pci(&s, v + 4, n - 4);
	else if (!word_eq(v, n, "auto"))
		ok = set_serial_port(&s, v, n);
	if (!ok)
		return false;
	o->serial = s;
	o->serial_port = s.mode == OPT_SERIAL_AUTO ? 0x3F8 : s.mode == OPT_SERIAL_PORT ? (uint16_t)s.at.base : 0;
	return true;
}

/* logbuf=KiB: the in-memory log ring (drivers/logring.h). */
static bool set_logbuf(struct vmxray_options *o, const char *v, size_t n)
{
	uint64_t kib;

	if (!parse_u64(v, n, &kib) || kib < LOG_RING_MIN_KIB || kib > LOG_RING_MAX_KIB)
		return false;
	o->logbuf_kib = (uint32_t)kib;
	return true;
}

/* gdb=PORT: a 16550 I/O port for the GDB stub, or none (vmx/debug/gdb.h). */
static bool set_gdb(struct vmxray_options *o, const char *v, size_t n)
{
	uint64_t port;

	if (word_eq(v, n, "none")) {
		o->gdb_port = 0;
		return true;
	}
	if (!parse_u64(v, n, &port) || port == 0 || port > 0xFFF8)
		return false;
	o->gdb_port = (uint16_t)port;
	return true;
}

static bool set_log(struct vmxray_options *o, const char *v, size_t n)
{
	for (int l = LOG_ERROR; l <= LOG_TRACE; l++) {
		if (word_eq(v, n, log_level_name((enum log_level)l))) {
			o->log_level = (enum log_level)l;
			return true;
		}
	}
	return false;
}

static bool set_console(struct vmxray_options *o, const char *v, size_t n)
{
	static const char *const names[] = { "auto", "on", "off" };
	for (unsigned i = 0; i < 3; i++) {
		if (word_eq(v, n, names[i])) {
			o->console = (enum opt_console)i;
			return true;
		}
	}
	return false;
}

static bool set_chain(struct vmxray_options *o, const char *v, size_t n)
{
	return copy_value(o->chain, sizeof(o->chain), v, n);
}

static bool set_chain_args(struct vmxray_options *o, const char *v, size_t n)
{
	return copy_value(o->chain_args, sizeof(o->chain_args), v, n);
}

void options_for_each_item(const char *list, size_t len, options_item_fn fn, void *ctx)
{
	const char *end = list + len;

	if (len == 0)
		return;
	for (;;) { /* "a,,b" and "a," have empty items: the callers refuse them */
		const char *comma = memchr(list, ',', (size_t)(end - list));
		fn(ctx, list, comma ? (size_t)(comma - list) : (size_t)(end - list));
		if (!comma)
			return;
		list = comma + 1;
	}
}

bool options_split_count(const char *s, size_t n, size_t *name_len, uint32_t *count)
{
	const char *colon = memchr(s, ':', n);
	uint64_t c = 1;

	*name_len = colon ? (size_t)(colon - s) : n;
	if (colon) {
		size_t digits = n - *name_len - 1;
		/* decimal only, no 0x: "cpuid:0x10" would read as a count of 16 otherwise */
		for (size_t i = 0; i < digits; i++)
			if (colon[1 + i] < '0' || colon[1 + i] > '9')
				return false;
		if (!parse_u64(colon + 1, digits, &c))
			return false;
	}
	if (c == 0 || c > OPT_DUMP_COUNT_MAX)
		return false;
	*count = (uint32_t)c;
	return true;
}

/* Every item of a list is checked; the list is kept as written for boot/config.c. */
struct list_check {
	bool ok;
	bool (*item_ok)(const char *s, size_t n);
};

static void check_item(void *ctx, const char *s, size_t n)
{
	struct list_check *c = ctx;

	if (n == 0 || !c->item_ok(s, n))
		c->ok = false;
}

static bool list_ok(const char *v, size_t n, bool (*item_ok)(const char *s, size_t n))
{
	struct list_check c = { n > 0, item_ok };

	options_for_each_item(v, n, check_item, &c);
	return c.ok;
}

static bool trace_item_ok(const char *s, size_t n)
{
	uint32_t r;

	return word_eq(s, n, "all") || exit_reason_from_short(s, n, &r);
}

static bool dump_item_ok(const char *s, size_t n)
{
	size_t name_len;
	uint32_t r, count;

	return options_split_count(s, n, &name_len, &count) && exit_reason_from_short(s, name_len, &r) &&
	       r < OPT_EXIT_REASON_SLOTS;
}

static const char *const TEST_FLAG_NAMES[] = {
#define TEST_FLAG(name, suffix) name,
#include "boot/test_flags.def"
#undef TEST_FLAG
};

int options_test_flag(const char *s, size_t n)
{
	for (unsigned i = 0; i < sizeof(TEST_FLAG_NAMES) / sizeof(TEST_FLAG_NAMES[0]); i++)
		if (word_eq(s, n, TEST_FLAG_NAMES[i]))
			return (int)i;
	return -1;
}

static bool test_item_ok(const char *s, size_t n)
{
	return options_test_flag(s, n) >= 0;
}

static bool set_list(char *dst, size_t cap, const char *v, size_t n, bool (*item_ok)(const char *, size_t))
{
	return list_ok(v, n, item_ok) && copy_value(dst, cap, v, n);
}

static bool set_trace(struct vmxray_options *o, const char *v, size_t n)
{
	return set_list(o->trace, sizeof(o->trace), v, n, trace_item_ok);
}

static const char *const TRACE_OUT_NAMES[] = { "memory", "serial", "both", "stream" }; /* enum trace_out */

static bool set_trace_out(struct vmxray_options *o, const char *v, size_t n)
{
	for (unsigned i = 0; i < 4; i++) {
		if (word_eq(v, n, TRACE_OUT_NAMES[i])) {
			o->trace_out = (uint8_t)i;
			return true;
		}
	}
	return false;
}

static bool set_tracebuf(struct vmxray_options *o, const char *v, size_t n)
{
	uint64_t kib;

	if (!parse_u64(v, n, &kib) || kib < TRACEBUF_MIN_KIB || kib > TRACEBUF_MAX_KIB)
		return false;
	o->tracebuf_kib = (uint32_t)kib;
	return true;
}

static bool set_trace_filter(struct vmxray_options *o, const char *v, size_t n)
{
	char why[96];
	struct trace_filter f;

	if (!trace_filter_parse(&f, v, n, why, sizeof(why)))
		return false; /* a refused value changes nothing */
	o->trace_filter = f;
	return true;
}

static bool set_dump(struct vmxray_options *o, const char *v, size_t n)
{
	return set_list(o->dump, sizeof(o->dump), v, n, dump_item_ok);
}

/* intercept=: every name checked here; whether the CPU can do them, at launch
 * (vmx/policy/intercept.h). */
static bool set_intercept(struct vmxray_options *o, const char *v, size_t n)
{
	struct intercept_set s = { 0 };

	return intercept_parse_list(&s, v, n) && copy_value(o->intercept, sizeof(o->intercept), v, n);
}

static bool set_test(struct vmxray_options *o, const char *v, size_t n)
{
	return set_list(o->test, sizeof(o->test), v, n, test_item_ok);
}

/* A key with two words for a flag: `yes` sets it, `no` clears it. */
static bool set_choice(bool *flag, const char *v, size_t n, const char *yes, const char *no)
{
	if (word_eq(v, n, yes))
		*flag = true;
	else if (word_eq(v, n, no))
		*flag = false;
	else
		return false;
	return true;
}

static bool set_check(struct vmxray_options *o, const char *v, size_t n)
{
	return set_choice(&o->check_every_entry, v, n, "on", "off");
}

static bool set_caps(struct vmxray_options *o, const char *v, size_t n)
{
	return set_choice(&o->caps_full, v, n, "full", "short");
}

static bool set_ipi(struct vmxray_options *o, const char *v, size_t n)
{
	return set_choice(&o->ipi_hardware, v, n, "hardware", "soft");
}

#define RECORDER_MAX_DEPTH 1024

static bool set_recorder(struct vmxray_options *o, const char *v, size_t n)
{
	uint64_t d;

	if (!parse_u64(v, n, &d) || d > RECORDER_MAX_DEPTH)
		return false;
	o->recorder_depth = (uint32_t)d;
	return true;
}

static bool set_gdb_wait(struct vmxray_options *o, const char *v, size_t n)
{
	return set_choice(&o->gdb_wait, v, n, "on", "off");
}

/* log_tx=sync: the serial log written as the line is logged, each character waiting for
 * the UART; async (default): through the queue of drivers/ulog.h. */
static bool set_log_tx(struct vmxray_options *o, const char *v, size_t n)
{
	return set_choice(&o->log_tx_sync, v, n, "sync", "async");
}

/* user_hypercalls=on: CPL 3 may make the read-only hypercalls (vmx/policy/hypercall_abi.h). */
static bool set_user_hypercalls(struct vmxray_options *o, const char *v, size_t n)
{
	return set_choice(&o->user_hypercalls, v, n, "on", "off");
}

static const struct opt_desc OPTIONS_TABLE[] = {
	{ "serial", "auto, none, an I/O port such as 0x3f8 (1..0xfff8), mmio:ADDR[,1|4], pci:BB:DD.F",
	  set_serial },
	{ "log", "error, warn, info, debug, trace", set_log },
	{ "console", "auto, on, off", set_console },
	{ "chain", "none, or the path of the next EFI image, e.g. \\EFI\\debian\\grubx64.efi",
	  set_chain },
	{ "chain_args", "the load options of the chained image (in vmxray.cfg the rest of the line)",
	  set_chain_args },
	{ "trace", "all, or exit reason names separated by commas, e.g. cpuid,msr_read", set_trace },
	{ "trace_out", "memory (records in a ring per CPU), serial (one EXIT line each), both, "
		       "stream (records, each also as a TRACE line at once)", set_trace_out },
	{ "tracebuf", "4..1024 (KiB of trace records per CPU; default 64)", set_tracebuf },
	{ "trace_filter", "key:LO[-HI] items separated by commas, keys rip, leaf, msr, port, cr "
			  "(at most 4 each), e.g. rip:0xffffffff81000000-0xffffffff81ffffff,leaf:0x1,port:0x64",
	  set_trace_filter },
	{ "dump", "exit reason names with an optional :count (1..1000000), e.g. cpuid:1", set_dump },
	{ "check", "on, off", set_check },
	{ "recorder", "0..1024 (flight recorder entries per CPU)", set_recorder },
	{ "ipi", "soft (INIT and SIPI between CPUs in software), hardware", set_ipi },
	{ "caps", "short (the controls vmxray uses or lacks), full (every control bit)", set_caps },
	{ "gdb", "none, or the I/O port of a 16550 for the GDB stub, e.g. 0x2f8 (not the log's)", set_gdb },
	{ "gdb_wait", "on (the guest waits for gdb at launch), off", set_gdb_wait },
	{ "test", "test-only fault injection: bad-guest-state, root-exception, bad-resume-state, "
		  "unexpected-exit, feature-control-locked, no-memory", set_test },
	{ "logbuf", "4..1024 (KiB of memory keeping the log for 'hvctl log'; default 64)", set_logbuf },
	{ "user_hypercalls", "off (CPL 3 gets #UD for VMCALL), on (CPL 3 may call VERSION, STATS, LOG_READ)",
	  set_user_hypercalls },
	{ "intercept", "all, or names separated by commas: hlt, rdtsc, rdpmc, invlpg, cr3, cr8, movdr, pause, monitor, mwait, wbinvd, "
		       "rdrand, rdseed, msr, io, extint, an exception (de, db, bp, of, br, ud, nm, df, ts, np, ss, "
		       "gp, pf, mf, ac, mc, xm, ve, cp), ept:FIRST-LAST:w|x", set_intercept },
	{ "log_tx", "async (the serial log queued, the guest never waits for the UART), sync (each "
		    "character waits for the UART, as before)", set_log_tx },
};

void options_set_defaults(struct vmxray_options *o)
{
	memset(o, 0, sizeof(*o));
	o->serial_port = 0x3F8;
	o->log_level = LOG_INFO;
	o->console = OPT_CONSOLE_AUTO;
	o->recorder_depth = 0; /* opt-in: it costs the exit path ~100 ticks (README, Benchmarks) */
}

static void append_valid_keys(char *err, size_t errlen)
{
	size_t n = strlen(err);
	for (size_t i = 0; i < sizeof(OPTIONS_TABLE) / sizeof(OPTIONS_TABLE[0]) && n < errlen; i++)
		n += fmt_snprintf(err + n, errlen - n, "%s%s", i ? ", " : "", OPTIONS_TABLE[i].key);
}

bool options_parse_word(struct vmxray_options *o, const char *word, size_t len, char *err,
			size_t errlen)
{
	const char *eq = memchr(word, '=', len);

	if (!eq) {
		fmt_snprintf(err, errlen, "option '%.*s' is not of the form key=value; keys: ",
			     (int)len, word);
		append_valid_keys(err, errlen);
		return false;
	}
	size_t klen = (size_t)(eq - word);
	const char *v = eq + 1;
	size_t vlen = len - klen - 1;
	for (size_t i = 0; i < sizeof(OPTIONS_TABLE) / sizeof(OPTIONS_TABLE[0]); i++) {
		const struct opt_desc *d = &OPTIONS_TABLE[i];
		if (!word_eq(word, klen, d->key))
			continue;
		if (d->set(o, v, vlen))
			return true;
		fmt_snprintf(err, errlen, "option '%s': invalid value '%.*s' (valid: %s)", d->key,
			     (int)vlen, v, d->valid);
		return false;
	}
	fmt_snprintf(err, errlen, "unknown option '%.*s'; valid keys: ", (int)klen, word);
	append_valid_keys(err, errlen);
	return false;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool options_parse_cmdline(struct vmxray_options *o, const char *line, char *err, size_t errlen)
{
	size_t i = 0;
	bool first = true;

	while (line[i]) {
		while (line[i] && is_blank(line[i]))
			i++;
		size_t start = i;
		while (line[i] && !is_blank(line[i]))
			i++;
		if (i == start)
			break;
		bool has_eq = memchr(line + start, '=', i - start) != NULL;
		if (first && !has_eq) {
			first = false;
			continue; /* argv[0]: the program's own path */
		}
		first = false;
		if (!options_parse_word(o, line + start, i - start, err, errlen))
			return false;
	}
	return true;
}

bool options_parse_config(struct vmxray_options *o, const char *text, size_t len, char *err,
			  size_t errlen)
{
	size_t i = 0;
	unsigned lineno = 0;

	while (i < len) {
		size_t start = i;
		while (i < len && text[i] != '\n')
			i++;
		size_t end = i++;
		lineno++;
		while (start < end && is_blank(text[start]))
			start++;
		while (end > start && is_blank(text[end - 1]))
			end--;
		if (start == end || text[start] == '#')
			continue;
		char sub[OPT_ERROR_MAX];
		if (!options_parse_word(o, text + start, end - start, sub, sizeof(sub))) {
			fmt_snprintf(err, errlen, "vmxray.cfg line %u: %s", lineno, sub);
			return false;
		}
	}
	return true;
}

/* The serial= form as given: auto, none, 0xPORT, mmio:0xADDR,STRIDE, pci:BB:DD.F. */
static void describe_serial(const struct opt_serial *s, char *buf, size_t len)
{
	switch (s->mode) {
	case OPT_SERIAL_AUTO: fmt_snprintf(buf, len, "auto"); break;
	case OPT_SERIAL_PORT: fmt_snprintf(buf, len, "0x%lx", s->at.base); break;
	case OPT_SERIAL_MMIO: fmt_snprintf(buf, len, "mmio:0x%lx,%u", s->at.base, s->at.stride); break;
	case OPT_SERIAL_PCI: fmt_snprintf(buf, len, "pci:%02x:%02x.%x", s->bus, s->dev, s->fn); break;
	default: fmt_snprintf(buf, len, "none"); break;
	}
}

size_t options_describe(const struct vmxray_options *o, char *buf, size_t len)
{
	static const char *const consoles[] = { "auto", "on", "off" };
	char serial[40], gdb[16] = "";

	describe_serial(&o->serial, serial, sizeof(serial));
	if (o->gdb_port)
		fmt_snprintf(gdb, sizeof(gdb), "0x%x", o->gdb_port);
	return fmt_snprintf(buf, len,
			    "serial=%s log=%s console=%s chain=%s trace=%s%s%s dump=%s check=%s "
			    "recorder=%u ipi=%s caps=%s logbuf=%u user_hypercalls=%s%s%s%s%s%s%s%s%s",
			    serial, log_level_name(o->log_level), consoles[o->console],
			    o->chain[0] ? o->chain : "(default)", o->trace[0] ? o->trace : "none",
			    o->trace[0] ? " trace_out=" : "", o->trace[0] ? TRACE_OUT_NAMES[o->trace_out] : "",
			    o->dump[0] ? o->dump : "none", o->check_every_entry ? "on" : "off",
			    o->recorder_depth, o->ipi_hardware ? "hardware" : "soft", o->caps_full ? "full" : "short",
			    o->logbuf_kib ? o->logbuf_kib : LOG_RING_DEFAULT_KIB, o->user_hypercalls ? "on" : "off",
			    o->gdb_port ? " gdb=" : "", gdb,
			    o->gdb_port && o->gdb_wait ? " gdb_wait=on" : "", o->test[0] ? " test=" : "", o->test,
			    o->intercept[0] ? " intercept=" : "", o->intercept, o->log_tx_sync ? " log_tx=sync" : "");
}
