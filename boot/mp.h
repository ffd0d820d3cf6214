/* The UEFI MP services protocol (PI spec, Vol. 2, "MP Services Protocol"): gnu-efi has
 * no definition, so the part vmxray uses is declared here. */
#ifndef VMXRAY_BOOT_MP_H
#define VMXRAY_BOOT_MP_H
#include <efi.h>

#define EFI_MP_SERVICES_PROTOCOL_GUID \
	{ 0x3fdda605, 0xa76e, 0x4f46, { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }

typedef struct {
	UINT64 ProcessorId; /* APIC ID */
	UINT32 StatusFlag;  /* bit 0 BSP, bit 1 enabled, bit 2 healthy */
	struct {
		UINT32 Package, Core, Thread;
	} Location;
} EFI_PROCESSOR_INFORMATION;

#define PROCESSOR_AS_BSP_BIT 0x1
#define PROCESSOR_ENABLED_BIT 0x2

typedef VOID(EFIAPI *EFI_AP_PROCEDURE)(VOID *arg);
struct _EFI_MP_SERVICES_PROTOCOL;
typedef struct _EFI_MP_SERVICES_PROTOCOL {
	EFI_STATUS(EFIAPI *GetNumberOfProcessors)(struct _EFI_MP_SERVICES_PROTOCOL *self, UINTN *n,
						  UINTN *enabled);
	EFI_STATUS(EFIAPI *GetProcessorInfo)(struct _EFI_MP_SERVICES_PROTOCOL *self, UINTN n,
					     EFI_PROCESSOR_INFORMATION *info);
	EFI_STATUS(EFIAPI *StartupAllAPs)(struct _EFI_MP_SERVICES_PROTOCOL *self, EFI_AP_PROCEDURE proc,
					  BOOLEAN single_thread, EFI_EVENT wait, UINTN timeout_us,
					  VOID *arg, UINTN **failed);
	EFI_STATUS(EFIAPI *StartupThisAP)(struct _EFI_MP_SERVICES_PROTOCOL *self, EFI_AP_PROCEDURE proc,
					  UINTN n, EFI_EVENT wait, UINTN timeout_us, VOID *arg,
					  BOOLEAN *finished);
	EFI_STATUS(EFIAPI *SwitchBSP)(struct _EFI_MP_SERVICES_PROTOCOL *self, UINTN n, BOOLEAN enable_old);
	EFI_STATUS(EFIAPI *EnableDisableAP)(struct _EFI_MP_SERVICES_PROTOCOL *self, UINTN n, BOOLEAN enable,
					    UINT32 *health);
	EFI_STATUS(EFIAPI *WhoAmI)(struct _EFI_MP_SERVICES_PROTOCOL *self, UINTN *n);
} EFI_MP_SERVICES_PROTOCOL;

/* The processors vmxray will virtualize: enabled ones, BSP first. */
#define MP_MAX_CPUS 64
struct mp_cpus {
	unsigned count;
	uint32_t apic_id[MP_MAX_CPUS];
	UINTN number[MP_MAX_CPUS]; /* the protocol's processor number */
};

/* Fills cpus; without the protocol (or on error) only the calling CPU is listed. */
EFI_MP_SERVICES_PROTOCOL *mp_enumerate(struct mp_cpus *cpus, uint32_t bsp_apic_id);

#endif
