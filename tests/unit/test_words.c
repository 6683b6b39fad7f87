/* test_words.c — words_split() and words_expand(). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "words.h"
#include "xalloc.h"

/* Split S and check the words against the NULL-terminated list. */
static void
check_split(const char *s, ...)
{
	char err[128] = "";
	char **v;
	const char *want;
	size_t i = 0;
	va_list ap;

	v = words_split(s, err, sizeof(err));
	if (v == NULL)
		fail_msg("words_split(\"%s\") failed: %s", s, err);
	va_start(ap, s);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (v[i] == NULL)
			fail_msg("words_split(\"%s\"): word %zu missing, "
			    "expected \"%s\"", s, i, want);
		assert_string_equal(v[i], want);
		i++;
	}
	va_end(ap);
	if (v[i] != NULL)
		fail_msg("words_split(\"%s\"): extra word \"%s\"", s, v[i]);
	strv_free(v);
}

static void
check_split_error(const char *s, const char *message)
{
	char err[128] = "";
	char **v;

	v = words_split(s, err, sizeof(err));
	if (v != NULL) {
		strv_free(v);
		fail_msg("words_split(\"%s\") succeeded", s);
	}
	assert_string_equal(err, message);
}

static void
test_split_blanks(void **state)
{
	(void)state;
	check_split("a", "a", NULL);
	check_split("a b\tc\nd", "a", "b", "c", "d", NULL);
	check_split("  lead  and   trail \t\n", "lead", "and", "trail", NULL);
	check_split("/usr/bin/php worker.php --slot 3", "/usr/bin/php",
	    "worker.php", "--slot", "3", NULL);
}

static void
test_split_single_quotes(void **state)
{
	(void)state;
	check_split("'a b' c", "a b", "c", NULL);
	check_split("x'y z'w", "xy zw", NULL);
	check_split("'a\\b'", "a\\b", NULL);		/* literal backslash */
	check_split("'\"$HOME\"'", "\"$HOME\"", NULL);
	check_split("'line\nbreak'", "line\nbreak", NULL);
}

static void
test_split_double_quotes(void **state)
{
	(void)state;
	check_split("\"a b\" c", "a b", "c", NULL);
	/* \ escapes only $ ` " \ and newline inside "..." */
	check_split("\"\\$x \\` \\\" \\\\\"", "$x ` \" \\", NULL);
	check_split("\"\\n\\a\"", "\\n\\a", NULL);
	check_split("\"a\\\nb\"", "ab", NULL);		/* continuation */
	check_split("\"it's\"", "it's", NULL);
	check_split("pre\"mid dle\"post", "premid dlepost", NULL);
}

static void
test_split_backslash(void **state)
{
	(void)state;
	check_split("a\\ b", "a b", NULL);
	check_split("\\'x\\'", "'x'", NULL);
	check_split("\\\"", "\"", NULL);
	check_split("\\\\", "\\", NULL);
	check_split("a\\\nb", "ab", NULL);		/* continuation */
	check_split("a \\\n b", "a", "b", NULL);
}

static void
test_split_empty_words(void **state)
{
	(void)state;
	check_split("''", "", NULL);
	check_split("\"\"", "", NULL);
	check_split("a '' b", "a", "", "b", NULL);
	check_split("a \"\"", "a", "", NULL);
}

static void
test_split_no_expansion(void **state)
{
	(void)state;
	check_split("echo $HOME * ~ `date` $(x) %(here)s",
	    "echo", "$HOME", "*", "~", "`date`", "$(x)", "%(here)s", NULL);
	check_split("a;b|c", "a;b|c", NULL);
}

static void
test_split_errors(void **state)
{
	char err[8];
	char **v;

	(void)state;
	check_split_error("'abc", "unterminated single quote");
	check_split_error("a 'b c", "unterminated single quote");
	check_split_error("\"abc", "unterminated double quote");
	check_split_error("\"abc\\\"", "unterminated double quote");
	check_split_error("abc\\", "trailing backslash");
	check_split_error("", "empty command");
	check_split_error(" \t\n ", "empty command");
	check_split_error("\\\n", "empty command");
	/* A short or absent error buffer is fine. */
	v = words_split("'x", err, sizeof(err));
	assert_null(v);
	assert_string_equal(err, "untermi");
	assert_null(words_split("'x", NULL, 0));
}

static const struct expand_ctx ctx = { "web", 7, "/etc/mwsup", 4, "node1" };

static void
check_expand(const char *s, int num, const char *want)
{
	struct expand_ctx c = ctx;
	char err[128] = "";
	char *v;

	c.process_num = num;
	v = words_expand(s, &c, err, sizeof(err));
	if (v == NULL)
		fail_msg("words_expand(\"%s\") failed: %s", s, err);
	assert_string_equal(v, want);
	free(v);
}

static void
check_expand_error(const char *s, const char *message)
{
	char err[128] = "";
	char *v;

	v = words_expand(s, &ctx, err, sizeof(err));
	if (v != NULL) {
		free(v);
		fail_msg("words_expand(\"%s\") succeeded", s);
	}
	assert_string_equal(err, message);
}

static void
test_expand_names(void **state)
{
	(void)state;
	check_expand("", 7, "");
	check_expand("plain text", 7, "plain text");
	check_expand("%(program_name)s", 7, "web");
	check_expand("%(here)s/run", 7, "/etc/mwsup/run");
	check_expand("%(program_name)s:%(process_num)d", 7, "web:7");
	check_expand("%(process_num)s", 12, "12");
	check_expand("100%% %%(here)s", 7, "100% %(here)s");
	check_expand("%%%%", 7, "%%");
}

static void
test_expand_width(void **state)
{
	(void)state;
	check_expand("%(process_num)02d", 7, "07");
	check_expand("%(process_num)02d", 123, "123");
	check_expand("%(process_num)03d", 0, "000");
	check_expand("%(process_num)5d", 42, "   42");
	check_expand("%(process_num)0d", 42, "42");
	check_expand("slot-%(process_num)04d.log", 9, "slot-0009.log");
	check_expand("%(process_num)d", -1, "-1");
}

static void
test_expand_env(void **state)
{
	(void)state;
	assert_int_equal(setenv("MWSUP_TEST_X", "a b", 1), 0);
	assert_int_equal(setenv("MWSUP_TEST_EMPTY", "", 1), 0);
	unsetenv("MWSUP_TEST_UNSET");
	check_expand("%(ENV_MWSUP_TEST_X)s", 7, "a b");
	check_expand("[%(ENV_MWSUP_TEST_EMPTY)s]", 7, "[]");
	check_expand_error("%(ENV_MWSUP_TEST_UNSET)s",
	    "%(ENV_MWSUP_TEST_UNSET)s: MWSUP_TEST_UNSET is not set");
	unsetenv("MWSUP_TEST_X");
	unsetenv("MWSUP_TEST_EMPTY");
}

/* supervisord's %(numprocs)d and %(host_node_name)s. */
static void
test_expand_supervisord(void **state)
{
	struct expand_ctx c = ctx;
	char err[128] = "";

	(void)state;
	check_expand("%(numprocs)d", 7, "4");
	check_expand("%(process_num)d/%(numprocs)02d", 3, "3/04");
	check_expand("%(numprocs)s", 7, "4");
	check_expand("%(host_node_name)s:%(program_name)s", 7, "node1:web");
	check_expand_error("%(host_node_name)d", "expansion "
	    "%(host_node_name)d: host_node_name is a string, write "
	    "%(host_node_name)s");
	check_expand_error("%(host_node_name)02s", "expansion "
	    "%(host_node_name)02s: a width or 0 flag is only allowed with "
	    "%(process_num)d");
	c.host_node_name = NULL;
	assert_null(words_expand("%(host_node_name)s", &c, err, sizeof(err)));
	assert_string_equal(err, "%(host_node_name)s: the host name is not "
	    "known");
}

static void
test_expand_errors(void **state)
{
	(void)state;
	check_expand_error("%(foo)s", "unknown expansion %(foo)s");
	check_expand_error("x %(process_number)d y",
	    "unknown expansion %(process_number)d");
	check_expand_error("%(ENV_)s", "unknown expansion %(ENV_)s");
	check_expand_error("%(PROGRAM_NAME)s",
	    "unknown expansion %(PROGRAM_NAME)s");
	check_expand_error("%(here",
	    "unterminated expansion \"%(here\": missing ')'");
	check_expand_error("%(here)",
	    "incomplete expansion \"%(here)\": expected s (or d for "
	    "process_num) after ')'");
	check_expand_error("%(here)x",
	    "incomplete expansion \"%(here)\": expected s (or d for "
	    "process_num) after ')'");
	check_expand_error("%(process_num)02",
	    "incomplete expansion \"%(process_num)02\": expected s (or d "
	    "for process_num) after ')'");
	check_expand_error("%(here)5s", "expansion %(here)5s: a width or 0 "
	    "flag is only allowed with %(process_num)d");
	check_expand_error("%(program_name)d", "expansion %(program_name)d: "
	    "program_name is a string, write %(program_name)s");
	check_expand_error("%(process_num)99d", "expansion "
	    "\"%(process_num)99\": width is larger than 32");
	check_expand_error("date +%s",
	    "stray '%' in \"date +%s\": write %% for a literal %");
	check_expand_error("50%", "stray '%' in \"50%\": write %% for a "
	    "literal %");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_blanks),
		cmocka_unit_test(test_split_single_quotes),
		cmocka_unit_test(test_split_double_quotes),
		cmocka_unit_test(test_split_backslash),
		cmocka_unit_test(test_split_empty_words),
		cmocka_unit_test(test_split_no_expansion),
		cmocka_unit_test(test_split_errors),
		cmocka_unit_test(test_expand_names),
		cmocka_unit_test(test_expand_width),
		cmocka_unit_test(test_expand_env),
		cmocka_unit_test(test_expand_supervisord),
		cmocka_unit_test(test_expand_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
