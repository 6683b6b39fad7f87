/*
 * lockfile.h — the `lockfile` of programs (mwsup.conf(5)): exclusive
 * flock(2) locks, compatible with flock(1).  The processes of one program
 * share its lock, held by mwsupd while any of them runs; another program
 * naming the same file waits until they are done, in one mwsupd exactly
 * as in two.  Files are created when missing and never deleted; symbolic
 * links and non-regular files are refused, never followed.
 */
#ifndef MWSUP_LOCKFILE_H
#define MWSUP_LOCKFILE_H

#include <stddef.h>

struct lockfile;

/*
 * Take PATH for one more holder of program OWNER.  Returns the lock, or
 * NULL: then *BUSY tells whether someone else holds it (another program
 * of this mwsupd or another process: retry later) or it failed (REASON
 * says why, naming the path: a symbolic link, not a regular file, cannot
 * open, ...).
 */
struct lockfile	*lockfile_take(const char *path, const char *owner,
		    int *busy, char *reason, size_t len);
/* One holder fewer; the lock is released when none is left. */
void		 lockfile_give(struct lockfile *lf);

#endif /* MWSUP_LOCKFILE_H */
