/* C side of the fault catcher: builds the private IDT, names vectors. See probe.h. */
#include "tools/efilib/probe.h"

#include <string.h>

#include "arch/cpu.h"
#include "drivers/fmt.h"
#include "tools/efilib/serial.h"

#define IDT_ENTRIES 256
#define IDT_GATE_SIZE 16
#define PROBE_VECTORS 32
/* SDM Vol. 3A, 6.14.1 "64-Bit Mode IDT": type 0xE is a 64-bit interrupt gate (IF
 * cleared on entry), P = bit 7 of the type byte, DPL 0. */
#define IDT_TYPE_INTERRUPT_GATE_P 0x8E

static uint8_t probe_idt[IDT_ENTRIES * IDT_GATE_SIZE] __attribute__((aligned(16)));

/* A 16-byte IDT gate (SDM Vol. 3A, Figure 6-8 "64-Bit IDT Gate Descriptors"). */
static void idt_gate_encode(uint8_t *gate, uint64_t handler, uint16_t cs)
{
	uint64_t lo = (handler & 0xFFFFull) | ((uint64_t)cs << 16) |
		      ((uint64_t)IDT_TYPE_INTERRUPT_GATE_P << 40) | (((handler >> 16) & 0xFFFFull) << 48);
	uint64_t hi = handler >> 32;

	memcpy(gate, &lo, 8);
	memcpy(gate + 8, &hi, 8);
}

void probe_init(void)
{
	struct cpu_dtr cur = cpu_sidt();
	size_t len = (size_t)cur.limit + 1;
	uint16_t cs = cpu_read_cs();

	if (len > sizeof(probe_idt))
		len = sizeof(probe_idt);
	memset(probe_idt, 0, sizeof(probe_idt));
	/* Vectors 32-255 keep the firmware's handlers: none should fire with IF = 0,
	 * but an NMI-free, interrupt-free window is not guaranteed everywhere. */
	memcpy(probe_idt, (const void *)cur.base, len);
	for (int v = 0; v < PROBE_VECTORS; v++)
		idt_gate_encode(probe_idt + v * IDT_GATE_SIZE,
				(uint64_t)(uintptr_t)(probe_stubs + v * PROBE_STUB_SIZE), cs);
	probe_idtr_private.base = (uint64_t)(uintptr_t)probe_idt;
	probe_idtr_private.limit = cur.limit > PROBE_VECTORS * IDT_GATE_SIZE - 1 ? cur.limit
									: PROBE_VECTORS * IDT_GATE_SIZE - 1;
}

/* Names for the vectors without a mnemonic in arch/exceptions.def. */
#define VECTOR_NUMBER_NAME(n) "vector" #n
static const char *const vector_numbers[PROBE_VECTORS] = {
	VECTOR_NUMBER_NAME(0),  VECTOR_NUMBER_NAME(1),  VECTOR_NUMBER_NAME(2),  VECTOR_NUMBER_NAME(3),
	VECTOR_NUMBER_NAME(4),  VECTOR_NUMBER_NAME(5),  VECTOR_NUMBER_NAME(6),  VECTOR_NUMBER_NAME(7),
	VECTOR_NUMBER_NAME(8),  VECTOR_NUMBER_NAME(9),  VECTOR_NUMBER_NAME(10), VECTOR_NUMBER_NAME(11),
	VECTOR_NUMBER_NAME(12), VECTOR_NUMBER_NAME(13), VECTOR_NUMBER_NAME(14), VECTOR_NUMBER_NAME(15),
	VECTOR_NUMBER_NAME(16), VECTOR_NUMBER_NAME(17), VECTOR_NUMBER_NAME(18), VECTOR_NUMBER_NAME(19),
	VECTOR_NUMBER_NAME(20), VECTOR_NUMBER_NAME(21), VECTOR_NUMBER_NAME(22), VECTOR_NUMBER_NAME(23),
	VECTOR_NUMBER_NAME(24), VECTOR_NUMBER_NAME(25), VECTOR_NUMBER_NAME(26), VECTOR_NUMBER_NAME(27),
	VECTOR_NUMBER_NAME(28), VECTOR_NUMBER_NAME(29), VECTOR_NUMBER_NAME(30), VECTOR_NUMBER_NAME(31),
};

const char *probe_vector_name(int vector)
{
	if (vector < 0 || vector >= PROBE_VECTORS)
		return "vector";
	const char *mnemonic = exception_mnemonic((unsigned)vector);
	return mnemonic ? mnemonic : vector_numbers[vector];
}

static bool vector_has_error_code(int v)
{
	return v >= 0 && exception_has_error_code((unsigned)v);
}

void probe_describe(int result, char *buf, size_t n)
{
	if (result == PROBE_NO_FAULT) {
		fmt_snprintf(buf, n, "no fault");
		return;
	}
	if (vector_has_error_code(result))
		fmt_snprintf(buf, n, "%s(0x%lx) at rip 0x%lx cs 0x%lx", probe_vector_name(result),
			     probe_fault_info.error, probe_fault_info.rip, probe_fault_info.cs);
	else
		fmt_snprintf(buf, n, "%s at rip 0x%lx cs 0x%lx", probe_vector_name(result),
			     probe_fault_info.rip, probe_fault_info.cs);
}

bool probe_is(int result, int vector)
{
	if (result != vector)
		return false;
	return !vector_has_error_code(vector) || probe_fault_info.error == 0;
}

void probe_unexpected_fault(uint64_t vector, uint64_t error, uint64_t rip)
{
	char line[128];
	size_t n = fmt_snprintf(line, sizeof(line),
				"probe: unexpected exception %lu error 0x%lx at rip 0x%lx outside a probe; halted\n",
				vector, error, rip);

	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	serial_write(line, n);
	for (;;)
		cpu_hlt();
}
