/* The report of an exception in root mode (arch/exception.c's panic hook): vector,
 * registers, the VMCS and flight recorder of this CPU; then arch/ stops the CPU. Hardware
 * edge: reads CR2/CR3 and the current VMCS. */
#include "arch/cpu.h"
#include "arch/exception.h"
#include "arch/exceptions.h"
#include "drivers/log.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/ulog.h"
#include "vmx/hv.h"

static void report_frame(const struct exception_frame *f)
{
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
}

void vmx_root_panic(const struct exception_frame *f)
{
	report_frame(f);
	vmx_dump_current(vcpu_current(), "root-mode exception");
	log_error("this CPU is stopped (interrupts off, halted)");
	ulog_flush_forced(&g_ulog); /* no exit of this CPU will drain it any more */
}
