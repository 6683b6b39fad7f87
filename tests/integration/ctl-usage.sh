#!/bin/sh
# ctl-usage.sh — mwsupctl's usage errors (exit 2, checked before contacting
# mwsupd) and an unreachable daemon (exit 4).  No mwsupd is started.
# Environment (from `make check`): MWSUPCTL, the binary under test.

: "${MWSUPCTL:?MWSUPCTL must name the mwsupctl binary}"
[ -x "$MWSUPCTL" ] || { echo "ctl-usage: $MWSUPCTL not built"; exit 99; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ctl-usage.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
nosock="$tmp/none.sock"		# never listened on
passed=0
failed=0

# expect CODE DESCRIPTION ARGS... — run mwsupctl, compare its exit code.
expect() {
	want=$1; what=$2; shift 2
	"$MWSUPCTL" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	got=$?
	if [ "$got" -eq "$want" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $what: mwsupctl $*: exit $got, expected $want"
		sed 's/^/  stderr: /' "$tmp/err"
	fi
}

# expect_no_err PATTERN DESCRIPTION — the last run's stderr lacks PATTERN.
expect_no_err() {
	if grep -q -- "$1" "$tmp/err"; then
		failed=$((failed + 1))
		echo "FAIL: $2: stderr has '$1'"
		sed 's/^/  stderr: /' "$tmp/err"
	else
		passed=$((passed + 1))
	fi
}

# expect_err PATTERN DESCRIPTION — the last run's stderr matches PATTERN.
expect_err() {
	if grep -q -- "$1" "$tmp/err"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $2: stderr lacks '$1'"
		sed 's/^/  stderr: /' "$tmp/err"
	fi
}

# Usage errors: exit 2 even though nothing listens at the socket, which
# proves they are detected before any connection is tried.
expect 2 "no command"			-s "$nosock"
expect 2 "unknown command"		-s "$nosock" frobnicate
expect_err "unknown command" "unknown command message"
expect 2 "unknown option"		-s "$nosock" -Z status
expect 2 "start without name"		-s "$nosock" start
expect 2 "stop without name"		-s "$nosock" stop
expect 2 "restart without name"		-s "$nosock" restart
expect 2 "signal without args"		-s "$nosock" signal
expect 2 "signal without name"		-s "$nosock" signal HUP
expect 2 "signal bad name"		-s "$nosock" signal NOSUCHSIG web
expect_err "unknown signal" "bad signal message"
expect 2 "signal bad number"		-s "$nosock" signal 0 web
expect 2 "signal number too big"	-s "$nosock" signal 99 web
expect 2 "tail without name"		-s "$nosock" tail
expect 2 "tail two names"		-s "$nosock" tail web queue
expect 2 "tail -n without count"	-s "$nosock" tail web -n
expect 2 "tail bad -n"			-s "$nosock" tail -n abc web
expect 2 "tail negative -n"		-s "$nosock" tail -n -5 web
expect 2 "tail -n with junk"		-s "$nosock" tail -n 5x web
expect 2 "tail unknown option"		-s "$nosock" tail -x web
expect 2 "reload with argument"		-s "$nosock" reload web
expect 2 "shutdown with argument"	-s "$nosock" shutdown now
expect 2 "version with argument"	-s "$nosock" version x
expect 2 "option among names"		-s "$nosock" status --bogus
expect 2 "tail a third word"		-s "$nosock" tail web stdout stderr
expect 2 "tail two streams"		-s "$nosock" tail web stdout x
expect 2 "avail with argument"		-s "$nosock" avail web
expect 2 "a lone colon"			-s "$nosock" stop :
expect_err "empty process name" "a lone colon message"

# tail all: one process is wanted, and the message must not suggest the
# invalid all:N.
expect 2 "tail all"			-s "$nosock" tail all
expect_err "not all" "tail all message"
expect_no_err "all:N" "tail all message"
expect 2 "tail -f all"			-s "$nosock" tail -f all
expect_no_err "all:N" "tail -f all message"

# supervisorctl's commands that mwsupctl does in another way: the command
# to use instead, before contacting anything.
expect 2 "update"			-s "$nosock" update
expect_err "mwsupctl reload" "update names mwsupctl reload"
expect 2 "reread"			-s "$nosock" reread
expect_err "mwsupctl reload" "reread names mwsupctl reload"
expect 2 "add"				-s "$nosock" add web
expect_err "mwsupctl reload" "add names mwsupctl reload"
expect 2 "unreadable -c file"		-c "$tmp/missing.conf" status
expect 2 "-s without argument"		-s

# Help and version need no daemon.
expect 0 "-h"				-h
expect 0 "--help"			--help
expect 0 "-V"				-V

# Nobody listens: exit 4 with the documented message.
expect 4 "status, no socket"		-s "$nosock" status
expect_err "cannot reach mwsupd at $nosock" "unreachable message"
expect_err "$nosock was given with -s" "unreachable message says -s"
expect 4 "PROGRAM:* is a name"		-s "$nosock" status 'web:*'
expect 4 "PROGRAM: is a name"		-s "$nosock" stop web:
expect 4 "avail, no socket"		-s "$nosock" avail
expect 4 "tail NAME stderr, no socket"	-s "$nosock" tail web:0 stderr
expect 4 "start, no socket"		-s "$nosock" start web
expect 4 "tail, no socket"		-s "$nosock" tail -n 5 -f web
expect 4 "shutdown, no socket"		-s "$nosock" shutdown
expect 4 "json status, no socket"	-s "$nosock" -j status
expect 4 "version, no socket"		-s "$nosock" version

# A socket file nobody listens on any more (stale): ECONNREFUSED.
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$tmp/stale.sock"
	expect 4 "stale socket"			-s "$tmp/stale.sock" status
	expect_err "refused" "stale socket message"
fi

# A path that is not a socket at all.
: >"$tmp/plain"
expect 4 "not a socket"			-s "$tmp/plain" status

# A socket path too long for sun_path.
long="$tmp/$(printf '%0120d' 0).sock"
expect 4 "path too long"		-s "$long" status

# Regression: mwsupctl reads only the socket from -c FILE; checks that
# depend on the daemon's environment (an unset %(ENV_X)s) must not make a
# client fail with exit 2 before it even tries the configured socket.
cat >"$tmp/client.conf" <<EOF
socket = "$tmp/client.sock"
pidfile = "$tmp/client.pid"
program x {
    command = "/bin/sleep %(ENV_MWSUP_TEST_UNSET_VARIABLE)s"
}
EOF
unset MWSUP_TEST_UNSET_VARIABLE
expect 4 "-c with a daemon-only variable"	-c "$tmp/client.conf" status
expect_err "cannot reach mwsupd at $tmp/client.sock" "socket taken from -c"
# ... and the message names the configuration it read, and -c and -s.
expect_err "$tmp/client.sock is the socket of $tmp/client.conf" \
    "unreachable message names the configuration"
expect_err "-c FILE or -s SOCKET" "unreachable message suggests -c and -s"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
