/*
 * mwsupd.h — what main.c offers the other modules: reload, shutdown and
 * the batch verdict, the requests that concern the whole daemon.
 */
#ifndef MWSUP_MWSUPD_H
#define MWSUP_MWSUPD_H

#include <stdbool.h>

#include "apply.h"
#include "msglist.h"

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
void	mwsupd_reload(reload_done_cb done, void *arg);

/*
 * Begin the orderly shutdown asked for by an operator (a signal or
 * `mwsupctl shutdown`): with exit_when_done this cuts the batch short,
 * so mwsupd will exit 1.  Idempotent.
 */
void	mwsupd_shutdown(void);

/* True once the shutdown began. */
bool	mwsupd_stopping(void);

/*
 * An operator stopped a process of the batch that was still active: with
 * exit_when_done, mwsupd will exit 1 (an interrupted batch is not a
 * success).
 */
void	mwsupd_batch_interrupted(void);

#endif /* MWSUP_MWSUPD_H */
