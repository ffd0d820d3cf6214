/* Register accessors of the 16550 driver (drivers/uart16550_hw.h): IN/OUT for I/O
 * ports, volatile loads and stores for MMIO. A stride of 4 means 32-bit accesses: the
 * SPCR's Generic Address Structure gives the register bit width (ACPI spec, "Generic
 * Address Structure (GAS)"), and Intel LPSS UARTs decode only whole dwords. */
#include "drivers/uart16550_hw.h"

#include "arch/cpu.h"

static uint64_t uart_reg_addr(const struct uart16550 *u, unsigned reg)
{
	return u->at.base + (uint64_t)reg * u->at.stride;
}

static uint8_t uart_port_read(const struct uart16550 *u, unsigned reg)
{
	return cpu_inb((uint16_t)uart_reg_addr(u, reg));
}

static void uart_port_write(const struct uart16550 *u, unsigned reg, uint8_t v)
{
	cpu_outb((uint16_t)uart_reg_addr(u, reg), v);
}

static uint8_t uart_mmio8_read(const struct uart16550 *u, unsigned reg)
{
	return *(volatile uint8_t *)(uintptr_t)uart_reg_addr(u, reg);
}

static void uart_mmio8_write(const struct uart16550 *u, unsigned reg, uint8_t v)
{
	*(volatile uint8_t *)(uintptr_t)uart_reg_addr(u, reg) = v;
}

static uint8_t uart_mmio32_read(const struct uart16550 *u, unsigned reg)
{
	return (uint8_t)*(volatile uint32_t *)(uintptr_t)uart_reg_addr(u, reg);
}

static void uart_mmio32_write(const struct uart16550 *u, unsigned reg, uint8_t v)
{
	*(volatile uint32_t *)(uintptr_t)uart_reg_addr(u, reg) = v;
}

static const struct uart_io uart_io_port = { uart_port_read, uart_port_write, cpu_pause };
static const struct uart_io uart_io_mmio8 = { uart_mmio8_read, uart_mmio8_write, cpu_pause };
static const struct uart_io uart_io_mmio32 = { uart_mmio32_read, uart_mmio32_write, cpu_pause };

const struct uart_io *uart16550_io_for(const struct uart_desc *at)
{
	switch (at->space) {
	case UART_SPACE_IO:
		return &uart_io_port;
	case UART_SPACE_MMIO:
		return at->stride == 4 ? &uart_io_mmio32 : &uart_io_mmio8;
	default:
		return NULL;
	}
}

void uart16550_attach_hw(struct uart16550 *u, const struct uart_desc *at)
{
	uart16550_attach(u, at, uart16550_io_for(at), NULL);
}
