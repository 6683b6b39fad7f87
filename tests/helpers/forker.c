/*
 * forker.c — test helper: a leader with N children that sleep forever.
 *
 * usage: forker N [-p FILE] [-c MS]
 *   -p FILE  write the leader's pid, then each child's pid, one per line
 *            (atomically, by rename, once every child exists)
 *   -c MS    the leader kills itself with SIGKILL after MS milliseconds
 * The children stay in the leader's process group and session; they are
 * what `killmode = group` must clean up.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXKIDS	64

int
main(int argc, char *argv[])
{
	const char *file = NULL;
	pid_t kids[MAXKIDS];
	long crash_ms = -1;
	int n, ch;

	while ((ch = getopt(argc, argv, "p:c:")) != -1) {
		switch (ch) {
		case 'p': file = optarg; break;
		case 'c': crash_ms = atol(optarg); break;
		default: goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	n = atoi(argv[optind]);
	if (n < 0 || n > MAXKIDS)
		goto usage;

	for (int i = 0; i < n; i++) {
		kids[i] = fork();
		if (kids[i] == -1) {
			perror("fork");
			return 99;
		}
		if (kids[i] == 0) {
			for (;;)
				pause();
		}
	}
	if (file != NULL) {
		char buf[32 * (MAXKIDS + 1)], tmp[4096];
		size_t len = 0;
		int fd;

		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%ld\n",
		    (long)getpid());
		for (int i = 0; i < n; i++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
			    "%ld\n", (long)kids[i]);
		if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", file,
		    (long)getpid()) >= (int)sizeof(tmp))
			return 99;
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd == -1 || write(fd, buf, len) != (ssize_t)len ||
		    close(fd) == -1 || rename(tmp, file) == -1) {
			perror(file);
			return 99;
		}
	}
	printf("forked %d\n", n);
	fflush(stdout);
	if (crash_ms >= 0) {
		struct timespec ts = { crash_ms / 1000,
		    (crash_ms % 1000) * 1000000L };
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
		kill(getpid(), SIGKILL);
	}
	for (;;)
		pause();
usage:
	fprintf(stderr, "usage: forker N [-p FILE] [-c MS]\n");
	return 99;
}
