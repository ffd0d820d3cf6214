#!/usr/bin/env bash
# The same launch and in-guest checks on Bochs's Skylake-X and Tiger Lake models
# (another VMCS revision id, more secondary controls).
source "$(dirname "$0")/lib.bash"
for cpu in corei7_skylake_x tigerlake; do
	out=$B/it/$cpu
	boot "$cpu" --bed bochs --cpu $cpu --smp 1 --timeout 420 --out "$out" \
		--shell '\EFI\vmxray\vmxray.efi;\EFI\vmxray\vmxtest.efi quick;echo SHELL-STILL-ALIVE'
	expect "$cpu.launched" "$out/serial.log" 'info: vmxray is running'
	guest_checks "$cpu.vmxtest" "$(guest_results "$out")"
	expect_order "$cpu.shell_keeps_working" "$out/serial.log" '^vmxtest: [0-9]+ passed' '^SHELL-STILL-ALIVE'
done
expect tigerlake.revision "$B/it/tigerlake/serial.log" 'CAPS BASIC 0x01d8100000000004: revision=0x4 '
finish
