/* The serial log's transmit queue and the guest's view of its UART (drivers/ulog.h).
 * Register bits: PC16550D datasheet, "Line Status Register", "Interrupt Identification
 * Register", "FIFO Control Register". */
#include "drivers/ulog.h"

void txq_init(struct txq *q, char *buf, uint32_t size)
{
	*q = (struct txq){ .buf = buf, .size = size };
}

uint32_t txq_push(struct txq *q, const char *s, uint32_t n)
{
	uint32_t room = (uint32_t)(q->size - txq_used(q));
	if (n > room)
		n = room;
	for (uint32_t i = 0; i < n; i++)
		q->buf[(q->head + i) % q->size] = s[i];
	q->head += n;
	return n;
}

unsigned ulog_tx_room(uint8_t lsr, uint8_t iir)
{
	if (!(lsr & ULOG_LSR_THRE))
		return 0;
	return (iir & ULOG_IIR_FIFO) == ULOG_IIR_FIFO ? ULOG_FIFO_DEPTH : 1;
}

uint8_t ulog_view_read(unsigned reg, uint8_t real, bool backlog)
{
	if (reg == ULOG_REG_LSR && backlog)
		return real | ULOG_LSR_THRE | ULOG_LSR_TEMT;
	return real;
}

enum ulog_write ulog_view_write(unsigned reg, uint8_t lcr)
{
	bool dlab = lcr & ULOG_LCR_DLAB;
	switch (reg) {
	case ULOG_REG_THR:
		return dlab ? ULOG_WRITE_DRAIN_PASS : ULOG_WRITE_QUEUE; /* DLL */
	case ULOG_REG_IER:
		return dlab ? ULOG_WRITE_DRAIN_PASS : ULOG_WRITE_PASS; /* DLM */
	case ULOG_REG_FCR: /* a FIFO reset drops what the transmitter holds */
	case ULOG_REG_LCR: /* line format, DLAB */
	case ULOG_REG_MCR: /* loopback: characters would not reach the line */
		return ULOG_WRITE_DRAIN_PASS;
	default:
		return ULOG_WRITE_PASS;
	}
}

void ulog_init(struct ulog *l, struct uart16550 *u, char *buf, uint32_t size, bool async)
{
	void (*hook)(bool) = l->on_backlog;
	*l = (struct ulog){ .uart = u, .async = async, .on_backlog = hook };
	txq_init(&l->q, buf, size);
}

static void set_backlog(struct ulog *l, bool on)
{
	if (l->backlog == on)
		return;
	__atomic_store_n(&l->backlog, on, __ATOMIC_RELEASE);
	if (l->on_backlog)
		l->on_backlog(on);
}

/* The oldest queued byte, waiting for the transmitter (the queue is full, or it is
 * drained whole). */
static void send_oldest_waiting(struct ulog *l)
{
	char c = txq_peek(&l->q);
	txq_drop(&l->q);
	uart16550_write_raw(l->uart, &c, 1);
	l->sync_bytes++;
}

static void queue_bytes(struct ulog *l, const char *s, uint32_t n)
{
	bool waited = false;
	while (n) {
		uint32_t k = txq_push(&l->q, s, n);
		s += k;
		n -= k;
		if (k)
			set_backlog(l, true);
		if (!n)
			break;
		if (!waited)
			l->full_waits++;
		waited = true;
		send_oldest_waiting(l);
	}
}

/* Under the lock: what the transmitter takes now. */
static unsigned drain_locked(struct ulog *l)
{
	unsigned sent = 0;
	if (!txq_used(&l->q)) {
		set_backlog(l, false);
		return 0;
	}
	uint8_t lsr = uart16550_read_reg(l->uart, ULOG_REG_LSR);
	if (!(lsr & ULOG_LSR_THRE))
		return 0;
	unsigned room = ulog_tx_room(lsr, uart16550_read_reg(l->uart, ULOG_REG_FCR));
	(void)uart16550_reclaim(l->uart); /* as uart16550_write: 115200 8N1, no loopback */
	while (sent < room && txq_used(&l->q)) {
		uart16550_write_reg(l->uart, ULOG_REG_THR, (uint8_t)txq_peek(&l->q));
		txq_drop(&l->q);
		sent++;
	}
	if (!txq_used(&l->q))
		set_backlog(l, false);
	return sent;
}

static void flush_locked(struct ulog *l)
{
	while (txq_used(&l->q))
		send_oldest_waiting(l);
	uart16550_wait_idle(l->uart);
	set_backlog(l, false);
}

void ulog_sink(void *ctx, const char *line, size_t len)
{
	struct ulog *l = ctx;
	if (!l->uart || !l->uart->present)
		return;
	spin_lock(&l->lock);
	if (!l->async) {
		flush_locked(l);
		uart16550_write(l->uart, line, len);
		for (size_t i = 0; i < len; i++)
			l->sync_bytes += line[i] == '\n' ? 2 : 1;
		spin_unlock(&l->lock);
		return;
	}
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (line[i] != '\n')
			continue;
		queue_bytes(l, line + start, (uint32_t)(i - start));
		queue_bytes(l, "\r\n", 2);
		l->queued += i - start + 2;
		start = i + 1;
	}
	queue_bytes(l, line + start, (uint32_t)(len - start));
	l->queued += len - start;
	(void)drain_locked(l);
	spin_unlock(&l->lock);
}

void ulog_guest_byte(struct ulog *l, uint8_t b)
{
	spin_lock(&l->lock);
	queue_bytes(l, (const char *)&b, 1);
	l->guest_queued++;
	(void)drain_locked(l);
	spin_unlock(&l->lock);
}

unsigned ulog_drain(struct ulog *l)
{
	if (!l->uart || !spin_trylock(&l->lock))
		return 0;
	unsigned n = drain_locked(l);
	spin_unlock(&l->lock);
	return n;
}

void ulog_flush_forced(struct ulog *l)
{
	if (!l->uart)
		return;
	for (unsigned i = 0; i < 1000000 && !spin_trylock(&l->lock); i++)
		__builtin_ia32_pause();
	flush_locked(l);
	spin_unlock(&l->lock);
}

void ulog_flush(struct ulog *l)
{
	if (!l->uart)
		return;
	spin_lock(&l->lock);
	flush_locked(l);
	spin_unlock(&l->lock);
}
