/*
 * notifier.c — test helper: a `ready = notify` process that talks to
 * NOTIFY_SOCKET through Debian's libsystemd (sd_notify(3)), to prove
 * mwsupd understands the real client library.
 *
 * usage: notifier [-d MS] [-r] [-s TEXT] [-t] [-w MS | -W] [-n COUNT]
 *                 [-c] [-p FILE] [-e]
 *   -d MS     wait MS milliseconds before sending anything
 *   -r        send READY=1
 *   -s TEXT   send STATUS=TEXT (in the same datagram as READY=1)
 *   -t        then send WATCHDOG=trigger
 *   -w MS     then send WATCHDOG=1 every MS milliseconds
 *   -W        the same, every half of the interval sd_watchdog_enabled(3)
 *             finds in WATCHDOG_USEC (for this pid, says WATCHDOG_PID);
 *             exit 3 at once when it says there is no watchdog for us
 *   -n COUNT  send COUNT WATCHDOG=1 at most (default: until killed)
 *   -c        a forked child sends everything instead, with
 *             sd_pid_notify(3) naming the parent (the kernel lets only a
 *             privileged child pass that pid; libsystemd then falls back
 *             to the child's own, so the receiver sees one or the other);
 *             the parent waits for it
 *   -p FILE   write "PID\n" to FILE before sending; with -c
 *             "PID SENDER_PID\n" once the child is forked
 *   -e        exit 0 once done, instead of sleeping until killed
 * Exit: 0 done, 2 sd_notify failed or NOTIFY_SOCKET is not set, 3 no
 * watchdog for -W, 99 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

static unsigned	 delay_ms, every_ms;
static long	 count = -1;
static int	 ready, trigger, from_env, forked, exit_when_done;
static const char *status, *pidfile;
static pid_t	 speak_for;		/* 0: ourselves */

static void
usage(void)
{
	fprintf(stderr, "usage: notifier [-d MS] [-r] [-s TEXT] [-t] "
	    "[-w MS | -W] [-n COUNT] [-c] [-p FILE] [-e]\n");
	exit(99);
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
send_or_die(const char *what)
{
	int r = sd_pid_notify(speak_for, 0, what);

	if (r > 0)
		return;
	if (r == 0)
		fprintf(stderr, "notifier: NOTIFY_SOCKET is not set\n");
	else
		fprintf(stderr, "notifier: sd_pid_notify(%s): %s\n", what,
		    strerror(-r));
	exit(2);
}

static void
write_pidfile(pid_t sender)
{
	FILE *f = fopen(pidfile, "w");

	if (f == NULL) {
		perror(pidfile);
		exit(2);
	}
	if (sender != 0)
		fprintf(f, "%ld %ld\n", (long)getpid(), (long)sender);
	else
		fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
}

/* Everything the options ask for, in order. */
static void
speak(void)
{
	char line[600];

	if (delay_ms > 0)
		sleep_ms(delay_ms);
	if (ready || status != NULL) {
		snprintf(line, sizeof(line), "%s%s%s%s", ready ? "READY=1" : "",
		    ready && status != NULL ? "\n" : "",
		    status != NULL ? "STATUS=" : "",
		    status != NULL ? status : "");
		send_or_die(line);
	}
	if (trigger)
		send_or_die("WATCHDOG=trigger");
	for (long n = 0; every_ms > 0 && (count < 0 || n < count); n++) {
		send_or_die("WATCHDOG=1");
		sleep_ms(every_ms);
	}
}

int
main(int argc, char **argv)
{
	uint64_t usec;
	pid_t child;
	int c, st;

	while ((c = getopt(argc, argv, "d:rs:tw:Wn:cp:e")) != -1) {
		switch (c) {
		case 'd': delay_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'r': ready = 1; break;
		case 's': status = optarg; break;
		case 't': trigger = 1; break;
		case 'w': every_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'W': from_env = 1; break;
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'c': forked = 1; break;
		case 'p': pidfile = optarg; break;
		case 'e': exit_when_done = 1; break;
		default: usage();
		}
	}
	if (optind != argc || (from_env && every_ms > 0))
		usage();
	if (from_env) {
		/* Asked before any fork: WATCHDOG_PID names this process. */
		if (sd_watchdog_enabled(0, &usec) <= 0) {
			fprintf(stderr, "notifier: no watchdog for pid %ld\n",
			    (long)getpid());
			exit(3);
		}
		every_ms = (unsigned)(usec / 2000);
		if (every_ms == 0)
			every_ms = 1;
	}
	if (forked) {
		pid_t parent = getpid();

		fflush(NULL);
		if ((child = fork()) == -1) {
			perror("fork");
			exit(2);
		}
		if (child == 0) {
			speak_for = parent;
			speak();
			_exit(0);
		}
		if (pidfile != NULL)
			write_pidfile(child);
		if (waitpid(child, &st, 0) == -1 || !WIFEXITED(st))
			exit(2);
		if (WEXITSTATUS(st) != 0)
			exit(WEXITSTATUS(st));
	} else {
		if (pidfile != NULL)
			write_pidfile(0);
		speak();
	}
	if (exit_when_done)
		return 0;
	for (;;)
		pause();
}
