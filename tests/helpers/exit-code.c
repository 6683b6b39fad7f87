/*
 * exit-code.c — test helper: exit with a given status, maybe after a delay.
 *
 * usage: exit-code N [-d MS] [-p FILE]
 *   -d MS    wait MS milliseconds first
 *   -p FILE  append "PID START_NS\n" to FILE first (one line per run)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	const char *file = NULL;
	long ms = 0;
	int ch;

	while ((ch = getopt(argc, argv, "+d:p:")) != -1) {
		switch (ch) {
		case 'd': ms = atol(optarg); break;
		case 'p': file = optarg; break;
		default: goto usage;
		}
	}
	/* Options may also follow N. */
	if (optind >= argc)
		goto usage;
	int code = atoi(argv[optind]);
	optind++;
	while ((ch = getopt(argc, argv, "d:p:")) != -1) {
		switch (ch) {
		case 'd': ms = atol(optarg); break;
		case 'p': file = optarg; break;
		default: goto usage;
		}
	}
	if (optind != argc)
		goto usage;

	if (file != NULL) {
		struct timespec ts;
		char line[64];
		int fd, n;

		clock_gettime(CLOCK_REALTIME, &ts);
		n = snprintf(line, sizeof(line), "%ld %lld%09ld\n",
		    (long)getpid(), (long long)ts.tv_sec, ts.tv_nsec);
		fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		    0644);
		if (fd == -1 || write(fd, line, (size_t)n) != n) {
			perror(file);
			return 99;
		}
		close(fd);
	}
	if (ms > 0) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	return code;
usage:
	fprintf(stderr, "usage: exit-code N [-d MS] [-p FILE]\n");
	return 99;
}
