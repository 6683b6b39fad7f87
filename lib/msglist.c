/* msglist.c — a growable list of messages. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "msglist.h"
#include "xalloc.h"

void
msglist_add(struct msglist *ml, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		fputs("out of memory\n", stderr);
		abort();
	}
	va_end(ap);
	if (ml->n == ml->cap) {
		ml->cap = ml->cap ? ml->cap * 2 : 8;
		ml->msgs = xreallocarray(ml->msgs, ml->cap, sizeof(*ml->msgs));
	}
	ml->msgs[ml->n++] = s;
}

void
msglist_clear(struct msglist *ml)
{
	for (size_t i = 0; i < ml->n; i++)
		free(ml->msgs[i]);
	free(ml->msgs);
	ml->msgs = NULL;
	ml->n = ml->cap = 0;
}
