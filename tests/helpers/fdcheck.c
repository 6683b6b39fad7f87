/*
 * fdcheck.c — test helper: report the execution environment it was given.
 *
 * usage: fdcheck FILE [-x] [ARGS...]
 *   Writes to FILE (atomically, by rename), one "key=value" per line:
 *     pid ppid pgid sid            ids
 *     fds=0 1 2                    open descriptors (from /proc/self/fd)
 *     fd0=/dev/null ...            where each of them points
 *     sigblk=... sigign=...        SigBlk/SigIgn masks (hex, /proc)
 *     umask=0022  cwd=/...
 *     uid gid euid egid groups=G1 G2 ...
 *     argc=N, argv1=FILE, argv2=...  its arguments
 *     env=KEY=VALUE                one line per environment entry
 *   then sleeps forever, or exits 0 with -x (given right after FILE).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

int
main(int argc, char *argv[])
{
	char fds[4096] = "", links[16384] = "", sigblk[64] = "?",
	    sigign[64] = "?", cwd[PATH_MAX], tmp[PATH_MAX + 32];
	gid_t groups[NGROUPS_MAX + 1];
	size_t flen = 0, llen = 0;
	int ngroups, exit_after = 0;
	struct dirent *de;
	mode_t mask;
	DIR *d;
	FILE *fp;

	if (argc < 2) {
		fprintf(stderr, "usage: fdcheck FILE [-x] [ARGS...]\n");
		return 99;
	}
	if (argc > 2 && strcmp(argv[2], "-x") == 0)
		exit_after = 1;

	/* Descriptors first, before this program opens anything else. */
	d = opendir("/proc/self/fd");
	if (d == NULL) {
		perror("/proc/self/fd");
		return 99;
	}
	while ((de = readdir(d)) != NULL) {
		char path[64], target[PATH_MAX];
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		if (fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			n = 0;
		target[n] = '\0';
		if (flen < sizeof(fds) - 16)
			flen += (size_t)snprintf(fds + flen, sizeof(fds) - flen,
			    "%s%d", flen ? " " : "", fd);
		if (llen < sizeof(links) - PATH_MAX - 16)
			llen += (size_t)snprintf(links + llen,
			    sizeof(links) - llen, "fd%d=%s\n", fd, target);
	}
	closedir(d);

	fp = fopen("/proc/self/status", "re");
	if (fp != NULL) {
		char line[512];
		while (fgets(line, sizeof(line), fp) != NULL) {
			line[strcspn(line, "\n")] = '\0';
			if (strncmp(line, "SigBlk:", 7) == 0)
				snprintf(sigblk, sizeof(sigblk), "%s",
				    line + 7 + strspn(line + 7, " \t"));
			else if (strncmp(line, "SigIgn:", 7) == 0)
				snprintf(sigign, sizeof(sigign), "%s",
				    line + 7 + strspn(line + 7, " \t"));
		}
		fclose(fp);
	}
	mask = umask(0);
	umask(mask);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "?(%s)", strerror(errno));
	ngroups = getgroups(NGROUPS_MAX + 1, groups);

	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", argv[1], (long)getpid());
	fp = fopen(tmp, "we");
	if (fp == NULL) {
		perror(tmp);
		return 99;
	}
	fprintf(fp, "pid=%ld\nppid=%ld\npgid=%ld\nsid=%ld\n", (long)getpid(),
	    (long)getppid(), (long)getpgrp(), (long)getsid(0));
	fprintf(fp, "fds=%s\n%s", fds, links);
	fprintf(fp, "sigblk=%s\nsigign=%s\n", sigblk, sigign);
	fprintf(fp, "umask=%04o\ncwd=%s\n", (unsigned)mask, cwd);
	fprintf(fp, "uid=%ld\ngid=%ld\neuid=%ld\negid=%ld\ngroups=",
	    (long)getuid(), (long)getgid(), (long)geteuid(), (long)getegid());
	for (int i = 0; i < ngroups; i++)
		fprintf(fp, "%s%ld", i ? " " : "", (long)groups[i]);
	fprintf(fp, "\nargc=%d\n", argc);
	for (int i = 1; i < argc; i++)
		fprintf(fp, "argv%d=%s\n", i, argv[i]);
	for (char **e = environ; *e != NULL; e++)
		fprintf(fp, "env=%s\n", *e);
	if (fclose(fp) != 0 || rename(tmp, argv[1]) == -1) {
		perror(argv[1]);
		return 99;
	}
	if (exit_after)
		return 0;
	for (;;)
		pause();
}
