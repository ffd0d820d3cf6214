#!/usr/bin/env bash
# A hostile guest (tests/guest/vmxhostile.c) under vmxray in Bochs (corei7_haswell_4770,
# 2 CPUs): every route of issue 20 to vmxray's memory, its log and the other processor,
# tried from the UEFI shell. The guest reports what happened to each attempt; root
# mode's log shows that vmxray's memory stayed intact (the canaries at power-off), that
# it never faulted or panicked, that the refusals and rate limits happened where the
# guest asked for too much, and that nothing it dropped from its log went unsaid.
source "$(dirname "$0")/lib.bash"
out=$B/it/hostile
log=$out/serial.log
rm -f "$log"
boot hostile --bed bochs --cpu corei7_haswell_4770 --smp 2 --timeout 600 --out "$out" \
	--shell '\EFI\vmxray\vmxray.efi;\EFI\vmxray\vmxhostile.efi;echo HOSTILE-SHELL-ALIVE'

expect launched "$log" 'info: vmxray is running: the firmware continues as its guest'
end='info: STATS end exits='
guest_checks hostile "$(guest_results "$out" vmxhostile)" vmxhostile
# vmxray's memory: every vCPU's canary as written at launch.
expect owned.canaries_intact "$log" 'info: STATS canaries intact=2 of 2$'
expect_not no_root_exception "$log" 'root-mode exception' "$end"
expect_not no_panic "$log" 'PANIC' "$end"
expect_not no_ept_pool_exhausted "$log" 'EPT memory types could not follow' "$end"
# The MTRR pair with a discontinuous mask: refused whole (#GP, said in the log) when its
# EPT retype does not fit the pool, else done whole; never half ("could not follow").
results=$(guest_results "$out" vmxhostile)
if grep -aq 'MTRR discontinuous mask: refused' "$results"; then
	expect mtrr.refused_logged "$log" 'warn: MTRR: WRMSR 0x2[0-9a-f]+ = 0x1800 refused \(#GP\): its EPT retype needs more than [0-9]+ table pages'
else
	expect_not mtrr.no_refusal_logged "$log" 'warn: MTRR: WRMSR .* refused' "$end"
fi
# DUMP_VMCS in a loop: dumps, but rate-limited (the guest counts the EAGAINs).
expect dump.first_dump "$log" 'VMCS dump begin: DUMP_VMCS hypercall'
n=$(clean "$log" | grep -ac 'VMCS dump begin: DUMP_VMCS hypercall')
if [ "$n" -ge 1 ] && [ "$n" -le 4 ]; then pass dump.rate_limited_in_log
else fail dump.rate_limited_in_log "$n DUMP_VMCS dumps in the log for 20 calls"; fi
# ... and the counts at power-off: the guest's 20 calls, 3 dumps (the burst), the rest refused.
expect dump.counted_at_power_off "$log" 'info: hypercall: DUMP_VMCS dumps=[1-4] refused=1[6-9] \(rate limit: 3, then one per [0-9]+ TSC ticks\)'
# The APIC page: an instruction vmxray does not decode gives the page back, said once.
expect apic.undecoded_gives_page_back "$log" 'warn: IPI: APIC write not emulated: an instruction vmxray does not decode \(f0 83 08 00'
# Every other APIC-page write (the firmware's EOIs and timer, the guest's XCHGs) was the
# store the exit reported: none refused for another address, event delivery or the like.
expect_not apic.emulated_writes_match_exits "$log" 'APIC write not emulated: (the instruction at RIP stores elsewhere|event delivery|not a linear access|not a data write|a store past|LOCK)' "$end"
# The log: its dropped-line counter is printed with the statistics (dropped lines are said).
expect log.dropped_counter "$log" 'info: log: dropped lines=[0-9]+ bytes=[0-9]+ \(per-exit budget 1024 bytes\)'
expect_order shell_keeps_working "$log" '^vmxhostile: [0-9]+ passed' '^HOSTILE-SHELL-ALIVE'
finish
