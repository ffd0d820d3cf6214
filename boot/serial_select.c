/* Which UART the log goes to, and why (boot/serial_select.h). */
#include "boot/serial_select.h"

#include "drivers/fmt.h"

#include <string.h>

/* Reasons, in the order the choice was made. */
struct serial_why {
	char s[SERIAL_TEXT_MAX];
	size_t n;
};

static void why_add(struct serial_why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why_add(struct serial_why *w, const char *fmt, ...)
{
	va_list ap;

	if (w->n >= sizeof(w->s) - 1)
		return;
	if (w->n && w->s[w->n - 1] != ' ')
		w->n += fmt_snprintf(w->s + w->n, sizeof(w->s) - w->n, ", ");
	if (w->n >= sizeof(w->s) - 1)
		return;
	va_start(ap, fmt);
	w->n += fmt_vsnprintf(w->s + w->n, sizeof(w->s) - w->n, fmt, ap);
	va_end(ap);
}

/* "0x3f8", "I/O 0x2f8 stride 4", "MMIO 0xfe032000 stride 4". */
static void serial_describe_at(const struct uart_desc *at, char *buf, size_t len)
{
	const char *space = at->space == UART_SPACE_MMIO ? "MMIO " : at->stride != 1 ? "I/O " : "";

	if (at->stride != 1)
		fmt_snprintf(buf, len, "%s0x%lx stride %u", space, at->base, at->stride);
	else
		fmt_snprintf(buf, len, "%s0x%lx", space, at->base);
}

static bool serial_is_com1(const struct uart_desc *at)
{
	return at->space == UART_SPACE_IO && at->base == SERIAL_COM1_PORT && at->stride == 1;
}

static void serial_take(struct serial_choice *out, const char *name, const struct uart_desc *at,
			const struct serial_why *w)
{
	char where[64];

	serial_describe_at(at, where, sizeof(where));
	out->at = *at;
	fmt_snprintf(out->text, sizeof(out->text), "%s at %s (%s)", name, where, w->s);
}

static void serial_take_none(struct serial_choice *out, const struct serial_why *w)
{
	out->at = (struct uart_desc){ UART_SPACE_NONE, 0, 1 };
	fmt_snprintf(out->text, sizeof(out->text), "none (%s); the log is kept in memory: read it with 'hvctl log'",
		     w->s);
}

static bool serial_try_spcr(const struct serial_probe *p, struct serial_choice *out, struct serial_why *w)
{
	struct uart_desc at;
	char where[64];
	enum spcr_status st = p->spcr(p->ctx, &at);

	if (st != SPCR_OK) {
		why_add(w, "%s", spcr_status_text(st));
		return false;
	}
	serial_describe_at(&at, where, sizeof(where));
	if (!p->answers(p->ctx, &at)) {
		why_add(w, "the SPCR UART at %s does not answer", where);
		return false;
	}
	why_add(w, "SPCR names it");
	serial_take(out, serial_is_com1(&at) ? "COM1" : "SPCR UART", &at, w);
	return true;
}

static bool serial_try_com1(const struct serial_probe *p, struct serial_choice *out, struct serial_why *w)
{
	struct uart_desc at = { UART_SPACE_IO, SERIAL_COM1_PORT, 1 };

	if (!p->answers(p->ctx, &at)) {
		why_add(w, "no COM1");
		return false;
	}
	why_add(w, "COM1 answers");
	serial_take(out, "COM1", &at, w);
	return true;
}

static const char *const pci_bar_words[] = {
	[PCI_BAR_OK] = "BAR0 ok",
	[PCI_BAR_UNASSIGNED] = "BAR0 unassigned",
	[PCI_BAR_BAD_TYPE] = "BAR0 of a reserved type",
};

/* The UART of PCI function f, if its BAR0 decodes and it answers. */
static bool serial_try_pci_at(const struct serial_probe *p, struct pci_bdf f, struct serial_choice *out,
			      struct serial_why *w)
{
	struct uart_desc at;
	char name[32];
	enum pci_bar_status st = pci_uart_at(p->pci, f, &at);

	fmt_snprintf(name, sizeof(name), "PCI %02x:%02x.%x", f.bus, f.dev, f.fn);
	if (st != PCI_BAR_OK) {
		why_add(w, "%s: %s", name, pci_bar_words[st]);
		return false;
	}
	if (!p->answers(p->ctx, &at)) {
		why_add(w, "%s does not answer", name);
		return false;
	}
	why_add(w, "%s answers", name);
	serial_take(out, name, &at, w);
	return true;
}

static bool serial_try_pci_scan(const struct serial_probe *p, struct serial_choice *out, struct serial_why *w)
{
	struct pci_bdf f;

	if (!pci_find_uart16550(p->pci, &f)) {
		why_add(w, "no PCI 16550 (class 07/00/02)");
		return false;
	}
	why_add(w, "PCI %02x:%02x.%x is a 16550", f.bus, f.dev, f.fn);
	return serial_try_pci_at(p, f, out, w);
}

static void serial_select_auto(const struct serial_probe *p, struct serial_choice *out)
{
	struct serial_why w = { "auto: ", 6 };

	if (!serial_try_spcr(p, out, &w) && !serial_try_com1(p, out, &w) && !serial_try_pci_scan(p, out, &w))
		serial_take_none(out, &w);
}

/* serial=PORT, mmio:, pci:: the UART named, if it answers. */
static void serial_select_named(const struct opt_serial *o, const struct serial_probe *p, struct serial_choice *out)
{
	char where[64];
	struct serial_why w = { "", 0 };

	if (o->mode == OPT_SERIAL_PCI) {
		struct pci_bdf f = { o->bus, o->dev, o->fn };
		why_add(&w, "serial=pci:%02x:%02x.%x", o->bus, o->dev, o->fn);
		if (!serial_try_pci_at(p, f, out, &w))
			serial_take_none(out, &w);
		return;
	}
	serial_describe_at(&o->at, where, sizeof(where));
	if (o->mode == OPT_SERIAL_MMIO)
		why_add(&w, "serial=mmio:0x%lx,%u", o->at.base, o->at.stride);
	else
		why_add(&w, "serial=0x%lx", o->at.base);
	if (p->answers(p->ctx, &o->at)) {
		serial_take(out, serial_is_com1(&o->at) ? "COM1" : "UART", &o->at, &w);
		return;
	}
	why_add(&w, "nothing answers at %s", where);
	serial_take_none(out, &w);
}

void serial_select(const struct opt_serial *o, const struct serial_probe *p, struct serial_choice *out)
{
	if (o->mode == OPT_SERIAL_AUTO) {
		serial_select_auto(p, out);
	} else if (o->mode == OPT_SERIAL_NONE) {
		struct serial_why w = { "serial=none", 11 };
		serial_take_none(out, &w);
	} else {
		serial_select_named(o, p, out);
	}
}
