/* Unit tests: drivers/ulog.c (the serial log's transmit queue, the drain decision and
 * the guest's view of the UART) over a fake 16550 whose transmitter holds a FIFO that
 * the test empties character by character, as the line would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "drivers/ulog.h"

struct fake_uart {
	uint8_t lcr, mcr, fcr, ier;
	unsigned fifo;        /* bytes the transmitter holds (FIFO or holding register) */
	bool overrun;         /* a byte written while the transmitter was full */
	char line[8192];      /* what left on the wire, in order */
	size_t nline;
	unsigned lsr_reads, iir_reads;
	bool frozen;          /* the line sends only on fake_tick (else one per busy LSR read) */
};

static unsigned depth(const struct fake_uart *f)
{
	return (f->fcr & 1) ? 16 : 1;
}

/* The line sends one character (PC16550D: THRE once the FIFO is empty). */
static void fake_tick(struct fake_uart *f, unsigned chars)
{
	f->fifo = chars >= f->fifo ? 0 : f->fifo - chars;
}

static uint8_t fake_read(const struct uart16550 *u, unsigned reg)
{
	struct fake_uart *f = u->ctx;
	switch (reg) {
	case 2: f->iir_reads++; return (f->fcr & 1) ? 0xC1 : 0x01;
	case 3: return f->lcr;
	case 4: return f->mcr;
	case 5:
		f->lsr_reads++;
		if (!f->fifo)
			return 0x60;
		/* A writer that waits: the character in the shift register leaves meanwhile. */
		if (!f->frozen)
			fake_tick(f, 1);
		return 0x00;
	case 7: return 0x5A;
	default: return 0;
	}
}

static void fake_write(const struct uart16550 *u, unsigned reg, uint8_t v)
{
	struct fake_uart *f = u->ctx;
	switch (reg) {
	case 0:
		if (f->lcr & 0x80)
			return;
		if (f->fifo >= depth(f))
			f->overrun = true;
		f->fifo++;
		if (f->nline < sizeof(f->line))
			f->line[f->nline++] = (char)v;
		return;
	case 1: if (!(f->lcr & 0x80)) f->ier = v; return;
	case 2: f->fcr = v; return;
	case 3: f->lcr = v; return;
	case 4: f->mcr = v; return;
	default: return;
	}
}

static const struct uart_io fake_io = { fake_read, fake_write, NULL };
static const struct uart_desc com1 = { UART_SPACE_IO, 0x3F8, 1 };

static struct fake_uart F;
static struct uart16550 U;
static struct ulog L;
static char qbuf[64];
static int hook_on, hook_off;

static void hook(bool on)
{
	if (on)
		hook_on++;
	else
		hook_off++;
}

static int setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof(F));
	uart16550_attach(&U, &com1, &fake_io, &F);
	assert_true(uart16550_init(&U)); /* 115200 8N1, FCR 0xC7: FIFOs on */
	F.fifo = 0;
	memset(&L, 0, sizeof(L));
	L.on_backlog = hook;
	hook_on = hook_off = 0;
	ulog_init(&L, &U, qbuf, sizeof(qbuf), true);
	return 0;
}

static void test_txq_wraps_and_refuses_past_full(void **state)
{
	(void)state;
	char b[4];
	struct txq q;
	txq_init(&q, b, sizeof(b));
	assert_int_equal(txq_push(&q, "abc", 3), 3);
	assert_int_equal(txq_peek(&q), 'a');
	txq_drop(&q);
	txq_drop(&q);
	assert_int_equal(txq_push(&q, "defg", 4), 3); /* one left + three: full at four */
	assert_int_equal(txq_used(&q), 4);
	const char want[] = "cdef";
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(txq_peek(&q), want[i]);
		txq_drop(&q);
	}
	assert_int_equal(txq_used(&q), 0);
	assert_int_equal(q.head, 6);
}

static void test_tx_room(void **state)
{
	(void)state;
	assert_int_equal(ulog_tx_room(0x00, 0xC1), 0);  /* THRE clear */
	assert_int_equal(ulog_tx_room(0x60, 0xC1), 16); /* FIFOs on, empty */
	assert_int_equal(ulog_tx_room(0x20, 0xC2), 16);
	assert_int_equal(ulog_tx_room(0x60, 0x01), 1);  /* 16450 mode: one holding register */
	assert_int_equal(ulog_tx_room(0x60, 0x81), 1);  /* bits 7:6 = 10: FIFO unusable */
}

static void test_view(void **state)
{
	(void)state;
	assert_int_equal(ulog_view_read(ULOG_REG_LSR, 0x01, true), 0x61);  /* data ready kept */
	assert_int_equal(ulog_view_read(ULOG_REG_LSR, 0x01, false), 0x01); /* no backlog: the truth */
	assert_int_equal(ulog_view_read(ULOG_REG_FCR, 0xC2, true), 0xC2);  /* IIR as it is */
	assert_int_equal(ulog_view_read(ULOG_REG_THR, 0x41, true), 0x41);  /* RBR */
	assert_int_equal(ulog_view_write(ULOG_REG_THR, 0x03), ULOG_WRITE_QUEUE);
	assert_int_equal(ulog_view_write(ULOG_REG_THR, 0x83), ULOG_WRITE_DRAIN_PASS); /* DLL */
	assert_int_equal(ulog_view_write(ULOG_REG_IER, 0x03), ULOG_WRITE_PASS);
	assert_int_equal(ulog_view_write(ULOG_REG_IER, 0x83), ULOG_WRITE_DRAIN_PASS); /* DLM */
	assert_int_equal(ulog_view_write(ULOG_REG_FCR, 0x03), ULOG_WRITE_DRAIN_PASS);
	assert_int_equal(ulog_view_write(ULOG_REG_LCR, 0x03), ULOG_WRITE_DRAIN_PASS);
	assert_int_equal(ulog_view_write(ULOG_REG_MCR, 0x03), ULOG_WRITE_DRAIN_PASS);
	assert_int_equal(ulog_view_write(ULOG_REG_LSR, 0x03), ULOG_WRITE_PASS);
	assert_int_equal(ulog_view_write(ULOG_REG_MSR, 0x03), ULOG_WRITE_PASS);
	assert_int_equal(ulog_view_write(ULOG_REG_SCR, 0x83), ULOG_WRITE_PASS);
}

/* A line goes out only as fast as the transmitter takes it: 16 bytes when its FIFO is
 * empty, nothing while it holds a byte; "\n" becomes "\r\n". */
static void test_sink_queues_and_drains_fifo_sized(void **state)
{
	(void)state;
	const char line[] = "[vmxray/cpu0] info: a line of twenty-nine\n"; /* 42 bytes + CR */
	F.frozen = true;
	ulog_sink(&L, line, strlen(line));
	assert_int_equal(F.nline, 16);         /* the sink's own drain: one FIFO's worth */
	assert_true(L.backlog);
	assert_int_equal(hook_on, 1);
	assert_int_equal(ulog_drain(&L), 0);   /* FIFO not empty yet: nothing, no wait */
	fake_tick(&F, 15);
	assert_int_equal(ulog_drain(&L), 0);   /* one byte left in it */
	fake_tick(&F, 1);
	assert_int_equal(ulog_drain(&L), 16);
	fake_tick(&F, 16);
	assert_int_equal(ulog_drain(&L), 11);
	assert_false(L.backlog);
	assert_int_equal(hook_off, 1);
	assert_false(F.overrun);
	assert_int_equal(L.sync_bytes, 0);
	assert_int_equal(L.queued, 43);
	assert_int_equal(F.nline, 43);
	assert_memory_equal(F.line, "[vmxray/cpu0] info: a line of twenty-nine\r\n", 43);
}

/* The guest's THR writes join the same stream behind vmxray's line: whole lines. */
static void test_guest_bytes_follow_the_line(void **state)
{
	(void)state;
	ulog_sink(&L, "[vmxray/cpu0] info: x=1\n", 24);
	const char *g = "Shell> ";
	for (const char *p = g; *p; p++)
		ulog_guest_byte(&L, (uint8_t)*p);
	for (unsigned i = 0; i < 10 && L.backlog; i++) {
		fake_tick(&F, 16);
		ulog_drain(&L);
	}
	assert_false(L.backlog);
	assert_int_equal(L.guest_queued, 7);
	assert_int_equal(F.nline, 25 + 7);
	assert_memory_equal(F.line, "[vmxray/cpu0] info: x=1\r\nShell> ", 32);
	assert_false(F.overrun);
}

/* FIFOs off (FCR bit 0 clear): one byte per THRE. */
static void test_fifo_off_one_byte_at_a_time(void **state)
{
	(void)state;
	F.fcr = 0;
	ulog_sink(&L, "abc\n", 4);
	assert_int_equal(F.nline, 1);
	fake_tick(&F, 1);
	assert_int_equal(ulog_drain(&L), 1);
	fake_tick(&F, 1);
	assert_int_equal(ulog_drain(&L), 1);
	fake_tick(&F, 1);
	assert_int_equal(ulog_drain(&L), 1);
	fake_tick(&F, 1);
	assert_int_equal(ulog_drain(&L), 1);
	assert_false(L.backlog);
	assert_false(F.overrun);
	assert_memory_equal(F.line, "abc\r\n", 5);
}

/* A full queue: the writer waits for the UART for the oldest bytes (counted); nothing
 * is lost and the order stays. */
static void test_full_queue_waits_never_drops(void **state)
{
	(void)state;
	char text[200];
	for (unsigned i = 0; i < sizeof(text) - 1; i++)
		text[i] = (char)('a' + i % 26);
	text[sizeof(text) - 1] = '\n';
	ulog_sink(&L, text, sizeof(text)); /* 201 bytes through a 64-byte queue */
	assert_true(L.full_waits >= 1);
	assert_true(L.sync_bytes > 0);
	ulog_flush(&L);
	assert_false(L.backlog);
	assert_int_equal(F.nline, 201);
	assert_memory_equal(F.line, text, 199);
	assert_memory_equal(F.line + 199, "\r\n", 2);
	assert_false(F.overrun);
}

/* Flush (power-off, reset, panic): everything, in order, waiting for the UART. */
static void test_flush_sends_everything(void **state)
{
	(void)state;
	ulog_sink(&L, "STATS end exits=5\n", 18);
	ulog_guest_byte(&L, '!');
	ulog_flush(&L);
	assert_false(L.backlog);
	assert_int_equal(hook_off, 1);
	assert_int_equal(F.nline, 20);
	assert_memory_equal(F.line, "STATS end exits=5\r\n!", 20);
	assert_int_equal(L.sync_bytes, 20 - 16);
	assert_false(F.overrun);
}

/* log_tx=sync: as before, each character waits; counted; no backlog, no hook. */
static void test_sync_mode_writes_at_once(void **state)
{
	(void)state;
	ulog_init(&L, &U, qbuf, sizeof(qbuf), false);
	ulog_sink(&L, "line one\n", 9);
	assert_int_equal(F.nline, 10);
	assert_int_equal(L.sync_bytes, 10);
	assert_false(L.backlog);
	assert_int_equal(hook_on, 0);
	assert_false(F.overrun);
}

/* The guest changed the line format: put back before vmxray's bytes, as uart16550_write. */
static void test_drain_reclaims_settings(void **state)
{
	(void)state;
	F.lcr = 0x1B; /* 8E1 */
	ulog_sink(&L, "x\n", 2);
	assert_int_equal(F.lcr, 0x03);
	assert_int_equal(U.reclaims, 1);
	assert_memory_equal(F.line, "x\r\n", 3);
}

/* No UART: nothing queued, no backlog. */
static void test_absent_uart(void **state)
{
	(void)state;
	U.present = false;
	ulog_sink(&L, "x\n", 2);
	assert_false(L.backlog);
	assert_int_equal(txq_used(&L.q), 0);
	ulog_flush(&L);
	assert_int_equal(F.nline, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_txq_wraps_and_refuses_past_full),
		cmocka_unit_test(test_tx_room),
		cmocka_unit_test(test_view),
		cmocka_unit_test_setup(test_sink_queues_and_drains_fifo_sized, setup),
		cmocka_unit_test_setup(test_guest_bytes_follow_the_line, setup),
		cmocka_unit_test_setup(test_fifo_off_one_byte_at_a_time, setup),
		cmocka_unit_test_setup(test_full_queue_waits_never_drops, setup),
		cmocka_unit_test_setup(test_flush_sends_everything, setup),
		cmocka_unit_test_setup(test_sync_mode_writes_at_once, setup),
		cmocka_unit_test_setup(test_drain_reclaims_settings, setup),
		cmocka_unit_test_setup(test_absent_uart, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
