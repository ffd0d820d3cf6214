#!/usr/bin/env bash
# A machine without COM1, like most laptops: QEMU q35 (TCG: no VT-x, so vmxray refuses)
# with no ISA serial port and one PCI 16550 (class 07/00/02) whose output goes to a file.
# serial=auto (the default) must find the PCI UART by scanning PCI and send vmxray's own
# lines there: the banner, the serial line saying which UART and why, the refusal.
# QEMU is run from here: tools/run has no way to drop the ISA port or add a PCI one.
source "$(dirname "$0")/lib.bash"
command -v qemu-system-x86_64 >/dev/null || { skip qemu_pci_serial "qemu-system-x86_64 is not installed"; exit 77; }
ovmf_code=/usr/share/OVMF/OVMF_CODE.fd ovmf_vars=/usr/share/OVMF/OVMF_VARS.fd
[ -r "$ovmf_code" ] || { skip qemu_pci_serial "$ovmf_code is missing (run tools/deps test)"; exit 77; }
out=$B/it/qemu-pci-serial
rm -rf "$out"
mkdir -p "$out"
printf '%s\n' '@echo -off' 'fs0:' '\EFI\vmxray\vmxray.efi' 'echo SHELL-AFTER-REFUSAL' 'reset -s' >"$out/startup.nsh"
if ! B=$B "$here/tools/mkimage" shell "$out/disk.img" --startup "$out/startup.nsh" --cfg "console=off" \
	>"$out/mkimage.log" 2>&1; then
	fail qemu_pci_serial.image "tools/mkimage failed: $(tail -1 "$out/mkimage.log")"
	finish
fi
cp "$ovmf_vars" "$out/vars.fd"
: >"$out/pci-serial.log"
# -nodefaults: no ISA serial, parallel or network device; the only UART is the PCI one.
timeout 300 qemu-system-x86_64 -machine q35 -nodefaults -m 256 -smp 1 -no-reboot -display none \
	-monitor none -accel tcg -cpu max \
	-chardev "file,id=pciser,path=$out/pci-serial.log" -device pci-serial,chardev=pciser \
	-drive "if=pflash,format=raw,readonly=on,file=$ovmf_code" \
	-drive "if=pflash,format=raw,file=$out/vars.fd" \
	-drive "format=raw,file=$out/disk.img" >"$out/emulator.log" 2>&1 </dev/null
rc=$?
case $rc in
0) pass qemu_pci_serial.powered_off ;;
124) fail qemu_pci_serial.powered_off "timeout: the guest never powered off" ;;
*) fail qemu_pci_serial.powered_off "qemu exited $rc: $(tail -1 "$out/emulator.log")" ;;
esac
log=$out/pci-serial.log
expect qemu_pci_serial.banner "$log" 'info: vmxray [0-9]+\.[0-9]+ .* starting'
expect qemu_pci_serial.options "$log" 'info: options: .*console=off'
expect qemu_pci_serial.serial_line "$log" \
	'info: serial: PCI [0-9a-f]{2}:[0-9a-f]{2}\.[0-7] at 0x[0-9a-f]+ \(auto: .*no COM1, PCI [0-9a-f:.]+ is a 16550, PCI [0-9a-f:.]+ answers\)'
expect qemu_pci_serial.vtx_absent "$log" 'error: this CPU does not support VT-x \(CPUID.1:ECX.VMX\[bit 5\] = 0\)'
expect_order qemu_pci_serial.refusal_after_serial_line "$log" 'info: serial: PCI' 'does not support VT-x'
finish
