#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# hostile.sh — the control socket under abuse (doc/PROTOCOL.md, doc/PROTOCOL.md §1,
# §2): idle connections, garbage, random bytes, half-sent and malformed
# frames, connect/disconnect storms; mwsupd keeps answering other clients
# quickly, keeps supervising and leaks no descriptor.  As root, also the
# SO_PEERCRED check: a user outside socket_group is refused (and logged)
# even when socket_mode lets it connect; a member is served.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || skip "python3 not found"
python3 -c 'import socket, struct' 2>/dev/null || skip "python3 is not usable"

require_engine

# ---------------------------------------------------------- raw client
# raw.py SOCKET CASE [ARGS]: speaks (or abuses) the protocol directly.
# Prints one line per frame received ("RECORD k=v ..." / "END k=v ...")
# and how the connection ended ("EOF", "OPEN" when still open after the
# timeout, "ERROR ...").
cat >"$T/raw.py" <<'PYEOF'
import os, socket, struct, sys, time, select

sock_path, case = sys.argv[1], sys.argv[2]
args = sys.argv[3:]

def field(k, v):
    return struct.pack('>H', len(k)) + k + struct.pack('>H', len(v)) + v

def frame(kind, fields, version=1, nfields=None):
    body = bytes([version, kind])
    body += struct.pack('>H', len(fields) if nfields is None else nfields)
    for k, v in fields:
        body += field(k, v)
    return struct.pack('>I', len(body)) + body

def request(*kv):
    return frame(1, [(k.encode(), v.encode()) for k, v in
                     (x.split('=', 1) for x in kv)])

# connect: like mwsupctl, retry while the listen queue is full (a
# non-blocking AF_UNIX connect fails with EAGAIN then), for 5 s at most.
def connect():
    deadline = time.monotonic() + 5
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(sock_path)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.005)

def recv_exact(s, n):
    buf = b''
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf

def show(body):
    kind = {1: 'REQUEST', 2: 'RECORD', 3: 'END'}.get(body[1], 'KIND%d' % body[1])
    n = struct.unpack('>H', body[2:4])[0]
    off, parts = 4, []
    for _ in range(n):
        kl = struct.unpack('>H', body[off:off+2])[0]; off += 2
        k = body[off:off+kl].decode(errors='replace'); off += kl
        vl = struct.unpack('>H', body[off:off+2])[0]; off += 2
        v = body[off:off+vl].decode(errors='replace'); off += vl
        parts.append('%s=%s' % (k, v))
    return kind, ' '.join(parts)

# read_replies: print frames until an END (and then check for EOF when
# want_eof), or EOF, or the timeout.
def read_replies(s, want_eof=True, timeout=5):
    s.settimeout(timeout)
    try:
        while True:
            hdr = recv_exact(s, 4)
            if hdr is None:
                print('EOF'); return
            body = recv_exact(s, struct.unpack('>I', hdr)[0])
            if body is None:
                print('EOF'); return
            kind, text = show(body)
            print(kind, text)
            if kind == 'END':
                break
        if not want_eof:
            return
        if s.recv(1) == b'':
            print('EOF')
        else:
            print('MORE')
    except socket.timeout:
        print('OPEN')
    except ConnectionResetError:	# closed with our bytes unread
        print('EOF')
    except OSError as e:
        print('ERROR', e.strerror or e)

def send_then_read(data):
    s = connect()
    try:
        s.sendall(data)
    except socket.timeout:
        print('SEND-TIMEOUT')
    except OSError as e:
        print('SEND-FAILED', e.strerror)	# EPIPE: closed early, fine
    read_replies(s)
    s.close()

# hold: keep the connections open until mwsupd closes them; write
# "open N" then "closed MS" (milliseconds from open until the last EOF)
# to OUTFILE.
def hold(conns, outfile, prefix=b''):
    t0 = time.monotonic()
    for c in conns:
        c.setblocking(False)
        if prefix:
            c.sendall(prefix)
    with open(outfile + '.tmp', 'w') as f:
        f.write('open %d\n' % len(conns))
    os.rename(outfile + '.tmp', outfile)
    live = set(conns)
    replies = []
    while live:
        r, _, _ = select.select(list(live), [], [], 60)
        if not r:
            break
        for c in r:
            try:
                d = c.recv(65536)
            except OSError:
                d = b''
            if d:
                replies.append(d)
            else:
                live.discard(c)
                c.close()
    with open(outfile, 'a') as f:
        f.write('closed %d %d\n' % (int((time.monotonic() - t0) * 1000),
                                    len(live)))
        for d in replies[:3]:
            f.write('reply %r\n' % d[:200])

if case == 'req':			# a well-formed request
    s = connect()
    try:
        s.sendall(request(*args))
    except OSError:			# refused at once: read the reply anyway
        pass
    read_replies(s, want_eof=False)
    s.close()
elif case == 'two':			# two requests on one connection
    s = connect()
    s.sendall(request(*args[0].split(',')))
    read_replies(s, want_eof=False)
    s.sendall(request(*args[1].split(',')))
    read_replies(s, want_eof=False)
    s.close()
elif case == 'idle':
    hold([connect() for _ in range(int(args[0]))], args[1])
elif case == 'half':			# 6 of a frame's bytes, then nothing
    hold([connect()], args[0], request('cmd=status')[:6])
elif case == 'garbage':			# 1 MiB, first length byte 0x7f
    data = bytearray(os.urandom(1 << 20)); data[0] = 0x7f
    send_then_read(bytes(data))
elif case == 'garbage-frame':		# a full-size frame of garbage, and more
    data = struct.pack('>I', 65536) + os.urandom((1 << 20) - 4)
    send_then_read(data)
elif case == 'len-ffffffff':
    send_then_read(b'\xff\xff\xff\xff' + request('cmd=status')[4:])
elif case == 'len-2':
    send_then_read(b'\x00\x00\x00\x02\x01\x01')
elif case == 'version-7':
    send_then_read(frame(1, [(b'cmd', b'status')], version=7))
elif case == 'version-0':
    send_then_read(frame(1, [(b'cmd', b'status')], version=0))
elif case == 'kind-2':
    send_then_read(frame(2, [(b'cmd', b'status')]))
elif case == 'nfields-513':
    send_then_read(struct.pack('>IBBH', 4, 1, 1, 513))
elif case == 'nfields-513-full':	# 513 real fields
    send_then_read(frame(1, [(b'cmd', b'status')] + [(b'name', b'x')] * 512))
elif case == 'field-past-end':		# nfields 2, one field present
    send_then_read(frame(1, [(b'cmd', b'status')], nfields=2))
elif case == 'trailing':		# bytes left after the last field
    f = frame(1, [(b'cmd', b'status')])
    body = f[4:] + b'xyz'
    send_then_read(struct.pack('>I', len(body)) + body)
elif case == 'nul-value':
    send_then_read(frame(1, [(b'cmd', b'sta\x00tus')]))
elif case == 'empty-key':
    send_then_read(frame(1, [(b'', b'x'), (b'cmd', b'status')]))
elif case == 'random':			# N clients, 64 KiB of random bytes each
    conns = []
    for _ in range(int(args[0])):
        c = connect()
        try:
            c.sendall(os.urandom(65536))
        except OSError:
            pass
        conns.append(c)
    for c in conns:
        read_replies(c, timeout=3)
        c.close()
elif case == 'random-frames':		# N frames: valid header, random body
    import random
    for _ in range(int(args[0])):
        n = random.randint(4, 65536)
        body = bytes([1, 1]) + os.urandom(n - 2)
        send_then_read(struct.pack('>I', n) + body)
elif case == 'cycles':			# connect/disconnect storm
    for i in range(int(args[0])):
        c = connect()
        if i % 3 == 1:			# a request, then leave unread
            c.sendall(request('cmd=status'))
        elif i % 3 == 2:		# half a frame, then leave
            c.sendall(request('cmd=status')[:7])
        c.close()
    print('done')
else:
    sys.exit('raw.py: unknown case ' + case)
PYEOF
raw() { python3 "$T/raw.py" "$SOCK" "$@" 2>&1; }

# ---------------------------------------------------------- users (root)
as_root=
[ "$(id -u)" -eq 0 ] && as_root=1
TGROUP= TUSER=
if [ -n "$as_root" ] && command -v setpriv >/dev/null 2>&1 &&
    command -v groupadd >/dev/null 2>&1 && command -v useradd >/dev/null 2>&1 &&
    getent passwd nobody >/dev/null; then
	TGROUP=mwsg$$ TUSER=mwsu$$
	if groupadd "$TGROUP" 2>/dev/null; then
		useradd -M -N -g nogroup -G "$TGROUP" -d /nonexistent \
		    -s /bin/false "$TUSER" 2>/dev/null ||
		useradd -M -G "$TGROUP" -d /nonexistent -s /bin/false \
		    "$TUSER" 2>/dev/null || TUSER=
	else
		TGROUP= TUSER=
	fi
fi
hostile_teardown() {
	local rc=$?
	[ -n "$TUSER" ] && userdel "$TUSER" >/dev/null 2>&1
	[ -n "$TGROUP" ] && groupdel "$TGROUP" >/dev/null 2>&1
	(exit "$rc")
	teardown
}
trap hostile_teardown EXIT

extra=
if [ -n "$TGROUP" ]; then
	extra="socket_mode = 0666
socket_group = \"$TGROUP\""
else
	extra="socket_mode = 0666"
fi
write_conf <<EOF
$extra
program worker {
    command = "$H/sleeper -p $T/worker.pid"
    startsecs = 0
}
EOF
start_mwsupd
wait_state worker:0 RUNNING 5
WPID=$(proc_pid worker:0)

fds() { ls "/proc/$MWSUPD_PID/fd" 2>/dev/null | wc -l; }
fds_back() { [ "$(fds)" -le "$BASE_FDS" ]; }
BASE_FDS=$(fds)
note "mwsupd $MWSUPD_PID has $BASE_FDS descriptors open at rest"

# quick_status WHAT: `mwsupctl status worker` answers in < 1 s with
# worker:0 RUNNING under its first pid.
quick_status() {
	local t0 out rc ms
	t0=$(now_ms)
	out=$(ctl status worker 2>&1)
	rc=$?
	ms=$(($(now_ms) - t0))
	if [ "$rc" -eq 0 ] && [ "$ms" -lt 1000 ] &&
	    [[ $out =~ ^worker:0\ +RUNNING\ +pid\ $WPID, ]]; then
		ok "$1: status answered in $(ms_fmt $ms), worker RUNNING"
	else
		fail "$1: status took $(ms_fmt $ms), exit $rc: '$out'"
	fi
}

# ----------------------------------------------------------------------
section "the raw client speaks the protocol"
r=$(raw req cmd=pid)
expect_eq "raw pid request" "RECORD pid=$MWSUPD_PID|END status=0" "$(paste -sd'|' <<<"$r")"
r=$(raw two cmd=frobnicate cmd=pid)
expect_eq "unknown command, then another request on the same connection" \
    "END status=1 error=unknown command: frobnicate|RECORD pid=$MWSUPD_PID|END status=0" \
    "$(paste -sd'|' <<<"$r")"
r=$(raw two name=x cmd=version)
expect_match "missing cmd, then another request on the same connection" \
    '^END status=1 error=missing cmd\|RECORD version=.* protocol=1\|END status=0$' \
    "$(paste -sd'|' <<<"$r")"

# ----------------------------------------------------------------------
section "100 idle connections"
python3 "$T/raw.py" "$SOCK" idle 100 "$T/idle.state" >"$T/idle.out" 2>&1 &
IDLE_PID=$! IDLE_T0=$(now_ms)
track_pid "$IDLE_PID"
if retry 5 grep -qs '^open 100' "$T/idle.state"; then
	ok "100 connections open"
else
	fail "could not open 100 connections: $(cat "$T/idle.state" "$T/idle.out" 2>/dev/null)"
fi
check "mwsupd accepted them ($(fds) descriptors, was $BASE_FDS)" \
    retry 3 eval '[ "$(fds)" -ge $((BASE_FDS + 100)) ]'
quick_status "with 100 idle connections"
quick_status "with 100 idle connections (again)"

# ----------------------------------------------------------------------
section "half-sent request"
python3 "$T/raw.py" "$SOCK" half "$T/half.state" >"$T/half.out" 2>&1 &
HALF_PID=$! HALF_T0=$(now_ms)
track_pid "$HALF_PID"
retry 5 grep -qs '^open 1' "$T/half.state" || fail "half-sent client did not start"
quick_status "with a half-sent request pending"

# ----------------------------------------------------------------------
section "1 MiB of garbage"
for c in garbage garbage-frame; do
	r=$(raw $c)
	say "$c: $(paste -sd'|' <<<"$r")"
	expect_match "$c: an error reply" 'END status=1 error=malformed request: ' "$r"
	expect_eq "$c: how the connection ended" EOF "$(tail -n 1 <<<"$r")"
	quick_status "after $c"
done

# ----------------------------------------------------------------------
section "malformed frames"
# malformed CASE [REASON_REGEX]: END status 1 "malformed request: ..."
# and the connection closed.
malformed() {
	local r
	r=$(raw "$1")
	if [[ $r =~ END\ status=1\ error=malformed\ request:\ ${2:-} ]] &&
	    [ "$(tail -n 1 <<<"$r")" = EOF ]; then
		ok "$1: rejected and closed ($(head -n 1 <<<"$r" | sed 's/^.*error=//'))"
	else
		fail "$1: expected 'malformed request: ${2:-...}' and EOF, saw '$(paste -sd'|' <<<"$r")'"
	fi
}
malformed len-ffffffff
malformed len-2
malformed version-7 'unsupported protocol version 7'
malformed version-0 'unsupported protocol version 0'
malformed kind-2 'unexpected frame kind 2'
malformed nfields-513
malformed nfields-513-full
malformed field-past-end
malformed trailing
malformed nul-value
malformed empty-key
quick_status "after the malformed frames"

# ----------------------------------------------------------------------
section "random bytes from several clients"
r=$(raw random 5)
say "random: $(paste -sd'|' <<<"$r")"
expect_eq "random: every client got an error reply and was closed" \
    "5 5" "$(grep -c '^END status=1 error=malformed request' <<<"$r") $(grep -c '^EOF$' <<<"$r")"
r=$(raw random-frames 20)
expect_eq "20 random frames with a valid header: error replies, closed" \
    "20 20" "$(grep -c '^END status=1 error=malformed request' <<<"$r") $(grep -c '^EOF$' <<<"$r")"
say "random-frames: $(sort <<<"$r" | uniq -c | sort -rn | head -n 5 | paste -sd'|')"
check "mwsupd still running after random bytes" pid_alive "$MWSUPD_PID"
quick_status "after random bytes"

# ----------------------------------------------------------------------
section "300 connect/disconnect cycles"
t0=$(now_ms)
r=$(raw cycles 300)
expect_eq "300 cycles done" done "$r"
note "300 cycles took $(ms_fmt $(($(now_ms) - t0)))"
quick_status "after 300 cycles"

# ----------------------------------------------------------------------
section "idle clients are dropped after the idle timeout"
# mwsupd's idle timeout is 10 s; the idle and half-sent clients opened
# above must be closed by it within ~13 s of connecting.
if retry $(((13000 - ($(now_ms) - IDLE_T0)) / 1000 + 1)) grep -qs '^closed' "$T/idle.state"; then
	read -r _ ms left <<<"$(grep '^closed' "$T/idle.state")"
	check "100 idle connections closed by mwsupd after ~10 s (after $(ms_fmt "$ms"), $left left)" \
	    test "$ms" -ge 8000 -a "$left" -eq 0
else
	fail "idle connections not closed by mwsupd within 13 s"
fi
if retry $(((13000 - ($(now_ms) - HALF_T0)) / 1000 + 1)) grep -qs '^closed' "$T/half.state"; then
	read -r _ ms left <<<"$(grep '^closed' "$T/half.state")"
	ok "a half-sent request is dropped too (after $(ms_fmt "$ms"))"
else
	fail "the half-sent request's connection still open 13 s later"
fi

# ----------------------------------------------------------------------
section "no descriptor leak"
if retry 5 fds_back; then
	ok "mwsupd's descriptors back to $BASE_FDS"
else
	fail "mwsupd has $(fds) descriptors open, $BASE_FDS at rest: $(ls -l /proc/$MWSUPD_PID/fd | tail -n 5)"
fi

# ----------------------------------------------------------------------
section "permissions (SO_PEERCRED)"
if [ -z "$as_root" ]; then
	note "not root: the permission checks need other users; not checked"
elif ! command -v setpriv >/dev/null 2>&1; then
	note "setpriv not found: permission checks not run"
else
	# nobody needs to execute mwsupctl: copy it next to the socket.
	mkdir -p "$T/bin"
	cp "$MWSUPCTL" "$T/bin/mwsupctl"
	chmod 755 "$T/bin" "$T/bin/mwsupctl"
	mode=$(stat -c %a "$SOCK")
	expect_eq "socket mode (socket_mode = 0666)" 666 "$mode"
	# as USER_ARGS... -- ARGS: run the copied mwsupctl under setpriv.
	as() {
		local a=()
		while [ "$1" != "--" ]; do a+=("$1"); shift; done
		shift
		setpriv "${a[@]}" "$T/bin/mwsupctl" -s "$SOCK" "$@" \
		    >"$T/out" 2>"$T/err" </dev/null
		RC=$?
	}
	mark_logs
	as --reuid=nobody --regid=nogroup --clear-groups -- status
	expect_eq "exit code of mwsupctl status as nobody" 1 "$RC"
	expect_match "mwsupctl as nobody says" 'permission denied' "$(cat "$T/err")"
	check "the refusal is logged (uid 65534)" \
	    retry 3 in_syslog 'refused.*65534|65534.*refused'
	as --reuid=nobody --regid=nogroup --clear-groups -- stop worker
	expect_eq "exit code of mwsupctl stop worker as nobody" 1 "$RC"
	expect_eq "worker untouched by nobody's stop" "$WPID" "$(proc_pid worker:0)"
	as --reuid=nobody --regid=nogroup --clear-groups -- shutdown
	check "mwsupd still running after nobody's shutdown" pid_alive "$MWSUPD_PID"

	if [ -n "$TGROUP" ]; then
		expect_eq "socket group (socket_group)" "$TGROUP" "$(stat -c %G "$SOCK")"
		gid=$(getent group "$TGROUP" | cut -d: -f3)
		# Primary group = socket_group.
		as --reuid=nobody --regid="$gid" --clear-groups -- status worker
		expect_eq "exit code as nobody with primary group $TGROUP" 0 "$RC"
		expect_match "served as nobody with primary group $TGROUP" \
		    '^worker:0 +RUNNING' "$(cat "$T/out")"
		# Supplementary group: a user of the group, from the group
		# database.
		if [ -n "$TUSER" ]; then
			as --reuid="$TUSER" --regid=nogroup --init-groups -- status worker
			expect_eq "exit code as $TUSER (supplementary group $TGROUP)" 0 "$RC"
			expect_match "served as $TUSER (supplementary group $TGROUP)" \
			    '^worker:0 +RUNNING' "$(cat "$T/out")"
			as --reuid="$TUSER" --regid=nogroup --init-groups -- pid
			expect_eq "pid as $TUSER" "$MWSUPD_PID" "$(cat "$T/out")"
		else
			note "could not create a user: supplementary group not checked"
		fi
		# Other user with socket_group set: still refused.
		as --reuid=nobody --regid=nogroup --clear-groups -- status worker
		expect_eq "nobody outside $TGROUP still refused" 1 "$RC"
	else
		note "could not create a group: socket_group not checked"
	fi
	# Raw: the refusal is an END carrying "permission denied", then EOF.
	pyn=
	for py in /usr/bin/python3 /usr/local/bin/python3 "$(command -v python3)"; do
		if [ -x "$py" ] && setpriv --reuid=nobody --regid=nogroup \
		    --clear-groups "$py" -c pass >/dev/null 2>&1; then
			pyn=$py
			break
		fi
	done
	if [ -n "$pyn" ]; then
		r=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    "$pyn" "$T/raw.py" "$SOCK" req cmd=pid 2>&1)
		expect_eq "raw request as nobody" \
		    "END status=1 error=permission denied" "$(paste -sd'|' <<<"$r")"
	else
		note "no python3 usable as nobody: raw refusal not checked"
	fi
fi

# ----------------------------------------------------------------------
section "mwsupd afterwards"
check "mwsupd still running" pid_alive "$MWSUPD_PID"
quick_status "at the end"
expect_eq "worker's pid unchanged throughout" "$WPID" "$(proc_pid worker:0)"
expect_eq "worker's restarts" 0 \
    "$(ctl -j status worker | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["restarts"])' 2>&1)"
if retry 5 fds_back; then
	ok "mwsupd's descriptors at $BASE_FDS at the end"
else
	fail "mwsupd has $(fds) descriptors open at the end, $BASE_FDS at rest"
fi
check "mwsupd's log shows no crash or assertion" \
    eval '! grep -Eiq "assert|sanitizer|runtime error|segmentation" "$DLOG"'
stop_mwsupd
expect_eq "mwsupd's exit status after SIGTERM" 0 "${MWSUPD_RC:-none}"

finish
