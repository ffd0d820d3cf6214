; vmxdiff's mode-switching blob: a flat binary (nasm -f bin) that vmxdiff.c copies to
; DIFF_BASE (0x8000, below 1 MiB so that real mode reaches it with CS = 0) and calls in
; 64-bit mode at DIFF_BASE + 2. It goes
;   long mode -> 32-bit protected (paging off) -> 32-bit paging (4 MiB pages)
;   -> PAE paging -> 16-bit protected -> real mode -> 32-bit protected -> long mode
; and in each mode runs a table of probes. A probe is a few instructions ending in UD2:
; every probe ends in an exception (its own fault, or #UD at the UD2 after it), and the
; mode's own IDT (IVT in real mode) records the vector, the error code, CS:IP of the
; frame, the frame's size and EAX..EDX in a 60-byte record; #DB is recorded (count, IP of
; the first two, DR6 of the first) and returned from with IRET, so single-stepping goes on.
; vmxdiff.c prints the records. The page tables, the TSS contents and the wrap-around
; bytes are written by vmxdiff.c before the call (addresses below, shared with the C side
; through the constants at the top of tests/guest/vmxdiff.c, which must match).
; The low part (BASE up to the IVT, LO_SIZE bytes, padded) holds what 16-bit code reaches;
; section hi (the 64-bit and 32-bit IDTs and the 32-bit-only probes) follows it in the
; file and is copied to HI_BASE, its records going to REC2_BASE (vmxdiff.c prints both).
;
; Interrupts stay disabled throughout; the firmware's GDT, IDT, TR, CR0/CR3/CR4, EFER,
; segment selectors and FS/GS bases are saved at entry and put back before returning.
; SDM Vol. 3A, 10.8 "Software Initialization for Protected-Mode Operation", 10.9 "Mode
; Switching" (10.9.2 "Switching Back to Real-Address Mode"), 10.8.5 "Initializing IA-32e
; Mode" and 10.8.5.4 "Switching Out of IA-32e Mode Operation".

BASE		equ 0x8000
STACK_TOP	equ 0xB000	; 0xA900-0xAFFF: the stacks (task B from 0xAC00 down)
REC_BASE	equ 0xB000	; records up to 0xFFFF: 16-bit code reaches them
REC_SIZE	equ 60
REC_MAX		equ 340
PDPT		equ 0x1C000	; PAE, 4 entries (32-byte aligned)
PDPT2		equ 0x1C020	; the same, except entry 3 (for the PDPTE-loading probe)
IVT		equ 0xA800	; real-mode IVT (LIDT base), 32 vectors used
PD32		equ 0x14000	; 32-bit paging: 1024 4-MiB pages, identity
WRAP_HI_PAGE	equ 0x18000	; linear 0xFFFFF000 under PAE: marker A at +0, CPUID at +0xFFE
MARK_LIN	equ 0xFFFFF000
IOBUF		equ 0xA880	; 16 bytes for the string I/O probes
EV_STACK	equ 0xA8F8	; (qword, vmxdiff.c) a stack top in a page the guest has not touched yet:
			; under vmxray one of its own (the EPT maps it at the first access)

; record layout (dwords; vmxdiff.h, struct diff_record)
R_MODE	equ 0	; (word) offset of the mode's name string
R_NAME	equ 2	; (word) offset of the probe's name string
R_VEC	equ 4
R_EC	equ 8	; 0xFFFFFFFF: no error code pushed
R_RIP	equ 12
R_CS	equ 16
R_EAX	equ 20
R_EBX	equ 24
R_ECX	equ 28
R_EDX	equ 32
R_DBN	equ 36
R_DB0	equ 40
R_DB1	equ 44
R_DR6	equ 48
R_FRAME	equ 52	; bytes between the probe's stack pointer and the handler's, vector popped
R_START	equ 56	; the probe's first byte

SEL_CODE64	equ 0x08
SEL_CODE32	equ 0x10
SEL_DATA32	equ 0x18
SEL_CODE16	equ 0x20
SEL_DATA16	equ 0x28
SEL_CODE16W	equ 0x30	; 16-bit code, base 0x8000: IP 0xFFFE is linear 0x17FFE
SEL_TSS_A	equ 0x38
SEL_TSS_B	equ 0x40
SEL_TSS_C	equ 0x48	; 16-bit TSS C (SDM Vol. 3A, 9.6 "16-Bit Task-State Segment (TSS)")
; The second part of the blob (section hi): 32-bit code and data that no 16-bit code
; reaches, copied by vmxdiff.c to HI_BASE (the PDPT page, past the PDPTs); the records
; of its probes go to REC2_BASE (the low record area is full).
LO_SIZE		equ 0x2800	; the low part: BASE up to the IVT
HI_BASE		equ 0x1C100
REC2_BASE	equ 0x1C800	; up to 0x1D000: 34 records

CR0_PE	equ 1 << 0
CR0_TS	equ 1 << 3
CR0_NE	equ 1 << 5
CR0_NW	equ 1 << 29
CR0_CD	equ 1 << 30
CR0_PG	equ 1 << 31
CR4_PSE	equ 1 << 4
CR4_PAE	equ 1 << 5
EFER	equ 0xC0000080
EFER_LME equ 1 << 8
TF	equ 0x100
NT	equ 0x4000
; vectors that push an error code (SDM Vol. 3A, 6.13 "Error Code"): 8, 10-14, 17, 21
EC_MASK	equ (1 << 8) | (0x1F << 10) | (1 << 17) | (1 << 21)

%define A(x) ((x) - $$ + BASE)

bits 64
org BASE
	ud2			; IP 0 of SEL_CODE16W lands here after a 16-bit IP wrap
entry64:
	jmp long_entry

; ---------------------------------------------------------------- data
align 16
gdt:	dq 0
	dq 0x00AF9A000000FFFF	; 0x08 64-bit code
	dq 0x00CF9A000000FFFF	; 0x10 32-bit code, flat
	dq 0x00CF92000000FFFF	; 0x18 32-bit data, flat
	dq 0x00009A000000FFFF	; 0x20 16-bit code, base 0, limit 0xFFFF
	dq 0x000092000000FFFF	; 0x28 16-bit data, base 0, limit 0xFFFF
	dq 0x00009A008000FFFF	; 0x30 16-bit code, base 0x8000, limit 0xFFFF
gdt_tss_a:
	dw 0x67, A(tss_a) & 0xFFFF
	db 0, 0x89, 0, 0	; 0x38 32-bit TSS A (available)
gdt_tss_b:
	dw 0x67, A(tss_b) & 0xFFFF
	db 0, 0x89, 0, 0	; 0x40 32-bit TSS B
gdt_tss_c:
	dw 0x2B, A(tss_c) & 0xFFFF
	db 0, 0x81, 0, 0	; 0x48 16-bit TSS C (available), the least limit (44 bytes)
gdt_end:
gdtr:	dw gdt_end - gdt - 1
	dq A(gdt)

align 16
tss_a:	times 104 db 0
align 16
tss_b:	times 104 db 0
align 16
tss_c:	times 44 db 0
tss_a_cr3:	dd 0		; written by the pm32 setup

align 8
save_rsp:	dq 0
save_gdtr:	dw 0
		dq 0
save_idtr:	dw 0
		dq 0
save_cr0:	dq 0
save_cr3:	dq 0
save_cr4:	dq 0
save_efer:	dq 0
save_fsbase:	dq 0
save_gsbase:	dq 0
save_gsbase_k:	dq 0
save_cs:	dw 0
save_ds:	dw 0
save_es:	dw 0
save_ss:	dw 0
save_fs:	dw 0
save_gs:	dw 0
save_tr:	dw 0
save_ldtr:	dw 0

align 8
global_rec_ptr:
rec_ptr:	dd REC_BASE
rec_count:	dd 0
cur_mode:	dd 0
probe_sp:	dd 0
resume:		dd 0
t_eax:		dd 0
t_ebx:		dd 0
t_ecx:		dd 0
t_edx:		dd 0
tb_kind:	dd 0	; 0: task B jumps back to A; 1: task B returns with IRET
tb_tr:		dd 0
tb_flags:	dd 0
tb_link:	dd 0
tb_eax:		dd 0	; task C: EAX, SP, FS as it starts
tb_sp:		dd 0
tb_fs:		dd 0
cr0_pm32:	dd 0	; CR0 in 32-bit protected mode, paging off

idt64_r:	dw 32 * 16 - 1
		dq idt64
idt32_r:	dw 0x42 * 8 - 1
		dq idt32
idt16_r:	dw 0x21 * 8 - 1
		dq A(idt16)
ivt_r:		dw 32 * 4 - 1
		dq IVT

m_long:	db "long", 0
m_pm32:	db "pm32", 0
m_pg32:	db "pg32", 0
m_pae:	db "pae", 0
m_pm16:	db "pm16", 0
m_real:	db "real", 0
m_back:	db "pm32b", 0

; ---------------------------------------------------------------- probes
; Probe names (the record points at them; vmxdiff.c prints them).
n_ud2:		db "ud2", 0
n_int3:		db "int3", 0
n_cpuid0:	db "cpuid0", 0
n_cpuid1:	db "cpuid1", 0
n_cpuid7:	db "cpuid7", 0
n_cpuidbig:	db "cpuid_80000001", 0
n_cr0_ne:	db "cr0_ne", 0
n_cr0_pg:	db "cr0_pg_no_pe", 0
n_cr0_nw:	db "cr0_nw_no_cd", 0
n_cr4_same:	db "cr4_same", 0
n_cr4_rsvd:	db "cr4_reserved", 0
n_xsetbv_same:	db "xsetbv_same", 0
n_xsetbv_x87:	db "xsetbv_no_x87", 0
n_xsetbv_idx:	db "xsetbv_index5", 0
n_mtrr_def:	db "wrmsr_mtrr_def", 0
n_mtrr_rsvd:	db "wrmsr_mtrr_def_rsvd", 0
n_mtrr_type:	db "wrmsr_physbase0_type2", 0
n_apic_same:	db "wrmsr_apic_base", 0
n_apic_rsvd:	db "wrmsr_apic_base_rsvd", 0
n_io_cf8:	db "io_cf8_dword", 0
n_io_64:	db "io_in_64", 0
n_invd:		db "invd", 0
n_tf_nop:	db "tf_nop", 0
n_tf_cpuid:	db "tf_cpuid", 0
n_tf_in:	db "tf_in_cf8", 0
n_tf_out:	db "tf_out_cf8", 0
n_tf_cr0:	db "tf_cr0_ne", 0
n_tf_wrmsr:	db "tf_wrmsr", 0
n_tf_xsetbv:	db "tf_xsetbv", 0
n_tf_invd:	db "tf_invd", 0
n_tf_cr0_gp:	db "tf_cr0_gp", 0
n_movss_cpuid:	db "movss_cpuid", 0
n_tf_movss:	db "tf_movss_cpuid", 0
n_cr0_hi:	db "cr0_upper_junk", 0
n_ts_jmp:	db "task_jmp", 0
n_ts_call:	db "task_call_iret", 0
n_ts_gate:	db "task_gate_int", 0
n_tf_ts_jmp:	db "tf_task_jmp", 0
n_tf_ts_call:	db "tf_task_call_iret", 0
n_ts_gate_ec:	db "task_gate_gp_error_code", 0
n_eip_wrap:	db "eip_wrap_4g", 0
n_ip_wrap:	db "cs_limit_16", 0
n_pdpte:	db "pdpte_on_cr0", 0
n_ev_db:	db "db_delivery_ept_exit", 0
n_tf_eip_wrap:	db "tf_eip_wrap_4g", 0
n_tf_ip_wrap:	db "tf_cs_limit_16", 0
n_cr8:		db "cr8_same", 0
n_vmxon:	db "vmxon", 0
n_vmclear:	db "vmclear", 0
n_vmptrld:	db "vmptrld", 0
n_vmptrst:	db "vmptrst", 0
n_vmread:	db "vmread", 0
n_vmwrite:	db "vmwrite", 0
n_vmlaunch:	db "vmlaunch", 0
n_vmresume:	db "vmresume", 0
n_vmxoff:	db "vmxoff", 0
n_invept:	db "invept", 0
n_invvpid:	db "invvpid", 0
n_vmfunc:	db "vmfunc", 0
n_getsec:	db "getsec", 0
n_io_cf9:	db "io_in_cf9_byte", 0
n_ins:		db "rep_insd_cf8", 0
n_ins_std:	db "rep_insd_cf8_df", 0
n_outs:		db "rep_outsd_cf8", 0
n_tf_ins:	db "tf_rep_insd_cf8", 0
n_v86_cpuid:	db "vm86_cpuid", 0
n_v86_tf:	db "vm86_tf_cpuid", 0
n_v86_int3:	db "vm86_int3", 0
n_t16_jmp:	db "task16_jmp", 0
n_t16_call:	db "task16_call_iret", 0
n_t16_gate:	db "task16_gate_int", 0
n_t16_gate_ec:	db "task16_gate_gp_error_code", 0
n_t16_busy:	db "task16_jmp_busy", 0
n_t16_limit:	db "task16_call_limit_2a", 0
align 16
vmx_scratch:	times 16 db 0

; The same probe bodies in every mode; %1: the label prefix, %2: the stack pointer.
%macro SET_TF 1
	pushf
	or word [%1], TF
	popf
%endmacro

%macro COMMON_PROBES 6
%1_ud2:
	ud2
%1_int3:
	int3
	ud2
%1_cpuid0:
	cpuid
	ud2
%1_cpuid1:
	mov eax, 1
	cpuid
	ud2
%1_cpuid7:
	mov eax, 7
	cpuid
	ud2
%1_cpuidbig:
	mov eax, 0x80000001
	cpuid
	ud2
%1_cr0_ne:
	mov %3, cr0
	mov %6, %3
	and %3, ~CR0_NE
	mov cr0, %3
	mov %4, cr0
	mov cr0, %6
	mov %5, cr0
	ud2
%1_cr0_pg:
	mov %3, cr0
	and %3, ~(CR0_NE | CR0_PE)
	bts %3, 31
	mov cr0, %3
	ud2
%1_cr0_nw:
	mov %3, cr0
	and %3, ~(CR0_NE | CR0_CD)
	bts %3, 29
	mov cr0, %3
	ud2
%1_cr4_same:
	mov %3, cr4
	mov cr4, %3
	ud2
%1_cr4_rsvd:
	mov %3, cr4
	bts %3, 31
	mov cr4, %3
	ud2
%1_xsetbv_same:
	xgetbv
	xsetbv
	ud2
%1_xsetbv_x87:
	xsetbv
	ud2
%1_xsetbv_idx:
	mov ecx, 5
	mov eax, 1
	xsetbv
	ud2
%1_mtrr_def:
	mov ecx, 0x2FF
	rdmsr
	wrmsr
	ud2
%1_mtrr_rsvd:
	mov ecx, 0x2FF
	rdmsr
	or eax, 1 << 12
	wrmsr
	ud2
%1_mtrr_type:
	mov ecx, 0x200
	rdmsr
	and eax, ~0xFF
	or eax, 2
	wrmsr
	ud2
%1_apic_same:
	mov ecx, 0x1B
	rdmsr
	wrmsr
	ud2
%1_apic_rsvd:
	mov ecx, 0x1B
	rdmsr
	or eax, 1
	wrmsr
	ud2
%1_io_cf8:
	mov dx, 0xCF8
	in eax, dx
	out dx, eax
	ud2
%1_io_64:
	in al, 0x64
	ud2
%1_invd:
	invd
	ud2
%1_tf_nop:
	SET_TF %2
	nop
	ud2
%1_tf_cpuid:
	SET_TF %2
	cpuid
	ud2
%1_tf_in:
	mov dx, 0xCF8
	SET_TF %2
	in eax, dx
	ud2
%1_tf_out:
	mov dx, 0xCF8
	in eax, dx
	SET_TF %2
	out dx, eax
	ud2
%1_tf_cr0:
	mov %3, cr0
	mov %6, %3
	and %3, ~CR0_NE
	SET_TF %2
	mov cr0, %3
	mov cr0, %6
	ud2
%1_tf_cr0_gp:
	mov %3, cr0
	and %3, ~(CR0_NE | CR0_CD)
	bts %3, 29
	SET_TF %2
	mov cr0, %3
	ud2
%1_tf_wrmsr:
	mov ecx, 0x2FF
	rdmsr
	SET_TF %2
	wrmsr
	ud2
%1_tf_xsetbv:
	xgetbv
	SET_TF %2
	xsetbv
	ud2
%1_tf_invd:
	SET_TF %2
	invd
	ud2
%1_vmxon:
	vmxon [vmx_scratch]
	ud2
%1_vmclear:
	vmclear [vmx_scratch]
	ud2
%1_vmptrld:
	vmptrld [vmx_scratch]
	ud2
%1_vmptrst:
	vmptrst [vmx_scratch]
	ud2
%1_vmread:
	mov eax, 0x4402
	vmread %4, %3
	ud2
%1_vmwrite:
	mov eax, 0x4402
	vmwrite %3, %4
	ud2
%1_vmlaunch:
	vmlaunch
	ud2
%1_vmresume:
	vmresume
	ud2
%1_vmxoff:
	vmxoff
	ud2
%1_invept:
	mov eax, 2
	invept %3, [vmx_scratch]
	ud2
%1_invvpid:
	mov eax, 2
	invvpid %3, [vmx_scratch]
	ud2
%1_vmfunc:
	vmfunc
	ud2
%1_getsec:
	getsec
	ud2
%1_io_cf9:
	mov dx, 0xCF9
	in al, dx
	ud2
%1_ins:
	mov dx, 0xCF8
	mov edi, IOBUF
	mov ecx, 2
	cld
	rep insd
	mov eax, [IOBUF]
	mov ebx, [IOBUF + 4]
	mov edx, edi
	ud2
%1_ins_std:
	mov dx, 0xCF8
	mov edi, IOBUF + 4
	mov ecx, 2
	std
	rep insd
	cld
	mov eax, [IOBUF]
	mov ebx, [IOBUF + 4]
	mov edx, edi
	ud2
%1_outs:
	mov dx, 0xCF8
	mov dword [IOBUF], 0x80000000
	mov esi, IOBUF
	mov ecx, 1
	cld
	rep outsd
	in eax, dx
	mov ebx, esi
	ud2
%1_tf_ins:
	mov dx, 0xCF8
	mov edi, IOBUF
	mov ecx, 2
	cld
	SET_TF %2
	rep insd
	mov ebx, edi
	ud2
%1_movss_cpuid:
	mov dx, ss
	mov ss, dx
	cpuid
	ud2
%1_tf_movss:
	SET_TF %2
	mov dx, ss
	mov ss, dx
	cpuid
	ud2
%endmacro

%macro COMMON_TABLE 1
	dw %1_ud2, n_ud2
	dw %1_int3, n_int3
	dw %1_cpuid0, n_cpuid0
	dw %1_cpuid1, n_cpuid1
	dw %1_cpuid7, n_cpuid7
	dw %1_cpuidbig, n_cpuidbig
	dw %1_cr0_ne, n_cr0_ne
	dw %1_cr0_pg, n_cr0_pg
	dw %1_cr0_nw, n_cr0_nw
	dw %1_cr4_same, n_cr4_same
	dw %1_cr4_rsvd, n_cr4_rsvd
	dw %1_xsetbv_same, n_xsetbv_same
	dw %1_xsetbv_x87, n_xsetbv_x87
	dw %1_xsetbv_idx, n_xsetbv_idx
	dw %1_mtrr_def, n_mtrr_def
	dw %1_mtrr_rsvd, n_mtrr_rsvd
	dw %1_mtrr_type, n_mtrr_type
	dw %1_apic_same, n_apic_same
	dw %1_apic_rsvd, n_apic_rsvd
	dw %1_io_cf8, n_io_cf8
	dw %1_io_64, n_io_64
	dw %1_invd, n_invd
	dw %1_tf_nop, n_tf_nop
	dw %1_tf_cpuid, n_tf_cpuid
	dw %1_tf_in, n_tf_in
	dw %1_tf_out, n_tf_out
	dw %1_tf_cr0, n_tf_cr0
	dw %1_tf_cr0_gp, n_tf_cr0_gp
	dw %1_tf_wrmsr, n_tf_wrmsr
	dw %1_tf_xsetbv, n_tf_xsetbv
	dw %1_tf_invd, n_tf_invd
	dw %1_movss_cpuid, n_movss_cpuid
	dw %1_tf_movss, n_tf_movss
	dw %1_vmxon, n_vmxon
	dw %1_vmclear, n_vmclear
	dw %1_vmptrld, n_vmptrld
	dw %1_vmptrst, n_vmptrst
	dw %1_vmread, n_vmread
	dw %1_vmwrite, n_vmwrite
	dw %1_vmlaunch, n_vmlaunch
	dw %1_vmresume, n_vmresume
	dw %1_vmxoff, n_vmxoff
	dw %1_invept, n_invept
	dw %1_invvpid, n_invvpid
	dw %1_vmfunc, n_vmfunc
	dw %1_getsec, n_getsec
	dw %1_io_cf9, n_io_cf9
	dw %1_ins, n_ins
	dw %1_ins_std, n_ins_std
	dw %1_outs, n_outs
	dw %1_tf_ins, n_tf_ins
%endmacro

align 2
table64:	COMMON_TABLE l
		dw l_ev_db, n_ev_db
		dw l_cr8, n_cr8
table64_end:
table32:	COMMON_TABLE p
table32_end:
%macro TASK_TABLE 0
		dw p_ts_jmp, n_ts_jmp
		dw p_ts_call, n_ts_call
		dw p_ts_gate, n_ts_gate
		dw p_tf_ts_jmp, n_tf_ts_jmp
		dw p_tf_ts_call, n_tf_ts_call
		dw p_ts_gate_ec, n_ts_gate_ec
%endmacro
table32b:	TASK_TABLE
		dw p_pdpte, n_pdpte
		dw p_v86_cpuid, n_v86_cpuid
		dw p_v86_tf, n_v86_tf
		dw p_v86_int3, n_v86_int3
table32b_end:
tablepae:	dw p_eip_wrap, n_eip_wrap
		dw p_tf_eip_wrap, n_tf_eip_wrap
		TASK_TABLE
tablepae_end:
table16:	COMMON_TABLE r
		dw r_ip_wrap, n_ip_wrap
		dw r_tf_ip_wrap, n_tf_ip_wrap
table16_end:
table16p:	dw r_ts_jmp, n_ts_jmp
		dw r_ts_call, n_ts_call
		dw r_t16_jmp, n_t16_jmp
		dw r_t16_call, n_t16_call
		dw r_t16_gate, n_t16_gate
table16p_end:

; ================================================================ 64-bit
bits 64
long_entry:
	push rbx
	push rbp
	push rsi
	push rdi
	push r12
	push r13
	push r14
	push r15
	pushfq
	cli
	mov [save_rsp], rsp
	sgdt [save_gdtr]
	sidt [save_idtr]
	str word [save_tr]
	sldt word [save_ldtr]
	mov rax, cr0
	mov [save_cr0], rax
	mov rax, cr3
	mov [save_cr3], rax
	mov rax, cr4
	mov [save_cr4], rax
	; CR4.OSXSAVE on where XSAVE exists, so that XSETBV gets as far as its own checks
	mov eax, 1
	cpuid
	bt ecx, 26
	jnc .no_xsave
	mov rax, cr4
	bts rax, 18
	mov cr4, rax
.no_xsave:
	mov ecx, EFER
	rdmsr
	mov [save_efer], eax
	mov [save_efer + 4], edx
	mov ecx, 0xC0000100
	rdmsr
	mov [save_fsbase], eax
	mov [save_fsbase + 4], edx
	mov ecx, 0xC0000101
	rdmsr
	mov [save_gsbase], eax
	mov [save_gsbase + 4], edx
	mov ecx, 0xC0000102
	rdmsr
	mov [save_gsbase_k], eax
	mov [save_gsbase_k + 4], edx
	mov [save_cs], cs
	mov [save_ds], ds
	mov [save_es], es
	mov [save_ss], ss
	mov [save_fs], fs
	mov [save_gs], gs

	lgdt [gdtr]
	lidt [idt64_r]
	mov rsp, STACK_TOP
	push SEL_CODE64
	push .cs
	retfq
.cs:	mov ax, SEL_DATA32
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov dword [rec_ptr], REC_BASE
	mov dword [rec_count], 0
	mov dword [cur_mode], m_long
	mov esi, table64
	mov edi, table64_end
	call run64
	; The value MOV CR0 gets in 32-bit mode, with junk above bit 31 that 32-bit code
	; cannot see: the CR0 of 32-bit protected mode without NE (an exit under vmxray).
	mov rax, cr0
	and eax, ~(CR0_PG | CR0_NE)
	mov rsi, 0xA5A5A5A500000000
	or rsi, rax
	push SEL_CODE32
	push pm32_entry
	retfq

; run64: probes from [rsi] to [rdi] (4 bytes each: the probe, its name)
run64:
.next:	cmp esi, edi
	jae .done
	movzx ebp, word [rsi]
	movzx ecx, word [rsi + 2]
	call one64
	add esi, 4
	jmp .next
.done:	ret

; one64: the probe at rbp, named at rcx; keeps rsi, rdi
one64:
	mov ebx, [rec_ptr]
	mov eax, [cur_mode]
	mov [rbx + R_MODE], ax
	mov [rbx + R_NAME], cx
	mov [rbx + R_START], ebp
	mov dword [rbx + R_VEC], 0xEEEE
	mov dword [rbx + R_DBN], 0
	xor eax, eax
	mov dr6, rax
	push rsi			; the runner's table pointers: probes may use them
	push rdi
	mov [probe_sp], esp
	mov dword [resume], .back
	xor ebx, ebx
	xor ecx, ecx
	xor edx, edx
	jmp rbp
.back:	pop rdi
	pop rsi
	add dword [rec_ptr], REC_SIZE
	inc dword [rec_count]
	ret

; IDT stubs: 32 of 16 bytes
align 16
stubs64:
%assign v 0
%rep 32
	align 16, db 0xCC
	push v
	jmp near h64
%assign v v + 1
%endrep

; [rsp] vector, then the error code when the vector has one, RIP, CS, RFLAGS, RSP, SS
h64:
	mov [t_eax], eax
	mov [t_ebx], ebx
	mov [t_ecx], ecx
	mov [t_edx], edx
	mov ebx, [rec_ptr]
	mov eax, [rsp]
	lea rcx, [rsp + 8]
	mov edx, 0xFFFFFFFF
	bt dword [ec_mask], eax
	jnc .noec
	mov edx, [rcx]
	add rcx, 8
.noec:	cmp eax, 1
	jne .final
	mov eax, [rbx + R_DBN]
	cmp eax, 2
	jae .dbn
	mov rdx, [rcx]
	mov [rbx + R_DB0 + rax * 4], edx
	test eax, eax
	jnz .dbn
	mov rdx, dr6
	mov [rbx + R_DR6], edx
.dbn:	inc dword [rbx + R_DBN]
	xor edx, edx
	mov dr6, rdx
	mov eax, [t_eax]
	mov ebx, [t_ebx]
	mov ecx, [t_ecx]
	mov edx, [t_edx]
	add rsp, 8
	iretq
.final:	mov [rbx + R_VEC], eax
	mov [rbx + R_EC], edx
	mov rax, [rcx]
	mov [rbx + R_RIP], eax
	mov rax, [rcx + 8]
	mov [rbx + R_CS], eax
	mov eax, [probe_sp]
	lea rdx, [rsp + 8]
	sub eax, edx
	mov [rbx + R_FRAME], eax
	call copy_regs64
	mov esp, [probe_sp]
	mov eax, [resume]
	jmp rax
copy_regs64:
	mov eax, [t_eax]
	mov [rbx + R_EAX], eax
	mov eax, [t_ebx]
	mov [rbx + R_EBX], eax
	mov eax, [t_ecx]
	mov [rbx + R_ECX], eax
	mov eax, [t_edx]
	mov [rbx + R_EDX], eax
	ret
ec_mask:	dd EC_MASK

COMMON_PROBES l, rsp, rax, rbx, rcx, rdx

; A single-step trap delivered on a stack whose first touch is the delivery itself:
; under vmxray the push exits (EPT violation) during the delivery of #DB, and the event
; must be delivered again after the exit (IDT-vectoring information). Two traps: after
; the MOV to RSP and after the NOP.
l_cr8:
	mov rax, cr8
	mov cr8, rax
	ud2

l_ev_db:
	SET_TF rsp
	mov rsp, [EV_STACK]
	nop
	ud2

; Back from 32-bit protected mode (IA-32e mode active, CS.L = 0 until this far jump).
lm_back:
	lgdt [save_gdtr]
	lidt [save_idtr]
	mov rax, [save_cr3]
	mov cr3, rax
	mov rax, [save_cr4]
	mov cr4, rax
	mov rax, [save_cr0]
	mov cr0, rax
	mov ax, [save_ds]
	mov ds, ax
	mov ax, [save_es]
	mov es, ax
	mov ax, [save_ss]
	mov ss, ax
	mov ax, [save_fs]
	mov fs, ax
	mov ax, [save_gs]
	mov gs, ax
	mov ecx, 0xC0000100
	mov eax, [save_fsbase]
	mov edx, [save_fsbase + 4]
	wrmsr
	mov ecx, 0xC0000101
	mov eax, [save_gsbase]
	mov edx, [save_gsbase + 4]
	wrmsr
	mov ecx, 0xC0000102
	mov eax, [save_gsbase_k]
	mov edx, [save_gsbase_k + 4]
	wrmsr
	lldt word [save_ldtr]
	; The firmware's TR, if it had one: LTR wants its descriptor marked available.
	movzx eax, word [save_tr]
	and eax, ~7
	jz .no_tr
	mov rbx, [save_gdtr + 2]
	and byte [rbx + rax + 5], ~0x02
	ltr word [save_tr]
.no_tr:
	mov rsp, [save_rsp]
	movzx eax, word [save_cs]
	push rax
	push .cs
	retfq
.cs:	mov eax, [rec_count]		; RAX: records written, and (63:32) records expected
	mov edx, EXPECTED
	shl rdx, 32
	or rax, rdx
	popfq
	pop r15
	pop r14
	pop r13
	pop r12
	pop rdi
	pop rsi
	pop rbp
	pop rbx
	ret

; ================================================================ 32-bit
bits 32
pm32_entry:
	mov ax, SEL_DATA32
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov esp, STACK_TOP
	; out of IA-32e mode: paging off, then EFER.LME off
	mov eax, cr0
	and eax, ~CR0_PG
	mov cr0, eax
	mov [cr0_pm32], eax
	mov ecx, EFER
	rdmsr
	and eax, ~EFER_LME
	wrmsr
	lidt [idt32_r]
	mov eax, cr3
	mov [tss_a + 0x1C], eax
	mov ax, SEL_TSS_A
	ltr ax
	mov dword [cur_mode], m_pm32
	; The first probe: MOV CR0 from ESI, whose bits 63:32 hold junk from 64-bit mode
	; (SDM Vol. 3A, 3.4.1.1 "General-Purpose Registers in 64-Bit Mode": they are
	; undefined, not zero, after a switch; a 32-bit MOV to CR0 ignores them).
	mov ebp, p_cr0_hi
	mov ecx, n_cr0_hi
	call one32
	mov esi, table32
	mov edi, table32_end
	call run32

	; 32-bit paging with 4-MiB pages (CR4.PSE), identity
	mov eax, cr4
	and eax, ~CR4_PAE
	or eax, CR4_PSE
	mov cr4, eax
	mov eax, PD32
	mov cr3, eax
	mov eax, cr0
	or eax, CR0_PG
	mov cr0, eax
	mov dword [cur_mode], m_pg32
	mov esi, table32
	mov edi, table32_end
	call run32
	mov eax, cr0
	and eax, ~CR0_PG
	mov cr0, eax

	; PAE paging: identity, except the wrap-around pages (vmxdiff.c)
	mov eax, cr4
	or eax, CR4_PAE
	mov cr4, eax
	mov eax, PDPT
	mov cr3, eax
	mov eax, cr0
	or eax, CR0_PG
	mov cr0, eax
	mov dword [cur_mode], m_pae
	mov esi, table32
	mov edi, table32_end
	call run32
	mov esi, tablepae
	mov edi, tablepae_end
	call run32
	mov eax, cr0
	and eax, ~CR0_PG
	mov cr0, eax

	jmp SEL_CODE16:pm16_entry

run32:
.next:	cmp esi, edi
	jae .done
	movzx ebp, word [esi]
	movzx ecx, word [esi + 2]
	call one32
	add esi, 4
	jmp .next
.done:	ret

one32:
	mov ebx, [rec_ptr]
	mov eax, [cur_mode]
	mov [ebx + R_MODE], ax
	mov [ebx + R_NAME], cx
	mov [ebx + R_START], ebp
	mov dword [ebx + R_VEC], 0xEEEE
	mov dword [ebx + R_DBN], 0
	xor eax, eax
	mov dr6, eax
	push esi			; the runner's table pointers: probes may use them
	push edi
	mov [probe_sp], esp
	mov dword [resume], .back
	xor ebx, ebx
	xor ecx, ecx
	xor edx, edx
	jmp ebp
.back:	pop edi
	pop esi
	add dword [rec_ptr], REC_SIZE
	inc dword [rec_count]
	ret

align 16
stubs32:
%assign v 0
%rep 32
	align 16, db 0xCC
	push dword v
	jmp near h32
%assign v v + 1
%endrep

h32:
	push eax			; from virtual-8086 mode DS, ES, FS and GS arrive null
	mov ax, SEL_DATA32
	mov ds, ax
	mov es, ax
	mov fs, ax
	mov gs, ax
	pop eax
	mov [t_eax], eax
	mov [t_ebx], ebx
	mov [t_ecx], ecx
	mov [t_edx], edx
	mov ebx, [rec_ptr]
	mov eax, [esp]
	lea ecx, [esp + 4]
	mov edx, 0xFFFFFFFF
	bt dword [ec_mask], eax
	jnc .noec
	mov edx, [ecx]
	add ecx, 4
.noec:	cmp eax, 1
	jne .final
	mov eax, [ebx + R_DBN]
	cmp eax, 2
	jae .dbn
	mov edx, [ecx]
	mov [ebx + R_DB0 + eax * 4], edx
	test eax, eax
	jnz .dbn
	mov edx, dr6
	mov [ebx + R_DR6], edx
.dbn:	inc dword [ebx + R_DBN]
	xor edx, edx
	mov dr6, edx
	mov eax, [t_eax]
	mov ebx, [t_ebx]
	mov ecx, [t_ecx]
	mov edx, [t_edx]
	add esp, 4
	iretd
.final:	mov [ebx + R_VEC], eax
	mov [ebx + R_EC], edx
	mov eax, [ecx]
	mov [ebx + R_RIP], eax
	mov eax, [ecx + 4]
	and eax, 0xFFFF
	mov [ebx + R_CS], eax
	mov eax, [probe_sp]
	lea edx, [esp + 4]
	sub eax, edx
	mov [ebx + R_FRAME], eax
	call copy_regs32
	mov esp, [probe_sp]
	jmp [resume]
copy_regs32:
	mov eax, [t_eax]
	mov [ebx + R_EAX], eax
	mov eax, [t_ebx]
	mov [ebx + R_EBX], eax
	mov eax, [t_ecx]
	mov [ebx + R_ECX], eax
	mov eax, [t_edx]
	mov [ebx + R_EDX], eax
	ret

COMMON_PROBES p, esp, eax, ebx, ecx, edx

p_cr0_hi:
	mov cr0, esi
	mov ebx, cr0
	or ebx, CR0_NE
	mov cr0, ebx
	ud2

; Task B's state for a fresh start, its descriptor available again (32- and 16-bit code).
%macro TSS_B_RESET 0
	push edi
	mov edi, tss_b
	mov ecx, 104 / 4
	xor eax, eax
	cld
	rep stosd
	mov eax, cr3
	mov [tss_b + 0x1C], eax
	mov [tss_a + 0x1C], eax			; the switch back loads it (paging on)
	mov dword [tss_b + 0x20], task_b
	mov dword [tss_b + 0x24], 0x2
	mov dword [tss_b + 0x38], STACK_TOP - 0x400
	mov dword [tss_b + 0x48], SEL_DATA32	; ES
	mov dword [tss_b + 0x4C], SEL_CODE32	; CS
	mov dword [tss_b + 0x50], SEL_DATA32	; SS
	mov dword [tss_b + 0x54], SEL_DATA32	; DS
	mov dword [tss_b + 0x58], SEL_DATA32	; FS
	mov dword [tss_b + 0x5C], SEL_DATA32	; GS
	mov word [tss_b + 0x66], 104		; no I/O permission bitmap
	mov byte [gdt_tss_b + 5], 0x89
	mov dword [tb_tr], 0
	mov dword [tb_flags], 0
	mov dword [tb_link], 0
	pop edi
	ret
%endmacro
tss_b_reset:
	TSS_B_RESET

; Task B: what it saw, then back to A as tb_kind says.
task_b:
	str eax
	mov [tb_tr], eax
	pushfd
	pop eax
	mov [tb_flags], eax
	movzx eax, word [tss_b]
	mov [tb_link], eax
	cmp dword [tb_kind], 0
	je .jmp
	cmp dword [tb_kind], 2
	jne .iret
	; an exception through the task gate at vector 13: its error code is on this stack.
	; Into task A's saved EAX..ECX: the error code, this task's TR, the back link; then
	; vector 13 is an interrupt gate again and A retries the faulting instruction.
	pop eax
	mov [tss_a + 0x28], eax
	mov eax, [tb_tr]
	mov [tss_a + 0x34], eax
	mov eax, [tb_link]
	mov [tss_a + 0x2C], eax
	mov eax, [idt32_gp_gate]
	mov [idt32 + 13 * 8], eax
	mov eax, [idt32_gp_gate + 4]
	mov [idt32 + 13 * 8 + 4], eax
.iret:	iretd
.jmp:	jmp SEL_TSS_A:0

; after the switch back: EAX B's TR, EBX B's EFLAGS.NT | back link << 16, ECX CR0.TS,
; EDX A's TR
%macro TASK_RESULT 0
	mov eax, [tb_flags]
	and eax, NT
	mov ebx, [tb_link]
	shl ebx, 16
	or ebx, eax
	mov ecx, cr0
	and ecx, CR0_TS
	clts
	str edx
	mov eax, [tb_tr]
	ud2
%endmacro

; Task C (16-bit TSS) fresh, its descriptor available with limit 0x2B (16- and 32-bit code).
%macro TSS_C_RESET 0
	push edi
	mov edi, tss_c
	mov ecx, 44 / 4
	xor eax, eax
	cld
	rep stosd
	mov word [tss_c + 14], task_c		; IP
	mov word [tss_c + 16], 0x2		; FLAGS
	mov word [tss_c + 26], STACK_TOP - 0x400	; SP
	mov word [tss_c + 34], SEL_DATA16	; ES
	mov word [tss_c + 36], SEL_CODE16	; CS
	mov word [tss_c + 38], SEL_DATA16	; SS
	mov word [tss_c + 40], SEL_DATA32	; DS: flat, task C writes idt32 (section hi)
	mov word [gdt_tss_c], 0x2B
	mov byte [gdt_tss_c + 5], 0x81
	mov eax, cr3
	mov [tss_a + 0x1C], eax			; the switch back to A loads it (paging on)
	mov dword [tb_tr], 0
	mov dword [tb_flags], 0
	mov dword [tb_link], 0
	mov dword [tb_eax], 0
	mov dword [tb_sp], 0
	mov dword [tb_fs], 0
	pop edi
	ret
%endmacro

; after the switch back from task C: EAX C's TR | C's FS << 16; EBX C's EFLAGS.NT | C's
; link << 16; ECX CR0.TS | C's descriptor type byte << 8 | bits 31:16 of C's EAX as it
; started (9.6 leaves them to the processor); EDX A's TR | the IP saved in C's TSS << 16
%macro TASK16_RESULT 0
	mov eax, [tb_flags]
	and eax, NT
	mov ebx, [tb_link]
	shl ebx, 16
	or ebx, eax
	mov ecx, cr0
	and ecx, CR0_TS
	clts
	movzx eax, byte [gdt_tss_c + 5]
	shl eax, 8
	or ecx, eax
	mov eax, [tb_eax]
	and eax, 0xFFFF0000
	or ecx, eax
	movzx edx, word [tss_c + 14]
	shl edx, 16
	str ax
	movzx eax, ax
	or edx, eax
	mov eax, [tb_fs]
	shl eax, 16
	mov ax, [tb_tr]
	ud2
%endmacro

p_ts_jmp:
	call tss_b_reset
	mov dword [tb_kind], 0
	jmp SEL_TSS_B:0
	TASK_RESULT
p_ts_call:
	call tss_b_reset
	mov dword [tb_kind], 1
	call SEL_TSS_B:0
	TASK_RESULT
p_ts_gate:
	call tss_b_reset
	mov dword [tb_kind], 1
	int 0x40
	TASK_RESULT

; The same with TF set in task A: the old task's EFLAGS (TF included) is saved in its TSS
; and comes back with the switch back.
p_tf_ts_jmp:
	call tss_b_reset
	mov dword [tb_kind], 0
	SET_TF esp
	jmp SEL_TSS_B:0
	TASK_RESULT
p_tf_ts_call:
	call tss_b_reset
	mov dword [tb_kind], 1
	SET_TF esp
	call SEL_TSS_B:0
	TASK_RESULT

; #GP (vector 13 of idt32) through a task gate to the TSS selector %1: the ordinary gate is
; kept in idt32_gp_gate for the task to put back.
%macro gp_through_task_gate 1
	mov eax, [idt32 + 13 * 8]
	mov [idt32_gp_gate], eax
	mov eax, [idt32 + 13 * 8 + 4]
	mov [idt32_gp_gate + 4], eax
	mov dword [idt32 + 13 * 8], %1 << 16
	mov dword [idt32 + 13 * 8 + 4], 0x8500		; present, DPL 0, task gate
%endmacro

; #GP(0) from an emulated MOV CR0 (NE cleared: an exit under vmxray; PG without PE)
; delivered through a task gate: the error code must reach task B's stack. The retry
; after task B takes the ordinary #GP handler; EAX..ECX then hold what task B saw.
p_ts_gate_ec:
	call tss_b_reset
	mov dword [tb_kind], 2
	gp_through_task_gate SEL_TSS_B
	mov dword [tss_b + 0x38], STACK_TOP - 0x400	; ESP: the error code goes below
	mov dword [STACK_TOP - 0x400], 0xDEADBEEF	; what B pops when nothing was pushed
	mov esi, cr0
	and esi, ~(CR0_NE | CR0_PE)
	or esi, CR0_PG
	mov cr0, esi
	ud2
idt32_gp_gate:	dd 0, 0

; CR0.PG set by a MOV CR0 that also clears CR0.NE (so vmxray emulates it), with CR3 at
; PDPT2, whose entry 3 differs from PDPT's: the PDPTEs must come from PDPT2 (SDM Vol. 3A,
; 4.4.1 "PDPTE Registers": loaded "as part of ... MOV to CR0 ... that enables PAE paging").
; EBX: the dword at MARK_LIN (marker B through PDPT2; marker A through stale PDPTEs).
p_pdpte:
	mov eax, PDPT2
	mov cr3, eax
	mov eax, cr0
	mov edx, eax
	or eax, CR0_PG
	and eax, ~CR0_NE
	mov cr0, eax
	mov ebx, [MARK_LIN]
	mov cr0, edx
	mov eax, cr0
	ud2

; CPUID at 0xFFFFFFFE: EIP wraps to 0 (linear 0 maps a page with UD2 at its start).
p_eip_wrap:
	xor eax, eax
	mov ebx, 0xFFFFFFFE
	jmp ebx

p_tf_eip_wrap:
	xor eax, eax
	mov ebx, 0xFFFFFFFE
	SET_TF esp
	jmp ebx

; Virtual-8086 mode (SDM Vol. 3B, "8086 Emulation"): IRETD from CPL 0 with EFLAGS.VM and
; IOPL 3 into 16-bit code at 0800:IP (the blob's own bytes), stack 0000:VM86_SP. Its
; exceptions reach the 32-bit handlers on TSS A's ring-0 stack with the VM86 frame
; (ES, DS, FS, GS on top); a single-step trap's IRETD goes back to VM86. INT3 there
; meets a DPL-0 gate: #GP(vector * 8 + 2) through the IDT.
VM86_FLAGS	equ (1 << 17) | (3 << 12) | 2
VM86_SP		equ 0xAD00
VM86_ESP0	equ 0xAE80
%macro VM86 1
	mov dword [tss_a + 4], VM86_ESP0
	mov dword [tss_a + 8], SEL_DATA32
	xor eax, eax
	push eax			; GS
	push eax			; FS
	push eax			; DS
	push eax			; ES
	push eax			; SS
	push dword VM86_SP
	push dword VM86_FLAGS
	push dword BASE >> 4
	push dword %1 - BASE
	iretd
%endmacro
p_v86_cpuid:	VM86 v86_cpuid
p_v86_tf:	VM86 v86_tf
p_v86_int3:	VM86 v86_int3
bits 16
v86_cpuid:
	xor eax, eax
	cpuid
	ud2
v86_tf:
	pushf
	mov bp, sp
	or word [bp], TF
	popf
	xor eax, eax
	cpuid
	ud2
v86_int3:
	int3
	ud2
bits 32

; ---- from real mode, back towards long mode
pm32_back:
	mov ax, SEL_DATA32
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov esp, STACK_TOP
	lidt [idt32_r]
	mov dword [cur_mode], m_back
	mov esi, table32b
	mov edi, table32b_end
	call run32
	call hi_probes
	; into IA-32e mode: the firmware's CR4 (PAE) and CR3, EFER.LME, then CR0.PG
	mov eax, [save_cr4]
	mov cr4, eax
	mov eax, [save_cr3]
	mov cr3, eax
	mov ecx, EFER
	rdmsr
	or eax, EFER_LME
	wrmsr
	mov eax, [cr0_pm32]
	or eax, CR0_PG
	mov cr0, eax
	jmp SEL_CODE64:lm_back

; ================================================================ 16-bit
bits 16
pm16_entry:
	mov ax, SEL_DATA16
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov esp, STACK_TOP
	lidt [idt16_r]
	; the real-mode IVT: vectors 0-31 at the same 16-bit stubs, segment 0
	mov edi, IVT
	mov eax, stubs16
	mov ecx, 32
.ivt:	mov [edi], eax
	add edi, 4
	add eax, 8
	loop .ivt, ecx
	mov dword [cur_mode], m_pm16
	mov esi, table16
	mov edi, table16_end
	call run16
	mov esi, table16p
	mov edi, table16p_end
	call run16
	; real mode: PE off, then a far jump loads CS as a real-mode segment
	mov eax, cr0
	and eax, ~CR0_PE
	mov cr0, eax
	jmp 0:real_entry
real_entry:
	xor ax, ax
	mov ds, ax
	mov es, ax
	mov ss, ax
	mov fs, ax
	mov gs, ax
	mov esp, STACK_TOP
	lidt [ivt_r]
	mov dword [cur_mode], m_real
	mov esi, table16
	mov edi, table16_end
	call run16
	; back to protected mode
	lidt [idt32_r]
	mov eax, cr0
	or eax, CR0_PE
	mov cr0, eax
	jmp dword SEL_CODE32:pm32_back

run16:
.next:	cmp esi, edi
	jae .done
	movzx ebp, word [esi]
	movzx ecx, word [esi + 2]
	call one16
	add esi, 4
	jmp .next
.done:	ret

one16:
	mov ebx, [rec_ptr]
	mov eax, [cur_mode]
	mov [ebx + R_MODE], ax
	mov [ebx + R_NAME], cx
	mov [ebx + R_START], ebp
	mov dword [ebx + R_VEC], 0xEEEE
	mov dword [ebx + R_DBN], 0
	xor eax, eax
	mov dr6, eax
	push esi			; the runner's table pointers: probes may use them
	push edi
	mov [probe_sp], esp
	mov dword [resume], .back
	xor ebx, ebx
	xor ecx, ecx
	xor edx, edx
	jmp bp
.back:	pop edi
	pop esi
	add dword [rec_ptr], REC_SIZE
	inc dword [rec_count]
	ret

align 16
stubs16:
%assign v 0
%rep 32
	align 8, db 0xCC
	push word v
	jmp near h16
%assign v v + 1
%endrep

; [sp] vector, then (protected mode, vectors with one) the 16-bit error code, IP, CS, FLAGS
h16:
	mov [t_eax], eax
	mov [t_ebx], ebx
	mov [t_ecx], ecx
	mov [t_edx], edx
	mov ebx, [rec_ptr]
	movzx ecx, sp
	movzx eax, word [ecx]
	add ecx, 2
	smsw dx
	test dx, CR0_PE
	mov edx, 0xFFFFFFFF
	jz .noec
	bt dword [ec_mask], eax
	jnc .noec
	movzx edx, word [ecx]
	add ecx, 2
.noec:	cmp eax, 1
	jne .final
	mov eax, [ebx + R_DBN]
	cmp eax, 2
	jae .dbn
	movzx edx, word [ecx]
	mov [ebx + R_DB0 + eax * 4], edx
	test eax, eax
	jnz .dbn
	mov edx, dr6
	mov [ebx + R_DR6], edx
.dbn:	inc dword [ebx + R_DBN]
	xor edx, edx
	mov dr6, edx
	mov eax, [t_eax]
	mov ebx, [t_ebx]
	mov ecx, [t_ecx]
	mov edx, [t_edx]
	add sp, 2
	iret
.final:	mov [ebx + R_VEC], eax
	mov [ebx + R_EC], edx
	movzx eax, word [ecx]
	mov [ebx + R_RIP], eax
	movzx eax, word [ecx + 2]
	mov [ebx + R_CS], eax
	mov eax, [probe_sp]
	movzx edx, sp
	add edx, 2
	sub eax, edx
	mov [ebx + R_FRAME], eax
	mov eax, [t_eax]
	mov [ebx + R_EAX], eax
	mov eax, [t_ebx]
	mov [ebx + R_EBX], eax
	mov eax, [t_ecx]
	mov [ebx + R_ECX], eax
	mov eax, [t_edx]
	mov [ebx + R_EDX], eax
	mov esp, [probe_sp]
	jmp word [resume]

COMMON_PROBES r, esp, eax, ebx, ecx, edx

tss_b_reset16:
	TSS_B_RESET
tss_c_reset16:
	TSS_C_RESET

; Task C: a 16-bit task (16-bit TSS, 16-bit code and stack). Records what it saw, then
; back to A as tb_kind says: 0 JMP to TSS A, 1 IRET (NT set: back through the link),
; 2 an exception through a task gate (its error code on this stack: a word), then IRET.
task_c:
	mov [tb_eax], eax
	mov [tb_sp], sp
	mov [tb_fs], fs
	str ax
	mov [tb_tr], ax
	pushf
	pop ax
	mov [tb_flags], ax
	mov ax, [tss_c]
	mov [tb_link], ax
	cmp byte [tb_kind], 0
	je .jmp
	cmp byte [tb_kind], 2
	jne .iret
	pop ax
	mov [tss_a + 0x28], ax			; A's EAX: the error code | C's SP << 16
	mov ax, [tb_sp]
	mov [tss_a + 0x2A], ax
	mov ax, [tb_tr]
	mov [tss_a + 0x34], ax			; A's EBX: C's TR
	mov ax, [tb_link]
	mov [tss_a + 0x2C], ax			; A's ECX: C's link
	mov eax, [idt32_gp_gate]
	mov [dword idt32 + 13 * 8], eax		; (DS is flat: section hi)
	mov eax, [idt32_gp_gate + 4]
	mov [dword idt32 + 13 * 8 + 4], eax
.iret:	iret
.jmp:	jmp SEL_TSS_A:0

; Task switches from 16-bit protected-mode code (TSS A) to the 16-bit task C and back.
r_t16_jmp:
	call tss_c_reset16
	mov dword [tb_kind], 0
	jmp SEL_TSS_C:0
	TASK16_RESULT
r_t16_call:
	call tss_c_reset16
	mov dword [tb_kind], 1
	call SEL_TSS_C:0
	TASK16_RESULT
r_t16_gate:
	call tss_c_reset16
	mov dword [tb_kind], 1
	int 0x20
	TASK16_RESULT

; Task switches from 16-bit protected-mode code to the 32-bit task B and back: the old
; task's IP is saved as EIP, its CS is the 16-bit segment.
r_ts_jmp:
	call tss_b_reset16
	mov dword [tb_kind], 0
	jmp SEL_TSS_B:0
	TASK_RESULT
r_ts_call:
	call tss_b_reset16
	mov dword [tb_kind], 1
	call SEL_TSS_B:0
	TASK_RESULT

; CPUID at IP 0xFFFE of a 16-bit code segment with limit 0xFFFF (SEL_CODE16W in protected
; mode, segment 0x800 in real mode: linear 0x17FFE either way).
r_ip_wrap:
	xor eax, eax
	smsw dx
	test dx, CR0_PE
	jz .real
	jmp SEL_CODE16W:0xFFFE
.real:	jmp 0x800:0xFFFE
r_tf_ip_wrap:
	xor eax, eax
	smsw dx
	SET_TF esp
	test dx, CR0_PE
	jz .real
	jmp SEL_CODE16W:0xFFFE
.real:	jmp 0x800:0xFFFE

; ---------------------------------------------------------------- IDTs
align 8
idt16:
%assign v 0
%rep 32
	dw (A(stubs16) + v * 8) & 0xFFFF, SEL_CODE16
	db 0, 0x86		; 16-bit interrupt gate
	dw 0
%assign v v + 1
%endrep
	dw 0, SEL_TSS_C		; 0x20: task gate to task C (16-bit TSS)
	db 0, 0x85
	dw 0

EXPECTED equ ((table64_end - table64) + 3 * (table32_end - table32) + (tablepae_end - tablepae) + \
	      2 * (table16_end - table16) + (table16p_end - table16p) + (table32b_end - table32b)) / 4 + 1 + \
	      (tablehi_end - tablehi) / 8

blob_end:
%if blob_end - $$ > LO_SIZE
%error "the blob runs into the stacks"
%endif

; ================================================================ section hi (HI_BASE)
section hi start=0xA800 vstart=HI_BASE	; start: BASE + LO_SIZE
%define LO(x) ((x) - entry64 + BASE + 2)	; entry64 is BASE + 2 (after the UD2)
hi_start:
hi_split:	dd 0	; (vmxdiff.c) how many records are in the low area

align 16
idt64:
%assign v 0
%rep 32
	dw (LO(stubs64) + v * 16) & 0xFFFF, SEL_CODE64
	db 0, 0x8E
	dw (LO(stubs64) + v * 16) >> 16
	dd 0, 0
%assign v v + 1
%endrep

align 8
idt32:
%assign v 0
%rep 32
	dw (LO(stubs32) + v * 16) & 0xFFFF, SEL_CODE32
	db 0, 0x8E
	dw (LO(stubs32) + v * 16) >> 16
%assign v v + 1
%endrep
	times (0x40 - 32) dq 0
	dw 0, SEL_TSS_B		; 0x40: task gate to task B
	db 0, 0x85
	dw 0
	dw 0, SEL_TSS_C		; 0x41: task gate to task C (16-bit TSS)
	db 0, 0x85
	dw 0
; 8 bytes each: the probe (dword), its name (word), 0
tablehi:	dd p_t16_jmp
		dw n_t16_jmp, 0
		dd p_t16_call
		dw n_t16_call, 0
		dd p_t16_gate
		dw n_t16_gate, 0
		dd p_t16_gate_ec
		dw n_t16_gate_ec, 0
		dd p_t16_busy
		dw n_t16_busy, 0
		dd p_t16_limit
		dw n_t16_limit, 0
tablehi_end:

bits 32
; pm32b, after its low table: these records go to REC2_BASE
hi_probes:
	mov eax, [rec_count]
	mov [hi_split], eax
	mov dword [rec_ptr], REC2_BASE
	mov esi, tablehi
	mov edi, tablehi_end
.next:	cmp esi, edi
	jae .done
	mov ebp, [esi]
	movzx ecx, word [esi + 4]
	call one32
	add esi, 8
	jmp .next
.done:	ret

tss_c_reset32:
	TSS_C_RESET

; Task switches from 32-bit code (TSS A) to the 16-bit task C and back (task_c).
p_t16_jmp:
	call tss_c_reset32
	mov dword [tb_kind], 0
	jmp SEL_TSS_C:0
	TASK16_RESULT
p_t16_call:
	call tss_c_reset32
	mov dword [tb_kind], 1
	call SEL_TSS_C:0
	TASK16_RESULT
p_t16_gate:
	call tss_c_reset32
	mov dword [tb_kind], 1
	int 0x41
	TASK16_RESULT
; #GP(0) of an emulated MOV CR0 through a task gate to the 16-bit task: the error code is
; pushed as a word on C's 16-bit stack (SDM Vol. 3A, 9.3 step 14). Task C puts what it
; popped and its SP before into A's saved EAX, its TR into EBX, its link into ECX.
p_t16_gate_ec:
	call tss_c_reset32
	mov dword [tb_kind], 2
	gp_through_task_gate SEL_TSS_C
	mov dword [STACK_TOP - 0x400 - 4], 0xBEEFDEAD	; what C pops when nothing was pushed
	mov esi, cr0
	and esi, ~(CR0_NE | CR0_PE)
	or esi, CR0_PG
	mov cr0, esi
	ud2
; JMP to a busy TSS: #GP(selector), the CPU's check before the switch.
p_t16_busy:
	call tss_c_reset32
	mov byte [gdt_tss_c + 5], 0x83
	jmp SEL_TSS_C:0
	ud2
; CALL to a 16-bit TSS whose limit is 0x2A, one short: #TS(selector), checked by the
; switch itself (after the VM exit under vmxray).
p_t16_limit:
	call tss_c_reset32
	mov word [gdt_tss_c], 0x2A
	call SEL_TSS_C:0
	ud2

hi_end:
%if hi_end - hi_start > REC2_BASE - HI_BASE
%error "section hi runs into its records"
%endif
