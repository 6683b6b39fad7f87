/*
 * log.h — mwsupd's own messages and its children's output lines, to syslog
 * or to stderr.
 *
 * The syslog client is mwsupd's own (RFC 3164 datagrams to /dev/log) rather
 * than syslog(3): syslog(3) blocks when the log socket's queue is full, and
 * it cannot tag a line with another process's pid.  Neither sink ever
 * blocks mwsupd: lines wait in one bounded queue (4 MiB) while the sink is
 * full, stalled or gone; above its high-water mark the readers of child
 * output pause (log_congested()), so a child that outpaces the sink blocks
 * on its own pipe instead of mwsupd dropping its lines or growing.  A sink
 * that takes nothing for 5 s ends the pause; only lines that do not fit the
 * queue are dropped, counted (log_dropped()) and reported.  log.c watches
 * its own descriptors and timers through loop.h.  The guarantees are in
 * doc/RELIABILITY.md.
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

/*
 * True while the sink is behind: stop reading child output until the
 * DRAINED hook runs.  False again once the sink has taken nothing for the
 * stall limit (the children must not wait on a dead sink forever).
 */
bool	log_congested(void);

/* DRAINED (proc_output_resume) is called when congestion ends. */
void	log_set_hooks(void (*drained)(void));

/* Where lines go, for log_dropped(). */
enum log_sink {
	LOG_SINK_SYSLOG,
	LOG_SINK_STDERR,
	LOG_SINK_COUNT
};

/*
 * Lines dropped since start-up because SINK was the target and they did
 * not fit the queue (or could never be written): the value of
 * mwsup_log_lines_dropped_total{sink="syslog"|"stderr"}.
 */
unsigned long long log_dropped(enum log_sink sink);

#endif /* MWSUP_LOG_H */
