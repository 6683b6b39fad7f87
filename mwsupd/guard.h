/*
 * guard.h — the guard process: the no-orphan guarantee (mwsupd(8)) for
 * processes that change their own credentials.
 *
 * PR_SET_PDEATHSIG, which every child gets, is cleared by the kernel when
 * a process changes its uid, gid or capabilities (setpriv, gosu, a daemon
 * dropping root, a setuid binary), so a `kill -9 mwsupd` would leave such
 * a process running.  The guard is a tiny child forked once at start-up
 * that never changes credentials: it blocks reading a pipe whose only
 * writer is mwsupd, and when mwsupd dies in any way (the read returns end
 * of file) it SIGKILLs every process still listed in a table shared with
 * mwsupd, then exits.
 *
 * The table is a MAP_SHARED anonymous mapping of one slot per supervised
 * process: the child writes its own pid into its slot before it execs,
 * mwsupd clears it when it reaps the process, so no system call is spent
 * per spawn.  If someone kills the guard, mwsupd reaps it, logs a warning
 * and starts another one.
 */
#ifndef MWSUP_GUARD_H
#define MWSUP_GUARD_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * Map the table and fork the guard (plain fork, before any program is
 * spawned).  -1 with errno when the table cannot be mapped; a guard that
 * cannot be forked now is retried every second, with a warning.
 */
int	guard_start(void);

/* The guard's pid, 0 when none runs (for tests and logs). */
pid_t	guard_pid(void);

/* A slot for one process, kept across its restarts; -1 if none is left. */
int	guard_slot_take(void);
/* Give SLOT back (it must be clear).  Harmless with -1. */
void	guard_slot_give(int slot);

/*
 * Record PID in SLOT: the guard kills PID, and with GROUP also its process
 * group, if mwsupd dies.  Async-signal-safe (called by the child itself
 * before exec).  Harmless with SLOT -1.
 */
void	guard_slot_set(int slot, pid_t pid, bool group);
/* Clear SLOT: its process has been reaped. */
void	guard_slot_clear(int slot);

#endif /* MWSUP_GUARD_H */
