#!/usr/bin/env bash
# Nested QEMU/KVM (-enable-kvm -cpu host): the test bed of real users. Runs only on an
# Intel host with kvm_intel nested=1; anywhere else it is skipped, with the reason.
# Two boots, 2 CPUs each: vmxray + vmxtest from the shell, then Debian's stock kernel under
# vmxray (as 65-linux-vmxray.sh; QEMU's OVMF publishes its own ACPI tables, so
# acpitables.efi installs nothing there).
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
guest_checks nested_kvm.vmxtest "$(guest_results "$out")"

lout=$B/it/qemu-kvm-linux
linux_image nested_linux "$lout" with-vmxray
boot nested_linux --bed qemu-kvm --smp 2 --timeout 600 --out "$lout" --image "$lout/disk.img"
log=$lout/serial.log
expect nested_linux.launched "$log" 'info: vmxray is running: the firmware continues as its guest on 2 CPU'
expect nested_linux.cpus_online "$log" '^LINUXTEST: cpus_online=2$'
expect nested_linux.hypervisor_flag_every_cpu "$log" '^LINUXTEST: hypervisor_flag_cpus=2$'
expect nested_linux.no_vmx_flag "$log" '^LINUXTEST: vmx_flag=no$'
expect nested_linux.cpuid_signature "$log" '^LINUXTEST: cpuid_hypervisor_vendor=VmxRayVmxRay$'
expect nested_linux.power_down "$log" 'reboot: Power down'
expect nested_linux.stats_at_power_off "$log" 'info: STATS begin reason=power-off'
expect_not nested_linux.no_vmxray_panic "$log" 'PANIC|root-mode exception' 'info: STATS end exits='
clean "$log" | grep -a -E 'STATS (total|end)|IPI cpu' | sed 's/^.*\] info: /INFO /'
finish
