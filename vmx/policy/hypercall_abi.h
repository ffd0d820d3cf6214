/* vmxray's hypercall ABI (VMCALL), shared with in-guest programs. Pure.
 *
 * RAX = function, RBX/RCX/RDX = arguments. On return RAX = status (0 ok, negative =
 * error) or a count, outputs in RBX/RCX/RDX. Only CPL 0 may call; from CPL > 0 the
 * guest gets #UD, as VMCALL outside a VMM would give it.
 *
 * Buffer arguments are guest-physical addresses. A buffer outside guest RAM, one that
 * overlaps memory vmxray owns, or one too small gets a negative status and nothing is
 * written; RBX then holds the size in bytes that the call needs (for -ENOSPC). */
#ifndef VMXRAY_VMX_HYPERCALL_ABI_H
#define VMXRAY_VMX_HYPERCALL_ABI_H

#define VMXRAY_HC_VERSION 0       /* -> RAX 0, RBX (major << 16) | minor */
#define VMXRAY_HC_STATS 1         /* (buf, size) -> RAX = counters written (u64, index = basic exit reason, all CPUs) */
#define VMXRAY_HC_DUMP_VMCS 2     /* -> RAX 0; calling CPU's VMCS decoded on serial;
				   * EAGAIN after 3 dumps in a row, then ~1 per second (all CPUs) */
#define VMXRAY_HC_OWNED_RANGES 3  /* (buf, size) -> RAX = (base, length) u64 pairs written */
/* (buf, size, offset) -> RAX = bytes of the log copied into buf, from stream offset
 * `offset` on (the log is a stream of every line logged since start, kept in a ring of
 * logbuf= KiB); RBX = the stream offset of the first byte copied (larger than offset
 * when older lines were dropped), RCX = the stream's end, RDX = lines dropped so far.
 * The whole buffer [buf, buf + size) must be guest RAM outside vmxray (size > 0). */
#define VMXRAY_HC_LOG_READ 4
/* (buf, size, cursor) -> RAX = trace records copied into buf (whole records of
 * VMXRAY_TRACE_RECORD_BYTES, struct trace_record of vmx/study/trace_record.h), oldest first.
 * Each CPU has its own ring (tracebuf= KiB, with trace=): the cursor names the CPU in bits
 * 63:56 (vmxray's CPU index, 0 = the boot CPU) and the record number since start in bits
 * 55:0. Copies from that record on (from the oldest still held when it is gone); RBX =
 * the cursor of the first record copied (larger than asked when records were lost), RCX =
 * the cursor after the newest record written (the next call's cursor once RAX < what fits),
 * RDX = records of that CPU lost so far (overwritten before anyone read them). Records
 * read are not lost later. No ring (no trace=, trace_out=serial): RAX 0, RCX the cursor's
 * CPU at 0. A CPU index past the last: EINVAL (how a reader finds the CPUs). size must
 * hold one record (else ENOSPC, RBX = 64); the whole buffer must be guest RAM outside
 * vmxray, as for LOG_READ. */
#define VMXRAY_HC_TRACE_READ 5
#define VMXRAY_TRACE_RECORD_BYTES 64
#define VMXRAY_TRACE_CURSOR_CPU_SHIFT 56
#define VMXRAY_TRACE_CURSOR_SEQ_MASK ((1ULL << 56) - 1)

#define VMXRAY_HC_OK 0
#define VMXRAY_HC_ENOSYS (-1)  /* unknown function */
#define VMXRAY_HC_EFAULT (-2)  /* buffer outside guest RAM or overlapping vmxray memory */
#define VMXRAY_HC_ENOSPC (-3)  /* buffer too small; RBX = bytes needed */
#define VMXRAY_HC_EINVAL (-4)  /* bad argument (e.g. misaligned buffer) */
#define VMXRAY_HC_EAGAIN (-5)  /* rate-limited (DUMP_VMCS): try again later */

/* Number of STATS counters: one per basic exit reason 0..VMXRAY_STATS_COUNTERS-1. */
#define VMXRAY_STATS_COUNTERS 80

/* CPUID leaves (SDM Vol. 2A, CPUID: "leaves 40000000H-4FFFFFFFH are reserved for
 * software use"; hypervisors announce themselves there). */
#define VMXRAY_CPUID_LEAF_BASE 0x40000000u     /* EAX = max leaf, EBX:ECX:EDX = "VmxRayVmxRay" */
#define VMXRAY_CPUID_LEAF_VERSION 0x40000001u  /* EAX = (major << 16) | minor */
#define VMXRAY_CPUID_MAX_LEAF 0x40000001u
#define VMXRAY_CPUID_SIGNATURE "VmxRayVmxRay"

#endif
