/* The hardware edge of the GDB stub: the UART of gdb=, the guest registers in the VMCS
 * and vcpu, single-step arming, EPT permissions of a page, the preemption timer. Every
 * function runs on the CPU whose VMCS is current (its own vCPU). */
#ifndef VMXRAY_VMX_DEBUG_GDB_HW_H
#define VMXRAY_VMX_DEBUG_GDB_HW_H
#include <stdbool.h>
#include <stdint.h>

#include "vmx/debug/gdb_stub.h"
#include "vmx/decode/guest_walk.h"
#include "vmx/vcpu.h"

bool gdb_hw_uart_init(uint16_t port);

void gdb_hw_regs_capture(struct vcpu *v, struct gdb_cpu *c);
void gdb_hw_regs_writeback(struct vcpu *v, struct gdb_cpu *c);

/* The stub's step on or off (vmx/exit/step_hw.c does it; intercept=ept may share it). */
void gdb_hw_step_arm(struct vcpu *v, struct gdb_cpu *c, bool on);

/* gdb_edge_ept_set (gdb_stub.h) sets the EPT permissions of one 4 KiB guest page
 * (identity), INVEPT here and a new EPT generation for the other CPUs;
 * gdb_edge_ept_normal is what a page has without the stub (read-only for the
 * intercepted APIC page). gdb_edge_getc/gdb_edge_write are the UART of gdb=. */

void gdb_hw_timer_set(uint32_t ticks);

#endif
