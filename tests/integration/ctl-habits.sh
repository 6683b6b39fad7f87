#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# ctl-habits.sh — what a supervisorctl user types, against a real mwsupd:
# PROGRAM:* and PROGRAM: name the whole program (status, stop, start);
# `avail` lists the configured programs; `tail NAME stdout|stderr` shows
# one stream only (the last N lines of it, and with -f); status columns
# are as wide as the longest name; `group` sections name their programs'
# processes (restart GROUP:); `mwsupctl -c FILE` finds the socket
# when FILE has an error elsewhere, and says so.
. "$(dirname "$0")/lib.sh"

require_engine

# Numbered lines: out-N on stdout, err-N on stderr, 20 of each; then,
# once $T/go exists, one pair every 0.2 s.
cat >"$T/talker.sh" <<EOF
#!/bin/sh
i=1
while :; do
	echo "out-\$i"
	echo "err-\$i" >&2
	i=\$((i + 1))
	[ \$i -gt 20 ] || continue
	while [ ! -e "$T/go" ]; do sleep 0.1; done
	sleep 0.2
done
EOF
chmod +x "$T/talker.sh"
long=a-program-with-a-rather-long-name-for-columns

write_conf <<EOF
program web {
    command = "$H/sleeper"
    numprocs = 2
    startsecs = 0
}
program talker {
    command = "$T/talker.sh"
    startsecs = 0
}
program $long {
    command = "$H/sleeper"
    startsecs = 0
}
program idle {
    command = "$H/sleeper"
    autostart = false
}
group front {
    programs = {"web", "idle"}
}
EOF
start_mwsupd
wait_state web:1 RUNNING 5
wait_state talker:0 RUNNING 5

# ---------------------------------------------------------------- names
section "PROGRAM:* and PROGRAM: name the whole program"
# The same lines, uptime aside (a second may pass between the calls).
status_of() { ctl status "$1" 2>&1 | sed 's/, uptime .*//'; }
want=$(status_of web)
expect_eq "status web:*" "$want" "$(status_of 'web:*')"
expect_eq "status web:" "$want" "$(status_of web:)"
ctl stop 'web:*' >"$T/out" 2>&1
expect_eq "exit status of stop web:*" 0 "$?"
expect_eq "stop web:* output" "web:0: stopped
web:1: stopped" "$(cat "$T/out")"
expect_eq "web:0 after stop web:*" STOPPED "$(proc_state web:0)"
expect_eq "web:1 after stop web:*" STOPPED "$(proc_state web:1)"
ctl start web: >/dev/null 2>&1
expect_eq "exit status of start web:" 0 "$?"
expect_eq "web:0 after start web:" RUNNING "$(proc_state web:0)"
expect_eq "web:1 after start web:" RUNNING "$(proc_state web:1)"

# ---------------------------------------------------------------- avail
section "avail"
ctl avail >"$T/avail" 2>"$T/avail.err"
expect_eq "exit status of avail (idle:0 is not running)" 0 "$?"
check "avail: web, 2 processes, 2 running" \
    grep -Eq '^web +2 processes, 2 running$' "$T/avail"
check "avail: idle, 1 process, 0 running" \
    grep -Eq '^idle +1 process, 0 running$' "$T/avail"
expect_eq "avail: one line per program" 4 "$(wc -l <"$T/avail")"
json=$(ctl -j avail 2>&1)
check "avail -j names web with 2 processes" \
    grep -q '{"program": "web", "processes": 2, "running": 2}' <<<"$json"

# ---------------------------------------------------------------- tail
section "tail NAME stdout|stderr"
has_20() { ctl tail -n 100 talker:0 2>/dev/null | grep -qx 'err-20'; }
retry 5 has_20
ctl tail -n 5 talker:0 stderr >"$T/err5" 2>&1
expect_eq "exit status of tail -n 5 talker:0 stderr" 0 "$?"
expect_eq "tail -n 5 stderr: 5 lines" 5 "$(wc -l <"$T/err5")"
expect_eq "tail -n 5 stderr: only err- lines" 0 "$(grep -vc '^err-' "$T/err5")"
ctl tail -n 5 talker stdout >"$T/out5" 2>&1
expect_eq "tail -n 5 talker stdout: 5 lines" 5 "$(wc -l <"$T/out5")"
expect_eq "tail -n 5 stdout: only out- lines" 0 "$(grep -vc '^out-' "$T/out5")"
expect_eq "tail -n 5 stderr: the newest five" "err-16 err-17 err-18 err-19 err-20" \
    "$(tr '\n' ' ' <"$T/err5" | sed 's/ $//')"
ctl -j tail -n 2 talker:0 stderr >"$T/j" 2>&1
check "tail -j ... stderr: stream stderr only" \
    eval '[ "$(grep -o "\"stream\": \"stderr\"" "$T/j" | wc -l)" -eq 2 ] &&
        ! grep -q "\"stream\": \"stdout\"" "$T/j"'

"$MWSUPCTL" -s "$SOCK" tail -f -n 0 talker:0 stderr >"$T/follow" 2>&1 &
fpid=$!
track_pid "$fpid"
: >"$T/go"
has_new_err() { [ "$(grep -c '^err-' "$T/follow")" -ge 3 ]; }
check "tail -f talker:0 stderr prints new err- lines" retry 5 has_new_err
kill -INT "$fpid" 2>/dev/null
wait "$fpid" 2>/dev/null
expect_eq "tail -f stderr printed no out- line" 0 \
    "$(grep -c '^out-' "$T/follow")"

# ---------------------------------------------------------------- columns
section "status columns as wide as the longest name"
ctl status >"$T/status" 2>&1
# The state word starts in the same column on every line, after the
# longest name.
cols=$(awk '{ print index($0, " " $2 " ") }' "$T/status" | sort -u)
expect_eq "one state column" 1 "$(wc -l <<<"$cols")"
check "the state column is after the longest name ($((${#long} + 2)))" \
    test "$cols" -ge "$((${#long} + 2))"

# ---------------------------------------------------------------- groups
section "group sections: restart GROUP: and status GROUP as in supervisord"
ctl start web >/dev/null 2>&1
wait_state web:1 RUNNING 5
w0=$(proc_pid web:0)
w1=$(proc_pid web:1)
expect_eq "status front lists the group's processes" "web:0 web:1 idle:0" \
    "$(ctl status front 2>/dev/null | awk '{ printf "%s%s", sep, $1; sep = " " }')"
ctl restart front: >"$T/out" 2>&1
expect_eq "exit status of restart front:" 0 "$?"
check "web:0 has a new pid" test "$(proc_pid web:0)" != "$w0"
check "web:1 has a new pid" test "$(proc_pid web:1)" != "$w1"
check "idle:0 was started with its group" in_state idle:0 RUNNING
ctl stop 'front:*' >/dev/null 2>&1
expect_eq "exit status of stop front:*" 0 "$?"
check "idle:0 stopped with its group" in_state idle:0 STOPPED
check "web:0 stopped with its group" in_state web:0 STOPPED
check "talker, not in the group, still runs" in_state talker:0 RUNNING
ctl start web >/dev/null 2>&1

# ---------------------------------------------------------------- -c
section "mwsupctl -c FILE with an error in an included file"
mkdir -p "$T/conf.d"
cat >"$T/broken.conf" <<EOF
socket = "$SOCK"
pidfile = "$PIDFILE"
include_dir = "conf.d"
EOF
printf 'program typo {\n    comand = "/bin/true"\n}\n' >"$T/conf.d/typo.conf"
"$MWSUPCTL" -c "$T/broken.conf" status web >"$T/out" 2>"$T/err"
rc=$?
expect_eq "exit status of -c broken.conf status web" 0 "$rc"
check "status web printed" grep -q '^web:0 ' "$T/out"
check "a warning names the error's file and line" \
    grep -q "warning: .*typo.conf:2" "$T/err"

stop_mwsupd
finish
