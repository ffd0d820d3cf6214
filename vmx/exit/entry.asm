; VM entry and exit: register swapping, and the CPUID exit of the leaves vmxray passes
; through (model for the rest: Linux arch/x86/kvm/vmx/vmenter.S).
; Offsets come from build/gen/offsets.inc (generated from the C structs).
%include "offsets.inc"

bits 64
default rel

; Loads what SAVE_GUEST_SCRATCH saved, and RAX, RDX, from the vcpu at RAX (RAX last).
%macro LOAD_GUEST_SCRATCH 0
	mov rcx, [rax + VCPU_RCX]
	mov rdx, [rax + VCPU_RDX]
	mov rbx, [rax + VCPU_RBX]
	mov rsi, [rax + VCPU_RSI]
	mov rdi, [rax + VCPU_RDI]
	mov r8, [rax + VCPU_R8]
	mov r9, [rax + VCPU_R9]
	mov r10, [rax + VCPU_R10]
	mov r11, [rax + VCPU_R11]
	mov rax, [rax + VCPU_RAX]
%endmacro

; Loads the guest's general registers from the vcpu at RAX (RAX itself last): the ones C
; preserves, then LOAD_GUEST_SCRATCH (above).
%macro LOAD_GUEST_GPRS 0
	mov rbp, [rax + VCPU_RBP]
	mov r12, [rax + VCPU_R12]
	mov r13, [rax + VCPU_R13]
	mov r14, [rax + VCPU_R14]
	mov r15, [rax + VCPU_R15]
	LOAD_GUEST_SCRATCH
%endmacro

section .text
extern vmx_exit_handler, vmx_exit_fast, vmx_exit_after, vmx_resume_failed

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

; The guest's caller-saved registers and RBX (RAX and RDX are saved already), to the vcpu
; through GS (HOST_GS_BASE = the vcpu).
%macro SAVE_GUEST_SCRATCH 0
	mov [gs:VCPU_RCX], rcx
	mov [gs:VCPU_RBX], rbx
	mov [gs:VCPU_RSI], rsi
	mov [gs:VCPU_RDI], rdi
	mov [gs:VCPU_R8], r8
	mov [gs:VCPU_R9], r9
	mov [gs:VCPU_R10], r10
	mov [gs:VCPU_R11], r11
%endmacro

; The rest: the registers C preserves (System V ABI), still the guest's here.
%macro SAVE_GUEST_PRESERVED 0
	mov [gs:VCPU_RBP], rbp
	mov [gs:VCPU_R12], r12
	mov [gs:VCPU_R13], r13
	mov [gs:VCPU_R14], r14
	mov [gs:VCPU_R15], r15
%endmacro


; The instruction that exited is done: GUEST_RIP moves past it, with RAX and RDX as
; scratch. The rules of vcpu_advance_rip (vmx/exit/inject.h) that need more than that go
; to C at %1, before anything is written: blocking by STI or MOV SS (interruptibility
; bits 0-1), RFLAGS.RF or TF, a RIP crossing a 4 GiB line (the wrap rule).
%macro SKIP_INSN 1
	mov edx, FIELD_GUEST_INTERRUPTIBILITY_INFO
	vmread rax, rdx
	test al, 3
	jnz %1
	mov edx, FIELD_GUEST_RFLAGS
	vmread rax, rdx
	test eax, RFLAGS_RF_TF
	jnz %1
	mov edx, FIELD_GUEST_RIP
	vmread rax, rdx
	mov edx, FIELD_VM_EXIT_INSTRUCTION_LEN
	vmread rdx, rdx
	add rdx, rax                    ; the next RIP
	xor rax, rdx
	shr rax, 32
	jnz %1
	mov eax, FIELD_GUEST_RIP
	vmwrite rax, rdx
%endmacro

; HOST_RIP. RSP = HOST_RSP, and [RSP] holds the vcpu pointer (HOST_STACK_VCPU_SLOT
; bytes below the stack top, which keeps RSP 16-byte aligned for the calls); GS base is
; the vcpu. Three paths, each saving only the registers it changes (docs/ARCHITECTURE.md,
; "A VM exit and back"):
;  1. CPUID of a leaf the policy leaves alone, with nothing to do for blocking, RF or TF:
;     here, CPUID in root mode straight into the guest's RAX..RDX. No C: the C calling
;     convention alone would cost more than the whole exit.
;  2. the common exits (vmx_exit_fast, vmx/exit/exit.c): RAX, RCX, RDX, RBX, RSI, RDI and
;     R8-R11 saved and loaded; RBP and R12-R15 stay in their registers, which C preserves.
;  3. everything else, and every exit while vcpu->fast_off is nonzero (trace, dump,
;     recorder, check, test, a pending NMI or INIT, this CPU's EPT view stale): all
;     registers, vmx_exit_handler.
global vmx_exit_entry
vmx_exit_entry:
	mov [gs:VCPU_RAX], rax
	mov [gs:VCPU_RDX], rdx
	mov edx, FIELD_VM_EXIT_REASON
	vmread rax, rdx
	jbe .whole                      ; VMfail: no current VMCS; the whole path reports it
	cmp qword [gs:VCPU_FAST_OFF], 0
	jne .whole
	cmp eax, EXIT_REASON_CPUID
	je .cpuid
	cmp eax, EXIT_REASON_VMCALL
	je .vmcall
	cmp eax, EXIT_REASON_IO_INSTRUCTION
	jne .fast                       ; an EPT violation too: the APIC page's repeated write
.io:
	; IN or OUT (not INS/OUTS) of 1, 2 or 4 bytes, the one of its direction the C path has
	; marked for this place (vcpu->io_fast_qual: same port, size and direction, and no value
	; of it needs a decision: io_fast_allowed, vmx/exit/exit_io.c): the port read into
	; AL/AX/EAX of the guest's RAX or written from it, as fast_port_io (vmx/exit/exit.c)
	; does it, and counted in the port's STATS slot. Exit qualification: SDM Vol. 3C, Table
	; 28-5 "Exit Qualification for I/O Instructions". RCX holds the qualification over
	; SKIP_INSN; anything else goes to C before a write.
	mov edx, FIELD_EXIT_QUALIFICATION
	vmread rax, rdx
	mov [gs:VCPU_RCX], rcx
	mov ecx, eax
	and eax, IO_QUAL_FAST_MASK
	test cl, IO_QUAL_IN
	jz .io_out
	cmp eax, [gs:VCPU_IO_FAST_QUAL_IN]
	jne .io_c
	SKIP_INSN .io_c
	inc qword [gs:VCPU_EXIT_COUNT + EXIT_REASON_IO_INSTRUCTION * 8]
	mov eax, [gs:VCPU_IO_FAST_COUNT_IN]
	inc qword [gs:rax]
	mov edx, ecx
	shr edx, 16                     ; DX = the port
	mov rax, [gs:VCPU_RAX]
	test cl, 2
	jnz .io_in32                    ; size code 3
	test cl, 1
	jnz .io_in16                    ; size code 1
	in al, dx                       ; the rest of RAX is kept
	jmp .io_done
.io_in16:
	in ax, dx
	jmp .io_done
.io_in32:
	in eax, dx                      ; bits 63:32 of RAX cleared
	jmp .io_done
.io_out:
	cmp eax, [gs:VCPU_IO_FAST_QUAL_OUT]
	jne .io_c
	SKIP_INSN .io_c
	inc qword [gs:VCPU_EXIT_COUNT + EXIT_REASON_IO_INSTRUCTION * 8]
	mov eax, [gs:VCPU_IO_FAST_COUNT_OUT]
	inc qword [gs:rax]
	mov edx, ecx
	shr edx, 16                     ; DX = the port
	mov rax, [gs:VCPU_RAX]
	test cl, 2
	jnz .io_out32                   ; size code 3 (a dword at 0xCF8 most of all)
	test cl, 1
	jnz .io_out16                   ; size code 1
	out dx, al
	jmp .io_done
.io_out16:
	out dx, ax
	jmp .io_done
.io_out32:
	out dx, eax
.io_done:
	mov rcx, [gs:VCPU_RCX]
	mov rdx, [gs:VCPU_RDX]
	vmresume
	jmp .resume_failed
.io_c:
	mov rcx, [gs:VCPU_RCX]
	mov eax, EXIT_REASON_IO_INSTRUCTION
	jmp .fast
.vmcall:
	; VMCALL VERSION at CPL 0 (SS.DPL, AR bits 6:5): RAX = VMXRAY_HC_OK, RBX = the
	; version, as hypercall_dispatch (vmx/exit/exit_hypercall.c) answers it.
	cmp qword [gs:VCPU_RAX], VMXRAY_HC_VERSION
	jne .vmcall_c
	mov edx, FIELD_GUEST_SS_AR_BYTES
	vmread rax, rdx
	test eax, AR_DPL_MASK
	jnz .vmcall_c                   ; CPL > 0: #UD (C)
	SKIP_INSN .vmcall_c
	inc qword [gs:VCPU_EXIT_COUNT + EXIT_REASON_VMCALL * 8]
	mov eax, VMXRAY_HC_OK
	mov ebx, VMXRAY_VERSION
	mov rdx, [gs:VCPU_RDX]
	vmresume
	jmp .resume_failed
.vmcall_c:
	mov eax, EXIT_REASON_VMCALL
	jmp .fast
.cpuid:
	; CPUID.80000001H: its SYSCALL bit depends on the guest's mode (cpuid_policy_apply_mode,
	; vmx/policy/policy.h): the C path reads the mode.
	cmp dword [gs:VCPU_RAX], CPUID_LEAF_EXT_FEATURES
	je .cpuid_c
	SKIP_INSN .cpuid_c
	inc qword [gs:VCPU_EXIT_COUNT + EXIT_REASON_CPUID * 8]
	; RIP is written: from here on every leaf resumes the guest. The leaves the policy
	; rewrites (cpuid_policy_apply in vmx/policy/policy.c is the model, unit-tested; this
	; is the same rule on the registers) take a few instructions more.
	mov eax, [gs:VCPU_RAX]          ; the leaf; ECX is still the guest's subleaf
	cmp eax, 32
	jae .cpuid_high
	mov edx, CPUID_POLICY_LOW_LEAVES
	bt edx, eax
	jc .cpuid_low_policy            ; 1, 7, 0x14
.cpuid_hw:
	cpuid
.cpuid_resume:
	vmresume
	jmp .resume_failed
.cpuid_high:
	mov edx, eax
	shr edx, 28
	cmp edx, 4
	jne .cpuid_hw
	; 0x4xxxxxxx: vmxray's leaves, zeros above them (CPUID clears bits 63:32 of RAX..RDX,
	; and so do these 32-bit writes).
	xor ebx, ebx
	xor ecx, ecx
	xor edx, edx
	cmp eax, VMXRAY_CPUID_LEAF_BASE
	je .cpuid_base
	cmp eax, VMXRAY_CPUID_LEAF_VERSION
	mov eax, 0
	jne .cpuid_resume
	mov eax, VMXRAY_VERSION
	jmp .cpuid_resume
.cpuid_base:
	mov eax, VMXRAY_CPUID_MAX_LEAF
	mov ebx, VMXRAY_CPUID_SIGNATURE_EBX
	mov ecx, VMXRAY_CPUID_SIGNATURE_ECX
	mov edx, VMXRAY_CPUID_SIGNATURE_EDX
	jmp .cpuid_resume
	; Leaves 1 and 7 mirror a guest CR4 bit (OSXSAVE, PKE), read before CPUID into RBX,
	; which CPUID overwrites anyway, and kept over it in the vcpu's RBX slot (this path
	; saves no RBX there). GUEST_CR4 holds the guest's own value of both bits:
	; CR4_GUEST_HOST_MASK owns VMXE and the bits the processor does not allow
	; (vmx/launch/vmcs_setup_hw.c), and a bit is mirrored only where the processor
	; supports the feature.
.cpuid_low_policy:
	cmp eax, 1
	je .cpuid_1
	cmp eax, 7
	je .cpuid_7
	xor eax, eax                    ; 0x14, Intel PT: hidden, all zero
	xor ebx, ebx
	xor ecx, ecx
	xor edx, edx
	jmp .cpuid_resume
.cpuid_1:
	mov edx, FIELD_GUEST_CR4
	vmread rbx, rdx
	and ebx, CR4_OSXSAVE
	shl ebx, CR4_OSXSAVE_TO_CPUID1
	mov [gs:VCPU_RBX], rbx
	cpuid
	and ecx, ~CPUID1_ECX_HIDDEN
	bts ecx, CPUID1_ECX_HYPERVISOR_BIT  ; CPUID1_ECX_SHOWN
	and edx, ~CPUID1_EDX_HIDDEN
	bt ecx, CPUID1_ECX_XSAVE_BIT
	jnc .cpuid_resume               ; no XSAVE: OSXSAVE as the hardware says (0)
	and ecx, ~CPUID1_ECX_OSXSAVE
	or ecx, [gs:VCPU_RBX]
	jmp .cpuid_resume
.cpuid_7:
	test ecx, ecx
	jnz .cpuid_hw                   ; another subleaf: as the hardware says
	mov edx, FIELD_GUEST_CR4
	vmread rbx, rdx
	shr ebx, CR4_PKE_TO_CPUID7
	and ebx, CPUID7_ECX_OSPKE
	mov [gs:VCPU_RBX], rbx
	cpuid
	and ebx, ~CPUID7_EBX_HIDDEN
	bt ecx, CPUID7_ECX_PKU_BIT
	jnc .cpuid_resume               ; no PKU: OSPKE as the hardware says (0)
	and ecx, ~CPUID7_ECX_OSPKE
	or ecx, [gs:VCPU_RBX]
	jmp .cpuid_resume
.cpuid_c:
	mov eax, EXIT_REASON_CPUID
.fast:
	SAVE_GUEST_SCRATCH
	mov rdi, [rsp]
	mov esi, eax
	call vmx_exit_fast
	test eax, eax
	jnz .fast_more
	mov rax, [rsp]
	LOAD_GUEST_SCRATCH
	vmresume
	jmp .resume_failed
.fast_more:                             ; 1: not handled; 2: handled, events to deliver
	SAVE_GUEST_PRESERVED
	mov rdi, [rsp]
	cmp eax, 1
	je .whole_call
	call vmx_exit_after
	jmp .load_all
.whole:
	SAVE_GUEST_SCRATCH
	SAVE_GUEST_PRESERVED
	mov rdi, [rsp]
.whole_call:
	call vmx_exit_handler
.load_all:
	mov rax, [rsp]
	LOAD_GUEST_GPRS
	vmresume
.resume_failed:
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
