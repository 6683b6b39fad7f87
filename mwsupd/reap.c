/*
 * reap.c — waitpid(-1) in bounded batches and a pid -> owner table.
 *
 * A pid cannot be recycled before its parent reaps it, and this is the
 * only place that reaps: it forgets the pid in the same step, so nobody
 * signals a recycled pid through a stale entry.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "log.h"
#include "loop.h"
#include "reap.h"
#include "timer.h"

#define PID_BUCKETS	8192
/*
 * Children reaped per call.  Their restarts happen right here, and a
 * restarted child may die before the next waitpid(): without a bound, a
 * fast enough crash loop would keep mwsupd in this loop forever, deaf to
 * signals and clients.
 */
#define REAP_BATCH	16

static struct reap_child	*pid_hash[PID_BUCKETS];
static struct timer		 reap_timer;
static bool			 reap_timer_ready;

static size_t
pid_bucket(pid_t pid)
{
	return (size_t)pid % PID_BUCKETS;
}

void
reap_watch(struct reap_child *c)
{
	size_t b = pid_bucket(c->pid);

	c->hash_next = pid_hash[b];
	pid_hash[b] = c;
}

void
reap_forget(struct reap_child *c)
{
	struct reap_child **pp;

	if (c->pid <= 0)
		return;
	for (pp = &pid_hash[pid_bucket(c->pid)]; *pp != NULL;
	    pp = &(*pp)->hash_next)
		if (*pp == c) {
			*pp = c->hash_next;
			c->hash_next = NULL;
			return;
		}
}

struct reap_child *
reap_find(pid_t pid)
{
	for (struct reap_child *c = pid_hash[pid_bucket(pid)]; c != NULL;
	    c = c->hash_next)
		if (c->pid == pid)
			return c;
	return NULL;
}

static void
reap_more(struct timer *t, void *arg)
{
	(void)t;
	(void)arg;
	reap_children();
}

void
reap_children(void)
{
	struct reap_child *c;
	int status, n = 0;
	pid_t pid;

	for (;;) {
		if (n++ == REAP_BATCH) {
			if (!reap_timer_ready) {
				timer_init(&reap_timer, reap_more, NULL);
				reap_timer_ready = true;
			}
			(void)timer_set(&reap_timer, now_ms());
			break;
		}
		pid = waitpid(-1, &status, WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		if ((c = reap_find(pid)) == NULL) {
			log_debug("reaped orphan pid %ld", (long)pid);
			continue;
		}
		reap_forget(c);
		c->exited(c, status);
	}
}
