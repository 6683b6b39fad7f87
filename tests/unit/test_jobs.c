/*
 * test_jobs.c — a property test of the job model (issue 15.1): random
 * interleavings of start, stop and restart requests, reloads that add,
 * grow, shrink, change and remove programs, spontaneous exits, slow and
 * TERM-ignoring processes, and a shutdown, run through the real
 * supervise.c and apply.c over a fake process world with a fake clock.
 *
 * The programs also get readiness, health checks, watchdogs, restart
 * delays, fatal_retry, groups and dependencies at random, with random
 * verdicts of the checks mechanism.
 *
 * After every step: every live fake process belongs to a process the
 * registry lists, with that pid (nothing is forgotten: no orphan).  When
 * a stop or restart job reports done, every process it stopped is dead;
 * when a reload reports done, every process it stopped is dead.  After
 * the shutdown reports done, nothing is alive.
 *
 * A failure prints the seed; TEST_JOBS_SEED=N reruns that one.
 *
 * The same fake world also drives unit tests of apply()'s diff: what a
 * reload keeps, grows, shrinks, replaces, removes and adds.
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
#include <unistd.h>

#include <cmocka.h>

#include "apply.h"
#include "conf.h"
#include "log.h"
#include "proc.h"
#include "supervise.h"
#include "timer.h"
#include "xalloc.h"

#define UNUSED	__attribute__((unused))

#define MAXPIDS		65536
#define STEPS		300
#define SEEDS		150
#define HOUR_MS		(3600 * 1000)

/* ------------------------------------------------- stubs of the daemon */

void log_warn(const char *fmt, ...) { (void)fmt; }
void log_warnx(const char *fmt, ...) { (void)fmt; }
void log_info(const char *fmt, ...) { (void)fmt; }
void log_debug(const char *fmt, ...) { (void)fmt; }

size_t
proc_fd_limit(void)
{
	return (size_t)1 << 20;
}

/* ------------------------------------------------------ the fake world */

struct fake {
	bool		 alive;
	struct proc	*owner;		/* NULL once its proc was freed */
	bool		 ignores_term;
	uint64_t	 dies_at;	/* 0: not dying */
	int		 status;	/* wait status when it dies */
};

static struct fake	 world[MAXPIDS];
static pid_t		 next_pid;
static uint64_t		 now;
static unsigned		 seed;
static char		 tmpdir[64];
static int		 nconf;
static bool		 term_instant;	/* TERM kills at once (diff tests) */
static bool		 spawn_failures; /* some spawns fail (random runs) */

static unsigned
rnd(unsigned n)
{
	return n ? (unsigned)(rand() % (int)n) : 0;
}

static uint64_t
fake_now(void)
{
	return now;
}

static int
fake_spawn(struct proc *p, char *reason, size_t len, bool *permanent)
{
	pid_t pid;

	assert_int_equal(p->pid, 0);	/* never spawned over a live one */
	/* Now and then a spawn fails for good (missing file, bad user). */
	if (spawn_failures && rnd(25) == 0) {
		snprintf(reason, len, "no such file: /bin/sleep");
		*permanent = true;
		return -1;
	}
	assert_true(next_pid < MAXPIDS);
	pid = next_pid++;
	world[pid].alive = true;
	world[pid].owner = p;
	world[pid].ignores_term = rnd(4) == 0;
	world[pid].dies_at = 0;
	p->pid = pid;
	return 0;
}

static void
fake_signal(struct proc *p, int sig, bool group)
{
	struct fake *f;

	(void)group;
	if (p->pid <= 0)
		return;
	f = &world[p->pid];
	if (!f->alive)
		return;
	if (sig == SIGKILL) {
		f->dies_at = now;
		f->status = SIGKILL;
	} else if ((sig == SIGTERM || sig == SIGINT) && !f->ignores_term &&
	    f->dies_at == 0) {
		f->dies_at = now + (term_instant ? 0 : rnd(3000));
		f->status = sig;
	}
}

static int
fake_lock(struct proc *p, char *reason, size_t len)
{
	(void)p;
	(void)reason;
	(void)len;
	return 1;
}

static void
fake_unlock(struct proc *p)
{
	(void)p;
}

static void
fake_release(struct proc *p)
{
	/* proc_free() kills a live one (it must never happen): treat it as
	   an orphan, which the invariant check catches first. */
	for (pid_t pid = 100; pid < next_pid; pid++)
		if (world[pid].owner == p)
			world[pid].owner = NULL;
}

/* What the runs went through, so that the property cannot hold vacuously. */
enum seen { SEEN_WAITING, SEEN_WAIT_FAILED, SEEN_NOT_READY,
	SEEN_HEALTH_RESTART, SEEN_WATCHDOG, SEEN_DELAY, SEEN_FATAL_RETRY,
	SEEN_COUNT };
static const char *const seen_names[] = { "WAITING", "WAITING (failed)",
	"not ready", "unhealthy restart", "watchdog restart",
	"restart delay", "FATAL retried" };
static unsigned long	 seen[SEEN_COUNT];

static void
fake_changed(struct proc *p, enum proc_state from)
{
	if (p->state == PROC_WAITING)
		seen[p->wait_failed ? SEEN_WAIT_FAILED : SEEN_WAITING]++;
	if (p->state == PROC_STOPPING) {
		if (strncmp(p->reason, "not ready", 9) == 0)
			seen[SEEN_NOT_READY]++;
		else if (strncmp(p->reason, "unhealthy", 9) == 0)
			seen[SEEN_HEALTH_RESTART]++;
		else if (strstr(p->reason, "WATCHDOG") != NULL)
			seen[SEEN_WATCHDOG]++;
	}
	if (p->state == PROC_BACKOFF &&
	    strncmp(p->reason, "restarting in", 13) == 0)
		seen[SEEN_DELAY]++;
	if (from == PROC_FATAL && p->state == PROC_STARTING)
		seen[SEEN_FATAL_RETRY]++;
}

static const struct sup_ops fake_ops = {
	.now = fake_now,
	.spawn = fake_spawn,
	.signal = fake_signal,
	.lock = fake_lock,
	.unlock = fake_unlock,
	.release = fake_release,
	.changed = fake_changed,
};

/* Deliver the deaths that are due, as the reaper would. */
static void
reap_due(void)
{
	for (pid_t pid = 100; pid < next_pid; pid++) {
		struct fake *f = &world[pid];

		if (!f->alive || f->dies_at == 0 || f->dies_at > now)
			continue;
		f->alive = false;
		if (f->owner != NULL && f->owner->pid == pid)
			sup_exited(f->owner, f->status);
	}
}

static void
advance(uint64_t ms)
{
	now += ms;
	timer_run(now);
	reap_due();
	timer_run(now);
}

/* ---------------------------------------------------------- invariants */

static bool
listed(pid_t pid)
{
	for (size_t i = 0; i < registry.n; i++)
		for (int j = 0; j < registry.programs[i]->nprocs; j++)
			if (registry.programs[i]->procs[j]->pid == pid &&
			    registry.programs[i]->procs[j] == world[pid].owner)
				return true;
	return false;
}

static void
check_listed(const char *when)
{
	for (pid_t pid = 100; pid < next_pid; pid++)
		if (world[pid].alive && !listed(pid)) {
			print_error("seed %u: after %s, pid %ld is alive but "
			    "not listed\n", seed, when, (long)pid);
			fail();
		}
}

/* A process has a live pid exactly in the states where it runs. */
static void
check_states(const char *when)
{
	for (size_t i = 0; i < registry.n; i++)
		for (int j = 0; j < registry.programs[i]->nprocs; j++) {
			const struct proc *p = registry.programs[i]->procs[j];
			bool runs = p->state == PROC_STARTING ||
			    p->state == PROC_RUNNING ||
			    p->state == PROC_STOPPING;

			if (runs != (p->pid > 0) ||
			    (p->pid > 0 && !world[p->pid].alive)) {
				print_error("seed %u: after %s, %s is %s with "
				    "pid %ld\n", seed, when, p->name,
				    proc_state_name(p->state), (long)p->pid);
				fail();
			}
		}
}

/* --------------------------------------------------------------- jobs */

struct watched {
	pid_t	*pids;		/* live when the job was made */
	size_t	 n;
	bool	 stops;
	bool	*done;
};

static void
check_dead(struct watched *w, const char *what)
{
	for (size_t i = 0; i < w->n; i++)
		if (world[w->pids[i]].alive) {
			print_error("seed %u: %s done while pid %ld lives\n",
			    seed, what, (long)w->pids[i]);
			fail();
		}
}

static void
job_done(struct job *job, void *arg)
{
	struct watched *w = arg;

	if (w->stops)
		check_dead(w, "stop job");
	job_free(job);
	free(w->pids);
	free(w);
}

static struct proc **
pick(size_t *n)
{
	struct proc **all = NULL, **v;
	size_t nall = 0;

	static const char *const names[] = { "a", "b", "c", "d", "g" };

	/* A name as an operator would type it (a program, the group g,
	   which may not exist), or a random subset of everything. */
	if (rnd(3) == 0 && registry_select(names[rnd(5)], &all, &nall) == 0) {
		*n = nall;
		return all;
	}
	(void)registry_select("all", &all, &nall);
	v = xcalloc(nall + 1, sizeof(*v));
	*n = 0;
	for (size_t i = 0; i < nall; i++)
		if (rnd(2))
			v[(*n)++] = all[i];
	free(all);
	return v;
}

static void
request(enum job_kind kind)
{
	struct watched *w = xcalloc(1, sizeof(*w));
	struct proc **v;
	size_t n;
	struct job *job;

	v = pick(&n);
	w->stops = kind != JOB_START;
	w->pids = xcalloc(n + 1, sizeof(*w->pids));
	for (size_t i = 0; i < n; i++)
		if (v[i]->pid > 0)
			w->pids[w->n++] = v[i]->pid;
	job = job_new(kind, v, n, job_done, w);
	free(v);
	job_run(job);
}

/* ------------------------------------------------------------- reloads */

struct reload_ctx {
	pid_t	*pids;		/* of processes the reload stops */
	size_t	 n;
};

/*
 * The policies of readiness, health, watchdog, restart delay, fatal_retry
 * and dependencies, set on the loaded programs at random (their options
 * are not in the file format yet).  Dependencies only point at programs
 * earlier in the list, so there is no cycle, as the configuration
 * guarantees.
 */
static void
part2(struct conf *conf)
{
	for (size_t i = 0; i < conf->nprograms; i++) {
		struct program_conf *pc = conf->programs[i];

		if (rnd(4) == 0) {
			pc->ready_kind = READY_NOTIFY;
			pc->ready_timeout = 1 + (int)rnd(3);
			if (rnd(2))
				pc->watchdogsecs = 1 + (int)rnd(3);
		}
		if (rnd(4) == 0) {
			pc->healthcheck = xstrdup("tcp:127.0.0.1:9");
			pc->healthcheck_interval = 1;
			pc->healthcheck_retries = 1 + (int)rnd(2);
		}
		pc->restart_delay = (int)rnd(3);
		pc->restart_delay_max = 4;
		pc->restart_reset = 2;
		pc->fatal_retry = rnd(3) == 0 ? 3 : 0;
		pc->oneshot = rnd(6) == 0;
		if (i > 0 && rnd(3) == 0) {
			pc->depends_on = xcalloc(2, sizeof(*pc->depends_on));
			pc->depends_on[0] = xstrdup(
			    conf->programs[rnd((unsigned)i)]->name);
		}
	}
}

static struct conf *
random_conf(void)
{
	static const char *const names[] = { "a", "b", "c", "d" };
	const char *present[4];
	size_t npresent = 0;
	struct msglist errs = MSGLIST_INIT;
	char path[128];
	struct conf *conf;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/c%d.conf", tmpdir, nconf++);
	fp = fopen(path, "w");
	assert_non_null(fp);
	for (size_t i = 0; i < 4; i++) {
		if (rnd(4) == 0)
			continue;
		fprintf(fp, "program %s {\n command = \"/bin/sleep %u\"\n"
		    " numprocs = %u\n priority = %u\n startsecs = %u\n"
		    " stopwaitsecs = %u\n autorestart = %s\n"
		    " startretries = %u\n}\n", names[i],
		    1 + rnd(2), 1 + rnd(3), 1 + rnd(3), rnd(2), 1 + rnd(3),
		    rnd(2) ? "true" : "unexpected", rnd(3));
		present[npresent++] = names[i];
	}
	if (npresent > 0 && rnd(2))
		fprintf(fp, "group g {\n programs = {\"%s\"}\n}\n",
		    present[rnd((unsigned)npresent)]);
	fclose(fp);
	conf = conf_load(path, &errs);
	if (conf == NULL)
		for (size_t i = 0; i < errs.n; i++)
			print_error("%s\n", errs.msgs[i]);
	msglist_clear(&errs);
	unlink(path);
	assert_non_null(conf);
	part2(conf);
	return conf;
}

/* Pids of processes the new configuration will stop (approximated by
   every live pid of a program it changes): checked dead when done. */
static void
reload_done(struct apply_report *r, void *arg)
{
	struct reload_ctx *ctx = arg;

	(void)r;
	for (size_t i = 0; i < ctx->n; i++)
		if (world[ctx->pids[i]].alive &&
		    !listed(ctx->pids[i])) {
			print_error("seed %u: reload done, pid %ld alive and "
			    "unlisted\n", seed, (long)ctx->pids[i]);
			fail();
		}
	free(ctx->pids);
	free(ctx);
}

static void
reload(void)
{
	struct conf *conf = random_conf();
	struct reload_ctx *ctx = xcalloc(1, sizeof(*ctx));

	ctx->pids = xcalloc((size_t)next_pid + 1, sizeof(*ctx->pids));
	for (pid_t pid = 100; pid < next_pid; pid++)
		if (world[pid].alive)
			ctx->pids[ctx->n++] = pid;
	if (apply(conf, reload_done, ctx) == -1) {	/* busy: a client
							   would queue it */
		conf_free(conf);
		free(ctx->pids);
		free(ctx);
	}
}

/* --------------------------------------------------------------- runs */

static bool	shut_done;

static void
shutdown_done(void *arg)
{
	(void)arg;
	shut_done = true;
}

static void
spontaneous_exit(void)
{
	pid_t alive[MAXPIDS / 64];
	size_t n = 0;

	for (pid_t pid = 100; pid < next_pid && n < sizeof(alive) /
	    sizeof(alive[0]); pid++)
		if (world[pid].alive && world[pid].dies_at == 0)
			alive[n++] = pid;
	if (n == 0)
		return;
	pid_t pid = alive[rnd((unsigned)n)];
	world[pid].dies_at = now;
	world[pid].status = rnd(2) ? (int)(rnd(3) << 8) : SIGSEGV;
}

/* What the checks mechanism would report, for a random process: ready,
   a passing or failing health check, a watchdog ping or trigger. */
static void
check_result(void)
{
	struct proc **all = NULL, *p;
	size_t n = 0;

	(void)registry_select("all", &all, &n);
	if (n == 0) {
		free(all);
		return;
	}
	p = all[rnd((unsigned)n)];
	free(all);
	switch (rnd(4)) {
	case 0:
		sup_ready(p);
		break;
	case 1:
		sup_health(p, rnd(3) == 0, "HTTP 503");
		break;
	case 2:
		sup_watchdog(p, false);
		break;
	default:
		sup_watchdog(p, rnd(4) == 0);
		break;
	}
}

static void
one_run(void)
{
	static const char *const what[] = { "start", "stop", "restart",
	    "reload", "exit", "check", "time" };
	bool shutting = false;

	memset(world, 0, sizeof(world));
	next_pid = 100;
	now = 1000000;
	shut_done = false;
	term_instant = false;
	spawn_failures = true;
	sup_init(&fake_ops);
	srand(seed);

	assert_int_equal(apply(random_conf(), NULL, NULL), 0);
	advance(0);
	for (int step = 0; step < STEPS || !shut_done; step++) {
		unsigned op = rnd(7);

		assert_true(step < STEPS + 2000);	/* shutdown ends */
		if (!shutting && step >= STEPS) {
			shutting = true;
			registry_shutdown(shutdown_done, NULL);
		}
		switch (op) {
		case 0:
			request(JOB_START);
			break;
		case 1:
			request(JOB_STOP);
			break;
		case 2:
			request(JOB_RESTART);
			break;
		case 3:
			if (!shutting)
				reload();
			break;
		case 4:
			spontaneous_exit();
			break;
		case 5:
			check_result();
			break;
		default:
			break;
		}
		advance(rnd(4) == 0 ? rnd(12000) : rnd(500));
		check_listed(what[op]);
		check_states(what[op]);
	}
	for (pid_t pid = 100; pid < next_pid; pid++)
		if (world[pid].alive) {
			print_error("seed %u: pid %ld survived the shutdown\n",
			    seed, (long)pid);
			fail();
		}
	registry_free();
	/* Jobs still under way hold their own memory until done: let every
	   timer run out. */
	while (timer_count() > 0)
		advance(HOUR_MS);
}

static void
test_random_interleavings(void **state UNUSED)
{
	const char *only = getenv("TEST_JOBS_SEED");

	if (only != NULL) {
		seed = (unsigned)strtoul(only, NULL, 10);
		one_run();
		return;
	}
	for (seed = 1; seed <= SEEDS; seed++)
		one_run();
	for (int k = 0; k < SEEN_COUNT; k++)
		if (seen[k] == 0) {
			print_error("no run went through: %s\n",
			    seen_names[k]);
			fail();
		}
}

/* --------------------------------------------------------- apply diff */

static struct conf *
conf_text(const char *text)
{
	struct msglist errs = MSGLIST_INIT;
	char path[128];
	struct conf *conf;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/c%d.conf", tmpdir, nconf++);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	conf = conf_load(path, &errs);
	for (size_t i = 0; i < errs.n; i++)
		print_error("%s\n", errs.msgs[i]);
	msglist_clear(&errs);
	unlink(path);
	assert_non_null(conf);
	return conf;
}

static struct apply_report	 last_report;
static char			 report_text[1024];
static int			 reports;

static void
report_done(struct apply_report *r, void *arg)
{
	size_t off = 0;

	(void)arg;
	reports++;
	report_text[0] = '\0';
	for (size_t i = 0; i < r->n; i++)
		off += (size_t)snprintf(report_text + off,
		    sizeof(report_text) - off, "%s%s %s%s%s", i ? "; " : "",
		    r->changes[i].program, r->changes[i].action,
		    *r->changes[i].detail ? ": " : "", r->changes[i].detail);
	(void)last_report;
}

/* Apply TEXT and let every stop and start play out (TERM kills at once). */
static void
reload_to(const char *text)
{
	int before = reports;

	assert_int_equal(apply(conf_text(text), report_done, NULL), 0);
	for (int i = 0; i < 100 && reports == before; i++)
		advance(100);
	assert_int_equal(reports, before + 1);
}

static struct proc *
find(const char *name)
{
	struct proc **v = NULL, *p = NULL;
	size_t n = 0;

	if (registry_select(name, &v, &n) == 0 && n == 1)
		p = v[0];
	free(v);
	return p;
}

static pid_t
pid_of(const char *name)
{
	struct proc *p = find(name);

	return p != NULL ? p->pid : -1;
}

static int
diff_setup(void **state UNUSED)
{
	memset(world, 0, sizeof(world));
	next_pid = 100;
	now = 1000000;
	reports = 0;
	seed = 0;
	term_instant = true;
	spawn_failures = false;
	sup_init(&fake_ops);
	srand(1);
	return 0;
}

static int
diff_teardown(void **state UNUSED)
{
	term_instant = false;
	shut_done = false;
	registry_shutdown(shutdown_done, NULL);
	for (int i = 0; i < 100 && !shut_done; i++)
		advance(1000);
	assert_true(shut_done);
	for (pid_t pid = 100; pid < next_pid; pid++)
		assert_false(world[pid].alive);
	registry_free();
	while (timer_count() > 0)
		advance(HOUR_MS);
	return 0;
}

#define PROG(name, extra) \
	"program " name " {\n command = \"/bin/sleep 9\"\n startsecs = 0\n" \
	extra "}\n"

/* TERM works on every process so far (none ignores it). */
static void
term_kills(void)
{
	for (pid_t pid = 100; pid < next_pid; pid++)
		world[pid].ignores_term = false;
}

static void
test_diff_keep_grow_shrink(void **state UNUSED)
{
	pid_t a0, b0, b1, b2;

	reload_to(PROG("a", "") PROG("b", " numprocs = 3\n"));
	term_kills();
	a0 = pid_of("a:0");
	b0 = pid_of("b:0");
	b1 = pid_of("b:1");
	b2 = pid_of("b:2");
	assert_true(a0 > 0 && b0 > 0 && b1 > 0 && b2 > 0);
	/* Unchanged a, b shrinks to 2: only b:2 stops, and is dropped. */
	reload_to(PROG("a", "") PROG("b", " numprocs = 2\n"));
	assert_string_equal(report_text, "b numprocs: numprocs 3 -> 2");
	assert_int_equal(pid_of("a:0"), a0);
	assert_int_equal(pid_of("b:0"), b0);
	assert_int_equal(pid_of("b:1"), b1);
	assert_null(find("b:2"));
	assert_false(world[b2].alive);
	/* b grows to 4: b:2 and b:3 start, the others keep their pids. */
	reload_to(PROG("a", "") PROG("b", " numprocs = 4\n"));
	assert_string_equal(report_text, "b numprocs: numprocs 2 -> 4");
	assert_int_equal(pid_of("b:0"), b0);
	assert_int_equal(pid_of("b:1"), b1);
	assert_true(pid_of("b:2") > b2);
	assert_true(pid_of("b:3") > 0);
}

static void
test_diff_change_remove_add(void **state UNUSED)
{
	pid_t a0, b0;

	reload_to(PROG("a", "") PROG("b", ""));
	term_kills();
	a0 = pid_of("a:0");
	b0 = pid_of("b:0");
	/* a changes (replaced: new pid), b goes, c comes, d does not
	   start (autostart false). */
	reload_to(PROG("a", " stopwaitsecs = 3\n") PROG("c", "")
	    PROG("d", " autostart = false\n"));
	assert_string_equal(report_text,
	    "a changed; c added; d added; b removed");
	assert_true(pid_of("a:0") > 0 && pid_of("a:0") != a0);
	assert_false(world[a0].alive);
	assert_false(world[b0].alive);
	assert_null(find("b:0"));
	assert_true(pid_of("c:0") > 0);
	assert_int_equal(pid_of("d:0"), 0);
	assert_int_equal(find("d:0")->state, PROC_STOPPED);
}

/* A program an operator stopped stays stopped across a reload that does
   not change it; one the reload changes starts again (autostart). */
static void
test_diff_operator_stop_survives(void **state UNUSED)
{
	reload_to(PROG("a", "") PROG("b", ""));
	term_kills();
	sup_stop(find("a:0"));
	sup_stop(find("b:0"));
	advance(100);
	assert_int_equal(find("a:0")->state, PROC_STOPPED);
	reload_to(PROG("a", "") PROG("b", " priority = 5\n"));
	assert_int_equal(find("a:0")->state, PROC_STOPPED);
	assert_true(pid_of("b:0") > 0);
}

/* While an apply stops things another is refused (it would be queued by
   the caller); once its start phase runs, a new one is taken. */
static void
test_diff_busy(void **state UNUSED)
{
	struct conf *c;

	reload_to(PROG("a", " stopwaitsecs = 2\n"));
	/* a ignores TERM: the replace waits for the SIGKILL. */
	world[pid_of("a:0")].ignores_term = true;
	assert_int_equal(apply(conf_text(PROG("a", " stopwaitsecs = 3\n")),
	    report_done, NULL), 0);
	assert_true(apply_busy());
	c = conf_text(PROG("a", ""));
	assert_int_equal(apply(c, report_done, NULL), -1);
	conf_free(c);
	for (int i = 0; i < 50 && apply_busy(); i++)
		advance(100);
	assert_false(apply_busy());
	assert_true(pid_of("a:0") > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_interleavings),
		cmocka_unit_test_setup_teardown(test_diff_keep_grow_shrink,
		    diff_setup, diff_teardown),
		cmocka_unit_test_setup_teardown(test_diff_change_remove_add,
		    diff_setup, diff_teardown),
		cmocka_unit_test_setup_teardown(
		    test_diff_operator_stop_survives, diff_setup,
		    diff_teardown),
		cmocka_unit_test_setup_teardown(test_diff_busy, diff_setup,
		    diff_teardown),
	};
	int r;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_jobs.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 99;
	conf_set_client_mode(false);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return r;
}
