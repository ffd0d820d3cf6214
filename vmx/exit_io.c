/* I/O instruction exits. The I/O bitmaps (vmx/setup.c) intercept only the ports that
 * reset or power off the machine, so vmxray can print its statistics first. The
 * access is then done for the guest, exactly as asked. SDM Vol. 3C, 25.6.4 "I/O-Bitmap
 * Addresses"; Table 28-5 "Exit Qualification for I/O Instructions". */
#include "arch/cpu.h"
#include "drivers/fmt.h"
#include "drivers/log.h"
#include "vmx/decode.h"
#include "vmx/exit.h"
#include "vmx/hv.h"
#include "vmx/inject.h"

#define PORT_RESET_CONTROL 0xCF9
#define RESET_CONTROL_RESET (1u << 2)
#define PORT_KBC_COMMAND 0x64
#define KBC_PULSE_RESET 0xFE
#define PM1_CNT_SLP_EN (1u << 13)

static uint32_t port_in(uint16_t port, unsigned size)
{
	uint32_t v;
	if (size == 1)
		return cpu_inb(port);
	if (size == 2) {
		uint16_t w;
		__asm__ volatile("inw %1, %0" : "=a"(w) : "Nd"(port));
		return w;
	}
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void port_out(uint16_t port, unsigned size, uint32_t v)
{
	if (size == 1)
		cpu_outb(port, (uint8_t)v);
	else if (size == 2)
		__asm__ volatile("outw %0, %1" ::"a"((uint16_t)v), "Nd"(port));
	else
		__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

static uint64_t size_mask(unsigned size)
{
	return size == 4 ? 0xFFFFFFFFULL : size == 2 ? 0xFFFFULL : 0xFFULL;
}

static void before_out(uint16_t port, uint32_t value)
{
	if (port == PORT_RESET_CONTROL && (value & RESET_CONTROL_RESET))
		vmx_stats_print("reset");
	else if (port == PORT_KBC_COMMAND && (value & 0xFF) == KBC_PULSE_RESET)
		vmx_stats_print("reset");
	else if (g_hv.pm1a_cnt && port == g_hv.pm1a_cnt && (value & PM1_CNT_SLP_EN))
		vmx_stats_print("power-off");
}

void exit_io(struct vcpu *v, struct vmexit *e)
{
	struct io_qual q = io_qual_decode(e->qual);
	uint32_t value = 0;

	if (q.string) {
		/* String I/O to an intercepted port: not emulated (no guest reaches 0xCF9 that
		 * way). The guest gets #UD rather than a silently lost access. */
		log_warn("string I/O to intercepted port 0x%x: not emulated, #UD", q.port);
		vcpu_inject_ud(v);
		return;
	}
	if (q.in) {
		value = port_in(q.port, q.bytes);
		uint64_t m = size_mask(q.bytes);
		v->regs.gpr[GPR_RAX] = (q.bytes == 4) ? value : ((v->regs.gpr[GPR_RAX] & ~m) | value);
	} else {
		value = (uint32_t)(v->regs.gpr[GPR_RAX] & size_mask(q.bytes));
		before_out(q.port, value);
		port_out(q.port, q.bytes, value);
	}
	if (e->tracing)
		fmt_snprintf(e->detail, sizeof(e->detail), "port=0x%04x size=%u dir=%s value=0x%x", q.port,
			     q.bytes, q.in ? "in" : "out", value);
	vcpu_skip_instruction(v);
}
