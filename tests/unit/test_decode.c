/* Unit tests: vmx/decode/decode.c, on words as the processor writes them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "arch/exceptions.h"
#include "vmx/decode/decode.h"
#include "vmx/decode/exit_reasons.h"

static char buf[1024];

static void test_exit_reason(void **state)
{
	(void)state;
	struct exit_reason_info r = exit_reason_decode(0x0000000a);
	assert_int_equal(r.basic, 10);
	assert_false(r.failed_vmentry || r.enclave_mode || r.pending_mtf || r.from_vmx_root ||
		     r.bus_lock_detected);
	exit_reason_format(buf, sizeof(buf), 0x0000000a);
	assert_string_equal(buf, "CPUID (10)");

	/* VM-entry failure due to invalid guest state. */
	r = exit_reason_decode(0x80000021);
	assert_int_equal(r.basic, 33);
	assert_true(r.failed_vmentry);
	assert_false(r.enclave_mode);
	exit_reason_format(buf, sizeof(buf), 0x80000021);
	assert_string_equal(buf, "INVALID_GUEST_STATE (33), VM-entry failure");

	r = exit_reason_decode(0x3c000030);
	assert_int_equal(r.basic, 48);
	assert_true(r.bus_lock_detected && r.enclave_mode && r.pending_mtf && r.from_vmx_root);
	assert_false(r.failed_vmentry);
	exit_reason_format(buf, sizeof(buf), 0x3c000030);
	assert_string_equal(buf, "EPT_VIOLATION (48), bus lock detected, enclave mode, "
				 "pending MTF VM exit, from VMX root operation");

	exit_reason_format(buf, sizeof(buf), 35);
	assert_string_equal(buf, "UNKNOWN (35)");
}

static void test_cr_access(void **state)
{
	(void)state;
	/* mov %rax, %cr4 */
	struct cr_access_qual c = cr_access_qual_decode(0x4);
	assert_int_equal(c.cr, 4);
	assert_int_equal(c.access_type, CR_ACCESS_MOV_TO_CR);
	assert_int_equal(c.gpr, 0);
	cr_access_qual_format(buf, sizeof(buf), 0x4);
	assert_string_equal(buf, "mov to cr4 from rax");

	/* mov %cr3, %rbx */
	c = cr_access_qual_decode(0x313);
	assert_int_equal(c.cr, 3);
	assert_int_equal(c.access_type, CR_ACCESS_MOV_FROM_CR);
	assert_int_equal(c.gpr, 3);
	cr_access_qual_format(buf, sizeof(buf), 0x313);
	assert_string_equal(buf, "mov from cr3 to rbx");

	cr_access_qual_format(buf, sizeof(buf), 0xc00);
	assert_string_equal(buf, "mov to cr0 from r12");
	cr_access_qual_format(buf, sizeof(buf), 0x108);
	assert_string_equal(buf, "mov to cr8 from rcx");
	cr_access_qual_format(buf, sizeof(buf), 0x20);
	assert_string_equal(buf, "clts");

	/* lmsw %ax with ax = 0x11, then lmsw from memory */
	c = cr_access_qual_decode(0x00110030);
	assert_int_equal(c.access_type, CR_ACCESS_LMSW);
	assert_int_equal(c.lmsw_source, 0x11);
	assert_false(c.lmsw_memory);
	cr_access_qual_format(buf, sizeof(buf), 0x00110030);
	assert_string_equal(buf, "lmsw 0x0011 from register");
	c = cr_access_qual_decode(0xfff10070);
	assert_true(c.lmsw_memory);
	assert_int_equal(c.lmsw_source, 0xfff1);
	cr_access_qual_format(buf, sizeof(buf), 0xfff10070);
	assert_string_equal(buf, "lmsw 0xfff1 from memory");
}

static void test_dr_access(void **state)
{
	(void)state;
	struct dr_access_qual d = dr_access_qual_decode(0x7);
	assert_int_equal(d.dr, 7);
	assert_false(d.from_dr);
	assert_int_equal(d.gpr, 0);
	dr_access_qual_format(buf, sizeof(buf), 0x7);
	assert_string_equal(buf, "mov to dr7 from rax");

	d = dr_access_qual_decode(0x116);
	assert_int_equal(d.dr, 6);
	assert_true(d.from_dr);
	assert_int_equal(d.gpr, 1);
	dr_access_qual_format(buf, sizeof(buf), 0x116);
	assert_string_equal(buf, "mov from dr6 to rcx");
	dr_access_qual_format(buf, sizeof(buf), 0xf00);
	assert_string_equal(buf, "mov to dr0 from r15");
}

static void test_io(void **state)
{
	(void)state;
	/* out %al, %dx with dx = 0x3f8 */
	struct io_qual io = io_qual_decode(0x03f80000);
	assert_int_equal(io.bytes, 1);
	assert_false(io.in || io.string || io.rep || io.imm);
	assert_int_equal(io.port, 0x3f8);
	io_qual_format(buf, sizeof(buf), 0x03f80000);
	assert_string_equal(buf, "out 1 byte to port 0x3f8 (dx)");

	/* in $0x60, %al */
	io = io_qual_decode(0x00600048);
	assert_true(io.in && io.imm);
	assert_int_equal(io.port, 0x60);
	io_qual_format(buf, sizeof(buf), 0x00600048);
	assert_string_equal(buf, "in 1 byte from port 0x60 (imm)");

	/* rep insw from 0x1f0 */
	io = io_qual_decode(0x01f00039);
	assert_int_equal(io.size_code, 1);
	assert_int_equal(io.bytes, 2);
	assert_true(io.in && io.string && io.rep);
	io_qual_format(buf, sizeof(buf), 0x01f00039);
	assert_string_equal(buf, "rep ins 2 bytes from port 0x1f0 (dx)");

	/* in %dx, %eax with dx = 0xcfc */
	io_qual_format(buf, sizeof(buf), 0x0cfc000b);
	assert_string_equal(buf, "in 4 bytes from port 0xcfc (dx)");
	io_qual_format(buf, sizeof(buf), 0x00800012);
	assert_string_equal(buf, "outs size code 2 to port 0x80 (dx)");
}

static void test_ept_violation(void **state)
{
	(void)state;
	/* Write to a read/execute-only page through a linear address. */
	struct ept_violation_qual e = ept_violation_qual_decode(0x1aa);
	assert_true(e.write && e.readable && e.executable && e.gla_valid && e.translation);
	assert_false(e.read || e.fetch || e.writable || e.user_executable || e.nmi_unblocking);
	ept_violation_qual_format(buf, sizeof(buf), 0x1aa);
	assert_string_equal(buf, "access=-w- allowed=r-x gla_valid=1 translation=1 "
				 "nmi_unblocking=0");

	/* Fetch from a page not present in EPT. */
	ept_violation_qual_format(buf, sizeof(buf), 0x184);
	assert_string_equal(buf, "access=--x allowed=--- gla_valid=1 translation=1 "
				 "nmi_unblocking=0");

	/* Read of a guest paging-structure entry, NMI unblocking due to IRET. */
	e = ept_violation_qual_decode(0x1081);
	assert_true(e.read && e.gla_valid && e.nmi_unblocking);
	assert_false(e.translation);
	ept_violation_qual_format(buf, sizeof(buf), 0x1081);
	assert_string_equal(buf, "access=r-- allowed=--- gla_valid=1 translation=0 "
				 "nmi_unblocking=1");

	/* No guest linear address (e.g. a PDPTE load): bit 8 is not printed. */
	ept_violation_qual_format(buf, sizeof(buf), 0x102);
	assert_string_equal(buf, "access=-w- allowed=--- gla_valid=0 nmi_unblocking=0");

	/* Mode-based execute and the advanced-information bits. */
	e = ept_violation_qual_decode(0x1effc);
	assert_true(e.user_executable && e.user_la && e.writable_la && e.xd_la);
	assert_true(e.shadow_stack && e.sss && e.guest_paging_verify && e.async);
	ept_violation_qual_format(buf, sizeof(buf), 0x1effc);
	assert_string_equal(buf, "access=--x allowed=rwx user-exec gla_valid=1 translation=1 "
				 "nmi_unblocking=0 user-mode writable-la execute-disable-la "
				 "shadow-stack supervisor-shadow-stack guest-paging-verification "
				 "asynchronous");
}

static void test_task_switch(void **state)
{
	(void)state;
	struct task_switch_qual t = task_switch_qual_decode(0x28);
	assert_int_equal(t.selector, 0x28);
	assert_int_equal(t.source, TASK_SWITCH_CALL);
	task_switch_qual_format(buf, sizeof(buf), 0x28);
	assert_string_equal(buf, "to selector 0x0028 via call");
	task_switch_qual_format(buf, sizeof(buf), 0x40000030);
	assert_string_equal(buf, "to selector 0x0030 via iret");
	task_switch_qual_format(buf, sizeof(buf), 0x80000040);
	assert_string_equal(buf, "to selector 0x0040 via jmp");
	t = task_switch_qual_decode(0xc0000050);
	assert_int_equal(t.source, TASK_SWITCH_GATE);
	task_switch_qual_format(buf, sizeof(buf), 0xc0000050);
	assert_string_equal(buf, "to selector 0x0050 via task gate in IDT");
}

static void test_apic_access(void **state)
{
	(void)state;
	/* Write to the EOI register (offset 0xb0). */
	struct apic_access_qual a = apic_access_qual_decode(0x10b0);
	assert_int_equal(a.offset, 0xb0);
	assert_int_equal(a.access_type, 1);
	assert_false(a.async);
	apic_access_qual_format(buf, sizeof(buf), 0x10b0);
	assert_string_equal(buf, "linear write at offset 0x0b0");
	apic_access_qual_format(buf, sizeof(buf), 0x0020);
	assert_string_equal(buf, "linear read at offset 0x020");
	apic_access_qual_format(buf, sizeof(buf), 0xf000);
	assert_string_equal(buf, "guest-physical access for fetch or execution");
	apic_access_qual_format(buf, sizeof(buf), 0x1a000);
	assert_string_equal(buf, "guest-physical access during event delivery asynchronous");
	apic_access_qual_format(buf, sizeof(buf), 0x5000);
	assert_string_equal(buf, "access type 5");
}

static void test_exit_qualification_dispatch(void **state)
{
	(void)state;
	decode_exit_qualification(buf, sizeof(buf), EXIT_REASON_CR_ACCESS, 0x4);
	assert_string_equal(buf, "mov to cr4 from rax");
	decode_exit_qualification(buf, sizeof(buf), EXIT_REASON_DR_ACCESS, 0x116);
	assert_string_equal(buf, "mov from dr6 to rcx");
	decode_exit_qualification(buf, sizeof(buf), EXIT_REASON_IO_INSTRUCTION, 0x03f80000);
	assert_string_equal(buf, "out 1 byte to port 0x3f8 (dx)");
	decode_exit_qualification(buf, sizeof(buf), EXIT_REASON_EPT_VIOLATION, 0x181);
	assert_string_equal(buf, "access=r-- allowed=--- gla_valid=1 translation=1 "
				 "nmi_unblocking=0");
	decode_exit_qualification(buf, sizeof(buf), EXIT_REASON_TASK_SWITCH, 0x28);
	assert_string_equal(buf, "to selector 0x0028 via call");
	decode_exit_qualification(buf, sizeof(buf), EXIT_REASON_APIC_ACCESS, 0x10b0);
	assert_string_equal(buf, "linear write at offset 0x0b0");
	decode_exit_qualification(buf, sizeof(buf), EXIT_REASON_INVLPG, 0xffff800000001000ULL);
	assert_string_equal(buf, "linear address 0xffff800000001000");
	decode_exit_qualification(buf, sizeof(buf), EXIT_REASON_APIC_WRITE, 0x380);
	assert_string_equal(buf, "offset 0x380");
	decode_exit_qualification(buf, sizeof(buf), EXIT_REASON_SIPI, 0x9a);
	assert_string_equal(buf, "vector 0x9a");
	decode_exit_qualification(buf, sizeof(buf), EXIT_REASON_EOI_INDUCED, 0x31);
	assert_string_equal(buf, "vector 0x31");
	decode_exit_qualification(buf, sizeof(buf), EXIT_REASON_VMREAD, 0x10);
	assert_string_equal(buf, "displacement 0x10");
	decode_exit_qualification(buf, sizeof(buf), EXIT_REASON_GDTR_IDTR, 0xfffffffffffffff8ULL);
	assert_string_equal(buf, "displacement 0xfffffffffffffff8");
	decode_exit_qualification(buf, sizeof(buf), EXIT_REASON_CPUID, 0);
	assert_string_equal(buf, "0x0");
	decode_exit_qualification(buf, sizeof(buf), EXIT_REASON_EXCEPTION_NMI, 0x7ffc1000);
	assert_string_equal(buf, "0x7ffc1000");
	decode_exit_qualification(buf, sizeof(buf), 1000, 0x12);
	assert_string_equal(buf, "0x12");
}

static void test_intr_info(void **state)
{
	(void)state;
	/* #PF with error code */
	struct intr_info i = intr_info_decode(0x80000b0e);
	assert_int_equal(i.vector, 14);
	assert_int_equal(i.type, INTR_TYPE_HARD_EXCEPTION);
	assert_true(i.error_code_valid && i.valid);
	assert_false(i.nmi_unblocking);
	intr_info_format(buf, sizeof(buf), 0x80000b0e);
	assert_string_equal(buf, "vector=0x0e (#PF) type=hardware exception error_code_valid=1");

	intr_info_format(buf, sizeof(buf), 0x80000020);
	assert_string_equal(buf, "vector=0x20 type=external interrupt error_code_valid=0");
	intr_info_format(buf, sizeof(buf), 0x80000202);
	assert_string_equal(buf, "vector=0x02 (NMI) type=NMI error_code_valid=0");
	intr_info_format(buf, sizeof(buf), 0x80000603);
	assert_string_equal(buf, "vector=0x03 (#BP) type=software exception error_code_valid=0");
	intr_info_format(buf, sizeof(buf), 0x80000480);
	assert_string_equal(buf, "vector=0x80 type=software interrupt error_code_valid=0");
	intr_info_format(buf, sizeof(buf), 0x80000501);
	assert_string_equal(buf, "vector=0x01 (#DB) type=privileged software exception "
				 "error_code_valid=0");
	intr_info_format(buf, sizeof(buf), 0x80000700);
	assert_string_equal(buf, "vector=0x00 type=other event error_code_valid=0");

	/* #GP during IRET: NMI unblocking */
	i = intr_info_decode(0x80001b0d);
	assert_true(i.nmi_unblocking);
	intr_info_format(buf, sizeof(buf), 0x80001b0d);
	assert_string_equal(buf, "vector=0x0d (#GP) type=hardware exception error_code_valid=1 "
				 "nmi_unblocking=1");

	i = intr_info_decode(0x00000b0e);
	assert_false(i.valid);
	intr_info_format(buf, sizeof(buf), 0);
	assert_string_equal(buf, "not valid");
	intr_info_format(buf, sizeof(buf), 0x00000b0e);
	assert_string_equal(buf, "not valid");
	assert_string_equal(intr_type_name(INTR_TYPE_RESERVED), "reserved");
	assert_string_equal(intr_type_name(8), "?");
}

static void test_seg_ar(void **state)
{
	(void)state;
	/* 64-bit code segment */
	struct seg_ar a = seg_ar_decode(0xa09b);
	assert_int_equal(a.type, 0xb);
	assert_int_equal(a.s, 1);
	assert_int_equal(a.dpl, 0);
	assert_int_equal(a.p, 1);
	assert_int_equal(a.avl, 0);
	assert_int_equal(a.l, 1);
	assert_int_equal(a.db, 0);
	assert_int_equal(a.g, 1);
	assert_int_equal(a.unusable, 0);
	seg_ar_format(buf, sizeof(buf), 0xa09b);
	assert_string_equal(buf, "type=0xb S=1 DPL=0 P=1 L=1 D/B=0 G=1");

	seg_ar_format(buf, sizeof(buf), 0xc093);
	assert_string_equal(buf, "type=0x3 S=1 DPL=0 P=1 L=0 D/B=1 G=1");
	seg_ar_format(buf, sizeof(buf), 0xc0f3);
	assert_string_equal(buf, "type=0x3 S=1 DPL=3 P=1 L=0 D/B=1 G=1");
	seg_ar_format(buf, sizeof(buf), 0x008b); /* busy 64-bit TSS */
	assert_string_equal(buf, "type=0xb S=0 DPL=0 P=1 L=0 D/B=0 G=0");
	seg_ar_format(buf, sizeof(buf), 0x109b);
	assert_string_equal(buf, "type=0xb S=1 DPL=0 P=1 AVL=1 L=0 D/B=0 G=0");
	a = seg_ar_decode(0x10000);
	assert_int_equal(a.unusable, 1);
	seg_ar_format(buf, sizeof(buf), 0x10000);
	assert_string_equal(buf, "type=0x0 S=0 DPL=0 P=0 L=0 D/B=0 G=0 unusable");
}

static void test_interruptibility_and_activity(void **state)
{
	(void)state;
	struct interruptibility b = interruptibility_decode(0xa);
	assert_true(b.mov_ss && b.nmi);
	assert_false(b.sti || b.smi || b.enclave);
	interruptibility_format(buf, sizeof(buf), 0xa);
	assert_string_equal(buf, "Blocking by MOV SS | Blocking by NMI");
	interruptibility_format(buf, sizeof(buf), 0);
	assert_string_equal(buf, "none");
	interruptibility_format(buf, sizeof(buf), 0x1);
	assert_string_equal(buf, "Blocking by STI");
	interruptibility_format(buf, sizeof(buf), 0x34);
	assert_string_equal(buf, "Blocking by SMI | Enclave interruption | bit5");

	assert_string_equal(activity_state_name(GUEST_ACTIVITY_ACTIVE), "Active");
	assert_string_equal(activity_state_name(1), "HLT");
	assert_string_equal(activity_state_name(2), "Shutdown");
	assert_string_equal(activity_state_name(3), "Wait-for-SIPI");
	assert_string_equal(activity_state_name(4), "unknown");
}

static void test_eptp(void **state)
{
	(void)state;
	struct eptp e = eptp_decode(0x1234505e);
	assert_int_equal(e.memtype, 6);
	assert_int_equal(e.levels, 4);
	assert_true(e.ad);
	assert_false(e.sss);
	assert_int_equal(e.root, 0x12345000);
	eptp_format(buf, sizeof(buf), 0x1234505e);
	assert_string_equal(buf, "memtype=WB levels=4 ad=1 root=0x12345000");
	eptp_format(buf, sizeof(buf), 0x7fff000020);
	assert_string_equal(buf, "memtype=UC levels=5 ad=0 root=0x7fff000000");
	eptp_format(buf, sizeof(buf), 0x9b);
	assert_string_equal(buf, "memtype=3 levels=4 ad=0 sss=1 root=0x0");
}

static void test_vmx_insn_info(void **state)
{
	(void)state;
	/* vmread %rdx, 0x10(%rax,%rcx,8) */
	struct vmx_insn_info i = vmx_insn_info_decode(0x20058103);
	assert_int_equal(i.scaling, 3);
	assert_int_equal(i.address_size, 2);
	assert_false(i.is_register);
	assert_int_equal(i.segment, 3);
	assert_int_equal(i.index, 1);
	assert_false(i.index_invalid);
	assert_int_equal(i.base, 0);
	assert_false(i.base_invalid);
	assert_int_equal(i.reg2, 2);
	vmx_insn_info_format(buf, sizeof(buf), EXIT_REASON_VMREAD, 0x20058103);
	assert_string_equal(buf, "mem=ds:[rax+rcx*8] asize=64 reg2=rdx");

	/* vmwrite %rsi, %r9 */
	i = vmx_insn_info_decode(0x90000430);
	assert_true(i.is_register);
	assert_int_equal(i.reg1, 6);
	assert_int_equal(i.reg2, 9);
	vmx_insn_info_format(buf, sizeof(buf), EXIT_REASON_VMWRITE, 0x90000430);
	assert_string_equal(buf, "reg1=rsi reg2=r9");

	/* lgdt (%rbx), 32-bit operand size */
	i = vmx_insn_info_decode(0x21c18900);
	assert_int_equal(i.identity, 2);
	assert_true(i.index_invalid);
	assert_int_equal(i.base, 3);
	vmx_insn_info_format(buf, sizeof(buf), EXIT_REASON_GDTR_IDTR, 0x21c18900);
	assert_string_equal(buf, "lgdt mem=ds:[rbx] asize=64 osize=32");

	vmx_insn_info_format(buf, sizeof(buf), EXIT_REASON_LDTR_TR, 0x30000400);
	assert_string_equal(buf, "ltr reg1=rax");
	vmx_insn_info_format(buf, sizeof(buf), EXIT_REASON_INVEPT, 0x03c18100);
	assert_string_equal(buf, "mem=ds:[rdi] asize=64 reg2=rax");
	vmx_insn_info_format(buf, sizeof(buf), EXIT_REASON_VMPTRLD, 0x08418100);
	assert_string_equal(buf, "mem=ds:[disp] asize=64");
	vmx_insn_info_format(buf, sizeof(buf), EXIT_REASON_VMCLEAR, 0x08180082);
	assert_string_equal(buf, "mem=es:[rsi*4] asize=32");
	vmx_insn_info_format(buf, sizeof(buf), EXIT_REASON_RDRAND, 0x800);
	assert_string_equal(buf, "reg1=rax osize=32");
	vmx_insn_info_format(buf, sizeof(buf), EXIT_REASON_RDSEED, 0x1018);
	assert_string_equal(buf, "reg1=rbx osize=64");
	vmx_insn_info_format(buf, sizeof(buf), EXIT_REASON_IO_INSTRUCTION, 0x00018080);
	assert_string_equal(buf, "asize=32 seg=ds");
	vmx_insn_info_format(buf, sizeof(buf), EXIT_REASON_CPUID, 0x12);
	assert_string_equal(buf, "0x00000012");
}

static void test_controls(void **state)
{
	(void)state;
	decode_controls(buf, sizeof(buf), VMX_CTRL_PROC, 0x92000000);
	assert_string_equal(buf, "Use I/O bitmaps | Use MSR bitmaps | Activate secondary controls");
	decode_controls(buf, sizeof(buf), VMX_CTRL_PROC2, 0xa2);
	assert_string_equal(buf, "Enable EPT | Enable VPID | Unrestricted guest");
	decode_controls(buf, sizeof(buf), VMX_CTRL_PIN, 0x16);
	assert_string_equal(buf, "bit1 | bit2 | bit4");
	/* Reserved bits print as bitN: here default1 bits 0-8 (SDM Vol. 3D, A.4 "VM-Exit
	 * Controls"). */
	decode_controls(buf, sizeof(buf), VMX_CTRL_EXIT, 0x003c93ff);
	assert_string_equal(buf, "bit0 | bit1 | Save debug controls | bit3 | bit4 | bit5 | bit6 | "
				 "bit7 | bit8 | Host address-space size | Load IA32_PERF_GLOBAL_CTRL | "
				 "Acknowledge interrupt on exit | Save IA32_PAT | Load IA32_PAT | "
				 "Save IA32_EFER | Load IA32_EFER");
	decode_controls(buf, sizeof(buf), VMX_CTRL_PROC3, (1ULL << 40) | 0x10);
	assert_string_equal(buf, "IPI virtualization | bit40");
	decode_controls(buf, sizeof(buf), VMX_CTRL_ENTRY, 0);
	assert_string_equal(buf, "none");

	exception_bitmap_format(buf, sizeof(buf), (1u << 14) | (1u << 1) | (1u << 18));
	assert_string_equal(buf, "#DB | #PF | #MC");
	exception_bitmap_format(buf, sizeof(buf), (1u << 9) | (1u << 31));
	assert_string_equal(buf, "bit9 | bit31");
	exception_bitmap_format(buf, sizeof(buf), 0);
	assert_string_equal(buf, "none");
}

/* Formatters cut like snprintf and return the whole length. */
static void test_truncation(void **state)
{
	(void)state;
	char small[8];

	memset(small, 'x', sizeof(small));
	assert_int_equal(cr_access_qual_format(small, sizeof(small), 0x4), 19);
	assert_string_equal(small, "mov to ");
	memset(small, 'x', sizeof(small));
	size_t n = decode_controls(small, sizeof(small), VMX_CTRL_PROC, 0x92000000);
	assert_int_equal(n, strlen("Use I/O bitmaps | Use MSR bitmaps | "
				   "Activate secondary controls"));
	assert_string_equal(small, "Use I/O");
	assert_int_equal(ept_violation_qual_format(NULL, 0, 0x1aa),
			 strlen("access=-w- allowed=r-x gla_valid=1 translation=1 "
				"nmi_unblocking=0"));
	assert_int_equal(intr_info_format(small, 1, 0x80000b0e),
			 strlen("vector=0x0e (#PF) type=hardware exception error_code_valid=1"));
	assert_string_equal(small, "");
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(gpr_name(0), "rax");
	assert_string_equal(gpr_name(4), "rsp");
	assert_string_equal(gpr_name(7), "rdi");
	assert_string_equal(gpr_name(15), "r15");
	assert_string_equal(gpr_name(16), "?");
	assert_string_equal(exception_name(0), "#DE");
	assert_string_equal(exception_name(8), "#DF");
	assert_string_equal(exception_name(21), "#CP");
	assert_null(exception_name(9));
	assert_null(exception_name(15));
	assert_null(exception_name(22));
	assert_null(exception_name(32));
}

/* arch/exceptions.def: the Intel list of vectors with an error code (SDM Vol. 3A, Table 6-1;
 * the same list SDM Vol. 3C, 27.2.1.3 accepts), classes and descriptions. */
static void test_exception_table(void **state)
{
	(void)state;
	assert_int_equal(EXCEPTION_ERROR_CODE_MASK, 0x227D00);
	for (unsigned v = 0; v < 40; v++) {
		bool ec = v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21;
		assert_int_equal(exception_has_error_code(v), ec);
	}
	assert_false(exception_has_error_code(29)); /* #VC and #SX are AMD's */
	assert_false(exception_has_error_code(30));
	assert_int_equal(exception_class(VECTOR_DF), EXC_ABORT);
	assert_int_equal(exception_class(VECTOR_BP), EXC_TRAP);
	assert_int_equal(exception_class(VECTOR_DB), EXC_FAULT_OR_TRAP);
	assert_int_equal(exception_class(VECTOR_NMI), EXC_INTERRUPT);
	assert_int_equal(exception_class(30), EXC_RESERVED);
	assert_string_equal(exception_description(VECTOR_GP), "general protection");
	assert_string_equal(exception_description(9), "coprocessor segment overrun");
	assert_null(exception_description(22));
	assert_int_equal(VECTOR_CP, 21);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_reason),
		cmocka_unit_test(test_cr_access),
		cmocka_unit_test(test_dr_access),
		cmocka_unit_test(test_io),
		cmocka_unit_test(test_ept_violation),
		cmocka_unit_test(test_task_switch),
		cmocka_unit_test(test_apic_access),
		cmocka_unit_test(test_exit_qualification_dispatch),
		cmocka_unit_test(test_intr_info),
		cmocka_unit_test(test_seg_ar),
		cmocka_unit_test(test_interruptibility_and_activity),
		cmocka_unit_test(test_eptp),
		cmocka_unit_test(test_vmx_insn_info),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_exception_table),
	};
	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
