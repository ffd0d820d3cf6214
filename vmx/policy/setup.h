/* What vmxray asks of VMX: the requested controls, and the MSR and I/O bitmaps that
 * decide which accesses exit (vmx/policy/setup.c). Pure. */
#ifndef VMXRAY_VMX_SETUP_H
#define VMXRAY_VMX_SETUP_H
#include <stdbool.h>
#include <stdint.h>

#include "vmx/caps/caps.h"

void setup_control_request(struct vmx_ctrl_request *r);
void msr_bitmap_intercept(uint8_t *bm, uint32_t msr, bool read, bool write);
bool msr_bitmap_intercepts(const uint8_t *bm, uint32_t msr, bool write);
void setup_msr_bitmap(uint8_t *bm);
void io_bitmap_intercept(uint8_t *a, uint8_t *b, uint16_t port);
void setup_io_bitmaps(uint8_t *a, uint8_t *b, uint16_t pm1a_cnt);
/* intercept=msr and intercept=io: every access exits (rows: bits of enum intercept_id). */
void setup_intercept_bitmaps(uint32_t rows, uint8_t *msr, uint8_t *io_a, uint8_t *io_b);

#endif
