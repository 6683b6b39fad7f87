# lib.sh — harness for mwsup's integration tests (bash); source it first.
#
# Every test script gets its own temporary directory $T holding the
# configuration ($CONF), control socket ($SOCK), pidfile ($PIDFILE),
# mwsupd's stdout/stderr ($DLOG) and what a private syslog sink received
# ($SYSLOG).  mwsupd runs in the foreground (-n) with MWSUP_SYSLOG_SOCKET
# pointing at the sink, so its syslog lines land in $SYSLOG.
#
# Checks poll with a deadline (retry), never sleep blindly.  Results:
# ok/fail per check, then `finish` prints "N passed, M failed" and exits
# 0 or 1.  skip exits 77, hard_error (a broken harness or build) exits 99.
# A trap tears down everything started here, by pid: mwsupd (TERM, then
# KILL), every process carrying this test's MWSUP_TESTDIR in its
# environment (mwsupd's children and grandchildren inherit it), the pids of
# helper pid files in $T, tracked pids, the sink; then $T is removed
# (kept when KEEP_TESTDIR is set).
#
# Environment (set by `make check`, see AM_TESTS_ENVIRONMENT): MWSUPD,
# MWSUPCTL, HELPERS, top_srcdir, top_builddir.  To run a script by hand
# from a build directory: top_builddir=$PWD bash SRCDIR/tests/integration/X.sh

set -u

TEST_NAME=$(basename "$0" .sh)
: "${top_builddir:=$PWD}"
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${MWSUPD:=$top_builddir/mwsupd/mwsupd}"
: "${MWSUPCTL:=$top_builddir/mwsupctl/mwsupctl}"
: "${HELPERS:=$top_builddir/tests/helpers}"
H=$HELPERS

PASS=0
FAIL=0
MWSUPD_PID=
MWSUPD_RC=
ALL_MWSUPD_PIDS=()
TRACKED_PIDS=()
SINK_PID=
SYSLOG_MARK=0
DLOG_MARK=0

say()  { printf '%s\n' "$*"; }
section() { say ""; say "== $*"; }

# ok MSG / fail MSG: record one check's outcome.
ok()   { PASS=$((PASS + 1)); say "ok: $*"; }
fail() { FAIL=$((FAIL + 1)); say "FAIL: $*"; }

# skip MSG: the whole script cannot run here (exit 77).
skip() { say "SKIP: $*"; exit 77; }
# note MSG: something not checked, with the reason.
note() { say "note: $*"; }
# hard_error MSG: the harness or the build is broken (exit 99).
hard_error() { say "ERROR: $*"; exit 99; }

# check MSG CMD...: ok when CMD succeeds, else fail.
check() {
	local msg=$1
	shift
	if "$@"; then ok "$msg"; else fail "$msg"; fi
}

# expect_eq WHAT EXPECTED SEEN
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1 is '$2'"
	else
		fail "$1: expected '$2', saw '$3'"
	fi
}

# expect_match WHAT EXTENDED_REGEX SEEN
expect_match() {
	if [[ $3 =~ $2 ]]; then
		ok "$1 matches /$2/"
	else
		fail "$1: expected to match /$2/, saw '$3'"
	fi
}

# --------------------------------------------------------------- time

# now_ms: wall-clock milliseconds (for measuring intervals in a test).
now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

# to_ms SECONDS: "1.5" -> 1500
to_ms() {
	local s=$1 i f=000
	i=${s%%.*}
	[[ $s == *.* ]] && f=${s#*.}000
	f=${f:0:3}
	echo $((10#${i:-0} * 1000 + 10#$f))
}

# ms_fmt MS: 1500 -> "1.500s"
ms_fmt() { printf '%d.%03ds' $(($1 / 1000)) $(($1 % 1000)); }

# retry DEADLINE_SECONDS CMD...: run CMD every ~30 ms until it succeeds
# (return 0) or DEADLINE (decimal allowed) passes (return 1).  CMD runs
# once more at the deadline.
retry() {
	local end
	end=$(($(now_ms) + $(to_ms "$1")))
	shift
	while :; do
		"$@" && return 0
		[ "$(now_ms)" -ge "$end" ] && break
		sleep 0.03
	done
	"$@"
}

# --------------------------------------------------------------- setup

[ -x "$MWSUPD" ] || hard_error "no mwsupd at $MWSUPD (run through make check)"
[ -x "$MWSUPCTL" ] || hard_error "no mwsupctl at $MWSUPCTL"
for _h in sleeper exit-code crasher ignore-term forker flood fdcheck \
    syslog-sink closer; do
	[ -x "$HELPERS/$_h" ] || hard_error "helper $HELPERS/$_h not built"
done
unset _h

T=$(mktemp -d "${TMPDIR:-/tmp}/mwsup-$TEST_NAME.XXXXXX") ||
	hard_error "mktemp failed"
if [ ${#T} -gt 80 ]; then	# sun_path is 108 bytes
	rmdir "$T"
	T=$(mktemp -d "/tmp/mwsup-$TEST_NAME.XXXXXX") ||
		hard_error "mktemp failed"
fi
# Traversable by other users, for programs run with `user = ...`.
chmod 755 "$T"
CONF=$T/mwsup.conf
SOCK=$T/mwsup.sock
PIDFILE=$T/mwsupd.pid
SINK_SOCK=$T/syslog.sock
SYSLOG=$T/syslog.log
DLOG=$T/mwsupd.log
: >"$SYSLOG"
: >"$DLOG"

# write_conf: the configuration is socket + pidfile lines, then stdin.
write_conf() {
	{
		printf 'socket = "%s"\npidfile = "%s"\n' "$SOCK" "$PIDFILE"
		cat
	} >"$CONF"
}

# --------------------------------------------------------------- processes

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
	local st
	[ -n "$1" ] || return 1
	{ read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ] && [ "${st%% *}" != X ]
}
pid_gone() { ! pid_alive "$1"; }

# all_gone PID...: none of them is alive.
all_gone() {
	local p
	for p in "$@"; do
		pid_alive "$p" && return 1
	done
	return 0
}
# all_alive PID...
all_alive() {
	local p
	[ $# -gt 0 ] || return 1
	for p in "$@"; do
		pid_alive "$p" || return 1
	done
	return 0
}
# alive_among PID...: print those still alive.
alive_among() {
	local p out=
	for p in "$@"; do
		pid_alive "$p" && out="$out $p"
	done
	echo "${out# }"
}

# children_of PID [STATE]: pids whose parent is PID (optionally only those
# in STATE, e.g. Z), one per line.
children_of() {
	local f st pid rest state ppid
	for f in /proc/[0-9]*/stat; do
		{ read -r st <"$f"; } 2>/dev/null || continue
		pid=${st%% *}
		rest=${st##*) }		# "STATE PPID PGRP ..."
		state=${rest%% *}
		ppid=${rest#* }
		ppid=${ppid%% *}
		[ "$ppid" = "$1" ] || continue
		[ -z "${2:-}" ] || [ "$state" = "$2" ] || continue
		echo "$pid"
	done
}
# zombies_of PID: how many zombie children PID has.
zombies_of() { children_of "$1" Z | wc -l; }
# live_children_of PID: pids of PID's children that are not zombies.
live_children_of() {
	local p
	for p in $(children_of "$1"); do
		pid_alive "$p" && echo "$p"
	done
}

# read_pid FILE: the first word of FILE (helpers write "PID START_NS").
read_pid() {
	local l
	[ -s "$1" ] || return 1
	read -r l <"$1" || true
	echo "${l%% *}"
}
# file_lines FILE: number of lines (0 if missing).
file_lines() {
	if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}
# lines_at_least FILE N
lines_at_least() { [ "$(file_lines "$1")" -ge "$2" ]; }

# track_pid PID...: kill these at teardown (e.g. a flock(1) holder).
track_pid() { TRACKED_PIDS+=("$@"); }

# rss_kib PID: VmRSS of PID in KiB.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# --------------------------------------------------------------- syslog sink

# start_sink [OUTFILE]: a syslog-sink on $SINK_SOCK appending to OUTFILE
# (default $SYSLOG).
start_sink() {
	stop_sink
	"$HELPERS/syslog-sink" "$SINK_SOCK" "${1:-$SYSLOG}" >"$T/sink.out" \
	    2>&1 </dev/null &
	SINK_PID=$!
	retry 5 test -S "$SINK_SOCK" || hard_error "syslog-sink did not start"
}
stop_sink() {
	if [ -n "$SINK_PID" ]; then
		kill -KILL "$SINK_PID" 2>/dev/null
		wait "$SINK_PID" 2>/dev/null
		SINK_PID=
	fi
	rm -f "$SINK_SOCK"
}

# mark_logs: later syslog_new/dlog_new print only what came after.
mark_logs() {
	SYSLOG_MARK=$(file_lines "$SYSLOG")
	DLOG_MARK=$(file_lines "$DLOG")
}
syslog_new() { tail -n +$((SYSLOG_MARK + 1)) "$SYSLOG" 2>/dev/null; }
dlog_new() { tail -n +$((DLOG_MARK + 1)) "$DLOG" 2>/dev/null; }

# in_syslog EXTENDED_REGEX: a line since mark_logs matches.
in_syslog() { syslog_new | grep -Eq -- "$1"; }
in_dlog() { dlog_new | grep -Eq -- "$1"; }

# --------------------------------------------------------------- mwsupd

# ctl ARGS...: mwsupctl on this test's socket.
ctl() { "$MWSUPCTL" -s "$SOCK" "$@"; }

# spawn_mwsupd [ARGS...]: start `mwsupd -n -c $CONF ARGS...` in the
# background, stdout and stderr appended to $DLOG, and return at once.
# Like a daemon started from a careless parent, it inherits SIGPIPE and
# SIGUSR2 ignored (and, as every background job of a script, SIGINT and
# SIGQUIT) and two stray descriptors (7 and 8), so the tests also see
# whether mwsupd gives its children default dispositions and only 0-2.
# Its working directory is $T; its umask is $MWSUPD_UMASK when set.
spawn_mwsupd() {
	[ -n "$SINK_PID" ] || start_sink
	mark_logs
	(
		trap '' PIPE USR2
		cd "$T" || exit 99
		[ -z "${MWSUPD_UMASK:-}" ] || umask "$MWSUPD_UMASK"
		exec 7>>"$T/stray-fd" 8<"$CONF"
		exec env MWSUP_SYSLOG_SOCKET="$SINK_SOCK" \
		    MWSUP_TESTDIR="$T" "$MWSUPD" -n -c "$CONF" "$@"
	) </dev/null >>"$DLOG" 2>&1 &
	MWSUPD_PID=$!
	ALL_MWSUPD_PIDS+=("$MWSUPD_PID")
}

# ready: the socket exists and mwsupctl gets an answer from mwsupd.
ready() {
	[ -S "$SOCK" ] && ctl pid >/dev/null 2>&1
}

# engine_missing: mwsupd says the supervision engine is not built yet.
engine_missing() { grep -q "not built yet" "$DLOG"; }

# start_mwsupd [ARGS...]: spawn_mwsupd, then wait (10 s) until it answers.
# When it dies first, the script ends: skipped (77) when the engine is not
# built yet, else failed with its output shown.
start_mwsupd() {
	spawn_mwsupd "$@"
	if retry 10 mwsupd_up_or_dead && ready; then
		return 0
	fi
	if pid_gone "$MWSUPD_PID"; then
		wait "$MWSUPD_PID" 2>/dev/null
		MWSUPD_RC=$?
		engine_missing && skip "mwsupd: the engine is not built yet"
		fail "mwsupd exited during start-up with status $MWSUPD_RC"
	else
		fail "mwsupd did not answer on $SOCK within 10 s"
	fi
	say "--- mwsupd output:"
	dlog_new | tail -n 20
	finish
}
mwsupd_up_or_dead() { pid_gone "$MWSUPD_PID" || ready; }

# wait_mwsupd_exit DEADLINE: wait for the current mwsupd to exit; its exit
# status goes to MWSUPD_RC.  Returns 1 if it is still running.
wait_mwsupd_exit() {
	if ! retry "$1" pid_gone "$MWSUPD_PID"; then
		MWSUPD_RC=
		return 1
	fi
	{ wait "$MWSUPD_PID"; } 2>/dev/null
	MWSUPD_RC=$?
	MWSUPD_PID=
	return 0
}

# stop_mwsupd [DEADLINE]: SIGTERM, wait (default 10 s) for the exit, status
# in MWSUPD_RC; SIGKILL and return 1 when it does not exit in time.
stop_mwsupd() {
	[ -n "$MWSUPD_PID" ] || return 0
	kill -TERM "$MWSUPD_PID" 2>/dev/null
	if wait_mwsupd_exit "${1:-10}"; then
		return 0
	fi
	kill -KILL "$MWSUPD_PID" 2>/dev/null
	wait "$MWSUPD_PID" 2>/dev/null
	MWSUPD_PID=
	return 1
}

# require_engine: skip (77) the whole script when `mwsupd -n` is not
# functional yet, i.e. it exits at once saying "not built yet", or when
# mwsupctl is still a placeholder.
require_engine() {
	local probe=$T/probe
	mkdir -p "$probe"
	cat >"$probe/mwsup.conf" <<-EOF
	socket = "$probe/mwsup.sock"
	pidfile = "$probe/mwsupd.pid"
	program probe {
	    command = "$HELPERS/sleeper"
	    autostart = false
	}
	EOF
	[ -n "$SINK_PID" ] || start_sink
	(
		cd "$probe" || exit 99
		exec env MWSUP_SYSLOG_SOCKET="$SINK_SOCK" \
		    MWSUP_TESTDIR="$T" "$MWSUPD" -n -c "$probe/mwsup.conf"
	) </dev/null >"$probe/out" 2>&1 &
	local pid=$! out
	ALL_MWSUPD_PIDS+=("$pid")
	probe_done() {
		pid_gone "$pid" || { [ -S "$probe/mwsup.sock" ] &&
		    "$MWSUPCTL" -s "$probe/mwsup.sock" pid >/dev/null 2>&1; }
	}
	retry 5 probe_done
	if pid_gone "$pid"; then
		wait "$pid" 2>/dev/null
		grep -q "not built yet" "$probe/out" &&
			skip "mwsupd -n: the supervision engine is not built yet"
		note "probe: mwsupd exited early: $(tail -n 3 "$probe/out")"
		return 0
	fi
	out=$("$MWSUPCTL" -s "$probe/mwsup.sock" pid 2>&1)
	kill -TERM "$pid" 2>/dev/null
	retry 5 pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	case $out in
	*"not implemented yet"*)
		skip "mwsupctl is not implemented yet" ;;
	esac
	return 0
}

# --------------------------------------------------------------- status

# status_line NAME: the line of `mwsupctl status NAME` for process NAME
# ("NAME STATE description"), or nothing.
status_line() {
	ctl status "$1" 2>/dev/null | awk -v n="$1" '$1 == n { print; exit }'
}
# proc_state NAME: its state word (RUNNING, STOPPED, ...).
proc_state() { status_line "$1" | awk '{ print $2 }'; }
# proc_desc NAME: the description after the state.
proc_desc() {
	status_line "$1" | sed -E 's/^[^[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]*//'
}
# proc_pid NAME: the pid shown in its description ("pid 1234, ..."), if any.
proc_pid() {
	status_line "$1" | sed -nE 's/.*[[:space:]]pid ([0-9]+).*/\1/p'
}
# in_state NAME STATE: its state is STATE now.
in_state() { [ "$(proc_state "$1")" = "$2" ]; }

# wait_state NAME STATE [DEADLINE]: poll (default 5 s) until NAME is in
# STATE; ok or fail with what status showed last.  Returns 0/1.
wait_state() {
	local name=$1 want=$2 deadline=${3:-5} t0 seen
	t0=$(now_ms)
	if retry "$deadline" in_state "$name" "$want"; then
		ok "$name is $want (after $(ms_fmt $(($(now_ms) - t0))))"
		return 0
	fi
	seen=$(status_line "$name")
	fail "$name: expected $want within ${deadline}s, status shows '${seen:-nothing}'"
	return 1
}

# count_state PROGRAM STATE: how many of PROGRAM's processes are in STATE.
count_state() {
	ctl status "$1" 2>/dev/null |
	    awk -v p="$1" -v s="$2" 'index($1, p ":") == 1 && $2 == s { n++ }
	    END { print n + 0 }'
}
count_is() { [ "$(count_state "$1" "$2")" -eq "$3" ]; }

# --------------------------------------------------------------- teardown

# kill_test_processes: SIGKILL every process that carries this test's
# MWSUP_TESTDIR (mwsupd and all it started), the pids in helper pid files
# under $T that are still helpers, and the tracked pids.
kill_test_processes() {
	local f p pids=() l
	for f in /proc/[0-9]*/environ; do
		p=${f#/proc/}
		p=${p%/environ}
		[ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
		if grep -qzxF "MWSUP_TESTDIR=$T" "$f" 2>/dev/null; then
			pids+=("$p")
		fi
	done
	for f in "$T"/*.pid "$T"/*.pids "$T"/*.starts; do
		[ -f "$f" ] || continue
		while read -r l; do
			p=${l%% *}
			[[ $p =~ ^[0-9]+$ ]] || continue
			[ "$p" = "$$" ] && continue
			# Only our helpers: never a recycled pid.
			{ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null |
			    grep -qF "$HELPERS/" && pids+=("$p")
		done <"$f"
	done
	for p in "${TRACKED_PIDS[@]}"; do
		pids+=("$p")
		pids+=($(children_of "$p"))
	done
	[ ${#pids[@]} -gt 0 ] && kill -KILL "${pids[@]}" 2>/dev/null
	return 0
}

teardown() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "${ALL_MWSUPD_PIDS[@]}"; do
		pid_alive "$p" && kill -TERM "$p" 2>/dev/null
	done
	for p in "${ALL_MWSUPD_PIDS[@]}"; do
		if ! retry 3 pid_gone "$p"; then
			say "teardown: mwsupd $p ignored SIGTERM for 3 s"
			kill -KILL "$p" 2>/dev/null
		fi
	done
	# Quietly: bash reports every job it reaps as "Killed".
	{
		kill_test_processes
		kill_test_processes	# anything forked meanwhile
		stop_sink
		wait
	} 2>/dev/null
	if [ "$FAIL" -gt 0 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; }; then
		say "--- last lines of mwsupd's output ($DLOG):"
		tail -n 30 "$DLOG" 2>/dev/null
		say "--- last lines of syslog ($SYSLOG):"
		tail -n 30 "$SYSLOG" 2>/dev/null | cut -c1-300
	fi
	if [ -n "${KEEP_TESTDIR:-}" ]; then
		say "kept $T"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap teardown EXIT
trap 'say "interrupted"; exit 99' INT TERM

# finish: the summary line, and the exit status (0 all passed, 1 a check
# failed, 99 nothing was checked).
finish() {
	say ""
	say "$TEST_NAME: $PASS passed, $FAIL failed"
	[ "$FAIL" -gt 0 ] && exit 1
	[ "$PASS" -eq 0 ] && hard_error "no check ran"
	exit 0
}

# --------------------------------------------------------------- guard

# is_guard PID: PID is mwsupd's guard process (named mwsupd-guard).
is_guard() {
	local comm
	{ read -r comm <"/proc/$1/comm"; } 2>/dev/null && [ "$comm" = mwsupd-guard ]
}
# guard_of PID: the pid of mwsupd PID's guard process, or nothing.
guard_of() {
	local p
	for p in $(live_children_of "$1"); do
		is_guard "$p" && { echo "$p"; return 0; }
	done
	return 1
}
# supervised_children_of PID: live children of mwsupd PID but its guard,
# i.e. the processes it supervises, one per line.
supervised_children_of() {
	local p
	for p in $(live_children_of "$1"); do
		is_guard "$p" || echo "$p"
	done
}
