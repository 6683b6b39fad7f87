/*
 * apply.h — what runs: the registry of programs and the one function that
 * makes it match a configuration.  Start-up applies the first
 * configuration to an empty registry; reload applies a fresh one; both
 * find deleted, new, changed and resized programs the same way.
 */
#ifndef MWSUP_APPLY_H
#define MWSUP_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "msglist.h"
#include "supervise.h"

/* The programs that run now, in priority order, then name. */
struct registry {
	struct program	**programs;
	size_t		  n;
	struct confref	 *current;	/* the last configuration applied */
};

extern struct registry	registry;

/* One line of what a reload did, for mwsupctl. */
struct apply_change {
	char	*program;
	char	*action;	/* added, removed, changed, numprocs */
	char	*detail;
};

struct apply_report {
	struct apply_change	*changes;
	size_t			 n;
	struct msglist		 notes;	/* globals that cannot change live */
};

typedef void (*apply_done_cb)(struct apply_report *report, void *arg);

/*
 * Make the registry match CONF (ownership passes to the registry).  Stops
 * what goes away or changes (by priority levels), then adds and starts
 * what is new or changed (autostart).  DONE (may be NULL) is called once
 * every touched process has settled; it gets the report, which is freed
 * after it returns.  Returns -1 (and takes nothing) when an apply is
 * already under way.
 */
int		 apply(struct conf *conf, apply_done_cb done, void *arg);

/* True while an apply stops processes and rebuilds the registry (a new
   apply must wait); its start phase does not count. */
bool		 apply_busy(void);

/* The configuration running now. */
const struct conf *registry_conf(void);

/* Find a program by name (not one being removed), or NULL. */
struct program	*registry_find(const char *name);

/*
 * Collect the processes NAME designates: "all", "PROGRAM", "PROGRAM:N"
 * or "GROUP" (every process of the group's programs).  Appends to *V (growing it, *N entries) and returns 0, or
 * -1 when NAME matches nothing.
 */
int		 registry_select(const char *name, struct proc ***v, size_t *n);

/* Stop everything (reverse priority), then call DONE. */
void		 registry_shutdown(void (*done)(void *arg), void *arg);

/* Free every program (all must be down) and the configuration. */
void		 registry_free(void);

#endif /* MWSUP_APPLY_H */
