#!/usr/bin/env bash
# vmxray's GDB stub driven by Debian's gdb, in Bochs (corei7_haswell_4770, 2 CPUs, no
# monitor trap flag: single steps use RFLAGS.TF and an intercepted #DB). COM2 is a TCP
# server (tools/run --gdb-socket); vmxray runs with gdb=0x2f8 gdb_wait=on, so the guest
# stops right after launch until gdb continues. gdb attaches, reads registers and
# memory, catches the CPUID exit by which tests/guest/gdbtarget.efi announces itself,
# breaks in that program (EPT execute breakpoint), writes a register (and a CR0 that VM
# entry would refuse: undone and logged), steps, watches a write, switches threads,
# shows the VMCS, is interrupted with Ctrl-C while the program spins, writes memory (an
# X packet whose bytes need escaping), reads it back guest-physically (monitor phys on),
# is refused vmxray's own memory by both views, and detaches. gdb records the wire (set
# debug remote 1, remote.log): QStartNoAckMode is accepted and honoured. The program's
# own output shows it saw none of it (no TF in a stepped PUSHF, its code unchanged)
# except the writes gdb made on purpose.
source "$(dirname "$0")/lib.bash"
out=$B/it/gdb${GDB_TEST_CPU:+-$GDB_TEST_CPU}
# GDB_TEST_CPU=MODEL: the same on another Bochs model (steps use TF on every model:
# STEP_MTF in vmx/policy/step.h).
cpu=${GDB_TEST_CPU:-corei7_haswell_4770}
if ! command -v gdb >/dev/null; then
	skip gdb "gdb is not installed (Debian package gdb; tools/deps test)"
	exit 77
fi
rm -rf "$out"
mkdir -p "$out"
port=$((20000 + $$ % 20000))
shell='\EFI\vmxray\vmxray.efi gdb=0x2f8 gdb_wait=on;\EFI\vmxray\gdbtarget.efi;echo GDB-SHELL-ALIVE'
"$here/tools/run" --quiet --bed bochs --cpu "$cpu" --smp 2 --timeout 600 --out "$out" \
	--shell "$shell" --gdb-socket "$port" >"$out/run.out" 2>&1 &
run=$!
# Bochs waits at start until a client connects to COM2: this script is that client
# (fd 3), and hands the connection to gdb once vmxray waits for it (gdb=0x2f8
# gdb_wait=on). Whatever the firmware wrote to COM2 before vmxray took the port over is
# read and dropped first, so gdb's first packet meets the stub.
for _ in $(seq 1 300); do
	{ exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null && break
	kill -0 $run 2>/dev/null || break
	sleep 0.2
done
for _ in $(seq 1 3000); do
	grep -aq 'gdb: gdb_wait=on: the guest waits for a debugger' "$out/serial.log" 2>/dev/null && break
	kill -0 $run 2>/dev/null || break
	sleep 0.1
done
timeout 2 cat <&3 >"$out/com2-before-vmxray.txt"
# vmxray's own memory (its reservation, from its log): gdb must not read it, by
# guest-virtual (UEFI's identity map) or guest-physical address.
own=$(clean "$out/serial.log" | grep -aoE 'KiB reserved at 0x[0-9a-f]+' | head -1 | grep -oE '0x[0-9a-f]+')
own=${own:-0}

cat >"$out/cmds.gdb" <<GDB
set pagination off
set confirm off
set width 0
set remotetimeout 30
set architecture i386:x86-64
set logging file $out/remote.log
set logging overwrite on
set logging debugredirect on
set debug remote 1
set logging enabled on
target remote | exec bash -c 'cat <&3 & exec cat >&3'
echo GDB-ATTACHED\n
info registers rip eflags cs cr0 cr3 cr4 efer fs_base
x/4xb \$pc
info threads
monitor catch cpuid 0x6db7a6e7
continue
echo GDB-CAUGHT\n
p/x \$rax
set \$fn = \$rdi
set \$ctr = \$rsi
set \$rel = \$rdx
set \$tfmark = \$r8
eval "break *0x%lx", \$fn
set \$cr0 = 0x80000000
continue
echo GDB-AT-BREAK\n
p \$pc == \$fn
set \$rdi = 7
p/x \$rdi
stepi
echo GDB-STEPPED\n
p \$pc != \$fn
p/x \$eflags & 0x100
delete
eval "watch *(long *)0x%lx", \$ctr
continue
echo GDB-WATCHED\n
delete
eval "break *0x%lx", \$tfmark
continue
echo GDB-AT-TFMARK\n
printf "TFMARK eflags.tf=%#x\n", \$eflags & 0x100
stepi
printf "TFSTEP pc=mark+%d\n", \$pc - \$tfmark
delete
thread 2
info registers rip
monitor vmcs
thread 1
monitor stats
monitor ept 0
echo GDB-RUN-FREE\n
continue
echo GDB-INTERRUPTED\n
eval "set var *(long *)0x%lx = 0x247d2a23", \$rel
eval "x/1gx 0x%lx", \$rel
monitor phys on
eval "x/1gx 0x%lx", \$rel
python
for view in ("physical", "virtual"):
    try:
        gdb.selected_inferior().read_memory($own, 8)
        print("VMXRAY-MEMORY-READ %s" % view)
    except gdb.MemoryError:
        print("VMXRAY-MEMORY-REFUSED %s" % view)
    gdb.execute("monitor phys off")
end
detach
echo GDB-DETACHED\n
GDB
timeout 400 gdb -batch -nx -x "$out/cmds.gdb" >"$out/gdb.out" 2>&1 &
gdbpid=$!
# Ctrl-C: once the program spins, SIGINT to gdb (which sends 0x03 to the stub).
for _ in $(seq 1 4000); do
	kill -0 $gdbpid 2>/dev/null || break
	if clean "$out/serial.log" | grep -aq '^gdbtarget: spinning' && grep -aq 'GDB-RUN-FREE' "$out/gdb.out"; then
		sleep 2
		pkill -INT -P $gdbpid -x gdb 2>/dev/null
		break
	fi
	sleep 0.1
done
wait $gdbpid
exec 3>&-
echo "gdb exit status $?" >>"$out/gdb.out"
wait $run
case $? in
0) pass gdb.powered_off ;;
3) fail gdb.powered_off "timeout: the guest never powered off" ;;
*) fail gdb.powered_off "tools/run exited with an error (see $out)" ;;
esac
g=$out/gdb.out
log=$out/serial.log
expect gdb.stub_on "$log" 'info: gdb: remote stub on port 0x2f8, the guest waits for gdb at launch'
expect gdb.attached "$g" '^GDB-ATTACHED'
expect gdb.target_description "$g" '^efer +0x[0-9a-f]+'
expect gdb.registers "$g" '^rip +0x[0-9a-f]+'
expect gdb.memory_read "$g" '^0x[0-9a-f]+( <[^>]*>)?:(\s+0x[0-9a-f]{2}){4}'
expect gdb.two_threads "$g" '^  2 +Thread 2'
expect gdb.catch_cpuid "$g" 'vmxray: caught VM exit CPUID \(10\) on thread [12]: value=0x6db7a6e7'
expect gdb.catch_rax "$g" '= 0x6db7a6e7$'
expect_order gdb.breakpoint_hit "$g" '^GDB-CAUGHT' '^GDB-AT-BREAK'
expect gdb.breakpoint_pc "$g" '^\$[0-9]+ = 1$'
expect gdb.register_write "$g" '^\$[0-9]+ = 0x7$'
expect_order gdb.stepped "$g" '^GDB-AT-BREAK' '^GDB-STEPPED'
expect gdb.watch_write "$g" '^Hardware watchpoint [0-9]+: \*\(long \*\)0x[0-9a-f]+'
expect gdb.watch_values "$g" '^New value = 1$'
expect gdb.thread_switch "$g" 'Switching to thread 2'
expect gdb.monitor_vmcs "$g" 'VMCS GUEST_RIP +0x681e = 0x[0-9a-f]{16}'
expect gdb.monitor_stats "$g" 'thread 1 \(cpu[0-9]+\): [0-9]+ exits'
expect gdb.ctrl_c "$g" 'received signal SIGINT'
expect gdb.memory_write "$g" ':\s+0x0*247d2a23$'
expect gdb.phys_view "$g" '^m/M/X addresses are guest-physical'
n=$(clean "$g" | grep -acE ':\s+0x0*247d2a23$')
[ "$n" = 2 ] && pass gdb.phys_read_same || fail gdb.phys_read_same "the written value read $n times (virtual, physical) in $g"
expect gdb.vmxray_memory_refused_phys "$g" '^VMXRAY-MEMORY-REFUSED physical'
expect gdb.vmxray_memory_refused_virt "$g" '^VMXRAY-MEMORY-REFUSED virtual'
expect_not gdb.vmxray_memory_hidden "$g" 'VMXRAY-MEMORY-READ' '^VMXRAY-MEMORY-REFUSED'
[ "$own" != 0 ] && pass gdb.vmxray_memory_known || fail gdb.vmxray_memory_known "no 'KiB reserved at' line in $log"
expect gdb.detached "$g" '^GDB-DETACHED'
# gdb's own record of the wire (set debug remote 1): QStartNoAckMode accepted, and no
# acknowledgement from the stub after it; the memory write went as an X packet (binary,
# its bytes '#', '*', '}' and '$' escaped) and the program saw the value.
r=$out/remote.log
expect_order gdb.noack_accepted "$r" 'Sending packet: \$QStartNoAckMode#' 'Packet received: OK'
if evidence "$r" 'Sending packet: \$D#'; then
	acks=$(clean "$r" | sed -n '/Sending packet: \$QStartNoAckMode#/,$p' | sed 1,2d | grep -ac 'Received Ack')
	[ "$acks" = 0 ] && pass gdb.noack_honoured || fail gdb.noack_honoured "$acks acks after QStartNoAckMode in $r"
else
	fail gdb.noack_honoured "no detach in $r: the session did not run"
fi
expect gdb.x_packet "$r" 'Sending packet: \$X[0-9a-f]+,8:'
expect gdb.step_hides_tf "$g" '^\$[0-9]+ = 0x0$'
# The program single-steps itself (its own TF, set by POPFQ, which the stub stepped over
# on the breakpoint's page): gdb sees that TF, steps the instruction at the mark, and the
# program still gets its own #DB after that one instruction.
expect gdb.guest_tf_shown "$g" '^TFMARK eflags.tf=0x100$'
expect gdb.guest_tf_step "$g" '^TFSTEP pc=mark\+1$'
expect guest.own_single_step "$log" '^gdbtarget: own_db=#DB mark\+1$'
expect guest.register_write_seen "$log" '^gdbtarget: result=14$'
expect guest.code_unchanged "$log" '^gdbtarget: code_first_byte=0x[0-9a-f]+ unchanged=1$'
expect guest.no_tf_seen "$log" '^gdbtarget: tf_seen=0$'
expect guest.released_by_gdb "$log" '^gdbtarget: released=612182563 '
expect guest.done "$log" '^gdbtarget: done$'
expect_order guest.shell_after_detach "$log" '^gdbtarget: done' '^GDB-SHELL-ALIVE'
expect gdb.bad_register_write_refused "$log" 'warn: gdb: register write refused: VM entry would fail with it'
expect_not gdb.no_panic "$log" 'PANIC|root-mode exception' '^GDB-SHELL-ALIVE'
finish
