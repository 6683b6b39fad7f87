#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# symlink.sh — mwsupd never follows a symbolic link planted where its own
# files go (mwsupd(8) Batch jobs, mwsupd(8)): a pidfile that is a symlink, a FIFO or a
# directory makes it refuse to start (exit 1, naming the path) and leaves
# the target alone; a socket swapped for a symlink does not get
# socket_mode or socket_group applied to the link's target on reload.
# Run as root this is the attack; as another user it still shows that no
# link is followed (the files are the test's own).
. "$(dirname "$0")/lib.sh"

require_engine

# launch: mwsupd -n on $CONF, at most 10 s; status in LAUNCH_RC, stderr
# in $T/launch.err.
launch() {
	(
		cd "$T" || exit 99
		exec env MWSUP_SYSLOG_SOCKET="$SINK_SOCK" MWSUP_TESTDIR="$T" \
		    timeout -k 2 10 "$MWSUPD" -n -c "$CONF"
	) </dev/null >"$T/launch.out" 2>"$T/launch.err"
	LAUNCH_RC=$?
}
start_sink

# ----------------------------------------------------------------------
section "pidfile: a symbolic link, a FIFO, a directory"
echo "precious" >"$T/victim"
chmod 600 "$T/victim"
ln -s "$T/victim" "$T/link.pid"
ln -s "$T/not-there" "$T/dangling.pid"
mkfifo "$T/fifo.pid"
mkdir "$T/dir.pid"
for pf in link.pid dangling.pid fifo.pid dir.pid; do
	{
		printf 'socket = "%s"\npidfile = "%s"\n' "$SOCK" "$T/$pf"
		printf 'program a { command = "%s/sleeper" }\n' "$H"
	} >"$CONF"
	launch
	expect_eq "exit status with pidfile $pf" 1 "$LAUNCH_RC"
	expect_match "the reason names $pf" "pidfile $T/$pf" "$(cat "$T/launch.err")"
	check "no socket left behind ($pf)" test ! -e "$SOCK"
done
expect_eq "the link's target" precious "$(cat "$T/victim")"
check "nothing created through the dangling link" test ! -e "$T/not-there"
expect_match "the message for a link" 'symbolic link' \
    "$( { printf 'socket = "%s"\npidfile = "%s"\n' "$SOCK" "$T/link.pid"; } >"$CONF"; launch; cat "$T/launch.err")"

# ----------------------------------------------------------------------
section "socket: swapped for a symlink, then reloaded"
mkdir -m 755 "$T/run"
RSOCK=$T/run/mwsup.sock
echo "secret" >"$T/shadow"
chmod 600 "$T/shadow"
group=$(id -gn)
write_socket_conf() {
	cat >"$CONF" <<EOF
socket = "$RSOCK"
pidfile = "$PIDFILE"
socket_mode = 0666
socket_group = "$group"
program a { command = "$H/sleeper" startsecs = 0 }
EOF
}
write_socket_conf
SOCK=$RSOCK start_mwsupd
SOCK=$RSOCK
expect_eq "the socket's mode" 666 "$(stat -c %a "$RSOCK")"
expect_eq "the socket's group" "$group" "$(stat -c %G "$RSOCK")"
mode0=$(stat -c %a "$T/shadow")
rm -f "$RSOCK"
ln -s "$T/shadow" "$RSOCK"
mark_logs
kill -HUP "$MWSUPD_PID"
if retry 5 eval 'in_syslog "reload: done" || in_syslog "not applied"'; then
	ok "the reload ran"
else
	fail "no reload seen in the log"
fi
expect_eq "the mode of the symlink's target after the reload" "$mode0" \
    "$(stat -c %a "$T/shadow")"
check "the refusal is logged, naming the socket" \
    in_syslog "$RSOCK: socket_mode and socket_group not applied"
# Another file in its place: the same.
rm -f "$RSOCK"
cp "$T/shadow" "$RSOCK"
chmod 600 "$RSOCK"
mark_logs
kill -HUP "$MWSUPD_PID"
retry 5 in_syslog "not applied" || fail "no refusal logged for a plain file"
expect_eq "the mode of a plain file put in the socket's place" 600 \
    "$(stat -c %a "$RSOCK")"
check "mwsupd still running" pid_alive "$MWSUPD_PID"
stop_mwsupd

check "mwsupd's output shows no sanitizer report or crash" \
    eval '! grep -Eiq "sanitizer|runtime error|assert|segmentation" "$DLOG"'

finish
