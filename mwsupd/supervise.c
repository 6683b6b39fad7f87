/*
 * supervise.c — the state machine of mwsupd(8) Process states and jobs over many processes.
 * Policy only: all effects on the world go through struct sup_ops.
 */
#include "config.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "log.h"
#include "signame.h"
#include "supervise.h"
#include "xalloc.h"

static const struct sup_ops	*ops;
static bool			 frozen;	/* shutting down: no starts */
static struct proc		**waiting;	/* every WAITING process */
static size_t			 nwaiting, waiting_cap;
static struct timer		 deps_timer;	/* look at them again */

static void	proc_timer(struct timer *t, void *arg);
static void	watchdog_timer(struct timer *t, void *arg);
static void	try_start(struct proc *p);
static void	begin_stop(struct proc *p, enum stop_then then,
		    const char *reason);
static void	job_notify(struct proc *p);
static void	job_done_timer(struct timer *t, void *arg);
static void	job_finish_if_done(struct job *job);
static void	job_advance(struct job *job);
static void	job_forget_proc(struct job *job, size_t slot);
static void	deps_check(struct timer *t, void *arg);

static const char *const state_names[] = {
	[PROC_STOPPED]	= "STOPPED",
	[PROC_STARTING]	= "STARTING",
	[PROC_RUNNING]	= "RUNNING",
	[PROC_BACKOFF]	= "BACKOFF",
	[PROC_STOPPING]	= "STOPPING",
	[PROC_EXITED]	= "EXITED",
	[PROC_FATAL]	= "FATAL",
	[PROC_LOCKED]	= "LOCKED",
	[PROC_WAITING]	= "WAITING",
};

const char *
proc_health_name(enum proc_health h)
{
	switch (h) {
	case HEALTH_UNKNOWN:
		return "unknown";
	case HEALTH_HEALTHY:
		return "healthy";
	case HEALTH_UNHEALTHY:
		return "unhealthy";
	default:
		return NULL;
	}
}

const char *
proc_state_name(enum proc_state s)
{
	if ((size_t)s < sizeof(state_names) / sizeof(state_names[0]))
		return state_names[s];
	return "UNKNOWN";
}

void
sup_init(const struct sup_ops *o)
{
	ops = o;
	frozen = false;
	nwaiting = 0;
	timer_init(&deps_timer, deps_check, NULL);
}

void
sup_freeze(void)
{
	frozen = true;
}

bool
sup_frozen(void)
{
	return frozen;
}

/* ------------------------------------------------------------ programs */

static void
waiting_add(struct proc *p)
{
	if (nwaiting == waiting_cap) {
		waiting_cap = waiting_cap ? 2 * waiting_cap : 16;
		waiting = xreallocarray(waiting, waiting_cap,
		    sizeof(*waiting));
	}
	p->wait_slot = nwaiting;
	waiting[nwaiting++] = p;
}

static void
waiting_del(struct proc *p)
{
	struct proc *last = waiting[--nwaiting];

	waiting[p->wait_slot] = last;
	last->wait_slot = p->wait_slot;
}

static struct proc *
proc_new(struct program *prog, int num)
{
	struct proc *p = xcalloc(1, sizeof(*p));

	p->program = prog;
	p->num = num;
	p->name = xasprintf("%s:%d", prog->conf->name, num);
	p->state = PROC_STOPPED;
	p->exit_status = -1;
	p->since = time(NULL);
	timer_init(&p->timer, proc_timer, p);
	timer_init(&p->watchdog, watchdog_timer, p);
	return p;
}

static void
proc_free(struct proc *p)
{
	/* Never by construction (jobs wait for the death of what they
	   stop); should it happen, the process must not outlive us
	   unsupervised. */
	if (p->pid > 0) {
		log_warnx("%s: pid %ld dropped while alive; killing it",
		    p->name, (long)p->pid);
		ops->signal(p, SIGKILL,
		    p->program->conf->killmode == KILLMODE_GROUP);
	}
	if (p->state == PROC_WAITING)
		waiting_del(p);
	timer_cancel(&p->timer);
	timer_cancel(&p->watchdog);
	if (ops->checks != NULL && p->check_phase != CHECK_NONE)
		ops->checks(p, CHECK_NONE);
	if (ops->release != NULL)
		ops->release(p);
	free(p->status_text);
	while (p->njobs > 0) {
		struct job_ref ref = p->jobs[--p->njobs];
		job_forget_proc(ref.job, ref.slot);
	}
	free(p->jobs);
	free(p->name);
	free(p);
}

struct program *
program_new(struct program_conf *pc, struct confref *cr)
{
	struct program *prog = xcalloc(1, sizeof(*prog));

	prog->conf = pc;
	prog->confref = cr;
	cr->refs++;
	program_resize(prog, pc->numprocs);
	return prog;
}

void
program_resize(struct program *prog, int nprocs)
{
	int base = prog->conf->numprocs_start;

	for (int i = nprocs; i < prog->nprocs; i++)
		proc_free(prog->procs[i]);
	prog->procs = xreallocarray(prog->procs, (size_t)nprocs,
	    sizeof(*prog->procs));
	for (int i = prog->nprocs; i < nprocs; i++)
		prog->procs[i] = proc_new(prog, base + i);
	prog->nprocs = nprocs;
}

bool
program_alive(const struct program *prog, int from)
{
	for (int i = from; i < prog->nprocs; i++)
		if (prog->procs[i]->pid > 0)
			return true;
	return false;
}

void
program_free(struct program *prog)
{
	if (prog == NULL)
		return;
	for (int i = 0; i < prog->nprocs; i++)
		proc_free(prog->procs[i]);
	free(prog->procs);
	free(prog->deps);
	free(prog->dependents);
	if (--prog->confref->refs == 0) {
		conf_free(prog->confref->conf);
		free(prog->confref);
	}
	free(prog);
}

static int
rank_of(struct program *prog)
{
	int rank = 0;

	if (prog->rank >= 0 || prog->visiting)
		return prog->rank > 0 ? prog->rank : 0;
	prog->visiting = true;
	for (size_t i = 0; i < prog->ndependents; i++) {
		int r = rank_of(prog->dependents[i]) + 1;
		if (r > rank)
			rank = r;
	}
	prog->visiting = false;
	return prog->rank = rank;
}

static void
graph_add(struct program ***v, size_t *n, struct program *prog)
{
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = prog;
}

void
sup_graph(struct program **progs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(progs[i]->deps);
		free(progs[i]->dependents);
		progs[i]->deps = progs[i]->dependents = NULL;
		progs[i]->ndeps = progs[i]->ndependents = 0;
		progs[i]->rank = -1;
	}
	for (size_t i = 0; i < n; i++) {
		char **names = progs[i]->conf->depends_on;

		for (size_t k = 0; names != NULL && names[k] != NULL; k++)
			for (size_t j = 0; j < n; j++)
				if (j != i && strcmp(progs[j]->conf->name,
				    names[k]) == 0) {
					graph_add(&progs[i]->deps,
					    &progs[i]->ndeps, progs[j]);
					graph_add(&progs[j]->dependents,
					    &progs[j]->ndependents, progs[i]);
					break;
				}
	}
	for (size_t i = 0; i < n; i++)
		(void)rank_of(progs[i]);
}

static bool
proc_up(const struct proc *p)
{
	const struct program_conf *pc = p->program->conf;

	if (p->state == PROC_EXITED)
		return p->exit_signal == 0 &&
		    program_conf_normal_exit(pc, p->exit_status);
	return p->state == PROC_RUNNING && !pc->oneshot;
}

bool
program_up(const struct program *prog)
{
	for (int i = 0; i < prog->nprocs; i++)
		if (!proc_up(prog->procs[i]))
			return false;
	return true;
}

/* Why PROG will not come up by itself ("FATAL", ...), or NULL. */
static const char *
program_failed(const struct program *prog)
{
	for (int i = 0; i < prog->nprocs; i++) {
		const struct proc *q = prog->procs[i];

		switch (q->state) {
		case PROC_FATAL:
			if (!timer_armed(&q->timer))
				return "FATAL";
			break;
		case PROC_EXITED:
			if (!proc_up(q))
				return "EXITED";
			break;
		case PROC_STOPPED:
			if (!q->want_up)
				return "STOPPED";
			break;
		case PROC_WAITING:
			if (q->wait_failed)
				return "WAITING";
			break;
		default:
			break;
		}
	}
	return NULL;
}

/*
 * Whether every program PROG depends on is up; if not, REASON says which
 * one it waits for ("waiting for db"), or which one failed ("db is
 * FATAL", *FAILED set), a failed one named first.
 */
static bool
deps_up(const struct program *prog, char *reason, size_t len, bool *failed)
{
	const struct program *slow = NULL;

	*failed = false;
	for (size_t i = 0; i < prog->ndeps; i++) {
		const struct program *d = prog->deps[i];
		const char *why;

		if (program_up(d))
			continue;
		if ((why = program_failed(d)) != NULL) {
			snprintf(reason, len, "%s is %s", d->conf->name, why);
			*failed = true;
			return false;
		}
		if (slow == NULL)
			slow = d;
	}
	if (slow == NULL)
		return true;
	snprintf(reason, len, "waiting for %s", slow->conf->name);
	return false;
}

/*
 * Starting PROG by request or autostart starts what it depends on
 * (transitively) that is neither up nor on its way: stopped, failed or
 * waiting processes of those programs.
 */
static void
pull_deps(struct program *prog)
{
	if (prog->visiting)
		return;
	prog->visiting = true;
	for (size_t i = 0; i < prog->ndeps; i++) {
		struct program *d = prog->deps[i];

		if (program_up(d))
			continue;
		for (int j = 0; j < d->nprocs; j++) {
			struct proc *q = d->procs[j];

			if (q->state == PROC_STOPPED || q->state == PROC_FATAL ||
			    q->state == PROC_WAITING ||
			    (q->state == PROC_EXITED && !proc_up(q)))
				sup_start(q);
		}
	}
	prog->visiting = false;
}

/* --------------------------------------------------------- transitions */

/*
 * What the checks mechanism runs in state TO: readiness probes while
 * STARTING with `ready` set, the health check while RUNNING; and the
 * watchdog deadline, armed on entering RUNNING (notify processes with
 * `watchdogsecs`), cancelled on leaving it.
 */
static void
checks_for(struct proc *p, enum proc_state from, enum proc_state to)
{
	const struct program_conf *pc = p->program->conf;
	enum check_phase phase = CHECK_NONE;

	if (to == PROC_STARTING && pc->ready_kind != READY_NONE)
		phase = CHECK_READY;
	else if (to == PROC_RUNNING && pc->healthcheck != NULL)
		phase = CHECK_HEALTH;
	if (to == PROC_RUNNING && from != PROC_RUNNING) {
		p->health = pc->healthcheck != NULL ? HEALTH_UNKNOWN :
		    HEALTH_NONE;
		p->health_failures = 0;
		p->health_reason[0] = '\0';
		if (pc->watchdogsecs > 0 && pc->ready_kind == READY_NOTIFY)
			(void)timer_set(&p->watchdog, ops->now() +
			    (uint64_t)pc->watchdogsecs * 1000);
	} else if (to != PROC_RUNNING)
		timer_cancel(&p->watchdog);
	if (phase != p->check_phase && ops->checks != NULL) {
		p->check_phase = phase;
		ops->checks(p, phase);
	}
}

/*
 * The one place where a process changes state: logs it, sets the single
 * timer (DELAY_MS > 0) or cancels it, gives the lockfile back when the
 * process will not run again by itself, starts or stops its checks, and
 * tells the observers.
 */
static void
set_state(struct proc *p, enum proc_state to, uint64_t delay_ms,
    const char *reason)
{
	enum proc_state from = p->state;

	if (reason != NULL)
		snprintf(p->reason, sizeof(p->reason), "%s", reason);
	else if (to != PROC_BACKOFF)
		p->reason[0] = '\0';
	p->state = to;
	p->since = time(NULL);
	if (delay_ms > 0) {
		if (timer_set(&p->timer, ops->now() + delay_ms) == -1)
			log_warnx("%s: out of memory arming its timer",
			    p->name);
	} else
		timer_cancel(&p->timer);
	if ((to == PROC_STOPPED || to == PROC_EXITED || to == PROC_FATAL) &&
	    p->lock_held)
		ops->unlock(p);
	checks_for(p, from, to);
	if (from == PROC_WAITING && to != PROC_WAITING)
		waiting_del(p);
	else if (to == PROC_WAITING && from != PROC_WAITING)
		waiting_add(p);
	/* Any change may make a program up or failed: look at the waiting
	   processes again, out of this transition. */
	if (nwaiting > 0 && from != to && !timer_armed(&deps_timer))
		(void)timer_set(&deps_timer, ops->now());
	if (from != to) {
		if (p->reason[0] != '\0')
			log_info("%s: %s -> %s (%s)", p->name,
			    proc_state_name(from), proc_state_name(to),
			    p->reason);
		else
			log_info("%s: %s -> %s", p->name,
			    proc_state_name(from), proc_state_name(to));
	}
	if (ops->changed != NULL)
		ops->changed(p, from);
	job_notify(p);
}

static uint64_t
backoff_delay_ms(int fails)
{
	uint64_t secs = 1;

	for (int i = 1; i < fails && secs < BACKOFF_MAX_SECS; i++)
		secs *= 2;
	if (secs > BACKOFF_MAX_SECS)
		secs = BACKOFF_MAX_SECS;
	return secs * 1000;
}

/*
 * Give P up: FATAL with REASON, tried afresh after `fatal_retry` seconds
 * when set, and told to the `fatal_action` hook.
 */
static void
go_fatal(struct proc *p, const char *reason)
{
	const struct program_conf *pc = p->program->conf;

	p->want_up = false;
	set_state(p, PROC_FATAL, pc->fatal_retry > 0 && !frozen ?
	    (uint64_t)pc->fatal_retry * 1000 : 0, reason);
	if (ops->fatal != NULL)
		ops->fatal(p);
}

int
sup_fatal_exit_code(const struct proc *p)
{
	if (p->exit_signal > 0)
		return 128 + p->exit_signal;
	if (p->exit_status > 0)
		return p->exit_status;
	return 1;
}

/*
 * The delay before restarting P after a run of RAN ms (doc/DESIGN.md): 0 with
 * no `restart_delay`; else `restart_delay` after a long run (or the first
 * time), twice the previous one after a short run, at most
 * `restart_delay_max`.
 */
static uint64_t
restart_delay_ms(struct proc *p, uint64_t ran)
{
	const struct program_conf *pc = p->program->conf;
	uint64_t base = (uint64_t)pc->restart_delay * 1000;
	uint64_t cap = (uint64_t)pc->restart_delay_max * 1000;

	if (base == 0)
		return p->restart_delay_ms = 0;
	if (p->restart_delay_ms == 0 ||
	    ran >= (uint64_t)pc->restart_reset * 1000)
		p->restart_delay_ms = base;
	else
		p->restart_delay_ms *= 2;
	if (p->restart_delay_ms > cap && cap >= base)
		p->restart_delay_ms = cap;
	return p->restart_delay_ms;
}

/* P ran RAN ms and is to run again: at once, or after the restart delay. */
static void
restart_after_run(struct proc *p, uint64_t ran)
{
	uint64_t delay = restart_delay_ms(p, ran);
	char why[48];

	if (delay == 0) {
		p->restarts++;
		try_start(p);
		return;
	}
	snprintf(why, sizeof(why), "restarting in %llu s",
	    (unsigned long long)((delay + 999) / 1000));
	set_state(p, PROC_BACKOFF, delay, why);
}

/* A start failed (exited while STARTING, or a transient spawn error). */
static void
failed_start(struct proc *p, const char *reason)
{
	const struct program_conf *pc = p->program->conf;

	p->fails++;
	if (p->fails > pc->startretries) {
		go_fatal(p, reason);
		return;
	}
	set_state(p, PROC_BACKOFF, backoff_delay_ms(p->fails), reason);
}

static void
try_start(struct proc *p)
{
	const struct program_conf *pc = p->program->conf;
	char reason[PROC_REASON_MAX];
	bool permanent = false;
	int r;

	if (frozen || p->doomed) {
		/* Shutting down, or a reload is removing it. */
		p->want_up = false;
		set_state(p, PROC_STOPPED, 0, NULL);
		return;
	}
	reason[0] = '\0';
	r = ops->lock(p, reason, sizeof(reason));
	if (r == 0) {
		set_state(p, PROC_LOCKED, 1000, reason);
		return;
	}
	if (r == -1) {
		go_fatal(p, reason);
		return;
	}
	if (ops->spawn(p, reason, sizeof(reason), &permanent) == -1) {
		if (permanent)
			go_fatal(p, reason);
		else
			failed_start(p, reason);
		return;
	}
	p->spawns++;
	p->start_ms = ops->now();
	p->started = time(NULL);
	p->killed = false;
	if (pc->ready_kind != READY_NONE)
		set_state(p, PROC_STARTING, (uint64_t)pc->ready_timeout * 1000,
		    NULL);
	else if (pc->startsecs == 0) {
		p->fails = 0;
		set_state(p, PROC_RUNNING, 0, NULL);
	} else
		set_state(p, PROC_STARTING, (uint64_t)pc->startsecs * 1000,
		    NULL);
}

static void
proc_timer(struct timer *t, void *arg)
{
	struct proc *p = arg;
	const struct program_conf *pc = p->program->conf;

	(void)t;
	switch (p->state) {
	case PROC_STARTING:
		if (pc->ready_kind != READY_NONE) {
			char why[48];

			snprintf(why, sizeof(why), "not ready after %d s",
			    pc->ready_timeout);
			log_warnx("%s: %s", p->name, why);
			begin_stop(p, THEN_FAILED_START, why);
			break;
		}
		p->fails = 0;
		set_state(p, PROC_RUNNING, 0, NULL);
		break;
	case PROC_BACKOFF:
		p->restarts++;
		try_start(p);
		break;
	case PROC_LOCKED:
		try_start(p);
		break;
	case PROC_FATAL:		/* fatal_retry */
		log_info("%s: trying again %d s after FATAL", p->name,
		    pc->fatal_retry);
		p->want_up = true;
		p->fails = 0;
		p->restart_delay_ms = 0;
		try_start(p);
		break;
	case PROC_STOPPING:
		if (!p->killed && p->pid > 0) {
			log_warnx("%s: pid %ld still alive %d s after SIG%s; "
			    "sending SIGKILL", p->name, (long)p->pid,
			    pc->stopwaitsecs, signame_name(pc->stopsignal));
			p->killed = true;
			ops->signal(p, SIGKILL, pc->killmode == KILLMODE_GROUP);
		}
		break;
	default:
		break;
	}
}

/* Start P now, or wait (WAITING) until what it depends on is up. */
static void
start_or_wait(struct proc *p)
{
	char reason[PROC_REASON_MAX];
	bool failed;

	pull_deps(p->program);
	if (deps_up(p->program, reason, sizeof(reason), &failed)) {
		try_start(p);
		return;
	}
	p->wait_failed = failed;
	set_state(p, PROC_WAITING, 0, reason);
}

/* Look at every WAITING process again (a program went up or failed). */
static void
deps_check(struct timer *t, void *arg)
{
	char reason[PROC_REASON_MAX];
	struct proc **v;
	size_t n = nwaiting;
	bool failed;

	(void)t;
	(void)arg;
	if (n == 0 || frozen)
		return;
	v = xcalloc(n, sizeof(*v));
	memcpy(v, waiting, n * sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		struct proc *p = v[i];

		/* Earlier starts may have changed the list: still there? */
		if (p->wait_slot >= nwaiting || waiting[p->wait_slot] != p)
			continue;
		if (deps_up(p->program, reason, sizeof(reason), &failed)) {
			try_start(p);
			continue;
		}
		if (failed == p->wait_failed && strcmp(reason, p->reason) == 0)
			continue;
		log_info("%s: WAITING (%s)", p->name, reason);
		p->wait_failed = failed;
		set_state(p, PROC_WAITING, 0, reason);
	}
	free(v);
}

void
sup_start(struct proc *p)
{
	if (frozen || p->doomed)
		return;
	p->want_up = true;
	switch (p->state) {
	case PROC_STOPPED:
	case PROC_EXITED:
	case PROC_FATAL:
		p->fails = 0;
		start_or_wait(p);
		break;
	case PROC_WAITING:		/* again: pull what failed */
		start_or_wait(p);
		break;
	case PROC_STOPPING:		/* starts again once down */
	case PROC_STARTING:
	case PROC_RUNNING:
	case PROC_BACKOFF:
	case PROC_LOCKED:
		break;
	}
}

/*
 * Send P's stop signal (to its group with killmode = group, then SIGCONT
 * so a stopped process sees it) and wait in STOPPING for `stopwaitsecs`,
 * after which it gets SIGKILL.  THEN says what its exit leads to.
 */
static void
begin_stop(struct proc *p, enum stop_then then, const char *reason)
{
	const struct program_conf *pc = p->program->conf;
	bool group = pc->killmode == KILLMODE_GROUP;

	p->stop_then = then;
	p->killed = pc->stopsignal == SIGKILL;
	ops->signal(p, pc->stopsignal, group);
	if (pc->stopsignal != SIGKILL)
		ops->signal(p, SIGCONT, group);
	set_state(p, PROC_STOPPING, pc->stopwaitsecs > 0 ?
	    (uint64_t)pc->stopwaitsecs * 1000 : 1, reason);
}

void
sup_stop(struct proc *p)
{
	p->want_up = false;
	switch (p->state) {
	case PROC_STARTING:
	case PROC_RUNNING:
		begin_stop(p, THEN_NOTHING, NULL);
		break;
	case PROC_BACKOFF:
	case PROC_LOCKED:
	case PROC_WAITING:
		set_state(p, PROC_STOPPED, 0, NULL);
		break;
	case PROC_FATAL:		/* keeps its reason; no retry */
		timer_cancel(&p->timer);
		break;
	case PROC_EXITED:		/* keeps its exit status */
	case PROC_STOPPING:		/* same deadline, same outcome */
	case PROC_STOPPED:
		break;
	}
}

int
sup_signal(struct proc *p, int sig)
{
	if (p->pid <= 0)
		return -1;
	ops->signal(p, sig, false);
	return 0;
}

static void
describe_exit(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status)) {
		const char *n = signame_name(WTERMSIG(status));
		if (n != NULL)
			snprintf(buf, len, "killed by SIG%s%s", n,
			    WCOREDUMP(status) ? " (core dumped)" : "");
		else
			snprintf(buf, len, "killed by signal %d",
			    WTERMSIG(status));
	} else
		snprintf(buf, len, "wait status %#x", status);
}

void
sup_exited(struct proc *p, int status)
{
	const struct program_conf *pc = p->program->conf;
	uint64_t ran = ops->now() - p->start_ms;
	enum proc_state as;
	char how[64];
	bool normal;

	describe_exit(status, how, sizeof(how));
	log_info("%s: pid %ld %s after %llu.%03llu s", p->name, (long)p->pid,
	    how, (unsigned long long)(ran / 1000),
	    (unsigned long long)(ran % 1000));
	/* Nothing of a crashed leader's group may outlive it. */
	if (pc->killmode == KILLMODE_GROUP)
		ops->signal(p, SIGKILL, true);
	p->pid = 0;
	p->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	p->exit_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	normal = WIFEXITED(status) &&
	    program_conf_normal_exit(pc, WEXITSTATUS(status));

	/* Up for startsecs, though its timer has not fired yet (both were
	   due in the same loop turn): it had started. */
	as = p->state;
	if (as == PROC_STARTING && pc->startsecs > 0 &&
	    ran >= (uint64_t)pc->startsecs * 1000) {
		p->fails = 0;
		as = PROC_RUNNING;
	}
	switch (as) {
	case PROC_STARTING:
		if (normal && pc->autorestart != AUTORESTART_TRUE) {
			p->want_up = false;
			set_state(p, PROC_EXITED, 0, NULL);
		} else
			failed_start(p, "exited too quickly");
		break;
	case PROC_RUNNING:
		if (!frozen && (pc->autorestart == AUTORESTART_TRUE ||
		    (pc->autorestart == AUTORESTART_UNEXPECTED && !normal))) {
			restart_after_run(p, ran);
		} else {
			p->want_up = false;
			set_state(p, PROC_EXITED, 0, NULL);
		}
		break;
	case PROC_STOPPING: {
		enum stop_then then = p->stop_then;

		p->stop_then = THEN_NOTHING;
		if (then != THEN_NOTHING && p->want_up && !frozen) {
			char why[PROC_REASON_MAX];

			/* Stopped by mwsupd itself: not ready, or unhealthy. */
			snprintf(why, sizeof(why), "%s", p->reason);
			if (then == THEN_FAILED_START)
				failed_start(p, why);
			else
				restart_after_run(p, ran);
			break;
		}
		set_state(p, PROC_STOPPED, 0, NULL);
		if (p->want_up) {
			/* A start given during the stop: afresh, as if it
			   had come just after. */
			p->fails = 0;
			try_start(p);
		}
		break;
	}
	default:
		log_warnx("%s: exit seen in state %s", p->name,
		    proc_state_name(p->state));
		break;
	}
}

void
sup_ready(struct proc *p)
{
	if (p->state != PROC_STARTING ||
	    p->program->conf->ready_kind == READY_NONE)
		return;
	p->fails = 0;
	set_state(p, PROC_RUNNING, 0, NULL);
}

/* Restart a RUNNING P that is unhealthy or missed its watchdog. */
static void
health_restart(struct proc *p, const char *why)
{
	log_warnx("%s: %s; restarting", p->name, why);
	begin_stop(p, THEN_RESTART, why);
}

void
sup_health(struct proc *p, bool ok, const char *reason)
{
	const struct program_conf *pc = p->program->conf;
	char why[PROC_REASON_MAX + 32];

	if (p->state != PROC_RUNNING || pc->healthcheck == NULL)
		return;
	if (ok) {
		p->health = HEALTH_HEALTHY;
		p->health_failures = 0;
		return;
	}
	p->health = HEALTH_UNHEALTHY;
	p->health_failures++;
	snprintf(p->health_reason, sizeof(p->health_reason), "%s",
	    reason != NULL ? reason : "check failed");
	if (p->health_failures < pc->healthcheck_retries)
		return;
	snprintf(why, sizeof(why), "unhealthy (%d/%d): %s",
	    p->health_failures, pc->healthcheck_retries, p->health_reason);
	health_restart(p, why);
}

void
sup_watchdog(struct proc *p, bool trigger)
{
	const struct program_conf *pc = p->program->conf;

	if (p->state != PROC_RUNNING)
		return;
	if (trigger)
		health_restart(p, "WATCHDOG=trigger");
	else if (pc->watchdogsecs > 0)
		(void)timer_set(&p->watchdog, ops->now() +
		    (uint64_t)pc->watchdogsecs * 1000);
}

static void
watchdog_timer(struct timer *t, void *arg)
{
	struct proc *p = arg;
	char why[64];

	(void)t;
	if (p->state != PROC_RUNNING)
		return;
	snprintf(why, sizeof(why), "no WATCHDOG=1 for %d s",
	    p->program->conf->watchdogsecs);
	health_restart(p, why);
}

bool
proc_active(const struct proc *p)
{
	switch (p->state) {
	case PROC_FATAL:
		return timer_armed(&p->timer);	/* fatal_retry */
	case PROC_WAITING:
		return !p->wait_failed;
	case PROC_STARTING:
	case PROC_RUNNING:
	case PROC_BACKOFF:
	case PROC_STOPPING:
	case PROC_LOCKED:
		return true;
	default:
		return false;
	}
}

bool
proc_settled_up(const struct proc *p)
{
	switch (p->state) {
	case PROC_WAITING:
		return p->wait_failed;
	case PROC_RUNNING:
	case PROC_EXITED:
	case PROC_FATAL:
	case PROC_LOCKED:
		return true;
	case PROC_STOPPED:
		return !p->want_up;
	default:
		return false;
	}
}

static bool
settled_down(const struct proc *p)
{
	return !proc_active(p);
}

/* ---------------------------------------------------------------- jobs */

static bool
job_settled(const struct job *job, const struct proc *p)
{
	if (job->kind == JOB_START || (job->kind == JOB_RESTART &&
	    job->starting))
		return proc_settled_up(p);
	/* Down, and its process gone: a job never ends while a process it
	   stops is alive. */
	return settled_down(p) && p->pid == 0;
}

static void
ref_add(struct proc *p, struct job *job, size_t slot)
{
	if (p->njobs == p->jobs_cap) {
		p->jobs_cap = p->jobs_cap ? 2 * p->jobs_cap : 2;
		p->jobs = xreallocarray(p->jobs, p->jobs_cap,
		    sizeof(*p->jobs));
	}
	p->jobs[p->njobs].job = job;
	p->jobs[p->njobs].slot = slot;
	p->njobs++;
}

static bool
ref_has(const struct proc *p, const struct job *job)
{
	for (unsigned i = 0; i < p->njobs; i++)
		if (p->jobs[i].job == job)
			return true;
	return false;
}

static void
ref_del(struct proc *p, const struct job *job)
{
	for (unsigned i = 0; i < p->njobs; i++)
		if (p->jobs[i].job == job) {
			p->jobs[i] = p->jobs[--p->njobs];
			return;
		}
}

/* Member SLOT no longer keeps JOB waiting in this phase. */
static void
job_settle(struct job *job, size_t slot)
{
	if (job->waiting[slot]) {
		job->waiting[slot] = false;
		job->pending--;
	}
}

/* Member SLOT is being freed (it is down). */
static void
job_forget_proc(struct job *job, size_t slot)
{
	job->procs[slot] = NULL;
	job_settle(job, slot);
	job_advance(job);
}

struct job *
job_new_levels(enum job_kind kind, struct proc **procs,
    const int64_t *levels, size_t n, job_done_cb done, void *arg)
{
	struct job *job = xcalloc(1, sizeof(*job));
	size_t cap = n ? n : 1;

	job->kind = kind;
	job->procs = xcalloc(cap, sizeof(*job->procs));
	job->levels = xcalloc(cap, sizeof(*job->levels));
	job->waiting = xcalloc(cap, sizeof(*job->waiting));
	job->done = done;
	job->arg = arg;
	timer_init(&job->done_timer, job_done_timer, job);
	for (size_t i = 0; i < n; i++) {
		struct proc *p = procs[i];
		size_t slot = job->nprocs;

		if (ref_has(p, job))
			continue;	/* named twice */
		job->procs[slot] = p;
		job->levels[slot] = levels[i];
		job->waiting[slot] = true;
		job->nprocs++;
		job->pending++;
		ref_add(p, job, slot);
	}
	return job;
}

struct job *
job_new(enum job_kind kind, struct proc **procs, size_t n, job_done_cb done,
    void *arg)
{
	int64_t *levels = xcalloc(n ? n : 1, sizeof(*levels));
	struct job *job;

	/* Lower priority numbers start first and stop last; dependents
	   stop before what they depend on (rank). */
	for (size_t i = 0; i < n; i++) {
		const struct program *prog = procs[i]->program;
		int64_t prio = prog->conf->priority;

		levels[i] = kind == JOB_START ? prio :
		    ((int64_t)prog->rank << 32) - prio;
	}
	job = job_new_levels(kind, procs, levels, n, done, arg);
	free(levels);
	return job;
}

bool
job_waits_for(const struct job *job, const struct proc *p)
{
	for (size_t i = 0; i < job->nprocs; i++)
		if (job->procs[i] == p)
			return job->waiting[i];
	return false;
}

/* The lowest level among the members still waiting. */
static bool
job_next_level(const struct job *job, int64_t *level)
{
	bool found = false;

	for (size_t i = 0; i < job->nprocs; i++) {
		if (job->procs[i] == NULL || !job->waiting[i])
			continue;
		if (!found || job->levels[i] < *level)
			*level = job->levels[i];
		found = true;
	}
	return found;
}

static void
job_done_timer(struct timer *t, void *arg)
{
	struct job *job = arg;
	job_done_cb done = job->done;

	(void)t;
	if (job->kind == JOB_RESTART && !job->starting) {
		/* Everything is down: the start phase, out of any
		   transition. */
		job->starting = true;
		for (size_t i = 0; i < job->nprocs; i++)
			if (job->procs[i] != NULL) {
				job->waiting[i] = true;
				job->pending++;
			}
		job_run(job);
		return;
	}
	job->done = NULL;
	if (done != NULL)
		done(job, job->arg);
}

static void
job_finish_if_done(struct job *job)
{
	if (job->pending == 0 && job->done != NULL && !job->running &&
	    !timer_armed(&job->done_timer))
		if (timer_set(&job->done_timer, ops->now()) == -1)
			job_done_timer(&job->done_timer, job);
}

static int
level_cmp(const void *a, const void *b, void *arg)
{
	const int64_t *x = *(const int64_t *const *)a;
	const int64_t *y = *(const int64_t *const *)b;
	int sign = *(const int *)arg;

	if (*x != *y)
		return *x < *y ? -sign : sign;
	return x < y ? -1 : x > y;	/* stable: the caller's order */
}

/*
 * Start every member without waiting between levels: lower levels first,
 * and for a restart in the reverse of its stop order.
 */
static void
job_start_all(struct job *job)
{
	const int64_t **order = xcalloc(job->nprocs + 1, sizeof(*order));
	int sign = job->kind == JOB_RESTART ? -1 : 1;

	for (size_t i = 0; i < job->nprocs; i++)
		order[i] = &job->levels[i];
	qsort_r(order, job->nprocs, sizeof(*order), level_cmp, &sign);
	for (size_t k = 0; k < job->nprocs; k++) {
		size_t i = (size_t)(order[k] - job->levels);
		struct proc *p = job->procs[i];

		if (p == NULL || !job->waiting[i])
			continue;
		sup_start(p);
		if (job->procs[i] != NULL && proc_settled_up(p))
			job_settle(job, i);
	}
	free(order);
}

/* Stop every process of the current level; go on while levels empty. */
static void
job_stop_level(struct job *job)
{
	int64_t level = 0;

	while (job->pending > 0 && job_next_level(job, &level)) {
		job->level = level;
		for (size_t i = 0; i < job->nprocs; i++) {
			struct proc *p = job->procs[i];
			if (p == NULL || !job->waiting[i] ||
			    job->levels[i] != level)
				continue;
			sup_stop(p);
			if (job->procs[i] != NULL && job_settled(job, p))
				job_settle(job, i);
		}
		/* Wait for this level unless it went down at once. */
		for (size_t i = 0; i < job->nprocs; i++)
			if (job->procs[i] != NULL && job->waiting[i] &&
			    job->levels[i] == level)
				return;
	}
}

void
job_run(struct job *job)
{
	job->running = true;
	if (job->kind == JOB_START || (job->kind == JOB_RESTART &&
	    job->starting))
		job_start_all(job);
	else
		job_stop_level(job);
	job->running = false;
	job_finish_if_done(job);
}

/*
 * A member of JOB settled or was freed: a stop (phase) whose current level
 * is now empty moves on to the next level; any job with nothing pending
 * is done (or, a restart, goes on to its start phase).
 */
static void
job_advance(struct job *job)
{
	if (job->running)
		return;
	if (job->kind == JOB_STOP || (job->kind == JOB_RESTART &&
	    !job->starting)) {
		for (size_t i = 0; i < job->nprocs; i++)
			if (job->procs[i] != NULL && job->waiting[i] &&
			    job->levels[i] == job->level)
				goto done;
		job->running = true;
		job_stop_level(job);
		job->running = false;
	}
done:
	job_finish_if_done(job);
}

static void
job_notify(struct proc *p)
{
	struct job_ref refs[8], *v = refs;
	unsigned n = p->njobs;

	if (n == 0)
		return;
	/* Advancing one job may change P's list (a stop level moving on
	   touches other processes only, but stay safe): work on a copy. */
	if (n > sizeof(refs) / sizeof(refs[0]))
		v = xcalloc(n, sizeof(*v));
	memcpy(v, p->jobs, n * sizeof(*v));
	for (unsigned i = 0; i < n; i++) {
		struct job *job = v[i].job;
		size_t slot = v[i].slot;

		if (!ref_has(p, job) || job->running ||
		    !job->waiting[slot] || !job_settled(job, p))
			continue;
		job_settle(job, slot);
		job_advance(job);
	}
	if (v != refs)
		free(v);
}

void
job_free(struct job *job)
{
	if (job == NULL)
		return;
	timer_cancel(&job->done_timer);
	for (size_t i = 0; i < job->nprocs; i++)
		if (job->procs[i] != NULL)
			ref_del(job->procs[i], job);
	free(job->procs);
	free(job->levels);
	free(job->waiting);
	free(job);
}
