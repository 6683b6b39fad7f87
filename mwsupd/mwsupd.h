/*
 * mwsupd.h — what main.c offers the other modules: reload and shutdown,
 * the two requests that concern the whole daemon.
 */
#ifndef MWSUP_MWSUPD_H
#define MWSUP_MWSUPD_H

#include "apply.h"
#include "msglist.h"

/*
 * Re-read the configuration file and apply it.  Returns 0 when the apply
 * began (DONE is called when it finished); -1 when the file has errors
 * (appended to ERRS, nothing changed) or a reload is already under way.
 */
int	mwsupd_reload(struct msglist *errs, apply_done_cb done, void *arg);

/* Begin the orderly shutdown (idempotent). */
void	mwsupd_shutdown(void);

/* True once the shutdown began. */
int	mwsupd_stopping(void);

#endif /* MWSUP_MWSUPD_H */
