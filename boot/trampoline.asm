; The call from the original image into the relocated copy (see boot/handoff.h).
;
;   int64_t vmxray_trampoline(int64_t (*fn)(struct handoff *), struct handoff *h)
;
; Saves the callee-saved registers and RFLAGS on the caller's stack, records that
; stack pointer and the resume point in *h, and calls fn(h) in the copy. Two ways back:
;  - fn returns (launch refused or failed): its status comes back in RAX;
;  - VMLAUNCH succeeds: the guest starts at .resume with RSP = h->guest_rsp and
;    RAX = 0, in the original image, and returns to the caller as the guest.
; Only register plumbing here.
%include "offsets.inc"

bits 64
default rel
section .text

global vmxray_trampoline
vmxray_trampoline:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	pushfq
	mov rax, [rsp]
	mov [rsi + HANDOFF_GUEST_RFLAGS], rax
	mov [rsi + HANDOFF_GUEST_RSP], rsp
	lea rax, [.resume]
	mov [rsi + HANDOFF_GUEST_RIP], rax
	mov rax, rdi
	mov rdi, rsi
	call rax
.resume:
	popfq
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
