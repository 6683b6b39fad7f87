#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# lockfile.sh — program lockfiles (mwsup.conf(5) `lockfile`):
#   1. never through a symbolic link: a link planted at the path (to a file
#      or dangling) or a non-regular file makes the processes FATAL with
#      the path in the reason, and the link's target is left untouched;
#   2. two programs naming the same lockfile exclude each other within one
#      mwsupd (the processes of one program share the lock), and flock(1)
#      sees the lock held.
. "$(dirname "$0")/lib.sh"

require_engine

# ======================================================================
section "1. no symbolic link is followed, only regular files are locked"
mkdir -p "$T/pub"
echo "the test's own file" >"$T/target"
ln -s "$T/target" "$T/pub/link.lock"
ln -s "$T/created-through-link" "$T/pub/dangling.lock"
mkfifo "$T/pub/fifo.lock"
write_conf <<EOF
program link {
    command = "$H/sleeper"
    lockfile = "$T/pub/link.lock"
    startsecs = 0
}
program dangling {
    command = "$H/sleeper"
    lockfile = "$T/pub/dangling.lock"
    startsecs = 0
}
program fifo {
    command = "$H/sleeper"
    lockfile = "$T/pub/fifo.lock"
    startsecs = 0
}
program fine {
    command = "$H/sleeper"
    lockfile = "$T/pub/fine.lock"
    startsecs = 0
}
EOF
start_mwsupd
wait_state link:0 FATAL 5
expect_match "the reason of link:0" "lockfile $T/pub/link\\.lock is a symbolic link" \
    "$(proc_desc link:0)"
wait_state dangling:0 FATAL 5
expect_match "the reason of dangling:0" \
    "lockfile $T/pub/dangling\\.lock is a symbolic link" "$(proc_desc dangling:0)"
wait_state fifo:0 FATAL 5
expect_match "the reason of fifo:0" \
    "lockfile $T/pub/fifo\\.lock is not a regular file" "$(proc_desc fifo:0)"
wait_state fine:0 RUNNING 5
expect_eq "the link's target" "the test's own file" "$(cat "$T/target")"
check "the link is still a link" test -L "$T/pub/link.lock"
check "nothing was created through the dangling link" \
    test ! -e "$T/created-through-link"
check "a missing lockfile is created as a regular file" \
    test -f "$T/pub/fine.lock" -a ! -L "$T/pub/fine.lock"
check "mwsupd exits on SIGTERM" stop_mwsupd 10

# ======================================================================
section "2. two programs with one lockfile never run together"
# Each process logs "begin PROGRAM PID" and "end PROGRAM PID" around
# two seconds of work; both programs start at once and contend for db.lock.
job() {
	printf '%s\n' "/bin/sh -c 'echo begin $1 \$\$ >>$T/jobs.log; sleep 2; echo end $1 \$\$ >>$T/jobs.log'"
}
write_conf <<EOF
program backup {
    command = "$(job backup)"
    numprocs = 2
    lockfile = "$T/db.lock"
    startsecs = 0
    autorestart = false
}
program vacuum {
    command = "$(job vacuum)"
    numprocs = 2
    lockfile = "$T/db.lock"
    startsecs = 0
    autorestart = false
}
EOF
: >"$T/jobs.log"
lock_held() { ! flock -n "$T/db.lock" true; }
start_mwsupd
one_runs_other_locked() {
	local s
	s=$(ctl status 2>/dev/null)
	{ [ "$(grep -c '^backup:[01] .*RUNNING' <<<"$s")" -eq 2 ] &&
	    [ "$(grep -c '^vacuum:[01] .*LOCKED' <<<"$s")" -eq 2 ]; } ||
	{ [ "$(grep -c '^vacuum:[01] .*RUNNING' <<<"$s")" -eq 2 ] &&
	    [ "$(grep -c '^backup:[01] .*LOCKED' <<<"$s")" -eq 2 ]; }
}
if retry 3 one_runs_other_locked; then
	ok "the processes of one program run together, the other's wait LOCKED"
	check "flock(1) sees the lock held meanwhile" lock_held
else
	fail "expected one program RUNNING and the other LOCKED: $(ctl status 2>&1 | tr '\n' '|')"
fi
locked=$(ctl status 2>/dev/null | awk '$2 == "LOCKED" { print; exit }')
expect_match "a LOCKED process names the lockfile and its holder" \
    "lockfile $T/db\\.lock held by program (backup|vacuum)" "$locked"
all_exited() {
	[ "$(ctl status 2>/dev/null | grep -c ' EXITED ')" -eq 4 ]
}
check "all four processes ran and EXITED" retry 15 all_exited
check "flock(1) can take the lock once they are done" retry 2 eval '! lock_held'
# Replay the log: a begin of one program while the other has a process
# between begin and end is an overlap.
overlaps=$(awk '
	$1 == "begin" { for (p in open) if (open[p] > 0 && p != $2) bad++; open[$2]++ }
	$1 == "end"   { open[$2]-- }
	END { print bad + 0 }' "$T/jobs.log")
expect_eq "times one program began while the other ran" 0 "$overlaps"
expect_eq "begin lines in the log" 4 "$(grep -c '^begin' "$T/jobs.log")"
check "mwsupd exits on SIGTERM" stop_mwsupd 10

finish
