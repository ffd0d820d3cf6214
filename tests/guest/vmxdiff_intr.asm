; vmxdiff's interrupt and NMI probes: 64-bit code in vmxdiff.efi itself (not the
; mode-switching blob, which has no room left below its fixed addresses), run after the
; blob with the firmware's page tables and segments. Each probe ends in an event, as in
; vmxdiff_modes.asm, and writes the same 60-byte record (struct diff_record):
;   - a maskable interrupt, vector INT_VEC, sent by the local APIC to this processor
;     with interrupts off, taken in the STI shadow's wake: "the guest must see the
;     interrupt exactly after the instruction following STI" (SDM Vol. 3A, 6.8.3
;     "Masking Exceptions and Interrupts When Switching Stacks" and STI in Vol. 2B: "the
;     processor responds to the external interrupts after executing the next
;     instruction"), with CPUID, IN, HLT and an APIC write (each a VM exit under vmxray)
;     in the shadow;
;   - NMIs sent to this processor through the ICR (delivery mode NMI), which under
;     vmxray exit (NMI exiting) and are injected again: counted like single-step traps
;     (db=<count>/<ip>/<ip>), with IRET back to the probe; an NMI sent from the NMI
;     handler is held until its IRET (SDM Vol. 3A, 6.7.1 "Handling Multiple NMIs"), and
;     the handler runs CPUID (an exit) while it is held;
;   - the UD2 at the end, or any exception, as before.
; Only what the probe asks for arrives: the 8259s are masked and CR8 holds the task
; priority class 14, so that every vector below 0xF0 waits; a stray one is counted,
; acknowledged and returned from (vmxdiff.c prints the count, not compared).
; xAPIC only: vmxdiff.c does not call this in x2APIC mode.

default rel
bits 64

R_MODE	equ 0
R_NAME	equ 2
R_VEC	equ 4
R_EC	equ 8
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
R_FRAME	equ 52
R_START	equ 56
REC_SIZE equ 60

INT_VEC		equ 0xF0
TPR_CLASS	equ 14
APIC_EOI	equ 0xB0
APIC_SVR	equ 0xF0
APIC_ICR_LO	equ 0x300
APIC_ICR_HI	equ 0x310
APIC_ID		equ 0x20
ICR_SELF_FIXED	equ (1 << 18) | INT_VEC	; shorthand self, fixed, edge
ICR_NMI		equ (1 << 14) | (4 << 8)	; destination field (ICR high: this CPU), NMI, assert
TF		equ 0x100
EC_MASK		equ (1 << 8) | (0x1F << 10) | (1 << 17) | (1 << 21)

section .data
align 8
apic:		dq 0		; the local APIC's MMIO base
rec_ptr:	dq 0
probe_sp:	dq 0
resume:		dq 0
save_rsp:	dq 0
save_cr8:	dq 0
save_idtr:	dw 0
		dq 0
idtr:		dw 256 * 16 - 1
		dq 0
save_svr:	dd 0
save_icr_hi:	dd 0
save_pic:	dw 0
nmi_again:	dd 0
t_eax:		dd 0
t_ebx:		dd 0
t_ecx:		dd 0
t_edx:		dd 0
global vmxdiff_intr_strays
vmxdiff_intr_strays: dd 0

; Names and the probe table sit in .text with the code, so that every offset from
; vmxdiff_intr_base is a constant of the assembly (records hold 16-bit name offsets).
section .text
global vmxdiff_intr_base, vmxdiff_intr_count
vmxdiff_intr_base:
m_intr:		db "intr", 0
%macro PROBE 1
%1_name:	db %str(%1), 0
%endmacro
	PROBE sti_nop
	PROBE sti_cpuid
	PROBE sti_in_cf8
	PROBE sti_hlt
	PROBE sti_icr_write
	PROBE tf_sti_cpuid
	PROBE movss_sti_cpuid
	PROBE nmi_cpuid
	PROBE nmi_in_nmi_cpuid
	PROBE nmi_movss_icr
	PROBE nmi_then_sti
align 4
probes:
%macro ENTRY 1
	dd p_%1 - vmxdiff_intr_base, %1_name - vmxdiff_intr_base
%endmacro
	ENTRY sti_nop
	ENTRY sti_cpuid
	ENTRY sti_in_cf8
	ENTRY sti_hlt
	ENTRY sti_icr_write
	ENTRY tf_sti_cpuid
	ENTRY movss_sti_cpuid
	ENTRY nmi_cpuid
	ENTRY nmi_in_nmi_cpuid
	ENTRY nmi_movss_icr
	ENTRY nmi_then_sti
probes_end:
vmxdiff_intr_count: dd (probes_end - probes) / 8
ec_mask:	dd EC_MASK

; ---------------------------------------------------------------- the probes
; R12: the APIC's MMIO base; interrupts off, NMIs unblocked at the start of each.
p_sti_nop:
	mov dword [r12 + APIC_ICR_LO], ICR_SELF_FIXED
	sti
	nop
	ud2
p_sti_cpuid:
	mov dword [r12 + APIC_ICR_LO], ICR_SELF_FIXED
	xor eax, eax
	sti
	cpuid
	ud2
p_sti_in_cf8:
	mov dword [r12 + APIC_ICR_LO], ICR_SELF_FIXED
	mov dx, 0xCF8
	sti
	in eax, dx
	ud2
p_sti_hlt:
	mov dword [r12 + APIC_ICR_LO], ICR_SELF_FIXED
	sti
	hlt
	ud2
p_sti_icr_write:			; the IPI is sent by the instruction in the shadow
	mov eax, ICR_SELF_FIXED
	sti
	mov [r12 + APIC_ICR_LO], eax
	nop
	ud2
p_tf_sti_cpuid:
	mov dword [r12 + APIC_ICR_LO], ICR_SELF_FIXED
	xor eax, eax
	pushfq
	or word [rsp], TF
	popfq
	sti
	cpuid
	ud2
p_movss_sti_cpuid:			; MOV SS, then STI in its shadow
	mov dword [r12 + APIC_ICR_LO], ICR_SELF_FIXED
	xor eax, eax
	mov dx, ss
	mov ss, dx
	sti
	cpuid
	ud2
p_nmi_cpuid:
	mov dword [r12 + APIC_ICR_LO], ICR_NMI
	xor eax, eax
	cpuid
	ud2
p_nmi_in_nmi_cpuid:			; the handler sends the second one
	mov dword [nmi_again], 1
	mov dword [r12 + APIC_ICR_LO], ICR_NMI
	xor eax, eax
	cpuid
	ud2
p_nmi_movss_icr:			; the NMI is sent in a MOV SS shadow
	mov dx, ss
	mov ss, dx
	mov dword [r12 + APIC_ICR_LO], ICR_NMI
	nop
	ud2
p_nmi_then_sti:				; an interrupt waits (IF = 0), then an NMI, then STI
	mov dword [r12 + APIC_ICR_LO], ICR_SELF_FIXED
	mov dword [r12 + APIC_ICR_LO], ICR_NMI
	nop
	sti
	nop
	ud2

; ---------------------------------------------------------------- the runner
; uint32_t vmxdiff_intr_run(struct diff_record *rec, uint64_t apic_mmio, void *idt_page)
; rdi, rsi, rdx (System V). Returns the records written.
global vmxdiff_intr_run
vmxdiff_intr_run:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	pushfq
	cli
	mov [save_rsp], rsp
	mov [rec_ptr], rdi
	mov [apic], rsi
	mov r12, rsi
	mov r15, rdi			; the first record
	call build_idt			; rdx: the IDT page
	sidt [save_idtr]
	lidt [idtr]
	; only the probes' vectors: 8259s masked, CR8 at class 14, the APIC software-enabled,
	; the ICR's destination this CPU
	in al, 0xA1
	mov ah, al
	in al, 0x21
	mov [save_pic], ax
	mov al, 0xFF
	out 0x21, al
	out 0xA1, al
	mov rax, cr8
	mov [save_cr8], rax
	mov eax, TPR_CLASS
	mov cr8, rax
	mov eax, [r12 + APIC_SVR]
	mov [save_svr], eax
	or eax, 0x100
	mov [r12 + APIC_SVR], eax
	mov eax, [r12 + APIC_ICR_HI]
	mov [save_icr_hi], eax
	mov eax, [r12 + APIC_ID]
	and eax, 0xFF000000
	mov [r12 + APIC_ICR_HI], eax

	lea r13, [probes]
	lea r14, [probes_end]
.next:	cmp r13, r14
	jae .done
	call one
	add r13, 8
	jmp .next
.done:	cli
	mov eax, [save_icr_hi]
	mov [r12 + APIC_ICR_HI], eax
	mov eax, [save_svr]
	mov [r12 + APIC_SVR], eax
	mov rax, [save_cr8]
	mov cr8, rax
	mov ax, [save_pic]
	out 0x21, al
	mov al, ah
	out 0xA1, al
	lidt [save_idtr]
	mov rax, [rec_ptr]
	sub rax, r15
	xor edx, edx
	mov ecx, REC_SIZE
	div ecx
	mov rsp, [save_rsp]
	popfq
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

; one: the probe of the table entry at r13
one:
	mov rbx, [rec_ptr]
	lea rbp, [vmxdiff_intr_base]
	mov word [rbx + R_MODE], m_intr - vmxdiff_intr_base
	mov eax, [r13 + 4]
	mov [rbx + R_NAME], ax
	mov eax, [r13]
	add rbp, rax			; the probe's first byte
	mov [rbx + R_START], ebp
	mov dword [rbx + R_VEC], 0xEEEE
	mov dword [rbx + R_DBN], 0
	mov dword [nmi_again], 0
	xor eax, eax
	mov dr6, rax
	mov [probe_sp], rsp
	lea rax, [.back]
	mov [resume], rax
	xor eax, eax			; nothing of the image's address in the registers printed
	xor ebx, ebx
	xor ecx, ecx
	xor edx, edx
	jmp rbp
.back:	cli
	add qword [rec_ptr], REC_SIZE
	ret

; build_idt: 256 interrupt gates in the page at rdx: exceptions to their stubs, 2 to the
; NMI handler, INT_VEC to the interrupt handler, the rest to the stray handler.
build_idt:
	mov [idtr + 2], rdx
	mov rdi, rdx
	xor ecx, ecx
.gate:	lea rax, [stray]
	cmp ecx, 32
	jae .have
	lea rax, [stubs]
	mov r8d, ecx
	shl r8d, 4
	add rax, r8
.have:	cmp ecx, 2
	jne .not_nmi
	lea rax, [hnmi]
.not_nmi:
	cmp ecx, INT_VEC
	jne .not_int
	lea rax, [hint]
.not_int:
	mov r8, rax
	mov [rdi], ax			; offset 15:0
	mov ax, cs
	mov [rdi + 2], ax
	mov word [rdi + 4], 0x8E00	; present, DPL 0, 64-bit interrupt gate
	shr r8, 16
	mov [rdi + 6], r8w		; 31:16
	shr r8, 16
	mov [rdi + 8], r8d		; 63:32
	mov dword [rdi + 12], 0
	add rdi, 16
	inc ecx
	cmp ecx, 256
	jb .gate
	ret

; ---------------------------------------------------------------- handlers
align 16
stubs:
%assign v 0
%rep 32
	align 16, db 0xCC
	push v
	jmp near hexc
%assign v v + 1
%endrep

; [rsp] vector, the error code when the vector has one, RIP, CS, RFLAGS, RSP, SS
hexc:
	mov [t_eax], eax
	mov [t_ebx], ebx
	mov [t_ecx], ecx
	mov [t_edx], edx
	mov rbx, [rec_ptr]
	mov eax, [rsp]
	lea rcx, [rsp + 8]
	mov edx, 0xFFFFFFFF
	cmp eax, 32
	jae .noec
	bt dword [ec_mask], eax
	jnc .noec
	mov edx, [rcx]
	add rcx, 8
.noec:	cmp eax, 1
	jne final
	call count_event		; a single-step trap: counted, and back
	mov rdx, dr6
	cmp dword [rbx + R_DBN], 1
	jne .dbn
	mov [rbx + R_DR6], edx
.dbn:	xor edx, edx
	mov dr6, rdx
	call reload_regs
	add rsp, 8
	iretq
; final: eax vector, edx error code, rcx the frame's RIP slot, rbx the record
final:	mov [rbx + R_VEC], eax
	mov [rbx + R_EC], edx
	mov rax, [rcx]
	mov [rbx + R_RIP], eax
	mov rax, [rcx + 8]
	mov [rbx + R_CS], eax
	mov rax, [probe_sp]
	lea rdx, [rsp + 8]
	sub rax, rdx
	mov [rbx + R_FRAME], eax
	mov eax, [t_eax]
	mov [rbx + R_EAX], eax
	mov eax, [t_ebx]
	mov [rbx + R_EBX], eax
	mov eax, [t_ecx]
	mov [rbx + R_ECX], eax
	mov eax, [t_edx]
	mov [rbx + R_EDX], eax
	mov rsp, [probe_sp]
	jmp [resume]

; count_event: the RIP at [rcx] into the record's db fields (the first two), count + 1
count_event:
	mov eax, [rbx + R_DBN]
	cmp eax, 2
	jae .n
	mov rdx, [rcx]
	mov [rbx + R_DB0 + rax * 4], edx
.n:	inc dword [rbx + R_DBN]
	ret

reload_regs:
	mov eax, [t_eax]
	mov ebx, [t_ebx]
	mov ecx, [t_ecx]
	mov edx, [t_edx]
	ret

; The probe's interrupt: EOI, then recorded as the event that ends the probe.
hint:
	push INT_VEC
	mov [t_eax], eax
	mov [t_ebx], ebx
	mov [t_ecx], ecx
	mov [t_edx], edx
	mov rax, [apic]
	mov dword [rax + APIC_EOI], 0
	mov rbx, [rec_ptr]
	mov eax, INT_VEC
	mov edx, 0xFFFFFFFF
	lea rcx, [rsp + 8]
	jmp final

; NMI: counted (db fields), and IRET back; when the probe asks, one more NMI is sent
; from here, held until the IRET, with a CPUID (a VM exit under vmxray) meanwhile.
hnmi:
	push rax
	push rbx
	push rcx
	push rdx
	mov rbx, [rec_ptr]
	lea rcx, [rsp + 32]
	call count_event
	cmp dword [nmi_again], 0
	je .out
	mov dword [nmi_again], 0
	mov rax, [apic]
	mov dword [rax + APIC_ICR_LO], ICR_NMI
	xor eax, eax
	cpuid
.out:	pop rdx
	pop rcx
	pop rbx
	pop rax
	iretq

; Anything else (a firmware interrupt despite the masks): counted, acknowledged, back.
stray:
	push rax
	inc dword [vmxdiff_intr_strays]
	mov rax, [apic]
	mov dword [rax + APIC_EOI], 0
	pop rax
	iretq

; ---------------------------------------------------------------- the AP's trampoline
; Real-mode code that vmxdiff.c copies to a page below 1 MiB and starts on the other
; processor with INIT-SIPI-SIPI (SDM Vol. 3A, "MP Initialization Protocol Algorithm for
; MP Systems"). CS = the page >> 4, IP = 0. Its variables follow it in the page
; (struct ap_mailbox in vmxdiff.c, from VMXDIFF_AP_DATA on). The first start reports EDX
; (the processor signature after INIT) and CPUID.1 EBX (an exit under vmxray), loads an
; IVT of its own and waits; an NMI runs ap_nmi, which never returns (NMIs stay blocked,
; so a second NMI is held). The second start, after another INIT-SIPI, reports again and
; halts. With the INIT dropping vmxray's held NMI but leaving NMI-window exiting armed,
; the second start never ran an instruction (issue 16, item 5).
AP_DATA		equ 0x800	; offsets in the page
A_STAGE		equ AP_DATA + 0
A_NMIS		equ AP_DATA + 4
A_EDX1		equ AP_DATA + 8
A_EBX1		equ AP_DATA + 12
A_EDX2		equ AP_DATA + 16
A_EBX2		equ AP_DATA + 20
A_IVT_R		equ AP_DATA + 24	; 6 bytes: limit, base (vmxdiff.c)
A_IVT		equ 0x400		; 32 vectors, vector 2 to ap_nmi (vmxdiff.c)
global vmxdiff_ap_tramp, vmxdiff_ap_tramp_end, vmxdiff_ap_nmi_off
bits 16
vmxdiff_ap_tramp:
	mov ax, cs
	mov ds, ax
	mov ss, ax
	mov sp, 0xFF0
	cmp dword [A_STAGE], 0
	jne .second
	mov [A_EDX1], edx
	lidt [A_IVT_R]
	mov eax, 1
	cpuid
	mov [A_EBX1], ebx
	mov dword [A_STAGE], 1
.idle:	pause
	jmp .idle
.second:
	mov [A_EDX2], edx
	mov eax, 1
	cpuid
	mov [A_EBX2], ebx
	mov dword [A_STAGE], 2
.halt:	cli
	hlt
	jmp .halt
ap_nmi:
	mov ax, cs
	mov ds, ax
	lock inc dword [A_NMIS]
.spin:	pause
	jmp .spin
vmxdiff_ap_tramp_end:
vmxdiff_ap_nmi_off: dd ap_nmi - vmxdiff_ap_tramp
bits 64

section .note.GNU-stack noalloc noexec nowrite progbits
