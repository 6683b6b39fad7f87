#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# log-outage.sh — a log sink that is missing, goes away or stops reading
# (mwsupd(8) Logging, doc/RELIABILITY.md): mwsupd says so on stderr, never blocks
# (status answers, a crashing program is restarted), keeps what fits its
# 4 MiB queue and sends it in order when the sink is back, and reports
# exactly how many lines did not fit.
. "$(dirname "$0")/lib.sh"

require_engine

# probe SECONDS NAME: `mwsupctl status NAME` every 50 ms for SECONDS;
# sets MAXLAT (slowest answer, ms), CALLS, BAD (answers without RUNNING).
probe() {
	local end t0 lat st
	MAXLAT=0 CALLS=0 BAD=0
	end=$(($(now_ms) + $(to_ms "$1")))
	while [ "$(now_ms)" -lt "$end" ]; do
		t0=$(now_ms)
		st=$(timeout 10 "$MWSUPCTL" -s "$SOCK" status "$2" 2>/dev/null)
		lat=$(($(now_ms) - t0))
		[ "$lat" -gt "$MAXLAT" ] && MAXLAT=$lat
		CALLS=$((CALLS + 1))
		[[ $st == *RUNNING* ]] || BAD=$((BAD + 1))
		sleep 0.05
	done
}
expect_dlog() {
	if retry "${3:-3}" in_dlog "$2"; then
		ok "stderr: $1"
	else
		fail "stderr: $1: no line matching /$2/ in $DLOG"
	fi
}
expect_syslog() {
	if retry "${3:-3}" in_syslog "$2"; then
		ok "syslog: $1"
	else
		fail "syslog: $1: no line matching /$2/ in $SYSLOG"
	fi
}
# numbers PREFIX < LINES: the N of every "PREFIX N" at the end of a line.
numbers() { sed -nE "s/^.*$1 ([0-9]+)\$/\\1/p"; }
# gaps < NUMBERS: how many times a number is not the one before plus 1.
gaps() { awk 'NR > 1 && $1 != prev + 1 { n++ } { prev = $1 } END { print n + 0 }'; }
# flood_done PID: the shell of `seq ...; exec sleep` has reached the sleep.
flood_done() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q '^sleep'; }
# sum_dropped < LINES: the total of every "N lines dropped here".
sum_dropped() {
	sed -nE 's/^.*mwsupd\[[0-9]+\]: ([0-9]+) lines dropped here: .*$/\1/p' |
	    awk '{ n += $1 } END { print n + 0 }'
}
# kill_sink: the syslog daemon goes away (its socket file too), but
# SINK_PID stays set, so that spawn_mwsupd does not start a new one.
kill_sink() {
	kill -KILL "$SINK_PID" 2>/dev/null
	wait "$SINK_PID" 2>/dev/null
	rm -f "$SINK_SOCK"
}

FLOOD=200000		# "line N" lines: about 10 MiB queued, beyond the bound

# ----------------------------------------------------------------------
section "no syslog at start-up: mwsupd says so, and sends the lines later"
# Regression: with no /dev/log every line was dropped without a word.
write_conf <<EOF
program ticker {
    command = "$H/sleeper -i 50"
    startsecs = 0
}
program steady {
    command = "$H/sleeper"
    startsecs = 0
}
EOF
start_sink
kill_sink
start_mwsupd
expect_dlog "a warning names the missing syslog socket" \
    "^mwsupd: warning: cannot reach syslog at $SINK_SOCK \(No such file or directory\)"
wait_state ticker:0 RUNNING 5
p=$(proc_pid ticker:0)
sleep 1		# lines to queue while there is no syslog: nothing to poll for
start_sink
expect_dlog "when syslog appears, stderr says it is back and nothing was lost" \
    "^mwsupd: syslog at $SINK_SOCK is back after [0-9.]+ s: [0-9]+ lines waited and are sent now, 0 lines dropped$"
expect_syslog "syslog hears how long it was missing and what it cost" \
    "mwsupd\[$MWSUPD_PID\]: syslog was unavailable for [0-9.]+ s: the [0-9]+ lines that waited follow, 0 lines dropped$"
expect_syslog "the lines logged before syslog existed arrive, from the first" \
    "ticker\[$p\]: tick 1$"
expect_syslog "mwsupd's first line arrives too" \
    "mwsupd\[$MWSUPD_PID\]: mwsupd .* starting with "

# ----------------------------------------------------------------------
section "syslog down for 3 s at low volume: every line arrives afterwards"
# Regression: ECONNREFUSED dropped every line until syslog was back.
# Every tick since ticker:0 started, the ones sent while syslog was
# missing at start-up included.
ticks() { grep "ticker\[$p\]: tick " "$SYSLOG" | numbers tick; }
last_tick() { ticks | tail -n 1; }
mark_logs
kill_sink
before=$(last_tick)
probe 3 steady:0
check "status answers while syslog is down (slowest of $CALLS: $(ms_fmt $MAXLAT))" \
    test "$MAXLAT" -lt 1000
expect_eq "status calls during the outage that did not show steady:0 RUNNING" 0 "$BAD"
start_sink
expect_dlog "stderr says syslog went away" \
    "^mwsupd: warning: syslog at $SINK_SOCK went away \(Connection refused\)"
expect_syslog "syslog hears that nothing was lost" \
    "syslog was unavailable for [0-9.]+ s: the [0-9]+ lines that waited follow, 0 lines dropped$"
# 3 s at 20 ticks a second, then some from after the outage.
caught_up() { [ "$(last_tick)" -ge $((${before:-0} + 70)) ]; }
check "ticks from after the outage arrive (last before it: tick ${before:-none})" \
    retry 5 caught_up
got=$(ticks)
expect_eq "the ticks that arrived, from the first, in order" \
    "$(seq 1 "$(printf '%s\n' "$got" | tail -n 1)" | md5sum)" \
    "$(printf '%s\n' "$got" | md5sum)"
check "mwsupd is alive" pid_alive "$MWSUPD_PID"
check "mwsupd exits on SIGTERM" stop_mwsupd 10

# ----------------------------------------------------------------------
section "a flood while syslog is down: the queue keeps 4 MiB, counts the rest"
write_conf <<EOF
program counter {
    command = "/bin/sh -c 'seq -f \\"line %%g\\" 1 $FLOOD; exec sleep 1000'"
    autostart = false
    startsecs = 0
}
program steady {
    command = "$H/sleeper"
    startsecs = 0
}
EOF
start_mwsupd
wait_state steady:0 RUNNING 5
mark_logs
kill_sink
ctl start counter >/dev/null 2>&1
cpid=$(proc_pid counter:0)
# The pipe is not read above the high-water mark until syslog has taken
# nothing for 5 s; then it is read again, and what does not fit is dropped.
probe 6 steady:0
check "status answers while the flood waits on a missing syslog (slowest of $CALLS: $(ms_fmt $MAXLAT))" \
    test "$MAXLAT" -lt 1000
expect_eq "status calls that did not show steady:0 RUNNING" 0 "$BAD"
expect_dlog "after 5 s stderr says the programs' output is read again" \
    "^mwsupd: warning: syslog at $SINK_SOCK has taken no line for 5 s; "
check "counter:0 could write its $FLOOD lines (not held back forever)" \
    retry 10 flood_done "$cpid"
rss=$(rss_kib "$MWSUPD_PID")
check "mwsupd's RSS stays bounded with the queue full (${rss:-?} KiB)" \
    test "${rss:-999999}" -lt 65536
start_sink
expect_syslog "the count of dropped lines is logged where they are missing" \
    "mwsupd\[$MWSUPD_PID\]: [0-9]+ lines dropped here: the log queue was full \(4 MiB\) while syslog took no line$" 30
kept=$(syslog_new | grep "counter\[$cpid\]: line " | numbers line)
nkept=$(printf '%s\n' "$kept" | grep -c .)
dropped=$(syslog_new | sum_dropped)
back=$(syslog_new | sed -nE 's/^.*syslog was unavailable for [0-9.]+ s: the [0-9]+ lines that waited follow, ([0-9]+) lines dropped$/\1/p' | head -n 1)
say "kept $nkept lines, $dropped dropped (back notice: ${back:-none})"
check "the queue kept at least 4 MiB of lines as sent ($nkept of ~50 bytes)" \
    test "$nkept" -ge 80000
expect_eq "the kept lines are the first ones, complete and in order" \
    "$(seq 1 "$nkept" | md5sum)" "$(printf '%s\n' "$kept" | md5sum)"
expect_eq "lines kept + lines reported dropped" "$FLOOD" $((nkept + dropped))
expect_eq "the back notice reports the same count" "$dropped" "${back:-}"
check "mwsupd exits on SIGTERM" stop_mwsupd 10

# ----------------------------------------------------------------------
section "log_target = stderr with a reader that stops: mwsupd never blocks"
# Regression (h12): a blocking write(2) to stderr froze mwsupd.
write_conf <<EOF
log_target = stderr
program counter {
    command = "/bin/sh -c 'seq -f \\"line %%g\\" 1 $FLOOD; exec sleep 1000'"
    autostart = false
    startsecs = 0
}
program crashy {
    command = "$H/crasher -d 200 -p $T/crashy.starts"
    autorestart = true
    startsecs = 0
}
program steady {
    command = "$H/sleeper"
    startsecs = 0
}
EOF
ERRLOG=$T/stderr.log
mkfifo "$T/stderr.fifo"
cat "$T/stderr.fifo" >"$ERRLOG" &
RPID=$!
track_pid "$RPID"
# As spawn_mwsupd, with stderr into the FIFO (stdout stays on $DLOG).
mark_logs
(
	cd "$T" || exit 99
	exec env MWSUP_SYSLOG_SOCKET="$SINK_SOCK" MWSUP_TESTDIR="$T" \
	    "$MWSUPD" -n -c "$CONF"
) </dev/null >>"$DLOG" 2>"$T/stderr.fifo" &
MWSUPD_PID=$!
ALL_MWSUPD_PIDS+=("$MWSUPD_PID")
retry 10 ready || fail "mwsupd did not answer on $SOCK within 10 s"
wait_state steady:0 RUNNING 5
kill -STOP "$RPID"		# the reader of mwsupd's stderr stops
# With the reader stopped, a blocked mwsupd would never answer: bound
# every request from here on.
timeout 10 "$MWSUPCTL" -s "$SOCK" start counter >/dev/null 2>&1
cpid=$(timeout 10 "$MWSUPCTL" -s "$SOCK" pid counter:0 2>/dev/null)
c0=$(file_lines "$T/crashy.starts")
probe 7 steady:0
c1=$(file_lines "$T/crashy.starts")
check "status answers while nobody reads stderr (slowest of $CALLS: $(ms_fmt $MAXLAT))" \
    test "$MAXLAT" -lt 1000
expect_eq "status calls that did not show steady:0 RUNNING" 0 "$BAD"
check "crashy:0 keeps being restarted ($((c1 - c0)) starts in 7 s)" \
    test $((c1 - c0)) -ge 10
check "counter:0 could write its $FLOOD lines (not held back forever)" \
    retry 10 flood_done "$cpid"
kill -CONT "$RPID"
# The gap line comes once everything kept has been written.
check "once the reader resumes, the count of dropped lines arrives" \
    retry 30 grep -q "mwsupd\[$MWSUPD_PID\]: [0-9]* lines dropped here: the log queue was full (4 MiB) while stderr took no line$" "$ERRLOG"
kept=$(grep "counter\[$cpid\]: line " "$ERRLOG" | numbers line)
nkept=$(printf '%s\n' "$kept" | grep -c .)
dropped=$(sum_dropped <"$ERRLOG")
say "kept $nkept lines of counter:0, $dropped lines dropped (all programs)"
check "the queue kept at least 4 MiB of lines ($nkept of ~50 bytes)" \
    test "$nkept" -ge 70000
expect_eq "the kept lines are the first ones, complete and in order" \
    "$(seq 1 "$nkept" | md5sum)" "$(printf '%s\n' "$kept" | md5sum)"
check "every missing line of counter:0 is counted ($((FLOOD - nkept)) missing, $dropped dropped)" \
    test $((FLOOD - nkept)) -le "$dropped"
check "every line is whole (a timestamp, a tag, a text)" \
    test "$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12} [^ ]+\[[0-9]+\]: ' "$ERRLOG")" -eq 0
check "mwsupd exits on SIGTERM" stop_mwsupd 10

finish
