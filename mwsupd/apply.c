/*
 * apply.c — the registry of running programs, and apply(): find deleted,
 * new, changed and resized programs, stop what must stop (by priority
 * levels), then add and start what is new.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "log.h"
#include "proc.h"
#include "xalloc.h"

struct registry	registry;

enum change_kind { CHG_KEEP, CHG_ADD, CHG_REMOVE, CHG_REPLACE, CHG_RESIZE };

struct change {
	enum change_kind	 kind;
	struct program		*old;
	struct program_conf	*pc;		/* new settings, NULL: remove */
	int			 old_nprocs;
};

struct applying {
	struct confref		*cr;
	struct change		*changes;
	size_t			 nchanges;
	struct job		*job;
	struct apply_report	 report;
	apply_done_cb		 done;
	void			*arg;
	struct applying		*next;		/* every apply under way */
};

static struct applying	*cur;		/* at most one apply stops things */
static struct applying	*under_way;	/* every apply, start phase too */
static bool		 shutting_down;

static void	apply_stopped(struct job *job, void *arg);
static void	apply_started(struct job *job, void *arg);

bool
apply_busy(void)
{
	return cur != NULL;
}

const struct conf *
registry_conf(void)
{
	return registry.current ? registry.current->conf : NULL;
}

/*
 * A program being removed by a reload stays in the registry, and so
 * findable and listed, until its processes are gone; the program that
 * replaces it (same name) only joins once it has left.
 */
struct program *
registry_find(const char *name)
{
	for (size_t i = 0; i < registry.n; i++)
		if (strcmp(registry.programs[i]->conf->name, name) == 0)
			return registry.programs[i];
	return NULL;
}

/* Append P to *V (*N entries), doubling the array at powers of two. */
static void
procs_push(struct proc ***v, size_t *n, struct proc *p)
{
	if (*n == 0 || (*n & (*n - 1)) == 0)
		*v = xreallocarray(*v, *n ? 2 * *n : 4, sizeof(**v));
	(*v)[(*n)++] = p;
}

int
registry_select(const char *name, struct proc ***v, size_t *n)
{
	const char *colon = strrchr(name, ':');
	struct program *prog;
	char *pname, *end;
	long num;

	if (strcmp(name, "all") == 0) {
		for (size_t i = 0; i < registry.n; i++) {
			prog = registry.programs[i];
			for (int j = 0; j < prog->nprocs; j++)
				procs_push(v, n, prog->procs[j]);
		}
		return 0;
	}
	if (colon == NULL) {
		const struct conf_group *g;

		if ((prog = registry_find(name)) != NULL) {
			for (int j = 0; j < prog->nprocs; j++)
				procs_push(v, n, prog->procs[j]);
			return 0;
		}
		/* A group (supervisord's [group:x]): its programs' processes,
		   in the group's order.  Names never clash with programs. */
		if (registry_conf() == NULL ||
		    (g = conf_find_group(registry_conf(), name)) == NULL)
			return -1;
		for (size_t k = 0; k < g->nprograms; k++)
			if ((prog = registry_find(g->programs[k])) != NULL)
				for (int j = 0; j < prog->nprocs; j++)
					procs_push(v, n, prog->procs[j]);
		return 0;
	}
	pname = xstrdup(name);
	pname[colon - name] = '\0';
	prog = registry_find(pname);
	free(pname);
	num = strtol(colon + 1, &end, 10);
	if (prog == NULL || colon[1] == '\0' || *end != '\0')
		return -1;
	for (int j = 0; j < prog->nprocs; j++)
		if (prog->procs[j]->num == num) {
			procs_push(v, n, prog->procs[j]);
			return 0;
		}
	return -1;
}

/* ------------------------------------------------------------- apply */

static void
confref_put(struct confref *cr)
{
	if (cr != NULL && --cr->refs == 0) {
		conf_free(cr->conf);
		free(cr);
	}
}

/* Point PROG at new, equivalent settings PC from configuration CR. */
static void
retarget(struct program *prog, struct program_conf *pc, struct confref *cr)
{
	struct confref *old = prog->confref;

	prog->conf = pc;
	prog->confref = cr;
	cr->refs++;
	confref_put(old);
}

static void
report_add(struct apply_report *r, const char *program, const char *action,
    const char *detail)
{
	r->changes = xreallocarray(r->changes, r->n + 1, sizeof(*r->changes));
	r->changes[r->n].program = xstrdup(program);
	r->changes[r->n].action = xstrdup(action);
	r->changes[r->n].detail = xstrdup(detail ? detail : "");
	r->n++;
}

static void
report_free(struct apply_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->changes[i].program);
		free(r->changes[i].action);
		free(r->changes[i].detail);
	}
	free(r->changes);
	msglist_clear(&r->notes);
}

static bool
equal_but_numprocs(const struct program_conf *a, const struct program_conf *b)
{
	struct program_conf tmp = *b;

	tmp.numprocs = a->numprocs;
	return program_conf_equal(a, &tmp);
}

static void
globals_notes(const struct conf *old, const struct conf *new,
    struct msglist *notes)
{
	if (old == NULL)
		return;
	if (strcmp(old->socket, new->socket) != 0)
		msglist_add(notes, "socket: changed to %s; takes effect when "
		    "mwsupd restarts (still %s)", new->socket, old->socket);
	if (strcmp(old->pidfile, new->pidfile) != 0)
		msglist_add(notes, "pidfile: changed to %s; takes effect when "
		    "mwsupd restarts (still %s)", new->pidfile, old->pidfile);
}

/* Say so when the processes cannot all get their two pipe ends. */
static void
fd_budget(const struct conf *conf)
{
	size_t need = 64, limit = proc_fd_limit();

	for (size_t i = 0; i < conf->nprograms; i++)
		need += 2 * (size_t)conf->programs[i]->numprocs;
	if (need > limit)
		log_warnx("%zu processes need about %zu descriptors but the "
		    "limit is %zu (RLIMIT_NOFILE): some will not start "
		    "(\"cannot create pipes\"); raise the hard limit",
		    (need - 64) / 2, need, limit);
}

int
apply(struct conf *conf, apply_done_cb done, void *arg)
{
	struct applying *a;
	struct proc **stop = NULL;
	size_t nstop = 0;

	if (cur != NULL)
		return -1;
	a = xcalloc(1, sizeof(*a));
	a->done = done;
	a->arg = arg;
	a->next = under_way;
	under_way = a;
	a->cr = xcalloc(1, sizeof(*a->cr));
	a->cr->conf = conf;
	a->cr->refs = 1;		/* the registry's own reference */
	globals_notes(registry_conf(), conf, &a->report.notes);
	cur = a;

	/* What the new configuration has. */
	a->changes = xcalloc(conf->nprograms + registry.n + 1,
	    sizeof(*a->changes));
	for (size_t i = 0; i < conf->nprograms; i++) {
		struct program_conf *pc = conf->programs[i];
		struct program *old = registry_find(pc->name);
		struct change *c = &a->changes[a->nchanges++];

		c->pc = pc;
		c->old = old;
		if (old == NULL)
			c->kind = CHG_ADD;
		else if (program_conf_equal(old->conf, pc))
			c->kind = CHG_KEEP;
		else if (equal_but_numprocs(old->conf, pc))
			c->kind = CHG_RESIZE;
		else
			c->kind = CHG_REPLACE;
	}
	/* What it no longer has. */
	for (size_t i = 0; i < registry.n; i++) {
		struct program *old = registry.programs[i];
		if (old->removed || conf_find_program(conf,
		    old->conf->name) != NULL)
			continue;
		a->changes[a->nchanges].kind = CHG_REMOVE;
		a->changes[a->nchanges].old = old;
		a->nchanges++;
	}

	for (size_t i = 0; i < a->nchanges; i++) {
		struct change *c = &a->changes[i];
		struct program *old = c->old;

		switch (c->kind) {
		case CHG_KEEP:
			retarget(old, c->pc, a->cr);
			break;
		case CHG_RESIZE:
			c->old_nprocs = old->nprocs;
			for (int j = c->pc->numprocs; j < old->nprocs; j++) {
				old->procs[j]->doomed = true;
				procs_push(&stop, &nstop, old->procs[j]);
			}
			retarget(old, c->pc, a->cr);
			if (c->pc->numprocs > old->nprocs)
				program_resize(old, c->pc->numprocs);
			break;
		case CHG_REPLACE:
		case CHG_REMOVE:
			old->removed = true;
			for (int j = 0; j < old->nprocs; j++) {
				old->procs[j]->doomed = true;
				procs_push(&stop, &nstop, old->procs[j]);
			}
			break;
		case CHG_ADD:
			break;
		}
	}
	confref_put(registry.current);
	registry.current = a->cr;
	fd_budget(conf);

	a->job = job_new(JOB_STOP, stop, nstop, apply_stopped, a);
	free(stop);
	job_run(a->job);
	return 0;
}

/* Everything that had to stop is down: rebuild the registry, start. */
static void
apply_stopped(struct job *job, void *arg)
{
	struct applying *a = arg;
	struct program **next;
	struct proc **start = NULL;
	size_t nnext = 0, nstart = 0;
	const struct conf *conf = a->cr->conf;

	job_free(job);
	a->job = NULL;
	next = xcalloc(conf->nprograms + 1, sizeof(*next));
	for (size_t i = 0; i < a->nchanges; i++) {
		struct change *c = &a->changes[i];
		struct program *prog;
		char detail[64];

		switch (c->kind) {
		case CHG_REMOVE:
			report_add(&a->report, c->old->conf->name, "removed",
			    NULL);
			program_free(c->old);
			continue;
		case CHG_REPLACE:
			program_free(c->old);
			/* FALLTHROUGH */
		case CHG_ADD:
			prog = program_new(c->pc, a->cr);
			report_add(&a->report, c->pc->name,
			    c->kind == CHG_ADD ? "added" : "changed", NULL);
			if (c->pc->autostart && !shutting_down)
				for (int j = 0; j < prog->nprocs; j++)
					procs_push(&start, &nstart,
					    prog->procs[j]);
			break;
		case CHG_RESIZE:
			prog = c->old;
			if (c->pc->numprocs < prog->nprocs)
				program_resize(prog, c->pc->numprocs);
			snprintf(detail, sizeof(detail), "numprocs %d -> %d",
			    c->old_nprocs, c->pc->numprocs);
			report_add(&a->report, c->pc->name, "numprocs",
			    detail);
			if (c->pc->autostart && !shutting_down)
				for (int j = c->old_nprocs; j < prog->nprocs;
				    j++)
					procs_push(&start, &nstart,
					    prog->procs[j]);
			break;
		case CHG_KEEP:
		default:
			prog = c->old;
			break;
		}
		next[nnext++] = prog;
	}
	free(registry.programs);
	registry.programs = next;
	registry.n = nnext;
	sup_graph(registry.programs, registry.n);
	free(a->changes);
	a->changes = NULL;
	/* The structure is in place: another apply may begin while this
	   one waits for its processes to start. */
	cur = NULL;

	a->job = job_new(JOB_START, start, nstart, apply_started, a);
	free(start);
	job_run(a->job);
}

static void
applying_free(struct applying *a)
{
	for (struct applying **pp = &under_way; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	if (cur == a)
		cur = NULL;
	job_free(a->job);
	free(a->changes);
	report_free(&a->report);
	free(a);
}

static void
apply_started(struct job *job, void *arg)
{
	struct applying *a = arg;

	job_free(job);
	a->job = NULL;
	if (a->done != NULL)
		a->done(&a->report, a->arg);
	applying_free(a);
}

/* ---------------------------------------------------------- shutdown */

struct shutdown_ctx {
	void	(*done)(void *arg);
	void	 *arg;
};

static void
shutdown_stopped(struct job *job, void *arg)
{
	struct shutdown_ctx *ctx = arg;

	job_free(job);
	ctx->done(ctx->arg);
	free(ctx);
}

void
registry_shutdown(void (*done)(void *arg), void *arg)
{
	struct shutdown_ctx *ctx = xcalloc(1, sizeof(*ctx));
	struct proc **all = NULL;
	size_t n = 0;
	struct job *job;

	shutting_down = true;
	sup_freeze();
	ctx->done = done;
	ctx->arg = arg;
	for (size_t i = 0; i < registry.n; i++)
		for (int j = 0; j < registry.programs[i]->nprocs; j++)
			procs_push(&all, &n, registry.programs[i]->procs[j]);
	job = job_new(JOB_STOP, all, n, shutdown_stopped, ctx);
	free(all);
	job_run(job);
}

void
registry_free(void)
{
	/* Applies still under way at exit: their processes are down (the
	   shutdown waited for every one), only their bookkeeping is left. */
	while (under_way != NULL)
		applying_free(under_way);
	for (size_t i = 0; i < registry.n; i++)
		program_free(registry.programs[i]);
	free(registry.programs);
	registry.programs = NULL;
	registry.n = 0;
	confref_put(registry.current);
	registry.current = NULL;
	shutting_down = false;
}
