#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# spawn.sh — what a child gets (mwsup.conf(5); mwsupd(8)): only fds 0-2 with stdin from
# /dev/null, default signal dispositions, an empty mask, its own process
# group, mwsupd as parent (no shell), command splitting and expansions,
# environment, directory, umask, user.
. "$(dirname "$0")/lib.sh"

require_engine

mkdir -p "$T/wd" "$T/pub"
chmod 1777 "$T/pub"

# user = "nobody" needs root, and nobody must be able to run the helper.
as_user=
if [ "$(id -u)" -ne 0 ]; then
	note "not root: the user = \"nobody\" checks are skipped"
elif ! getent passwd nobody >/dev/null; then
	note "no user nobody: the user checks are skipped"
elif ! runuser -u nobody -- test -x "$H/fdcheck" 2>/dev/null; then
	note "nobody cannot execute $H/fdcheck: the user checks are skipped"
else
	as_user=nobody
fi

export MWSUP_SPACED="a b  c"
export MWSUP_INHERITED=from-mwsupd
MWSUPD_UMASK=0037

write_conf <<EOF
program fdc {
    command = "$H/fdcheck $T/fdc.out"
    startsecs = 0
}
program envp {
    command = "$H/fdcheck $T/envp-%(process_num)d.out"
    numprocs = 2
    startsecs = 0
    environment = {"FOO=bar baz", "EMPTY=", "NUM=%(process_num)d", "PROG=%(program_name)s"}
    directory = "$T/wd"
    umask = 027
}
program inherit {
    command = "$H/fdcheck $T/inherit.out"
    startsecs = 0
}
program words {
    command = "$H/fdcheck $T/words.out -x \"two words\" 'single q' back\\\\ slash %(ENV_MWSUP_SPACED)s 100%%"
    startsecs = 0
    autorestart = false
}
EOF
if [ -n "$as_user" ]; then
	cat >>"$CONF" <<-EOF
	program asuser {
	    command = "$H/fdcheck $T/pub/asuser.out"
	    user = "nobody"
	    startsecs = 0
	}
	EOF
fi

start_mwsupd

# field FILE KEY: the value of the first KEY=... line in an fdcheck report.
field() { sed -n "s/^$2=//p" "$1" | head -n 1; }
# has_env FILE KEY=VALUE: the report lists exactly this environment entry.
has_env() { grep -qxF "env=$2" "$1"; }
expect_env() {
	if has_env "$1" "$2"; then
		ok "$(basename "$1" .out) has $2 in its environment"
	else
		fail "$(basename "$1" .out): expected '$2' in its environment, saw: $(grep "^env=${2%%=*}=" "$1" | head -n 1)"
	fi
}
# wait_report FILE: the report exists (the helper writes it at once).
wait_report() {
	if retry 5 test -s "$1"; then
		return 0
	fi
	fail "no report $1 within 5 s"
	return 1
}

# ----------------------------------------------------------------------
section "descriptors, signals, process group, parent"
r=$T/fdc.out
if wait_report "$r"; then
	expect_eq "open fds of the child" "0 1 2" "$(field "$r" fds)"
	expect_eq "stdin of the child" /dev/null "$(field "$r" fd0)"
	expect_match "stdout of the child" '^(pipe|socket):' "$(field "$r" fd1)"
	expect_match "stderr of the child" '^(pipe|socket):' "$(field "$r" fd2)"
	expect_eq "blocked signals (SigBlk)" 0000000000000000 "$(field "$r" sigblk)"
	expect_eq "ignored signals (SigIgn; mwsupd itself had INT QUIT PIPE USR2 ignored)" \
	    0000000000000000 "$(field "$r" sigign)"
	expect_eq "process group of the child (its own pid)" \
	    "$(field "$r" pid)" "$(field "$r" pgid)"
	expect_eq "parent of the child (mwsupd, no shell between)" \
	    "$MWSUPD_PID" "$(field "$r" ppid)"
	expect_eq "pid of fdc:0 in status" "$(field "$r" pid)" "$(proc_pid fdc:0)"
fi

# ----------------------------------------------------------------------
section "command splitting and expansions"
r=$T/words.out
if wait_report "$r"; then
	expect_eq "argc" 8 "$(field "$r" argc)"
	expect_eq "double-quoted word" "two words" "$(field "$r" argv3)"
	expect_eq "single-quoted word" "single q" "$(field "$r" argv4)"
	expect_eq "backslash-escaped space" "back slash" "$(field "$r" argv5)"
	expect_eq "%(ENV_MWSUP_SPACED)s stays one word" "a b  c" "$(field "$r" argv6)"
	expect_eq "%% expansion" "100%" "$(field "$r" argv7)"
fi

# ----------------------------------------------------------------------
section "environment, directory, umask"
for n in 0 1; do
	r=$T/envp-$n.out
	wait_report "$r" || continue
	expect_env "$r" "MWSUP_PROGRAM=envp"
	expect_env "$r" "MWSUP_PROCESS_NUM=$n"
	expect_env "$r" "MWSUP_PROCESS_NAME=envp:$n"
	expect_env "$r" "FOO=bar baz"
	expect_env "$r" "EMPTY="
	expect_env "$r" "NUM=$n"
	expect_env "$r" "PROG=envp"
	expect_env "$r" "MWSUP_INHERITED=from-mwsupd"
	expect_eq "working directory of envp:$n" "$T/wd" "$(field "$r" cwd)"
	expect_eq "umask of envp:$n (umask = 027)" 0027 "$(field "$r" umask)"
done
r=$T/inherit.out
if wait_report "$r"; then
	expect_eq "umask of inherit:0 (mwsupd started with umask 0037)" 0037 \
	    "$(field "$r" umask)"
	expect_env "$r" "MWSUP_PROCESS_NAME=inherit:0"
	if grep -q '^env=FOO=' "$r"; then
		fail "another program's environment leaked into inherit:0"
	else
		ok "inherit:0 does not get envp's environment"
	fi
fi

# ----------------------------------------------------------------------
section "user = \"nobody\""
if [ -n "$as_user" ]; then
	r=$T/pub/asuser.out
	if wait_report "$r"; then
		IFS=: read -r _ _ uid gid _ home shell < <(getent passwd nobody)
		expect_eq "uid of asuser:0" "$uid" "$(field "$r" uid)"
		expect_eq "euid of asuser:0" "$uid" "$(field "$r" euid)"
		expect_eq "gid of asuser:0" "$gid" "$(field "$r" gid)"
		expect_eq "supplementary groups of asuser:0" \
		    "$(id -G nobody | tr ' ' '\n' | sort -n | xargs)" \
		    "$(field "$r" groups | tr ' ' '\n' | sort -n | xargs)"
		expect_env "$r" "HOME=$home"
		expect_env "$r" "USER=nobody"
		expect_env "$r" "LOGNAME=nobody"
		expect_env "$r" "SHELL=$shell"
		expect_env "$r" "MWSUP_PROCESS_NAME=asuser:0"
	fi
fi

# ----------------------------------------------------------------------
section "shutdown"
check "mwsupd exits on SIGTERM" stop_mwsupd 10
expect_eq "mwsupd exit status" 0 "$MWSUPD_RC"

# ----------------------------------------------------------------------
section "descriptor limit: mwsupd takes the hard limit, children keep theirs"
hard=$(ulimit -H -n)
if [ "$hard" = unlimited ] || [ "$hard" -lt 1024 ]; then
	note "hard RLIMIT_NOFILE is $hard: skipping this section"
else
	write_conf <<EOF
program many {
    command = "$H/sleeper"
    numprocs = 200
    startsecs = 0
}
EOF
	# 200 processes need ~400 pipe ends: more than a soft limit of 256.
	oldsoft=$(ulimit -S -n)
	ulimit -S -n 256
	start_mwsupd
	ulimit -S -n "$oldsoft"
	all_running() { [ "$(ctl status many 2>/dev/null | grep -c ' RUNNING ')" -eq 200 ]; }
	check "all 200 processes run under a soft limit of 256" retry 10 all_running
	soft_of() { awk '/^Max open files/ { print $4 }' "/proc/$1/limits"; }
	expect_eq "mwsupd's soft limit was raised to the hard one" "$hard" \
	    "$(soft_of "$MWSUPD_PID")"
	cpid=$(proc_pid many:7)
	expect_eq "a child gets the soft limit mwsupd was started with" 256 \
	    "$(soft_of "$cpid")"
	check "mwsupd exits on SIGTERM" stop_mwsupd 10
fi

# ----------------------------------------------------------------------
section "a huge environment is built in linear time"
# 100,000 variables in mwsupd's own environment: setting each one in the
# child's environment used to scan every entry before it (seconds);
# linear, the spawn takes milliseconds.  mwsupd logs to its stderr here,
# for the milliseconds in the timestamps.
write_conf <<EOF
log_target = "stderr"
program bigenv {
    command = "printenv E99999 E0"
    startsecs = 0
    autorestart = false
}
EOF
mark_logs
(
	cd "$T" || exit 99
	exec env MWSUP_TESTDIR="$T" "$H/bigenv" 100000 "$MWSUPD" -n -c "$CONF"
) </dev/null >>"$DLOG" 2>&1 &
MWSUPD_PID=$!
ALL_MWSUPD_PIDS+=("$MWSUPD_PID")
if retry 20 in_dlog 'bigenv\[[0-9]+\]: 0$'; then
	ok "the process got all 100,000 variables"
	# From mwsupd's start-up line to the spawn, by mwsupd's own clock.
	spawn_ms=$(dlog_new | awk '
		function ms(t) { split(t, a, /[T:.]/); return ((a[2] * 60 + a[3]) * 60 + a[4]) * 1000 + a[5] }
		/starting with/ { s = ms($1) }
		/bigenv:0: spawned pid/ { print ms($1) - s; exit }')
	check "spawned within 3 s of mwsupd's start (took ${spawn_ms:-?} ms)" \
	    test "${spawn_ms:-99999}" -lt 3000
else
	fail "bigenv:0 did not report its environment within 20 s"
fi
retry 10 ready || fail "mwsupd did not answer"
check "mwsupd exits on SIGTERM" stop_mwsupd 10

finish
