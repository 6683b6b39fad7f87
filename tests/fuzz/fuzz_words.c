/*
 * fuzz_words.c — libFuzzer target: command word splitting and %(...)
 * expansion (lib/words.c).
 *
 * The input (up to its first NUL) is split with words_split(); each word
 * is expanded with words_expand() for two contexts, and so is the whole
 * input.  Checks: a split that succeeds gives at least one word and no
 * NULL inside the array; an error always comes with a message.
 * Built and run by tests/fuzz/run.sh.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "words.h"
#include "xalloc.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("FUZZ_VAR", "a b", 1);
	setenv("EMPTY", "", 1);
	return 0;
}

static void
expand(const char *s, const struct expand_ctx *ctx)
{
	char err[256];
	char *out;

	err[0] = '\0';
	out = words_expand(s, ctx, err, sizeof(err));
	if (out == NULL && err[0] == '\0') {
		fprintf(stderr, "fuzz_words: words_expand failed without a "
		    "message\n");
		abort();
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct expand_ctx ctx[2] = {
		{ "web", 0, "/etc/mwsup.d", 1, "node1" },
		{ "a-very.long_program-name", 99999, "", 100000, NULL },
	};
	char err[256];
	char *s, **w;

	if (size > 65536)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	err[0] = '\0';
	w = words_split(s, err, sizeof(err));
	if (w == NULL) {
		if (err[0] == '\0') {
			fprintf(stderr, "fuzz_words: words_split failed "
			    "without a message\n");
			abort();
		}
	} else {
		if (w[0] == NULL) {
			fprintf(stderr, "fuzz_words: words_split gave no "
			    "word without an error\n");
			abort();
		}
		for (char **p = w; *p != NULL; p++) {
			expand(*p, &ctx[0]);
			expand(*p, &ctx[1]);
		}
		strv_free(w);
	}
	expand(s, &ctx[0]);
	expand(s, &ctx[1]);
	free(s);
	return 0;
}
