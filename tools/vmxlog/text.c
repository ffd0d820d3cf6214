/* vmxlog: cleaned lines from raw serial bytes; strict tokens. See text.h. */
#include "tools/vmxlog/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Line reader ---- */

/* Where a byte is with respect to a terminal escape sequence (ECMA-48: CSI is ESC [,
 * parameters 0x30-0x3f, intermediates 0x20-0x2f, one final byte 0x40-0x7e; OSC is ESC ]
 * up to BEL or ESC \). */
enum esc_state { ES_NONE, ES_ESC, ES_CSI, ES_INTER, ES_OSC, ES_OSC_ESC };

struct clean {
	char *buf;
	size_t n, len;
	bool cut;
	enum esc_state es;
};

static const char vmxray_start[] = "[vmxray/";
#define VMXRAY_START_LEN (sizeof(vmxray_start) - 1)

void vl_reader_init(struct vl_reader *r, const char *data, size_t len)
{
	r->p = (const unsigned char *)data;
	r->end = data ? r->p + len : r->p;
	r->line_no = 0;
	r->next_no = 1;
}

static void put(struct clean *c, char ch)
{
	if (c->len + 1 < c->n)
		c->buf[c->len++] = ch;
	else
		c->cut = true;
}

static bool starts_vmxray(const unsigned char *p, const unsigned char *end)
{
	return (size_t)(end - p) >= VMXRAY_START_LEN && memcmp(p, vmxray_start, VMXRAY_START_LEN) == 0;
}

/* A byte outside any escape sequence. */
static void plain(struct clean *c, const unsigned char *p, const unsigned char *end)
{
	unsigned char b = *p;

	if (b == 0x1b) {
		c->es = ES_ESC;
		return;
	}
	if (b == '[' && c->len > 0 && starts_vmxray(p, end)) {
		c->len = 0; /* guest output before a vmxray line on the same line */
		c->cut = false;
	}
	if (b == '\t')
		put(c, ' ');
	else if (b >= 0x80)
		put(c, '?');
	else if (b >= 0x20 && b < 0x7f)
		put(c, (char)b);
}

static bool escape_start(struct clean *c, unsigned char b)
{
	if (b == '[')
		c->es = ES_CSI;
	else if (b == ']')
		c->es = ES_OSC;
	else if (b >= 0x20 && b <= 0x2f)
		c->es = ES_INTER;
	else
		c->es = ES_NONE;
	return b >= 0x20 && b <= 0x7e;
}

/* A byte inside an escape sequence: true when it belongs to it, false when it ends the
 * sequence without belonging to it (it is then an ordinary byte). */
static bool escape(struct clean *c, unsigned char b)
{
	switch (c->es) {
	case ES_ESC:
		return escape_start(c, b);
	case ES_CSI:
		if (b >= 0x20 && b <= 0x3f)
			return true;
		c->es = ES_NONE;
		return b >= 0x40 && b <= 0x7e;
	case ES_INTER:
		if (b >= 0x20 && b <= 0x2f)
			return true;
		c->es = ES_NONE;
		return b >= 0x30 && b <= 0x7e;
	case ES_OSC:
		if (b == 0x1b)
			c->es = ES_OSC_ESC;
		else if (b == 0x07 || b < 0x20)
			c->es = ES_NONE;
		return b >= 0x20 || b == 0x07 || b == 0x1b;
	case ES_OSC_ESC:
		c->es = ES_NONE;
		return b == '\\';
	default:
		return false;
	}
}

static void end_line(struct vl_reader *r)
{
	unsigned char b = *r->p++;

	if (b == '\r' && r->p < r->end && *r->p == '\n')
		b = *r->p++;
	if (b == '\n')
		r->next_no++;
}

static void read_one(struct vl_reader *r, struct clean *c)
{
	while (r->p < r->end) {
		unsigned char b = *r->p;

		if (b == '\n' || b == '\r') {
			end_line(r);
			return;
		}
		if (c->es == ES_NONE || !escape(c, b))
			plain(c, r->p, r->end);
		r->p++;
	}
}

bool vl_reader_next(struct vl_reader *r, char *buf, size_t n, bool *cut)
{
	if (!n)
		return false;
	while (r->p < r->end) {
		struct clean c = { buf, n, 0, false, ES_NONE };

		r->line_no = r->next_no;
		read_one(r, &c);
		buf[c.len] = '\0';
		if (c.len) {
			*cut = c.cut;
			return true;
		}
	}
	return false;
}

/* ---- Tokens ---- */

bool tx_lit(const char **p, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*p, lit, n) != 0)
		return false;
	*p += n;
	return true;
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

bool tx_hex(const char **p, uint64_t *v, unsigned *digits)
{
	const char *s = *p;
	uint64_t x = 0;
	unsigned n = 0;

	if (s[0] != '0' || s[1] != 'x')
		return false;
	s += 2;
	for (; hex_value(*s) >= 0; s++, n++) {
		if (n == 16)
			return false;
		x = x << 4 | (uint64_t)hex_value(*s);
	}
	if (!n)
		return false;
	*v = x;
	if (digits)
		*digits = n;
	*p = s;
	return true;
}

bool tx_dec(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	unsigned n = 0;

	for (; *s >= '0' && *s <= '9'; s++, n++) {
		if (n == 19)
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	if (!n)
		return false;
	*v = x;
	*p = s;
	return true;
}

static bool is_name_char(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '_';
}

bool tx_name(const char **p, char *buf, size_t n)
{
	size_t len = 0;

	while (is_name_char((*p)[len]))
		len++;
	if (!len || len >= n)
		return false;
	tx_copy(buf, n, *p, len);
	*p += len;
	return true;
}

bool tx_word(const char **p, char *buf, size_t n)
{
	size_t len = 0;

	while ((*p)[len] && (*p)[len] != ' ')
		len++;
	if (!len || len >= n)
		return false;
	tx_copy(buf, n, *p, len);
	*p += len;
	return true;
}

bool tx_space(const char **p)
{
	if (**p != ' ')
		return false;
	tx_skip_spaces(p);
	return true;
}

void tx_skip_spaces(const char **p)
{
	while (**p == ' ')
		(*p)++;
}

bool tx_at_end(const char *p)
{
	tx_skip_spaces(&p);
	return *p == '\0';
}

void tx_copy(char *dst, size_t n, const char *s, size_t len)
{
	if (!n)
		return;
	if (len > n - 1)
		len = n - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

bool tx_kv(const char *text, const char *key, char *out, size_t n)
{
	size_t klen = strlen(key);

	for (const char *s = text; *s;) {
		tx_skip_spaces(&s);
		size_t len = strcspn(s, " ");

		if (len > klen && strncmp(s, key, klen) == 0 && s[klen] == '=') {
			tx_copy(out, n, s + klen + 1, len - klen - 1);
			return true;
		}
		s += len;
	}
	return false;
}

void tx_percent(char *buf, size_t n, uint64_t part, uint64_t whole)
{
	/* Scale down so that part * 2000 cannot overflow; the ratio is what matters. */
	while (part > UINT64_MAX / 4000 || whole > UINT64_MAX / 4000) {
		part >>= 1;
		whole >>= 1;
	}
	if (!whole) {
		snprintf(buf, n, "-");
		return;
	}
	uint64_t tenths = (part * 2000 + whole) / (2 * whole);

	snprintf(buf, n, "%llu.%llu%%", (unsigned long long)(tenths / 10),
		 (unsigned long long)(tenths % 10));
}

/* ---- Memory ---- */

_Noreturn void vl_out_of_memory(void)
{
	fprintf(stderr, "vmxlog: out of memory\n");
	exit(3);
}

void *vl_grow(void *ptr, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 8;

	if (need <= *cap)
		return ptr;
	while (c < need) {
		if (c > SIZE_MAX / 2)
			vl_out_of_memory();
		c *= 2;
	}
	if (c > SIZE_MAX / elem)
		vl_out_of_memory();
	void *q = realloc(ptr, c * elem);

	if (!q)
		vl_out_of_memory();
	*cap = c;
	return q;
}

char *vl_strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (!d)
		vl_out_of_memory();
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}
