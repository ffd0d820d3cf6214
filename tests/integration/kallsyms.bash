# The kernel's symbol table of a Linux boot, exported by /init's symexport through Bochs's
# port 0xE9 (tools/symexport/symexport.c; tools/run --port-e9 keeps the bytes in
# OUT/emulator.out), for tools/vmxlog records --system-map. Sourced by the Linux scripts.

# is_system_map FILE: FILE holds text symbols in System.map form ("ADDR T name").
is_system_map() { [ -s "$1" ] && [ "$(head -c 65536 "$1" | grep -c ' [Tt] ')" -gt 100 ]; }

# kallsyms_extract EMULATOR_OUT MAP SERIAL_LOG: writes the exported table to MAP; returns 1
# with KALLSYMS_WHY set (quoting symexport's console line) when none was exported or the
# table is not whole (its end line counts the symbols and bytes sent).
kallsyms_extract() {
	local emu=$1 map=$2 log=$3 said end n bytes
	said=$(clean "$log" 2>/dev/null | grep -a -m1 '^symexport: ' | tr -d '\r')
	KALLSYMS_WHY=""
	rm -f "$map"
	if ! grep -aqx 'vmxray-kallsyms begin' "$emu" 2>/dev/null; then
		KALLSYMS_WHY="no symbols came through port 0xE9 (${said:-no symexport line on the console})"
		return 1
	fi
	sed -n '/^vmxray-kallsyms begin$/,/^vmxray-kallsyms end /p' "$emu" | sed '1d' >"$map.tmp"
	end=$(tail -n 1 "$map.tmp")
	if [[ ! "$end" =~ ^vmxray-kallsyms\ end\ symbols=([0-9]+)\ bytes=([0-9]+)$ ]]; then
		KALLSYMS_WHY="the export through port 0xE9 has no end line (cut short; ${said:-no symexport line})"
		rm -f "$map.tmp"
		return 1
	fi
	n=${BASH_REMATCH[1]} bytes=${BASH_REMATCH[2]}
	head -n -1 "$map.tmp" >"$map"
	rm -f "$map.tmp"
	if [ "$(wc -l <"$map")" != "$n" ] || [ "$(wc -c <"$map")" != "$bytes" ]; then
		KALLSYMS_WHY="the export through port 0xE9 is not whole: $(wc -l <"$map") lines, $(wc -c <"$map") bytes for symbols=$n bytes=$bytes"
		rm -f "$map"
		return 1
	fi
}

# symbols_check_rips CSV MAP: each of vmxlog's top_rips rows that names a symbol
# (records --system-map --format csv) is checked against MAP itself: NAME+OFF must be a text
# symbol (any alias) at the last text address at or below the RIP, with a next one above
# it, and OFF the difference. Prints "ok N RIPs: ..." or what disagrees.
symbols_check_rips() {
	local csv=$1 map=$2 sorted n=0 bad="" first="" reason rip sym r name off res a next names
	sorted=$(mktemp)
	awk '$2 ~ /^[tTwW]$/' "$map" | LC_ALL=C sort -u >"$sorted"
	while IFS=, read -r _ reason rip sym _; do
		[ "$sym" = - ] && continue
		r=${rip#0x} name=${sym%+0x*} off=${sym##*+}
		# strings, not numbers: 16 lower-case hex digits compare in address order
		res=$(awk -v r="$r" '{
			if (($1 "") <= (r "")) { if ($1 != a) { a = $1; names = "" } names = names " " $3 }
			else { print a, $1, names; found = 1; exit }
		} END { if (!found) print (a == "" ? "none" : a), "none", names }' "$sorted")
		read -r a next names <<<"$res"
		n=$((n + 1))
		if [ "$a" = none ] || [ "$next" = none ] || [[ " $names " != *" $name "* ]] || [ $((0x$r - 0x$a)) != $((off)) ]; then
			bad+=" $reason $rip: vmxlog $sym, table ${a}:[$names ] next $next;"
		fi
		[ -n "$first" ] || first="$reason $rip = $sym in [0x$a, 0x$next)"
	done < <(grep '^top_rips,' "$csv")
	rm -f "$sorted"
	if [ -n "$bad" ]; then echo "$bad"
	elif [ "$n" = 0 ]; then echo "no top RIP named a kernel symbol"
	else echo "ok $n RIPs, e.g. $first"; fi
}
