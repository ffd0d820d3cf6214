/* Trace records: the reason's details and the compact text form (trace_record.h). Pure. */
#include "vmx/study/trace_record.h"

#include "drivers/fmt.h"
#include "vmx/decode/exit_reasons.h"

enum { R_RAX, R_RCX, R_RDX, R_RBX };

enum trace_kind trace_detail_kind(uint32_t basic)
{
	switch (basic) {
	case EXIT_REASON_CPUID: return TRACE_KIND_CPUID;
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE: return TRACE_KIND_MSR;
	case EXIT_REASON_IO_INSTRUCTION: return TRACE_KIND_IO;
	case EXIT_REASON_CR_ACCESS: return TRACE_KIND_CR;
	case EXIT_REASON_XSETBV: return TRACE_KIND_XSETBV;
	case EXIT_REASON_VMCALL: return TRACE_KIND_VMCALL;
	case EXIT_REASON_EPT_VIOLATION:
	case EXIT_REASON_EPT_MISCONFIG: return TRACE_KIND_EPT;
	default: return TRACE_KIND_NONE;
	}
}

static uint64_t edx_eax(const uint64_t gpr[16])
{
	return (uint32_t)gpr[R_RAX] | (gpr[R_RDX] << 32);
}

/* I/O qualification (SDM Vol. 3C, Table 28-5 "Exit Qualification for I/O Instructions"):
 * size bits 2:0 (0/1/3 = 1/2/4 bytes), direction bit 3 (1 = IN), string bit 4, REP bit 5,
 * port bits 31:16. */
static void io_before(union trace_detail *d, uint64_t qual, const uint64_t gpr[16])
{
	d->io.port = (uint16_t)(qual >> 16);
	d->io.size = (uint8_t)((qual & 7) + 1);
	d->io.flags = (uint8_t)(((qual >> 3) & 1 ? TRACE_IO_IN : 0) | ((qual >> 4) & 1 ? TRACE_IO_STRING : 0) |
				((qual >> 5) & 1 ? TRACE_IO_REP : 0));
	if (d->io.flags & TRACE_IO_REP)
		d->io.count = gpr[R_RCX];
	if (!(d->io.flags & (TRACE_IO_IN | TRACE_IO_STRING)))
		d->io.value = (uint32_t)gpr[R_RAX] & (d->io.size == 4 ? 0xFFFFFFFFu : (1u << (8 * d->io.size)) - 1);
}

/* CR qualification (Table 28-3 "Exit Qualification for Control-Register Accesses"):
 * CR bits 3:0, access type bits 5:4, register bits 11:8, LMSW source data bits 31:16. */
static void cr_before(union trace_detail *d, uint64_t qual, const uint64_t gpr[16])
{
	d->cr.cr = qual & 15;
	d->cr.access = (qual >> 4) & 3;
	d->cr.gpr = (qual >> 8) & 15;
	if (d->cr.access == 0)
		d->cr.value = gpr[d->cr.gpr];
	else if (d->cr.access == 3)
		d->cr.value = (qual >> 16) & 0xFFFF;
}

void trace_detail_before(union trace_detail *d, uint32_t basic, uint64_t qual, const uint64_t gpr[16])
{
	for (unsigned i = 0; i < TRACE_DETAIL_WORDS; i++)
		d->word[i] = 0;
	switch (trace_detail_kind(basic)) {
	case TRACE_KIND_CPUID:
		d->cpuid.leaf = (uint32_t)gpr[R_RAX];
		d->cpuid.subleaf = (uint32_t)gpr[R_RCX];
		break;
	case TRACE_KIND_MSR:
		d->msr.msr = (uint32_t)gpr[R_RCX];
		if (basic == EXIT_REASON_MSR_WRITE)
			d->msr.value = edx_eax(gpr);
		break;
	case TRACE_KIND_IO: io_before(d, qual, gpr); break;
	case TRACE_KIND_CR: cr_before(d, qual, gpr); break;
	case TRACE_KIND_XSETBV:
		d->xsetbv.index = (uint32_t)gpr[R_RCX];
		d->xsetbv.value = edx_eax(gpr);
		break;
	case TRACE_KIND_VMCALL: d->vmcall.function = gpr[R_RAX]; break;
	default: break;
	}
}

void trace_detail_after(union trace_detail *d, uint32_t basic, uint64_t qual, const uint64_t gpr[16])
{
	(void)qual;
	switch (trace_detail_kind(basic)) {
	case TRACE_KIND_CPUID:
		d->cpuid.eax = (uint32_t)gpr[R_RAX];
		d->cpuid.ebx = (uint32_t)gpr[R_RBX];
		d->cpuid.ecx = (uint32_t)gpr[R_RCX];
		d->cpuid.edx = (uint32_t)gpr[R_RDX];
		break;
	case TRACE_KIND_MSR:
		if (basic == EXIT_REASON_MSR_READ)
			d->msr.value = edx_eax(gpr);
		break;
	case TRACE_KIND_IO:
		if ((d->io.flags & (TRACE_IO_IN | TRACE_IO_STRING)) == TRACE_IO_IN)
			d->io.value = (uint32_t)gpr[R_RAX] &
				      (d->io.size == 4 ? 0xFFFFFFFFu : (1u << (8 * d->io.size)) - 1);
		break;
	case TRACE_KIND_CR:
		if (d->cr.access == 1)
			d->cr.value = gpr[d->cr.gpr];
		break;
	case TRACE_KIND_VMCALL: d->vmcall.status = (int64_t)gpr[R_RAX]; break;
	default: break;
	}
}

/* ---- the text form ---- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#define TRACE_BIN_MAX 104 /* 9 fields + count + 3 words, 10 bytes each at most, rounded up */

static size_t put_varint(uint8_t *b, size_t at, uint64_t v)
{
	while (v >= 0x80) {
		b[at++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b[at++] = (uint8_t)v;
	return at;
}

static uint64_t zigzag(uint64_t v)
{
	return (v << 1) ^ (uint64_t)-(int64_t)(v >> 63);
}

static uint64_t unzigzag(uint64_t v)
{
	return (v >> 1) ^ (uint64_t)-(int64_t)(v & 1);
}

static size_t record_to_bytes(const struct trace_record *r, uint8_t *b)
{
	const uint64_t head[9] = { r->seq, r->reason, r->cpu, r->flags, r->cycles, r->qual, zigzag(r->rip), r->tsc,
				   r->injected };
	size_t at = 0;
	unsigned words = TRACE_DETAIL_WORDS;

	for (unsigned i = 0; i < 9; i++)
		at = put_varint(b, at, head[i]);
	while (words && r->detail.word[words - 1] == 0)
		words--;
	at = put_varint(b, at, words);
	for (unsigned i = 0; i < words; i++)
		at = put_varint(b, at, r->detail.word[i]);
	return at;
}

size_t trace_record_encode(const struct trace_record *r, char *out, size_t cap)
{
	uint8_t b[TRACE_BIN_MAX];
	size_t n = record_to_bytes(r, b), len = (n * 8 + 5) / 6, o = 0;

	if (cap < len + 1)
		return 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)b[i] << 16 | (i + 1 < n ? (uint32_t)b[i + 1] << 8 : 0) | (i + 2 < n ? b[i + 2] : 0);
		for (unsigned k = 0; k < 4 && o < len; k++)
			out[o++] = B64[(v >> (18 - 6 * k)) & 63];
	}
	out[o] = '\0';
	return o;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '-' ? 62 : c == '_' ? 63 : -1;
}

/* base64url without padding: a length of 1 mod 4 is never produced, and the bits past
 * the last whole byte must be 0 (one text per record). */
static bool b64_decode(const char *s, size_t n, uint8_t *b, size_t *len)
{
	uint32_t acc = 0;
	unsigned bits = 0;

	if (n % 4 == 1 || (n * 6) / 8 > TRACE_BIN_MAX)
		return false;
	*len = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64_value(s[i]);
		if (v < 0)
			return false;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			b[(*len)++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return acc == 0;
}

static bool get_varint(const uint8_t *b, size_t n, size_t *at, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*at >= n)
			return false;
		uint8_t c = b[(*at)++];
		if (shift == 63 && c > 1)
			return false; /* more than 64 bits */
		x |= (uint64_t)(c & 0x7F) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return true;
		}
	}
	return false;
}

static bool bytes_to_record(const uint8_t *b, size_t n, struct trace_record *r)
{
	static const uint64_t max[9] = { UINT32_MAX, UINT16_MAX, UINT8_MAX, UINT8_MAX, UINT32_MAX,
					 UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT32_MAX };
	uint64_t v[9], words;
	size_t at = 0;

	for (unsigned i = 0; i < 9; i++)
		if (!get_varint(b, n, &at, &v[i]) || v[i] > max[i])
			return false;
	if (!get_varint(b, n, &at, &words) || words > TRACE_DETAIL_WORDS)
		return false;
	*r = (struct trace_record){ .seq = (uint32_t)v[0], .reason = (uint16_t)v[1], .cpu = (uint8_t)v[2],
				    .flags = (uint8_t)v[3], .cycles = (uint32_t)v[4], .qual = v[5],
				    .rip = unzigzag(v[6]), .tsc = v[7], .injected = (uint32_t)v[8] };
	for (unsigned i = 0; i < words; i++)
		if (!get_varint(b, n, &at, &r->detail.word[i]))
			return false;
	return at == n;
}

bool trace_record_decode(const char *s, size_t n, struct trace_record *r)
{
	uint8_t b[TRACE_BIN_MAX];
	size_t len;

	return n <= TRACE_TEXT_MAX && b64_decode(s, n, b, &len) && bytes_to_record(b, len, r);
}

/* ---- the details in words ---- */

size_t trace_record_detail_text(const struct trace_record *r, char *buf, size_t n)
{
	const union trace_detail *d = &r->detail;
	static const char *const access[4] = { "mov-to", "mov-from", "clts", "lmsw" };
	size_t len = 0;

	if (n)
		buf[0] = '\0';
	switch (trace_detail_kind(r->reason)) {
	case TRACE_KIND_CPUID:
		len = fmt_snprintf(buf, n, "leaf=0x%x subleaf=0x%x eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x",
				   d->cpuid.leaf, d->cpuid.subleaf, d->cpuid.eax, d->cpuid.ebx, d->cpuid.ecx, d->cpuid.edx);
		break;
	case TRACE_KIND_MSR: len = fmt_snprintf(buf, n, "msr=0x%x value=0x%016lx", d->msr.msr, d->msr.value); break;
	case TRACE_KIND_IO:
		len = fmt_snprintf(buf, n, "port=0x%04x size=%u dir=%s%s%s value=0x%x", d->io.port, d->io.size,
				   d->io.flags & TRACE_IO_IN ? "in" : "out", d->io.flags & TRACE_IO_STRING ? " string" : "",
				   d->io.flags & TRACE_IO_REP ? " rep" : "", d->io.value);
		if (d->io.flags & TRACE_IO_REP)
			len += fmt_snprintf(buf + (len < n ? len : n), len < n ? n - len : 0, " rcx=0x%lx", d->io.count);
		break;
	case TRACE_KIND_CR:
		len = fmt_snprintf(buf, n, "cr=%u access=%s value=0x%016lx", d->cr.cr, access[d->cr.access & 3], d->cr.value);
		break;
	case TRACE_KIND_XSETBV: len = fmt_snprintf(buf, n, "xcr=%u value=0x%lx", d->xsetbv.index, d->xsetbv.value); break;
	case TRACE_KIND_VMCALL:
		len = fmt_snprintf(buf, n, "function=%lu status=%ld", d->vmcall.function, d->vmcall.status);
		break;
	case TRACE_KIND_EPT: len = fmt_snprintf(buf, n, "gpa=0x%lx", d->ept.gpa); break;
	default: break;
	}
	if (r->injected)
		len += fmt_snprintf(buf + (len < n ? len : n), len < n ? n - len : 0, "%sinjected=0x%x", len ? " " : "",
				    r->injected);
	return len;
}
