/* vmxlog's command line, callable from tests. */
#ifndef VMXRAY_TOOLS_VMXLOG_CLI_H
#define VMXRAY_TOOLS_VMXLOG_CLI_H
#include <stdio.h>

/* Exit statuses. */
#define VMXLOG_OK 0
#define VMXLOG_NO_RECORDS 1 /* the log holds none of the records asked for */
#define VMXLOG_USAGE 2      /* bad command line, or a file that cannot be read */

/* Runs "vmxlog ARGS..." (argv[0] is the program name); reports go to out, messages to err. */
int vmxlog_main(int argc, char **argv, FILE *out, FILE *err);

#endif
