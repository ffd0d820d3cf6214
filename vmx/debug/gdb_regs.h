/* The guest's registers as gdb sees them, pure: one plain struct per vCPU, packed into
 * and unpacked from the g/G/p/P packets in the layout of vmxray's target description
 * (gdb's "i386:x86-64" core, SSE and segments features, and vmxray's own feature with
 * the control registers and EFER). One description serves every guest mode: in real
 * and protected mode the upper halves are zero and RIP is the offset in CS. */
#ifndef VMXRAY_VMX_DEBUG_GDB_REGS_H
#define VMXRAY_VMX_DEBUG_GDB_REGS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmx/debug/gdb_packet.h"

enum gdb_reg {
#define GDB_REG(name, bytes, avail, feature, type, group) GDB_REG_##name,
#include "vmx/debug/gdb_regs.def"
#undef GDB_REG
	GDB_REG_COUNT,
};

struct gdb_regfile {
	uint64_t val[GDB_REG_COUNT]; /* available registers only; others stay 0 */
	uint64_t dirty;              /* bit per register below 64 written by gdb */
};
_Static_assert(GDB_REG_COUNT <= 64, "dirty mask too small");

unsigned gdb_reg_size(unsigned regno);          /* 0: no such register */
bool gdb_reg_available(unsigned regno);

/* g: every register, in order ("xx" per byte of an unavailable one). */
void gdb_regs_pack(const struct gdb_regfile *r, struct gdb_out *o);
/* G: the same layout; false (nothing written) when the length or a digit is wrong. */
bool gdb_regs_unpack(struct gdb_regfile *r, const char *hex, size_t n);
/* p / P. */
bool gdb_reg_read(const struct gdb_regfile *r, unsigned regno, struct gdb_out *o);
bool gdb_reg_write(struct gdb_regfile *r, unsigned regno, const char *hex, size_t n);

/* The guest state the registers come from and go to, as the VMCS and the saved
 * general registers hold it (the edge, vmx/debug/gdb_hw.c, reads and writes the
 * fields). The GPRs in gdb's order: rax rbx rcx rdx rsi rdi rbp rsp r8..r15. */
enum gdb_seg { GDB_SEG_CS, GDB_SEG_SS, GDB_SEG_DS, GDB_SEG_ES, GDB_SEG_FS, GDB_SEG_GS, GDB_SEG_COUNT };
struct gdb_guest_state {
	uint64_t gpr[16];
	uint64_t rip, rflags;
	uint16_t sel[GDB_SEG_COUNT];
	uint64_t fs_base, gs_base;
	uint64_t cr0, cr0_mask, cr0_shadow; /* the real CR0, its guest/host mask, read shadow */
	uint64_t cr4, cr4_mask, cr4_shadow;
	uint64_t cr2, cr3, efer;
};
/* The registers gdb sees: CR0/CR4 as the guest reads them (host-owned bits from the
 * read shadow), and RFLAGS.TF the guest's own (guest_tf) while the stub steps with TF. */
void gdb_regs_from_guest(const struct gdb_guest_state *s, bool stub_tf, bool guest_tf, struct gdb_regfile *r);
/* The registers gdb wrote (r->dirty) into s: a CR0/CR4 value goes whole into the read
 * shadow, the real register keeps its host-owned bits; bit 1 of RFLAGS stays 1; while
 * the stub steps with TF a written TF becomes the guest's (*guest_tf) and the real TF
 * stays set. Fields of registers not written are left as they are. */
void gdb_regs_to_guest(const struct gdb_regfile *r, struct gdb_guest_state *s, bool stub_tf, bool *guest_tf);

/* The target description (qXfer:features:read:target.xml): a slice of it as the
 * qXfer reply ('m' + data, or 'l' + the last data). False for an unknown annex. */
bool gdb_target_xml_slice(const char *annex, uint64_t off, uint64_t len, struct gdb_out *o);
const char *gdb_target_xml(void);

#endif
