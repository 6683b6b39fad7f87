/*
 * timeit.c — run a command REPS times, print each wall time in ns.
 *
 *   timeit REPS CMD ARG...
 *
 * stdout and stderr of the command go to /dev/null; an exit status other
 * than 0 or 3 (mwsupctl/supervisorctl "not all RUNNING") fails the run.
 * Doing this in C keeps the bench's own spawn cost out of the round trip.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int
main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	int reps, status;

	if (argc < 3)
		return 2;
	reps = atoi(argv[1]);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	for (int i = 0; i < reps; i++) {
		struct timespec a, b;
		pid_t pid;

		clock_gettime(CLOCK_MONOTONIC, &a);
		if (posix_spawn(&pid, argv[2], &fa, NULL, argv + 2, environ)) {
			perror("timeit: spawn");
			return 1;
		}
		if (waitpid(pid, &status, 0) == -1)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (!WIFEXITED(status) ||
		    (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3)) {
			fprintf(stderr, "timeit: %s: status %d\n", argv[2],
			    status);
			return 1;
		}
		printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL
		    + (b.tv_nsec - a.tv_nsec));
	}
	return 0;
}
