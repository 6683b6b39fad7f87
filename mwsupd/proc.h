/*
 * proc.h — processes as the kernel sees them (mechanism): spawn with
 * everything prepared before fork(), signal, reap in one place, capture
 * output line by line.  No policy here: supervise.c decides, this acts.
 */
#ifndef MWSUP_PROC_H
#define MWSUP_PROC_H

#include <stddef.h>
#include <sys/types.h>

#include "supervise.h"

#define OUTPUT_LINE_MAX	4096	/* longer lines are split */
#define OUTPUT_RING_MAX	16384	/* bytes of recent output kept per process */

enum output_stream { STREAM_STDOUT = 1, STREAM_STDERR = 2 };

/* The real struct sup_ops: fork/exec, kill, flock, the monotonic clock. */
extern const struct sup_ops	proc_ops;

/*
 * Prepare the layer: open /dev/null and start the guard process (guard.h).
 * Call once, after daemonizing and before any program is spawned.  -1
 * with errno on failure.
 */
int	proc_layer_init(void);

/*
 * Out of descriptors while spawning: HOOK frees what it can (control.c
 * drops idle clients) and returns how many it freed; the spawn then tries
 * once more.  Supervision comes before idle clients.
 */
void	proc_set_fd_pressure_hook(int (*hook)(void));

/* mwsupd's own descriptor limit (raised to the hard limit at init). */
size_t	proc_fd_limit(void);

/*
 * Reap exited children (a bounded batch, see reap.h): each goes to its
 * owner (a process to sup_exited(), the guard to its restart), orphans
 * are dropped.
 */
void	proc_reap(void);

/* Called for every line of output (control: tail -f followers). */
typedef void (*output_hook)(struct proc *p, const char *line, size_t len,
	    enum output_stream stream);
void	proc_set_output_hook(output_hook hook);

/*
 * Call CB for each of the last N lines of P's output (stdout and stderr
 * interleaved in arrival order), oldest first.
 */
void	proc_tail(const struct proc *p, size_t n,
	    void (*cb)(void *arg, const char *line, size_t len,
	    enum output_stream stream), void *arg);

/* Syslog caught up: read the output of every paused child again. */
void	proc_output_resume(void);


#endif /* MWSUP_PROC_H */
