/*
 * probe.c — probes run in the event loop: a nonblocking connect, for
 * http:// one request and the status line of the reply, a deadline timer;
 * exec: probes handed to the process layer's hook.
 *
 * A probe is one small allocation living from probe_start() to its result
 * or cancellation, then freed with loop_defer_free(): an event for its
 * socket may still be pending in the loop's current batch, and the memory
 * must not be reused by a new probe before that batch is over.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "loop.h"
#include "probe.h"
#include "timer.h"

/* How often a unix: probe retries while the listener's queue is full. */
#define RETRY_MS	100
/* The bytes of the reply kept for probe_http_status(): "HTTP/1.1 200 ". */
#define HEAD_MAX	16

enum probe_phase {
	PHASE_CONNECT,		/* connect in progress: wait for EPOLLOUT */
	PHASE_RETRY,		/* unix: queue full; connect again on wake */
	PHASE_SEND,		/* http: writing the request */
	PHASE_READ,		/* http: waiting for the status line */
	PHASE_EXEC,		/* exec: the process layer runs it */
	PHASE_DONE,		/* result known; wake reports it */
};

struct probe {
	struct probe		**slot;		/* the owner's handle */
	probe_done_cb		  cb;
	void			 *arg;
	enum probe_kind		  kind;
	enum probe_phase	  phase;
	bool			  in_start;	/* inside probe_start() */
	unsigned		  timeout_s;
	uint64_t		  started;	/* now_ms() */
	int			  fd;		/* the socket, or -1 */
	struct io		  io;		/* io.fd is -1 unless watched */
	struct timer		  deadline;	/* timeout_s after start */
	struct timer		  wake;		/* retry, or report a result */
	struct sockaddr_storage	  addr[2];	/* localhost: 127.0.0.1, ::1 */
	socklen_t		  addrlen[2];
	unsigned		  naddr, cur;
	char			  first_failure[PROBE_REASON_MAX];
	struct probe_result	  result;
	char			  head[HEAD_MAX];	/* start of the reply */
	size_t			  reqlen, sent;
	char			  req[];	/* http: the request */
};

static const struct probe_exec_ops	*exec_ops;
static size_t				 nprobes;

static void	on_io(int fd, uint32_t events, void *arg);
static void	connect_next(struct probe *p);

void
probe_set_exec(const struct probe_exec_ops *ops)
{
	exec_ops = ops;
}

size_t
probe_count(void)
{
	return nprobes;
}

/* A short reason for a failed connect, send or read. */
static const char *
errno_reason(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return "connection refused";
	case EHOSTUNREACH:
		return "host unreachable";
	case ENETUNREACH:
		return "network unreachable";
	case ETIMEDOUT:
		return "connection timed out";
	case ECONNRESET:
		return "connection reset";
	case EPIPE:
		return "connection closed";
	case ENOENT:
		return "no such socket";
	case ENOTDIR:
		return "no such directory";
	case EACCES:
	case EPERM:
		return "permission denied";
	case EPROTOTYPE:
		return "not a stream socket";
	case EADDRNOTAVAIL:
		return "address not available";
	case EAFNOSUPPORT:
		return "address family not supported";
	default:
		return strerror(e);
	}
}

/* Close the socket and disarm everything; the probe stays allocated. */
static void
quiesce(struct probe *p)
{
	loop_del(&p->io);
	if (p->fd != -1) {
		close(p->fd);
		p->fd = -1;
	}
	timer_cancel(&p->deadline);
	timer_cancel(&p->wake);
}

/* Forget P: its slot, the count; free it after the loop's batch. */
static void
release(struct probe *p)
{
	if (p->slot != NULL)
		*p->slot = NULL;
	p->slot = NULL;
	nprobes--;
	loop_defer_free(free, p);
}

static void
deliver(struct probe *p)
{
	p->result.elapsed_ms = now_ms() - p->started;
	release(p);
	p->cb(&p->result, p->arg);
}

/*
 * The result is in: report it now, or from a timer due at once when still
 * inside probe_start() (its caller must never see the callback first).
 */
static void __attribute__((format(printf, 3, 4)))
finish(struct probe *p, bool ok, const char *fmt, ...)
{
	va_list ap;

	p->result.ok = ok;
	va_start(ap, fmt);
	vsnprintf(p->result.reason, sizeof(p->result.reason), fmt, ap);
	va_end(ap);
	quiesce(p);
	p->phase = PHASE_DONE;
	if (!p->in_start) {
		deliver(p);
		return;
	}
	/* Cannot fail: quiesce() just gave the deadline's place in the heap
	   back, and probe_start() had armed the deadline. */
	(void)timer_set(&p->wake, now_ms());
}

/* Watch P's socket for EVENTS (add it to the loop the first time). */
static int
watch(struct probe *p, uint32_t events)
{
	if (p->io.fd == -1)
		return loop_add(&p->io, p->fd, events, on_io, p);
	return loop_mod(&p->io, events);
}

/* Connecting to the current address failed with E: try the next one. */
static void
connect_failed(struct probe *p, const char *what, int e)
{
	if (p->cur == 0)
		snprintf(p->first_failure, sizeof(p->first_failure), "%s%s",
		    what, errno_reason(e));
	if (p->fd != -1) {
		loop_del(&p->io);
		close(p->fd);
		p->fd = -1;
	}
	if (++p->cur < p->naddr) {
		connect_next(p);
		return;
	}
	finish(p, false, "%s", p->first_failure);
}

static void
read_reply(struct probe *p)
{
	char buf[PROBE_HTTP_READ_MAX];
	size_t room = PROBE_HTTP_READ_MAX - p->result.bytes_read;
	size_t keep = p->result.bytes_read < HEAD_MAX ?
	    HEAD_MAX - p->result.bytes_read : 0;
	bool eof = false;
	ssize_t n;
	int status;

	n = read(p->fd, buf, room);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		if (errno != ECONNRESET || p->result.bytes_read == 0) {
			finish(p, false, "%s", errno_reason(errno));
			return;
		}
		n = 0;
	}
	if (n == 0)
		eof = true;
	if (keep > 0)
		memcpy(p->head + p->result.bytes_read, buf,
		    (size_t)n < keep ? (size_t)n : keep);
	p->result.bytes_read += (size_t)n;
	if (p->result.bytes_read == PROBE_HTTP_READ_MAX)
		eof = true;
	switch (probe_http_status(p->head, p->result.bytes_read < HEAD_MAX ?
	    p->result.bytes_read : HEAD_MAX, eof, &status)) {
	case PROBE_HTTP_MORE:
		return;
	case PROBE_HTTP_BAD:
		if (p->result.bytes_read == 0)
			finish(p, false, "closed without a reply");
		else
			finish(p, false, "no status line");
		return;
	case PROBE_HTTP_STATUS:
		p->result.http_status = status;
		finish(p, probe_http_ok(status), "HTTP %d", status);
		return;
	}
}

static void
send_request(struct probe *p)
{
	while (p->sent < p->reqlen) {
		ssize_t n = send(p->fd, p->req + p->sent, p->reqlen - p->sent,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				if (watch(p, EPOLLOUT) == -1)
					finish(p, false, "cannot watch the "
					    "socket: %s", strerror(errno));
				return;
			}
			finish(p, false, "%s", errno == EPIPE ?
			    "closed before the request was sent" :
			    errno_reason(errno));
			return;
		}
		p->sent += (size_t)n;
	}
	p->phase = PHASE_READ;
	if (watch(p, EPOLLIN) == -1)
		finish(p, false, "cannot watch the socket: %s",
		    strerror(errno));
}

/* The connection is up. */
static void
connected(struct probe *p)
{
	static const struct linger reset = { .l_onoff = 1, .l_linger = 0 };

	if (p->kind == PROBE_TCP) {
		/* Close with a reset, as HAProxy's checks do: no FIN exchange,
		   and no TIME_WAIT socket left behind by every probe. */
		(void)setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &reset,
		    sizeof(reset));
	}
	if (p->kind != PROBE_HTTP) {
		finish(p, true, "connected");
		return;
	}
	p->phase = PHASE_SEND;
	send_request(p);
}

/* Connect to address p->cur. */
static void
connect_next(struct probe *p)
{
	const struct sockaddr *sa = (const struct sockaddr *)&p->addr[p->cur];

	p->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (p->fd == -1) {
		connect_failed(p, "cannot create a socket: ", errno);
		return;
	}
	if (connect(p->fd, sa, p->addrlen[p->cur]) == 0) {
		connected(p);
		return;
	}
	switch (errno) {
	case EINPROGRESS:
	case EINTR:
		p->phase = PHASE_CONNECT;
		if (watch(p, EPOLLOUT) == -1)
			finish(p, false, "cannot watch the socket: %s",
			    strerror(errno));
		return;
	case EAGAIN:
		/* A UNIX listener's queue is full: there is nothing to wait
		   on, so try again shortly, until the deadline. */
		close(p->fd);
		p->fd = -1;
		p->phase = PHASE_RETRY;
		if (timer_set(&p->wake, now_ms() + RETRY_MS) == -1)
			finish(p, false, "listen queue full");
		return;
	default:
		connect_failed(p, "", errno);
	}
}

static void
on_io(int fd, uint32_t events, void *arg)
{
	struct probe *p = arg;
	socklen_t len = sizeof(int);
	int e = 0;

	(void)fd;
	switch (p->phase) {
	case PHASE_CONNECT:
		/* Writable without an error: connected, no need to ask. */
		if ((events & (EPOLLERR | EPOLLHUP)) == 0) {
			connected(p);
			return;
		}
		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
			e = errno;
		connect_failed(p, "", e != 0 ? e : ECONNRESET);
		return;
	case PHASE_SEND:
		send_request(p);
		return;
	case PHASE_READ:
		read_reply(p);
		return;
	case PHASE_RETRY:
	case PHASE_EXEC:
	case PHASE_DONE:
		return;
	}
}

static void
on_deadline(struct timer *t, void *arg)
{
	struct probe *p = arg;

	(void)t;
	if (p->phase == PHASE_EXEC && exec_ops != NULL)
		exec_ops->cancel(p, p->arg);
	finish(p, false, "timeout after %u s", p->timeout_s);
}

static void
on_wake(struct timer *t, void *arg)
{
	struct probe *p = arg;

	(void)t;
	if (p->phase == PHASE_DONE)
		deliver(p);
	else if (p->phase == PHASE_RETRY)
		connect_next(p);
}

/* The addresses to try for SPEC; 0, or -1 when there is none. */
static int
set_addresses(struct probe *p, const struct probe_spec *spec)
{
	struct sockaddr_in *sin;
	struct sockaddr_in6 *sin6;
	struct sockaddr_un *sun;

	if (spec->kind == PROBE_UNIX) {
		sun = (struct sockaddr_un *)&p->addr[0];
		if (spec->path == NULL ||
		    strlen(spec->path) >= sizeof(sun->sun_path))
			return -1;
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, spec->path);
		p->addrlen[0] = sizeof(*sun);
		p->naddr = 1;
		return 0;
	}
	if (spec->family == AF_INET || spec->family == AF_UNSPEC) {
		sin = (struct sockaddr_in *)&p->addr[p->naddr];
		sin->sin_family = AF_INET;
		sin->sin_port = htons(spec->port);
		if (spec->family == AF_UNSPEC)
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (inet_pton(AF_INET, spec->host, &sin->sin_addr) != 1)
			return -1;
		p->addrlen[p->naddr++] = sizeof(*sin);
	}
	if (spec->family == AF_INET6 || spec->family == AF_UNSPEC) {
		sin6 = (struct sockaddr_in6 *)&p->addr[p->naddr];
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(spec->port);
		if (spec->family == AF_UNSPEC)
			sin6->sin6_addr = in6addr_loopback;
		else if (inet_pton(AF_INET6, spec->host, &sin6->sin6_addr) != 1)
			return -1;
		p->addrlen[p->naddr++] = sizeof(*sin6);
	}
	return p->naddr > 0 ? 0 : -1;
}

/*
 * The request of an http:// probe into BUF (SIZE bytes, or a length only
 * when BUF is NULL).  Host carries the port unless it is 80 (RFC 9110
 * 7.2).
 */
static int
format_request(char *buf, size_t size, const struct probe_spec *spec)
{
	bool v6 = spec->family == AF_INET6;
	char port[8] = "";

	if (spec->port != 80)
		snprintf(port, sizeof(port), ":%u", spec->port);
	return snprintf(buf, size, "GET %s HTTP/1.0\r\nHost: %s%s%s%s\r\n\r\n",
	    spec->path, v6 ? "[" : "", spec->host, v6 ? "]" : "", port);
}

int
probe_start(struct probe **slot, const struct probe_spec *spec,
    unsigned timeout_s, probe_done_cb cb, void *arg)
{
	struct probe *p;
	size_t reqlen = 0;
	char why[PROBE_REASON_MAX];

	if (timeout_s == 0 || *slot != NULL ||
	    (spec->kind == PROBE_HTTP && spec->path == NULL)) {
		errno = EINVAL;
		return -1;
	}
	if (spec->kind == PROBE_EXEC && exec_ops == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (spec->kind == PROBE_HTTP)
		reqlen = (size_t)format_request(NULL, 0, spec);
	p = calloc(1, sizeof(*p) + reqlen + 1);
	if (p == NULL)
		return -1;
	p->slot = slot;
	p->cb = cb;
	p->arg = arg;
	p->kind = spec->kind;
	p->timeout_s = timeout_s;
	p->started = now_ms();
	p->fd = -1;
	p->io.fd = -1;
	timer_init(&p->deadline, on_deadline, p);
	timer_init(&p->wake, on_wake, p);
	if (spec->kind == PROBE_HTTP)
		p->reqlen = (size_t)format_request(p->req, reqlen + 1, spec);
	if (spec->kind != PROBE_EXEC && set_addresses(p, spec) == -1) {
		free(p);
		errno = EINVAL;
		return -1;
	}
	if (timer_set(&p->deadline, p->started + 1000 * (uint64_t)timeout_s)
	    == -1) {
		free(p);
		errno = ENOMEM;
		return -1;
	}
	*slot = p;
	nprobes++;

	p->in_start = true;
	if (spec->kind == PROBE_EXEC) {
		p->phase = PHASE_EXEC;
		why[0] = '\0';
		if (exec_ops->start(p, spec, arg, why, sizeof(why)) == -1)
			finish(p, false, "%s", why[0] ? why :
			    "cannot start the check");
	} else {
		connect_next(p);
	}
	p->in_start = false;
	return 0;
}

void
probe_cancel(struct probe **slot)
{
	struct probe *p = *slot;

	if (p == NULL)
		return;
	if (p->phase == PHASE_EXEC && exec_ops != NULL)
		exec_ops->cancel(p, p->arg);
	quiesce(p);
	p->phase = PHASE_DONE;
	release(p);
}

void
probe_exec_done(struct probe *p, bool ok, const char *reason)
{
	if (p->phase != PHASE_EXEC)
		return;
	finish(p, ok, "%s", reason);
}
