# Helpers for integration tests (sourced). Each check prints exactly one line:
#   PASS name | FAIL name: why | SKIP name: why
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=${B:-$here/build}
FAILED=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; FAILED=1; }
skip() { echo "SKIP $1: $2"; }

# clean LOG: the serial log without terminal escapes and carriage returns
clean() { sed -e 's/\x1b\[[0-9;=?]*[A-Za-z]//g' -e 's/\r//g' "$1"; }

# expect NAME FILE REGEX: the cleaned log holds a line matching REGEX
expect() {
	if clean "$2" | grep -aEq -- "$3"; then pass "$1"; else fail "$1" "no line matches /$3/ in $2"; fi
}
# expect_not NAME FILE REGEX
expect_not() {
	local hit
	hit=$(clean "$2" | grep -aE -m1 -- "$3")
	if [ -z "$hit" ]; then pass "$1"; else fail "$1" "unexpected line: $hit"; fi
}
# expect_order NAME FILE REGEX1 REGEX2: a line matching REGEX2 comes after one matching REGEX1
expect_order() {
	local a b
	a=$(clean "$2" | grep -aEn -m1 -- "$3" | cut -d: -f1)
	b=$(clean "$2" | grep -aEn -- "$4" | tail -1 | cut -d: -f1)
	if [ -n "$a" ] && [ -n "$b" ] && [ "$b" -gt "$a" ]; then pass "$1"; else fail "$1" "/$4/ does not follow /$3/"; fi
}
# vmxtest_summary NAME LOG: the in-guest test program reported 0 failed
vmxtest_summary() {
	local line
	line=$(clean "$2" | grep -aE '^vmxtest: [0-9]+ passed, [0-9]+ failed' | tail -1)
	if [ -z "$line" ]; then
		fail "$1" "no vmxtest summary line in $2"
	elif [[ "$line" =~ ^vmxtest:\ ([0-9]+)\ passed,\ 0\ failed ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
		pass "$1 ($line)"
	else
		fail "$1" "$line; $(clean "$2" | grep -aE '^vmxtest: FAIL' | sort -u | head -5 | tr '\n' ';')"
	fi
}
# boot NAME RUN-ARGS...: boots with tools/run; passes when the guest powered off
boot() {
	local name=$1
	shift
	"$here/tools/run" --quiet "$@"
	local rc=$?
	case $rc in
	0) pass "$name.powered_off" ;;
	3) fail "$name.powered_off" "timeout: the guest never powered off" ;;
	*) fail "$name.powered_off" "tools/run exited $rc" ;;
	esac
	return $rc
}
finish() { exit $FAILED; }

# linux_image NAME OUT [with-vmxray]: fetches the Linux payload (tools/linux-payload) and
# builds OUT/disk.img whose startup.nsh runs acpitables, optionally vmxray, then the
# kernel's EFI stub. Skips the test (exit 77) when the Debian archive cannot be reached
# and nothing is cached; fails the test when anything else goes wrong.
linux_image() {
	local name=$1 out=$2 with=${3:-} payload=$B/linux-payload
	mkdir -p "$out"
	"$here/tools/linux-payload" "$payload" >"$out/payload.log" 2>&1
	local rc=$?
	if [ $rc -eq 77 ]; then
		skip "$name" "$(grep -m1 'cannot be reached' "$out/payload.log" | sed 's/^linux-payload: //')"
		exit 77
	elif [ $rc -ne 0 ]; then
		fail "$name.payload" "tools/linux-payload exited $rc: $(tail -1 "$out/payload.log")"
		finish
	fi
	if ! make -s -C "$here" B="$B" "$B/guest/acpitables.efi" >"$out/make.log" 2>&1; then
		fail "$name.build" "building acpitables.efi failed: $(tail -1 "$out/make.log")"
		finish
	fi
	local cmdline vmx=() mk=()
	cmdline="$(cat "$payload/cmdline") initrd=\\EFI\\linux\\initrd.img"
	[ "$with" = with-vmxray ] && vmx=('\EFI\vmxray\vmxray.efi') || mk=(--no-vmxray)
	printf '%s\n' '@echo -off' 'fs0:' '\EFI\vmxray\acpitables.efi' "${vmx[@]}" \
		"\\EFI\\linux\\vmlinuz.efi $cmdline" 'echo LINUX-RETURNED' 'reset -s' >"$out/startup.nsh"
	B=$B "$here/tools/mkimage" shell "$out/disk.img" "${mk[@]}" --startup "$out/startup.nsh" \
		--add "$payload/vmlinuz.efi=\\EFI\\linux\\vmlinuz.efi" \
		--add "$payload/initrd.img=\\EFI\\linux\\initrd.img" || {
		fail "$name.image" "tools/mkimage failed"
		finish
	}
}
