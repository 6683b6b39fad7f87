/* loop.c — epoll plus the timer heap; sleeps until there is work. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "timer.h"

#define LOOP_EVENTS	64

static int	epfd = -1;
static int	running;
static int	exit_code;

struct deferred {
	void	(*fn)(void *);
	void	 *p;
};
static struct deferred	*graveyard;
static size_t		 ngrave, capgrave;

uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
loop_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	return epfd == -1 ? -1 : 0;
}

int
loop_add(struct io *io, int fd, uint32_t events, io_cb cb, void *arg)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	io->fd = fd;
	io->cb = cb;
	io->arg = arg;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		io->fd = -1;
		return -1;
	}
	return 0;
}

int
loop_mod(struct io *io, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = io };

	return epoll_ctl(epfd, EPOLL_CTL_MOD, io->fd, &ev);
}

void
loop_del(struct io *io)
{
	if (io->fd == -1)
		return;
	(void)epoll_ctl(epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->fd = -1;
}

void
loop_defer_free(void (*fn)(void *), void *p)
{
	if (ngrave == capgrave) {
		size_t cap = capgrave ? capgrave * 2 : 16;
		struct deferred *g = reallocarray(graveyard, cap, sizeof(*g));
		if (g == NULL) {
			/* Leaking beats a use after free. */
			log_warnx("out of memory: leaking %p", p);
			return;
		}
		graveyard = g;
		capgrave = cap;
	}
	graveyard[ngrave].fn = fn;
	graveyard[ngrave].p = p;
	ngrave++;
}

static void
bury(void)
{
	/* A destructor may defer more; take them all. */
	for (size_t i = 0; i < ngrave; i++)
		graveyard[i].fn(graveyard[i].p);
	ngrave = 0;
}

void
loop_exit(int code)
{
	running = 0;
	exit_code = code;
}

int
loop_run(void)
{
	struct epoll_event evs[LOOP_EVENTS];
	int n, timeout;

	running = 1;
	while (running) {
		uint64_t next = timer_next(), now = now_ms();

		if (next == UINT64_MAX)
			timeout = -1;
		else if (next <= now)
			timeout = 0;
		else if (next - now > INT32_MAX)
			timeout = INT32_MAX;
		else
			timeout = (int)(next - now);
		n = epoll_wait(epfd, evs, LOOP_EVENTS, timeout);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		/* A callback may remove an io whose event is still pending in
		   this batch; owners mark removed ios with fd == -1 and free
		   them only from a timer or later loop turn. */
		for (int i = 0; i < n; i++) {
			struct io *io = evs[i].data.ptr;
			if (io->fd != -1)
				io->cb(io->fd, evs[i].events, io->arg);
			if (!running)
				break;
		}
		bury();
		if (timer_next() != UINT64_MAX)
			timer_run(now_ms());
		bury();
	}
	return exit_code;
}
