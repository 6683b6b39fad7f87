#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# limits.sh — what one client may cost mwsupd (doc/PROTOCOL.md, doc/PROTOCOL.md
# §2): a client that pipelines requests and never reads holds at most one
# reply in mwsupd (RSS stays flat) and others are served meanwhile; one
# request naming `all` 511 times over 2000 processes answers about as fast
# as one naming it once (name resolution is linear); as root, a flood of
# refused connections gives about one log line per second, with a count
# of the lines left out.
. "$(dirname "$0")/lib.sh"

require_engine
command -v python3 >/dev/null 2>&1 || skip "python3 is needed for the raw client"

cat >"$T/client.py" <<'PYEOF'
import socket, struct, sys, time

def frame(fields):
    body = struct.pack('>BBH', 1, 1, len(fields))
    for k, v in fields:
        body += struct.pack('>H', len(k)) + k + struct.pack('>H', len(v)) + v
    return struct.pack('>I', len(body)) + body

def read_reply(s):
    """Read frames up to and including the END; return the bytes read."""
    data = b''
    while True:
        off, done = 0, False
        while off + 4 <= len(data):
            n = struct.unpack('>I', data[off:off + 4])[0]
            if off + 4 + n > len(data):
                break
            if data[off + 5] == 3:
                return data
            off += 4 + n
        d = s.recv(1 << 20)
        if not d:
            return data
        data += d

sock_path, case = sys.argv[1], sys.argv[2]
if case == 'flood':			# SECONDS READY_FILE: write, never read
    secs, ready = float(sys.argv[3]), sys.argv[4]
    req = frame([(b'cmd', b'status')]) * 100
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(sock_path)
    s.setblocking(False)
    t0, sent = time.monotonic(), 0
    open(ready, 'w').close()
    while time.monotonic() - t0 < secs:
        try:
            sent += s.send(req)
        except BlockingIOError:
            time.sleep(0.005)
        except OSError:
            break			# dropped by mwsupd: fine
    print(sent)
elif case == 'names':			# CMD NAME COUNT: time one request
    cmd, name, count = sys.argv[3].encode(), sys.argv[4].encode(), int(sys.argv[5])
    req = frame([(b'cmd', cmd)] + [(b'name', name)] * count)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    t0 = time.monotonic()
    s.sendall(req)
    data = read_reply(s)
    print('%d %d' % (int((time.monotonic() - t0) * 1000), len(data)))
elif case == 'connects':		# N: connect and close N times
    for _ in range(int(sys.argv[3])):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(sock_path)
            s.recv(256)
        except OSError:
            pass
        s.close()
    print('done')
PYEOF
client() { python3 "$T/client.py" "$SOCK" "$@"; }

# ----------------------------------------------------------------------
section "a client that pipelines requests and never reads"
write_conf <<EOF
socket_mode = 0666
program w {
    command = "$H/sleeper"
    numprocs = 50
    startsecs = 0
}
EOF
start_mwsupd
retry 5 count_is w RUNNING 50 || fail "w not all RUNNING: $(ctl status | grep -vc RUNNING) are not"
rss0=$(rss_kib "$MWSUPD_PID")
client flood 3 "$T/flooding" >"$T/flood.out" 2>&1 &
FLOOD=$!
track_pid "$FLOOD"
retry 20 test -e "$T/flooding" || fail "the flooding client did not start"
# Others are served while it floods (the bound is generous: the machine
# running the tests may be loaded; a starved client would wait for good).
slow=0
for i in 1 2 3 4 5; do
	t0=$(now_ms)
	ctl status w:0 >/dev/null 2>&1 || slow=$((slow + 100))
	[ $(($(now_ms) - t0)) -lt 5000 ] || slow=$((slow + 1))
	sleep 0.3
done
expect_eq "status requests of another client failed or took over 5 s during the flood (of 5)" 0 "$slow"
wait "$FLOOD"
sent=$(cat "$T/flood.out")
# The peak (VmHWM): what was queued is freed once the client has gone.
rss1=$(awk '/^VmHWM:/ { print $2 }' "/proc/$MWSUPD_PID/status")
say "the flooding client wrote $sent bytes of requests; mwsupd RSS ${rss0} KiB before, peak ${rss1} KiB"
check "mwsupd's peak RSS stayed within 8 MiB of where it was (${rss0} -> ${rss1} KiB)" \
    test "$((rss1 - rss0))" -lt 8192
check "mwsupd still answers" ctl status w:0
stop_mwsupd

# ----------------------------------------------------------------------
section "one request naming all 511 times, 2000 processes"
write_conf <<EOF
program w {
    command = "$H/sleeper"
    numprocs = 2000
    autostart = false
}
EOF
start_mwsupd
read -r one_ms one_len < <(client names status all 1)
read -r many_ms many_len < <(client names status all 511)
read -r many2_ms many2_len < <(client names status w 511)
say "status all: ${one_ms} ms, ${one_len} bytes; all x511: ${many_ms} ms; w x511: ${many2_ms} ms"
expect_eq "the reply to all x511 (the same 2000 records)" "$one_len" "$many_len"
expect_eq "the reply to w x511" "$one_len" "$many2_len"
bound=$((5 * one_ms + 300))
check "all x511 answered within 5x one name + 300 ms (${many_ms} <= ${bound} ms)" \
    test "$many_ms" -le "$bound"
check "w x511 answered within 5x one name + 300 ms (${many2_ms} <= ${bound} ms)" \
    test "$many2_ms" -le "$bound"
read -r stop_ms _ < <(client names stop all 511)
check "stop of all x511 (nothing running) answered within ${bound} ms (${stop_ms} ms)" \
    test "$stop_ms" -le "$bound"
stop_mwsupd

# ----------------------------------------------------------------------
section "refused clients: about one log line per second"
# The system's python: another user may not run root's (pyenv) one.
SYSPY=/usr/bin/python3
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null 2>&1 ||
    ! getent passwd nobody >/dev/null || ! getent group nogroup >/dev/null ||
    ! setpriv --reuid=nobody --regid=nogroup --clear-groups "$SYSPY" -c '' \
    >/dev/null 2>&1; then
	note "not root (or no setpriv, nobody, nogroup or $SYSPY): refused clients not tried"
else
	write_conf <<EOF
socket_mode = 0666
program w { command = "$H/sleeper" startsecs = 0 }
EOF
	start_mwsupd
	mark_logs
	t0=$(now_ms)
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$SYSPY" "$T/client.py" "$SOCK" connects 300 >"$T/refused.out" 2>&1
	expect_eq "the refused client's output" done "$(cat "$T/refused.out")"
	ms=$(($(now_ms) - t0))
	# The count of the left-out lines comes at the end of the second.
	retry 3 in_syslog 'refused [0-9]+ more client' ||
		fail "no line counting the refusals left out"
	lines=$(syslog_new | grep -c 'refused client')
	more=$(syslog_new | sed -nE 's/.*refused ([0-9]+) more client.*/\1/p' |
	    awk '{ n += $1 } END { print n + 0 }')
	say "300 refused connections in $(ms_fmt "$ms"): $lines lines, $more counted"
	check "at most one 'refused client' line per second ($lines in $(ms_fmt "$ms"))" \
	    test "$lines" -le $((ms / 1000 + 2))
	expect_eq "refusals logged one by one plus those counted" 300 $((lines + more))
	check "mwsupd still answers root" ctl status w:0
	stop_mwsupd
fi

check "mwsupd's output shows no sanitizer report or crash" \
    eval '! grep -Eiq "sanitizer|runtime error|assert|segmentation" "$DLOG"'

finish
