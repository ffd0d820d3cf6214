/* A decoded dump of a struct vmcs_snapshot, one line per field. Pure: lines go to a callback,
 * so host tests capture them; vmcs_dump_emit_log() sends them to the log.
 *
 * Format (parsed by the host log tool; keep it stable). Every line starts with "VMCS ":
 *
 *     VMCS dump begin: <title>
 *     VMCS group <group>
 *     VMCS <NAME> 0x<ENC> = 0x<VALUE>
 *     VMCS   ~ <LABEL>: <decoded text>
 *     VMCS dump end
 *
 * - Groups, in this order: control, guest-state, host-state, exit-information. Each group line
 *   is always there; within a group, the fields the snapshot holds (valid) follow in the order
 *   of vmx/vmcs/vmcs_fields.def. Fields not read are left out.
 * - Field line: <NAME> as in vmx/vmcs/vmcs_fields.def, left-aligned and padded with spaces to 32
 *   columns, then one space; <ENC> is the field's encoding in 4 lower-case hex digits; <VALUE>
 *   is lower-case hex, zero-padded to the field's width: 4 digits for 16-bit fields, 8 for
 *   32-bit, 16 for 64-bit and natural-width fields. Example:
 *       VMCS GUEST_RIP                        0x681e = 0x000000000e1dc5d7
 * - Detail line ("~", after "VMCS" and three spaces): follows the field line it decodes, for
 *   fields with structure: the control fields (set bits by their SDM names, joined by " | "),
 *   EXCEPTION_BITMAP, EPT_POINTER, VM_ENTRY_INTR_INFO_FIELD, VM_EXIT_INTR_INFO,
 *   IDT_VECTORING_INFO_FIELD, GUEST_*_AR_BYTES, GUEST_INTERRUPTIBILITY_INFO,
 *   GUEST_ACTIVITY_STATE, VM_INSTRUCTION_ERROR, VM_EXIT_REASON, and EXIT_QUALIFICATION and
 *   VMX_INSTRUCTION_INFO when the snapshot holds VM_EXIT_REASON. <LABEL> is the field name;
 *   for the last two it is followed by the basic exit reason in parentheses:
 *       VMCS   ~ CPU_BASED_VM_EXEC_CONTROL: Use I/O bitmaps | Use MSR bitmaps
 *       VMCS   ~ GUEST_CS_AR_BYTES: type=0xb S=1 DPL=0 P=1 L=1 D/B=0 G=1
 *       VMCS   ~ EXIT_QUALIFICATION (CR_ACCESS): mov to cr4 from rax
 *   The texts are those of vmx/decode/decode.h. A line never exceeds VMCS_DUMP_LINE_MAX characters:
 *   a longer " | " list continues on further detail lines with the same label (join them
 *   with " | " to get the whole list); any other longer text is cut.
 */
#ifndef VMXRAY_VMX_VMCS_DUMP_H
#define VMXRAY_VMX_VMCS_DUMP_H
#include "vmx/vmcs/vmcs_fields.h"

#define VMCS_DUMP_LINE_MAX 200
#define VMCS_DUMP_NAME_WIDTH 32

/* Receives one whole line, NUL-terminated, without a newline. */
typedef void (*vmcs_dump_emit_fn)(void *ctx, const char *line);

void vmcs_dump(const struct vmcs_snapshot *s, const char *title, vmcs_dump_emit_fn emit,
	       void *ctx);

/* An emit function for the log: ctx points to an enum log_level, or is NULL for LOG_ERROR. */
void vmcs_dump_emit_log(void *ctx, const char *line);

#endif
