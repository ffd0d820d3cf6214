/* vmxlog: lines out of raw serial bytes, and strict tokens out of lines. */
#ifndef VMXRAY_TOOLS_VMXLOG_TEXT_H
#define VMXRAY_TOOLS_VMXLOG_TEXT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Splits raw bytes into cleaned lines:
 * - a line ends at '\n', at '\r' (a lone one, as firmware progress output uses), or at
 *   the end of the data (a missing final newline is fine); "\r\n" is one end;
 * - terminal escape sequences (CSI "ESC [ ... final", OSC "ESC ] ... BEL", two-byte
 *   "ESC x") are removed, tabs become spaces, other control bytes are dropped and bytes
 *   >= 0x80 become '?';
 * - where "[vmxray/" starts in the middle of a line, whatever came before it (guest
 *   output without a newline) is dropped, so the vmxray line begins the cleaned line;
 * - at most n - 1 characters are kept (*cut says the rest was dropped).
 * Empty lines are skipped. */
struct vl_reader {
	const unsigned char *p, *end;
	unsigned long line_no; /* physical line ('\n' count + 1) of the line last returned */
	unsigned long next_no;
};

void vl_reader_init(struct vl_reader *r, const char *data, size_t len);
/* False at the end of the data. */
bool vl_reader_next(struct vl_reader *r, char *buf, size_t n, bool *cut);

/* Tokens. Each returns false and leaves *p alone when the text there does not match. */
bool tx_lit(const char **p, const char *lit);
/* "0x" and 1..16 hex digits (either case); *digits gets their number when not NULL. */
bool tx_hex(const char **p, uint64_t *v, unsigned *digits);
/* 1..19 decimal digits. */
bool tx_dec(const char **p, uint64_t *v);
/* A run of characters from [A-Za-z0-9_] into buf (n - 1 at most; longer fails). */
bool tx_name(const char **p, char *buf, size_t n);
/* A run of non-space characters into buf (n - 1 at most; longer fails). */
bool tx_word(const char **p, char *buf, size_t n);
/* At least one space. */
bool tx_space(const char **p);
void tx_skip_spaces(const char **p);
/* Only spaces remain. */
bool tx_at_end(const char *p);

/* Copies at most n - 1 characters of s[0..len) and a NUL. */
void tx_copy(char *dst, size_t n, const char *s, size_t len);
/* The value of "key=value" (space-separated) in text, into out; false when absent. */
bool tx_kv(const char *text, const char *key, char *out, size_t n);

/* "12.3%": part/whole with one decimal, rounded half up; "-" when whole is 0. */
void tx_percent(char *buf, size_t n, uint64_t part, uint64_t whole);

/* Grows *ptr (elements of size elem, *cap of them) to hold at least need; exits the
 * program with a message when memory runs out. */
void *vl_grow(void *ptr, size_t *cap, size_t need, size_t elem);
char *vl_strndup(const char *s, size_t n);
/* "vmxlog: out of memory" on stderr, exit status 3. */
_Noreturn void vl_out_of_memory(void);

#endif
