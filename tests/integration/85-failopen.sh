#!/usr/bin/env bash
# vmxray's fail-open paths and the unexpected-exit policy in Bochs (corei7_haswell_4770,
# 1 CPU), each provoked on purpose (test= flags, boot/config.c), all in one boot that
# powers off at the end (tools/run appends `reset -s`):
#   fcl        test=feature-control-locked: IA32_FEATURE_CONTROL read as locked with VMX
#              off: one message, vmxray returns to the firmware unchanged
#   nomem      test=no-memory: a 4-page pool: "out of memory", back to the firmware, the
#              reservation freed
#   unexpected test=unexpected-exit: RDPMC exiting without a handler; the guest's RDPMC
#              (tests/guest/vmxcall.efi rdpmc) gets an error line, a VMCS dump and #UD,
#              and the firmware goes on under vmxray (vmxtest passes, the shell works)
# The launch after two failed ones also shows that a failed launch leaves nothing behind.
source "$(dirname "$0")/lib.bash"
vmxray='\EFI\vmxray\vmxray.efi'
vmxcall='\EFI\vmxray\vmxcall.efi'
vmxtest='\EFI\vmxray\vmxtest.efi'

out=$B/it/failopen
log=$out/serial.log
rm -f "$log"
boot failopen --bed bochs --cpu corei7_haswell_4770 --smp 1 --out "$out" --timeout 300 \
	--shell "$vmxray test=feature-control-locked;echo AFTER-FCL;$vmxray test=no-memory;echo AFTER-NOMEM;$vmxray test=unexpected-exit;$vmxcall rdpmc;echo AFTER-RDPMC;$vmxtest quick;echo SHELL-STILL-ALIVE"

# ---- fcl: VT-x locked off in IA32_FEATURE_CONTROL ----
expect fcl.test_hook "$log" 'info: test=feature-control-locked: treating IA32_FEATURE_CONTROL as 0x1 '
expect fcl.message "$log" 'error: VT-x is disabled in the firmware setup \(IA32_FEATURE_CONTROL is locked with VMX disabled\)$'
expect_order fcl.returns_unchanged "$log" 'VT-x is disabled in the firmware setup' 'error: vmxray cannot start on this machine; returning to the firmware unchanged'
expect_order fcl.status "$log" 'VT-x is disabled in the firmware setup' '^vmxray: not started \(status Unsupported\); the boot continues without it'
expect_order fcl.shell_continues "$log" 'VT-x is disabled in the firmware setup' '^AFTER-FCL'

# ---- nomem: the page pool is too small ----
expect nomem.test_hook "$log" 'info: test=no-memory: cutting the page pool to 4 pages'
expect_order nomem.message "$log" '^AFTER-FCL' 'error: out of memory: the reservation is too small \(page pool 16 KiB, [0-9]+ KiB of it handed out\)$'
expect_order nomem.returns_unchanged "$log" 'error: out of memory' 'error: vmxray cannot start on this machine; returning to the firmware unchanged'
expect_order nomem.status "$log" 'error: out of memory' '^vmxray: not started \(status Out of Resources\); the boot continues without it'
expect_order nomem.shell_continues "$log" 'error: out of memory' '^AFTER-NOMEM'

# ---- the launch after the two failed ones ----
expect_order relaunch.running "$log" '^AFTER-NOMEM' 'info: vmxray is running: the firmware continues as its guest on 1 CPU'
expect relaunch.test_hook "$log" 'info: test=unexpected-exit: RDPMC exiting on'
# A failed launch frees its reservation: the next launch gets the same pages back.
bases=$(clean "$log" | grep -aoE 'info: memory: [0-9]+ KiB reserved at 0x[0-9a-f]+' | awk '{print $NF}')
if [ "$(wc -l <<<"$bases")" -eq 3 ] && [ "$(sort -u <<<"$bases" | wc -l)" -eq 1 ]; then
	pass relaunch.reservation_reused
else
	fail relaunch.reservation_reused "reservation bases: $(tr '\n' ' ' <<<"$bases")"
fi

# ---- unexpected: an exit vmxray never asked for, caused by an instruction ----
expect unexpected.rdpmc_issued "$log" '^vmxcall: RDPMC ecx=0x0'
expect unexpected.logged "$log" 'error: unexpected VM exit 15 \(RDPMC\), qualification 0x0$'
expect_order unexpected.vmcs_dump "$log" 'unexpected VM exit 15' 'error: VMCS dump begin: unexpected VM exit'
expect unexpected.vmcs_dump_reason "$log" 'error: VMCS   ~ VM_EXIT_REASON: RDPMC \(15\)'
expect unexpected.guest_gets_ud "$log" '^vmxcall: RDPMC raised #UD'
expect_order unexpected.shell_continues "$log" 'RDPMC raised #UD' '^AFTER-RDPMC'
guest_checks unexpected.vmxtest "$(guest_results "$(dirname "$log")")"
expect_order unexpected.shell_keeps_working "$log" '^vmxtest: [0-9]+ passed' '^SHELL-STILL-ALIVE'
expect_not failopen.no_panic "$log" 'PANIC|resetting the system|root-mode exception' 'info: STATS end exits='
# Exactly one unexpected exit in the whole boot, and it is the RDPMC one (reason 15).
unexpected=$(clean "$log" | grep -aoE 'unexpected VM exit [0-9]+ ' | sort | uniq -c | sed 's/^ *//' | tr '\n' ';')
if [ "$unexpected" = "1 unexpected VM exit 15 ;" ] && evidence "$log" 'info: STATS end exits='; then
	pass failopen.one_unexpected_exit
else
	fail failopen.one_unexpected_exit "unexpected exits seen: '${unexpected:-none}' (want exactly one, reason 15, in a boot that reached STATS)"
fi
finish
