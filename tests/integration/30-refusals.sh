#!/usr/bin/env bash
# CPUs that lack what vmxray requires: it names what is missing by its SDM name, leaves
# the machine unchanged, and the shell keeps working.
source "$(dirname "$0")/lib.bash"
run_refused() { # name cpu regex...
	local name=$1 cpu=$2
	shift 2
	local out=$B/it/$name
	boot "$name" --bed bochs --cpu "$cpu" --smp 1 --timeout 300 --out "$out" \
		--shell '\EFI\vmxray\vmxray.efi;echo SHELL-AFTER-REFUSAL;\EFI\vmxray\vmxtest.efi bare quick noowned'
	for re in "$@"; do
		expect "$name.names_missing" "$out/serial.log" "$re"
	done
	expect "$name.returns_to_firmware" "$out/serial.log" 'vmxray cannot start on this machine; returning to the firmware unchanged'
	expect_order "$name.shell_keeps_working" "$out/serial.log" 'cannot start on this machine' '^SHELL-AFTER-REFUSAL'
	guest_checks "$name.machine_unchanged" "$(guest_results "$out")"
}
run_refused penryn core2_penryn_t9600 \
	'missing required VMX capability: secondary processor-based VM-execution controls bit 1 \(Enable EPT\)' \
	'missing required VMX capability: secondary processor-based VM-execution controls bit 7 \(Unrestricted guest\)'
run_refused lynnfield corei5_lynnfield_750 \
	'missing required VMX capability: secondary processor-based VM-execution controls bit 7 \(Unrestricted guest\)'
finish
