/*
 * probe.h — run one probe (lib/probe_spec.h) asynchronously in the event
 * loop and report success or failure with a short reason.
 *
 * tcp:, unix: and http:// probes are done here by mwsupd itself: a
 * nonblocking socket, connect, for http:// one request and at most
 * PROBE_HTTP_READ_MAX bytes of the reply, then close — no thread, no
 * process.  exec: probes are processes, spawned and reaped by the process
 * layer through the hook of probe_set_exec(); this module only keeps
 * their deadline.  Every probe ends in exactly one of two ways: its
 * callback runs once, or it is cancelled (no callback).  Either way its
 * descriptor is closed and its timers cancelled.
 *
 * The owner keeps the handle in a slot of its own (struct probe *) given
 * to probe_start().  The slot is the handle's only copy: the module clears
 * it before the callback runs and probe_cancel() clears it too, so an
 * owner never holds a dangling handle and cancelling twice, or after the
 * result came, is harmless.
 */
#ifndef MWSUP_PROBE_H
#define MWSUP_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe_spec.h"

#define PROBE_REASON_MAX	128

struct probe;

/* What a probe found; valid during the callback only. */
struct probe_result {
	bool		 ok;
	/*
	 * For logs and status, e.g. "connected", "HTTP 200", "HTTP 503",
	 * "connection refused", "timeout after 5 s", "no status line",
	 * "closed without a reply", "host unreachable", "no such socket".
	 */
	char		 reason[PROBE_REASON_MAX];
	int		 http_status;	/* the status code read, else 0 */
	size_t		 bytes_read;	/* of the HTTP reply, at most
					   PROBE_HTTP_READ_MAX */
	uint64_t	 elapsed_ms;	/* from probe_start() to the result */
};

typedef void (*probe_done_cb)(const struct probe_result *result, void *arg);

/*
 * Start probing SPEC, giving up after TIMEOUT_S seconds (>= 1), and store
 * the handle in *SLOT.  CB(result, ARG) runs once, from the event loop,
 * never from inside probe_start() (even when the result is known at once:
 * a refused UNIX connection, no descriptor left); *SLOT is NULL by then.
 * SPEC is not referenced after the call returns.  A unix: path that is
 * relative is used as is: resolve it first (probe_spec_resolve()).
 * Returns 0, or -1 with errno and *SLOT untouched: EINVAL (TIMEOUT_S 0 or
 * *SLOT already in use), ENOSYS (exec: and no hook installed), ENOMEM.
 */
int	probe_start(struct probe **slot, const struct probe_spec *spec,
	    unsigned timeout_s, probe_done_cb cb, void *arg);

/*
 * Stop the probe in *SLOT, if any, and set *SLOT to NULL: its descriptor
 * is closed, its timers cancelled, an exec: probe's process handed to the
 * hook's cancel, and its callback never runs.  Safe from any callback,
 * including another probe's callback in the same loop turn.
 */
void	probe_cancel(struct probe **slot);

/* Number of probes in flight (for status and tests). */
size_t	probe_count(void);

/* ------------------------------------------------------- exec: probes */

/*
 * The seam to the process layer, installed by mwsupd at start-up; not
 * implemented by this module.  Contract:
 *
 * start(P, SPEC, CTX) spawns SPEC->command for CTX — the ARG given to
 * probe_start(), i.e. the owner, whose program's user, directory,
 * environment and umask the command runs with (stdin /dev/null, its own
 * process group, output logged as IDENT-check[PID]).  It returns 0 and
 * later calls probe_exec_done(P, ...) once, when the process is reaped; or
 * returns -1 with a reason in WHY (e.g. "no such file: /usr/bin/x"),
 * which becomes the probe's failure, reported from the loop.
 *
 * cancel(P, CTX) is called when the probe times out or is cancelled before
 * probe_exec_done(): kill the process group (SIGKILL), reap it quietly,
 * and never call probe_exec_done(P) again — P is gone when cancel
 * returns.
 */
struct probe_exec_ops {
	int	(*start)(struct probe *p, const struct probe_spec *spec,
		    void *ctx, char *why, size_t whylen);
	void	(*cancel)(struct probe *p, void *ctx);
};

/* Install the exec: hook (NULL: exec: probes fail to start, ENOSYS). */
void	probe_set_exec(const struct probe_exec_ops *ops);

/*
 * The exec: probe P's process ended: OK when it exited 0; REASON such as
 * "exit 1: database is down" or "killed by SIGSEGV".  The callback runs at
 * once, from the caller (the reaper) — not from a later loop turn.
 */
void	probe_exec_done(struct probe *p, bool ok, const char *reason);

#endif /* MWSUP_PROBE_H */
