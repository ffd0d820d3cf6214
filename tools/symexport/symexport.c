/* symexport: the running kernel's text symbols, in System.map format, out through Bochs's
 * port 0xE9 (its "port_e9_hack": each byte written there goes to Bochs's stdout, which
 * tools/run --port-e9 keeps in OUT/emulator.out). A static program for the initramfs of
 * tools/linux-payload; /init runs it at the end of the boot whose vmxray trace
 * tools/vmxlog names (records --system-map), so the addresses are the ones this kernel
 * runs at (KASLR included) without Debian's ~860 MB -dbg package.
 *
 *   symexport [KALLSYMS]     (default /proc/kallsyms)
 *
 * Only text symbols (types t T w W, the ones tools/vmxlog/symmap.c keeps) go out, each as
 * "ADDR TYPE NAME\n" with a module's "\t[name]" dropped, framed on their own lines by
 *   vmxray-kallsyms begin
 *   vmxray-kallsyms end symbols=N bytes=M
 * where M counts the symbol lines' bytes. The serial console (~4,350 Bochs ticks a
 * character) gets one summary line. Port 0xE9 is not a vmxray port: it is not in
 * vmx/policy/io_policy.def, so the OUTs run natively, without a VM exit.
 * Exit status: 0 exported; 2 usage; 3 port 0xE9 is not captured (a read does not answer
 * 0xE9: not Bochs, or its hack is off), nothing written; 4 ioperm refused; 5 the table
 * cannot be read or its addresses are hidden (kptr_restrict); 6 out of memory. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <time.h>

#include "tools/symexport/kallsyms_line.h"

#define E9_PORT 0xE9

static double seconds(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void e9_write(const char *p, size_t n)
{
	outsb(E9_PORT, p, n); /* REP OUTSB: one instruction for the whole buffer */
}

/* kptr_restrict 0 or 1 shows root (CAP_SYSLOG) the addresses; 2 hides them from all. */
static void kptr_unrestrict(void)
{
	FILE *f = fopen("/proc/sys/kernel/kptr_restrict", "w");

	if (f) {
		fputs("0\n", f);
		fclose(f);
	}
}

/* The text symbols of path, in System.map form, into *out (*len bytes, *n_sym lines): 0, or
 * symexport's exit status with its console line printed. */
static int read_table(const char *path, char **out, size_t *len, size_t *n_sym)
{
	size_t cap = 1 << 22, n_zero = 0;
	char line[512], *buf;
	FILE *f = fopen(path, "r");

	*len = *n_sym = 0;
	if (!f) {
		printf("symexport: %s: %s: nothing exported\n", path, strerror(errno));
		return 5;
	}
	buf = malloc(cap);
	while (buf && fgets(line, sizeof(line), f)) {
		bool zero = false;
		if (*len + sizeof(line) + 1 > cap) {
			char *more = realloc(buf, cap *= 2);
			if (!more)
				free(buf);
			buf = more;
			if (!buf)
				break;
		}
		size_t n = kallsyms_map_line(line, buf + *len, sizeof(line), &zero);
		if (n) {
			buf[*len + n] = '\n';
			*len += n + 1;
			++*n_sym;
			n_zero += zero;
		}
	}
	fclose(f);
	if (!buf) {
		printf("symexport: out of memory after %zu symbols: nothing exported\n", *n_sym);
		return 6;
	}
	if (*n_sym == 0 || n_zero == *n_sym) {
		printf("symexport: %s: %zu text symbols, %zu with address 0 (kptr_restrict?): nothing exported\n",
		       path, *n_sym, n_zero);
		free(buf);
		return 5;
	}
	*out = buf;
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/proc/kallsyms";
	char head[] = "\nvmxray-kallsyms begin\n", tail[96], *buf = NULL;
	struct timespec t0, t1, t2;
	size_t len, n_sym;
	int rc;

	if (argc > 2) {
		fprintf(stderr, "usage: symexport [KALLSYMS]\n");
		return 2;
	}
	if (ioperm(E9_PORT, 1, 1) != 0) {
		printf("symexport: ioperm(0xE9): %s: nothing exported\n", strerror(errno));
		return 4;
	}
	if (inb(E9_PORT) != E9_PORT) {
		printf("symexport: port 0xE9 is not captured (not Bochs with port_e9_hack): nothing exported\n");
		return 3;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	kptr_unrestrict();
	rc = read_table(path, &buf, &len, &n_sym);
	if (rc)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	int tn = snprintf(tail, sizeof(tail), "vmxray-kallsyms end symbols=%zu bytes=%zu\n", n_sym, len);
	e9_write(head, sizeof(head) - 1);
	e9_write(buf, len);
	e9_write(tail, (size_t)tn);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	/* guest time: in Bochs (ips=50000000 in tools/run) 1 s is 50 million instructions */
	printf("symexport: %zu text symbols (%zu bytes) of %s out through port 0xE9: read in %.3f s, written in %.3f s\n",
	       n_sym, len, path, seconds(&t0, &t1), seconds(&t1, &t2));
	free(buf);
	return 0;
}
