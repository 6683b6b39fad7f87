/*
 * notify.c — the notification socket of `ready = notify` processes: bind,
 * read with the sender's credentials, parse, hand to the owner.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "notify.h"
#include "timer.h"

/*
 * Descriptors a datagram may carry that we take in (and close) at once;
 * the kernel discards the rest of them itself (MSG_CTRUNC) without ever
 * putting them in our table.
 */
#define NOTIFY_FDS_MAX		8
/* After a warning about an ignored datagram, the next ones are only
   counted, and summed up in one line per this many milliseconds. */
#define NOTIFY_QUIET_MS		10000
#define STR(x)			#x
#define XSTR(x)			STR(x)

static struct io		sock_io = { .fd = -1 };
static char			sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static notify_lookup_cb		lookup_hook;
static notify_message_cb	message_hook;
static struct notify_stats	stats;
static struct timer		quiet_timer;
static uint64_t			quiet_ignored;

/* ---------------------------------------------------------------- parsing */

/* Length of the UTF-8 sequence at S (N bytes left) if it is well formed
   (no overlong form, no surrogate, at most U+10FFFF), else 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Copy the STATUS= value at S (N bytes) to OUT as text fit for a terminal
 * and for JSON: control characters (C0, DEL, C1) removed, a byte that is
 * not UTF-8 replaced by '?', cut before the character that would not fit.
 */
static void
copy_status(char *out, const unsigned char *s, size_t n)
{
	size_t o = 0, clen;

	for (size_t i = 0; i < n; i += clen) {
		if (s[i] < 0x80) {
			clen = 1;
			if (s[i] < 0x20 || s[i] == 0x7f)
				continue;
		} else if ((clen = utf8_len(s + i, n - i)) == 0) {
			clen = 1;
			if (o + 1 >= NOTIFY_STATUS_MAX)
				break;
			out[o++] = '?';
			continue;
		} else if (clen == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0)
			continue;		/* U+0080..U+009F */
		if (o + clen >= NOTIFY_STATUS_MAX)
			break;
		memcpy(out + o, s + i, clen);
		o += clen;
	}
	out[o] = '\0';
}

static bool
line_is(const char *line, size_t n, const char *what)
{
	return n == strlen(what) && memcmp(line, what, n) == 0;
}

int
notify_parse(const char *buf, size_t len, struct notify_msg *out)
{
	static const char status[] = "STATUS=";
	const char *p = buf, *end = buf + len;
	int understood = 0;

	memset(out, 0, sizeof(*out));
	if (memchr(buf, '\0', len) != NULL)
		return -1;
	while (p < end) {
		const char *eol = p;
		size_t n;

		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		n = (size_t)(eol - p);
		if (line_is(p, n, "READY=1")) {
			out->ready = true;
			understood++;
		} else if (line_is(p, n, "WATCHDOG=1")) {
			out->watchdog = true;
			understood++;
		} else if (line_is(p, n, "WATCHDOG=trigger")) {
			out->watchdog_trigger = true;
			understood++;
		} else if (n >= sizeof(status) - 1 &&
		    memcmp(p, status, sizeof(status) - 1) == 0) {
			out->has_status = true;
			copy_status(out->status, (const unsigned char *)p +
			    sizeof(status) - 1, n - (sizeof(status) - 1));
			understood++;
		}
		p = eol + 1;
	}
	return understood;
}

/* ---------------------------------------------------------------- reading */

static void
quiet_end(struct timer *t, void *arg)
{
	if (quiet_ignored == 0)
		return;
	log_warnx("notification socket %s: ignored %llu more datagrams in "
	    "the last %d s", sock_path, (unsigned long long)quiet_ignored,
	    NOTIFY_QUIET_MS / 1000);
	quiet_ignored = 0;
	(void)timer_set(t, now_ms() + NOTIFY_QUIET_MS);
}

/*
 * A datagram was ignored: say why once, then only count until things have
 * been quiet for a while, so a flood costs no more than its reading.
 */
static void
ignored(uint64_t *counter, const char *why, const struct ucred *cred)
{
	(*counter)++;
	if (timer_armed(&quiet_timer)) {
		quiet_ignored++;
		return;
	}
	if (cred != NULL)
		log_warnx("notification socket %s: ignored a datagram from "
		    "pid %ld (uid %lu): %s", sock_path, (long)cred->pid,
		    (unsigned long)cred->uid, why);
	else
		log_warnx("notification socket %s: ignored a datagram: %s",
		    sock_path, why);
	(void)timer_set(&quiet_timer, now_ms() + NOTIFY_QUIET_MS);
}

/* The owner of a datagram from CRED: its process, else its group's. */
static void *
owner_of(const struct ucred *cred)
{
	void *owner;
	pid_t pgid;

	if ((owner = lookup_hook(cred->pid, cred->uid, cred->gid)) != NULL)
		return owner;
	pgid = getpgid(cred->pid);
	if (pgid <= 0 || pgid == cred->pid)
		return NULL;
	return lookup_hook(pgid, cred->uid, cred->gid);
}

/* Read one datagram and act on it.  -1 when there is none left. */
static int
read_one(int fd)
{
	char buf[NOTIFY_DATAGRAM_MAX];
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(sizeof(struct ucred)) +
				    CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct ucred cred;
	bool have_cred = false;
	struct notify_msg msg;
	void *owner;
	ssize_t n;

	/* MSG_CMSG_CLOEXEC: a descriptor someone slipped us never reaches
	   a child, even for the instant before we close it. */
	n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n == -1)
		return errno == EINTR ? 0 : -1;
	stats.received++;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL;
	    c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_RIGHTS) {
			size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < nfd; i++) {
				int rfd;
				memcpy(&rfd, CMSG_DATA(c) + i * sizeof(int),
				    sizeof(rfd));
				(void)close(rfd);
				stats.fds_closed++;
			}
		} else if (c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof(cred))) {
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			have_cred = true;
		}
	}
	if (!have_cred || cred.pid <= 0) {
		ignored(&stats.no_credentials, "no sender credentials", NULL);
		return 0;
	}
	if (mh.msg_flags & MSG_TRUNC) {
		ignored(&stats.truncated, "longer than "
		    XSTR(NOTIFY_DATAGRAM_MAX) " bytes", &cred);
		return 0;
	}
	switch (notify_parse(buf, (size_t)n, &msg)) {
	case -1:
		ignored(&stats.malformed, "not text (NUL bytes)", &cred);
		return 0;
	case 0:
		/* STOPPING=1, MAINPID=, FDSTORE=1...: fine, not for us. */
		stats.unused++;
		return 0;
	}
	if (lookup_hook == NULL || message_hook == NULL ||
	    (owner = owner_of(&cred)) == NULL) {
		ignored(&stats.unknown, "not a ready = notify process "
		    "supervised by mwsupd, nor of its process group", &cred);
		return 0;
	}
	msg.pid = cred.pid;
	msg.uid = cred.uid;
	msg.gid = cred.gid;
	stats.delivered++;
	message_hook(owner, &msg);
	return 0;
}

/*
 * A bounded batch per wake-up: with epoll level-triggered, what is left
 * waits for the next loop turn, after the timers and the other
 * descriptors have had theirs, so a flood slows only its own senders
 * (they block on the full socket queue).
 */
static void
notify_readable(int fd, uint32_t events, void *arg)
{
	stats.wakeups++;
	/* A message hook may have closed the socket (shutdown). */
	for (int i = 0; i < NOTIFY_BATCH && sock_io.fd == fd; i++)
		if (read_one(fd) == -1)
			break;
}

/* ---------------------------------------------------------------- socket */

void
notify_set_hooks(notify_lookup_cb lookup, notify_message_cb message)
{
	lookup_hook = lookup;
	message_hook = message;
}

/* A socket file at SUN with somebody bound to it (1), stale (0), or
   unknown (-1, errno set). */
static int
socket_alive(const struct sockaddr_un *sun)
{
	int fd, r;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0)
		r = 1;
	else
		r = errno == ECONNREFUSED ? 0 : -1;
	close(fd);
	return r;
}

int
notify_open(const char *path, char *err, size_t len)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd, one = 1, alive;

	if (sock_io.fd != -1) {
		snprintf(err, len, "notification socket %s: already open at "
		    "%s", path, sock_path);
		return -1;
	}
	/* sd_notify(3) takes NOTIFY_SOCKET as an absolute path or an
	   abstract name ('@'); we never use the abstract namespace, whose
	   names anybody in the network namespace may squat. */
	if (path[0] != '/') {
		snprintf(err, len, "notification socket %s: not an absolute "
		    "path", path);
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, len, "notification socket path too long (%zu "
		    "bytes, a socket address holds at most %zu): %s",
		    strlen(path), sizeof(sun.sun_path) - 1, path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	/* lstat: a symbolic link is refused, never followed. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, len, "notification socket %s: exists "
			    "and is not a socket", path);
			return -1;
		}
		if ((alive = socket_alive(&sun)) != 0) {
			if (alive == 1)
				snprintf(err, len, "notification socket %s: "
				    "another process is bound to it", path);
			else
				snprintf(err, len, "notification socket %s: "
				    "cannot tell whether it is in use: %s",
				    path, strerror(errno));
			return -1;
		}
		(void)unlink(path);	/* stale: left by a dead mwsupd */
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, len, "notification socket %s: socket: %s", path,
		    strerror(errno));
		return -1;
	}
	/* Before bind: every datagram that can arrive carries its sender. */
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) == -1) {
		snprintf(err, len, "notification socket %s: SO_PASSCRED: %s",
		    path, strerror(errno));
		goto fail;
	}
	/*
	 * Mode 0666, set by the umask at bind time rather than a chmod()
	 * afterwards (which would follow a symbolic link swapped in
	 * meanwhile).  Writable by everybody, as systemd's own notification
	 * socket: the processes may run as any user, and sending is all
	 * the mode grants.  The access control is the sender's credentials,
	 * which the kernel writes and an unprivileged sender cannot forge:
	 * a datagram counts only when its pid belongs to a supervised
	 * process (or its process group) and its uid suits that process.
	 */
	old = umask(0111);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, len, "notification socket %s: cannot bind: %s",
		    path, strerror(errno));
		goto fail;
	}
	umask(old);
	if (loop_add(&sock_io, fd, EPOLLIN, notify_readable, NULL) == -1) {
		snprintf(err, len, "notification socket %s: epoll: %s", path,
		    strerror(errno));
		(void)unlink(path);
		goto fail;
	}
	strcpy(sock_path, path);
	memset(&stats, 0, sizeof(stats));
	timer_init(&quiet_timer, quiet_end, NULL);
	quiet_ignored = 0;
	return 0;
fail:
	close(fd);
	return -1;
}

void
notify_close(void)
{
	if (sock_io.fd == -1)
		return;
	close(sock_io.fd);
	loop_del(&sock_io);
	(void)unlink(sock_path);
	sock_path[0] = '\0';
	timer_cancel(&quiet_timer);
}

const char *
notify_path(void)
{
	return sock_io.fd == -1 ? NULL : sock_path;
}

void
notify_get_stats(struct notify_stats *out)
{
	*out = stats;
}

/* ---------------------------------------------------------------- environment */

int
notify_env_init(struct notify_env *env, const char *path,
    uint64_t watchdog_usec)
{
	size_t i = 0;
	int n;

	memset(env, 0, sizeof(*env));
	n = snprintf(env->socket, sizeof(env->socket), "NOTIFY_SOCKET=%s",
	    path);
	if (n < 0 || (size_t)n >= sizeof(env->socket))
		return -1;
	env->vars[i++] = env->socket;
	if (watchdog_usec > 0) {
		(void)snprintf(env->usec, sizeof(env->usec),
		    "WATCHDOG_USEC=%llu", (unsigned long long)watchdog_usec);
		(void)snprintf(env->pid, sizeof(env->pid), "WATCHDOG_PID=0");
		env->vars[i++] = env->usec;
		env->vars[i++] = env->pid;
	}
	env->vars[i] = NULL;
	return 0;
}

void
notify_env_set_pid(struct notify_env *env, pid_t pid)
{
	char digits[NOTIFY_PID_DIGITS];
	char *slot = env->pid + sizeof("WATCHDOG_PID=") - 1;
	size_t n = 0;
	unsigned long v = pid > 0 ? (unsigned long)pid : 0;

	/* By hand: snprintf is not async-signal-safe. */
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 && n < sizeof(digits));
	for (size_t i = 0; i < n; i++)
		slot[i] = digits[n - 1 - i];
	slot[n] = '\0';
}

bool
notify_env_reserved(const char *kv)
{
	static const char *const names[] = {
		"NOTIFY_SOCKET=", "WATCHDOG_USEC=", "WATCHDOG_PID=",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strncmp(kv, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}
