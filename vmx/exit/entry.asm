; VM entry and exit: register swapping only (model: Linux arch/x86/kvm/vmx/vmenter.S).
; Offsets come from build/gen/offsets.inc (generated from the C structs).
%include "offsets.inc"

bits 64
default rel

; Loads the guest's general registers from the vcpu at RAX (RAX itself last).
%macro LOAD_GUEST_GPRS 0
	mov rcx, [rax + VCPU_RCX]
	mov rdx, [rax + VCPU_RDX]
	mov rbx, [rax + VCPU_RBX]
	mov rbp, [rax + VCPU_RBP]
	mov rsi, [rax + VCPU_RSI]
	mov rdi, [rax + VCPU_RDI]
	mov r8, [rax + VCPU_R8]
	mov r9, [rax + VCPU_R9]
	mov r10, [rax + VCPU_R10]
	mov r11, [rax + VCPU_R11]
	mov r12, [rax + VCPU_R12]
	mov r13, [rax + VCPU_R13]
	mov r14, [rax + VCPU_R14]
	mov r15, [rax + VCPU_R15]
	mov rax, [rax + VCPU_RAX]
%endmacro

section .text
extern vmx_exit_handler, vmx_resume_failed

; int vmx_launch(struct vcpu *v)
; Loads the guest's general registers from v->regs and executes VMLAUNCH. On success it
; does not return: the guest runs at GUEST_RIP and exits arrive at vmx_exit_entry.
; On failure it returns 1 (VMfailInvalid) or 2 (VMfailValid) with the callee-saved
; registers intact.
global vmx_launch
vmx_launch:
	push rbx
	push rbp
	push r12
	push r13
	push r14
	push r15
	push rdi
	mov rax, rdi
	LOAD_GUEST_GPRS
	vmlaunch
	; VMLAUNCH failed: CF=1 VMfailInvalid, ZF=1 VMfailValid
	mov eax, 2
	mov ecx, 1
	cmovc eax, ecx
	pop rdi
	pop r15
	pop r14
	pop r13
	pop r12
	pop rbp
	pop rbx
	ret

; HOST_RIP. RSP = HOST_RSP, and [RSP] holds the vcpu pointer (HOST_STACK_VCPU_SLOT
; bytes below the stack top, which keeps RSP 16-byte aligned for the call).
global vmx_exit_entry
vmx_exit_entry:
	push rax
	mov rax, [rsp + 8]
	mov [rax + VCPU_RCX], rcx
	mov [rax + VCPU_RDX], rdx
	mov [rax + VCPU_RBX], rbx
	mov [rax + VCPU_RBP], rbp
	mov [rax + VCPU_RSI], rsi
	mov [rax + VCPU_RDI], rdi
	mov [rax + VCPU_R8], r8
	mov [rax + VCPU_R9], r9
	mov [rax + VCPU_R10], r10
	mov [rax + VCPU_R11], r11
	mov [rax + VCPU_R12], r12
	mov [rax + VCPU_R13], r13
	mov [rax + VCPU_R14], r14
	mov [rax + VCPU_R15], r15
	pop qword [rax + VCPU_RAX]
	mov rdi, rax
	call vmx_exit_handler
	mov rax, [rsp]
	LOAD_GUEST_GPRS
	vmresume
	; VMRESUME failed: report and stop (vmx_resume_failed does not return).
	mov esi, 2
	mov ecx, 1
	cmovc esi, ecx
	mov rdi, [rsp]
	call vmx_resume_failed
	ud2

; void vmx_firmware_resume(const struct fw_state *fw)   (does not return)
; The end of the fail-open path (vmx_cpu_fail_open): VMX is off and the firmware's
; system registers, data segments and FS/GS bases are back. IRETQ to the resume point
; with the firmware's CS, SS, RSP and RFLAGS, and RAX = fw->rax.
global vmx_firmware_resume
vmx_firmware_resume:
	push qword [rdi + FW_SS]
	push qword [rdi + FW_RSP]
	push qword [rdi + FW_RFLAGS]
	push qword [rdi + FW_CS]
	push qword [rdi + FW_RIP]
	mov rax, [rdi + FW_RAX]
	iretq

section .note.GNU-stack noalloc noexec nowrite progbits
