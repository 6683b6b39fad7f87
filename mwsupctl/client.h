/*
 * client.h — mwsupctl's connection to mwsupd: connect with a deadline,
 * send a request frame, receive reply frames (doc/PROTOCOL.md).
 */
#ifndef MWSUPCTL_CLIENT_H
#define MWSUPCTL_CLIENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

#define CLIENT_CONNECT_SECS	5	/* longest wait for the daemon to accept */

struct client {
	int		 fd;
	uint8_t		 in[2 * (4 + PROTO_FRAME_MAX)];	/* received, undecoded */
	size_t		 inlen;
	struct proto_msg msg;		/* the last frame client_recv() decoded */
};

/*
 * Connect CL to the UNIX socket PATH, waiting at most CLIENT_CONNECT_SECS.
 * Returns 0, or -1 with a reason such as "No such file or directory",
 * "permission denied" or "connection timed out" in ERR (ERRLEN bytes).
 */
int	 client_connect(struct client *cl, const char *path, char *err,
	    size_t errlen);

/*
 * Send the finished frame in OUT.  Returns 0, or -1 with errno set.  A peer
 * that has already closed (EPIPE, ECONNRESET) is not reported here: it may
 * have left a reply to read (a refused client gets "permission denied"), so
 * the caller reads anyway.  SIGPIPE is never raised.
 */
int	 client_send(struct client *cl, struct proto_out *out);

/*
 * Receive one frame into cl->msg.  Blocks with SIGMASK in effect (as
 * ppoll() takes it; NULL: the current mask), so that a signal blocked
 * elsewhere can interrupt the wait.  Returns 1 with a frame, 0 at
 * end-of-file, -2 when interrupted by a signal, or -1 with a message in
 * *ERR (a decode error or an I/O error).
 */
int	 client_recv(struct client *cl, const sigset_t *sigmask,
	    const char **err);

/* Close the connection; CL may then be connected again. */
void	 client_close(struct client *cl);

#endif /* MWSUPCTL_CLIENT_H */
