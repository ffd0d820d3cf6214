/* Fuzz target: vmx/debug/gdb_stub.c, the GDB stub's protocol core, with everything a
 * debugger (or anything else on the gdb= serial port) can send, over the fake edge of
 * tests/unit/gdb_fake.c (two vCPUs, one with 4-level paging over the fake memory,
 * vmxray's own page among it).
 *
 * Input: the raw bytes of the wire. Each byte goes through the framer as the stub polls
 * it; each whole packet through the parser and the core's command handling (registers,
 * memory reads and writes through the page tables, breakpoints, watchpoints, monitor
 * commands, thread selection, resume, detach). Checks: no memory error; vmxray's own
 * page is never written or read out; every EPT permission the core asks for is one
 * an EPT entry may hold (never write without read); replies frame within the wire.
 */
// fuzz-srcs: vmx/debug/gdb_stub.c vmx/debug/gdb_packet.c vmx/debug/gdb_regs.c vmx/decode/guest_walk.c vmx/decode/exit_reasons.c drivers/fmt.c tests/unit/gdb_fake.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ept/ept.h"
#include "tests/unit/gdb_fake.h"
#include "vmx/debug/gdb_stub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char OWNED[] = "vmxray-owned-page";

static void setup(void)
{
	uint64_t e;
	fake_reset();
	e = 0x2003; memcpy(fake.mem + 0x1000, &e, 8);
	e = 0x3003; memcpy(fake.mem + 0x2000, &e, 8);
	e = 0x4003; memcpy(fake.mem + 0x3000, &e, 8);
	for (uint64_t i = 0; i < 16; i++) { /* virtual 0..0xffff -> the same physical */
		e = (i << 12) | 3;
		memcpy(fake.mem + 0x4000 + 8 * i, &e, 8);
	}
	fake_paging(0, true, 0x1000);
	fake.owned[6] = true;
	memcpy(fake.mem + 0x6000, OWNED, sizeof(OWNED));
}

static void check(void)
{
	if (memcmp(fake.mem + 0x6000, OWNED, sizeof(OWNED)) != 0 || strstr(fake.out, "766d787261792d6f776e6564"))
		abort(); /* vmxray's page written, or its text read out */
	for (unsigned i = 0; i < FAKE_PAGES; i++)
		if ((fake.ept[i] & EPT_WRITE) && !(fake.ept[i] & EPT_READ))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	fake_input(data, size);
	while (fake.in_pos < fake.in_len) {
		fake.out_len = 0;
		fake.out[0] = '\0';
		if (gdb_core_poll() != GDB_POLL_PACKET)
			continue;
		/* the core's receiver holds the packet; handle it as the stub's serve loop would */
		gdb_core_handle_received(0);
		check();
	}
	return 0;
}
