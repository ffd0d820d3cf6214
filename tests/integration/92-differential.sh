#!/usr/bin/env bash
# Differential conformance (issue 16): the CPU is the oracle. vmxdiff.efi (tests/guest/
# vmxdiff.c and vmxdiff_modes.asm) runs its probes of intercepted instructions in every
# mode a guest can exit from (long, 32-bit protected with paging off, 32-bit paging, PAE,
# 16-bit protected, real, and task switches to 32- and 16-bit TSSs from 32- and 16-bit
# protected mode; then the APIC: interrupts, NMIs, INIT-SIPI, relocation, x2APIC mode) once on bare Bochs
# and once under vmxray, on each CPU model; every probe line must be the same in both.
# One check per probe, named <model>.<mode>.<probe>; a differing line fails with both
# values; a probe that only one run printed, or a run that did not finish, fails too.
# What differs by design (VMCALL, the VMX MSRs, ...) is left out by the program itself:
# the list is at the top of tests/guest/vmxdiff.c.
source "$(dirname "$0")/lib.bash"

# diff_lines RESULTS: "mode.probe<TAB>values" for each probe line of a results file
diff_lines() {
	clean "$1" | sed -n 's/^[a-z]*: INFO DIFF \([^ ]*\) \(.*\)$/\1\t\2/p'
}

# run_one NAME OUT SHELL [--no-vmxray]: boots, returns the results file's path on stdout
# (vmxdiff's, with the results of the DIFF_EXTRA programs appended)
run_one() {
	local name=$1 out=$2 cmds=$3 f p
	shift 3
	boot "$name" --bed bochs --cpu "$cpu" --smp "$smp" --timeout 300 --out "$out" --shell "$cmds" "$@" >&2
	f=$(guest_results "$out" vmxdiff)
	for p in $DIFF_EXTRA; do cat "$(guest_results "$out" "$p")" >>"$f"; done
	echo "$f"
}

compare() {
	local model=$1 bare=$2 hv=$3 key vb vh nb nh
	declare -A B H
	while IFS=$'\t' read -r key vb; do [ -n "$key" ] && B[$key]=$vb; done < <(diff_lines "$bare")
	while IFS=$'\t' read -r key vh; do [ -n "$key" ] && H[$key]=$vh; done < <(diff_lines "$hv")
	nb=${#B[@]}
	nh=${#H[@]}
	for key in $(diff_lines "$bare" | cut -f1); do
		if [ -z "${H[$key]+x}" ]; then
			fail "$model.$key" "bare: ${B[$key]}; vmxray: no such line"
		elif [ "${B[$key]}" = "${H[$key]}" ]; then
			pass "$model.$key"
		else
			fail "$model.$key" "bare: ${B[$key]}; vmxray: ${H[$key]}"
		fi
	done
	for key in $(diff_lines "$hv" | cut -f1); do
		[ -n "${B[$key]+x}" ] || fail "$model.$key" "vmxray: ${H[$key]}; bare: no such line"
	done
	if [ "$nb" -gt 0 ] && [ "$nb" -eq "$nh" ]; then
		pass "$model.count ($nb probes compared)"
	else
		fail "$model.count" "bare printed $nb probe lines, vmxray $nh"
	fi
}

# DIFF_EXTRA: more guest programs run after vmxdiff in the same boot, whose "PROG: INFO DIFF"
# lines are compared too (94-intercept-diff.sh: vmxicpt).
# DIFF_VMXRAY_ARGS: vmxray's options for the vmxray run (tests/integration/94-intercept-diff.sh
# passes intercept=all); DIFF_TAG: a suffix for the check names and the output folder.
# DIFF_MODELS: the CPU models to compare on, MODEL or MODEL:CPUS (default: the three of
# make test with one CPU, and Haswell with two: APIC-page intercept, INIT-SIPI to the AP)
for m in ${DIFF_MODELS:-corei7_haswell_4770 corei7_skylake_x tigerlake corei7_haswell_4770:2}; do
	cpu=${m%%:*}
	smp=1
	[ "$m" != "$cpu" ] && smp=${m#*:}
	out=$B/it/diff${DIFF_TAG:+-$DIFF_TAG}-$cpu-smp$smp
	tag=$cpu${DIFF_TAG:+.$DIFF_TAG}
	[ "$smp" = 1 ] || tag=$cpu-smp$smp${DIFF_TAG:+.$DIFF_TAG}
	progs='\EFI\vmxray\vmxdiff.efi'
	for p in $DIFF_EXTRA; do progs="$progs;\\EFI\\vmxray\\$p.efi"; done
	bare=$(run_one "$tag.diff_bare" "$out/bare" "$progs" --no-vmxray)
	hv=$(run_one "$tag.diff_vmxray" "$out/vmxray" "\\EFI\\vmxray\\vmxray.efi${DIFF_VMXRAY_ARGS:+ $DIFF_VMXRAY_ARGS};$progs")
	for run in bare vmxray; do
		f=$bare
		[ $run = vmxray ] && f=$hv
		for p in vmxdiff $DIFF_EXTRA; do
			if clean "$f" | grep -aqE "^$p: [0-9]+ passed, 0 failed, 0 skipped\$"; then
				pass "$tag.diff_$run.finished${DIFF_EXTRA:+.$p}"
			else
				fail "$tag.diff_$run.finished${DIFF_EXTRA:+.$p}" "no '$p: N passed, 0 failed' in $f"
			fi
		done
	done
	expect "$tag.diff_vmxray.launched" "$out/vmxray/serial.log" 'info: vmxray is running'
	compare "$tag" "$bare" "$hv"
done
finish
