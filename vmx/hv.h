/* The hypervisor's global state: one struct, in the relocated image's .data (inside
 * the reservation). Written before launch; after launch read by every CPU and written
 * only under hv.lock (EPT changes) or per-CPU. Pure. */
#ifndef VMXRAY_VMX_HV_H
#define VMXRAY_VMX_HV_H
#include <stdbool.h>
#include <stdint.h>

#include "arch/memory.h"
#include "arch/mtrr.h"
#include "arch/spinlock.h"
#include "ept/ept.h"
#include "vmx/caps/caps.h"
#include "vmx/policy/trace_filter.h"
#include "vmx/vcpu.h"

#define HV_MAX_CPUS 64
#define HV_MAX_APIC_IDS 512 /* processors the MADT may list (boot/madt.h, MADT_MAX_IDS) */
#define HV_OWNED_MAX 4

/* Settings the hypervisor part takes from the options (boot/ parses them). */
struct hv_config {
	uint64_t trace_mask[2];   /* bit per basic exit reason: trace it */
	uint8_t trace_out;        /* enum trace_out: records, EXIT lines, both, stream */
	bool trace_lines;         /* EXIT lines wanted (trace_out=serial or both) */
	uint32_t tracebuf_kib;    /* the trace ring per CPU (vmx/exit/trace_hw.c) */
	struct trace_filter trace_filter;
	uint64_t dump_mask[2];    /* bit per basic exit reason: dump the VMCS on it */
	uint32_t dump_count[VMX_EXIT_REASON_SLOTS]; /* dumps left per reason */
	bool check_every_entry;
	bool exit_slow;           /* any of trace, dump, check, test: the dispatcher's slow path */
	bool caps_full;           /* caps=full: every control bit in the capability matrix */
	bool ipi_hardware;        /* ipi=hardware: INIT and SIPI reach the processors (no APIC-page intercept) */
	uint32_t recorder_depth;
	uint32_t test_flags;      /* HV_TEST_*: test-only fault injection */
	uint16_t gdb_port;        /* gdb=: the GDB stub's UART (0: off; vmx/debug/gdb.h) */
	bool gdb_wait;            /* gdb_wait=on: the guest waits for gdb at launch */
	uint16_t log_port;        /* serial=: the log's UART, never the stub's */
	bool user_hypercalls;     /* user_hypercalls=on: CPL 3 may make the read-only hypercalls */
	/* intercept= (vmx/policy/intercept.h, struct intercept_set): */
	uint32_t intercept_rows;  /* bit per enum intercept_id: named; at launch, the rows set */
	uint32_t intercept_rows_all; /* the rows `all` asked for, where the CPU can */
	uint32_t intercept_exceptions; /* exception bitmap vectors */
	uint8_t intercept_ept;    /* INTERCEPT_EPT_WRITE or _EXEC, 0 = none */
	uint64_t intercept_ept_first, intercept_ept_last;
};

#define HV_TEST_BAD_GUEST_STATE (1u << 0) /* break the guest state before VMLAUNCH */
#define HV_TEST_ROOT_EXCEPTION (1u << 1)  /* take a #UD in root mode on the first VMCALL 0x7E57 */
#define HV_TEST_BAD_RESUME_STATE (1u << 2) /* break the guest state after VMCALL 0x7E57 */
#define HV_TEST_UNEXPECTED_EXIT (1u << 3)  /* set RDPMC exiting, which has no handler */
#define HV_TEST_FEATURE_CONTROL_LOCKED (1u << 4) /* act as if IA32_FEATURE_CONTROL were locked, VMX off */
#define HV_TEST_NO_MEMORY (1u << 5)        /* cut the page pool to HV_TEST_NO_MEMORY_PAGES */
#define HV_TEST_NO_MEMORY_PAGES 4

struct hv {
	struct vmx_caps caps;
	struct vmx_ctrl_request req;
	struct vmx_controls ctls;
	struct hv_config cfg;

	struct page_pool pool;
	struct mem_map ram;                  /* guest RAM (from the UEFI memory map) */
	struct mem_range owned[HV_OWNED_MAX]; /* what the guest may not touch */
	unsigned owned_count;

	uint64_t host_cr3;
	uint8_t *msr_bitmap;                 /* 4 KiB, SDM Vol. 3C 25.6.9 "MSR-Bitmap Address" */
	uint8_t *io_bitmap_a, *io_bitmap_b;  /* 4 KiB each, 25.6.4 "I/O-Bitmap Addresses" */
	uint8_t *scratch_page;               /* what an owned page turns into for the guest */
	uint16_t pm1a_cnt;                   /* ACPI PM1a control port (0: unknown) */
	uint64_t apic_base;                  /* the local APIC page (IA32_APIC_BASE at start) */
	bool apic_intercept;                 /* guest writes to it exit (vmx/exit/exit_apic.c) */

	struct ept ept;
	struct ept_alloc ept_alloc;          /* over pool, for splits after launch */
	uint64_t eptp;
	uint64_t ept_generation;             /* bumped on every EPT change; CPUs INVEPT when theirs is older */
	struct mtrr_state mtrr;
	struct spinlock lock;

	unsigned cpu_count;
	struct vcpu *vcpu[HV_MAX_CPUS];
	/* Every processor's APIC ID from the ACPI MADT (boot/madt.h; none without one): the
	 * ones outside vcpu[] get the guest's broadcast INIT, SIPI and NMI from root mode
	 * (vmx/policy/ipi_fanout.h). */
	uint32_t madt_apic_id[HV_MAX_APIC_IDS];
	unsigned madt_apic_ids;
	uint64_t owned_violations;           /* guest accesses to owned memory */
	uint64_t other_violations;           /* EPT violations anywhere else */
	bool vpid;                           /* VPID in use (VPID = CPU index + 1) */
	bool invept_single;
};

extern struct hv g_hv;

#endif
