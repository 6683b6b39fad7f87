/*
 * closer.c — test helper: close stdout and stderr early, then live on.
 *
 * usage: closer [-p PIDFILE] [-o TEXT] [-i]
 *   -p FILE  write "PID START_NS\n" to FILE (atomically, by rename) once
 *            stdout and stderr are closed
 *   -o TEXT  print TEXT on stdout before closing
 *   -i       close stdin too
 * Then sleeps forever.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	const char *file = NULL, *text = NULL;
	int close_in = 0, ch;

	while ((ch = getopt(argc, argv, "p:o:i")) != -1) {
		switch (ch) {
		case 'p': file = optarg; break;
		case 'o': text = optarg; break;
		case 'i': close_in = 1; break;
		default:
			fprintf(stderr, "usage: closer [-p FILE] [-o TEXT] "
			    "[-i]\n");
			return 99;
		}
	}
	if (text != NULL) {
		printf("%s\n", text);
		fflush(stdout);
	}
	close(STDOUT_FILENO);
	close(STDERR_FILENO);
	if (close_in)
		close(STDIN_FILENO);
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
		    close(fd) == -1 || rename(tmp, file) == -1)
			return 99;
	}
	for (;;)
		pause();
}
