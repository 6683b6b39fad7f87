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
#include "log.h"
#include "loop.h"
#include "mwsupd.h"
#include "proc.h"
#include "supervise.h"
#include "xalloc.h"

#define DEFAULT_CONF	SYSCONFDIR "/mwsup.conf"

static const char	*conffile = DEFAULT_CONF;
static int		 quiet;
static int		 readyfd = -1;	/* to the launcher, until ready */
static int		 pidfd = -1;
static char		*pidpath;
static struct io	 sigio;
static struct io	 logio = { -1, NULL, NULL };
static struct timer	 logstall;	/* syslog made no progress */

#define LOG_STALL_MS	5000
static bool		 stopping;
static int		 batch_failed;	/* a process ended abnormally */
static bool		 batch_cut;	/* an operator cut the batch short */
static struct timer	 batch_timer;	/* exit_when_done check */
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
	struct conf *conf;

	if ((conf = load_config()) == NULL)
		return EX_CONFIG;
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

/* ---------------------------------------------------------- batch mode */

static void	shutdown_begin(void);

void
mwsupd_batch_interrupted(void)
{
	const struct conf *conf = registry_conf();

	if (conf != NULL && conf->exit_when_done && !batch_cut) {
		log_info("exit_when_done: the batch was cut short by an "
		    "operator; mwsupd will exit 1");
		batch_cut = true;
	}
}

static void
batch_check(struct timer *t, void *arg)
{
	const struct conf *conf = registry_conf();

	(void)t;
	(void)arg;
	if (conf == NULL || !conf->exit_when_done || stopping ||
	    apply_busy())
		return;
	for (size_t i = 0; i < registry.n; i++)
		for (int j = 0; j < registry.programs[i]->nprocs; j++)
			if (proc_active(registry.programs[i]->procs[j]))
				return;
	log_info("exit_when_done: every process has finished (%s)",
	    batch_cut ? "cut short by an operator" : batch_failed ?
	    "some failed" : "all succeeded");
	shutdown_begin();
}

static void
proc_changed(struct proc *p, enum proc_state from)
{
	const struct program_conf *pc = p->program->conf;

	(void)from;
	if (p->state == PROC_FATAL)
		batch_failed = 1;
	else if (p->state == PROC_EXITED && (p->exit_signal != 0 ||
	    !program_conf_normal_exit(pc, p->exit_status)))
		batch_failed = 1;
	if (!proc_active(p) && !timer_armed(&batch_timer))
		(void)timer_set(&batch_timer, now_ms());
}

static void
proc_release(struct proc *p)
{
	control_proc_gone(p);
	proc_ops.release(p);
}

/* -------------------------------------------------- reload, shutdown */

/*
 * Reloads run one at a time, each to its end (every process it touched
 * settled).  Requests that come meanwhile wait in `queued`; when the
 * running one ends, one reload serves all of them: it reads the file once
 * and every waiting request gets its result.
 */
struct reload_waiter {
	reload_done_cb	 done;		/* NULL: SIGHUP, logged only */
	void		*arg;
};

struct reload_batch {
	struct reload_waiter	*v;
	size_t			 n;
	time_t			 began;	/* wall clock, as p->since */
};

static struct reload_batch	 queued;
static bool			 applying;	/* an apply of ours runs */
static struct timer		 reload_timer;	/* start the queued one */

static void
reload_deliver(struct reload_batch *b, const struct reload_result *res)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].done != NULL)
			b->v[i].done(res, b->v[i].arg);
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

static void
reload_fail(struct reload_batch *b, const char *error,
    const struct msglist *errors)
{
	struct msglist none = MSGLIST_INIT;
	struct reload_result res = { 1, error, errors ? errors : &none, NULL,
	    NULL };

	reload_deliver(b, &res);
}

/* The first process of CHANGE's program that a reload left FATAL or
   LOCKED since it began, as "NAME: STATE: reason", or NULL. */
static char *
change_error(const struct apply_change *ch, time_t began)
{
	struct program *prog;
	char buf[PROC_REASON_MAX + 128];
	int bad = 0;
	const struct proc *first = NULL;

	if (strcmp(ch->action, "removed") == 0 ||
	    (prog = registry_find(ch->program)) == NULL)
		return NULL;
	for (int j = 0; j < prog->nprocs; j++) {
		const struct proc *p = prog->procs[j];

		if ((p->state == PROC_FATAL || p->state == PROC_LOCKED) &&
		    p->since >= began && bad++ == 0)
			first = p;
	}
	if (first == NULL)
		return NULL;
	if (bad > 1)
		snprintf(buf, sizeof(buf), "%s: %s: %s (and %d more)",
		    first->name, proc_state_name(first->state),
		    first->reason[0] ? first->reason : "failed", bad - 1);
	else
		snprintf(buf, sizeof(buf), "%s: %s: %s", first->name,
		    proc_state_name(first->state),
		    first->reason[0] ? first->reason : "failed");
	return xstrdup(buf);
}

static void	reload_kick(struct timer *t, void *arg);

/* The running reload has ended: tell its requests, start the next. */
static void
reload_applied(struct apply_report *r, void *arg)
{
	struct reload_batch *b = arg;
	struct msglist none = MSGLIST_INIT;
	char **errs = xcalloc(r->n + 1, sizeof(*errs));
	struct reload_result res = { 0, NULL, &none, r, errs };

	for (size_t i = 0; i < r->n; i++) {
		errs[i] = change_error(&r->changes[i], b->began);
		log_info("reload: %s: %s%s%s", r->changes[i].program,
		    r->changes[i].action, *r->changes[i].detail ? " " : "",
		    r->changes[i].detail);
		if (errs[i] != NULL) {
			log_warnx("reload: %s: %s", r->changes[i].program,
			    errs[i]);
			res.status = 1;
			res.error = "some processes failed";
		}
	}
	for (size_t i = 0; i < r->notes.n; i++)
		log_warnx("reload: %s", r->notes.msgs[i]);
	log_info("reload: done%s", res.status ? " (some processes failed)" :
	    "");
	reload_deliver(b, &res);
	for (size_t i = 0; i < r->n; i++)
		free(errs[i]);
	free(errs);
	free(b);
	applying = false;
	if (queued.n > 0)
		(void)timer_set(&reload_timer, now_ms());
}

/* Start-up's apply has ended: a reload asked meanwhile may begin. */
static void
startup_applied(struct apply_report *r, void *arg)
{
	(void)r;
	(void)arg;
	applying = false;
	if (queued.n > 0)
		(void)timer_set(&reload_timer, now_ms());
}

/* Serve every queued request with one reload, unless one runs. */
static void
reload_kick(struct timer *t, void *arg)
{
	struct msglist errs = MSGLIST_INIT;
	struct reload_batch *b;
	struct conf *conf;

	(void)t;
	(void)arg;
	if (queued.n == 0 || applying)
		return;
	if (stopping) {
		reload_fail(&queued, "mwsupd is shutting down; reload refused",
		    NULL);
		return;
	}
	b = xcalloc(1, sizeof(*b));
	*b = queued;
	b->began = time(NULL);
	queued.v = NULL;
	queued.n = 0;
	if (b->n > 1)
		log_info("reloading %s (for %zu requests)", conffile, b->n);
	else
		log_info("reloading %s", conffile);
	if ((conf = conf_load(conffile, &errs)) == NULL) {
		for (size_t i = 0; i < errs.n; i++)
			log_warnx("reload refused: %s", errs.msgs[i]);
		reload_fail(b, "configuration has errors; nothing changed",
		    &errs);
		msglist_clear(&errs);
		free(b);
		return;
	}
	log_setup(conf->log_target, conf->log_facility);
	control_reconfigure(conf);
	applying = true;
	if (apply(conf, reload_applied, b) == -1) {
		/* Not ours (nothing else applies): try again shortly. */
		applying = false;
		conf_free(conf);
		log_warnx("reload: an apply is under way; trying again");
		queued.v = xreallocarray(b->v, b->n + 1, sizeof(*b->v));
		queued.n = b->n;
		free(b);
		(void)timer_set(&reload_timer, now_ms() + 100);
	}
}

void
mwsupd_reload(reload_done_cb done, void *arg)
{
	queued.v = xreallocarray(queued.v, queued.n + 1, sizeof(*queued.v));
	queued.v[queued.n++] = (struct reload_waiter){ done, arg };
	if (applying)
		log_info("reload requested while another runs; it will "
		    "follow");
	(void)timer_set(&reload_timer, now_ms());
}

static void
shutdown_done(void *arg)
{
	const struct conf *conf = registry_conf();

	(void)arg;
	log_info("every process is stopped");
	/* A batch succeeds only if every process ended normally and
	   nobody cut it short. */
	loop_exit(conf != NULL && conf->exit_when_done &&
	    (batch_failed || batch_cut) ? 1 : 0);
}

/* Stop everything, then exit (batch_check's way, and the operator's). */
static void
shutdown_begin(void)
{
	if (stopping)
		return;
	stopping = true;
	log_info("shutting down");
	reload_fail(&queued, "mwsupd is shutting down; reload refused",
	    NULL);
	registry_shutdown(shutdown_done, NULL);
}

void
mwsupd_shutdown(void)
{
	if (stopping)
		return;
	mwsupd_batch_interrupted();
	shutdown_begin();
}

bool
mwsupd_stopping(void)
{
	return stopping;
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
			if (stopping)
				log_info("SIGHUP ignored: mwsupd is shutting "
				    "down");
			else
				mwsupd_reload(NULL, NULL);
			break;
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			log_info("received SIG%s", si.ssi_signo == SIGTERM ?
			    "TERM" : si.ssi_signo == SIGINT ? "INT" : "QUIT");
			mwsupd_shutdown();
			break;
		}
	}
	if (reap)
		proc_reap();
}

static void
log_ready(int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	(void)arg;
	(void)timer_set(&logstall, now_ms() + LOG_STALL_MS);
	log_writable();
}

/* A hung syslog daemon must not hold the children's output forever. */
static void
log_stall(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	log_stalled();
}

/* log.c wants to know when the syslog socket can take more. */
static void
log_watch(int fd, bool on)
{
	loop_del(&logio);
	timer_cancel(&logstall);
	if (!on)
		return;
	(void)timer_set(&logstall, now_ms() + LOG_STALL_MS);
	if (loop_add(&logio, fd, EPOLLOUT, log_ready, NULL) == -1)
		log_writable();		/* cannot watch: try now */
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
	timer_init(&logstall, log_stall, NULL);
	log_set_hooks(log_watch, proc_output_resume);
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
	ops.changed = proc_changed;
	ops.release = proc_release;
	sup_init(&ops);
	timer_init(&batch_timer, batch_check, NULL);
	timer_init(&reload_timer, reload_kick, NULL);

	log_info("mwsupd %s starting with %s (pid %ld)", PACKAGE_VERSION,
	    conffile, (long)getpid());
	start_conf = NULL;		/* the registry owns it now */
	applying = true;		/* a reload waits for this one */
	if (apply(conf, startup_applied, NULL) == -1)
		startup_fail(1, "cannot apply the configuration");
	(void)timer_set(&batch_timer, now_ms());
	ready(registry_conf());

	r = loop_run();

	control_exiting();
	registry_free();
	pidfile_remove();
	log_info("mwsupd exiting with status %d", r);
	control_close();	/* shutdown clients see end-of-file last */
	return r;
}
