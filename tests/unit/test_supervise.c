/*
 * test_supervise.c — unit tests of the state machine of mwsupd(8) Process states
 * (mwsupd/supervise.c) through its struct sup_ops seam: a fake clock, a
 * fake spawn that hands out pids, a fake kill that records signals, a fake
 * lockfile.  Time only moves when a test calls advance(), which fires the
 * due timers exactly as the event loop would.
 */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "log.h"
#include "supervise.h"
#include "timer.h"
#include "xalloc.h"

#define UNUSED	__attribute__((unused))	/* cmocka's state argument */

#define T0		1000000		/* the fake clock at the start */
#define MAXREC		4096
#define MAXPROGS	128
#define MAXJOBS		8
#define HOUR		(3600 * 1000)

/* Wait statuses as the kernel builds them. */
static int
exit_code(int code)
{
	return (code & 0xff) << 8;
}

static int
killed_by(int sig)
{
	return sig & 0x7f;
}

/* ---------------------------------------------------------------- fakes */

struct spawn_rec {
	struct proc	*p;
	pid_t		 pid;		/* 0 when the spawn failed */
	uint64_t	 at;
	unsigned	 seq;
};

struct sig_rec {
	struct proc	*p;
	pid_t		 pid;
	int		 sig;
	bool		 group;
	uint64_t	 at;
	unsigned	 seq;
};

struct change_rec {
	struct proc	*p;
	enum proc_state	 from, to;
	uint64_t	 at;
};

enum spawn_mode { SPAWN_OK, SPAWN_TRANSIENT, SPAWN_PERMANENT };

static uint64_t		 now_ms;
static unsigned		 seq;
static pid_t		 next_pid;

static struct spawn_rec	 spawns[MAXREC];
static size_t		 nspawns;
static enum spawn_mode	 spawn_mode;
static struct proc	*spawn_fail_only;	/* NULL: every process */
static const char	*spawn_reason;

static struct sig_rec	 sigs[MAXREC];
static size_t		 nsigs;

static struct change_rec changes[MAXREC];
static size_t		 nchanges;

static int		 lock_result;		/* for every process... */
static struct proc	*lock_deny_only;	/* ...or 0 for this one */
static const char	*lock_reason;
static size_t		 nlocks, nunlocks, nreleases;

static uint64_t
fake_now(void)
{
	return now_ms;
}

static int
fake_spawn(struct proc *p, char *reason, size_t len, bool *permanent)
{
	bool fail = spawn_mode != SPAWN_OK &&
	    (spawn_fail_only == NULL || spawn_fail_only == p);

	assert_true(nspawns < MAXREC);
	/* Never spawned over a live process. */
	assert_int_equal(p->pid, 0);
	spawns[nspawns].p = p;
	spawns[nspawns].at = now_ms;
	spawns[nspawns].seq = seq++;
	if (fail) {
		spawns[nspawns++].pid = 0;
		snprintf(reason, len, "%s", spawn_reason);
		*permanent = spawn_mode == SPAWN_PERMANENT;
		return -1;
	}
	p->pid = next_pid++;
	spawns[nspawns++].pid = p->pid;
	return 0;
}

static void
fake_signal(struct proc *p, int sig, bool group)
{
	assert_true(nsigs < MAXREC);
	assert_true(p->pid > 0);
	sigs[nsigs].p = p;
	sigs[nsigs].pid = p->pid;
	sigs[nsigs].sig = sig;
	sigs[nsigs].group = group;
	sigs[nsigs].at = now_ms;
	sigs[nsigs].seq = seq++;
	nsigs++;
}

static int
fake_lock(struct proc *p, char *reason, size_t len)
{
	int r = lock_deny_only == NULL ? lock_result :
	    lock_deny_only == p ? 0 : 1;

	nlocks++;
	if (r == 1)
		p->lock_held = true;
	else
		snprintf(reason, len, "%s", lock_reason);
	return r;
}

static void
fake_unlock(struct proc *p)
{
	assert_true(p->lock_held);
	p->lock_held = false;
	nunlocks++;
}

static void
fake_changed(struct proc *p, enum proc_state from)
{
	assert_true(nchanges < MAXREC);
	changes[nchanges].p = p;
	changes[nchanges].from = from;
	changes[nchanges].to = p->state;
	changes[nchanges].at = now_ms;
	nchanges++;
}

static void
fake_release(struct proc *p)
{
	(void)p;
	nreleases++;
}

static const struct sup_ops fake_ops = {
	.now = fake_now,
	.spawn = fake_spawn,
	.signal = fake_signal,
	.lock = fake_lock,
	.unlock = fake_unlock,
	.changed = fake_changed,
	.release = fake_release,
};

/* ------------------------------------------------------- configuration */

static struct confref	*cr;
static struct program	*progs[MAXPROGS];
static size_t		 nprogs;
static struct job	*jobs[MAXJOBS];
static size_t		 njobs;

/* A program section with every SPEC default, owned by the test's conf. */
static struct program_conf *
pc_new(const char *name)
{
	struct conf *conf = cr->conf;
	struct program_conf *pc = xcalloc(1, sizeof(*pc));

	pc->name = xstrdup(name);
	pc->file = xstrdup("test.conf");
	pc->line = 1;
	pc->here = xstrdup("/");
	pc->command = xstrdup("/bin/true");
	pc->words = xcalloc(2, sizeof(*pc->words));
	pc->words[0] = xstrdup("/bin/true");
	pc->numprocs = 1;
	pc->numprocs_start = 0;
	pc->autostart = true;
	pc->autorestart = AUTORESTART_UNEXPECTED;
	pc->normal_exit[0] = 1;			/* code 0 */
	pc->startsecs = 1;
	pc->startretries = 3;
	pc->stopsignal = SIGTERM;
	pc->stopwaitsecs = 10;
	pc->killmode = KILLMODE_GROUP;
	pc->umask = -1;
	pc->environment = xcalloc(1, sizeof(*pc->environment));
	pc->priority = 999;
	pc->syslog_ident = xstrdup(name);

	conf->programs = xreallocarray(conf->programs, conf->nprograms + 1,
	    sizeof(*conf->programs));
	conf->programs[conf->nprograms++] = pc;
	return pc;
}

static struct program *
prog_new(struct program_conf *pc)
{
	struct program *prog;

	assert_true(nprogs < MAXPROGS);
	prog = program_new(pc, cr);
	progs[nprogs++] = prog;
	assert_int_equal(prog->nprocs, pc->numprocs);
	return prog;
}

/* The one process of a default program NAME after TWEAK. */
static struct proc *
proc1(const char *name, void (*tweak)(struct program_conf *))
{
	struct program_conf *pc = pc_new(name);

	if (tweak != NULL)
		tweak(pc);
	return prog_new(pc)->procs[0];
}

/* ----------------------------------------------------------------- jobs */

static unsigned		 done_calls;
static uint64_t		 done_at;
static struct job	*done_job;
static bool		 in_job_run;

static void
job_done(struct job *job, void *arg)
{
	unsigned *count = arg;

	/* Never called from inside job_run() (a transition). */
	assert_false(in_job_run);
	done_job = job;
	done_at = now_ms;
	(*count)++;
}

static struct job *
mkjob(enum job_kind kind, struct proc **v, size_t n, unsigned *count)
{
	struct job *job;

	assert_true(njobs < MAXJOBS);
	job = job_new(kind, v, n, job_done, count);
	jobs[njobs++] = job;
	return job;
}

static void
run_job(struct job *job)
{
	in_job_run = true;
	job_run(job);
	in_job_run = false;
}

/* -------------------------------------------------------------- helpers */

static void
advance(uint64_t ms)
{
	now_ms += ms;
	timer_run(now_ms);
}

static void
advance_to(uint64_t t)
{
	assert_true(t >= now_ms);
	advance(t - now_ms);
}

/* Signals sent to P's process (any pid of P) with SIG since record FROM. */
static size_t
count_sigs_from(size_t from, const struct proc *p, int sig)
{
	size_t n = 0;

	for (size_t i = from; i < nsigs; i++)
		if ((p == NULL || sigs[i].p == p) && sigs[i].sig == sig)
			n++;
	return n;
}

static size_t
count_sigs(const struct proc *p, int sig)
{
	return count_sigs_from(0, p, sig);
}

static size_t
count_sigs_to(const struct proc *p)
{
	size_t n = 0;

	for (size_t i = 0; i < nsigs; i++)
		if (sigs[i].p == p)
			n++;
	return n;
}

static size_t
count_spawns(const struct proc *p)
{
	size_t n = 0;

	for (size_t i = 0; i < nspawns; i++)
		if (spawns[i].p == p)
			n++;
	return n;
}

/* Failures are reported at the caller's line. */
#define assert_deadline(p, d)	check_deadline((p), (d), __FILE__, __LINE__)
#define assert_state(p, s)	check_state((p), (s), __FILE__, __LINE__)

static void
check_deadline(const struct proc *p, uint64_t deadline, const char *file,
    int line)
{
	if (!timer_armed(&p->timer)) {
		print_error("%s: no timer armed, expected one at T0%+lld\n",
		    p->name, (long long)(deadline - T0));
		_fail(file, line);
	} else if (p->timer.deadline != deadline) {
		print_error("%s: timer at T0%+lld, expected T0%+lld\n",
		    p->name, (long long)(p->timer.deadline - T0),
		    (long long)(deadline - T0));
		_fail(file, line);
	}
}

static void
check_state(const struct proc *p, enum proc_state s, const char *file,
    int line)
{
	if (p->state != s) {
		print_error("%s: state %s, expected %s\n", p->name,
		    proc_state_name(p->state), proc_state_name(s));
		_fail(file, line);
	}
}

/* Start P (startsecs as configured) and let it reach RUNNING. */
static void
bring_up(struct proc *p)
{
	sup_start(p);
	advance((uint64_t)p->program->conf->startsecs * 1000);
	assert_state(p, PROC_RUNNING);
}

/* ------------------------------------------------------ setup, teardown */

static int
setup(void **state UNUSED)
{
	now_ms = T0;
	seq = 0;
	next_pid = 100;
	nspawns = nsigs = nchanges = 0;
	spawn_mode = SPAWN_OK;
	spawn_fail_only = NULL;
	spawn_reason = "spawn failed";
	lock_result = 1;
	lock_deny_only = NULL;
	lock_reason = "locked by someone else";
	nlocks = nunlocks = nreleases = 0;
	done_calls = 0;
	done_at = 0;
	done_job = NULL;
	in_job_run = false;
	nprogs = njobs = 0;

	sup_init(&fake_ops);
	cr = xcalloc(1, sizeof(*cr));
	cr->conf = xcalloc(1, sizeof(*cr->conf));
	cr->conf->path = xstrdup("test.conf");
	assert_int_equal(timer_count(), 0);
	return 0;
}

static int
teardown(void **state UNUSED)
{
	size_t nprocs = 0, released = nreleases;

	for (size_t i = 0; i < njobs; i++)
		job_free(jobs[i]);
	for (size_t i = 0; i < nprogs; i++)
		nprocs += (size_t)progs[i]->nprocs;
	/* The last program_free() frees the conf through the confref. */
	for (size_t i = 0; i < nprogs; i++)
		program_free(progs[i]);
	if (nprogs == 0) {
		conf_free(cr->conf);
		free(cr);
	}
	cr = NULL;
	assert_int_equal(nreleases - released, nprocs);
	/* Every timer went with its process or job. */
	assert_int_equal(timer_count(), 0);
	return 0;
}

/* ------------------------------------------------- 1: start and RUNNING */

static void
test_start_starting_running(void **state UNUSED)
{
	struct proc *p = proc1("a", NULL);

	assert_state(p, PROC_STOPPED);
	assert_int_equal(p->pid, 0);
	assert_int_equal(p->exit_status, -1);
	assert_false(timer_armed(&p->timer));
	assert_string_equal(p->name, "a:0");

	sup_start(p);
	assert_state(p, PROC_STARTING);
	assert_true(p->want_up);
	assert_int_equal(nspawns, 1);
	assert_int_equal(p->pid, 100);
	assert_int_equal(p->spawns, 1);
	assert_int_equal(p->restarts, 0);
	assert_int_equal(p->start_ms, T0);
	assert_deadline(p, T0 + 1000);
	assert_true(p->lock_held);
	assert_int_equal(nchanges, 1);
	assert_int_equal(changes[0].from, PROC_STOPPED);
	assert_int_equal(changes[0].to, PROC_STARTING);

	/* Idempotent while STARTING. */
	sup_start(p);
	assert_int_equal(nspawns, 1);
	assert_int_equal(nchanges, 1);

	advance(999);
	assert_state(p, PROC_STARTING);
	advance(1);
	assert_state(p, PROC_RUNNING);
	assert_int_equal(p->pid, 100);
	assert_int_equal(p->fails, 0);
	assert_false(timer_armed(&p->timer));
	assert_int_equal(nchanges, 2);
	assert_int_equal(changes[1].from, PROC_STARTING);
	assert_int_equal(changes[1].to, PROC_RUNNING);
	assert_int_equal(changes[1].at, T0 + 1000);

	/* Idempotent while RUNNING; nothing happens by itself. */
	sup_start(p);
	advance(HOUR);
	assert_state(p, PROC_RUNNING);
	assert_int_equal(nspawns, 1);
	assert_int_equal(nsigs, 0);
}

static void
set_startsecs_0(struct program_conf *pc)
{
	pc->startsecs = 0;
}

static void
test_startsecs_zero(void **state UNUSED)
{
	struct proc *p = proc1("a", set_startsecs_0);

	sup_start(p);
	assert_state(p, PROC_RUNNING);
	assert_int_equal(nspawns, 1);
	assert_false(timer_armed(&p->timer));
	assert_int_equal(nchanges, 1);
	assert_int_equal(changes[0].from, PROC_STOPPED);
	assert_int_equal(changes[0].to, PROC_RUNNING);
}

static void
set_startsecs_5(struct program_conf *pc)
{
	pc->startsecs = 5;
}

static void
test_startsecs_deadline(void **state UNUSED)
{
	struct proc *p = proc1("a", set_startsecs_5);

	advance(123);
	sup_start(p);
	assert_deadline(p, T0 + 123 + 5000);
	advance(4999);
	assert_state(p, PROC_STARTING);
	advance(1);
	assert_state(p, PROC_RUNNING);
}

/* -------------------------------------------- 2: BACKOFF, FATAL, retries */

static void
test_backoff_then_fatal(void **state UNUSED)
{
	struct proc *p = proc1("a", NULL);	/* startretries 3 */
	const uint64_t delays[] = { 1000, 2000, 4000 };
	uint64_t t;

	sup_start(p);
	for (size_t i = 0; i < 3; i++) {
		advance(100);
		sup_exited(p, exit_code(1));
		t = now_ms;
		assert_state(p, PROC_BACKOFF);
		assert_int_equal(p->pid, 0);
		assert_int_equal(p->fails, (int)i + 1);
		assert_int_equal(p->exit_status, 1);
		assert_int_equal(p->exit_signal, 0);
		assert_string_equal(p->reason, "exited too quickly");
		assert_true(p->want_up);
		assert_deadline(p, t + delays[i]);
		assert_int_equal(nspawns, i + 1);

		advance(delays[i] - 1);
		assert_state(p, PROC_BACKOFF);
		assert_int_equal(nspawns, i + 1);
		advance(1);
		assert_state(p, PROC_STARTING);
		assert_int_equal(nspawns, i + 2);
		assert_int_equal(spawns[i + 1].at, t + delays[i]);
		assert_int_equal(p->restarts, i + 1);
		assert_int_equal(p->pid, spawns[i + 1].pid);
		assert_true(spawns[i + 1].pid != spawns[i].pid);
		assert_int_equal(p->reason[0], '\0');
	}
	/* The 4th start fails too: 3 retries are used up. */
	advance(100);
	sup_exited(p, exit_code(1));
	assert_state(p, PROC_FATAL);
	assert_string_equal(p->reason, "exited too quickly");
	assert_false(p->want_up);
	assert_false(timer_armed(&p->timer));
	assert_false(p->lock_held);
	assert_int_equal(nunlocks, 1);
	advance(HOUR);
	assert_state(p, PROC_FATAL);
	assert_int_equal(nspawns, 4);
	assert_int_equal(p->spawns, 4);
}

static void
set_retries_20(struct program_conf *pc)
{
	pc->startretries = 20;
}

static void
test_backoff_capped(void **state UNUSED)
{
	struct proc *p = proc1("a", set_retries_20);
	uint64_t want = 1000, maxgap = 0;

	sup_start(p);
	for (int i = 0; i < 20; i++) {
		uint64_t t, gap;
		sup_exited(p, killed_by(SIGSEGV));
		assert_state(p, PROC_BACKOFF);
		assert_int_equal(p->exit_signal, SIGSEGV);
		assert_int_equal(p->exit_status, -1);
		t = now_ms;
		advance_to(timer_next());
		assert_state(p, PROC_STARTING);
		gap = spawns[nspawns - 1].at - t;
		assert_int_equal(gap, want);
		if (gap > maxgap)
			maxgap = gap;
		want = want * 2 > 60000 ? 60000 : want * 2;
	}
	assert_int_equal(maxgap, 60000);
	assert_int_equal(nspawns, 21);
	sup_exited(p, killed_by(SIGSEGV));
	assert_state(p, PROC_FATAL);
	assert_int_equal(nspawns, 21);
}

static void
test_running_resets_fails(void **state UNUSED)
{
	struct proc *p = proc1("a", NULL);	/* startretries 3 */

	sup_start(p);
	for (int i = 0; i < 2; i++) {
		sup_exited(p, exit_code(1));
		advance_to(timer_next());
	}
	assert_int_equal(p->fails, 2);
	assert_int_equal(nspawns, 3);
	advance(1000);
	assert_state(p, PROC_RUNNING);
	assert_int_equal(p->fails, 0);

	/* Crash from RUNNING: restarted at once, then a full set of retries
	   with the backoff starting again at 1 s. */
	sup_exited(p, exit_code(1));
	assert_state(p, PROC_STARTING);
	assert_int_equal(nspawns, 4);
	sup_exited(p, exit_code(1));
	assert_state(p, PROC_BACKOFF);
	assert_int_equal(p->fails, 1);
	assert_deadline(p, now_ms + 1000);
	for (int i = 0; i < 3; i++) {
		advance_to(timer_next());
		assert_state(p, PROC_STARTING);
		sup_exited(p, exit_code(1));
	}
	assert_state(p, PROC_FATAL);
	assert_int_equal(nspawns, 4 + 3);
}

static void
set_retries_0(struct program_conf *pc)
{
	pc->startretries = 0;
}

static void
test_startretries_zero(void **state UNUSED)
{
	struct proc *p = proc1("a", set_retries_0);

	sup_start(p);
	sup_exited(p, exit_code(2));
	assert_state(p, PROC_FATAL);
	assert_int_equal(nspawns, 1);
}

/* ------------------------------------- 3: normal exit while STARTING */

static void
set_autorestart_false(struct program_conf *pc)
{
	pc->autorestart = AUTORESTART_FALSE;
}

static void
set_autorestart_true(struct program_conf *pc)
{
	pc->autorestart = AUTORESTART_TRUE;
}

static void
test_starting_normal_exit_finishes(void **state UNUSED)
{
	struct proc *u = proc1("u", NULL);	/* unexpected */
	struct proc *f = proc1("f", set_autorestart_false);

	sup_start(u);
	sup_start(f);
	advance(200);
	sup_exited(u, exit_code(0));
	sup_exited(f, exit_code(0));
	assert_state(u, PROC_EXITED);
	assert_state(f, PROC_EXITED);
	assert_false(u->want_up);
	assert_false(f->want_up);
	assert_int_equal(u->exit_status, 0);
	assert_int_equal(u->fails, 0);
	assert_int_equal(u->reason[0], '\0');
	assert_false(timer_armed(&u->timer));
	assert_false(timer_armed(&f->timer));
	assert_false(u->lock_held);
	advance(HOUR);
	assert_int_equal(nspawns, 2);
	assert_state(u, PROC_EXITED);
}

static void
test_starting_normal_exit_autorestart_true(void **state UNUSED)
{
	struct proc *p = proc1("a", set_autorestart_true);

	sup_start(p);
	sup_exited(p, exit_code(0));
	assert_state(p, PROC_BACKOFF);
	assert_int_equal(p->fails, 1);
	assert_string_equal(p->reason, "exited too quickly");
	advance(1000);
	assert_int_equal(nspawns, 2);
}

static void
set_normal_exit_2(struct program_conf *pc)
{
	memset(pc->normal_exit, 0, sizeof(pc->normal_exit));
	pc->normal_exit[0] = 1u << 2;			/* code 2 */
	pc->normal_exit[200 / 8] |= 1u << (200 % 8);	/* code 200 */
}

static void
test_normal_exit_bitmap(void **state UNUSED)
{
	struct proc *p = proc1("a", set_normal_exit_2);

	sup_start(p);
	sup_exited(p, exit_code(0));		/* 0 is not normal here */
	assert_state(p, PROC_BACKOFF);
	advance(1000);
	sup_exited(p, exit_code(200));
	assert_state(p, PROC_EXITED);
	assert_int_equal(p->exit_status, 200);
	sup_start(p);
	sup_exited(p, exit_code(2));
	assert_state(p, PROC_EXITED);
	/* A signal is never a normal exit. */
	sup_start(p);
	sup_exited(p, killed_by(2));
	assert_state(p, PROC_BACKOFF);
}

/* ----------------------------------------------- 4: exit from RUNNING */

static void
test_running_exit_autorestart_true(void **state UNUSED)
{
	struct proc *p = proc1("a", set_autorestart_true);
	pid_t old;

	bring_up(p);
	old = p->pid;
	advance(5000);
	sup_exited(p, exit_code(0));
	assert_state(p, PROC_STARTING);
	assert_int_equal(nspawns, 2);
	assert_int_equal(spawns[1].at, now_ms);		/* no delay */
	assert_true(p->pid != old && p->pid > 0);
	assert_int_equal(p->restarts, 1);
	assert_int_equal(p->spawns, 2);
	assert_int_equal(p->exit_status, 0);
	assert_int_equal(p->exit_signal, 0);
	assert_int_equal(p->fails, 0);
	assert_deadline(p, now_ms + 1000);
	advance(1000);
	assert_state(p, PROC_RUNNING);

	sup_exited(p, killed_by(SIGKILL));
	assert_state(p, PROC_STARTING);
	assert_int_equal(p->restarts, 2);
	assert_int_equal(p->exit_status, -1);
	assert_int_equal(p->exit_signal, SIGKILL);
}

static void
test_running_exit_unexpected(void **state UNUSED)
{
	struct proc *p = proc1("a", NULL);

	/* Abnormal code: restarted at once. */
	bring_up(p);
	sup_exited(p, exit_code(3));
	assert_state(p, PROC_STARTING);
	assert_int_equal(p->exit_status, 3);
	assert_int_equal(p->restarts, 1);
	assert_int_equal(nspawns, 2);
	assert_int_equal(spawns[1].at, now_ms);

	/* A signal: restarted at once. */
	advance(1000);
	sup_exited(p, killed_by(SIGSEGV) | 0x80);	/* with a core */
	assert_state(p, PROC_STARTING);
	assert_int_equal(p->exit_status, -1);
	assert_int_equal(p->exit_signal, SIGSEGV);
	assert_int_equal(p->restarts, 2);
	assert_int_equal(nspawns, 3);

	/* Normal code: EXITED for good. */
	advance(1000);
	sup_exited(p, exit_code(0));
	assert_state(p, PROC_EXITED);
	assert_int_equal(p->exit_status, 0);
	assert_int_equal(p->exit_signal, 0);
	assert_false(p->want_up);
	assert_int_equal(p->pid, 0);
	advance(HOUR);
	assert_int_equal(nspawns, 3);
}

static void
test_running_exit_autorestart_false(void **state UNUSED)
{
	struct proc *p = proc1("a", set_autorestart_false);

	bring_up(p);
	sup_exited(p, exit_code(7));
	assert_state(p, PROC_EXITED);
	assert_int_equal(p->exit_status, 7);
	assert_false(timer_armed(&p->timer));
	sup_start(p);
	advance(1000);
	sup_exited(p, killed_by(SIGABRT));
	assert_state(p, PROC_EXITED);
	assert_int_equal(p->exit_signal, SIGABRT);
	advance(HOUR);
	assert_int_equal(nspawns, 2);
}

/* ----------------------------------------------------------- 5: killmode */

static void
set_killmode_process(struct program_conf *pc)
{
	pc->killmode = KILLMODE_PROCESS;
}

static void
test_killmode_group_on_exit(void **state UNUSED)
{
	struct proc *p = proc1("a", NULL);	/* killmode group */
	pid_t old;

	bring_up(p);
	old = p->pid;
	sup_exited(p, killed_by(SIGSEGV));
	/* SIGKILL to the old group, then the respawn. */
	assert_int_equal(nsigs, 1);
	assert_int_equal(sigs[0].sig, SIGKILL);
	assert_true(sigs[0].group);
	assert_int_equal(sigs[0].pid, old);
	assert_int_equal(nspawns, 2);
	assert_true(sigs[0].seq < spawns[1].seq);

	/* Also before EXITED, and before BACKOFF. */
	advance(1000);
	sup_exited(p, exit_code(0));
	assert_state(p, PROC_EXITED);
	assert_int_equal(count_sigs(p, SIGKILL), 2);
	assert_true(sigs[1].group);
	sup_start(p);
	sup_exited(p, exit_code(1));
	assert_state(p, PROC_BACKOFF);
	assert_int_equal(count_sigs(p, SIGKILL), 3);
	assert_true(sigs[2].group);
}

static void
test_killmode_process_on_exit(void **state UNUSED)
{
	struct proc *p = proc1("a", set_killmode_process);

	bring_up(p);
	sup_exited(p, killed_by(SIGSEGV));
	assert_state(p, PROC_STARTING);
	sup_exited(p, exit_code(1));
	advance(1000);
	advance(1000);
	sup_exited(p, exit_code(0));
	assert_state(p, PROC_EXITED);
	assert_int_equal(nsigs, 0);
}

/* --------------------------------------------------------------- 6: stop */

static void
test_stop_running_group(void **state UNUSED)
{
	struct proc *p = proc1("a", NULL);
	pid_t pid;
	uint64_t t;

	bring_up(p);
	pid = p->pid;
	advance(500);
	t = now_ms;
	sup_stop(p);
	assert_state(p, PROC_STOPPING);
	assert_false(p->want_up);
	assert_int_equal(nsigs, 2);
	assert_int_equal(sigs[0].sig, SIGTERM);
	assert_true(sigs[0].group);
	assert_int_equal(sigs[0].pid, pid);
	assert_int_equal(sigs[1].sig, SIGCONT);
	assert_true(sigs[1].group);
	assert_deadline(p, t + 10000);

	/* Idempotent. */
	sup_stop(p);
	assert_int_equal(nsigs, 2);
	assert_deadline(p, t + 10000);

	advance(300);
	sup_exited(p, killed_by(SIGTERM));
	assert_state(p, PROC_STOPPED);
	assert_int_equal(p->pid, 0);
	assert_int_equal(p->exit_signal, SIGTERM);
	assert_false(timer_armed(&p->timer));
	assert_false(p->lock_held);
	assert_int_equal(nunlocks, 1);
	/* The only SIGKILL is the group clean-up at the exit. */
	assert_int_equal(count_sigs(p, SIGKILL), 1);
	assert_int_equal(sigs[2].sig, SIGKILL);
	assert_true(sigs[2].group);
	advance(HOUR);
	assert_int_equal(nsigs, 3);
	assert_int_equal(nspawns, 1);
}

static void
test_stop_running_process(void **state UNUSED)
{
	struct proc *p = proc1("a", set_killmode_process);

	bring_up(p);
	sup_stop(p);
	assert_int_equal(nsigs, 2);
	assert_int_equal(sigs[0].sig, SIGTERM);
	assert_false(sigs[0].group);
	assert_int_equal(sigs[1].sig, SIGCONT);
	assert_false(sigs[1].group);
	sup_exited(p, exit_code(0));
	assert_state(p, PROC_STOPPED);
	assert_int_equal(nsigs, 2);
}

static void
test_stop_timeout_sigkill(void **state UNUSED)
{
	struct proc *p = proc1("a", NULL);
	uint64_t t;

	bring_up(p);
	t = now_ms;
	sup_stop(p);
	advance(9999);
	assert_int_equal(count_sigs(p, SIGKILL), 0);
	advance(1);
	assert_int_equal(count_sigs(p, SIGKILL), 1);
	assert_int_equal(sigs[nsigs - 1].sig, SIGKILL);
	assert_true(sigs[nsigs - 1].group);
	assert_int_equal(sigs[nsigs - 1].at, t + 10000);
	assert_true(p->killed);
	assert_state(p, PROC_STOPPING);
	advance(HOUR);
	assert_int_equal(nsigs, 3);
	sup_exited(p, killed_by(SIGKILL));
	assert_state(p, PROC_STOPPED);
	assert_int_equal(p->exit_signal, SIGKILL);
	assert_int_equal(nspawns, 1);
}

static void
set_stop_int_3(struct program_conf *pc)
{
	pc->stopsignal = SIGINT;
	pc->stopwaitsecs = 3;
	pc->killmode = KILLMODE_PROCESS;
}

static void
test_stop_custom_signal_wait(void **state UNUSED)
{
	struct proc *p = proc1("a", set_stop_int_3);
	uint64_t t;

	bring_up(p);
	t = now_ms;
	sup_stop(p);
	assert_int_equal(sigs[0].sig, SIGINT);
	assert_false(sigs[0].group);
	assert_deadline(p, t + 3000);
	advance(3000);
	assert_int_equal(nsigs, 3);
	assert_int_equal(sigs[2].sig, SIGKILL);
	assert_false(sigs[2].group);
}

static void
set_stop_kill(struct program_conf *pc)
{
	pc->stopsignal = SIGKILL;
}

static void
test_stop_with_sigkill(void **state UNUSED)
{
	struct proc *p = proc1("a", set_stop_kill);

	bring_up(p);
	sup_stop(p);
	assert_int_equal(nsigs, 1);		/* no SIGCONT */
	assert_int_equal(sigs[0].sig, SIGKILL);
	assert_true(sigs[0].group);
	advance(HOUR);
	assert_int_equal(nsigs, 1);		/* no second SIGKILL */
	assert_state(p, PROC_STOPPING);
	sup_exited(p, killed_by(SIGKILL));
	assert_state(p, PROC_STOPPED);
}

static void
test_stop_at_once_states(void **state UNUSED)
{
	struct proc *b = proc1("backoff", NULL);
	struct proc *l = proc1("locked", NULL);
	struct proc *e = proc1("exited", NULL);
	struct proc *f = proc1("fatal", set_retries_0);
	struct proc *s = proc1("stopped", NULL);
	size_t n;

	sup_start(b);
	sup_exited(b, exit_code(1));
	assert_state(b, PROC_BACKOFF);
	lock_deny_only = l;
	sup_start(l);
	assert_state(l, PROC_LOCKED);
	sup_start(e);
	sup_exited(e, exit_code(0));
	assert_state(e, PROC_EXITED);
	sup_start(f);
	sup_exited(f, exit_code(1));
	assert_state(f, PROC_FATAL);
	n = nsigs;

	sup_stop(b);
	sup_stop(l);
	sup_stop(e);
	sup_stop(f);
	assert_state(b, PROC_STOPPED);
	assert_state(l, PROC_STOPPED);
	/* EXITED and FATAL keep their exit status and reason. */
	assert_state(e, PROC_EXITED);
	assert_state(f, PROC_FATAL);
	assert_false(timer_armed(&b->timer));
	assert_false(timer_armed(&l->timer));
	assert_false(b->lock_held);	/* BACKOFF held it; STOPPED gave it */
	assert_int_equal(nsigs, n);

	/* STOPPED stays STOPPED, no transition reported. */
	n = nchanges;
	sup_stop(s);
	assert_state(s, PROC_STOPPED);
	assert_int_equal(nchanges, n);

	n = nspawns;
	advance(HOUR);
	assert_int_equal(nspawns, n);
	assert_int_equal(timer_count(), 0);
}

static void
test_stop_during_starting(void **state UNUSED)
{
	struct proc *p = proc1("a", set_startsecs_5);
	uint64_t t;

	sup_start(p);
	advance(1000);
	t = now_ms;
	sup_stop(p);
	assert_state(p, PROC_STOPPING);
	assert_int_equal(count_sigs(p, SIGTERM), 1);
	assert_int_equal(count_sigs(p, SIGCONT), 1);
	assert_deadline(p, t + 10000);
	advance(5000);				/* past startsecs */
	assert_state(p, PROC_STOPPING);
	sup_exited(p, killed_by(SIGTERM));
	assert_state(p, PROC_STOPPED);
	advance(HOUR);
	assert_int_equal(nspawns, 1);
	assert_int_equal(p->fails, 0);
}

static void
test_start_during_stopping(void **state UNUSED)
{
	struct proc *p = proc1("a", NULL);
	pid_t old;
	size_t c;

	bring_up(p);
	old = p->pid;
	sup_stop(p);
	advance(2000);
	sup_start(p);
	assert_state(p, PROC_STOPPING);
	assert_true(p->want_up);
	assert_int_equal(nspawns, 1);
	c = nchanges;
	sup_exited(p, killed_by(SIGTERM));
	/* Down, then up again at once. */
	assert_int_equal(nchanges, c + 2);
	assert_int_equal(changes[c].to, PROC_STOPPED);
	assert_int_equal(changes[c + 1].from, PROC_STOPPED);
	assert_int_equal(changes[c + 1].to, PROC_STARTING);
	assert_state(p, PROC_STARTING);
	assert_int_equal(nspawns, 2);
	assert_int_equal(spawns[1].at, now_ms);
	assert_true(p->pid != old);
	assert_false(p->killed);
	assert_deadline(p, now_ms + 1000);
	/* The old stop deadline is gone: no SIGKILL to the new process. */
	advance(20000);
	assert_state(p, PROC_RUNNING);
	assert_int_equal(count_sigs(p, SIGKILL), 1);	/* group clean-up */
	assert_int_equal(sigs[nsigs - 1].pid, old);
}

static void
test_start_stop_during_stopping(void **state UNUSED)
{
	struct proc *p = proc1("a", NULL);

	bring_up(p);
	sup_stop(p);
	sup_start(p);
	sup_stop(p);			/* the last word wins */
	assert_int_equal(count_sigs(p, SIGTERM), 1);
	sup_exited(p, killed_by(SIGTERM));
	assert_state(p, PROC_STOPPED);
	assert_int_equal(nspawns, 1);
}

static void
set_retries_2(struct program_conf *pc)
{
	pc->startretries = 2;
}

/*
 * Regression (was a bug): a start request that arrives while STOPPING
 * must start afresh.  With
 * fails = 2 (third attempt STARTING), stop then start before the exit:
 * sup_exited() goes STOPPING -> STOPPED -> try_start() without resetting
 * fails, so one more failed start makes it FATAL.  Had the start come just
 * after the exit (STOPPED), sup_start() would have reset fails to 0 and
 * given a full set of retries: the outcome depends on the timing of the
 * operator's command.
 */
static void
test_start_during_stopping_afresh(void **state UNUSED)
{
	struct proc *p = proc1("a", set_retries_2);

	sup_start(p);
	for (int i = 0; i < 2; i++) {
		sup_exited(p, exit_code(1));
		advance_to(timer_next());
	}
	assert_state(p, PROC_STARTING);
	assert_int_equal(p->fails, 2);
	sup_stop(p);
	sup_start(p);
	sup_exited(p, killed_by(SIGTERM));
	assert_state(p, PROC_STARTING);
	/* Expected: a fresh start, as from STOPPED. */
	assert_int_equal(p->fails, 0);
	sup_exited(p, exit_code(1));
	assert_state(p, PROC_BACKOFF);
}

static void
test_sup_signal(void **state UNUSED)
{
	struct proc *p = proc1("a", NULL);

	assert_int_equal(sup_signal(p, SIGHUP), -1);
	assert_int_equal(nsigs, 0);
	bring_up(p);
	assert_int_equal(sup_signal(p, SIGHUP), 0);
	assert_int_equal(nsigs, 1);
	assert_int_equal(sigs[0].sig, SIGHUP);
	assert_false(sigs[0].group);
	assert_int_equal(sigs[0].pid, p->pid);
	assert_state(p, PROC_RUNNING);
}

/* ------------------------------------------------- 7: spawn failures */

static void
test_spawn_permanent_failure(void **state UNUSED)
{
	struct proc *p = proc1("a", NULL);

	spawn_mode = SPAWN_PERMANENT;
	spawn_reason = "/no/such/file: No such file or directory";
	sup_start(p);
	assert_state(p, PROC_FATAL);
	assert_string_equal(p->reason, spawn_reason);
	assert_false(p->want_up);
	assert_int_equal(p->pid, 0);
	assert_int_equal(p->spawns, 0);
	assert_false(timer_armed(&p->timer));
	assert_false(p->lock_held);
	assert_int_equal(nunlocks, 1);
	advance(HOUR);
	assert_int_equal(nspawns, 1);
}

static void
test_spawn_transient_failure(void **state UNUSED)
{
	struct proc *p = proc1("a", NULL);
	uint64_t t = now_ms;

	spawn_mode = SPAWN_TRANSIENT;
	spawn_reason = "fork: Resource temporarily unavailable";
	sup_start(p);
	assert_state(p, PROC_BACKOFF);
	assert_string_equal(p->reason, spawn_reason);
	assert_int_equal(p->fails, 1);
	assert_true(p->want_up);
	assert_deadline(p, t + 1000);
	advance(1000);
	assert_state(p, PROC_BACKOFF);
	assert_int_equal(p->fails, 2);
	assert_deadline(p, t + 1000 + 2000);

	spawn_mode = SPAWN_OK;
	advance(2000);
	assert_state(p, PROC_STARTING);
	assert_int_equal(p->pid, 100);
	assert_int_equal(p->spawns, 1);
	advance(1000);
	assert_state(p, PROC_RUNNING);
	assert_int_equal(p->fails, 0);
}

static void
test_spawn_transient_forever(void **state UNUSED)
{
	struct proc *p = proc1("a", NULL);

	spawn_mode = SPAWN_TRANSIENT;
	spawn_reason = "fork: Cannot allocate memory";
	sup_start(p);
	for (int i = 0; i < 3; i++)
		advance_to(timer_next());
	assert_state(p, PROC_FATAL);
	assert_string_equal(p->reason, spawn_reason);
	assert_int_equal(nspawns, 4);
	assert_int_equal(p->spawns, 0);
}

/* ------------------------------------------------------------ 8: LOCKED */

static void
test_locked_retries(void **state UNUSED)
{
	struct proc *p = proc1("a", NULL);

	lock_result = 0;
	lock_reason = "lockfile /run/a.lock held by pid 42";
	sup_start(p);
	assert_state(p, PROC_LOCKED);
	assert_string_equal(p->reason, lock_reason);
	assert_int_equal(nspawns, 0);
	assert_int_equal(nlocks, 1);
	assert_false(p->lock_held);
	assert_deadline(p, T0 + 1000);
	assert_true(p->want_up);

	advance(999);
	assert_int_equal(nlocks, 1);
	advance(1);
	assert_int_equal(nlocks, 2);
	assert_state(p, PROC_LOCKED);
	assert_deadline(p, T0 + 2000);
	assert_int_equal(nspawns, 0);

	lock_result = 1;
	advance(1000);
	assert_int_equal(nlocks, 3);
	assert_state(p, PROC_STARTING);
	assert_true(p->lock_held);
	assert_int_equal(nspawns, 1);
	assert_int_equal(spawns[0].at, T0 + 2000);
	assert_int_equal(p->reason[0], '\0');
	advance(1000);
	assert_state(p, PROC_RUNNING);

	/* Held while it runs; given back when it is EXITED. */
	assert_int_equal(nunlocks, 0);
	sup_exited(p, exit_code(0));
	assert_state(p, PROC_EXITED);
	assert_false(p->lock_held);
	assert_int_equal(nunlocks, 1);
}

static void
test_lock_error_fatal(void **state UNUSED)
{
	struct proc *p = proc1("a", NULL);

	lock_result = -1;
	lock_reason = "lockfile /nonexistent/x.lock: No such file or directory";
	sup_start(p);
	assert_state(p, PROC_FATAL);
	assert_string_equal(p->reason, lock_reason);
	assert_false(p->want_up);
	assert_int_equal(nspawns, 0);
	assert_false(timer_armed(&p->timer));
}

static void
test_unlock_on_stop_and_fatal(void **state UNUSED)
{
	struct proc *p = proc1("a", set_retries_0);

	bring_up(p);
	assert_true(p->lock_held);
	sup_stop(p);
	assert_true(p->lock_held);		/* still running */
	sup_exited(p, killed_by(SIGTERM));
	assert_false(p->lock_held);
	assert_int_equal(nunlocks, 1);

	sup_start(p);
	assert_true(p->lock_held);
	sup_exited(p, exit_code(1));
	assert_state(p, PROC_FATAL);
	assert_false(p->lock_held);
	assert_int_equal(nunlocks, 2);
}

/* ----------------------------------------- 9: start FATAL/EXITED afresh */

static void
test_restart_fatal_afresh(void **state UNUSED)
{
	struct proc *p = proc1("a", NULL);

	sup_start(p);
	for (int i = 0; i < 3; i++) {
		sup_exited(p, exit_code(1));
		advance_to(timer_next());
	}
	sup_exited(p, exit_code(1));
	assert_state(p, PROC_FATAL);
	assert_int_equal(nspawns, 4);

	advance(5000);
	sup_start(p);
	assert_state(p, PROC_STARTING);
	assert_true(p->want_up);
	assert_int_equal(p->fails, 0);
	assert_int_equal(nspawns, 5);
	assert_int_equal(spawns[4].at, now_ms);
	/* A whole new set of retries, from 1 s. */
	sup_exited(p, exit_code(1));
	assert_state(p, PROC_BACKOFF);
	assert_deadline(p, now_ms + 1000);
}

static void
test_restart_exited_and_permanent_fatal(void **state UNUSED)
{
	struct proc *e = proc1("e", NULL);
	struct proc *f = proc1("f", NULL);

	bring_up(e);
	sup_exited(e, exit_code(0));
	assert_state(e, PROC_EXITED);
	sup_start(e);
	assert_state(e, PROC_STARTING);
	assert_int_equal(count_spawns(e), 2);

	spawn_mode = SPAWN_PERMANENT;
	sup_start(f);
	assert_state(f, PROC_FATAL);
	spawn_mode = SPAWN_OK;
	sup_start(f);
	assert_state(f, PROC_STARTING);
	assert_true(f->pid > 0);
}

/* --------------------------------------------------------------- 10: jobs */

static void
set_numprocs_3(struct program_conf *pc)
{
	pc->numprocs = 3;
}

static void
test_job_start_waits_for_all(void **state UNUSED)
{
	struct program *a;
	struct proc *b, *v[4];
	struct job *job;
	struct program_conf *pc = pc_new("a");

	set_numprocs_3(pc);
	a = prog_new(pc);
	b = proc1("b", set_startsecs_5);
	v[0] = a->procs[0];
	v[1] = a->procs[1];
	v[2] = a->procs[2];
	v[3] = b;
	assert_string_equal(v[2]->name, "a:2");

	job = mkjob(JOB_START, v, 4, &done_calls);
	for (size_t i = 0; i < 4; i++)
		assert_true(job_waits_for(job, v[i]));
	run_job(job);
	for (size_t i = 0; i < 4; i++)
		assert_state(v[i], PROC_STARTING);
	advance(0);
	assert_int_equal(done_calls, 0);
	advance(1000);
	assert_state(v[0], PROC_RUNNING);
	assert_false(job_waits_for(job, v[0]));
	assert_int_equal(done_calls, 0);
	advance(3999);
	assert_int_equal(done_calls, 0);
	advance(1);
	assert_state(b, PROC_RUNNING);
	assert_int_equal(done_calls, 1);
	assert_ptr_equal(done_job, job);
	assert_int_equal(done_at, T0 + 5000);
	advance(HOUR);
	assert_int_equal(done_calls, 1);
}

static void
test_job_start_settled_states(void **state UNUSED)
{
	struct proc *run = proc1("run", NULL);
	struct proc *exi = proc1("exi", NULL);
	struct proc *fat = proc1("fat", set_retries_0);
	struct proc *lck = proc1("lck", NULL);
	struct proc *bad = proc1("bad", NULL);
	struct proc *v[] = { run, exi, fat, lck, bad };
	struct job *job;

	lock_deny_only = lck;
	spawn_mode = SPAWN_PERMANENT;
	spawn_fail_only = bad;
	job = mkjob(JOB_START, v, 5, &done_calls);
	run_job(job);
	assert_state(lck, PROC_LOCKED);		/* settled at once */
	assert_state(bad, PROC_FATAL);		/* settled at once */
	assert_false(job_waits_for(job, lck));
	assert_false(job_waits_for(job, bad));
	assert_int_equal(job->pending, 3);

	advance(100);
	sup_exited(exi, exit_code(0));		/* EXITED while STARTING */
	assert_state(exi, PROC_EXITED);
	sup_exited(fat, exit_code(1));		/* FATAL: no retries */
	assert_state(fat, PROC_FATAL);
	advance(0);
	assert_int_equal(done_calls, 0);
	advance(900);
	assert_state(run, PROC_RUNNING);
	assert_int_equal(done_calls, 1);
}

static void
test_job_start_through_backoff(void **state UNUSED)
{
	struct proc *p = proc1("a", NULL);
	struct job *job;

	job = mkjob(JOB_START, &p, 1, &done_calls);
	run_job(job);
	for (int i = 0; i < 3; i++) {
		sup_exited(p, exit_code(1));
		advance_to(timer_next());
		assert_int_equal(done_calls, 0);
	}
	sup_exited(p, exit_code(1));
	assert_state(p, PROC_FATAL);
	assert_int_equal(done_calls, 0);	/* from a timer, not inline */
	advance(0);
	assert_int_equal(done_calls, 1);
}

static void
test_job_done_never_inside_run(void **state UNUSED)
{
	struct proc *a = proc1("a", set_startsecs_0);
	struct proc *b = proc1("b", NULL);
	struct proc *v[] = { a, b };
	struct job *start, *stop;
	unsigned stop_calls = 0;

	/* Every process settles inside job_run(): done comes later. */
	start = mkjob(JOB_START, &a, 1, &done_calls);
	run_job(start);
	assert_state(a, PROC_RUNNING);
	assert_int_equal(done_calls, 0);
	advance(0);
	assert_int_equal(done_calls, 1);

	/* Same for a stop job over processes already down. */
	sup_stop(a);
	sup_exited(a, killed_by(SIGTERM));
	stop = mkjob(JOB_STOP, v, 2, &stop_calls);
	run_job(stop);
	assert_int_equal(stop_calls, 0);
	advance(0);
	assert_int_equal(stop_calls, 1);

	/* An empty job completes too. */
	stop_calls = 0;
	stop = mkjob(JOB_STOP, NULL, 0, &stop_calls);
	run_job(stop);
	assert_int_equal(stop_calls, 0);
	advance(0);
	assert_int_equal(stop_calls, 1);
}

static void
set_prio_1(struct program_conf *pc)
{
	pc->priority = 1;
	pc->startsecs = 0;
}

static void
set_prio_5(struct program_conf *pc)
{
	pc->priority = 5;
	pc->startsecs = 0;
}

static void
set_prio_10(struct program_conf *pc)
{
	pc->priority = 10;
	pc->startsecs = 0;
}

static void
test_job_stop_priority_levels(void **state UNUSED)
{
	struct proc *p1 = proc1("p1", set_prio_1);
	struct proc *p5a = proc1("p5a", set_prio_5);
	struct proc *p5b = proc1("p5b", set_prio_5);
	struct proc *p10 = proc1("p10", set_prio_10);
	struct proc *v[] = { p1, p5a, p10, p5b };	/* unsorted */
	struct job *job;
	size_t n;

	sup_start(p1);
	sup_start(p5a);
	sup_start(p5b);
	sup_start(p10);
	advance(1000);

	job = mkjob(JOB_STOP, v, 4, &done_calls);
	run_job(job);
	/* Only the highest number first. */
	assert_state(p10, PROC_STOPPING);
	assert_int_equal(count_sigs(p10, SIGTERM), 1);
	assert_int_equal(count_sigs(p10, SIGCONT), 1);
	assert_int_equal(nsigs, 2);
	assert_state(p5a, PROC_RUNNING);
	assert_state(p5b, PROC_RUNNING);
	assert_state(p1, PROC_RUNNING);
	advance(5000);
	assert_int_equal(nsigs, 2);

	/* Level 10 down: both of level 5 together. */
	n = nsigs;
	sup_exited(p10, killed_by(SIGTERM));
	assert_state(p10, PROC_STOPPED);
	assert_state(p5a, PROC_STOPPING);
	assert_state(p5b, PROC_STOPPING);
	assert_int_equal(count_sigs_from(n, p5a, SIGTERM), 1);
	assert_int_equal(count_sigs_from(n, p5b, SIGTERM), 1);
	assert_int_equal(count_sigs_to(p1), 0);
	assert_state(p1, PROC_RUNNING);

	/* Half of level 5 down: level 1 still waits. */
	sup_exited(p5a, exit_code(0));
	assert_state(p1, PROC_RUNNING);
	assert_int_equal(count_sigs_to(p1), 0);
	/* The rest of level 5 needs its SIGKILL. */
	advance(10000);
	assert_int_equal(count_sigs(p5b, SIGKILL), 1);
	assert_state(p1, PROC_RUNNING);
	sup_exited(p5b, killed_by(SIGKILL));
	assert_state(p1, PROC_STOPPING);
	assert_int_equal(count_sigs(p1, SIGTERM), 1);
	advance(0);
	assert_int_equal(done_calls, 0);

	sup_exited(p1, killed_by(SIGTERM));
	assert_state(p1, PROC_STOPPED);
	assert_int_equal(done_calls, 0);
	advance(0);
	assert_int_equal(done_calls, 1);
	assert_ptr_equal(done_job, job);
	assert_int_equal(nspawns, 4);		/* nothing came back */
}

static void
test_job_stop_skips_levels_already_down(void **state UNUSED)
{
	struct proc *p1 = proc1("p1", set_prio_1);
	struct proc *p5 = proc1("p5", set_prio_5);
	struct proc *p10 = proc1("p10", set_prio_10);
	struct proc *v[] = { p10, p5, p1 };
	struct job *job;

	sup_start(p1);
	sup_start(p10);			/* p5 stays STOPPED */
	sup_exited(p10, exit_code(0));	/* p10 EXITED */
	assert_state(p10, PROC_EXITED);

	job = mkjob(JOB_STOP, v, 3, &done_calls);
	run_job(job);
	/* Levels 10 and 5 are down already: level 1 at once. */
	assert_state(p10, PROC_EXITED);		/* keeps its exit status */
	assert_state(p5, PROC_STOPPED);
	assert_state(p1, PROC_STOPPING);
	sup_exited(p1, killed_by(SIGTERM));
	advance(0);
	assert_int_equal(done_calls, 1);
}

static void
set_numprocs_100(struct program_conf *pc)
{
	pc->numprocs = 100;
	pc->startsecs = 0;
}

static void
test_job_stop_100_together(void **state UNUSED)
{
	struct program_conf *pc = pc_new("many");
	struct program *prog;
	struct job *job;
	uint64_t t;

	set_numprocs_100(pc);
	prog = prog_new(pc);
	for (int i = 0; i < 100; i++)
		sup_start(prog->procs[i]);
	assert_int_equal(nspawns, 100);
	advance(1000);

	t = now_ms;
	job = mkjob(JOB_STOP, prog->procs, 100, &done_calls);
	run_job(job);
	/* Every one got its stop signal before any exit. */
	assert_int_equal(count_sigs(NULL, SIGTERM), 100);
	assert_int_equal(count_sigs(NULL, SIGCONT), 100);
	for (int i = 0; i < 100; i++) {
		assert_state(prog->procs[i], PROC_STOPPING);
		assert_int_equal(count_sigs(prog->procs[i], SIGTERM), 1);
		assert_deadline(prog->procs[i], t + 10000);
	}
	/* Half exit; the other half are killed after ONE stopwaitsecs. */
	for (int i = 0; i < 50; i++)
		sup_exited(prog->procs[i], killed_by(SIGTERM));
	advance(9999);
	assert_int_equal(count_sigs(NULL, SIGKILL), 50);	/* clean-ups */
	advance(1);
	assert_int_equal(count_sigs(NULL, SIGKILL), 100);
	for (int i = 50; i < 100; i++)
		assert_int_equal(count_sigs(prog->procs[i], SIGKILL), 1);
	for (int i = 50; i < 100; i++)
		sup_exited(prog->procs[i], killed_by(SIGKILL));
	advance(0);
	assert_int_equal(done_calls, 1);
	assert_int_equal(done_at, t + 10000);
}

/*
 * Jobs compose: a stop given while a start job waits does not take the
 * process away from it; both wait, and both are done when it is down.
 */
static void
test_job_compose_start_then_stop(void **state UNUSED)
{
	struct proc *a = proc1("a", set_startsecs_5);
	struct proc *b = proc1("b", set_startsecs_5);
	struct proc *v[] = { a, b };
	struct job *start, *stop;
	unsigned stop_calls = 0;

	start = mkjob(JOB_START, v, 2, &done_calls);
	run_job(start);
	stop = mkjob(JOB_STOP, &a, 1, &stop_calls);
	assert_true(job_waits_for(start, a));
	assert_true(job_waits_for(stop, a));
	assert_int_equal(start->pending, 2);
	run_job(stop);
	assert_state(a, PROC_STOPPING);
	sup_exited(a, killed_by(SIGTERM));
	advance(0);
	assert_int_equal(stop_calls, 1);
	assert_int_equal(done_calls, 0);	/* still waits for b */
	assert_false(job_waits_for(start, a));	/* a settled: stopped */

	advance(5000);
	assert_state(b, PROC_RUNNING);
	assert_int_equal(done_calls, 1);
	assert_state(a, PROC_STOPPED);		/* not restarted */
}

/*
 * Regression (issue 15.1, repro h1): `stop all` during a shutdown made the
 * shutdown's job lose its processes: mwsupd exited at once, without the
 * SIGKILL, and the worker was orphaned.  Both jobs must wait for the
 * process to be gone, and the deadline stays the first one.
 */
static void
test_job_compose_two_stops_wait_for_death(void **state UNUSED)
{
	struct proc *a = proc1("a", NULL);
	struct job *shut, *stop;
	unsigned stop_calls = 0;
	uint64_t t;

	sup_start(a);
	advance(1000);
	assert_state(a, PROC_RUNNING);
	t = now_ms;
	shut = mkjob(JOB_STOP, &a, 1, &done_calls);
	run_job(shut);
	assert_state(a, PROC_STOPPING);
	advance(300);
	stop = mkjob(JOB_STOP, &a, 1, &stop_calls);
	run_job(stop);
	assert_int_equal(count_sigs(a, SIGTERM), 1);	/* not again */
	advance(0);
	assert_int_equal(done_calls + stop_calls, 0);
	/* The TERM is ignored: SIGKILL at the first deadline. */
	advance_to(t + 10000 - 1);
	assert_int_equal(count_sigs(a, SIGKILL), 0);
	advance(1);
	assert_int_equal(count_sigs(a, SIGKILL), 1);
	advance(HOUR);
	assert_int_equal(done_calls + stop_calls, 0);	/* still alive */
	sup_exited(a, killed_by(SIGKILL));
	advance(0);
	assert_int_equal(done_calls, 1);
	assert_int_equal(stop_calls, 1);
}

/*
 * A start of a process that a stop job is stopping: the stop job is done
 * when the old process is gone (it went through STOPPED), and the start
 * job when the new one runs.
 */
static void
test_job_compose_start_during_stop(void **state UNUSED)
{
	struct proc *a = proc1("a", set_startsecs_5);
	struct job *stop, *start;
	unsigned start_calls = 0;
	pid_t old;

	sup_start(a);
	advance(5000);
	old = a->pid;
	stop = mkjob(JOB_STOP, &a, 1, &done_calls);
	run_job(stop);
	start = mkjob(JOB_START, &a, 1, &start_calls);
	run_job(start);
	assert_state(a, PROC_STOPPING);
	advance(0);
	assert_int_equal(done_calls + start_calls, 0);
	sup_exited(a, killed_by(SIGTERM));
	assert_state(a, PROC_STARTING);
	assert_true(a->pid != old);
	advance(0);
	assert_int_equal(done_calls, 1);
	assert_int_equal(start_calls, 0);
	advance(5000);
	assert_int_equal(start_calls, 1);
}

/*
 * Regression (was a bug; a stop job's current level emptied by another
 * job): the stop job still moves on to its next level.
 */
static void
test_job_stop_level_moves_on(void **state UNUSED)
{
	struct proc *hi = proc1("hi", set_prio_10);
	struct proc *lo = proc1("lo", set_prio_1);
	struct proc *v[] = { hi, lo };
	struct job *stop, *start;
	unsigned start_calls = 0;

	sup_start(hi);
	sup_start(lo);
	stop = mkjob(JOB_STOP, v, 2, &done_calls);
	run_job(stop);
	assert_state(hi, PROC_STOPPING);
	assert_state(lo, PROC_RUNNING);
	/* An operator starts `hi` again meanwhile. */
	start = mkjob(JOB_START, &hi, 1, &start_calls);
	run_job(start);
	sup_exited(hi, killed_by(SIGTERM));
	assert_state(hi, PROC_RUNNING);		/* startsecs 0 */
	advance(0);
	assert_int_equal(start_calls, 1);
	/* The stop job moves on to level 1. */
	assert_state(lo, PROC_STOPPING);
	sup_exited(lo, killed_by(SIGTERM));
	advance(0);
	assert_int_equal(done_calls, 1);
}

/* A restart job: everything down (by levels), then everything started. */
static void
test_job_restart(void **state UNUSED)
{
	struct proc *hi = proc1("hi", set_prio_10);
	struct proc *lo = proc1("lo", set_prio_1);
	struct proc *v[] = { lo, hi };
	struct job *job;
	pid_t hipid, lopid;

	sup_start(hi);
	sup_start(lo);
	advance(1000);
	hipid = hi->pid;
	lopid = lo->pid;
	job = mkjob(JOB_RESTART, v, 2, &done_calls);
	run_job(job);
	assert_state(hi, PROC_STOPPING);
	assert_state(lo, PROC_RUNNING);
	sup_exited(hi, killed_by(SIGTERM));
	assert_state(lo, PROC_STOPPING);
	assert_state(hi, PROC_STOPPED);		/* waits for the others */
	sup_exited(lo, killed_by(SIGTERM));
	assert_state(lo, PROC_STOPPED);
	assert_int_equal(done_calls, 0);
	advance(0);				/* the start phase */
	assert_state(hi, PROC_RUNNING);		/* startsecs 0 */
	assert_state(lo, PROC_RUNNING);
	assert_true(hi->pid > 0 && hi->pid != hipid);
	assert_true(lo->pid > 0 && lo->pid != lopid);
	/* Started in priority order: lo (1) before hi (10). */
	assert_true(lo->pid < hi->pid);
	advance(0);
	assert_int_equal(done_calls, 1);
}

/* Nothing starts once frozen (shutdown), not even a restart's start
   phase or an autorestart. */
static void
test_freeze_stops_starts(void **state UNUSED)
{
	struct proc *a = proc1("a", NULL);
	struct proc *b = proc1("b", NULL);
	struct job *job;

	sup_start(a);
	sup_start(b);
	advance(1000);
	job = mkjob(JOB_RESTART, &a, 1, &done_calls);
	run_job(job);
	sup_freeze();
	sup_exited(a, killed_by(SIGTERM));
	sup_exited(b, exit_code(1));		/* would restart */
	assert_state(b, PROC_EXITED);
	advance(0);
	assert_state(a, PROC_STOPPED);
	assert_int_equal(done_calls, 1);
	sup_start(a);
	assert_state(a, PROC_STOPPED);
	assert_int_equal(a->pid, 0);
}

/* A doomed process (a reload removes it) is never started again. */
static void
test_doomed_never_starts(void **state UNUSED)
{
	struct proc *a = proc1("a", NULL);

	sup_start(a);
	a->doomed = true;
	sup_stop(a);
	sup_start(a);				/* an operator, meanwhile */
	sup_exited(a, killed_by(SIGTERM));
	assert_state(a, PROC_STOPPED);
	assert_int_equal(a->pid, 0);
}

/* Stop of an EXITED or FATAL process keeps its exit status or reason. */
static void
test_stop_keeps_exited_and_fatal(void **state UNUSED)
{
	struct proc *e = proc1("e", NULL);
	struct proc *f = proc1("f", set_retries_0);

	sup_start(e);
	sup_start(f);
	advance(1000);
	sup_exited(e, exit_code(0));
	sup_exited(f, exit_code(0));
	assert_state(e, PROC_EXITED);
	spawn_mode = SPAWN_PERMANENT;
	sup_start(f);
	assert_state(f, PROC_FATAL);
	sup_stop(e);
	sup_stop(f);
	assert_state(e, PROC_EXITED);
	assert_int_equal(e->exit_status, 0);
	assert_state(f, PROC_FATAL);
	assert_true(f->reason[0] != '\0');
}

/*
 * Regression (issue 15.11): an exit after startsecs, handled in the same
 * loop turn before the STARTING timer fired, counted as "exited too
 * quickly".  It ran long enough: it is an exit from RUNNING.
 */
static void
test_exit_after_startsecs_before_timer(void **state UNUSED)
{
	struct proc *a = proc1("a", set_startsecs_5);

	sup_start(a);
	now_ms += 6000;			/* the timer is overdue, not run */
	assert_state(a, PROC_STARTING);
	sup_exited(a, exit_code(1));
	assert_int_equal(a->fails, 0);
	assert_state(a, PROC_STARTING);	/* restarted at once, no BACKOFF */
	assert_string_equal(a->reason, "");
}

static void
test_job_free_detaches(void **state UNUSED)
{
	struct proc *a = proc1("a", NULL);
	struct job *job;

	job = mkjob(JOB_START, &a, 1, &done_calls);
	run_job(job);
	job_free(job);
	jobs[--njobs] = NULL;
	assert_int_equal(a->njobs, 0);
	advance(1000);
	assert_state(a, PROC_RUNNING);
	assert_int_equal(done_calls, 0);
}

/* ------------------------------------------- restart policy (doc/DESIGN.md) */

static void
set_delay_2_8(struct program_conf *pc)
{
	pc->autorestart = AUTORESTART_TRUE;
	pc->startsecs = 0;
	pc->restart_delay = 2;
	pc->restart_delay_max = 8;
	pc->restart_reset = 60;
}

/* Run P for MS, then let it exit with code 1; returns the delay armed. */
static uint64_t
run_and_exit(struct proc *p, uint64_t ms)
{
	advance(ms);
	sup_exited(p, exit_code(1));
	if (p->state != PROC_BACKOFF)
		return 0;
	return timer_next() - now_ms;
}

static void
test_restart_delay_doubles_and_resets(void **state UNUSED)
{
	struct proc *p = proc1("a", set_delay_2_8);
	unsigned restarts;

	sup_start(p);
	assert_state(p, PROC_RUNNING);
	assert_int_equal(run_and_exit(p, 1000), 2000);
	assert_string_equal(p->reason, "restarting in 2 s");
	assert_int_equal(p->fails, 0);		/* not a failed start */
	restarts = p->restarts;
	advance(1999);
	assert_state(p, PROC_BACKOFF);
	advance(1);
	assert_state(p, PROC_RUNNING);
	assert_int_equal(p->restarts, restarts + 1);
	assert_int_equal(run_and_exit(p, 1000), 4000);
	advance(4000);
	assert_int_equal(run_and_exit(p, 1000), 8000);
	advance(8000);
	assert_int_equal(run_and_exit(p, 1000), 8000);	/* capped */
	advance(8000);
	/* A run of restart_reset starts the sequence again. */
	assert_int_equal(run_and_exit(p, 60000), 2000);
	advance(2000);
	assert_int_equal(run_and_exit(p, 1000), 4000);
}

static void
test_restart_delay_stop_during_wait(void **state UNUSED)
{
	struct proc *p = proc1("a", set_delay_2_8);

	sup_start(p);
	run_and_exit(p, 1000);
	assert_state(p, PROC_BACKOFF);
	sup_stop(p);				/* at once, like BACKOFF */
	assert_state(p, PROC_STOPPED);
	advance(HOUR);
	assert_state(p, PROC_STOPPED);
	assert_int_equal(p->pid, 0);
}

static void
set_fatal_retry(struct program_conf *pc)
{
	pc->startretries = 0;
	pc->fatal_retry = 30;
}

static unsigned	 fatal_calls;
static int	 fatal_code;

static void
count_fatal(struct proc *p)
{
	fatal_calls++;
	fatal_code = sup_fatal_exit_code(p);
}

static void
test_fatal_retry(void **state UNUSED)
{
	struct proc *p = proc1("a", set_fatal_retry);
	static struct sup_ops ops;

	ops = fake_ops;
	ops.fatal = count_fatal;
	sup_init(&ops);
	fatal_calls = 0;
	sup_start(p);
	advance(100);
	sup_exited(p, exit_code(7));
	assert_state(p, PROC_FATAL);
	assert_int_equal(fatal_calls, 1);
	assert_int_equal(fatal_code, 7);
	assert_true(proc_active(p));		/* it will run again */
	advance(29999);
	assert_state(p, PROC_FATAL);
	advance(1);
	assert_state(p, PROC_STARTING);		/* afresh */
	assert_int_equal(p->fails, 0);
	sup_exited(p, killed_by(SIGSEGV));
	assert_state(p, PROC_FATAL);
	assert_int_equal(fatal_code, 128 + SIGSEGV);
	/* A stop of a FATAL process cancels the retry. */
	sup_stop(p);
	assert_state(p, PROC_FATAL);
	assert_false(proc_active(p));
	advance(HOUR);
	assert_state(p, PROC_FATAL);
	assert_int_equal(p->pid, 0);
}

static void
test_fatal_exit_code(void **state UNUSED)
{
	struct proc *p = proc1("a", set_retries_0);

	spawn_mode = SPAWN_PERMANENT;
	sup_start(p);
	assert_state(p, PROC_FATAL);
	assert_int_equal(sup_fatal_exit_code(p), 1);	/* never ran */
	assert_false(proc_active(p));		/* no fatal_retry */
}

/* ----------------------------------- readiness and health (doc/DESIGN.md) */

static enum check_phase	 phases[64];
static size_t		 nphases;

static void
record_checks(struct proc *p, enum check_phase phase)
{
	(void)p;
	assert_true(nphases < 64);
	phases[nphases++] = phase;
}

static void
use_checks_ops(void)
{
	static struct sup_ops ops;

	ops = fake_ops;
	ops.checks = record_checks;
	sup_init(&ops);
	nphases = 0;
}

static void
set_ready_notify(struct program_conf *pc)
{
	pc->ready_kind = READY_NOTIFY;
	pc->ready_timeout = 60;
	pc->startsecs = 1;
}

static void
test_ready_notify(void **state UNUSED)
{
	struct proc *p = proc1("a", set_ready_notify);

	use_checks_ops();
	sup_start(p);
	assert_state(p, PROC_STARTING);
	assert_int_equal(nphases, 1);
	assert_int_equal(phases[0], CHECK_READY);
	advance(5000);			/* startsecs does not apply */
	assert_state(p, PROC_STARTING);
	sup_ready(p);
	assert_state(p, PROC_RUNNING);
	assert_int_equal(phases[nphases - 1], CHECK_NONE);
	sup_ready(p);			/* again: nothing */
	assert_state(p, PROC_RUNNING);
	assert_int_equal(p->health, HEALTH_NONE);
}

static void
test_ready_timeout_is_failed_start(void **state UNUSED)
{
	struct proc *p = proc1("a", set_ready_notify);
	size_t n;

	use_checks_ops();
	sup_start(p);
	advance(59999);
	assert_state(p, PROC_STARTING);
	n = nsigs;
	advance(1);
	assert_state(p, PROC_STOPPING);
	assert_string_equal(p->reason, "not ready after 60 s");
	assert_int_equal(count_sigs_from(n, p, SIGTERM), 1);
	sup_exited(p, killed_by(SIGTERM));
	assert_state(p, PROC_BACKOFF);
	assert_string_equal(p->reason, "not ready after 60 s");
	assert_int_equal(p->fails, 1);
	/* An exit before ready with a normal code and autorestart
	   unexpected: EXITED, as in Part I. */
	advance_to(timer_next());
	assert_state(p, PROC_STARTING);
	sup_exited(p, exit_code(0));
	assert_state(p, PROC_EXITED);
}

static void
test_ready_timeout_stop_meanwhile(void **state UNUSED)
{
	struct proc *p = proc1("a", set_ready_notify);

	sup_start(p);
	advance(60000);
	assert_state(p, PROC_STOPPING);
	sup_stop(p);			/* an operator: it stays stopped */
	sup_exited(p, killed_by(SIGTERM));
	assert_state(p, PROC_STOPPED);
}

static void
set_health(struct program_conf *pc)
{
	pc->startsecs = 0;
	pc->healthcheck = xstrdup("tcp:127.0.0.1:80");
	pc->healthcheck_interval = 10;
	pc->healthcheck_retries = 3;
	pc->autorestart = AUTORESTART_TRUE;
}

static void
test_health_restart(void **state UNUSED)
{
	struct proc *p = proc1("a", set_health);
	unsigned restarts;
	pid_t old;

	use_checks_ops();
	sup_start(p);
	assert_state(p, PROC_RUNNING);
	assert_int_equal(phases[nphases - 1], CHECK_HEALTH);
	assert_int_equal(p->health, HEALTH_UNKNOWN);
	sup_health(p, false, "HTTP 503");
	sup_health(p, false, "HTTP 503");
	assert_int_equal(p->health, HEALTH_UNHEALTHY);
	assert_int_equal(p->health_failures, 2);
	sup_health(p, true, NULL);		/* a pass resets the count */
	assert_int_equal(p->health, HEALTH_HEALTHY);
	assert_int_equal(p->health_failures, 0);
	sup_health(p, false, "HTTP 503");
	sup_health(p, false, "HTTP 503");
	assert_state(p, PROC_RUNNING);
	old = p->pid;
	restarts = p->restarts;
	sup_health(p, false, "HTTP 503");
	assert_state(p, PROC_STOPPING);
	assert_string_equal(p->reason, "unhealthy (3/3): HTTP 503");
	assert_int_equal(phases[nphases - 1], CHECK_NONE);
	sup_exited(p, killed_by(SIGTERM));
	assert_state(p, PROC_RUNNING);		/* restarted at once */
	assert_true(p->pid != old);
	assert_int_equal(p->restarts, restarts + 1);
	assert_int_equal(p->health, HEALTH_UNKNOWN);
	assert_int_equal(p->health_failures, 0);
	/* A result for a process not RUNNING is ignored. */
	sup_stop(p);
	sup_health(p, false, "late");
	assert_int_equal(p->health_failures, 0);
}

static void
set_watchdog(struct program_conf *pc)
{
	set_ready_notify(pc);
	pc->watchdogsecs = 5;
	pc->autorestart = AUTORESTART_TRUE;
}

static void
test_watchdog(void **state UNUSED)
{
	struct proc *p = proc1("a", set_watchdog);

	sup_start(p);
	sup_ready(p);
	assert_state(p, PROC_RUNNING);
	advance(4000);
	sup_watchdog(p, false);			/* re-armed: 5 s from now */
	advance(4999);
	assert_state(p, PROC_RUNNING);
	advance(1);
	assert_state(p, PROC_STOPPING);
	assert_string_equal(p->reason, "no WATCHDOG=1 for 5 s");
	sup_exited(p, killed_by(SIGTERM));
	assert_state(p, PROC_STARTING);		/* waits for READY=1 */
	sup_ready(p);
	sup_watchdog(p, true);			/* WATCHDOG=trigger */
	assert_state(p, PROC_STOPPING);
	assert_string_equal(p->reason, "WATCHDOG=trigger");
	sup_stop(p);
	sup_exited(p, killed_by(SIGTERM));
	assert_state(p, PROC_STOPPED);
	advance(HOUR);				/* no stray watchdog */
	assert_state(p, PROC_STOPPED);
}

/* ------------------------------------------------ dependencies (doc/DESIGN.md) */

static void
depends_on(struct program_conf *pc, const char *name)
{
	pc->depends_on = xcalloc(2, sizeof(*pc->depends_on));
	pc->depends_on[0] = xstrdup(name);
}

static void
graph(void)
{
	sup_graph(progs, nprogs);
}

static void
test_deps_pull_and_wait(void **state UNUSED)
{
	struct program_conf *dbc = pc_new("db"), *appc = pc_new("app");
	struct proc *db, *app;
	struct job *job;

	dbc->autostart = false;
	dbc->startsecs = 5;
	appc->startsecs = 0;
	depends_on(appc, "db");
	db = prog_new(dbc)->procs[0];
	app = prog_new(appc)->procs[0];
	graph();
	job = mkjob(JOB_START, &app, 1, &done_calls);
	run_job(job);
	assert_state(db, PROC_STARTING);	/* pulled in */
	assert_state(app, PROC_WAITING);
	assert_string_equal(app->reason, "waiting for db");
	assert_true(proc_active(app));
	advance(4999);
	assert_state(app, PROC_WAITING);
	assert_int_equal(done_calls, 0);
	advance(1);				/* db RUNNING: up */
	assert_state(db, PROC_RUNNING);
	advance(0);
	assert_state(app, PROC_RUNNING);
	advance(0);
	assert_int_equal(done_calls, 1);
	/* No cascade: db restarting later leaves app alone. */
	sup_exited(db, exit_code(1));
	assert_state(db, PROC_STARTING);
	advance(0);
	assert_state(app, PROC_RUNNING);
}

static void
test_deps_failed(void **state UNUSED)
{
	struct program_conf *dbc = pc_new("db"), *appc = pc_new("app");
	struct proc *db, *app;
	struct job *job;

	dbc->startretries = 0;
	depends_on(appc, "db");
	db = prog_new(dbc)->procs[0];
	app = prog_new(appc)->procs[0];
	graph();
	job = mkjob(JOB_START, &app, 1, &done_calls);
	run_job(job);
	assert_state(app, PROC_WAITING);
	sup_exited(db, exit_code(1));		/* exited too quickly */
	assert_state(db, PROC_FATAL);
	advance(0);
	assert_state(app, PROC_WAITING);
	assert_string_equal(app->reason, "db is FATAL");
	assert_true(app->wait_failed);
	assert_false(proc_active(app));
	advance(0);
	assert_int_equal(done_calls, 1);	/* start reports it */
	/* Starting app again starts db afresh. */
	sup_start(app);
	assert_state(db, PROC_STARTING);
	assert_string_equal(app->reason, "waiting for db");
	/* A WAITING process stops at once. */
	sup_stop(app);
	assert_state(app, PROC_STOPPED);
	advance(1000);
	assert_state(db, PROC_RUNNING);
	advance(0);
	assert_state(app, PROC_STOPPED);	/* stays stopped */
}

static void
test_deps_oneshot(void **state UNUSED)
{
	struct program_conf *mc = pc_new("migrate"), *appc = pc_new("app");
	struct proc *m, *app;

	mc->oneshot = true;
	mc->startsecs = 0;
	mc->autorestart = AUTORESTART_FALSE;
	depends_on(appc, "migrate");
	m = prog_new(mc)->procs[0];
	app = prog_new(appc)->procs[0];
	graph();
	sup_start(app);
	assert_state(m, PROC_RUNNING);		/* not up while RUNNING */
	advance(0);
	assert_state(app, PROC_WAITING);
	sup_exited(m, exit_code(0));
	assert_state(m, PROC_EXITED);
	advance(0);
	assert_state(app, PROC_STARTING);
	/* A oneshot that failed: migrate is EXITED. */
	sup_stop(app);
	sup_exited(app, killed_by(SIGTERM));
	sup_start(m);
	sup_exited(m, exit_code(3));
	sup_start(app);				/* pulls m again... */
	assert_state(m, PROC_RUNNING);
	sup_exited(m, exit_code(3));		/* ...which fails again */
	advance(0);
	assert_state(app, PROC_WAITING);
	assert_string_equal(app->reason, "migrate is EXITED");
}

/* Stops go dependents first, whatever the priorities say. */
static void
test_deps_stop_order(void **state UNUSED)
{
	struct program_conf *dbc = pc_new("db"), *appc = pc_new("app");
	struct proc *db, *app, *v[2];
	struct job *job;

	dbc->priority = 900;		/* would stop first by priority */
	dbc->startsecs = 0;
	appc->priority = 1;
	appc->startsecs = 0;
	depends_on(appc, "db");
	db = prog_new(dbc)->procs[0];
	app = prog_new(appc)->procs[0];
	graph();
	assert_int_equal(db->program->rank, 1);
	assert_int_equal(app->program->rank, 0);
	sup_start(app);
	advance(0);
	assert_state(app, PROC_RUNNING);
	v[0] = db;
	v[1] = app;
	job = mkjob(JOB_STOP, v, 2, &done_calls);
	run_job(job);
	assert_state(app, PROC_STOPPING);
	assert_state(db, PROC_RUNNING);
	sup_exited(app, killed_by(SIGTERM));
	assert_state(db, PROC_STOPPING);
	sup_exited(db, killed_by(SIGTERM));
	advance(0);
	assert_int_equal(done_calls, 1);
}

/* --------------------------------------------------- 11: truth tables */

static void
test_truth_tables(void **state UNUSED)
{
	static const struct {
		enum proc_state	s;
		bool		want_up;
		bool		active;
		bool		settled_up;
	} rows[] = {
		{ PROC_STOPPED,  false, false, true  },
		{ PROC_STOPPED,  true,  false, false },
		{ PROC_STARTING, true,  true,  false },
		{ PROC_STARTING, false, true,  false },
		{ PROC_RUNNING,  true,  true,  true  },
		{ PROC_RUNNING,  false, true,  true  },
		{ PROC_BACKOFF,  true,  true,  false },
		{ PROC_STOPPING, false, true,  false },
		{ PROC_STOPPING, true,  true,  false },
		{ PROC_EXITED,   false, false, true  },
		{ PROC_EXITED,   true,  false, true  },
		{ PROC_FATAL,    false, false, true  },
		{ PROC_FATAL,    true,  false, true  },
		{ PROC_LOCKED,   true,  true,  true  },
		{ PROC_LOCKED,   false, true,  true  },
	};
	struct proc p;

	memset(&p, 0, sizeof(p));
	timer_init(&p.timer, NULL, NULL);	/* no fatal_retry pending */
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		p.state = rows[i].s;
		p.want_up = rows[i].want_up;
		if (proc_active(&p) != rows[i].active ||
		    proc_settled_up(&p) != rows[i].settled_up)
			fail_msg("%s want_up=%d: active %d settled_up %d",
			    proc_state_name(p.state), p.want_up,
			    proc_active(&p), proc_settled_up(&p));
	}
	assert_string_equal(proc_state_name(PROC_LOCKED), "LOCKED");
	assert_string_equal(proc_state_name((enum proc_state)99), "UNKNOWN");
}

/* ---------------------------------------------------------- programs */

static void
test_program_resize(void **state UNUSED)
{
	struct program_conf *pc = pc_new("w");
	struct program *prog;

	pc->numprocs_start = 7;
	set_numprocs_3(pc);
	prog = prog_new(pc);
	assert_string_equal(prog->procs[0]->name, "w:7");
	assert_string_equal(prog->procs[2]->name, "w:9");
	assert_int_equal(prog->procs[1]->num, 8);
	program_resize(prog, 1);
	assert_int_equal(prog->nprocs, 1);
	assert_int_equal(nreleases, 2);
	pc->numprocs = 1;
	assert_int_equal(cr->refs, 1);
}

int
main(void)
{
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_start_starting_running),
		T(test_startsecs_zero),
		T(test_startsecs_deadline),
		T(test_backoff_then_fatal),
		T(test_backoff_capped),
		T(test_running_resets_fails),
		T(test_startretries_zero),
		T(test_starting_normal_exit_finishes),
		T(test_starting_normal_exit_autorestart_true),
		T(test_normal_exit_bitmap),
		T(test_running_exit_autorestart_true),
		T(test_running_exit_unexpected),
		T(test_running_exit_autorestart_false),
		T(test_killmode_group_on_exit),
		T(test_killmode_process_on_exit),
		T(test_stop_running_group),
		T(test_stop_running_process),
		T(test_stop_timeout_sigkill),
		T(test_stop_custom_signal_wait),
		T(test_stop_with_sigkill),
		T(test_stop_at_once_states),
		T(test_stop_during_starting),
		T(test_start_during_stopping),
		T(test_start_stop_during_stopping),
		T(test_start_during_stopping_afresh),
		T(test_sup_signal),
		T(test_spawn_permanent_failure),
		T(test_spawn_transient_failure),
		T(test_spawn_transient_forever),
		T(test_locked_retries),
		T(test_lock_error_fatal),
		T(test_unlock_on_stop_and_fatal),
		T(test_restart_fatal_afresh),
		T(test_restart_exited_and_permanent_fatal),
		T(test_job_start_waits_for_all),
		T(test_job_start_settled_states),
		T(test_job_start_through_backoff),
		T(test_job_done_never_inside_run),
		T(test_job_stop_priority_levels),
		T(test_job_stop_skips_levels_already_down),
		T(test_job_stop_100_together),
		T(test_job_compose_start_then_stop),
		T(test_job_compose_two_stops_wait_for_death),
		T(test_job_compose_start_during_stop),
		T(test_job_stop_level_moves_on),
		T(test_job_restart),
		T(test_freeze_stops_starts),
		T(test_doomed_never_starts),
		T(test_stop_keeps_exited_and_fatal),
		T(test_exit_after_startsecs_before_timer),
		T(test_restart_delay_doubles_and_resets),
		T(test_restart_delay_stop_during_wait),
		T(test_fatal_retry),
		T(test_fatal_exit_code),
		T(test_ready_notify),
		T(test_ready_timeout_is_failed_start),
		T(test_ready_timeout_stop_meanwhile),
		T(test_health_restart),
		T(test_watchdog),
		T(test_deps_pull_and_wait),
		T(test_deps_failed),
		T(test_deps_oneshot),
		T(test_deps_stop_order),
		T(test_job_free_detaches),
		T(test_truth_tables),
		T(test_program_resize),
	};
#undef T

	log_init(LOG_TARGET_STDERR, 0, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
