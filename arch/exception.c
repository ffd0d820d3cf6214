/* Root-mode exception policy (see arch/exception.h). Hardware edge: runs in root mode. */
#include "arch/exception.h"

#include "arch/cpu.h"
#include "arch/exceptions.h"
#include "drivers/log.h"

extern const char msr_safe_rdmsr_insn[], msr_safe_wrmsr_insn[], xsetbv_safe_insn[];
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
	    f->rip == (uint64_t)(uintptr_t)xsetbv_safe_insn) {
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
	/* "#DE divide error", "NMI", "reserved 15", "reserved" (arch/exceptions.def) */
	const char *mnemonic = exception_mnemonic(f->vector & 31);
	const char *description = exception_description(f->vector & 31);
	if (!description)
		description = "reserved";
	const char *sep = mnemonic && description[0] ? " " : "";
	log_error("root-mode exception %lu (%s%s%s) error code 0x%lx at rip 0x%lx", f->vector,
		  mnemonic ? mnemonic : "", sep, description, f->error_code, f->rip);
	log_error("  rax %016lx rbx %016lx rcx %016lx rdx %016lx", f->rax, f->rbx, f->rcx, f->rdx);
	log_error("  rsi %016lx rdi %016lx rbp %016lx rsp %016lx", f->rsi, f->rdi, f->rbp, f->rsp);
	log_error("  r8  %016lx r9  %016lx r10 %016lx r11 %016lx", f->r8, f->r9, f->r10, f->r11);
	log_error("  r12 %016lx r13 %016lx r14 %016lx r15 %016lx", f->r12, f->r13, f->r14, f->r15);
	log_error("  cs %lx ss %lx rflags %016lx cr2 %016lx cr3 %016lx", f->cs, f->ss, f->rflags,
		  cpu_read_cr2(), cpu_read_cr3());
	if (g_panic_hook)
		g_panic_hook(f);
	log_error("this CPU is stopped (interrupts off, halted)");
	cpu_stop();
}
