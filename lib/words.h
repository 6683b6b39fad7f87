/*
 * words.h — POSIX-shell-like word splitting and %(...) expansion, without a
 * shell.  Pure functions on strings: no I/O, no global state.
 */
#ifndef MWSUP_WORDS_H
#define MWSUP_WORDS_H

#include <stddef.h>

/*
 * Split S into words as a POSIX shell splits a simple command: blanks
 * separate words; '...' quotes literally; "..." quotes with \ escaping only
 * $ ` " \ and newline; an unquoted \ quotes the next character; no
 * expansions of any kind are performed ($, `, *, ~ are plain characters).
 * Returns a NULL-terminated array (free with strv_free), or NULL with a
 * message in ERR: "unterminated single quote", "unterminated double quote",
 * "trailing backslash", "empty command".
 */
char	**words_split(const char *s, char *err, size_t errlen);

/* Values available to words_expand(). */
struct expand_ctx {
	const char	*program_name;
	int		 process_num;
	const char	*here;
	int		 numprocs;
	const char	*host_node_name; /* uname's nodename; NULL: unknown */
};

/*
 * Expand %(program_name)s, %(process_num)d and %(numprocs)d (with printf
 * flags "0" and a width, e.g. %(process_num)02d), %(here)s,
 * %(host_node_name)s, %(ENV_NAME)s (from the environment) and %% in S.  Returns a new string, or NULL with a message
 * in ERR such as "unknown expansion %(foo)s" or "%(ENV_X)s: X is not set".
 */
char	 *words_expand(const char *s, const struct expand_ctx *ctx,
	    char *err, size_t errlen);

#endif /* MWSUP_WORDS_H */
