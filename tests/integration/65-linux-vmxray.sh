#!/usr/bin/env bash
# Debian's stock Linux kernel, unmodified, booting under vmxray in Bochs: the UEFI shell
# runs acpitables.efi, then vmxray.efi (the firmware continues as its guest), then the
# kernel's EFI stub. From inside Linux, /init reports the CPU flags and vmxray's CPUID
# signature, then powers off; vmxray prints its statistics first.
# Two CPUs: Linux starts its AP with INIT-SIPI-SIPI while both already run under vmxray,
# which delivers them in software (ipi=soft, vmx/exit_apic.c; Debian's Bochs 2.7 never
# clears an INIT that caused a VM exit, docs/ARCHITECTURE.md "INIT and SIPI between processors").
# LINUX_SMP=1 boots one CPU (tools/bench's Linux overhead figure).
# The initramfs runs the Linux hvctl (tests/integration/hvctl_linux.bash has its checks).
# With 2 CPUs vmxray runs with user_hypercalls=on: hvctl's version, stats and log must
# agree with what vmxray prints, and its self-test's bad buffers must be refused. With
# one CPU (the overhead figure) the option stays off: hvctl must say so, and every call
# must raise #UD. LINUX_USER_HYPERCALLS=on|off overrides.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/hvctl_linux.bash"
smp=${LINUX_SMP:-2}
user_hc=${LINUX_USER_HYPERCALLS:-$([ "$smp" -gt 1 ] && echo on || echo off)}
out=$B/it/linux-vmxray${LINUX_SMP:+-$smp}
linux_image linux_vmxray "$out" with-vmxray "user_hypercalls=$user_hc"

start=$(date +%s)
boot linux_vmxray --bed bochs --cpu corei7_haswell_4770 --smp "$smp" --megs 256 --timeout 900 \
	--out "$out" --image "$out/disk.img"
wall=$(($(date +%s) - start))
log=$out/serial.log

expect linux_vmxray.launched "$log" 'info: vmxray is running: the firmware continues as its guest'
expect linux_vmxray.kernel_started "$log" 'Linux version [0-9]'
expect linux_vmxray.init_done "$log" '^LINUXTEST: done'
expect linux_vmxray.cpus_online "$log" "^LINUXTEST: cpus_online=$smp\$"
expect linux_vmxray.hypervisor_flag "$log" '^LINUXTEST: hypervisor_flag=yes$'
expect linux_vmxray.hypervisor_flag_every_cpu "$log" "^LINUXTEST: hypervisor_flag_cpus=$smp\$"
if [ "$smp" -gt 1 ]; then
	expect linux_vmxray.smp_brought_up "$log" "smp: Brought up 1 node, $smp CPUs"
	expect linux_vmxray.ipi_in_software "$log" 'info: IPI cpu[0-9]+ init=[1-9][0-9]* sipi=[1-9]'
	expect_not linux_vmxray.no_ipi_fallback "$log" 'APIC-page intercept off|not taken yet' 'info: STATS end exits='
fi
expect linux_vmxray.no_vmx_flag "$log" '^LINUXTEST: vmx_flag=no$'
expect linux_vmxray.cpuid_signature "$log" '^LINUXTEST: cpuid_hypervisor_vendor=VmxRayVmxRay$'
expect linux_vmxray.power_down "$log" 'reboot: Power down'
expect linux_vmxray.stats_at_power_off "$log" 'info: STATS begin reason=power-off'
expect linux_vmxray.stats_total "$log" 'info: STATS end exits=[0-9]+'
expect_not linux_vmxray.no_kernel_panic "$log" 'Kernel panic' 'info: STATS end exits='
expect_not linux_vmxray.no_vmxray_panic "$log" 'PANIC|root-mode exception' 'info: STATS end exits='
expect_not linux_vmxray.no_foreign_ept_violation "$log" 'EPT violation #[0-9]+ \(outside vmxray memory' 'info: STATS end exits='
hvctl_linux_checks linux_vmxray.hvctl "$log" "$user_hc"

ticks=$(grep -a -m1 'ACPI control: soft power off' "$out/emulator.log" 2>/dev/null | grep -oE '^[0-9]+' | sed 's/^0*//')
echo "INFO linux_vmxray_ticks=${ticks:-unknown}"
echo "INFO linux_vmxray_wall_s=$wall"
clean "$log" | grep -a -E 'STATS (total|end)' | sed 's/^.*STATS /INFO STATS /'
finish
