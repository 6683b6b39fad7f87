#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# real.sh — real programs under mwsupd: Debian's redis-server and nginx.
#
# redis: answers PING; after SIGKILL it is back within a second with a new
# pid and answers PING again; after `mwsupctl stop` no redis-server on its
# port is left.  nginx (master and 2 workers, stopsignal QUIT, killmode
# group): serves a page written here; after `mwsupctl stop` the master and
# both workers are gone, nginx logged the graceful (QUIT) shutdown, and no
# process mentions this test's nginx.conf.
#
# Both listen on 127.0.0.1 only, on free ports in 20000-29999, and keep
# every file in $T.  Skipped (77) when redis-server or nginx is missing:
# tests install nothing; `scripts/deps --test` (run by ./scripts/test)
# installs them.
. "$(dirname "$0")/lib.sh"

# ---------------------------------------------------------------- packages
REDIS=/usr/bin/redis-server
REDIS_CLI=/usr/bin/redis-cli
NGINX=/usr/sbin/nginx
missing=()
[ -x "$REDIS" ] && [ -x "$REDIS_CLI" ] || missing+=(redis-server)
[ -x "$NGINX" ] || missing+=(nginx)
[ ${#missing[@]} -eq 0 ] ||
	skip "${missing[*]} not installed (scripts/deps --test installs them)"

require_engine

# ---------------------------------------------------------------- helpers

# port_free PORT: nothing listens on PORT (TCP, IPv4 or IPv6).
port_free() {
	local hex
	hex=$(printf '%04X' "$1")
	! awk -v h="$hex" '$4 == "0A" && $2 ~ (":" h "$") { f = 1 }
	    END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
# free_port: a free port in 20000-29999 (not one already handed out).
USED_PORTS=" "
free_port() {
	local p _
	for _ in $(seq 1 200); do
		p=$((20000 + RANDOM % 10000))
		[[ $USED_PORTS == *" $p "* ]] && continue
		if port_free "$p"; then
			USED_PORTS="$USED_PORTS$p "
			echo "$p"
			return 0
		fi
	done
	return 1
}
# pids_matching TEXT...: pids whose command line contains every TEXT.
pids_matching() {
	local f p cmd t hit
	for f in /proc/[0-9]*/cmdline; do
		p=${f#/proc/}
		p=${p%/cmdline}
		[ "$p" = "$$" ] || [ "$p" = "$BASHPID" ] && continue
		cmd=$({ tr '\0' ' ' <"$f"; } 2>/dev/null) || continue
		hit=1
		for t in "$@"; do
			[[ $cmd == *"$t"* ]] || { hit=; break; }
		done
		[ -n "$hit" ] && pid_alive "$p" && echo "$p"
	done
	return 0
}
none_matching() { [ -z "$(pids_matching "$@")" ]; }

# nginx clears its workers' environment, so teardown cannot find them by
# MWSUP_TESTDIR: kill what is left of the nginx and redis processes seen
# here (still those: checked by command line), and any nginx or
# redis-server whose command line mentions $T.
SEEN_PIDS=()
kill_leftovers() {
	local p pids=() cmd
	for p in "${SEEN_PIDS[@]}"; do
		cmd=$({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null)
		[[ $cmd == nginx:* || $cmd == *redis-server* ]] && pids+=("$p")
	done
	# shellcheck disable=SC2207
	pids+=($(pids_matching "$T/" nginx) $(pids_matching "$T/" redis-server))
	[ ${#pids[@]} -gt 0 ] && kill -KILL "${pids[@]}" 2>/dev/null
	return 0
}
real_teardown() {
	kill_leftovers
	teardown
}
trap real_teardown EXIT

RPORT=$(free_port) || hard_error "no free port for redis"
NPORT=$(free_port) || hard_error "no free port for nginx"
mkdir -p "$T/redis" "$T/nginx/www"

# ---------------------------------------------------------------- nginx.conf
PAGE="mwsup real.sh page $$ $RANDOM"
printf '<html><body>%s</body></html>\n' "$PAGE" >"$T/nginx/www/index.html"
NCONF=$T/nginx/nginx.conf
cat >"$NCONF" <<EOF
# nginx for tests/integration/real.sh: loopback only, files in $T/nginx.
worker_processes 2;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log notice;
events {
    worker_connections 64;
}
http {
    access_log $T/nginx/access.log;
    default_type text/html;
    server {
        listen 127.0.0.1:$NPORT;
        root $T/nginx/www;
        index index.html;
    }
}
EOF
"$NGINX" -t -q -c "$NCONF" -e "$T/nginx/error.log" >"$T/nginx/t.out" 2>&1 ||
	hard_error "nginx -t rejects the test's nginx.conf: $(cat "$T/nginx/t.out")"

write_conf <<EOF
program redis {
    command = "$REDIS --port $RPORT --bind 127.0.0.1 --daemonize no --save '' --appendonly no --dir $T/redis"
    startsecs = 1
    autorestart = true
    stopwaitsecs = 10
    killmode = process
}
program nginx {
    command = "$NGINX -c $NCONF -e $T/nginx/error.log -g 'daemon off;'"
    startsecs = 1
    autorestart = true
    stopsignal = QUIT
    killmode = group
    stopwaitsecs = 10
}
EOF

start_mwsupd

# ---------------------------------------------------------------- redis
section "redis-server on 127.0.0.1:$RPORT"
ping() { "$REDIS_CLI" -h 127.0.0.1 -p "$RPORT" ping 2>/dev/null; }
pong() { [ "$(ping)" = PONG ]; }

wait_state redis:0 RUNNING 5
rpid=$(proc_pid redis:0)
SEEN_PIDS+=("$rpid")
retry 5 pong
expect_eq "redis-cli ping" PONG "$(ping)"
check "redis:0's pid ($rpid) is a redis-server" \
    grep -q redis-server "/proc/$rpid/cmdline"

section "redis after SIGKILL"
new_redis_pid() {
	local p
	p=$(proc_pid redis:0)
	[ -n "$p" ] && [ "$p" != "$rpid" ] && pid_alive "$p"
}
t0=$(now_ms)
kill -KILL "$rpid"
if retry 1 new_redis_pid; then
	ok "redis:0 has a new pid $(proc_pid redis:0) after $(ms_fmt $(($(now_ms) - t0)))"
else
	fail "no new redis pid within 1 s: $(status_line redis:0)"
fi
check "the killed redis ($rpid) is gone" pid_gone "$rpid"
rpid2=$(proc_pid redis:0)
SEEN_PIDS+=("$rpid2")
retry 5 pong
expect_eq "redis-cli ping after the restart" PONG "$(ping)"
wait_state redis:0 RUNNING 5

section "mwsupctl stop redis"
ctl stop redis >"$T/stop-redis.out" 2>&1
expect_eq "exit status of mwsupctl stop redis" 0 "$?"
expect_eq "state of redis:0" STOPPED "$(proc_state redis:0)"
check "redis-server $rpid2 is gone" pid_gone "$rpid2"
check "no redis-server on port $RPORT is left" \
    retry 2 none_matching redis-server ":$RPORT"
check "nothing listens on port $RPORT" retry 2 port_free "$RPORT"
check "no answer to ping" test "$(ping)" != PONG

# ---------------------------------------------------------------- nginx
section "nginx on 127.0.0.1:$NPORT (master and 2 workers)"
fetch() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsS --max-time 5 "http://127.0.0.1:$NPORT/" 2>/dev/null
	else
		python3 -c 'import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(), end="")' \
		    "http://127.0.0.1:$NPORT/" 2>/dev/null
	fi
}
serves() { fetch | grep -qF "$PAGE"; }

wait_state nginx:0 RUNNING 5
master=$(proc_pid nginx:0)
check "nginx:0's pid ($master) is the nginx master" \
    retry 2 grep -q "nginx: master process" "/proc/$master/cmdline"
workers_are_2() { [ "$(live_children_of "$master" | wc -l)" -eq 2 ]; }
check "the master has 2 worker children" retry 5 workers_are_2
workers=$(live_children_of "$master" | tr '\n' ' ')
# shellcheck disable=SC2206
SEEN_PIDS+=("$master" $workers)
for w in $workers; do
	check "child $w is a worker process" \
	    grep -q "nginx: worker process" "/proc/$w/cmdline"
done
check "GET / on 127.0.0.1:$NPORT returns the page" retry 5 serves

section "mwsupctl stop nginx (QUIT, killmode group)"
t0=$(now_ms)
ctl stop nginx >"$T/stop-nginx.out" 2>&1
expect_eq "exit status of mwsupctl stop nginx" 0 "$?"
say "stop took $(ms_fmt $(($(now_ms) - t0)))"
expect_eq "state of nginx:0" STOPPED "$(proc_state nginx:0)"
check "the master ($master) is gone" pid_gone "$master"
# shellcheck disable=SC2086
check "both workers ($workers) are gone" retry 2 all_gone $workers
check "no process mentions $NCONF" retry 2 none_matching "$NCONF"
check "no nginx process of this test is left" \
    retry 2 none_matching nginx "$T"
check "nginx logged a graceful shutdown (SIGQUIT)" \
    grep -q "signal 3 (SIGQUIT) received" "$T/nginx/error.log"
check "nothing listens on port $NPORT" retry 2 port_free "$NPORT"

stop_mwsupd
expect_eq "mwsupd exit status after SIGTERM" 0 "$MWSUPD_RC"

finish
