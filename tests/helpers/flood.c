/*
 * flood.c — test helper: write output as fast as possible.
 *
 * usage: flood [-l LEN] [-n] [-t TOTAL] [-e] [-S]
 *   -l LEN    characters per line before the newline (default 100); the
 *             characters cycle through "0123456789abcdef...", so a line
 *             split by the reader can be checked when reassembled
 *   -n        no newlines at all
 *   -t TOTAL  stop after TOTAL bytes (default: never)
 *   -e        write to stderr instead of stdout
 *   -S        after TOTAL bytes, sleep forever instead of exiting 0
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	static const char alphabet[] =
	    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	long long total = -1, done = 0;
	size_t len = 100, blen;
	int newline = 1, fd = STDOUT_FILENO, stay = 0, ch;
	char *buf;

	while ((ch = getopt(argc, argv, "l:nt:eS")) != -1) {
		switch (ch) {
		case 'l': len = (size_t)atol(optarg); break;
		case 'n': newline = 0; break;
		case 't': total = atoll(optarg); break;
		case 'e': fd = STDERR_FILENO; break;
		case 'S': stay = 1; break;
		default:
			fprintf(stderr, "usage: flood [-l LEN] [-n] "
			    "[-t TOTAL] [-e] [-S]\n");
			return 99;
		}
	}
	if (len == 0 || len > 64 * 1024 * 1024)
		return 99;
	blen = len + (size_t)newline;
	buf = malloc(blen);
	if (buf == NULL)
		return 99;
	for (size_t i = 0; i < len; i++)
		buf[i] = alphabet[i % (sizeof(alphabet) - 1)];
	if (newline)
		buf[len] = '\n';

	while (total < 0 || done < total) {
		size_t want = blen;
		if (total >= 0 && (long long)want > total - done)
			want = (size_t)(total - done);
		size_t off = 0;
		while (off < want) {
			ssize_t n = write(fd, buf + off, want - off);
			if (n == -1) {
				if (errno == EINTR)
					continue;
				return 1;	/* e.g. EPIPE */
			}
			off += (size_t)n;
		}
		done += (long long)want;
	}
	if (stay)
		for (;;)
			pause();
	return 0;
}
