/*
 * log.h — mwsupd's own messages and its children's output lines, to syslog
 * or to stderr.
 *
 * The syslog client is mwsupd's own (RFC 3164 datagrams to /dev/log) rather
 * than syslog(3): syslog(3) blocks when the log socket's queue is full, and
 * it cannot tag a line with another process's pid.  Ours never blocks and
 * loses nothing: datagrams that cannot be sent at once wait in a queue,
 * and while that queue is above its high-water mark the readers of child
 * output pause (log_congested()), so a child that outpaces syslog blocks
 * on its own pipe instead of mwsupd dropping its lines or growing.  Only
 * when there is no syslog socket at all are lines dropped (and counted).
 */
#include <stdbool.h>
#ifndef MWSUP_LOG_H
#define MWSUP_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf.h"

/* Before log_init() messages go to stderr. */
void	log_init(enum log_target target, int facility, int debug);
/* Change target and facility (after a reload). */
void	log_setup(enum log_target target, int facility);

void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * One line of a child's output: tag "IDENT[PID]", priority LOG_INFO
 * (stdout) or LOG_ERR (stderr).  LINE need not be NUL-terminated.
 */
void	log_child_line(const char *ident, pid_t pid, int priority,
	    const char *line, size_t len);

/* True while syslog is behind: stop reading child output until DRAINED. */
bool	log_congested(void);

/*
 * Event-loop hooks: WATCH(fd, on) asks to be told (log_writable()) when
 * FD becomes writable, or no longer; DRAINED is called when congestion
 * ends.  Without hooks, queued lines are sent with the next line.
 */
void	log_set_hooks(void (*watch)(int fd, bool on), void (*drained)(void));
void	log_writable(void);

/*
 * Syslog took nothing for a long while: drop what waits (counted and
 * reported later) and let the children's output flow again.
 */
void	log_stalled(void);

#endif /* MWSUP_LOG_H */
