/* hvctl's commands, shared by the UEFI program (tools/hvctl/hvctl.c) and the Linux one
 * (tools/hvctl/linux/hvctl_linux.c), over a small platform layer each of them provides:
 * text output, page-aligned memory, CPUID and VMCALL under a fault catcher.
 *
 * Buffers handed to vmxray are the platform's own pointers: under UEFI (CPL 0, identity
 * mapped) they are guest-physical addresses, under Linux (CPL 3, user_hypercalls=on)
 * guest-virtual ones (vmx/policy/hypercall_abi.h). */
#ifndef VMXRAY_TOOLS_HVCTL_CMD_H
#define VMXRAY_TOOLS_HVCTL_CMD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hvctl_regs {
	uint64_t rax, rbx, rcx, rdx;
};

enum hvctl_result {
	HVCTL_OK,
	HVCTL_USAGE,       /* bad command line */
	HVCTL_NOT_RUNNING, /* no vmxray signature at CPUID 0x40000000 */
	HVCTL_FAILED,      /* VMCALL faulted or vmxray answered an error */
	HVCTL_NO_MEMORY,
};

/* ---- the platform layer ---- */

/* true: a CPL 3 program (buffers are guest-virtual, the CPL 0 calls are not offered). */
extern const bool hvctl_platform_user;
/* Writes text ('\n' ends lines). */
void hvctl_write(const char *s);
void hvctl_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* CPUID leaf (subleaf 0): false when it could not be executed. */
bool hvctl_cpuid(uint32_t leaf, uint32_t out[4]);
/* VMCALL with r in RAX/RBX/RCX/RDX, the outputs back in r. False when the instruction
 * faulted, with what happened (and what to do) in why. */
bool hvctl_raw_vmcall(struct hvctl_regs *r, char *why, size_t why_len);
/* Page-aligned, writable, zeroed memory of at least `bytes`, or NULL. */
void *hvctl_alloc(uint64_t bytes);
void hvctl_free(void *p, uint64_t bytes);

/* ---- shared ---- */

/* The most one call may ask vmxray to write (the CPL 3 bound, vmx/policy/hypercall_abi.h;
 * UEFI keeps to it too). */
#define HVCTL_CALL_BYTES (16 * 1024)

bool hvctl_vmxray_present(void);
const char *hvctl_status_name(int64_t st);
/* hvctl_raw_vmcall, counted; false (after printing why, naming `what`) when it faulted. */
bool hvctl_vmcall(const char *what, struct hvctl_regs *r);
/* Runs `argv[0]` (the subcommand, argc words in all); prints usage on a bad command. */
enum hvctl_result hvctl_main(int argc, const char *const *argv);
/* VMCALLs made so far by this program (faulted ones included). */
extern uint64_t hvctl_vmcalls;

#endif
