/*
 * main.c — mwsupd: the story of start-up, supervision and shutdown.
 *
 * options -> configuration -> daemonize (the launcher waits for "ready")
 * -> pidfile lock -> control socket -> signals -> apply the configuration
 * (spawn) -> ready -> event loop -> shutdown (stop in reverse priority).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "apply.h"
#include "conf.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "proc.h"
#include "supervise.h"

#define DEFAULT_CONF	SYSCONFDIR "/mwsup.conf"

static const char	*conffile = DEFAULT_CONF;
static int		 quiet;
static int		 readyfd = -1;	/* to the launcher, until ready */
static int		 pidfd = -1;
static char		*pidpath;
static struct io	 sigio;
static struct sup_ops	 ops;
static struct conf	*start_conf;	/* loaded, not yet applied */

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: mwsupd [-c FILE] [-n] [-t [-v]] [-q] [-d] [-V] [-h]\n"
	    "  -c, --config FILE  configuration file (default %s)\n"
	    "  -n, --foreground   do not daemonize\n"
	    "  -t, --check        check the configuration and exit (0 or 78)\n"
	    "  -v, --verbose      with -t: print the normalised configuration\n"
	    "  -q, --quiet        say nothing when another instance runs\n"
	    "  -d, --debug        log debug messages too\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         print this help and exit\n", DEFAULT_CONF);
}

/* Start-up failed: say why (stderr is still the launcher's) and exit. */
static void __attribute__((format(printf, 2, 3), noreturn))
startup_fail(int code, const char *fmt, ...)
{
	va_list ap;

	if (!(quiet && code == EX_TEMPFAIL)) {
		fputs("mwsupd: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	conf_free(start_conf);
	exit(code);
}

/* Load the configuration, printing every error on stderr; NULL if any. */
static struct conf *
load_config(void)
{
	struct msglist errs = MSGLIST_INIT;
	struct conf *conf;

	conf = conf_load(conffile, &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	msglist_clear(&errs);
	return conf;
}

/* `mwsupd -t`: print every error, or the normalised config with -v. */
static int
check_config(int verbose)
{
	struct msglist warns = MSGLIST_INIT;
	struct conf *conf;

	if ((conf = load_config()) == NULL)
		return EX_CONFIG;
	/* What would fail at run time (a command not found, a missing
	   directory): warned, the exit status stays 0. */
	conf_warnings(conf, &warns);
	for (size_t i = 0; i < warns.n; i++)
		fprintf(stderr, "%s\n", warns.msgs[i]);
	msglist_clear(&warns);
	if (verbose)
		conf_print(conf, stdout);
	conf_free(conf);
	return 0;
}

/*
 * Fork; the launcher waits until the daemon says it is ready and exits 0,
 * or exits with the daemon's status when it dies first.
 */
static void
daemonize(void)
{
	int fds[2], status;
	char c;
	pid_t pid;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) == -1)
		startup_fail(1, "pipe: %s", strerror(errno));
	if ((pid = fork()) == -1)
		startup_fail(1, "fork: %s", strerror(errno));
	if (pid > 0) {
		close(fds[1]);
		conf_free(start_conf);	/* the daemon has its own copy */
		do
			n = read(fds[0], &c, 1);
		while (n == -1 && errno == EINTR);
		if (n == 1)
			_exit(0);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		if (WIFEXITED(status))
			_exit(WEXITSTATUS(status));
		fprintf(stderr, "mwsupd: died during start-up (signal %d)\n",
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		_exit(1);
	}
	close(fds[0]);
	readyfd = fds[1];
	if (setsid() == -1)
		startup_fail(1, "setsid: %s", strerror(errno));
	/* Hold no mount point busy; programs get `directory` or "/". */
	if (chdir("/") == -1)
		startup_fail(1, "chdir /: %s", strerror(errno));
}

/* Tell the launcher we are ready, and let go of its terminal. */
static void
ready(const struct conf *conf)
{
	int null;

	if (readyfd == -1)
		return;
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		if (conf->log_target != LOG_TARGET_STDERR)
			dup2(null, STDERR_FILENO);
		close(null);
	}
	(void)!write(readyfd, "R", 1);
	close(readyfd);
	readyfd = -1;
}

/* Lock the pidfile for our whole life; 75 when another mwsupd has it. */
static void
pidfile_lock(const char *path)
{
	char buf[32];
	ssize_t n;
	int len;

	struct stat st;

	/* Pidfiles often live in directories others can write: never
	   follow a link planted there, nor open a FIFO or a device. */
	pidfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY |
	    O_NOFOLLOW | O_NONBLOCK, 0644);
	if (pidfd == -1 && errno == ELOOP)
		startup_fail(1, "pidfile %s is a symbolic link; not following "
		    "it", path);
	if (pidfd == -1)
		startup_fail(1, "cannot open pidfile %s: %s", path,
		    strerror(errno));
	if (fstat(pidfd, &st) == -1 || !S_ISREG(st.st_mode))
		startup_fail(1, "pidfile %s is not a regular file", path);
	if (flock(pidfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK)
			startup_fail(1, "cannot lock pidfile %s: %s", path,
			    strerror(errno));
		n = pread(pidfd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		startup_fail(EX_TEMPFAIL, "already running (pid %s, pidfile "
		    "%s)", *buf ? buf : "?", path);
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(pidfd, 0) == -1 ||
	    pwrite(pidfd, buf, (size_t)len, 0) != len)
		startup_fail(1, "cannot write pidfile %s: %s", path,
		    strerror(errno));
	pidpath = strdup(path);
}

static void
pidfile_remove(void)
{
	if (pidpath != NULL)
		(void)unlink(pidpath);	/* still locked: nobody raced us */
	if (pidfd != -1)
		close(pidfd);
}

/* log.c's part of a reload's live settings. */
static void
log_reconfigure(const struct conf *conf)
{
	log_setup(conf->log_target, conf->log_facility);
}

static void
proc_release(struct proc *p)
{
	control_proc_gone(p);
	proc_ops.release(p);
}

/* -------------------------------------------------------------- signals */

static void
signal_ready(int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo si;
	bool reap = false;

	(void)events;
	(void)arg;
	/* A few per wake-up: in a crash loop SIGCHLD is raised again while
	   we reap, and the loop must get back to epoll (level-triggered, it
	   returns here) so that everything else is served too. */
	for (int nsig = 0; nsig < 8 &&
	    read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si); nsig++) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap = true;	/* one batch per wake-up */
			break;
		case SIGHUP:
			if (daemon_stopping())
				log_info("SIGHUP ignored: mwsupd is shutting "
				    "down");
			else
				daemon_reload(NULL, NULL);
			break;
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			log_info("received SIG%s", si.ssi_signo == SIGTERM ?
			    "TERM" : si.ssi_signo == SIGINT ? "INT" : "QUIT");
			daemon_shutdown();
			break;
		}
	}
	if (reap)
		proc_reap();
}

static void
signals_setup(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGQUIT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		startup_fail(1, "sigprocmask: %s", strerror(errno));
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd == -1)
		startup_fail(1, "signalfd: %s", strerror(errno));
	if (loop_add(&sigio, fd, EPOLLIN, signal_ready, NULL) == -1)
		startup_fail(1, "epoll: %s", strerror(errno));
	/* Stray signals must not kill the supervisor (children get default
	   dispositions back before exec). */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config",	required_argument,	NULL, 'c' },
		{ "foreground",	no_argument,		NULL, 'n' },
		{ "check",	no_argument,		NULL, 't' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "debug",	no_argument,		NULL, 'd' },
		{ "version",	no_argument,		NULL, 'V' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct conf *conf;
	int foreground = 0, check = 0, verbose = 0, debug = 0, ch, r;
	char err[256], *abspath;

	while ((ch = getopt_long(argc, argv, "c:ntvqdVh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			conffile = optarg;
			break;
		case 'n':
			foreground = 1;
			break;
		case 't':
			check = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'V':
			printf("mwsupd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (check)
		return check_config(verbose);
	/* Reloads read the same file after we may have left this
	   directory. */
	if ((abspath = realpath(conffile, NULL)) != NULL)
		conffile = abspath;
	daemon_set_config_file(conffile);

	/* The configuration, all of it valid, or nothing starts. */
	if ((conf = start_conf = load_config()) == NULL)
		return EX_CONFIG;

	/* As PID 1 (a container) detaching would end the container. */
	if (!foreground && getpid() != 1)
		daemonize();
	log_init(conf->log_target, conf->log_facility, debug);
	pidfile_lock(conf->pidfile);

	if (loop_init() == -1 || proc_layer_init() == -1)
		startup_fail(1, "cannot set up the event loop: %s",
		    strerror(errno));
	log_set_hooks(proc_output_resume);
	r = control_open(conf, err, sizeof(err));
	if (r == -2)
		startup_fail(EX_TEMPFAIL, "already running: %s", err);
	if (r == -1)
		startup_fail(1, "%s", err);
	signals_setup();
	/* Orphans of our children come to us, not to init. */
	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		log_warn("cannot become a child subreaper");

	ops = proc_ops;
	ops.changed = daemon_proc_changed;
	ops.release = proc_release;
	sup_init(&ops);
	/* Live settings a reload changes. */
	daemon_subscribe(log_reconfigure);
	daemon_subscribe(control_reconfigure);

	log_info("mwsupd %s starting with %s (pid %ld)", PACKAGE_VERSION,
	    conffile, (long)getpid());
	start_conf = NULL;		/* the registry owns it now */
	if (daemon_start(conf) == -1)
		startup_fail(1, "cannot apply the configuration");
	ready(registry_conf());

	r = loop_run();

	control_exiting();
	registry_free();
	pidfile_remove();
	log_info("mwsupd exiting with status %d", r);
	control_close();	/* shutdown clients see end-of-file last */
	return r;
}
