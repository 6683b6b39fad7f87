#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# control.sh — mwsupctl against a real mwsupd (mwsupctl(8), doc/PROTOCOL.md):
# every command, its output and exit code, --json, the waiting semantics of
# start/stop/restart, tail (-n, -f across a restart), signal, pid, version,
# shutdown.
. "$(dirname "$0")/lib.sh"

require_engine

have_python=
command -v python3 >/dev/null 2>&1 && have_python=1

# A program writing numbered lines, alternately on stdout and stderr,
# 0.1 s apart (so their order is well defined), then sleeping.
cat >"$T/talker.sh" <<EOF
#!/bin/sh
i=1
while [ \$i -le 6 ]; do
	if [ \$((i % 2)) -eq 1 ]; then echo "line\$i out"; else echo "line\$i err" >&2; fi
	i=\$((i + 1))
	sleep 0.1
done
echo "talker done"
exec "$H/sleeper"
EOF
# A program announcing its pid, then ticking every 100 ms.
cat >"$T/ticker.sh" <<EOF
#!/bin/sh
echo "hello from \$\$"
exec "$H/sleeper" -i 100
EOF
# A program recording every SIGHUP it gets in $T/sigrec.log.
cat >"$T/sigrec.sh" <<EOF
#!/bin/sh
echo \$\$ >"$T/sigrec.pid"
trap 'echo "HUP \$\$" >>"$T/sigrec.log"' HUP
while :; do sleep 0.05; done
EOF
chmod 755 "$T/talker.sh" "$T/ticker.sh" "$T/sigrec.sh"

LONG=a_program_with_a_long_name_xyz	# longer than the name column

write_conf <<EOF
program alpha {
    command = "$H/sleeper -p $T/alpha.pid"
    startsecs = 0
}
program multi {
    command = "$H/sleeper"
    numprocs = 2
    startsecs = 0
}
program $LONG {
    command = "$H/sleeper"
    startsecs = 0
}
program slow {
    command = "$H/sleeper -p $T/slow.pid"
    autostart = false
    startsecs = 1
}
program broken {
    command = "$T/no-such-binary"
    autostart = false
}
program failing {
    command = "$H/exit-code 1"
    autostart = false
    startsecs = 1
    startretries = 0
}
program quick {
    command = "$H/exit-code 0 -d 200"
    autostart = false
    startsecs = 3
    autorestart = false
}
program stubborn {
    command = "$H/ignore-term -p $T/stubborn.pid"
    autostart = false
    startsecs = 0
    stopwaitsecs = 1
}
program talker {
    command = "$T/talker.sh"
    startsecs = 0
}
program ticker {
    command = "$T/ticker.sh"
    startsecs = 0
}
program sigrec {
    command = "$T/sigrec.sh"
    startsecs = 0
}
EOF

start_mwsupd
for p in alpha:0 multi:0 multi:1 $LONG:0 talker:0 ticker:0 sigrec:0; do
	retry 5 in_state $p RUNNING || fail "$p not RUNNING at start-up: '$(status_line $p)'"
done

# run_ctl ARGS...: mwsupctl with stdout in $OUT, stderr in $ERR, exit code
# in $RC, duration in $MS (milliseconds).
run_ctl() {
	local t0
	t0=$(now_ms)
	ctl "$@" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	MS=$(($(now_ms) - t0))
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}
# expect_rc WHAT CODE: the last run_ctl exited with CODE.
expect_rc() {
	if [ "$RC" -eq "$2" ]; then
		ok "$1: exit $2"
	else
		fail "$1: expected exit $2, saw $RC (stdout '$OUT', stderr '$ERR')"
	fi
}
# json_ok: the last run_ctl's stdout is one valid JSON document.
json_ok() {
	python3 -c 'import json,sys; json.load(sys.stdin)' <"$T/out" 2>/dev/null
}
# pyj EXPR: evaluate a python expression over the JSON in $T/out (as `d`),
# print the result.
pyj() {
	python3 -c "import json,sys
d = json.load(sys.stdin)
def P(n): return [o for o in d if o.get('name') == n][0]
print($1)" <"$T/out" 2>&1
}

# ----------------------------------------------------------------------
section "status: all, PROGRAM, PROGRAM:N, unknown, mixed"
stop_out=$(ctl stop slow 2>&1)	# slow is STOPPED (never started) anyway
run_ctl status
expect_rc "status with STOPPED processes listed (autostart = false)" 3
nlines=$(printf '%s\n' "$OUT" | grep -c .)
expect_eq "status line count (one per process: 12)" 12 "$nlines"
check "status lists slow:0 STOPPED" \
    grep -Eq '^slow:0 +STOPPED' "$T/out"
check "status lists alpha:0 RUNNING with pid and uptime" \
    grep -Eq '^alpha:0 +RUNNING +pid [0-9]+, uptime [0-9]+:[0-9]{2}:[0-9]{2}$' "$T/out"
# Aligned columns: every state word starts at the same offset, and that
# offset is past the longest name.
offsets=$(awk '{ match($0, /^[^ ]+ +/); print RLENGTH }' "$T/out" | sort -u)
expect_eq "distinct offsets of the state column" 1 "$(printf '%s\n' "$offsets" | grep -c .)"
check "state column is after the longest name (${#LONG} + 2 chars, offset $offsets)" \
    test "${offsets:-0}" -gt $((${#LONG} + 2))
descoff=$(awk '$2 != "" && NF > 2 { match($0, /^[^ ]+ +[^ ]+ +/); print RLENGTH }' "$T/out" | sort -u)
expect_eq "distinct offsets of the description column" 1 "$(printf '%s\n' "$descoff" | grep -c .)"

run_ctl status alpha
expect_rc "status alpha (RUNNING)" 0
expect_match "status alpha output" '^alpha:0 +RUNNING +pid [0-9]+' "$OUT"
run_ctl status multi
expect_rc "status multi (both RUNNING)" 0
expect_eq "status multi lines" "multi:0 multi:1" "$(awk '{ print $1 }' "$T/out" | xargs)"
run_ctl status multi:1
expect_rc "status multi:1" 0
expect_eq "status multi:1 lines" "multi:1" "$(awk '{ print $1 }' "$T/out" | xargs)"
run_ctl status alpha slow
expect_rc "status alpha slow (slow STOPPED)" 3
run_ctl status nope
expect_rc "status of an unknown name" 1
expect_match "status nope error" 'nope.*no such process' "$ERR"
run_ctl status multi:7
expect_rc "status multi:7 (multi has 2 processes)" 1
expect_match "status multi:7 error" 'multi:7.*no such process' "$ERR"
run_ctl status alpha nope
expect_rc "status alpha nope (mixed)" 1
expect_match "status alpha nope still shows alpha" '^alpha:0 +RUNNING' "$OUT"
expect_match "status alpha nope error" 'nope.*no such process' "$ERR"

# ----------------------------------------------------------------------
section "start waits until RUNNING (startsecs = 1)"
run_ctl start slow
expect_rc "start slow" 0
expect_eq "start slow output" "slow:0: started" "$OUT"
check "start slow took >= 1 s (took $(ms_fmt $MS))" test "$MS" -ge 950
check "start slow took < 4 s (took $(ms_fmt $MS))" test "$MS" -lt 4000
expect_eq "state of slow:0 right after start returned" RUNNING "$(proc_state slow:0)"
slow_pid=$(proc_pid slow:0)
check "slow:0 pid $slow_pid is alive" pid_alive "$slow_pid"

run_ctl start slow
expect_rc "start of a running process" 0
expect_eq "start of a running process output" "slow:0: already running" "$OUT"
expect_eq "pid unchanged by 'already running'" "$slow_pid" "$(proc_pid slow:0)"

run_ctl start broken
expect_rc "start of a program whose command does not exist" 1
expect_match "start broken reason" "broken:0.*no such file.*no-such-binary" "$ERR"
expect_eq "state of broken:0" FATAL "$(proc_state broken:0)"

run_ctl start failing
expect_rc "start of a program exiting 1 at once (startretries = 0)" 1
expect_match "start failing reason" 'failing:0.*exited too quickly' "$ERR"
expect_eq "state of failing:0" FATAL "$(proc_state failing:0)"

run_ctl start quick
expect_rc "start of a program exiting 0 during startsecs" 0
expect_eq "start quick output" "quick:0: exited" "$OUT"
expect_eq "state of quick:0" EXITED "$(proc_state quick:0)"

run_ctl start alpha nope
expect_rc "start alpha nope (mixed)" 1
expect_match "start alpha nope: alpha acted on" 'alpha:0: already running' "$OUT"
expect_match "start alpha nope error" 'nope.*no such process' "$ERR"

# ----------------------------------------------------------------------
section "stop waits until STOPPED (ignore-term, stopwaitsecs = 1)"
run_ctl start stubborn
expect_rc "start stubborn" 0
retry 3 test -s "$T/stubborn.pid"
stub_pid=$(read_pid "$T/stubborn.pid")
check "stubborn's process $stub_pid is alive" pid_alive "$stub_pid"
# ignore-term prints "ready" once SIGTERM is ignored.
retry 3 eval 'ctl tail stubborn 2>/dev/null | grep -q ready' ||
	note "stubborn did not say ready in time"
run_ctl stop stubborn
expect_rc "stop stubborn" 0
expect_eq "stop stubborn output" "stubborn:0: stopped" "$OUT"
check "stop stubborn took >= 1 s (stopwaitsecs; took $(ms_fmt $MS))" test "$MS" -ge 950
check "stop stubborn took < 4 s (took $(ms_fmt $MS))" test "$MS" -lt 4000
check "stubborn's process $stub_pid is gone when stop returns" pid_gone "$stub_pid"
expect_eq "state of stubborn:0 after stop" STOPPED "$(proc_state stubborn:0)"

run_ctl stop stubborn
expect_rc "stop of a STOPPED process" 0
expect_eq "stop of a STOPPED process output" "stubborn:0: not running" "$OUT"

run_ctl stop slow nope
expect_rc "stop slow nope (mixed)" 1
expect_eq "stop slow nope stdout" "slow:0: stopped" "$OUT"
check "slow's process $slow_pid gone" pid_gone "$slow_pid"
expect_eq "state of slow:0" STOPPED "$(proc_state slow:0)"

run_ctl status slow
expect_rc "status of a STOPPED process" 3

# ----------------------------------------------------------------------
section "restart gives a new pid"
a1=$(proc_pid alpha:0)
run_ctl restart alpha
expect_rc "restart alpha" 0
expect_eq "restart alpha output" "alpha:0: started" "$OUT"
a2=$(proc_pid alpha:0)
check "alpha:0 has a new pid ($a1 -> $a2)" test -n "$a2" -a "$a1" != "$a2"
check "old alpha pid $a1 gone" pid_gone "$a1"
check "new alpha pid $a2 alive" pid_alive "$a2"
check "alpha wrote its new pid" retry 2 eval '[ "$(read_pid "$T/alpha.pid")" = "$a2" ]'

# ----------------------------------------------------------------------
section "signal"
retry 3 test -s "$T/sigrec.pid"
sr_pid=$(proc_pid sigrec:0)
hups() {
	if [ -f "$T/sigrec.log" ]; then grep -c "HUP $sr_pid" "$T/sigrec.log"; else echo 0; fi
}
n=0
for sig in HUP SIGHUP 1; do
	run_ctl signal $sig sigrec
	expect_rc "signal $sig sigrec" 0
	expect_eq "signal $sig sigrec output" "sigrec:0: signalled" "$OUT"
	n=$((n + 1))
	check "sigrec ($sr_pid) recorded HUP number $n" \
	    retry 3 eval '[ "$(hups)" -ge $n ]'
done
expect_eq "sigrec:0 pid unchanged (HUP trapped)" "$sr_pid" "$(proc_pid sigrec:0)"

a1=$(proc_pid alpha:0)
run_ctl signal HUP alpha
expect_rc "signal HUP alpha (sleeper dies of it)" 0
check "alpha:0 restarted with a new pid after HUP" \
    retry 5 eval 'p=$(proc_pid alpha:0); [ -n "$p" ] && [ "$p" != "$a1" ]'

run_ctl signal HUP stubborn
expect_rc "signal of a STOPPED process" 1
expect_match "signal of a STOPPED process error" 'stubborn:0.*not running' "$ERR"
run_ctl signal NOSUCH alpha
expect_rc "signal with a bad signal name (client-side)" 2
run_ctl signal HUP nope
expect_rc "signal of an unknown name" 1

# ----------------------------------------------------------------------
section "pid"
run_ctl pid
expect_rc "pid" 0
expect_eq "mwsupd's pid (vs. the pidfile)" "$(read_pid "$PIDFILE")" "$OUT"
expect_eq "mwsupd's pid (vs. the one we started)" "$MWSUPD_PID" "$OUT"
run_ctl pid alpha
expect_rc "pid alpha" 0
expect_eq "pid alpha (vs. status)" "$(proc_pid alpha:0)" "$OUT"
run_ctl pid multi
expect_eq "pid multi (two lines)" "$(proc_pid multi:0) $(proc_pid multi:1)" "$(echo $OUT)"
run_ctl pid nope
expect_rc "pid of an unknown name" 1

# ----------------------------------------------------------------------
section "tail"
check "talker finished writing" retry 5 eval 'ctl tail talker 2>/dev/null | grep -q "talker done"'
run_ctl tail -n 3 talker
expect_rc "tail -n 3 talker" 0
expect_eq "tail -n 3 talker" "line5 out|line6 err|talker done" "$(paste -sd'|' "$T/out")"
run_ctl tail talker
expect_eq "tail talker (default 10 lines, all 7 held)" \
    "line1 out|line2 err|line3 out|line4 err|line5 out|line6 err|talker done" \
    "$(paste -sd'|' "$T/out")"
run_ctl tail -n 0 talker
expect_rc "tail -n 0" 0
expect_eq "tail -n 0 output" "" "$OUT"
run_ctl tail multi
expect_rc "tail of a program with 2 processes without :N" 1
expect_match "tail multi message" 'multi has 2 processes' "$ERR"
run_ctl tail multi:1
expect_rc "tail multi:1" 0
run_ctl tail nope
expect_rc "tail of an unknown name" 1

# tail -f: new lines as they arrive, and across a restart.
tk1=$(proc_pid ticker:0)
"$MWSUPCTL" -s "$SOCK" tail -n 1 -f ticker >"$T/follow.out" 2>"$T/follow.err" </dev/null &
FPID=$!
track_pid "$FPID"
check "tail -f shows new ticks" retry 5 eval '[ "$(grep -c "^tick" "$T/follow.out")" -ge 3 ]'
run_ctl restart ticker
tk2=$(proc_pid ticker:0)
check "tail -f shows the restarted process's greeting (pid $tk2)" \
    retry 5 grep -q "hello from $tk2" "$T/follow.out"
n1=$(grep -c "^tick" "$T/follow.out")
check "tail -f keeps showing ticks after the restart" \
    retry 5 eval '[ "$(grep -c "^tick" "$T/follow.out")" -ge $((n1 + 3)) ]'
check "tail -f is still running" pid_alive "$FPID"
kill -TERM "$FPID" 2>/dev/null
if retry 3 pid_gone "$FPID"; then
	wait "$FPID"
	expect_eq "exit code of tail -f ended by SIGTERM" 0 "$?"
else
	fail "tail -f did not end on SIGTERM"
	kill -KILL "$FPID" 2>/dev/null
fi

# ----------------------------------------------------------------------
section "version"
run_ctl version
expect_rc "version" 0
v=$("$MWSUPCTL" -V 2>/dev/null | awk '{ print $2 }')
vd=$("$MWSUPD" -V 2>/dev/null | awk '{ print $2 }')
expect_match "version names mwsupctl's version" "(^|$(printf '\n'))mwsupctl $v" "$OUT"
expect_match "version names mwsupd's version" "mwsupd $vd" "$OUT"

# ----------------------------------------------------------------------
section "--json"
if [ -z "$have_python" ]; then
	note "python3 not found: JSON output not checked"
else
	run_ctl --json status
	expect_rc "--json status (exit code as without --json)" 3
	check "--json status is valid JSON" json_ok
	expect_eq "--json status: a list of 12 objects" "list 12" \
	    "$(pyj 'type(d).__name__, len(d)' | tr -d "(),'")"
	expect_eq "--json status: every object has the documented keys" True \
	    "$(pyj 'all(set(("name","program","num","state","pid","since","started","uptime","exit_status","signal","reason","restarts")) <= set(o) for o in d)')"
	expect_eq "--json status alpha:0 (restarted once after the HUP)" \
	    "alpha 0 RUNNING True True True None None None 1" \
	    "$(pyj '" ".join(str(x) for x in (P("alpha:0")["program"], P("alpha:0")["num"], P("alpha:0")["state"], type(P("alpha:0")["pid"]) is int, type(P("alpha:0")["since"]) is int, type(P("alpha:0")["uptime"]) is int, P("alpha:0")["exit_status"], P("alpha:0")["signal"], P("alpha:0")["reason"], P("alpha:0")["restarts"]))')"
	expect_eq "--json status alpha:0 pid (vs. text status)" "$(proc_pid alpha:0)" \
	    "$(pyj 'P("alpha:0")["pid"]')"
	expect_eq "--json status multi:1 (num 1, restarts 0)" "multi 1 0" \
	    "$(pyj '"%s %s %s" % (P("multi:1")["program"], P("multi:1")["num"], P("multi:1")["restarts"])')"
	expect_eq "--json status slow:0 (STOPPED: pid null)" "STOPPED None None None None" \
	    "$(pyj '" ".join(str(P("slow:0")[k]) for k in ("state","pid","uptime","exit_status","signal"))')"
	expect_eq "--json status quick:0 (EXITED: exit_status 0)" "EXITED 0 None None" \
	    "$(pyj '" ".join(str(P("quick:0")[k]) for k in ("state","exit_status","signal","pid"))')"
	expect_eq "--json status broken:0 (FATAL with a reason)" "FATAL True" \
	    "$(pyj '"%s %s" % (P("broken:0")["state"], "no such file" in P("broken:0")["reason"])')"
	now=$(date +%s)
	since=$(pyj 'P("slow:0")["since"]')
	check "--json since of slow:0 is recent epoch seconds ($since vs now $now)" \
	    test "$since" -le "$now" -a "$since" -ge $((now - 60))

	run_ctl --json status alpha nope
	expect_rc "--json status alpha nope" 1
	check "--json status alpha nope is valid JSON" json_ok
	expect_eq "--json status: unknown name object" "nope no such process" \
	    "$(pyj 'P("nope")["name"] + " " + P("nope")["error"]')"

	run_ctl --json start slow
	expect_rc "--json start slow" 0
	check "--json start is valid JSON" json_ok
	expect_eq "--json start slow" "slow:0 started RUNNING True" \
	    "$(pyj '" ".join(str(x) for x in (d[0]["name"], d[0]["result"], d[0]["state"], isinstance(d[0]["pid"], int)))')"
	run_ctl -j stop slow
	expect_rc "-j stop slow" 0
	check "-j stop is valid JSON" json_ok
	expect_eq "-j stop slow" "slow:0 stopped STOPPED None None" \
	    "$(pyj '" ".join(str(x) for x in (d[0]["name"], d[0]["result"], d[0]["state"], d[0]["pid"], d[0]["error"]))')"
	run_ctl -j start broken
	expect_rc "-j start broken" 1
	expect_eq "-j start broken" "FATAL FATAL True" \
	    "$(pyj '" ".join(str(x) for x in (d[0]["result"], d[0]["state"], "no such file" in (d[0]["error"] or "")))')"

	run_ctl -j pid
	check "-j pid is valid JSON" json_ok
	expect_eq "-j pid" "$MWSUPD_PID" "$(pyj 'd["pid"] if isinstance(d["pid"], int) else "not a number"')"
	run_ctl -j pid alpha slow
	expect_eq "-j pid alpha slow" "alpha:0 $(proc_pid alpha:0) slow:0 None" \
	    "$(pyj '" ".join("%s %s" % (o["name"], o["pid"]) for o in d)')"

	run_ctl -j version
	check "-j version is valid JSON" json_ok
	expect_eq "-j version" "$v $vd 1" \
	    "$(pyj '"%s %s %r" % (d["mwsupctl"], d["mwsupd"], d["protocol"])')"

	run_ctl -j signal HUP sigrec
	check "-j signal is valid JSON" json_ok
	expect_eq "-j signal" "sigrec:0 signalled" "$(pyj 'd[0]["name"] + " " + d[0]["result"]')"

	run_ctl -j tail -n 2 talker
	check "-j tail is valid JSON" json_ok
	expect_eq "-j tail lines" "line6 err|talker done" \
	    "$(pyj '"|".join(o["line"] for o in d)')"
	# Recent lines keep the stream they were written to.
	expect_eq "-j tail streams of recent lines" "stderr|stdout" \
	    "$(pyj '"|".join(str(o["stream"]) for o in d)')"
	# -f: JSON Lines, one object per new line, with its stream.
	"$MWSUPCTL" -s "$SOCK" -j tail -n 0 -f ticker >"$T/jfollow.out" \
	    2>/dev/null </dev/null &
	JPID=$!
	track_pid "$JPID"
	retry 5 eval '[ "$(grep -c tick "$T/jfollow.out")" -ge 2 ]'
	kill -TERM "$JPID" 2>/dev/null
	retry 3 pid_gone "$JPID"
	head -n 2 "$T/jfollow.out" >"$T/out"
	expect_eq "-j tail -f: JSON Lines with line and stream" "tick stdout|tick stdout" \
	    "$(python3 -c 'import json,sys
print("|".join(json.loads(l)["line"].split()[0] + " " + json.loads(l)["stream"] for l in sys.stdin))' <"$T/out" 2>&1)"

	run_ctl -j reload
	expect_rc "-j reload (nothing changed)" 0
	check "-j reload is valid JSON" json_ok
	expect_eq "-j reload with no change" "[] [] []" \
	    "$(pyj '"%s %s %s" % (d["changes"], d["notes"], d["errors"])')"
fi

run_ctl reload
expect_rc "reload with nothing changed" 0

# ----------------------------------------------------------------------
section "usage errors and an unreachable mwsupd"
run_ctl start
expect_rc "start without a name" 2
run_ctl frobnicate
expect_rc "unknown command" 2
"$MWSUPCTL" -s "$T/nobody-here.sock" status >/dev/null 2>"$T/err"
RC=$? OUT= ERR=$(cat "$T/err")
expect_rc "status on a socket nobody listens on" 4

# ----------------------------------------------------------------------
section "shutdown returns once mwsupd has exited"
children=$(live_children_of "$MWSUPD_PID" | xargs)
run_ctl shutdown
pf_after=absent
[ -e "$PIDFILE" ] && pf_after=present
expect_rc "shutdown" 0
expect_eq "shutdown output" "Shut down" "$OUT"
# mwsupd's own clean-up (pidfile, socket) is done when shutdown returns.
# The kernel may still be finishing the process's exit after it closed the
# connection, hence the short grace for the pid itself.
expect_eq "the pidfile when shutdown returned" absent "$pf_after"
check "the socket is removed" test ! -e "$SOCK"
if retry 0.5 pid_gone "$MWSUPD_PID"; then
	ok "mwsupd ($MWSUPD_PID) is gone when shutdown returns (after $(ms_fmt $MS))"
else
	fail "mwsupd ($MWSUPD_PID) still running 0.5 s after shutdown returned"
fi
check "mwsupd's children ($children) are gone" all_gone $children
wait_mwsupd_exit 5
expect_eq "mwsupd's exit status after shutdown" 0 "$MWSUPD_RC"
run_ctl status
expect_rc "status after shutdown (mwsupd not running)" 4
expect_match "status after shutdown message" 'cannot reach mwsupd' "$ERR"

if [ -n "$have_python" ]; then
	start_mwsupd
	run_ctl --json shutdown
	expect_rc "--json shutdown" 0
	check "--json shutdown is valid JSON" json_ok
	expect_eq "--json shutdown" True "$(pyj 'd["shutdown"]')"
	check "mwsupd gone after --json shutdown" retry 0.5 pid_gone "$MWSUPD_PID"
	wait_mwsupd_exit 5
fi

# A few more quick cycles: when shutdown returns, the pidfile is gone
# (so `mwsupctl shutdown && mwsupd` works) and mwsupd exits at once.
late=0
for i in 1 2 3; do
	start_mwsupd
	ctl shutdown >/dev/null 2>&1
	if [ -e "$PIDFILE" ]; then
		late=$((late + 1))
		say "cycle $i: pidfile still present when shutdown returned"
	fi
	wait_mwsupd_exit 0.5 || { late=$((late + 1)); say "cycle $i: mwsupd still running 0.5 s after shutdown"; }
	wait_mwsupd_exit 5
done
expect_eq "shutdowns returning before mwsupd's clean-up and exit (of 3)" 0 "$late"

check "mwsupd's output shows no sanitizer report or crash" \
    eval '! grep -Eiq "sanitizer|runtime error|assert|segmentation" "$DLOG"'

finish
