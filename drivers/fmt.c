/* The printf-style formatter of freestanding code (see drivers/fmt.h). Pure. */
#include "drivers/fmt.h"

#include <stdbool.h>
#include <stdint.h>

struct fmt_out {
	char *buf;
	size_t cap;
	size_t len;
};

struct fmt_spec {
	bool left;
	bool zero;
	bool alt;
	int width;
	int precision; /* -1: none */
	int length;    /* 0 int, 1 long, 2 long long, -1 short, -2 char, 3 size_t */
};

static void out_char(struct fmt_out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

static void out_pad(struct fmt_out *o, char c, int count)
{
	for (int i = 0; i < count; i++)
		out_char(o, c);
}

static void out_str(struct fmt_out *o, const struct fmt_spec *s, const char *str)
{
	int len = 0;

	if (!str)
		str = "(null)";
	while (str[len] && (s->precision < 0 || len < s->precision))
		len++;
	if (!s->left)
		out_pad(o, ' ', s->width - len);
	for (int i = 0; i < len; i++)
		out_char(o, str[i]);
	if (s->left)
		out_pad(o, ' ', s->width - len);
}

static void out_num(struct fmt_out *o, const struct fmt_spec *s, uint64_t v, bool neg,
		    unsigned base, bool upper, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;
	int plen = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (neg)
		prefix = "-";
	while (prefix && prefix[plen])
		plen++;
	int pad = s->width - n - plen;
	if (!s->left && !s->zero)
		out_pad(o, ' ', pad);
	for (int i = 0; i < plen; i++)
		out_char(o, prefix[i]);
	if (!s->left && s->zero)
		out_pad(o, '0', pad);
	while (n)
		out_char(o, tmp[--n]);
	if (s->left)
		out_pad(o, ' ', pad);
}

static const char *parse_spec(const char *f, struct fmt_spec *s, va_list *ap)
{
	*s = (struct fmt_spec){ .precision = -1 };
	for (;; f++) {
		if (*f == '-')
			s->left = true;
		else if (*f == '0')
			s->zero = true;
		else if (*f == '#')
			s->alt = true;
		else
			break;
	}
	if (*f == '*') {
		s->width = va_arg(*ap, int);
		f++;
	}
	while (*f >= '0' && *f <= '9')
		s->width = s->width * 10 + (*f++ - '0');
	if (*f == '.') {
		f++;
		s->precision = 0;
		if (*f == '*') {
			s->precision = va_arg(*ap, int);
			f++;
		}
		while (*f >= '0' && *f <= '9')
			s->precision = s->precision * 10 + (*f++ - '0');
	}
	for (;; f++) {
		if (*f == 'l')
			s->length = s->length == 1 ? 2 : 1;
		else if (*f == 'h')
			s->length = s->length == -1 ? -2 : -1;
		else if (*f == 'z')
			s->length = 3;
		else
			break;
	}
	return f;
}

static uint64_t arg_unsigned(const struct fmt_spec *s, va_list *ap)
{
	switch (s->length) {
	case 1:
		return va_arg(*ap, unsigned long);
	case 2:
		return va_arg(*ap, unsigned long long);
	case 3:
		return va_arg(*ap, size_t);
	case -1:
		return (unsigned short)va_arg(*ap, unsigned int);
	case -2:
		return (unsigned char)va_arg(*ap, unsigned int);
	default:
		return va_arg(*ap, unsigned int);
	}
}

static int64_t arg_signed(const struct fmt_spec *s, va_list *ap)
{
	switch (s->length) {
	case 1:
		return va_arg(*ap, long);
	case 2:
		return va_arg(*ap, long long);
	case 3:
		return (int64_t)va_arg(*ap, size_t);
	case -1:
		return (short)va_arg(*ap, int);
	case -2:
		return (signed char)va_arg(*ap, int);
	default:
		return va_arg(*ap, int);
	}
}

static void format_one(struct fmt_out *o, const struct fmt_spec *s, char conv, va_list *ap)
{
	switch (conv) {
	case 'd':
	case 'i': {
		int64_t v = arg_signed(s, ap);
		uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
		out_num(o, s, mag, v < 0, 10, false, NULL);
		break;
	}
	case 'u':
		out_num(o, s, arg_unsigned(s, ap), false, 10, false, NULL);
		break;
	case 'x':
	case 'X':
		out_num(o, s, arg_unsigned(s, ap), false, 16, conv == 'X',
			s->alt ? (conv == 'X' ? "0X" : "0x") : NULL);
		break;
	case 'o':
		out_num(o, s, arg_unsigned(s, ap), false, 8, false, s->alt ? "0" : NULL);
		break;
	case 'p':
		out_num(o, s, (uint64_t)(uintptr_t)va_arg(*ap, void *), false, 16, false, "0x");
		break;
	case 'c': {
		char c[2] = { (char)va_arg(*ap, int), 0 };
		out_str(o, s, c);
		break;
	}
	case 's':
		out_str(o, s, va_arg(*ap, const char *));
		break;
	default: /* '%' and unknown conversions print themselves */
		out_char(o, '%');
		if (conv != '%')
			out_char(o, conv);
		break;
	}
}

size_t fmt_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct fmt_out o = { .buf = buf, .cap = n, .len = 0 };
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			out_char(&o, *fmt++);
			continue;
		}
		struct fmt_spec s;
		fmt = parse_spec(fmt + 1, &s, &aq);
		if (!*fmt)
			break;
		format_one(&o, &s, *fmt++, &aq);
	}
	va_end(aq);
	if (n)
		buf[o.len < n ? o.len : n - 1] = '\0';
	return o.len;
}

size_t fmt_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t r = fmt_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return r;
}
