/* Fuzz target: traces in memory, the parsers of outside input: the text form of a trace
 * record (vmx/study/trace_record.c: TRACE lines come back from a serial log), trace_filter=
 * (vmx/policy/trace_filter.c: whoever set up the boot entry) and a System.map
 * (tools/vmxlog/symmap.c: a file the user names).
 *
 * Input: one mode byte (0 record text, 1 filter, 2 System.map), then the text.
 * Checks: no memory error; a record that decodes encodes again to a text that decodes to
 * the same record, within TRACE_TEXT_MAX; a filter that parses keeps its ranges ordered
 * and within their count, and a refused one leaves a NUL-terminated reason; System.map
 * symbols come out sorted and every lookup names a symbol at or below the address.
 */
// fuzz-srcs: vmx/study/trace_record.c vmx/policy/trace_filter.c tools/vmxlog/symmap.c tools/vmxlog/text.c drivers/fmt.c

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/vmxlog/symmap.h"
#include "vmx/policy/trace_filter.h"
#include "vmx/study/trace_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void record_text(const char *s, size_t n)
{
	struct trace_record r, back;
	char text[TRACE_TEXT_MAX + 1], words[256];

	if (!trace_record_decode(s, n, &r))
		return;
	size_t len = trace_record_encode(&r, text, sizeof(text));
	if (len == 0 || len > TRACE_TEXT_MAX || !trace_record_decode(text, len, &back) || memcmp(&r, &back, sizeof(r)))
		abort();
	if (trace_record_detail_text(&r, words, sizeof(words)) >= sizeof(words) && strlen(words) != sizeof(words) - 1)
		abort();
}

static void filter(const char *s, size_t n)
{
	struct trace_filter f;
	char err[96];
	struct trace_record r;

	memset(err, 'x', sizeof(err));
	if (!trace_filter_parse(&f, s, n, err, sizeof(err))) {
		if (!memchr(err, 0, sizeof(err)))
			abort();
		return;
	}
	for (unsigned k = 0; k < TF_KEYS; k++) {
		if (f.n[k] > TRACE_FILTER_RANGES)
			abort();
		for (unsigned i = 0; i < f.n[k]; i++)
			if (f.range[k][i].lo > f.range[k][i].hi)
				abort();
	}
	memset(&r, 0, sizeof(r));
	memcpy(&r, s, n < sizeof(r) ? n : sizeof(r));
	(void)trace_filter_match(&f, &r);
}

static void system_map(const char *s, size_t n)
{
	struct symmap m;
	uint64_t off;

	symmap_parse(&m, s, n);
	for (size_t i = 1; i < m.count; i++)
		if (m.sym[i - 1].addr > m.sym[i].addr)
			abort();
	for (size_t i = 0; i < m.count; i++) {
		const char *name = symmap_lookup(&m, m.sym[i].addr + 1, &off);
		if (name && off > m.sym[i].addr + 1)
			abort();
	}
	symmap_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *s = (const char *)data + 1;
	size_t n = size - 1;

	switch (data[0] % 3) {
	case 0: record_text(s, n); break;
	case 1: filter(s, n); break;
	default: system_map(s, n); break;
	}
	return 0;
}
