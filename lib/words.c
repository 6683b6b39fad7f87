/*
 * words.c — POSIX-shell-like word splitting and %(...) expansion, without a
 * shell.
 *
 * Splitting follows the quoting rules of sh(1) for a simple command and
 * nothing else: no parameter, command, arithmetic, tilde or pathname
 * expansion, no comments, no operators.  A backslash before a newline
 * (outside single quotes) is a line continuation and vanishes, as in sh.
 *
 * Expansion follows supervisord's Python %-formatting subset:
 *	%%			a literal %
 *	%(program_name)s	the program's name
 *	%(process_num)d		the process number; "0" flag and a width
 *				allowed: %(process_num)02d, %(process_num)3d
 *				(%(process_num)s is accepted as well)
 *	%(numprocs)d		the program's numprocs (flags as above)
 *	%(here)s		directory of the file defining the program
 *	%(host_node_name)s	the host's name (uname -n)
 *	%(ENV_NAME)s		environment variable NAME, which must be set
 * Any other use of % is an error, so a stray % never silently changes
 * meaning.
 */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "words.h"
#include "xalloc.h"

#define EXPAND_WIDTH_MAX	32	/* widest %(process_num)NNd */

/* A growable string; xalloc'd, so appending cannot fail. */
struct buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

static void
buf_putn(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 64;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
buf_putc(struct buf *b, char c)
{
	buf_putn(b, &c, 1);
}

/* Format an error message into ERR, which may be NULL or zero-sized. */
static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

char **
words_split(const char *s, char *err, size_t errlen)
{
	struct buf word = { NULL, 0, 0 };
	char **v = NULL;
	size_t n = 0, cap = 0;
	bool in_word = false;
	const char *p = s;

	while (*p != '\0' || in_word) {
		if (*p == '\0' || is_blank(*p)) {
			if (in_word) {
				if (n + 2 > cap) {
					cap = cap ? cap * 2 : 8;
					v = xreallocarray(v, cap, sizeof(*v));
				}
				v[n++] = xstrdup(word.s ? word.s : "");
				word.len = 0;
				if (word.s != NULL)
					word.s[0] = '\0';
				in_word = false;
			}
			if (*p != '\0')
				p++;
			continue;
		}
		if (*p == '\\') {
			if (p[1] == '\0') {
				seterr(err, errlen, "trailing backslash");
				goto fail;
			}
			if (p[1] != '\n') {	/* \newline: continuation */
				buf_putc(&word, p[1]);
				in_word = true;
			}
			p += 2;
			continue;
		}
		in_word = true;
		if (*p == '\'') {
			const char *q = strchr(p + 1, '\'');

			if (q == NULL) {
				seterr(err, errlen,
				    "unterminated single quote");
				goto fail;
			}
			buf_putn(&word, p + 1, (size_t)(q - p - 1));
			p = q + 1;
		} else if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\0') {
					seterr(err, errlen,
					    "unterminated double quote");
					goto fail;
				}
				if (*p == '\\' && p[1] != '\0' &&
				    strchr("$`\"\\\n", p[1]) != NULL) {
					if (p[1] != '\n')
						buf_putc(&word, p[1]);
					p++;
					continue;
				}
				buf_putc(&word, *p);
			}
			p++;
		} else
			buf_putc(&word, *p++);
	}
	free(word.s);
	if (n == 0) {
		seterr(err, errlen, "empty command");
		free(v);
		return NULL;
	}
	v[n] = NULL;
	return v;

fail:
	free(word.s);
	if (v != NULL) {
		v[n] = NULL;
		strv_free(v);
	}
	return NULL;
}

/* True when the LEN bytes at NAME are WORD. */
static bool
is_name(const char *name, size_t len, const char *word)
{
	return len == strlen(word) && strncmp(name, word, len) == 0;
}

/*
 * Expand one %(NAME)... sequence starting at *PP (pointing at the '%').
 * Appends the value to OUT and advances *PP past the sequence, or returns
 * -1 with a message in ERR.
 */
static int
expand_one(const char **pp, const struct expand_ctx *ctx, struct buf *out,
    char *err, size_t errlen)
{
	const char *p = *pp, *name, *close, *conv;
	const char *value = NULL;
	char numbuf[EXPAND_WIDTH_MAX + 24];
	size_t namelen;
	int seqlen, width = 0;
	bool zero = false;

	name = p + 2;
	close = strchr(name, ')');
	if (close == NULL) {
		seterr(err, errlen, "unterminated expansion \"%s\": "
		    "missing ')'", p);
		return -1;
	}
	namelen = (size_t)(close - name);
	conv = close + 1;
	if (*conv == '0') {
		zero = true;
		conv++;
	}
	while (isdigit((unsigned char)*conv)) {
		width = width * 10 + (*conv - '0');
		if (width > EXPAND_WIDTH_MAX) {
			seterr(err, errlen, "expansion \"%.*s\": width is "
			    "larger than %d", (int)(conv - p + 1), p,
			    EXPAND_WIDTH_MAX);
			return -1;
		}
		conv++;
	}
	if (*conv != 's' && *conv != 'd') {
		seterr(err, errlen, "incomplete expansion \"%.*s\": expected "
		    "s (or d for process_num) after ')'", (int)(conv - p), p);
		return -1;
	}
	seqlen = (int)(conv - p + 1);

	if (is_name(name, namelen, "process_num") ||
	    is_name(name, namelen, "numprocs")) {
		snprintf(numbuf, sizeof(numbuf), zero ? "%0*d" : "%*d",
		    width, *name == 'p' ? ctx->process_num : ctx->numprocs);
		value = numbuf;
	} else if (conv != close + 1) {
		seterr(err, errlen, "expansion %.*s: a width or 0 flag is only "
		    "allowed with %%(process_num)d", seqlen, p);
		return -1;
	} else if (is_name(name, namelen, "program_name")) {
		value = ctx->program_name;
	} else if (is_name(name, namelen, "here")) {
		value = ctx->here;
	} else if (is_name(name, namelen, "host_node_name")) {
		if ((value = ctx->host_node_name) == NULL) {
			seterr(err, errlen, "%.*s: the host name is not "
			    "known", seqlen, p);
			return -1;
		}
	} else if (namelen > 4 && strncmp(name, "ENV_", 4) == 0) {
		char var[256];

		if (namelen - 4 >= sizeof(var)) {
			seterr(err, errlen, "expansion %.*s: variable name "
			    "too long", seqlen, p);
			return -1;
		}
		memcpy(var, name + 4, namelen - 4);
		var[namelen - 4] = '\0';
		value = getenv(var);
		if (value == NULL) {
			seterr(err, errlen, "%.*s: %s is not set", seqlen, p,
			    var);
			return -1;
		}
	}
	if (value == NULL) {
		seterr(err, errlen, "unknown expansion %.*s", seqlen, p);
		return -1;
	}
	if (*conv == 'd' && value != numbuf) {
		seterr(err, errlen, "expansion %.*s: %.*s is a string, "
		    "write %%(%.*s)s", seqlen, p, (int)namelen, name,
		    (int)namelen, name);
		return -1;
	}
	buf_putn(out, value, strlen(value));
	*pp = conv + 1;
	return 0;
}

char *
words_expand(const char *s, const struct expand_ctx *ctx, char *err,
    size_t errlen)
{
	struct buf out = { NULL, 0, 0 };
	const char *p = s;

	buf_putn(&out, "", 0);
	while (*p != '\0') {
		const char *pct = strchr(p, '%');

		if (pct == NULL) {
			buf_putn(&out, p, strlen(p));
			break;
		}
		buf_putn(&out, p, (size_t)(pct - p));
		p = pct;
		if (p[1] == '%') {
			buf_putc(&out, '%');
			p += 2;
		} else if (p[1] == '(') {
			if (expand_one(&p, ctx, &out, err, errlen) == -1)
				goto fail;
		} else {
			seterr(err, errlen, "stray '%%' in \"%s\": write %%%% "
			    "for a literal %%", s);
			goto fail;
		}
	}
	return out.s;

fail:
	free(out.s);
	return NULL;
}
