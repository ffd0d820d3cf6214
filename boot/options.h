/* vmxray's options: `key=value` words from the command line (load options) and the
 * same keys, one per line, from \EFI\vmxray\vmxray.cfg. Pure: no EFI here.
 *
 * Every key is declared once in OPTIONS_TABLE (boot/options.c); the error text for a
 * bad value names the key and lists the valid values. */
#ifndef VMXRAY_BOOT_OPTIONS_H
#define VMXRAY_BOOT_OPTIONS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/log.h"
#include "drivers/uart16550.h"
#include "vmx/policy/trace_filter.h"

#define OPT_PATH_MAX 256
#define OPT_LIST_MAX 256
#define OPT_ERROR_MAX 256
#define OPT_DUMP_COUNT_MAX 1000000u /* dump=REASON:COUNT */
#define OPT_EXIT_REASON_SLOTS 80     /* dumps exist for reasons below this (VMX_EXIT_REASON_SLOTS) */

enum opt_console { OPT_CONSOLE_AUTO, OPT_CONSOLE_ON, OPT_CONSOLE_OFF };

/* serial=: auto (the zero value, the default), PORT, mmio:ADDR[,stride], pci:BB:DD.F, none.
 * Which UART auto takes, and why, is decided at start (boot/serial_select.c). */
enum opt_serial_mode { OPT_SERIAL_AUTO = 0, OPT_SERIAL_PORT, OPT_SERIAL_MMIO, OPT_SERIAL_PCI, OPT_SERIAL_NONE };

struct opt_serial {
	enum opt_serial_mode mode;
	struct uart_desc at;        /* PORT, MMIO */
	uint8_t bus, dev, fn;       /* PCI */
};

struct vmxray_options {
	uint16_t serial_port;       /* serial=PORT, 0x3f8 for auto, 0 for none, mmio: and pci: */
	struct opt_serial serial;   /* the serial= form in full */
	uint32_t logbuf_kib;        /* logbuf=: the log ring in KiB; 0 = LOG_RING_DEFAULT_KIB */
	enum log_level log_level;
	enum opt_console console;   /* copy log lines to the UEFI console */
	char chain[OPT_PATH_MAX];   /* "" = default rule, "none" = do not chain */
	char chain_args[OPT_LIST_MAX]; /* load options for the chained image (kernel command line) */
	char trace[OPT_LIST_MAX];   /* exit reason names, comma separated, or "all" */
	uint8_t trace_out;          /* trace_out=: enum trace_out (vmx/policy/trace_filter.h) */
	uint32_t tracebuf_kib;      /* tracebuf=: the trace ring per CPU in KiB; 0 = TRACEBUF_DEFAULT_KIB */
	struct trace_filter trace_filter; /* trace_filter= */
	char dump[OPT_LIST_MAX];    /* exit reason name[:count], comma separated */
	bool check_every_entry;     /* check=on: run the VM-entry checker before every VMRESUME */
	uint32_t recorder_depth;    /* flight recorder entries per CPU */
	bool ipi_hardware;          /* ipi=hardware: no software INIT/SIPI (vmx/exit/exit_apic.c) */
	bool caps_full;             /* caps=full: every control bit in the CAPS matrix */
	char test[OPT_LIST_MAX];    /* test-only fault injection, see docs */
	char intercept[OPT_LIST_MAX]; /* opt-in intercepts, comma separated (vmx/policy/intercepts.def) */
	uint16_t gdb_port;          /* gdb=PORT: GDB remote stub on that 16550 (0 = off) */
	bool gdb_wait;              /* gdb_wait=on: the guest waits for gdb at launch */
	bool user_hypercalls;       /* user_hypercalls=on: CPL 3 may make the read-only hypercalls */
	bool log_tx_sync;           /* log_tx=sync: every log character waits for the UART (drivers/ulog.h) */
};

void options_set_defaults(struct vmxray_options *o);

/* Parses one "key=value" word. On error returns false and writes a message into
 * err (which names the key and the valid values). */
bool options_parse_word(struct vmxray_options *o, const char *word, size_t len, char *err,
			size_t errlen);

/* Parses a command line: words separated by blanks. A first word without '=' is the
 * program's own name (the UEFI shell passes it) and is skipped. */
bool options_parse_cmdline(struct vmxray_options *o, const char *line, char *err, size_t errlen);

/* Parses a config file: one key=value per line, blank lines and '#' comments ignored,
 * surrounding blanks trimmed. Error messages carry the line number. */
bool options_parse_config(struct vmxray_options *o, const char *text, size_t len, char *err,
			  size_t errlen);

/* Calls fn for each comma-separated item of list[0..len) (trace=, dump=, test=). */
typedef void (*options_item_fn)(void *ctx, const char *s, size_t n);
void options_for_each_item(const char *list, size_t len, options_item_fn fn, void *ctx);

/* "name[:count]": the length of the name and the count (1 without ':'). False when the
 * count is not a decimal number in 1..OPT_DUMP_COUNT_MAX. */
bool options_split_count(const char *s, size_t n, size_t *name_len, uint32_t *count);

/* The index of a test= flag name in boot/test_flags.def, or -1. */
int options_test_flag(const char *s, size_t n);

/* Writes the options in effect as one line of "key=value" words. */
size_t options_describe(const struct vmxray_options *o, char *buf, size_t len);

#endif
