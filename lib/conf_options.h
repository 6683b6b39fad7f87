/*
 * conf_options.h — the program options, one row each.
 *
 * Private to lib/ (and the unit tests).  Each row of conf_program_options[]
 * says everything the configuration module needs to know about one option
 * of a `program NAME { ... }` section: its name, the kind of value, the
 * default as it would be written in a file, bounds, and where it lives in
 * struct program_conf.  The libconfuse schema, the conversion to struct
 * program_conf, `mwsupd -t -v` printing (conf_print.c), the equality used
 * by reload (program_conf_equal) and freeing are all driven by the rows,
 * so a new option is one row plus its field (see doc/DESIGN.md, "How to
 * add an option").
 */
#ifndef MWSUP_CONF_OPTIONS_H
#define MWSUP_CONF_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "conf.h"
#include "msglist.h"

/* What an option's value is, and so how it is converted, printed, compared. */
enum conf_kind {
	CONF_KIND_COMMAND,	/* char *: a command line, split into `words`
				   (compared by words, not spelling) */
	CONF_KIND_STRING,	/* char *: NULL when unset, never empty */
	CONF_KIND_USER,		/* CONF_KIND_STRING naming a user that must
				   exist (not checked in client mode) */
	CONF_KIND_INT,		/* int: a whole number, min..max */
	CONF_KIND_BOOL,		/* bool: true/yes/on, false/no/off */
	CONF_KIND_CHOICE,	/* an int-sized enum: one of `choices` */
	CONF_KIND_SIGNAL,	/* int: a signal number, one of `choices` */
	CONF_KIND_MODE,		/* int: octal 0..0777, -1 when unset */
	CONF_KIND_EXIT_CODES,	/* unsigned char[32]: list of codes 0..255 */
	CONF_KIND_ENVIRONMENT,	/* char **: list of "KEY=VALUE", unique KEYs */
};

/* One spelling of a CONF_KIND_CHOICE or CONF_KIND_SIGNAL value. */
struct conf_choice {
	const char	*name;
	int		 value;
};

/* Row flags. */
#define CONF_OPT_REQUIRED	0x01	/* no default: must be set */
#define CONF_OPT_EXPAND		0x02	/* %(...) expansions checked at load */
#define CONF_OPT_ICASE		0x04	/* choices match in any case */
#define CONF_OPT_NAME_DEFAULT	0x08	/* unset: the program's name */

struct conf_option {
	const char	*name;
	enum conf_kind	 kind;
	const char	*def;		/* as written in a file; NULL: unset */
	long long	 min, max;	/* CONF_KIND_INT bounds */
	size_t		 offset;	/* of the field in struct program_conf */
	const struct conf_choice *choices; /* CHOICE and SIGNAL; {NULL}-ended;
					   the first spelling of a value is
					   the one printed */
	const char	*hint;		/* CHOICE, SIGNAL, MODE: what is valid */
	unsigned int	 flags;		/* CONF_OPT_* */
	const char	*unset;		/* printed as "# NAME: UNSET" */
	const char	*sample;	/* a valid value other than the default,
					   as written in a file (unit tests) */
};

extern const struct conf_option conf_program_options[];
extern const size_t conf_program_noptions;

/* The row called NAME, or NULL. */
const struct conf_option *conf_option_find(const char *name);

/* True when option O is a list (`name = {...}`) in the file. */
bool	conf_option_is_list(const struct conf_option *o);

/*
 * Convert the N strings VALUES (one unless a list) of option O into PC's
 * field, appending each problem to MSGS as "NAME = VALUE: must be ..."
 * (without file, line or program).  CHECK_USER: look CONF_KIND_USER
 * values up.  Returns 0, or -1 when anything was wrong.
 */
int	conf_option_convert(const struct conf_option *o,
	    struct program_conf *pc, const char *const *values, size_t n,
	    bool check_user, struct msglist *msgs);

/* Check a "KEY=VALUE" list (for the global environment too). */
int	conf_environment_check(char *const *env, struct msglist *msgs);

/* Free PC's field of option O (and set it to its zero value). */
void	conf_option_free(const struct conf_option *o, struct program_conf *pc);

/* True when A and B hold the same value of option O. */
bool	conf_option_equal(const struct conf_option *o,
	    const struct program_conf *a, const struct program_conf *b);

/* Print option O of PC as `\tNAME = VALUE\n` (conf_print.c). */
void	conf_option_print(const struct conf_option *o,
	    const struct program_conf *pc, FILE *fp);

/* Print S as a double-quoted string libconfuse reads back as S. */
void	conf_print_quoted(FILE *fp, const char *s);

/* Parsers shared with the global options (conf.c). */
int	conf_parse_number(const char *s, long long *out);
int	conf_parse_mode(const char *s, int *out);
int	conf_parse_bool(const char *s, bool *out);
bool	conf_valid_env_name(const char *s, size_t len);

#endif /* MWSUP_CONF_OPTIONS_H */
