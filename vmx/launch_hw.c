/* VMX bring-up on the live CPU. Hardware edge: VMXON, VMCS writes from the current CPU
 * state. SDM Vol. 3C, 24.7 "Enabling and Entering VMX Operation", 25 "Virtual Machine
 * Control Structures", 27 "VM Entries". */
#include "vmx/launch.h"

#include "arch/bits.h"
#include "arch/cpu.h"
#include "arch/cr.h"
#include "arch/desc.h"
#include "arch/exception.h"
#include "arch/msr.h"
#include "arch/paging.h"
#include "drivers/fmt.h"
#include "drivers/log.h"
#include "vmx/checker.h"
#include "vmx/controls.h"
#include "vmx/debug/gdb.h"
#include "vmx/exit.h"
#include "vmx/setup.h"
#include "vmx/vm_insn_errors.h"
#include "vmx/vmcs.h"
#include "vmx/vmcs_hw.h"
#include "vmx/vmx_hw.h"

#include <string.h>

int vmx_launch(struct vcpu *v);
extern const char vmx_exit_entry[];
void vmx_root_nmi(const struct exception_frame *f);

/* A root-mode exception: dump the VMCS of this CPU (arch/exception.c then stops it). */
static void vmx_root_panic(const struct exception_frame *f)
{
	(void)f;
	struct vcpu *v = vcpu_current();
	vmx_dump_current(v, "root-mode exception");
}

static void caps_emit(void *ctx, const char *line)
{
	(void)ctx;
	log_info("%s", line);
}

static enum hv_status check_caps(struct hv *hv)
{
	const char *why = vmx_caps_unusable_reason(&hv->caps);
	if (why) {
		log_error("%s", why);
		return HV_ERR_NO_VMX;
	}
	setup_control_request(&hv->req);
	struct vmx_missing missing;
	bool ok = vmx_negotiate(&hv->caps, &hv->req, &hv->ctls, &missing);
	vmx_caps_matrix(&hv->caps, &hv->req, &hv->ctls, hv->cfg.caps_full, caps_emit, NULL);
	for (unsigned i = 0; i < missing.count; i++) {
		char text[160];
		vmx_missing_describe(&missing.item[i], text, sizeof(text));
		log_error("missing required VMX capability: %s", text);
	}
	if (ok && !(vmx_caps_ept_4level(&hv->caps) && vmx_caps_ept_wb(&hv->caps))) {
		log_error("missing required VMX capability: EPT with a 4-level walk and write-back "
			  "paging structures (IA32_VMX_EPT_VPID_CAP bits 6 and 14)");
		ok = false;
	}
	return ok ? HV_OK : HV_ERR_MISSING_CAPS;
}

static enum hv_status build_ept(struct hv *hv)
{
	struct ept_caps ec = {
		.page_1g = vmx_caps_ept_1g(&hv->caps),
		.page_2m = vmx_caps_ept_2m(&hv->caps),
		.ad = false,
		.maxphyaddr = vmx_caps_maxphyaddr(&hv->caps),
	};
	struct ept_range owned[HV_OWNED_MAX];
	for (unsigned i = 0; i < hv->owned_count; i++)
		owned[i] = (struct ept_range){ hv->owned[i].base, hv->owned[i].size };
	hv->ept_alloc = (struct ept_alloc){ pool_alloc_page_cb, pool_phys_to_virt_cb, &hv->pool };
	mtrr_read_state(&hv->mtrr, ec.maxphyaddr);
	if (ept_build_identity(&hv->ept, &ec, &hv->mtrr, owned, hv->owned_count, &hv->ept_alloc) != 0)
		return HV_ERR_NO_MEMORY;
	hv->eptp = ept_pointer(&hv->ept, false);
	hv->invept_single = vmx_caps_invept_single(&hv->caps);
	log_info("EPT: identity map of %u-bit guest-physical space, %zu table pages, 1G pages %s, "
		 "%u owned range(s) not present",
		 ec.maxphyaddr, hv->ept.pages_used, ec.page_1g ? "yes" : "no", hv->owned_count);
	return HV_OK;
}

enum hv_status hv_prepare(struct hv *hv)
{
	vmx_caps_read(&hv->caps);
	if (hv->cfg.test_flags & HV_TEST_FEATURE_CONTROL_LOCKED) {
		log_info("test=feature-control-locked: treating IA32_FEATURE_CONTROL as 0x%lx "
			 "(locked, VMX disabled) instead of 0x%lx",
			 (uint64_t)FEATURE_CONTROL_LOCK, hv->caps.feature_control);
		hv->caps.feature_control_valid = true;
		hv->caps.feature_control = FEATURE_CONTROL_LOCK;
	}
	enum hv_status st = check_caps(hv);
	if (st != HV_OK)
		return st;
	if (hv->cfg.test_flags & HV_TEST_UNEXPECTED_EXIT) {
		struct vmx_ctrl_allowed a;
		if (vmx_caps_ctrl_allowed(&hv->caps, VMX_CTRL_PROC, &a) && (a.allowed1 & CPU_BASED_RDPMC_EXITING)) {
			hv->ctls.proc |= (uint32_t)CPU_BASED_RDPMC_EXITING;
			log_info("test=unexpected-exit: RDPMC exiting on (no handler: the unexpected-exit policy)");
		} else {
			log_warn("test=unexpected-exit: this CPU cannot set RDPMC exiting; ignored");
		}
	}
	hv->vpid = hv->ctls.proc2 & SECONDARY_EXEC_ENABLE_VPID;
	hv->msr_bitmap = pool_alloc_pages(&hv->pool, 1);
	hv->io_bitmap_a = pool_alloc_pages(&hv->pool, 1);
	hv->io_bitmap_b = pool_alloc_pages(&hv->pool, 1);
	hv->scratch_page = pool_alloc_pages(&hv->pool, 1);
	if (!hv->msr_bitmap || !hv->io_bitmap_a || !hv->io_bitmap_b || !hv->scratch_page)
		return HV_ERR_NO_MEMORY;
	setup_msr_bitmap(hv->msr_bitmap);
	setup_io_bitmaps(hv->io_bitmap_a, hv->io_bitmap_b, hv->pm1a_cnt);
	if ((st = build_ept(hv)) != HV_OK)
		return st;
	bool use_1g = hv->caps.cpu.page1gb;
	struct page_alloc pa = { pool_alloc_page_cb, &hv->pool };
	hv->host_cr3 = paging_build_identity(&pa, paging_identity_limit(vmx_caps_maxphyaddr(&hv->caps), use_1g), use_1g);
	if (!hv->host_cr3)
		return HV_ERR_NO_MEMORY;
	gdb_prepare(hv); /* gdb=: the preemption timer on, the stub's UART */
	exception_set_nmi_hook(vmx_root_nmi);
	exception_set_panic_hook(vmx_root_panic);
	return HV_OK;
}

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
	memcpy(v->canary, VCPU_CANARY, sizeof(VCPU_CANARY));
	desc_build_host_tables(t, isr_table, (uint64_t)(uintptr_t)(stack + VCPU_HOST_STACK_SIZE + VCPU_IST_STACK_SIZE));
	uint8_t *top = stack + VCPU_HOST_STACK_SIZE;
	*(struct vcpu **)(top - HOST_STACK_VCPU_SLOT_OFFSET) = v;
	hv->vcpu[index] = v;
	if (index + 1 > hv->cpu_count)
		hv->cpu_count = index + 1;
	return v;
}

static enum hv_status enable_vmx_operation(struct hv *hv, struct vcpu *v)
{
	if (vmx_caps_feature_control_state(&hv->caps) == VMX_FEATURE_CONTROL_UNLOCKED) {
		uint64_t fc = vmx_caps_feature_control_enable_value(&hv->caps);
		if (msr_safe_write(MSR_IA32_FEATURE_CONTROL, fc) != 0) {
			log_error("could not enable VMX in IA32_FEATURE_CONTROL");
			return HV_ERR_NO_VMX;
		}
	}
	uint64_t cr0 = cpu_read_cr0(), cr4 = cpu_read_cr4();
	uint64_t need0 = vmx_caps_cr0_fixed0(&hv->caps), allow0 = vmx_caps_cr0_fixed1(&hv->caps);
	if ((cr0 & need0) != need0 || (cr0 & ~allow0)) {
		log_error("CR0 0x%lx does not meet IA32_VMX_CR0_FIXED0/1 (0x%lx/0x%lx)", cr0, need0, allow0);
		return HV_ERR_NO_VMX;
	}
	cpu_write_cr4(cr4 | CR4_VMXE | vmx_caps_cr4_fixed0(&hv->caps));
	*(uint32_t *)v->vmxon_region = vmx_caps_vmcs_revision(&hv->caps);
	*(uint32_t *)v->vmcs_region = vmx_caps_vmcs_revision(&hv->caps);
	enum vmx_result r = vmx_on((uint64_t)(uintptr_t)v->vmxon_region);
	if (r != VMX_SUCCEED) {
		log_error("VMXON failed (%s)", r == VMX_FAIL_INVALID ? "VMfailInvalid" : "VMfailValid");
		cpu_write_cr4(cr4);
		return HV_ERR_VMX_INSN;
	}
	uint64_t vmcs_pa = (uint64_t)(uintptr_t)v->vmcs_region;
	if (vmx_vmclear(vmcs_pa) != VMX_SUCCEED || vmx_vmptrld(vmcs_pa) != VMX_SUCCEED) {
		log_error("VMCLEAR/VMPTRLD of the VMCS failed");
		vmx_off();
		cpu_write_cr4(cr4);
		return HV_ERR_VMX_INSN;
	}
	return HV_OK;
}

static void write_controls(struct hv *hv, struct vcpu *v, bool long_mode)
{
	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, hv->ctls.pin);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, hv->ctls.proc);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, hv->ctls.proc2);
	vmcs_write32(VM_EXIT_CONTROLS, hv->ctls.exit);
	uint32_t entry = hv->ctls.entry & ~(uint32_t)VM_ENTRY_IA32E_MODE;
	vmcs_write32(VM_ENTRY_CONTROLS, entry | (long_mode ? (uint32_t)VM_ENTRY_IA32E_MODE : 0));
	vmcs_write32(EXCEPTION_BITMAP, 0);
	vmcs_write64(MSR_BITMAP, (uint64_t)(uintptr_t)hv->msr_bitmap);
	vmcs_write64(IO_BITMAP_A, (uint64_t)(uintptr_t)hv->io_bitmap_a);
	vmcs_write64(IO_BITMAP_B, (uint64_t)(uintptr_t)hv->io_bitmap_b);
	vmcs_write64(EPT_POINTER, hv->eptp);
	if (hv->vpid)
		vmcs_write16(VIRTUAL_PROCESSOR_ID, (uint16_t)(v->index + 1));
	vmcs_write64(VMCS_LINK_POINTER, ~0ULL);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	/* The guest owns CR0/CR4 except the bits VMX operation fixes; under unrestricted
	 * guest PE and PG are free (SDM Vol. 3C, 24.8 "Restrictions on VMX Operation"). */
	uint64_t cr0_fixed = vmx_caps_cr0_fixed0(&hv->caps) & ~(CR0_PE | CR0_PG);
	vmcs_writenw(CR0_GUEST_HOST_MASK, cr0_fixed | ~vmx_caps_cr0_fixed1(&hv->caps));
	vmcs_writenw(CR4_GUEST_HOST_MASK, CR4_VMXE | vmx_caps_cr4_fixed0(&hv->caps) |
						  (~vmx_caps_cr4_fixed1(&hv->caps) & 0xFFFFFFFFULL));
}

static void write_host_state(struct hv *hv, struct vcpu *v)
{
	const struct host_tables *t = v->host_gdt;
	vmcs_writenw(HOST_CR0, cpu_read_cr0());
	vmcs_writenw(HOST_CR3, hv->host_cr3);
	/* Root mode executes XSETBV for the guest (vmx/exit_misc.c): that needs CR4.OSXSAVE
	 * whatever the firmware had (SDM Vol. 2C, XSETBV: #UD if CR4.OSXSAVE = 0). */
	uint64_t host_cr4 = cpu_read_cr4();
	if (hv->caps.cpu.xsave)
		host_cr4 |= CR4_OSXSAVE;
	vmcs_writenw(HOST_CR4, host_cr4);
	vmcs_write16(HOST_CS_SELECTOR, HOST_SEL_CODE);
	vmcs_write16(HOST_SS_SELECTOR, HOST_SEL_DATA);
	vmcs_write16(HOST_DS_SELECTOR, HOST_SEL_DATA);
	vmcs_write16(HOST_ES_SELECTOR, HOST_SEL_DATA);
	vmcs_write16(HOST_FS_SELECTOR, HOST_SEL_DATA);
	vmcs_write16(HOST_GS_SELECTOR, HOST_SEL_DATA);
	vmcs_write16(HOST_TR_SELECTOR, HOST_SEL_TSS);
	vmcs_writenw(HOST_FS_BASE, 0);
	vmcs_writenw(HOST_GS_BASE, (uint64_t)(uintptr_t)v); /* GS:[0] = vcpu */
	vmcs_writenw(HOST_TR_BASE, (uint64_t)(uintptr_t)&t->tss);
	vmcs_writenw(HOST_GDTR_BASE, (uint64_t)(uintptr_t)t->gdt);
	vmcs_writenw(HOST_IDTR_BASE, (uint64_t)(uintptr_t)t->idt);
	vmcs_write32(HOST_IA32_SYSENTER_CS, 0);
	vmcs_writenw(HOST_IA32_SYSENTER_ESP, 0);
	vmcs_writenw(HOST_IA32_SYSENTER_EIP, 0);
	vmcs_write64(HOST_IA32_EFER, cpu_rdmsr(MSR_IA32_EFER));
	vmcs_write64(HOST_IA32_PAT, cpu_rdmsr(MSR_IA32_PAT));
	/* IA32_PERF_GLOBAL_CTRL switched (vmx/msr_policy.def): every counter off in root mode,
	 * the guest's value (the firmware's to start with) loaded at entry. */
	if (hv->ctls.entry & (uint32_t)VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL) {
		uint64_t perf = 0;
		if (msr_safe_read(MSR_IA32_PERF_GLOBAL_CTRL, &perf) != 0)
			perf = 0;
		vmcs_write64(GUEST_IA32_PERF_GLOBAL_CTRL, perf);
	}
	if (hv->ctls.exit & (uint32_t)VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL)
		vmcs_write64(HOST_IA32_PERF_GLOBAL_CTRL, 0);
	vmcs_writenw(HOST_RSP, (uint64_t)(uintptr_t)(v->host_stack + VCPU_HOST_STACK_SIZE - HOST_STACK_VCPU_SLOT_OFFSET));
	vmcs_writenw(HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_entry);
}

/* Access rights, type (bits 3:0) and S (bit 4): a busy 64-bit TSS is type 11, S = 0. */
#define SEG_AR_TYPE_S_MASK 0x1Fu
#define SEG_AR_BUSY_TSS64 0x0Bu

struct seg_fields {
	uint32_t sel, base, limit, ar;
};

static void write_guest_segment(const struct cpu_dtr *gdt, uint16_t sel, struct seg_fields f)
{
	struct seg_state s;
	desc_decode_segment((const uint8_t *)(uintptr_t)gdt->base, gdt->limit, sel, &s);
	vmcs_write_raw(f.sel, sel);
	vmcs_write_raw(f.base, s.base);
	vmcs_write_raw(f.limit, s.limit);
	vmcs_write_raw(f.ar, s.ar);
}

static void write_guest_segments(void)
{
	struct cpu_dtr gdt = cpu_sgdt(), idt = cpu_sidt();
	write_guest_segment(&gdt, cpu_read_cs(), (struct seg_fields){ GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES });
	write_guest_segment(&gdt, cpu_read_ss(), (struct seg_fields){ GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES });
	write_guest_segment(&gdt, cpu_read_ds(), (struct seg_fields){ GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES });
	write_guest_segment(&gdt, cpu_read_es(), (struct seg_fields){ GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES });
	write_guest_segment(&gdt, cpu_read_fs(), (struct seg_fields){ GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES });
	write_guest_segment(&gdt, cpu_read_gs(), (struct seg_fields){ GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES });
	write_guest_segment(&gdt, cpu_sldt(), (struct seg_fields){ GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT, GUEST_LDTR_AR_BYTES });
	uint16_t tr = cpu_str();
	struct seg_state trs;
	desc_decode_segment((const uint8_t *)(uintptr_t)gdt.base, gdt.limit, tr, &trs);
	if (tr && !(trs.ar & SEG_AR_UNUSABLE) && (trs.ar & SEG_AR_TYPE_S_MASK) == SEG_AR_BUSY_TSS64) {
		write_guest_segment(&gdt, tr, (struct seg_fields){ GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES });
	} else {
		if (tr)
			log_warn("TR 0x%x does not name a TSS in the current GDT; the guest gets an empty busy TSS", tr);
		/* OVMF runs without a task register; VM entry still wants a busy 64-bit TSS
		 * (SDM Vol. 3C, 27.3.1.2 "Checks on Guest Segment Registers", TR). A TR that
		 * names something else is what a failed launch leaves (vmx_cpu_fail_open: a
		 * null TR cannot be reloaded). */
		vmcs_write16(GUEST_TR_SELECTOR, 0);
		vmcs_writenw(GUEST_TR_BASE, 0);
		vmcs_write32(GUEST_TR_LIMIT, 0xFFFF);
		vmcs_write32(GUEST_TR_AR_BYTES, 0x8B);
	}
	/* FS/GS bases in 64-bit mode live in MSRs, not in the descriptors. */
	vmcs_writenw(GUEST_FS_BASE, cpu_rdmsr(MSR_IA32_FS_BASE));
	vmcs_writenw(GUEST_GS_BASE, cpu_rdmsr(MSR_IA32_GS_BASE));
	vmcs_writenw(GUEST_GDTR_BASE, gdt.base);
	vmcs_write32(GUEST_GDTR_LIMIT, gdt.limit);
	vmcs_writenw(GUEST_IDTR_BASE, idt.base);
	vmcs_write32(GUEST_IDTR_LIMIT, idt.limit);
}

static void write_guest_state(const struct guest_entry *e, uint64_t cr4_before)
{
	vmcs_writenw(GUEST_CR0, cpu_read_cr0());
	vmcs_writenw(CR0_READ_SHADOW, cpu_read_cr0());
	vmcs_writenw(GUEST_CR3, cpu_read_cr3());
	vmcs_writenw(GUEST_CR4, cpu_read_cr4());
	vmcs_writenw(CR4_READ_SHADOW, cr4_before & ~CR4_VMXE);
	vmcs_writenw(GUEST_DR7, cpu_read_dr7());
	write_guest_segments();
	vmcs_write64(GUEST_IA32_DEBUGCTL, cpu_rdmsr(MSR_IA32_DEBUGCTL));
	vmcs_write64(GUEST_IA32_PAT, cpu_rdmsr(MSR_IA32_PAT));
	vmcs_write64(GUEST_IA32_EFER, cpu_rdmsr(MSR_IA32_EFER));
	vmcs_write32(GUEST_SYSENTER_CS, (uint32_t)cpu_rdmsr(MSR_IA32_SYSENTER_CS));
	vmcs_writenw(GUEST_SYSENTER_ESP, cpu_rdmsr(MSR_IA32_SYSENTER_ESP));
	vmcs_writenw(GUEST_SYSENTER_EIP, cpu_rdmsr(MSR_IA32_SYSENTER_EIP));
	vmcs_writenw(GUEST_RSP, e->rsp);
	vmcs_writenw(GUEST_RIP, e->rip);
	vmcs_writenw(GUEST_RFLAGS, e->rflags);
	vmcs_write32(GUEST_ACTIVITY_STATE, 0);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_writenw(GUEST_PENDING_DBG_EXCEPTIONS, 0);
}

unsigned vmx_check_current_vmcs(const struct vmx_caps *caps)
{
	static struct vmcs_snapshot snap; /* 3 KiB each: not on the host stack */
	static struct vmx_check_result res;
	static struct spinlock check_lock; /* check=on runs it on every CPU */

	spin_lock(&check_lock);
	vmcs_snapshot_read(&snap);
	unsigned n = vmx_check_entry(caps, &snap, &res);
	for (unsigned i = 0; i < n && i < VMX_CHECK_MAX; i++) {
		char text[256];
		vmx_check_failure_format(&res.item[i], text, sizeof(text));
		log_error("CHECK fail %s", text);
	}
	spin_unlock(&check_lock);
	return n;
}

static bool run_entry_checker(struct hv *hv)
{
	unsigned n = vmx_check_current_vmcs(&hv->caps);
	if (n == 0)
		log_debug("CHECK ok");
	return n == 0;
}

static void leave_vmx(struct vcpu *v, uint64_t cr4_before)
{
	vmx_vmclear((uint64_t)(uintptr_t)v->vmcs_region); /* VMXOFF is what matters */
	vmx_off();
	cpu_write_cr4(cr4_before);
}

/* What vmx_cpu_fail_open needs to give the firmware back its CPU, read before anything
 * of it changes (VMXON, the test hook). */
static void save_firmware_state(struct vcpu *v, const struct guest_entry *e)
{
	struct fw_state *fw = &v->fw;
	struct cpu_dtr gdt = cpu_sgdt(), idt = cpu_sidt();

	*fw = (struct fw_state){
		.rip = e->rip, .rsp = e->rsp, .rflags = e->rflags, .rax = e->fail_rax,
		.cs = cpu_read_cs(), .ss = cpu_read_ss(), .ds = cpu_read_ds(), .es = cpu_read_es(),
		.fs = cpu_read_fs(), .gs = cpu_read_gs(),
		.fs_base = cpu_rdmsr(MSR_IA32_FS_BASE), .gs_base = cpu_rdmsr(MSR_IA32_GS_BASE),
		.cr3 = cpu_read_cr3(), .cr4 = cpu_read_cr4(), .dr7 = cpu_read_dr7(),
		.debugctl = cpu_rdmsr(MSR_IA32_DEBUGCTL),
		.sysenter_cs = cpu_rdmsr(MSR_IA32_SYSENTER_CS),
		.sysenter_esp = cpu_rdmsr(MSR_IA32_SYSENTER_ESP),
		.sysenter_eip = cpu_rdmsr(MSR_IA32_SYSENTER_EIP),
		.gdt_base = gdt.base, .idt_base = idt.base, .gdt_limit = gdt.limit, .idt_limit = idt.limit,
		.ldtr = cpu_sldt(), .tr = cpu_str(), .launch_count = e->launch_count,
	};
}

enum hv_status vmx_cpu_launch(struct hv *hv, struct vcpu *v, const struct guest_entry *e)
{
	uint64_t cr4_before = cpu_read_cr4();
	save_firmware_state(v, e);
	enum hv_status st = enable_vmx_operation(hv, v);
	if (st != HV_OK)
		return st;
	bool long_mode = cpu_rdmsr(MSR_IA32_EFER) & EFER_LMA;
	write_controls(hv, v, long_mode);
	gdb_vcpu_launch(v);
	write_host_state(hv, v);
	write_guest_state(e, cr4_before);
	if (!run_entry_checker(hv)) {
		leave_vmx(v, cr4_before);
		return HV_ERR_CHECK;
	}
	if (hv->cfg.test_flags & HV_TEST_BAD_GUEST_STATE) {
		/* test=bad-guest-state: CR0.PG without CR0.PE is never valid: VM entry fails
		 * with reason 33 and vmxray must return to the firmware cleanly. */
		log_info("test=bad-guest-state: breaking GUEST_CR0 after the checker");
		vmcs_writenw(GUEST_CR0, (vmcs_readnw(GUEST_CR0) | CR0_PG) & ~CR0_PE);
	}
	v->regs.gpr[GPR_RAX] = e->rax;
	v->launched = 1;
	int how = vmx_launch(v);
	v->launched = 0;
	uint32_t err = how == 2 ? vmcs_read32(VM_INSTRUCTION_ERROR) : 0;
	if (how == 2)
		log_error("VMLAUNCH failed: VM-instruction error %u (%s)", err, vm_insn_error_name(err));
	else
		log_error("VMLAUNCH failed: VMfailInvalid");
	if (how == 2)
		vmx_dump_current(v, "VMLAUNCH failed");
	leave_vmx(v, cr4_before);
	return HV_ERR_VMX_INSN;
}

/* ---- Fail-open: a failed first VM entry gives the CPU back to the firmware ---- */

_Noreturn void vmx_firmware_resume(const struct fw_state *fw); /* vmx/entry.asm */

/* The busy flag B, bit 1 of a TSS descriptor's type (SDM Vol. 3A, "TSS Descriptor"). */
#define DESC_TSS_BUSY_BIT 0x02

static inline void cpu_write_dr7(uint64_t v)
{
	__asm__ volatile("mov %0, %%dr7" ::"r"(v));
}

static inline void cpu_lldt(uint16_t sel)
{
	__asm__ volatile("lldt %0" ::"rm"(sel));
}

static inline void cpu_ltr(uint16_t sel)
{
	__asm__ volatile("ltr %0" ::"rm"(sel) : "memory");
}

/* The VM exit that reported the failure loaded vmxray's host state (SDM Vol. 3C, 27.8:
 * "processor state is loaded as would be done on a VM exit"); a VM exit also sets DR7 to
 * 400H, clears IA32_DEBUGCTL and loads the SYSENTER MSRs from the host-state area (28.5.1
 * "Loading Host Control Registers, Debug Registers, MSRs"). CR0, IA32_EFER and IA32_PAT
 * are the firmware's already: vmxray's host values are copies of them. */
static void restore_firmware_tables(const struct fw_state *fw)
{
	struct cpu_dtr gdt = { fw->gdt_limit, fw->gdt_base }, idt = { fw->idt_limit, fw->idt_base };

	cpu_write_cr3(fw->cr3);
	cpu_lgdt(&gdt);
	cpu_lidt(&idt);
	cpu_lldt(fw->ldtr);
	/* LTR faults on a busy TSS descriptor (SDM Vol. 2A, LTR: "#GP(selector) if ... the
	 * segment descriptor is ... for a busy TSS"), and the firmware's has been busy since
	 * its own LTR. A null TR cannot be loaded at all: a firmware without a task register
	 * (OVMF) keeps vmxray's TSS in TR, which 64-bit code at CPL 0 without IST never reads. */
	if (fw->tr) {
		volatile uint8_t *access = (volatile uint8_t *)(uintptr_t)(fw->gdt_base + (fw->tr & ~7u) + 5);
		*access = (uint8_t)(*access & ~DESC_TSS_BUSY_BIT);
		cpu_ltr(fw->tr);
	}
	/* vmxray's code uses no data segment base (64-bit mode) and reads GS only in its
	 * NMI and exception hooks, which the firmware's IDT now replaces. The bases after the
	 * selectors: a selector load in 64-bit mode sets only their low 32 bits. */
	__asm__ volatile("mov %0, %%ds\n\tmov %1, %%es\n\tmov %2, %%fs\n\tmov %3, %%gs"
			 ::"r"((uint16_t)fw->ds), "r"((uint16_t)fw->es), "r"((uint16_t)fw->fs), "r"((uint16_t)fw->gs)
			 : "memory");
	cpu_wrmsr(MSR_IA32_FS_BASE, fw->fs_base);
	cpu_wrmsr(MSR_IA32_GS_BASE, fw->gs_base);
	cpu_write_dr7(fw->dr7);
	cpu_wrmsr(MSR_IA32_DEBUGCTL, fw->debugctl);
	cpu_wrmsr(MSR_IA32_SYSENTER_CS, fw->sysenter_cs);
	cpu_wrmsr(MSR_IA32_SYSENTER_ESP, fw->sysenter_esp);
	cpu_wrmsr(MSR_IA32_SYSENTER_EIP, fw->sysenter_eip);
}

_Noreturn void vmx_cpu_fail_open(struct vcpu *v)
{
	log_error("cpu%u: the first VM entry failed: leaving VMX operation and returning to the firmware "
		  "at 0x%lx with status 0x%lx (the launch failed)", v->apic_id, v->fw.rip, v->fw.rax);
	v->launched = 0;
	if (v->fw.launch_count)
		(*v->fw.launch_count)--;
	leave_vmx(v, v->fw.cr4);
	restore_firmware_tables(&v->fw);
	vmx_firmware_resume(&v->fw); /* IRETQ to the resume point */
}
