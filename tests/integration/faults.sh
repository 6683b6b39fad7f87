#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# faults.sh — mwsupd under hostile conditions (mwsupd(8) Process states; mwsupd(8); mwsupd(8) Logging; doc/PROTOCOL.md; issue 7):
#   1. kill -9 of mwsupd with 100 children: none survives a second;
#   2. spawn failure from RLIMIT_NPROC: BACKOFF, then FATAL with the reason,
#      the daemon unharmed (root only);
#   3. descriptor exhaustion by clients (low RLIMIT_NOFILE): clients wait or
#      are refused, supervision goes on, the daemon recovers;
#   4. no syslog daemon, then a stopped one: nothing blocks;
#   5. a child that floods output without newlines;
#   6. a child that closes stdout/stderr early and lives on;
#   7. a child stopped with SIGSTOP before or during a stop;
#   8. 500 processes that crash at the same instant;
#   9. children that exit by themselves while they are being stopped.
# Each section runs its own mwsupd.
. "$(dirname "$0")/lib.sh"

require_engine

# Under AddressSanitizer freed memory sits in a quarantine that would look
# like growth in the RSS checks: keep it small.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"

# fresh: stop the current mwsupd (if any), then start one on $CONF (which
# the caller has just written with write_conf).
fresh() {
	if [ -n "$MWSUPD_PID" ] && ! stop_mwsupd 15; then
		fail "mwsupd did not exit within 15 s of SIGTERM"
	fi
	[ -n "$SINK_PID" ] || start_sink
	start_mwsupd "$@"
}

# nfds PID: how many descriptors PID has open.
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# cpu_ticks PID: utime + stime of PID, in clock ticks.
cpu_ticks() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	set -- $st
	echo $((${12} + ${13}))
}
# restarts NAME: the `restarts` count of process NAME (JSON status).
restarts() {
	ctl -j status "$1" 2>/dev/null | tr -d ' \n' |
	    sed -nE 's/.*"restarts":([0-9]+).*/\1/p'
}
# probe_latency SECONDS NAME: call `mwsupctl status NAME` for SECONDS;
# sets MAXLAT (ms), CALLS, BAD (answers without NAME RUNNING).
probe_latency() {
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
# ctl_quiet ARGS...: ctl without output.
ctl_quiet() { ctl "$@" >/dev/null 2>&1; }
# count_lines FILE: lines in FILE (0 when missing).
count_lines() { file_lines "$1"; }
# running_total N: exactly N processes (of all programs) are RUNNING.
running_total() {
	[ "$(ctl status 2>/dev/null | awk '$2 == "RUNNING" { n++ } END { print n + 0 }')" -eq "$1" ]
}

# ======================================================================
section "1. kill -9 of mwsupd with 100 children: none survives a second"
write_conf <<EOF
program hundred {
    command = "$H/sleeper"
    numprocs = 100
    startsecs = 0
}
EOF
fresh
check "100 processes RUNNING" retry 10 count_is hundred RUNNING 100
kids=$(supervised_children_of "$MWSUPD_PID" | xargs)
set -- $kids
expect_eq "live children of mwsupd" 100 "$#"
{
	kill -KILL "$MWSUPD_PID"
	t0=$(now_ms)
	if retry 1 all_gone $kids; then
		ok "all 100 children gone $(ms_fmt $(($(now_ms) - t0))) after mwsupd's SIGKILL"
	else
		left=$(alive_among $kids)
		set -- $left
		fail "$# of 100 children survived mwsupd's SIGKILL by 1 s: $left"
	fi
	wait_mwsupd_exit 2
} 2>/dev/null	# not bash's "Killed" job notice
expect_eq "mwsupd's fate" 137 "${MWSUPD_RC:-running}"

# ======================================================================
section "2. spawn failure from RLIMIT_NPROC: BACKOFF, then FATAL, daemon unharmed"
if [ "$(id -u)" -ne 0 ]; then
	note "not root: the RLIMIT_NPROC test needs user = \"nobody\""
elif ! id nobody >/dev/null 2>&1 || ! command -v setpriv >/dev/null ||
    ! command -v prlimit >/dev/null; then
	note "no user nobody, setpriv or prlimit: RLIMIT_NPROC test skipped"
else
	# Since Linux 3.1 setuid() no longer fails on RLIMIT_NPROC; execve()
	# does, with EAGAIN, when the new user has more processes than the
	# limit.  So nobody must own a process already: this sleeper.
	(exec setpriv --reuid nobody --regid "$(id -g nobody)" --clear-groups \
	    "$H/sleeper") </dev/null >/dev/null 2>&1 &
	track_pid $!
	write_conf <<EOF
program canary {
    command = "$H/sleeper -p $T/canary.pid"
    startsecs = 0
}
program nproc {
    command = "$H/sleeper"
    user = "nobody"
    autostart = false
    startsecs = 1
    startretries = 2
}
EOF
	fresh
	wait_state canary:0 RUNNING 5
	cpid=$(proc_pid canary:0)
	nproc_was=$(prlimit --pid "$MWSUPD_PID" --nproc --raw --noheadings \
	    -o SOFT,HARD | awk '{ print $1 ":" $2 }')
	prlimit --pid "$MWSUPD_PID" --nproc=0: ||
		fail "prlimit --nproc on mwsupd failed"
	mark_logs
	t0=$(now_ms)
	ctl start nproc:0 >"$T/nproc.out" 2>&1
	rc=$?
	el=$(($(now_ms) - t0))
	expect_eq "exit status of 'start nproc:0' under RLIMIT_NPROC 0" 1 "$rc"
	expect_eq "state of nproc:0" FATAL "$(proc_state nproc:0)"
	expect_match "reason of nproc:0" \
	    '(cannot fork|cannot execute [^ ]+): Resource temporarily unavailable' \
	    "$(proc_desc nproc:0)"
	check "it went through BACKOFF first (syslog)" \
	    in_syslog 'nproc:0: [A-Z]+ -> BACKOFF'
	check "and FATAL from BACKOFF, with the reason (syslog)" \
	    in_syslog 'nproc:0: BACKOFF -> FATAL \(.*Resource temporarily unavailable\)'
	check "FATAL after the back-off delays 1 + 2 s (took $(ms_fmt $el))" \
	    test "$el" -ge 2500 -a "$el" -lt 8000
	check "mwsupd is alive" pid_alive "$MWSUPD_PID"
	expect_eq "canary:0 untouched" "RUNNING $cpid" \
	    "$(proc_state canary:0) $(proc_pid canary:0)"
	prlimit --pid "$MWSUPD_PID" --nproc="$nproc_was" ||
		fail "prlimit --nproc=$nproc_was on mwsupd failed"
	check "with the limit lifted, 'start nproc:0' succeeds" \
	    ctl_quiet start nproc:0
	wait_state nproc:0 RUNNING 3
	ctl stop nproc:0 >/dev/null 2>&1
fi

# ======================================================================
section "3. descriptor exhaustion (low RLIMIT_NOFILE): supervision goes on"
if ! command -v prlimit >/dev/null || ! command -v perl >/dev/null; then
	note "no prlimit or perl: descriptor exhaustion test skipped"
else
	{
		for i in $(seq 1 20); do
			cat <<EOF
program w$i {
    command = "$H/sleeper -a -p $T/w$i.starts"
    startsecs = 0
}
EOF
		done
	} | write_conf
	fresh
	check "20 programs RUNNING" retry 10 running_total 20
	n0=$(nfds "$MWSUPD_PID")
	lim=64
	[ "$n0" -gt 54 ] && lim=$((n0 + 10))
	prlimit --pid "$MWSUPD_PID" --nofile=$lim: ||
		fail "prlimit --nofile on mwsupd failed"
	note "mwsupd holds $n0 descriptors; soft RLIMIT_NOFILE set to $lim"
	mark_logs
	# Authorised clients that connect, get one answer and stay connected
	# (idle) until mwsupd runs out of descriptors: the first one that
	# gets no answer within 1.5 s marks the exhaustion.  They hold on for
	# 25 s (mwsupd drops idle clients after its own timeout).
	perl -e '
	use strict; use IO::Socket::UNIX; use IO::Select;
	my ($path, $max, $hold, $out) = @ARGV;
	my $body = pack("CCn", 1, 1, 1) . pack("n", 3) . "cmd" .
	    pack("n", 7) . "version";
	my $req = pack("N", length $body) . $body;
	my (@s, $answered, $stuck) = ((), 0, 0);
	for (1 .. $max) {
		my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM,
		    Peer => $path) or last;
		push @s, $s;
		syswrite($s, $req);
		if (IO::Select->new($s)->can_read(1.5)) {
			my $b; sysread($s, $b, 65536); $answered++;
		} else { $stuck = 1; last; }
	}
	open(my $fh, ">", "$out.tmp") or die; print $fh "$answered $stuck\n";
	close $fh; rename("$out.tmp", $out);
	sleep $hold;
	' "$SOCK" 200 25 "$T/holder.out" </dev/null >/dev/null 2>&1 &
	holder=$!
	track_pid "$holder"
	if retry 40 test -s "$T/holder.out"; then
		read -r answered stuck <"$T/holder.out"
		note "clients answered before exhaustion: $answered"
		expect_eq "a client got no answer once descriptors ran out" 1 "$stuck"
		check "mwsupd logged that it cannot accept" \
		    retry 2 in_syslog 'cannot accept.*(Too many open files|descriptor)'
		check "mwsupd is alive" pid_alive "$MWSUPD_PID"
		# Supervision while no descriptor is free: crash one worker.
		victim=$(read_pid "$T/w7.starts")
		kill -KILL "$victim"
		respawned() {
			[ "$(count_lines "$T/w7.starts")" -ge 2 ] &&
			    pid_alive "$(tail -n 1 "$T/w7.starts" | cut -d' ' -f1)"
		}
		t0=$(now_ms)
		if retry 5 respawned; then
			ok "w7:0 was restarted during the exhaustion ($(ms_fmt $(($(now_ms) - t0))))"
		else
			fail "w7:0 was not restarted within 5 s while clients held every descriptor"
		fi
		nl=$(supervised_children_of "$MWSUPD_PID" | wc -l)
		check "mwsupd still supervises (live children: $nl)" test "$nl" -ge 19
		check "mwsupd is alive" pid_alive "$MWSUPD_PID"
	else
		fail "the connection holder reported nothing within 40 s"
	fi
	kill -KILL "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	t0=$(now_ms)
	check "once the clients are gone, 'mwsupctl status' answers again" \
	    retry 15 ready
	note "answered $(ms_fmt $(($(now_ms) - t0))) after the clients left"
	check "w7:0 is RUNNING again (not FATAL)" retry 20 in_state w7:0 RUNNING
	note "w7:0 is '$(status_line w7:0)'"
	check "all 20 programs RUNNING" retry 10 running_total 20
	n1=$(nfds "$MWSUPD_PID")
	check "mwsupd's descriptors back to normal ($n0 before, $n1 after)" \
	    test "$n1" -le $((n0 + 2))
fi

# ======================================================================
section "4. no syslog daemon, then a stopped one: nothing blocks"
write_conf <<EOF
program chatty {
    command = "$H/sleeper -i 1"
    startsecs = 0
}
program crashy {
    command = "$H/crasher -d 50 -S 9 -p $T/crashy.starts"
    autorestart = true
    startsecs = 0
}
program steady {
    command = "$H/sleeper"
    startsecs = 0
}
EOF
fresh
wait_state steady:0 RUNNING 5
stop_sink		# no syslog at all: the socket file is gone
c0=$(count_lines "$T/crashy.starts")
probe_latency 3 steady:0
c1=$(count_lines "$T/crashy.starts")
check "without syslog, status answers within 1 s ($CALLS calls, slowest $(ms_fmt $MAXLAT))" \
    test "$MAXLAT" -lt 1000
expect_eq "status calls without syslog that did not show steady:0 RUNNING" 0 "$BAD"
check "without syslog, crashy:0 keeps being restarted ($((c1 - c0)) starts in 3 s)" \
    test $((c1 - c0)) -ge 10
mark_logs
start_sink
check "syslog gets lines again once it is back" retry 5 in_syslog 'chatty\[[0-9]+\]: tick'
check "and hears how many lines were dropped meanwhile" \
    retry 5 in_syslog 'lines dropped'

mark_logs
kill -STOP "$SINK_PID"	# a syslog that takes nothing (hung)
c0=$(count_lines "$T/crashy.starts")
probe_latency 7 steady:0	# beyond the 5 s stall deadline
c1=$(count_lines "$T/crashy.starts")
check "with syslog hung, status answers within 1 s ($CALLS calls, slowest $(ms_fmt $MAXLAT))" \
    test "$MAXLAT" -lt 1000
expect_eq "status calls with syslog hung that did not show steady:0 RUNNING" 0 "$BAD"
check "with syslog hung, crashy:0 keeps being restarted ($((c1 - c0)) starts in 7 s)" \
    test $((c1 - c0)) -ge 20
kill -CONT "$SINK_PID"
check "syslog gets lines again once it reads" \
    retry 10 in_syslog 'chatty\[[0-9]+\]: tick'
check "mwsupd is alive" pid_alive "$MWSUPD_PID"

# ======================================================================
section "5. a child that floods output without newlines"
start_sink /dev/null	# not kept: only the pieces' size is checked below
write_conf <<EOF
program nonl {
    command = "$H/flood -n"
    startsecs = 0
}
program steady {
    command = "$H/sleeper"
    startsecs = 0
}
EOF
fresh
wait_state nonl:0 RUNNING 5
fpid=$(proc_pid nonl:0)
rss0=$(rss_kib "$MWSUPD_PID")
w0=$(awk '/^wchar:/ { print $2 }' "/proc/$fpid/io" 2>/dev/null)
probe_latency 3 steady:0
w1=$(awk '/^wchar:/ { print $2 }' "/proc/$fpid/io" 2>/dev/null)
rss1=$(rss_kib "$MWSUPD_PID")
check "status answers within 1.5 s during the flood ($CALLS calls, slowest $(ms_fmt $MAXLAT))" \
    test "$MAXLAT" -lt 1500
if [ -n "$w0" ] && [ -n "$w1" ]; then
	check "the flood was real: $(((w1 - w0) / 1048576)) MiB without a newline in 3 s" \
	    test $((w1 - w0)) -gt 1048576
fi
check "mwsupd's RSS stays bounded (${rss0:-?} KiB before, ${rss1:-?} KiB after)" \
    test -n "$rss0" -a -n "$rss1" -a $((${rss1:-0} - ${rss0:-0})) -lt 32768
tl=$(ctl tail -n 3 nonl:0 2>/dev/null | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
check "tail shows pieces of at most 4 KiB (longest $tl bytes)" \
    test "$tl" -gt 0 -a "$tl" -le 4096
expect_eq "nonl:0 still supervised, same pid" "RUNNING $fpid" \
    "$(proc_state nonl:0) $(proc_pid nonl:0)"
t0=$(now_ms)
ctl stop nonl:0 >/dev/null 2>&1
check "the flooder stopped promptly ($(ms_fmt $(($(now_ms) - t0))))" \
    test $(($(now_ms) - t0)) -lt 3000
check "nonl:0 (pid $fpid) is gone" retry 1 pid_gone "$fpid"

# ======================================================================
section "6. a child that closes stdout and stderr early and lives on"
start_sink
write_conf <<EOF
program closer {
    command = "$H/closer -i -o bye -p $T/closer.pid"
    startsecs = 1
}
EOF
fresh
wait_state closer:0 RUNNING 5
retry 2 test -s "$T/closer.pid"
p=$(proc_pid closer:0)
t0=$(cpu_ticks "$MWSUPD_PID")
sleep 2
t1=$(cpu_ticks "$MWSUPD_PID")
check "mwsupd does not spin on the closed pipes ($((t1 - t0)) ticks of CPU in 2 s)" \
    test $((t1 - t0)) -le 20
expect_eq "closer:0 still RUNNING with the same pid" "RUNNING $p" \
    "$(proc_state closer:0) $(proc_pid closer:0)"
check "its last words reached syslog" in_syslog "closer\[$p\]: bye"
t0=$(now_ms)
ctl stop closer:0 >/dev/null 2>&1
check "it stops promptly ($(ms_fmt $(($(now_ms) - t0))))" \
    test $(($(now_ms) - t0)) -lt 2000
check "closer:0 (pid $p) is gone" retry 1 pid_gone "$p"

# ======================================================================
section "7. a child stopped with SIGSTOP, before or during a stop"
write_conf <<EOF
program frozen {
    command = "$H/sleeper"
    startsecs = 0
    stopwaitsecs = 2
}
program stubborn {
    command = "$H/ignore-term"
    startsecs = 0
    stopwaitsecs = 2
}
EOF
fresh
wait_state frozen:0 RUNNING 5
p=$(proc_pid frozen:0)
kill -STOP "$p"
t0=$(now_ms)
ctl stop frozen:0 >/dev/null 2>&1
rc=$?
el=$(($(now_ms) - t0))
expect_eq "exit status of 'stop' of a SIGSTOPped process" 0 "$rc"
check "it took at most stopwaitsecs (2 s) + 1 s ($(ms_fmt $el))" test "$el" -lt 3000
check "frozen:0 (pid $p) is gone" retry 1 pid_gone "$p"
expect_eq "state of frozen:0" STOPPED "$(proc_state frozen:0)"

wait_state stubborn:0 RUNNING 5
p=$(proc_pid stubborn:0)
t0=$(now_ms)
ctl stop stubborn:0 >/dev/null 2>&1 &
stopper=$!
check "stubborn:0 goes STOPPING" retry 2 in_state stubborn:0 STOPPING
kill -STOP "$p"
wait "$stopper"
rc=$?
el=$(($(now_ms) - t0))
expect_eq "exit status of 'stop' of a process SIGSTOPped while stopping" 0 "$rc"
check "it took about stopwaitsecs (2 s) ($(ms_fmt $el))" \
    test "$el" -ge 1500 -a "$el" -lt 3500
check "stubborn:0 (pid $p) is gone" retry 1 pid_gone "$p"
expect_eq "state of stubborn:0" STOPPED "$(proc_state stubborn:0)"
expect_eq "zombies of mwsupd" 0 "$(zombies_of "$MWSUPD_PID")"

# ======================================================================
section "8. 500 processes crash at the same instant"
start_sink /dev/null
write_conf <<EOF
program mass {
    command = "$H/sleeper"
    numprocs = 500
    startsecs = 0
    autorestart = true
}
EOF
fresh
check "500 processes RUNNING" retry 20 count_is mass RUNNING 500
old=$(supervised_children_of "$MWSUPD_PID" | sort -n | xargs)
set -- $old
expect_eq "live children of mwsupd" 500 "$#"
t0=$(now_ms)
kill -KILL $old		# one kill(1): 500 kill(2) calls back to back
all_new() {
	local now
	now=$(supervised_children_of "$MWSUPD_PID" | sort -n | xargs)
	set -- $now
	[ "$#" -eq 500 ] && [ -z "$(comm -12 <(printf '%s\n' $old) \
	    <(printf '%s\n' $now))" ]
}
if retry 20 all_new; then
	ok "500 new processes replaced the crashed ones in $(ms_fmt $(($(now_ms) - t0)))"
else
	fail "after 20 s mwsupd has $(supervised_children_of "$MWSUPD_PID" | wc -l) live children"
fi
check "status shows 500 RUNNING" retry 10 count_is mass RUNNING 500
expect_eq "zombies of mwsupd" 0 "$(zombies_of "$MWSUPD_PID")"
r=0
for n in 0 99 250 499; do
	[ "$(restarts "mass:$n")" = 1 ] && r=$((r + 1))
done
expect_eq "sampled processes with restarts = 1" 4 "$r"
kids=$(supervised_children_of "$MWSUPD_PID" | xargs)
t0=$(now_ms)
check "mwsupd exits on SIGTERM with 500 processes" stop_mwsupd 15
note "shutdown with 500 processes took $(ms_fmt $(($(now_ms) - t0)))"
check "none of the 500 survived the shutdown" all_gone $kids

# ======================================================================
section "9. children that exit by themselves while they are being stopped"
start_sink
# Each ignores SIGTERM and exits with an unexpected code 0.8 s after it
# started: a stop sent meanwhile finds it exiting on its own.
write_conf <<EOF
program quitter {
    command = "/bin/sh -c 'trap \\"\\" TERM; echo started >>$T/quitter.starts; sleep 0.8; exit 3'"
    numprocs = 20
    startsecs = 0
    autorestart = true
    stopwaitsecs = 5
}
EOF
fresh
check "20 quitters RUNNING" retry 5 count_is quitter RUNNING 20
sleep 0.3
t0=$(now_ms)
ctl stop quitter >/dev/null 2>&1
rc=$?
el=$(($(now_ms) - t0))
expect_eq "exit status of 'stop quitter'" 0 "$rc"
check "the stop ended when they exited, well before stopwaitsecs ($(ms_fmt $el))" \
    test "$el" -lt 4000
check "all 20 STOPPED" count_is quitter STOPPED 20
n0=$(count_lines "$T/quitter.starts")
sleep 1.5
n1=$(count_lines "$T/quitter.starts")
expect_eq "starts after the stop (none may be restarted)" 0 $((n1 - n0))
check "all 20 still STOPPED" count_is quitter STOPPED 20
expect_eq "zombies of mwsupd" 0 "$(zombies_of "$MWSUPD_PID")"
check "mwsupd exits on SIGTERM" stop_mwsupd 10
expect_eq "mwsupd exit status" 0 "$MWSUPD_RC"

finish
