#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# init.sh — the SysV init script etc/init.d/mwsupd end to end (README.md):
# start, status 0, start again (LSB: success, same daemon), reload applied
# (a program added to the configuration runs), a reload with a broken
# configuration fails and keeps the running one, restart, stop (the daemon
# and its programs gone, the pidfile removed), status 3, stop again
# (success), reload when stopped (7).  Started from a terminal (script(1)),
# nothing of mwsupd or its programs reaches that terminal, with either
# log_target (stderr: the lines go to LOGFILE).  A start that fails prints
# the reason and one "failed!"; a missing daemon binary fails loudly (5).
#
# Two modes:
#   make check (default): the script of the source tree, pointed through
#     MWSUPD_DEFAULTS at a defaults file in $T naming the build tree's
#     mwsupd and mwsupctl and a configuration in $T; the pidfile comes from
#     that configuration, as the script finds it itself.  /etc is not
#     touched.
#   INIT_TEST_REAL=1 (tests/package/build-deb.sh, after installing the
#     package): /etc/init.d/mwsupd as installed, with its real defaults,
#     on /etc/mwsup.conf (saved first and restored at the end: a program is
#     appended to it for the reload check).  MWSUPD and MWSUPCTL should
#     name the installed binaries.
# Needs root (start and stop require it): skipped (77) otherwise.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "the init script's start and stop need root"

# Run the script itself, not `systemctl` (Debian's init-functions redirect
# /etc/init.d/* scripts to systemctl when systemd runs).
export SYSTEMCTL_SKIP_REDIRECT=1 _SYSTEMCTL_SKIP_REDIRECT=1
# The daemon started by the script inherits these: its syslog lines go to
# this test's sink, and teardown finds it (and its children) by
# MWSUP_TESTDIR if a check leaves it running.
start_sink
export MWSUP_SYSLOG_SOCKET=$SINK_SOCK MWSUP_TESTDIR=$T

REAL=${INIT_TEST_REAL:-}
CONF_SAVED=
if [ -n "$REAL" ]; then
	INIT_SCRIPT=${INIT_SCRIPT:-/etc/init.d/mwsupd}
	CONF=/etc/mwsup.conf
	[ -x "$INIT_SCRIPT" ] || hard_error "no init script at $INIT_SCRIPT"
	[ -f "$CONF" ] || hard_error "no $CONF"
	unset MWSUPD_DEFAULTS
	cp -p "$CONF" "$T/mwsup.conf.orig" || hard_error "cannot save $CONF"
	CONF_SAVED=$T/mwsup.conf.orig
	# lib.sh's teardown ends with `exit`: restore the configuration first.
	restore_conf() {
		[ -n "$CONF_SAVED" ] && cp -p "$CONF_SAVED" "$CONF"
		teardown
	}
	trap restore_conf EXIT
	# Socket and pidfile as the installed configuration names them.
	printed=$("$MWSUPD" -t -v -c "$CONF") ||
		hard_error "$CONF does not load"
	SOCK=$(sed -n 's/^socket = "\(.*\)"$/\1/p' <<<"$printed")
	PIDFILE=$(sed -n 's/^pidfile = "\(.*\)"$/\1/p' <<<"$printed")
	[ -n "$SOCK" ] && [ -n "$PIDFILE" ] ||
		hard_error "no socket or pidfile in mwsupd -t -v output"
	base_conf() { cat "$CONF_SAVED"; }
	say "init script $INIT_SCRIPT on $CONF (socket $SOCK, pidfile $PIDFILE)"
else
	# The script as installed: built from etc/init.d/mwsupd with the
	# configured paths.
	INIT_SCRIPT=${INIT_SCRIPT:-$top_builddir/init.d/mwsupd}
	[ -f "$INIT_SCRIPT" ] || hard_error "no init script at $INIT_SCRIPT"
	# No PIDFILE here: the script must find it in the configuration.
	cat >"$T/default" <<-EOF
	DAEMON="$MWSUPD"
	CTL="$MWSUPCTL"
	CONFIG="$CONF"
	LOGFILE="$T/daemon-stderr.log"
	STOP_TIMEOUT=10
	EOF
	export MWSUPD_DEFAULTS=$T/default
	base_conf() {
		printf 'socket = "%s"\npidfile = "%s"\n' "$SOCK" "$PIDFILE"
		printf 'program one {\n    command = "%s"\n    startsecs = 0\n}\n' \
		    "$H/sleeper -p $T/one.pid"
	}
	base_conf >"$CONF"
	say "init script $INIT_SCRIPT, defaults $MWSUPD_DEFAULTS"
fi

# A program appended to the configuration before `reload`.
conf_with_two() {
	base_conf
	cat <<-EOF

	# added by tests/integration/init.sh
	program mwsup-init-test {
	    command = "/bin/sleep 3600"
	    startsecs = 0
	    stopwaitsecs = 2
	}
	EOF
}

# initd ACTION: run the init script, its output appended to $T/init.out;
# the exit status in RC.
RC=
initd() {
	printf '\n$ %s %s\n' "$INIT_SCRIPT" "$1" >>"$T/init.out"
	sh "$INIT_SCRIPT" "$1" </dev/null >>"$T/init.out" 2>&1
	RC=$?
	return 0
}
# expect_rc ACTION EXPECTED: run it, check the exit status.
expect_rc() {
	initd "$1"
	expect_eq "exit status of '${INIT_SCRIPT##*/} $1'" "$2" "$RC"
}
daemon_pid() { read_pid "$PIDFILE" 2>/dev/null; }
is_mwsupd_pid() {
	[ -n "$1" ] && pid_alive "$1" &&
	    [ "$(cat "/proc/$1/comm" 2>/dev/null)" = mwsupd ]
}
answers() { ctl pid >/dev/null 2>&1; }

section "before start"
if [ -n "$REAL" ] && is_mwsupd_pid "$(daemon_pid)"; then
	hard_error "an mwsupd already runs with $PIDFILE (pid $(daemon_pid))"
fi
expect_rc status 3
expect_rc stop 0
expect_rc reload 7

# ----------------------------------------------------------------------
section "start"
expect_rc start 0
pid=$(daemon_pid)
if is_mwsupd_pid "$pid"; then
	ok "pidfile $PIDFILE names a running mwsupd ($pid)"
	ALL_MWSUPD_PIDS+=("$pid")
else
	fail "pidfile $PIDFILE: '${pid}' is not a running mwsupd"
fi
check "mwsupd answers mwsupctl right after start returned" answers
expect_eq "mwsupctl pid" "$pid" "$(ctl pid 2>/dev/null)"
if [ -z "$REAL" ]; then
	wait_state one:0 RUNNING 5
fi
expect_rc status 0

section "start when running: success, same daemon"
expect_rc start 0
expect_eq "daemon pid after the second start" "$pid" "$(daemon_pid)"
check "the first mwsupd still runs" is_mwsupd_pid "$pid"

# ----------------------------------------------------------------------
section "reload applies the new configuration"
expect_eq "mwsup-init-test before reload" "" "$(status_line mwsup-init-test:0)"
conf_with_two >"$CONF"
expect_rc reload 0
seen=$(proc_state mwsup-init-test:0)
if [ -n "$seen" ]; then
	ok "mwsup-init-test:0 is known right after reload returned ($seen)"
else
	fail "mwsup-init-test:0 unknown after reload: $(ctl status 2>&1 | head -n 20)"
fi
wait_state mwsup-init-test:0 RUNNING 5
two_pid=$(proc_pid mwsup-init-test:0)
expect_eq "daemon pid after reload" "$pid" "$(daemon_pid)"

section "reload with a broken configuration fails, the old one is kept"
{ conf_with_two; echo 'program broken { command = }'; } >"$CONF"
initd reload
if [ "$RC" -ne 0 ]; then
	ok "reload with a syntax error exits $RC"
else
	fail "reload with a syntax error exits 0"
fi
check "mwsupd still runs" is_mwsupd_pid "$pid"
expect_eq "state of mwsup-init-test:0" RUNNING "$(proc_state mwsup-init-test:0)"
conf_with_two >"$CONF"

# ----------------------------------------------------------------------
section "restart"
expect_rc restart 0
check "the old mwsupd is gone" pid_gone "$pid"
check "the old mwsup-init-test:0 ($two_pid) is gone" pid_gone "$two_pid"
newpid=$(daemon_pid)
if is_mwsupd_pid "$newpid" && [ "$newpid" != "$pid" ]; then
	ok "a new mwsupd runs ($newpid)"
	ALL_MWSUPD_PIDS+=("$newpid")
else
	fail "after restart: pidfile names '$newpid', was $pid"
fi
pid=$newpid
wait_state mwsup-init-test:0 RUNNING 5
two_pid=$(proc_pid mwsup-init-test:0)
kids=$(live_children_of "$pid" | tr '\n' ' ')
expect_rc status 0

# ----------------------------------------------------------------------
section "stop"
expect_rc stop 0
check "mwsupd ($pid) is gone when stop returns" pid_gone "$pid"
# shellcheck disable=SC2086
check "its programs ($kids) are gone" all_gone $kids
check "mwsup-init-test:0 ($two_pid) is gone" pid_gone "$two_pid"
check "pidfile $PIDFILE removed" test ! -e "$PIDFILE"
expect_rc status 3
expect_rc stop 0
expect_rc reload 7
expect_rc status 3

section "usage"
expect_rc no-such-action 3

# ----------------------------------------------------------------------
# from_tty ACTION: run the init script in a new terminal (script(1)) that
# stays open 1.5 s after it returns; what the terminal showed goes to
# $T/tty.out, carriage returns removed.
from_tty() {
	script -qfec "sh '$INIT_SCRIPT' $1; sleep 1.5" "$T/tty.raw" \
	    </dev/null >/dev/null 2>&1
	RC=$?
	tr -d '\r' <"$T/tty.raw" >"$T/tty.out"
}
# on_tty PID: one of PID's standard descriptors, or its controlling
# terminal, is a terminal.
on_tty() {
	local fd target tty_nr
	for fd in 0 1 2; do
		target=$(readlink "/proc/$1/fd/$fd" 2>/dev/null)
		case $target in
		/dev/pts/*|/dev/tty*|/dev/console) return 0 ;;
		esac
	done
	tty_nr=$(sed 's/.*) //' "/proc/$1/stat" | awk '{ print $5 }')
	[ "${tty_nr:-0}" != 0 ]
}
# tty_quiet: the terminal showed the script's own line(s), nothing else.
tty_quiet() {
	! grep -v -e '^Starting process supervisor: mwsupd' -e '^$' \
	    -e '^Script started on ' -e '^Script done on ' \
	    "$T/tty.out" >/dev/null
}
# tty_check WHAT: mwsupd and its programs are detached from the terminal.
tty_check() {
	local p kids
	p=$(daemon_pid)
	if is_mwsupd_pid "$p"; then
		ALL_MWSUPD_PIDS+=("$p")
		ok "$1: mwsupd runs ($p)"
	else
		fail "$1: no mwsupd after start from a terminal"
		return
	fi
	check "$1: mwsupd has no terminal (fds 0-2, controlling tty)" \
	    eval '! on_tty "$p"'
	kids=$(live_children_of "$p")
	for k in $kids; do
		check "$1: its program ($k) has no terminal" eval '! on_tty "$k"'
	done
	if tty_quiet; then
		ok "$1: the terminal showed only the start line"
	else
		fail "$1: the terminal showed more than the start line:"
		sed 's/^/  tty: /' "$T/tty.out"
	fi
}

if [ -z "$REAL" ] && ! command -v script >/dev/null 2>&1; then
	note "no script(1): the terminal checks are not run"
elif [ -z "$REAL" ]; then
	section "start from a terminal, log_target = syslog"
	{
		base_conf
		printf 'program chatty {\n    command = "%s"\n    startsecs = 0\n}\n' \
		    "/bin/sh -c 'while :; do echo chatty-out; echo chatty-err >&2; sleep 0.2; done'"
	} >"$CONF"
	from_tty start
	expect_eq "exit status of start from a terminal" 0 "$RC"
	wait_state chatty:0 RUNNING 5
	tty_check "syslog"
	check "chatty's lines reach syslog" retry 3 grep -q chatty-out "$SYSLOG"
	expect_rc stop 0

	section "start from a terminal, log_target = stderr"
	{ echo 'log_target = stderr'; cat "$CONF"; } >"$T/conf.tmp"
	mv "$T/conf.tmp" "$CONF"
	from_tty start
	expect_eq "exit status of start from a terminal" 0 "$RC"
	wait_state chatty:0 RUNNING 5
	tty_check "stderr"
	check "chatty's lines go to LOGFILE instead" \
	    retry 3 grep -q chatty-err "$T/daemon-stderr.log"
	expect_rc stop 0

	section "a start that fails: the reason, one failed!"
	# The pidfile's directory does not exist: mwsupd -t passes, the
	# daemon's start fails.
	sed "s|^pidfile = .*|pidfile = \"$T/no/such/dir/mwsupd.pid\"|" \
	    "$CONF" >"$T/conf.tmp"
	mv "$T/conf.tmp" "$CONF"
	initd start
	if [ "$RC" -ne 0 ]; then
		ok "start with an unusable pidfile exits $RC"
	else
		fail "start with an unusable pidfile exits 0"
	fi
	last_out() { sed -n '/^\$ .* start$/h; /^\$ .* start$/!H; ${x;p}' "$T/init.out"; }
	check "the reason (the pidfile) is printed" \
	    eval 'last_out | grep -q "$T/no/such/dir/mwsupd.pid"'
	expect_eq "'failed!' printed" 1 "$(last_out | grep -c 'failed!')"

	section "a broken configuration: the errors, one failed!"
	echo 'program broken { command = }' >"$CONF"
	initd start
	expect_eq "exit status of start (LSB 6: not configured)" 6 "$RC"
	check "the error is printed as FILE:LINE" \
	    eval 'last_out | grep -q "$CONF:1"'
	expect_eq "'failed!' printed" 1 "$(last_out | grep -c 'failed!')"
	base_conf >"$CONF"

	section "a missing daemon binary"
	printf 'DAEMON=%s\nCONFIG=%s\n' "$T/no-such-mwsupd" "$CONF" >"$T/default"
	initd start
	expect_eq "exit status of start (LSB 5: not installed)" 5 "$RC"
	check "the message names the missing binary" \
	    eval 'last_out | grep -q "$T/no-such-mwsupd is missing"'
	expect_rc status 3
	expect_rc stop 0
fi

if [ "$FAIL" -gt 0 ]; then
	say "--- init script output:"
	cat "$T/init.out"
fi
finish
