/*
 * logfile.c — program log files: append whole lines, rotate by size
 * between lines, reopen by path, drop and count what cannot be written.
 * See logfile.h for the contract and doc/DESIGN.md for the rotation scheme.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "logfile.h"
#include "xalloc.h"

struct logfile {
	char		*path;
	int		 fd;
	uint64_t	 size;		/* bytes in the file, as we wrote them */
	uint64_t	 maxbytes;	/* 0: never rotate */
	int		 backups;

	/*
	 * A rotation failed: no more until logfile_reopen() or the next
	 * logfile_report(), lines go on to the current descriptor.  With
	 * reopen_pending, FILE was renamed away but could not be opened
	 * again: the descriptor is FILE.1 now.
	 */
	int		 rotate_failed;
	int		 reopen_pending;
	int		 rotate_reported;
	char		*rotate_error;	/* what failed, malloc'd */

	uint64_t	 dropped;	/* lines dropped since open */
	uint64_t	 dropped_reported;
	int		 drop_errno;	/* why the last one was dropped */
	int		 reported;	/* last_report is set */
	uint64_t	 last_report;	/* CLOCK_MONOTONIC ms */

};

/*
 * A line and its newline, for one write(2), which costs less than a
 * writev(2) of the two.  Shared: mwsupd has one thread, and 10,000
 * programs must not cost 4 KiB each.
 */
static char linebuf[LOGFILE_LINE_MAX + 1];

/*
 * Open PATH the way logfile.h promises.  Returns the descriptor and the
 * file's size in *SIZE, or -1 with ERR filled in.
 */
static int
open_file(const char *path, uint64_t *size, char *err, size_t len)
{
	const int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK;
	struct stat st;
	int fd = -1, created = 0, tries, saved, fl;

	/* O_EXCL first, to know whether we created it and must fchmod it. */
	for (tries = 0; fd == -1; tries++) {
		fd = open(path, flags | O_CREAT | O_EXCL, 0640);
		if (fd != -1) {
			created = 1;
			break;
		}
		if (errno != EEXIST)
			goto fail_open;
		fd = open(path, flags);
		if (fd == -1 && (errno != ENOENT || tries >= 3))
			goto fail_open;
		/* ENOENT: removed between the two opens; once more. */
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, len, "%s: not a regular file", path);
		goto fail;
	}
	if (created && fchmod(fd, 0640) == -1) {
		snprintf(err, len, "%s: cannot set mode 0640: %s", path,
		    strerror(errno));
		goto fail;
	}
	/* O_NONBLOCK only kept the open from waiting on a FIFO. */
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		goto fail;
	}
	*size = (uint64_t)st.st_size;
	return fd;

fail_open:
	switch (errno) {
	case ELOOP:
		snprintf(err, len, "%s: a symbolic link, not followed", path);
		break;
	case EISDIR:
		snprintf(err, len, "%s: a directory, not a regular file",
		    path);
		break;
	case ENXIO:
		snprintf(err, len, "%s: not a regular file (a FIFO or a "
		    "socket)", path);
		break;
	default:
		snprintf(err, len, "cannot open %s: %s", path,
		    strerror(errno));
		break;
	}
	return -1;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

struct logfile *
logfile_open(const char *path, uint64_t maxbytes, int backups, char *err,
    size_t len)
{
	struct logfile *lf;
	uint64_t size;
	int fd;

	if (backups < 0) {
		snprintf(err, len, "%s: negative number of backups", path);
		errno = EINVAL;
		return NULL;
	}
	if ((fd = open_file(path, &size, err, len)) == -1)
		return NULL;
	lf = xcalloc(1, sizeof(*lf));
	lf->path = xstrdup(path);
	lf->fd = fd;
	lf->size = size;
	lf->maxbytes = maxbytes;
	lf->backups = backups;
	return lf;
}

/* Remember why a rotation failed and stop rotating for now. */
static void
rotate_fail(struct logfile *lf, const char *what, const char *path)
{
	const char *why = strerror(errno);

	free(lf->rotate_error);
	lf->rotate_error = xasprintf("%s %s: %s", what, path, why);
	lf->rotate_failed = 1;
	lf->rotate_reported = 0;
}

/* Open FILE again after it was renamed to FILE.1. */
static void
rotate_open(struct logfile *lf)
{
	char err[256];
	uint64_t size;
	int fd;

	if ((fd = open_file(lf->path, &size, err, sizeof(err))) == -1) {
		free(lf->rotate_error);
		lf->rotate_error = xstrdup(err);
		lf->rotate_failed = 1;
		lf->rotate_reported = 0;
		lf->reopen_pending = 1;
		return;
	}
	close(lf->fd);
	lf->fd = fd;
	lf->size = size;
	lf->reopen_pending = 0;
}

/*
 * FILE.(N-1) → FILE.N … FILE → FILE.1, then open FILE afresh; with no
 * backups, truncate FILE instead.  On failure the current descriptor stays.
 */
static void
rotate(struct logfile *lf)
{
	char *from, *to;
	int i;

	if (lf->backups == 0) {
		if (ftruncate(lf->fd, 0) == -1) {
			rotate_fail(lf, "cannot truncate", lf->path);
			return;
		}
		lf->size = 0;
		return;
	}
	for (i = lf->backups; i >= 1; i--) {
		/* Rare enough to allocate the names each time. */
		from = i == 1 ? xstrdup(lf->path) :
		    xasprintf("%s.%d", lf->path, i - 1);
		to = xasprintf("%s.%d", lf->path, i);
		if (rename(from, to) == -1 && errno != ENOENT) {
			rotate_fail(lf, "cannot rename", from);
			free(from);
			free(to);
			return;
		}
		free(from);
		free(to);
	}
	rotate_open(lf);
}

/*
 * writev(2) all of IOV (CNT entries, TOTAL bytes) or fail.  Returns the
 * bytes written, which is TOTAL on success; less with errno set on error.
 */
static size_t
write_all(int fd, struct iovec *iov, int cnt, size_t total)
{
	size_t done = 0;
	ssize_t n;

	while (done < total) {
		n = writev(fd, iov, cnt);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0) {
			errno = EIO;
			break;
		}
		done += (size_t)n;
		/* A short write to a regular file: skip what went out. */
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return done;
}

int
logfile_write(struct logfile *lf, const char *line, size_t len)
{
	struct iovec iov[2];
	size_t done, total = len + 1;
	off_t end;
	int saved;

	if (lf->maxbytes > 0 && lf->size > 0 && !lf->rotate_failed &&
	    lf->size + total > lf->maxbytes)
		rotate(lf);

	if (len <= LOGFILE_LINE_MAX) {
		memcpy(linebuf, line, len);
		linebuf[len] = '\n';
		iov[0].iov_base = linebuf;
		iov[0].iov_len = total;
		done = write_all(lf->fd, iov, 1, total);
	} else {
		iov[0].iov_base = (void *)(uintptr_t)line;
		iov[0].iov_len = len;
		iov[1].iov_base = (void *)(uintptr_t)"\n";
		iov[1].iov_len = 1;
		done = write_all(lf->fd, iov, 2, total);
	}
	if (done == total) {
		lf->size += total;
		return 0;
	}

	saved = errno;
	/* Cut a partial line off, so that the file holds whole lines. */
	if (done > 0 && (end = lseek(lf->fd, 0, SEEK_CUR)) != -1 &&
	    (uint64_t)end >= done && ftruncate(lf->fd, end - (off_t)done) == 0)
		done = 0;
	lf->size += done;
	lf->dropped++;
	lf->drop_errno = saved;
	errno = saved;
	return -1;
}

int
logfile_reopen(struct logfile *lf, char *err, size_t len)
{
	uint64_t size;
	int fd;

	if ((fd = open_file(lf->path, &size, err, len)) == -1)
		return -1;
	close(lf->fd);
	lf->fd = fd;
	lf->size = size;
	lf->rotate_failed = 0;
	lf->reopen_pending = 0;
	return 0;
}

int
logfile_report(struct logfile *lf, uint64_t now, char *msg, size_t len)
{
	uint64_t pending = lf->dropped - lf->dropped_reported;
	int rotate_news = lf->rotate_failed && !lf->rotate_reported;
	size_t used = 0;
	int n;

	if (len == 0 || (pending == 0 && !rotate_news))
		return 0;
	if (lf->reported && now - lf->last_report < LOGFILE_REPORT_MS)
		return 0;

	msg[0] = '\0';
	if (pending > 0) {
		n = snprintf(msg, len, "%s: %" PRIu64 " line%s dropped (%s), "
		    "%" PRIu64 " since it was opened", lf->path, pending,
		    pending == 1 ? "" : "s", strerror(lf->drop_errno),
		    lf->dropped);
		used = n < 0 ? 0 : (size_t)n < len ? (size_t)n : len;
	}
	if (rotate_news && used < len)
		snprintf(msg + used, len - used, "%s%s: cannot rotate (%s), "
		    "writing on to the current file", used > 0 ? "; " : "",
		    lf->path, lf->rotate_error);

	lf->reported = 1;
	lf->last_report = now;
	lf->dropped_reported = lf->dropped;
	if (lf->rotate_failed) {
		lf->rotate_reported = 1;
		/* Once a minute, try again. */
		if (lf->reopen_pending)
			rotate_open(lf);
		else
			lf->rotate_failed = 0;
		if (!lf->rotate_failed)
			lf->rotate_reported = 0;
	}
	return 1;
}

uint64_t
logfile_dropped(const struct logfile *lf)
{
	return lf->dropped;
}

const char *
logfile_path(const struct logfile *lf)
{
	return lf->path;
}

void
logfile_close(struct logfile *lf)
{
	if (lf == NULL)
		return;
	close(lf->fd);
	free(lf->path);
	free(lf->rotate_error);
	free(lf);
}
