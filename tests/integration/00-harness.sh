#!/usr/bin/env bash
# The harness itself (tests/integration/lib.bash): every kind of check fails on an empty,
# truncated or contradicting log, and passes only on a whole one. Runs no emulator.
source "$(dirname "$0")/lib.bash"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

# outcome KIND NAME CMD...: the check CMD prints, run in a subshell, begins with KIND NAME.
outcome() {
	local want=$1 name=$2 got
	shift 2
	got=$( ("$@") 2>&1)
	if grep -q "^$want " <<<"$got" && ! grep -qv "^$want " <<<"$got"; then
		pass "harness.$name"
	else
		fail "harness.$name" "wanted only $want lines, got: $(tr '\n' ';' <<<"$got")"
	fi
}

: >"$t/empty.log"
printf '%s\n' 'vmxray: starting' 'vmxtest: PASS #1 a' >"$t/truncated.log"
printf '%s\n' 'vmxray: starting' 'vmxtest: PASS #1 a' 'vmxtest: PASS #1 a' 'vmxtest: SKIP #2 b: no such device' \
	'xvvvmxtest: PASS #3 c' 'vmxtest: PASS #3 c' 'vmxtest: PASS #4 a' 'vmxtest: 3 passed, 0 failed, 1 skipped' \
	'STATS end exits=5' >"$t/whole.log"
printf '%s\n' 'vmxtest: PASS #1 a' 'vmxtest: 5 passed, 0 failed, 0 skipped' >"$t/short.log"
printf '%s\n' 'vmxtest: PASS #1 a' 'vmxtest: PASS #3 c' 'vmxtest: 2 passed, 0 failed, 0 skipped' >"$t/gap.log"
printf '%s\n' 'vmxtest: PASS #1 a' 'vmxtest: FAIL #2 b: CR4 changed' 'vmxtest: 1 passed, 1 failed, 0 skipped' >"$t/failed.log"
printf '%s\n' 'vmxray: starting' 'PANIC: broken' 'STATS end exits=5' >"$t/panic.log"

outcome FAIL expect_on_empty_log expect x "$t/empty.log" 'starting'
outcome FAIL expect_on_missing_log expect x "$t/none.log" 'starting'
outcome PASS expect_on_whole_log expect x "$t/whole.log" 'starting'
outcome FAIL expect_not_on_empty_log expect_not x "$t/empty.log" 'PANIC' 'STATS end'
outcome FAIL expect_not_on_truncated_log expect_not x "$t/truncated.log" 'PANIC' 'STATS end'
outcome FAIL expect_not_without_evidence_pattern expect_not x "$t/whole.log" 'PANIC'
outcome FAIL expect_not_on_bad_line expect_not x "$t/panic.log" 'PANIC' 'STATS end'
outcome PASS expect_not_on_whole_log expect_not x "$t/whole.log" 'PANIC' 'STATS end'
outcome FAIL expect_order_on_empty_log expect_order x "$t/empty.log" 'a' 'b'
outcome FAIL guest_checks_on_empty_log guest_checks x "$t/empty.log"
outcome FAIL guest_checks_without_results_file guest_checks x "$(guest_results "$t/no-such-boot")"
outcome FAIL guest_checks_without_summary guest_checks x "$t/truncated.log"
# The summary claims more than the lines show: lines were lost.
got=$( (guest_checks x "$t/short.log") 2>&1)
if grep -q '^FAIL x.summary: .*1 PASS, 0 FAIL, 0 SKIP' <<<"$got"; then pass harness.guest_checks_count_mismatch; else
	fail harness.guest_checks_count_mismatch "got: $(tr '\n' ';' <<<"$got")"; fi
# Two lines, but #2 is lost (a broken copy only): the summary says 2, the numbers say 1 and 3.
got=$( (guest_checks x "$t/gap.log") 2>&1)
if grep -q '^FAIL x.summary: .*missing: #2$' <<<"$got"; then pass harness.guest_checks_lost_line; else
	fail harness.guest_checks_lost_line "got: $(tr '\n' ';' <<<"$got")"; fi
got=$( (guest_checks x "$t/failed.log") 2>&1)
if grep -q '^FAIL x/b: CR4 changed$' <<<"$got" && grep -q '^PASS x.summary' <<<"$got"; then
	pass harness.guest_checks_failure_named
else
	fail harness.guest_checks_failure_named "got: $(tr '\n' ';' <<<"$got")"
fi
# A whole log: one line per in-guest check (the mirrored duplicate and the broken copy
# counted once, two checks of one name both counted), the skip as a skip with its reason,
# and the summary agreeing.
got=$( (guest_checks x "$t/whole.log") 2>&1)
want=$(printf '%s\n' 'PASS x/a' 'SKIP x/b: no such device' 'PASS x/c' 'PASS x/a' 'PASS x.summary (vmxtest: 3 passed, 0 failed, 1 skipped)')
if [ "$got" = "$want" ]; then pass harness.guest_checks_whole_log; else
	fail harness.guest_checks_whole_log "got: $(tr '\n' ';' <<<"$got")"; fi
finish
