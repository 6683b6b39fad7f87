/*
 * lockfile.c — counted flock(2) locks on program lockfiles, shared by the
 * processes of one program.
 *
 * Within mwsupd a lock is looked up by path before the file is opened: a
 * second open would conflict with our own flock anyway, but the list
 * tells which program holds it, for the reason shown in status.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockfile.h"
#include "log.h"

struct lockfile {
	char		*path;
	char		*owner;		/* the program whose processes hold it */
	int		 fd;
	int		 holders;
	struct lockfile	*next;
};

static struct lockfile	*locks;		/* few: a list is enough */

/*
 * Open PATH, creating it if missing, without following a symbolic link
 * (O_NOFOLLOW also applies to the creation: a planted dangling link makes
 * it fail rather than create its target) and without blocking on a FIFO
 * or a device.  -1 with REASON set.
 */
static int
lockfile_open(const char *path, char *reason, size_t len)
{
	struct stat st;
	int fd, saved;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY, 0644);
	if (fd == -1) {
		saved = errno;
		if (saved == ELOOP || (lstat(path, &st) == 0 &&
		    S_ISLNK(st.st_mode)))
			snprintf(reason, len, "lockfile %s is a symbolic link",
			    path);
		else
			snprintf(reason, len, "cannot open lockfile %s: %s",
			    path, strerror(saved));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(reason, len, "lockfile %s is not a regular file",
		    path);
		close(fd);
		return -1;
	}
	return fd;
}

struct lockfile *
lockfile_take(const char *path, const char *owner, int *busy, char *reason,
    size_t len)
{
	struct lockfile *lf;
	int fd;

	*busy = 0;
	for (lf = locks; lf != NULL; lf = lf->next)
		if (strcmp(lf->path, path) == 0) {
			if (strcmp(lf->owner, owner) != 0) {
				*busy = 1;
				snprintf(reason, len, "lockfile %s held by "
				    "program %s", path, lf->owner);
				return NULL;
			}
			lf->holders++;
			return lf;
		}
	if ((fd = lockfile_open(path, reason, len)) == -1)
		return NULL;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		int saved = errno;
		close(fd);
		if (saved == EWOULDBLOCK) {
			*busy = 1;
			snprintf(reason, len, "lockfile %s held by another "
			    "process", path);
		} else
			snprintf(reason, len, "cannot lock %s: %s", path,
			    strerror(saved));
		return NULL;
	}
	lf = calloc(1, sizeof(*lf));
	if (lf == NULL || (lf->path = strdup(path)) == NULL ||
	    (lf->owner = strdup(owner)) == NULL) {
		if (lf != NULL)
			free(lf->path);
		free(lf);
		close(fd);
		snprintf(reason, len, "out of memory");
		return NULL;
	}
	lf->fd = fd;
	lf->holders = 1;
	lf->next = locks;
	locks = lf;
	log_debug("took lock %s", path);
	return lf;
}

void
lockfile_give(struct lockfile *lf)
{
	struct lockfile **pp;

	if (lf == NULL || --lf->holders > 0)
		return;
	for (pp = &locks; *pp != NULL; pp = &(*pp)->next)
		if (*pp == lf) {
			*pp = lf->next;
			break;
		}
	log_debug("released lock %s", lf->path);
	close(lf->fd);		/* releases the flock */
	free(lf->path);
	free(lf->owner);
	free(lf);
}
