/* Fuzz target: vmx/debug/gdb_packet.c and gdb_regs.c, everything a debugger (or anything
 * else on the gdb= serial port) can send to vmxray's GDB stub.
 *
 * Input: the raw bytes of the wire. Each byte goes through the framer; each whole
 * packet through the parser and, for register and description commands, through the
 * register file, as the stub would. Checks: no memory error; a parsed packet stays
 * NUL-terminated inside its buffer; memory lengths never exceed GDB_MEM_MAX; replies
 * stay within GDB_PACKET_MAX and frame into a bounded buffer.
 */
// fuzz-srcs: vmx/debug/gdb_packet.c vmx/debug/gdb_regs.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmx/debug/gdb_packet.h"
#include "vmx/debug/gdb_regs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gdb_rx rx;
static struct gdb_out out;
static struct gdb_regfile regs;
static char frame[2 * GDB_PACKET_MAX + 8];

static void act(struct gdb_cmd *c)
{
	gdb_out_reset(&out);
	switch (c->kind) {
	case GDB_CMD_READ_REGS: gdb_regs_pack(&regs, &out); break;
	case GDB_CMD_WRITE_REGS: (void)gdb_regs_unpack(&regs, c->data, c->data_len); break;
	case GDB_CMD_READ_REG: (void)gdb_reg_read(&regs, c->regno, &out); break;
	case GDB_CMD_WRITE_REG: (void)gdb_reg_write(&regs, c->regno, c->data, c->data_len); break;
	case GDB_CMD_XFER_FEATURES: (void)gdb_target_xml_slice(c->data, c->addr, c->len, &out); break;
	case GDB_CMD_READ_MEM:
	case GDB_CMD_WRITE_MEM:
		if (c->len > GDB_MEM_MAX)
			abort();
		break;
	case GDB_CMD_MONITOR:
		if (strlen(c->data) != c->data_len)
			abort();
		gdb_out_hex(&out, (const uint8_t *)c->data, c->data_len);
		break;
	default: break;
	}
	if (out.len > GDB_PACKET_MAX)
		abort();
	size_t n = gdb_frame(out.buf, out.len, frame, sizeof(frame));
	if (n > sizeof(frame) || (n == 0 && !out.overflow))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	gdb_rx_reset(&rx);
	for (size_t i = 0; i < size; i++) {
		if (gdb_rx_feed(&rx, data[i]) != GDB_RX_PACKET)
			continue;
		if (rx.len > GDB_PACKET_MAX || rx.buf[rx.len] != '\0')
			abort();
		struct gdb_cmd c = gdb_cmd_parse(rx.buf, rx.len);
		act(&c);
	}
	return 0;
}
