/*
 * control.c — the control socket and every connection to it.
 *
 * Each connection has bounded input, an output queue, a deadline and at
 * most one request in progress; a broken or hostile client only ever loses
 * its own connection.  Requests are decoded with lib/proto.c and turned
 * into calls on apply.c and supervise.c; replies follow doc/PROTOCOL.md.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "control.h"
#include "log.h"
#include "loop.h"
#include "daemon.h"
#include "proc.h"
#include "proto.h"
#include "signame.h"
#include "supervise.h"
#include "xalloc.h"

#define CLIENTS_MAX		512	/* connections at once */
#define IDLE_TIMEOUT_MS		10000	/* without a request in progress */
#define FOLLOW_QUEUE_MAX	(256 * 1024) /* tail -f backlog, bytes */
#define OUT_QUEUE_MAX		(16 * 1024 * 1024) /* one reply, bytes */
#define ACCEPT_BACKOFF_MS	1000	/* when out of descriptors */
#define REFUSED_LOG_MS		1000	/* one "refused client" line per */

struct client;

/* A start/stop/restart/reload waiting for processes. */
struct request {
	struct client	*client;	/* NULL once the client left */
	char		*cmd;
	char	       **names;		/* resolved "PROGRAM:N" or unknown */
	enum proc_state	*before;
	bool		*known;
	size_t		 n;
	struct job	*job;
	bool		 restarting;	/* restart: stop phase done */
};

struct client {
	struct io	 io;
	uid_t		 uid;
	pid_t		 pid;
	uint8_t		 in[4 + PROTO_FRAME_MAX];
	size_t		 inlen;
	uint8_t		*out;
	size_t		 outlen, outcap, outoff;
	struct timer	 idle;
	struct request	*req;		/* in progress */
	struct proc	*follow;	/* tail -f */
	unsigned long	 dropped;	/* follow lines dropped */
	bool		 busy;		/* a request is in progress */
	bool		 closing;	/* close once the output is sent */
	bool		 shutdown_wait;	/* close when mwsupd exits */
	struct client	*next, *prev;
};

static struct io	 listen_io = { -1, NULL, NULL };
static char		*sockpath;
static struct client	*clients;
static size_t		 nclients;
static struct timer	 accept_timer;
static gid_t		 allowed_gid = (gid_t)-1;
static dev_t		 sock_dev;	/* the socket file bind() made */
static ino_t		 sock_ino;
static struct proto_msg	 msg;		/* decode buffer, one at a time */

static void	client_close(struct client *c);
static void	client_drop(struct client *c);
static void	client_pump(struct client *c);
static void	client_want_write(struct client *c);
static void	request_free(struct request *r);

/* ------------------------------------------------------------- output */

/*
 * Queue LEN bytes for C.  A client gets its next request read only once
 * the reply to the previous one is sent (client_pump), so the queue holds
 * one reply (or a follower's backlog, bounded apart); OUT_QUEUE_MAX is the
 * last guard.  Returns -1 when the bytes do not fit or memory runs out.
 */
static int
client_queue(struct client *c, const uint8_t *buf, size_t len)
{
	if (c->outoff > 0 && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen - c->outoff + len > OUT_QUEUE_MAX)
		return -1;
	if (c->outlen + len > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 4096;
		uint8_t *p;

		/* Compact before growing. */
		if (c->outoff > 0) {
			memmove(c->out, c->out + c->outoff,
			    c->outlen - c->outoff);
			c->outlen -= c->outoff;
			c->outoff = 0;
		}
		while (cap < c->outlen + len)
			cap *= 2;
		if (cap != c->outcap) {
			if ((p = realloc(c->out, cap)) == NULL)
				return -1;
			c->out = p;
			c->outcap = cap;
		}
	}
	memcpy(c->out + c->outlen, buf, len);
	c->outlen += len;
	client_want_write(c);
	return 0;
}

static void
send_frame(struct client *c, struct proto_out *o)
{
	long len = proto_finish(o);

	if (len < 0) {
		log_warnx("control: reply frame too large, dropped");
		return;
	}
	if (c->closing)
		return;
	if (client_queue(c, o->buf, (size_t)len) == -1) {
		log_warnx("control: uid %ld pid %ld: reply over %d bytes "
		    "unread or out of memory; dropping the client",
		    (long)c->uid, (long)c->pid, OUT_QUEUE_MAX);
		client_drop(c);
	}
}

static void
send_end(struct client *c, int status, const char *error)
{
	struct proto_out o;

	proto_begin(&o, PROTO_END);
	proto_addf(&o, "status", "%d", status);
	if (error != NULL)
		proto_add(&o, "error", error);
	send_frame(c, &o);
	c->busy = false;
	if (!c->closing)
		(void)timer_set(&c->idle, now_ms() + IDLE_TIMEOUT_MS);
}

/* --------------------------------------------------------- processes */

static void
add_proc_fields(struct proto_out *o, const struct proc *p)
{
	proto_add(o, "name", p->name);
	proto_add(o, "program", p->program->conf->name);
	proto_addf(o, "num", "%d", p->num);
	proto_add(o, "state", proc_state_name(p->state));
	if (p->pid > 0) {
		proto_addf(o, "pid", "%ld", (long)p->pid);
		proto_addf(o, "uptime", "%llu", (unsigned long long)
		    ((now_ms() - p->start_ms) / 1000));
	}
	proto_addf(o, "since", "%lld", (long long)p->since);
	if (p->started != 0)
		proto_addf(o, "started", "%lld", (long long)p->started);
	if (p->state != PROC_STOPPED && p->pid <= 0) {
		if (p->exit_signal != 0) {
			const char *n = signame_name(p->exit_signal);
			if (n != NULL)
				proto_add(o, "signal", n);
			else
				proto_addf(o, "signal", "%d", p->exit_signal);
		} else if (p->exit_status >= 0)
			proto_addf(o, "exit_status", "%d", p->exit_status);
	}
	if (p->reason[0] != '\0')
		proto_add(o, "reason", p->reason);
	proto_addf(o, "restarts", "%u", p->restarts);
}

/* One entry of a request's names, in order (PROTOCOL.md §3). */
struct target {
	struct proc	*proc;		/* NULL: an unknown name */
	const char	*name;		/* as typed (points into the request) */
};

/* A request's resolved names being built: entries, in order. */
struct targets {
	struct target	*v;
	size_t		 n, cap;
	unsigned	 mark;		/* this resolution's proc mark */
};

static void
targets_push(struct targets *t, struct proc *p, const char *name)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
	}
	t->v[t->n++] = (struct target){ p, name };
}

/* Add what NAME designates to T, skipping the processes listed already
   (marked).  Returns false when NAME is unknown. */
static bool
resolve_one(const char *name, struct targets *t)
{
	struct proc **found = NULL;
	size_t nfound = 0;

	if (registry_select(name, &found, &nfound) == -1) {
		free(found);
		return false;
	}
	for (size_t k = 0; k < nfound; k++)
		if (found[k]->resolve_mark != t->mark) {
			found[k]->resolve_mark = t->mark;
			targets_push(t, found[k], NULL);
		}
	free(found);
	return true;
}

/*
 * Resolve the request's `name` fields, in order, into *V: every process
 * once, every unknown name once, at its place.  No name at all means every
 * process when NONE_IS_ALL.  Returns the number of entries; *NUNKNOWN
 * counts the unknown ones.  The caller frees *V.
 *
 * Linear in names + processes: a name given again is skipped (at most
 * PROTO_FIELDS_MAX names, compared with each other), and a process
 * already listed carries this resolution's mark.
 */
static size_t
resolve(const struct proto_msg *m, bool none_is_all, struct target **v,
    size_t *nunknown)
{
	static unsigned mark;
	const char *names[PROTO_FIELDS_MAX], *name;
	struct targets t = { NULL, 0, 0, 0 };
	size_t nnames = 0, i = 0;

	if (++mark == 0) {		/* wrapped: no process may match */
		for (size_t k = 0; k < registry.n; k++)
			for (int j = 0; j < registry.programs[k]->nprocs; j++)
				registry.programs[k]->procs[j]->resolve_mark = 0;
		mark = 1;
	}
	t.mark = mark;
	*nunknown = 0;
	while ((name = proto_next(m, "name", &i)) != NULL &&
	    nnames < PROTO_FIELDS_MAX) {
		size_t k;

		for (k = 0; k < nnames; k++)
			if (strcmp(names[k], name) == 0)
				break;
		if (k < nnames)
			continue;
		names[nnames++] = name;
		if (!resolve_one(name, &t)) {
			targets_push(&t, NULL, name);
			(*nunknown)++;
		}
	}
	if (nnames == 0 && none_is_all)
		(void)resolve_one("all", &t);
	*v = t.v;
	return t.n;
}

/* Append NAME to the END error "no such process: a, b". */
static void
summary_add(char *buf, size_t len, size_t *off, const char *name)
{
	if (*off == 0)
		*off = (size_t)snprintf(buf, len, "no such process: %s", name);
	else if (*off < len)
		*off += (size_t)snprintf(buf + *off, len - *off, ", %s", name);
}

/* The RECORD of an unknown name; its name joins SUMMARY. */
static void
unknown_record(struct client *c, const char *name, char *summary,
    size_t len, size_t *off)
{
	struct proto_out o;

	proto_begin(&o, PROTO_RECORD);
	proto_add(&o, "name", name);
	proto_add(&o, "error", "no such process");
	send_frame(c, &o);
	summary_add(summary, len, off, name);
}

/* ----------------------------------------------------------- commands */

static void
cmd_status(struct client *c, const struct proto_msg *m)
{
	struct target *v;
	size_t n, nunknown, off = 0;
	char summary[256];
	int status = 0;

	n = resolve(m, true, &v, &nunknown);
	for (size_t i = 0; i < n; i++) {
		struct proto_out o;

		if (v[i].proc == NULL) {
			unknown_record(c, v[i].name, summary, sizeof(summary),
			    &off);
			continue;
		}
		proto_begin(&o, PROTO_RECORD);
		add_proc_fields(&o, v[i].proc);
		send_frame(c, &o);
		if (v[i].proc->state != PROC_RUNNING)
			status = 3;
	}
	if (nunknown > 0)
		send_end(c, 1, summary);
	else
		send_end(c, status, NULL);
	free(v);
}

static void
cmd_pid(struct client *c, const struct proto_msg *m)
{
	struct target *v;
	size_t n, nunknown, off = 0;
	char summary[256];
	struct proto_out o;

	if (proto_get(m, "name") == NULL) {
		proto_begin(&o, PROTO_RECORD);
		proto_addf(&o, "pid", "%ld", (long)getpid());
		send_frame(c, &o);
		send_end(c, 0, NULL);
		return;
	}
	n = resolve(m, false, &v, &nunknown);
	for (size_t i = 0; i < n; i++) {
		if (v[i].proc == NULL) {
			unknown_record(c, v[i].name, summary, sizeof(summary),
			    &off);
			continue;
		}
		proto_begin(&o, PROTO_RECORD);
		proto_add(&o, "name", v[i].proc->name);
		if (v[i].proc->pid > 0)
			proto_addf(&o, "pid", "%ld", (long)v[i].proc->pid);
		send_frame(c, &o);
	}
	if (nunknown > 0)
		send_end(c, 1, summary);
	else
		send_end(c, 0, NULL);
	free(v);
}

static void
cmd_signal(struct client *c, const struct proto_msg *m)
{
	const char *signame = proto_get(m, "signal");
	struct target *v;
	size_t n, nunknown, off = 0;
	char summary[256], err[128];
	int sig, failed = 0;

	sig = signame_parse(signame);
	if (sig == -1) {
		snprintf(err, sizeof(err), "unknown signal: %s",
		    signame ? signame : "");
		send_end(c, 1, err);
		return;
	}
	if (proto_get(m, "name") == NULL) {
		send_end(c, 1, "no process name given");
		return;
	}
	n = resolve(m, false, &v, &nunknown);
	for (size_t i = 0; i < n; i++) {
		struct proc *p = v[i].proc;
		struct proto_out o;

		if (p == NULL) {
			unknown_record(c, v[i].name, summary, sizeof(summary),
			    &off);
			continue;
		}
		proto_begin(&o, PROTO_RECORD);
		proto_add(&o, "name", p->name);
		if (sup_signal(p, sig) == 0) {
			log_info("%s: sent SIG%s on request", p->name,
			    signame_name(sig) ? signame_name(sig) : "?");
			proto_add(&o, "result", "signalled");
		} else {
			proto_add(&o, "error", "not running");
			failed++;
		}
		send_frame(c, &o);
	}
	if (nunknown > 0)
		send_end(c, 1, summary);
	else if (failed > 0) {
		snprintf(summary, sizeof(summary), "%d process%s not "
		    "signalled", failed, failed > 1 ? "es" : "");
		send_end(c, 1, summary);
	} else
		send_end(c, 0, NULL);
	free(v);
}

/*
 * Find the process named exactly "PROGRAM:N" now (it may be gone).  Its
 * slot is tried first (processes are kept by number), so that a request
 * over thousands of processes is not quadratic.
 */
static struct proc *
find_proc(const char *name)
{
	const char *colon = strrchr(name, ':');
	struct program *prog;
	char pname[256], *end;
	long num;

	if (colon == NULL || colon == name ||
	    (size_t)(colon - name) >= sizeof(pname) || colon[1] == '\0')
		return NULL;
	memcpy(pname, name, (size_t)(colon - name));
	pname[colon - name] = '\0';
	errno = 0;
	num = strtol(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || (prog = registry_find(pname)) == NULL)
		return NULL;
	if (prog->nprocs > 0) {
		long slot = num - prog->procs[0]->num;
		if (slot >= 0 && slot < prog->nprocs &&
		    prog->procs[slot]->num == num)
			return prog->procs[slot];
	}
	for (int j = 0; j < prog->nprocs; j++)
		if (prog->procs[j]->num == num)
			return prog->procs[j];
	return NULL;
}

static void	request_step(struct job *job, void *arg);

/* A stop found the process down already: STOPPED, EXITED or FATAL (a
   stop leaves the last two as they are, with their exit or reason). */
static bool
was_down(enum proc_state s)
{
	return s == PROC_STOPPED || s == PROC_EXITED || s == PROC_FATAL;
}

static void
request_reply(struct request *r)
{
	struct client *c = r->client;
	int failed = 0, unknown = 0;
	char summary[256];
	bool start = strcmp(r->cmd, "stop") != 0;

	for (size_t i = 0; i < r->n; i++) {
		struct proto_out o;
		struct proc *p;
		const char *result = NULL, *error = NULL;

		proto_begin(&o, PROTO_RECORD);
		proto_add(&o, "name", r->names[i]);
		if (!r->known[i]) {
			proto_add(&o, "error", "no such process");
			send_frame(c, &o);
			unknown++;
			continue;
		}
		if ((p = find_proc(r->names[i])) == NULL) {
			proto_add(&o, "result", "removed");
			proto_add(&o, "error", "removed by reload");
			send_frame(c, &o);
			failed++;
			continue;
		}
		if (!start)
			result = was_down(r->before[i]) ? "not running" :
			    "stopped";
		else switch (p->state) {
		case PROC_RUNNING:
			result = r->before[i] == PROC_RUNNING &&
			    !r->restarting ? "already running" : "started";
			break;
		case PROC_EXITED:
			result = "exited";
			break;
		case PROC_FATAL:
			result = "FATAL";
			error = p->reason[0] ? p->reason : "FATAL";
			break;
		case PROC_LOCKED:
			result = "LOCKED";
			error = p->reason[0] ? p->reason : "locked";
			break;
		default:
			result = "stopped";
			error = "stopped while starting";
			break;
		}
		/* A stop job is done only once the processes it stopped are
		   gone: one running again was started by a later request
		   (a restart meanwhile), after this stop did its work. */
		proto_add(&o, "result", result);
		proto_add(&o, "state", proc_state_name(p->state));
		if (p->pid > 0)
			proto_addf(&o, "pid", "%ld", (long)p->pid);
		if (p->reason[0] != '\0')
			proto_add(&o, "reason", p->reason);
		if (error != NULL) {
			proto_add(&o, "error", error);
			failed++;
		}
		send_frame(c, &o);
	}
	if (unknown > 0) {
		size_t off = 0;

		for (size_t i = 0; i < r->n; i++)
			if (!r->known[i])
				summary_add(summary, sizeof(summary), &off,
				    r->names[i]);
		send_end(c, 1, summary);
	} else if (failed > 0) {
		snprintf(summary, sizeof(summary), "%d process%s failed",
		    failed, failed > 1 ? "es" : "");
		send_end(c, 1, summary);
	} else
		send_end(c, 0, NULL);
}

/* Build a job over the request's known processes that still exist. */
static void
request_job(struct request *r, enum job_kind kind)
{
	struct proc **v = xcalloc(r->n + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++) {
		struct proc *p;
		if (r->known[i] && (p = find_proc(r->names[i])) != NULL)
			v[n++] = p;
	}
	r->job = job_new(kind, v, n, request_step, r);
	free(v);
	job_run(r->job);
}

static void
request_step(struct job *job, void *arg)
{
	struct request *r = arg;

	job_free(job);
	r->job = NULL;
	if (strcmp(r->cmd, "restart") == 0 && !r->restarting) {
		r->restarting = true;
		request_job(r, JOB_START);
		return;
	}
	if (r->client != NULL) {
		r->client->req = NULL;
		request_reply(r);
		client_pump(r->client);
	}
	request_free(r);
}

static void
request_free(struct request *r)
{
	if (r == NULL)
		return;
	job_free(r->job);
	free(r->cmd);
	for (size_t i = 0; i < r->n; i++)
		free(r->names[i]);
	free(r->names);
	free(r->before);
	free(r->known);
	free(r);
}

static void
cmd_startstop(struct client *c, const struct proto_msg *m, const char *cmd)
{
	struct request *r;
	struct target *v;
	size_t n, nunknown;

	if (proto_get(m, "name") == NULL) {
		send_end(c, 1, "no process name given");
		return;
	}
	n = resolve(m, false, &v, &nunknown);
	r = xcalloc(1, sizeof(*r));
	r->client = c;
	r->cmd = xstrdup(cmd);
	r->names = xcalloc(n + 1, sizeof(*r->names));
	r->before = xcalloc(n + 1, sizeof(*r->before));
	r->known = xcalloc(n + 1, sizeof(*r->known));
	/* Names, not pointers: a reload may free processes meanwhile.  The
	   records go in this order, unknown names in place. */
	for (size_t i = 0; i < n; i++) {
		r->known[i] = v[i].proc != NULL;
		r->before[i] = v[i].proc ? v[i].proc->state : PROC_STOPPED;
		r->names[i] = xstrdup(v[i].proc ? v[i].proc->name : v[i].name);
		/* Stopping what still runs cuts a batch short. */
		if (v[i].proc != NULL && strcmp(cmd, "stop") == 0 &&
		    proc_active(v[i].proc))
			daemon_batch_interrupted();
	}
	r->n = n;
	free(v);
	c->req = r;
	request_job(r, strcmp(cmd, "start") == 0 ? JOB_START : JOB_STOP);
}

static void
tail_line(void *arg, const char *line, size_t len, enum output_stream stream)
{
	struct client *c = arg;
	struct proto_out o;

	proto_begin(&o, PROTO_RECORD);
	proto_addn(&o, "line", line, len);
	proto_add(&o, "stream", stream == STREAM_STDOUT ? "stdout" : "stderr");
	send_frame(c, &o);
}

static void
cmd_tail(struct client *c, const struct proto_msg *m)
{
	const char *name = proto_get(m, "name"), *lines = proto_get(m, "lines");
	const char *follow = proto_get(m, "follow");
	struct proc **v = NULL;
	size_t n = 0, i = 0, count = 0;
	char err[256], *end;
	long nlines = 10;

	while (proto_next(m, "name", &i) != NULL)
		count++;
	if (count != 1) {
		send_end(c, 1, "tail takes exactly one process name");
		return;
	}
	if (lines != NULL) {
		errno = 0;
		nlines = strtol(lines, &end, 10);
		if (*lines == '\0' || *end != '\0' || nlines < 0 ||
		    errno != 0 || nlines > 100000) {
			snprintf(err, sizeof(err), "bad lines: %s", lines);
			send_end(c, 1, err);
			return;
		}
	}
	if (registry_select(name, &v, &n) == -1) {
		snprintf(err, sizeof(err), "no such process: %s", name);
		send_end(c, 1, err);
		free(v);
		return;
	}
	if (n != 1 && strcmp(name, "all") == 0) {
		snprintf(err, sizeof(err), "tail takes one process, all has "
		    "%zu; name one as PROGRAM:N", n);
		send_end(c, 1, err);
		free(v);
		return;
	}
	if (n != 1) {
		snprintf(err, sizeof(err), "%s has %zu processes; name one as "
		    "%s:N", name, n, name);
		send_end(c, 1, err);
		free(v);
		return;
	}
	proc_tail(v[0], (size_t)nlines, tail_line, c);
	if (follow != NULL && strcmp(follow, "1") == 0) {
		c->follow = v[0];
		c->busy = true;
		timer_cancel(&c->idle);
	} else
		send_end(c, 0, NULL);
	free(v);
}

/* Every line of output: to the clients following that process. */
static void
control_output(struct proc *p, const char *line, size_t len,
    enum output_stream stream)
{
	for (struct client *c = clients; c != NULL; c = c->next) {
		struct proto_out o;

		if (c->follow != p)
			continue;
		if (c->outlen - c->outoff > FOLLOW_QUEUE_MAX) {
			c->dropped++;
			continue;
		}
		if (c->dropped > 0) {
			proto_begin(&o, PROTO_RECORD);
			proto_addf(&o, "dropped", "%lu", c->dropped);
			send_frame(c, &o);
			c->dropped = 0;
		}
		proto_begin(&o, PROTO_RECORD);
		proto_addn(&o, "line", line, len);
		proto_add(&o, "stream", stream == STREAM_STDOUT ? "stdout" :
		    "stderr");
		proto_addf(&o, "pid", "%ld", (long)p->pid);
		send_frame(c, &o);
	}
}

/* The reload this request waited for has ended (PROTOCOL.md "reload"). */
static void
reload_done(const struct reload_result *res, void *arg)
{
	struct request *r = arg;
	struct client *c = r->client;

	if (c != NULL) {
		for (size_t i = 0; i < res->errors->n; i++) {
			struct proto_out o;

			proto_begin(&o, PROTO_RECORD);
			proto_add(&o, "error", res->errors->msgs[i]);
			send_frame(c, &o);
		}
		for (size_t i = 0; res->report && i < res->report->n; i++) {
			const struct apply_change *ch =
			    &res->report->changes[i];
			struct proto_out o;

			proto_begin(&o, PROTO_RECORD);
			proto_add(&o, "program", ch->program);
			proto_add(&o, "action", ch->action);
			if (*ch->detail)
				proto_add(&o, "detail", ch->detail);
			if (res->change_errors[i] != NULL)
				proto_add(&o, "error", res->change_errors[i]);
			send_frame(c, &o);
		}
		for (size_t i = 0; res->report &&
		    i < res->report->notes.n; i++) {
			struct proto_out o;

			proto_begin(&o, PROTO_RECORD);
			proto_add(&o, "note", res->report->notes.msgs[i]);
			send_frame(c, &o);
		}
		c->req = NULL;
		send_end(c, res->status, res->error);
		client_pump(c);
	}
	request_free(r);
}

static void
cmd_reload(struct client *c)
{
	struct request *r = xcalloc(1, sizeof(*r));

	r->client = c;
	r->cmd = xstrdup("reload");
	c->req = r;
	daemon_reload(reload_done, r);
}

static void
dispatch(struct client *c, const struct proto_msg *m)
{
	const char *cmd = proto_get(m, "cmd");
	char err[128];

	c->busy = true;
	timer_cancel(&c->idle);
	if (cmd == NULL) {
		send_end(c, 1, "missing cmd");
		return;
	}
	log_debug("control: uid %ld pid %ld: %s", (long)c->uid, (long)c->pid,
	    cmd);
	/* During a shutdown nothing may start again; status, pid, tail,
	   signal and stop (which joins the shutdown) still work. */
	if (daemon_stopping() && (strcmp(cmd, "start") == 0 ||
	    strcmp(cmd, "restart") == 0 || strcmp(cmd, "reload") == 0)) {
		snprintf(err, sizeof(err), "mwsupd is shutting down; %s "
		    "refused", cmd);
		send_end(c, 1, err);
		return;
	}
	if (strcmp(cmd, "status") == 0)
		cmd_status(c, m);
	else if (strcmp(cmd, "start") == 0 || strcmp(cmd, "stop") == 0 ||
	    strcmp(cmd, "restart") == 0)
		cmd_startstop(c, m, cmd);
	else if (strcmp(cmd, "signal") == 0)
		cmd_signal(c, m);
	else if (strcmp(cmd, "pid") == 0)
		cmd_pid(c, m);
	else if (strcmp(cmd, "tail") == 0)
		cmd_tail(c, m);
	else if (strcmp(cmd, "reload") == 0)
		cmd_reload(c);
	else if (strcmp(cmd, "shutdown") == 0) {
		log_info("shutdown requested by uid %ld", (long)c->uid);
		send_end(c, 0, NULL);
		c->busy = true;		/* until mwsupd exits */
		c->shutdown_wait = true;
		timer_cancel(&c->idle);
		daemon_shutdown();
	} else if (strcmp(cmd, "version") == 0) {
		struct proto_out o;

		proto_begin(&o, PROTO_RECORD);
		proto_add(&o, "version", PACKAGE_VERSION);
		proto_addf(&o, "protocol", "%d", PROTO_VERSION);
		send_frame(c, &o);
		send_end(c, 0, NULL);
	} else {
		snprintf(err, sizeof(err), "unknown command: %.64s", cmd);
		send_end(c, 1, err);
	}
}

/* ------------------------------------------------------- connections */

/*
 * Give up on C at once, whatever it has queued: it closes from a timer due
 * now, never in the middle of the command writing to it.
 */
static void
client_drop(struct client *c)
{
	c->closing = true;
	c->follow = NULL;
	c->outoff = c->outlen = 0;
	(void)timer_set(&c->idle, now_ms());
	client_want_write(c);
}

/*
 * Read a request only when none is in progress and the reply to the last
 * one has been sent entirely: a client that writes and never reads then
 * holds at most one reply here, and the socket's own buffer pushes back.
 */
static void
client_want_write(struct client *c)
{
	uint32_t ev = c->busy || c->closing || c->outoff < c->outlen ? 0 :
	    EPOLLIN;

	if (c->outoff < c->outlen)
		ev |= EPOLLOUT;
	if (c->follow != NULL)
		ev |= EPOLLIN;		/* to notice the client leaving */
	if (c->io.fd != -1)
		(void)loop_mod(&c->io, ev);
}

/* Decode and run whatever complete requests the input holds. */
static void
client_pump(struct client *c)
{
	const char *err;
	long used;

	while (!c->busy && !c->closing && c->inlen > 0 &&
	    c->outoff == c->outlen) {
		used = proto_decode(c->in, c->inlen, &msg, &err);
		if (used == 0)
			break;
		if (used < 0 || msg.kind != PROTO_REQUEST) {
			char buf[160];
			if (used >= 0)
				snprintf(buf, sizeof(buf), "malformed request: "
				    "unexpected frame kind %u", msg.kind);
			else
				snprintf(buf, sizeof(buf),
				    "malformed request: %s", err);
			log_warnx("control: uid %ld pid %ld: %s",
			    (long)c->uid, (long)c->pid, buf);
			send_end(c, 1, buf);
			c->closing = true;
			break;
		}
		memmove(c->in, c->in + used, c->inlen - (size_t)used);
		c->inlen -= (size_t)used;
		dispatch(c, &msg);
	}
	client_want_write(c);
}

static void
client_ready(int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	ssize_t n;

	if (events & EPOLLIN) {
		if (c->follow != NULL || c->busy) {
			/* A following client only ever closes. */
			uint8_t junk[256];
			n = read(fd, junk, sizeof(junk));
			if (n == 0 || (n == -1 && errno != EAGAIN &&
			    errno != EINTR) || (n > 0 && c->follow != NULL)) {
				client_close(c);
				return;
			}
		} else {
			n = read(fd, c->in + c->inlen,
			    sizeof(c->in) - c->inlen);
			if (n == 0 || (n == -1 && errno != EAGAIN &&
			    errno != EINTR)) {
				client_close(c);
				return;
			}
			if (n > 0) {
				c->inlen += (size_t)n;
				client_pump(c);
			}
		}
	}
	if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN)) {
		client_close(c);
		return;
	}
	if (c->outoff < c->outlen) {
		n = write(fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			client_close(c);
			return;
		}
		if (n > 0) {
			c->outoff += (size_t)n;
			/* A client reading its reply is not idle. */
			if (!c->busy && !c->closing)
				(void)timer_set(&c->idle,
				    now_ms() + IDLE_TIMEOUT_MS);
		}
	}
	if (c->outoff == c->outlen && c->closing) {
		client_close(c);
		return;
	}
	if (c->outoff == c->outlen && c->inlen > 0)
		client_pump(c);		/* the next request, if whole */
	else
		client_want_write(c);
}

static void
client_idle(struct timer *t, void *arg)
{
	struct client *c = arg;

	(void)t;
	if (c->closing && c->outoff == c->outlen) {
		client_close(c);	/* dropped by client_drop() */
		return;
	}
	if (c->busy)
		return;
	log_debug("control: dropping idle client pid %ld", (long)c->pid);
	client_close(c);
}

static void
client_destroy(void *arg)
{
	struct client *c = arg;

	free(c->out);
	free(c);
}

static void
client_close(struct client *c)
{
	if (c->io.fd == -1)
		return;
	if (c->req != NULL)
		c->req->client = NULL;	/* the operation goes on */
	c->follow = NULL;
	timer_cancel(&c->idle);
	close(c->io.fd);
	loop_del(&c->io);
	c->io.fd = -1;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	nclients--;
	loop_defer_free(client_destroy, c);
}

/*
 * Is the peer of FD allowed: root, our user, or a member of socket_group
 * (primary or supplementary group of the connecting process, as the
 * kernel recorded them at connect: SO_PEERGROUPS)?
 */
static bool
peer_allowed(int fd, uid_t uid, gid_t gid)
{
	gid_t groups[64], *v = groups;
	socklen_t len = sizeof(groups);
	bool ok = false;

	if (uid == 0 || uid == geteuid())
		return true;
	if (allowed_gid == (gid_t)-1)
		return false;
	if (gid == allowed_gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, v, &len) == -1) {
		if (errno != ERANGE)
			return false;
		/* More than 64: the kernel said how much room it needs. */
		if ((v = malloc(len)) == NULL ||
		    getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, v, &len) == -1) {
			free(v);
			return false;
		}
	}
	for (size_t i = 0; i < len / sizeof(*v); i++)
		if (v[i] == allowed_gid)
			ok = true;
	if (v != groups)
		free(v);
	return ok;
}

/*
 * Refused clients are logged one line per REFUSED_LOG_MS at most: a flood
 * of connections must not flood the log.  The refusals left out are
 * counted, and the count logged when the interval ends.
 */
static uint64_t		 refused_last_ms;
static unsigned long	 refused_suppressed;
static struct timer	 refused_timer;

static void
refused_flush(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	if (refused_suppressed == 0)
		return;
	log_warnx("control: refused %lu more client%s (not logged one by "
	    "one)", refused_suppressed, refused_suppressed > 1 ? "s" : "");
	refused_suppressed = 0;
	refused_last_ms = now_ms();
}

static void
refused_log(uid_t uid, pid_t pid)
{
	uint64_t now = now_ms();

	if (refused_last_ms != 0 && now - refused_last_ms < REFUSED_LOG_MS) {
		refused_suppressed++;
		if (!timer_armed(&refused_timer))
			(void)timer_set(&refused_timer,
			    refused_last_ms + REFUSED_LOG_MS);
		return;
	}
	log_warnx("control: refused client uid %ld pid %ld", (long)uid,
	    (long)pid);
	refused_last_ms = now;
}

static void
accept_resume(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	if (listen_io.fd != -1)
		(void)loop_mod(&listen_io, EPOLLIN);
}

/*
 * Supervision needs descriptors more than idle clients do: drop every
 * client without a request in progress.  Returns how many were dropped.
 */
static int
shed_idle(void)
{
	struct client *c, *next;
	int n = 0;

	for (c = clients; c != NULL; c = next) {
		next = c->next;
		if (!c->busy) {
			client_close(c);
			n++;
		}
	}
	if (n > 0)
		log_warnx("control: out of descriptors: dropped %d idle "
		    "client%s to keep supervising", n, n > 1 ? "s" : "");
	return n;
}

/* Descriptors the configured processes need (2 each) plus a margin. */
static bool
fd_budget_left(int cfd)
{
	const struct conf *conf = registry_conf();
	size_t limit = proc_fd_limit(), need = 32;

	if (conf != NULL)
		for (size_t i = 0; i < conf->nprograms; i++)
			need += 2 * (size_t)conf->programs[i]->numprocs + 1;
	return limit == SIZE_MAX || need >= limit ||
	    (size_t)cfd + need < limit;
}

/* Make room for one more client: drop the oldest idle one. */
static bool
evict_idle(void)
{
	struct client *victim = NULL;

	for (struct client *c = clients; c != NULL; c = c->next)
		if (!c->busy)
			victim = c;	/* the list is newest first */
	if (victim == NULL)
		return false;
	log_warnx("control: too many clients; dropping idle pid %ld",
	    (long)victim->pid);
	client_close(victim);
	return true;
}

static void
listen_ready(int fd, uint32_t events, void *arg)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *c;
	int cfd;

	(void)events;
	(void)arg;
	for (int i = 0; i < 64; i++) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* Out of descriptors: pause accepting, keep
				   supervising. */
				log_warn("control: cannot accept");
				(void)loop_mod(&listen_io, 0);
				(void)timer_set(&accept_timer,
				    now_ms() + ACCEPT_BACKOFF_MS);
			}
			return;
		}
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len)
		    == -1) {
			close(cfd);
			continue;
		}
		if (!peer_allowed(cfd, cred.uid, cred.gid)) {
			static const char *deny = "permission denied";
			struct proto_out o;
			long flen;

			refused_log(cred.uid, cred.pid);
			proto_begin(&o, PROTO_END);
			proto_add(&o, "status", "1");
			proto_add(&o, "error", deny);
			if ((flen = proto_finish(&o)) > 0)
				(void)!write(cfd, o.buf, (size_t)flen);
			close(cfd);
			continue;
		}
		/* A client may not take a descriptor a process will need. */
		if (!fd_budget_left(cfd) && !evict_idle()) {
			log_warnx("control: descriptors reserved for processes;"
			    " refusing pid %ld", (long)cred.pid);
			close(cfd);
			continue;
		}
		if (nclients >= CLIENTS_MAX && !evict_idle()) {
			log_warnx("control: too many clients; refusing pid %ld",
			    (long)cred.pid);
			close(cfd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(cfd);
			continue;
		}
		c->uid = cred.uid;
		c->pid = cred.pid;
		timer_init(&c->idle, client_idle, c);
		if (loop_add(&c->io, cfd, EPOLLIN, client_ready, c) == -1) {
			close(cfd);
			free(c);
			continue;
		}
		(void)timer_set(&c->idle, now_ms() + IDLE_TIMEOUT_MS);
		c->next = clients;
		if (clients != NULL)
			clients->prev = c;
		clients = c;
		nclients++;
	}
}

/* ------------------------------------------------------------ socket */

/* Does a live mwsupd answer at PATH? */
static bool
socket_alive(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool alive;

	if (fd == -1)
		return false;
	alive = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return alive;
}

/*
 * Give the socket file its mode and group, never through a symbolic link
 * or onto another file: the socket's directory may be writable by someone
 * else, who could swap the socket for a link to a file of root's.  The
 * file is opened without following links (O_PATH | O_NOFOLLOW), checked
 * to be the very socket bind() made (device and inode), and changed
 * through that descriptor.
 */
static void
apply_mode(const struct conf *conf)
{
	struct group *gr;
	struct stat st = { 0 };
	char fdpath[64];
	int fd;

	allowed_gid = (gid_t)-1;
	if (conf->socket_group != NULL) {
		if ((gr = getgrnam(conf->socket_group)) == NULL)
			log_warnx("socket_group %s: no such group",
			    conf->socket_group);
		else
			allowed_gid = gr->gr_gid;
	}
	fd = open(sockpath, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		log_warn("%s: socket_mode and socket_group not applied: "
		    "cannot open the socket file", sockpath);
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    st.st_dev != sock_dev || st.st_ino != sock_ino) {
		log_warnx("%s: socket_mode and socket_group not applied: the "
		    "path is no longer mwsupd's socket (%s)", sockpath,
		    S_ISLNK(st.st_mode) ? "a symbolic link" : "another file");
		close(fd);
		return;
	}
	if (allowed_gid != (gid_t)-1 &&
	    fchownat(fd, "", (uid_t)-1, allowed_gid, AT_EMPTY_PATH) == -1)
		log_warn("chown %s", sockpath);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	if (chmod(fdpath, (mode_t)conf->socket_mode) == -1)
		log_warn("chmod %s (through %s)", sockpath, fdpath);
	close(fd);
}

int
control_open(const struct conf *conf, char *err, size_t len)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(conf->socket) >= sizeof(sun.sun_path)) {
		snprintf(err, len, "socket path too long: %s", conf->socket);
		return -1;
	}
	strcpy(sun.sun_path, conf->socket);
	if (lstat(conf->socket, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, len, "%s exists and is not a socket",
			    conf->socket);
			return -1;
		}
		if (socket_alive(&sun)) {
			snprintf(err, len, "another mwsupd answers on %s",
			    conf->socket);
			return -2;
		}
		(void)unlink(conf->socket);	/* stale */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, len, "socket: %s", strerror(errno));
		return -1;
	}
	/* Nobody may connect before mode and group are right: bind with
	   no permissions at all, fix them, and only then listen. */
	old = umask(0777);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, len, "cannot bind %s: %s", conf->socket,
		    strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	/* What bind() made: a socket of ours nobody can open yet (mode 0).
	   Anything else there now was put by someone else. */
	if (lstat(conf->socket, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 07777) != 0) {
		snprintf(err, len, "%s was replaced right after bind",
		    conf->socket);
		close(fd);
		return -1;
	}
	sock_dev = st.st_dev;
	sock_ino = st.st_ino;
	sockpath = xstrdup(conf->socket);
	apply_mode(conf);
	if (listen(fd, 128) == -1 ||
	    loop_add(&listen_io, fd, EPOLLIN, listen_ready, NULL) == -1) {
		snprintf(err, len, "cannot listen on %s: %s", conf->socket,
		    strerror(errno));
		close(fd);
		(void)unlink(conf->socket);
		return -1;
	}
	timer_init(&accept_timer, accept_resume, NULL);
	timer_init(&refused_timer, refused_flush, NULL);
	proc_set_output_hook(control_output);
	proc_set_fd_pressure_hook(shed_idle);
	return 0;
}

void
control_reconfigure(const struct conf *conf)
{
	if (sockpath != NULL)
		apply_mode(conf);
}

void
control_proc_gone(struct proc *p)
{
	for (struct client *c = clients; c != NULL; c = c->next)
		if (c->follow == p) {
			c->follow = NULL;
			send_end(c, 0, NULL);
			c->closing = true;
			client_want_write(c);
		}
}

void
control_exiting(void)
{
	/* No new client from here on, and the socket file goes away before
	   the pidfile lock is released, so a new mwsupd never mistakes us
	   for a live instance. */
	if (listen_io.fd != -1) {
		close(listen_io.fd);
		loop_del(&listen_io);
		listen_io.fd = -1;
	}
	timer_cancel(&accept_timer);
	timer_cancel(&refused_timer);
	if (sockpath != NULL)
		(void)unlink(sockpath);
	/* Last words, best effort: followers get their END; the shutdown
	   waiters get end-of-file in control_close(). */
	for (struct client *c = clients; c != NULL; c = c->next) {
		if (c->follow != NULL) {
			c->follow = NULL;
			send_end(c, 0, NULL);
		}
		if (c->outoff < c->outlen)
			(void)!write(c->io.fd, c->out + c->outoff,
			    c->outlen - c->outoff);
	}
}

void
control_close(void)
{
	control_exiting();
	while (clients != NULL)
		client_close(clients);
	free(sockpath);
	sockpath = NULL;
}
