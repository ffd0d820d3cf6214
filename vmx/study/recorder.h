/* The flight recorder: per vCPU, a ring of the last N VM exits, each a snapshot of a
 * fixed small set of fields, printed as the RECORDER block of docs/LOGFORMAT.md when
 * something breaks. Pure: the exit dispatcher (vmx/exit/exit.c) fills the entries with
 * VMREADs; formatting goes to a callback, so host tests capture it.
 *
 * Block format (docs/LOGFORMAT.md, parsed by tools/vmxlog):
 *
 *     RECORDER begin cpu<N> why=<text> entries=<n>
 *     RECORDER #<k> seq=<n> reason=<NAME> rip=0x<16 hex> qual=0x<hex>
 *     RECORDER #<k>   <FIELD> 0x<old> -> 0x<new>
 *     RECORDER end
 *
 * #0 is the oldest entry kept, the last one the newest exit. After each entry line, one
 * line per field of RECORDER_FIELDS that differs from the previous entry, in the order
 * of that list (none for #0). Values are lower-case hex zero-padded to the field's
 * width (8 digits for 32-bit fields, 16 for the others). <NAME> is the basic exit
 * reason as vmx/decode/exit_reasons.def names it. */
#ifndef VMXRAY_VMX_RECORDER_H
#define VMXRAY_VMX_RECORDER_H
#include <stddef.h>
#include <stdint.h>

#define RECORDER_DEPTH_MAX 1024
#define RECORDER_LINE_MAX 160

/* The fields kept per exit: X(id, name in the log, hex digits). The guest state is the
 * state at the exit (read before the handler); VM_ENTRY_INTR_INFO_FIELD is what vmxray
 * injected on the way back (read after the handler; 0 when the handler never
 * returned). RAX..RBX are the guest's registers at the exit. */
#define RECORDER_FIELDS(X)                                  \
	X(REC_GUEST_RIP, "GUEST_RIP", 16)                   \
	X(REC_GUEST_RSP, "GUEST_RSP", 16)                   \
	X(REC_GUEST_RFLAGS, "GUEST_RFLAGS", 16)             \
	X(REC_GUEST_CR0, "GUEST_CR0", 16)                   \
	X(REC_GUEST_CR3, "GUEST_CR3", 16)                   \
	X(REC_GUEST_CR4, "GUEST_CR4", 16)                   \
	X(REC_GUEST_INTERRUPTIBILITY, "GUEST_INTERRUPTIBILITY_INFO", 8) \
	X(REC_ENTRY_INTR_INFO, "VM_ENTRY_INTR_INFO_FIELD", 8) \
	X(REC_RAX, "RAX", 16)                               \
	X(REC_RCX, "RCX", 16)                               \
	X(REC_RDX, "RDX", 16)                               \
	X(REC_RBX, "RBX", 16)

enum recorder_field {
#define RECORDER_ENUM(id, name, digits) id,
	RECORDER_FIELDS(RECORDER_ENUM)
#undef RECORDER_ENUM
	REC_FIELD_COUNT
};

struct recorder_entry {
	uint64_t seq;     /* the exit's number on its CPU, from 1 */
	uint64_t qual;    /* EXIT_QUALIFICATION */
	uint32_t reason;  /* the whole exit-reason word */
	uint32_t reserved;
	uint64_t field[REC_FIELD_COUNT];
};

struct recorder {
	struct recorder_entry *ring; /* depth entries */
	uint32_t depth;              /* 0: the recorder is off */
	uint32_t next;               /* the slot the next exit goes to */
	uint64_t recorded;           /* exits recorded so far (may exceed depth) */
};

/* Bytes of ring for depth entries. */
static inline size_t recorder_bytes(uint32_t depth)
{
	return (size_t)depth * sizeof(struct recorder_entry);
}

/* ring must hold depth entries (recorder_bytes); depth 0 or ring NULL turns it off. */
void recorder_init(struct recorder *r, struct recorder_entry *ring, uint32_t depth);

/* The slot for a new exit, with seq, reason and qual set and REC_ENTRY_INTR_INFO 0 (the
 * handler may never return to record it); the caller fills the other fields (on the exit
 * path: no clearing of what it overwrites anyway). The oldest entry goes when the ring
 * is full. NULL when the recorder is off. */
static inline struct recorder_entry *recorder_push(struct recorder *r, uint64_t seq, uint32_t reason,
						   uint64_t qual)
{
	if (!r->depth)
		return NULL;
	struct recorder_entry *e = &r->ring[r->next];
	e->seq = seq;
	e->qual = qual;
	e->reason = reason;
	e->field[REC_ENTRY_INTR_INFO] = 0;
	r->next = r->next + 1 == r->depth ? 0 : r->next + 1;
	r->recorded++;
	return e;
}

/* How many entries the ring holds now (at most depth). */
uint32_t recorder_count(const struct recorder *r);
/* Entry k, 0 the oldest kept; NULL when k >= recorder_count(). */
const struct recorder_entry *recorder_get(const struct recorder *r, uint32_t k);

/* Receives one whole line, NUL-terminated, without a newline. */
typedef void (*recorder_emit_fn)(void *ctx, const char *line);

/* Emits the RECORDER block for the CPU with APIC ID cpu. */
void recorder_format(const struct recorder *r, uint32_t cpu, const char *why, recorder_emit_fn emit,
		     void *ctx);

#endif
