/* The machine-wide preparation before any CPU launches: capabilities (read, test hooks,
 * negotiate, the CAPS matrix), MSR and I/O bitmaps, the EPT, host page tables, and the
 * root-mode exception hooks. Hardware edge: RDMSR (capabilities, MTRRs). */
#include "vmx/launch/launch.h"

#include "arch/exception.h"
#include "arch/paging.h"
#include "drivers/fmt.h"
#include "drivers/log.h"
#include "vmx/debug/gdb.h"
#include "vmx/exit/exit.h"
#include "vmx/exit/ulog.h"
#include "vmx/policy/intercept.h"
#include "vmx/policy/setup.h"
#include "vmx/vmcs/controls.h"

static void caps_emit(void *ctx, const char *line)
{
	(void)ctx;
	log_info("%s", line);
}

/* intercept=: a name this CPU cannot do is refused here, before VMXON; the rows `all`
 * asked for are the ones it can. One line says what is on. */
static enum hv_status intercept_setup(struct hv *hv)
{
	struct hv_config *cfg = &hv->cfg;
	struct intercept_set is = { cfg->intercept_rows, cfg->intercept_rows_all, cfg->intercept_exceptions,
				    cfg->intercept_ept, cfg->intercept_ept_first, cfg->intercept_ept_last };
	char text[240];
	if (intercept_refusal(&hv->caps, &is, text, sizeof(text))) {
		vmx_caps_matrix(&hv->caps, &hv->req, &hv->ctls, cfg->caps_full, caps_emit, NULL);
		vmx_caps_matrix_intercepts(&hv->caps, caps_emit, NULL);
		log_error("%s", text);
		return HV_ERR_MISSING_CAPS;
	}
	cfg->intercept_rows = intercept_rows_resolve(&hv->caps, &is);
	intercept_request(cfg->intercept_rows, &is, &hv->req);
	if (!cfg->intercept_rows && !cfg->intercept_exceptions && !cfg->intercept_ept)
		return HV_OK;
	size_t n = 0;
	for (unsigned i = 0; i < INTERCEPT_COUNT; i++)
		if (cfg->intercept_rows >> i & 1)
			n += fmt_snprintf(text + n, sizeof(text) - n, "%s%s", n ? "," : "", intercept_rows[i].name);
	log_info("intercept: %s exceptions=0x%x ept=%s 0x%lx-0x%lx", n ? text : "-", cfg->intercept_exceptions,
		 cfg->intercept_ept == INTERCEPT_EPT_WRITE ? "w" : cfg->intercept_ept ? "x" : "-", cfg->intercept_ept_first,
		 cfg->intercept_ept_last);
	return HV_OK;
}

static enum hv_status check_caps(struct hv *hv)
{
	const char *why = vmx_caps_unusable_reason(&hv->caps);
	if (why) {
		log_error("%s", why);
		return HV_ERR_NO_VMX;
	}
	setup_control_request(&hv->req);
	enum hv_status st = intercept_setup(hv);
	if (st != HV_OK)
		return st;
	struct vmx_missing missing;
	bool ok = vmx_negotiate(&hv->caps, &hv->req, &hv->ctls, &missing);
	vmx_caps_matrix(&hv->caps, &hv->req, &hv->ctls, hv->cfg.caps_full, caps_emit, NULL);
	vmx_caps_matrix_intercepts(&hv->caps, caps_emit, NULL);
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
	hv->ept_alloc = (struct ept_alloc){ pool_alloc_page_cb, pool_phys_to_virt_cb, &hv->pool, pool_pages_free_cb };
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
	setup_intercept_bitmaps(hv->cfg.intercept_rows, hv->msr_bitmap, hv->io_bitmap_a, hv->io_bitmap_b);
	if ((st = build_ept(hv)) != HV_OK)
		return st;
	if (intercept_ept_protect(hv) != 0) /* intercept=ept: the range's permission off */
		return HV_ERR_NO_MEMORY;
	bool use_1g = hv->caps.cpu.page1gb;
	struct page_alloc pa = { pool_alloc_page_cb, &hv->pool };
	hv->host_cr3 = paging_build_identity(&pa, paging_identity_limit(vmx_caps_maxphyaddr(&hv->caps), use_1g), use_1g);
	if (!hv->host_cr3)
		return HV_ERR_NO_MEMORY;
	gdb_prepare(hv); /* gdb=: the preemption timer on, the stub's UART */
	ulog_prepare(hv); /* the serial log's ports and drain timer (vmx/exit/ulog.h) */
	exception_set_nmi_hook(vmx_root_nmi);
	exception_set_panic_hook(vmx_root_panic);
	return HV_OK;
}
