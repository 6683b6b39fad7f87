#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# storm.sh — soak under everything at once: mwsupd churns a few hundred
# short-lived processes, carries output floods, takes a reload storm and
# concurrent start/stop/restart requests, and is abused by hostile
# clients, for MINUTES; its memory, descriptors and zombies must stay
# flat, `status` must always be answered, and after the final SIGTERM
# nothing it started may survive.  Run by hand before a release (30
# minutes); it is not part of `make check` or CI.
#
# usage: cd BUILDDIR && bash SRCDIR/tests/soak/storm.sh [MINUTES]
#   MINUTES              how long the storm lasts (default 30; decimal
#                        allowed; under 3 minutes the RSS trend is weak)
#   STORM_PROCS          churn processes (default 200)
#   STORM_LIFE_MS        how long each lives before it exits 0 and is
#                        restarted (default 1000: 200 restarts a second,
#                        with the rest of the storm about what 2 cores
#                        sustain)
#   STORM_FLOODS         processes per flood program (default 1; there are
#                        4 programs: stdout lines, stdout without newlines,
#                        stderr lines, stderr without newlines)
#   STORM_FLOOD_BYTES    bytes per flood burst, written as fast as the pipe
#                        takes them (default 131072) ...
#   STORM_FLOOD_PAUSE    ... then a pause of this many seconds, then the
#                        process exits and is restarted (default 1)
#   STORM_POOL_MAX       the reload storm sets `pool`'s numprocs to 1..this
#                        (default 40)
#   STORM_CTL_CLIENTS    concurrent start/stop/restart loops (default 2)
#   STORM_GARBAGE        malformed-frame connections a second (default 5)
#   STORM_HALF           half-frame connections a second, each held 5 s
#                        (default 2)
#   STORM_CONNECT        connect floods: this many connections opened and
#                        closed at once every 5 s (default 100)
#   STORM_IDLE           idle connections kept open (default 16)
#   STORM_PIPELINE       `status` requests a second written by a client
#                        that never reads a reply (default 10; 0 turns it
#                        off).  Until mwsupd bounds what a client may have
#                        queued (doc/PROTOCOL.md §2), this alone makes its
#                        RSS grow by about the size of a status reply per
#                        request
#   STORM_SAMPLE_S       sampling period (default 10)
#   STORM_STATUS_TIMEOUT a sample's `status` must be answered within this
#                        many seconds (default 10)
#   SOAK_OUT             when set, the table and summary also go to
#                        $SOAK_OUT/storm-summary.txt
#   MWSUPD, MWSUPCTL, HELPERS, top_builddir: as for the integration tests
# Needs python3 (tests/helpers/hostile-client.py) and ps.
#
# The configuration always holds `churn` (STORM_PROCS x exit-code 0 after
# STORM_LIFE_MS, autorestart) and the four flood programs, started once
# the base figures are taken; the reload storm never changes them.  Every
# 0.2 to 1 s the reload loop rewrites the rest and sends SIGHUP or runs
# `mwsupctl reload` (one in the background at a time; SIGHUP while it
# runs): `pool` (sleepers) grows or shrinks, extra0..extra3 come and go
# or change priority and environment, `variant` changes its command,
# `slowstop` (ignores SIGTERM, killed after 1 s), `tree` (a leader with 3
# children in its group) and `crashy` (fails its starts into FATAL) come
# and go; one rewrite in 25 is invalid and must be refused.  Meanwhile
# STORM_CTL_CLIENTS loops run `start`, `stop`, `restart`, `signal HUP`
# of random names and `tail -f` for 2 s, and hostile-client.py sends
# garbage, half frames, connect floods, idle connections and the
# pipelining client, each at a bounded rate.
#
# Every STORM_SAMPLE_S seconds: mwsupd's VmRSS, open descriptors, live
# children, zombie children still zombies 0.5 s later (one about to be
# reaped is normal under churn; one that stays is a missed reap), and how
# long `mwsupctl status` takes.
#
# When the storm ends: the loops and the hostile client stop, the full
# configuration is loaded, `stop all`, and the figures are taken again;
# then `start all` and SIGTERM with everything running.
#
# Verdict (each a check; "N passed, M failed", exit 0 when all pass, 1
# otherwise):
#   - RSS flat: the reference is the first sample at or after the warm-up
#     (a sixth of the run, at least 30 s, at most 5 min); no later sample,
#     and not the figure after the load, exceeds it by more than 20 %;
#   - descriptors: after the load stops (hostile connections closed,
#     everything stopped), back to the count before it started (+-2);
#   - zombies: no lingering zombie in any sample, none after the load;
#   - status answered (exit 0 or 3 within STORM_STATUS_TIMEOUT) in every
#     sample;
#   - no start/stop/restart/signal/reload request took 60 s or more;
#   - mwsupd lived through the storm, and the storm ran (reloads, control
#     requests and hostile connections were all made; the hostile client
#     was still running at the end);
#   - after SIGTERM, mwsupd exits 0 within 60 s and no process carrying
#     this run's MWSUP_TESTDIR survives it (counted before teardown kills
#     them: a survivor is a failure).
#
# Built on tests/integration/lib.sh (temporary directory, syslog sink,
# teardown), like tests/soak/run.sh.
here=$(cd "$(dirname "$0")" && pwd)
minutes=${1:-30}
PROCS=${STORM_PROCS:-200}
LIFE=${STORM_LIFE_MS:-1000}
FLOODS=${STORM_FLOODS:-1}
FLOOD_BYTES=${STORM_FLOOD_BYTES:-131072}
FLOOD_PAUSE=${STORM_FLOOD_PAUSE:-1}
POOL_MAX=${STORM_POOL_MAX:-40}
CTL_CLIENTS=${STORM_CTL_CLIENTS:-2}
GARBAGE=${STORM_GARBAGE:-5}
HALF=${STORM_HALF:-2}
CONNECT=${STORM_CONNECT:-100}
IDLE=${STORM_IDLE:-16}
PIPELINE=${STORM_PIPELINE:-10}
PERIOD=${STORM_SAMPLE_S:-10}
STATUS_TIMEOUT=${STORM_STATUS_TIMEOUT:-10}
HOSTILE=$here/../helpers/hostile-client.py
. "$here/../integration/lib.sh"

secs=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')
[ "$secs" -gt 0 ] || hard_error "usage: $0 [MINUTES]"
command -v python3 >/dev/null 2>&1 || skip "python3 not found"
command -v ps >/dev/null 2>&1 || skip "ps not found"
[ -r "$HOSTILE" ] || hard_error "no $HOSTILE"
warm=$((secs / 6))
[ "$warm" -lt 30 ] && warm=30
[ "$warm" -gt 300 ] && warm=300
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"

# ------------------------------------------------------- configurations

# fixed_programs: churn and floods, in every configuration, unchanged.
fixed_programs() {
	local f
	cat <<-EOF
	program churn {
	    command = "$H/exit-code 0 -d $LIFE"
	    numprocs = $PROCS
	    autostart = false
	    autorestart = true
	    startsecs = 0
	    stopwaitsecs = 5
	}
	EOF
	for f in "out:-l 200" "raw:-n" "err:-e -l 300" "errraw:-e -n"; do
		cat <<-EOF
		program flood${f%%:*} {
		    command = "/bin/sh -c '$H/flood ${f#*:} -t $FLOOD_BYTES; sleep $FLOOD_PAUSE'"
		    numprocs = $FLOODS
		    autostart = false
		    autorestart = true
		    startsecs = 0
		    stopwaitsecs = 2
		}
		EOF
	done
}

# storm_programs full|random: what the reload storm varies (full: every
# program present).
storm_programs() {
	local full=$1 k n cmd
	n=$((full == 1 ? 20 : RANDOM % POOL_MAX + 1))
	case $((RANDOM % 3)) in
	0) cmd="$H/sleeper -o variant-a" ;;
	1) cmd="$H/sleeper -o variant-b" ;;
	2) cmd="$H/sleeper -i 500" ;;
	esac
	cat <<-EOF
	program pool {
	    command = "$H/sleeper"
	    numprocs = $n
	    startsecs = 0
	    stopwaitsecs = 2
	}
	program variant {
	    command = "$cmd"
	    numprocs = 2
	    startsecs = 0
	    stopwaitsecs = 2
	}
	EOF
	for k in 0 1 2 3; do
		[ "$full" = 1 ] || [ $((RANDOM % 2)) = 0 ] || continue
		cat <<-EOF
		program extra$k {
		    command = "$H/sleeper -o extra$k"
		    priority = $((RANDOM % 3 * 400 + 100))
		    environment = {"GEN=$((RANDOM % 3))"}
		    startsecs = 0
		    stopwaitsecs = 2
		}
		EOF
	done
	if [ "$full" = 1 ] || [ $((RANDOM % 2)) = 0 ]; then
		cat <<-EOF
		program slowstop {
		    command = "$H/ignore-term"
		    numprocs = 2
		    startsecs = 0
		    stopwaitsecs = 1
		}
		EOF
	fi
	if [ "$full" = 1 ] || [ $((RANDOM % 2)) = 0 ]; then
		cat <<-EOF
		program tree {
		    command = "$H/forker 3"
		    numprocs = 2
		    startsecs = 0
		    stopwaitsecs = 2
		}
		EOF
	fi
	if [ "$full" = 1 ] || [ $((RANDOM % 2)) = 0 ]; then
		cat <<-EOF
		program crashy {
		    command = "$H/exit-code 3 -d 300"
		    numprocs = 3
		    startsecs = 1
		    startretries = 2
		}
		EOF
	fi
}

# put_conf full|random|broken: replace the configuration atomically.
put_conf() {
	{
		fixed_programs
		case $1 in
		full) storm_programs 1 ;;
		random) storm_programs 0 ;;
		broken) storm_programs 0; echo "program { this is not mwsup.conf" ;;
		esac
	} | CONF=$CONF.new write_conf
	mv "$CONF.new" "$CONF"
}

# ------------------------------------------------------- measurements

nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# kids PID [Z]: PID's children (only zombies with Z), one pid per line.
kids() {
	ps --ppid "$1" -o pid=,stat= 2>/dev/null |
	    awk -v z="${2:-}" 'z == "" || $2 ~ /^Z/ { print $1 }'
}
# lingering_zombies PID: zombie children of PID still zombies 0.5 s later,
# one pid per line.
lingering_zombies() {
	local z1 z2
	z1=$(kids "$1" Z | sort)
	[ -n "$z1" ] || return 0
	sleep 0.5
	z2=$(kids "$1" Z | sort)
	comm -12 <(echo "$z1") <(echo "$z2")
}
live_kids() { echo $(( $(kids "$1" | wc -l) - $(kids "$1" Z | wc -l) )); }
# ... not counting mwsupd's guard process (mwsupd(8)), which lives as long
# as mwsupd.
no_live_kids() { [ -z "$(supervised_children_of "$MWSUPD_PID")" ]; }
# ms_s MS: 250 -> 0.250 (for sleep)
ms_s() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# survivors: pids of live processes carrying this run's MWSUP_TESTDIR
# (mwsupd's children and their descendants inherit it), as lib.sh's
# teardown finds them, but with one grep: a loaded machine forks slowly.
survivors() {
	local f p
	grep -lzxF "MWSUP_TESTDIR=$T" /proc/[0-9]*/environ 2>/dev/null |
	while read -r f; do
		p=${f#/proc/}
		p=${p%/environ}
		[ "$p" = "$$" ] && continue
		pid_alive "$p" && echo "$p"
	done
}
no_survivors() { [ -z "$(survivors)" ]; }

# ------------------------------------------------------- the storm's loops

# reload_loop: rewrite the configuration and reload, every 0.2 to 1 s.
# Log: "hup" or "ctl RC MS" per reload, to $T/reloads.
reload_loop() {
	local rpid= t0
	while [ ! -e "$T/stop" ]; do
		if [ $((RANDOM % 25)) = 0 ]; then
			put_conf broken
		else
			put_conf random
		fi
		if { [ -n "$rpid" ] && kill -0 "$rpid" 2>/dev/null; } ||
		    [ $((RANDOM % 2)) = 0 ]; then
			kill -HUP "$MWSUPD_PID" 2>/dev/null && echo hup >>"$T/reloads"
		else
			(
				t0=$(now_ms)
				timeout 60 "$MWSUPCTL" -s "$SOCK" reload \
				    >/dev/null 2>&1
				echo "ctl $? $(($(now_ms) - t0))" >>"$T/reloads"
			) &
			rpid=$!
		fi
		sleep "$(ms_s $((200 + RANDOM % 801)))"
	done
	[ -z "$rpid" ] || wait "$rpid"
}

# ctl_loop ID: random requests on random names, 0.1 to 0.4 s apart.
# Log: "OP NAME RC MS" per request, to $T/ctl.ID.
ctl_loop() {
	local id=$1 op name t0 rc
	while [ ! -e "$T/stop" ]; do
		case $((RANDOM % 9)) in
		0) name=churn:$((RANDOM % PROCS)) ;;
		1) name=pool:$((RANDOM % POOL_MAX)) ;;
		2) name=pool ;;
		3) name=variant ;;
		4) name=extra$((RANDOM % 4)) ;;
		5) name=slowstop ;;
		6) name=tree:$((RANDOM % 2)) ;;
		7) name=crashy ;;
		8) name=floodout:0 ;;
		esac
		case $((RANDOM % 10)) in
		0|1|2) op=start ;;
		3|4|5) op=stop ;;
		6|7) op=restart ;;
		8) op=signal ;;
		9) op=tail ;;
		esac
		t0=$(now_ms)
		case $op in
		signal)	timeout 60 "$MWSUPCTL" -s "$SOCK" signal HUP "$name" ;;
		tail)	timeout 2 "$MWSUPCTL" -s "$SOCK" tail -f floodraw:0 ;;
		*)	timeout 60 "$MWSUPCTL" -s "$SOCK" "$op" "$name" ;;
		esac >/dev/null 2>&1
		rc=$?
		echo "$op $name $rc $(($(now_ms) - t0))" >>"$T/ctl.$id"
		sleep "0.$((1 + RANDOM % 4))"
	done
}

# ------------------------------------------------------- start

fixed_programs | write_conf	# the storm adds the rest
start_sink /dev/null	# mwsupd logs every restart and output line: not kept
start_mwsupd

base_fds=$(nfds "$MWSUPD_PID")
base_rss=$(rss_kib "$MWSUPD_PID")
say "storm: $PROCS churn processes x ${LIFE} ms, 4 x $FLOODS floods of $FLOOD_BYTES bytes every ${FLOOD_PAUSE}s+, reloads every 0.2-1 s, $CTL_CLIENTS control loops"
say "hostile: garbage $GARBAGE/s, half frames $HALF/s, connect floods of $CONNECT every 5 s, $IDLE idle, pipelining $PIPELINE requests/s"
say "mwsupd pid $MWSUPD_PID: ${base_rss} KiB, $base_fds descriptors before the storm; $secs s, RSS reference at ${warm}s"
ctl start churn floodout floodraw flooderr flooderrraw >/dev/null 2>&1 ||
	fail "start churn and floods: not every process reached RUNNING"

: >"$T/reloads"
loop_pids=()
reload_loop & loop_pids+=($!)
for i in $(seq 1 "$CTL_CLIENTS"); do
	: >"$T/ctl.$i"
	ctl_loop "$i" & loop_pids+=($!)
done
track_pid "${loop_pids[@]}"
python3 "$HOSTILE" "$SOCK" --garbage "$GARBAGE" --half "$HALF" \
    --connect "$CONNECT" --idle "$IDLE" --pipeline "$PIPELINE" \
    --stats "$T/hostile.stats" </dev/null >"$T/hostile.out" 2>&1 &
hostile_pid=$!
track_pid "$hostile_pid"

# ------------------------------------------------------- samples

table=$T/table
printf '%6s %9s %6s %6s %8s %9s %7s %8s\n' time rss_kib fds live zombies \
    status_ms status reloads >"$table"
t_start=$(now_ms)
end=$((t_start + secs * 1000))
rss_ref= rss_ref_t= rss_max=0 rss_after_max=0 fds_max=0 fds_min= zmax=0
bad_status=0 st_max=0 samples=0 died=0 zprev= zstuck=0
while :; do
	next=$(($(now_ms) + PERIOD * 1000))
	[ "$next" -gt "$end" ] && next=$end
	while [ "$(now_ms)" -lt "$next" ]; do sleep 0.2; done
	pid_alive "$MWSUPD_PID" || { died=1; break; }
	now=$(now_ms)
	el=$(((now - t_start) / 1000))
	rss=$(rss_kib "$MWSUPD_PID")
	fds=$(nfds "$MWSUPD_PID")
	live=$(live_kids "$MWSUPD_PID")
	zl=$(lingering_zombies "$MWSUPD_PID")
	z=$(echo "$zl" | grep -c .)
	# Still zombies a whole period later: a reap missed, not a backlog.
	if [ -n "$zl" ] && [ -n "$zprev" ]; then
		zs=$(comm -12 <(echo "$zprev") <(echo "$zl") | grep -c .)
		zstuck=$((zstuck + zs))
	fi
	zprev=$zl
	t0=$(now_ms)
	timeout "$STATUS_TIMEOUT" "$MWSUPCTL" -s "$SOCK" status >/dev/null 2>&1
	rc=$?
	st_ms=$(($(now_ms) - t0))
	case $rc in 0|3) st=ok ;; *) st="rc=$rc"; bad_status=$((bad_status + 1)) ;; esac
	[ "$st_ms" -gt "$st_max" ] && st_max=$st_ms
	samples=$((samples + 1))
	[ "$rss" -gt "$rss_max" ] && rss_max=$rss
	if [ -z "$rss_ref" ] && [ "$el" -ge "$warm" ]; then
		rss_ref=$rss rss_ref_t=$el
	elif [ -n "$rss_ref" ] && [ "$rss" -gt "$rss_after_max" ]; then
		rss_after_max=$rss
	fi
	[ "$fds" -gt "$fds_max" ] && fds_max=$fds
	{ [ -z "$fds_min" ] || [ "$fds" -lt "$fds_min" ]; } && fds_min=$fds
	[ "$z" -gt "$zmax" ] && zmax=$z
	printf '%6s %9s %6s %6s %8s %9s %7s %8s\n' "${el}s" "$rss" "$fds" \
	    "$live" "$z" "$st_ms" "$st" "$(wc -l <"$T/reloads")" >>"$table"
	[ "$now" -ge "$end" ] && break
done
t_storm_end=$(now_ms)

# ------------------------------------------------------- stop the load

hostile_alive=no
pid_alive "$hostile_pid" && hostile_alive=yes
kill -TERM "$hostile_pid" 2>/dev/null
touch "$T/stop"
loops_done() { all_gone "${loop_pids[@]}" "$hostile_pid"; }
if ! retry 90 loops_done; then
	note "storm loops still running 90 s after the end: killed"
	kill -KILL "${loop_pids[@]}" "$hostile_pid" 2>/dev/null
fi
wait "${loop_pids[@]}" "$hostile_pid" 2>/dev/null

# What the storm did.
reloads_hup=$(grep -c '^hup' "$T/reloads")
reloads_ctl=$(grep -c '^ctl' "$T/reloads")
reload_rcs=$(awk '$1 == "ctl" { n[$2]++ } END { for (r in n) printf "rc%s:%d ", r, n[r] }' "$T/reloads")
reload_max=$(awk '$1 == "ctl" && $3 > m { m = $3 } END { print m + 0 }' "$T/reloads")
cat "$T"/ctl.* >"$T/ctl.all" 2>/dev/null
ctl_ops=$(grep -vc '^tail ' "$T/ctl.all")
ctl_rcs=$(awk '$1 != "tail" { n[$1 " rc" $3]++ } END { for (k in n) print k ": " n[k] }' "$T/ctl.all" | sort | tr '\n' ',' | sed 's/,$//; s/,/, /g')
ctl_max=$(awk '$1 != "tail" && $4 > m { m = $4 } END { print m + 0 }' "$T/ctl.all")
hung=$(awk '$1 != "tail" && $3 == 124 { n++ } END { print n + 0 }' "$T/ctl.all")
hung=$((hung + $(awk '$1 == "ctl" && $2 == 124 { n++ } END { print n + 0 }' "$T/reloads")))
tails=$(grep -c '^tail ' "$T/ctl.all")
hstat() { awk -v k="$1" '$1 == k { n = $2 } END { print n + 0 }' "$T/hostile.stats" 2>/dev/null || echo 0; }
h_conns=$(($(hstat garbage) + $(hstat half) + $(hstat connect) + $(hstat idle_opened)))

# The full configuration, everything stopped: the figures after the load.
if [ "$died" = 0 ]; then
	put_conf full
	timeout 120 "$MWSUPCTL" -s "$SOCK" reload >/dev/null 2>&1
	rc=$?
	[ "$rc" = 0 ] || note "final reload: exit $rc (a process may not have reached a good state)"
	timeout 120 "$MWSUPCTL" -s "$SOCK" stop all >/dev/null 2>&1 ||
		fail "stop all after the storm"
	check "no live child of mwsupd once everything is stopped" retry 30 no_live_kids
	fds_back() { end_fds=$(nfds "$MWSUPD_PID"); [ "$end_fds" -ge $((base_fds - 2)) ] && [ "$end_fds" -le $((base_fds + 2)) ]; }
	retry 10 fds_back
	end_fds=$(nfds "$MWSUPD_PID")
	end_rss=$(rss_kib "$MWSUPD_PID")
	end_z=$(zombies_of "$MWSUPD_PID")
fi

say ""
cat "$table"
say ""
{
	echo "storm summary: $PROCS x ${LIFE} ms churn, $((secs / 60)) min $((secs % 60)) s, $samples samples, pipelining $PIPELINE requests/s"
	printf '  %-40s %s\n' \
	    "RSS (KiB) before / reference@${rss_ref_t:-n/a}s / max after it / after the load" \
	    "$base_rss / ${rss_ref:-n/a} / $rss_after_max / ${end_rss:-n/a}" \
	    "RSS max in any sample (KiB)" "$rss_max" \
	    "descriptors before / min..max / after the load" "$base_fds / ${fds_min:-n/a}..$fds_max / ${end_fds:-n/a}" \
	    "lingering zombies max / after the load" "$zmax / ${end_z:-n/a}" \
	    "zombies still there a sample later" "$zstuck" \
	    "status: failures / slowest (ms)" "$bad_status / $st_max" \
	    "reloads: SIGHUP / mwsupctl reload" "$reloads_hup / $reloads_ctl (${reload_rcs% }; slowest ${reload_max} ms)" \
	    "control requests (besides tail -f)" "$ctl_ops, slowest $ctl_max ms, $hung hit 60 s; tail -f: $tails" \
	    "control results" "${ctl_rcs:-none}" \
	    "hostile client still running at the end" "$hostile_alive"
	[ -s "$T/hostile.stats" ] && printf '  %-40s %s\n' "hostile client counters" \
	    "$(tr '\n' ' ' <"$T/hostile.stats")"
} | tee "$T/summary"
say ""

if [ "$died" = 1 ]; then
	fail "mwsupd died during the storm"
	[ -n "${SOAK_OUT:-}" ] && { mkdir -p "$SOAK_OUT"; cat "$table" "$T/summary" >"$SOAK_OUT/storm-summary.txt"; }
	finish
fi
ok "mwsupd lived through the storm ($samples samples)"
check "the storm ran: $reloads_hup + $reloads_ctl reloads, $ctl_ops control requests, $h_conns hostile connections" \
    test $((reloads_hup + reloads_ctl)) -gt 0 -a "$ctl_ops" -gt 0 -a "$h_conns" -gt 0
expect_eq "hostile client still running at the end" yes "$hostile_alive"
[ "$hostile_alive" = yes ] || sed 's/^/  hostile: /' "$T/hostile.out" | tail -n 10
if [ -n "$rss_ref" ] && [ "$samples" -ge 2 ]; then
	rss_top=$rss_after_max
	[ "$end_rss" -gt "$rss_top" ] && rss_top=$end_rss
	check "RSS flat: max $rss_top KiB after the reference <= $rss_ref KiB (at ${rss_ref_t}s) + 20 %" \
	    test $((rss_top * 100)) -le $((rss_ref * 120))
else
	note "no sample after the ${warm}s warm-up: RSS trend not judged (run longer)"
fi
check "descriptors back to $base_fds (+-2) after the load: $end_fds" \
    test "$end_fds" -ge $((base_fds - 2)) -a "$end_fds" -le $((base_fds + 2))
expect_eq "lingering zombies in any sample" 0 "$zmax"
expect_eq "zombies after the load" 0 "$end_z"
expect_eq "samples in which status was not answered" 0 "$bad_status"
expect_eq "requests that hung for 60 s" 0 "$hung"

# Final shutdown with everything running.
timeout 120 "$MWSUPCTL" -s "$SOCK" start all >/dev/null 2>&1
note "start all before the shutdown: exit $?"
sleep 2
t0=$(now_ms)
if stop_mwsupd 60; then
	ok "mwsupd exited $(ms_fmt $(($(now_ms) - t0))) after SIGTERM"
else
	fail "mwsupd still running 60 s after SIGTERM (killed)"
fi
expect_eq "mwsupd exit status" 0 "$MWSUPD_RC"
retry 2 no_survivors
left=$(survivors)
n_left=$(echo "$left" | grep -c .)
[ "$n_left" -eq 0 ] || ps -o pid=,ppid=,stat=,args= -p "$(echo $left | tr ' ' ,)" | sed 's/^/  survivor: /'
expect_eq "processes started by mwsupd that survived it" 0 "$n_left"
[ "$n_left" -eq 0 ] || kill -KILL $left 2>/dev/null

{
	cat "$table" "$T/summary"
	echo "survivors after SIGTERM: $n_left; mwsupd exit status: ${MWSUPD_RC:-none}"
} >"$T/summary.full"
[ -n "${SOAK_OUT:-}" ] && { mkdir -p "$SOAK_OUT"; cp "$T/summary.full" "$SOAK_OUT/storm-summary.txt"; }
finish
