/* vmxlog: turns a vmxray serial log into readable tables. See docs/VMXLOG.md. */
#include <stdio.h>

#include "tools/vmxlog/cli.h"

int main(int argc, char **argv)
{
	return vmxlog_main(argc, argv, stdout, stderr);
}
