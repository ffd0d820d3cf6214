/* The hand-off between the two copies of vmxray's image.
 *
 * The firmware loads vmxray.efi as an application (EfiLoaderCode: memory the OS takes
 * back after ExitBootServices). efi_main therefore reserves memory the OS never reuses,
 * copies the whole image there and re-applies its relocations (boot/relocate.c). The
 * copy is the hypervisor. The original image is the guest side: it calls into the copy
 * through boot/trampoline.asm, and after VMLAUNCH the guest continues in the original
 * image, at the trampoline's resume point, as if the call had returned 0.
 *
 * This struct lives on the firmware's stack (guest-visible memory). Pure. */
#ifndef VMXRAY_BOOT_HANDOFF_H
#define VMXRAY_BOOT_HANDOFF_H
#include <stdint.h>

#include "boot/options.h"

struct handoff {
	/* Filled by the trampoline (offsets used by assembly: see boot/asm_offsets.c). */
	uint64_t guest_rsp;        /* RSP at the resume point */
	uint64_t guest_rip;        /* the resume point, in the original image */
	uint64_t guest_rflags;     /* RFLAGS at the call */

	/* Filled by efi_main in the original image. */
	void *image_handle;
	void *system_table;
	uint64_t orig_base;        /* where the firmware loaded the image */
	uint64_t copy_base;        /* the relocated copy, inside the reservation */
	uint64_t image_size;
	uint64_t reserve_base;     /* the one reservation: image copy + page pool */
	uint64_t reserve_pages;
	uint64_t ap_entry;         /* EFI_AP_PROCEDURE in the original image */

	/* Filled by the copy for the original image (read after the return). */
	int64_t status;            /* EFI_STATUS of the launch */
	uint32_t cpus_launched;
	struct vmxray_options opts;
	struct uart_desc uart;     /* the UART the copy chose and programmed (boot/serial_select.h) */
};

#endif
