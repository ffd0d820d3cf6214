#!/usr/bin/env bash
# Debian's Linux under vmxray with opt-in intercepts (issue 21): the 2-CPU boot of
# 65-linux-vmxray.sh with `intercept=hlt,rdtsc,invlpg,cr3,pf` (LINUX_INTERCEPT overrides)
# must reach power-off with the same LINUXTEST: lines as the boot without them (the one
# 65-linux-vmxray.sh leaves in $B/it/linux-vmxray, of this build: waited for while it runs,
# run here when it is missing or older), but the uptime (time: each exit costs guest time)
# and hvctl's lines. This boot keeps user_hypercalls off (65's has it on), so the Linux
# hvctl must say that the option is off and get #UD for every call
# (tests/integration/hvctl_linux.bash). Prints the boot's ticks and the exits per reason
# of both.
# VMXRAY_ARGS adds options after intercept= (e.g. trace=hlt,invlpg tracebuf=1024,
# docs/VMXLOG.md's report; the boot then exports the kernel's symbols through port 0xE9,
# tests/integration/kallsyms.bash); LINUX_INTERCEPT_OUT names the run's directory (default
# $B/it/linux-intercept), LINUX_INTERCEPT_TIMEOUT its wall-clock limit (s).
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/hvctl_linux.bash"
source "$(dirname "$0")/kallsyms.bash"
base=$B/it/linux-vmxray
rev=$(cat "$B/vmxray.rev" 2>/dev/null)
base_current() {
	evidence "$base/serial.log" '^LINUXTEST: done' &&
		evidence "$base/serial.log" "info: vmxray [0-9]+\\.[0-9]+ \\(${rev:-no-rev}\\) starting"
}
mkdir -p "$B/it"
exec 9>"$base.lock"
flock 9 # while 65-linux-vmxray.sh boots
if ! base_current; then
	flock -u 9
	LINUX_SMP= bash "$(dirname "$0")/65-linux-vmxray.sh" >"$B/it/linux-intercept-base.log" 2>&1
	flock 9
fi
intercepts=${LINUX_INTERCEPT:-hlt,rdtsc,invlpg,cr3,pf}
out=${LINUX_INTERCEPT_OUT:-$B/it/linux-intercept}
export VMXRAY_ARGS="intercept=$intercepts${VMXRAY_ARGS:+ $VMXRAY_ARGS}"
linux_image linux_intercept "$out" with-vmxray "user_hypercalls=off"
# A traced boot also exports the kernel's text symbols through port 0xE9 (as 65 does).
e9=()
[[ "$VMXRAY_ARGS" == *trace=* ]] && e9=(--port-e9)
boot linux_intercept --bed bochs --cpu corei7_haswell_4770 --smp 2 --megs 256 --timeout "${LINUX_INTERCEPT_TIMEOUT:-1200}" \
	--out "$out" --image "$out/disk.img" "${e9[@]}"
log=$out/serial.log

expect linux_intercept.options "$log" "options: .* intercept=$intercepts"
expect linux_intercept.intercepts_on "$log" 'info: intercept: '
expect linux_intercept.init_done "$log" '^LINUXTEST: done'
expect linux_intercept.power_down "$log" 'reboot: Power down'
expect_not linux_intercept.no_kernel_panic "$log" 'Kernel panic' 'info: STATS end exits='
expect_not linux_intercept.no_vmxray_panic "$log" 'PANIC|root-mode exception|unexpected VM exit' 'info: STATS end exits='
# LINUXTEST lines but the uptime, which is time (each exit costs guest time) and differs by
# design, and hvctl's, whose counts are of each boot and whose option differs on purpose
lt() { clean "$1" | grep -a '^LINUXTEST: ' | grep -v -e '^LINUXTEST: uptime=' -e '^LINUXTEST: hvctl_' | sort; }
if ! base_current; then
	fail linux_intercept.same_linuxtest "no boot of this build without intercepts to compare with ($base/serial.log)"
elif [ "$(lt "$base/serial.log")" = "$(lt "$log")" ]; then
	pass "linux_intercept.same_linuxtest ($(lt "$log" | wc -l) lines)"
else
	fail linux_intercept.same_linuxtest "$(diff <(lt "$base/serial.log") <(lt "$log") | grep '^[<>]' | head -3 | tr '\n' ' ')"
fi
hvctl_linux_checks linux_intercept.hvctl_off "$log" off
for reason in HLT RDTSC INVLPG CR_ACCESS EXCEPTION_NMI; do
	expect "linux_intercept.exits_$reason" "$log" "STATS total $reason [1-9]"
done
# With trace= in VMXRAY_ARGS (docs/VMXLOG.md's report): vmxlog reads every record line of the
# dump and its accounting agrees with STATS; with hlt traced, the HLT table has each CPU.
if [[ "$VMXRAY_ARGS" == *trace=* ]]; then
	lines=$(clean "$log" | grep -acE '^\[vmxray/cpu[0-9]+\] info: TRACE [A-Za-z0-9_-]+$')
	"$B/vmxlog" records "$log" --format csv >"$out/records.csv" 2>"$out/records.err"
	parsed=$(awk -F, '$1 == "accounting" { s += $5 } END { print s + 0 }' "$out/records.csv")
	agree=$(awk -F, '$1 == "accounting" && $NF != "yes"' "$out/records.csv")
	if [ "$lines" -gt 0 ] && [ "$parsed" = "$lines" ] && [ -z "$agree" ]; then pass "linux_intercept.vmxlog_reads_dump ($lines records)"
	else fail linux_intercept.vmxlog_reads_dump "$lines record lines, vmxlog: dumped=$parsed ${agree:+disagrees: $agree} $(head -c 200 "$out/records.err")"; fi
	if [[ ",${VMXRAY_ARGS#*trace=}" =~ ,(hlt|all)[,\ ]|,(hlt|all)$ ]]; then
		rows=$(grep -c '^halts,' "$out/records.csv")
		[ "$rows" = 2 ] && pass linux_intercept.vmxlog_hlt_per_cpu || fail linux_intercept.vmxlog_hlt_per_cpu "$rows rows in vmxlog's halts table for 2 CPUs"
	fi
	# the kernel's own symbols of this boot (symexport): vmxlog names the top RIPs' functions,
	# each checked against the table (tests/integration/kallsyms.bash)
	if kallsyms_extract "$out/emulator.out" "$out/kallsyms.map" "$log"; then
		echo "INFO kallsyms_exported=$(wc -l <"$out/kallsyms.map") symbols, $(wc -c <"$out/kallsyms.map") bytes"
		"$B/vmxlog" records "$log" --system-map "$out/kallsyms.map" --format csv >"$out/functions.csv" 2>>"$out/records.err"
		verdict=$(symbols_check_rips "$out/functions.csv" "$out/kallsyms.map")
		case $verdict in
		ok\ *) pass "linux_intercept.kernel_rips_in_symbols (${verdict#ok })" ;;
		*) fail linux_intercept.kernel_rips_in_symbols "$verdict" ;;
		esac
	else
		skip linux_intercept.kernel_rips_in_symbols "$KALLSYMS_WHY"
	fi
fi
for run in "$base" "$out"; do
	ticks=$(grep -a -m1 'ACPI control: soft power off' "$run/emulator.log" 2>/dev/null | grep -oE '^[0-9]+' | sed 's/^0*//')
	echo "INFO $(basename "$run")_ticks=${ticks:-unknown}"
	clean "$run/serial.log" | grep -a -E 'STATS (total|end)' | sed "s/^.*STATS /INFO $(basename "$run") STATS /"
done
finish
