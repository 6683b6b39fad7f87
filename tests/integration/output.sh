#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# output.sh — output of processes left behind (mwsupd(8), LOGGING):
#   1. killmode = process: a helper that outlives the program's main
#      process keeps its output: its lines reach syslog, tagged with the
#      pid of the process whose pipe it writes to, and `tail` of that
#      process; it is not killed by SIGPIPE;
#   2. a restarted process gets fresh pipes: the old helper's lines keep
#      the old pid, the new process's lines carry the new one.
. "$(dirname "$0")/lib.sh"

require_engine

# ======================================================================
section "1. a helper left behind keeps its output"
write_conf <<EOF
program left {
    command = "/bin/sh -c '(sleep 0.5; echo late-1; sleep 0.5; echo late-2 >&2; sleep 0.3; echo helper-alive >$T/alive) & echo leader-exits'"
    killmode = process
    startsecs = 0
    autorestart = false
}
EOF
start_mwsupd
wait_state left:0 EXITED 5
leader=$(sed -nE 's/.*left:0: spawned pid ([0-9]+).*/\1/p' "$SYSLOG" | head -n 1)
check "the leader's line is logged" retry 2 in_syslog "left\\[$leader\\]: leader-exits"
check "a line the helper wrote after the leader exited reaches syslog (stdout)" \
    retry 3 in_syslog "left\\[$leader\\]: late-1\$"
check "and one on stderr, with the leader's pid" \
    retry 3 in_syslog "left\\[$leader\\]: late-2\$"
check "the helper lived on (not killed by SIGPIPE)" retry 3 test -e "$T/alive"
out=$(ctl tail left:0 2>&1 | xargs)
expect_eq "tail left:0" "leader-exits late-1 late-2" "$out"
check "mwsupd exits on SIGTERM" stop_mwsupd 10

# ======================================================================
section "2. a restarted process gets fresh pipes"
write_conf <<EOF
program again {
    command = "/bin/sh -c '(for i in 1 2 3 4 5 6 7 8; do sleep 0.25; echo tick-\$\$-\$i; done) & exec $H/sleeper -o hello'"
    killmode = process
    startsecs = 0
}
EOF
start_mwsupd
wait_state again:0 RUNNING 5
old=$(proc_pid again:0)
check "the first process says hello" retry 2 in_syslog "again\\[$old\\]: hello"
ctl stop again:0 >/dev/null 2>&1
ctl start again:0 >/dev/null 2>&1
wait_state again:0 RUNNING 5
new=$(proc_pid again:0)
check "a new process runs ($new, was $old)" test -n "$new" -a "$new" != "$old"
check "the new process's line carries its own pid" \
    retry 2 in_syslog "again\\[$new\\]: hello"
check "the old helper's last tick arrives, tagged with the old pid" \
    retry 4 in_syslog "again\\[$old\\]: tick-$old-8\$"
expect_eq "ticks of the old helper logged with the old pid" 8 \
    "$(syslog_new | grep -c "again\\[$old\\]: tick-$old-")"
expect_eq "ticks of the old helper logged with another pid" 0 \
    "$(syslog_new | grep -v "again\\[$old\\]" | grep -c "tick-$old-")"
check "the new helper's ticks carry the new pid" \
    retry 2 in_syslog "again\\[$new\\]: tick-$new-1\$"
check "mwsupd exits on SIGTERM" stop_mwsupd 10

finish
