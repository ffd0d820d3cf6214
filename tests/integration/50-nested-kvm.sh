#!/usr/bin/env bash
# Nested QEMU/KVM (-enable-kvm -cpu host): the test bed of real users. Runs only on an
# Intel host with kvm_intel nested=1; anywhere else it is skipped, with the reason.
source "$(dirname "$0")/lib.bash"
why=$("$here/tools/run" --bed qemu-kvm --image /nonexistent --timeout 1 --quiet 2>&1 | grep -o 'qemu-kvm is unavailable: .*')
if [ -n "$why" ]; then
	skip nested_kvm "${why#qemu-kvm is unavailable: }"
	exit 77
fi
out=$B/it/qemu-kvm
boot nested_kvm --bed qemu-kvm --smp 2 --timeout 300 --out "$out" \
	--shell '\EFI\vmxray\vmxray.efi;\EFI\vmxray\vmxtest.efi;echo SHELL-STILL-ALIVE'
expect nested_kvm.launched "$out/serial.log" 'info: vmxray is running'
vmxtest_summary nested_kvm.vmxtest "$out/serial.log"
finish
