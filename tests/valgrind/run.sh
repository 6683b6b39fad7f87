#!/bin/bash
# run.sh — a representative part of the integration suite with mwsupd
# under valgrind memcheck.
#
# usage: tests/valgrind/run.sh [BUILDDIR [SCRIPT...]]
#   BUILDDIR  a configured and built tree WITHOUT --enable-sanitizers
#             (default: the current directory); `make check` need not have
#             run, the helpers are built here when missing
#   SCRIPT    integration scripts to run (names in tests/integration/,
#             default: $VALGRIND_SCRIPTS or the list below)
#
# Each script runs with MWSUPD pointing at a wrapper that execs
#   valgrind --error-exitcode=42 --leak-check=full
#     --errors-for-leak-kinds=definite,indirect
#     --show-leak-kinds=definite,indirect -q --log-file=LOGDIR/mwsupd.%p.log
#     BUILDDIR/mwsupd/mwsupd ARGS
# valgrind runs the program in the same process, so the pid the harness
# records ($!) is mwsupd's.  The children mwsupd execs run natively.
# The script fails when a test script fails, or when any valgrind log holds
# an error or a definite/indirect leak.  Logs stay in $VALGRIND_OUT
# (default ./valgrind-out).
#
# Needs valgrind (Debian: valgrind); skipped (77) without it unless it
# can be installed (root with apt-get).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
B=$(cd "${1:-.}" && pwd) || exit 2
[ $# -gt 0 ] && shift
# The state machine (spawns, exits, restarts), daemonizing and its exit
# paths, every command, reload (old and new configurations freed), hostile clients.
# Not the scripts that time mwsupd tightly, since memcheck slows it down
# 20-50 times: stop.sh ("a crash loop never makes mwsupd deaf": status
# within 2 s), logging.sh (RSS bound: valgrind's own memory counts),
# faults.sh (latencies, 500 processes); nor spawn.sh, whose RLIMIT_NOFILE
# checks cannot hold under valgrind (it keeps descriptors for itself and
# virtualises that limit).
default_scripts="states.sh daemon.sh control.sh reload.sh hostile.sh"
if [ $# -gt 0 ]; then
	scripts="$*"
else
	scripts=${VALGRIND_SCRIPTS:-$default_scripts}
fi
out=${VALGRIND_OUT:-$PWD/valgrind-out}

if ! command -v valgrind >/dev/null 2>&1; then
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		echo "valgrind: installing valgrind"
		{ apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		    apt-get install -y -q valgrind; } >/dev/null 2>&1
	fi
	command -v valgrind >/dev/null 2>&1 ||
		{ echo "SKIP: valgrind is not installed"; exit 77; }
fi
[ -x "$B/mwsupd/mwsupd" ] && [ -x "$B/mwsupctl/mwsupctl" ] ||
	{ echo "valgrind: no built mwsupd/mwsupctl in $B" >&2; exit 2; }
if grep -q '^SAN_CFLAGS *= *-f' "$B/Makefile" 2>/dev/null; then
	echo "valgrind: $B is a sanitizer build; valgrind needs a plain one" >&2
	exit 2
fi
make -C "$B" -s tests/helpers/sleeper tests/helpers/exit-code \
    tests/helpers/crasher tests/helpers/ignore-term tests/helpers/forker \
    tests/helpers/flood tests/helpers/fdcheck tests/helpers/syslog-sink \
    tests/helpers/closer >/dev/null || exit 99

rm -rf "$out"
mkdir -p "$out/logs" || exit 99
out=$(cd "$out" && pwd)
wrapper=$out/mwsupd-valgrind
cat >"$wrapper" <<EOF
#!/bin/sh
exec valgrind --error-exitcode=42 --leak-check=full \\
    --errors-for-leak-kinds=definite,indirect \\
    --show-leak-kinds=definite,indirect --child-silent-after-fork=yes \\
    -q --log-file="$out/logs/mwsupd.%p.log" "$B/mwsupd/mwsupd" "\$@"
EOF
chmod +x "$wrapper"

rc=0
summary=$out/summary.txt
: >"$summary"
t_all=$(date +%s)
for s in $scripts; do
	t0=$(date +%s)
	top_builddir=$B top_srcdir=$top MWSUPD=$wrapper \
	    MWSUPCTL=$B/mwsupctl/mwsupctl HELPERS=$B/tests/helpers \
	    bash "$top/tests/integration/$s" >"$out/$s.log" 2>&1 </dev/null
	st=$?
	res=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "$out/$s.log" | tail -n 1)
	case $st in
	0) verdict=ok ;;
	77) verdict=skipped ;;
	*) verdict="FAIL (exit $st)"; rc=1 ;;
	esac
	printf '%-14s %-16s %4ss  %s\n' "$s" "$verdict" $(($(date +%s) - t0)) \
	    "${res#*: }" | tee -a "$summary"
	if [ "$st" -ne 0 ] && [ "$st" -ne 77 ]; then
		grep -E '^FAIL' "$out/$s.log" | head -n 20
	fi
done

# Every line memcheck writes with -q is an error or a leak record, except
# its warnings (e.g. about descriptors it reserves).
nlogs=0
bad=0
for f in "$out"/logs/mwsupd.*.log; do
	[ -e "$f" ] || continue
	nlogs=$((nlogs + 1))
	if grep -Ev '^==[0-9]+== *$|Warning:|^==[0-9]+==    (at|by) ' "$f" |
	    grep -q .; then
		bad=$((bad + 1))
		echo "--- $f ($(grep -c 'lost in loss record' "$f") leak records; the definite ones and other errors):"
		grep -Ev 'indirectly lost' "$f" | awk '
		    /definitely lost|Invalid|uninitialised|Syscall param|Mismatched|overlap/ { show = 1 }
		    /^==[0-9]+== *$/ { if (show) print; show = 0 }
		    show' | head -n 40
	fi
done
errors=$(cat "$out"/logs/*.log 2>/dev/null | grep -cE 'Invalid|uninitialised|Uninitialised|definitely lost|indirectly lost|Mismatched|overlap|Syscall param|invalid')
{
	echo "mwsupd processes run under memcheck: $nlogs; logs with errors or leaks: $bad ($errors error records)"
	echo "total time: $(($(date +%s) - t_all)) s"
} | tee -a "$summary"
[ "$nlogs" -gt 0 ] || { echo "valgrind: no mwsupd ran under memcheck" >&2; rc=1; }
[ "$bad" -eq 0 ] || rc=1
exit $rc
