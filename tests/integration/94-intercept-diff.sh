#!/usr/bin/env bash
# Every opt-in intercept on (issue 21): the differential suite of 92-differential.sh with
# vmxray started as `vmxray.efi intercept=all,...` (every row of vmx/policy/intercepts.def
# the CPU can do, and every exception vector through the exception bitmap), vmxdiff.efi
# followed by vmxicpt.efi (the instructions only the intercepts make exit). An EPT range
# is added on each model (its access stepped with RFLAGS.TF, vmx/policy/step.h):
# - Haswell: writes to vmxdiff's record page 0xB000 (written by every probe of every mode);
# - Skylake-X: writes to vmxicpt's probe page 0x1D000, Tiger Lake: fetches from it. There
#   the EPT-violation exits vmxray counted while vmxicpt's probe ran (read by the STATS
#   hypercall before and after) must equal the accesses vmxicpt made, which it knows
#   ("EPT-PROBE writes=13 write_exits=13 fetches=9 fetch_exits=..."): every access exits,
#   not only the first. (vmxray's own "STATS intercept_ept exits=N" counts the firmware's
#   writes to the page too: 4,109 on Skylake-X, the 13 and a byte-wise clear of the page.)
# INTERCEPT_EPT_<model> overrides a range. The guest must print exactly what it prints on
# bare Bochs, on each CPU model.
source "$(dirname "$0")/lib.bash"
ept_corei7_haswell_4770=${INTERCEPT_EPT_corei7_haswell_4770:-ept:0xb000-0xbfff:w}
ept_corei7_skylake_x=${INTERCEPT_EPT_corei7_skylake_x:-ept:0x1d000-0x1dfff:w}
ept_tigerlake=${INTERCEPT_EPT_tigerlake:-ept:0x1d000-0x1dfff:x}
rc=0
for m in ${DIFF_MODELS:-corei7_haswell_4770 corei7_skylake_x tigerlake}; do
	cpu=${m%%:*}
	var=ept_$cpu
	ept=${!var}
	args=intercept=all${ept:+,$ept}
	DIFF_MODELS=$m DIFF_EXTRA=vmxicpt DIFF_VMXRAY_ARGS=$args DIFF_TAG=intercept \
		bash "$(dirname "$0")/92-differential.sh" || rc=1
	dir=$B/it/diff-intercept-$cpu-smp1/vmxray
	log=$dir/serial.log
	expect "$cpu.intercept.on" "$log" "info: intercept: hlt,rdtsc"
	# The oracle is the guest's own count of its accesses to the probe page.
	case $ept in
	*0x1d000*:w) kind=writes ex=write_exits ;;
	*0x1d000*:x) kind=fetches ex=fetch_exits ;;
	*) continue ;;
	esac
	probe=$(cat "$log" "$(guest_results "$dir" vmxicpt)" 2>/dev/null | grep -ao "EPT-PROBE writes=.*" | head -1)
	want=$(sed -n "s/.* $kind=\([0-9]*\).*/\1/p" <<<"$probe")
	got=$(sed -n "s/.* $ex=\([0-9-]*\).*/\1/p" <<<"$probe")
	if [ -z "$want" ]; then fail "$cpu.intercept.ept_every_access" "no EPT-PROBE line from vmxicpt in $log"
	elif [ "$got" = "$want" ]; then pass "$cpu.intercept.ept_every_access"
	else fail "$cpu.intercept.ept_every_access" "vmxicpt made $want $kind to the page, vmxray counted ${got:-no} EPT-violation exits meanwhile ($probe)"; fi
done
[ "$FAILED" = 0 ] || rc=1
exit $rc
