/* Unit tests: boot/pci.c (class match, BAR decode, bus scan) and boot/serial_select.c
 * (serial= against a fake machine: SPCR, COM1, PCI). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "boot/serial_select.h"

/* ---- a fake PCI configuration space: 4 buses x 32 devices x 8 functions ---- */
#define FAKE_BUSES 4
static uint32_t cfg[FAKE_BUSES][32][8][16]; /* first 64 bytes */
static unsigned cfg_writes;

static uint32_t fake_read32(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	(void)ctx;
	assert_true(dev < 32 && fn < 8 && off < 64 && !(off & 3));
	return bus < FAKE_BUSES ? cfg[bus][dev][fn][off / 4] : 0xFFFFFFFFu;
}

static void fake_write32(void *ctx, unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v)
{
	(void)ctx;
	assert_true(bus < FAKE_BUSES && off == PCI_CFG_COMMAND);
	cfg[bus][dev][fn][off / 4] = v;
	cfg_writes++;
}

static const struct pci_cfg fake_pci = { fake_read32, fake_write32, NULL };

static void fake_function(unsigned bus, unsigned dev, unsigned fn, uint32_t class_rev, uint8_t header, uint32_t bar0)
{
	uint32_t *r = cfg[bus][dev][fn];
	r[0] = 0x12348086;
	r[1] = 0;
	r[2] = class_rev;
	r[3] = (uint32_t)header << 16;
	r[4] = bar0;
}

static int reset_bus(void **state)
{
	(void)state;
	memset(cfg, 0xFF, sizeof(cfg));
	cfg_writes = 0;
	fake_function(0, 0, 0, 0x06000000, 0, 0); /* host bridge */
	return 0;
}

static void test_class_match(void **state)
{
	(void)state;
	assert_true(pci_class_is_uart16550(0x07000200));
	assert_true(pci_class_is_uart16550(0x070002A5)); /* any revision */
	assert_false(pci_class_is_uart16550(0x07000000)); /* generic XT UART */
	assert_false(pci_class_is_uart16550(0x07800000)); /* other communication */
	assert_false(pci_class_is_uart16550(0x07010200)); /* parallel port */
	assert_false(pci_class_is_uart16550(0x0C030200));
}

static void test_bar_decode(void **state)
{
	(void)state;
	struct uart_desc d = { 0 };
	assert_int_equal(pci_bar_decode(0xC001, 0, &d), PCI_BAR_OK);
	assert_int_equal(d.space, UART_SPACE_IO);
	assert_int_equal(d.base, 0xC000);
	assert_int_equal(pci_bar_decode(0xFEB00000, 0xDEAD, &d), PCI_BAR_OK); /* 32-bit: hi ignored */
	assert_int_equal(d.space, UART_SPACE_MMIO);
	assert_int_equal(d.base, 0xFEB00000);
	assert_int_equal(pci_bar_decode(0x8000000C, 0x4, &d), PCI_BAR_OK); /* 64-bit, prefetchable */
	assert_int_equal(d.base, 0x480000000ULL);
	assert_int_equal(d.stride, 1);
	assert_int_equal(pci_bar_decode(0x00000004, 0x1, &d), PCI_BAR_OK); /* 64-bit above 4 GiB */
	assert_int_equal(d.base, 0x100000000ULL);
	assert_int_equal(pci_bar_decode(0x1, 0, &d), PCI_BAR_UNASSIGNED);
	assert_int_equal(pci_bar_decode(0x0, 0, &d), PCI_BAR_UNASSIGNED);
	assert_int_equal(pci_bar_decode(0xFEB00002, 0, &d), PCI_BAR_BAD_TYPE);
	assert_int_equal(pci_bar_decode(0xFEB00006, 0, &d), PCI_BAR_BAD_TYPE);
	assert_int_equal(pci_command_decode_bit(&(struct uart_desc){ UART_SPACE_IO, 1, 1 }), PCI_COMMAND_IO_SPACE);
	assert_int_equal(pci_command_decode_bit(&(struct uart_desc){ UART_SPACE_MMIO, 1, 1 }), PCI_COMMAND_MEMORY_SPACE);
}

static void test_scan_bus0_and_enable_decoding(void **state)
{
	(void)state;
	struct pci_bdf f;
	struct uart_desc d;
	assert_false(pci_find_uart16550(&fake_pci, &f));
	fake_function(0, 3, 0, 0x07000000, 0, 0xD001);    /* XT UART: not taken */
	fake_function(0, 5, 0, 0x07000201, 0, 0xC001);    /* QEMU pci-serial */
	fake_function(0, 6, 0, 0x07000201, 0, 0xC101);
	assert_true(pci_find_uart16550(&fake_pci, &f));
	assert_int_equal(f.bus, 0);
	assert_int_equal(f.dev, 5);
	assert_int_equal(pci_uart_at(&fake_pci, f, &d), PCI_BAR_OK);
	assert_int_equal(d.base, 0xC000);
	assert_int_equal(cfg[0][5][0][1] & 0xFFFF, PCI_COMMAND_IO_SPACE);
	assert_int_equal(cfg_writes, 1);
	assert_int_equal(pci_uart_at(&fake_pci, f, &d), PCI_BAR_OK); /* already on: no write */
	assert_int_equal(cfg_writes, 1);
}

static void test_scan_multifunction_and_bridges(void **state)
{
	(void)state;
	struct pci_bdf f;
	/* function 2 of a device whose function 0 says "single function": not visited */
	fake_function(0, 2, 0, 0x01060100, 0, 0);
	fake_function(0, 2, 2, 0x07000200, 0, 0xC001);
	assert_false(pci_find_uart16550(&fake_pci, &f));
	/* a bridge to bus 2 (secondary bus in 15:8 of 18h) with the UART behind it */
	fake_function(0, 28, 0, 0x06040000, PCI_HEADER_MULTIFUNCTION | PCI_HEADER_TYPE_BRIDGE, 0);
	cfg[0][28][0][6] = 0x00020200;
	fake_function(2, 0, 0, 0x07000200, 0, 0x8000000C);
	cfg[2][0][0][5] = 0x1;
	assert_true(pci_find_uart16550(&fake_pci, &f));
	assert_int_equal(f.bus, 2);
	/* now make device 2 multi-function: bus 0 comes first */
	cfg[0][2][0][3] = (uint32_t)PCI_HEADER_MULTIFUNCTION << 16;
	assert_true(pci_find_uart16550(&fake_pci, &f));
	assert_int_equal(f.bus, 0);
	assert_int_equal(f.dev, 2);
	assert_int_equal(f.fn, 2);
}

static void test_scan_ignores_bridge_loops(void **state)
{
	(void)state;
	struct pci_bdf f;
	fake_function(0, 1, 0, 0x06040000, PCI_HEADER_TYPE_BRIDGE, 0);
	cfg[0][1][0][6] = 0x00000100; /* secondary 1 */
	fake_function(1, 0, 0, 0x06040000, PCI_HEADER_TYPE_BRIDGE, 0);
	cfg[1][0][0][6] = 0x00000000; /* secondary 0: back to the root */
	assert_false(pci_find_uart16550(&fake_pci, &f));
}

/* ---- the machine behind serial_select ---- */
struct fake_machine {
	enum spcr_status spcr;
	struct uart_desc spcr_uart;
	uint64_t answering[4]; /* bases of UARTs whose scratch register answers */
	unsigned probes;
};

static enum spcr_status fake_spcr(void *ctx, struct uart_desc *out)
{
	struct fake_machine *m = ctx;
	if (m->spcr == SPCR_OK)
		*out = m->spcr_uart;
	return m->spcr;
}

static bool fake_answers(void *ctx, const struct uart_desc *at)
{
	struct fake_machine *m = ctx;
	m->probes++;
	for (unsigned i = 0; i < 4; i++)
		if (m->answering[i] && m->answering[i] == at->base)
			return true;
	return false;
}

static void select_on(struct fake_machine *m, const char *opt, struct serial_choice *c)
{
	struct vmxray_options o;
	char err[OPT_ERROR_MAX];
	struct serial_probe p = { fake_spcr, fake_answers, &fake_pci, m };

	options_set_defaults(&o);
	if (opt)
		assert_true(options_parse_word(&o, opt, strlen(opt), err, sizeof(err)));
	serial_select(&o.serial, &p, c);
}

static void test_auto_com1(void **state)
{
	(void)state;
	struct fake_machine m = { SPCR_ABSENT, { 0 }, { 0x3F8 }, 0 };
	struct serial_choice c;
	select_on(&m, NULL, &c);
	assert_string_equal(c.text, "COM1 at 0x3f8 (auto: no SPCR table, COM1 answers)");
	assert_int_equal(c.at.space, UART_SPACE_IO);
	assert_int_equal(c.at.base, 0x3F8);
}

static void test_auto_spcr_first(void **state)
{
	(void)state;
	struct fake_machine m = { SPCR_OK, { UART_SPACE_MMIO, 0xFE032000, 4 }, { 0x3F8, 0xFE032000 }, 0 };
	struct serial_choice c;
	select_on(&m, "serial=auto", &c);
	assert_string_equal(c.text, "SPCR UART at MMIO 0xfe032000 stride 4 (auto: SPCR names it)");
	assert_int_equal(c.at.stride, 4);
	m.answering[1] = 0; /* the SPCR UART is silent: COM1 next */
	select_on(&m, NULL, &c);
	assert_string_equal(c.text, "COM1 at 0x3f8 (auto: the SPCR UART at MMIO 0xfe032000 stride 4 does not "
				    "answer, COM1 answers)");
}

static void test_auto_pci(void **state)
{
	(void)state;
	struct fake_machine m = { SPCR_BAD_CHECKSUM, { 0 }, { 0xC000 }, 0 };
	struct serial_choice c;
	fake_function(0, 4, 0, 0x07000201, 0, 0xC001);
	select_on(&m, NULL, &c);
	assert_string_equal(c.text, "PCI 00:04.0 at 0xc000 (auto: SPCR checksum wrong, no COM1, PCI 00:04.0 is a "
				    "16550, PCI 00:04.0 answers)");
	assert_int_equal(c.at.base, 0xC000);
}

static void test_auto_none(void **state)
{
	(void)state;
	struct fake_machine m = { SPCR_ABSENT, { 0 }, { 0 }, 0 };
	struct serial_choice c;
	select_on(&m, NULL, &c);
	assert_int_equal(c.at.space, UART_SPACE_NONE);
	assert_string_equal(c.text, "none (auto: no SPCR table, no COM1, no PCI 16550 (class 07/00/02)); the log is "
				    "kept in memory: read it with 'hvctl log'");
	fake_function(0, 4, 0, 0x07000201, 0, 0x1); /* BAR0 unassigned */
	select_on(&m, NULL, &c);
	assert_non_null(strstr(c.text, "PCI 00:04.0 is a 16550, PCI 00:04.0: BAR0 unassigned)"));
}

static void test_named_forms(void **state)
{
	(void)state;
	struct fake_machine m = { SPCR_ABSENT, { 0 }, { 0x2F8, 0xFE032000, 0xE000 }, 0 };
	struct serial_choice c;
	select_on(&m, "serial=0x2f8", &c);
	assert_string_equal(c.text, "UART at 0x2f8 (serial=0x2f8)");
	select_on(&m, "serial=0x3f8", &c);
	assert_string_equal(c.text, "none (serial=0x3f8, nothing answers at 0x3f8); the log is kept in memory: "
				    "read it with 'hvctl log'");
	select_on(&m, "serial=mmio:0xfe032000,4", &c);
	assert_string_equal(c.text, "UART at MMIO 0xfe032000 stride 4 (serial=mmio:0xfe032000,4)");
	fake_function(1, 0, 0, 0x07800000, 0, 0xE001); /* named by the user: any class */
	select_on(&m, "serial=pci:01:00.0", &c);
	assert_string_equal(c.text, "PCI 01:00.0 at 0xe000 (serial=pci:01:00.0, PCI 01:00.0 answers)");
	m.probes = 0;
	select_on(&m, "serial=none", &c);
	assert_string_equal(c.text, "none (serial=none); the log is kept in memory: read it with 'hvctl log'");
	assert_int_equal(m.probes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class_match),
		cmocka_unit_test(test_bar_decode),
		cmocka_unit_test_setup(test_scan_bus0_and_enable_decoding, reset_bus),
		cmocka_unit_test_setup(test_scan_multifunction_and_bridges, reset_bus),
		cmocka_unit_test_setup(test_scan_ignores_bridge_loops, reset_bus),
		cmocka_unit_test_setup(test_auto_com1, reset_bus),
		cmocka_unit_test_setup(test_auto_spcr_first, reset_bus),
		cmocka_unit_test_setup(test_auto_pci, reset_bus),
		cmocka_unit_test_setup(test_auto_none, reset_bus),
		cmocka_unit_test_setup(test_named_forms, reset_bus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
