# Checks of the Linux hvctl lines that the payload's /init prints (tools/linux-payload,
# "LINUXTEST: hvctl_CMD: ..."), against what vmxray itself printed on serial. Sourced by
# 65-linux-vmxray.sh after lib.bash.

# hvctl_field FILE CMD REGEX: the first capture group of REGEX on CMD's output lines
hvctl_field() {
	sed -n "s/^LINUXTEST: hvctl_$2: $3\$/\\1/p" "$1" | head -1
}

# hvctl_vmcalls FILE CMD...: the VMCALLs those hvctl runs executed ("hvctl: vmcalls=N")
hvctl_vmcalls() {
	local f=$1 sum=0 cmd n
	shift
	for cmd in "$@"; do
		n=$(hvctl_field "$f" "$cmd" 'hvctl: vmcalls=\([0-9]*\)')
		[ -n "$n" ] || { echo ""; return; }
		sum=$((sum + n))
	done
	echo "$sum"
}

# The power-off count of an exit reason (STATS total NAME N [cpuA=n ...]), 0 when not listed.
poweroff_count() {
	local n
	n=$(sed -n "s/.*info: STATS total $2 \([0-9]*\)\( cpu[0-9]*=[0-9]*\)*\$/\\1/p" "$1" | tail -1)
	echo "${n:-0}"
}

# Every VMCALL in this boot is hvctl's: vmxray's power-off count must equal the sum of
# what each hvctl run says it executed (answered or #UD: both exit).
hvctl_check_vmcall_total() {
	local name=$1 c=$2 sum got
	sum=$(hvctl_vmcalls "$c" version stats log selftest trace)
	got=$(poweroff_count "$c" VMCALL)
	if [ -n "$sum" ] && [ "$sum" -gt 0 ] && [ "$got" = "$sum" ]; then
		pass "$name.vmcalls_agree"
	else
		fail "$name.vmcalls_agree" "hvctl runs executed ${sum:-?} VMCALLs, vmxray's STATS at power-off counts $got"
	fi
}

hvctl_check_selftest() {
	local name=$1 c=$2 line case verdict summary
	while IFS= read -r line; do
		case=${line#selftest }
		case=${case%%:*}
		verdict=${line#*: }
		if [ "${verdict%% *}" = ok ]; then pass "$name.selftest.$case"; else fail "$name.selftest.$case" "$line"; fi
	done < <(sed -n 's/^LINUXTEST: hvctl_selftest: \(selftest [a-z0-9_]*: .*\)$/\1/p' "$c")
	summary=$(hvctl_field "$c" selftest 'selftest: \([0-9]* passed, [0-9]* failed\)')
	case "$summary" in
	[1-9]*" passed, 0 failed") pass "$name.selftest_summary" ;;
	*) fail "$name.selftest_summary" "no 'selftest: N passed, 0 failed' line (got '${summary}')" ;;
	esac
}

# With user_hypercalls=on: version, stats and log answered, and what they say agrees with
# what vmxray printed itself.
hvctl_checks_on() {
	local name=$1 c=$2 v b r n p bad="" before own
	expect "$name.option_shown" "$c" 'info: options: .* user_hypercalls=on'
	for r in version stats log selftest; do
		expect "$name.${r}_status" "$c" "^LINUXTEST: hvctl_${r}_status=0\$"
	done
	v=$(hvctl_field "$c" version 'vmxray \([0-9]*\.[0-9]*\)')
	b=$(sed -n 's/.*info: vmxray \([0-9]*\.[0-9]*\) (.*) starting$/\1/p' "$c" | head -1)
	if [ -n "$v" ] && [ "$v" = "$b" ]; then pass "$name.version_matches_banner"; else
		fail "$name.version_matches_banner" "hvctl version says '$v', the banner '$b'"; fi
	# Counts: hvctl read them before power-off, so each is at most vmxray's final count,
	# and each reason hvctl saw, vmxray's STATS lists.
	while read -r r n; do
		p=$(poweroff_count "$c" "$r")
		[ "$n" -le "$p" ] || bad="$bad $r:$n>$p"
	done < <(sed -n 's/^LINUXTEST: hvctl_stats: \([A-Z_0-9]*\) *\([0-9][0-9]*\)$/\1 \2/p' "$c" | grep -v '^total ')
	n=$(hvctl_field "$c" stats 'CPUID *\([0-9]*\)')
	if [ -z "$bad" ] && [ "${n:-0}" -gt 0 ] && [ "$(poweroff_count "$c" CPUID)" -gt 0 ]; then
		pass "$name.stats_at_most_poweroff"
	else
		fail "$name.stats_at_most_poweroff" "CPUID=${n:-none}; over vmxray's power-off counts:${bad:- none}"
	fi
	# Exact: the VMCALLs before (version) and the STATS call itself, counted on exit.
	before=$(hvctl_vmcalls "$c" version stats)
	own=$(hvctl_field "$c" stats 'VMCALL *\([0-9]*\)')
	if [ -n "$before" ] && [ "$own" = "$before" ]; then pass "$name.stats_vmcall_exact"; else
		fail "$name.stats_vmcall_exact" "hvctl stats shows VMCALL ${own:-none}, the runs up to it executed ${before:-?}"; fi
	hvctl_check_vmcall_total "$name" "$c"
	# The log ring: vmxray's banner exactly as on serial, and every line up to the launch
	# the same, in the same order (what the firmware side logs after the launch, as the
	# guest, reaches the UART only).
	b=$(grep -a -m1 -E '^\[vmxray/cpu0\] info: vmxray [0-9]+\.[0-9]+ \(.*\) starting$' "$c")
	if [ -n "$b" ] && grep -aqxF "LINUXTEST: hvctl_log: $b" "$c"; then pass "$name.log_banner"; else
		fail "$name.log_banner" "the ring read from Linux lacks the serial banner '$b'"; fi
	if evidence "$c" 'info: launching on [0-9]+ CPU' &&
		cmp -s <(grep -a '^\[vmxray/' "$c" | sed '/info: launching on /q') \
			<(sed -n 's/^LINUXTEST: hvctl_log: \(\[vmxray\/.*\)$/\1/p' "$c" | sed '/info: launching on /q'); then
		pass "$name.log_same_as_serial"
	else
		fail "$name.log_same_as_serial" "the ring's lines up to 'launching on' differ from serial's"
	fi
	expect "$name.selftest_sees_answer" "$c" '^LINUXTEST: hvctl_selftest: selftest: VMCALL from CPL 3 answered'
	hvctl_check_selftest "$name" "$c"
	hvctl_check_trace "$name" "$c"
}

# hvctl trace from CPL 3: with trace= set, it read records, and exactly as many as the
# power-off dump says readers took (the sum of read= over the TRACE end lines); without
# trace=, no ring and no record.
hvctl_check_trace() {
	local name=$1 c=$2 n r
	expect "$name.trace_status" "$c" '^LINUXTEST: hvctl_trace_status=0$'
	n=$(sed -n 's/^LINUXTEST: hvctl_trace_records=\([0-9]*\)$/\1/p' "$c" | head -1)
	r=$(grep -aoE 'info: TRACE end .*' "$c" | grep -oE ' read=[0-9]+' | awk -F= '{ s += $2 } END { print s + 0 }')
	if grep -aqE 'info: options: .* trace=[a-z_,]+ trace_out=' "$c"; then
		if [ "${n:-0}" -gt 0 ] && [ "$n" = "$r" ]; then pass "$name.trace_read_agrees_with_dump"; else
			fail "$name.trace_read_agrees_with_dump" "hvctl trace printed ${n:-no} records, the dump counts read=$r"; fi
	elif [ "${n:-x}" = 0 ]; then pass "$name.trace_no_ring_no_records"
	else fail "$name.trace_no_ring_no_records" "no trace= but hvctl trace printed ${n:-no} records"; fi
}

# Without the option: hvctl says which option to set, every call raises #UD and writes
# nothing (the self-test), and each of them still was a VMCALL exit that vmxray counted.
hvctl_checks_off() {
	local name=$1 c=$2
	expect "$name.option_shown" "$c" 'info: options: .* user_hypercalls=off'
	expect "$name.says_option_off" "$c" \
		'^LINUXTEST: hvctl_version: hvctl: version: VMCALL \(function 0\) raised #UD \(SIGILL\).*user_hypercalls=on'
	expect "$name.version_status" "$c" '^LINUXTEST: hvctl_version_status=1$'
	expect "$name.selftest_sees_ud" "$c" '^LINUXTEST: hvctl_selftest: selftest: VMCALL from CPL 3 raised #UD'
	hvctl_check_vmcall_total "$name" "$c"
	hvctl_check_selftest "$name" "$c"
}

# hvctl_linux_checks NAME LOG on|off
hvctl_linux_checks() {
	local c
	c=$(mktemp)
	clean "$2" >"$c"
	if [ "$3" = on ]; then hvctl_checks_on "$1" "$c"; else hvctl_checks_off "$1" "$c"; fi
	rm -f "$c"
}
