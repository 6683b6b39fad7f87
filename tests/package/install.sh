#!/bin/sh
# install.sh — `make install` of the build tree under a DESTDIR: every file
# lands below the configured prefix, and the installed configuration,
# systemd unit, init script and man pages name the paths configure chose
# (not Debian's /usr/sbin, /etc, /run, unless those were chosen); then
# `make uninstall` leaves no file behind.
#
# Environment (from Makefile.am): top_builddir, MWSUPD.  Exit 0 when all
# pass, 1 when one fails, 99 when the test cannot be set up.
LC_ALL=C
export LC_ALL
: "${top_builddir:?top_builddir must name the build tree}"
: "${MWSUPD:?MWSUPD must name the mwsupd binary}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mwsup-install.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
D=$tmp/root
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok: $1"; }
not_ok() { fail=$((fail + 1)); echo "FAIL: $1"; }
# check MSG CMD...
check() {
	msg=$1
	shift
	if "$@"; then ok "$msg"; else not_ok "$msg"; fi
}

# The configured directories, as make expands them.
cat >"$tmp/print.mk" <<'EOF'
print-dirs:
	@echo "prefix='$(prefix)' sbindir='$(sbindir)' bindir='$(bindir)'"
	@echo "sysconfdir='$(sysconfdir)' runstatedir='$(runstatedir)'"
	@echo "mandir='$(mandir)' unitdir='$(systemdsystemunitdir)'"
EOF
dirs=$(make --no-print-directory -s -C "$top_builddir" -f Makefile \
    -f "$tmp/print.mk" print-dirs) || exit 99
eval "$dirs"
echo "prefix $prefix, sbindir $sbindir, sysconfdir $sysconfdir," \
    "runstatedir $runstatedir, unit dir ${unitdir:-none}"

if ! make --no-print-directory -s -C "$top_builddir" install DESTDIR="$D" \
    >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	echo "FAIL: make install DESTDIR=$D"
	exit 1
fi
ok "make install DESTDIR=..."

# Every file and directory below the prefix.
outside=$(cd "$D" && find . -mindepth 1 \( -type f -o -type l \) |
    sed 's|^\.||' | while read -r f; do
	case $f in "$prefix"/*) ;; *) echo "$f" ;; esac
    done)
if [ -z "$outside" ]; then
	ok "every installed file is below $prefix"
else
	not_ok "installed outside $prefix: $outside"
fi

has() { grep -qF -- "$2" "$D$1"; }
check "the configuration's include_dir is $sysconfdir/mwsup.d" \
    has "$sysconfdir/mwsup.conf" "include_dir = \"$sysconfdir/mwsup.d\""
check "$sysconfdir/mwsup.d is created" test -d "$D$sysconfdir/mwsup.d"
check "the configuration's socket is in $runstatedir" \
    has "$sysconfdir/mwsup.conf" "socket  = \"$runstatedir/mwsup.sock\""
# The installed configuration loads (its include_dir moved into DESTDIR).
sed "s|^include_dir = .*|include_dir = \"$D$sysconfdir/mwsup.d\"|" \
    "$D$sysconfdir/mwsup.conf" >"$tmp/check.conf"
check "the installed configuration passes mwsupd -t" \
    "$MWSUPD" -t -c "$tmp/check.conf"

init=$sysconfdir/init.d/mwsupd
check "init script: DAEMON=$sbindir/mwsupd" has "$init" "DAEMON=$sbindir/mwsupd"
check "init script: CTL=$bindir/mwsupctl" has "$init" "CTL=$bindir/mwsupctl"
check "init script: CONFIG=$sysconfdir/mwsup.conf" \
    has "$init" "CONFIG=$sysconfdir/mwsup.conf"
check "init script: default pidfile in $runstatedir" \
    has "$init" "PIDFILE=$runstatedir/mwsupd.pid"
check "init script is executable" test -x "$D$init"

if [ -n "$unitdir" ]; then
	unit=$unitdir/mwsupd.service
	check "the unit is installed in $unitdir" test -f "$D$unit"
	check "unit: ExecStart=$sbindir/mwsupd -c $sysconfdir/mwsup.conf" \
	    has "$unit" "ExecStart=$sbindir/mwsupd -c $sysconfdir/mwsup.conf"
	check "unit: ExecReload uses $bindir/mwsupctl" \
	    has "$unit" "ExecReload=$bindir/mwsupctl -c $sysconfdir/mwsup.conf reload"
	check "unit: PIDFile=$runstatedir/mwsupd.pid" \
	    has "$unit" "PIDFile=$runstatedir/mwsupd.pid"
fi

check "mwsupd(8) names $sysconfdir/mwsup.conf" \
    has "$mandir/man8/mwsupd.8" "$sysconfdir/mwsup.conf"
check "mwsupctl(8) names $runstatedir/mwsup.sock" \
    has "$mandir/man8/mwsupctl.8" "$runstatedir/mwsup.sock"
check "mwsup.conf(5) names $runstatedir/mwsupd.pid" \
    has "$mandir/man5/mwsup.conf.5" "$runstatedir/mwsupd.pid"

if make --no-print-directory -s -C "$top_builddir" uninstall DESTDIR="$D" \
    >"$tmp/uninstall.log" 2>&1; then
	left=$(cd "$D" && find . \( -type f -o -type l \))
	if [ -z "$left" ]; then
		ok "make uninstall leaves no file"
	else
		not_ok "make uninstall leaves: $left"
	fi
else
	cat "$tmp/uninstall.log"
	not_ok "make uninstall DESTDIR=..."
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
