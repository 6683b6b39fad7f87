#!/bin/sh
# examples.sh — every configuration in etc/examples/ is valid.
#
# For each etc/examples/*.conf: `mwsupd -t` exits 0 with nothing on stderr
# but warnings (": warning: " lines: a program not installed here),
# and the round trip holds: the `-t -v` output, checked again with -t -v,
# loads and gives the same output.  Each runs from etc/examples/ (include()
# and include_dir are relative to the file anyway).  The examples keep
# `user = ...` commented out, so nothing here needs root; should one set
# it, a non-root run that fails only for that reason is reported as a
# note, not a failure.
#
# Environment (from Makefile.am): MWSUPD, top_srcdir.  Exit 0 when all pass,
# 1 when one fails, 99 when the test cannot be set up.
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/../..}
dir=$top_srcdir/etc/examples
if [ -z "$MWSUPD" ] || [ ! -x "$MWSUPD" ]; then
	echo "examples.sh: MWSUPD (${MWSUPD:-unset}) is not an executable" >&2
	exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mwsup-examples.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

pass=0
fail=0
n=0
ok() {
	pass=$((pass + 1))
	echo "PASS: $1"
}
not_ok() {
	fail=$((fail + 1))
	echo "FAIL: $1"
}

for f in "$dir"/*.conf; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	name=examples/$(basename "$f")
	(cd "$dir" && "$MWSUPD" -t -c "$(basename "$f")") >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$(id -u)" -ne 0 ] &&
	    grep -q 'user' "$tmp/err" &&
	    grep -Eq '^[[:space:]]*user[[:space:]]*=' "$f"; then
		echo "note: $name needs root for its user option:"
		cat "$tmp/err"
		continue
	fi
	if [ "$rc" -ne 0 ] || grep -qv ': warning: ' "$tmp/err"; then
		not_ok "$name: mwsupd -t exits $rc, expected 0 and no errors"
		cat "$tmp/err"
		continue
	fi
	if [ -s "$tmp/out" ]; then
		not_ok "$name: mwsupd -t printed something"
		cat "$tmp/out"
		continue
	fi
	(cd "$dir" && "$MWSUPD" -t -v -c "$(basename "$f")") >"$tmp/v1" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 0 ] || [ ! -s "$tmp/v1" ]; then
		not_ok "$name: mwsupd -t -v exits $rc or prints nothing"
		cat "$tmp/err"
		continue
	fi
	cp "$tmp/v1" "$tmp/printed.conf"
	"$MWSUPD" -t -v -c "$tmp/printed.conf" >"$tmp/v2" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		not_ok "$name: printed configuration does not load back (exit $rc)"
		cat "$tmp/err"
	elif ! diff -u "$tmp/v1" "$tmp/v2"; then
		not_ok "$name: printed configuration loads back differently"
	else
		ok "$name (mwsupd -t, round trip)"
	fi
done
if [ "$n" -lt 5 ]; then
	not_ok "only $n examples found in $dir (expected at least 5)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
