/*
 * control.h — the control socket: mwsupctl's requests, checked and turned
 * into calls on apply.c and supervise.c.  Owns the socket and every
 * connection (see doc/PROTOCOL.md).
 */
#ifndef MWSUP_CONTROL_H
#define MWSUP_CONTROL_H

#include <stddef.h>

#include "conf.h"

/*
 * Create the listening socket of CONF with its mode and group, replacing
 * a stale socket file only when no mwsupd answers on it.  Returns 0; -1
 * with a message in ERR on failure; -2 when a live mwsupd answers there.
 */
int	control_open(const struct conf *conf, char *err, size_t len);

/* Apply a reloaded socket_mode / socket_group to the socket file. */
void	control_reconfigure(const struct conf *conf);

struct proc;
/* P is about to be freed: end the tail -f of clients following it. */
void	control_proc_gone(struct proc *p);

/*
 * mwsupd is about to exit: stop listening, remove the socket file, send
 * followers their END.  Connections stay open: a `shutdown` client waits
 * for end-of-file, which control_close() gives once everything else (the
 * pidfile above all) is released.
 */
void	control_exiting(void);

/* Close every connection (and do control_exiting() if not yet done). */
void	control_close(void);

#endif /* MWSUP_CONTROL_H */
