/* The hardware edge of the GDB stub: the UART of gdb=, the guest registers in the VMCS
 * and vcpu, single-step arming, EPT permissions of a page, the preemption timer. Every
 * function runs on the CPU whose VMCS is current (its own vCPU). */
#ifndef VMXRAY_VMX_DEBUG_GDB_HW_H
#define VMXRAY_VMX_DEBUG_GDB_HW_H
#include <stdbool.h>
#include <stdint.h>

#include "vmx/debug/gdb_regs.h"
#include "vmx/decode/guest_walk.h"
#include "vmx/vcpu.h"

/* What the stub keeps per vCPU (indexed by vcpu->index). */
struct gdb_cpu {
	struct gdb_regfile regs;     /* captured at a stop, written back at resume */
	struct gdb_regfile orig;     /* as captured: put back when a write breaks VM entry */
	struct guest_paging paging;  /* for guest-virtual memory of this vCPU */
	bool captured;
	uint32_t parked;             /* atomic: 1 while parked in root mode */
	uint32_t want_snapshot;      /* atomic: the server asks for its VMCS */
	bool step;                   /* gdb asked this vCPU to single-step at resume */
	bool stepping;               /* a step is armed now (TF or MTF) */
	bool guest_tf;               /* the guest's own RFLAGS.TF under the stub's */
	bool pushf;                  /* the stepped instruction is PUSHF: it pushes the stub's TF */
	bool step_over;              /* the armed step re-executes an access to a guarded page */
	uint64_t over_page[2];       /* the pages open for it (an instruction may touch two) */
	unsigned over_pages;
	int over_hit;                /* watchpoint index hit by that access, -1 none */
};

bool gdb_hw_uart_init(uint16_t port);
bool gdb_hw_getc(uint8_t *c);            /* non-blocking */
void gdb_hw_write(const char *s, size_t n); /* raw bytes, bounded waits */

void gdb_hw_regs_capture(struct vcpu *v, struct gdb_cpu *c);
void gdb_hw_regs_writeback(struct vcpu *v, struct gdb_cpu *c);

bool gdb_hw_mtf_allowed(void);
void gdb_hw_step_arm(struct vcpu *v, struct gdb_cpu *c, bool on);

/* Sets the EPT permissions of one 4 KiB guest page (identity), INVEPT here and a new
 * EPT generation for the other CPUs. False when the EPT could not be changed. */
bool gdb_hw_ept_set(uint64_t page, unsigned perms);
/* The permissions a page has without the stub (read-only for the intercepted APIC page). */
unsigned gdb_hw_ept_normal(uint64_t page);

void gdb_hw_timer_set(uint32_t ticks);

#endif
