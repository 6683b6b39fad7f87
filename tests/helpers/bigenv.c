/*
 * bigenv.c — test helper: run a command with N more environment variables.
 *
 * usage: bigenv N COMMAND [ARG...]
 *   Adds E0=0 ... E(N-1)=(N-1) to the environment and execs COMMAND (a
 *   path).  env(1) and the shells set variables one by one, each scanning
 *   all before it, which takes minutes for 100,000; this is linear.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int
main(int argc, char *argv[])
{
	size_t n, have = 0, i;
	char **envp, *buf, *p;

	if (argc < 3) {
		fprintf(stderr, "usage: bigenv N COMMAND [ARG...]\n");
		return 99;
	}
	n = strtoul(argv[1], NULL, 10);
	while (environ[have] != NULL)
		have++;
	envp = calloc(have + n + 1, sizeof(*envp));
	buf = malloc(n * 24 + 1);
	if (envp == NULL || buf == NULL) {
		perror("bigenv");
		return 99;
	}
	memcpy(envp, environ, have * sizeof(*envp));
	for (i = 0, p = buf; i < n; i++) {
		envp[have + i] = p;
		p += sprintf(p, "E%zu=%zu", i, i) + 1;
	}
	execve(argv[2], argv + 2, envp);
	perror(argv[2]);
	return 127;
}
