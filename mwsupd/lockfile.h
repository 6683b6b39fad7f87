/*
 * lockfile.h — the `lockfile` of programs (SPEC §4): exclusive flock(2)
 * locks, compatible with flock(1), held by mwsupd on behalf of every
 * process that uses the same path.  Files are created when missing and
 * never deleted.
 */
#ifndef MWSUP_LOCKFILE_H
#define MWSUP_LOCKFILE_H

#include <stddef.h>

struct lockfile;

/*
 * Take PATH for one more holder.  Returns the lock, or NULL: then *BUSY
 * tells whether someone else holds it (retry later) or it failed (REASON
 * says why: cannot open, ...).
 */
struct lockfile	*lockfile_take(const char *path, int *busy, char *reason,
		    size_t len);
/* One holder fewer; the lock is released when none is left. */
void		 lockfile_give(struct lockfile *lf);

#endif /* MWSUP_LOCKFILE_H */
