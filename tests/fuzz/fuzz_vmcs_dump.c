/* Fuzz target: vmx/study/vmcs_dump.c (and the snapshot helpers of vmx/vmcs/vmcs_fields.c): the
 * decoded VMCS dump vmxray prints on a failed entry, an unexpected exit or on request.
 * The values are whatever VMREAD returned, largely guest state, so any snapshot must dump.
 *
 * Input: a title-length byte and the title, then entries of (field-index byte, flags
 * byte, 64-bit value). Flags bit 0 stores the value through vmcs_snapshot_set() (masked
 * to the field's width, as the hardware edge does), else raw into the snapshot; bit 1
 * instead takes the value's low 15 bits (with bit 2, its low 32 bits) as an arbitrary
 * encoding for vmcs_snapshot_set/get/has.
 * Checks: no memory error; every line starts with "VMCS ", is at most VMCS_DUMP_LINE_MAX
 * characters and NUL-terminated; the dump begins with the title line and ends with
 * "VMCS dump end"; set/get agree for architectural encodings and refuse the others.
 */
// fuzz-srcs: vmx/study/vmcs_dump.c vmx/vmcs/vmcs_fields.c vmx/decode/decode.c vmx/vmcs/controls.c vmx/decode/exit_reasons.c vmx/vmcs/vm_insn_errors.c drivers/fmt.c drivers/log.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_input.h"
#include "vmx/study/vmcs_dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct lines {
	size_t count;
	bool ended;
};

static void emit(void *ctx, const char *line)
{
	struct lines *l = ctx;
	size_t n = strnlen(line, VMCS_DUMP_LINE_MAX + 1);

	if (n > VMCS_DUMP_LINE_MAX || strncmp(line, "VMCS ", 5) != 0 || l->ended)
		abort();
	if (l->count == 0 && strncmp(line, "VMCS dump begin: ", 17) != 0)
		abort();
	l->ended = strcmp(line, "VMCS dump end") == 0;
	l->count++;
}

/* An arbitrary encoding: set and get must agree with vmcs_field_index(). */
static void check_encoding(struct vmcs_snapshot *s, uint32_t enc, uint64_t value)
{
	int i = vmcs_field_index(enc);
	uint64_t got = 0x1234;

	if (!vmcs_snapshot_set(s, enc, value)) {
		if (i >= 0 || vmcs_snapshot_get(s, enc, &got) || got != 0x1234 || vmcs_snapshot_has(s, enc))
			abort();
		return;
	}
	if (i < 0 || !vmcs_snapshot_get(s, enc, &got) || !vmcs_snapshot_has(s, enc))
		abort();
	if (got != (value & vmcs_width_mask(vmcs_field_table[i].width)))
		abort();
	if (vmcs_field_by_encoding(enc) != &vmcs_field_table[i] ||
	    vmcs_field_by_name(vmcs_field_table[i].name, strlen(vmcs_field_table[i].name)) !=
		    &vmcs_field_table[i])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmcs_snapshot s;
	struct fz f = fz_start(data, size);
	char title[256];
	size_t tlen = fz_u8(&f);
	struct lines lines = { 0, false };

	fz_bytes(&f, title, tlen);
	title[tlen < sizeof(title) ? tlen : sizeof(title) - 1] = '\0';
	vmcs_snapshot_init(&s);
	while (!fz_empty(&f)) {
		uint8_t idx = fz_u8(&f), flags = fz_u8(&f);
		uint64_t value = fz_u64(&f);

		if (flags & 2) {
			check_encoding(&s, (flags & 4) ? (uint32_t)value : (uint32_t)value & 0x7fff, value);
		} else if (flags & 1) {
			vmcs_snapshot_set(&s, vmcs_field_table[idx % VMCS_FIELD_COUNT].encoding, value);
		} else {
			s.value[idx % VMCS_FIELD_COUNT] = value;
			s.valid[idx % VMCS_FIELD_COUNT] = 1;
		}
	}
	vmcs_dump(&s, (tlen & 1) ? title : NULL, emit, &lines);
	if (!lines.ended || lines.count < 6)
		abort();
	return 0;
}
