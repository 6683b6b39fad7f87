/*
 * timer.h — one-shot timers on CLOCK_MONOTONIC milliseconds, in a binary
 * heap: O(log n) to arm, cancel or fire, O(1) to find the next deadline.
 * Pure data structure: no clock is read here, so unit tests can drive it
 * with a fake clock.
 */
#ifndef MWSUP_TIMER_H
#define MWSUP_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct timer;
typedef void (*timer_cb)(struct timer *t, void *arg);

struct timer {
	uint64_t	 deadline;	/* CLOCK_MONOTONIC ms */
	size_t		 slot;		/* index in the heap, or TIMER_IDLE */
	timer_cb	 cb;
	void		*arg;
};

#define TIMER_IDLE	((size_t)-1)

/* Prepare T; it is not armed. */
void		timer_init(struct timer *t, timer_cb cb, void *arg);
/* Arm T for DEADLINE (re-arms when already armed).  -1 if out of memory. */
int		timer_set(struct timer *t, uint64_t deadline);
/* Disarm T; harmless when it is not armed. */
void		timer_cancel(struct timer *t);
static inline bool
timer_armed(const struct timer *t)
{
	return t->slot != TIMER_IDLE;
}
/* The earliest deadline, or UINT64_MAX when no timer is armed. */
uint64_t	timer_next(void);
/* Fire, in deadline order, every timer due at NOW.  Returns how many. */
size_t		timer_run(uint64_t now);
/* Number of armed timers. */
size_t		timer_count(void);

#endif /* MWSUP_TIMER_H */
