/* The GDB Remote Serial Protocol on the wire, pure: framing of packets ("$data#cs"),
 * acknowledgements ('+'/'-'), the interrupt byte (0x03), a parser from packet text to a
 * command, and reply builders. Every buffer is bounded: a packet longer than
 * GDB_PACKET_MAX is dropped whole and answered with '-' (the protocol's "retransmit"),
 * which gdb never triggers since qSupported advertises PacketSize. No state here
 * touches hardware: the stub (vmx/debug/gdb_stub.c) feeds bytes and sends replies. */
#ifndef VMXRAY_VMX_DEBUG_GDB_PACKET_H
#define VMXRAY_VMX_DEBUG_GDB_PACKET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GDB_PACKET_MAX 2048          /* data bytes of one packet, in and out */
#define GDB_MEM_MAX ((GDB_PACKET_MAX - 16) / 2) /* bytes of memory one m/M packet carries */
#define GDB_INTERRUPT 0x03           /* Ctrl-C sent outside a packet */

enum gdb_rx_state { GDB_RX_IDLE, GDB_RX_DATA, GDB_RX_CS1, GDB_RX_CS2 };

struct gdb_rx {
	enum gdb_rx_state state;
	char buf[GDB_PACKET_MAX + 1]; /* NUL-terminated data of the last whole packet */
	size_t len;
	uint8_t sum;                  /* running checksum of the data */
	uint8_t cs;                   /* the checksum the packet says */
	bool overflow;                /* the packet did not fit: drop it */
};

enum gdb_rx_event {
	GDB_RX_NONE,      /* byte consumed, nothing complete */
	GDB_RX_PACKET,    /* a packet with a good checksum is in buf[0..len): ack with '+' */
	GDB_RX_BAD,       /* checksum mismatch or overflow: answer '-' */
	GDB_RX_INTR,      /* 0x03 outside a packet */
	GDB_RX_ACK,       /* '+' outside a packet */
	GDB_RX_NAK,       /* '-' outside a packet: resend the last reply */
};

void gdb_rx_reset(struct gdb_rx *rx);
enum gdb_rx_event gdb_rx_feed(struct gdb_rx *rx, uint8_t c);

/* What a packet asks for. */
enum gdb_cmd_kind {
	GDB_CMD_UNSUPPORTED,  /* reply with an empty packet */
	GDB_CMD_INVALID,      /* malformed: reply E01 */
	GDB_CMD_HALT_REASON,  /* ? */
	GDB_CMD_SUPPORTED,    /* qSupported */
	GDB_CMD_XFER_FEATURES,/* qXfer:features:read:ANNEX:off,len */
	GDB_CMD_THREAD_FIRST, /* qfThreadInfo */
	GDB_CMD_THREAD_NEXT,  /* qsThreadInfo */
	GDB_CMD_CURRENT_THREAD, /* qC */
	GDB_CMD_ATTACHED,     /* qAttached */
	GDB_CMD_SET_THREAD,   /* Hg / Hc: op, thread */
	GDB_CMD_THREAD_ALIVE, /* T thread */
	GDB_CMD_READ_REGS,    /* g */
	GDB_CMD_WRITE_REGS,   /* G hex */
	GDB_CMD_READ_REG,     /* p n */
	GDB_CMD_WRITE_REG,    /* P n=hex */
	GDB_CMD_READ_MEM,     /* m addr,len */
	GDB_CMD_WRITE_MEM,    /* M addr,len:hex */
	GDB_CMD_WRITE_MEM_BIN,/* X addr,len:binary (escaped: data, data_len raw bytes) */
	GDB_CMD_NO_ACK,       /* QStartNoAckMode */
	GDB_CMD_CONTINUE,     /* c [addr] */
	GDB_CMD_STEP,         /* s [addr] */
	GDB_CMD_VCONT_QUERY,  /* vCont? */
	GDB_CMD_VCONT,        /* vCont;action[:thread]... : the action for `thread` below */
	GDB_CMD_INSERT_BP,    /* Z type,addr,kind */
	GDB_CMD_REMOVE_BP,    /* z type,addr,kind */
	GDB_CMD_MONITOR,      /* qRcmd,hex: text in data */
	GDB_CMD_DETACH,       /* D */
	GDB_CMD_KILL,         /* k */
};

#define GDB_THREAD_ALL (-1)  /* "-1" */
#define GDB_THREAD_ANY 0     /* "0" */

struct gdb_cmd {
	enum gdb_cmd_kind kind;
	char op;              /* H: 'g' or 'c'; vCont: 'c' or 's' */
	int thread;           /* GDB_THREAD_ALL, GDB_THREAD_ANY or 1.. */
	int step_thread;      /* vCont: the thread that steps (0: none) */
	bool has_addr;        /* c/s with an address */
	uint64_t addr, len;   /* m/M/Z/z/c/s; qXfer offset in addr, length in len */
	unsigned type;        /* Z/z type 0..4 */
	unsigned regno;       /* p/P */
	const char *data;     /* G/P/M hex, qRcmd decoded text, qXfer annex (NUL-terminated) */
	size_t data_len;      /* G/M/P: hex characters; qRcmd: bytes of text */
};

/* Parses the NUL-terminated packet text `p` (len bytes; only an X packet's binary
 * data may hold a NUL). For qRcmd the hex is decoded
 * in place into p (so the text is at p + 6, NUL-terminated). */
struct gdb_cmd gdb_cmd_parse(char *p, size_t len);

/* Hex helpers. gdb_hex_decode: n hex characters into n/2 bytes; false on odd n or a
 * non-hex character. */
int gdb_hex_digit(char c);
bool gdb_hex_decode(const char *hex, size_t n, uint8_t *out);
void gdb_hex_encode(const uint8_t *in, size_t n, char *out); /* 2n characters, no NUL */
/* A hex number of at most 16 digits ending at a non-hex character; *end past it. */
bool gdb_parse_hex(const char *s, const char **end, uint64_t *v);

/* X packet data: '}' escapes the next byte (xor 0x20). Decodes n raw bytes into out
 * (cap bytes); returns the decoded length, or -1 for a dangling '}' or too many bytes. */
long gdb_unescape_binary(const char *in, size_t n, uint8_t *out, size_t cap);

/* Frames data[0..n) as "$data#cs" into out (escaping '$', '#', '}' and '*'); returns the
 * frame's length, 0 when it does not fit in cap. */
size_t gdb_frame(const char *data, size_t n, char *out, size_t cap);

/* A bounded text builder for replies. */
struct gdb_out {
	char buf[GDB_PACKET_MAX + 1];
	size_t len;
	bool overflow;
};
void gdb_out_reset(struct gdb_out *o);
void gdb_out_str(struct gdb_out *o, const char *s);
void gdb_out_mem(struct gdb_out *o, const void *p, size_t n);
void gdb_out_hex(struct gdb_out *o, const uint8_t *p, size_t n);
void gdb_out_hex_le(struct gdb_out *o, uint64_t v, unsigned bytes); /* target byte order */
void gdb_out_num(struct gdb_out *o, uint64_t v); /* hex without leading zeros */

#endif
