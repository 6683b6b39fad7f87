/*
 * test_notify.c — unit tests of the notification socket (mwsupd/notify.c)
 * on the real event loop (loop.c, timer.c): the parser, the socket file,
 * datagrams from this process, from children, from another user, hostile
 * ones (oversized, binary, carrying descriptors, a flood), the child's
 * environment, and the real client library through tests/helpers/notifier
 * (libsystemd's sd_notify; skipped when the helper was not built).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "notify.h"
#include "timer.h"

#define UNUSED	__attribute__((unused))	/* cmocka's state argument */

#define MAXMSGS		64
#define MAXLOOKUPS	64
#define DEADLINE_MS	20000	/* a cap: the tests end as soon as they can */
#define FLOOD		10000

static char	 dir[64];
static char	 path[128];

/* The fake owner registry: LOOKUP accepts one pid, or any (0). */
static int	 owner_token;
static pid_t	 accept_pid;
struct lookup_rec {
	pid_t	pid;
	uid_t	uid;
	gid_t	gid;
};
static struct lookup_rec lookups[MAXLOOKUPS];
static size_t	 nlookups;

static struct notify_msg msgs[MAXMSGS];
static size_t	 nmsgs;		/* all delivered, even past MAXMSGS */
static size_t	 want_msgs, want_received;

/* Flood bookkeeping: the largest number of messages one wake-up gave. */
static uint64_t	 last_wakeup;
static size_t	 in_this_wakeup, max_per_wakeup;

static void *
fake_lookup(pid_t pid, uid_t uid, gid_t gid)
{
	if (nlookups < MAXLOOKUPS)
		lookups[nlookups] = (struct lookup_rec){ pid, uid, gid };
	nlookups++;
	return accept_pid == 0 || pid == accept_pid ? &owner_token : NULL;
}

static void
fake_message(void *owner, const struct notify_msg *m)
{
	struct notify_stats st;

	assert_ptr_equal(owner, &owner_token);
	if (nmsgs < MAXMSGS)
		msgs[nmsgs] = *m;
	nmsgs++;
	notify_get_stats(&st);
	if (st.wakeups != last_wakeup) {
		last_wakeup = st.wakeups;
		in_this_wakeup = 0;
	}
	if (++in_this_wakeup > max_per_wakeup)
		max_per_wakeup = in_this_wakeup;
}

/* ---------------------------------------------------------------- helpers */

static struct timer	deadline_timer, poll_timer;
static bool		(*until)(void);

static void
on_deadline(struct timer *t UNUSED, void *arg UNUSED)
{
	loop_exit(1);
}

static void
on_poll(struct timer *t, void *arg UNUSED)
{
	if (until())
		loop_exit(0);
	else
		assert_int_equal(timer_set(t, now_ms() + 1), 0);
}

/* Run the loop until COND holds (0) or DEADLINE_MS passed (1). */
static int
run_until(bool (*cond)(void))
{
	int r;

	if (cond())
		return 0;
	until = cond;
	timer_init(&deadline_timer, on_deadline, NULL);
	timer_init(&poll_timer, on_poll, NULL);
	assert_int_equal(timer_set(&deadline_timer, now_ms() + DEADLINE_MS), 0);
	assert_int_equal(timer_set(&poll_timer, now_ms() + 1), 0);
	r = loop_run();
	timer_cancel(&deadline_timer);
	timer_cancel(&poll_timer);
	return r;
}

static bool
got_msgs(void)
{
	return nmsgs >= want_msgs;
}

static bool
got_received(void)
{
	struct notify_stats st;

	notify_get_stats(&st);
	return st.received >= want_received;
}

static void
wait_msgs(size_t n)
{
	want_msgs = n;
	assert_int_equal(run_until(got_msgs), 0);
}

static void
wait_received(size_t n)
{
	want_received = n;
	assert_int_equal(run_until(got_received), 0);
}

/* Send LEN bytes to the socket, with NFDS descriptors.  -1 on failure
   (errno set), usable in a child. */
static int
send_to(const char *to, const void *buf, size_t len, const int *fds,
    size_t nfds)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(sizeof(int) * 32)];
	} ctl;
	struct msghdr mh = {
		.msg_name = &sun, .msg_namelen = sizeof(sun),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n;
	int s;

	if (strlen(to) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, to, strlen(to) + 1);
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	n = sendmsg(s, &mh, MSG_NOSIGNAL);
	close(s);
	return n == (ssize_t)len ? 0 : -1;
}

static void
send_text(const char *text)
{
	assert_int_equal(send_to(path, text, strlen(text), NULL, 0), 0);
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
	return n - 1;		/* the directory's own descriptor */
}

static int
reap(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int
setup(void **state UNUSED)
{
	char err[256];

	nmsgs = nlookups = 0;
	accept_pid = 0;
	max_per_wakeup = in_this_wakeup = 0;
	last_wakeup = 0;
	memset(msgs, 0, sizeof(msgs));
	notify_set_hooks(fake_lookup, fake_message);
	if (notify_open(path, err, sizeof(err)) != 0) {
		fprintf(stderr, "notify_open: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state UNUSED)
{
	notify_close();
	return 0;
}

static int
group_setup(void **state UNUSED)
{
	strcpy(dir, "/tmp/test_notify.XXXXXX");
	if (mkdtemp(dir) == NULL || loop_init() == -1)
		return -1;
	/* Searchable by the other user of test_other_uid. */
	if (chmod(dir, 0755) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/notify.sock", dir);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int
group_teardown(void **state UNUSED)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---------------------------------------------------------------- parser */

static int
parse(const char *s, struct notify_msg *m)
{
	return notify_parse(s, strlen(s), m);
}

static void
test_parse_each(void **state UNUSED)
{
	struct notify_msg m;

	assert_int_equal(parse("READY=1\n", &m), 1);
	assert_true(m.ready);
	assert_false(m.watchdog || m.watchdog_trigger || m.has_status);

	assert_int_equal(parse("WATCHDOG=1", &m), 1);
	assert_true(m.watchdog);
	assert_false(m.ready || m.watchdog_trigger);

	assert_int_equal(parse("WATCHDOG=trigger\n", &m), 1);
	assert_true(m.watchdog_trigger);
	assert_false(m.watchdog);

	assert_int_equal(parse("STATUS=Serving 3 clients\n", &m), 1);
	assert_true(m.has_status);
	assert_string_equal(m.status, "Serving 3 clients");

	/* An empty STATUS= is given: it clears the text. */
	assert_int_equal(parse("STATUS=", &m), 1);
	assert_true(m.has_status);
	assert_string_equal(m.status, "");
}

static void
test_parse_several(void **state UNUSED)
{
	struct notify_msg m;

	/* Several in one datagram, no final newline, unknown ones
	   skipped, blank lines and CRLF fine, the last STATUS= wins. */
	assert_int_equal(parse("MAINPID=1\nSTATUS=one\r\n\nREADY=1\n"
	    "FDSTORE=1\nWATCHDOG=1\nSTATUS=two", &m), 4);
	assert_true(m.ready && m.watchdog);
	assert_false(m.watchdog_trigger);
	assert_string_equal(m.status, "two");

	/* Nothing understood: not an error, nothing to do. */
	assert_int_equal(parse("STOPPING=1\nRELOADING=1\nREADY=0\nREADY=10\n"
	    "READY\n=1\nready=1\n READY=1\nWATCHDOG=2\nSTATUSX=y", &m), 0);
	assert_false(m.ready || m.watchdog || m.has_status);
	assert_int_equal(parse("", &m), 0);
	assert_int_equal(parse("\n\n\n", &m), 0);
}

static void
test_parse_hostile(void **state UNUSED)
{
	struct notify_msg m;
	char big[2 * NOTIFY_STATUS_MAX], out[NOTIFY_STATUS_MAX];
	static const char nul[] = "READY=1\n\0garbage";
	size_t n;

	/* A NUL byte anywhere: not a notification. */
	memset(&m, 0xaa, sizeof(m));
	assert_int_equal(notify_parse(nul, sizeof(nul) - 1, &m), -1);
	assert_false(m.ready);

	/* Control characters (C0, DEL, C1) removed, bad UTF-8 as '?',
	   good UTF-8 kept. */
	assert_int_equal(parse("STATUS=a\tb\x1b[31mc\x7f"
	    "d\xc2\x9b" "e\xff\xc3(f\xc3\xa9\xe2\x82\xac\xed\xa0\x80", &m), 1);
	assert_string_equal(m.status, "ab[31mcde??" "(f\xc3\xa9\xe2\x82\xac???");

	/* Long text cut to fit, never inside a character. */
	memcpy(big, "STATUS=", 7);
	for (n = 7; n + 2 < sizeof(big); n += 2)
		memcpy(big + n, "\xc3\xa9", 2);	/* é */
	big[n] = '\0';
	assert_int_equal(parse(big, &m), 1);
	assert_int_equal(strlen(m.status), NOTIFY_STATUS_MAX - 1 -
	    (NOTIFY_STATUS_MAX - 1) % 2);
	for (n = 0; n < NOTIFY_STATUS_MAX / 2 - 1; n++)
		memcpy(out + 2 * n, "\xc3\xa9", 2);
	out[2 * n] = '\0';
	assert_string_equal(m.status, out);

	/* Every byte value but NUL: no crash, text stays clean. */
	for (n = 0; n < sizeof(big) - 1; n++) {
		big[n] = (char)(n % 255 + 1);
		if (big[n] == '\n' || big[n] == '\r')
			big[n] = 'x';	/* one line */
	}
	memcpy(big, "STATUS=", 7);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(parse(big, &m), 1);
	for (const unsigned char *p = (unsigned char *)m.status; *p; p++)
		assert_true(*p >= 0x20 && *p != 0x7f);
}

/* ---------------------------------------------------------------- socket */

static void
test_open_errors(void **state UNUSED)
{
	char err[256], p[300], target[160];
	struct stat st;
	int fd;

	/* Not a filesystem path. */
	assert_int_equal(notify_open("@abstract", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an absolute path"));
	assert_int_equal(notify_open("relative.sock", err, sizeof(err)), -1);

	/* Too long for sun_path: says so, creates nothing. */
	snprintf(p, sizeof(p), "%s/%0150d", dir, 0);
	assert_int_equal(notify_open(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	assert_non_null(strstr(err, "at most 107"));

	/* A regular file is refused and kept. */
	snprintf(p, sizeof(p), "%s/file", dir);
	assert_true((fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) >= 0);
	close(fd);
	assert_int_equal(notify_open(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "exists and is not a socket"));
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));

	/* A symbolic link is refused, not followed, even to a socket. */
	snprintf(target, sizeof(target), "%s/target.sock", dir);
	assert_int_equal(notify_open(target, err, sizeof(err)), 0);
	notify_close();
	{
		/* Leave a stale socket file at target. */
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		strcpy(sun.sun_path, target);
		assert_int_equal(bind(s, (struct sockaddr *)&sun,
		    sizeof(sun)), 0);
		close(s);
	}
	snprintf(p, sizeof(p), "%s/link.sock", dir);
	assert_int_equal(symlink(target, p), 0);
	assert_int_equal(notify_open(p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "exists and is not a socket"));
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(lstat(target, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));

	/* A stale socket is replaced; a live one is refused. */
	assert_int_equal(notify_open(target, err, sizeof(err)), 0);
	assert_int_equal(notify_open(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "already open"));
	{
		int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		strcpy(sun.sun_path, path);
		assert_int_equal(bind(s, (struct sockaddr *)&sun,
		    sizeof(sun)), 0);
		notify_close();
		assert_int_equal(notify_open(path, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "another process is bound"));
		close(s);
		assert_int_equal(unlink(path), 0);
	}
	assert_null(notify_path());
	assert_int_equal(lstat(target, &st), -1);	/* close unlinks */
}

static void
test_socket_file(void **state UNUSED)
{
	struct stat st;
	int flags;

	assert_string_equal(notify_path(), path);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	/* Any user may send; the credentials decide what counts. */
	assert_int_equal(st.st_mode & 07777, 0666);
	/* Our descriptor: nonblocking and close-on-exec. */
	for (int fd = 3; fd < 1024; fd++) {
		struct stat fst;
		if (fstat(fd, &fst) == 0 && S_ISSOCK(fst.st_mode) &&
		    fst.st_ino == st.st_ino) {
			flags = fcntl(fd, F_GETFL);
			assert_true(flags & O_NONBLOCK);
			assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		}
	}
	notify_close();
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

static void
test_own_process(void **state UNUSED)
{
	struct notify_stats st;

	send_text("READY=1\nSTATUS=Listening on :8080\n");
	wait_msgs(1);
	assert_true(msgs[0].ready);
	assert_string_equal(msgs[0].status, "Listening on :8080");
	assert_int_equal(msgs[0].pid, getpid());
	assert_int_equal(msgs[0].uid, getuid());
	assert_int_equal(msgs[0].gid, getgid());
	assert_int_equal(lookups[0].pid, getpid());
	assert_int_equal(lookups[0].uid, getuid());

	send_text("WATCHDOG=1");		/* no trailing newline */
	send_text("WATCHDOG=trigger\n");
	send_text("STOPPING=1\nMAINPID=42\n");	/* nothing for us */
	send_text("STATUS=a\nREADY=1\nWATCHDOG=1\nSTATUS=b\n");
	wait_received(5);
	assert_int_equal(nmsgs, 4);
	assert_true(msgs[1].watchdog && !msgs[1].ready);
	assert_true(msgs[2].watchdog_trigger && !msgs[2].watchdog);
	assert_true(msgs[3].ready && msgs[3].watchdog);
	assert_string_equal(msgs[3].status, "b");
	notify_get_stats(&st);
	assert_int_equal(st.delivered, 4);
	assert_int_equal(st.unused, 1);
}

static void
test_child_sender(void **state UNUSED)
{
	pid_t child;

	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(send_to(path, "READY=1", 7, NULL, 0) == 0 ? 0 : 1);
	assert_int_equal(reap(child), 0);
	wait_msgs(1);
	assert_int_equal(lookups[0].pid, child);
	assert_int_equal(msgs[0].pid, child);
	assert_true(msgs[0].ready);
}

/*
 * A process of the owner's process group speaks for it; a process of
 * another group does not, and nothing of it reaches the owner.
 */
static void
test_group_sender(void **state UNUSED)
{
	int ready[2], hold[2];
	pid_t leader, member = 0;
	struct notify_stats st;
	char c;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(hold), 0);
	leader = fork();
	assert_true(leader >= 0);
	if (leader == 0) {
		/* The main process: its own group, as mwsupd makes it. */
		pid_t m;
		(void)setpgid(0, 0);
		close(ready[0]);
		close(hold[1]);
		if ((m = fork()) == 0) {
			/* Stays alive until the parent has read, so its
			   group can still be asked. */
			if (send_to(path, "READY=1\nSTATUS=from a member", 28,
			    NULL, 0) != 0)
				_exit(1);
			(void)!write(ready[1], &m, 1);
			(void)!read(hold[0], &c, 1);
			_exit(0);
		}
		(void)!read(hold[0], &c, 1);
		waitpid(m, NULL, 0);
		_exit(0);
	}
	(void)setpgid(leader, leader);
	close(ready[1]);
	close(hold[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	accept_pid = leader;
	wait_msgs(1);
	member = msgs[0].pid;
	assert_true(member != leader && member != getpid());
	assert_int_equal(nlookups, 2);
	assert_int_equal(lookups[0].pid, member);	/* the sender first */
	assert_int_equal(lookups[1].pid, leader);	/* then its group */
	assert_string_equal(msgs[0].status, "from a member");

	/* This process is in another group: ignored. */
	send_text("READY=1");
	wait_received(2);
	assert_int_equal(nmsgs, 1);
	notify_get_stats(&st);
	assert_int_equal(st.unknown, 1);

	close(hold[1]);
	close(ready[0]);
	assert_int_equal(reap(leader), 0);
}

static void
test_other_uid(void **state UNUSED)
{
	const uid_t nobody = 65534;
	pid_t child;

	if (geteuid() != 0) {
		print_message("not root: cannot send as another user\n");
		skip();
	}
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		if (setgroups(0, NULL) == -1 ||
		    setresgid(nobody, nobody, nobody) == -1 ||
		    setresuid(nobody, nobody, nobody) == -1)
			_exit(2);
		_exit(send_to(path, "READY=1", 7, NULL, 0) == 0 ? 0 : 1);
	}
	assert_int_equal(reap(child), 0);	/* mode 0666 let it send */
	wait_msgs(1);
	assert_int_equal(lookups[0].pid, child);
	assert_int_equal(lookups[0].uid, nobody);
	assert_int_equal(lookups[0].gid, nobody);
	assert_int_equal(msgs[0].uid, nobody);
}

static void
test_oversized(void **state UNUSED)
{
	static char big[64 * 1024];
	struct notify_stats st;

	memset(big, 'x', sizeof(big));
	memcpy(big, "READY=1\nSTATUS=", 15);
	assert_int_equal(send_to(path, big, sizeof(big), NULL, 0), 0);
	/* Exactly the limit still fits. */
	assert_int_equal(send_to(path, big, NOTIFY_DATAGRAM_MAX, NULL, 0), 0);
	assert_int_equal(send_to(path, big, NOTIFY_DATAGRAM_MAX + 1, NULL, 0),
	    0);
	send_text("WATCHDOG=1\n");
	wait_received(4);
	notify_get_stats(&st);
	assert_int_equal(st.truncated, 2);
	assert_int_equal(nmsgs, 2);
	assert_true(msgs[0].ready);
	assert_int_equal(strlen(msgs[0].status), NOTIFY_STATUS_MAX - 1);
	assert_true(msgs[1].watchdog && !msgs[1].ready);
}

static void
test_garbage(void **state UNUSED)
{
	unsigned char junk[1024];
	struct notify_stats st;
	unsigned v = 12345;

	for (size_t i = 0; i < sizeof(junk); i++) {
		v = v * 1103515245 + 12345;
		junk[i] = (unsigned char)(v >> 16);
	}
	junk[100] = '\0';
	assert_int_equal(send_to(path, junk, sizeof(junk), NULL, 0), 0);
	junk[100] = 'x';
	for (size_t i = 0; i < sizeof(junk); i++)
		if (junk[i] == '\0')
			junk[i] = 1;
	assert_int_equal(send_to(path, junk, sizeof(junk), NULL, 0), 0);
	assert_int_equal(send_to(path, "", 0, NULL, 0), 0);
	send_text("READY=1");
	wait_received(4);
	notify_get_stats(&st);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(nmsgs, 1);
	assert_true(msgs[0].ready);
}

static void
test_descriptors(void **state UNUSED)
{
	int fds[20], before, after;
	struct notify_stats st;

	before = count_fds();
	for (size_t i = 0; i < 20; i++)
		assert_true((fds[i] = open("/dev/null",
		    O_RDONLY | O_CLOEXEC)) >= 0);
	assert_int_equal(send_to(path, "READY=1\nFDSTORE=1", 17, fds, 3), 0);
	/* More than we take in: the kernel drops the rest itself. */
	assert_int_equal(send_to(path, "WATCHDOG=1", 10, fds, 20), 0);
	for (size_t i = 0; i < 20; i++)
		close(fds[i]);
	wait_received(2);
	after = count_fds();
	assert_int_equal(after, before);
	notify_get_stats(&st);
	assert_true(st.fds_closed >= 3 && st.fds_closed <= 3 + 20);
	/* The text still counts. */
	assert_int_equal(nmsgs, 2);
	assert_true(msgs[0].ready);
	assert_true(msgs[1].watchdog);
}

/*
 * A flood of FLOOD datagrams while a timer ticks every millisecond: every
 * datagram arrives, no wake-up reads more than NOTIFY_BATCH, and the
 * timer keeps firing during the flood.  The queue is filled first, so an
 * unbounded reader would take all of it in one wake-up: as root the test
 * gets a network namespace of its own (where the socket queue's limit,
 * net.unix.max_dgram_qlen, is ours to raise); otherwise the default of 10
 * makes that part of the check toothless, and the test says so.
 */
#define FLOOD_QLEN	1000

static struct timer	tick_timer;
static size_t		ticks_during_flood;

static void
on_tick(struct timer *t, void *arg UNUSED)
{
	if (nmsgs > 0 && nmsgs < FLOOD)
		ticks_during_flood++;
	assert_int_equal(timer_set(t, now_ms() + 1), 0);
}

static int
setup_flood(void **state)
{
	FILE *f;

	if (geteuid() == 0 && unshare(CLONE_NEWNET) == 0 &&
	    (f = fopen("/proc/sys/net/unix/max_dgram_qlen", "w")) != NULL) {
		fprintf(f, "%d\n", FLOOD_QLEN);
		fclose(f);
	}
	return setup(state);
}

/* Queue datagrams until the socket takes no more; how many.  One sending
   socket's buffer holds a few hundred: use several. */
static size_t
fill_queue(size_t most)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t n = 0, before;
	int s;

	strcpy(sun.sun_path, path);
	do {
		before = n;
		assert_true((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC,
		    0)) >= 0);
		while (n < most && sendto(s, "WATCHDOG=1", 10, MSG_DONTWAIT,
		    (struct sockaddr *)&sun, sizeof(sun)) == 10)
			n++;
		assert_true(n == most || errno == EAGAIN);
		close(s);
	} while (n > before && n < most);
	return n;
}

static void
test_flood(void **state UNUSED)
{
	struct notify_stats st;
	uint64_t t0 = now_ms();
	size_t queued;
	pid_t child;

	queued = fill_queue(FLOOD);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		for (size_t i = queued; i < FLOOD; i++)
			if (send_to(path, "WATCHDOG=1", 10, NULL, 0) != 0)
				_exit(1);
		_exit(0);
	}
	timer_init(&tick_timer, on_tick, NULL);
	assert_int_equal(timer_set(&tick_timer, now_ms() + 1), 0);
	wait_msgs(FLOOD);
	timer_cancel(&tick_timer);
	assert_int_equal(reap(child), 0);
	notify_get_stats(&st);
	print_message("flood: %d datagrams (%zu queued first) in %llu ms, "
	    "%llu wake-ups, at most %zu per wake-up, %zu ticks meanwhile\n",
	    FLOOD, queued, (unsigned long long)(now_ms() - t0),
	    (unsigned long long)st.wakeups, max_per_wakeup,
	    ticks_during_flood);
	if (queued <= NOTIFY_BATCH)
		print_message("flood: the queue holds only %zu datagrams "
		    "here (not root?): the bound is not really tested\n",
		    queued);
	assert_int_equal(nmsgs, FLOOD);
	assert_true(max_per_wakeup <= NOTIFY_BATCH);
	assert_true(st.wakeups >= FLOOD / NOTIFY_BATCH);
	assert_true(ticks_during_flood >= 3);
}

/* ---------------------------------------------------------------- environment */

static void
test_env(void **state UNUSED)
{
	struct notify_env env;
	char *slot;
	char longpath[200];

	assert_int_equal(notify_env_init(&env, "/run/mwsup.notify", 0), 0);
	assert_string_equal(env.vars[0], "NOTIFY_SOCKET=/run/mwsup.notify");
	assert_null(env.vars[1]);

	assert_int_equal(notify_env_init(&env, "/run/mwsup.notify",
	    30000000), 0);
	assert_string_equal(env.vars[0], "NOTIFY_SOCKET=/run/mwsup.notify");
	assert_string_equal(env.vars[1], "WATCHDOG_USEC=30000000");
	assert_string_equal(env.vars[2], "WATCHDOG_PID=0");
	assert_null(env.vars[3]);
	slot = env.vars[2];
	notify_env_set_pid(&env, 1234);
	assert_ptr_equal(env.vars[2], slot);	/* patched in place */
	assert_string_equal(env.vars[2], "WATCHDOG_PID=1234");
	notify_env_set_pid(&env, INT_MAX);
	assert_string_equal(env.vars[2], "WATCHDOG_PID=2147483647");
	notify_env_set_pid(&env, 7);
	assert_string_equal(env.vars[2], "WATCHDOG_PID=7");

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(notify_env_init(&env, longpath, 0), -1);

	assert_true(notify_env_reserved("NOTIFY_SOCKET=/run/systemd/notify"));
	assert_true(notify_env_reserved("WATCHDOG_USEC=1"));
	assert_true(notify_env_reserved("WATCHDOG_PID=1"));
	assert_false(notify_env_reserved("NOTIFY_SOCKETS=1"));
	assert_false(notify_env_reserved("PATH=/bin"));
	assert_false(notify_env_reserved("MWSUP_PROGRAM=web"));
}

/* ---------------------------------------------------------------- the real client */

static char	notifier[PATH_MAX];

static bool
have_notifier(void)
{
	const char *h = getenv("HELPERS");

	snprintf(notifier, sizeof(notifier), "%s/notifier",
	    h != NULL ? h : "tests/helpers");
	return access(notifier, X_OK) == 0;
}

/* Start the notifier with ARGV in its own process group, with the
   environment of a `ready = notify` process (and a watchdog of USEC);
   with SET_PID the child fills WATCHDOG_PID as the spawn code will. */
static pid_t
start_notifier(const char *const argv[], uint64_t usec, bool set_pid)
{
	static struct notify_env env;
	pid_t pid;

	assert_int_equal(notify_env_init(&env, path, usec), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		(void)setpgid(0, 0);
		if (set_pid)
			notify_env_set_pid(&env, getpid());
		execve(notifier, (char *const *)argv, env.vars);
		_exit(127);
	}
	(void)setpgid(pid, pid);
	return pid;
}

static void
skip_without_notifier(void)
{
	if (!have_notifier()) {
		print_message("no %s (built with libsystemd only)\n",
		    notifier);
		skip();
	}
}

static void
test_sd_notify(void **state UNUSED)
{
	const char *const argv[] = { "notifier", "-d", "20", "-r", "-s",
	    "Ready: 5 workers", "-e", NULL };
	pid_t pid;

	skip_without_notifier();
	pid = start_notifier(argv, 0, false);
	accept_pid = pid;
	wait_msgs(1);
	assert_int_equal(reap(pid), 0);
	assert_int_equal(msgs[0].pid, pid);
	assert_true(msgs[0].ready);
	assert_string_equal(msgs[0].status, "Ready: 5 workers");
	assert_int_equal(lookups[0].pid, pid);
}

/* sd_watchdog_enabled() accepts our WATCHDOG_USEC and WATCHDOG_PID, and
   refuses the slot's "0" when the spawn code forgets to fill it. */
static void
test_sd_watchdog(void **state UNUSED)
{
	const char *const argv[] = { "notifier", "-W", "-n", "3", "-t", "-e", NULL };
	pid_t pid;

	skip_without_notifier();
	pid = start_notifier(argv, 20000, true);	/* 20 ms */
	accept_pid = pid;
	wait_msgs(4);
	assert_int_equal(reap(pid), 0);
	assert_true(msgs[0].watchdog_trigger);
	for (size_t i = 1; i < 4; i++) {
		assert_true(msgs[i].watchdog);
		assert_int_equal(msgs[i].pid, pid);
	}

	pid = start_notifier(argv, 20000, false);
	assert_int_equal(reap(pid), 3);
}

/* sd_pid_notify() from a forked child on behalf of the main process:
   accepted whether the kernel let it pass the parent's pid or not. */
static void
test_sd_pid_notify(void **state UNUSED)
{
	const char *const argv[] = { "notifier", "-c", "-r", "-e", NULL };
	pid_t pid;

	skip_without_notifier();
	pid = start_notifier(argv, 0, false);
	accept_pid = pid;
	wait_msgs(1);
	assert_int_equal(reap(pid), 0);
	assert_true(msgs[0].ready);
	if (msgs[0].pid == pid)
		assert_int_equal(nlookups, 1);
	else
		assert_int_equal(lookups[1].pid, pid);	/* via its group */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_each),
		cmocka_unit_test(test_parse_several),
		cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test_setup_teardown(test_socket_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_own_process, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_child_sender, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_group_sender, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_other_uid, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_oversized, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_descriptors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flood, setup_flood,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sd_notify, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sd_watchdog, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sd_pid_notify, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
