/*
 * daemon.h — what concerns mwsupd as a whole: the configuration file,
 * reload, shutdown and the batch verdict.  main() sets it up; control.c
 * and the signal handler ask for reloads and shutdowns.  It calls no
 * module above it: live settings go to whoever subscribed.
 */
#ifndef MWSUP_DAEMON_H
#define MWSUP_DAEMON_H

#include <stdbool.h>

#include "apply.h"
#include "conf.h"
#include "msglist.h"
#include "supervise.h"

/* The configuration file reloads read (an absolute path, kept). */
void		 daemon_set_config_file(const char *path);
const char	*daemon_config_file(void);

/*
 * FN is called with every configuration a reload is about to apply, so
 * that live global settings (log target, socket mode) take effect.  At
 * most four subscribers.
 */
void	daemon_subscribe(void (*fn)(const struct conf *conf));

/*
 * Apply the start-up configuration CONF (ownership passes to the
 * registry) and start the batch check.  Returns -1 when it cannot.
 */
int	daemon_start(struct conf *conf);

/* The state machine's change observer: counts failures for the batch
   verdict and checks whether the batch is done. */
void	daemon_proc_changed(struct proc *p, enum proc_state from);

/* What one reload did; every request it served gets the same. */
struct reload_result {
	int			 status;	/* 0 applied, 1 failed */
	const char		*error;		/* why, when status is 1 */
	const struct msglist	*errors;	/* the configuration's errors */
	/* What changed (NULL when nothing was applied), and for each
	   change a process that did not reach a good final state
	   ("queue:1: FATAL: exited too quickly"), or NULL. */
	const struct apply_report *report;
	char * const		*change_errors;
};

typedef void (*reload_done_cb)(const struct reload_result *res, void *arg);

/*
 * Ask for a reload of the configuration file.  A reload asked while
 * another runs is applied after that one has ended; all the requests
 * waiting then are served by one reload, which reads the file once.  DONE
 * (NULL: only logged) is called with its result, always later, never
 * from inside this call; during a shutdown the request fails.
 */
void	daemon_reload(reload_done_cb done, void *arg);

/*
 * Begin the orderly shutdown asked for by an operator (a signal or
 * `mwsupctl shutdown`): with exit_when_done this cuts the batch short,
 * so mwsupd will exit 1.  Idempotent.
 */
void	daemon_shutdown(void);

/* True once the shutdown began. */
bool	daemon_stopping(void);

/*
 * An operator stopped a process of the batch that was still active: with
 * exit_when_done, mwsupd will exit 1 (an interrupted batch is not a
 * success).
 */
void	daemon_batch_interrupted(void);

#endif /* MWSUP_DAEMON_H */
