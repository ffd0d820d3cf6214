#!/usr/bin/env bash
# QEMU without KVM emulates no VT-x: vmxray says so plainly and the shell keeps working.
source "$(dirname "$0")/lib.bash"
command -v qemu-system-x86_64 >/dev/null || { skip qemu_tcg "qemu-system-x86_64 is not installed"; exit 77; }
out=$B/it/qemu-tcg
boot qemu_tcg --bed qemu-tcg --smp 1 --timeout 300 --out "$out" \
	--shell '\EFI\vmxray\vmxray.efi;echo SHELL-AFTER-REFUSAL'
expect qemu_tcg.banner "$out/serial.log" 'info: vmxray [0-9]+\.[0-9]+ .* starting'
expect qemu_tcg.vtx_absent "$out/serial.log" 'error: this CPU does not support VT-x \(CPUID.1:ECX.VMX\[bit 5\] = 0\)'
expect_order qemu_tcg.shell_keeps_working "$out/serial.log" 'does not support VT-x' '^SHELL-AFTER-REFUSAL'
finish
