/*
 * log.c — mwsupd's messages and its children's lines, to syslog or stderr.
 *
 * The syslog path speaks RFC 3164 over a nonblocking datagram socket to
 * /dev/log (or $MWSUP_SYSLOG_SOCKET, which the tests use to capture lines
 * without a system syslog daemon).  A datagram the socket cannot take at
 * once waits in a FIFO; above LOG_QUEUE_HIGH bytes log_congested() tells
 * the output readers to pause, and they resume once the queue is below
 * LOG_QUEUE_LOW.  mwsupd's own messages are dropped (and counted) only
 * beyond LOG_QUEUE_MAX, and everything is dropped when there is no syslog
 * socket to send to.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	8192	/* one datagram or stderr line */
#define LOG_QUEUE_HIGH	(256 * 1024)	/* pause child output above this */
#define LOG_QUEUE_LOW	(64 * 1024)	/* resume below this */
#define LOG_QUEUE_MAX	(4 * 1024 * 1024) /* hard bound */

struct pending {
	struct pending	*next;
	size_t		 len;
	char		 data[];
};

static enum log_target	target = LOG_TARGET_STDERR;
static int		facility = LOG_DAEMON;
static int		debug_on;
static int		logfd = -1;	/* datagram socket to syslog */
static unsigned long	dropped;	/* lines lost since last report */
static pid_t		mypid;
static struct pending	*qhead, **qtail = &qhead;
static size_t		 qbytes;
static bool		 congested;
static bool		 stalled;	/* syslog took nothing for long: drop
					   instead of queueing until it does */
static bool		 watching;
static void		(*watch_hook)(int fd, bool on);
static void		(*drained_hook)(void);

static void	emit(const char *tag, pid_t pid, int pri, const char *msg,
		    size_t len, bool own);

void
log_init(enum log_target t, int fac, int debug)
{
	debug_on = debug;
	log_setup(t, fac);
}

static void
set_watch(bool on)
{
	if (watching == on || watch_hook == NULL || logfd == -1)
		return;
	watching = on;
	watch_hook(logfd, on);
}

static void
syslog_close(void)
{
	set_watch(false);
	if (logfd != -1)
		close(logfd);
	logfd = -1;
}

/* Forget every waiting datagram (no socket to send them to). */
static void
queue_drop_all(void)
{
	while (qhead != NULL) {
		struct pending *p = qhead;
		qhead = p->next;
		free(p);
		dropped++;
	}
	qtail = &qhead;
	qbytes = 0;
}

static void
check_drained(void)
{
	if (congested && qbytes < LOG_QUEUE_LOW) {
		if (qhead == NULL)
			set_watch(false);
		congested = false;
		if (drained_hook != NULL)
			drained_hook();
	}
}

/* Send what waits, in order, until the socket is full. */
static void
queue_flush(void)
{
	while (qhead != NULL) {
		struct pending *p = qhead;

		if (send(logfd, p->data, p->len, MSG_DONTWAIT | MSG_NOSIGNAL)
		    == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS) {
				set_watch(true);
				return;
			}
			/* The syslog daemon went away. */
			syslog_close();
			queue_drop_all();
			break;
		}
		qhead = p->next;
		if (qhead == NULL)
			qtail = &qhead;
		qbytes -= p->len;
		free(p);
		stalled = false;
	}
	set_watch(false);
	check_drained();
}

void
log_set_hooks(void (*watch)(int fd, bool on), void (*drained)(void))
{
	watch_hook = watch;
	drained_hook = drained;
}

void
log_writable(void)
{
	if (logfd != -1)
		queue_flush();
}

void
log_stalled(void)
{
	if (qhead == NULL)
		return;
	stalled = true;
	queue_drop_all();
	check_drained();
}

bool
log_congested(void)
{
	return congested;
}


static int
syslog_connect(void)
{
	struct sockaddr_un sun;
	const char *path;

	if (logfd != -1)
		return 0;
	path = getenv("MWSUP_SYSLOG_SOCKET");
	if (path == NULL || *path == '\0')
		path = "/dev/log";
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	strcpy(sun.sun_path, path);
	logfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (logfd == -1)
		return -1;
	if (connect(logfd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		syslog_close();
		return -1;
	}
	return 0;
}

void
log_setup(enum log_target t, int fac)
{
	target = t;
	facility = fac;
	mypid = getpid();
	syslog_close();
	if (target == LOG_TARGET_SYSLOG)
		(void)syslog_connect();
}

/*
 * Send one syslog datagram, or queue it behind those waiting.  Returns 0
 * when sent or queued, -1 when it was dropped.  OWN: mwsupd's own message
 * (dropped beyond LOG_QUEUE_MAX; child lines are throttled instead).
 */
static int
syslog_send(const char *tag, pid_t pid, int pri, const char *msg, size_t len,
    bool own)
{
	char buf[LOG_LINE_MAX + 128];
	char stamp[32];
	struct tm tm;
	time_t now;
	int n;

	if (syslog_connect() == -1)
		return -1;
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	if (len > LOG_LINE_MAX)
		len = LOG_LINE_MAX;
	n = snprintf(buf, sizeof(buf), "<%d>%s %s[%ld]: %.*s",
	    facility | pri, stamp, tag, (long)pid, (int)len, msg);
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (qhead == NULL) {
		if (send(logfd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL)
		    >= 0) {
			stalled = false;
			return 0;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != ENOBUFS) {
			/* A restarted syslog daemon means a new socket:
			   reconnect next time. */
			syslog_close();
			return -1;
		}
	}
	if ((own && qbytes > LOG_QUEUE_MAX) || stalled)
		return -1;
	struct pending *p = malloc(sizeof(*p) + (size_t)n);
	if (p == NULL)
		return -1;
	p->next = NULL;
	p->len = (size_t)n;
	memcpy(p->data, buf, (size_t)n);
	*qtail = p;
	qtail = &p->next;
	qbytes += (size_t)n;
	if (qbytes > LOG_QUEUE_HIGH)
		congested = true;
	if (watch_hook != NULL)
		set_watch(true);
	else
		queue_flush();	/* no loop: try again now */
	return 0;
}

static void
stderr_send(const char *tag, pid_t pid, const char *msg, size_t len)
{
	char buf[LOG_LINE_MAX + 128];
	char stamp[40];
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	if (len > LOG_LINE_MAX)
		len = LOG_LINE_MAX;
	n = snprintf(buf, sizeof(buf), "%s.%03ld %s[%ld]: %.*s\n", stamp,
	    ts.tv_nsec / 1000000, tag, (long)pid, (int)len, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		n = sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	/* stderr may be a pipe to a slow reader; never block on it. */
	if (write(STDERR_FILENO, buf, (size_t)n) == -1)
		dropped++;
}

static void
emit(const char *tag, pid_t pid, int pri, const char *msg, size_t len,
    bool own)
{
	if (target == LOG_TARGET_STDERR) {
		stderr_send(tag, pid, msg, len);
		return;
	}
	if (syslog_send(tag, pid, pri, msg, len, own) == -1) {
		dropped++;
		return;
	}
	if (dropped > 0) {
		char note[80];
		int n = snprintf(note, sizeof(note),
		    "syslog was unavailable: %lu lines dropped", dropped);
		unsigned long was = dropped;
		dropped = 0;
		if (syslog_send("mwsupd", mypid, LOG_WARNING, note,
		    (size_t)n, true) == -1)
			dropped = was;
	}
}

static void
vlog(int pri, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];
	int n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	emit("mwsupd", mypid ? mypid : getpid(), pri, msg, (size_t)n, true);
}

static void
vlog_errno(int pri, int saved, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX], full[LOG_LINE_MAX];
	int n;

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	n = snprintf(full, sizeof(full), "%s: %s", msg, strerror(saved));
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(full))
		n = sizeof(full) - 1;
	emit("mwsupd", mypid ? mypid : getpid(), pri, full, (size_t)n, true);
}

void
log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog_errno(LOG_WARNING, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!debug_on)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_child_line(const char *ident, pid_t pid, int priority, const char *line,
    size_t len)
{
	emit(ident, pid, priority, line, len, false);
}
