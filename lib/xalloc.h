/*
 * xalloc.h — allocation that cannot fail from the caller's point of view.
 *
 * Used for start-up and configuration data, where running out of memory
 * leaves nothing sensible to do.  Hot paths in mwsupd that must survive
 * memory pressure use plain malloc and handle NULL themselves.
 */
#ifndef MWSUP_XALLOC_H
#define MWSUP_XALLOC_H

#include <stddef.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
void	*xreallocarray(void *ptr, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Free a NULL-terminated array of strings and the array; NULL is fine. */
void	 strv_free(char **v);
/* Number of strings in a NULL-terminated array. */
size_t	 strv_len(char *const *v);

#endif /* MWSUP_XALLOC_H */
