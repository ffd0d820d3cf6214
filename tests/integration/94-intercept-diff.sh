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
#   writes to the page too: 8,289 on Skylake-X, with a byte-wise clear of the page.)
# INTERCEPT_EPT_<model> overrides a range. The guest must print exactly what it prints on
# bare Bochs, on each CPU model.
# On Haswell the vmxray run also traces, for real, with trace_out=stream and trace_filter=
# (rip range, CPUID leaf, MSR, port, CR): vmxicpt runs a blob of CPUID, RDMSR, IN and MOV
# from CR exits, matching and not matching the filter, and lists the RIPs of the matching
# ones ("TRACE-PROBE rip=... reason=... n=1"); the streamed records must be exactly those
# (vmxlog records), none of the others and none of vmxdiff's thousands of such exits.
source "$(dirname "$0")/lib.bash"
ept_corei7_haswell_4770=${INTERCEPT_EPT_corei7_haswell_4770:-ept:0xb000-0xbfff:w}
ept_corei7_skylake_x=${INTERCEPT_EPT_corei7_skylake_x:-ept:0x1d000-0x1dfff:w}
ept_tigerlake=${INTERCEPT_EPT_tigerlake:-ept:0x1d000-0x1dfff:x}
trace_corei7_haswell_4770="trace=cpuid,msr_read,io_instruction,cr_access trace_out=stream trace_filter=rip:0x1d400-0x1d7ff,leaf:1,msr:0x1b,port:0x80,cr:8"

# trace_check CPU LOG RESULTS: the streamed records against vmxicpt's list.
trace_check() {
	local cpu=$1 log=$2 res=$3 rep want total got
	want=$(cat "$log" "$res" 2>/dev/null | grep -ao 'TRACE-PROBE rip=0x[0-9a-f]* reason=[a-z_]* n=[0-9]*' | sort -u)
	total=$(cat "$log" "$res" 2>/dev/null | grep -ao 'TRACE-PROBE total=[0-9]*' | head -1 | sed 's/.*=//')
	if [ -z "$want" ] || [ -z "$total" ]; then
		fail "$cpu.trace.filter_exact" "no TRACE-PROBE lines from vmxicpt"
		return
	fi
	rep=$("$B/vmxlog" records "$log" --top 10 2>&1)
	# every listed RIP once, with its reason (the top-RIP table: REASON RIP COUNT)
	local bad="" n=0 rip reason cnt
	while read -r _ r1 r2 r3; do
		rip=${r1#rip=}; reason=${r2#reason=}; cnt=${r3#n=}
		reason=${reason^^}
		n=$((n + cnt))
		grep -Eq "^  $reason +0x0*${rip#0x} +$cnt " <<<"$rep" || bad="$bad $reason@$rip"
	done <<<"$want"
	# and nothing else: the records per reason add up to the guest's count
	got=$(awk '/^  REASON +RECORDS/ {t=1; next} t && /^  [A-Z_]+ +[0-9]+ / {s+=$2} t && /^$/ {t=0} END {print s+0}' <<<"$rep")
	if [ -z "$bad" ] && [ "$n" = "$total" ] && [ "$got" = "$total" ]; then pass "$cpu.trace.filter_exact"
	else fail "$cpu.trace.filter_exact" "want $total records (listed $n), vmxlog found $got; missing:${bad:- none}"; fi
	# stream: every record was written as it came (read), none left for the dump
	expect "$cpu.trace.stream_all_read" "$log" "info: TRACE end cpu=0 records=0 next=$total lost=0 read=$total filtered=[1-9][0-9]* open=0"
}

rc=0
for m in ${DIFF_MODELS:-corei7_haswell_4770 corei7_skylake_x tigerlake}; do
	cpu=${m%%:*}
	var=ept_$cpu
	ept=${!var}
	var=trace_$cpu
	args="intercept=all${ept:+,$ept}${!var:+ ${!var}}"
	DIFF_MODELS=$m DIFF_EXTRA=vmxicpt DIFF_VMXRAY_ARGS=$args DIFF_TAG=intercept \
		bash "$(dirname "$0")/92-differential.sh" || rc=1
	dir=$B/it/diff-intercept-$cpu-smp1/vmxray
	log=$dir/serial.log
	expect "$cpu.intercept.on" "$log" "info: intercept: hlt,rdtsc"
	var=trace_$cpu
	[ -n "${!var}" ] && trace_check "$cpu" "$log" "$(guest_results "$dir" vmxicpt)"
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
