/* A log that never stalls the guest: the serial log's transmit stream in memory.
 *
 * Lines (and, while vmxray has a backlog, the guest's own THR writes on the same UART)
 * go into one byte queue in order; the UART is fed from it only with what its
 * transmitter takes at once (THRE: up to the FIFO depth, 16 bytes on a 16550A with its
 * FIFOs on, else 1), at VM exits and on the VMX-preemption timer (vmx/exit/exit_ulog.c).
 * Nothing is dropped: a writer that finds the queue full waits for the UART itself
 * (synchronously, counted), and power-off, reset, panic and a return to the firmware
 * drain the queue completely first.
 *
 * The UART is the guest's console too, so while the queue is not empty the guest's
 * accesses to its eight registers are intercepted and seen through ulog_view_*: a THR
 * write joins the queue behind vmxray's lines (lines stay whole on the wire, never
 * interleaved character by character), the LSR shows THRE and TEMT, and a write that
 * changes how characters leave (LCR, FCR, MCR, the divisor latch) first drains the
 * queue, because the guest was told the transmitter is empty. Everything else passes
 * through. Pure: the UART is a struct uart16550 over an injected accessor, and the
 * queue's owner (vmx/) is told through a callback when the backlog starts and ends. */
#ifndef VMXRAY_DRIVERS_ULOG_H
#define VMXRAY_DRIVERS_ULOG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/spinlock.h"
#include "drivers/uart16550.h"

#define ULOG_QUEUE_BYTES 32768 /* the launch log is ~5,900 bytes at log=info */
#define ULOG_FIFO_DEPTH 16     /* 16550A transmit FIFO (PC16550D: "FIFO Control Register") */

/* 16550 registers and bits the view needs (PC16550D datasheet, "Register Addresses"). */
enum {
	ULOG_REG_THR = 0, /* DLL with DLAB */
	ULOG_REG_IER = 1, /* DLM with DLAB */
	ULOG_REG_FCR = 2, /* IIR on read */
	ULOG_REG_LCR = 3,
	ULOG_REG_MCR = 4,
	ULOG_REG_LSR = 5,
	ULOG_REG_MSR = 6,
	ULOG_REG_SCR = 7,
};
#define ULOG_LCR_DLAB 0x80
#define ULOG_LSR_THRE 0x20
#define ULOG_LSR_TEMT 0x40
#define ULOG_IIR_FIFO 0xC0 /* bits 7:6 both set: FIFOs enabled */

/* A byte FIFO: offsets count every byte since start and never go back. */
struct txq {
	char *buf;
	uint32_t size;
	uint64_t head; /* one past the newest byte */
	uint64_t tail; /* the oldest byte not sent */
};
void txq_init(struct txq *q, char *buf, uint32_t size);
static inline uint64_t txq_used(const struct txq *q) { return q->head - q->tail; }
/* Appends up to n bytes; returns how many fitted. */
uint32_t txq_push(struct txq *q, const char *s, uint32_t n);
/* The oldest byte (the queue must not be empty). */
static inline char txq_peek(const struct txq *q) { return q->buf[q->tail % q->size]; }
static inline void txq_drop(struct txq *q) { q->tail++; }

/* How many bytes the transmitter takes now, from the LSR and (read only when THRE is
 * set) the IIR: 0 while the holding register or FIFO holds a byte, else the FIFO depth
 * with FIFOs on, 1 without. */
unsigned ulog_tx_room(uint8_t lsr, uint8_t iir);

/* The guest's view while vmxray owns the UART. A read returns the real register with,
 * on the LSR while a backlog exists, THRE and TEMT set. A write is one of: */
enum ulog_write {
	ULOG_WRITE_QUEUE,      /* THR: into the queue behind vmxray's lines */
	ULOG_WRITE_PASS,       /* IER, SCR, LSR/MSR (factory test): to the UART as it is */
	ULOG_WRITE_DRAIN_PASS, /* LCR, FCR, MCR, DLL/DLM: drain the queue, then to the UART */
};
uint8_t ulog_view_read(unsigned reg, uint8_t real, bool backlog);
enum ulog_write ulog_view_write(unsigned reg, uint8_t lcr);

struct ulog {
	struct uart16550 *uart; /* NULL: nothing to write to (the queue stays empty) */
	struct txq q;
	struct spinlock lock;
	bool async;             /* false (log_tx=sync): every byte waits for the UART */
	bool backlog;           /* the queue is not empty: the owner intercepts the ports */
	void (*on_backlog)(bool on); /* called under the lock: must not log */
	/* Counters (docs/ARCHITECTURE.md): bytes through the queue, vmxray's and the
	 * guest's; bytes written while a writer waited (queue full, drained whole, or
	 * log_tx=sync); writers that found the queue full. Nothing is ever dropped: a full
	 * queue makes its writer wait instead. */
	uint64_t queued, guest_queued, sync_bytes, full_waits;
};

void ulog_init(struct ulog *l, struct uart16550 *u, char *buf, uint32_t size, bool async);
/* log_sink_fn-compatible (ctx: struct ulog *): "\n" becomes "\r\n", as uart16550_log_sink. */
void ulog_sink(void *ctx, const char *line, size_t len);
/* A guest THR write (the view said ULOG_WRITE_QUEUE), or the start of one that must
 * drain first (ULOG_WRITE_DRAIN_PASS: call ulog_flush, then write the register). */
void ulog_guest_byte(struct ulog *l, uint8_t b);
/* What the transmitter takes now; returns the bytes written. Skips (returns 0) when
 * another CPU holds the lock. */
unsigned ulog_drain(struct ulog *l);
/* Everything, waiting for the UART (bounded per character, as uart16550_write). */
void ulog_flush(struct ulog *l);
/* The same at a panic: the lock is waited for a bounded time (the CPU that panics may
 * hold it), then taken over. */
void ulog_flush_forced(struct ulog *l);
static inline bool ulog_backlog(const struct ulog *l)
{
	return __atomic_load_n(&l->backlog, __ATOMIC_ACQUIRE);
}

#endif
