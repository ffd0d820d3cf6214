; RDMSR/WRMSR/XSETBV/RDPMC that report a #GP instead of taking the CPU down. The root-mode
; #GP handler (arch/exception.c) moves RIP from one of the *_insn labels to
; msr_safe_fault, which returns -1.
bits 64
default rel
section .text

global msr_safe_read, msr_safe_write, xsetbv_safe
global rdpmc_safe, rdpmc_safe_insn
global msr_safe_rdmsr_insn, msr_safe_wrmsr_insn, xsetbv_safe_insn, msr_safe_fault

; int msr_safe_read(uint32_t msr, uint64_t *value)
msr_safe_read:
	mov ecx, edi
msr_safe_rdmsr_insn:
	rdmsr
	shl rdx, 32
	or rax, rdx
	mov [rsi], rax
	xor eax, eax
	ret

; int msr_safe_write(uint32_t msr, uint64_t value)
msr_safe_write:
	mov ecx, edi
	mov rax, rsi
	mov rdx, rsi
	shr rdx, 32
msr_safe_wrmsr_insn:
	wrmsr
	xor eax, eax
	ret

; int xsetbv_safe(uint32_t index, uint64_t value)
xsetbv_safe:
	mov ecx, edi
	mov rax, rsi
	mov rdx, rsi
	shr rdx, 32
xsetbv_safe_insn:
	xsetbv
	xor eax, eax
	ret

; int rdpmc_safe(uint32_t counter, uint64_t *value)
rdpmc_safe:
	mov ecx, edi
rdpmc_safe_insn:
	rdpmc
	shl rdx, 32
	or rax, rdx
	mov [rsi], rax
	xor eax, eax
	ret

msr_safe_fault:
	mov eax, -1
	ret

section .note.GNU-stack noalloc noexec nowrite progbits
