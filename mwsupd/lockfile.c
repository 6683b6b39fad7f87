/* lockfile.c — shared, counted flock(2) locks on program lockfiles. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lockfile.h"
#include "log.h"

struct lockfile {
	char		*path;
	int		 fd;
	int		 holders;
	struct lockfile	*next;
};

static struct lockfile	*locks;		/* few: a list is enough */

struct lockfile *
lockfile_take(const char *path, int *busy, char *reason, size_t len)
{
	struct lockfile *lf;
	int fd;

	*busy = 0;
	for (lf = locks; lf != NULL; lf = lf->next)
		if (strcmp(lf->path, path) == 0) {
			lf->holders++;
			return lf;
		}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd == -1) {
		snprintf(reason, len, "cannot open lockfile %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		int saved = errno;
		close(fd);
		if (saved == EWOULDBLOCK) {
			*busy = 1;
			snprintf(reason, len, "lockfile %s held elsewhere",
			    path);
		} else
			snprintf(reason, len, "cannot lock %s: %s", path,
			    strerror(saved));
		return NULL;
	}
	lf = calloc(1, sizeof(*lf));
	if (lf == NULL || (lf->path = strdup(path)) == NULL) {
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
	free(lf);
}
