/*
 * floor.c — the smallest honest supervisor: the bench's floor.
 *
 *   floor -n N -l SOCK -- CMD ARG...     supervise N copies of CMD
 *   floor -C SOCK [json]                 status client
 *
 * The supervisor forks and execs N children (an argument "%N" becomes the
 * process number), reaps them with waitpid() and respawns each at once.
 * It sleeps in poll() on a signalfd (SIGCHLD, SIGTERM, SIGINT) and a UNIX
 * stream socket that answers a status request with one line (or one JSON
 * object) per child — the minimum any supervisor's "status" has to do.
 * SIGTERM/SIGINT: SIGTERM every child, reap them all, exit 0.
 *
 * No logging, no output capture, no process groups, no state machine:
 * everything mwsupd does beyond this is what the ratios measure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct kid {
	pid_t	pid;
	time_t	since;
};

static struct kid	*kids;
static int		 nkids, nlive;
static int		*bypid;		/* pid -> index + 1 */
static long		 pidmax;
static char		**tmpl, **av;
static int		 ntmpl, numarg = -1;
static sigset_t		 oldmask;

static void
spawn(int i)
{
	char num[16];
	pid_t pid;

	snprintf(num, sizeof(num), "%d", i);
	if (numarg >= 0)
		av[numarg] = num;
	pid = fork();
	if (pid == -1) {
		perror("floor: fork");
		return;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		execv(av[0], av);
		_exit(127);
	}
	kids[i].pid = pid;
	kids[i].since = time(NULL);
	if (pid < pidmax)
		bypid[pid] = i + 1;
	nlive++;
}

static int
find(pid_t pid)
{
	if (pid < pidmax)
		return bypid[pid] - 1;
	for (int i = 0; i < nkids; i++)
		if (kids[i].pid == pid)
			return i;
	return -1;
}

static void
serve_status(int lfd)
{
	char req[16] = "";
	size_t cap = (size_t)nkids * 96 + 64, len = 0;
	char *buf;
	time_t now = time(NULL);
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), json;
	ssize_t n;

	if (fd == -1)
		return;
	n = read(fd, req, sizeof(req) - 1);
	json = n > 0 && strncmp(req, "json", 4) == 0;
	buf = malloc(cap);
	if (json)
		buf[len++] = '[';
	for (int i = 0; i < nkids; i++) {
		long up = (long)(now - kids[i].since);
		if (json)
			len += (size_t)snprintf(buf + len, cap - len,
			    "%s{\"name\":\"w:%d\",\"state\":\"RUNNING\","
			    "\"pid\":%ld,\"since\":%ld}", i ? "," : "", i,
			    (long)kids[i].pid, (long)kids[i].since);
		else
			len += (size_t)snprintf(buf + len, cap - len,
			    "w:%-10d RUNNING   pid %ld, uptime %ld:%02ld:%02ld\n",
			    i, (long)kids[i].pid, up / 3600, up / 60 % 60,
			    up % 60);
	}
	if (json)
		len += (size_t)snprintf(buf + len, cap - len, "]\n");
	for (size_t off = 0; off < len; ) {
		n = write(fd, buf + off, len - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(buf);
	close(fd);
}

static int
client(const char *path, int json)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char buf[65536];
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		perror("floor client");
		return 4;
	}
	if (write(fd, json ? "json\n" : "text\n", 5) != 5)
		return 4;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(1, buf, (size_t)n) != n)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *sock = NULL;
	struct pollfd pfd[2];
	sigset_t set;
	int opt, n = 1, stopping = 0;
	FILE *f;

	while ((opt = getopt(argc, argv, "C:n:l:")) != -1)
		switch (opt) {
		case 'C':
			return client(optarg, optind < argc &&
			    strcmp(argv[optind], "json") == 0);
		case 'n':
			n = atoi(optarg);
			break;
		case 'l':
			sock = optarg;
			break;
		default:
			return 2;
		}
	if (optind >= argc || sock == NULL || n < 1) {
		fprintf(stderr, "usage: floor -n N -l SOCK -- CMD ARG...\n");
		return 2;
	}
	tmpl = argv + optind;
	ntmpl = argc - optind;
	av = calloc((size_t)ntmpl + 1, sizeof(*av));
	for (int i = 0; i < ntmpl; i++) {
		av[i] = tmpl[i];
		if (strcmp(tmpl[i], "%N") == 0)
			numarg = i;
	}
	pidmax = 4194304;
	if ((f = fopen("/proc/sys/kernel/pid_max", "r")) != NULL) {
		if (fscanf(f, "%ld", &pidmax) != 1)
			pidmax = 4194304;
		fclose(f);
	}
	bypid = calloc((size_t)pidmax, sizeof(*bypid));
	kids = calloc((size_t)n, sizeof(*kids));
	nkids = n;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, &oldmask);
	pfd[0].fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	pfd[0].events = POLLIN;
	pfd[1].fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pfd[1].events = POLLIN;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	unlink(sock);
	if (pfd[0].fd == -1 || pfd[1].fd == -1 ||
	    bind(pfd[1].fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(pfd[1].fd, 128) == -1) {
		perror("floor");
		return 1;
	}

	for (int i = 0; i < n; i++)
		spawn(i);

	for (;;) {
		struct signalfd_siginfo si;
		int status;
		pid_t pid;

		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			perror("floor: poll");
			return 1;
		}
		if (pfd[1].revents & POLLIN)
			serve_status(pfd[1].fd);
		if (!(pfd[0].revents & POLLIN))
			continue;
		while (read(pfd[0].fd, &si, sizeof(si)) == sizeof(si))
			if (si.ssi_signo != SIGCHLD && !stopping) {
				stopping = 1;
				for (int i = 0; i < nkids; i++)
					if (kids[i].pid > 0)
						kill(kids[i].pid, SIGTERM);
			}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			int i = find(pid);
			if (i < 0)
				continue;
			if (pid < pidmax)
				bypid[pid] = 0;
			kids[i].pid = 0;
			nlive--;
			if (!stopping)
				spawn(i);
		}
		if (stopping && nlive == 0) {
			unlink(sock);
			return 0;
		}
	}
}
