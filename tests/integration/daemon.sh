#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# daemon.sh — mwsupd as a daemon (mwsupd(8); mwsupd(8) Batch jobs): readiness when
# daemonizing, exit 78 on a bad configuration, exit 75 for a second
# instance (silent with -q), program lock files, batch mode.
. "$(dirname "$0")/lib.sh"

require_engine
start_sink

# launch [ARGS...]: run mwsupd (not in the background) with the test's
# syslog sink, at most 20 s; exit status in LAUNCH_RC, output in
# $T/launch.out and $T/launch.err.
launch() {
	(
		cd "$T" || exit 99
		exec env MWSUP_SYSLOG_SOCKET="$SINK_SOCK" MWSUP_TESTDIR="$T" \
		    timeout -k 2 20 "$MWSUPD" "$@"
	) </dev/null >"$T/launch.out" 2>"$T/launch.err"
	LAUNCH_RC=$?
}
launch_err() { tr '\n' '|' <"$T/launch.err"; }

# ----------------------------------------------------------------------
section "daemonizing: ready when the launcher returns"
write_conf <<EOF
program sleepy {
    command = "$H/sleeper -a -p $T/sleepy.starts"
    startsecs = 0
}
EOF
launch -c "$CONF"
expect_eq "exit status of 'mwsupd -c CONF' (daemonizing)" 0 "$LAUNCH_RC"
dpid=$(ctl pid 2>/dev/null)
ctl_rc=$?
expect_eq "'mwsupctl pid' right after the launcher returned: exit status" 0 "$ctl_rc"
if [[ $dpid =~ ^[0-9]+$ ]]; then
	ALL_MWSUPD_PIDS+=("$dpid")
	ok "the daemon answers at once, pid $dpid"
	check "the daemon (pid $dpid) is alive" pid_alive "$dpid"
	pf=$(head -n 1 "$PIDFILE" 2>/dev/null | tr -d ' \t')
	expect_eq "content of the pidfile" "$dpid" "$pf"
	st=$(proc_state sleepy:0)
	case $st in
	RUNNING|STARTING) ok "autostart program already spawned ($st)" ;;
	*) fail "sleepy:0 should be spawned when the launcher returns, status shows '$(status_line sleepy:0)'" ;;
	esac

	section "a second instance exits 75"
	launch -n -c "$CONF"
	expect_eq "exit status of a second 'mwsupd -n'" 75 "$LAUNCH_RC"
	check "it says why on stderr" test -s "$T/launch.err"
	launch -n -q -c "$CONF"
	expect_eq "exit status of a second 'mwsupd -n -q'" 75 "$LAUNCH_RC"
	expect_eq "stderr of 'mwsupd -n -q'" "" "$(cat "$T/launch.err")"
	launch -q -c "$CONF"
	expect_eq "exit status of a second 'mwsupd -q' (daemonizing, as from cron)" \
	    75 "$LAUNCH_RC"
	expect_eq "stderr of 'mwsupd -q'" "" "$(cat "$T/launch.err")"
	sed "s|^pidfile = .*|pidfile = \"$T/other.pid\"|" "$CONF" >"$T/other.conf"
	launch -n -q -c "$T/other.conf"
	expect_eq "exit status of 'mwsupd -n' with another pidfile but the same socket" \
	    75 "$LAUNCH_RC"
	expect_eq "pid answering after the attempts" "$dpid" "$(ctl pid 2>/dev/null)"
	expect_eq "content of the pidfile after the attempts" "$dpid" \
	    "$(head -n 1 "$PIDFILE" 2>/dev/null | tr -d ' \t')"
	expect_eq "runs of sleepy:0 (the second instances started nothing)" 1 \
	    "$(file_lines "$T/sleepy.starts")"

	spid=$(proc_pid sleepy:0)
	kill -TERM "$dpid"
	check "the daemon exits on SIGTERM" retry 10 pid_gone "$dpid"
	check "its program is gone" retry 1 pid_gone "$spid"
else
	fail "'mwsupctl pid' right after the launcher returned printed '$dpid'"
fi

# ----------------------------------------------------------------------
section "a bad configuration: exit 78 with the reason on stderr"
cat >"$T/bad.conf" <<EOF
socket = "$T/bad.sock"
pidfile = "$T/bad.pid"
program broken {
    command = "$H/sleeper"
    no_such_option = 1
}
EOF
launch -c "$T/bad.conf"
expect_eq "exit status of 'mwsupd -c bad.conf' (daemonizing)" 78 "$LAUNCH_RC"
expect_match "its stderr" 'bad\.conf:[0-9]+:' "$(launch_err)"
launch -n -c "$T/bad.conf"
expect_eq "exit status of 'mwsupd -n -c bad.conf'" 78 "$LAUNCH_RC"
expect_match "its stderr" 'bad\.conf:[0-9]+:' "$(launch_err)"
check "nothing listens on bad.sock" test ! -S "$T/bad.sock"
launch -n -c "$T/no-such.conf"
expect_eq "exit status of 'mwsupd -n -c no-such.conf'" 78 "$LAUNCH_RC"
expect_match "its stderr" 'no-such\.conf' "$(launch_err)"

# ----------------------------------------------------------------------
section "lockfile: LOCKED while someone else holds it"
mkdir -p "$T/sub"
write_conf <<EOF
program locked {
    command = "$H/sleeper -p $T/locked.pid"
    lockfile = "$T/job.lock"
    startsecs = 0
}
program newlock {
    command = "$H/sleeper"
    lockfile = "$T/sub/new-%(process_num)d.lock"
    startsecs = 0
}
EOF
lock_held() { ! flock -n "$T/job.lock" true; }
flock "$T/job.lock" sleep 60 &
holder=$!
track_pid "$holder"
if ! retry 5 lock_held; then
	hard_error "flock(1) did not take $T/job.lock"
fi
start_mwsupd
wait_state locked:0 LOCKED 5
check "locked:0 was not started while LOCKED" test ! -e "$T/locked.pid"
ctl start locked >"$T/out" 2>&1
expect_eq "exit status of 'mwsupctl start' of a LOCKED process" 1 "$?"
expect_match "start reports the lock" 'locked:0.*(LOCKED|held)' \
    "$(tr '\n' ' ' <"$T/out")"
kill -KILL $(children_of "$holder") "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
wait_state locked:0 RUNNING 4
check "mwsupd now holds the lock" retry 1 lock_held
ctl stop locked:0 >/dev/null 2>&1
if retry 2 eval '! lock_held'; then
	ok "the lock is released once locked:0 is stopped"
else
	fail "$T/job.lock still locked after locked:0 stopped"
fi
wait_state newlock:0 RUNNING 5
check "a missing lockfile is created ($T/sub/new-0.lock)" test -f "$T/sub/new-0.lock"
check "mwsupd exits on SIGTERM" stop_mwsupd 10
check "the lockfile is never deleted" test -f "$T/sub/new-0.lock"

# ----------------------------------------------------------------------
section "batch mode: exit_when_done"
# batch NAME DEADLINE: run mwsupd -n on the current $CONF until it exits.
batch() {
	local t0
	t0=$(now_ms)
	spawn_mwsupd
	if wait_mwsupd_exit "$2"; then
		BATCH_MS=$(($(now_ms) - t0))
		return 0
	fi
	fail "$1: mwsupd still running after $2 s: $(ctl status 2>&1 | tr '\n' '|')"
	stop_mwsupd 5
	return 1
}

write_conf <<EOF
exit_when_done = true
program job1 {
    command = "$H/exit-code 0 -p $T/job1.starts"
}
program job2 {
    command = "$H/exit-code 0 -d 700 -p $T/job2.starts"
    startsecs = 0
}
program idle {
    command = "$H/sleeper"
    autostart = false
}
EOF
if batch "all succeed" 10; then
	expect_eq "exit status when every job exits 0" 0 "$MWSUPD_RC"
	check "it waited for the slower job (took $(ms_fmt $BATCH_MS))" \
	    test "$BATCH_MS" -ge 600
	expect_eq "runs of job1 (exit 0 while STARTING is done)" 1 \
	    "$(file_lines "$T/job1.starts")"
	expect_eq "runs of job2" 1 "$(file_lines "$T/job2.starts")"
fi

write_conf <<EOF
exit_when_done = true
program job1 {
    command = "$H/exit-code 0"
    startsecs = 0
}
program job2 {
    command = "$H/exit-code 3 -d 300"
    startsecs = 0
    autorestart = false
}
EOF
if batch "one fails" 10; then
	expect_eq "exit status when a job exits 3 (not in normal_exit)" 1 "$MWSUPD_RC"
fi

write_conf <<EOF
exit_when_done = true
program job1 {
    command = "$H/exit-code 1"
    startsecs = 1
    startretries = 0
}
EOF
if batch "FATAL" 10; then
	expect_eq "exit status when a job ends FATAL" 1 "$MWSUPD_RC"
fi

write_conf <<EOF
exit_when_done = true
program job1 {
    command = "$H/exit-code 0 -d 30000"
    startsecs = 0
}
EOF
start_mwsupd
wait_state job1:0 RUNNING 5
kill -TERM "$MWSUPD_PID"
if wait_mwsupd_exit 10; then
	expect_eq "exit status of a batch interrupted by SIGTERM" 1 "$MWSUPD_RC"
else
	fail "interrupted batch: mwsupd did not exit within 10 s of SIGTERM"
fi

# An operator's stop or shutdown cuts the batch short too: exit 1, even
# though the job, killed by its stop signal, is not counted as a failure.
start_mwsupd
wait_state job1:0 RUNNING 5
ctl stop job1 >/dev/null 2>&1
if wait_mwsupd_exit 10; then
	expect_eq "exit status of a batch cut short by mwsupctl stop" 1 "$MWSUPD_RC"
else
	fail "batch stopped by mwsupctl stop: mwsupd did not exit within 10 s"
fi
start_mwsupd
wait_state job1:0 RUNNING 5
ctl shutdown >/dev/null 2>&1
if wait_mwsupd_exit 10; then
	expect_eq "exit status of a batch cut short by mwsupctl shutdown" 1 "$MWSUPD_RC"
else
	fail "batch shut down by mwsupctl: mwsupd did not exit within 10 s"
fi
# Stopping what never ran (autostart = false) cuts nothing short.
write_conf <<EOF
exit_when_done = true
program job1 {
    command = "$H/exit-code 0 -d 1500"
    startsecs = 0
}
program idle {
    command = "$H/sleeper"
    autostart = false
}
EOF
start_mwsupd
ctl stop idle >/dev/null 2>&1
if wait_mwsupd_exit 10; then
	expect_eq "exit status of a batch after stopping a process that never ran" 0 "$MWSUPD_RC"
else
	fail "batch with a stop of an idle process: mwsupd did not exit within 10 s"
fi

# ----------------------------------------------------------------------
section "relative paths are relative to the configuration file"
# A cron job starts mwsupd from $HOME: relative socket, pidfile, lockfile
# and directory must land beside the configuration, not in the cwd.
mkdir -p "$T/rel/run" "$T/elsewhere"
cat >"$T/rel/jobs.conf" <<EOF
socket = "jobs.sock"
pidfile = "run/jobs.pid"
program job {
    command = "$H/fdcheck $T/rel-fdcheck.out"
    directory = "."
    lockfile = "job.lock"
    startsecs = 0
}
EOF
(cd "$T/elsewhere" && MWSUP_SYSLOG_SOCKET="$SINK_SOCK" MWSUP_TESTDIR="$T" \
    "$MWSUPD" -c ../rel/jobs.conf </dev/null >>"$DLOG" 2>&1)
rc=$?
expect_eq "daemonized launcher exit status" 0 "$rc"
check "socket created beside the configuration" test -S "$T/rel/jobs.sock"
check "pidfile created beside the configuration" test -s "$T/rel/run/jobs.pid"
check "lockfile created beside the configuration" retry 3 test -e "$T/rel/job.lock"
check "the program ran" retry 3 test -s "$T/rel-fdcheck.out"
expect_eq "its working directory is the configuration's directory" \
    "cwd=$T/rel" "$(grep '^cwd=' "$T/rel-fdcheck.out" 2>/dev/null)"
check "nothing was created in the directory mwsupd was started from" \
    test -z "$(ls -A "$T/elsewhere")"
relpid=$(cat "$T/rel/run/jobs.pid" 2>/dev/null)
[ -n "$relpid" ] && ALL_MWSUPD_PIDS+=("$relpid")
"$MWSUPCTL" -s "$T/rel/jobs.sock" shutdown >/dev/null 2>&1
check "mwsupd of the relative configuration shut down" retry 5 pid_gone "${relpid:-0}"

finish
