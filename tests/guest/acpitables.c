/* acpitables: a test-bed helper that gives OVMF-in-Bochs the ACPI tables it lacks.
 *
 * OVMF gets its ACPI tables from QEMU's fw_cfg; in Bochs there is none, so the firmware
 * publishes no tables, and Linux then brings up one CPU only and cannot power off. This
 * EFI application (run from the UEFI shell before the kernel) installs, through the EFI
 * ACPI table protocol, the minimum Linux needs on Bochs's i440FX/PIIX4 machine:
 *   FACS,
 *   DSDT   holding only \_S5_ (the PIIX4 soft-off sleep type, SLP_TYP 0),
 *   FADT   PIIX4 power management as OVMF programs it (PMBASE 0xB000), SCI 9,
 *          reset through port 0xCF9,
 *   MADT   one local APIC per CPU (from the EFI MP services protocol), the I/O APIC,
 *          and the ISA IRQ0 -> GSI 2 override.
 * The firmware's table driver copies each table, links FACS and DSDT into the FADT, and
 * publishes RSDP/RSDT/XSDT in the EFI configuration table.
 *
 * It installs nothing when an FADT is already published (QEMU, real machines), so it is
 * harmless anywhere. Not part of vmxray: vmxray never needs ACPI tables.
 * Output (UEFI console, which OVMF mirrors on COM1): lines starting "acpitables: ". */
#include <efi.h>
#include <efilib.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "drivers/fmt.h"

/* ---- ACPI table layouts (ACPI 6.5, chapter 5.2 "ACPI System Description Tables") ---- */

/* 5.2.5.3 Root System Description Pointer (RSDP) Structure */
struct acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum;  /* first 20 bytes */
	char oem_id[6];
	uint8_t revision; /* 2 and up: the fields below exist */
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;
	uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP size");

/* 5.2.6 System Description Table Header */
struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum; /* the whole table sums to zero */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_header) == 36, "SDT header size");

/* 5.2.3.2 Generic Address Structure (GAS) */
struct acpi_gas {
	uint8_t space_id; /* ACPI_GAS_SYSTEM_IO */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size; /* ACPI_GAS_ACCESS_BYTE .. */
	uint64_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS size");
#define ACPI_GAS_SYSTEM_IO 1
#define ACPI_GAS_ACCESS_BYTE 1
#define ACPI_GAS_ACCESS_WORD 2
#define ACPI_GAS_ACCESS_DWORD 3

/* 5.2.10 Firmware ACPI Control Structure (FACS): no checksum, 64-byte aligned (the
 * firmware's copy is). */
struct acpi_facs {
	char signature[4]; /* "FACS" */
	uint32_t length;
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;
	uint8_t reserved1[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS size");

/* 5.2.9 Fixed ACPI Description Table (FADT), revision 6 layout */
struct acpi_fadt {
	struct acpi_header header; /* "FACP" */
	uint32_t firmware_ctrl;    /* FACS: filled in by the firmware's table driver */
	uint32_t dsdt;             /* DSDT: likewise */
	uint8_t reserved1;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved2;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t fadt_minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_vendor_identity;
} __attribute__((packed));
_Static_assert(offsetof(struct acpi_fadt, sci_int) == 46, "FADT SCI_INT offset");
_Static_assert(offsetof(struct acpi_fadt, pm1a_evt_blk) == 56, "FADT PM1a_EVT_BLK offset");
_Static_assert(offsetof(struct acpi_fadt, pm1_evt_len) == 88, "FADT PM1_EVT_LEN offset");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT IAPC_BOOT_ARCH offset");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT Flags offset");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT RESET_REG offset");
_Static_assert(offsetof(struct acpi_fadt, x_firmware_ctrl) == 132, "FADT X_FIRMWARE_CTRL offset");
_Static_assert(offsetof(struct acpi_fadt, x_pm1a_evt_blk) == 148, "FADT X_PM1a_EVT_BLK offset");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT SLEEP_CONTROL_REG offset");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT size");

/* FADT Flags (5.2.9, Table "Fixed ACPI Description Table Fixed Feature Flags") */
#define FADT_WBINVD (1u << 0)
#define FADT_PROC_C1 (1u << 2)
#define FADT_PWR_BUTTON (1u << 4) /* set: no fixed-feature power button */
#define FADT_SLP_BUTTON (1u << 5) /* set: no fixed-feature sleep button */
#define FADT_RESET_REG_SUP (1u << 10)
/* IA-PC Boot Architecture Flags (5.2.9.3) */
#define FADT_BOOT_LEGACY_DEVICES (1u << 0)
#define FADT_BOOT_8042 (1u << 1)

/* 5.2.12 Multiple APIC Description Table (MADT) */
struct acpi_madt {
	struct acpi_header header; /* "APIC" */
	uint32_t local_apic_address;
	uint32_t flags;
} __attribute__((packed));
#define MADT_PCAT_COMPAT (1u << 0) /* dual 8259s present (disabled by the OS) */

/* 5.2.12.2 Processor Local APIC Structure */
struct madt_local_apic {
	uint8_t type; /* 0 */
	uint8_t length;
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_local_apic) == 8, "MADT local APIC size");
/* 5.2.12.12 Processor Local x2APIC Structure: APIC IDs above 254 */
struct madt_local_x2apic {
	uint8_t type; /* 9 */
	uint8_t length;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;
	uint32_t processor_uid;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_local_x2apic) == 16, "MADT local x2APIC size");
#define MADT_LAPIC_ENABLED (1u << 0)
/* 5.2.12.3 I/O APIC Structure */
struct madt_io_apic {
	uint8_t type; /* 1 */
	uint8_t length;
	uint8_t io_apic_id;
	uint8_t reserved;
	uint32_t io_apic_address;
	uint32_t gsi_base;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_io_apic) == 12, "MADT I/O APIC size");
/* 5.2.12.5 Interrupt Source Override Structure */
struct madt_iso {
	uint8_t type; /* 2 */
	uint8_t length;
	uint8_t bus; /* 0: ISA */
	uint8_t source;
	uint32_t gsi;
	uint16_t flags; /* 0: conforms to the bus (ISA: edge, active high) */
} __attribute__((packed));
_Static_assert(sizeof(struct madt_iso) == 10, "MADT interrupt source override size");
#define MADT_TYPE_LOCAL_APIC 0
#define MADT_TYPE_IO_APIC 1
#define MADT_TYPE_ISO 2
#define MADT_TYPE_LOCAL_X2APIC 9

/* ---- the machine: Bochs's i440FX + PIIX4, as OVMF sets it up ---- */
#define PIIX4_PMBASE 0xB000u /* OVMF's PcdAcpiPmBaseAddress on i440FX */
#define PIIX4_PM1A_EVT (PIIX4_PMBASE + 0x0)
#define PIIX4_PM1A_CNT (PIIX4_PMBASE + 0x4)
#define PIIX4_PM_TMR (PIIX4_PMBASE + 0x8) /* 24-bit timer: no TMR_VAL_EXT */
#define PIIX4_SCI_IRQ 9
/* APM control port: writing ACPI_ENABLE sets SCI_EN (Bochs and QEMU model it). */
#define PIIX4_SMI_CMD 0xB2u
#define PIIX4_ACPI_ENABLE 0xF1
#define PIIX4_ACPI_DISABLE 0xF0
#define PIIX4_SLP_TYP_S5 0 /* PM1 control SUS_TYP for soft off */
#define PORT_RESET_CONTROL 0xCF9u
#define RESET_CONTROL_HARD 0x06 /* SYS_RST | RST_CPU */
#define LOCAL_APIC_BASE 0xFEE00000u
#define IO_APIC_BASE 0xFEC00000u
#define IO_APIC_GSI_BASE 0
#define ISA_IRQ_TIMER 0
#define GSI_TIMER 2 /* the PIT is wired to I/O APIC pin 2 */

#define OEM_ID "VMXRAY"
#define OEM_TABLE_ID "VXACPI  "
#define CREATOR_ID "VXRY"
#define MAX_CPUS 64

/* ---- protocols (UEFI PI spec, Vol. 2 "MP Services Protocol"; UEFI spec "ACPI Table
 * Protocol"): only the members used here, in their defined order ---- */
#define EFI_ACPI_TABLE_PROTOCOL_GUID_VX \
	{ 0xffe06bdd, 0x6107, 0x46a6, { 0x7b, 0xb2, 0x5a, 0x9c, 0x7e, 0xc5, 0x27, 0x5c } }
#define EFI_MP_SERVICES_PROTOCOL_GUID_VX \
	{ 0x3fdda605, 0xa76e, 0x4f46, { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } }
#define EFI_ACPI_20_TABLE_GUID_VX \
	{ 0x8868e871, 0xe4f1, 0x11d3, { 0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81 } }
#define EFI_ACPI_10_TABLE_GUID_VX \
	{ 0xeb9d2d30, 0x2d88, 0x11d3, { 0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d } }

struct acpi_table_protocol {
	EFI_STATUS(EFIAPI *install_acpi_table)
	(struct acpi_table_protocol *self, void *table, UINTN size, UINTN *key);
	EFI_STATUS(EFIAPI *uninstall_acpi_table)(struct acpi_table_protocol *self, UINTN key);
};

struct mp_processor_info {
	uint64_t processor_id; /* the APIC ID */
	uint32_t status_flag;
	uint32_t package, core, thread;
};
#define MP_PROC_BSP (1u << 0)
#define MP_PROC_ENABLED (1u << 1)

struct mp_services_protocol {
	EFI_STATUS(EFIAPI *get_number_of_processors)
	(struct mp_services_protocol *self, UINTN *count, UINTN *enabled);
	EFI_STATUS(EFIAPI *get_processor_info)
	(struct mp_services_protocol *self, UINTN number, struct mp_processor_info *info);
	/* StartupAllAPs, StartupThisAP, SwitchBSP, EnableDisableAP, WhoAmI follow: unused. */
};

/* ---- output ---- */
static EFI_SYSTEM_TABLE *g_st;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[240];
	CHAR16 wide[sizeof(line) + 16];
	size_t j = 0;
	va_list ap;

	va_start(ap, fmt);
	size_t n = fmt_snprintf(line, sizeof(line), "%s", "acpitables: ");
	fmt_vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	for (size_t i = 0; line[i] && j < sizeof(line); i++)
		wide[j++] = (CHAR16)(unsigned char)line[i];
	wide[j++] = L'\r';
	wide[j++] = L'\n';
	wide[j] = 0;
	uefi_call_wrapper(g_st->ConOut->OutputString, 2, g_st->ConOut, wide);
}

/* ---- table building (pure) ---- */
static uint8_t acpi_checksum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + b[i]);
	return (uint8_t)(0 - sum);
}

static void acpi_header_init(struct acpi_header *h, const char sig[4], uint32_t length, uint8_t revision)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->signature, sig, 4);
	h->length = length;
	h->revision = revision;
	memcpy(h->oem_id, OEM_ID, 6);
	memcpy(h->oem_table_id, OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, CREATOR_ID, 4);
	h->creator_revision = 1;
}

/* Fills the checksum of a table that starts with an SDT header. */
static void acpi_header_seal(void *table)
{
	struct acpi_header *h = table;

	h->checksum = 0;
	h->checksum = acpi_checksum(table, h->length);
}

static struct acpi_gas gas_io(uint16_t port, uint8_t bytes)
{
	struct acpi_gas g = { 0 };

	g.space_id = ACPI_GAS_SYSTEM_IO;
	g.bit_width = (uint8_t)(bytes * 8);
	g.access_size = bytes == 1 ? ACPI_GAS_ACCESS_BYTE : bytes == 2 ? ACPI_GAS_ACCESS_WORD : ACPI_GAS_ACCESS_DWORD;
	g.address = port;
	return g;
}

static void facs_build(struct acpi_facs *f)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->signature, "FACS", 4);
	f->length = sizeof(*f);
	f->version = 2;
}

/* DefinitionBlock with one object, Name (_S5_, Package (4) { S5, S5, 0, 0 }) in AML
 * (ACPI 6.5, 20.2.5.2 "Named Objects Encoding", 20.2.5.4 "Type 2 Opcodes Encoding"):
 *   NameOp 0x08, NameSeg "_S5_", PackageOp 0x12, PkgLength 6 (itself, NumElements and
 *   four one-byte elements), NumElements 4, then ZeroOp 0x00 or BytePrefix 0x0A n. */
#define AML_NAME_OP 0x08
#define AML_PACKAGE_OP 0x12
#define AML_ZERO_OP 0x00
static const uint8_t dsdt_s5_aml[] = {
	AML_NAME_OP, '_', 'S', '5', '_', AML_PACKAGE_OP, 0x06, 0x04,
	PIIX4_SLP_TYP_S5, /* SLP_TYPa: a ZeroOp as long as the value is 0 */
	PIIX4_SLP_TYP_S5, /* SLP_TYPb */
	AML_ZERO_OP,      AML_ZERO_OP,
};
_Static_assert(PIIX4_SLP_TYP_S5 == AML_ZERO_OP, "a non-zero SLP_TYP needs BytePrefix encoding");

struct acpi_dsdt {
	struct acpi_header header;
	uint8_t aml[sizeof(dsdt_s5_aml)];
} __attribute__((packed));

static void dsdt_build(struct acpi_dsdt *d)
{
	/* Revision 2: integers are 64 bits wide. */
	acpi_header_init(&d->header, "DSDT", sizeof(*d), 2);
	memcpy(d->aml, dsdt_s5_aml, sizeof(dsdt_s5_aml));
	acpi_header_seal(d);
}

static void fadt_build(struct acpi_fadt *f)
{
	memset(f, 0, sizeof(*f));
	acpi_header_init(&f->header, "FACP", sizeof(*f), 6);
	f->fadt_minor_version = 3;
	f->sci_int = PIIX4_SCI_IRQ;
	f->smi_cmd = PIIX4_SMI_CMD;
	f->acpi_enable = PIIX4_ACPI_ENABLE;
	f->acpi_disable = PIIX4_ACPI_DISABLE;
	f->pm1a_evt_blk = PIIX4_PM1A_EVT;
	f->pm1a_cnt_blk = PIIX4_PM1A_CNT;
	f->pm_tmr_blk = PIIX4_PM_TMR;
	f->pm1_evt_len = 4;
	f->pm1_cnt_len = 2;
	f->pm_tmr_len = 4;
	/* No GPE block: Bochs's PIIX4 does not implement the GPE registers. */
	f->p_lvl2_lat = 101; /* > 100: C2 not supported */
	f->p_lvl3_lat = 1001; /* > 1000: C3 not supported */
	f->iapc_boot_arch = FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_8042;
	f->flags = FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON | FADT_RESET_REG_SUP;
	f->reset_reg = gas_io(PORT_RESET_CONTROL, 1);
	f->reset_value = RESET_CONTROL_HARD;
	f->x_pm1a_evt_blk = gas_io(PIIX4_PM1A_EVT, 4);
	f->x_pm1a_cnt_blk = gas_io(PIIX4_PM1A_CNT, 2);
	f->x_pm_tmr_blk = gas_io(PIIX4_PM_TMR, 4);
	/* FIRMWARE_CTRL and DSDT stay 0: the table driver links the installed FACS and
	 * DSDT copies in and recomputes the checksum. */
	acpi_header_seal(f);
}

struct cpu_entry {
	uint32_t apic_id;
	bool enabled;
};

/* Builds the MADT into buf (size bytes); returns its length, or 0 when it does not fit.
 * cpus[0] should be the BSP. */
static size_t madt_build(uint8_t *buf, size_t size, const struct cpu_entry *cpus, size_t ncpus, uint8_t io_apic_id)
{
	struct acpi_madt *m = (struct acpi_madt *)buf;
	size_t len = sizeof(*m);

	if (size < len + ncpus * sizeof(struct madt_local_x2apic) + sizeof(struct madt_io_apic) +
			   sizeof(struct madt_iso))
		return 0;
	memset(buf, 0, size);
	for (size_t i = 0; i < ncpus; i++) {
		uint32_t flags = cpus[i].enabled ? MADT_LAPIC_ENABLED : 0;
		if (cpus[i].apic_id < 0xFF) {
			struct madt_local_apic e = { MADT_TYPE_LOCAL_APIC, sizeof(e), (uint8_t)i, (uint8_t)cpus[i].apic_id,
						     flags };
			memcpy(buf + len, &e, sizeof(e));
			len += sizeof(e);
		} else {
			struct madt_local_x2apic e = { MADT_TYPE_LOCAL_X2APIC, sizeof(e), 0, cpus[i].apic_id, flags,
						       (uint32_t)i };
			memcpy(buf + len, &e, sizeof(e));
			len += sizeof(e);
		}
	}
	struct madt_io_apic io = { MADT_TYPE_IO_APIC, sizeof(io), io_apic_id, 0, IO_APIC_BASE, IO_APIC_GSI_BASE };
	memcpy(buf + len, &io, sizeof(io));
	len += sizeof(io);
	struct madt_iso iso = { MADT_TYPE_ISO, sizeof(iso), 0, ISA_IRQ_TIMER, GSI_TIMER, 0 };
	memcpy(buf + len, &iso, sizeof(iso));
	len += sizeof(iso);

	acpi_header_init(&m->header, "APIC", (uint32_t)len, 3);
	m->local_apic_address = LOCAL_APIC_BASE;
	m->flags = MADT_PCAT_COMPAT;
	acpi_header_seal(m);
	return len;
}

/* ---- what the firmware already publishes ---- */
static const struct acpi_rsdp *rsdp_find(void)
{
	EFI_GUID acpi20 = EFI_ACPI_20_TABLE_GUID_VX, acpi10 = EFI_ACPI_10_TABLE_GUID_VX;
	const struct acpi_rsdp *v1 = NULL;

	for (UINTN i = 0; i < g_st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &g_st->ConfigurationTable[i];
		if (!memcmp(&t->VendorGuid, &acpi20, sizeof(EFI_GUID)))
			return t->VendorTable;
		if (!memcmp(&t->VendorGuid, &acpi10, sizeof(EFI_GUID)))
			v1 = t->VendorTable;
	}
	return v1;
}

/* The published table with this signature (XSDT first, else RSDT), or NULL. */
static const struct acpi_header *acpi_find_table(const struct acpi_rsdp *rsdp, const char sig[4])
{
	if (!rsdp || memcmp(rsdp->signature, "RSD PTR ", 8) != 0)
		return NULL;
	bool x = rsdp->revision >= 2 && rsdp->xsdt_address;
	const struct acpi_header *sdt =
		(const void *)(uintptr_t)(x ? rsdp->xsdt_address : (uint64_t)rsdp->rsdt_address);
	if (!sdt || sdt->length < sizeof(*sdt))
		return NULL;
	size_t esz = x ? 8 : 4;
	size_t n = (sdt->length - sizeof(*sdt)) / esz;
	const uint8_t *entries = (const uint8_t *)sdt + sizeof(*sdt);

	for (size_t i = 0; i < n; i++) {
		uint64_t addr = 0;
		memcpy(&addr, entries + i * esz, esz); /* entries are not 8-byte aligned */
		const struct acpi_header *h = (const void *)(uintptr_t)addr;
		if (h && !memcmp(h->signature, sig, 4))
			return h;
	}
	return NULL;
}

/* "FACP APIC ..." for the published tables. */
static void acpi_list_tables(const struct acpi_rsdp *rsdp, char *out, size_t size)
{
	static const char *const sigs[] = { "FACP", "APIC", "HPET", "MCFG", "SSDT", "BGRT", "WAET" };
	size_t n = 0;

	out[0] = 0;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]) && n + 6 < size; i++)
		if (acpi_find_table(rsdp, sigs[i]))
			n += fmt_snprintf(out + n, size - n, "%s%s", n ? " " : "", sigs[i]);
}

/* ---- CPUs ---- */
static size_t cpus_collect(struct cpu_entry *cpus, size_t max)
{
	EFI_GUID mp_guid = EFI_MP_SERVICES_PROTOCOL_GUID_VX;
	struct mp_services_protocol *mp = NULL;
	UINTN count = 0, enabled = 0;
	EFI_STATUS s = uefi_call_wrapper(BS->LocateProtocol, 3, &mp_guid, NULL, (void **)&mp);

	if (EFI_ERROR(s) || !mp) {
		say("no MP services protocol (status 0x%lx): describing the boot CPU only", (unsigned long)s);
		return 0;
	}
	s = uefi_call_wrapper(mp->get_number_of_processors, 3, mp, &count, &enabled);
	if (EFI_ERROR(s) || count == 0) {
		say("GetNumberOfProcessors failed (status 0x%lx)", (unsigned long)s);
		return 0;
	}
	if (count > max) {
		say("%lu processors, describing the first %lu", (unsigned long)count, (unsigned long)max);
		count = max;
	}
	size_t n = 0;
	for (size_t pass = 0; pass < 2; pass++) { /* the BSP first, then the APs in order */
		for (UINTN i = 0; i < count; i++) {
			struct mp_processor_info info = { 0 };
			s = uefi_call_wrapper(mp->get_processor_info, 3, mp, i, &info);
			if (EFI_ERROR(s)) {
				say("GetProcessorInfo(%lu) failed (status 0x%lx)", (unsigned long)i, (unsigned long)s);
				return 0;
			}
			if ((pass == 0) != !!(info.status_flag & MP_PROC_BSP))
				continue;
			cpus[n].apic_id = (uint32_t)info.processor_id;
			cpus[n].enabled = info.status_flag & MP_PROC_ENABLED;
			n++;
		}
	}
	say("MP services: %lu processors, %lu enabled", (unsigned long)count, (unsigned long)enabled);
	return n;
}

/* The boot CPU's initial APIC ID (CPUID.1:EBX[31:24]): the MADT when MP services is absent. */
static uint32_t cpu_bsp_apic_id(void)
{
	uint32_t a = 1, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return b >> 24;
}

/* ---- installation ---- */
static struct acpi_facs g_facs __attribute__((aligned(64)));
static struct acpi_dsdt g_dsdt;
static struct acpi_fadt g_fadt;
static uint8_t g_madt[sizeof(struct acpi_madt) + MAX_CPUS * sizeof(struct madt_local_x2apic) + 64];

static bool table_install(struct acpi_table_protocol *proto, void *table, size_t len, const char *name)
{
	UINTN key = 0;
	EFI_STATUS s = uefi_call_wrapper(proto->install_acpi_table, 4, proto, table, (UINTN)len, &key);

	if (EFI_ERROR(s)) {
		say("InstallAcpiTable(%s) failed (status 0x%lx)", name, (unsigned long)s);
		return false;
	}
	return true;
}

static void cpus_describe(const struct cpu_entry *cpus, size_t n, char *out, size_t size)
{
	size_t len = 0;

	out[0] = 0;
	for (size_t i = 0; i < n && len + 12 < size; i++)
		len += fmt_snprintf(out + len, size - len, "%s%u%s", i ? " " : "", cpus[i].apic_id,
				    cpus[i].enabled ? "" : "(disabled)");
}

/* After installing: the firmware's FADT must point at the FACS and DSDT. */
static bool acpi_verify(void)
{
	const struct acpi_rsdp *rsdp = rsdp_find();
	const struct acpi_fadt *f = (const void *)acpi_find_table(rsdp, "FACP");
	char list[64];

	if (!f) {
		say("FAIL: no FADT published after installing");
		return false;
	}
	uint64_t facs = f->x_firmware_ctrl ? f->x_firmware_ctrl : f->firmware_ctrl;
	uint64_t dsdt = f->x_dsdt ? f->x_dsdt : f->dsdt;
	acpi_list_tables(rsdp, list, sizeof(list));
	say("published: RSDP rev %u at 0x%lx, tables %s; FADT at 0x%lx -> FACS 0x%lx, DSDT 0x%lx", rsdp->revision,
	    (unsigned long)(uintptr_t)rsdp, list, (unsigned long)(uintptr_t)f, (unsigned long)facs,
	    (unsigned long)dsdt);
	if (!facs || !dsdt) {
		say("FAIL: the firmware did not link FACS and DSDT into the FADT");
		return false;
	}
	return true;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	InitializeLib(image, st);
	g_st = st;

	const struct acpi_rsdp *rsdp = rsdp_find();
	if (acpi_find_table(rsdp, "FACP")) {
		char list[64];
		acpi_list_tables(rsdp, list, sizeof(list));
		say("the firmware already publishes ACPI tables (RSDP at 0x%lx: %s): nothing installed",
		    (unsigned long)(uintptr_t)rsdp, list);
		return EFI_SUCCESS;
	}

	EFI_GUID tbl_guid = EFI_ACPI_TABLE_PROTOCOL_GUID_VX;
	struct acpi_table_protocol *proto = NULL;
	EFI_STATUS s = uefi_call_wrapper(BS->LocateProtocol, 3, &tbl_guid, NULL, (void **)&proto);
	if (EFI_ERROR(s) || !proto) {
		say("FAIL: no EFI ACPI table protocol (status 0x%lx): nothing installed", (unsigned long)s);
		return EFI_UNSUPPORTED;
	}

	static struct cpu_entry cpus[MAX_CPUS];
	size_t ncpus = cpus_collect(cpus, MAX_CPUS);
	if (ncpus == 0) {
		cpus[0].apic_id = cpu_bsp_apic_id();
		cpus[0].enabled = true;
		ncpus = 1;
	}
	uint32_t max_id = 0;
	for (size_t i = 0; i < ncpus; i++)
		if (cpus[i].apic_id > max_id)
			max_id = cpus[i].apic_id;
	uint8_t io_apic_id = (uint8_t)(max_id + 1);

	facs_build(&g_facs);
	dsdt_build(&g_dsdt);
	fadt_build(&g_fadt);
	size_t madt_len = madt_build(g_madt, sizeof(g_madt), cpus, ncpus, io_apic_id);

	/* FACS and DSDT first: the driver links them into the FADT when it arrives. */
	if (!table_install(proto, &g_facs, sizeof(g_facs), "FACS") ||
	    !table_install(proto, &g_dsdt, sizeof(g_dsdt), "DSDT") ||
	    !table_install(proto, &g_fadt, sizeof(g_fadt), "FADT") ||
	    !table_install(proto, g_madt, madt_len, "MADT"))
		return EFI_DEVICE_ERROR;

	char ids[MAX_CPUS * 4];
	cpus_describe(cpus, ncpus, ids, sizeof(ids));
	say("installed FACS; DSDT with _S5_ (SLP_TYP %u); FADT: PM1a_EVT 0x%x PM1a_CNT 0x%x PM_TMR 0x%x SCI %u "
	    "SMI_CMD 0x%x reset 0x%x<-0x%x",
	    PIIX4_SLP_TYP_S5, PIIX4_PM1A_EVT, PIIX4_PM1A_CNT, PIIX4_PM_TMR, PIIX4_SCI_IRQ, PIIX4_SMI_CMD,
	    PORT_RESET_CONTROL, RESET_CONTROL_HARD);
	say("installed MADT: %lu local APICs (IDs %s), I/O APIC id %u at 0x%x GSI %u, IRQ%u -> GSI %u",
	    (unsigned long)ncpus, ids, io_apic_id, IO_APIC_BASE, IO_APIC_GSI_BASE, ISA_IRQ_TIMER, GSI_TIMER);
	return acpi_verify() ? EFI_SUCCESS : EFI_DEVICE_ERROR;
}
