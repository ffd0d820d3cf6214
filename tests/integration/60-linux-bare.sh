#!/usr/bin/env bash
# Debian's stock Linux kernel in Bochs with 2 CPUs, WITHOUT vmxray: the baseline the
# vmxray runs are compared with. The UEFI shell runs acpitables.efi (OVMF in Bochs has
# no ACPI tables of its own), then starts the kernel through its EFI stub; the initrd's
# /init prints "LINUXTEST: key=value" lines and powers off.
# Skipped (exit 77) when the Debian archive cannot be reached and no kernel is cached.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/hvctl_linux.bash"
out=$B/it/linux-bare
linux_image linux_bare "$out"

start=$(date +%s)
boot linux_bare --bed bochs --cpu corei7_haswell_4770 --smp 2 --megs 256 --timeout 900 \
	--out "$out" --image "$out/disk.img"
wall=$(($(date +%s) - start))
log=$out/serial.log

expect linux_bare.acpi_installed "$log" '^acpitables: installed MADT: 2 local APICs'
expect linux_bare.kernel_started "$log" 'Linux version [0-9]'
expect linux_bare.init_done "$log" '^LINUXTEST: done'
expect linux_bare.cpus_online "$log" '^LINUXTEST: cpus_online=2$'
expect linux_bare.smp_brought_up "$log" '^LINUXTEST: dmesg_smp=.*smp: Brought up 1 node, 2 CPUs'
expect linux_bare.vmx_flag "$log" '^LINUXTEST: vmx_flag=yes$'
expect linux_bare.no_hypervisor_flag "$log" '^LINUXTEST: hypervisor_flag=no$'
expect linux_bare.power_down "$log" 'reboot: Power down'
# The Linux hvctl without vmxray: says so, fails, and never executes VMCALL.
expect linux_bare.hvctl_not_running "$log" '^LINUXTEST: hvctl_version: vmxray is not running$'
expect linux_bare.hvctl_status "$log" '^LINUXTEST: hvctl_version_status=3$'
expect linux_bare.hvctl_no_vmcall "$log" '^LINUXTEST: hvctl_version: hvctl: vmcalls=0$'
# Its self-test does not ask CPUID: on the bare CPU every VMCALL from CPL 3 raises #UD and
# writes nothing, which is what vmxray with user_hypercalls off must look like
# (65-linux-vmxray.sh with LINUX_SMP=1 runs the same program there).
expect linux_bare.hvctl_selftest_ud "$log" '^LINUXTEST: hvctl_selftest: selftest: VMCALL from CPL 3 raised #UD'
c=$(mktemp)
clean "$log" >"$c"
hvctl_check_selftest linux_bare.hvctl "$c"
rm -f "$c"
expect_not linux_bare.no_kernel_panic "$log" 'Kernel panic' 'reboot: Power down'
# without tools/run --port-e9 /init's symexport finds no capture, says so, and writes nothing
expect linux_bare.symexport_not_captured "$log" '^symexport: port 0xE9 is not captured'

ticks=$(grep -a -m1 'ACPI control: soft power off' "$out/emulator.log" 2>/dev/null | grep -oE '^[0-9]+' | sed 's/^0*//')
echo "INFO linux_bare_ticks=${ticks:-unknown}"
echo "INFO linux_bare_wall_s=$wall"
clean "$log" | grep -a '^LINUXTEST: ' | sed 's/^/INFO /'
finish
