/* Pure parts of VMX setup: the controls vmxray asks for, and the MSR and I/O bitmaps. */
#include "vmx/policy/setup.h"

#include "arch/msr.h"
#include "vmx/policy/intercept.h"
#include "vmx/policy/policy.h"
#include "vmx/vmcs/controls.h"

void setup_control_request(struct vmx_ctrl_request *r)
{
	*r = (struct vmx_ctrl_request){ 0 };
	r->required[VMX_CTRL_PIN] = PIN_BASED_NMI_EXITING | PIN_BASED_VIRTUAL_NMIS;
	r->required[VMX_CTRL_PROC] = CPU_BASED_USE_MSR_BITMAPS | CPU_BASED_USE_IO_BITMAPS |
				     CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	r->required[VMX_CTRL_PROC2] = SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_UNRESTRICTED_GUEST;
	/* Instructions that #UD in the guest unless their enable control is set, when the
	 * CPU has them (SDM Vol. 3C, 25.6.2 "Processor-Based VM-Execution Controls"). */
	r->optional[VMX_CTRL_PROC2] = SECONDARY_EXEC_ENABLE_VPID | SECONDARY_EXEC_ENABLE_RDTSCP |
				      SECONDARY_EXEC_ENABLE_INVPCID | SECONDARY_EXEC_ENABLE_XSAVES |
				      SECONDARY_EXEC_ENABLE_USR_WAIT_PAUSE;
	r->required[VMX_CTRL_EXIT] = VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_EFER |
				     VM_EXIT_LOAD_IA32_EFER | VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT |
				     VM_EXIT_SAVE_DEBUG_CONTROLS;
	r->required[VMX_CTRL_ENTRY] = VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT |
				      VM_ENTRY_LOAD_DEBUG_CONTROLS;
	r->optional[VMX_CTRL_ENTRY] = VM_ENTRY_IA32E_MODE;
	/* IA32_PERF_GLOBAL_CTRL switched, where the CPU can: counters the guest starts stop
	 * in root mode (vmx/policy/msr_policy.def); the guest's writes go to the field (exit_msr.c). */
	r->optional[VMX_CTRL_ENTRY] |= VM_ENTRY_LOAD_IA32_PERF_GLOBAL_CTRL;
	r->optional[VMX_CTRL_EXIT] |= VM_EXIT_LOAD_IA32_PERF_GLOBAL_CTRL;
}

/* SDM Vol. 3C, 25.6.9 "MSR-Bitmap Address": read bitmap for 0-1FFFH at offset 0, for
 * C0000000H-C0001FFFH at 1024; write bitmaps at 2048 and 3072. */
/* The byte offset of msr's range in the read bitmap (0 or 1024); false for an MSR
 * outside both ranges, whose every access exits. */
static bool msr_bitmap_base(uint32_t msr, unsigned *base)
{
	if (msr <= 0x1FFF)
		*base = 0;
	else if (msr >= 0xC0000000u && msr <= 0xC0001FFFu)
		*base = 1024;
	else
		return false;
	return true;
}

void msr_bitmap_intercept(uint8_t *bm, uint32_t msr, bool read, bool write)
{
	unsigned base;
	if (!msr_bitmap_base(msr, &base))
		return; /* outside both ranges every access exits anyway */
	unsigned bit = msr & 0x1FFF;
	if (read)
		bm[base + bit / 8] |= (uint8_t)(1u << (bit % 8));
	if (write)
		bm[2048 + base + bit / 8] |= (uint8_t)(1u << (bit % 8));
}

bool msr_bitmap_intercepts(const uint8_t *bm, uint32_t msr, bool write)
{
	unsigned base;
	if (!msr_bitmap_base(msr, &base))
		return true;
	unsigned bit = msr & 0x1FFF;
	return (bm[(write ? 2048 : 0) + base + bit / 8] >> (bit % 8)) & 1;
}

/* Every MSR access that vmx/policy/msr_policy.def says exits, and nothing else. */
void setup_msr_bitmap(uint8_t *bm)
{
	for (unsigned i = 0; i < msr_policy_count; i++) {
		const struct msr_policy_entry *p = &msr_policy_table[i];
		for (uint32_t m = p->first; m <= p->last; m++)
			msr_bitmap_intercept(bm, m, msr_action_exits(p->read), msr_action_exits(p->write));
	}
}

/* SDM Vol. 3C, 25.6.4 "I/O-Bitmap Addresses": A covers ports 0000H-7FFFH, B 8000H-FFFFH. */
void io_bitmap_intercept(uint8_t *a, uint8_t *b, uint16_t port)
{
	uint8_t *bm = port < 0x8000 ? a : b;
	unsigned bit = port & 0x7FFF;
	bm[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

/* Every port of vmx/policy/io_policy.def, and nothing else. */
void setup_io_bitmaps(uint8_t *a, uint8_t *b, uint16_t pm1a_cnt)
{
	const struct {
		uint16_t port;
		unsigned width;
	} ports[] = {
#define IO_POLICY(name, port, width, reason) { (uint16_t)(port), width },
#include "vmx/policy/io_policy.def"
#undef IO_POLICY
	};
	for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		if (!ports[i].port)
			continue; /* a port vmxray could not find (PM1a without ACPI) */
		for (unsigned j = 0; j < ports[i].width; j++)
			io_bitmap_intercept(a, b, (uint16_t)(ports[i].port + j));
	}
}

/* intercept=msr: every MSR access exits (all four bitmaps ones; RDMSR/WRMSR then follow
 * vmx/policy/msr_policy.def as before, and the MSRs it passes are done in root mode or in
 * their guest-state field, vmx/exit/exit_msr.c). intercept=io: every port exits (both I/O
 * bitmaps ones: with "use I/O bitmaps" set, "unconditional I/O exiting" is ignored, SDM
 * Vol. 3C, 25.6.2 "Processor-Based VM-Execution Controls"). */
void setup_intercept_bitmaps(uint32_t rows, uint8_t *msr, uint8_t *io_a, uint8_t *io_b)
{
	if (rows & (1u << INTERCEPT_MSR))
		for (unsigned i = 0; i < 4096; i++)
			msr[i] = 0xFF;
	if (rows & (1u << INTERCEPT_IO))
		for (unsigned i = 0; i < 4096; i++)
			io_a[i] = io_b[i] = 0xFF;
}
