#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# logging.sh — output handling (mwsupd(8) Logging): children's lines to syslog with
# IDENT[PID] and info/err priorities, long lines split, syslog_ident,
# mwsupd's own events, closed outputs, log_target = stderr, and a
# flooding child that neither blocks mwsupd nor makes it grow.
. "$(dirname "$0")/lib.sh"

require_engine

# RFC 3164 header as mwsupd sends it: <PRI>Mmm dd hh:mm:ss
HDR='[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}'
# ISO 8601 stamp of log_target = stderr: YYYY-MM-DDTHH:MM:SS.mmm
ISO='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}'

# expect_syslog WHAT REGEX: a line matching REGEX arrives (3 s).
expect_syslog() {
	if retry 3 in_syslog "$2"; then
		ok "syslog: $1"
	else
		fail "syslog: $1: no line matching /$2/ in $SYSLOG"
	fi
}
expect_dlog() {
	if retry 3 in_dlog "$2"; then
		ok "stderr: $1"
	else
		fail "stderr: $1: no line matching /$2/ in $DLOG"
	fi
}
# cpu_ticks PID: utime + stime of PID, in clock ticks.
cpu_ticks() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	set -- $st
	echo $((${12} + ${13}))	# utime + stime (fields 14, 15)
}

# ----------------------------------------------------------------------
section "children's lines in syslog"
write_conf <<EOF
log_facility = "daemon"
program talker {
    command = "$H/sleeper -o \"hello stdout\" -E \"hello stderr\""
    startsecs = 0
}
program tagged {
    command = "$H/sleeper -o tagged-line"
    syslog_ident = "custom-ident"
    startsecs = 0
}
program long {
    command = "$H/flood -l 10000 -t 10001 -S"
    startsecs = 0
}
program closer {
    command = "$H/closer -o bye"
    startsecs = 0
}
EOF
start_mwsupd
wait_state talker:0 RUNNING 5
p=$(proc_pid talker:0)
expect_syslog "stdout line tagged talker[$p] with priority daemon.info <30>" \
    "^<30>$HDR talker\[$p\]: hello stdout$"
expect_syslog "stderr line tagged talker[$p] with priority daemon.err <27>" \
    "^<27>$HDR talker\[$p\]: hello stderr$"
expect_syslog "mwsupd's own lines are tagged mwsupd[$MWSUPD_PID], facility daemon" \
    "^<(2[4-9]|3[01])>$HDR mwsupd\[$MWSUPD_PID\]: "
expect_syslog "mwsupd logs the spawn of talker:0 with its pid" \
    "mwsupd\[$MWSUPD_PID\]: .*talker:0.*\b$p\b"

wait_state tagged:0 RUNNING 5
p=$(proc_pid tagged:0)
expect_syslog "syslog_ident: tagged custom-ident[$p]" \
    "^<30>$HDR custom-ident\[$p\]: tagged-line$"

wait_state long:0 RUNNING 5
p=$(proc_pid long:0)
long_parts() {
	syslog_new | sed -nE "s/^<30>$HDR long\[$p\]: (.*)$/\1/p"
}
long_complete() { [ "$(long_parts | tr -d '\n' | wc -c)" -ge 10000 ]; }
retry 3 long_complete
nparts=$(long_parts | wc -l)
maxpart=$(long_parts | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
check "a 10000-byte line is split in at least 3 parts (saw $nparts)" test "$nparts" -ge 3
check "no part is longer than 4 KiB (longest: $maxpart)" test "$maxpart" -le 4096
expect_eq "the parts put together" "$("$H/flood" -l 10000 -t 10000 -n | md5sum)" \
    "$(long_parts | tr -d '\n' | md5sum)"

wait_state closer:0 RUNNING 5
p=$(proc_pid closer:0)
expect_syslog "the last line of a process that closes its output" \
    "^<30>$HDR closer\[$p\]: bye$"
t1=$(cpu_ticks "$MWSUPD_PID")
t0ms=$(now_ms)
sleep 1		# measuring an interval: nothing to poll for
t2=$(cpu_ticks "$MWSUPD_PID")
el=$(($(now_ms) - t0ms))
hz=$(getconf CLK_TCK)
cpu_ms=$(((t2 - t1) * 1000 / hz))
check "mwsupd is idle after a child closed its output (${cpu_ms} ms CPU in $(ms_fmt $el))" \
    test "$cpu_ms" -lt 300
expect_eq "closer:0 with closed stdout/stderr" "RUNNING $p" \
    "$(proc_state closer:0) $(proc_pid closer:0)"
check "mwsupd exits on SIGTERM" stop_mwsupd 10

# ----------------------------------------------------------------------
section "log_target = stderr"
write_conf <<EOF
log_target = stderr
program talker {
    command = "$H/sleeper -o \"hello stdout\" -E \"hello stderr\""
    startsecs = 0
}
EOF
start_mwsupd
wait_state talker:0 RUNNING 5
p=$(proc_pid talker:0)
expect_dlog "stdout line as 'TIMESTAMP talker[$p]: LINE'" \
    "^$ISO talker\[$p\]: hello stdout$"
expect_dlog "stderr line as 'TIMESTAMP talker[$p]: LINE'" \
    "^$ISO talker\[$p\]: hello stderr$"
expect_dlog "mwsupd's own lines as 'TIMESTAMP mwsupd[$MWSUPD_PID]: ...'" \
    "^$ISO mwsupd\[$MWSUPD_PID\]: "
check "mwsupd exits on SIGTERM" stop_mwsupd 10
if syslog_new | grep -qE "talker\[$p\]|mwsupd\[$MWSUPD_PID\]"; then
	fail "with log_target = stderr, lines still went to syslog"
else
	ok "with log_target = stderr, nothing went to syslog"
fi

# ----------------------------------------------------------------------
section "a flooding child does not block mwsupd or make it grow"
start_sink /dev/null	# what arrives is not checked here
write_conf <<EOF
program flooder {
    command = "$H/flood -l 100"
    autostart = false
    startsecs = 0
}
program errflooder {
    command = "$H/flood -l 5000 -n -e"
    autostart = false
    startsecs = 0
}
program steady {
    command = "$H/sleeper"
    startsecs = 0
}
EOF
# Under AddressSanitizer, freed memory sits in a quarantine (256 MiB by
# default) that would look like growth: keep it small for this instance.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8" \
    start_mwsupd
wait_state steady:0 RUNNING 5
rss0=$(rss_kib "$MWSUPD_PID")
ctl start flooder errflooder >/dev/null 2>&1
wait_state flooder:0 RUNNING 3
wait_state errflooder:0 RUNNING 3
fpid=$(proc_pid flooder:0)
w0=$(awk '/^wchar:/ { print $2 }' "/proc/$fpid/io" 2>/dev/null)
maxlat=0
calls=0
bad=0
end=$(($(now_ms) + 3000))
while [ "$(now_ms)" -lt "$end" ]; do
	t0=$(now_ms)
	st=$(timeout 5 "$MWSUPCTL" -s "$SOCK" status steady:0 2>/dev/null)
	lat=$(($(now_ms) - t0))
	[ "$lat" -gt "$maxlat" ] && maxlat=$lat
	calls=$((calls + 1))
	[[ $st == *RUNNING* ]] || bad=$((bad + 1))
	sleep 0.05
done
w1=$(awk '/^wchar:/ { print $2 }' "/proc/$fpid/io" 2>/dev/null)
rss1=$(rss_kib "$MWSUPD_PID")
check "mwsupctl status answered within 1.5 s during the flood ($calls calls, slowest $(ms_fmt $maxlat))" \
    test "$maxlat" -lt 1500
expect_eq "status calls during the flood that did not show steady:0 RUNNING" 0 "$bad"
if [ -n "$w0" ] && [ -n "$w1" ]; then
	check "the flood was real: flooder:0 wrote $(((w1 - w0) / 1048576)) MiB in 3 s" \
	    test $((w1 - w0)) -gt 1048576
fi
check "mwsupd's RSS stays bounded (${rss0:-?} KiB before, ${rss1:-?} KiB after)" \
    test -n "$rss0" -a -n "$rss1" -a $((${rss1:-0} - ${rss0:-0})) -lt 32768 -a "${rss1:-0}" -lt 131072
expect_eq "flooder:0 still supervised, same pid" "RUNNING $fpid" \
    "$(proc_state flooder:0) $(proc_pid flooder:0)"
t0=$(now_ms)
ctl stop flooder errflooder >/dev/null 2>&1
rc=$?
el=$(($(now_ms) - t0))
expect_eq "exit status of 'stop flooder errflooder'" 0 "$rc"
check "the flooders stopped promptly (took $(ms_fmt $el))" test "$el" -lt 5000
check "flooder:0 (pid $fpid) is gone" retry 1 pid_gone "$fpid"
check "mwsupd exits on SIGTERM" stop_mwsupd 10
expect_eq "mwsupd exit status" 0 "$MWSUPD_RC"

# ----------------------------------------------------------------------
section "a stopped syslog reader costs no line (backpressure, not loss)"
# Regression: mwsupd used to drop datagrams when the syslog socket was
# full, so lines were lost whenever syslog fell behind.
start_sink
write_conf <<EOF
program counter {
    command = "/bin/sh -c 'seq -f \\"line %%g\\" 1 20000; exec sleep 1000'"
    autostart = false
    startsecs = 0
}
EOF
start_mwsupd
mark_logs
kill -STOP "$SINK_PID"
ctl start counter >/dev/null 2>&1
# ~20000 lines of ~40 bytes: more than the socket queue and mwsupd's
# high-water mark together, so the child must be held back.
until_ms=$(($(now_ms) + 1500))
maxlat=0
while [ "$(now_ms)" -lt "$until_ms" ]; do
	t0=$(now_ms)
	ctl status counter >/dev/null 2>&1
	el=$(($(now_ms) - t0))
	[ "$el" -gt "$maxlat" ] && maxlat=$el
done
check "mwsupd answers while syslog is stopped (slowest status $(ms_fmt $maxlat))" \
    test "$maxlat" -lt 1000
kill -CONT "$SINK_PID"
got() { syslog_new | grep -c 'counter\[[0-9]*\]: line '; }
all_arrived() { [ "$(got)" -ge 20000 ]; }
check "all 20000 lines arrive once syslog reads again" retry 20 all_arrived
expect_eq "lines that arrived" 20000 "$(got)"
expect_eq "they arrived complete and in order" \
    "$(seq -f 'line %g' 1 20000 | md5sum)" \
    "$(syslog_new | sed -n 's/^.*counter\[[0-9]*\]: //p' | md5sum)"
check "mwsupd exits on SIGTERM" stop_mwsupd 10

finish
