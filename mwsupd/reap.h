/*
 * reap.h — the one place where mwsupd reaps its children.  Whoever starts
 * a child registers it here with a callback (pid -> owner); the reaper
 * hands each exit to its owner and drops the exits of orphans (the
 * grandchildren mwsupd inherits as a child subreaper or as PID 1).
 * Supervised processes, the guard (guard.h) and, later, probe and hook
 * commands all go through it.
 */
#ifndef MWSUP_REAP_H
#define MWSUP_REAP_H

#include <sys/types.h>

struct reap_child;
typedef void (*reap_exited_cb)(struct reap_child *c, int status);

/* Embedded in its owner's data: no allocation per child. */
struct reap_child {
	pid_t			 pid;
	reap_exited_cb		 exited;	/* told the wait status */
	struct reap_child	*hash_next;
};

/*
 * Watch C (C->pid and C->exited set by the caller) until it is reaped:
 * then it is forgotten first and C->exited is called.
 */
void	reap_watch(struct reap_child *c);
/* Stop watching C (its owner collected it itself); harmless if unwatched. */
void	reap_forget(struct reap_child *c);
/* The child watched under PID, or NULL. */
struct reap_child *reap_find(pid_t pid);

/*
 * Reap exited children, at most a batch per call; when more may be
 * waiting the rest is reaped from a timer due at once, after the event
 * loop has polled, so a crash loop never keeps mwsupd deaf.
 */
void	reap_children(void);

#endif /* MWSUP_REAP_H */
