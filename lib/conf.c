/*
 * conf.c — load, validate, print and compare mwsup's configuration.
 *
 * How a file is read:
 *
 *  - Every option is declared to libconfuse as a string (or a list of
 *    strings) and converted here.  libconfuse stops at the first value it
 *    cannot convert; doing the conversion ourselves lets one run report
 *    every bad value, each in words an operator understands.
 *
 *  - libconfuse keeps no line numbers for option values, so each option has
 *    a validation callback that notes the line where it was set (the line
 *    of the value, or of the closing '}' of a list).  A program's own line
 *    is the line of its opening '{', taken from the enclosing tree (whose
 *    line stands still while the section is parsed).
 *
 *  - Each `program` section is converted to a struct program_conf, and
 *    removed from the libconfuse tree, by the section's validation callback
 *    the moment it closes.  libconfuse silently replaces an earlier section
 *    of the same title; converting first means both definitions are seen,
 *    so a duplicate is reported with the place of the first one.
 *
 *  - Each file is read into memory and scanned by file_read() first, as
 *    libconfuse's lexer sees it (strings, comments, braces): libconfuse 3.x
 *    takes the end of a file as the end of an open section, so a truncated
 *    file would load, and 3.3 miscounts lines after a comment.  The scan
 *    rejects an unterminated string or comment and an unclosed '{', and
 *    blanks out comments (newlines kept) before libconfuse parses the text.
 *
 *  - include("FILE") reads FILE as libconfuse's include would, at the place
 *    of the call, but as a nested parse of its own (so it gets the same
 *    scan); a relative FILE is taken relative to the directory of the file
 *    that includes it (as supervisord does).  Global options set in an
 *    included file count as set in the including one.  A missing file is
 *    reported and skipped, so the rest of the file is still checked.
 *
 *  - include_dir (relative: to the main file's directory) names a directory
 *    whose regular files called *.conf, not starting with '.', are read
 *    after the main file in byte order of their names.  Those files hold
 *    `program` sections and include() only: a global option there is an
 *    error (globals belong to the main file, so that one place says where
 *    the socket and pidfile are).  The main file itself is skipped if it
 *    lies in that directory.
 *
 * libconfuse's lexer has global state, so conf_load() is not reentrant;
 * the load in progress is reached from the callbacks through `loading`.
 *
 * %(here)s is the realpath of the directory of the file that defines the
 * program; it is part of struct program_conf and compared by
 * program_conf_equal().  conf_print() does not print it: a printed
 * configuration loaded from another directory has another `here`.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/un.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <confuse.h>

#include "conf.h"
#include "signame.h"
#include "words.h"
#include "xalloc.h"

#define CONF_FILE_MAX	(16 * 1024 * 1024)	/* largest file we read */
#define BRACE_DEPTH_MAX	64			/* '{' lines remembered */
#define INCLUDE_DEPTH_MAX 10			/* nested include() */

/* Program options, in the order conf_print() prints them. */
enum popt {
	P_COMMAND, P_NUMPROCS, P_NUMPROCS_START, P_AUTOSTART, P_AUTORESTART,
	P_NORMAL_EXIT, P_STARTSECS, P_STARTRETRIES, P_STOPSIGNAL,
	P_STOPWAITSECS, P_KILLMODE, P_USER, P_DIRECTORY, P_UMASK,
	P_ENVIRONMENT, P_PRIORITY, P_LOCKFILE, P_SYSLOG_IDENT,
	P_NOPTS
};

/* Global options. */
enum gopt {
	G_SOCKET, G_SOCKET_MODE, G_SOCKET_GROUP, G_PIDFILE, G_LOG_FACILITY,
	G_LOG_TARGET, G_EXIT_WHEN_DONE, G_INCLUDE_DIR,
	G_NOPTS
};

static const char *const popt_names[P_NOPTS] = {
	"command", "numprocs", "numprocs_start", "autostart", "autorestart",
	"normal_exit", "startsecs", "startretries", "stopsignal",
	"stopwaitsecs", "killmode", "user", "directory", "umask",
	"environment", "priority", "lockfile", "syslog_ident",
};

static const char *const gopt_names[G_NOPTS] = {
	"socket", "socket_mode", "socket_group", "pidfile", "log_facility",
	"log_target", "exit_when_done", "include_dir",
};

/* One load in progress. */
static bool	client_mode;	/* see conf_set_client_mode() */

struct load {
	struct msglist	*errs;
	const char	*mainpath;	/* the file given to conf_load() */
	char		*mainabs;	/* the same, absolute (for paths) */
	cfg_t		*root;		/* tree being parsed */
	int		 depth;		/* files being parsed (include()) */
	bool		 in_include_dir; /* parsing an include_dir file */

	/* The program section being parsed, once one of its options seen. */
	cfg_t		*sec;
	int		 sec_line;	/* line of its '{' */
	int		 popt_line[P_NOPTS];	/* 0: not set */

	/* Each global option's value (NULL: default) and where it was set. */
	char		*gopt_value[G_NOPTS];
	char		*gopt_file[G_NOPTS];
	int		 gopt_line[G_NOPTS];

	struct program_conf **programs;	/* in order of definition */
	size_t		 nprograms;
	size_t		 programs_cap;
};

static struct load *loading;

static int	program_option_cb(cfg_t *, cfg_opt_t *);
static int	program_closed_cb(cfg_t *, cfg_opt_t *);
static int	global_option_cb(cfg_t *, cfg_opt_t *);
static int	include_cb(cfg_t *, cfg_opt_t *, int, const char **);

/*
 * The schema.  Every value is a string converted by this file; the
 * defaults below go through the same conversion.
 */
#define OPT_STR(n, d, cb)	{ .name = (n), .type = CFGT_STR, \
				  .def.string = (d), .validcb = (cb) }
#define OPT_LIST(n, d, cb)	{ .name = (n), .type = CFGT_STR, \
				  .flags = CFGF_LIST, .def.parsed = (d), \
				  .validcb = (cb) }

static char normal_exit_default[] = "{0}";

static cfg_opt_t program_opts[] = {
	OPT_STR("command", NULL, program_option_cb),
	OPT_STR("numprocs", "1", program_option_cb),
	OPT_STR("numprocs_start", "0", program_option_cb),
	OPT_STR("autostart", "true", program_option_cb),
	OPT_STR("autorestart", "unexpected", program_option_cb),
	OPT_LIST("normal_exit", normal_exit_default, program_option_cb),
	OPT_STR("startsecs", "1", program_option_cb),
	OPT_STR("startretries", "3", program_option_cb),
	OPT_STR("stopsignal", "TERM", program_option_cb),
	OPT_STR("stopwaitsecs", "10", program_option_cb),
	OPT_STR("killmode", "group", program_option_cb),
	OPT_STR("user", NULL, program_option_cb),
	OPT_STR("directory", NULL, program_option_cb),
	OPT_STR("umask", NULL, program_option_cb),
	OPT_LIST("environment", NULL, program_option_cb),
	OPT_STR("priority", "999", program_option_cb),
	OPT_STR("lockfile", NULL, program_option_cb),
	OPT_STR("syslog_ident", NULL, program_option_cb),
	CFG_END()
};

static cfg_opt_t root_opts[] = {
	OPT_STR("socket", RUNSTATEDIR "/mwsup.sock", global_option_cb),
	OPT_STR("socket_mode", "0600", global_option_cb),
	OPT_STR("socket_group", NULL, global_option_cb),
	OPT_STR("pidfile", RUNSTATEDIR "/mwsupd.pid", global_option_cb),
	OPT_STR("log_facility", "daemon", global_option_cb),
	OPT_STR("log_target", "syslog", global_option_cb),
	OPT_STR("exit_when_done", "false", global_option_cb),
	OPT_STR("include_dir", NULL, global_option_cb),
	{ .name = "program", .type = CFGT_SEC, .subopts = program_opts,
	  .flags = CFGF_MULTI | CFGF_TITLE, .validcb = program_closed_cb },
	{ .name = "include", .type = CFGT_FUNC, .func = include_cb },
	CFG_END()
};

static const struct {
	const char	*name;
	int		 facility;
} facilities[] = {
	{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
	{ "cron", LOG_CRON }, { "daemon", LOG_DAEMON }, { "ftp", LOG_FTP },
	{ "kern", LOG_KERN }, { "lpr", LOG_LPR }, { "mail", LOG_MAIL },
	{ "news", LOG_NEWS }, { "syslog", LOG_SYSLOG }, { "user", LOG_USER },
	{ "uucp", LOG_UUCP },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

/* The stop signals a program may ask for, in the order the errors list. */
static const int stopsignals[] = {
	SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGKILL, SIGUSR1, SIGUSR2,
};

/* ------------------------------------------------------------ names */

const char *
autorestart_name(enum autorestart a)
{
	switch (a) {
	case AUTORESTART_FALSE:
		return "false";
	case AUTORESTART_UNEXPECTED:
		return "unexpected";
	case AUTORESTART_TRUE:
		return "true";
	}
	return "unknown";
}

const char *
killmode_name(enum killmode k)
{
	switch (k) {
	case KILLMODE_GROUP:
		return "group";
	case KILLMODE_PROCESS:
		return "process";
	}
	return "unknown";
}

const char *
log_target_name(enum log_target t)
{
	switch (t) {
	case LOG_TARGET_SYSLOG:
		return "syslog";
	case LOG_TARGET_STDERR:
		return "stderr";
	}
	return "unknown";
}

const char *
facility_name(int facility)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (facilities[i].facility == facility)
			return facilities[i].name;
	return "unknown";
}

int
facility_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(facilities[i].name, name) == 0)
			return facilities[i].facility;
	return -1;
}

/* ------------------------------------------------------------ errors */

static char * __attribute__((format(printf, 1, 0)))
xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0) {
		fputs("out of memory\n", stderr);
		abort();
	}
	return s;
}

/* Report "FILE:LINE: message", or "FILE: message" when LINE is 0. */
static void __attribute__((format(printf, 4, 5)))
error_at(struct load *ld, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (line > 0)
		msglist_add(ld->errs, "%s:%d: %s", file, line, msg);
	else
		msglist_add(ld->errs, "%s: %s", file, msg);
	free(msg);
}

/*
 * Report a problem with program PC, at the line where option WHICH was set
 * (P_NOPTS, or an option left at its default: the program's line).
 */
static void __attribute__((format(printf, 4, 5)))
program_error(struct load *ld, const struct program_conf *pc,
    enum popt which, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int line = pc->line;

	if (which != P_NOPTS && ld->popt_line[which] > 0)
		line = ld->popt_line[which];
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	error_at(ld, pc->file, line, "program %s: %s", pc->name, msg);
	free(msg);
}

/* Report a problem with global option WHICH, where it was set. */
static void __attribute__((format(printf, 3, 4)))
global_error(struct load *ld, enum gopt which, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	const char *file = ld->mainpath;

	if (ld->gopt_file[which] != NULL)
		file = ld->gopt_file[which];
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	error_at(ld, file, ld->gopt_line[which], "%s", msg);
	free(msg);
}

/* libconfuse's error function: its own syntax errors, with file:line. */
static void __attribute__((format(printf, 2, 0)))
confuse_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	struct load *ld = loading;
	const char *file = ld->mainpath;
	char msg[1024];
	const char *text = msg;
	char *translated = NULL;

	if (cfg != NULL && cfg->filename != NULL)
		file = cfg->filename;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (strncmp(msg, "no such option ", 15) == 0)
		text = translated = xasprintf("unknown option %s", msg + 15);
	if (cfg != NULL && cfg->title != NULL)
		error_at(ld, file, cfg->line, "program %s: %s", cfg->title,
		    text);
	else
		error_at(ld, file, cfg != NULL ? cfg->line : 0, "%s", text);
	free(translated);
}

/* ------------------------------------------------------------ files */

/*
 * Skip the string that opens at BUF[*IP] ('"' or '\''), as libconfuse's
 * lexer reads it: a backslash escapes the next character (in '...' only a
 * backslash or a quote, but skipping any pair is the same for finding the
 * end).  Leaves *IP on the closing quote and counts newlines in *LINEP.
 * Returns -1 when the file ends first, *IP left on the opening quote.
 */
static int
skip_string(const char *buf, size_t len, size_t *ip, int *linep)
{
	size_t i = *ip;
	char quote = buf[i];
	int line = *linep;

	for (i++; i < len && buf[i] != quote; i++) {
		if (buf[i] == '\\' && i + 1 < len)
			i++;
		if (buf[i] == '\n')
			line++;
	}
	if (i >= len)
		return -1;
	*ip = i;
	*linep = line;
	return 0;
}

/* Blank BUF[FROM..TO) out, keeping newlines so line numbers stay. */
static void
blank(char *buf, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (buf[i] != '\n')
			buf[i] = ' ';
}

/*
 * Read PATH into *TEXTP (*LENP bytes, NUL-terminated), checking what
 * libconfuse does not: that every string and comment is terminated and
 * every '{' closed, scanning as libconfuse's lexer does; comments are
 * blanked out.  A file that cannot be read is reported at
 * FROM_FILE:FROM_LINE (an include() call) when FROM_FILE is not NULL.
 * Returns 0, or -1 after reporting the problem.
 */
static int
file_read(struct load *ld, const char *path, const char *from_file,
    int from_line, char **textp, size_t *lenp)
{
	int open_line[BRACE_DEPTH_MAX];
	struct stat st;
	FILE *fp = NULL;
	char *buf = NULL;
	size_t len = 0, i, from;
	int line = 1, depth = 0, start, rc = -1;

	if ((fp = fopen(path, "r")) == NULL || fstat(fileno(fp), &st) == -1) {
		if (from_file != NULL)
			error_at(ld, from_file, from_line, "include: cannot "
			    "read %s: %s", path, strerror(errno));
		else
			error_at(ld, path, 0, "cannot read: %s",
			    strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CONF_FILE_MAX) {
		const char *why = S_ISREG(st.st_mode) ?
		    "file too large" : "not a regular file";

		if (from_file != NULL)
			error_at(ld, from_file, from_line, "include: %s: %s",
			    path, why);
		else
			error_at(ld, path, 0, "%s", why);
		goto done;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	len = fread(buf, 1, (size_t)st.st_size, fp);
	if (ferror(fp)) {
		error_at(ld, path, 0, "cannot read: %s", strerror(errno));
		goto done;
	}
	buf[len] = '\0';

	for (i = 0; i < len; i++) {
		switch (buf[i]) {
		case '\n':
			line++;
			break;
		case '#':
			from = i;
			while (i + 1 < len && buf[i + 1] != '\n')
				i++;
			blank(buf, from, i + 1);
			break;
		case '/':
			from = i;
			if (buf[i + 1] == '/') {
				while (i + 1 < len && buf[i + 1] != '\n')
					i++;
			} else if (buf[i + 1] == '*') {
				start = line;
				for (i += 2; i < len; i++) {
					if (buf[i] == '\n')
						line++;
					else if (buf[i] == '*' &&
					    buf[i + 1] == '/')
						break;
				}
				if (i >= len) {
					error_at(ld, path, start, "unterminated"
					    " comment: '/*' without '*/'");
					goto done;
				}
				i++;
			} else
				break;
			blank(buf, from, i + 1);
			break;
		case '"':
		case '\'':
			start = line;
			if (skip_string(buf, len, &i, &line) == -1) {
				error_at(ld, path, start, "unterminated string:"
				    " missing closing %c", buf[i]);
				goto done;
			}
			break;
		case '$':
			/* ${VAR}, which may hold anything but '}'. */
			if (buf[i + 1] == '{' && strchr(buf + i, '}') != NULL) {
				for (i += 2; buf[i] != '}'; i++)
					if (buf[i] == '\n')
						line++;
			}
			break;
		case '{':
			if (depth < BRACE_DEPTH_MAX)
				open_line[depth] = line;
			depth++;
			break;
		case '}':
			if (depth > 0)
				depth--;
			break;
		}
	}
	if (depth > 0) {
		error_at(ld, path, open_line[(depth > BRACE_DEPTH_MAX ?
		    BRACE_DEPTH_MAX : depth) - 1], "'{' is not closed: "
		    "unexpected end of file");
		goto done;
	}
	*textp = buf;
	*lenp = len;
	buf = NULL;
	rc = 0;
done:
	free(buf);
	if (fp != NULL)
		fclose(fp);
	return rc;
}

/*
 * NAME as written in a file, resolved against the directory of FROM (the
 * file naming it): absolute and ~ paths are kept, relative ones are joined.
 */
static char *
path_relative_to(const char *from, const char *name)
{
	const char *slash;

	if (name[0] == '~') {
		char *expanded = cfg_tilde_expand(name);

		if (expanded == NULL) {
			fputs("out of memory\n", stderr);
			abort();
		}
		return expanded;
	}
	if (name[0] == '/' || (slash = strrchr(from, '/')) == NULL)
		return xstrdup(name);
	return xasprintf("%.*s/%s", (int)(slash - from), from, name);
}

/* The absolute directory of FILE, for %(here)s. */
static char *
dir_of(const char *file)
{
	char *dir, *slash;

	if ((dir = realpath(file, NULL)) == NULL)
		dir = xstrdup(file);
	if ((slash = strrchr(dir, '/')) == NULL) {
		free(dir);
		return xstrdup(".");
	}
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	return dir;
}

/* ------------------------------------------------------------ values */

/* Parse a decimal integer.  Returns -1 when S is not one. */
static int
parse_number(const char *s, long long *out)
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
static int
parse_mode(const char *s, int *out)
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
static int
parse_bool(const char *s, bool *out)
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
static bool
valid_env_name(const char *s, size_t len)
{
	if (len == 0 || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

/* Integer option WHICH of program PC, MIN..MAX, into *OUT. */
static int
program_int(struct load *ld, cfg_t *sec, struct program_conf *pc,
    enum popt which, long long min, long long max, int *out)
{
	const char *name = popt_names[which];
	const char *s = cfg_getstr(sec, name);
	long long v;

	if (parse_number(s, &v) == -1) {
		program_error(ld, pc, which, "%s = %s: not a whole number",
		    name, s);
		return -1;
	}
	if (v < min || v > max) {
		if (max == INT_MAX)
			program_error(ld, pc, which, "%s = %s: must be %lld "
			    "or more", name, s, min);
		else
			program_error(ld, pc, which, "%s = %s: must be "
			    "between %lld and %lld", name, s, min, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* Optional string option WHICH: NULL when unset; empty is an error. */
static char *
program_str(struct load *ld, cfg_t *sec, struct program_conf *pc,
    enum popt which)
{
	const char *s = cfg_getstr(sec, popt_names[which]);

	if (s == NULL)
		return NULL;
	if (*s == '\0') {
		program_error(ld, pc, which, "%s must not be empty",
		    popt_names[which]);
		return NULL;
	}
	return xstrdup(s);
}

/*
 * Expand S for every process number FIRST..LAST of PC (once if S does not
 * use the number), reporting the first failure against option WHICH.
 */
static void
check_expansion(struct load *ld, const struct program_conf *pc,
    enum popt which, const char *what, const char *s, long long first,
    long long last)
{
	struct expand_ctx ctx = { pc->name, 0, pc->here };
	char err[256];
	char *v;
	bool per_num = strstr(s, "%(process_num)") != NULL;

	for (long long n = first; n <= last; n++) {
		ctx.process_num = (int)n;
		if ((v = words_expand(s, &ctx, err, sizeof(err))) == NULL) {
			/* The daemon's environment is not the client's. */
			if (client_mode && strstr(err, "ENV_") != NULL)
				return;
			program_error(ld, pc, which, "%s: %s", what, err);
			return;
		}
		if (which == P_COMMAND && s == pc->words[0] && *v == '\0') {
			program_error(ld, pc, which, "%s: the program to run "
			    "expands to an empty string", what);
			free(v);
			return;
		}
		free(v);
		if (!per_num)
			return;
	}
}

static void
program_conf_free(struct program_conf *pc)
{
	if (pc == NULL)
		return;
	free(pc->name);
	free(pc->file);
	free(pc->here);
	free(pc->command);
	strv_free(pc->words);
	free(pc->user);
	free(pc->directory);
	strv_free(pc->environment);
	free(pc->lockfile);
	free(pc->syslog_ident);
	free(pc->ready_probe);
	free(pc->healthcheck);
	if (pc->depends_on != NULL)
		for (char **d = pc->depends_on; *d != NULL; d++)
			free(*d);
	free(pc->depends_on);
	free(pc);
}

/* Program name: [A-Za-z0-9_.-], 1..CONF_NAME_MAX characters. */
static bool
valid_program_name(struct load *ld, struct program_conf *pc)
{
	size_t len = strlen(pc->name);

	if (len == 0) {
		error_at(ld, pc->file, pc->line, "program name must not be "
		    "empty");
		return false;
	}
	if (len > CONF_NAME_MAX) {
		error_at(ld, pc->file, pc->line, "program %s: name is longer "
		    "than %d characters", pc->name, CONF_NAME_MAX);
		return false;
	}
	if (strspn(pc->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-") != len) {
		error_at(ld, pc->file, pc->line, "program \"%s\": invalid "
		    "name: use only letters, digits, '_', '-' and '.'",
		    pc->name);
		return false;
	}
	return true;
}

static void
program_environment(struct load *ld, cfg_t *sec, struct program_conf *pc)
{
	unsigned int n = cfg_size(sec, "environment");
	size_t keylen;

	pc->environment = xcalloc(n + 1, sizeof(char *));
	for (unsigned int i = 0; i < n; i++) {
		const char *e = cfg_getnstr(sec, "environment", i);
		const char *eq = strchr(e, '=');

		pc->environment[i] = xstrdup(e);
		if (eq == NULL) {
			program_error(ld, pc, P_ENVIRONMENT, "environment: "
			    "\"%s\" is not KEY=VALUE", e);
			continue;
		}
		keylen = (size_t)(eq - e);
		if (!valid_env_name(e, keylen)) {
			program_error(ld, pc, P_ENVIRONMENT, "environment: "
			    "\"%s\": \"%.*s\" is not a valid variable name "
			    "(letters, digits and '_', not starting with a "
			    "digit)", e, (int)keylen, e);
			continue;
		}
		for (unsigned int j = 0; j < i; j++) {
			if (strncmp(pc->environment[j], e, keylen + 1) == 0) {
				program_error(ld, pc, P_ENVIRONMENT,
				    "environment: %.*s is set twice",
				    (int)keylen, e);
				break;
			}
		}
	}
}

void
conf_set_client_mode(bool on)
{
	client_mode = on;
}

static void
program_user(struct load *ld, cfg_t *sec, struct program_conf *pc)
{
	struct passwd *pw;

	if ((pc->user = program_str(ld, sec, pc, P_USER)) == NULL ||
	    client_mode)
		return;
	errno = 0;
	if ((pw = getpwnam(pc->user)) == NULL) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			program_error(ld, pc, P_USER, "user = %s: cannot look "
			    "up user: %s", pc->user, strerror(errno));
		else
			program_error(ld, pc, P_USER, "user = %s: no such "
			    "user", pc->user);
		return;
	}
	if (geteuid() != 0 && pw->pw_uid != geteuid())
		program_error(ld, pc, P_USER, "user = %s: mwsupd must run "
		    "as root to switch users", pc->user);
}

/*
 * Convert and validate the program section SEC, opened at LINE, and add
 * it to the load, reporting a duplicate name.  Every problem is reported;
 * the program is kept (to detect duplicates) even when invalid.
 */
static void
program_add(struct load *ld, cfg_t *sec, int line)
{
	struct program_conf *pc;
	const char *s;
	char err[256];
	bool nums_ok = true;
	long long first, last;
	long long v;
	int sig;

	pc = xcalloc(1, sizeof(*pc));
	pc->name = xstrdup(sec->title != NULL ? sec->title : "");
	pc->file = xstrdup(sec->filename != NULL ? sec->filename :
	    ld->mainpath);
	pc->line = line;
	pc->here = dir_of(pc->file);
	pc->umask = -1;

	if (!valid_program_name(ld, pc)) {
		/* Other messages would name it; one report is enough. */
		program_conf_free(pc);
		return;
	}

	if ((s = cfg_getstr(sec, "command")) == NULL)
		program_error(ld, pc, P_NOPTS, "command is required");
	else if (s[strspn(s, " \t\n")] == '\0') {
		pc->command = xstrdup(s);
		program_error(ld, pc, P_COMMAND, "command must not be empty");
	} else {
		pc->command = xstrdup(s);
		if ((pc->words = words_split(s, err, sizeof(err))) == NULL)
			program_error(ld, pc, P_COMMAND, "command: %s", err);
	}

	if (program_int(ld, sec, pc, P_NUMPROCS, 1, CONF_NUMPROCS_MAX,
	    &pc->numprocs) == -1)
		nums_ok = false;
	if (program_int(ld, sec, pc, P_NUMPROCS_START, 0, INT_MAX,
	    &pc->numprocs_start) == -1)
		nums_ok = false;
	if (nums_ok && pc->numprocs_start > INT_MAX - (pc->numprocs - 1)) {
		program_error(ld, pc, P_NUMPROCS_START, "numprocs_start = %d: "
		    "with numprocs = %d the process numbers would exceed %d",
		    pc->numprocs_start, pc->numprocs, INT_MAX);
		nums_ok = false;
	}

	s = cfg_getstr(sec, "autostart");
	if (parse_bool(s, &pc->autostart) == -1)
		program_error(ld, pc, P_AUTOSTART, "autostart = %s: must be "
		    "true or false", s);

	s = cfg_getstr(sec, "autorestart");
	if (strcasecmp(s, "unexpected") == 0)
		pc->autorestart = AUTORESTART_UNEXPECTED;
	else {
		bool b;

		if (parse_bool(s, &b) == -1)
			program_error(ld, pc, P_AUTORESTART, "autorestart = "
			    "%s: must be true, false or unexpected", s);
		else
			pc->autorestart = b ? AUTORESTART_TRUE :
			    AUTORESTART_FALSE;
	}

	for (unsigned int i = 0; i < cfg_size(sec, "normal_exit"); i++) {
		s = cfg_getnstr(sec, "normal_exit", i);
		if (parse_number(s, &v) == -1 || v < 0 || v > 255) {
			program_error(ld, pc, P_NORMAL_EXIT, "normal_exit: %s "
			    "is not an exit code (0 to 255)", s);
			continue;
		}
		pc->normal_exit[v / 8] |= (unsigned char)(1u << (v % 8));
	}

	program_int(ld, sec, pc, P_STARTSECS, 0, CONF_SECS_MAX,
	    &pc->startsecs);
	program_int(ld, sec, pc, P_STARTRETRIES, 0, CONF_RETRIES_MAX,
	    &pc->startretries);

	s = cfg_getstr(sec, "stopsignal");
	pc->stopsignal = isalpha((unsigned char)s[0]) ? signame_parse(s) : -1;
	for (sig = 0; sig < (int)(sizeof(stopsignals) /
	    sizeof(stopsignals[0])); sig++)
		if (stopsignals[sig] == pc->stopsignal)
			break;
	if (sig == (int)(sizeof(stopsignals) / sizeof(stopsignals[0])))
		program_error(ld, pc, P_STOPSIGNAL, "stopsignal = %s: must "
		    "be one of TERM, INT, QUIT, HUP, KILL, USR1, USR2", s);

	program_int(ld, sec, pc, P_STOPWAITSECS, 0, CONF_SECS_MAX,
	    &pc->stopwaitsecs);

	s = cfg_getstr(sec, "killmode");
	if (strcmp(s, "group") == 0)
		pc->killmode = KILLMODE_GROUP;
	else if (strcmp(s, "process") == 0)
		pc->killmode = KILLMODE_PROCESS;
	else
		program_error(ld, pc, P_KILLMODE, "killmode = %s: must be "
		    "group or process", s);

	program_user(ld, sec, pc);
	pc->directory = program_str(ld, sec, pc, P_DIRECTORY);

	if ((s = cfg_getstr(sec, "umask")) != NULL &&
	    parse_mode(s, &pc->umask) == -1) {
		program_error(ld, pc, P_UMASK, "umask = %s: must be an octal "
		    "mode between 0 and 0777, e.g. 022", s);
		pc->umask = -1;
	}

	program_environment(ld, sec, pc);
	program_int(ld, sec, pc, P_PRIORITY, 0, INT_MAX, &pc->priority);
	pc->lockfile = program_str(ld, sec, pc, P_LOCKFILE);
	pc->syslog_ident = program_str(ld, sec, pc, P_SYSLOG_IDENT);
	if (pc->syslog_ident == NULL)
		pc->syslog_ident = xstrdup(pc->name);

	/* Expansions, for every process number. */
	first = pc->numprocs_start;
	last = nums_ok ? first + pc->numprocs - 1 : first;
	for (size_t i = 0; pc->words != NULL && pc->words[i] != NULL; i++)
		check_expansion(ld, pc, P_COMMAND, "command", pc->words[i],
		    first, last);
	if (pc->directory != NULL)
		check_expansion(ld, pc, P_DIRECTORY, "directory",
		    pc->directory, first, last);
	for (size_t i = 0; pc->environment[i] != NULL; i++)
		check_expansion(ld, pc, P_ENVIRONMENT, "environment",
		    pc->environment[i], first, last);
	if (pc->lockfile != NULL)
		check_expansion(ld, pc, P_LOCKFILE, "lockfile", pc->lockfile,
		    first, last);

	for (size_t i = 0; i < ld->nprograms; i++) {
		const struct program_conf *other = ld->programs[i];

		if (strcmp(other->name, pc->name) == 0) {
			error_at(ld, pc->file, pc->line, "program %s: "
			    "duplicate program name, first defined at %s:%d",
			    pc->name, other->file, other->line);
			break;
		}
	}
	if (ld->nprograms == ld->programs_cap) {
		ld->programs_cap = ld->programs_cap ? ld->programs_cap * 2 : 16;
		ld->programs = xreallocarray(ld->programs, ld->programs_cap,
		    sizeof(*ld->programs));
	}
	ld->programs[ld->nprograms++] = pc;
}

/* ------------------------------------------------------------ callbacks */

/* Any option of a program section: note the line where it was set. */
static int
program_option_cb(cfg_t *sec, cfg_opt_t *opt)
{
	struct load *ld = loading;

	if (ld->sec != sec) {
		/*
		 * First option seen in this section (libconfuse sets the
		 * list defaults as it opens it): the enclosing tree is still
		 * on the line of the '{'.
		 */
		ld->sec = sec;
		ld->sec_line = ld->root->line;
		memset(ld->popt_line, 0, sizeof(ld->popt_line));
	}
	for (int i = 0; i < P_NOPTS; i++)
		if (strcmp(opt->name, popt_names[i]) == 0)
			ld->popt_line[i] = sec->line;
	return 0;
}

/* A program section has closed: convert it and drop it from the tree. */
static int
program_closed_cb(cfg_t *cfg, cfg_opt_t *opt)
{
	struct load *ld = loading;
	unsigned int n = cfg_opt_size(opt);
	cfg_t *sec;
	int line;

	if (n == 0)
		return 0;
	sec = cfg_opt_getnsec(opt, n - 1);
	if (ld->sec == sec)
		line = ld->sec_line;
	else {
		line = sec->line;
		memset(ld->popt_line, 0, sizeof(ld->popt_line));
	}
	program_add(ld, sec, line);
	cfg_opt_rmnsec(opt, n - 1);
	ld->sec = NULL;
	return 0;
}

/* A global option: note where; refuse it in include_dir files. */
static int
global_option_cb(cfg_t *cfg, cfg_opt_t *opt)
{
	struct load *ld = loading;
	const char *file = cfg->filename != NULL ? cfg->filename :
	    ld->mainpath;

	if (ld->in_include_dir) {
		error_at(ld, file, cfg->line, "%s: global options are not "
		    "allowed in include_dir files, only program sections",
		    opt->name);
		return 0;
	}
	for (int i = 0; i < G_NOPTS; i++) {
		if (strcmp(opt->name, gopt_names[i]) == 0) {
			free(ld->gopt_value[i]);
			free(ld->gopt_file[i]);
			ld->gopt_value[i] = xstrdup(cfg_getstr(cfg, opt->name));
			ld->gopt_file[i] = xstrdup(file);
			ld->gopt_line[i] = cfg->line;
		}
	}
	return 0;
}

static int	parse_file(struct load *, const char *, const char *, int);

/*
 * include("FILE"): parse FILE, relative to the including file, right here.
 * A file that cannot be read is reported and skipped; a syntax error in it
 * ends the including file's parse too (as with a textual include).
 */
static int
include_cb(cfg_t *cfg, cfg_opt_t *opt, int argc, const char **argv)
{
	struct load *ld = loading;
	const char *file = cfg->filename != NULL ? cfg->filename :
	    ld->mainpath;
	char *path;
	int rc;

	if (argc != 1) {
		error_at(ld, file, cfg->line, "include() takes one file name");
		return 0;
	}
	if (ld->depth > INCLUDE_DEPTH_MAX) {
		error_at(ld, file, cfg->line, "include(\"%s\"): includes "
		    "nested more than %d deep", argv[0], INCLUDE_DEPTH_MAX);
		return 0;
	}
	path = path_relative_to(file, argv[0]);
	rc = parse_file(ld, path, file, cfg->line);
	free(path);
	return rc == -2 ? 1 : 0;
}

/* ------------------------------------------------------------ loading */

/*
 * Parse PATH (named by an include() at FROM_FILE:FROM_LINE, or NULL) into
 * a tree of its own and drop it: the callbacks collect the programs and
 * globals.  Returns 0; -1 when PATH could not be read; -2 after a syntax
 * error.  Every problem is reported.
 */
static int
parse_file(struct load *ld, const char *path, const char *from_file,
    int from_line)
{
	size_t nerrs = ld->errs->n, len;
	cfg_t *cfg, *saved_root = ld->root;
	char *text;
	FILE *fp = NULL;
	int rc;

	if (file_read(ld, path, from_file, from_line, &text, &len) == -1)
		return -1;
	if (len == 0) {			/* fmemopen() may refuse it */
		free(text);
		return 0;
	}
	if ((cfg = cfg_init(root_opts, CFGF_NONE)) == NULL ||
	    (fp = fmemopen(text, len, "r")) == NULL) {
		error_at(ld, path, 0, "cannot set up the parser: %s",
		    strerror(errno));
		if (cfg != NULL)
			cfg_free(cfg);
		free(text);
		return -2;
	}
	cfg_set_error_function(cfg, confuse_error);
	cfg->filename = xstrdup(path);
	ld->root = cfg;
	ld->sec = NULL;
	ld->depth++;
	rc = cfg_parse_fp(cfg, fp);
	ld->depth--;
	ld->root = saved_root;
	fclose(fp);
	free(text);
	/*
	 * Freeing a tree named "root" resets libconfuse's lexer, which the
	 * file including this one is still using.
	 */
	if (ld->depth > 0) {
		free(cfg->name);
		cfg->name = xstrdup("include");
	}
	cfg_free(cfg);
	if (rc == CFG_SUCCESS)
		return 0;
	if (ld->errs->n == nerrs)
		error_at(ld, path, 0, "syntax error");
	return -2;
}

/* Global option WHICH: as set, else the schema's default. */
static const char *
global_value(struct load *ld, enum gopt which)
{
	if (ld->gopt_value[which] != NULL)
		return ld->gopt_value[which];
	for (size_t i = 0; root_opts[i].name != NULL; i++)
		if (strcmp(root_opts[i].name, gopt_names[which]) == 0)
			return root_opts[i].def.string;
	return NULL;
}

static void
globals_from_load(struct load *ld, struct conf *conf)
{
	const char *s;
	bool b = false;

	/* Relative paths are relative to the configuration file, not to
	   wherever mwsupd happens to be started (cron: $HOME). */
	s = global_value(ld, G_SOCKET);
	conf->socket = *s ? path_relative_to(ld->mainabs, s) : xstrdup(s);
	if (*s == '\0')
		global_error(ld, G_SOCKET, "socket must not be empty");
	else if (strlen(conf->socket) >=
	    sizeof(((struct sockaddr_un *)NULL)->sun_path))
		global_error(ld, G_SOCKET, "socket = %s: path longer than "
		    "%zu bytes", conf->socket,
		    sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);

	s = global_value(ld, G_SOCKET_MODE);
	if (parse_mode(s, &conf->socket_mode) == -1)
		global_error(ld, G_SOCKET_MODE, "socket_mode = %s: must be an "
		    "octal mode between 0 and 0777, e.g. 0660", s);

	if ((s = global_value(ld, G_SOCKET_GROUP)) != NULL) {
		conf->socket_group = xstrdup(s);
		if (*s == '\0')
			global_error(ld, G_SOCKET_GROUP, "socket_group must "
			    "not be empty");
		else if (getgrnam(s) == NULL)
			global_error(ld, G_SOCKET_GROUP, "socket_group = %s: "
			    "no such group", s);
	}

	s = global_value(ld, G_PIDFILE);
	conf->pidfile = *s ? path_relative_to(ld->mainabs, s) : xstrdup(s);
	if (*s == '\0')
		global_error(ld, G_PIDFILE, "pidfile must not be empty");

	s = global_value(ld, G_LOG_FACILITY);
	if ((conf->log_facility = facility_from_name(s)) == -1) {
		global_error(ld, G_LOG_FACILITY, "log_facility = %s: unknown "
		    "syslog facility (daemon, user, local0 to local7, auth, "
		    "authpriv, cron, ftp, kern, lpr, mail, news, syslog, "
		    "uucp)", s);
		conf->log_facility = LOG_DAEMON;
	}

	s = global_value(ld, G_LOG_TARGET);
	if (strcmp(s, "syslog") == 0)
		conf->log_target = LOG_TARGET_SYSLOG;
	else if (strcmp(s, "stderr") == 0)
		conf->log_target = LOG_TARGET_STDERR;
	else
		global_error(ld, G_LOG_TARGET, "log_target = %s: must be "
		    "syslog or stderr", s);

	s = global_value(ld, G_EXIT_WHEN_DONE);
	if (parse_bool(s, &b) == -1)
		global_error(ld, G_EXIT_WHEN_DONE, "exit_when_done = %s: must "
		    "be true or false", s);
	conf->exit_when_done = b;

	if ((s = global_value(ld, G_INCLUDE_DIR)) != NULL) {
		if (*s == '\0')
			global_error(ld, G_INCLUDE_DIR, "include_dir must not "
			    "be empty");
		else
			conf->include_dir = path_relative_to(ld->mainpath, s);
	}
}

/* scandir() filter: *.conf, not hidden. */
static int
conf_file_filter(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 &&
	    strcmp(d->d_name + len - 5, ".conf") == 0;
}

/* scandir() order: bytes, whatever the locale. */
static int
conf_file_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void
include_dir_load(struct load *ld, const char *dir)
{
	struct dirent **ents = NULL;
	struct stat st, mainst;
	bool have_main;
	char *path;
	int n;

	if ((n = scandir(dir, &ents, conf_file_filter, conf_file_cmp)) < 0) {
		global_error(ld, G_INCLUDE_DIR, "include_dir = %s: cannot "
		    "read directory: %s", dir, strerror(errno));
		return;
	}
	have_main = stat(ld->mainpath, &mainst) == 0;
	ld->in_include_dir = true;
	for (int i = 0; i < n; i++) {
		path = (strcmp(dir, ".") == 0) ? xstrdup(ents[i]->d_name) :
		    xasprintf("%s/%s", dir, ents[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    !(have_main && st.st_dev == mainst.st_dev &&
		    st.st_ino == mainst.st_ino))
			parse_file(ld, path, NULL, 0);
		free(path);
		free(ents[i]);
	}
	free(ents);
	ld->in_include_dir = false;
}

static int
program_cmp(const void *a, const void *b)
{
	const struct program_conf *pa = *(const struct program_conf *const *)a;
	const struct program_conf *pb = *(const struct program_conf *const *)b;

	if (pa->priority != pb->priority)
		return pa->priority < pb->priority ? -1 : 1;
	return strcmp(pa->name, pb->name);
}

struct conf *
conf_load(const char *path, struct msglist *errs)
{
	struct load ld;
	struct conf *conf;
	size_t nerrs = errs->n;
	bool parsed = false;

	memset(&ld, 0, sizeof(ld));
	ld.errs = errs;
	ld.mainpath = path;
	if ((ld.mainabs = realpath(path, NULL)) == NULL)
		ld.mainabs = xstrdup(path);
	loading = &ld;

	conf = xcalloc(1, sizeof(*conf));
	conf->path = xstrdup(path);
	if (parse_file(&ld, path, NULL, 0) == 0) {
		parsed = true;
		globals_from_load(&ld, conf);
		if (conf->include_dir != NULL)
			include_dir_load(&ld, conf->include_dir);
	}

	conf->programs = ld.programs;
	conf->nprograms = ld.nprograms;
	if (conf->nprograms > 0)
		qsort(conf->programs, conf->nprograms,
		    sizeof(*conf->programs), program_cmp);
	for (int i = 0; i < G_NOPTS; i++) {
		free(ld.gopt_value[i]);
		free(ld.gopt_file[i]);
	}
	loading = NULL;
	free(ld.mainabs);
	if (!parsed || errs->n > nerrs) {
		if (errs->n == nerrs)
			msglist_add(errs, "%s: cannot load", path);
		conf_free(conf);
		return NULL;
	}
	return conf;
}

void
conf_free(struct conf *conf)
{
	if (conf == NULL)
		return;
	for (size_t i = 0; i < conf->nprograms; i++)
		program_conf_free(conf->programs[i]);
	free(conf->programs);
	free(conf->path);
	free(conf->socket);
	free(conf->socket_group);
	free(conf->pidfile);
	free(conf->include_dir);
	free(conf);
}

/* ------------------------------------------------------------ printing */

/*
 * Print S as a libconfuse double-quoted string that reads back as S:
 * backslash, quote and '$' (which would start a ${VAR} substitution) are
 * escaped, control characters written as escapes.
 */
static void
print_quoted(FILE *fp, const char *s)
{
	putc('"', fp);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '\\':
		case '"':
		case '$':
			putc('\\', fp);
			putc(*p, fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(fp, "\\x%02x", *p);
			else
				putc(*p, fp);
		}
	}
	putc('"', fp);
}

static void
print_str_option(FILE *fp, const char *indent, const char *name,
    const char *value, const char *unset)
{
	if (value == NULL) {
		fprintf(fp, "%s# %s: %s\n", indent, name, unset);
		return;
	}
	fprintf(fp, "%s%s = ", indent, name);
	print_quoted(fp, value);
	putc('\n', fp);
}

static void
print_program(FILE *fp, const struct program_conf *pc)
{
	const char *sep = "";

	fprintf(fp, "\nprogram %s {\n", pc->name);
	print_str_option(fp, "\t", "command", pc->command, "none");
	fprintf(fp, "\tnumprocs = %d\n", pc->numprocs);
	fprintf(fp, "\tnumprocs_start = %d\n", pc->numprocs_start);
	fprintf(fp, "\tautostart = %s\n", pc->autostart ? "true" : "false");
	fprintf(fp, "\tautorestart = %s\n", autorestart_name(pc->autorestart));
	fputs("\tnormal_exit = {", fp);
	for (int code = 0; code < 256; code++) {
		if (program_conf_normal_exit(pc, code)) {
			fprintf(fp, "%s%d", sep, code);
			sep = ", ";
		}
	}
	fputs("}\n", fp);
	fprintf(fp, "\tstartsecs = %d\n", pc->startsecs);
	fprintf(fp, "\tstartretries = %d\n", pc->startretries);
	fprintf(fp, "\tstopsignal = %s\n", signame_name(pc->stopsignal));
	fprintf(fp, "\tstopwaitsecs = %d\n", pc->stopwaitsecs);
	fprintf(fp, "\tkillmode = %s\n", killmode_name(pc->killmode));
	print_str_option(fp, "\t", "user", pc->user, "none (do not switch)");
	print_str_option(fp, "\t", "directory", pc->directory,
	    "none (inherit)");
	if (pc->umask == -1)
		fputs("\t# umask: inherited\n", fp);
	else
		fprintf(fp, "\tumask = %04o\n", (unsigned int)pc->umask);
	fputs("\tenvironment = {", fp);
	for (size_t i = 0; pc->environment[i] != NULL; i++) {
		if (i > 0)
			fputs(", ", fp);
		print_quoted(fp, pc->environment[i]);
	}
	fputs("}\n", fp);
	fprintf(fp, "\tpriority = %d\n", pc->priority);
	print_str_option(fp, "\t", "lockfile", pc->lockfile, "none");
	print_str_option(fp, "\t", "syslog_ident", pc->syslog_ident, "none");
	fputs("}\n", fp);
}

void
conf_print(const struct conf *conf, FILE *fp)
{
	fputs("# mwsup configuration as loaded: every option with its "
	    "effective value,\n# programs from include() and include_dir "
	    "files listed here too.\n", fp);
	print_str_option(fp, "", "socket", conf->socket, "none");
	fprintf(fp, "socket_mode = %04o\n", (unsigned int)conf->socket_mode);
	print_str_option(fp, "", "socket_group", conf->socket_group, "none");
	print_str_option(fp, "", "pidfile", conf->pidfile, "none");
	fprintf(fp, "log_facility = %s\n", facility_name(conf->log_facility));
	fprintf(fp, "log_target = %s\n", log_target_name(conf->log_target));
	fprintf(fp, "exit_when_done = %s\n",
	    conf->exit_when_done ? "true" : "false");
	for (size_t i = 0; i < conf->nprograms; i++)
		print_program(fp, conf->programs[i]);
}

/* ------------------------------------------------------------ queries */

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
program_conf_equal(const struct program_conf *a, const struct program_conf *b)
{
	return str_equal(a->name, b->name) &&
	    strv_equal(a->words, b->words) &&
	    a->numprocs == b->numprocs &&
	    a->numprocs_start == b->numprocs_start &&
	    a->autostart == b->autostart &&
	    a->autorestart == b->autorestart &&
	    memcmp(a->normal_exit, b->normal_exit,
	    sizeof(a->normal_exit)) == 0 &&
	    a->startsecs == b->startsecs &&
	    a->startretries == b->startretries &&
	    a->stopsignal == b->stopsignal &&
	    a->stopwaitsecs == b->stopwaitsecs &&
	    a->killmode == b->killmode &&
	    str_equal(a->user, b->user) &&
	    str_equal(a->directory, b->directory) &&
	    a->umask == b->umask &&
	    strv_equal(a->environment, b->environment) &&
	    a->priority == b->priority &&
	    str_equal(a->lockfile, b->lockfile) &&
	    str_equal(a->syslog_ident, b->syslog_ident) &&
	    str_equal(a->here, b->here);
}

struct program_conf *
conf_find_program(const struct conf *conf, const char *name)
{
	for (size_t i = 0; i < conf->nprograms; i++)
		if (strcmp(conf->programs[i]->name, name) == 0)
			return conf->programs[i];
	return NULL;
}

bool
program_conf_normal_exit(const struct program_conf *pc, int code)
{
	if (code < 0 || code > 255)
		return false;
	return (pc->normal_exit[code / 8] & (1u << (code % 8))) != 0;
}

/* ------------------------------------------------------------ expansion */

/* Make *PATH (if set and relative) relative to directory HERE. */
static void
in_here(char **path, const char *here)
{
	char *abs;

	if (*path == NULL || (*path)[0] == '/' || here == NULL)
		return;
	abs = xasprintf("%s/%s", here, *path);
	free(*path);
	*path = abs;
}

int
conf_expand_proc(const struct program_conf *pc, int num,
    struct proc_spec *spec, char *err, size_t errlen)
{
	struct expand_ctx ctx = { pc->name, num, pc->here };
	size_t n;

	memset(spec, 0, sizeof(*spec));
	n = strv_len(pc->words);
	spec->argv = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		if ((spec->argv[i] = words_expand(pc->words[i], &ctx, err,
		    errlen)) == NULL)
			goto fail;
	n = strv_len(pc->environment);
	spec->environment = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		if ((spec->environment[i] = words_expand(pc->environment[i],
		    &ctx, err, errlen)) == NULL)
			goto fail;
	if (pc->directory != NULL && (spec->directory =
	    words_expand(pc->directory, &ctx, err, errlen)) == NULL)
		goto fail;
	if (pc->lockfile != NULL && (spec->lockfile =
	    words_expand(pc->lockfile, &ctx, err, errlen)) == NULL)
		goto fail;
	/* Relative to the file that defines the program, like include. */
	in_here(&spec->directory, pc->here);
	in_here(&spec->lockfile, pc->here);
	return 0;

fail:
	proc_spec_free(spec);
	return -1;
}

void
proc_spec_free(struct proc_spec *spec)
{
	strv_free(spec->argv);
	strv_free(spec->environment);
	free(spec->directory);
	free(spec->lockfile);
	memset(spec, 0, sizeof(*spec));
}
