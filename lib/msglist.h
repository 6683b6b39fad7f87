/*
 * msglist.h — a growable list of messages (configuration errors, reload
 * reports) that a module collects and its caller prints or sends.
 */
#ifndef MWSUP_MSGLIST_H
#define MWSUP_MSGLIST_H

#include <stddef.h>

struct msglist {
	char	**msgs;
	size_t	  n;
	size_t	  cap;
};

#define MSGLIST_INIT	{ NULL, 0, 0 }

/* Append a printf-formatted message.  Out of memory aborts the program. */
void	msglist_add(struct msglist *ml, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Free every message and reset ML to empty. */
void	msglist_clear(struct msglist *ml);

#endif /* MWSUP_MSGLIST_H */
