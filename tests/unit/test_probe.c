/*
 * test_probe.c — probes (mwsupd/probe.c) run by the real event loop
 * (loop.c, timer.c) against real sockets: listeners on 127.0.0.1, [::1]
 * and UNIX paths, blackholes (listeners whose queue is full), and small
 * HTTP servers in forked children answering 200, 302, 503, garbage, a
 * 1 MiB reply, in pieces, nothing, or closing at once.  Every test checks
 * that no descriptor, timer or probe is left behind.  test_cost measures
 * the CPU time of a probe (PROBE_BENCH_N sets how many, default 1000).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "probe.h"
#include "probe_spec.h"
#include "timer.h"

#define UNUSED	__attribute__((unused))	/* cmocka's state argument */

#define GUARD_MS	10000	/* no test waits longer for a result */

/* ---------------------------------------------------------------- loop */

static struct probe_result	 got;
static unsigned			 ncalls;
static bool			 stop_on_result = true;

static void
on_done(const struct probe_result *r, void *arg)
{
	(void)arg;
	got = *r;
	ncalls++;
	if (stop_on_result)
		loop_exit(0);
}

static void
on_guard(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	loop_exit(1);
}

/* Run the loop for MS milliseconds, or until something calls loop_exit();
   returns 1 when the time ran out. */
static int
run_loop(uint64_t ms)
{
	struct timer guard;
	int rc;

	timer_init(&guard, on_guard, NULL);
	assert_int_equal(timer_set(&guard, now_ms() + ms), 0);
	rc = loop_run();
	timer_cancel(&guard);
	return rc;
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int	fds_before;
static char	made[8][108];	/* UNIX socket paths to remove */
static int	nmade;

static int
setup(void **state UNUSED)
{
	fds_before = count_fds();
	ncalls = 0;
	stop_on_result = true;
	memset(&got, 0, sizeof(got));
	return 0;
}

/* Nothing is left behind: descriptors, timers, probes. */
static int
teardown(void **state UNUSED)
{
	/* Remove the test's socket files, even when it failed midway. */
	while (nmade > 0)
		unlink(made[--nmade]);
	/* Let deferred frees happen. */
	run_loop(0);
	assert_int_equal(count_fds(), fds_before);
	assert_int_equal(timer_count(), 0);
	assert_int_equal(probe_count(), 0);
	return 0;
}

/* Probe S (must parse) with TIMEOUT_S and wait for the result in `got`. */
static void
probe(const char *s, unsigned timeout_s)
{
	struct probe_spec spec;
	struct probe *p = NULL;
	char err[256];

	if (probe_spec_parse(s, &spec, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	ncalls = 0;
	assert_int_equal(probe_start(&p, &spec, timeout_s, on_done, NULL), 0);
	probe_spec_free(&spec);
	assert_non_null(p);
	if (run_loop(GUARD_MS) != 0)
		fail_msg("%s: no result after %d ms", s, GUARD_MS);
	assert_int_equal(ncalls, 1);
	assert_null(p);
}

/* Probe S and expect OK and REASON. */
static void
expect(const char *s, unsigned timeout_s, bool ok, const char *reason)
{
	probe(s, timeout_s);
	if (got.ok != ok || strcmp(got.reason, reason) != 0)
		fail_msg("%s: got %s \"%s\", expected %s \"%s\"", s,
		    got.ok ? "ok" : "failure", got.reason,
		    ok ? "ok" : "failure", reason);
}

/* ------------------------------------------------------------ sockets */

/* A TCP socket bound to the loopback address of FAMILY, port 0 unless
   PORT; -1 when FAMILY is not available. */
static int
tcp_bound(int family, int port, int *bound_port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin->sin_port = htons((uint16_t)port);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		sin6->sin6_port = htons((uint16_t)port);
		len = sizeof(*sin6);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*bound_port = ntohs(family == AF_INET ?
	    ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static int
tcp_listener(int family, int backlog, int *port)
{
	int fd = tcp_bound(family, 0, port);

	if (fd != -1)
		assert_int_equal(listen(fd, backlog), 0);
	return fd;
}

/* A UNIX listener at a fresh path in PATH (sizeof sun_path). */
static int
unix_listener(char *path, int backlog)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	static unsigned n;
	int fd;

	snprintf(path, sizeof(sun.sun_path), "/tmp/test_probe.%d.%u.sock",
	    (int)getpid(), n++);
	unlink(path);
	strcpy(sun.sun_path, path);
	if (nmade < 8)
		strcpy(made[nmade++], path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_not_equal(fd, -1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, backlog), 0);
	return fd;
}

/*
 * Fill the accept queue of the backlog-0 TCP listener on PORT: connect
 * until a connection no longer completes, so the kernel drops further
 * SYNs.  The fillers go to FILLERS (up to 8); returns how many.
 */
static int
fill_tcp_queue(int port, int *fillers)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int n;

	for (n = 0; n < 8; n++) {
		struct pollfd pfd;
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
		assert_int_not_equal(fd, -1);
		fillers[n] = fd;
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			continue;
		assert_int_equal(errno, EINPROGRESS);
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 200) == 0)
			return n + 1;	/* this one hangs: the queue is full */
	}
	fail_msg("could not fill the accept queue of port %d", port);
	return n;
}

/* ------------------------------------------------------- HTTP servers */

enum reply {
	REPLY_200,
	REPLY_302,
	REPLY_503,
	REPLY_GARBAGE,
	REPLY_BIG,		/* 200 and 1 MiB of body */
	REPLY_PIECES,		/* "HTTP/1.1 2", a pause, "00 OK" */
	REPLY_NOTHING,		/* reads the request, answers nothing */
	REPLY_CLOSE,		/* reads the request, closes */
	REPLY_CLOSE_AT_ONCE,	/* closes before reading anything */
};

struct server {
	pid_t	pid;
	int	port;
	int	reqfd;		/* the request the server read, then EOF */
};

static void
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void
write_str(int fd, const char *s)
{
	write_all(fd, s, strlen(s));
}

/* The forked server: one connection (COUNT connections for the bench). */
static void __attribute__((noreturn))
serve(int listener, enum reply reply, int reqfd, long count)
{
	char req[4096];
	size_t len = 0;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	for (long i = 0; i < count; i++) {
		fd = accept(listener, NULL, NULL);
		if (fd == -1)
			_exit(1);
		if (reply == REPLY_CLOSE_AT_ONCE) {
			close(fd);
			continue;
		}
		len = 0;
		while (len < sizeof(req) &&
		    (len < 4 || memcmp(req + len - 4, "\r\n\r\n", 4) != 0)) {
			ssize_t n = read(fd, req + len, sizeof(req) - len);
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		if (reqfd != -1) {
			write_all(reqfd, req, len);
			close(reqfd);
			reqfd = -1;
		}
		switch (reply) {
		case REPLY_200:
			write_str(fd, "HTTP/1.1 200 OK\r\nContent-Length: 3"
			    "\r\n\r\nok\n");
			break;
		case REPLY_302:
			write_str(fd, "HTTP/1.0 302 Found\r\nLocation: /x\r\n"
			    "\r\n");
			break;
		case REPLY_503:
			write_str(fd, "HTTP/1.1 503 Service Unavailable\r\n"
			    "\r\n");
			break;
		case REPLY_GARBAGE:
			write_str(fd, "SSH-2.0-OpenSSH_9.2p1\r\n");
			break;
		case REPLY_BIG: {
			static char body[1 << 20];
			memset(body, 'x', sizeof(body));
			write_str(fd, "HTTP/1.1 200 OK\r\n\r\n");
			write_all(fd, body, sizeof(body));
			break;
		}
		case REPLY_PIECES:
			write_str(fd, "HTTP/1.1 2");
			usleep(50000);
			write_str(fd, "00 OK\r\n\r\n");
			break;
		case REPLY_NOTHING:
			pause();
			break;
		case REPLY_CLOSE:
		case REPLY_CLOSE_AT_ONCE:
			break;
		}
		close(fd);
	}
	_exit(0);
}

/* Start a server on the loopback address of FAMILY; false if none. */
static bool
server_start(struct server *s, int family, enum reply reply, long count)
{
	int listener, pipefd[2];

	listener = tcp_listener(family, SOMAXCONN, &s->port);
	if (listener == -1)
		return false;
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	s->pid = fork();
	assert_int_not_equal(s->pid, -1);
	if (s->pid == 0) {
		close(pipefd[0]);
		serve(listener, reply, pipefd[1], count);
	}
	close(listener);
	close(pipefd[1]);
	s->reqfd = pipefd[0];
	return true;
}

/* What the server read (at most SIZE - 1 bytes), once it has it all. */
static const char *
server_request(struct server *s, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1 &&
	    (n = read(s->reqfd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return buf;
}

static void
server_stop(struct server *s)
{
	kill(s->pid, SIGKILL);
	assert_int_equal(waitpid(s->pid, NULL, 0), s->pid);
	close(s->reqfd);
}

/* -------------------------------------------------------------- tests */

static void
test_tcp_connected(void **state UNUSED)
{
	char s[64];
	int port, fd = tcp_listener(AF_INET, 16, &port);

	snprintf(s, sizeof(s), "tcp:127.0.0.1:%d", port);
	expect(s, 5, true, "connected");
	assert_int_equal(got.http_status, 0);
	assert_true(got.elapsed_ms < 2500);
	/* localhost: 127.0.0.1 first. */
	snprintf(s, sizeof(s), "tcp:localhost:%d", port);
	expect(s, 5, true, "connected");
	close(fd);
}

static void
test_tcp_refused(void **state UNUSED)
{
	char s[64];
	/* Bound, not listening: the port is ours and closed. */
	int port, fd = tcp_bound(AF_INET, 0, &port);

	snprintf(s, sizeof(s), "tcp:127.0.0.1:%d", port);
	expect(s, 5, false, "connection refused");
	/* localhost tries ::1 too, and reports what 127.0.0.1 said. */
	snprintf(s, sizeof(s), "tcp:localhost:%d", port);
	expect(s, 5, false, "connection refused");
	snprintf(s, sizeof(s), "http://127.0.0.1:%d/", port);
	expect(s, 5, false, "connection refused");
	close(fd);
}

static void
test_tcp_timeout(void **state UNUSED)
{
	char s[64];
	int fillers[8], nfill, port, fd = tcp_listener(AF_INET, 0, &port);
	uint64_t t0;

	nfill = fill_tcp_queue(port, fillers);
	snprintf(s, sizeof(s), "tcp:127.0.0.1:%d", port);
	t0 = now_ms();
	expect(s, 1, false, "timeout after 1 s");
	/* On time (with room for a loaded machine). */
	assert_true(got.elapsed_ms >= 1000);
	assert_true(now_ms() - t0 < 2500);
	for (int i = 0; i < nfill; i++)
		close(fillers[i]);
	close(fd);
}

static void
test_unix(void **state UNUSED)
{
	char path[108], s[128];
	int fd = unix_listener(path, 16);

	snprintf(s, sizeof(s), "unix:%s", path);
	expect(s, 5, true, "connected");
	close(fd);
	/* The file is still there; nobody listens. */
	expect(s, 5, false, "connection refused");
	unlink(path);
	expect(s, 5, false, "no such socket");
	expect("unix:/nonexistent-dir/x.sock", 5, false, "no such socket");
	expect("unix:/etc/passwd/x.sock", 5, false, "no such directory");
}

static void
test_unix_timeout(void **state UNUSED)
{
	char path[108], s[128];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int filler, fd = unix_listener(path, 0);

	/* Backlog 0 holds one connection; the probe finds the queue full
	   and keeps trying until its deadline. */
	strcpy(sun.sun_path, path);
	filler = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(filler, (struct sockaddr *)&sun,
	    sizeof(sun)), 0);
	snprintf(s, sizeof(s), "unix:%s", path);
	expect(s, 1, false, "timeout after 1 s");
	assert_true(got.elapsed_ms >= 1000 && got.elapsed_ms < 2500);

	/* Room again: the same probe connects. */
	close(filler);
	close(accept(fd, NULL, NULL));
	expect(s, 1, true, "connected");
	close(fd);
	unlink(path);
}

/* Probe an HTTP server answering REPLY; expect OK and REASON. */
static void
http_case(enum reply reply, const char *path, bool ok, const char *reason)
{
	struct server srv;
	char s[128], req[4096], want[256];

	assert_true(server_start(&srv, AF_INET, reply, 1));
	snprintf(s, sizeof(s), "http://127.0.0.1:%d%s", srv.port, path);
	expect(s, 5, ok, reason);
	if (reply != REPLY_CLOSE_AT_ONCE) {
		snprintf(want, sizeof(want), "GET %s HTTP/1.0\r\nHost: "
		    "127.0.0.1:%d\r\n\r\n", *path ? path : "/", srv.port);
		assert_string_equal(server_request(&srv, req, sizeof(req)),
		    want);
	}
	server_stop(&srv);
}

static void
test_http_replies(void **state UNUSED)
{
	http_case(REPLY_200, "/health", true, "HTTP 200");
	assert_int_equal(got.http_status, 200);
	http_case(REPLY_302, "", true, "HTTP 302");
	assert_int_equal(got.http_status, 302);
	http_case(REPLY_503, "/status?full=1", false, "HTTP 503");
	assert_int_equal(got.http_status, 503);
	http_case(REPLY_GARBAGE, "/", false, "no status line");
	assert_int_equal(got.http_status, 0);
	http_case(REPLY_PIECES, "/", true, "HTTP 200");
	http_case(REPLY_CLOSE, "/", false, "closed without a reply");
	assert_int_equal(got.bytes_read, 0);
}

static void
test_http_big_reply(void **state UNUSED)
{
	http_case(REPLY_BIG, "/", true, "HTTP 200");
	/* The verdict came from the first read; never more than 4 KiB. */
	assert_true(got.bytes_read > 0);
	assert_true(got.bytes_read <= PROBE_HTTP_READ_MAX);
	assert_true(got.elapsed_ms < 2500);
}

static void
test_http_close_at_once(void **state UNUSED)
{
	struct server srv;
	char s[128];

	assert_true(server_start(&srv, AF_INET, REPLY_CLOSE_AT_ONCE, 1));
	snprintf(s, sizeof(s), "http://127.0.0.1:%d/", srv.port);
	probe(s, 5);
	assert_false(got.ok);
	/* Whether the request got out before the close was seen is a race. */
	if (strcmp(got.reason, "closed without a reply") != 0 &&
	    strcmp(got.reason, "connection reset") != 0 &&
	    strcmp(got.reason, "closed before the request was sent") != 0)
		fail_msg("unexpected reason \"%s\"", got.reason);
	server_stop(&srv);
}

static void
test_http_timeout(void **state UNUSED)
{
	struct server srv;
	char s[128], req[4096];

	assert_true(server_start(&srv, AF_INET, REPLY_NOTHING, 1));
	snprintf(s, sizeof(s), "http://127.0.0.1:%d/", srv.port);
	expect(s, 1, false, "timeout after 1 s");
	assert_true(got.elapsed_ms >= 1000 && got.elapsed_ms < 2500);
	assert_non_null(strstr(server_request(&srv, req, sizeof(req)),
	    "GET / HTTP/1.0\r\n"));
	server_stop(&srv);
}

static void
test_ipv6(void **state UNUSED)
{
	struct server srv;
	char s[128], req[4096], want[128];
	int port, fd = tcp_listener(AF_INET6, 16, &port);

	if (fd == -1)
		skip();
	snprintf(s, sizeof(s), "tcp:[::1]:%d", port);
	expect(s, 5, true, "connected");
	close(fd);
	expect(s, 5, false, "connection refused");

	assert_true(server_start(&srv, AF_INET6, REPLY_200, 1));
	snprintf(s, sizeof(s), "http://[::1]:%d/v6", srv.port);
	expect(s, 5, true, "HTTP 200");
	snprintf(want, sizeof(want), "GET /v6 HTTP/1.0\r\nHost: [::1]:%d\r\n"
	    "\r\n", srv.port);
	assert_string_equal(server_request(&srv, req, sizeof(req)), want);
	server_stop(&srv);
}

/* A server listening on ::1 only is found by localhost. */
static void
test_localhost_ipv6_only(void **state UNUSED)
{
	char s[64];
	int port, v4, fd = tcp_listener(AF_INET6, 16, &port);

	if (fd == -1)
		skip();
	/* 127.0.0.1 on the same port must be closed: hold it, bound. */
	v4 = tcp_bound(AF_INET, port, &(int){ 0 });
	if (v4 == -1) {
		close(fd);
		skip();
	}
	snprintf(s, sizeof(s), "tcp:localhost:%d", port);
	expect(s, 5, true, "connected");
	close(fd);
	close(v4);
}

static void
test_result_is_never_synchronous(void **state UNUSED)
{
	struct probe_spec spec;
	struct probe *p = NULL;
	char err[256];

	/* Known at once (no such file), yet reported from the loop. */
	assert_int_equal(probe_spec_parse("unix:/nonexistent/x", &spec, err,
	    sizeof(err)), 0);
	assert_int_equal(probe_start(&p, &spec, 5, on_done, NULL), 0);
	assert_non_null(p);
	assert_int_equal(ncalls, 0);
	assert_int_equal(run_loop(GUARD_MS), 0);
	assert_int_equal(ncalls, 1);
	assert_null(p);
	assert_string_equal(got.reason, "no such socket");

	/* Cancelled before the loop ran: never reported. */
	assert_int_equal(probe_start(&p, &spec, 5, on_done, NULL), 0);
	probe_cancel(&p);
	assert_null(p);
	assert_int_equal(run_loop(100), 1);
	assert_int_equal(ncalls, 1);
	probe_spec_free(&spec);
}

static void
test_bad_arguments(void **state UNUSED)
{
	struct probe_spec spec;
	struct probe *p = NULL, *busy = (struct probe *)&spec;
	char err[256];

	assert_int_equal(probe_spec_parse("tcp:127.0.0.1:1", &spec, err,
	    sizeof(err)), 0);
	errno = 0;
	assert_int_equal(probe_start(&p, &spec, 0, on_done, NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_null(p);
	/* A slot in use is not overwritten. */
	assert_int_equal(probe_start(&busy, &spec, 1, on_done, NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_ptr_equal(busy, &spec);
	probe_spec_free(&spec);
	/* Cancelling an empty slot is harmless. */
	probe_cancel(&p);
}

static void
test_cancel_in_flight(void **state UNUSED)
{
	struct probe_spec blackhole, silent, queued;
	struct probe *p1 = NULL, *p2 = NULL, *p3 = NULL;
	struct server srv;
	char s[128], path[108], err[256];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fillers[8], nfill, port, ufiller, ufd, fd;

	fd = tcp_listener(AF_INET, 0, &port);
	nfill = fill_tcp_queue(port, fillers);
	snprintf(s, sizeof(s), "tcp:127.0.0.1:%d", port);
	assert_int_equal(probe_spec_parse(s, &blackhole, err, sizeof(err)), 0);
	assert_true(server_start(&srv, AF_INET, REPLY_NOTHING, 1));
	snprintf(s, sizeof(s), "http://127.0.0.1:%d/", srv.port);
	assert_int_equal(probe_spec_parse(s, &silent, err, sizeof(err)), 0);
	ufd = unix_listener(path, 0);
	strcpy(sun.sun_path, path);
	ufiller = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(ufiller, (struct sockaddr *)&sun,
	    sizeof(sun)), 0);
	snprintf(s, sizeof(s), "unix:%s", path);
	assert_int_equal(probe_spec_parse(s, &queued, err, sizeof(err)), 0);

	/* In flight: connecting, waiting for a reply, retrying. */
	assert_int_equal(probe_start(&p1, &blackhole, 1, on_done, NULL), 0);
	assert_int_equal(probe_start(&p2, &silent, 1, on_done, NULL), 0);
	assert_int_equal(probe_start(&p3, &queued, 1, on_done, NULL), 0);
	assert_int_equal(probe_count(), 3);
	assert_int_equal(run_loop(300), 1);
	assert_int_equal(ncalls, 0);
	probe_cancel(&p1);
	probe_cancel(&p2);
	probe_cancel(&p3);
	assert_null(p1);
	assert_null(p2);
	assert_null(p3);
	probe_cancel(&p2);		/* twice: harmless */
	assert_int_equal(probe_count(), 0);
	assert_int_equal(timer_count(), 0);
	/* Past their deadlines: still no callback. */
	assert_int_equal(run_loop(1200), 1);
	assert_int_equal(ncalls, 0);

	probe_spec_free(&blackhole);
	probe_spec_free(&silent);
	probe_spec_free(&queued);
	server_stop(&srv);
	for (int i = 0; i < nfill; i++)
		close(fillers[i]);
	close(fd);
	close(ufiller);
	close(ufd);
	unlink(path);
}

/* Two probes finishing in one loop turn; the first result cancels the
   other, whose event may be pending in the same batch. */
static struct probe	*pair[2];
static unsigned		 pair_calls[2];
static struct timer	 pair_exit;

static void
on_pair_exit(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	loop_exit(0);
}

static void
on_pair_done(const struct probe_result *r, void *arg)
{
	int i = (int)(intptr_t)arg;

	(void)r;
	pair_calls[i]++;
	assert_null(pair[i]);
	probe_cancel(&pair[1 - i]);
	probe_cancel(&pair[1 - i]);
	/* Leave the loop after this batch, not in the middle of it. */
	assert_int_equal(timer_set(&pair_exit, now_ms()), 0);
}

static void
test_cancel_from_callback(void **state UNUSED)
{
	struct probe_spec spec;
	char s[64], err[256];
	int port, fd = tcp_listener(AF_INET, 64, &port);

	snprintf(s, sizeof(s), "tcp:127.0.0.1:%d", port);
	assert_int_equal(probe_spec_parse(s, &spec, err, sizeof(err)), 0);
	timer_init(&pair_exit, on_pair_exit, NULL);
	for (int round = 0; round < 50; round++) {
		pair_calls[0] = pair_calls[1] = 0;
		assert_int_equal(probe_start(&pair[0], &spec, 5, on_pair_done,
		    (void *)(intptr_t)0), 0);
		assert_int_equal(probe_start(&pair[1], &spec, 5, on_pair_done,
		    (void *)(intptr_t)1), 0);
		assert_int_equal(run_loop(GUARD_MS), 0);
		assert_int_equal(pair_calls[0] + pair_calls[1], 1);
		assert_null(pair[0]);
		assert_null(pair[1]);
		/* Drain the accept queue. */
		for (int i = 0; i < 2; i++) {
			int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK);
			if (c != -1)
				close(c);
		}
	}
	probe_spec_free(&spec);
	close(fd);
}

/* ------------------------------------------------------- exec: probes */

static struct probe	*exec_running;
static void		*exec_ctx;
static unsigned		 exec_starts, exec_cancels;
static bool		 exec_fail_start;

static int
fake_exec_start(struct probe *p, const struct probe_spec *spec, void *ctx,
    char *why, size_t whylen)
{
	assert_int_equal(spec->kind, PROBE_EXEC);
	exec_starts++;
	if (exec_fail_start) {
		snprintf(why, whylen, "no such file: %s", spec->command);
		return -1;
	}
	exec_running = p;
	exec_ctx = ctx;
	return 0;
}

static void
fake_exec_cancel(struct probe *p, void *ctx)
{
	assert_ptr_equal(p, exec_running);
	assert_ptr_equal(ctx, exec_ctx);
	exec_cancels++;
	exec_running = NULL;
}

static const struct probe_exec_ops fake_exec = {
	fake_exec_start, fake_exec_cancel,
};

static void
on_exec_exit(struct timer *t, void *arg)
{
	struct probe *p = exec_running;

	(void)t;
	exec_running = NULL;
	probe_exec_done(p, arg != NULL, arg != NULL ? "exit 0" :
	    "exit 1: database is down");
}

static void
test_exec_hook(void **state UNUSED)
{
	struct probe_spec spec;
	struct probe *p = NULL;
	struct timer exit_timer;
	char err[256];
	int owner;

	assert_int_equal(probe_spec_parse("exec:/bin/check db", &spec, err,
	    sizeof(err)), 0);
	/* No hook: an error, nothing started. */
	probe_set_exec(NULL);
	errno = 0;
	assert_int_equal(probe_start(&p, &spec, 5, on_done, &owner), -1);
	assert_int_equal(errno, ENOSYS);
	assert_null(p);
	assert_int_equal(probe_count(), 0);

	probe_set_exec(&fake_exec);
	exec_starts = exec_cancels = 0;

	/* The process exits 1. */
	timer_init(&exit_timer, on_exec_exit, NULL);
	assert_int_equal(probe_start(&p, &spec, 5, on_done, &owner), 0);
	assert_int_equal(exec_starts, 1);
	assert_ptr_equal(exec_ctx, &owner);
	assert_int_equal(timer_set(&exit_timer, now_ms() + 10), 0);
	assert_int_equal(run_loop(GUARD_MS), 0);
	assert_false(got.ok);
	assert_string_equal(got.reason, "exit 1: database is down");
	assert_null(p);
	assert_int_equal(exec_cancels, 0);

	/* The process exits 0. */
	timer_init(&exit_timer, on_exec_exit, &owner);
	assert_int_equal(probe_start(&p, &spec, 5, on_done, &owner), 0);
	assert_int_equal(timer_set(&exit_timer, now_ms() + 10), 0);
	assert_int_equal(run_loop(GUARD_MS), 0);
	assert_true(got.ok);
	assert_string_equal(got.reason, "exit 0");

	/* It hangs: the deadline kills it through the hook. */
	assert_int_equal(probe_start(&p, &spec, 1, on_done, &owner), 0);
	assert_int_equal(run_loop(GUARD_MS), 0);
	assert_false(got.ok);
	assert_string_equal(got.reason, "timeout after 1 s");
	assert_int_equal(exec_cancels, 1);
	assert_null(exec_running);

	/* Cancelled: the hook kills it, no callback. */
	ncalls = 0;
	assert_int_equal(probe_start(&p, &spec, 5, on_done, &owner), 0);
	probe_cancel(&p);
	assert_int_equal(exec_cancels, 2);
	assert_int_equal(run_loop(50), 1);
	assert_int_equal(ncalls, 0);

	/* It cannot start: the hook's reason, from the loop. */
	exec_fail_start = true;
	assert_int_equal(probe_start(&p, &spec, 5, on_done, &owner), 0);
	assert_int_equal(ncalls, 0);
	assert_int_equal(run_loop(GUARD_MS), 0);
	assert_string_equal(got.reason, "no such file: /bin/check db");
	assert_int_equal(exec_cancels, 2);
	exec_fail_start = false;

	probe_set_exec(NULL);
	probe_spec_free(&spec);
}

/* ---------------------------------------------------------------- cost */

/*
 * N probes against a forked server, in one of three rhythms, the CPU time
 * (user + system) of this process divided by N:
 *   serial  one after the other, the next started from a timer due at
 *           once: the work of a probe with no idle wake-up;
 *   burst   BURST_SIZE started from one timer, the next burst when all are
 *           done: checks whose timers coincide (one wake-up starts many);
 *   paced   one every millisecond: each probe pays its own wake-ups (the
 *           timer, the connect), as uncoordinated 1 s checks of 1000
 *           processes would.
 * And two floors measured in the same run: a blocking connect + close to
 * the same server (the kernel's loopback TCP handshake, which any prober
 * pays), and an idle epoll_wait() of 1 ms (one wake-up).
 */
#define BURST_SIZE	250

enum rhythm { SERIAL, BURST, PACED };

static struct probe_spec	 bench_spec;
static struct probe		*bench_probe[BURST_SIZE];
static struct timer		 bench_tick;
static enum rhythm		 bench_rhythm;
static long			 bench_left, bench_failed, bench_inflight;

static void
on_bench_done(const struct probe_result *r, void *arg)
{
	(void)arg;
	if (!r->ok)
		bench_failed++;
	bench_left--;
	if (--bench_inflight > 0)
		return;
	if (bench_left == 0)
		loop_exit(0);
	else
		assert_int_equal(timer_set(&bench_tick, now_ms() +
		    (bench_rhythm == PACED)), 0);
}

static void
bench_next(struct timer *t, void *arg)
{
	long n = bench_rhythm == BURST ? BURST_SIZE : 1;

	(void)t;
	(void)arg;
	if (n > bench_left)
		n = bench_left;
	for (long i = 0; i < n; i++) {
		assert_int_equal(probe_start(&bench_probe[i], &bench_spec, 5,
		    on_bench_done, NULL), 0);
		bench_inflight++;
	}
}

static double
cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* CPU microseconds per probe of S, N times in RHYTHM. */
static double
bench(const char *s, enum rhythm rhythm, long n)
{
	static const char *const names[] = { "serial", "burst", "paced" };
	char err[256];
	double cpu0, per;
	uint64_t t0;

	assert_int_equal(probe_spec_parse(s, &bench_spec, err, sizeof(err)),
	    0);
	timer_init(&bench_tick, bench_next, NULL);
	bench_rhythm = rhythm;
	bench_left = n;
	bench_failed = 0;
	bench_inflight = 0;
	t0 = now_ms();
	cpu0 = cpu_us();
	assert_int_equal(timer_set(&bench_tick, now_ms()), 0);
	assert_int_equal(run_loop(120000), 0);
	per = (cpu_us() - cpu0) / (double)n;
	print_message("probe cost: %-4s %-6s %5ld probes %7.1f us CPU each, "
	    "%5.0f ms wall\n", probe_kind_name(bench_spec.kind),
	    names[rhythm], n, per, (double)(now_ms() - t0));
	assert_int_equal(bench_failed, 0);
	probe_spec_free(&bench_spec);
	return per;
}

/* CPU microseconds of a blocking connect + close to PORT. */
static double
floor_connect(int port, long n)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	static const struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	double cpu0 = cpu_us();

	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_int_equal(connect(fd, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
		close(fd);
	}
	return (cpu_us() - cpu0) / (double)n;
}

/* CPU microseconds of one idle 1 ms epoll_wait(). */
static double
floor_wake(long n)
{
	struct epoll_event ev;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	double cpu0 = cpu_us();

	for (long i = 0; i < n; i++)
		epoll_wait(ep, &ev, 1, 1);
	close(ep);
	return (cpu_us() - cpu0) / (double)n;
}

static void
test_cost(void **state UNUSED)
{
	const char *env = getenv("PROBE_BENCH_N");
	long n = env != NULL ? atol(env) : 1000;
	struct server srv;
	double serial, burst, paced, http, conn, wake;
	char s[64];

	if (n < 1)
		n = 1000;
	assert_true(server_start(&srv, AF_INET, REPLY_200, 5 * n));
	snprintf(s, sizeof(s), "tcp:127.0.0.1:%d", srv.port);
	serial = bench(s, SERIAL, n);
	burst = bench(s, BURST, n);
	paced = bench(s, PACED, n);
	conn = floor_connect(srv.port, n);
	wake = floor_wake(n);
	snprintf(s, sizeof(s), "http://127.0.0.1:%d/", srv.port);
	http = bench(s, SERIAL, n);
	print_message("probe cost: floors: blocking connect+close %.1f us, "
	    "idle 1 ms wake-up %.1f us\n", conn, wake);
	print_message("probe cost: tcp serial = %.2f x connect floor, "
	    "burst = %.2f x, paced = %.2f x (connect + 2 wake-ups), "
	    "http serial = %.2f x\n", serial / conn, burst / conn,
	    paced / (conn + 2 * wake), http / conn);
	print_message("probe cost: 1000 tcp checks a second = %.1f %% of a "
	    "core serial, %.1f %% burst, %.1f %% paced\n", serial / 10,
	    burst / 10, paced / 10);
	server_stop(&srv);
	/* Only a gross regression fails here (sanitizer builds, a busy
	   machine); the figures are printed. */
	assert_true(serial < 10 * conn + 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcp_connected, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tcp_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tcp_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unix_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_http_replies, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_http_big_reply, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_http_close_at_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_http_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ipv6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_localhost_ipv6_only, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_result_is_never_synchronous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cancel_in_flight, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cancel_from_callback,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_hook, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cost, setup, teardown),
	};

	if (loop_init() == -1) {
		perror("loop_init");
		return 99;
	}
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
