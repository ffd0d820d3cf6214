/* One traced VM exit as a fixed-size binary record (traces in memory, issue 21), its
 * compact text form for the serial log (TRACE lines, docs/LOGFORMAT.md), and the reason's
 * own details taken from the guest registers around the handler. Pure, freestanding:
 * shared by the hypervisor (vmx/exit/trace_hw.c), hvctl (TRACE_READ hands these records to
 * the guest as they are) and vmxlog (which decodes the TRACE lines).
 *
 * The layout is ABI (vmx/policy/hypercall_abi.h, VMXRAY_HC_TRACE_READ): 64 bytes,
 * little-endian, fields at fixed offsets. */
#ifndef VMXRAY_VMX_STUDY_TRACE_RECORD_H
#define VMXRAY_VMX_STUDY_TRACE_RECORD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_RECORD_BYTES 64
#define TRACE_DETAIL_WORDS 3

/* flags */
#define TRACE_F_ENTRY_FAILURE 0x01 /* bit 31 of the exit reason */
#define TRACE_F_CYCLES_CAPPED 0x02 /* cycles saturated at 0xFFFFFFFF */

/* io.flags */
#define TRACE_IO_IN 0x01
#define TRACE_IO_STRING 0x02
#define TRACE_IO_REP 0x04

/* The reason's own details; which member applies follows from the basic reason
 * (trace_detail_kind). Words are what the text form carries. */
union trace_detail {
	uint64_t word[TRACE_DETAIL_WORDS];
	struct { uint32_t leaf, subleaf, eax, ebx, ecx, edx; } cpuid;  /* outputs as the guest got them */
	struct { uint32_t msr, pad; uint64_t value; } msr;              /* the value read or written */
	struct { uint16_t port; uint8_t size, flags; uint32_t value; uint64_t count; } io; /* count: RCX of a REP string */
	struct { uint8_t cr, access, gpr, pad[5]; uint64_t value; } cr; /* access: 0 mov-to 1 mov-from 2 clts 3 lmsw */
	struct { uint32_t index, pad; uint64_t value; } xsetbv;
	struct { uint64_t function; int64_t status; } vmcall;
	struct { uint64_t gpa; } ept;                                  /* GUEST_PHYSICAL_ADDRESS */
};

struct trace_record {
	uint32_t seq;      /* this CPU's record number, low 32 bits (the ring cursor) */
	uint16_t reason;   /* basic exit reason */
	uint8_t cpu;       /* vmxray's CPU index */
	uint8_t flags;     /* TRACE_F_* */
	uint64_t qual;     /* EXIT_QUALIFICATION (0 where the reason defines none) */
	uint64_t rip;      /* guest RIP at the exit */
	uint64_t tsc;      /* the guest's TSC at the exit: host TSC + TSC offset */
	uint32_t cycles;   /* root-mode TSC ticks spent on this exit (docs/ARCHITECTURE.md) */
	uint32_t injected; /* VM-entry interruption information vmxray wrote (0: none) */
	union trace_detail detail;
};

_Static_assert(sizeof(struct trace_record) == TRACE_RECORD_BYTES, "the record layout is ABI");
_Static_assert(sizeof(union trace_detail) == 8 * TRACE_DETAIL_WORDS, "detail words");

enum trace_kind { TRACE_KIND_NONE, TRACE_KIND_CPUID, TRACE_KIND_MSR, TRACE_KIND_IO, TRACE_KIND_CR,
		  TRACE_KIND_XSETBV, TRACE_KIND_VMCALL, TRACE_KIND_EPT };

/* Which member of union trace_detail a basic exit reason fills. */
enum trace_kind trace_detail_kind(uint32_t basic);

/* The details known before the handler runs (inputs: leaf, MSR and written value, port
 * and OUT value, CR and MOV-to value, ...), from the guest GPRs (SDM order, RAX = 0) and
 * the exit qualification; and those known after it (outputs: CPUID results, RDMSR value,
 * IN value, MOV-from value, hypercall status). */
void trace_detail_before(union trace_detail *d, uint32_t basic, uint64_t qual, const uint64_t gpr[16]);
void trace_detail_after(union trace_detail *d, uint32_t basic, uint64_t qual, const uint64_t gpr[16]);

/* The text form: base64url (no padding) of the fields as LEB128 varints (RIP zigzag, so
 * that a kernel's sign-extended addresses stay short), the detail words last with their
 * count, trailing zero words left out. At most TRACE_TEXT_MAX characters plus a NUL.
 * Returns the length written (0 when cap is too small). */
#define TRACE_TEXT_MAX 140
size_t trace_record_encode(const struct trace_record *r, char *out, size_t cap);
/* Parses exactly n characters of a text form; false on anything else (bad character,
 * truncated or overlong varint, a value too wide for its field, bytes left over). */
bool trace_record_decode(const char *s, size_t n, struct trace_record *r);

/* The reason's details in words, as EXIT lines write them ("leaf=0x1 subleaf=0x0 eax=...",
 * "msr=0x1b value=...", "port=0x0064 size=1 dir=in value=0x1c", ...; "injected=0x..." when
 * vmxray injected an event). Returns the length the full text has (like snprintf). */
size_t trace_record_detail_text(const struct trace_record *r, char *buf, size_t n);

#endif
