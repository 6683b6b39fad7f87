/*
 * client.c — mwsupctl's connection to mwsupd: connect with a deadline,
 * send a request frame, receive reply frames.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

#define CONNECT_RETRY_NSEC	20000000L	/* 20 ms between tries */

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A non-blocking AF_UNIX connect() does not wait for a full listen queue:
 * it fails with EAGAIN.  Retry until the deadline so a busy daemon still
 * gets a chance, and a wedged one cannot hang us.
 */
int
client_connect(struct client *cl, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct timespec pause = { 0, CONNECT_RETRY_NSEC };
	struct pollfd pfd;
	socklen_t slen;
	long deadline;
	int fd = -1, flags, soerr;

	cl->fd = -1;
	cl->inlen = 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long");
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		goto syserr;
	deadline = now_ms() + CLIENT_CONNECT_SECS * 1000L;
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			if (now_ms() >= deadline)
				goto timeout;
			nanosleep(&pause, NULL);
			continue;
		}
		if (errno != EINPROGRESS)
			goto syserr;
		/* Not expected for AF_UNIX, but handled all the same. */
		pfd.fd = fd;
		pfd.events = POLLOUT;
		for (;;) {
			long left = deadline - now_ms();
			int n;

			if (left <= 0)
				goto timeout;
			n = poll(&pfd, 1, (int)left);
			if (n == 1)
				break;
			if (n == -1 && errno != EINTR)
				goto syserr;
		}
		slen = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) == -1)
			goto syserr;
		if (soerr != 0) {
			errno = soerr;
			goto syserr;
		}
		break;
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1)
		goto syserr;
	cl->fd = fd;
	return 0;

 timeout:
	snprintf(err, errlen, "connection timed out");
	goto fail;
 syserr:
	if (errno == EACCES || errno == EPERM)
		snprintf(err, errlen, "permission denied");
	else
		snprintf(err, errlen, "%s", strerror(errno));
 fail:
	if (fd != -1)
		close(fd);
	return -1;
}

int
client_send(struct client *cl, struct proto_out *out)
{
	long len;
	size_t off = 0;
	ssize_t n;

	if ((len = proto_finish(out)) == -1) {
		errno = EMSGSIZE;
		return -1;
	}
	while (off < (size_t)len) {
		n = send(cl->fd, out->buf + off, (size_t)len - off,
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				return 0;
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

int
client_recv(struct client *cl, const sigset_t *sigmask, const char **err)
{
	static char ioerr[128];
	struct pollfd pfd;
	long used;
	ssize_t n;

	for (;;) {
		used = proto_decode(cl->in, cl->inlen, &cl->msg, err);
		if (used < 0)
			return -1;
		if (used > 0) {
			memmove(cl->in, cl->in + used, cl->inlen - (size_t)used);
			cl->inlen -= (size_t)used;
			return 1;
		}
		/* proto_decode() guarantees a whole frame fits in cl->in. */
		pfd.fd = cl->fd;
		pfd.events = POLLIN;
		if (ppoll(&pfd, 1, NULL, sigmask) == -1) {
			if (errno == EINTR)
				return -2;
			goto syserr;
		}
		n = read(cl->fd, cl->in + cl->inlen, sizeof(cl->in) - cl->inlen);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			if (errno == ECONNRESET)
				return 0;
			goto syserr;
		}
		if (n == 0) {
			if (cl->inlen > 0) {
				*err = "truncated frame";
				return -1;
			}
			return 0;
		}
		cl->inlen += (size_t)n;
	}

 syserr:
	snprintf(ioerr, sizeof(ioerr), "%s", strerror(errno));
	*err = ioerr;
	return -1;
}

void
client_close(struct client *cl)
{
	if (cl->fd != -1)
		close(cl->fd);
	cl->fd = -1;
	cl->inlen = 0;
}
