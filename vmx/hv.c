/* The hypervisor's one global state (vmx/hv.h), defined here, below every file that uses
 * it: boot/ fills it before launch, vmx/ reads it in root mode. No code. */
#include "vmx/hv.h"

struct hv g_hv;
