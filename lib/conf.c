/*
 * conf.c — load and validate mwsup's configuration.
 *
 * The program options are rows of a table (conf_options.c) that drive the
 * schema, the conversion, printing (conf_print.c) and the equality used by
 * reload.  This file reads files into that table's hands:
 *
 *  - Every option is declared to libconfuse as a string (or a list of
 *    strings) and converted by its row.  libconfuse stops at the first value
 *    it cannot convert; doing the conversion ourselves lets one run report
 *    every bad value, each in words an operator understands.
 *
 *  - libconfuse keeps no line numbers for option values, so each option has
 *    a validation callback that notes the line where it was set (the line
 *    of the value, or of the closing '}' of a list).  A section's own line
 *    is the line of its opening '{', taken from the enclosing tree (whose
 *    line stands still while the section is parsed).
 *
 *  - Each `program` (and `group`) section is converted, and removed from
 *    the libconfuse tree, by the section's validation callback the moment
 *    it closes.  libconfuse silently replaces an earlier section of the
 *    same title; converting first means both definitions are seen, so a
 *    duplicate is reported with the place of the first one.
 *
 *  - Each file is read into memory and checked by conf_scan() first, as
 *    libconfuse's lexer sees it (conf_scan.c); the scanned text stays at
 *    hand while libconfuse parses it, so that conf_explain() can turn
 *    libconfuse's errors into messages that say what to write.
 *
 *  - A file is opened with O_NONBLOCK and must be a regular file (fstat
 *    before reading): a FIFO or a device given with -c or include() is an
 *    error at once, never a hang.
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
 *    `program` and `group` sections and include() only: a global option
 *    there is an error (globals belong to the main file, so that one place
 *    says where the socket and pidfile are).  The main file itself is
 *    skipped if it lies in that directory.
 *
 *  - Once every file is read: groups are checked against the programs, and
 *    the global `environment` is merged into every program's (a program's
 *    own entry wins for the same KEY), so the daemon and reload see one
 *    list per program.
 *
 * libconfuse's lexer has global state, so conf_load() is not reentrant;
 * the load in progress is reached from the callbacks through `loading`.
 *
 * %(here)s is the realpath of the directory of the file that defines the
 * program; it is part of struct program_conf and compared by
 * program_conf_equal().
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <confuse.h>

#include "conf.h"
#include "conf_options.h"
#include "conf_scan.h"
#include "words.h"
#include "xalloc.h"

#define CONF_FILE_MAX	(16 * 1024 * 1024)	/* largest file we read */
#define INCLUDE_DEPTH_MAX 10			/* nested include() */
#define PROGRAM_OPTS_MAX 64			/* rows the schema can hold */
#define RESERVED_NAME	"all"			/* mwsupctl: every process */

/* Global options (the global `environment`, a list, is kept apart). */
enum gopt {
	G_SOCKET, G_SOCKET_MODE, G_SOCKET_GROUP, G_PIDFILE, G_LOG_FACILITY,
	G_LOG_TARGET, G_EXIT_WHEN_DONE, G_INCLUDE_DIR,
	G_NOPTS
};

static const char *const gopt_names[G_NOPTS] = {
	"socket", "socket_mode", "socket_group", "pidfile", "log_facility",
	"log_target", "exit_when_done", "include_dir",
};

static bool	client_mode;	/* see conf_set_client_mode() */

/* One load in progress. */
struct load {
	struct msglist	*errs;
	const char	*mainpath;	/* the file given to conf_load() */
	char		*mainabs;	/* the same, absolute (for paths) */
	cfg_t		*root;		/* tree being parsed */
	int		 depth;		/* files being parsed (include()) */
	bool		 in_include_dir; /* parsing an include_dir file */
	bool		 lenient;	/* conf_client_socket(): go on after
					   errors where possible */
	bool		 mute;		/* report nothing (lenient parse of a
					   file that failed its scan: the
					   errors would repeat it) */
	bool		 main_unreadable; /* the main file cannot be read */
	cfg_t		*refused_cfg;	/* last global refused in include_dir */
	cfg_opt_t	*refused_opt;
	int		 refused_line;
	const char	*text;		/* scanned text of the file being
					   parsed, for conf_explain() */

	/* The section being parsed, once one of its options seen. */
	cfg_t		*sec;
	int		 sec_line;	/* line of its '{' */
	int		 popt_line[PROGRAM_OPTS_MAX];	/* 0: not set */

	/* Each global option's value (NULL: default) and where it was set. */
	char		*gopt_value[G_NOPTS];
	char		*gopt_file[G_NOPTS];
	int		 gopt_line[G_NOPTS];
	char	       **genv;		/* global environment, NULL: unset */
	char		*genv_file;
	int		 genv_line;

	struct program_conf **programs;	/* in order of definition */
	size_t		 nprograms;
	size_t		 programs_cap;
	struct conf_group **groups;	/* in order of definition */
	size_t		 ngroups;
	size_t		 groups_cap;
};

static struct load *loading;

static int	section_option_cb(cfg_t *, cfg_opt_t *);
static int	program_closed_cb(cfg_t *, cfg_opt_t *);
static int	group_closed_cb(cfg_t *, cfg_opt_t *);
static int	global_option_cb(cfg_t *, cfg_opt_t *);
static int	global_env_cb(cfg_t *, cfg_opt_t *);
static int	include_cb(cfg_t *, cfg_opt_t *, int, const char **);

/*
 * The schema.  Every value is a string converted by this module; the
 * defaults go through the same conversion.  The program section's options
 * are built from conf_program_options[] by schema().
 */
#define OPT_STR(n, d, cb)	{ .name = (n), .type = CFGT_STR, \
				  .def.string = (d), .validcb = (cb) }
#define OPT_LIST(n, d, cb)	{ .name = (n), .type = CFGT_STR, \
				  .flags = CFGF_LIST, .def.parsed = (d), \
				  .validcb = (cb) }

static cfg_opt_t program_opts[PROGRAM_OPTS_MAX + 1];

static cfg_opt_t group_opts[] = {
	OPT_LIST("programs", NULL, section_option_cb),
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
	OPT_LIST("environment", NULL, global_env_cb),
	{ .name = "program", .type = CFGT_SEC, .subopts = program_opts,
	  .flags = CFGF_MULTI | CFGF_TITLE, .validcb = program_closed_cb },
	{ .name = "group", .type = CFGT_SEC, .subopts = group_opts,
	  .flags = CFGF_MULTI | CFGF_TITLE, .validcb = group_closed_cb },
	{ .name = "include", .type = CFGT_FUNC, .func = include_cb },
	CFG_END()
};

/* Fill program_opts[] from the table, once. */
static void
schema(void)
{
	static bool done;

	if (done)
		return;
	if (conf_program_noptions > PROGRAM_OPTS_MAX) {
		fputs("conf: raise PROGRAM_OPTS_MAX\n", stderr);
		abort();
	}
	for (size_t i = 0; i < conf_program_noptions; i++) {
		const struct conf_option *o = &conf_program_options[i];
		cfg_opt_t *c = &program_opts[i];

		c->name = o->name;
		c->type = CFGT_STR;
		c->validcb = section_option_cb;
		if (conf_option_is_list(o)) {
			c->flags = CFGF_LIST;
			c->def.parsed = o->def ? xstrdup(o->def) : NULL;
		} else
			c->def.string = o->def;
	}
	done = true;
}

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

	if (ld->mute)
		return;
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
 * Report a problem with program PC, at the line where option row WHICH
 * was set (-1, or an option left at its default: the program's line).
 */
static void __attribute__((format(printf, 4, 5)))
program_error(struct load *ld, const struct program_conf *pc, int which,
    const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int line = pc->line;

	if (which >= 0 && ld->popt_line[which] > 0)
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

/*
 * libconfuse's error function: its own syntax errors, with file:line, in
 * conf_explain()'s words where it has better ones.
 */
static void __attribute__((format(printf, 2, 0)))
confuse_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	struct load *ld = loading;
	const char *file = ld->mainpath;
	char msg[1024];
	const char *text = msg;
	char *translated = NULL, *explained;
	int line = cfg != NULL ? cfg->line : 0;

	if (cfg != NULL && cfg->filename != NULL)
		file = cfg->filename;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (strncmp(msg, "no such option ", 15) == 0)
		text = translated = xasprintf("unknown option %s", msg + 15);
	if ((explained = conf_explain(ld->text, line, text)) != NULL) {
		/* It names the section itself when that is the problem. */
		if (strncmp(text, "missing opening brace", 21) == 0)
			cfg = NULL;
		text = explained;
	}
	if (cfg != NULL && cfg->title != NULL)
		error_at(ld, file, line, "%s %s: %s", cfg->name, cfg->title,
		    text);
	else
		error_at(ld, file, line, "%s", text);
	free(translated);
	free(explained);
}

/* ------------------------------------------------------------ files */

/*
 * Read PATH into *TEXTP (*LENP bytes, NUL-terminated).  A file that cannot
 * be read is reported at FROM_FILE:FROM_LINE (an include() call) when
 * FROM_FILE is not NULL.  Opened without blocking and checked to be a
 * regular file before anything is read: a FIFO or a device is an error at
 * once.  Returns 0, or -1 after reporting the problem.
 */
static int
file_read(struct load *ld, const char *path, const char *from_file,
    int from_line, char **textp, size_t *lenp)
{
	static const char not_regular[] = "not a regular file";
	static const char too_large[] = "file too large";
	struct stat st;
	char *buf = NULL;
	const char *why = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1 || fstat(fd, &st) == -1)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = not_regular;
	else if (st.st_size > CONF_FILE_MAX)
		why = too_large;
	else {
		buf = xmalloc((size_t)st.st_size + 1);
		while (len < (size_t)st.st_size) {
			n = read(fd, buf + len, (size_t)st.st_size - len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1)
				why = strerror(errno);
			if (n <= 0)
				break;
			len += (size_t)n;
		}
	}
	if (fd != -1)
		close(fd);
	if (why != NULL) {
		bool cannot = why != not_regular && why != too_large;

		if (from_file != NULL)
			error_at(ld, from_file, from_line, "include: %s%s: %s",
			    cannot ? "cannot read " : "", path, why);
		else
			error_at(ld, path, 0, "%s%s", cannot ?
			    "cannot read: " : "", why);
		if (!ld->in_include_dir && from_file == NULL &&
		    strcmp(path, ld->mainpath) == 0)
			ld->main_unreadable = true;
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	*textp = buf;
	*lenp = len;
	return 0;
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

/*
 * The absolute directory of FILE, for %(here)s.  FILE need not exist (a
 * buffer named by conf_load_buffer()): then it is taken from the working
 * directory.
 */
static char *
dir_of(const char *file)
{
	char *dir, *slash, *cwd;

	if ((dir = realpath(file, NULL)) == NULL) {
		if (file[0] != '/' && (cwd = getcwd(NULL, 0)) != NULL) {
			dir = xasprintf("%s/%s", cwd, file);
			free(cwd);
		} else
			dir = xstrdup(file);
	}
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

/* uname's nodename, for %(host_node_name)s; NULL when unknown. */
static const char *
node_name(struct utsname *u)
{
	return uname(u) == 0 ? u->nodename : NULL;
}

/*
 * Expand S for every process number FIRST..LAST of PC (once if S does not
 * use the number) in CTX, reporting the first failure against option row
 * WHICH.
 */
static void
check_expansion(struct load *ld, const struct program_conf *pc,
    struct expand_ctx *ctx, int which, const char *s, bool program,
    long long first, long long last)
{
	const char *what = conf_program_options[which].name;
	char err[256];
	char *v;
	bool per_num = strstr(s, "%(process_num)") != NULL;

	for (long long n = first; n <= last; n++) {
		ctx->process_num = (int)n;
		if ((v = words_expand(s, ctx, err, sizeof(err))) == NULL) {
			/* The daemon's environment is not the client's. */
			if (client_mode && strstr(err, "ENV_") != NULL)
				return;
			program_error(ld, pc, which, "%s: %s", what, err);
			return;
		}
		if (program && *v == '\0') {
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

/* Expansions in every option that has them, for every process number. */
static void
program_expansions(struct load *ld, const struct program_conf *pc,
    bool nums_ok)
{
	struct utsname u;
	struct expand_ctx ctx = {
		.program_name = pc->name, .here = pc->here,
		.numprocs = pc->numprocs, .host_node_name = node_name(&u),
	};
	long long first = pc->numprocs_start;
	long long last = nums_ok ? first + pc->numprocs - 1 : first;

	for (size_t i = 0; i < conf_program_noptions; i++) {
		const struct conf_option *o = &conf_program_options[i];
		char *const *v;
		const char *s;

		if (!(o->flags & CONF_OPT_EXPAND))
			continue;
		switch (o->kind) {
		case CONF_KIND_COMMAND:
			for (v = pc->words; v != NULL && *v != NULL; v++)
				check_expansion(ld, pc, &ctx, (int)i, *v,
				    v == pc->words, first, last);
			break;
		case CONF_KIND_ENVIRONMENT:
			v = *(char **const *)(const void *)
			    ((const char *)pc + o->offset);
			for (; v != NULL && *v != NULL; v++)
				check_expansion(ld, pc, &ctx, (int)i, *v,
				    false, first, last);
			break;
		default:
			s = *(const char *const *)(const void *)
			    ((const char *)pc + o->offset);
			if (s != NULL)
				check_expansion(ld, pc, &ctx, (int)i, s,
				    false, first, last);
			break;
		}
	}
}

static void
program_conf_free(struct program_conf *pc)
{
	if (pc == NULL)
		return;
	for (size_t i = 0; i < conf_program_noptions; i++)
		conf_option_free(&conf_program_options[i], pc);
	free(pc->name);
	free(pc->file);
	free(pc->here);
	/* Part II fields whose options have no row yet. */
	free(pc->ready_probe);
	free(pc->healthcheck);
	strv_free(pc->depends_on);
	free(pc);
}

static void
group_free(struct conf_group *g)
{
	if (g == NULL)
		return;
	free(g->name);
	free(g->file);
	strv_free(g->programs);
	free(g);
}

/*
 * A program or group NAME (KIND "program" or "group") at FILE:LINE:
 * [A-Za-z0-9_.-], 1..CONF_NAME_MAX characters, not the reserved "all".
 */
static bool
valid_name(struct load *ld, const char *kind, const char *name,
    const char *file, int line)
{
	size_t len = strlen(name);

	if (len == 0) {
		error_at(ld, file, line, "%s name must not be empty", kind);
		return false;
	}
	if (len > CONF_NAME_MAX) {
		error_at(ld, file, line, "%s %s: name is longer than %d "
		    "characters", kind, name, CONF_NAME_MAX);
		return false;
	}
	if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-") != len) {
		error_at(ld, file, line, "%s \"%s\": invalid name: use only "
		    "letters, digits, '_', '-' and '.'", kind, name);
		return false;
	}
	if (strcmp(name, RESERVED_NAME) == 0) {
		error_at(ld, file, line, "%s %s: the name %s is reserved "
		    "(mwsupctl uses it for every process): choose another",
		    kind, name, RESERVED_NAME);
		return false;
	}
	return true;
}

void
conf_set_client_mode(bool on)
{
	client_mode = on;
}

/* Strings of option O in section SEC: *NP of them (a list may be empty). */
static const char **
option_values(cfg_t *sec, const struct conf_option *o, size_t *np)
{
	const char **v;
	size_t n;

	if (!conf_option_is_list(o)) {
		v = xcalloc(2, sizeof(*v));
		v[0] = cfg_getstr(sec, o->name);
		*np = v[0] != NULL;
		return v;
	}
	n = cfg_size(sec, o->name);
	v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = cfg_getnstr(sec, o->name, (unsigned int)i);
	*np = n;
	return v;
}

/*
 * Convert and validate the program section SEC, opened at LINE, and add
 * it to the load, reporting a duplicate name.  Every problem is reported;
 * the program is kept (to detect duplicates) even when invalid.
 */
static void
program_add(struct load *ld, cfg_t *sec, int line)
{
	struct msglist msgs = MSGLIST_INIT;
	struct program_conf *pc;
	bool ok[PROGRAM_OPTS_MAX], nums_ok;
	int numprocs = -1, numprocs_start = -1;
	const char **values;
	size_t n;

	pc = xcalloc(1, sizeof(*pc));
	pc->name = xstrdup(sec->title != NULL ? sec->title : "");
	pc->file = xstrdup(sec->filename != NULL ? sec->filename :
	    ld->mainpath);
	pc->line = line;
	pc->here = dir_of(pc->file);
	pc->umask = -1;

	if (!valid_name(ld, "program", pc->name, pc->file, pc->line)) {
		/* Other messages would name it; one report is enough. */
		program_conf_free(pc);
		return;
	}

	for (size_t i = 0; i < conf_program_noptions; i++) {
		const struct conf_option *o = &conf_program_options[i];
		char **field = (char **)(void *)((char *)pc + o->offset);

		if (strcmp(o->name, "numprocs") == 0)
			numprocs = (int)i;
		else if (strcmp(o->name, "numprocs_start") == 0)
			numprocs_start = (int)i;
		values = option_values(sec, o, &n);
		if (n == 0 && (o->flags & CONF_OPT_REQUIRED)) {
			program_error(ld, pc, -1, "%s is required", o->name);
			ok[i] = false;
		} else {
			ok[i] = conf_option_convert(o, pc, values, n,
			    !client_mode, &msgs) == 0;
			for (size_t m = 0; m < msgs.n; m++)
				program_error(ld, pc, (int)i, "%s%s",
				    msgs.msgs[m], n == 1 && values[0][0] &&
				    values[0][strlen(values[0]) - 1] == ';' ?
				    " (remove the ';': options are separated "
				    "by blanks or new lines)" : "");
			msglist_clear(&msgs);
		}
		free(values);
		if ((o->flags & CONF_OPT_NAME_DEFAULT) && *field == NULL)
			*field = xstrdup(pc->name);
	}

	nums_ok = numprocs >= 0 && numprocs_start >= 0 && ok[numprocs] &&
	    ok[numprocs_start];
	if (nums_ok && pc->numprocs_start > INT_MAX - (pc->numprocs - 1)) {
		program_error(ld, pc, numprocs_start, "numprocs_start = %d: "
		    "with numprocs = %d the process numbers would exceed %d",
		    pc->numprocs_start, pc->numprocs, INT_MAX);
		nums_ok = false;
	}
	program_expansions(ld, pc, nums_ok);

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

/*
 * Convert the group section SEC, opened at LINE.  Its program names are
 * checked against the programs once every file is read (groups_check()).
 */
static void
group_add(struct load *ld, cfg_t *sec, int line)
{
	struct conf_group *g = xcalloc(1, sizeof(*g));
	size_t n = cfg_size(sec, "programs");

	g->name = xstrdup(sec->title != NULL ? sec->title : "");
	g->file = xstrdup(sec->filename != NULL ? sec->filename :
	    ld->mainpath);
	g->line = line;
	g->programs = xcalloc(n + 1, sizeof(char *));
	if (!valid_name(ld, "group", g->name, g->file, g->line)) {
		group_free(g);
		return;
	}
	if (n == 0)
		error_at(ld, g->file, line, "group %s: programs must list "
		    "its programs: programs = {\"a\", \"b\"}", g->name);
	for (size_t i = 0; i < n; i++) {
		const char *p = cfg_getnstr(sec, "programs", (unsigned int)i);
		bool twice = false;

		for (size_t j = 0; j < g->nprograms; j++)
			twice = twice || strcmp(g->programs[j], p) == 0;
		if (twice)
			error_at(ld, g->file, line, "group %s: program %s is "
			    "listed twice", g->name, p);
		else
			g->programs[g->nprograms++] = xstrdup(p);
	}
	for (size_t i = 0; i < ld->ngroups; i++) {
		if (strcmp(ld->groups[i]->name, g->name) == 0) {
			error_at(ld, g->file, g->line, "group %s: duplicate "
			    "group name, first defined at %s:%d", g->name,
			    ld->groups[i]->file, ld->groups[i]->line);
			break;
		}
	}
	if (ld->ngroups == ld->groups_cap) {
		ld->groups_cap = ld->groups_cap ? ld->groups_cap * 2 : 8;
		ld->groups = xreallocarray(ld->groups, ld->groups_cap,
		    sizeof(*ld->groups));
	}
	ld->groups[ld->ngroups++] = g;
}

static int
program_name_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct program_conf *const *)a)->name,
	    (*(const struct program_conf *const *)b)->name);
}

static const struct program_conf *
program_by_name(struct program_conf **byname, size_t n, const char *name)
{
	struct program_conf key = { .name = (char *)(uintptr_t)name };
	struct program_conf *kp = &key, **found;

	found = bsearch(&kp, byname, n, sizeof(*byname), program_name_cmp);
	return found != NULL ? *found : NULL;
}

/* Every group names existing programs and no program's name. */
static void
groups_check(struct load *ld)
{
	struct program_conf **byname;
	const struct program_conf *pc;

	if (ld->ngroups == 0)
		return;
	byname = xcalloc(ld->nprograms + 1, sizeof(*byname));
	for (size_t i = 0; i < ld->nprograms; i++)
		byname[i] = ld->programs[i];
	if (ld->nprograms > 1)
		qsort(byname, ld->nprograms, sizeof(*byname),
		    program_name_cmp);
	for (size_t i = 0; i < ld->ngroups; i++) {
		const struct conf_group *g = ld->groups[i];

		if ((pc = program_by_name(byname, ld->nprograms, g->name)))
			error_at(ld, g->file, g->line, "group %s: a program "
			    "has the same name (%s:%d): GROUP: and PROGRAM "
			    "would be ambiguous, rename one", g->name,
			    pc->file, pc->line);
		for (size_t j = 0; j < g->nprograms; j++)
			if (!program_by_name(byname, ld->nprograms,
			    g->programs[j]))
				error_at(ld, g->file, g->line, "group %s: no "
				    "program named %s", g->name, g->programs[j]);
	}
	free(byname);
}

struct env_ref {
	const char	*s;
	size_t		 keylen;
};

static int
env_ref_cmp(const void *a, const void *b)
{
	const struct env_ref *x = a, *y = b;
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int c = memcmp(x->s, y->s, n);

	if (c != 0)
		return c;
	return (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

/*
 * Give PC the global entries whose KEY it does not set itself, before its
 * own: sorted keys, so a long list stays fast.
 */
static void
environment_merge(struct program_conf *pc, char *const *genv)
{
	size_t np = strv_len(pc->environment), ng = strv_len(genv), n = 0;
	struct env_ref *own = xcalloc(np + 1, sizeof(*own));
	char **merged = xcalloc(np + ng + 1, sizeof(char *));

	for (size_t i = 0; i < np; i++) {
		own[i].s = pc->environment[i];
		own[i].keylen = strcspn(own[i].s, "=");
	}
	qsort(own, np, sizeof(*own), env_ref_cmp);
	for (size_t i = 0; i < ng; i++) {
		struct env_ref key = { genv[i], strcspn(genv[i], "=") };

		if (bsearch(&key, own, np, sizeof(*own), env_ref_cmp) == NULL)
			merged[n++] = xstrdup(genv[i]);
	}
	for (size_t i = 0; i < np; i++)
		merged[n++] = pc->environment[i];
	free(pc->environment);
	free(own);
	pc->environment = merged;
}

/* ------------------------------------------------------------ callbacks */

/* Any option of a section: note the line where it was set. */
static int
section_option_cb(cfg_t *sec, cfg_opt_t *opt)
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
	for (size_t i = 0; i < conf_program_noptions; i++)
		if (strcmp(opt->name, conf_program_options[i].name) == 0)
			ld->popt_line[i] = sec->line;
	return 0;
}

/* The line of the '{' of section SEC, which has just closed. */
static int
section_line(struct load *ld, cfg_t *sec)
{
	if (ld->sec == sec)
		return ld->sec_line;
	memset(ld->popt_line, 0, sizeof(ld->popt_line));
	return sec->line;
}

/* A program section has closed: convert it and drop it from the tree. */
static int
program_closed_cb(cfg_t *cfg, cfg_opt_t *opt)
{
	struct load *ld = loading;
	unsigned int n = cfg_opt_size(opt);
	cfg_t *sec;

	(void)cfg;
	if (n == 0)
		return 0;
	sec = cfg_opt_getnsec(opt, n - 1);
	program_add(ld, sec, section_line(ld, sec));
	cfg_opt_rmnsec(opt, n - 1);
	ld->sec = NULL;
	return 0;
}

/* A group section has closed: convert it and drop it from the tree. */
static int
group_closed_cb(cfg_t *cfg, cfg_opt_t *opt)
{
	struct load *ld = loading;
	unsigned int n = cfg_opt_size(opt);
	cfg_t *sec;

	(void)cfg;
	if (n == 0)
		return 0;
	sec = cfg_opt_getnsec(opt, n - 1);
	group_add(ld, sec, section_line(ld, sec));
	cfg_opt_rmnsec(opt, n - 1);
	ld->sec = NULL;
	return 0;
}

/* A global option in an include_dir file is an error. */
static bool
global_refused(struct load *ld, cfg_t *cfg, cfg_opt_t *opt)
{
	const char *file = cfg->filename != NULL ? cfg->filename :
	    ld->mainpath;

	if (!ld->in_include_dir)
		return false;
	/* libconfuse validates a list twice; one report. */
	if (ld->refused_cfg == cfg && ld->refused_line == cfg->line &&
	    ld->refused_opt == opt)
		return true;
	ld->refused_cfg = cfg;
	ld->refused_line = cfg->line;
	ld->refused_opt = opt;
	error_at(ld, file, cfg->line, "%s: global options are not allowed in "
	    "include_dir files, only program sections", opt->name);
	return true;
}

/* A global option: note where; refuse it in include_dir files. */
static int
global_option_cb(cfg_t *cfg, cfg_opt_t *opt)
{
	struct load *ld = loading;
	const char *file = cfg->filename != NULL ? cfg->filename :
	    ld->mainpath;

	if (global_refused(ld, cfg, opt))
		return 0;
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

/* The global environment: the list as it stands (`+=` included). */
static int
global_env_cb(cfg_t *cfg, cfg_opt_t *opt)
{
	struct load *ld = loading;
	unsigned int n = cfg_size(cfg, opt->name);

	if (global_refused(ld, cfg, opt))
		return 0;
	strv_free(ld->genv);
	free(ld->genv_file);
	ld->genv = xcalloc(n + 1, sizeof(char *));
	for (unsigned int i = 0; i < n; i++)
		ld->genv[i] = xstrdup(cfg_getnstr(cfg, opt->name, i));
	ld->genv_file = xstrdup(cfg->filename != NULL ? cfg->filename :
	    ld->mainpath);
	ld->genv_line = cfg->line;
	return 0;
}

static int	parse_file(struct load *, const char *, const char *, int,
		    const char *, size_t);

/*
 * include("FILE"): parse FILE, relative to the including file, right here.
 * A file that cannot be read is reported and skipped; a syntax error in it
 * ends the including file's parse too (as with a textual include), except
 * in a lenient load, which reads on for the socket.
 */
static int
include_cb(cfg_t *cfg, cfg_opt_t *opt, int argc, const char **argv)
{
	struct load *ld = loading;
	const char *file = cfg->filename != NULL ? cfg->filename :
	    ld->mainpath;
	char *path;
	int rc;

	(void)opt;
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
	rc = parse_file(ld, path, file, cfg->line, NULL, 0);
	free(path);
	return rc == -2 && !ld->lenient ? 1 : 0;
}

/* ------------------------------------------------------------ loading */

/*
 * Parse PATH (named by an include() at FROM_FILE:FROM_LINE, or NULL), or
 * the LEN bytes of BUFFER under that name, into a tree of its own and
 * drop it: the callbacks collect the sections and globals.  Returns 0; -1
 * when PATH could not be read; -2 after a syntax error.  Every problem is
 * reported.
 */
static int
parse_file(struct load *ld, const char *path, const char *from_file,
    int from_line, const char *buffer, size_t len)
{
	size_t nerrs = ld->errs->n;
	cfg_t *cfg, *saved_root = ld->root;
	const char *saved_text = ld->text;
	bool saved_mute = ld->mute, scanned;
	char *text;
	FILE *fp = NULL;
	int rc;

	if (buffer != NULL) {
		text = xmalloc(len + 1);
		memcpy(text, buffer, len);
		text[len] = '\0';
	} else if (file_read(ld, path, from_file, from_line, &text,
	    &len) == -1)
		return -1;
	scanned = conf_scan(text, len, path, ld->errs) == 0;
	if (!scanned && !ld->lenient) {
		free(text);
		return -1;
	}
	if (len == 0) {			/* fmemopen() may refuse it */
		free(text);
		return 0;
	}
	schema();
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
	ld->text = text;
	ld->mute = ld->mute || !scanned;
	ld->depth++;
	rc = cfg_parse_fp(cfg, fp);
	ld->depth--;
	ld->root = saved_root;
	ld->text = saved_text;
	ld->mute = saved_mute;
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
	if (!scanned)
		return -1;
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

/* The socket as set (relative: to the main file), or NULL if unusable. */
static char *
socket_from_load(struct load *ld)
{
	const char *s = global_value(ld, G_SOCKET);
	char *path;

	if (*s == '\0')
		return NULL;
	path = path_relative_to(ld->mainabs, s);
	if (strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
		free(path);
		return NULL;
	}
	return path;
}

/* The global environment: valid entries, valid expansions. */
static void
global_environment(struct load *ld, struct conf *conf)
{
	struct msglist msgs = MSGLIST_INIT;
	struct utsname u;
	struct expand_ctx ctx = {
		.program_name = "", .here = ".", .numprocs = 1,
		.host_node_name = node_name(&u),
	};
	char err[256];
	char *v;

	conf->environment = ld->genv != NULL ? ld->genv : xcalloc(1,
	    sizeof(char *));
	ld->genv = NULL;
	conf_environment_check(conf->environment, &msgs);
	for (size_t i = 0; i < msgs.n; i++)
		error_at(ld, ld->genv_file, ld->genv_line, "%s", msgs.msgs[i]);
	msglist_clear(&msgs);
	for (size_t i = 0; conf->environment[i] != NULL; i++) {
		if ((v = words_expand(conf->environment[i], &ctx, err,
		    sizeof(err))) != NULL)
			free(v);
		else if (!(client_mode && strstr(err, "ENV_") != NULL))
			error_at(ld, ld->genv_file, ld->genv_line,
			    "environment: %s", err);
	}
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
	if (conf_parse_mode(s, &conf->socket_mode) == -1)
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
	if (conf_parse_bool(s, &b) == -1)
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
	global_environment(ld, conf);
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
			parse_file(ld, path, NULL, 0, NULL, 0);
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

static int
group_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct conf_group *const *)a)->name,
	    (*(const struct conf_group *const *)b)->name);
}

/*
 * Load PATH (or BUFFER, LEN bytes, named PATH) with LD set up by the
 * caller.  Returns the conf as far as it got, even with errors.
 */
static struct conf *
load_run(struct load *ld, const char *path, const char *buffer, size_t len,
    bool *parsed)
{
	struct conf *conf;

	ld->mainpath = path;
	if ((ld->mainabs = realpath(path, NULL)) == NULL)
		ld->mainabs = xstrdup(path);
	loading = ld;

	conf = xcalloc(1, sizeof(*conf));
	conf->path = xstrdup(path);
	*parsed = false;
	if (parse_file(ld, path, NULL, 0, buffer, len) == 0) {
		*parsed = true;
		globals_from_load(ld, conf);
		if (conf->include_dir != NULL)
			include_dir_load(ld, conf->include_dir);
	}
	groups_check(ld);
	for (size_t i = 0; conf->environment != NULL &&
	    conf->environment[0] != NULL && i < ld->nprograms; i++)
		environment_merge(ld->programs[i], conf->environment);

	conf->programs = ld->programs;
	conf->nprograms = ld->nprograms;
	if (conf->nprograms > 0)
		qsort(conf->programs, conf->nprograms,
		    sizeof(*conf->programs), program_cmp);
	conf->groups = ld->groups;
	conf->ngroups = ld->ngroups;
	if (conf->ngroups > 0)
		qsort(conf->groups, conf->ngroups, sizeof(*conf->groups),
		    group_cmp);
	strv_free(ld->genv);
	free(ld->genv_file);
	loading = NULL;
	return conf;
}

static void
load_done(struct load *ld)
{
	for (int i = 0; i < G_NOPTS; i++) {
		free(ld->gopt_value[i]);
		free(ld->gopt_file[i]);
	}
	free(ld->mainabs);
}

static struct conf *
load(const char *path, const char *buffer, size_t len, struct msglist *errs)
{
	struct load ld;
	struct conf *conf;
	size_t nerrs = errs->n;
	bool parsed;

	memset(&ld, 0, sizeof(ld));
	ld.errs = errs;
	conf = load_run(&ld, path, buffer, len, &parsed);
	load_done(&ld);
	if (!parsed || errs->n > nerrs) {
		if (errs->n == nerrs)
			msglist_add(errs, "%s: cannot load", path);
		conf_free(conf);
		return NULL;
	}
	return conf;
}

struct conf *
conf_load(const char *path, struct msglist *errs)
{
	return load(path, NULL, 0, errs);
}

struct conf *
conf_load_buffer(const char *text, size_t len, const char *name,
    struct msglist *errs)
{
	return load(name, text != NULL ? text : "", text != NULL ? len : 0,
	    errs);
}

char *
conf_client_socket(const char *path, struct msglist *warnings)
{
	struct load ld;
	struct conf *conf;
	bool parsed, saved_mode = client_mode;
	char *sock;

	memset(&ld, 0, sizeof(ld));
	ld.errs = warnings;
	ld.lenient = true;
	client_mode = true;
	conf = load_run(&ld, path, NULL, 0, &parsed);
	client_mode = saved_mode;
	if (ld.main_unreadable)
		sock = NULL;
	else if ((sock = socket_from_load(&ld)) == NULL) {
		/* A parsed file has had its socket checked already. */
		if (!parsed)
			global_error(&ld, G_SOCKET, "socket = \"%s\": not a "
			    "usable socket path", global_value(&ld, G_SOCKET));
		sock = xstrdup(RUNSTATEDIR "/mwsup.sock");
	}
	load_done(&ld);
	conf_free(conf);
	return sock;
}

void
conf_free(struct conf *conf)
{
	if (conf == NULL)
		return;
	for (size_t i = 0; i < conf->nprograms; i++)
		program_conf_free(conf->programs[i]);
	free(conf->programs);
	for (size_t i = 0; i < conf->ngroups; i++)
		group_free(conf->groups[i]);
	free(conf->groups);
	free(conf->path);
	free(conf->socket);
	free(conf->socket_group);
	free(conf->pidfile);
	free(conf->include_dir);
	strv_free(conf->environment);
	free(conf);
}

/* ------------------------------------------------------------ queries */

struct program_conf *
conf_find_program(const struct conf *conf, const char *name)
{
	for (size_t i = 0; i < conf->nprograms; i++)
		if (strcmp(conf->programs[i]->name, name) == 0)
			return conf->programs[i];
	return NULL;
}

struct conf_group *
conf_find_group(const struct conf *conf, const char *name)
{
	for (size_t i = 0; i < conf->ngroups; i++)
		if (strcmp(conf->groups[i]->name, name) == 0)
			return conf->groups[i];
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
	struct utsname u;
	struct expand_ctx ctx = {
		.program_name = pc->name, .process_num = num, .here = pc->here,
		.numprocs = pc->numprocs, .host_node_name = node_name(&u),
	};
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
