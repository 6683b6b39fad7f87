#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# requests.sh — requests that overlap (mwsupctl(8), doc/PROTOCOL.md): a reload
# asked for (mwsupctl or SIGHUP) while another runs is applied after it,
# once for all who waited, and every waiting client gets its result (never
# "configuration has errors" for a busy reload); a reload that starts a
# program which ends FATAL reports it and exits 1; during a shutdown,
# status and signal work and start, restart and reload are refused with
# exit 1; `restarts` is not reset by a start by request; `tail all` says
# how to name one process.
. "$(dirname "$0")/lib.sh"

require_engine

# run_ctl ARGS...: stdout in $OUT, stderr in $ERR, exit code in $RC.
run_ctl() {
	ctl "$@" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}
expect_rc() {
	if [ "$RC" -eq "$2" ]; then
		ok "$1: exit $2"
	else
		fail "$1: expected exit $2, saw $RC (stdout '$OUT', stderr '$ERR')"
	fi
}
# bg_ctl TAG ARGS...: mwsupctl in the background; output in $T/TAG.out,
# $T/TAG.err, exit code in $T/TAG.rc.
bg_ctl() {
	local tag=$1
	shift
	( ctl "$@" >"$T/$tag.out" 2>"$T/$tag.err" </dev/null
	  echo $? >"$T/$tag.rc" ) &
}
bg_rc() { cat "$T/$1.rc" 2>/dev/null; }
bg_done() { [ -s "$T/$1.rc" ]; }
# stubborn WAIT: a program that ignores SIGTERM, stopped in WAIT seconds.
stubborn() {
	cat <<EOF
program slow {
    command = "$H/ignore-term"
    startsecs = 0
    stopwaitsecs = $1
}
EOF
}

# ----------------------------------------------------------------------
section "reloads asked for while one runs are applied after it, once"
stubborn 60 | write_conf
start_mwsupd
wait_state slow:0 RUNNING
pslow=$(proc_pid slow:0)
# Reload 1 changes slow, whose stop lasts until the test kills it;
# meanwhile b appears in the file and three more requests come: SIGHUP
# and two clients.
stubborn 1 | write_conf
mark_logs
bg_ctl r1 reload
retry 5 in_syslog "reloading" || fail "the first reload did not begin"
{ stubborn 1; cat <<EOF
program b {
    command = "$H/sleeper"
    startsecs = 0
}
EOF
} | write_conf
kill -HUP "$MWSUPD_PID"
bg_ctl r2 reload
bg_ctl r3 reload
waiting() { [ "$(syslog_new | grep -c 'reload requested while another runs')" -eq 3 ]; }
retry 10 waiting || fail "three reload requests not seen waiting"
check "the first reload is still waiting for slow" eval '! bg_done r1'
kill -KILL "$pslow"
retry 10 eval 'bg_done r1 && bg_done r2 && bg_done r3' ||
	fail "the reloads did not all answer within 10 s"
expect_eq "exit status of the first reload" 0 "$(bg_rc r1)"
expect_match "the first reload changed slow" '^slow: changed' "$(cat "$T/r1.out")"
for r in r2 r3; do
	expect_eq "exit status of the waiting reload $r" 0 "$(bg_rc $r)"
	expect_match "the waiting reload $r got the second reload's result" \
	    '^b: added' "$(cat "$T/$r.out")"
	check "$r was not told the configuration has errors" \
	    eval '! grep -q "configuration has errors" "$T/$r.err"'
done
expect_eq "reloads run (the file read twice)" 2 \
    "$(syslog_new | grep -c 'reloading ')"
check "the second served the three waiting requests" \
    in_syslog 'reloading .* \(for 3 requests\)'
wait_state b:0 RUNNING

# ----------------------------------------------------------------------
section "a reload that starts a program which ends FATAL"
{ stubborn 1; cat <<EOF
program b {
    command = "$H/sleeper"
    startsecs = 0
}
program bad {
    command = "$H/exit-code 3"
    startsecs = 1
    startretries = 0
}
program missing {
    command = "$T/no-such-program"
}
EOF
} | write_conf
run_ctl reload
expect_rc "reload adding programs that end FATAL" 1
expect_match "bad is reported with its process and reason" \
    'bad: ERROR \(bad:0: FATAL: exited too quickly\)' "$ERR"
expect_match "missing is reported" 'missing: ERROR \(missing:0: FATAL: ' "$ERR"
expect_match "the programs are still listed as added" '^bad: added' "$OUT"
run_ctl reload
expect_rc "the next reload, nothing changed (bad stays FATAL)" 0

# ----------------------------------------------------------------------
section "restarts is not reset by a start by request"
cat >>"$CONF" <<EOF
program crashy {
    command = "$H/exit-code 1 -d 50"
    startsecs = 0
    autorestart = true
}
EOF
run_ctl reload
expect_rc "reload adding crashy" 0
restarts() {
	ctl -j status crashy:0 2>/dev/null |
	    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["restarts"])' 2>/dev/null
}
if command -v python3 >/dev/null 2>&1; then
	retry 5 eval '[ "$(restarts)" -ge 3 ]' || fail "crashy not restarted 3 times"
	run_ctl stop crashy
	before=$(restarts)
	run_ctl start crashy
	after=$(restarts)
	check "restarts after stop and start by request ($before -> $after) did not go back" \
	    test "$after" -ge "$before"
	run_ctl stop crashy
else
	note "python3 missing: restarts not checked"
fi

# ----------------------------------------------------------------------
section "tail of all names the right form"
# mwsupctl refuses it before asking mwsupd (a usage error).
run_ctl tail all
expect_rc "tail all" 2
expect_match "tail all suggests PROGRAM:N" 'PROGRAM:N' "$ERR"
check "tail all does not suggest all:N" eval '! grep -q "all:N" "$T/err"'

# ----------------------------------------------------------------------
section "during a shutdown"
# slow ignores SIGTERM for 60 s: the shutdown waits until `signal KILL`.
stubborn 60 | write_conf
run_ctl reload
wait_state slow:0 RUNNING
pslow=$(proc_pid slow:0)
bg_ctl sd shutdown
retry 5 in_state slow:0 STOPPING || fail "slow not STOPPING after shutdown: '$(status_line slow:0)'"
run_ctl status
expect_rc "status during the shutdown (slow is STOPPING)" 3
expect_match "status shows slow STOPPING" 'slow:0 +STOPPING' "$OUT"
for cmd in "start slow" "restart slow" "reload"; do
	run_ctl $cmd
	expect_rc "$cmd during the shutdown" 1
	expect_match "$cmd is refused, saying why" "shutting down; ${cmd%% *} refused" "$ERR"
done
run_ctl pid
expect_rc "pid during the shutdown" 0
check "slow is still alive: the shutdown waits for it" pid_alive "$pslow"
check "the shutdown has not returned while slow lives" eval '! bg_done sd'
run_ctl signal KILL slow
expect_rc "signal during the shutdown" 0
retry 10 bg_done sd || fail "shutdown did not return within 10 s of SIGKILL"
expect_eq "exit status of the shutdown" 0 "$(bg_rc sd)"
check "slow was gone when mwsupd exited" pid_gone "$pslow"
wait_mwsupd_exit 5
expect_eq "mwsupd's exit status" 0 "$MWSUPD_RC"

check "mwsupd's output shows no sanitizer report or crash" \
    eval '! grep -Eiq "sanitizer|runtime error|assert|segmentation" "$DLOG"'

finish
