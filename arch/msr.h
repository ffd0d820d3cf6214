/* MSR numbers, named as in SDM Vol. 4, "Model-Specific Registers (MSRs)": the one list of
 * MSRs for the hypervisor, the guest programs and the tools. Pure. */
#ifndef VMXRAY_ARCH_MSR_H
#define VMXRAY_ARCH_MSR_H

#define MSR_IA32_TSC                    0x00000010u
#define MSR_IA32_TSC_AUX                0xC0000103u
#define MSR_IA32_APIC_BASE              0x0000001Bu
#define MSR_IA32_FEATURE_CONTROL        0x0000003Au
#define MSR_IA32_MTRRCAP                0x000000FEu
#define MSR_IA32_SYSENTER_CS            0x00000174u
#define MSR_IA32_SYSENTER_ESP           0x00000175u
#define MSR_IA32_SYSENTER_EIP           0x00000176u
#define MSR_IA32_MPERF                  0x000000E7u
#define MSR_IA32_APERF                  0x000000E8u
#define MSR_IA32_MISC_ENABLE            0x000001A0u
#define MISC_ENABLE_BTS_UNAVAILABLE     (1ULL << 11) /* IA32_MISC_ENABLE bit 11 */
#define MISC_ENABLE_PEBS_UNAVAILABLE    (1ULL << 12) /* IA32_MISC_ENABLE bit 12 */
#define MSR_IA32_DEBUGCTL               0x000001D9u
#define MSR_IA32_MTRR_PHYSBASE0         0x00000200u
#define MSR_IA32_MTRR_PHYSMASK0         0x00000201u
#define MSR_IA32_MTRR_FIX64K_00000      0x00000250u
#define MSR_IA32_MTRR_FIX16K_80000      0x00000258u
#define MSR_IA32_MTRR_FIX16K_A0000      0x00000259u
#define MSR_IA32_MTRR_FIX4K_C0000       0x00000268u
#define MSR_IA32_MTRR_FIX4K_C8000       0x00000269u
#define MSR_IA32_MTRR_FIX4K_D0000       0x0000026Au
#define MSR_IA32_MTRR_FIX4K_D8000       0x0000026Bu
#define MSR_IA32_MTRR_FIX4K_E0000       0x0000026Cu
#define MSR_IA32_MTRR_FIX4K_E8000       0x0000026Du
#define MSR_IA32_MTRR_FIX4K_F0000       0x0000026Eu
#define MSR_IA32_MTRR_FIX4K_F8000       0x0000026Fu
#define MSR_IA32_PAT                    0x00000277u
#define MSR_IA32_MTRR_DEF_TYPE          0x000002FFu
#define MSR_IA32_PERF_GLOBAL_CTRL       0x0000038Fu
#define MSR_IA32_VMX_BASIC              0x00000480u
#define MSR_IA32_VMX_PINBASED_CTLS      0x00000481u
#define MSR_IA32_VMX_PROCBASED_CTLS     0x00000482u
#define MSR_IA32_VMX_EXIT_CTLS          0x00000483u
#define MSR_IA32_VMX_ENTRY_CTLS         0x00000484u
#define MSR_IA32_VMX_MISC               0x00000485u
#define MSR_IA32_VMX_CR0_FIXED0         0x00000486u
#define MSR_IA32_VMX_CR0_FIXED1         0x00000487u
#define MSR_IA32_VMX_CR4_FIXED0         0x00000488u
#define MSR_IA32_VMX_CR4_FIXED1         0x00000489u
#define MSR_IA32_VMX_VMCS_ENUM          0x0000048Au
#define MSR_IA32_VMX_PROCBASED_CTLS2    0x0000048Bu
#define MSR_IA32_VMX_EPT_VPID_CAP       0x0000048Cu
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x0000048Du
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x0000048Eu
#define MSR_IA32_VMX_TRUE_EXIT_CTLS     0x0000048Fu
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS    0x00000490u
#define MSR_IA32_VMX_VMFUNC             0x00000491u
#define MSR_IA32_VMX_PROCBASED_CTLS3    0x00000492u
#define MSR_IA32_VMX_FIRST              MSR_IA32_VMX_BASIC
#define MSR_IA32_VMX_LAST               MSR_IA32_VMX_PROCBASED_CTLS3
#define MSR_IA32_EFER                   0xC0000080u
#define MSR_IA32_STAR                   0xC0000081u
#define MSR_IA32_LSTAR                  0xC0000082u
#define MSR_IA32_FMASK                  0xC0000084u
#define MSR_IA32_FS_BASE                0xC0000100u
#define MSR_IA32_GS_BASE                0xC0000101u
#define MSR_IA32_KERNEL_GS_BASE         0xC0000102u

/* IA32_FEATURE_CONTROL bits (SDM Vol. 3C, 24.7 "Enabling and Entering VMX Operation"). */
#define FEATURE_CONTROL_LOCK            (1ULL << 0)
#define FEATURE_CONTROL_VMX_IN_SMX      (1ULL << 1)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ULL << 2)

/* IA32_EFER bits. */
#define EFER_SCE (1ULL << 0)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)

#endif
