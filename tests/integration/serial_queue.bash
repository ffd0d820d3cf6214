# The serial log through its queue (drivers/ulog.h, log_tx=async): checks on a boot's
# raw serial log. Sourced after lib.bash.
#   serial_queue_checks NAME LOG
# NAME.launch_never_waited  the BSP's "log: serial async before launch" line: bytes were
#                           queued, and none was written while vmxray waited for the UART
# NAME.lines_whole          every "[vmxray/cpu" in the raw log begins one whole line of
#                           the documented format, ended by CR LF, holding no byte of
#                           the guest's (no escape, no CR, no second line start); lines
#                           the guest prints from the log ring ("LINUXTEST: hvctl_log: ")
#                           are the guest's text and left out
# NAME.bytes_accounted      the bytes of those lines before the power-off report equal
#                           the bytes vmxray queued (the report's total less the guest's;
#                           the lines the firmware-side code of vmxray.efi writes after
#                           launch, "vmxray is running" and "chain:", are the guest's):
#                           nothing dropped, nothing cut
serial_queue_checks() {
	local name=$1 log=$2 r
	if ! command -v python3 >/dev/null; then
		skip "$name.lines_whole" "python3 is not installed (tools/deps test)"
		return
	fi
	r=$(python3 - "$log" 2>/dev/null <<'PY'
import re, sys
d = open(sys.argv[1], 'rb').read()
out = []
m = re.search(rb'\[vmxray/cpu0\] info: log: serial async before launch: (\d+) bytes queued, (\d+) written while vmxray waited', d)
if not m:
    out.append('launch_never_waited FAIL no "log: serial async before launch" line')
elif int(m.group(1)) > 0 and int(m.group(2)) == 0:
    out.append('launch_never_waited PASS %s bytes queued before launch, 0 written while waiting' % m.group(1).decode())
else:
    out.append('launch_never_waited FAIL %s queued, %s written while waiting' % (m.group(1).decode(), m.group(2).decode()))
line = re.compile(rb'\[vmxray/cpu[0-9]+\] (error|warn|info|debug|trace): [ -~]*\r\n')
# the guest quoting the ring (the Linux payload's "LINUXTEST: hvctl_log: [vmxray/..."): not
# vmxray's bytes on the wire
def quoted(s):
    return d.rfind(b'LINUXTEST: ', d.rfind(b'\n', 0, s) + 1, s) >= 0
starts = [s.start() for s in re.finditer(rb'\[vmxray/cpu', d) if not quoted(s.start())]
bad = [s for s in starts if not line.match(d, s) or d.find(b'[vmxray/cpu', s + 1, line.match(d, s).end()) >= 0]
if not starts:
    out.append('lines_whole FAIL no vmxray line in the log')
elif bad:
    out.append('lines_whole FAIL %d of %d vmxray lines are not whole, first: %r' % (len(bad), len(starts), d[bad[0]:bad[0] + 120]))
else:
    out.append('lines_whole PASS %d vmxray lines, each whole' % len(starts))
rep = re.search(rb'\[vmxray/cpu[0-9]+\] info: log: serial async at [a-z-]+: (\d+) bytes queued \((\d+) of them the guest\'s\)', d)
if not rep:
    out.append('bytes_accounted FAIL no "log: serial async at" report (the run did not power off?)')
else:
    guest_side = re.compile(rb'\[vmxray/cpu[0-9]+\] [a-z]+: (vmxray is running:|chain: )')
    # a line that is not whole counts up to the next line start or LF
    def length(s):
        m = line.match(d, s)
        if m:
            return len(m.group(0))
        e = min(x for x in (d.find(b'[vmxray/cpu', s + 1), d.find(b'\n', s), len(d)) if x >= 0)
        return e - s
    mine = sum(length(s) for s in starts if s < rep.start() and not guest_side.match(d, s))
    want = int(rep.group(1)) - int(rep.group(2))
    if mine == want:
        out.append('bytes_accounted PASS %d bytes of vmxray lines = %d queued' % (mine, want))
    else:
        out.append('bytes_accounted FAIL %d bytes of vmxray lines in the log, %d queued' % (mine, want))
print('\n'.join(out))
PY
)
	[ -n "$r" ] || { fail "$name.lines_whole" "the log could not be read ($log)"; return; }
	while read -r check verdict why; do
		case $verdict in
		PASS) pass "$name.$check" ;;
		*) fail "$name.$check" "$why" ;;
		esac
	done <<<"$r"
}
