/* hvctl trace: one record as one line (trace_line.h). */
#include "tools/hvctl/trace_line.h"

#include "drivers/fmt.h"

size_t hvctl_trace_line(const struct trace_record *r, const char *reason_name, char *buf, size_t n)
{
	char reason[24];
	size_t len;

	if (reason_name)
		fmt_snprintf(reason, sizeof(reason), "%s", reason_name);
	else
		fmt_snprintf(reason, sizeof(reason), "reason=%u", r->reason);
	len = fmt_snprintf(buf, n, "cpu%u #%u tsc=%lu %s rip=0x%lx qual=0x%lx cycles=%u%s ", r->cpu, r->seq,
			   (unsigned long)r->tsc, reason, (unsigned long)r->rip, (unsigned long)r->qual, r->cycles,
			   (r->flags & TRACE_F_CYCLES_CAPPED) ? "+" : "");
	len += trace_record_detail_text(r, buf + (len < n ? len : n), len < n ? n - len : 0);
	while (len && len < n && buf[len - 1] == ' ')
		buf[--len] = '\0'; /* no details: no trailing blank */
	return len;
}
