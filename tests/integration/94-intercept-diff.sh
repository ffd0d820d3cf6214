#!/usr/bin/env bash
# Every opt-in intercept on (issue 21): the differential suite of 92-differential.sh with
# vmxray started as `vmxray.efi intercept=all,...` (every row of vmx/policy/intercepts.def
# the CPU can do, and every exception vector through the exception bitmap), vmxdiff.efi
# followed by vmxicpt.efi (the instructions only the intercepts make exit). On Tiger Lake,
# the one of the three whose Bochs model has the monitor trap flag (Haswell and Skylake-X
# report allowed-1 0xf7f9fffe for the primary controls: no bit 27), an EPT write range over
# vmxdiff's record page (0xB000, written by every probe of every mode) is added:
# INTERCEPT_EPT overrides it. Where MTF is missing intercept=ept is refused (the
# launch-refusal check below proves that on Haswell). The guest must print exactly what it prints on
# bare Bochs, on each CPU model.
source "$(dirname "$0")/lib.bash"
ept=${INTERCEPT_EPT:-ept:0xb000-0xbfff:w}
rc=0
for m in ${DIFF_MODELS:-corei7_haswell_4770 corei7_skylake_x tigerlake}; do
	args=intercept=all
	[ "${m%%:*}" = tigerlake ] && args="$args,$ept"
	DIFF_MODELS=$m DIFF_EXTRA=vmxicpt DIFF_VMXRAY_ARGS=$args DIFF_TAG=intercept \
		bash "$(dirname "$0")/92-differential.sh" || rc=1
	log=$B/it/diff-intercept-${m%%:*}-smp1/vmxray/serial.log
	expect "${m%%:*}.intercept.on" "$log" "info: intercept: hlt,rdtsc"
done
# A name the CPU cannot do is refused before launch: the EPT range on Haswell (no MTF).
out=$B/it/intercept-refused
boot haswell.intercept_refused --bed bochs --cpu corei7_haswell_4770 --smp 1 --timeout 300 --out "$out" \
	--shell "\\EFI\\vmxray\\vmxray.efi intercept=hlt,$ept;echo REFUSED-SHELL-ALIVE" >/dev/null
expect haswell.intercept_refused.line "$out/serial.log" 'error: intercept=ept: this CPU cannot set the monitor trap flag'
expect haswell.intercept_refused.no_launch "$out/serial.log" 'vmxray cannot start on this machine; returning to the firmware unchanged'
expect haswell.intercept_refused.shell_alive "$out/serial.log" 'REFUSED-SHELL-ALIVE'
[ "$FAILED" = 0 ] || rc=1
exit $rc
