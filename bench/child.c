/*
 * child.c — the supervised process used by the bench, and a syslog sink.
 *
 *   child sleep FIFO NUM        record start, then sleep forever
 *   child crash FIFO NUM        record start, record death, SIGKILL itself
 *   child churn FIFO NUM MS     record start, live MS milliseconds, exit 0
 *   child sink  PATH            bind a unix datagram socket, discard all
 *
 * A record is one line, written with a single write() of less than
 * PIPE_BUF bytes to the bench's FIFO (so records never interleave):
 *   "S NUM PID NS\n"  started   (NS: CLOCK_MONOTONIC, system-wide)
 *   "D NUM PID NS\n"  about to die (crash mode)
 * Built static by bench/run.sh so that exec costs the same for everyone
 * and as little as possible.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static unsigned long long
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL +
	    (unsigned long long)ts.tv_nsec;
}

static void
record(int fd, char kind, int num, unsigned long long ns)
{
	char buf[80];
	int n = snprintf(buf, sizeof(buf), "%c %d %ld %llu\n", kind, num,
	    (long)getpid(), ns);

	while (write(fd, buf, (size_t)n) == -1 && errno == EINTR)
		;
}

static int
open_fifo(const char *path)
{
	/* Non-blocking open: never hang when the bench is gone. */
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd == -1)
		_exit(111);
	(void)fcntl(fd, F_SETFL, 0);	/* blocking writes: never lose one */
	return fd;
}

static int
sink(const char *path)
{
	struct sockaddr_un sun;
	static char buf[65536];
	int fd, sz = 8 << 20;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror("sink");
		return 1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	for (;;)
		if (recv(fd, buf, sizeof(buf), 0) == -1 && errno != EINTR)
			return 1;
}

int
main(int argc, char **argv)
{
	unsigned long long t0 = mono_ns();
	int fd, num;

	if (argc == 3 && strcmp(argv[1], "sink") == 0)
		return sink(argv[2]);
	if (argc < 4) {
		fprintf(stderr, "usage: child sleep|crash|churn FIFO NUM [MS]\n");
		return 2;
	}
	num = atoi(argv[3]);
	fd = open_fifo(argv[2]);
	record(fd, 'S', num, t0);
	if (strcmp(argv[1], "sleep") == 0) {
		close(fd);
		for (;;)
			pause();
	}
	if (strcmp(argv[1], "crash") == 0) {
		record(fd, 'D', num, mono_ns());
		raise(SIGKILL);
	}
	if (strcmp(argv[1], "churn") == 0 && argc > 4) {
		struct timespec ts;
		long ms = atol(argv[4]);

		close(fd);
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
		return 0;
	}
	return 2;
}
