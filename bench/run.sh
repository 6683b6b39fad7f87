#!/bin/sh
# bench/run.sh — measure mwsupd against a bare fork/exec loop (the floor)
# and supervisord, in one run.  See doc/PERFORMANCE.md.
#
#   bench/run.sh [--quick] [--build DIR] [--no-supervisord] [--out FILE]
#
#   --quick           CI mode: smaller N, fewer samples, short windows (~1 min)
#   --build DIR       use DIR/mwsupd/mwsupd and DIR/mwsupctl/mwsupctl (a
#                     configured build tree); default: build into a temp dir
#   --no-supervisord  skip the supervisord column (no package install)
#   --out FILE        also write the report to FILE (and raw FILE.json)
#   --only LIST       run only these of floor,mwsupd,supervisord
#
# Needs: cc (static libc for the child, else dynamic), python3, strace;
# supervisord comes from Debian's "supervisor" package, installed when
# missing (as root).  Its system service is never used: the bench runs its
# own supervisord with a temporary configuration.
set -eu

quick=
build=
nosd=
out=
only=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=--quick ;;
	--build) build=$2; shift ;;
	--build=*) build=${1#--build=} ;;
	--no-supervisord) nosd=1 ;;
	--out) out=$2; shift ;;
	--out=*) out=${1#--out=} ;;
	--only) only=$2; shift ;;
	--only=*) only=${1#--only=} ;;
	-h|--help) sed -n '2,17p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
	esac
	shift
done

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mwsup-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

say() { echo "run.sh: $*" >&2; }

# ---- the bench's own helpers
CC=${CC:-cc}
if ! $CC -O2 -static -o "$tmp/child" "$here/child.c" 2>/dev/null; then
	say "no static libc: building the child dynamically"
	$CC -O2 -o "$tmp/child" "$here/child.c"
fi
$CC -O2 -o "$tmp/floor" "$here/floor.c"
$CC -O2 -o "$tmp/timeit" "$here/timeit.c"

# ---- mwsupd
if [ -z "$build" ]; then
	build=$tmp/build
	mkdir -p "$build"
	if [ ! -x "$top/configure" ]; then
		say "running autogen.sh"
		(cd "$top" && ./autogen.sh) >&2
	fi
	say "building mwsupd in $build"
	(cd "$build" && "$top/configure" -q CFLAGS='-O2 -g' >&2 &&
	    make -j"$(nproc)" mwsupd/mwsupd mwsupctl/mwsupctl >/dev/null)
fi
build=$(cd "$build" && pwd)
for f in mwsupd/mwsupd mwsupctl/mwsupctl; do
	[ -x "$build/$f" ] || { say "missing $build/$f"; exit 1; }
done

# ---- supervisord
sdargs=
if [ -z "$nosd" ]; then
	if ! command -v supervisord >/dev/null 2>&1; then
		if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
			say "installing Debian's supervisor package"
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			    supervisor >&2 || true
			# We only want the program: stop the service the
			# package may just have started.
			if [ -f /var/run/supervisord.pid ] ||
			    [ -f /run/supervisord.pid ]; then
				service supervisor stop >/dev/null 2>&1 || true
			fi
		fi
	fi
	if command -v supervisord >/dev/null 2>&1; then
		sdargs="--supervisord $(command -v supervisord)
		    --supervisorctl $(command -v supervisorctl)"
	else
		say "supervisord not available: column skipped"
	fi
fi
command -v strace >/dev/null 2>&1 || {
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q strace >&2
	fi
}

# 10,000 processes: mwsupd needs two pipe fds per process; bench.py
# raises RLIMIT_NOFILE (to 1048576 as root).  pid_max must leave room.
pidmax=$(cat /proc/sys/kernel/pid_max)
[ "$pidmax" -ge 32768 ] || say "warning: pid_max is $pidmax"

python3 "$here/bench.py" $quick --tmp "$tmp" \
    --child "$tmp/child" --floor "$tmp/floor" --timeit "$tmp/timeit" \
    --mwsupd "$build/mwsupd/mwsupd" --mwsupctl "$build/mwsupctl/mwsupctl" \
    $sdargs ${out:+--out "$out"} ${only:+--only "$only"}
