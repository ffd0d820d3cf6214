#!/usr/bin/env bash
# vmxray in Bochs (corei7_haswell_4770) from the UEFI shell: a bad option is refused,
# then vmxray launches with a CPUID dump and trace (EXIT lines and records: trace_out=both),
# the in-guest test program checks every handler and hypercall, hvctl reads the trace
# records (TRACE_READ), and the shell keeps working until it powers off.
source "$(dirname "$0")/lib.bash"
out=$B/it/haswell
shell='\EFI\vmxray\vmxray.efi log=loud;echo BADOPT-RETURNED;\EFI\vmxray\vmxray.efi dump=cpuid:1 trace=cpuid,vmcall trace_out=both tracebuf=4;\EFI\vmxray\vmxtest.efi;\EFI\vmxray\hvctl.efi trace;echo SHELL-STILL-ALIVE'
boot haswell --bed bochs --cpu corei7_haswell_4770 --smp 2 --timeout 420 --out "$out" --shell "$shell"
log=$out/serial.log

expect bad_option.names_key_and_values "$log" "vmxray: option 'log': invalid value 'loud' \(valid: error, warn, info, debug, trace\)"
n=$(clean "$log" | grep -ac "vmxray: option 'log': invalid value 'loud'")
[ "$n" = 1 ] && pass bad_option.said_once || fail bad_option.said_once "the message is in the log $n times"
# The serial log stays plain text: no NUL anywhere, and vmxray's own lines hold nothing
# but printable ASCII (the firmware's console adds terminal escapes, which clean removes).
if [ -s "$log" ] && [ "$(tr -d '\000' <"$log" | wc -c)" = "$(wc -c <"$log")" ]; then pass serial.no_nul_bytes
else fail serial.no_nul_bytes "$(tr -cd '\000' <"$log" | wc -c) NUL byte(s) in $log (or it is empty)"; fi
odd=$(clean "$log" | grep -a '^\[vmxray/' | LC_ALL=C grep -a -m1 '[^ -~]')
if evidence "$log" 'info: STATS end exits=' && [ -z "$odd" ]; then pass serial.vmxray_lines_printable
else fail serial.vmxray_lines_printable "${odd:-no STATS end line: the run did not finish}"; fi
# The log went through its queue (log_tx=async): the launch never waited for the UART,
# and vmxray's lines reached the wire whole and all of them (tests/integration/serial_queue.bash).
source "$(dirname "$0")/serial_queue.bash"
serial_queue_checks serial "$log"
expect_order bad_option.shell_continues "$log" "invalid value 'loud'" "^BADOPT-RETURNED"
expect banner "$log" '^\[vmxray/cpu0\] info: vmxray [0-9]+\.[0-9]+ \(.*\) starting'
# The banner names the commit that was built: make rewrites build/gen/git_rev.h whenever
# `git describe --always --dirty` changes (a new commit, a dirty tree), rebuilds what
# prints it, and notes the revision of each link in build/vmxray.rev; a stale object
# would show another revision here.
rev=$(cat "$B/vmxray.rev" 2>/dev/null)
expect banner.built_revision "$log" "^\\[vmxray/cpu0\\] info: vmxray [0-9]+\\.[0-9]+ \\(${rev:-no-vmxray.rev}\\) starting"
expect cpu_line "$log" 'info: CPU: GenuineIntel family 0x6 model 0x3c .*VMX present'
expect caps.matrix_begin "$log" 'info: CAPS BEGIN format=1'
expect caps.ept_required_used "$log" 'CAPS PROC2 bit 1  Enable EPT +allowed0=0 allowed1=1 required used'
expect caps.unrestricted_required_used "$log" 'CAPS PROC2 bit 7  Unrestricted guest +allowed0=0 allowed1=1 required used'
expect launched "$log" 'info: vmxray is running: the firmware continues as its guest'
expect dump.begin "$log" 'VMCS dump begin: dump=cpuid on cpu[0-9]+'
expect dump.guest_rip "$log" 'VMCS GUEST_RIP +0x681e = 0x[0-9a-f]{16}'
expect dump.exit_reason_decoded "$log" 'VMCS   ~ VM_EXIT_REASON: CPUID \(10\)'
expect dump.guest_cs_ar_decoded "$log" 'VMCS   ~ GUEST_CS_AR_BYTES: type=0xb S=1 DPL=0 P=1 L=1'
expect trace.cpuid_leaf_and_result "$log" 'EXIT seq=[0-9]+ reason=CPUID rip=0x[0-9a-f]{16} len=2 qual=0x0 leaf=0x40000000 subleaf=0x[0-9a-f]+ eax=0x40000001 ebx=0x52786d56 ecx=0x6d567961 edx=0x79615278'
expect trace.vmcall "$log" 'EXIT seq=[0-9]+ reason=VMCALL .* function=0 status=0'
# hvctl trace: TRACE_READ per CPU, one line per record, then each ring's counts; what it
# read is not dumped again at power-off (read= in the dump)
expect trace.hvctl_record_line "$log" '^cpu0 #[0-9]+ tsc=[0-9]+ CPUID rip=0x[0-9a-f]+ qual=0x0 cycles=[0-9]+ leaf=0x[0-9a-f]+ subleaf=0x[0-9a-f]+ eax=0x'
expect trace.hvctl_counts "$log" '^hvctl: trace: cpu1: [0-9]+ records written, [0-9]+ lost \(overwritten before read\)$'
expect trace.dump_after_hvctl "$log" 'info: TRACE end cpu=0 records=[0-9]+ next=[0-9]+ lost=[0-9]+ read=[1-9][0-9]* filtered=0 open=0$'
guest_checks vmxtest "$(guest_results "$(dirname "$log")")"
expect owned.canaries_intact "$log" 'info: STATS canaries intact=2 of 2$'
expect owned.violations_logged "$log" 'warn: EPT violation #1 \(access to vmxray memory\)'
expect_not owned.no_violation_elsewhere "$log" 'EPT violation #[0-9]+ \(outside vmxray memory' 'info: STATS end exits='
expect_not no_root_exception "$log" 'root-mode exception' 'info: STATS end exits='
expect_not no_panic "$log" 'PANIC' 'info: STATS end exits='
expect_order shell_keeps_working "$log" '^vmxtest: [0-9]+ passed' '^SHELL-STILL-ALIVE'
finish
