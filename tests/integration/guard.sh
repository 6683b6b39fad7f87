#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# guard.sh — no orphans after credential changes (mwsupd(8), "No orphans"):
# programs that change their own uid/gid (setpriv, as gosu or a daemon
# dropping root would) lose PR_SET_PDEATHSIG, yet `kill -9 mwsupd` must
# not leave them running.  mwsupd's guard process kills them:
#   1. the guard: one child named mwsupd-guard holding one descriptor,
#      deaf to TERM/INT/HUP; gone when mwsupd shuts down;
#   2. kill -9 of mwsupd: credential-dropping processes die, with
#      killmode = group (their whole group) and killmode = process;
#   3. the guard killed: mwsupd starts another, and the guarantee holds.
. "$(dirname "$0")/lib.sh"

require_engine

[ "$(id -u)" -eq 0 ] || skip "not root: changing credentials needs root"
command -v setpriv >/dev/null || skip "no setpriv"
id nobody >/dev/null 2>&1 || skip "no user nobody"
runuser -u nobody -- test -x "$H/sleeper" 2>/dev/null ||
	skip "nobody cannot execute $H/sleeper"
NOGROUP=$(id -g nobody)
DROP="setpriv --reuid=nobody --regid=$NOGROUP --clear-groups"

# Pid files where nobody may write them.
P=$T/pub
mkdir -p "$P"
chmod 1777 "$P"

uid_of() { awk '/^Uid:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

write_conf <<EOF
program grp {
    command = "$DROP /bin/sh -c '$H/sleeper -p $P/grp-child.pid & exec $H/sleeper -p $P/grp.pid'"
    startsecs = 0
}
program solo {
    command = "$DROP $H/sleeper -p $P/solo.pid"
    killmode = process
    startsecs = 0
}
EOF

# start_all: mwsupd with both programs running, their pids in GRP,
# GRP_CHILD and SOLO.
start_all() {
	rm -f "$P"/*.pid
	start_mwsupd
	retry 5 test -s "$P/grp.pid" -a -s "$P/grp-child.pid" -a -s "$P/solo.pid" ||
		fail "the programs did not start"
	GRP=$(read_pid "$P/grp.pid")
	GRP_CHILD=$(read_pid "$P/grp-child.pid")
	SOLO=$(read_pid "$P/solo.pid")
	expect_eq "uid of grp:0 (it dropped root)" 65534 "$(uid_of "$GRP")"
	expect_eq "uid of solo:0 (it dropped root)" 65534 "$(uid_of "$SOLO")"
}

# kill_mwsupd_expect_gone WHAT PID...: SIGKILL mwsupd; PIDs must be gone
# within 2 s.
kill_mwsupd_expect_gone() {
	local what=$1 t0
	shift
	{
		kill -KILL "$MWSUPD_PID"
		t0=$(now_ms)
		if retry 2 all_gone "$@"; then
			ok "$what gone $(ms_fmt $(($(now_ms) - t0))) after mwsupd's SIGKILL"
		else
			fail "$what survived mwsupd's SIGKILL by 2 s: $(alive_among "$@")"
		fi
		wait_mwsupd_exit 2
	} 2>/dev/null	# not bash's "Killed" job notice
}

# ======================================================================
section "1. the guard process"
start_all
G=$(guard_of "$MWSUPD_PID")
check "mwsupd has a child named mwsupd-guard" test -n "$G"
nfd=$(ls "/proc/$G/fd" 2>/dev/null | wc -l)
expect_eq "descriptors the guard holds" 1 "$nfd"
expect_eq "processes mwsupd supervises (its children but the guard)" 2 \
    "$(supervised_children_of "$MWSUPD_PID" | wc -l)"
kill -TERM "$G"; kill -INT "$G"; kill -HUP "$G"; kill -USR1 "$G"
sleep 0.2
check "the guard ignores TERM, INT, HUP and USR1" pid_alive "$G"
check "mwsupd did not restart it" test "$(guard_of "$MWSUPD_PID")" = "$G"
check "mwsupd exits on SIGTERM" stop_mwsupd 10
check "the guard is gone when mwsupd has exited" pid_gone "$G"
check "the programs are gone" all_gone "$GRP" "$GRP_CHILD" "$SOLO"

# ======================================================================
section "2. kill -9 of mwsupd: processes that dropped root die too"
start_all
G=$(guard_of "$MWSUPD_PID")
kill_mwsupd_expect_gone "grp:0, its child (killmode = group) and solo:0 (killmode = process)" \
    "$GRP" "$GRP_CHILD" "$SOLO"
check "the guard is gone too" retry 2 pid_gone "$G"

# ======================================================================
section "3. the guard killed: a new one takes over"
start_all
G=$(guard_of "$MWSUPD_PID")
mark_logs
kill -KILL "$G"
new_guard() {
	local g
	g=$(guard_of "$MWSUPD_PID") && [ "$g" != "$G" ]
}
if retry 5 new_guard; then
	ok "a new guard runs ($(guard_of "$MWSUPD_PID"), was $G)"
else
	fail "no new guard within 5 s"
fi
check "mwsupd warned that its guard died" \
    retry 2 in_syslog "guard process \\(pid $G\\) was killed by signal 9"
check "the programs were not disturbed" all_alive "$GRP" "$GRP_CHILD" "$SOLO"
G2=$(guard_of "$MWSUPD_PID")
kill_mwsupd_expect_gone "after a new guard: grp:0, its child and solo:0" \
    "$GRP" "$GRP_CHILD" "$SOLO"
check "the new guard is gone too" retry 2 pid_gone "$G2"

finish
