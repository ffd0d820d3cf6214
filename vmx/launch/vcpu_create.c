/* Allocation and initialisation of one vcpu from the page pool: VMXON and VMCS regions,
 * host stacks, host GDT/TSS/IDT, flight recorder. Pure: no privileged instruction. */
#include "vmx/launch/launch.h"

#include <string.h>

#include "arch/desc.h"
#include "arch/exception.h"

struct vcpu *vcpu_create(struct hv *hv, unsigned index, uint32_t apic_id)
{
	struct vcpu *v = pool_alloc_pages(&hv->pool, 1);
	void *vmxon = pool_alloc_pages(&hv->pool, 1);
	void *vmcs = pool_alloc_pages(&hv->pool, 1);
	uint8_t *stack = pool_alloc_pages(&hv->pool, (VCPU_HOST_STACK_SIZE + VCPU_IST_STACK_SIZE) / PAGE_SIZE);
	struct host_tables *t = pool_alloc_pages(&hv->pool, (sizeof(struct host_tables) + PAGE_SIZE - 1) / PAGE_SIZE);
	_Static_assert(sizeof(struct vcpu) <= PAGE_SIZE, "struct vcpu must fit one page");

	uint32_t depth = hv->cfg.recorder_depth < RECORDER_DEPTH_MAX ? hv->cfg.recorder_depth : RECORDER_DEPTH_MAX;
	struct recorder_entry *ring = depth ? pool_alloc_pages(&hv->pool, (recorder_bytes(depth) + PAGE_SIZE - 1) / PAGE_SIZE) : NULL;

	if (!v || !vmxon || !vmcs || !stack || !t || (depth && !ring))
		return NULL;
	v->self = v;
	v->index = index;
	v->apic_id = apic_id;
	v->apic_id_now = apic_id;
	v->hv = hv;
	v->vmxon_region = vmxon;
	v->vmcs_region = vmcs;
	v->host_stack = stack;
	v->host_gdt = t;
	recorder_init(&v->recorder, ring, depth);
	v->exit_slow = v->recorder.depth != 0 || hv->cfg.exit_slow;
	v->io_fast_qual[0] = v->io_fast_qual[1] = IO_FAST_NONE; /* until the C path has seen one */
	v->ept_stale = 1; /* the first exit compares generations (vmx_ept_flush_if_stale) */
	memcpy(v->canary, VCPU_CANARY, sizeof(VCPU_CANARY));
	desc_build_host_tables(t, isr_table, (uint64_t)(uintptr_t)(stack + VCPU_HOST_STACK_SIZE + VCPU_IST_STACK_SIZE));
	uint8_t *top = stack + VCPU_HOST_STACK_SIZE;
	*(struct vcpu **)(top - HOST_STACK_VCPU_SLOT_OFFSET) = v;
	hv->vcpu[index] = v;
	if (index + 1 > hv->cpu_count)
		hv->cpu_count = index + 1;
	return v;
}
