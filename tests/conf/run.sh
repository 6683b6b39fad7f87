#!/bin/sh
# run.sh — golden-file tests of `mwsupd -t`.
#
#   bad/NAME.conf    must fail: exit 78, stderr exactly bad/NAME.expected.
#                    Each runs from bad/ with a relative -c path, so the
#                    file names in the messages do not depend on where the
#                    tree is (make distcheck: read-only source, other build
#                    directory).  bad/NAME.d/ holds its include_dir files.
#   good/NAME.conf   must pass: exit 0, nothing on stderr; stdout of -t -v
#                    equal to good/NAME.out when that exists; and the round
#                    trip: the -t -v output, checked again with -t -v, gives
#                    the same output.  good/NAME.d/ and good/*.inc are their
#                    include_dir and include() files.
#   etc/mwsup.conf   the shipped example: must pass, with the round trip.
#   a FIFO           given with -c or include(): exit 78 at once (never a
#                    hang), naming the path.
#
# Good files may draw warnings from -t (a command not installed here, a
# directory that does not exist): lines with ": warning: " are allowed on
# stderr of a good file, nothing else.
#
# Environment (from Makefile.am): MWSUPD, top_srcdir.  Exit 0 when all pass,
# 1 when one fails, 99 when the test cannot be set up.
LC_ALL=C
export LC_ALL
unset MWSUP_TEST_SURELY_UNSET

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/../..}
if [ -z "$MWSUPD" ] || [ ! -x "$MWSUPD" ]; then
	echo "run.sh: MWSUPD (${MWSUPD:-unset}) is not an executable" >&2
	exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mwsup-conf-test.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

pass=0
fail=0

ok() {
	pass=$((pass + 1))
	echo "PASS: $1"
}

not_ok() {
	fail=$((fail + 1))
	echo "FAIL: $1"
}

# check_bad NAME: run from bad/, compare exit status and stderr.
check_bad() {
	name=$1
	(cd "$here/bad" && "$MWSUPD" -t -c "$name.conf") \
	    >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 78 ]; then
		not_ok "bad/$name.conf: exit status $rc, expected 78"
		cat "$tmp/err"
	elif [ ! -f "$here/bad/$name.expected" ]; then
		not_ok "bad/$name.conf: no bad/$name.expected; stderr was:"
		cat "$tmp/err"
	elif ! diff -u "$here/bad/$name.expected" "$tmp/err"; then
		not_ok "bad/$name.conf: stderr differs from $name.expected"
	elif [ -s "$tmp/out" ]; then
		not_ok "bad/$name.conf: unexpected output on stdout"
	else
		ok "bad/$name.conf"
	fi
}

# check_good DIR FILE LABEL: must load; -t -v round trip must be stable.
check_good() {
	dir=$1 file=$2 label=$3
	(cd "$dir" && "$MWSUPD" -t -v -c "$file") >"$tmp/v1" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 0 ] || grep -qv ': warning: ' "$tmp/err"; then
		not_ok "$label: exit status $rc, expected 0 and no errors"
		cat "$tmp/err"
		return
	fi
	golden=$dir/${file%.conf}.out
	if [ -f "$golden" ] && ! diff -u "$golden" "$tmp/v1"; then
		not_ok "$label: -t -v output differs from $golden"
		return
	fi
	cp "$tmp/v1" "$tmp/printed.conf"
	"$MWSUPD" -t -v -c "$tmp/printed.conf" >"$tmp/v2" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		not_ok "$label: printed configuration does not load back"
		cat "$tmp/err"
	elif ! diff -u "$tmp/v1" "$tmp/v2"; then
		not_ok "$label: printed configuration loads back differently"
	else
		ok "$label (round trip)"
	fi
}

nbad=0
for f in "$here"/bad/*.conf; do
	[ -f "$f" ] || continue
	name=$(basename "$f" .conf)
	check_bad "$name"
	nbad=$((nbad + 1))
done
if [ "$nbad" -lt 15 ]; then
	not_ok "only $nbad bad configurations found in $here/bad"
fi

for f in "$here"/good/*.conf; do
	[ -f "$f" ] || continue
	check_good "$here/good" "$(basename "$f")" "good/$(basename "$f")"
done

check_good "$top_srcdir/etc" mwsup.conf "etc/mwsup.conf"

# check_fifo LABEL EXPECTED ARGS...: mwsupd -t ARGS (in $tmp/fifo) exits 78
# within 10 s with stderr EXPECTED.
check_fifo() {
	label=$1 expected=$2
	shift 2
	(cd "$tmp/fifo" && exec "$MWSUPD" -t "$@") >/dev/null 2>"$tmp/err" &
	pid=$!
	n=0
	while kill -0 "$pid" 2>/dev/null && [ "$n" -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -9 "$pid"
		wait "$pid" 2>/dev/null
		not_ok "$label: mwsupd -t hangs"
		return
	fi
	wait "$pid"
	rc=$?
	if [ "$rc" -ne 78 ]; then
		not_ok "$label: exit status $rc, expected 78"
	elif [ "$(cat "$tmp/err")" != "$expected" ]; then
		not_ok "$label: stderr: $(cat "$tmp/err")"
	else
		ok "$label"
	fi
}

mkdir "$tmp/fifo" && mkfifo "$tmp/fifo/fifo.conf" || exit 99
printf 'include("fifo.conf")\nprogram web { command = x }\n' \
    >"$tmp/fifo/main.conf"
check_fifo "-c FIFO" "fifo.conf: not a regular file" -c fifo.conf
check_fifo "include() of a FIFO" \
    "main.conf:1: include: fifo.conf: not a regular file" -c main.conf

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
