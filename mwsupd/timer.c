/* timer.c — one-shot timers in a binary min-heap keyed by deadline. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "timer.h"

static struct timer	**heap;
static size_t		  nheap, capheap;

static void
place(struct timer *t, size_t i)
{
	heap[i] = t;
	t->slot = i;
}

static void
sift_up(size_t i)
{
	struct timer *t = heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (heap[parent]->deadline <= t->deadline)
			break;
		place(heap[parent], i);
		i = parent;
	}
	place(t, i);
}

static void
sift_down(size_t i)
{
	struct timer *t = heap[i];

	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= nheap)
			break;
		if (child + 1 < nheap &&
		    heap[child + 1]->deadline < heap[child]->deadline)
			child++;
		if (t->deadline <= heap[child]->deadline)
			break;
		place(heap[child], i);
		i = child;
	}
	place(t, i);
}

void
timer_init(struct timer *t, timer_cb cb, void *arg)
{
	t->deadline = 0;
	t->slot = TIMER_IDLE;
	t->cb = cb;
	t->arg = arg;
}

int
timer_set(struct timer *t, uint64_t deadline)
{
	if (timer_armed(t)) {
		uint64_t old = t->deadline;
		t->deadline = deadline;
		if (deadline < old)
			sift_up(t->slot);
		else
			sift_down(t->slot);
		return 0;
	}
	if (nheap == capheap) {
		size_t cap = capheap ? capheap * 2 : 64;
		struct timer **h = reallocarray(heap, cap, sizeof(*h));
		if (h == NULL)
			return -1;
		heap = h;
		capheap = cap;
	}
	t->deadline = deadline;
	place(t, nheap++);
	sift_up(t->slot);
	return 0;
}

void
timer_cancel(struct timer *t)
{
	size_t i = t->slot;

	if (!timer_armed(t))
		return;
	t->slot = TIMER_IDLE;
	if (--nheap == i)
		return;
	place(heap[nheap], i);
	sift_up(i);
	sift_down(heap[i]->slot);
}

uint64_t
timer_next(void)
{
	return nheap ? heap[0]->deadline : UINT64_MAX;
}

size_t
timer_run(uint64_t now)
{
	size_t fired = 0;

	while (nheap > 0 && heap[0]->deadline <= now) {
		struct timer *t = heap[0];
		timer_cancel(t);
		fired++;
		t->cb(t, t->arg);
	}
	return fired;
}

size_t
timer_count(void)
{
	return nheap;
}
