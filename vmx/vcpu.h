/* One virtual CPU: everything vmxray keeps per processor, reachable in O(1) from root
 * mode (HOST_GS_BASE points here, and the top slot of the host stack holds this
 * pointer for entry.asm). Pure (no privileged instruction). */
#ifndef VMXRAY_VMX_VCPU_H
#define VMXRAY_VMX_VCPU_H
#include "drivers/log.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/spinlock.h"
#include "vmx/study/recorder.h"
#include "vmx/study/tracering.h"

/* General-purpose registers by their number in SDM Vol. 3C, Table 28-3 ("Exit
 * Qualification for Control-Register Accesses", general-purpose register field):
 * 0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP, 5 RBP, 6 RSI, 7 RDI, 8-15 R8-R15. */
enum gpr {
	GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
	GPR_COUNT,
};

struct guest_regs {
	uint64_t gpr[GPR_COUNT]; /* gpr[GPR_RSP] is unused: RSP lives in GUEST_RSP */
};

#define VCPU_HOST_STACK_SIZE (24 * 1024)
#define VCPU_IST_STACK_SIZE (8 * 1024) /* NMI and double fault, above the host stack */
/* entry.asm finds its vcpu at [HOST_RSP]; HOST_RSP = stack top - this offset
 * (keeps the C handler's stack 16-byte aligned after entry.asm's pushes). */
#define HOST_STACK_VCPU_SLOT_OFFSET 16
#define VCPU_CANARY "VMXRAY-CANARY-7f3a"
#define VMX_EXIT_REASON_SLOTS 80
#define VCPU_IO_PORT_SLOTS 8
/* Qualification bits 31:16 port, 4 string, 3 direction (1 = IN), 2:0 size (SDM Vol. 3C,
 * Table 28-5 "Exit Qualification for I/O Instructions"). Bits 15:5 of a masked qualification
 * are 0, so IO_FAST_NONE never matches one. */
#define IO_QUAL_FAST_MASK 0xFFFF001Fu
#define IO_FAST_NONE 0xFFFFFFFFu
#define VCPU_IO_PORT_OTHER 0x10000u

struct hv;

/* The firmware's state as vmx_cpu_launch found it, before VMXON: what vmx_cpu_fail_open
 * restores when the very first VM entry fails, so that the firmware continues at the
 * resume point as if the launch call had returned an error (vmx/launch/launch_hw.c). */
struct fw_state {
	/* Loaded by vmx_firmware_resume (vmx/exit/entry.asm; offsets in boot/asm_offsets.c). */
	uint64_t rip, rsp, rflags;  /* the resume point: GUEST_RIP/RSP/RFLAGS as first written */
	uint64_t rax;               /* what the firmware finds in RAX there: an error status */
	uint64_t cs, ss;
	/* Restored in C. */
	uint64_t ds, es, fs, gs;
	uint64_t fs_base, gs_base;  /* IA32_FS_BASE, IA32_GS_BASE */
	uint64_t cr3, cr4, dr7, debugctl;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t gdt_base, idt_base;
	uint16_t gdt_limit, idt_limit, ldtr, tr;
	uint32_t *launch_count;     /* decremented when the launch fails open (may be NULL) */
};

struct vcpu {
	struct vcpu *self;          /* first: GS:[0] in root mode */
	struct guest_regs regs;
	uint64_t launched;          /* 0 until the first VMLAUNCH succeeds (read by entry.asm) */
	uint32_t index;             /* 0 = the processor vmxray started on */
	uint32_t apic_id;
	struct hv *hv;

	void *vmxon_region;         /* 4 KiB each, in the reservation; phys == virt */
	void *vmcs_region;
	uint8_t *host_stack;        /* VCPU_HOST_STACK_SIZE bytes */
	void *host_gdt;             /* struct host_tables, see arch/desc.h */

	/* The guest state at this exit, read once by the dispatcher (vmx/exit/exit.c): the
	 * recorder and vcpu_skip_instruction use these instead of VMREADs. */
	struct {
		uint64_t rip, rflags;
		uint32_t len, intr;     /* VM_EXIT_INSTRUCTION_LEN, GUEST_INTERRUPTIBILITY_INFO */
	} at_exit;
	uint32_t injected;          /* VM_ENTRY_INTR_INFO_FIELD as vmxray wrote it in this exit */
	/* IA32_VMX_CR0/CR4_FIXED0/1 as the CR-access exit applies them (cr0_fixed0 without PE
	 * and PG: unrestricted guest), set with the CR masks (vmx/launch/vmcs_setup_hw.c). */
	struct {
		uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	} cr_fixed;
	uint64_t xcr0_supported;    /* CPUID.(EAX=0DH,ECX=0):EDX:EAX, for the XSETBV exit */
	struct recorder_entry *rec_cur; /* this exit's recorder entry (NULL: recorder off) */
	bool break_state;           /* test=bad-resume-state fires after this exit */

	/* Everything optional or pending an exit may have to do, in one word that the exit
	 * fast path (vmx/exit/entry.asm) tests once: while it is nonzero every exit takes the
	 * whole path of vmx/exit/exit.c. Each part keeps its own name and type in C. */
	union {
		uint64_t fast_off;
		struct {
			bool exit_slow;     /* recorder on, or trace/dump/check/test (boot/config.c) */
			/* NMIs held for the guest, 0 to 2 (vmx/policy/nmi_source.h, nmi_held_add):
			 * deliver them. Atomic accesses (root mode's NMI handler adds to it). */
			uint8_t nmi_pending;
			/* Another CPU changed the EPT (vmx_ept_changed): INVEPT on the whole path.
			 * Atomic accesses only. */
			uint8_t ept_stale;
			/* This CPU queued serial-log bytes in this exit: at its end, drain and
			 * arm its VMX-preemption timer (vmx/exit/exit_ulog.c). Atomic accesses. */
			bool log_backlog;
			/* INIT and SIPI sent in software (vmx/exit/exit_apic.c): written by the
			 * sending CPU, taken by this one. Atomic accesses only. */
			uint32_t init_pending; /* an INIT waits: enter the INIT state, wait for a SIPI */
		};
	};
	uint64_t ept_generation;    /* hv.ept_generation at this CPU's last INVEPT */

	uint32_t sipi_vector;       /* SIPI_LATCHED | vector: the first SIPI since the INIT */
	uint32_t wait_sipi;         /* 1 while this CPU waits for a SIPI in root mode */
	uint32_t kick_pending;      /* an NMI was sent to make this CPU exit: not the guest's */
	uint32_t soft_nmis;         /* the guest's NMI IPIs to this CPU, counted by their senders
				     * (ipi=soft) and taken at this CPU's next NMI (vmx/policy/nmi_source.h) */
	uint32_t apic_id_now;       /* this CPU's APIC ID as it is now (the guest may write the
				     * xAPIC ID): whom soft IPIs and kicks target; apic_id
				     * stays the launch-time name in log lines */
	/* Counted by the CPU they happen on. */
	uint64_t soft_inits, soft_sipis; /* INITs and SIPIs this CPU received in software */
	uint64_t apic_writes;       /* guest writes to the local APIC page emulated here */
	uint64_t ipis_sent;         /* INIT/SIPI/NMI IPIs this CPU's guest sent, handled in software */
	uint64_t ipis_outside;      /* ... and sent from root mode to a processor vmxray does not run on */
	struct fw_state fw;         /* restored if the first entry fails */
	/* intercept= (vmx/exit/exit_intercept_event.c, exit_intercept_ept.c): external
	 * interrupts acknowledged at a VM exit and not delivered yet (bit per vector), and the
	 * EPT pages whose permission is given back while one instruction steps (an access
	 * may touch two pages). */
	uint64_t extint_pending[4];
	uint64_t ept_open[2];
	unsigned ept_open_count;
	uint64_t ept_range_exits;   /* accesses to the range that exited (STATS intercept_ept) */
	/* The single step armed now (vmx/exit/step_hw.c): who wants it (STEP_BY_*, 0: none),
	 * how, and the guest state it set aside. */
	struct vcpu_step {
		uint8_t owners;
		uint8_t insn;         /* enum step_insn */
		bool tf;              /* by RFLAGS.TF (else the monitor trap flag) */
		bool nmi_added;       /* the step blocked NMIs */
		bool sti_added;       /* MTF: the step added blocking by STI */
		bool iopl_ok;         /* CPL <= IOPL at arm time */
		uint32_t bitmap;      /* the exception bitmap before the step */
		uint64_t rflags;      /* the guest's RFLAGS at arm time (its TF and IF) */
		uint64_t rip;         /* RIP at arm time (a PUSHF that faulted stored nothing) */
		bool slow_before;     /* exit_slow before the step forced the whole path */
	} step;

	/* Statistics: exits by basic reason, and the cycles spent in them. */
	uint64_t exit_count[VMX_EXIT_REASON_SLOTS];
	uint64_t exits_total;       /* exits that took the whole path (vmx_exit_handler): the
				     * sequence numbers of trace lines and the recorder */
	/* I/O exits by the first port of the access and direction (STATS port lines): which
	 * intercepted port the guest's I/O hits, and how often (docs/ARCHITECTURE.md). */
	struct vcpu_io_port {
		uint32_t port;      /* VCPU_IO_PORT_OTHER: every port past the table's end */
		uint64_t in, out;
	} io_port[VCPU_IO_PORT_SLOTS];
	uint8_t io_port_last;       /* the slot of the last I/O exit: tried first */
	/* The one IN ([1]) and one OUT ([0]) that vmx/exit/entry.asm completes by itself: an
	 * exit qualification masked with IO_QUAL_FAST_MASK (port, string, direction, size;
	 * IO_FAST_NONE: none), which the C path stores after it has done such an access and
	 * found that no value of it needs a decision (io_fast_allowed, vmx/exit/exit_io.c),
	 * and the offset in this struct of the io_port counter it adds to. */
	uint32_t io_fast_qual[2];
	uint32_t io_fast_count[2];
	uint16_t trace_budget[VMX_EXIT_REASON_SLOTS]; /* trace lines left in this window, per reason */
	uint64_t trace_window_tsc;
	uint64_t trace_dropped;
	struct recorder recorder;   /* the last exits (hv.cfg.recorder_depth) */
	/* Traces in memory (vmx/exit/trace_hw.c): this exit's record while it is built, the
	 * ring it goes to, and the lock that readers on other CPUs take. */
	struct trace_record trace_cur;
	uint64_t trace_t0;          /* TSC at the start of the whole path */
	bool trace_open;            /* trace_cur goes into the ring after the handler */
	struct spinlock trace_lock;
	struct tracering trace;

	char canary[24];            /* VCPU_CANARY: the in-guest test looks for it */
	struct log_budget log_budget; /* what this CPU's current exit may still log (drivers/log.h) */
};

_Static_assert(offsetof(struct vcpu, self) == 0, "GS:[0] must be the vcpu's own address");
_Static_assert(offsetof(struct vcpu, init_pending) + sizeof(uint32_t) <= offsetof(struct vcpu, fast_off) + 8 &&
		       offsetof(struct vcpu, fast_off) % 8 == 0,
	       "exit_slow, nmi_pending and init_pending must lie in the one aligned word entry.asm tests");

/* The vcpu of the CPU running this code, in root mode only (HOST_GS_BASE = the vcpu). */
static inline struct vcpu *vcpu_current(void)
{
	struct vcpu *v;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(v));
	return v;
}

#endif
