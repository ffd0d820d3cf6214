; Fault catcher for in-guest tests: run one instruction and learn which exception,
; if any, it raised. See probe.h for the contract.
;
; Each probe: saves the callee-saved registers and RFLAGS, disables interrupts, saves
; the current IDTR and loads the private IDT (built by probe_init() in probe.c, whose
; vectors 0-31 point at the stubs below), runs its instruction and returns -1. When
; the instruction faults, the stub records the exception in probe_fault_info, drops
; the exception frame by reloading the probe's saved RSP and jumps to the probe's
; recovery point, which returns the vector instead. Either way the original IDTR and
; RFLAGS come back before the probe returns. Probes must not nest.
;
; Only register plumbing here; the decisions are in C.

%include "offsets.inc"
bits 64
default rel

section .data
align 16
; struct probe_fault (probe.h, offsets checked there by _Static_assert):
;   +0 vector, +8 error code (0 when the vector has none), +16 RIP, +24 CS
global probe_fault_info:data hidden
probe_fault_info:
	dq 0, 0, 0, 0

; struct cpu_dtr (arch/cpu.h): 16-bit limit, 64-bit base, packed.
global probe_idtr_private:data hidden
probe_idtr_private:
	dw 0
	dq 0
align 8
probe_idtr_saved:
	dw 0
	dq 0
align 8
probe_recover_rip:	dq 0	; 0: no probe running
probe_saved_rsp:	dq 0
probe_saved_ss:		dq 0

section .text

extern probe_unexpected_fault	; probe.c, hidden; never returns

; ---- exception stubs: 32 of them, PROBE_STUB_SIZE bytes apart ----
; SDM Vol. 3A, 6.13 "Error Code": the vectors of EXCEPTION_ERROR_CODE_MASK (generated from
; arch/exceptions.def: #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP) push an error code; the others
; get a 0 here so every frame has the same shape.
%define PROBE_STUB_SIZE 16

%macro PROBE_STUB 1
	align PROBE_STUB_SIZE, db 0xCC
%if (EXCEPTION_ERROR_CODE_MASK >> %1) & 1
%else
	push 0
%endif
	push %1
	jmp probe_common
%endmacro

align PROBE_STUB_SIZE
global probe_stubs:function hidden
probe_stubs:
%assign v 0
%rep 32
	PROBE_STUB v
%assign v v + 1
%endrep
	align PROBE_STUB_SIZE, db 0xCC
probe_stubs_end:
	; Fails to assemble (negative TIMES) if a stub outgrew its slot.
	times (32 * PROBE_STUB_SIZE) - (probe_stubs_end - probe_stubs) db 0
	times (probe_stubs_end - probe_stubs) - (32 * PROBE_STUB_SIZE) db 0

; Stack: [rsp] vector, +8 error code, +16 RIP, +24 CS, +32 RFLAGS, +40 RSP, +48 SS.
probe_common:
	mov rax, [rsp]
	mov [probe_fault_info], rax
	mov rax, [rsp + 8]
	mov [probe_fault_info + 8], rax
	mov rax, [rsp + 16]
	mov [probe_fault_info + 16], rax
	mov rax, [rsp + 24]
	mov [probe_fault_info + 24], rax
	mov rdx, [probe_recover_rip]
	test rdx, rdx
	jz .unexpected
	mov rsp, [probe_saved_rsp]
	mov eax, [probe_fault_info]
	jmp rdx
.unexpected:
	mov rdi, [probe_fault_info]
	mov rsi, [probe_fault_info + 8]
	mov rdx, [probe_fault_info + 16]
	and rsp, -16
	call probe_unexpected_fault
.hang:
	cli
	hlt
	jmp .hang

; ---- probe frame ----
; After PROBE_BEGIN: 6 registers + RFLAGS pushed, RSP 16-byte aligned.
%macro PROBE_SAVE 0
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	pushfq
	cli
	mov [probe_saved_rsp], rsp
%endmacro

%macro PROBE_BEGIN 1
global %1:function hidden
%1:
	PROBE_SAVE
	%push probe
	lea rax, [%$recover]
	mov [probe_recover_rip], rax
	sidt [probe_idtr_saved]
	lidt [probe_idtr_private]
%endmacro

%macro PROBE_RESTORE 0
	lidt [probe_idtr_saved]
	mov qword [probe_recover_rip], 0
	popfq
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret
%endmacro

; Falls into the recovery point with EAX = -1 (no fault); a fault arrives there with
; EAX = vector.
%macro PROBE_END 0
	mov eax, -1
%$recover:
	PROBE_RESTORE
	%pop
%endmacro

; int probe_rdmsr(uint32_t msr, uint64_t *val)
PROBE_BEGIN probe_rdmsr
	mov ecx, edi
	rdmsr
	shl rdx, 32
	or rax, rdx
	mov [rsi], rax
PROBE_END

; int probe_wrmsr(uint32_t msr, uint64_t val)
PROBE_BEGIN probe_wrmsr
	mov ecx, edi
	mov eax, esi
	mov rdx, rsi
	shr rdx, 32
	wrmsr
PROBE_END

; int probe_cpuid(uint32_t leaf, uint32_t subleaf, struct cpuid_regs *out)
PROBE_BEGIN probe_cpuid
	mov r8, rdx
	mov eax, edi
	mov ecx, esi
	cpuid
	mov [r8], eax
	mov [r8 + 4], ebx
	mov [r8 + 8], ecx
	mov [r8 + 12], edx
PROBE_END

; int probe_xgetbv(uint32_t index, uint64_t *val)
PROBE_BEGIN probe_xgetbv
	mov ecx, edi
	xgetbv
	shl rdx, 32
	or rax, rdx
	mov [rsi], rax
PROBE_END

; int probe_xsetbv(uint32_t index, uint64_t val)
PROBE_BEGIN probe_xsetbv
	mov ecx, edi
	mov eax, esi
	mov rdx, rsi
	shr rdx, 32
	xsetbv
PROBE_END

; int probe_mov_to_cr4(uint64_t val)
PROBE_BEGIN probe_mov_to_cr4
	mov cr4, rdi
PROBE_END

; int probe_vmcall(struct probe_regs *regs): RAX, RBX, RCX, RDX, RSI, RDI in and out.
PROBE_BEGIN probe_vmcall
	mov r12, rdi
	mov rax, [r12]
	mov rbx, [r12 + 8]
	mov rcx, [r12 + 16]
	mov rdx, [r12 + 24]
	mov rsi, [r12 + 32]
	mov rdi, [r12 + 40]
	vmcall
	mov [r12], rax
	mov [r12 + 8], rbx
	mov [r12 + 16], rcx
	mov [r12 + 24], rdx
	mov [r12 + 32], rsi
	mov [r12 + 40], rdi
PROBE_END

; int probe_vmxon(const uint64_t *pa)
PROBE_BEGIN probe_vmxon
	vmxon [rdi]
PROBE_END

; int probe_vmxoff(void)
PROBE_BEGIN probe_vmxoff
	vmxoff
PROBE_END

; int probe_vmclear(const uint64_t *pa)
PROBE_BEGIN probe_vmclear
	vmclear [rdi]
PROBE_END

; int probe_vmptrld(const uint64_t *pa)
PROBE_BEGIN probe_vmptrld
	vmptrld [rdi]
PROBE_END

; int probe_vmptrst(uint64_t *pa)
PROBE_BEGIN probe_vmptrst
	vmptrst [rdi]
PROBE_END

; int probe_vmread(uint64_t field, uint64_t *val)
PROBE_BEGIN probe_vmread
	vmread rax, rdi
	mov [rsi], rax
PROBE_END

; int probe_vmwrite(uint64_t field, uint64_t val)
PROBE_BEGIN probe_vmwrite
	vmwrite rdi, rsi
PROBE_END

; int probe_vmlaunch(void)
PROBE_BEGIN probe_vmlaunch
	vmlaunch
PROBE_END

; int probe_vmresume(void)
PROBE_BEGIN probe_vmresume
	vmresume
PROBE_END

; int probe_invept(uint64_t type, const void *desc)
PROBE_BEGIN probe_invept
	invept rdi, [rsi]
PROBE_END

; int probe_invvpid(uint64_t type, const void *desc)
PROBE_BEGIN probe_invvpid
	invvpid rdi, [rsi]
PROBE_END

; int probe_vmfunc(uint32_t function, uint32_t index)
PROBE_BEGIN probe_vmfunc
	mov eax, edi
	mov ecx, esi
	vmfunc
PROBE_END

; int probe_getsec(uint32_t leaf)
PROBE_BEGIN probe_getsec
	mov eax, edi
	getsec
PROBE_END

; int probe_invd(void): WBINVD first, so INVD has no dirty line left to throw away
; should it ever run for real (outside a hypervisor, on hardware with caches).
PROBE_BEGIN probe_invd
	wbinvd
	invd
PROBE_END

; int probe_in(uint16_t port, unsigned size, uint32_t *val); size 1, 2 or 4.
PROBE_BEGIN probe_in
	mov r8, rdx
	mov edx, edi
	xor eax, eax
	cmp esi, 1
	je .byte
	cmp esi, 2
	je .word
	in eax, dx
	jmp .store
.byte:
	in al, dx
	jmp .store
.word:
	in ax, dx
.store:
	mov [r8], eax
PROBE_END

; int probe_out(uint16_t port, unsigned size, uint32_t val); size 1, 2 or 4.
PROBE_BEGIN probe_out
	mov eax, edx
	mov edx, edi
	cmp esi, 1
	je .byte
	cmp esi, 2
	je .word
	out dx, eax
	jmp .done
.byte:
	out dx, al
	jmp .done
.word:
	out dx, ax
.done:
PROBE_END

; int probe_call(void (*fn)(void *), void *arg): runs fn(arg) under the catcher.
PROBE_BEGIN probe_call
	mov rax, rdi
	mov rdi, rsi
	call rax
PROBE_END

; int probe_ring3_iret(uint64_t rip, uint64_t rsp, uint64_t cs, uint64_t ss, uint64_t rax)
; IRETQ to CPL 3 with RFLAGS = 2 (IF = 0, IOPL = 0) and RAX as given. The CPL-3 code
; never returns on its own: its exception brings it back here through the TSS's RSP0
; (SDM Vol. 3A, 6.14.4 "Stack Switching in IA-32e Mode"), with SS = NULL, which the
; recovery point reloads. The caller provides the GDT, TSS and page tables (ring3.c).
global probe_ring3_iret:function hidden
probe_ring3_iret:
	PROBE_SAVE
	mov [probe_saved_ss], ss
	lea rax, [.recover]
	mov [probe_recover_rip], rax
	sidt [probe_idtr_saved]
	lidt [probe_idtr_private]
	push rcx		; SS
	push rsi		; RSP
	push 2			; RFLAGS
	push rdx		; CS
	push rdi		; RIP
	mov rax, r8
	iretq
.recover:
	mov ss, [probe_saved_ss]
	PROBE_RESTORE

; Code run at CPL 3 by ring3.c. Each sequence ends in UD2 so that an instruction that
; does not fault still brings the CPU back, at a different RIP.
global ring3_code_vmcall:function hidden
global ring3_code_vmcall_next:function hidden
ring3_code_vmcall:
	vmcall
ring3_code_vmcall_next:
	ud2

; Descriptor-table instructions at CPL 3, operand at [RAX] (tests/guest/vmxicpt.c): the
; stores succeed unless CR4.UMIP (#GP(0)), the loads always fault (#GP(0)).
%macro RING3_DESC 2
global ring3_code_%1:function hidden
ring3_code_%1:
	%2
	ud2
%endmacro
RING3_DESC sgdt, {sgdt [rax]}
RING3_DESC sidt, {sidt [rax]}
RING3_DESC sldt, {sldt [rax]}
RING3_DESC str, {str [rax]}
RING3_DESC lgdt, {lgdt [rax]}
RING3_DESC lldt, {lldt [rax]}

global ring3_code_hlt:function hidden
global ring3_code_hlt_next:function hidden
ring3_code_hlt:
	hlt
ring3_code_hlt_next:
	ud2

section .note.GNU-stack noalloc noexec nowrite progbits
