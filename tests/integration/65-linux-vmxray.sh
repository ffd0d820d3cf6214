#!/usr/bin/env bash
# Debian's stock Linux kernel, unmodified, booting under vmxray in Bochs: the UEFI shell
# runs acpitables.efi, then vmxray.efi (the firmware continues as its guest), then the
# kernel's EFI stub. From inside Linux, /init reports the CPU flags and vmxray's CPUID
# signature, then powers off; vmxray prints its statistics first.
# Two CPUs: Linux starts its AP with INIT-SIPI-SIPI while both already run under vmxray,
# which delivers them in software (ipi=soft, vmx/exit_apic.c; Debian's Bochs 2.7 never
# clears an INIT that caused a VM exit, docs/ARCHITECTURE.md "INIT and SIPI between processors").
# LINUX_SMP=1 boots one CPU (tools/bench's Linux overhead figure).
# The 2-CPU boot (make test's) also traces the common exits into small rings (tracebuf=8:
# 128 records per CPU, most of them overwritten and counted lost): the TRACE dump at
# power-off must parse and its counts must agree with STATS (docs/VMXLOG.md, "records").
# That boot also exports the kernel's text symbols through Bochs's port 0xE9 (tools/run
# --port-e9, /init's symexport): vmxlog names the traced RIPs' kernel functions with them,
# each checked against the table; without the export the check says SKIP and why.
# The initramfs runs the Linux hvctl (tests/integration/hvctl_linux.bash has its checks).
# With 2 CPUs vmxray runs with user_hypercalls=on: hvctl's version, stats and log must
# agree with what vmxray prints, and its self-test's bad buffers must be refused. With
# one CPU (the overhead figure) the option stays off: hvctl must say so, and every call
# must raise #UD. LINUX_USER_HYPERCALLS=on|off overrides.
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/hvctl_linux.bash"
source "$(dirname "$0")/kallsyms.bash"
smp=${LINUX_SMP:-2}
traced="cpuid,msr_read,msr_write,cr_access,xsetbv,io_instruction"
[ -n "${LINUX_SMP:-}" ] || export VMXRAY_ARGS=${VMXRAY_ARGS-"trace=$traced tracebuf=8"}
user_hc=${LINUX_USER_HYPERCALLS:-$([ "$smp" -gt 1 ] && echo on || echo off)}
out=$B/it/linux-vmxray${LINUX_SMP:+-$smp}
# 66-linux-intercept.sh compares its boot with this one: it waits on this lock while the
# boot runs (make test starts scripts two at a time).
mkdir -p "$B/it"
exec 9>"$out.lock"
flock 9
linux_image linux_vmxray "$out" with-vmxray "user_hypercalls=$user_hc"

# A traced boot also exports the kernel's text symbols through Bochs's port 0xE9 (/init's
# symexport, tools/symexport/symexport.c): the System.map vmxlog names functions with below.
e9=()
[[ "${VMXRAY_ARGS:-}" == *trace=* ]] && e9=(--port-e9)
start=$(date +%s)
boot linux_vmxray --bed bochs --cpu corei7_haswell_4770 --smp "$smp" --megs 256 --timeout 900 \
	--out "$out" --image "$out/disk.img" "${e9[@]}"
wall=$(($(date +%s) - start))
log=$out/serial.log

expect linux_vmxray.launched "$log" 'info: vmxray is running: the firmware continues as its guest'
# The serial log through its queue: the launch never waited for the UART, vmxray's lines
# are whole among Linux's console output, and all of them arrived (serial_queue.bash).
source "$(dirname "$0")/serial_queue.bash"
serial_queue_checks linux_vmxray.serial "$log"
expect linux_vmxray.kernel_started "$log" 'Linux version [0-9]'
expect linux_vmxray.init_done "$log" '^LINUXTEST: done'
expect linux_vmxray.cpus_online "$log" "^LINUXTEST: cpus_online=$smp\$"
expect linux_vmxray.hypervisor_flag "$log" '^LINUXTEST: hypervisor_flag=yes$'
expect linux_vmxray.hypervisor_flag_every_cpu "$log" "^LINUXTEST: hypervisor_flag_cpus=$smp\$"
if [ "$smp" -gt 1 ]; then
	expect linux_vmxray.smp_brought_up "$log" "smp: Brought up 1 node, $smp CPUs"
	expect linux_vmxray.ipi_in_software "$log" 'info: IPI cpu[0-9]+ init=[1-9][0-9]* sipi=[1-9]'
	# acpitables.efi's MADT, found through the EFI configuration table and parsed at
	# startup (boot/madt.c): both processors, the ones broadcasts reach outside vmxray's table.
	expect linux_vmxray.madt_read "$log" "info: MADT: $smp processors \\(of [0-9]+ entries\\)"
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

# The trace rings' dump, against STATS, from the raw lines (not through vmxlog): per CPU,
# the records written = dumped + lost + read, and written + filtered + open = the STATS
# counts of the traced reasons on that CPU (by APIC ID, from the dump's begin line).
if [ -n "${VMXRAY_ARGS:-}" ] && [[ "$VMXRAY_ARGS" == *trace=* ]]; then
	ends=$(clean "$log" | grep -aoE 'info: TRACE (begin|end) .*' | sed 's/^info: TRACE //')
	n_end=$(grep -c '^end ' <<<"$ends")
	[ "$n_end" = "$smp" ] && pass trace.ring_dumped_per_cpu || fail trace.ring_dumped_per_cpu "$n_end TRACE end line(s) for $smp CPUs"
	bad="" lost_total=0 reasons=$(tr a-z A-Z <<<"${VMXRAY_ARGS#*trace=}" | cut -d' ' -f1 | tr , '|')
	while read -r kind a b rest; do
		if [ "$kind" = begin ]; then apic=${b#apic=}; continue; fi
		declare -A f=()
		for kv in $a $b $rest; do f[${kv%%=*}]=${kv#*=}; done
		[ $((f[records] + f[lost] + f[read])) = "${f[next]}" ] || bad+=" cpu${f[cpu]}: records+lost+read=$((f[records] + f[lost] + f[read])) next=${f[next]};"
		st=$(stats_cpu_count "$log" "$apic" "$reasons")
		[ $((f[next] + f[filtered] + f[open])) = "$st" ] || bad+=" cpu${f[cpu]}: next+filtered+open=$((f[next] + f[filtered] + f[open])) STATS=$st;"
		lost_total=$((lost_total + f[lost]))
		unset f
	done <<<"$ends"
	if [ "$n_end" -gt 0 ] && [ -z "$bad" ]; then pass trace.counts_agree_with_stats; else fail trace.counts_agree_with_stats "${bad:-no TRACE end lines}"; fi
	# 128 records per CPU for ~20,000 exits: records were lost, and said so
	[ "$lost_total" -gt 0 ] && pass trace.lost_counted || fail trace.lost_counted "lost=0 with tracebuf=8 (the dump: $n_end rings)"
	# vmxlog reads every record line and agrees
	lines=$(clean "$log" | grep -acE '^\[vmxray/cpu[0-9]+\] info: TRACE [A-Za-z0-9_-]+$')
	"$B/vmxlog" records "$log" --format csv >"$out/records.csv" 2>"$out/records.err"
	parsed=$(awk -F, '$1 == "accounting" { s += $5 } END { print s + 0 }' "$out/records.csv")
	agree=$(awk -F, '$1 == "accounting" && $NF != "yes"' "$out/records.csv")
	if [ "$lines" -gt 0 ] && [ "$parsed" = "$lines" ] && [ -z "$agree" ] && grep -q '^reasons,CPUID,' "$out/records.csv"; then
		pass trace.vmxlog_reads_dump
	else fail trace.vmxlog_reads_dump "$lines record lines, vmxlog: dumped=$parsed ${agree:+disagrees: $agree} $(head -c 200 "$out/records.err")"; fi
	# The System.map: the kernel's own table from this boot (/init's symexport, through port
	# 0xE9 into emulator.out), else a real one in the payload (LINUX_SYSTEM_MAP=dbg).
	map=$out/kallsyms.map why=""
	kallsyms_extract "$out/emulator.out" "$map" "$log" || why=$KALLSYMS_WHY
	if [ -z "$why" ]; then echo "INFO kallsyms_exported=$(wc -l <"$map") symbols, $(wc -c <"$map") bytes"
	else echo "INFO kallsyms_not_exported: $why"; fi
	if [ -n "$why" ] && is_system_map "$B/linux-payload/System.map"; then map=$B/linux-payload/System.map; fi
	if is_system_map "$map"; then
		"$B/vmxlog" records "$log" --system-map "$map" --format csv >"$out/functions.csv" 2>>"$out/records.err"
		# the last records before power-off: /init's CPUIDs (user space) and the kernel's
		# port I/O on the way down (i8042, ACPI), which the map must name
		if grep -qE '^top_functions,[A-Z_]+,[a-z_][a-z0-9_.]*,[0-9]+,' "$out/functions.csv"; then pass "trace.vmxlog_names_kernel_functions ($(basename "$map"))"
		else fail trace.vmxlog_names_kernel_functions "no kernel function in vmxlog's top_functions ($(grep -c top_functions "$out/functions.csv") rows; $(head -c 200 "$out/records.err"))"; fi
		# each named RIP checked against the table itself: the symbol is the last one at or
		# below the RIP (any alias at that address), the offset the difference
		verdict=$(symbols_check_rips "$out/functions.csv" "$map")
		case $verdict in
		ok\ *) pass "trace.kernel_rips_in_symbols (${verdict#ok })" ;;
		*) fail trace.kernel_rips_in_symbols "$verdict" ;;
		esac
	else
		skip trace.vmxlog_names_kernel_functions "no System.map: $why; no real one in the payload either (LINUX_SYSTEM_MAP=dbg tools/linux-payload)"
	fi
fi

ticks=$(grep -a -m1 'ACPI control: soft power off' "$out/emulator.log" 2>/dev/null | grep -oE '^[0-9]+' | sed 's/^0*//')
echo "INFO linux_vmxray_ticks=${ticks:-unknown}"
echo "INFO linux_vmxray_wall_s=$wall"
clean "$log" | grep -a -E 'STATS (total|end)' | sed 's/^.*STATS /INFO STATS /'
finish
