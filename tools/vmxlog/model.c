/* vmxlog: the parsed log's lifetime and small lookups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/vmxlog/vmxlog.h"

void vl_init(struct vl_log *log)
{
	memset(log, 0, sizeof(*log));
	log->caps.cpu = VL_CPU_NONE;
}

static void free_dumps(struct vl_log *log)
{
	for (size_t i = 0; i < log->ndump; i++) {
		for (size_t j = 0; j < log->dump[i].count; j++)
			free(log->dump[i].field[j].detail);
		free(log->dump[i].field);
	}
	free(log->dump);
}

static void free_recorders(struct vl_log *log)
{
	for (size_t i = 0; i < log->nrec; i++) {
		for (size_t j = 0; j < log->rec[i].count; j++)
			free(log->rec[i].entry[j].chg);
		free(log->rec[i].entry);
	}
	free(log->rec);
}

void vl_free(struct vl_log *log)
{
	free_dumps(log);
	free_recorders(log);
	for (size_t i = 0; i < log->nstats; i++) {
		free(log->stats[i].row);
		free(log->stats[i].port);
	}
	free(log->stats);
	free(log->exit);
	free(log->trace);
	free(log->tend);
	for (size_t i = 0; i < log->nmsg; i++)
		free(log->msg[i].text);
	free(log->msg);
	vl_strtab_free(&log->reasons);
	vl_strtab_free(&log->details);
	vl_init(log);
}

const struct vl_cpu *vl_cpu_find(const struct vl_log *log, uint32_t id)
{
	for (unsigned i = 0; i < log->ncpu; i++)
		if (log->cpu[i].id == id)
			return &log->cpu[i];
	return NULL;
}

const char *vl_cpu_name(uint32_t id, char *buf, size_t n)
{
	if (id == VL_CPU_NONE)
		snprintf(buf, n, "cpu-");
	else
		snprintf(buf, n, "cpu%u", (unsigned)id);
	return buf;
}

/* As vmx/vmcs/vmcs_fields.c names them in the dump's "VMCS group" lines. */
static const char *const vmcs_group_names[VL_VMCS_GROUPS] = {
	[VL_G_CONTROL] = "control",     [VL_G_GUEST] = "guest-state",
	[VL_G_HOST] = "host-state",     [VL_G_EXIT] = "exit-information",
	[VL_G_NONE] = "(no group line)",
};

const char *vl_vmcs_group_name(enum vl_vmcs_group g)
{
	return (unsigned)g < VL_VMCS_GROUPS ? vmcs_group_names[g] : "?";
}

static const char *const caps_tags[VL_CAPS_GROUPS] = {
	[VL_PIN] = "PIN",     [VL_PROC] = "PROC", [VL_PROC2] = "PROC2",
	[VL_PROC3] = "PROC3", [VL_EXIT] = "EXIT", [VL_ENTRY] = "ENTRY",
};

const char *vl_caps_group_tag(enum vl_caps_group g)
{
	return (unsigned)g < VL_CAPS_GROUPS ? caps_tags[g] : "?";
}

long vl_dump_find(const struct vl_dump *d, const char *name)
{
	for (size_t i = 0; i < d->count; i++)
		if (strcmp(d->field[i].name, name) == 0)
			return (long)i;
	return -1;
}
