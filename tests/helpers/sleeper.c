/*
 * sleeper.c — test helper: record pid and start time, maybe talk, sleep.
 *
 * usage: sleeper [-p PIDFILE] [-a] [-s SECONDS] [-x CODE] [-i MS]
 *                [-o TEXT] [-E TEXT]
 *   -p FILE  write "PID START_NS\n" to FILE (CLOCK_REALTIME nanoseconds);
 *            written to FILE.tmp and renamed, so readers see all or nothing
 *   -a       append the line to FILE instead (one write, O_APPEND), to
 *            record every start of a restarted process
 *   -s SECS  sleep SECS (decimal allowed) and exit, instead of forever
 *   -x CODE  exit status after -s (default 0)
 *   -i MS    print "tick N" on stdout every MS milliseconds
 *   -o TEXT  print TEXT on stdout once at start
 *   -E TEXT  print TEXT on stderr once at start
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
usage(void)
{
	fprintf(stderr, "usage: sleeper [-p PIDFILE] [-a] [-s SECONDS] "
	    "[-x CODE] [-i MS] [-o TEXT] [-E TEXT]\n");
	exit(99);
}

static void
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

static void
record(const char *path, int append)
{
	struct timespec ts;
	char line[64], tmp[4096];
	int fd, n;

	clock_gettime(CLOCK_REALTIME, &ts);
	n = snprintf(line, sizeof(line), "%ld %lld%09ld\n", (long)getpid(),
	    (long long)ts.tv_sec, ts.tv_nsec);
	if (append) {
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0644);
		if (fd == -1) {
			perror(path);
			exit(99);
		}
		write_all(fd, line, (size_t)n);
		close(fd);
		return;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path,
	    (long)getpid()) >= (int)sizeof(tmp))
		exit(99);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1) {
		perror(tmp);
		exit(99);
	}
	write_all(fd, line, (size_t)n);
	close(fd);
	if (rename(tmp, path) == -1) {
		perror(path);
		exit(99);
	}
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
main(int argc, char *argv[])
{
	const char *pidfile = NULL, *out = NULL, *err = NULL;
	double secs = -1;
	long interval = 0, tick = 0;
	int append = 0, code = 0, ch;

	while ((ch = getopt(argc, argv, "p:as:x:i:o:E:")) != -1) {
		switch (ch) {
		case 'p': pidfile = optarg; break;
		case 'a': append = 1; break;
		case 's': secs = strtod(optarg, NULL); break;
		case 'x': code = atoi(optarg); break;
		case 'i': interval = atol(optarg); break;
		case 'o': out = optarg; break;
		case 'E': err = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (pidfile != NULL)
		record(pidfile, append);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (out != NULL)
		printf("%s\n", out);
	if (err != NULL)
		fprintf(stderr, "%s\n", err);

	if (secs >= 0 && interval <= 0) {
		sleep_ms((long)(secs * 1000));
		return code;
	}
	if (interval > 0) {
		long left = secs >= 0 ? (long)(secs * 1000) : -1;
		for (;;) {
			if (left >= 0 && left < interval) {
				sleep_ms(left);
				return code;
			}
			sleep_ms(interval);
			if (left >= 0)
				left -= interval;
			printf("tick %ld\n", ++tick);
		}
	}
	for (;;)
		pause();
}
