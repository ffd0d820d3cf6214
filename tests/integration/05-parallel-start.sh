#!/usr/bin/env bash
# Boots that start at the same instant never race for a resource. Bochs 2.7 binds its VNC
# port (5900-5949) and then listens on the same socket, so two started together could both
# bind one port and the loser died at once ("RFB could not bind any port"). tools/run now
# serialises the start until its Bochs listens. Three bare boots are started together
# here (each its own output folder, image and logs); all must come up, each on its own
# VNC port, and reach the shell and power off.
source "$(dirname "$0")/lib.bash"
n=3
pids=()
for i in $(seq 1 $n); do
	out=$B/it/parallel-$i
	rm -rf "$out"
	mkdir -p "$out"
	"$here/tools/run" --quiet --bed bochs --smp 1 --timeout 300 --no-vmxray --out "$out" \
		--shell "echo PARALLEL-BOOT-$i" >"$out/run.out" 2>&1 &
	pids+=($!)
done
ports=()
for i in $(seq 1 $n); do
	out=$B/it/parallel-$i
	wait "${pids[$((i - 1))]}"
	rc=$?
	[ $rc -eq 0 ] && pass "parallel.boot$i.powered_off" || fail "parallel.boot$i.powered_off" "tools/run exited $rc: $(tail -1 "$out/run.out")"
	expect_not "parallel.boot$i.no_port_race" "$out/emulator.log" 'RFB could not bind' 'listening for connections on port'
	expect "parallel.boot$i.own_shell" "$out/serial.log" "^PARALLEL-BOOT-$i\$"
	ports+=("$(grep -ao 'listening for connections on port [0-9]*' "$out/emulator.log" | awk '{print $NF}')")
done
distinct=$(printf '%s\n' "${ports[@]}" | grep -c . )
unique=$(printf '%s\n' "${ports[@]}" | grep . | sort -u | wc -l)
if [ "$distinct" = $n ] && [ "$unique" = $n ]; then
	pass "parallel.distinct_vnc_ports (${ports[*]})"
else
	fail parallel.distinct_vnc_ports "ports: ${ports[*]:-none}"
fi
finish
