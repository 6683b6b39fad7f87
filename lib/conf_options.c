/*
 * conf_options.c — the table of program options and what each kind of
 * value means: conversion from the strings libconfuse read, equality and
 * freeing.  Printing is in conf_print.c, loading in conf.c.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf_options.h"
#include "signame.h"
#include "words.h"
#include "xalloc.h"

/* The fields the kinds write are plain ints, so enums must be int-sized. */
_Static_assert(sizeof(enum autorestart) == sizeof(int), "enum size");
_Static_assert(sizeof(enum killmode) == sizeof(int), "enum size");

#define FIELD(pc, o, type)	((type *)(void *)((char *)(pc) + (o)->offset))
typedef char **strv;	/* so that const applies to the pointer */

#define CFIELD(pc, o, type)	((const type *)(const void *) \
				    ((const char *)(pc) + (o)->offset))
#define OFF(field)		offsetof(struct program_conf, field)

static const struct conf_choice autorestart_choices[] = {
	{ "false", AUTORESTART_FALSE }, { "unexpected", AUTORESTART_UNEXPECTED },
	{ "true", AUTORESTART_TRUE },
	{ "no", AUTORESTART_FALSE }, { "off", AUTORESTART_FALSE },
	{ "yes", AUTORESTART_TRUE }, { "on", AUTORESTART_TRUE },
	{ NULL, 0 }
};

static const struct conf_choice killmode_choices[] = {
	{ "group", KILLMODE_GROUP }, { "process", KILLMODE_PROCESS },
	{ NULL, 0 }
};

/* The stop signals a program may ask for, in the order the hint lists. */
static const struct conf_choice stopsignal_choices[] = {
	{ "TERM", SIGTERM }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "HUP", SIGHUP }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 },
	{ "USR2", SIGUSR2 },
	{ NULL, 0 }
};

/*
 * The program options, in the order `mwsupd -t -v` prints them.  To add an
 * option: a field in struct program_conf, a row here, a paragraph in
 * mwsup.conf(5); see doc/DESIGN.md.
 */
const struct conf_option conf_program_options[] = {
	{ .name = "command", .kind = CONF_KIND_COMMAND,
	  .offset = OFF(command), .flags = CONF_OPT_REQUIRED | CONF_OPT_EXPAND,
	  .unset = "none", .sample = "\"/bin/echo 2\"" },
	{ .name = "numprocs", .kind = CONF_KIND_INT, .def = "1",
	  .min = 1, .max = CONF_NUMPROCS_MAX, .offset = OFF(numprocs),
	  .sample = "2" },
	{ .name = "numprocs_start", .kind = CONF_KIND_INT, .def = "0",
	  .min = 0, .max = INT_MAX, .offset = OFF(numprocs_start),
	  .sample = "5" },
	{ .name = "autostart", .kind = CONF_KIND_BOOL, .def = "true",
	  .offset = OFF(autostart), .sample = "false" },
	{ .name = "autorestart", .kind = CONF_KIND_CHOICE, .def = "unexpected",
	  .offset = OFF(autorestart), .choices = autorestart_choices,
	  .hint = "must be true, false or unexpected",
	  .flags = CONF_OPT_ICASE, .sample = "true" },
	{ .name = "normal_exit", .kind = CONF_KIND_EXIT_CODES, .def = "{0}",
	  .offset = OFF(normal_exit), .sample = "{0, 2}" },
	{ .name = "startsecs", .kind = CONF_KIND_INT, .def = "1",
	  .min = 0, .max = CONF_SECS_MAX, .offset = OFF(startsecs),
	  .sample = "3" },
	{ .name = "startretries", .kind = CONF_KIND_INT, .def = "3",
	  .min = 0, .max = CONF_RETRIES_MAX, .offset = OFF(startretries),
	  .sample = "0" },
	{ .name = "stopsignal", .kind = CONF_KIND_SIGNAL, .def = "TERM",
	  .offset = OFF(stopsignal), .choices = stopsignal_choices,
	  .hint = "must be one of TERM, INT, QUIT, HUP, KILL, USR1, USR2",
	  .sample = "KILL" },
	{ .name = "stopwaitsecs", .kind = CONF_KIND_INT, .def = "10",
	  .min = 0, .max = CONF_SECS_MAX, .offset = OFF(stopwaitsecs),
	  .sample = "30" },
	{ .name = "killmode", .kind = CONF_KIND_CHOICE, .def = "group",
	  .offset = OFF(killmode), .choices = killmode_choices,
	  .hint = "must be group or process", .sample = "process" },
	{ .name = "user", .kind = CONF_KIND_USER, .offset = OFF(user),
	  .unset = "none (do not switch)", .sample = "\"nobody\"" },
	{ .name = "directory", .kind = CONF_KIND_STRING,
	  .offset = OFF(directory), .flags = CONF_OPT_EXPAND,
	  .unset = "none (inherit)", .sample = "\"/tmp\"" },
	{ .name = "umask", .kind = CONF_KIND_MODE, .offset = OFF(umask),
	  .hint = "must be an octal mode between 0 and 0777, e.g. 022",
	  .unset = "inherited", .sample = "022" },
	{ .name = "environment", .kind = CONF_KIND_ENVIRONMENT,
	  .offset = OFF(environment), .flags = CONF_OPT_EXPAND,
	  .sample = "{\"A=1\"}" },
	{ .name = "priority", .kind = CONF_KIND_INT, .def = "999",
	  .min = 0, .max = INT_MAX, .offset = OFF(priority), .sample = "5" },
	{ .name = "lockfile", .kind = CONF_KIND_STRING, .offset = OFF(lockfile),
	  .flags = CONF_OPT_EXPAND, .unset = "none",
	  .sample = "\"/tmp/x.lock\"" },
	{ .name = "syslog_ident", .kind = CONF_KIND_STRING,
	  .offset = OFF(syslog_ident), .flags = CONF_OPT_NAME_DEFAULT,
	  .unset = "none", .sample = "\"other\"" },
};

const size_t conf_program_noptions =
    sizeof(conf_program_options) / sizeof(conf_program_options[0]);

const struct conf_option *
conf_option_find(const char *name)
{
	for (size_t i = 0; i < conf_program_noptions; i++)
		if (strcmp(conf_program_options[i].name, name) == 0)
			return &conf_program_options[i];
	return NULL;
}

bool
conf_option_is_list(const struct conf_option *o)
{
	return o->kind == CONF_KIND_EXIT_CODES ||
	    o->kind == CONF_KIND_ENVIRONMENT;
}

/* ------------------------------------------------------------ parsers */

/* Parse a decimal integer.  Returns -1 when S is not one. */
int
conf_parse_number(const char *s, long long *out)
{
	char *end;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (*end != '\0')
		return -1;
	return 0;
}

/* Parse an octal mode 0..0777 ("022", "0660").  Returns -1 if invalid. */
int
conf_parse_mode(const char *s, int *out)
{
	long v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '7')
			return -1;
		v = v * 8 + (*s - '0');
		if (v > 0777)
			return -1;
	}
	*out = (int)v;
	return 0;
}

/* Parse a boolean as libconfuse does.  Returns -1 if invalid. */
int
conf_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };

	for (size_t i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* A valid environment variable name: [A-Za-z_][A-Za-z0-9_]*. */
bool
conf_valid_env_name(const char *s, size_t len)
{
	if (len == 0 || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/* ------------------------------------------------------------ environment */

struct env_key {
	const char	*s;
	size_t		 len;	/* of the KEY */
	size_t		 index;
};

static int
env_key_cmp(const void *a, const void *b)
{
	const struct env_key *ka = a, *kb = b;
	size_t n = ka->len < kb->len ? ka->len : kb->len;
	int c = memcmp(ka->s, kb->s, n);

	if (c != 0)
		return c;
	if (ka->len != kb->len)
		return ka->len < kb->len ? -1 : 1;
	return ka->index < kb->index ? -1 : ka->index > kb->index;
}

/*
 * Every entry is KEY=VALUE with a valid KEY, and no KEY is set twice (an
 * entry repeating an earlier KEY is reported, in the order written).
 * Sorted, not compared pairwise: 100,000 entries must load at once.
 */
int
conf_environment_check(char *const *env, struct msglist *msgs)
{
	size_t n = strv_len(env), nkeys = 0;
	struct env_key *keys = xcalloc(n + 1, sizeof(*keys));
	bool *twice = xcalloc(n + 1, sizeof(*twice));
	bool *bad = xcalloc(n + 1, sizeof(*bad));
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(env[i], '=');

		if (eq == NULL || !conf_valid_env_name(env[i],
		    (size_t)(eq - env[i]))) {
			bad[i] = true;
			continue;
		}
		keys[nkeys].s = env[i];
		keys[nkeys].len = (size_t)(eq - env[i]);
		keys[nkeys].index = i;
		nkeys++;
	}
	if (nkeys > 1)
		qsort(keys, nkeys, sizeof(*keys), env_key_cmp);
	for (size_t k = 1; k < nkeys; k++)
		if (keys[k].len == keys[k - 1].len &&
		    memcmp(keys[k].s, keys[k - 1].s, keys[k].len) == 0)
			twice[keys[k].index] = true;
	for (size_t i = 0; i < n; i++) {
		const char *e = env[i], *eq = strchr(e, '=');

		if (bad[i] && eq == NULL)
			msglist_add(msgs, "environment: \"%s\" is not "
			    "KEY=VALUE", e);
		else if (bad[i])
			msglist_add(msgs, "environment: \"%s\": \"%.*s\" is not "
			    "a valid variable name (letters, digits and '_', "
			    "not starting with a digit)", e, (int)(eq - e), e);
		else if (twice[i])
			msglist_add(msgs, "environment: %.*s is set twice",
			    (int)(eq - e), e);
		else
			continue;
		rc = -1;
	}
	free(keys);
	free(twice);
	free(bad);
	return rc;
}

/* ------------------------------------------------------------ conversion */

static int
convert_user(const struct conf_option *o, const char *user, bool check_user,
    struct msglist *msgs)
{
	struct passwd *pw;

	if (!check_user)
		return 0;
	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			msglist_add(msgs, "%s = %s: cannot look up user: %s",
			    o->name, user, strerror(errno));
		else
			msglist_add(msgs, "%s = %s: no such user", o->name,
			    user);
		return -1;
	}
	if (geteuid() != 0 && pw->pw_uid != geteuid()) {
		msglist_add(msgs, "%s = %s: mwsupd must run as root to switch "
		    "users", o->name, user);
		return -1;
	}
	return 0;
}

static int
convert_choice(const struct conf_option *o, const char *s, int *out,
    struct msglist *msgs)
{
	for (const struct conf_choice *c = o->choices; c->name != NULL; c++) {
		if ((o->flags & CONF_OPT_ICASE) ? strcasecmp(c->name, s) == 0 :
		    strcmp(c->name, s) == 0) {
			*out = c->value;
			return 0;
		}
	}
	msglist_add(msgs, "%s = %s: %s", o->name, s, o->hint);
	return -1;
}

static int
convert_signal(const struct conf_option *o, const char *s, int *out,
    struct msglist *msgs)
{
	int sig = isalpha((unsigned char)s[0]) ? signame_parse(s) : -1;

	for (const struct conf_choice *c = o->choices; c->name != NULL; c++) {
		if (c->value == sig) {
			*out = sig;
			return 0;
		}
	}
	msglist_add(msgs, "%s = %s: %s", o->name, s, o->hint);
	return -1;
}

static int
convert_int(const struct conf_option *o, const char *s, int *out,
    struct msglist *msgs)
{
	long long v;

	if (conf_parse_number(s, &v) == -1) {
		msglist_add(msgs, "%s = %s: not a whole number", o->name, s);
		return -1;
	}
	if (v < o->min || v > o->max) {
		if (o->max == INT_MAX)
			msglist_add(msgs, "%s = %s: must be %lld or more",
			    o->name, s, o->min);
		else
			msglist_add(msgs, "%s = %s: must be between %lld and "
			    "%lld", o->name, s, o->min, o->max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int
conf_option_convert(const struct conf_option *o, struct program_conf *pc,
    const char *const *values, size_t n, bool check_user,
    struct msglist *msgs)
{
	const char *s = n > 0 ? values[0] : NULL;
	char err[256];
	int rc = 0;

	switch (o->kind) {
	case CONF_KIND_COMMAND:
		if (s == NULL)
			return 0;
		pc->command = xstrdup(s);
		if (s[strspn(s, " \t\n")] == '\0') {
			msglist_add(msgs, "%s must not be empty", o->name);
			return -1;
		}
		if ((pc->words = words_split(s, err, sizeof(err))) == NULL) {
			msglist_add(msgs, "%s: %s", o->name, err);
			return -1;
		}
		return 0;
	case CONF_KIND_STRING:
	case CONF_KIND_USER:
		if (s == NULL)
			return 0;
		if (*s == '\0') {
			msglist_add(msgs, "%s must not be empty", o->name);
			return -1;
		}
		*FIELD(pc, o, char *) = xstrdup(s);
		if (o->kind == CONF_KIND_USER)
			return convert_user(o, s, check_user, msgs);
		return 0;
	case CONF_KIND_INT:
		return convert_int(o, s, FIELD(pc, o, int), msgs);
	case CONF_KIND_BOOL:
		if (conf_parse_bool(s, FIELD(pc, o, bool)) == -1) {
			msglist_add(msgs, "%s = %s: must be true or false",
			    o->name, s);
			return -1;
		}
		return 0;
	case CONF_KIND_CHOICE:
		return convert_choice(o, s, FIELD(pc, o, int), msgs);
	case CONF_KIND_SIGNAL:
		return convert_signal(o, s, FIELD(pc, o, int), msgs);
	case CONF_KIND_MODE:
		*FIELD(pc, o, int) = -1;
		if (s != NULL && conf_parse_mode(s, FIELD(pc, o, int)) == -1) {
			msglist_add(msgs, "%s = %s: %s", o->name, s, o->hint);
			*FIELD(pc, o, int) = -1;
			return -1;
		}
		return 0;
	case CONF_KIND_EXIT_CODES: {
		unsigned char *map = FIELD(pc, o, unsigned char);
		long long v;

		memset(map, 0, sizeof(pc->normal_exit));
		for (size_t i = 0; i < n; i++) {
			if (conf_parse_number(values[i], &v) == -1 || v < 0 ||
			    v > 255) {
				msglist_add(msgs, "%s: %s is not an exit code "
				    "(0 to 255)", o->name, values[i]);
				rc = -1;
				continue;
			}
			map[v / 8] |= (unsigned char)(1u << (v % 8));
		}
		return rc;
	}
	case CONF_KIND_ENVIRONMENT: {
		char **env = xcalloc(n + 1, sizeof(char *));

		for (size_t i = 0; i < n; i++)
			env[i] = xstrdup(values[i]);
		*FIELD(pc, o, char **) = env;
		return conf_environment_check(env, msgs);
	}
	}
	return -1;
}

void
conf_option_free(const struct conf_option *o, struct program_conf *pc)
{
	switch (o->kind) {
	case CONF_KIND_COMMAND:
		free(pc->command);
		strv_free(pc->words);
		pc->command = NULL;
		pc->words = NULL;
		break;
	case CONF_KIND_STRING:
	case CONF_KIND_USER:
		free(*FIELD(pc, o, char *));
		*FIELD(pc, o, char *) = NULL;
		break;
	case CONF_KIND_ENVIRONMENT:
		strv_free(*FIELD(pc, o, char **));
		*FIELD(pc, o, char **) = NULL;
		break;
	case CONF_KIND_INT:
	case CONF_KIND_BOOL:
	case CONF_KIND_CHOICE:
	case CONF_KIND_SIGNAL:
	case CONF_KIND_MODE:
	case CONF_KIND_EXIT_CODES:
		break;
	}
}

/* ------------------------------------------------------------ equality */

static bool
str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
strv_equal(char *const *a, char *const *b)
{
	size_t i;

	if (a == NULL || b == NULL)
		return a == b;
	for (i = 0; a[i] != NULL && b[i] != NULL; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return a[i] == NULL && b[i] == NULL;
}

bool
conf_option_equal(const struct conf_option *o, const struct program_conf *a,
    const struct program_conf *b)
{
	switch (o->kind) {
	case CONF_KIND_COMMAND:
		/* The words run, however the command was spelt. */
		return strv_equal(a->words, b->words);
	case CONF_KIND_STRING:
	case CONF_KIND_USER:
		return str_equal(*CFIELD(a, o, char *), *CFIELD(b, o, char *));
	case CONF_KIND_INT:
	case CONF_KIND_CHOICE:
	case CONF_KIND_SIGNAL:
	case CONF_KIND_MODE:
		return *CFIELD(a, o, int) == *CFIELD(b, o, int);
	case CONF_KIND_BOOL:
		return *CFIELD(a, o, bool) == *CFIELD(b, o, bool);
	case CONF_KIND_EXIT_CODES:
		return memcmp(CFIELD(a, o, unsigned char),
		    CFIELD(b, o, unsigned char), sizeof(a->normal_exit)) == 0;
	case CONF_KIND_ENVIRONMENT:
		return strv_equal(*CFIELD(a, o, strv),
		    *CFIELD(b, o, strv));
	}
	return false;
}

/* Every row, plus the name and %(here)s; file and line do not count. */
bool
program_conf_equal(const struct program_conf *a, const struct program_conf *b)
{
	if (!str_equal(a->name, b->name) || !str_equal(a->here, b->here))
		return false;
	for (size_t i = 0; i < conf_program_noptions; i++)
		if (!conf_option_equal(&conf_program_options[i], a, b))
			return false;
	return true;
}
