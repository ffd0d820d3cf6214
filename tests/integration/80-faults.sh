#!/usr/bin/env bash
# vmxray's fault paths in Bochs (corei7_haswell_4770, 1 CPU), each provoked on purpose
# (test= flags, boot/config.c; tests/guest/vmxcall.c):
#   failopen     the first VM entry fails: vmxray logs it (reason, qualification, VMCS,
#                recorder), leaves VMX and the firmware goes on; a second vmxray (check=on:
#                the checker before every VMRESUME) launches and vmxtest passes
#   rootexc      #UD in root mode: logged with registers, VMCS and recorder; the CPU stops
#   triple       a guest triple fault: logged, VMCS, recorder, STATS, system reset (OVMF in
#                Bochs does not boot again after a reset: the run ends at the reset)
#   checkresume  check=on refuses a broken state before VMRESUME: CHECK lines, panic, reset
#   lateentry    the same broken state without check=on: a later VM entry fails, panic
#                (with trace=vmcall: the trace ring is dumped at the panic)
# The last four never power off: each run ends when its last expected line is in a log.
source "$(dirname "$0")/lib.bash"
vmxray='\EFI\vmxray\vmxray.efi recorder=16'
vmxcall='\EFI\vmxray\vmxcall.efi'

# boot_until NAME WHERE REGEX COUNT RUN-ARGS...: boots with tools/run (its --timeout caps
# the run) until COUNT lines of the serial log (WHERE = serial) or of the emulator's log
# (WHERE = emulator) match REGEX, then stops the emulator. Passes NAME.ended when they
# did; a run that ends by itself must end by tools/run's timeout (exit 3), never by a
# power-off.
boot_until() {
	local name=$1 where=$2 re=$3 count=$4
	shift 4
	local out pid rc
	out=$(printf '%s\n' "$@" | sed -n '/^--out$/{n;p}')
	rm -f "$out/serial.log" "$out/emulator.log" # never match the last run's
	set -m # own process group: stop tools/run and its emulator together
	"$here/tools/run" --quiet "$@" &
	pid=$!
	set +m
	while kill -0 "$pid" 2>/dev/null && ! seen "$out" "$where" "$re" "$count"; do
		sleep 1
	done
	if kill -0 "$pid" 2>/dev/null; then
		sleep 2 # the lines still on their way
		kill -- -"$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		trim_emulator_log "$out"
		pass "$name.ended"
		return 0
	fi
	wait "$pid"
	rc=$?
	trim_emulator_log "$out"
	case $rc in
	3) if seen "$out" "$where" "$re" "$count"; then pass "$name.ended"; else fail "$name.ended" "timeout before $count line(s) matching /$re/ in the $where log"; fi ;;
	0) fail "$name.ended" "the guest powered off" ;;
	*) fail "$name.ended" "tools/run exited $rc" ;;
	esac
}
seen() { # seen OUT serial|emulator REGEX COUNT
	local n
	if [ "$2" = serial ]; then
		n=$( { clean "$1/serial.log" 2>/dev/null || true; } | grep -acE -- "$3")
	else
		n=$(grep -a -m "$4" -cE -- "$3" "$1/emulator.log" 2>/dev/null)
	fi
	[ "${n:-0}" -ge "$4" ]
}
# After a reset, OVMF in Bochs never comes back: it polls port 0x8, and the emulator
# logs every read (tens of MB a second). Keep the head of that log.
trim_emulator_log() {
	local f=$1/emulator.log
	[ -f "$f" ] && [ "$(stat -c %s "$f")" -gt $((8 << 20)) ] || return 0
	head -c $((8 << 20)) "$f" >"$f.tmp" && echo "[80-faults.sh: cut at 8 MiB]" >>"$f.tmp" && mv "$f.tmp" "$f"
}
# Bochs logs one line per machine reset; the first is the power-on.
hw_reset='bx_pc_system_c::Reset\((HARDWARE|SOFTWARE)\) called'

run_args() { # run_args NAME: the common tools/run arguments
	echo --bed bochs --cpu corei7_haswell_4770 --smp 1 --out "$B/it/faults-$1"
}

# ---- failopen: a failed first VM entry returns to the firmware, which keeps working ----
out=$B/it/faults-failopen
log=$out/serial.log
boot failopen $(run_args failopen) --timeout 420 \
	--shell "$vmxray test=bad-guest-state;echo AFTER-FAILED-ENTRY;$vmxray check=on;\\EFI\\vmxray\\vmxtest.efi quick;echo SHELL-STILL-ALIVE"
expect failopen.test_hook "$log" 'info: test=bad-guest-state: breaking GUEST_CR0 after the checker'
expect failopen.reason_and_qualification "$log" 'error: VM entry failed: exit reason 33 \(INVALID_GUEST_STATE\), qualification 0x[0-9a-f]+$'
expect failopen.vmcs_dump "$log" 'error: VMCS dump begin: first VM entry failed'
expect failopen.vmcs_dump_reason "$log" 'error: VMCS   ~ VM_EXIT_REASON: INVALID_GUEST_STATE \(33\), VM-entry failure'
expect failopen.recorder_begin "$log" 'error: RECORDER begin cpu0 why=first VM entry failed entries=1$'
expect failopen.recorder_entry "$log" 'error: RECORDER #0 seq=1 reason=INVALID_GUEST_STATE rip=0x[0-9a-f]{16} qual=0x[0-9a-f]+$'
expect_order failopen.recorder_after_dump "$log" 'VMCS dump begin: first VM entry failed' 'RECORDER end'
expect failopen.returns_to_firmware "$log" 'error: cpu0: the first VM entry failed: leaving VMX operation and returning to the firmware at 0x[0-9a-f]+ with status 0x8000000000000015'
expect failopen.launch_reported_failed "$log" '^vmxray: not started \(status Aborted\); the boot continues without it'
expect_order failopen.shell_continues "$log" 'returning to the firmware' '^AFTER-FAILED-ENTRY'
expect_order relaunch.check_on "$log" '^AFTER-FAILED-ENTRY' 'info: options: .* check=on '
expect_order relaunch.running "$log" '^AFTER-FAILED-ENTRY' 'info: vmxray is running: the firmware continues as its guest on 1 CPU'
guest_checks relaunch.vmxtest "$(guest_results "$(dirname "$log")")"
expect_not relaunch.checker_agrees "$log" 'CHECK fail' 'info: STATS end exits='
expect_not failopen.no_panic "$log" 'PANIC|resetting the system|root-mode exception' 'info: STATS end exits='
expect_order failopen.shell_keeps_working "$log" '^vmxtest: [0-9]+ passed' '^SHELL-STILL-ALIVE'

# ---- rootexc: an exception in root mode is logged, then that CPU stops ----
log=$B/it/faults-rootexc/serial.log
boot_until rootexc serial 'this CPU is stopped' 1 $(run_args rootexc) --timeout 180 \
	--shell "$vmxray test=root-exception;$vmxcall 0x7e57;echo NOT-REACHED"
expect rootexc.vmcall_issued "$log" '^vmxcall: VMCALL rax=0x7e57 '
expect rootexc.exception "$log" 'error: root-mode exception 6 \(#UD invalid opcode\) error code 0x0 at rip 0x[0-9a-f]+'
expect rootexc.registers "$log" 'error:   rax [0-9a-f]{16} rbx [0-9a-f]{16} rcx [0-9a-f]{16} rdx [0-9a-f]{16}'
expect rootexc.vmcs_dump "$log" 'error: VMCS dump begin: root-mode exception'
expect rootexc.vmcs_dump_reason "$log" 'error: VMCS   ~ VM_EXIT_REASON: VMCALL \(18\)'
expect rootexc.recorder_begin "$log" 'error: RECORDER begin cpu0 why=root-mode exception entries=16$'
expect rootexc.recorder_last_is_vmcall "$log" 'error: RECORDER #15 seq=[0-9]+ reason=VMCALL rip=0x[0-9a-f]{16} qual=0x0$'
expect rootexc.recorder_rax "$log" 'error: RECORDER #15   RAX 0x[0-9a-f]{16} -> 0x0000000000007e57$'
expect_order rootexc.recorder_after_dump "$log" 'VMCS dump begin: root-mode exception' 'RECORDER end'
expect_order rootexc.cpu_stopped "$log" 'RECORDER end' 'error: this CPU is stopped \(interrupts off, halted\)'
expect_not rootexc.guest_never_resumed "$log" '^vmxcall: returned|^NOT-REACHED' 'this CPU is stopped'

# ---- triple: a guest triple fault resets the system, after the log says why ----
log=$B/it/faults-triple/serial.log
boot_until triple emulator "$hw_reset" 2 $(run_args triple) --timeout 180 \
	--shell "$vmxray;$vmxcall triple-fault;echo NOT-REACHED"
expect triple.guest_side "$log" '^vmxcall: triple fault now'
expect triple.logged "$log" 'error: guest triple fault at rip 0x[0-9a-f]+'
expect triple.panic "$log" 'error: PANIC: guest triple fault$'
expect triple.vmcs_dump_reason "$log" 'error: VMCS   ~ VM_EXIT_REASON: TRIPLE_FAULT \(2\)'
expect triple.recorder_begin "$log" 'error: RECORDER begin cpu0 why=guest triple fault entries=16$'
expect triple.recorder_last "$log" 'error: RECORDER #15 seq=[0-9]+ reason=TRIPLE_FAULT rip=0x[0-9a-f]{16} qual=0x0$'
expect_order triple.stats "$log" 'RECORDER end' 'info: STATS begin reason=panic cpus=1'
expect triple.stats_counted "$log" 'info: STATS total TRIPLE_FAULT 1$'
expect_order triple.reset "$log" 'STATS end exits=[0-9]+' 'error: resetting the system'
expect triple.machine_reset "$B/it/faults-triple/emulator.log" "^[0-9]*[1-9][0-9]*i\\[SYS +\\] $hw_reset"
expect_not triple.guest_never_resumed "$log" '^NOT-REACHED' 'error: resetting the system'

# ---- checkresume: check=on refuses a broken state before VMRESUME ----
log=$B/it/faults-checkresume/serial.log
boot_until checkresume emulator "$hw_reset" 2 $(run_args checkresume) --timeout 240 \
	--shell "$vmxray check=on test=bad-resume-state;$vmxcall 0x7e57;echo NOT-REACHED"
expect checkresume.test_hook "$log" 'info: test=bad-resume-state: breaking GUEST_CR0 before VMRESUME'
expect checkresume.check_fail "$log" 'error: CHECK fail 27\.3\.1\.1 Checks on Guest Control Registers, Debug Registers, and MSRs: CR0\.PG = 1 requires CR0\.PE = 1'
expect_order checkresume.panic "$log" 'CHECK fail' 'error: PANIC: the VM-entry checker refused the state for VMRESUME$'
expect checkresume.recorder_begin "$log" 'error: RECORDER begin cpu0 why=the VM-entry checker refused the state for VMRESUME entries=16$'
expect checkresume.recorder_last "$log" 'error: RECORDER #15 seq=[0-9]+ reason=VMCALL rip=0x[0-9a-f]{16} qual=0x0$'
expect_order checkresume.reset "$log" 'STATS end exits=' 'error: resetting the system'
expect_not checkresume.caught_before_the_cpu "$log" 'VM entry failed' 'error: resetting the system'

# ---- lateentry: without check=on, the VM entry after the exit fails: panic ----
log=$B/it/faults-lateentry/serial.log
boot_until lateentry emulator "$hw_reset" 2 $(run_args lateentry) --timeout 240 \
	--shell "$vmxray test=bad-resume-state trace=vmcall;$vmxcall 0x7e57;echo NOT-REACHED"
expect lateentry.reason "$log" 'error: VM entry failed: exit reason 33 \(INVALID_GUEST_STATE\), qualification 0x[0-9a-f]+$'
expect lateentry.panic "$log" 'error: PANIC: VM entry failed$'
expect lateentry.recorder_last "$log" 'error: RECORDER #15 seq=[0-9]+ reason=INVALID_GUEST_STATE rip=0x[0-9a-f]{16} qual=0x[0-9a-f]+$'
expect lateentry.recorder_cr0 "$log" 'error: RECORDER #15   GUEST_CR0 0x[0-9a-f]{16} -> 0x[0-9a-f]{16}$'
expect_not lateentry.no_fail_open "$log" 'returning to the firmware at' 'error: resetting the system'
expect_order lateentry.reset "$log" 'STATS end exits=' 'error: resetting the system'
# the trace rings are dumped at a panic too, the VMCALL that broke the state in them
expect_order lateentry.trace_dump_at_panic "$log" 'error: PANIC: VM entry failed$' 'info: TRACE end cpu=0 records=[1-9][0-9]* next=[0-9]+ lost=0 read=0 filtered=0 open=0$'
if "$B/vmxlog" trace "$log" --by rip 2>/dev/null | grep -q 'VMCALL.*function=32343 '; then pass lateentry.trace_has_the_vmcall
else fail lateentry.trace_has_the_vmcall "vmxlog finds no VMCALL record with function 0x7e57 (32343) in the dump"; fi
finish
