#!/bin/bash
# run.sh — build the libFuzzer targets and run each for a while.
#
# usage: tests/fuzz/run.sh [SECONDS [BUILDDIR]]
#   SECONDS   how long each target runs (default 30; CI uses 20)
#   BUILDDIR  a configured build directory whose config.h to use; without
#             it a minimal config.h is generated
#
# Targets (tests/fuzz/fuzz_*.c), each linked with lib/*.c under
# -fsanitize=fuzzer,address,undefined (clang):
#   fuzz_conf    conf_load() on the input as a file, conf_print round trip,
#                conf_expand_proc()
#   fuzz_words   words_split() and words_expand()
#   fuzz_proto   proto_decode(), re-encoding, prefixes
#   fuzz_probe   probe_spec_parse(), print round trip, probe_spec_resolve();
#                probe_http_status() on every prefix of the input
#   fuzz_notify  notify_parse() (mwsupd/notify.c, linked with the event
#                loop and log.c it needs) against a model; clean STATUS=
# Seeds: tests/fuzz/corpus/<target without fuzz_>/ (never written to: the
# run grows a copy).  A crash, leak, timeout or failed check leaves the
# input in $FUZZ_OUT (default ./fuzz-out), printed in hex too, and makes
# the script exit 1.  Replay one input: fuzz-out/bin/fuzz_conf FILE.
#
# Needs clang with the libFuzzer runtime (Debian: clang, libclang-rt-14-dev)
# and libconfuse-dev.  When they are missing the script installs them if it
# runs as root with apt-get, else it exits 77 (skipped) saying so.
#
# Environment: FUZZ_OUT (artifacts, binaries, summary), CC (default clang),
# FUZZ_TARGETS (default "conf words proto probe notify").
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${1:-30}
builddir=${2:-}
out=${FUZZ_OUT:-$PWD/fuzz-out}
CC=${CC:-clang}
targets=${FUZZ_TARGETS:-conf words proto probe notify}
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"

case $secs in
''|*[!0-9]*) echo "usage: $0 [SECONDS [BUILDDIR]]" >&2; exit 2 ;;
esac

mkdir -p "$out/bin" || exit 99
out=$(cd "$out" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mwsup-fuzz.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT

# toolchain_ok: CC links a libFuzzer program, and libconfuse is there.
toolchain_ok() {
	command -v "$CC" >/dev/null 2>&1 || return 1
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
	    '{ (void)d; (void)n; return 0; }' >"$tmp/probe.c"
	"$CC" $SAN -o "$tmp/probe" "$tmp/probe.c" >/dev/null 2>&1 || return 1
	pkg-config --exists libconfuse 2>/dev/null
}

if ! toolchain_ok; then
	pkgs="clang libclang-rt-14-dev libconfuse-dev pkg-config"
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
		echo "fuzz: installing $pkgs"
		{ apt-get update -q && DEBIAN_FRONTEND=noninteractive \
		    apt-get install -y -q $pkgs; } >"$out/apt.log" 2>&1 ||
		    { tail -n 20 "$out/apt.log"; echo "fuzz: apt-get failed" >&2; exit 99; }
	fi
	if ! toolchain_ok; then
		echo "SKIP: fuzz: $CC cannot build libFuzzer targets with libconfuse (needs: $pkgs)"
		exit 77
	fi
fi

# config.h for lib/*.c
if [ -n "$builddir" ]; then
	[ -f "$builddir/config.h" ] || { echo "fuzz: no $builddir/config.h" >&2; exit 2; }
	cp "$builddir/config.h" "$tmp/config.h"
else
	version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' \
	    "$top/configure.ac" 2>/dev/null)
	cat >"$tmp/config.h" <<EOF
#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1
#endif
#define PACKAGE "mwsup"
#define PACKAGE_NAME "mwsup"
#define PACKAGE_VERSION "${version:-0.0.0}"
#define PACKAGE_STRING "mwsup ${version:-0.0.0}"
EOF
fi

cflags="-g -O1 -std=gnu11 $SAN -I$tmp -I$top/lib \
    -DSYSCONFDIR=\"/etc\" -DRUNSTATEDIR=\"/run\" $(pkg-config --cflags libconfuse)"
libs=$(pkg-config --libs libconfuse)

rc=0
summary=$out/summary.txt
printf '%-12s %8s %12s %10s %8s %8s  %s\n' target seconds execs exec/s corpus cov result \
    >"$summary"
for t in $targets; do
	bin=$out/bin/fuzz_$t
	# Targets on daemon code also link what that file calls.
	case $t in
	notify)	extra="-I$top/mwsupd $top/mwsupd/notify.c $top/mwsupd/loop.c
		    $top/mwsupd/timer.c $top/mwsupd/log.c" ;;
	*)	extra= ;;
	esac
	echo "== fuzz_$t: build"
	if ! $CC $cflags -o "$bin" "$here/fuzz_$t.c" "$top"/lib/*.c $extra $libs \
	    >"$out/build-$t.log" 2>&1; then
		cat "$out/build-$t.log"
		echo "FAIL: fuzz_$t does not build"
		rc=1
		continue
	fi
	seeds=$here/corpus/$t
	work=$tmp/corpus-$t
	mkdir -p "$work" "$out/crashes-$t"
	echo "== fuzz_$t: $secs s from $(ls "$seeds" | wc -l) seeds"
	# libconfuse has no frame pointers: unwind malloc stacks the slow
	# way for the conf target, so lsan.supp can see cfg_parse_fp.
	asan=${ASAN_OPTIONS:-}
	[ "$t" = conf ] && asan="fast_unwind_on_malloc=0${asan:+:$asan}"
	# The conf target reads files: run it from an empty directory.
	(cd "$tmp" && ASAN_OPTIONS=$asan LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
	    exec "$bin" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix="$out/crashes-$t/" "$work" "$seeds") \
	    </dev/null >"$out/fuzz-$t.log" 2>&1
	st=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz-$t.log" | tail -n 1)
	rate=$(grep -Eo 'exec/s: [0-9]+' "$out/fuzz-$t.log" | tail -n 1 | awk '{ print $2 }')
	cov=$(grep -Eo 'cov: [0-9]+' "$out/fuzz-$t.log" | tail -n 1 | awk '{ print $2 }')
	ncorp=$(ls "$work" | wc -l)
	arts=$(ls "$out/crashes-$t" 2>/dev/null)
	if [ "$st" -eq 0 ] && [ -z "$arts" ]; then
		result=ok
	else
		result=FAIL
		rc=1
		echo "FAIL: fuzz_$t exited $st; the report:"
		grep -E -A25 '^==[0-9]+==|^SUMMARY|runtime error|fuzz_[a-z]+: ' \
		    "$out/fuzz-$t.log" | head -n 60
		for a in $arts; do
			echo "--- input $out/crashes-$t/$a ($(wc -c <"$out/crashes-$t/$a") bytes):"
			od -An -c "$out/crashes-$t/$a" | head -n 20
		done
	fi
	printf '%-12s %8s %12s %10s %8s %8s  %s\n' "fuzz_$t" "$secs" "${execs:-?}" \
	    "${rate:-?}" "$ncorp" "${cov:-?}" "$result" >>"$summary"
done
echo
cat "$summary"
echo "(logs, binaries and any crashing input in $out)"
exit $rc
