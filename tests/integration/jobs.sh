#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# jobs.sh — concurrent jobs compose (mwsupd(8) Process states; mwsupctl(8); issue 15.1): a stop
# during a shutdown, two stops of one process, an operator's start or stop
# during a reload that shrinks numprocs, and a shutdown during a reload
# that removes a slow program.  After each: every live process is listed,
# nothing is reported done while a process it acts on lives, and nothing
# survives the shutdown.
. "$(dirname "$0")/lib.sh"

require_engine

# A program whose leader ignores SIGTERM, with a worker in its process
# group (it inherits the ignored TERM): only the SIGKILL at stopwaitsecs
# ends them.  Worker pids go to $T/NAME-N.pid.
stubborn() {
	printf '/bin/sh -c '"'"'trap \\"\\" TERM; %s -p %s & while :; do sleep 1; done'"'" \
	    "$H/sleeper" "$T/$1-%(process_num)d.pid"
}

worker_pid() { read_pid "$T/$1.pid"; }

# ----------------------------------------------------------------------
section "stop all during a shutdown joins it (h1)"
write_conf <<EOF
program slow {
    command = "$(stubborn slow)"
    startsecs = 0
    stopwaitsecs = 3
}
EOF
start_mwsupd
wait_state slow:0 RUNNING 5
retry 5 test -s "$T/slow-0.pid"
leader=$(proc_pid slow:0)
worker=$(worker_pid slow-0)
t0=$(now_ms)
kill -TERM "$MWSUPD_PID"
retry 2 in_state slow:0 STOPPING
( ctl stop all >/dev/null 2>&1 ) &
track_pid $!
check "status answers during the shutdown" retry 1 in_state slow:0 STOPPING
check "mwsupd exits after the SIGKILL" wait_mwsupd_exit 8
elapsed=$(($(now_ms) - t0))
# The bug: the stop took the process away from the shutdown, which then
# exited at once (0.3 s) without the SIGKILL.
check "mwsupd waited for stopwaitsecs (exited after $(ms_fmt $elapsed))" \
    test "$elapsed" -ge 2900
check "the worker of slow:0 did not survive" retry 2 pid_gone "$worker"
check "the leader of slow:0 did not survive" pid_gone "$leader"

# ----------------------------------------------------------------------
section "two concurrent stops both succeed (h6)"
write_conf <<EOF
program slow {
    command = "/bin/sh -c 'trap \"sleep 1; exit 0\" TERM; while :; do sleep 0.1; done'"
    startsecs = 0
    stopwaitsecs = 10
}
EOF
start_mwsupd
wait_state slow:0 RUNNING 5
( ctl stop slow >/dev/null 2>&1; echo $? >"$T/first.rc" ) &
track_pid $!
retry 2 in_state slow:0 STOPPING
ctl stop slow >/dev/null 2>&1
rc=$?
expect_eq "second stop exits 0" 0 "$rc"
retry 3 test -s "$T/first.rc"
expect_eq "first stop exits 0" 0 "$(cat "$T/first.rc" 2>/dev/null)"
check "slow:0 is STOPPED" in_state slow:0 STOPPED
# A restart while a stop waits: the stop did its work (the old process
# is gone) and says so; the restart starts a new one.
ctl start slow >/dev/null 2>&1
old=$(proc_pid slow:0)
( ctl stop slow >/dev/null 2>&1; echo $? >"$T/stop.rc" ) &
track_pid $!
retry 2 in_state slow:0 STOPPING
ctl restart slow >/dev/null 2>&1
expect_eq "restart during a stop exits 0" 0 "$?"
retry 3 test -s "$T/stop.rc"
expect_eq "the stop it overlapped exits 0" 0 "$(cat "$T/stop.rc" 2>/dev/null)"
check "the old process is gone" pid_gone "$old"
check "slow:0 runs a new process" in_state slow:0 RUNNING
stop_mwsupd

# ----------------------------------------------------------------------
# shrink_with OP: numprocs 2 -> 1 by reload while w:1 ignores TERM, and
# `mwsupctl OP` meanwhile; w:1 must be gone once the reload is done and
# never listed afterwards, and nothing may survive the shutdown.
shrink_with() {
	local op=$1 w0 w1 leader1 rc
	write_conf <<EOF
program w {
    command = "$(stubborn w)"
    numprocs = 2
    startsecs = 0
    stopwaitsecs = 2
}
EOF
	start_mwsupd
	wait_state w:1 RUNNING 5
	retry 5 test -s "$T/w-1.pid"
	retry 5 test -s "$T/w-0.pid"
	w0=$(worker_pid w-0)
	w1=$(worker_pid w-1)
	leader1=$(proc_pid w:1)
	sed -i 's/numprocs = 2/numprocs = 1/' "$CONF"
	( ctl reload >"$T/reload.out" 2>&1; echo $? >"$T/reload.rc" ) &
	track_pid $!
	retry 2 in_state w:1 STOPPING
	check "w:1 is listed while the reload stops it" in_state w:1 STOPPING
	ctl $op >/dev/null 2>&1
	check "reload returns" retry 6 test -s "$T/reload.rc"
	check "w:1's leader is gone when the reload is done" pid_gone "$leader1"
	check "w:1's worker is gone when the reload is done" retry 1 pid_gone "$w1"
	check "w:1 is no longer listed" test -z "$(status_line w:1)"
	check "w:0 still runs" in_state w:0 RUNNING
	stop_mwsupd 10
	check "nothing of w survives the shutdown" all_gone "$w0" "$w1" "$leader1"
	rm -f "$T"/w-*.pid "$T"/reload.*
}

section "reload shrinking numprocs, start all meanwhile (h3)"
shrink_with "start all"
section "reload shrinking numprocs, stop w:1 meanwhile (h3b)"
shrink_with "stop w:1"

# ----------------------------------------------------------------------
section "shutdown during a reload that removes a slow program (h2)"
write_conf <<EOF
program slow {
    command = "$(stubborn slow)"
    startsecs = 0
    stopwaitsecs = 3
}
program other {
    command = "$H/sleeper"
    startsecs = 0
}
EOF
start_mwsupd
wait_state slow:0 RUNNING 5
retry 5 test -s "$T/slow-0.pid"
leader=$(proc_pid slow:0)
worker=$(worker_pid slow-0)
write_conf <<EOF
program other {
    command = "$H/sleeper"
    startsecs = 0
}
EOF
t0=$(now_ms)
( ctl reload >/dev/null 2>&1 ) &
track_pid $!
retry 2 in_state slow:0 STOPPING
check "slow:0 is listed while the reload removes it" in_state slow:0 STOPPING
kill -TERM "$MWSUPD_PID"
check "mwsupd exits once slow:0 is killed" wait_mwsupd_exit 8
elapsed=$(($(now_ms) - t0))
# The bug: the shutdown freed the process the reload was stopping and
# exited at once, leaving it running.
check "mwsupd waited for the SIGKILL (exited $(ms_fmt $elapsed) after the reload)" \
    test "$elapsed" -ge 2900
check "slow:0's leader did not survive" pid_gone "$leader"
check "slow:0's worker did not survive" retry 2 pid_gone "$worker"

finish
