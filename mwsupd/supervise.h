/*
 * supervise.h — the state machine (policy): when to start, restart, back
 * off, give up and stop.  It knows nothing of fork, pipes or sockets; it
 * acts through struct sup_ops, which proc.c implements for real and the
 * unit tests implement with a fake clock and fake processes.
 *
 * States (SPEC §2) and what moves a process between them:
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
 *     stop of BACKOFF, LOCKED, EXITED or FATAL: STOPPED at once
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
};

const char	*proc_state_name(enum proc_state);

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
	unsigned	 restarts;	/* spawns after the first */
	unsigned	 spawns;	/* spawns in all */
	int		 exit_status;	/* last exit code, -1 none */
	int		 exit_signal;	/* last killing signal, 0 none */
	bool		 killed;	/* SIGKILL sent in this stop */
	bool		 lock_held;	/* counted in its lockfile's holders */
	char		 reason[PROC_REASON_MAX];

	struct timer	 timer;		/* the one deadline of this process */
	struct proc_io	*io;		/* pipes, output buffers (proc.c) */
	struct proc	*hash_next;	/* pid hash chain */
	struct job	*job;		/* job waiting on it, if any */
	size_t		 job_slot;

	/* control.c */
	unsigned	 resolve_mark;	/* name resolution: already listed */
};

/* A program at run time: its configuration and its processes. */
struct program {
	struct program_conf	*conf;
	struct confref		*confref;	/* keeps conf alive */
	struct proc		**procs;
	int			 nprocs;
	bool			 removed;	/* dropped by a reload */
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
};

/* Install OPS; must be called before anything else here. */
void		sup_init(const struct sup_ops *ops);

/* Create program PC's processes, all STOPPED; CR is referenced. */
struct program	*program_new(struct program_conf *pc, struct confref *cr);
/* Free a program whose processes are all STOPPED/EXITED/FATAL. */
void		 program_free(struct program *prog);
/* Add or remove processes to match a new numprocs (removed ones must be
   down already). */
void		 program_resize(struct program *prog, int nprocs);

/* Ask for P to run / to stop.  Both are idempotent. */
void		sup_start(struct proc *p);
void		sup_stop(struct proc *p);
/* Send SIG to a running P (the process alone).  -1 if P has no process. */
int		sup_signal(struct proc *p, int sig);

/* The mechanism reports that P's process ended with wait STATUS. */
void		sup_exited(struct proc *p, int status);

/* True while P is, or will by itself again be, running. */
bool		proc_active(const struct proc *p);
/* True when P is in a state a start request waits for: RUNNING, EXITED,
   FATAL, LOCKED or STOPPED (given up or stopped meanwhile). */
bool		proc_settled_up(const struct proc *p);

/*
 * Jobs: a set of processes started or stopped together, and a callback
 * when every one has settled.  Stop jobs go through priority levels from
 * the highest number down: all processes of one level get their stop
 * signal together, and the next level starts when that one is down.
 */
enum job_kind { JOB_START, JOB_STOP };
struct job;
typedef void (*job_done_cb)(struct job *job, void *arg);

struct job {
	enum job_kind	 kind;
	struct proc	**procs;
	size_t		 nprocs;
	size_t		 pending;	/* not yet settled */
	int		 level;		/* stop: priority now stopping */
	job_done_cb	 done;
	void		*arg;
	bool		 running;
	struct timer	 done_timer;	/* DONE runs from the timer, never
					   inside a transition */
};

/*
 * Make a job over PROCS (copied).  A process can be in one job at a time:
 * a newer job takes it over and the older one stops waiting for it.
 * The job starts with job_run(); DONE is called once, from a timer due at
 * once (so never in the middle of a transition, and never inside job_run),
 * after which the job must be freed with job_free() by its owner.
 */
struct job	*job_new(enum job_kind kind, struct proc **procs, size_t n,
		    job_done_cb done, void *arg);
void		 job_run(struct job *job);
/* Forget a job (its processes no longer report to it) and free it. */
void		 job_free(struct job *job);

#endif /* MWSUP_SUPERVISE_H */
