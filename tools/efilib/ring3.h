/* Runs a short code sequence at CPL 3 from an EFI application (which runs at CPL 0)
 * and reports the exception that brought the CPU back.
 *
 * For the duration of one run it installs: a copy of the current GDT with a 64-bit
 * user code segment, a user data segment and a TSS (RSP0) appended; identity page
 * tables for the first 4 GiB with U/S = 1 (the firmware's map is supervisor-only),
 * the rest of the address space as the firmware maps it; CR4.SMEP/SMAP/PGE cleared.
 * All of it is restored before ring3_run() returns, except TR when it held nothing that
 * LTR can load again (e.g. 0, as OVMF leaves it): TR then keeps a TSS of ours, which
 * stays allocated. */
#ifndef VMXRAY_TOOLS_EFILIB_RING3_H
#define VMXRAY_TOOLS_EFILIB_RING3_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/efilib/probe.h"

struct ring3_result {
	int vector;               /* PROBE_NO_FAULT never happens: the code ends in UD2 */
	struct probe_fault fault; /* CS here has RPL 3 when the exception came from CPL 3 */
	bool restored;            /* false: TR could not be put back, see restore_error */
	bool tr_kept;             /* TR (tr_before) was not a loadable TSS: TR keeps ours */
	uint16_t tr_before;
	char restore_error[96];
};

/* Runs `code` (ring3_code_* from probe.asm) at CPL 3 with RAX = rax. Returns false,
 * with the reason in why, when the CPL-3 environment could not be built (report SKIP);
 * true when the code ran (res filled, res->restored says whether all came back). */
bool ring3_run(const char *code, uint64_t rax, struct ring3_result *res, char *why, size_t why_len);

#endif
