#!/bin/bash
# build-deb.sh — the Debian package, built, installed, exercised, purged.
#
#   bash tests/package/build-deb.sh        (as root; from anywhere)
#
# 1. Installs the build dependencies that are missing (scripts/deps --deb).
# 2. Copies the source tree (git's tracked and untracked, not ignored,
#    files; a clean clone in CI) to a temporary directory and runs
#    `dpkg-buildpackage -us -uc -b` there (which runs the unit and golden
#    tests, see debian/rules); lintian on the result when lintian is
#    installed (an error fails, warnings are shown).
# 3. Installs the .deb with apt-get and checks: files where expected,
#    /etc/mwsup.conf a conffile that runs no program and logs to syslog,
#    /etc/mwsup.d created, the service neither enabled nor started,
#    `mwsupd -t -c /etc/mwsup.conf`.
# 4. tests/integration/init.sh against the installed daemon
#    (INIT_TEST_REAL=1: /etc/init.d/mwsupd on /etc/mwsup.conf).
# 5. Starts the service with the init script from a terminal (script(1)):
#    nothing but the script's own line reaches the terminal, mwsupd holds
#    no terminal, runs no program; then purges the package (its prerm
#    must stop mwsupd) and checks that nothing is left.
#
# Slow (a package build, about a minute): not part of `make check`.
# Prints "N passed, M failed"; exit 0 when all passed, 1 when a check
# failed, 77 when not root.  KEEP_BUILD=1 keeps the temporary directory.
set -u
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
PASS=0
FAIL=0
t_start=$SECONDS

say() { printf '%s\n' "$*"; }
section() { say ""; say "== $*"; }
ok() { PASS=$((PASS + 1)); say "ok: $*"; }
fail() { FAIL=$((FAIL + 1)); say "FAIL: $*"; }
check() {
	local msg=$1
	shift
	if "$@"; then ok "$msg"; else fail "$msg"; fi
}
finish() {
	say ""
	say "build-deb: $PASS passed, $FAIL failed ($((SECONDS - t_start)) s)"
	[ "$FAIL" -eq 0 ] && [ "$PASS" -gt 0 ]
	exit $?
}
# abort MSG [LOG]: a step everything else depends on failed.
abort() {
	fail "$1"
	if [ -n "${2:-}" ] && [ -f "$2" ]; then
		say "--- last lines of $2:"
		tail -n 40 "$2"
	fi
	finish
}

if [ "$(id -u)" -ne 0 ]; then
	say "SKIP: build-deb.sh installs packages: run it as root"
	exit 77
fi

W=$(mktemp -d /tmp/mwsup-deb.XXXXXX) || exit 99
devlog_pid=
cleanup() {
	# The stand-in /dev/log of the terminal check, if this script made it.
	if [ -n "$devlog_pid" ]; then
		kill "$devlog_pid" 2>/dev/null
		rm -f /dev/log
	fi
	if [ -n "${KEEP_BUILD:-}" ]; then
		say "kept $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT

# Wait for a dpkg lock held by another apt-get (up to 2 minutes).
LOCK_WAIT=(-o DPkg::Lock::Timeout=120)
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

# ---------------------------------------------------------------- build
section "build dependencies"
"$top/scripts/deps" --deb >"$W/apt.log" 2>&1 ||
	abort "scripts/deps --deb cannot install the build dependencies" "$W/apt.log"
ok "build dependencies installed (scripts/deps --deb)"

if installed mwsup || [ -n "$(dpkg-query -W -f='${Status}' mwsup 2>/dev/null)" ]; then
	say "note: a mwsup package is on this machine (a previous run?): purging it"
	apt-get purge -y -q "${LOCK_WAIT[@]}" mwsup >>"$W/apt.log" 2>&1 ||
		abort "cannot purge the mwsup package already installed" "$W/apt.log"
fi

section "dpkg-buildpackage"
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version) ||
	abort "cannot read debian/changelog"
src=$W/mwsup-$version
mkdir -p "$src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z -c -o --exclude-standard |
	    xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
	    tar --null -T - -cf -) | tar -C "$src" -xf - ||
		abort "cannot copy the source tree"
else
	(cd "$top" && tar --exclude='./build*' --exclude='./debian/mwsup' \
	    -cf - .) | tar -C "$src" -xf - || abort "cannot copy the source tree"
fi
t0=$SECONDS
if (cd "$src" && dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($((SECONDS - t0)) s)"
else
	abort "dpkg-buildpackage failed (log: $W/build.log)" "$W/build.log"
fi
deb=$(ls "$W"/mwsup_"$version"_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || abort "no mwsup_${version}_*.deb in $W"
say "built $(basename "$deb")"
grep -E '^(PASS|FAIL|SKIP|ERROR|# TOTAL)' "$W/build.log" | sed 's/^/  build: /'

if command -v lintian >/dev/null 2>&1; then
	lintian --fail-on error "$W"/mwsup_"$version"_*.changes \
	    >"$W/lintian.log" 2>&1
	rc=$?
	sed 's/^/  lintian: /' "$W/lintian.log"
	if [ "$rc" -eq 0 ]; then
		ok "lintian: no error"
	else
		fail "lintian reports errors (exit $rc)"
	fi
else
	say "note: lintian is not installed: not run"
fi

# ---------------------------------------------------------------- install
section "install"
apt-get install -y -q "${LOCK_WAIT[@]}" "$deb" >"$W/install.log" 2>&1 ||
	abort "apt-get install $deb failed" "$W/install.log"
check "mwsup is installed" installed mwsup

files=$(dpkg -L mwsup)
has_file() { grep -qxF "$1" <<<"$files" && [ -e "$1" ]; }
for f in /usr/sbin/mwsupd /usr/bin/mwsupctl /etc/init.d/mwsupd; do
	check "$f is installed and executable" eval 'has_file "$f" && [ -x "$f" ]'
done
check "/etc/mwsup.d is a directory of the package" \
    eval 'has_file /etc/mwsup.d && [ -d /etc/mwsup.d ]'
for f in /usr/share/man/man8/mwsupd.8.gz /usr/share/man/man8/mwsupctl.8.gz \
    /usr/share/man/man5/mwsup.conf.5.gz /etc/mwsup.conf \
    /lib/systemd/system/mwsupd.service \
    /usr/share/bash-completion/completions/mwsupctl \
    /usr/share/doc/mwsup/copyright \
    /usr/share/doc/mwsup/examples/nginx.conf \
    /usr/share/doc/mwsup/examples/demo.conf \
    /usr/share/doc/mwsup/examples/Dockerfile; do
	check "$f is installed" has_file "$f"
done
check "man mwsup.conf(5) formats" \
    eval 'man -l /usr/share/man/man5/mwsup.conf.5.gz >/dev/null 2>&1'
n=$(grep -c '^/etc/init.d/' <<<"$files")
check "exactly one init script (/etc/init.d/mwsupd), saw $n" test "$n" -eq 1
conffiles=$(dpkg-query -W -f='${Conffiles}' mwsup)
say "  conffiles:$(tr '\n' ' ' <<<"$conffiles")"
check "/etc/mwsup.conf is a conffile" grep -q '^ /etc/mwsup.conf ' <<<"$conffiles"
check "/etc/init.d/mwsupd is a conffile" grep -q '^ /etc/init.d/mwsupd ' <<<"$conffiles"
check "no missing shared library" \
    eval '! ldd /usr/sbin/mwsupd /usr/bin/mwsupctl | grep -q "not found"'
check "mwsupd -V names version $version" \
    eval '/usr/sbin/mwsupd -V 2>&1 | grep -qF "$version"'

# Installed, not started, not enabled (debian/rules).
mwsupd_pids() {
	local f p
	for f in /proc/[0-9]*/comm; do
		[ "$(cat "$f" 2>/dev/null)" = mwsupd ] || continue
		p=${f#/proc/}
		p=${p%/comm}
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null |
		    grep -q -- '-c /etc/mwsup.conf' && echo "$p"
	done
	return 0
}
check "no mwsupd on /etc/mwsup.conf runs after the install" \
    test -z "$(mwsupd_pids)"
check "the init script is registered, disabled (K links only)" \
    eval 'ls /etc/rc2.d/K*mwsupd >/dev/null 2>&1 && ! ls /etc/rc2.d/S*mwsupd >/dev/null 2>&1'
check "the unit is not enabled" \
    test ! -e /etc/systemd/system/multi-user.target.wants/mwsupd.service

section "mwsupd -t -c /etc/mwsup.conf"
/usr/sbin/mwsupd -t -c /etc/mwsup.conf >"$W/t.out" 2>&1
rc=$?
check "mwsupd -t -c /etc/mwsup.conf exits 0" test "$rc" -eq 0
[ "$rc" -eq 0 ] || cat "$W/t.out"
printed=$(/usr/sbin/mwsupd -t -v -c /etc/mwsup.conf 2>&1)
check "/etc/mwsup.conf: pidfile /run/mwsupd.pid (as the unit's PIDFile=)" \
    grep -qx 'pidfile = "/run/mwsupd.pid"' <<<"$printed"
check "/etc/mwsup.conf: socket /run/mwsup.sock" \
    grep -qx 'socket = "/run/mwsup.sock"' <<<"$printed"
check "/etc/mwsup.conf: log_target syslog" \
    grep -qx 'log_target = syslog' <<<"$printed"
check "/etc/mwsup.conf runs no program (no program section)" \
    eval '! grep -q "^program " <<<"$printed"'
check "/etc/mwsup.conf reads /etc/mwsup.d" \
    grep -qx 'include_dir = "/etc/mwsup.d"' /etc/mwsup.conf

# ---------------------------------------------------------------- init
section "init script end to end (tests/integration/init.sh)"
# lib.sh wants the test helpers: build them in the package's build tree
# (debian/rules builds in debian/build).
bld=$src/debian/build
if make -C "$bld" check TESTS= >"$W/helpers.log" 2>&1; then
	env INIT_TEST_REAL=1 MWSUPD=/usr/sbin/mwsupd MWSUPCTL=/usr/bin/mwsupctl \
	    HELPERS="$bld/tests/helpers" top_srcdir="$src" top_builddir="$bld" \
	    bash "$src/tests/integration/init.sh" >"$W/init.log" 2>&1
	rc=$?
	sed 's/^/  init.sh: /' "$W/init.log"
	check "init.sh against the installed package (exit $rc)" test "$rc" -eq 0
else
	tail -n 20 "$W/helpers.log"
	fail "cannot build the test helpers"
fi
check "/etc/mwsup.conf unchanged after init.sh (dpkg --verify)" \
    eval '! dpkg --verify mwsup 2>&1 | grep -q " /etc/mwsup.conf$"'

# ---------------------------------------------------------------- purge
section "/etc/init.d/mwsupd start from a terminal"
# The script itself, not systemctl (where systemd runs, Debian's
# init-functions would redirect).  The terminal stays open 2 s after
# the script returns, for anything mwsupd would write to it.  A host
# without a syslog daemon gets mwsupd's start-up warning about it there
# (mwsupd(8)); a stand-in /dev/log, only for this check, tells the
# terminal's silence apart from that warning.
if [ ! -e /dev/log ]; then
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
sys.stdout.close()
while True:
    s.recv(65536)' >/dev/null 2>&1 &
	devlog_pid=$!
	for _ in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
fi
if command -v script >/dev/null 2>&1; then
	SYSTEMCTL_SKIP_REDIRECT=1 _SYSTEMCTL_SKIP_REDIRECT=1 \
	    script -qfec "/etc/init.d/mwsupd start; sleep 2" "$W/tty.raw" \
	    </dev/null >/dev/null 2>&1
	rc=$?
	tr -d '\r' <"$W/tty.raw" >"$W/tty.out"
	sed 's/^/  tty: /' "$W/tty.out"
	check "/etc/init.d/mwsupd start from a terminal (exit $rc)" test "$rc" -eq 0
	check "the terminal showed nothing but the script's line" \
	    eval '! grep -v -e "^Starting process supervisor: mwsupd" \
	        -e "^Script started on " -e "^Script done on " -e "^$" \
	        "$W/tty.out" >/dev/null'
else
	say "note: no script(1): started without a terminal"
	/etc/init.d/mwsupd start >"$W/start.log" 2>&1
	check "/etc/init.d/mwsupd start" test $? -eq 0
fi
running=$(mwsupd_pids)
check "mwsupd runs ($running)" test -n "$running"
on_tty() {
	local fd t
	for fd in 0 1 2; do
		t=$(readlink "/proc/$1/fd/$fd" 2>/dev/null)
		case $t in /dev/pts/*|/dev/tty*|/dev/console) return 0 ;; esac
	done
	[ "$(sed 's/.*) //' "/proc/$1/stat" | awk '{ print $5 }')" != 0 ]
}
check "mwsupd holds no terminal (fds 0-2, controlling tty)" \
    eval '[ -n "$running" ] && ! on_tty "$running"'
check "mwsupctl without options finds it (pid)" \
    eval '[ "$(mwsupctl pid 2>/dev/null)" = "$running" ]'
check "the shipped configuration runs no program (mwsupctl avail)" \
    eval '[ "$(mwsupctl avail 2>&1)" = "no programs configured" ]'
# Its guard (mwsupd-guard, mwsupd(8)) is no supervised process.
supervised_kids() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		[ "$(cat /proc/"$c"/comm 2>/dev/null)" = mwsupd-guard ] ||
			echo "$c"
	done
}
check "mwsupd has no child process but its guard" \
    eval '[ -n "$running" ] && [ -z "$(supervised_kids "$running")" ]'

section "purge (with mwsupd running)"
apt-get purge -y -q "${LOCK_WAIT[@]}" mwsup >"$W/purge.log" 2>&1
rc=$?
check "apt-get purge -y mwsup (exit $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || tail -n 20 "$W/purge.log"
gone() {
	local p
	for p in "$@"; do
		[ -d "/proc/$p" ] && return 1
	done
	return 0
}
stopped() {
	local _
	for _ in $(seq 1 50); do
		gone $running && return 0
		sleep 0.1
	done
	return 1
}
# A policy-rc.d that denies `stop` (Docker images ship one denying
# everything) keeps invoke-rc.d, hence the prerm, from stopping it: then
# check that the prerm asked, and stop mwsupd here.
policy_denies_stop() {
	[ -x /usr/sbin/policy-rc.d ] || return 1
	/usr/sbin/policy-rc.d mwsupd stop >/dev/null 2>&1
	[ $? -eq 101 ]
}
if policy_denies_stop; then
	check "the prerm asked invoke-rc.d to stop mwsupd (denied by this machine's policy-rc.d)" \
	    grep -q 'policy-rc.d denied execution of stop' "$W/purge.log"
	# shellcheck disable=SC2086
	kill -TERM $running 2>/dev/null
	check "mwsupd ($running) stops on SIGTERM" stopped
else
	# shellcheck disable=SC2086
	check "the purge stopped mwsupd ($running)" stopped
fi
check "dpkg knows no mwsup any more" \
    test -z "$(dpkg-query -W -f='${Status}' mwsup 2>/dev/null)"
for f in /etc/mwsup.conf /etc/init.d/mwsupd /usr/sbin/mwsupd /usr/bin/mwsupctl \
    /lib/systemd/system/mwsupd.service /usr/share/man/man8/mwsupd.8.gz \
    /usr/share/doc/mwsup /run/mwsupd.pid /run/mwsup.sock; do
	check "$f is gone" test ! -e "$f"
done
check "no rc.d links left" eval '! ls /etc/rc?.d/*mwsupd >/dev/null 2>&1'

if [ "$FAIL" -gt 0 ]; then
	say "--- logs kept in $W"
	KEEP_BUILD=1
fi
finish
