/* gdbtarget: the in-guest program that tests/integration/90-gdb.sh debugs with gdb
 * through vmxray's GDB stub (gdb=). It tells the debugger where to look with one CPUID
 * of leaf GDBTARGET_LEAF (gdb catches that exit: "monitor catch cpuid 0x6db7a6e7"):
 * RDI = the address of gdbtarget_work, RSI = the address of the watched counter, RDX =
 * the address of `release`, R8 = gdbtarget_tf_mark. Then it calls gdbtarget_work(5),
 * bumps the counter, single-steps itself once (POPFQ sets its own TF; its #DB,
 * caught by the probe's IDT, comes after the instruction at gdbtarget_tf_mark), and
 * spins without a single VM exit until gdb writes `release` (or a bound passes).
 *
 * What it prints shows what the guest saw of the debugger:
 *   gdbtarget: result=R          2 * the argument gdbtarget_work saw (10 untouched)
 *   gdbtarget: code_first_byte=0xXX unchanged=1   its own code, read while a breakpoint
 *                                is set on it: no INT3 in memory
 *   gdbtarget: tf_seen=0         RFLAGS.TF as PUSHF saw it inside the stepped function
 *   gdbtarget: own_db=#DB mark+1 its own single-step trap, after the one instruction at
 *                                the mark (what a bare CPU gives; gdb steps that
 *                                instruction too)
 *   gdbtarget: released=N spins=S
 *   gdbtarget: done */
#include <efi.h>
#include <efilib.h>
#include <stdarg.h>
#include <stdint.h>

#include "drivers/fmt.h"
#include "tools/efilib/probe.h"

#define GDBTARGET_LEAF 0x6db7a6e7u
#define GDBTARGET_SPIN_MAX 400000000ULL

volatile uint64_t gdbtarget_counter;
volatile uint64_t gdbtarget_release;
volatile uint64_t gdbtarget_tf;

static void say(const char *fmt, ...)
{
	char line[160];
	va_list ap;
	va_start(ap, fmt);
	fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	Print(L"gdbtarget: %a\n", line);
}

__attribute__((noinline)) uint64_t gdbtarget_work(uint64_t x)
{
	uint64_t fl;
	__asm__ volatile("pushfq\n\tpopq %0" : "=r"(fl));
	gdbtarget_tf |= fl & (1u << 8);
	return 2 * x;
}

/* The guest's own single step: POPFQ sets TF, so the trap comes after the instruction
 * that follows it, the one at gdbtarget_tf_mark (SDM Vol. 3A, "Single-Step Exception
 * Condition"). Run under probe_call: its IDT catches the #DB and clears TF. */
extern const char gdbtarget_tf_mark[];
__attribute__((noinline)) void gdbtarget_own_step(void *arg)
{
	(void)arg;
	__asm__ volatile("pushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n\t"
			 ".globl gdbtarget_tf_mark\n"
			 "gdbtarget_tf_mark:\n\tnop\n\tnop\n\tnop\n\tnop"
			 ::: "memory", "cc");
}

static void announce(void)
{
	uint32_t a = GDBTARGET_LEAF, b, c = 0, d;
	register uint64_t r8 __asm__("r8") = (uint64_t)(uintptr_t)gdbtarget_tf_mark;
	__asm__ volatile("cpuid"
			 : "+a"(a), "=b"(b), "+c"(c), "=d"(d)
			 : "D"((uint64_t)(uintptr_t)gdbtarget_work), "S"((uint64_t)(uintptr_t)&gdbtarget_counter),
			   "d"((uint64_t)(uintptr_t)&gdbtarget_release), "r"(r8)
			 : "memory");
}

static void own_step(void)
{
	int r = probe_call(gdbtarget_own_step, NULL);
	long off = (long)(probe_fault_info.rip - (uint64_t)(uintptr_t)gdbtarget_tf_mark);
	if (r == VECTOR_DB)
		say("own_db=#DB mark+%ld", off);
	else
		say("own_db=%s", r == PROBE_NO_FAULT ? "none" : probe_vector_name(r));
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	InitializeLib(image, st);
	say("start work=0x%lx counter=0x%lx", (uint64_t)(uintptr_t)gdbtarget_work,
	    (uint64_t)(uintptr_t)&gdbtarget_counter);
	announce();
	uint8_t first = *(volatile uint8_t *)(uintptr_t)gdbtarget_work;
	uint64_t (*volatile work)(uint64_t) = gdbtarget_work; /* no constant folding: x arrives in RDI */
	uint64_t r = work(5);
	gdbtarget_counter = gdbtarget_counter + 1;
	probe_init();
	own_step();
	say("result=%lu", r);
	say("code_first_byte=0x%x unchanged=%d", first, first != 0xCC);
	say("tf_seen=%lu", gdbtarget_tf >> 8);
	say("spinning");
	uint64_t n = 0;
	while (!gdbtarget_release && n < GDBTARGET_SPIN_MAX)
		n++;
	say("released=%lu spins=%lu", gdbtarget_release, n);
	say("done");
	return EFI_SUCCESS;
}
