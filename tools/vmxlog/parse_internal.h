/* vmxlog: what the record parsers share. Internal to tools/vmxlog. */
#ifndef VMXRAY_TOOLS_VMXLOG_PARSE_INTERNAL_H
#define VMXRAY_TOOLS_VMXLOG_PARSE_INTERNAL_H
#include "tools/vmxlog/text.h"
#include "tools/vmxlog/vmxlog.h"

/* The vmxray line being parsed. */
struct vl_ctx {
	struct vl_log *log;
	struct vl_cpu *cpu; /* the slot of the CPU that wrote it */
	uint32_t cpu_id;
	enum vl_level level;
	unsigned long line;
};

/* Each takes the text after the keyword and its space; false when it does not parse. */
bool vl_parse_caps(struct vl_ctx *c, const char *text);
bool vl_parse_vmcs(struct vl_ctx *c, const char *text);
bool vl_parse_exit(struct vl_ctx *c, const char *text);
bool vl_parse_stats(struct vl_ctx *c, const char *text);
bool vl_parse_recorder(struct vl_ctx *c, const char *text);
bool vl_parse_check(struct vl_ctx *c, const char *text);
bool vl_parse_trace(struct vl_ctx *c, const char *text);
/* A guest or firmware line: Linux's TSC rate. */
void vl_guest_line(struct vl_log *log, const char *line);
/* Adds an exit to log->exit (EXIT lines and TRACE records alike). */
void vl_add_exit(struct vl_ctx *c, struct vl_exit *e, const char *detail);

void vl_add_msg(struct vl_ctx *c, const char *text, bool check);

/* An exit-reason name as vmx/decode/exit_reasons.def writes it: [A-Z][A-Z0-9_]*. */
bool vl_is_reason_name(const char *s);

#endif
