/* The GDB stub split in two: the protocol core (vmx/debug/gdb_stub.c, pure: packets,
 * registers as gdb sees them, memory through the selected vCPU's page tables,
 * breakpoint and watchpoint bookkeeping, monitor commands, catchpoint matching) and
 * the hardware edge (vmx/debug/gdb_stub_hw.c: the all-stop over vCPUs, the exit
 * handlers; vmx/debug/gdb_hw.c: VMCS, UART, EPT). The core calls the edge only through
 * the gdb_edge_* functions below, so tests/unit/test_gdb_stub.c runs every command on
 * the host against a fake vCPU set, a fake UART and fake guest memory. */
#ifndef VMXRAY_VMX_DEBUG_GDB_STUB_H
#define VMXRAY_VMX_DEBUG_GDB_STUB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmx/debug/gdb_packet.h"
#include "vmx/debug/gdb_regs.h"
#include "vmx/decode/guest_walk.h"

#define GDB_CPUS_MAX 64   /* HV_MAX_CPUS (checked in gdb_stub_hw.c) */
#define GDB_BP_MAX 16
#define GDB_SIGINT 2
#define GDB_SIGTRAP 5

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
	bool step_over;              /* the armed step re-executes an access to a guarded page */
	uint64_t over_page[2];       /* the pages open for it (an instruction may touch two) */
	unsigned over_pages;
	int over_hit;                /* watchpoint index hit by that access, -1 none */
};
extern struct gdb_cpu gdb_cpus[GDB_CPUS_MAX];

struct gdb_bp {
	bool used;
	unsigned type;  /* Z type: 0/1 execute, 2 write, 3 read, 4 access */
	uint64_t addr, len, gpa;
};

/* The exit a catchpoint looks at. */
struct gdb_exit_info {
	uint32_t basic;
	uint64_t qual, rax, rcx;
};

/* ---- the core (pure) ---- */
void gdb_core_reset(void);
bool gdb_core_attached(void);
int gdb_core_step_cpu(void);              /* the vCPU gdb asked to step, -1 none */
void gdb_core_step_cpu_clear(void);
void gdb_core_select(unsigned cpu);      /* a stop: Hg/Hc select the vCPU that stopped */
void gdb_core_stop_reply_set(unsigned cpu, unsigned sig, const char *extra);
void gdb_core_send_stop_reply(void);
void gdb_core_send_console(const char *text);
/* Waits for packets and answers them until one resumes the guest. have_packet: one
 * whole packet already lies in the receiver (seen while polling). */
void gdb_core_serve(unsigned self, bool have_packet);
/* One packet already parsed; true when the guest resumes. */
bool gdb_core_handle(unsigned self, struct gdb_cmd *cmd);
/* The packet the receiver holds (after GDB_POLL_PACKET), parsed and handled. */
bool gdb_core_handle_received(unsigned self);
/* While the guest runs: bytes from the wire, at most 64. */
enum gdb_poll { GDB_POLL_NONE, GDB_POLL_PACKET, GDB_POLL_INTR };
enum gdb_poll gdb_core_poll(void);

/* Memory of vCPU `cpu` as gdb addresses it (guest-virtual, or guest-physical after
 * "monitor mem phys"); vmxray's pages refused. Returns the bytes done, a prefix. */
size_t gdb_core_mem_copy(unsigned cpu, uint64_t addr, uint8_t *buf, size_t n, bool write);

/* Breakpoints: whether a page holds any, the permissions it gets with them. */
bool gdb_core_page_guarded(uint64_t page);
unsigned gdb_core_page_perms(uint64_t page);

/* An EPT violation at gpa on a guarded page. */
enum gdb_ept_verdict {
	GDB_EPT_NOT_OURS,   /* no breakpoint on that page */
	GDB_EPT_STOP,       /* an execute breakpoint: stop, with extras for the stop reply */
	GDB_EPT_STEP_OVER,  /* another access: the page is open now; step one instruction */
};
enum gdb_ept_verdict gdb_core_ept_access(unsigned cpu, bool fetch, bool read, bool write, uint64_t rip,
					 uint64_t gpa, const char **extra);
/* A step finished on `cpu`: guarded pages go back; true when the guest stops (extra:
 * the stop reply's extras, a watchpoint's). */
bool gdb_core_step_finished(unsigned cpu, char *extra, size_t cap);

/* Single-step policy (interrupt blocking, the guest's #DB bits, Bochs's stale pending
 * #DB, PUSHF/POPF/IRET): vmx/policy/step.h, shared with intercept=ept. */

/* Whether an exit is the armed catchpoint's (then disarmed), and its value. */
bool gdb_core_catch_armed(void);
bool gdb_core_catch_take(const struct gdb_exit_info *e, uint64_t *val);

/* ---- the edge (gdb_stub_hw.c, gdb_hw.c; faked by the unit test) ---- */
bool gdb_edge_getc(uint8_t *c);                 /* non-blocking */
void gdb_edge_write(const char *s, size_t n);   /* raw bytes */
void gdb_edge_pause(void);
unsigned gdb_edge_cpu_count(void);
bool gdb_edge_cpu_alive(unsigned cpu);          /* launched: a gdb thread */
/* Guest-physical memory for the host: NULL for vmxray's own pages and beyond the
 * identity map (the stub never reaches the scratch page that stands in for them). */
volatile uint8_t *gdb_edge_gpa(uint64_t gpa);
bool gdb_edge_page_unguardable(uint64_t page);  /* vmxray's own, or the intercepted APIC page */
unsigned gdb_edge_ept_normal(uint64_t page);
bool gdb_edge_ept_set(uint64_t page, unsigned perms);
/* monitor commands that read hardware state: lines through emit. */
typedef void (*gdb_emit_fn)(const char *line);
void gdb_edge_mon_vmcs(unsigned self, unsigned cpu, gdb_emit_fn emit);
void gdb_edge_mon_stats(gdb_emit_fn emit);
void gdb_edge_mon_ept(uint64_t addr, uint64_t gpa, gdb_emit_fn emit);
void gdb_edge_detached(void);                   /* log it */

#endif
