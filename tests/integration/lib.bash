# Helpers for integration tests (sourced). Each check prints exactly one line:
#   PASS name | FAIL name: why | SKIP name: why
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${B:-$here/build}
FAILED=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; FAILED=1; }
skip() { echo "SKIP $1: $2"; }

# clean LOG: the serial log without terminal escapes and carriage returns
clean() { sed -e 's/\x1b\[[0-9;=?]*[A-Za-z]//g' -e 's/\r//g' "$1" 2>/dev/null; }

# expect NAME FILE REGEX: the cleaned log holds a line matching REGEX
expect() {
	if clean "$2" | grep -aEq -- "$3"; then pass "$1"; else fail "$1" "no line matches /$3/ in $2"; fi
}
# evidence FILE REGEX: true when the cleaned log holds a line matching REGEX. A check that a
# line is absent proves nothing unless the run it reads got that far.
evidence() { [ -s "$1" ] && clean "$1" | grep -aEq -- "$2"; }
# expect_not NAME FILE REGEX EVIDENCE: no line matches REGEX, in a log that shows (a line
# matching EVIDENCE) that the run reached the point after which REGEX could no longer appear.
expect_not() {
	local hit
	if [ $# -ne 4 ]; then
		fail "$1" "expect_not needs an evidence pattern (test bug)"
		return
	fi
	if ! evidence "$2" "$4"; then
		fail "$1" "no evidence the run happened: no line matches /$4/ in $2"
		return
	fi
	hit=$(clean "$2" | grep -aE -m1 -- "$3")
	if [ -z "$hit" ]; then pass "$1"; else fail "$1" "unexpected line: $hit"; fi
}
# expect_order NAME FILE REGEX1 REGEX2: a line matching REGEX2 comes after one matching REGEX1
expect_order() {
	local a b
	a=$(clean "$2" | grep -aEn -m1 -- "$3" | cut -d: -f1)
	b=$(clean "$2" | grep -aEn -- "$4" | tail -1 | cut -d: -f1)
	if [ -n "$a" ] && [ -n "$b" ] && [ "$b" -gt "$a" ]; then pass "$1"; else fail "$1" "/$4/ does not follow /$3/"; fi
}
# guest_results OUTDIR [PROG]: the in-guest program's results file (\EFI\vmxray\PROG.log,
# written at its summary) copied out of OUTDIR/disk.img's ESP; prints the copy's path (an
# empty file when the program never wrote one). The serial log is shared with the firmware's
# mirrored console and with vmxray's log on other CPUs, which can break lines up; the file
# holds each line once, whole.
guest_results() {
	local out=$1 prog=${2:-vmxtest} copy
	copy=$out/$prog.results
	rm -f "$copy"
	mcopy -n -i "$out/disk.img@@1M" "::/EFI/vmxray/$prog.log" "$copy" 2>/dev/null || { : >"$copy"; } 2>/dev/null
	echo "$copy"
}
# guest_checks NAME LOG [PROG]: every check line of an in-guest test program (PROG, default
# vmxtest: "PROG: PASS #n name", "PROG: FAIL #n name: why", "PROG: SKIP #n name: why", n
# counting from 1) becomes one check of this script, named NAME/name, counted as what it is.
# The firmware mirrors its console on the serial port, and another CPU's log lines can break
# up one copy, so a number may appear more than once or in a broken line: each number counts
# once, from its first whole line. The program's summary ("PROG: N passed, M failed, K
# skipped") must be there, and numbers 1..N+M+K must all be found with those kinds: a run cut
# short, or a log that lost a line, fails.
guest_checks() {
	local name=$1 log=$2 prog=${3:-vmxtest} lines summary np nf ns kind rest total missing
	lines=$(clean "$log" | grep -aE "^$prog: (PASS|FAIL|SKIP) #[0-9]+ " |
		awk '{ n = substr($3, 2) + 0; if (!(n in seen)) { seen[n] = 1; print n "\t" $0 } }' | sort -n | cut -f2-)
	summary=$(clean "$log" | grep -aE "^$prog: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped\$" | tail -1)
	if [ -z "$summary" ]; then
		fail "$name.summary" "no '$prog: N passed, M failed, K skipped' line in $log (the program did not finish)"
		return
	fi
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		rest=${line#"$prog: "}
		kind=${rest%% *}
		rest=${rest#* \#* } # drop "KIND #n "
		case $kind in
		PASS) pass "$name/$rest" ;;
		FAIL) fail "$name/${rest%%: *}" "${rest#*: }" ;;
		SKIP) skip "$name/${rest%%: *}" "${rest#*: }" ;;
		esac
	done <<<"$lines"
	np=$(grep -c "^$prog: PASS " <<<"$lines")
	nf=$(grep -c "^$prog: FAIL " <<<"$lines")
	ns=$(grep -c "^$prog: SKIP " <<<"$lines")
	[[ "$summary" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped ]]
	total=$((BASH_REMATCH[1] + BASH_REMATCH[2] + BASH_REMATCH[3]))
	missing=$(awk '{ print substr($3, 2) + 0 }' <<<"$lines" | awk -v t="$total" '
		{ have[$1] = 1 } END { for (i = 1; i <= t; i++) if (!(i in have)) m = m " #" i; print m }')
	if [[ "$summary" == "$prog: $np passed, $nf failed, $ns skipped" ]] && [ "$np" -gt 0 ] && [ -z "$missing" ]; then
		pass "$name.summary ($summary)"
	else
		fail "$name.summary" "'$summary' but the log holds $np PASS, $nf FAIL, $ns SKIP lines${missing:+; missing:$missing}"
	fi
}
# boot NAME RUN-ARGS...: boots with tools/run; passes when the guest powered off
boot() {
	local name=$1
	shift
	"$here/tools/run" --quiet "$@"
	local rc=$?
	case $rc in
	0) pass "$name.powered_off" ;;
	3) fail "$name.powered_off" "timeout: the guest never powered off" ;;
	*) fail "$name.powered_off" "tools/run exited $rc" ;;
	esac
	return $rc
}
finish() { exit $FAILED; }

# stats_cpu_count LOG APIC REGEX: the counts of the exit reasons matching REGEX on the CPU
# with APIC ID APIC in the log's last STATS block, summed (docs/LOGFORMAT.md: "STATS total
# NAME N cpuA=n cpuB=m"; with one CPU a total row is that CPU's; "STATS cpuA NAME N" rows
# where a breakdown did not fit one line).
stats_cpu_count() {
	clean "$1" | grep -aoE 'STATS (begin|total|cpu[0-9]+) .*' | awk -v apic="$2" -v re="^($3)\$" '
		$2 == "begin" { s = 0; cpus = 0; for (i = 3; i <= NF; i++) if ($i ~ /^cpus=/) cpus = substr($i, 6) + 0; next }
		$2 == "total" && $3 ~ re {
			if (NF == 4 && cpus == 1) s += $4
			for (i = 5; i <= NF; i++) if (index($i, "cpu" apic "=") == 1) s += substr($i, length("cpu" apic "=") + 1)
		}
		$2 == "cpu" apic && $3 ~ re { s += $4 }
		END { print s + 0 }'
}

# linux_image NAME OUT [with-vmxray|with-vmxray-chain [OPTIONS]]: fetches the Linux payload
# (tools/linux-payload) and builds OUT/disk.img whose startup.nsh runs acpitables, optionally
# vmxray (with the words OPTIONS on its command line), then the kernel's EFI stub. With
# with-vmxray-chain the shell does not start the kernel: vmxray does, as the next stage
# (chain= and chain_args= in \EFI\vmxray\vmxray.cfg), the way it boots from a USB stick.
# Skips the test (exit 77)
# when the Debian archive cannot be reached and nothing is cached; fails the test when
# anything else goes wrong. LINUX_CMDLINE_EXTRA (optional): words appended to the payload's
# kernel command line (tools/bench's repeatable 2-CPU boots); unset for make test's images.
linux_image() {
	local name=$1 out=$2 with=${3:-} vmx_opts=${4:-} payload=$B/linux-payload
	mkdir -p "$out"
	"$here/tools/linux-payload" "$payload" >"$out/payload.log" 2>&1
	local rc=$?
	if [ $rc -eq 77 ]; then
		skip "$name" "$(grep -m1 'cannot be reached' "$out/payload.log" | sed 's/^linux-payload: //')"
		exit 77
	elif [ $rc -ne 0 ]; then
		fail "$name.payload" "tools/linux-payload exited $rc: $(tail -1 "$out/payload.log")"
		finish
	fi
	if ! make -s -C "$here" B="$B" "$B/guest/acpitables.efi" >"$out/make.log" 2>&1; then
		fail "$name.build" "building acpitables.efi failed: $(tail -1 "$out/make.log")"
		finish
	fi
	local cmdline vmx=() mk=()
	cmdline="$(cat "$payload/cmdline")${LINUX_CMDLINE_EXTRA:+ $LINUX_CMDLINE_EXTRA} initrd=\\EFI\\linux\\initrd.img"
	# OPTIONS and then VMXRAY_ARGS (e.g. trace=, tracebuf=): vmxray.efi's command line.
	vmx_opts="$vmx_opts${VMXRAY_ARGS:+ $VMXRAY_ARGS}"
	local kernel=("\\EFI\\linux\\vmlinuz.efi $cmdline")
	case $with in
	with-vmxray) vmx=("\\EFI\\vmxray\\vmxray.efi${vmx_opts:+ $vmx_opts}") ;;
	with-vmxray-chain)
		vmx=("\\EFI\\vmxray\\vmxray.efi${vmx_opts:+ $vmx_opts}") kernel=()
		printf '%s\n' 'chain=\EFI\linux\vmlinuz.efi' "chain_args=$cmdline" >"$out/vmxray.cfg"
		mk=(--add "$out/vmxray.cfg=\\EFI\\vmxray\\vmxray.cfg") ;;
	*) mk=(--no-vmxray) ;;
	esac
	printf '%s\n' '@echo -off' 'fs0:' '\EFI\vmxray\acpitables.efi' "${vmx[@]}" \
		"${kernel[@]}" 'echo LINUX-RETURNED' 'reset -s' >"$out/startup.nsh"
	B=$B "$here/tools/mkimage" shell "$out/disk.img" "${mk[@]}" --startup "$out/startup.nsh" \
		--add "$payload/vmlinuz.efi=\\EFI\\linux\\vmlinuz.efi" \
		--add "$payload/initrd.img=\\EFI\\linux\\initrd.img" || {
		fail "$name.image" "tools/mkimage failed"
		finish
	}
}
