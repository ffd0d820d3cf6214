#!/usr/bin/env bash
# The in-guest fuzzer and hvctl in Bochs (corei7_haswell_4770, 1 CPU), from the UEFI shell:
#   1. hvctl with no vmxray loaded: "vmxray is not running", an error status, no VMCALL;
#   2. vmxfuzz mode=record: the cases meaningful without vmxray, on the bare emulated
#      CPU, their outcomes written to \EFI\vmxray\fuzz-1.bin on the ESP;
#   3. vmxray loads; vmxfuzz mode=check runs the same cases (and the vmxray-only ones)
#      and compares; vmxray must still answer after every 256 cases;
#   4. hvctl version / stats / owned / dump, and a bad subcommand.
# The record must have reached the disk image (Bochs' flat mode writes through).
source "$(dirname "$0")/lib.bash"
out=$B/it/fuzz
fz='\EFI\vmxray\vmxfuzz.efi'
# make fuzz runs this longer: VMXFUZZ_COUNT cases (default: the program's own, ~12000)
# from seed VMXFUZZ_SEED (default 1).
seed=${VMXFUZZ_SEED:-1}
args="seed=$seed${VMXFUZZ_COUNT:+ count=$VMXFUZZ_COUNT}"
timeout=$((600 + ${VMXFUZZ_COUNT:-0} / 100))
hv='\EFI\vmxray\hvctl.efi'
shell="$hv version;echo HVCTL-BARE-STATUS %lasterror%"
shell+=";$fz mode=record $args;echo RECORD-DONE"
shell+=';\EFI\vmxray\vmxray.efi'
shell+=";$fz mode=check $args;echo CHECK-DONE"
shell+=";$hv version;echo HVCTL-VERSION-STATUS %lasterror%"
shell+=";$hv stats;$hv owned;$hv dump"
shell+=";$hv frobnicate;echo HVCTL-BAD-STATUS %lasterror%"
boot fuzz --bed bochs --cpu corei7_haswell_4770 --smp 1 --timeout "$timeout" --out "$out" --shell "$shell"
log=$out/serial.log

# fuzz_summary NAME LOG N: the N-th "vmxfuzz: cases=..." summary (1 = record, 2 = check)
# has cases > 0, mismatches=0 and hypervisor_failures=0.
fuzz_summary() {
	local line
	line=$(clean "$2" | grep -aE '^vmxfuzz: cases=[0-9]+ mismatches=[0-9]+ hypervisor_failures=[0-9]+' | uniq | sed -n "$3p")
	if [ -z "$line" ]; then
		fail "$1" "no vmxfuzz summary line number $3 in $2"
	elif [[ "$line" =~ cases=([0-9]+)\ mismatches=0\ hypervisor_failures=0$ ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
		pass "$1 ($line)"
	else
		fail "$1" "$line; $(clean "$2" | grep -aE '^vmxfuzz: (MISMATCH|HVFAIL|ERROR)' | uniq | head -5 | tr '\n' ';')"
	fi
}

# hvctl before vmxray: it must say so and fail, and never execute VMCALL (#UD).
expect hvctl.bare_not_running "$log" '^vmxray is not running$'
expect hvctl.bare_error_status "$log" '^HVCTL-BARE-STATUS 0x[0-9a-fA-F]*[1-9a-fA-F][0-9a-fA-F]*$'
expect_not hvctl.bare_no_fault "$log" '^hvctl: .*raised' '^HVCTL-BARE-STATUS'

expect record.wrote "$log" "^vmxfuzz: INFO wrote [0-9]+ cases to \\\\EFI\\\\vmxray\\\\fuzz-$seed\\.bin"
fuzz_summary record.summary "$log" 1
expect launched "$log" 'info: vmxray is running: the firmware continues as its guest'
expect check.read_record "$log" "^vmxfuzz: INFO mode=check seed=$seed count=[0-9]+ record=\\\\EFI\\\\vmxray\\\\fuzz-$seed\\.bin"
fuzz_summary check.summary "$log" 2
expect_order check.finished "$log" '^vmxfuzz: INFO mode=check' '^CHECK-DONE'

expect hvctl.version "$log" '^vmxray [0-9]+\.[0-9]+$'
expect hvctl.version_status "$log" '^HVCTL-VERSION-STATUS 0x0$'
expect hvctl.stats_header "$log" '^exit reason +count$'
expect hvctl.stats_cpuid "$log" '^CPUID +[1-9][0-9]*$'
expect hvctl.stats_vmcall "$log" '^VMCALL +[1-9][0-9]*$'
expect hvctl.stats_total "$log" '^total +[1-9][0-9]*$'
expect hvctl.owned "$log" '^0x[0-9a-f]{16} - 0x[0-9a-f]{16} +[0-9]+$'
expect hvctl.dump "$log" 'VMCS dump begin: DUMP_VMCS hypercall'
expect hvctl.unknown_command "$log" "^hvctl: unknown command 'frobnicate'"
expect hvctl.unknown_usage "$log" '^usage: hvctl COMMAND'
expect hvctl.unknown_status "$log" '^HVCTL-BAD-STATUS 0x[0-9a-fA-F]*[1-9a-fA-F][0-9a-fA-F]*$'

expect_not no_root_exception "$log" 'root-mode exception' 'info: STATS end exits='
expect_not no_panic "$log" 'PANIC' 'info: STATS end exits='

# The record went through OVMF's FAT driver to the image file (ESP at 1 MiB).
rec=$out/fuzz-$seed.bin
rm -f "$rec"
if mcopy -n -i "$out/disk.img@@1M" "::/EFI/vmxray/fuzz-$seed.bin" "$rec" 2>/dev/null &&
	[ "$(head -c 8 "$rec")" = VMXFUZZ1 ] && [ "$(stat -c %s "$rec")" -gt 32 ]; then
	pass "record.on_disk ($(stat -c %s "$rec") bytes)"
else
	fail record.on_disk "\\EFI\\vmxray\\fuzz-$seed.bin is not in $out/disk.img (or not a record)"
fi
finish
