#!/usr/bin/env bash
# The USB-stick image as a user writes it (make image): the firmware starts
# \EFI\BOOT\BOOTX64.EFI = vmxray, which launches and then chain-loads the boot option
# after its own in BootOrder (in Bochs: the UEFI shell, which runs startup.nsh; hvctl there
# answers through the hypercall interface, proving the
# next stage runs as vmxray's guest), and vmxray prints its statistics at power-off.
source "$(dirname "$0")/lib.bash"
out=$B/it/usb
mkdir -p "$out"
printf '%s\n' '@echo -off' 'echo CHAINED-STAGE-RUNS' 'fs0:' '\EFI\vmxray\hvctl.efi version' 'reset -s' >"$out/startup.nsh"
B=$B "$here/tools/mkimage" usb "$out/disk.img" --cfg "log=info" --startup "$out/startup.nsh" || {
	fail usb.image "tools/mkimage failed"
	finish
}
boot usb --bed bochs --smp 1 --timeout 300 --out "$out" --image "$out/disk.img"
log=$out/serial.log
expect usb.vmxray_from_bootx64 "$log" 'info: vmxray is running: the firmware continues as its guest'
expect usb.chain_next_option "$log" 'info: chain: starting boot option Boot[0-9A-F]{4}'
expect_order usb.next_stage_runs "$log" 'chain: starting boot option' '^CHAINED-STAGE-RUNS'
expect usb.next_stage_is_guest "$log" '^vmxray [0-9]+\.[0-9]+$'
expect usb.stats_at_power_off "$log" 'info: STATS begin reason=power-off'
finish
