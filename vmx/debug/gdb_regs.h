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

/* The target description (qXfer:features:read:target.xml): a slice of it as the
 * qXfer reply ('m' + data, or 'l' + the last data). False for an unknown annex. */
bool gdb_target_xml_slice(const char *annex, uint64_t off, uint64_t len, struct gdb_out *o);
const char *gdb_target_xml(void);

#endif
