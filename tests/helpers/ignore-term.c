/*
 * ignore-term.c — test helper: a process that SIGTERM does not stop.
 *
 * usage: ignore-term [-a] [-p PIDFILE]
 *   -a       also ignore SIGINT, SIGQUIT and SIGHUP
 *   -p FILE  write "PID START_NS\n" to FILE (atomically, by rename)
 * Prints "ready" on stdout once the signals are ignored, then sleeps
 * forever.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	const char *file = NULL;
	int all = 0, ch;

	while ((ch = getopt(argc, argv, "ap:")) != -1) {
		switch (ch) {
		case 'a': all = 1; break;
		case 'p': file = optarg; break;
		default:
			fprintf(stderr, "usage: ignore-term [-a] [-p FILE]\n");
			return 99;
		}
	}
	signal(SIGTERM, SIG_IGN);
	if (all) {
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
	}
	if (file != NULL) {
		struct timespec ts;
		char line[64], tmp[4096];
		int fd, n;

		clock_gettime(CLOCK_REALTIME, &ts);
		n = snprintf(line, sizeof(line), "%ld %lld%09ld\n",
		    (long)getpid(), (long long)ts.tv_sec, ts.tv_nsec);
		if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", file,
		    (long)getpid()) >= (int)sizeof(tmp))
			return 99;
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd == -1 || write(fd, line, (size_t)n) != n ||
		    close(fd) == -1 || rename(tmp, file) == -1) {
			perror(file);
			return 99;
		}
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
