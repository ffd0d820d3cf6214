/* Root-mode exception dispatch (see arch/exception.h): NMI hook, guarded MSR accesses,
 * panic hook, stop. Hardware edge: runs in root mode. */
#include "arch/exception.h"

#include "arch/cpu.h"
#include "arch/exceptions.h"

extern const char msr_safe_rdmsr_insn[], msr_safe_wrmsr_insn[], xsetbv_safe_insn[], rdpmc_safe_insn[];
extern const char msr_safe_fault[];

static exception_hook_fn g_nmi_hook;
static exception_hook_fn g_panic_hook;

void exception_set_nmi_hook(exception_hook_fn fn)
{
	g_nmi_hook = fn;
}

void exception_set_panic_hook(exception_hook_fn fn)
{
	g_panic_hook = fn;
}

_Noreturn void cpu_stop(void)
{
	for (;;) {
		cpu_cli();
		cpu_hlt();
	}
}


static int guarded_fault(struct exception_frame *f)
{
	if (f->vector != VECTOR_GP)
		return 0;
	if (f->rip == (uint64_t)(uintptr_t)msr_safe_rdmsr_insn ||
	    f->rip == (uint64_t)(uintptr_t)msr_safe_wrmsr_insn ||
	    f->rip == (uint64_t)(uintptr_t)xsetbv_safe_insn || f->rip == (uint64_t)(uintptr_t)rdpmc_safe_insn) {
		f->rip = (uint64_t)(uintptr_t)msr_safe_fault;
		return 1;
	}
	return 0;
}

void arch_exception(struct exception_frame *f)
{
	if (f->vector == VECTOR_NMI && g_nmi_hook) {
		g_nmi_hook(f);
		return;
	}
	if (guarded_fault(f))
		return;
	/* The report (vector, registers, VMCS dump, "this CPU is stopped") is the panic hook's:
	 * arch/ logs nothing itself. vmxray's IDT is live only in root mode after hv_prepare
	 * has set the hook. */
	if (g_panic_hook)
		g_panic_hook(f);
	cpu_stop();
}
