#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# states.sh — the process state machine seen from outside (mwsupd(8) Process states):
# respawn, autorestart, EXITED/BACKOFF/FATAL, exec failures, numprocs,
# start/stop by request, no zombies after a crash loop.
. "$(dirname "$0")/lib.sh"

require_engine

write_conf <<EOF
program sleepy {
    command = "$H/sleeper -p $T/sleepy.pid"
    startsecs = 2
    stopwaitsecs = 2
}
program ar_true {
    command = "$H/exit-code 0 -d 300 -p $T/ar_true.starts"
    autorestart = true
    startsecs = 0
}
program ar_false {
    command = "$H/exit-code 3 -d 300 -p $T/ar_false.starts"
    autorestart = false
    startsecs = 0
}
program ar_normal {
    command = "$H/exit-code 2 -d 300 -p $T/ar_normal.starts"
    autorestart = unexpected
    normal_exit = {0, 2}
    startsecs = 0
}
program ar_unexp {
    command = "$H/exit-code 3 -d 300 -p $T/ar_unexp.starts"
    autorestart = unexpected
    normal_exit = {0, 2}
    startsecs = 0
}
program quick {
    command = "$H/exit-code 0 -p $T/quick.starts"
    startsecs = 5
}
program failing {
    command = "$H/exit-code 1 -p $T/failing.starts"
    startsecs = 1
    startretries = 2
}
program missing {
    command = "$T/no-such-program --flag"
}
program multi {
    command = "$H/sleeper -p $T/multi-%(process_num)02d.pid"
    numprocs = 3
    numprocs_start = 5
    startsecs = 0
}
program crashloop {
    command = "$H/crasher -d 10 -p $T/crashloop.starts"
    autostart = false
    autorestart = true
    startsecs = 0
}
EOF

start_mwsupd

# ----------------------------------------------------------------------
section "STARTING, then RUNNING after startsecs"
expect_eq "state of sleepy:0 right after start-up (startsecs = 2)" \
    STARTING "$(proc_state sleepy:0)"
wait_state sleepy:0 RUNNING 5
pid1=$(proc_pid sleepy:0)
expect_match "description of RUNNING sleepy:0" \
    '^pid [0-9]+, uptime [0-9]+:[0-9]{2}:[0-9]{2}$' "$(proc_desc sleepy:0)"
retry 2 test -s "$T/sleepy.pid"
expect_eq "pid of sleepy:0 in status (vs. the pid it wrote)" \
    "$(read_pid "$T/sleepy.pid")" "$pid1"

# ----------------------------------------------------------------------
section "respawn after SIGKILL of a RUNNING process"
new_pid() {
	local p
	p=$(proc_pid sleepy:0)
	[ -n "$p" ] && [ "$p" != "$pid1" ] && pid_alive "$p"
}
if [ -n "$pid1" ]; then
	kill -KILL "$pid1"
	if retry 5 new_pid; then
		pid2=$(proc_pid sleepy:0)
		ok "sleepy:0 respawned: pid $pid1 -> $pid2"
		check "old pid $pid1 is gone" retry 2 pid_gone "$pid1"
		wait_state sleepy:0 RUNNING 5
		check "the new process wrote its pid $pid2" \
		    retry 2 eval '[ "$(read_pid "$T/sleepy.pid")" = "$pid2" ]'
	else
		fail "sleepy:0 not respawned after SIGKILL of $pid1: '$(status_line sleepy:0)'"
	fi
else
	fail "no pid for sleepy:0 in '$(status_line sleepy:0)'"
fi

# ----------------------------------------------------------------------
section "autorestart"
check "autorestart = true: restarted after exit 0 (3 runs seen)" \
    retry 5 lines_at_least "$T/ar_true.starts" 3
check "autorestart = unexpected: restarted after exit 3 (3 runs seen)" \
    retry 5 lines_at_least "$T/ar_unexp.starts" 3
wait_state ar_false:0 EXITED 5
expect_match "ar_false:0 description" 'exit status 3' "$(proc_desc ar_false:0)"
expect_eq "runs of ar_false:0 (autorestart = false)" 1 \
    "$(file_lines "$T/ar_false.starts")"
wait_state ar_normal:0 EXITED 5
expect_match "ar_normal:0 description" 'exit status 2' "$(proc_desc ar_normal:0)"
expect_eq "runs of ar_normal:0 (exit 2 is in normal_exit)" 1 \
    "$(file_lines "$T/ar_normal.starts")"

# ----------------------------------------------------------------------
section "normal exit while STARTING is EXITED, not a failed start"
wait_state quick:0 EXITED 3
expect_eq "runs of quick:0" 1 "$(file_lines "$T/quick.starts")"

# ----------------------------------------------------------------------
section "FATAL after startretries, with growing back-off"
if wait_state failing:0 FATAL 15; then
	expect_match "failing:0 reason" 'exited too quickly' \
	    "$(proc_desc failing:0)"
	expect_eq "attempts of failing:0 (startretries = 2)" 3 \
	    "$(file_lines "$T/failing.starts")"
	gaps=$(awk 'NR > 1 { printf "%d ", ($2 - prev) / 1000000 }
	    { prev = $2 }' "$T/failing.starts")
	read -r gap1 gap2 _ <<<"$gaps"
	gap1=${gap1:-0} gap2=${gap2:-0}
	check "first back-off ~1 s (saw $(ms_fmt "$gap1"))" \
	    test "$gap1" -ge 800 -a "$gap1" -le 2500
	check "second back-off ~2 s and longer than the first (saw $(ms_fmt "$gap2"))" \
	    test "$gap2" -ge 1700 -a "$gap2" -le 4500 -a "$gap2" -gt $((gap1 + 500))
fi

# ----------------------------------------------------------------------
section "exec failure is FATAL at once, with the reason"
wait_state missing:0 FATAL 3
desc=$(proc_desc missing:0)
expect_match "missing:0 reason" 'no such file' "$desc"
case $desc in
*"$T/no-such-program"*) ok "the reason names the missing file" ;;
*) fail "the reason should name $T/no-such-program, saw '$desc'" ;;
esac

# ----------------------------------------------------------------------
section "numprocs, numprocs_start and %(process_num)02d"
if retry 5 count_is multi RUNNING 3; then
	ok "multi: 3 processes RUNNING"
else
	fail "multi: expected 3 RUNNING, status shows: $(ctl status multi 2>&1 | tr '\n' '|')"
fi
expect_eq "process names of multi" "multi:5 multi:6 multi:7" \
    "$(ctl status multi 2>/dev/null | awk '{ print $1 }' | sort | xargs)"
for n in 5 6 7; do
	retry 2 test -s "$T/multi-0$n.pid"
	expect_eq "pid of multi:$n (status vs. multi-0$n.pid)" \
	    "$(read_pid "$T/multi-0$n.pid")" "$(proc_pid multi:$n)"
done

# ----------------------------------------------------------------------
section "mwsupctl status exit codes"
ctl status multi >/dev/null 2>&1
expect_eq "exit status of 'status multi' (all RUNNING)" 0 $?
ctl status missing:0 >/dev/null 2>&1
expect_eq "exit status of 'status missing:0' (FATAL)" 3 $?

# ----------------------------------------------------------------------
section "stop and start by request"
pid=$(proc_pid sleepy:0)
ctl stop sleepy:0 >/dev/null 2>&1
expect_eq "exit status of 'stop sleepy:0'" 0 $?
expect_eq "state of sleepy:0 when stop returned" STOPPED "$(proc_state sleepy:0)"
check "its process $pid is gone" retry 1 pid_gone "$pid"
ctl start sleepy:0 >/dev/null 2>&1
expect_eq "exit status of 'start sleepy:0'" 0 $?
expect_eq "state of sleepy:0 when start returned" RUNNING "$(proc_state sleepy:0)"

ctl start ar_false:0 >/dev/null 2>&1
check "start of an EXITED process starts it afresh (a second run)" \
    retry 3 lines_at_least "$T/ar_false.starts" 2
wait_state ar_false:0 EXITED 5

# ----------------------------------------------------------------------
section "no zombies after a crash loop"
ctl start crashloop >/dev/null 2>&1
if retry 20 lines_at_least "$T/crashloop.starts" 50; then
	ok "crashloop:0 restarted 50 times"
else
	fail "crashloop:0: expected 50 restarts in 20 s, saw $(file_lines "$T/crashloop.starts")"
fi
ctl stop crashloop >/dev/null 2>&1
wait_state crashloop:0 STOPPED 5
zombies_gone() { [ "$(zombies_of "$MWSUPD_PID")" -eq 0 ]; }
if retry 2 zombies_gone; then
	ok "mwsupd has no zombie children"
else
	fail "mwsupd has $(zombies_of "$MWSUPD_PID") zombie children: $(children_of "$MWSUPD_PID" Z | xargs)"
fi
crashers=$(cut -d' ' -f1 "$T/crashloop.starts")
check "every crasher is gone" all_gone $crashers

# ----------------------------------------------------------------------
section "given-up processes stay given up"
expect_eq "attempts of failing:0, seconds after FATAL" 3 \
    "$(file_lines "$T/failing.starts")"
expect_eq "state of failing:0" FATAL "$(proc_state failing:0)"
expect_eq "runs of ar_normal:0" 1 "$(file_lines "$T/ar_normal.starts")"

# ----------------------------------------------------------------------
section "shutdown"
check "mwsupd exits on SIGTERM" stop_mwsupd 15
expect_eq "mwsupd exit status after SIGTERM" 0 "$MWSUPD_RC"

finish
