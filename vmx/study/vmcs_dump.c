/* Decoded VMCS dump; the line format is documented in vmx/study/vmcs_dump.h. Pure. */
#include "vmx/study/vmcs_dump.h"

#include <string.h>

#include "drivers/fmt.h"
#include "drivers/log.h"
#include "vmx/decode/decode.h"
#include "vmx/decode/exit_reasons.h"
#include "vmx/vmcs/vm_insn_errors.h"

/* Decoded text of one field: long enough for every control named at once. */
#define DETAIL_MAX 1024
#define LABEL_MAX 64

struct dump {
	const struct vmcs_snapshot *s;
	vmcs_dump_emit_fn emit;
	void *ctx;
};

static const char list_sep[] = " | ";
#define LIST_SEP_LEN (sizeof(list_sep) - 1)

/* Where to cut text so that at most room characters go on this line: the position of the
 * last " | " that ends within room (the line takes the text before it), or 0 when none. */
static size_t cut_at_separator(const char *text, size_t room)
{
	size_t cut = 0;

	for (size_t i = 0; text[i] && i + LIST_SEP_LEN <= room; i++)
		if (memcmp(&text[i], list_sep, LIST_SEP_LEN) == 0)
			cut = i;
	return cut;
}

/* "VMCS   ~ label: text", a " | " list spread over as many lines as it needs. */
static void emit_detail(const struct dump *d, const char *label, const char *text)
{
	char line[VMCS_DUMP_LINE_MAX + 1];
	size_t prefix = fmt_snprintf(line, sizeof(line), "VMCS   ~ %s: ", label);
	size_t room = prefix < VMCS_DUMP_LINE_MAX ? VMCS_DUMP_LINE_MAX - prefix : 0;
	size_t cut;

	while (strlen(text) > room && (cut = cut_at_separator(text, room)) > 0) {
		fmt_snprintf(line + prefix, sizeof(line) - prefix, "%.*s", (int)cut, text);
		d->emit(d->ctx, line);
		text += cut + LIST_SEP_LEN;
	}
	fmt_snprintf(line + prefix, sizeof(line) - prefix, "%s", text);
	d->emit(d->ctx, line);
}

static void emit_field(const struct dump *d, const struct vmcs_field_info *f, uint64_t value)
{
	static const int digits[4] = { [VMCS_W16] = 4, [VMCS_W64] = 16, [VMCS_W32] = 8,
				       [VMCS_NW] = 16 };
	char line[VMCS_DUMP_LINE_MAX + 1];

	fmt_snprintf(line, sizeof(line), "VMCS %-*s 0x%04x = 0x%0*llx", VMCS_DUMP_NAME_WIDTH,
		     f->name, (unsigned)f->encoding, digits[f->width], (unsigned long long)value);
	d->emit(d->ctx, line);
}

/* Control fields and the control group whose names vmx/vmcs/controls.def gives. */
static bool control_group(uint32_t enc, enum vmx_ctrl_group *g)
{
	switch (enc) {
	case PIN_BASED_VM_EXEC_CONTROL:
		*g = VMX_CTRL_PIN;
		return true;
	case CPU_BASED_VM_EXEC_CONTROL:
		*g = VMX_CTRL_PROC;
		return true;
	case SECONDARY_VM_EXEC_CONTROL:
		*g = VMX_CTRL_PROC2;
		return true;
	case TERTIARY_VM_EXEC_CONTROL:
		*g = VMX_CTRL_PROC3;
		return true;
	case VM_EXIT_CONTROLS:
		*g = VMX_CTRL_EXIT;
		return true;
	case VM_ENTRY_CONTROLS:
		*g = VMX_CTRL_ENTRY;
		return true;
	default:
		return false;
	}
}

static bool is_ar_bytes(uint32_t enc)
{
	return enc >= GUEST_ES_AR_BYTES && enc <= GUEST_TR_AR_BYTES;
}

/* Fields decoded from their value alone. False when the field has no structure. */
static bool detail_plain(char *text, uint32_t enc, uint64_t v)
{
	uint32_t v32 = (uint32_t)v;
	enum vmx_ctrl_group g;

	if (control_group(enc, &g)) {
		decode_controls(text, DETAIL_MAX, g, v);
		return true;
	}
	if (is_ar_bytes(enc)) {
		seg_ar_format(text, DETAIL_MAX, v32);
		return true;
	}
	switch (enc) {
	case EXCEPTION_BITMAP:
		exception_bitmap_format(text, DETAIL_MAX, v32);
		break;
	case EPT_POINTER:
		eptp_format(text, DETAIL_MAX, v);
		break;
	case VM_ENTRY_INTR_INFO_FIELD:
	case VM_EXIT_INTR_INFO:
	case IDT_VECTORING_INFO_FIELD:
		intr_info_format(text, DETAIL_MAX, v32);
		break;
	case GUEST_INTERRUPTIBILITY_INFO:
		interruptibility_format(text, DETAIL_MAX, v32);
		break;
	case GUEST_ACTIVITY_STATE:
		fmt_snprintf(text, DETAIL_MAX, "%s", activity_state_name(v32));
		break;
	case VM_INSTRUCTION_ERROR:
		fmt_snprintf(text, DETAIL_MAX, "%s", v32 ? vm_insn_error_name(v32) : "none");
		break;
	case VM_EXIT_REASON:
		exit_reason_format(text, DETAIL_MAX, v32);
		break;
	default:
		return false;
	}
	return true;
}

/* Fields whose meaning depends on the exit reason: the label names the basic reason. */
static bool detail_by_reason(const struct dump *d, char *label, char *text, uint32_t enc,
			     uint64_t v)
{
	uint64_t reason;

	if (enc != EXIT_QUALIFICATION && enc != VMX_INSTRUCTION_INFO)
		return false;
	if (!vmcs_snapshot_get(d->s, VM_EXIT_REASON, &reason))
		return false;
	uint32_t basic = exit_reason_decode((uint32_t)reason).basic;

	fmt_snprintf(label, LABEL_MAX, "%s (%s)", vmcs_field_name(enc), exit_reason_name(basic));
	if (enc == EXIT_QUALIFICATION)
		decode_exit_qualification(text, DETAIL_MAX, basic, v);
	else
		vmx_insn_info_format(text, DETAIL_MAX, basic, (uint32_t)v);
	return true;
}

static void dump_field(const struct dump *d, size_t i)
{
	const struct vmcs_field_info *f = &vmcs_field_table[i];
	uint64_t v = d->s->value[i];
	char label[LABEL_MAX];
	char text[DETAIL_MAX];

	emit_field(d, f, v);
	fmt_snprintf(label, sizeof(label), "%s", f->name);
	if (detail_plain(text, f->encoding, v) || detail_by_reason(d, label, text, f->encoding, v))
		emit_detail(d, label, text);
}

static void dump_group(const struct dump *d, enum vmcs_group g)
{
	char line[VMCS_DUMP_LINE_MAX + 1];

	fmt_snprintf(line, sizeof(line), "VMCS group %s", vmcs_group_name(g));
	d->emit(d->ctx, line);
	for (size_t i = 0; i < VMCS_FIELD_COUNT; i++)
		if (vmcs_field_table[i].group == g && d->s->valid[i])
			dump_field(d, i);
}

void vmcs_dump(const struct vmcs_snapshot *s, const char *title, vmcs_dump_emit_fn emit,
	       void *ctx)
{
	static const enum vmcs_group order[] = {
		VMCS_GROUP_CONTROL,
		VMCS_GROUP_GUEST,
		VMCS_GROUP_HOST,
		VMCS_GROUP_READONLY,
	};
	const struct dump d = { s, emit, ctx };
	char line[VMCS_DUMP_LINE_MAX + 1];

	fmt_snprintf(line, sizeof(line), "VMCS dump begin: %s", title ? title : "");
	emit(ctx, line);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		dump_group(&d, order[i]);
	emit(ctx, "VMCS dump end");
}

void vmcs_dump_emit_log(void *ctx, const char *line)
{
	enum log_level level = ctx ? *(const enum log_level *)ctx : LOG_ERROR;

	log_msg(level, "%s", line);
}
