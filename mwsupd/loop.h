/*
 * loop.h — the event loop: epoll for descriptors, timer.h for deadlines,
 * and the monotonic clock.  No periodic wake-ups: epoll_wait sleeps until a
 * descriptor is ready or the earliest timer is due.
 */
#ifndef MWSUP_LOOP_H
#define MWSUP_LOOP_H

#include <stdint.h>
#include <sys/epoll.h>

/* Called with the ready EVENTS (EPOLLIN, EPOLLOUT, EPOLLHUP, ...). */
typedef void (*io_cb)(int fd, uint32_t events, void *arg);

/* Handle on a watched descriptor; embed it in the owner's struct. */
struct io {
	int	 fd;
	io_cb	 cb;
	void	*arg;
};

/* Create the epoll instance.  -1 with errno on failure. */
int		loop_init(void);
/* Watch IO->fd for EVENTS; IO must stay valid until loop_del().  */
int		loop_add(struct io *io, int fd, uint32_t events, io_cb cb,
		    void *arg);
int		loop_mod(struct io *io, uint32_t events);
/* Stop watching; harmless for an io that is not watched (fd == -1). */
void		loop_del(struct io *io);
/*
 * Free P with FN after the current batch of events: an object whose io may
 * still have an event pending in this batch must not be freed at once.
 */
void		loop_defer_free(void (*fn)(void *), void *p);
/* Run until loop_exit(); returns the value given to loop_exit(). */
int		loop_run(void);
void		loop_exit(int code);
/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t	now_ms(void);

#endif /* MWSUP_LOOP_H */
