/*
 * syslog-sink.c — test helper: a tiny syslog daemon for one test.
 *
 * usage: syslog-sink SOCKETPATH OUTFILE
 * Binds a UNIX datagram socket at SOCKETPATH (replacing a stale file),
 * prints its pid on stdout, then appends every datagram it receives to
 * OUTFILE as one line (a trailing newline in the datagram is dropped,
 * inner newlines become "\n"), with one write per line, until killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define DGRAM_MAX	(64 * 1024)

int
main(int argc, char *argv[])
{
	static char in[DGRAM_MAX], out[2 * DGRAM_MAX + 2];
	struct sockaddr_un sun;
	int s, fd, bufsz = 4 * 1024 * 1024;

	if (argc != 3) {
		fprintf(stderr, "usage: syslog-sink SOCKETPATH OUTFILE\n");
		return 99;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "syslog-sink: socket path too long\n");
		return 99;
	}
	strcpy(sun.sun_path, argv[1]);
	fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd == -1) {
		perror(argv[2]);
		return 99;
	}
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s == -1) {
		perror("socket");
		return 99;
	}
	/* A deep queue, so a burst is not dropped before we read it. */
	(void)setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof(bufsz));
	(void)setsockopt(s, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	(void)unlink(argv[1]);
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror(argv[1]);
		return 99;
	}
	/* Anyone may log to it, as to /dev/log. */
	(void)chmod(argv[1], 0666);
	printf("%ld\n", (long)getpid());
	fflush(stdout);

	for (;;) {
		ssize_t n = recv(s, in, sizeof(in), 0);
		size_t len = 0;

		if (n == -1) {
			if (errno == EINTR)
				continue;
			perror("recv");
			return 99;
		}
		if (n > 0 && in[n - 1] == '\n')
			n--;
		for (ssize_t i = 0; i < n; i++) {
			if (in[i] == '\n') {
				out[len++] = '\\';
				out[len++] = 'n';
			} else {
				out[len++] = in[i];
			}
		}
		out[len++] = '\n';
		if (write(fd, out, len) == -1 && errno != EINTR) {
			perror(argv[2]);
			return 99;
		}
	}
}
