/*
 * crasher.c — test helper: kill itself with a signal after a delay.
 *
 * usage: crasher [-d MS] [-S SIGNUM] [-p FILE]
 *   -d MS      wait MS milliseconds first (default 0)
 *   -S SIGNUM  the signal, as a number (default SIGSEGV); no core dump
 *   -p FILE    append "PID START_NS\n" to FILE first (one line per run)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	const char *file = NULL;
	struct rlimit nocore = { 0, 0 };
	sigset_t all;
	long ms = 0;
	int sig = SIGSEGV, ch;

	while ((ch = getopt(argc, argv, "d:S:p:")) != -1) {
		switch (ch) {
		case 'd': ms = atol(optarg); break;
		case 'S': sig = atoi(optarg); break;
		case 'p': file = optarg; break;
		default:
			fprintf(stderr, "usage: crasher [-d MS] [-S SIGNUM] "
			    "[-p FILE]\n");
			return 99;
		}
	}
	setrlimit(RLIMIT_CORE, &nocore);
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
	/* Make sure the signal kills us: default action, unblocked. */
	signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigaddset(&all, sig);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	kill(getpid(), sig);
	for (;;)
		pause();
}
