/* vmxray's GDB remote stub (gdb=PORT): the hooks the rest of the hypervisor calls.
 * With gdb= absent every hook is a test of g_gdb_on (or is never reached: the exits
 * it handles are not enabled), and the fast exit path is unchanged.
 *
 * How it works (the protocol in vmx/debug/gdb_stub.c, pure; the all-stop and these
 * hooks in gdb_stub_hw.c; VMCS, UART and EPT in gdb_hw.c): all-stop over every vCPU.
 * The vCPU that stops (a breakpoint, a finished step, a caught exit, Ctrl-C or a
 * packet seen while polling) becomes the one that talks to gdb; it kicks the others
 * with an NMI (vcpu_kick), and they park in root mode with their registers copied
 * out. The wire is polled at the VMX-preemption timer's exits, so a guest that takes
 * no exits still sees Ctrl-C within one timer period. Single steps use RFLAGS.TF and
 * an intercepted #DB (vmx/debug/gdb_hw.c, GDB_STEP_MTF). */
#ifndef VMXRAY_VMX_DEBUG_GDB_H
#define VMXRAY_VMX_DEBUG_GDB_H
#include <stdbool.h>
#include <stdint.h>

#include "vmx/exit/exit.h"
#include "vmx/hv.h"

extern bool g_gdb_on; /* gdb= given and the stub ready */

/* Before launch (hv_prepare): the UART, the preemption-timer controls. Logs and turns
 * the stub off when the port does not answer or the CPU lacks the timer. */
void gdb_prepare(struct hv *hv);
/* Per vCPU at launch, after its controls are written: the timer value (0 on the BSP
 * with gdb_wait=on: it stops before its first guest instruction). */
void gdb_vcpu_launch(struct vcpu *v);

/* From vmx/exit.c's slow path (v->exit_slow): park for an all-stop, or stop at a caught
 * exit. */
void gdb_exit_before(struct vcpu *v, struct vmexit *e);
/* From exit_ept_violation: true when the violation was a breakpoint's or watchpoint's. */
bool gdb_ept_violation(struct vcpu *v, struct vmexit *e, uint64_t gpa);

/* The 8 ports of gdb='s UART: intercepted in the I/O bitmap. The guest finds a silent
 * UART there (transmitter always empty, nothing ever received) and its writes are
 * dropped, so it can neither steal nor inject packets. All ones (no device) would not
 * do: a firmware that already bound the port reads LSR = 0xFF as "data ready" forever. */
extern uint16_t g_gdb_port; /* the first of them (hv.cfg.gdb_port once the stub is on) */
static inline bool gdb_port_hidden(uint16_t port)
{
	return (uint16_t)(port - g_gdb_port) < 8;
}
uint32_t gdb_port_read(uint16_t port, unsigned bytes);

/* Exit handlers (the table in vmx/exit.c). */
void exit_preemption_timer(struct vcpu *v, struct vmexit *e);

#endif
