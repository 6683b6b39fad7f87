/* signame.h — signal names and numbers, both ways. */
#ifndef MWSUP_SIGNAME_H
#define MWSUP_SIGNAME_H

/*
 * Parse "TERM", "SIGTERM" (any case) or a decimal number 1..64 into a
 * signal number.  Returns -1 when S names no signal.
 */
int		 signame_parse(const char *s);

/* "TERM" for SIGTERM, or NULL when SIG has no name (real-time, invalid). */
const char	*signame_name(int sig);

#endif /* MWSUP_SIGNAME_H */
