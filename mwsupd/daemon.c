/*
 * daemon.c — what concerns mwsupd as a whole: the configuration file,
 * reloads (queued, one at a time), the orderly shutdown and the verdict
 * of a batch (exit_when_done).  The control socket and the signal
 * handler ask for these; live settings reach the modules that subscribed
 * (log, control) at every reload.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apply.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "loop.h"
#include "supervise.h"
#include "timer.h"
#include "xalloc.h"

#define SUBSCRIBERS_MAX	4

static const char	*conffile;
static bool		 stopping;
static int		 batch_failed;	/* a process ended abnormally */
static bool		 batch_cut;	/* an operator cut the batch short */
static struct timer	 batch_timer;	/* exit_when_done check */
static void		(*subscribers[SUBSCRIBERS_MAX])(const struct conf *);
static size_t		 nsubscribers;

static void	shutdown_begin(void);

void
daemon_set_config_file(const char *path)
{
	conffile = path;
}

const char *
daemon_config_file(void)
{
	return conffile;
}

void
daemon_subscribe(void (*fn)(const struct conf *conf))
{
	if (nsubscribers < SUBSCRIBERS_MAX)
		subscribers[nsubscribers++] = fn;
}

/* ---------------------------------------------------------- batch mode */

void
daemon_batch_interrupted(void)
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

void
daemon_proc_changed(struct proc *p, enum proc_state from)
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
	for (size_t i = 0; i < nsubscribers; i++)
		subscribers[i](conf);
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
daemon_reload(reload_done_cb done, void *arg)
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
daemon_shutdown(void)
{
	if (stopping)
		return;
	daemon_batch_interrupted();
	shutdown_begin();
}

bool
daemon_stopping(void)
{
	return stopping;
}

/* ------------------------------------------------------------ start-up */

int
daemon_start(struct conf *conf)
{
	timer_init(&batch_timer, batch_check, NULL);
	timer_init(&reload_timer, reload_kick, NULL);
	applying = true;		/* a reload waits for this one */
	if (apply(conf, startup_applied, NULL) == -1) {
		applying = false;
		return -1;
	}
	(void)timer_set(&batch_timer, now_ms());
	return 0;
}
