#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# reload.sh — `mwsupctl reload` and SIGHUP (mwsupctl(8), doc/PROTOCOL.md
# "reload"): added, removed, changed and unchanged programs, numprocs
# changes, a rejected configuration, an option that cannot change live.
. "$(dirname "$0")/lib.sh"

require_engine

have_python=
command -v python3 >/dev/null 2>&1 && have_python=1

# conf_v1 / conf_v2 ... write the configuration; each program's pid file is
# $T/NAME.pid (sleeper rewrites it at every start).
prog() {	# prog NAME [EXTRA_SLEEPER_ARGS] [EXTRA_OPTION_LINES]
	cat <<EOF
program $1 {
    command = "$H/sleeper -p $T/$1-%(process_num)d.pid ${2:-}"
    startsecs = 0
    stopwaitsecs = 2
${3:-}
}
EOF
}

{
	prog a
	prog b
	prog c "-o v1"
	prog e
	prog m "" "    numprocs = 2"
} | write_conf

start_mwsupd
for p in a:0 b:0 c:0 e:0 m:0 m:1; do
	retry 5 in_state $p RUNNING || fail "$p not RUNNING at start-up: '$(status_line $p)'"
done

# run_ctl ARGS...: stdout in $OUT, stderr in $ERR, exit code in $RC.
run_ctl() {
	local t0
	t0=$(now_ms)
	ctl "$@" >"$T/out" 2>"$T/err" </dev/null
	RC=$?
	MS=$(($(now_ms) - t0))
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}
expect_rc() {
	if [ "$RC" -eq "$2" ]; then
		ok "$1: exit $2"
	else
		fail "$1: expected exit $2, saw $RC (stdout '$OUT', stderr '$ERR')"
	fi
}
# out_has REGEX / out_lacks REGEX: a line of the last stdout matches (not).
out_has() { grep -Eq -- "$1" "$T/out"; }
out_lacks() { ! grep -Eq -- "$1" "$T/out"; }
# cmdline PID: its command line, spaces between arguments.
cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null; }
# known NAME: mwsupd knows the process NAME.
known() { ctl status "$1" >/dev/null 2>&1; [ $? -ne 1 ]; }

run_ctl stop e
expect_rc "stop e (an operator stops it)" 0
pa=$(proc_pid a:0) pb=$(proc_pid b:0) pc=$(proc_pid c:0)
pm0=$(proc_pid m:0) pm1=$(proc_pid m:1)
check "pids known: a=$pa b=$pb c=$pc m:0=$pm0 m:1=$pm1" \
    all_alive "$pa" "$pb" "$pc" "$pm0" "$pm1"

# ----------------------------------------------------------------------
section "reload: nothing changed"
run_ctl reload
expect_rc "reload of an unchanged file" 0
check "reload of an unchanged file lists no program ('$OUT')" \
    out_lacks '^(a|b|c|e|m):'
expect_eq "a's pid after a no-op reload" "$pa" "$(proc_pid a:0)"
expect_eq "e still STOPPED after a no-op reload" STOPPED "$(proc_state e:0)"

# ----------------------------------------------------------------------
section "reload: b removed, c changed, d added, a and e unchanged"
{
	prog a
	prog c "-o v2"
	prog d "" "    startsecs = 1"
	prog e
	prog m "" "    numprocs = 2"
} | write_conf
run_ctl reload
expect_rc "reload" 0
say "reload printed: $(paste -sd'|' "$T/out")"
check "reload says b removed" out_has '^b: removed'
check "reload says c changed" out_has '^c: changed'
check "reload says d added" out_has '^d: added'
check "reload does not mention a (unchanged)" out_lacks '^a[: ]'
check "reload does not mention e (unchanged, stopped)" out_lacks '^e[: ]'
check "reload does not mention m (unchanged)" out_lacks '^m[: ]'
expect_eq "a's pid unchanged" "$pa" "$(proc_pid a:0)"
check "a's process $pa still alive" pid_alive "$pa"
check "b's process $pb gone when reload returns" pid_gone "$pb"
check "b no longer known to mwsupd" eval '! known b:0'
pc2=$(proc_pid c:0)
check "c has a new pid ($pc -> $pc2)" test -n "$pc2" -a "$pc2" != "$pc"
check "c's old process $pc gone" pid_gone "$pc"
expect_match "c's new process runs the new command" ' -o v2' "$(cmdline "$pc2")"
expect_eq "d RUNNING when reload returns (startsecs = 1: reload waited)" \
    RUNNING "$(proc_state d:0)"
check "reload took >= 1 s (waited for d's startsecs; $(ms_fmt $MS))" test "$MS" -ge 950
expect_eq "e (stopped by the operator, unchanged) still STOPPED" STOPPED "$(proc_state e:0)"
expect_eq "m:0's pid unchanged" "$pm0" "$(proc_pid m:0)"
expect_eq "m:1's pid unchanged" "$pm1" "$(proc_pid m:1)"

# ----------------------------------------------------------------------
section "reload: numprocs 2 -> 4 starts only m:2 and m:3"
pa=$(proc_pid a:0) pc=$(proc_pid c:0) pd=$(proc_pid d:0)
{
	prog a
	prog c "-o v2"
	prog d "" "    startsecs = 1"
	prog e
	prog m "" "    numprocs = 4"
} | write_conf
run_ctl reload
expect_rc "reload numprocs 2 -> 4" 0
say "reload printed: $(paste -sd'|' "$T/out")"
check "reload mentions m" out_has '^m: '
check "reload mentions only m" out_lacks '^(a|c|d|e):'
expect_eq "m:0's pid unchanged" "$pm0" "$(proc_pid m:0)"
expect_eq "m:1's pid unchanged" "$pm1" "$(proc_pid m:1)"
expect_eq "m:2 RUNNING" RUNNING "$(proc_state m:2)"
expect_eq "m:3 RUNNING" RUNNING "$(proc_state m:3)"
pm2=$(proc_pid m:2) pm3=$(proc_pid m:3)
check "m:2 and m:3 have live processes ($pm2 $pm3)" all_alive "$pm2" "$pm3"
expect_eq "a, c, d pids unchanged" "$pa $pc $pd" \
    "$(proc_pid a:0) $(proc_pid c:0) $(proc_pid d:0)"

# ----------------------------------------------------------------------
section "reload: numprocs 4 -> 1 stops m:1..m:3 only (--json)"
{
	prog a
	prog c "-o v2"
	prog d "" "    startsecs = 1"
	prog e
	prog m "" "    numprocs = 1"
} | write_conf
if [ -n "$have_python" ]; then
	run_ctl --json reload
	expect_rc "--json reload numprocs 4 -> 1" 0
	expect_eq "--json reload changes" "m numprocs numprocs 4 -> 1 None" \
	    "$(python3 -c 'import json,sys
d = json.load(sys.stdin)
print(" ".join("%s %s %s %s" % (c["program"], c["action"], c["detail"], c["error"]) for c in d["changes"]))' <"$T/out" 2>&1)"
else
	run_ctl reload
	expect_rc "reload numprocs 4 -> 1" 0
fi
check "m:1, m:2, m:3 processes gone ($pm1 $pm2 $pm3)" all_gone "$pm1" "$pm2" "$pm3"
expect_eq "m:0's pid unchanged" "$pm0" "$(proc_pid m:0)"
check "m:1 no longer known" eval '! known m:1'
check "m:3 no longer known" eval '! known m:3'
expect_eq "a, c, d pids unchanged" "$pa $pc $pd" \
    "$(proc_pid a:0) $(proc_pid c:0) $(proc_pid d:0)"

# ----------------------------------------------------------------------
section "reload: a configuration with errors is rejected, nothing changes"
good_conf=$(cat "$CONF")
{
	prog c "-o v3"		# would change c
	prog d			# would change d
	echo 'program f {'
	echo '    command = "/bin/true"'
	echo '    this is not valid'
	echo '}'
} | write_conf		# and would remove a, e, m
badline=$(grep -n 'this is not valid' "$CONF" | cut -d: -f1)
before=$(ctl status 2>/dev/null)
run_ctl reload
expect_rc "reload of a file with a syntax error" 1
say "reload printed: stdout '$OUT' stderr '$ERR'"
expect_match "the error names FILE:LINE ($CONF:$badline)" "$CONF:$badline:" "$OUT$ERR"
expect_match "nothing changed, says reload" 'nothing changed' "$OUT$ERR"
expect_eq "pids after the rejected reload (a c d m:0)" "$pa $pc $pd $pm0" \
    "$(proc_pid a:0) $(proc_pid c:0) $(proc_pid d:0) $(proc_pid m:0)"
check "a, which the bad file removes, is still there and RUNNING" in_state a:0 RUNNING
check "f, which the bad file adds, is not known" eval '! known f:0'
expect_eq "status lines unchanged by the rejected reload" \
    "$(printf '%s\n' "$before" | awk '{ print $1, $2 }')" \
    "$(ctl status 2>/dev/null | awk '{ print $1, $2 }')"
expect_match "c's process still runs the old command" ' -o v2' "$(cmdline "$pc")"

# An unknown option is an error too.
printf '%s\n' "$good_conf" >"$CONF"
printf 'program g {\n    command = "/bin/true"\n    no_such_option = 1\n}\n' >>"$CONF"
run_ctl reload
expect_rc "reload of a file with an unknown option" 1
expect_match "unknown option error names the file" "$CONF:" "$OUT$ERR"
check "g not added" eval '! known g:0'

# ----------------------------------------------------------------------
section "reload: socket changed -> a note, the old socket keeps answering"
printf '%s\n' "$good_conf" | sed "s|^socket = .*|socket = \"$T/other.sock\"|" >"$CONF"
run_ctl reload
expect_rc "reload with a changed socket" 0
say "reload printed: $(paste -sd'|' "$T/out")"
expect_match "a note about the socket" 'socket: changed' "$OUT"
check "no program touched" out_lacks '^(a|c|d|e|m):'
run_ctl status a
expect_rc "status on the old socket still answered" 0
check "no socket created at the new path" test ! -e "$T/other.sock"
expect_eq "a's pid unchanged" "$pa" "$(proc_pid a:0)"

# ----------------------------------------------------------------------
section "SIGHUP reloads like mwsupctl reload"
printf '%s\n' "$good_conf" >"$CONF"
prog h >>"$CONF"
kill -HUP "$MWSUPD_PID"
if retry 5 in_state h:0 RUNNING; then
	ok "SIGHUP: the new program h is RUNNING"
else
	fail "SIGHUP: h not RUNNING within 5 s: '$(status_line h:0)'"
fi
check "mwsupd still running after SIGHUP" pid_alive "$MWSUPD_PID"
expect_eq "a's pid unchanged by SIGHUP" "$pa" "$(proc_pid a:0)"
expect_eq "e still STOPPED after SIGHUP" STOPPED "$(proc_state e:0)"

# SIGHUP with a bad file: nothing changes, mwsupd lives on.
printf '%s\n' "$good_conf" >"$CONF"
echo 'program broken {' >>"$CONF"
mark_logs
kill -HUP "$MWSUPD_PID"
if retry 5 eval 'in_syslog "$CONF" || in_dlog "$CONF"'; then
	ok "SIGHUP with a bad file: the error is logged"
else
	fail "SIGHUP with a bad file: no error naming $CONF logged"
fi
check "mwsupd still running after SIGHUP with a bad file" pid_alive "$MWSUPD_PID"
check "h still RUNNING (the bad file would remove it)" in_state h:0 RUNNING
expect_eq "a's pid unchanged" "$pa" "$(proc_pid a:0)"

check "mwsupd's output shows no sanitizer report or crash" \
    eval '! grep -Eiq "sanitizer|runtime error|assert|segmentation" "$DLOG"'

finish
