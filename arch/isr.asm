; Root-mode exception entry points for vectors 0..31: push a uniform frame
; (struct exception_frame in arch/exception.h) and call arch_exception(frame).
bits 64
%include "offsets.inc"
default rel
section .text
extern arch_exception

%macro ISR_NOERR 1
isr_%1:
	push 0
	push %1
	jmp isr_common
%endmacro
%macro ISR_ERR 1
isr_%1:
	push %1
	jmp isr_common
%endmacro

; Vectors that push an error code: EXCEPTION_ERROR_CODE_MASK, generated from
; arch/exceptions.def (SDM Vol. 3A, Table 6-1 "Protected-Mode Exceptions and Interrupts").
%assign v 0
%rep 32
%if (EXCEPTION_ERROR_CODE_MASK >> v) & 1
	ISR_ERR v
%else
	ISR_NOERR v
%endif
%assign v v+1
%endrep

isr_common:
	push rax
	push rcx
	push rdx
	push rbx
	push rbp
	push rsi
	push rdi
	push r8
	push r9
	push r10
	push r11
	push r12
	push r13
	push r14
	push r15
	mov rdi, rsp
	mov rbx, rsp
	and rsp, -16
	call arch_exception
	mov rsp, rbx
	pop r15
	pop r14
	pop r13
	pop r12
	pop r11
	pop r10
	pop r9
	pop r8
	pop rdi
	pop rsi
	pop rbp
	pop rbx
	pop rdx
	pop rcx
	pop rax
	add rsp, 16
	iretq

section .data
global isr_table
align 8
isr_table:
%assign v 0
%rep 32
	dq isr_ %+ v
%assign v v+1
%endrep

section .note.GNU-stack noalloc noexec nowrite progbits
