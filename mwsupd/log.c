/*
 * log.c — mwsupd's messages and its children's lines, to syslog or stderr,
 * through one bounded queue that never blocks mwsupd.
 *
 * Every line is queued (up to LOG_QUEUE_MAX bytes, counted as the bytes
 * sent) and the queue is written to the sink — RFC 3164 datagrams on a
 * nonblocking socket to /dev/log (or $MWSUP_SYSLOG_SOCKET, which the tests
 * use), or stderr through a descriptor that cannot block (stderr_open()).
 * When the sink refuses, log.c waits for it by itself: an EPOLLOUT watch
 * when the sink is full, a retry timer (100 ms doubling to 2 s) when the
 * syslog socket is gone; nothing is armed while the queue is empty.
 *
 * Above LOG_QUEUE_HIGH, log_congested() makes the readers of the children's
 * pipes pause (the children block on their own pipes, nothing is lost);
 * they resume below LOG_QUEUE_LOW.  A sink that takes nothing for
 * LOG_STALL_MS ends the pause: the pipes are read again, lines queue up to
 * LOG_QUEUE_MAX, and only lines beyond it are dropped — the newest, so what
 * is kept stays in order — counted per sink (log_dropped()) and reported
 * in place by a line "N lines dropped here" once lines fit again.
 * doc/RELIABILITY.md states the guarantees.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "timer.h"

#define LOG_LINE_MAX	8192	/* one datagram or stderr line */
#define LOG_TAG_MAX	255	/* longer tags are cut */
#define LOG_QUEUE_HIGH	(256 * 1024)	/* pause child output above this */
#define LOG_QUEUE_LOW	(64 * 1024)	/* resume below this */
#define LOG_QUEUE_MAX	(4 * 1024 * 1024) /* hard bound: drop beyond */
#define LOG_HEADER	32	/* bytes a line costs besides tag and text */
#define LOG_STALL_MS	5000	/* a sink that takes nothing this long... */
#define RETRY_MIN_MS	100	/* reconnect to syslog after this... */
#define RETRY_MAX_MS	2000	/* ...doubling up to this */
#define EXIT_WAIT_MS	1000	/* at exit, wait this long for a full sink */

/* One queued line, formatted for the sink only when it is written. */
struct rec {
	struct rec	*next;
	struct timespec	 made;		/* CLOCK_REALTIME, for the stamp */
	pid_t		 pid;
	int		 pri;
	size_t		 taglen;
	size_t		 len;
	char		 data[];	/* tag, then the line */
};

/* What writing the head of the queue did. */
enum send_result {
	SENT,		/* written: pop it */
	PARTIAL,	/* part of a stderr line written */
	BAD_LINE,	/* this line can never be written: drop it */
	BUSY,		/* the sink is full: wait until it is writable */
	RETRY,		/* no room now, nothing to watch: try again later */
	DOWN,		/* syslog is gone: reconnect later */
	GONE		/* stderr has no reader any more: drop everything */
};

/* How stderr is written without blocking (stderr_open()). */
enum err_mode {
	ERR_WRITE,	/* write(2): a private O_NONBLOCK descriptor, a file */
	ERR_SEND,	/* send(2) with MSG_DONTWAIT: a socket */
	ERR_POLL	/* poll(2), then at most PIPE_BUF bytes: a shared pipe */
};

static enum log_target	 target = LOG_TARGET_STDERR;
static int		 facility = LOG_DAEMON;
static int		 debug_on;
static pid_t		 mypid;
static void		(*drained_hook)(void);

/* The queue. */
static struct rec	*qhead, **qtail = &qhead;
static size_t		 qbytes;	/* as sent: tag + line + header */
static size_t		 qlines;
static bool		 congested;	/* above HIGH: children pause */
static bool		 stalled;	/* the sink took nothing for long */
static uint64_t		 stall_since;
static unsigned long long dropped_total[LOG_SINK_COUNT];
static unsigned long	 gap_dropped;	/* since the last line queued */
static enum log_sink	 gap_sink;
static unsigned long	 outage_dropped; /* since syslog went away */

/* Waiting for the sink. */
static bool		 waiting;	/* for the watch or the retry timer */
static unsigned		 retry_ms = RETRY_MIN_MS;
static struct io	 sinkio = { -1, NULL, NULL };
static void		 stall_fired(struct timer *, void *);
static void		 retry_fired(struct timer *, void *);
static struct timer	 stall_timer = { 0, TIMER_IDLE, stall_fired, NULL };
static struct timer	 retry_timer = { 0, TIMER_IDLE, retry_fired, NULL };

/* Syslog. */
static int		 logfd = -1;	/* datagram socket to syslog */
static bool		 syslog_away;	/* could not reach it */
static uint64_t		 away_since;

/* Stderr. */
static int		 errfd = -1;
static enum err_mode	 errmode;
static bool		 errgone;	/* no reader any more */
static char		 outbuf[LOG_LINE_MAX + LOG_TAG_MAX + 64];
static size_t		 outlen, outoff; /* the head line, partly written */

static void	queue_flush(void);

static const char *
sink_name(enum log_sink sink)
{
	return sink == LOG_SINK_SYSLOG ? "syslog" : "stderr";
}

static enum log_sink
current_sink(void)
{
	return target == LOG_TARGET_SYSLOG ? LOG_SINK_SYSLOG : LOG_SINK_STDERR;
}

static const char *
syslog_path(void)
{
	const char *path = getenv("MWSUP_SYSLOG_SOCKET");

	return path != NULL && *path != '\0' ? path : "/dev/log";
}

/* ------------------------------------------------------------- stderr */

/*
 * A descriptor for stderr that never blocks, chosen without touching
 * the flags of fd 2's open file description: that description is often
 * shared (the terminal of the shell that started us, a pipe shared with
 * a launcher or a container runtime), and setting O_NONBLOCK on it would
 * make their writes fail with EAGAIN.
 * - a pipe, a FIFO, a terminal: open /proc/self/fd/2 again, which gives a
 *   private description of the same pipe or terminal, with O_NONBLOCK;
 * - a socket (journald's stream): send(2) with MSG_DONTWAIT, per call;
 * - a regular file or anything else: write(2) (a file does not stall on
 *   a reader, and reopening it would lose the shared offset);
 * - without /proc: poll(2) fd 2 and write at most PIPE_BUF bytes when it
 *   is writable, which cannot block unless another writer fills the pipe
 *   between the two calls.
 * *FDP is STDERR_FILENO or a new descriptor the caller closes.
 */
static void
stderr_choose(int *fdp, enum err_mode *modep)
{
	struct stat st;
	int fd;

	*fdp = STDERR_FILENO;
	*modep = ERR_WRITE;
	if (fstat(STDERR_FILENO, &st) == -1)
		return;
	if (S_ISSOCK(st.st_mode)) {
		*modep = ERR_SEND;
		return;
	}
	if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
		return;
	fd = open("/proc/self/fd/2",
	    O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd != -1)
		*fdp = fd;
	else
		*modep = ERR_POLL;
}

static void
stderr_open(void)
{
	if (errfd == -1)
		stderr_choose(&errfd, &errmode);
}

/* Write to FD as MODE says, without blocking; as write(2). */
static ssize_t
stderr_write(int fd, enum err_mode mode, const char *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	switch (mode) {
	case ERR_SEND:
		return send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	case ERR_POLL:
		if (poll(&pfd, 1, 0) != 1) {
			errno = EAGAIN;
			return -1;
		}
		if (len > PIPE_BUF)
			len = PIPE_BUF;
		break;
	case ERR_WRITE:
		break;
	}
	return write(fd, buf, len);
}

/*
 * Tell whoever reads mwsupd's stderr about syslog (that is where it goes
 * wrong, so it cannot be said there): "mwsupd: MSG".  In the foreground
 * and before daemonizing finishes, that is the operator's terminal or
 * log; a daemon's stderr is /dev/null.  Never blocks; lost if it would.
 */
static void __attribute__((format(printf, 1, 2)))
stderr_note(const char *fmt, ...)
{
	char line[512];
	enum err_mode mode;
	va_list ap;
	int fd, n;

	if (target != LOG_TARGET_SYSLOG)
		return;
	memcpy(line, "mwsupd: ", 8);
	va_start(ap, fmt);
	n = vsnprintf(line + 8, sizeof(line) - 9, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line) - 9)
		n = sizeof(line) - 10;
	n += 8;
	line[n++] = '\n';
	stderr_choose(&fd, &mode);
	(void)!stderr_write(fd, mode, line, (size_t)n);
	if (fd != STDERR_FILENO)
		close(fd);
}

/* ------------------------------------------------------------- syslog */

static void
watch_off(void)
{
	loop_del(&sinkio);
}

static void
syslog_close(void)
{
	if (logfd == -1)
		return;
	if (sinkio.fd == logfd)
		watch_off();
	close(logfd);
	logfd = -1;
}

static int
syslog_connect(void)
{
	struct sockaddr_un sun;
	const char *path = syslog_path();

	if (logfd != -1)
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	logfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (logfd == -1)
		return -1;
	if (connect(logfd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int saved = errno;
		syslog_close();
		errno = saved;
		return -1;
	}
	return 0;
}

/* Syslog could not be reached (ERR): say so once, on stderr. */
static void
syslog_gone(int err, bool was_up)
{
	if (syslog_away)
		return;
	syslog_away = true;
	away_since = now_ms();
	outage_dropped = 0;
	if (was_up)
		stderr_note("warning: syslog at %s went away (%s); lines wait "
		    "in a %d MiB queue until it is back, lines beyond it are "
		    "dropped and counted", syslog_path(), strerror(err),
		    LOG_QUEUE_MAX >> 20);
	else
		stderr_note("warning: cannot reach syslog at %s (%s); lines "
		    "wait in a %d MiB queue until it appears, lines beyond it "
		    "are dropped and counted (with no syslog daemon, use "
		    "log_target = stderr)", syslog_path(), strerror(err),
		    LOG_QUEUE_MAX >> 20);
}

/* ------------------------------------------------------------- queue */

static size_t
rec_cost(size_t taglen, size_t len)
{
	return taglen + len + LOG_HEADER;
}

static struct rec *
rec_new(const char *tag, pid_t pid, int pri, const char *msg, size_t len)
{
	size_t taglen = strnlen(tag, LOG_TAG_MAX);
	struct rec *r;

	if ((r = malloc(sizeof(*r) + taglen + len)) == NULL)
		return NULL;
	r->next = NULL;
	clock_gettime(CLOCK_REALTIME, &r->made);
	r->pid = pid;
	r->pri = pri;
	r->taglen = taglen;
	r->len = len;
	memcpy(r->data, tag, taglen);
	memcpy(r->data + taglen, msg, len);
	return r;
}

static void
rec_append(struct rec *r)
{
	*qtail = r;
	qtail = &r->next;
	qbytes += rec_cost(r->taglen, r->len);
	qlines++;
}

/* Put R first, before a stderr line already partly written. */
static void
rec_prepend(struct rec *r)
{
	struct rec **pp = outoff > 0 && qhead != NULL ? &qhead->next : &qhead;

	r->next = *pp;
	*pp = r;
	if (qtail == pp)
		qtail = &r->next;
	qbytes += rec_cost(r->taglen, r->len);
	qlines++;
}

static void
rec_pop(void)
{
	struct rec *r = qhead;

	qhead = r->next;
	if (qhead == NULL)
		qtail = &qhead;
	qbytes -= rec_cost(r->taglen, r->len);
	qlines--;
	outlen = outoff = 0;
	free(r);
}

static void
count_drop(void)
{
	dropped_total[current_sink()]++;
	gap_dropped++;
	gap_sink = current_sink();
	outage_dropped++;
}

/* The line that marks a gap: how many lines were dropped there. */
static struct rec *
gap_note(void)
{
	char note[160];
	int n;

	n = snprintf(note, sizeof(note), "%lu lines dropped here: the log "
	    "queue was full (%d MiB) while %s took no line", gap_dropped,
	    LOG_QUEUE_MAX >> 20, sink_name(gap_sink));
	if (n < 0 || (size_t)n >= sizeof(note))
		return NULL;
	return rec_new("mwsupd", mypid ? mypid : getpid(), LOG_WARNING,
	    note, (size_t)n);
}

/*
 * Queue one line, or drop it (counted) when it does not fit.  After a
 * gap, the line that says how many were dropped goes first.
 */
static void
queue_line(const char *tag, pid_t pid, int pri, const char *msg, size_t len)
{
	struct rec *r, *gap = NULL;
	size_t need;

	if (len > LOG_LINE_MAX)
		len = LOG_LINE_MAX;
	if (target == LOG_TARGET_STDERR && errgone) {
		count_drop();
		return;
	}
	if (gap_dropped > 0 && (gap = gap_note()) == NULL) {
		count_drop();
		return;
	}
	need = rec_cost(strnlen(tag, LOG_TAG_MAX), len);
	if (gap != NULL)
		need += rec_cost(gap->taglen, gap->len);
	if (qbytes + need > LOG_QUEUE_MAX ||
	    (r = rec_new(tag, pid, pri, msg, len)) == NULL) {
		free(gap);
		count_drop();
		return;
	}
	if (gap != NULL) {
		rec_append(gap);
		gap_dropped = 0;
	}
	rec_append(r);
	if (qbytes > LOG_QUEUE_HIGH)
		congested = true;
}

static void
drop_all(void)
{
	while (qhead != NULL) {
		rec_pop();
		count_drop();
	}
}

static void
check_drained(void)
{
	if (congested && qbytes < LOG_QUEUE_LOW) {
		congested = false;
		if (drained_hook != NULL)
			drained_hook();
	}
}

/* The sink took something: it is not stalled. */
static void
progress(void)
{
	timer_cancel(&stall_timer);
	if (!stalled)
		return;
	stalled = false;
	if (qbytes > LOG_QUEUE_HIGH)
		congested = true;	/* pause the children again */
	if (syslog_away)
		return;			/* syslog_back() says it */
	stderr_note("syslog at %s takes lines again after %.1f s; %lu lines "
	    "dropped meanwhile", syslog_path(),
	    (double)(now_ms() - stall_since) / 1000, outage_dropped);
}

/* ------------------------------------------------------------- sinks */

static enum send_result
syslog_send_head(void)
{
	const struct rec *r = qhead;
	char buf[LOG_LINE_MAX + LOG_TAG_MAX + 64];
	char stamp[32];
	struct tm tm;
	int n;

	if (logfd == -1)
		return DOWN;
	localtime_r(&r->made.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	n = snprintf(buf, sizeof(buf), "<%d>%s %.*s[%ld]: %.*s",
	    facility | r->pri, stamp, (int)r->taglen, r->data, (long)r->pid,
	    (int)r->len, r->data + r->taglen);
	if (n < 0)
		return BAD_LINE;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (send(logfd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) != -1)
		return SENT;
	switch (errno) {
	case EAGAIN:
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
		return BUSY;
	case EINTR:
	case ENOBUFS:
	case ENOMEM:
		return RETRY;
	case EMSGSIZE:
		return BAD_LINE;
	default:
		/* ECONNREFUSED, ENOTCONN...: the syslog daemon went away (a
		   restarted one binds a new socket). */
		syslog_gone(errno, true);
		syslog_close();
		return DOWN;
	}
}

static enum send_result
stderr_send_head(void)
{
	const struct rec *r = qhead;
	char stamp[40];
	struct tm tm;
	ssize_t w;
	int n;

	if (outlen == 0) {
		localtime_r(&r->made.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(outbuf, sizeof(outbuf), "%s.%03ld %.*s[%ld]: "
		    "%.*s\n", stamp, r->made.tv_nsec / 1000000,
		    (int)r->taglen, r->data, (long)r->pid, (int)r->len,
		    r->data + r->taglen);
		if (n < 0)
			return BAD_LINE;
		if ((size_t)n >= sizeof(outbuf)) {
			n = sizeof(outbuf) - 1;
			outbuf[n - 1] = '\n';
		}
		outlen = (size_t)n;
		outoff = 0;
	}
	w = stderr_write(errfd, errmode, outbuf + outoff, outlen - outoff);
	if (w >= 0) {
		outoff += (size_t)w;
		return outoff == outlen ? SENT : PARTIAL;
	}
	switch (errno) {
	case EAGAIN:
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
		return BUSY;
	case EINTR:
	case ENOBUFS:
	case ENOMEM:
		return RETRY;
	case EPIPE:
	case ECONNRESET:
	case ENOTCONN:
	case EBADF:
	case EIO:
		return GONE;	/* no reader will come back */
	default:
		return BAD_LINE;	/* ENOSPC...: this line is lost */
	}
}

static void
sink_ready(int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	waiting = false;
	queue_flush();
}

static void
retry_later(void)
{
	(void)timer_set(&retry_timer, now_ms() + retry_ms);
	retry_ms = retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : retry_ms * 2;
}

/* The sink refused the head of the queue (HOW): wait for it. */
static void
wait_for_sink(enum send_result how)
{
	int fd = target == LOG_TARGET_SYSLOG ? logfd : errfd;

	waiting = true;
	if (how == BUSY && sinkio.fd != fd) {
		watch_off();
		if (loop_add(&sinkio, fd, EPOLLOUT, sink_ready, NULL) == -1)
			how = RETRY;	/* no loop yet, or cannot watch */
	}
	if (how != BUSY) {
		watch_off();	/* a writable sink with no room: no spinning */
		retry_later();
	}
	if (!stalled && !timer_armed(&stall_timer))
		(void)timer_set(&stall_timer, now_ms() + LOG_STALL_MS);
}

static void
stop_waiting(void)
{
	waiting = false;
	watch_off();
	timer_cancel(&retry_timer);
	timer_cancel(&stall_timer);
}

/* Write what waits, in order, until the sink refuses or it is empty. */
static void
queue_flush(void)
{
	enum send_result res;
	struct rec *r;

	while (qhead != NULL) {
		res = target == LOG_TARGET_SYSLOG ? syslog_send_head() :
		    stderr_send_head();
		switch (res) {
		case SENT:
			rec_pop();
			retry_ms = RETRY_MIN_MS;
			progress();
			continue;
		case PARTIAL:
			progress();
			continue;
		case BAD_LINE:
			rec_pop();
			count_drop();
			continue;
		case GONE:
			errgone = true;
			drop_all();
			continue;
		case BUSY:
		case RETRY:
		case DOWN:
			wait_for_sink(res);
			check_drained();
			return;
		}
	}
	/* Everything kept is written: say what was not, right here. */
	if (gap_dropped > 0 && !(target == LOG_TARGET_STDERR && errgone) &&
	    (r = gap_note()) != NULL) {
		rec_append(r);
		gap_dropped = 0;
		queue_flush();
		return;
	}
	stop_waiting();
	check_drained();
}

/* Syslog answers again after an outage: say so, and what it cost. */
static void
syslog_back(void)
{
	char note[200];
	struct rec *r;
	double secs = (double)(now_ms() - away_since) / 1000;
	int n;

	syslog_away = false;
	stalled = false;
	timer_cancel(&stall_timer);
	if (qbytes > LOG_QUEUE_HIGH)
		congested = true;
	stderr_note("syslog at %s is back after %.1f s: %zu lines waited and "
	    "are sent now, %lu lines dropped", syslog_path(), secs, qlines,
	    outage_dropped);
	n = snprintf(note, sizeof(note), "syslog was unavailable for %.1f s: "
	    "the %zu lines that waited follow, %lu lines dropped", secs,
	    qlines, outage_dropped);
	if (n > 0 && (size_t)n < sizeof(note) &&
	    (r = rec_new("mwsupd", mypid, LOG_WARNING, note, (size_t)n))
	    != NULL)
		rec_prepend(r);
}

static void
retry_fired(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	if (target == LOG_TARGET_SYSLOG && logfd == -1) {
		if (syslog_connect() == -1) {
			retry_later();
			return;
		}
		if (syslog_away)
			syslog_back();
	}
	waiting = false;
	queue_flush();
}

/* The sink took nothing for LOG_STALL_MS: let the children's output flow
   again; what does not fit the queue is dropped from now on. */
static void
stall_fired(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	stalled = true;
	stall_since = now_ms() - LOG_STALL_MS;
	if (!syslog_away)
		outage_dropped = 0;
	stderr_note("warning: syslog at %s has taken no line for %d s; the "
	    "output of the programs is read again, and lines beyond the %d "
	    "MiB queue are dropped and counted until it takes lines again",
	    syslog_path(), LOG_STALL_MS / 1000, LOG_QUEUE_MAX >> 20);
	if (congested) {
		congested = false;
		if (drained_hook != NULL)
			drained_hook();
	}
}

/* At exit: give a full sink a moment to take what waits. */
static void
flush_at_exit(void)
{
	uint64_t end = now_ms() + EXIT_WAIT_MS, now;
	struct pollfd pfd;

	stop_waiting();
	for (;;) {
		if (target == LOG_TARGET_SYSLOG)
			(void)syslog_connect();
		queue_flush();
		stop_waiting();
		pfd.fd = target == LOG_TARGET_SYSLOG ? logfd : errfd;
		pfd.events = POLLOUT;
		if (qhead == NULL || pfd.fd == -1 || (now = now_ms()) >= end)
			break;
		if (poll(&pfd, 1, (int)(end - now)) < 1)
			break;
	}
}

/* ------------------------------------------------------------- setup */

void
log_init(enum log_target t, int fac, int debug)
{
	debug_on = debug;
	log_setup(t, fac);
	(void)atexit(flush_at_exit);
}

void
log_setup(enum log_target t, int fac)
{
	target = t;
	facility = fac;
	mypid = getpid();
	stop_waiting();
	syslog_close();
	if (t != LOG_TARGET_STDERR) {
		if (outoff > 0)
			rec_pop();	/* the rest of a stderr line: lost */
		outlen = outoff = 0;
	}
	if (target == LOG_TARGET_SYSLOG) {
		if (syslog_connect() == -1)
			syslog_gone(errno, false);
		else if (syslog_away)
			syslog_back();
	} else {
		/* Choose again: fd 2 may have changed since (daemonizing
		   points it at /dev/null), and a reader may be back. */
		syslog_away = false;
		if (errfd != -1 && errfd != STDERR_FILENO)
			close(errfd);
		errfd = -1;
		errgone = false;
		stderr_open();
	}
	queue_flush();
}

void
log_set_hooks(void (*drained)(void))
{
	drained_hook = drained;
}

bool
log_congested(void)
{
	return congested && !stalled;
}

unsigned long long
log_dropped(enum log_sink sink)
{
	return sink < LOG_SINK_COUNT ? dropped_total[sink] : 0;
}

/* ------------------------------------------------------------- lines */

static void
emit(const char *tag, pid_t pid, int pri, const char *msg, size_t len)
{
	if (target == LOG_TARGET_STDERR)
		stderr_open();
	queue_line(tag, pid, pri, msg, len);
	if (!waiting)
		queue_flush();
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
	emit("mwsupd", mypid ? mypid : getpid(), pri, msg, (size_t)n);
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
	emit("mwsupd", mypid ? mypid : getpid(), pri, full, (size_t)n);
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
	emit(ident, pid, priority, line, len);
}
