/*
 * supervise.h — the state machine (policy): when to start, restart, back
 * off, give up and stop.  It knows nothing of fork, pipes or sockets; it
 * acts through struct sup_ops, which proc.c implements for real and the
 * unit tests implement with a fake clock and fake processes.
 *
 * States (mwsupd(8), Process states) and what moves a process between them:
 *
 *             start                        startsecs elapse
 *   STOPPED ---------> STARTING ---------------------------> RUNNING
 *   EXITED  --start--> (or LOCKED while     |                  |
 *   FATAL   --start--> the lockfile is      | exit             | exit
 *      ^               held elsewhere)      v                  v
 *      |                        normal code and autorestart != true: EXITED
 *      |                        else failed start: BACKOFF (1,2,4..60 s)
 *      |                        -> STARTING again, or FATAL after
 *      |                        startretries failed starts in a row
 *      |                                        RUNNING exit: restart at
 *      |                                        once if autorestart says
 *      |            stop: stopsignal (+CONT)    so, else EXITED
 *      +--- STOPPED <-------- STOPPING <------- STARTING, RUNNING
 *                       exit,  or SIGKILL after stopwaitsecs
 *     stop of BACKOFF or LOCKED: STOPPED at once; EXITED and FATAL stay
 *
 * Restart policy (doc/DESIGN.md): an exit from RUNNING that is restarted waits
 * in BACKOFF ("restarting in N s") when `restart_delay` is set, doubling
 * after each short run up to `restart_delay_max`; a FATAL process is tried
 * afresh after `fatal_retry` seconds when set.
 *
 * Every transition goes through one function, which logs it and arms or
 * cancels the process's single timer.  Besides its state, a process has a
 * goal (up or down) so that a stop during STARTING or a start during
 * STOPPING does what the operator asked once the current step finishes.
 */
#ifndef MWSUP_SUPERVISE_H
#define MWSUP_SUPERVISE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "conf.h"
#include "timer.h"

enum proc_state {
	PROC_STOPPED,
	PROC_STARTING,
	PROC_RUNNING,
	PROC_BACKOFF,
	PROC_STOPPING,
	PROC_EXITED,
	PROC_FATAL,
	PROC_LOCKED,
	PROC_WAITING,		/* for the programs it depends on (§12) */
};

const char	*proc_state_name(enum proc_state);

/* A process's health (doc/DESIGN.md): NONE without a check or watchdog. */
enum proc_health {
	HEALTH_NONE,
	HEALTH_UNKNOWN,		/* no result yet since RUNNING */
	HEALTH_HEALTHY,		/* the last check passed */
	HEALTH_UNHEALTHY,	/* the last check failed */
};

const char	*proc_health_name(enum proc_health);	/* NULL for NONE */

/* What the checks mechanism should run for a process now. */
enum check_phase {
	CHECK_NONE,		/* nothing: cancel whatever runs */
	CHECK_READY,		/* readiness (a probe, notify or fd) */
	CHECK_HEALTH,		/* the health check while RUNNING */
};

/* What a stop that mwsupd started by itself leads to. */
enum stop_then {
	THEN_NOTHING,		/* a stop by request: STOPPED */
	THEN_FAILED_START,	/* not ready in time: BACKOFF or FATAL */
	THEN_RESTART,		/* unhealthy or watchdog: restart */
};

#define PROC_REASON_MAX	160
#define BACKOFF_MAX_SECS	60

struct program;
struct proc_io;			/* mechanism's per-process data (proc.c) */

struct proc {
	struct program	*program;
	int		 num;		/* process number */
	char		*name;		/* "PROGRAM:N" */

	enum proc_state	 state;
	bool		 want_up;	/* goal: the operator wants it running */
	pid_t		 pid;		/* 0 when no process */
	uint64_t	 start_ms;	/* monotonic time of the last spawn */
	time_t		 started;	/* wall time of the last spawn, 0 never */
	time_t		 since;		/* wall time of the last state change */
	int		 fails;		/* failed starts in a row */
	uint64_t	 restart_delay_ms; /* the last delay of the restart
					   sequence (doc/DESIGN.md), 0 none */
	unsigned	 restarts;	/* spawns after the first */
	unsigned	 spawns;	/* spawns in all */
	int		 exit_status;	/* last exit code, -1 none */
	int		 exit_signal;	/* last killing signal, 0 none */
	bool		 killed;	/* SIGKILL sent in this stop */
	bool		 lock_held;	/* counted in its lockfile's holders */
	char		 reason[PROC_REASON_MAX];

	enum stop_then	 stop_then;	/* while STOPPING on its own */
	enum check_phase check_phase;	/* what the checks run now */
	enum proc_health health;
	int		 health_failures; /* consecutive failed checks */
	char		 health_reason[PROC_REASON_MAX]; /* last failure */
	char		*status_text;	/* STATUS= of a notify process */
	struct timer	 watchdog;	/* WATCHDOG=1 deadline (§10) */
	bool		 wait_failed;	/* WAITING for a dependency that
					   failed (FATAL, EXITED, stopped) */
	size_t		 wait_slot;	/* in the list of WAITING processes */
	bool		 doomed;	/* a reload is removing it: it is
					   stopped and never started again */

	struct timer	 timer;		/* the one deadline of this process */
	struct proc_io	*io;		/* pipes, output buffers (proc.c) */
	struct job_ref	*jobs;		/* the jobs waiting on it (any number:
					   concurrent jobs compose) */
	unsigned	 njobs, jobs_cap;

	/* control.c */
	unsigned	 resolve_mark;	/* name resolution: already listed */
};

/* One job's hold on a process: which job, and where in its list. */
struct job_ref {
	struct job	*job;
	size_t		 slot;
};

/* A program at run time: its configuration and its processes. */
struct program {
	struct program_conf	*conf;
	struct confref		*confref;	/* keeps conf alive */
	struct proc		**procs;
	int			 nprocs;	/* the run-time count (numprocs,
						   or what scaling set) */
	bool			 removed;	/* dropped by a reload */

	/* The dependency graph (§12), rebuilt by sup_graph(). */
	struct program		**deps;		/* what it depends on */
	size_t			 ndeps;
	struct program		**dependents;	/* what depends on it */
	size_t			 ndependents;
	int			 rank;		/* 0: nothing depends on it;
						   else 1 + its dependents' */
	bool			 visiting;	/* graph walks */
};

/* A reference-counted loaded configuration; programs point into it. */
struct confref {
	struct conf	*conf;
	int		 refs;
};

/*
 * What the state machine needs from the world.  proc.c provides the real
 * ones (sup_ops_real); tests provide fakes.
 */
struct sup_ops {
	/* Monotonic milliseconds. */
	uint64_t	(*now)(void);
	/*
	 * Start P: fork and exec with everything prepared.  Returns 0 and
	 * sets p->pid, or -1 with a reason in REASON; *PERMANENT is true
	 * when retrying cannot help (missing file, unknown user, bad
	 * directory) and false for transient failures (fork: EAGAIN).
	 */
	int		(*spawn)(struct proc *p, char *reason, size_t len,
			    bool *permanent);
	/* Send SIG to P's process, or to its process group when GROUP. */
	void		(*signal)(struct proc *p, int sig, bool group);
	/*
	 * Take P's lockfile (if its program has one).  Returns 1 when held
	 * (or none is configured), 0 when someone else holds it, -1 on error
	 * with a reason.  Release gives it back.
	 */
	int		(*lock)(struct proc *p, char *reason, size_t len);
	void		(*unlock)(struct proc *p);
	/* Told after every state change (control waits, batch mode). */
	void		(*changed)(struct proc *p, enum proc_state from);
	/* P is about to be freed: drop the mechanism's data (p->io). */
	void		(*release)(struct proc *p);
	/*
	 * Run the checks of PHASE for P (optional; readiness probes, the
	 * notify and fd protocols, health checks), replacing whatever ran.
	 * Results come back through sup_ready() and sup_health().
	 */
	void		(*checks)(struct proc *p, enum check_phase phase);
	/*
	 * P has just become FATAL (optional; `fatal_action`).  Called from
	 * inside the transition: act on other processes only from a timer.
	 */
	void		(*fatal)(struct proc *p);
};

/* Install OPS; must be called before anything else here. */
void		sup_init(const struct sup_ops *ops);
/* Shutting down: from now on nothing starts (requests, restarts, backoff
   and lock retries all end in STOPPED or EXITED). */
void		sup_freeze(void);
bool		sup_frozen(void);

/* Create program PC's processes, all STOPPED; CR is referenced. */
struct program	*program_new(struct program_conf *pc, struct confref *cr);
/* Free a program whose processes are all down (no pid): a live process
   is never freed; see program_alive(). */
void		 program_free(struct program *prog);
/* Add or remove processes to match a new numprocs (removed ones must be
   down already). */
void		 program_resize(struct program *prog, int nprocs);
/*
 * Resolve the `depends_on` names of the N programs PROGS among themselves
 * (the configuration has no unknown name and no cycle) and rank them:
 * a stop stops dependents first.  Called whenever the set changes.
 */
void		 sup_graph(struct program **progs, size_t n);
/*
 * PROG is up (§12): every process RUNNING (ready) or EXITED with a
 * normal_exit code; a oneshot program only the second way; a program with
 * no process is up.
 */
bool		 program_up(const struct program *prog);

/* True while any process of PROG (from index FROM on) has a live pid. */
bool		 program_alive(const struct program *prog, int from);

/*
 * Ask for P to run / to stop.  Both are idempotent.  A start is ignored
 * while frozen or when P is doomed.  A stop leaves EXITED and FATAL
 * processes as they are (their exit status or reason stays visible), and
 * a process already STOPPING keeps its deadline.
 */
void		sup_start(struct proc *p);
void		sup_stop(struct proc *p);
/* Send SIG to a running P (the process alone).  -1 if P has no process. */
int		sup_signal(struct proc *p, int sig);

/* The mechanism reports that P's process ended with wait STATUS. */
void		sup_exited(struct proc *p, int status);

/*
 * Readiness and health (doc/DESIGN.md), reported by the checks mechanism.
 * sup_ready: P said or showed it is ready (ignored unless STARTING with
 * `ready` set).  sup_health: a health check passed (OK) or failed with
 * REASON (ignored unless RUNNING); `healthcheck_retries` failures in a
 * row restart P.  sup_watchdog: WATCHDOG=1 (re-arms the deadline), or
 * with TRIGGER WATCHDOG=trigger (restarts P).
 */
void		sup_ready(struct proc *p);
void		sup_health(struct proc *p, bool ok, const char *reason);
void		sup_watchdog(struct proc *p, bool trigger);

/*
 * The exit status a FATAL P gives mwsupd with `fatal_action = shutdown`:
 * its last exit code when not 0, 128 + the signal that killed it, else 1.
 */
int		sup_fatal_exit_code(const struct proc *p);

/* True while P is, or will by itself again be, running (a FATAL process
   waiting for its `fatal_retry` counts). */
bool		proc_active(const struct proc *p);
/* True when P is in a state a start request waits for: RUNNING, EXITED,
   FATAL, LOCKED or STOPPED (given up or stopped meanwhile). */
bool		proc_settled_up(const struct proc *p);

/*
 * Jobs: a set of processes started, stopped or restarted together, and a
 * callback when every one has settled.
 *
 * Jobs compose.  A process may belong to any number of jobs at once (a
 * `stop` during a shutdown, two `stop`s, a reload and an operator's
 * command): each job waits for each of its processes on its own, and none
 * is done while a process it stops is still alive.  A newer job never
 * takes a process away from an older one.
 *
 * Each member has a level (data, not policy: the caller may pass any
 * order, dependencies will add their own).  Stop jobs act on the lowest
 * level first: all of its processes get their stop signal in the same
 * instant, and the next level starts when that one is down.  Start jobs
 * start every level at once, in ascending level order.  A restart job is
 * a stop job followed by a start of the same processes, in one job.
 * job_new() gives the levels of mwsupd(8) Process states `priority` and §12's
 * dependencies: a stop stops dependents before what they depend on, then
 * the highest priority number first; a start goes from the lowest up
 * (processes whose dependencies are not up wait in WAITING).
 */
enum job_kind { JOB_START, JOB_STOP, JOB_RESTART };
struct job;
typedef void (*job_done_cb)(struct job *job, void *arg);

struct job {
	enum job_kind	 kind;
	bool		 starting;	/* restart: now in its start phase */
	struct proc	**procs;	/* members; NULL once freed */
	int64_t		*levels;
	bool		*waiting;	/* not yet settled in this phase */
	size_t		 nprocs;
	size_t		 pending;	/* how many are waiting */
	int64_t		 level;		/* stop: the level now stopping */
	job_done_cb	 done;
	void		*arg;
	bool		 running;
	struct timer	 done_timer;	/* DONE runs from the timer, never
					   inside a transition */
};

/*
 * Make a job over PROCS (copied), levels from each program's priority.
 * The job starts with job_run(); DONE is called once, from a timer due at
 * once (so never in the middle of a transition, and never inside job_run),
 * after which the job must be freed with job_free() by its owner.
 */
struct job	*job_new(enum job_kind kind, struct proc **procs, size_t n,
		    job_done_cb done, void *arg);
/* The same with explicit LEVELS (N entries; lower acts first). */
struct job	*job_new_levels(enum job_kind kind, struct proc **procs,
		    const int64_t *levels, size_t n, job_done_cb done,
		    void *arg);
void		 job_run(struct job *job);
/* Forget a job (its processes no longer report to it) and free it. */
void		 job_free(struct job *job);
/* True while P is a member of JOB that has not settled. */
bool		 job_waits_for(const struct job *job, const struct proc *p);

#endif /* MWSUP_SUPERVISE_H */
