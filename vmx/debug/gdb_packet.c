/* GDB Remote Serial Protocol framing and parsing: see vmx/debug/gdb_packet.h. The
 * protocol is the one in GDB's manual, appendix "GDB Remote Serial Protocol". */
#include "vmx/debug/gdb_packet.h"

#include <string.h>

void gdb_rx_reset(struct gdb_rx *rx)
{
	rx->state = GDB_RX_IDLE;
	rx->len = 0;
	rx->sum = 0;
	rx->cs = 0;
	rx->overflow = false;
	rx->buf[0] = '\0';
}

int gdb_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static enum gdb_rx_event rx_idle(struct gdb_rx *rx, uint8_t c)
{
	switch (c) {
	case '$':
		rx->state = GDB_RX_DATA;
		rx->len = 0;
		rx->sum = 0;
		rx->overflow = false;
		return GDB_RX_NONE;
	case GDB_INTERRUPT:
		return GDB_RX_INTR;
	case '+':
		return GDB_RX_ACK;
	case '-':
		return GDB_RX_NAK;
	default:
		return GDB_RX_NONE; /* noise between packets is ignored */
	}
}

static enum gdb_rx_event rx_data(struct gdb_rx *rx, uint8_t c)
{
	if (c == '#') {
		rx->state = GDB_RX_CS1;
		return GDB_RX_NONE;
	}
	if (c == '$') { /* a new start inside a packet: the old one was cut off */
		rx->len = 0;
		rx->sum = 0;
		rx->overflow = false;
		return GDB_RX_NONE;
	}
	rx->sum = (uint8_t)(rx->sum + c);
	if (rx->len < GDB_PACKET_MAX)
		rx->buf[rx->len++] = (char)c;
	else
		rx->overflow = true;
	return GDB_RX_NONE;
}

static enum gdb_rx_event rx_checksum(struct gdb_rx *rx, uint8_t c)
{
	int d = gdb_hex_digit((char)c);
	if (d < 0) {
		rx->state = GDB_RX_IDLE;
		return GDB_RX_BAD;
	}
	if (rx->state == GDB_RX_CS1) {
		rx->cs = (uint8_t)(d << 4);
		rx->state = GDB_RX_CS2;
		return GDB_RX_NONE;
	}
	rx->cs |= (uint8_t)d;
	rx->state = GDB_RX_IDLE;
	if (rx->overflow || rx->cs != rx->sum) {
		rx->len = 0;
		rx->buf[0] = '\0';
		return GDB_RX_BAD;
	}
	rx->buf[rx->len] = '\0';
	return GDB_RX_PACKET;
}

enum gdb_rx_event gdb_rx_feed(struct gdb_rx *rx, uint8_t c)
{
	switch (rx->state) {
	case GDB_RX_IDLE:
		return rx_idle(rx, c);
	case GDB_RX_DATA:
		return rx_data(rx, c);
	default:
		return rx_checksum(rx, c);
	}
}

bool gdb_hex_decode(const char *hex, size_t n, uint8_t *out)
{
	if (n % 2)
		return false;
	for (size_t i = 0; i < n; i += 2) {
		int hi = gdb_hex_digit(hex[i]), lo = gdb_hex_digit(hex[i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

void gdb_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
}

bool gdb_parse_hex(const char *s, const char **end, uint64_t *v)
{
	uint64_t r = 0;
	unsigned n = 0;
	int d;

	while ((d = gdb_hex_digit(s[n])) >= 0) {
		if (n == 16)
			return false;
		r = r << 4 | (uint64_t)d;
		n++;
	}
	*end = s + n;
	*v = r;
	return n > 0;
}

/* A thread id: "-1", or a positive hex number (0 = any). */
static bool parse_thread(const char *s, const char **end, int *t)
{
	uint64_t v;
	if (s[0] == '-' && s[1] == '1') {
		*end = s + 2;
		*t = GDB_THREAD_ALL;
		return true;
	}
	if (!gdb_parse_hex(s, end, &v) || v > 0xFFFF)
		return false;
	*t = (int)v;
	return true;
}

static bool starts(const char *p, const char *lit)
{
	return strncmp(p, lit, strlen(lit)) == 0;
}

static struct gdb_cmd invalid(void)
{
	return (struct gdb_cmd){ .kind = GDB_CMD_INVALID };
}

/* "addr,len" then `stop` (or the end when stop is 0). */
static bool parse_addr_len(const char *s, char stop, struct gdb_cmd *c, const char **end)
{
	const char *e;
	if (!gdb_parse_hex(s, &e, &c->addr) || *e != ',')
		return false;
	if (!gdb_parse_hex(e + 1, &e, &c->len))
		return false;
	if (*e != stop)
		return false;
	*end = e;
	return true;
}

static struct gdb_cmd parse_mem(char *p, size_t len, bool write)
{
	struct gdb_cmd c = { .kind = write ? GDB_CMD_WRITE_MEM : GDB_CMD_READ_MEM };
	const char *e;
	if (!parse_addr_len(p + 1, write ? ':' : '\0', &c, &e) || c.len > GDB_MEM_MAX)
		return invalid();
	if (write) {
		c.data = e + 1;
		c.data_len = len - (size_t)(c.data - p);
		if (c.data_len != 2 * c.len)
			return invalid();
	}
	return c;
}

/* X addr,len:binary. The length gdb names is the decoded one; the stub checks it
 * against the data when it unescapes (gdb_unescape_binary). */
static struct gdb_cmd parse_mem_bin(char *p, size_t len)
{
	struct gdb_cmd c = { .kind = GDB_CMD_WRITE_MEM_BIN };
	const char *e;
	if (!parse_addr_len(p + 1, ':', &c, &e) || c.len > GDB_MEM_MAX)
		return invalid();
	c.data = e + 1;
	c.data_len = len - (size_t)(c.data - p);
	return c;
}

long gdb_unescape_binary(const char *in, size_t n, uint8_t *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = (uint8_t)in[i];
		if (b == '}') {
			if (++i == n)
				return -1;
			b = (uint8_t)(in[i] ^ 0x20);
		}
		if (o == cap)
			return -1;
		out[o++] = b;
	}
	return (long)o;
}

static struct gdb_cmd parse_bp(char *p)
{
	struct gdb_cmd c = { .kind = p[0] == 'Z' ? GDB_CMD_INSERT_BP : GDB_CMD_REMOVE_BP };
	int t = gdb_hex_digit(p[1]);
	const char *e;
	if (t < 0 || t > 4 || p[2] != ',')
		return invalid();
	c.type = (unsigned)t;
	/* "Z type,addr,kind" and optional ";cond" we do not support: stop at ';' too */
	if (!gdb_parse_hex(p + 3, &e, &c.addr) || *e != ',' || !gdb_parse_hex(e + 1, &e, &c.len))
		return invalid();
	if (*e != '\0')
		return (struct gdb_cmd){ .kind = GDB_CMD_UNSUPPORTED };
	return c;
}

static struct gdb_cmd parse_reg(char *p, size_t len, bool write)
{
	struct gdb_cmd c = { .kind = write ? GDB_CMD_WRITE_REG : GDB_CMD_READ_REG };
	const char *e;
	uint64_t n;
	if (!gdb_parse_hex(p + 1, &e, &n) || n > 255)
		return invalid();
	c.regno = (unsigned)n;
	if (!write)
		return *e == '\0' ? c : invalid();
	if (*e != '=')
		return invalid();
	c.data = e + 1;
	c.data_len = len - (size_t)(c.data - p);
	return c;
}

static struct gdb_cmd parse_resume(char *p, enum gdb_cmd_kind kind)
{
	struct gdb_cmd c = { .kind = kind };
	const char *e;
	if (p[1] == '\0')
		return c;
	if (!gdb_parse_hex(p + 1, &e, &c.addr) || *e != '\0')
		return invalid();
	c.has_addr = true;
	return c;
}

static struct gdb_cmd parse_set_thread(char *p)
{
	struct gdb_cmd c = { .kind = GDB_CMD_SET_THREAD, .op = p[1] };
	const char *e;
	if ((c.op != 'g' && c.op != 'c') || !parse_thread(p + 2, &e, &c.thread) || *e != '\0')
		return invalid();
	return c;
}

/* vCont;a[:t];a[:t]...: actions c, s, C sig, S sig (signals are not delivered: a guest
 * has no signals; C/S act as c/s). The result: step_thread = the thread with 's' (0:
 * none), op = 'c' when any thread continues. */
static struct gdb_cmd parse_vcont(char *p)
{
	struct gdb_cmd c = { .kind = GDB_CMD_VCONT, .op = 0, .step_thread = 0 };
	const char *s = p + 5;
	while (*s == ';') {
		char a = s[1];
		const char *e = s + 2;
		uint64_t sig;
		int t = GDB_THREAD_ALL;
		if (a == 'C' || a == 'S') {
			if (!gdb_parse_hex(e, &e, &sig))
				return invalid();
			a = (char)(a - 'A' + 'a');
		}
		if (a != 'c' && a != 's')
			return (struct gdb_cmd){ .kind = GDB_CMD_UNSUPPORTED };
		if (*e == ':' && !parse_thread(e + 1, &e, &t))
			return invalid();
		if (a == 's' && !c.step_thread)
			c.step_thread = t == GDB_THREAD_ALL ? GDB_THREAD_ANY : t;
		if (a == 's' && c.step_thread == GDB_THREAD_ANY && t > 0)
			c.step_thread = t;
		if (a == 'c')
			c.op = 'c';
		s = e;
	}
	if (*s != '\0')
		return invalid();
	return c;
}

static struct gdb_cmd parse_xfer(char *p)
{
	static const char prefix[] = "qXfer:features:read:";
	struct gdb_cmd c = { .kind = GDB_CMD_XFER_FEATURES };
	char *annex = p + sizeof(prefix) - 1;
	char *colon = strchr(annex, ':');
	const char *e;
	if (!colon || !parse_addr_len(colon + 1, '\0', &c, &e))
		return invalid();
	*colon = '\0';
	c.data = annex;
	c.data_len = (size_t)(colon - annex);
	return c;
}

static struct gdb_cmd parse_rcmd(char *p, size_t len)
{
	struct gdb_cmd c = { .kind = GDB_CMD_MONITOR };
	size_t n = len - 6;
	if (!gdb_hex_decode(p + 6, n, (uint8_t *)p + 6))
		return invalid();
	p[6 + n / 2] = '\0';
	for (size_t i = 0; i < n / 2; i++)
		if (p[6 + i] == '\0')
			return invalid();
	c.data = p + 6;
	c.data_len = n / 2;
	return c;
}

static struct gdb_cmd parse_query(char *p, size_t len)
{
	if (starts(p, "qSupported"))
		return (struct gdb_cmd){ .kind = GDB_CMD_SUPPORTED };
	if (starts(p, "qXfer:features:read:"))
		return parse_xfer(p);
	if (!strcmp(p, "qfThreadInfo"))
		return (struct gdb_cmd){ .kind = GDB_CMD_THREAD_FIRST };
	if (!strcmp(p, "qsThreadInfo"))
		return (struct gdb_cmd){ .kind = GDB_CMD_THREAD_NEXT };
	if (!strcmp(p, "qC"))
		return (struct gdb_cmd){ .kind = GDB_CMD_CURRENT_THREAD };
	if (starts(p, "qAttached"))
		return (struct gdb_cmd){ .kind = GDB_CMD_ATTACHED };
	if (starts(p, "qRcmd,"))
		return parse_rcmd(p, len);
	return (struct gdb_cmd){ .kind = GDB_CMD_UNSUPPORTED };
}

static struct gdb_cmd parse_simple(const char *p, enum gdb_cmd_kind kind)
{
	return p[1] == '\0' ? (struct gdb_cmd){ .kind = kind } : invalid();
}

static struct gdb_cmd parse_thread_alive(char *p)
{
	struct gdb_cmd c = { .kind = GDB_CMD_THREAD_ALIVE };
	const char *e;
	if (!parse_thread(p + 1, &e, &c.thread) || *e != '\0')
		return invalid();
	return c;
}

struct gdb_cmd gdb_cmd_parse(char *p, size_t len)
{
	if (len && p[0] == 'X') /* binary data: may hold a NUL */
		return parse_mem_bin(p, len);
	if (len == 0 || strlen(p) != len) /* a NUL inside the text: never from gdb */
		return (struct gdb_cmd){ .kind = len ? GDB_CMD_INVALID : GDB_CMD_UNSUPPORTED };
	switch (p[0]) {
	case '?': return parse_simple(p, GDB_CMD_HALT_REASON);
	case 'g': return parse_simple(p, GDB_CMD_READ_REGS);
	case 'G': return (struct gdb_cmd){ .kind = GDB_CMD_WRITE_REGS, .data = p + 1, .data_len = len - 1 };
	case 'p': return parse_reg(p, len, false);
	case 'P': return parse_reg(p, len, true);
	case 'm': return parse_mem(p, len, false);
	case 'M': return parse_mem(p, len, true);
	case 'c': return parse_resume(p, GDB_CMD_CONTINUE);
	case 's': return parse_resume(p, GDB_CMD_STEP);
	case 'H': return parse_set_thread(p);
	case 'T': return parse_thread_alive(p);
	case 'Z': case 'z': return parse_bp(p);
	case 'D': return (p[1] == '\0' || p[1] == ';') ? (struct gdb_cmd){ .kind = GDB_CMD_DETACH } : invalid();
	case 'k': return parse_simple(p, GDB_CMD_KILL);
	case 'q': return parse_query(p, len);
	case 'Q':
		if (!strcmp(p, "QStartNoAckMode"))
			return (struct gdb_cmd){ .kind = GDB_CMD_NO_ACK };
		return (struct gdb_cmd){ .kind = GDB_CMD_UNSUPPORTED };
	case 'v':
		if (!strcmp(p, "vCont?"))
			return (struct gdb_cmd){ .kind = GDB_CMD_VCONT_QUERY };
		if (starts(p, "vCont;"))
			return parse_vcont(p);
		return (struct gdb_cmd){ .kind = GDB_CMD_UNSUPPORTED };
	default: return (struct gdb_cmd){ .kind = GDB_CMD_UNSUPPORTED };
	}
}

static bool needs_escape(char c)
{
	return c == '$' || c == '#' || c == '}' || c == '*';
}

size_t gdb_frame(const char *data, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	uint8_t sum = 0;
	static const char digits[] = "0123456789abcdef";

	if (cap < 4)
		return 0;
	out[o++] = '$';
	for (size_t i = 0; i < n; i++) {
		bool esc = needs_escape(data[i]);
		char c = esc ? (char)(data[i] ^ 0x20) : data[i];
		if (o + (esc ? 2 : 1) + 3 > cap)
			return 0;
		if (esc) {
			out[o++] = '}';
			sum = (uint8_t)(sum + '}');
		}
		out[o++] = c;
		sum = (uint8_t)(sum + (uint8_t)c);
	}
	out[o++] = '#';
	out[o++] = digits[sum >> 4];
	out[o++] = digits[sum & 15];
	return o;
}

void gdb_out_reset(struct gdb_out *o)
{
	o->len = 0;
	o->overflow = false;
	o->buf[0] = '\0';
}

void gdb_out_mem(struct gdb_out *o, const void *p, size_t n)
{
	if (o->len + n > GDB_PACKET_MAX) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

void gdb_out_str(struct gdb_out *o, const char *s)
{
	gdb_out_mem(o, s, strlen(s));
}

void gdb_out_hex(struct gdb_out *o, const uint8_t *p, size_t n)
{
	if (o->len + 2 * n > GDB_PACKET_MAX) {
		o->overflow = true;
		return;
	}
	gdb_hex_encode(p, n, o->buf + o->len);
	o->len += 2 * n;
	o->buf[o->len] = '\0';
}

void gdb_out_hex_le(struct gdb_out *o, uint64_t v, unsigned bytes)
{
	uint8_t b[8];
	for (unsigned i = 0; i < bytes && i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	gdb_out_hex(o, b, bytes < 8 ? bytes : 8);
}

void gdb_out_num(struct gdb_out *o, uint64_t v)
{
	char tmp[16];
	unsigned n = 0;
	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		gdb_out_mem(o, &tmp[--n], 1);
}
