/*
 * test_conf.c — conf_load() and friends: defaults, every validation error
 * with its message and line, include() and include_dir, expansions,
 * program_conf_equal() and the conf_print() round trip.
 *
 * Every test works in a fresh mkdtemp() directory, which is the current
 * directory while it runs, so file names in messages are short and fixed.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "conf_options.h"
#include "msglist.h"
#include "xalloc.h"

struct fixture {
	char	 dir[PATH_MAX];		/* realpath of the temporary dir */
	int	 oldcwd;		/* fd of the directory we came from */
};

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	char tmpl[] = "/tmp/mwsup-test-conf.XXXXXX";

	if (mkdtemp(tmpl) == NULL || realpath(tmpl, fx->dir) == NULL)
		return -1;
	if ((fx->oldcwd = open(".", O_RDONLY | O_DIRECTORY)) == -1 ||
	    chdir(fx->dir) == -1)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	if (fchdir(fx->oldcwd) == -1)
		return -1;
	close(fx->oldcwd);
	nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

/* Write a file (relative to the test directory); directories made. */
static void
write_file(const char *path, const char *text)
{
	char *copy = xstrdup(path);
	FILE *fp;

	for (char *p = strchr(copy, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(copy, 0755) == -1 && errno != EEXIST)
			fail_msg("mkdir %s: %s", copy, strerror(errno));
		*p = '/';
	}
	free(copy);
	if ((fp = fopen(path, "w")) == NULL)
		fail_msg("cannot write %s: %s", path, strerror(errno));
	fputs(text, fp);
	fclose(fp);
}

/* Load TEXT written to mwsup.conf; must succeed. */
static struct conf *
load_ok(const char *text)
{
	struct msglist errs = MSGLIST_INIT;
	struct conf *conf;

	write_file("mwsup.conf", text);
	conf = conf_load("mwsup.conf", &errs);
	if (conf == NULL)
		fail_msg("conf_load failed: %s", errs.n ? errs.msgs[0] : "?");
	assert_int_equal(errs.n, 0);
	msglist_clear(&errs);
	return conf;
}

/*
 * Load TEXT written to mwsup.conf; must fail with exactly the messages
 * given (NULL-terminated).
 */
static void
load_fails(const char *text, ...)
{
	struct msglist errs = MSGLIST_INIT;
	struct conf *conf;
	const char *want;
	size_t i = 0;
	va_list ap;

	if (text != NULL)
		write_file("mwsup.conf", text);
	conf = conf_load("mwsup.conf", &errs);
	if (conf != NULL) {
		conf_free(conf);
		fail_msg("conf_load succeeded on:\n%s", text);
	}
	va_start(ap, text);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (i >= errs.n)
			fail_msg("missing message %zu: %s", i, want);
		assert_string_equal(errs.msgs[i], want);
		i++;
	}
	va_end(ap);
	if (i != errs.n)
		fail_msg("unexpected message: %s", errs.msgs[i]);
	msglist_clear(&errs);
}

/*
 * MWSUP_TEST_USER: our own user, which `user` accepts whether or not we run
 * as root (configurations below use libconfuse's ${VAR} for it).
 */
static void
set_test_user(void)
{
	struct passwd *pw = getpwuid(geteuid());

	assert_non_null(pw);
	assert_int_equal(setenv("MWSUP_TEST_USER", pw->pw_name, 1), 0);
}

/* ------------------------------------------------------------ defaults */

static void
test_defaults(void **state)
{
	struct fixture *fx = *state;
	struct conf *conf;
	struct program_conf *pc;

	conf = load_ok("program web {\n\tcommand = \"/bin/true\"\n}\n");
	assert_string_equal(conf->path, "mwsup.conf");
	assert_string_equal(conf->socket, RUNSTATEDIR "/mwsup.sock");
	assert_int_equal(conf->socket_mode, 0600);
	assert_null(conf->socket_group);
	assert_string_equal(conf->pidfile, RUNSTATEDIR "/mwsupd.pid");
	assert_int_equal(conf->log_facility, LOG_DAEMON);
	assert_int_equal(conf->log_target, LOG_TARGET_SYSLOG);
	assert_false(conf->exit_when_done);
	assert_null(conf->include_dir);
	assert_int_equal(conf->nprograms, 1);

	pc = conf->programs[0];
	assert_string_equal(pc->name, "web");
	assert_string_equal(pc->file, "mwsup.conf");
	assert_int_equal(pc->line, 1);
	assert_string_equal(pc->here, fx->dir);
	assert_string_equal(pc->command, "/bin/true");
	assert_string_equal(pc->words[0], "/bin/true");
	assert_null(pc->words[1]);
	assert_int_equal(pc->numprocs, 1);
	assert_int_equal(pc->numprocs_start, 0);
	assert_true(pc->autostart);
	assert_int_equal(pc->autorestart, AUTORESTART_UNEXPECTED);
	assert_true(program_conf_normal_exit(pc, 0));
	for (int code = 1; code < 256; code++)
		assert_false(program_conf_normal_exit(pc, code));
	assert_false(program_conf_normal_exit(pc, -1));
	assert_false(program_conf_normal_exit(pc, 256));
	assert_int_equal(pc->startsecs, 1);
	assert_int_equal(pc->startretries, 3);
	assert_int_equal(pc->stopsignal, SIGTERM);
	assert_int_equal(pc->stopwaitsecs, 10);
	assert_int_equal(pc->killmode, KILLMODE_GROUP);
	assert_null(pc->user);
	assert_null(pc->directory);
	assert_int_equal(pc->umask, -1);
	assert_non_null(pc->environment);
	assert_null(pc->environment[0]);
	assert_int_equal(pc->priority, 999);
	assert_null(pc->lockfile);
	assert_string_equal(pc->syslog_ident, "web");
	assert_ptr_equal(conf_find_program(conf, "web"), pc);
	assert_null(conf_find_program(conf, "nope"));
	conf_free(conf);
}

static void
test_values(void **state)
{
	struct conf *conf;
	struct program_conf *pc;

	(void)state;
	setenv("MWSUP_TEST_DIR", "/srv", 1);
	conf = load_ok(
	    "socket = \"/tmp/t.sock\"\n"
	    "socket_mode = 0660\n"
	    "socket_group = root\n"
	    "pidfile = '/tmp/t.pid'\n"
	    "log_facility = local7\n"
	    "log_target = stderr\n"
	    "exit_when_done = true\n"
	    "program queue {\n"
	    "  command = \"/usr/bin/php worker.php --slot %(process_num)d\"\n"
	    "  numprocs = 4\n"
	    "  numprocs_start = 1\n"
	    "  autostart = false\n"
	    "  autorestart = false\n"
	    "  normal_exit = {0, 2, 255}\n"
	    "  startsecs = 0\n"
	    "  startretries = 0\n"
	    "  stopsignal = SIGQUIT\n"
	    "  stopwaitsecs = 86400\n"
	    "  killmode = process\n"
	    "  directory = \"%(ENV_MWSUP_TEST_DIR)s/app\"\n"
	    "  umask = 022\n"
	    "  environment = {\"APP_ENV=prod\", \"EMPTY=\"}\n"
	    "  priority = 0\n"
	    "  lockfile = \"/run/lock/queue.lock\"\n"
	    "  syslog_ident = \"q\"\n"
	    "}\n"
	    "program batch { command = x autorestart = true }\n");
	assert_string_equal(conf->socket, "/tmp/t.sock");
	assert_int_equal(conf->socket_mode, 0660);
	assert_string_equal(conf->socket_group, "root");
	assert_string_equal(conf->pidfile, "/tmp/t.pid");
	assert_int_equal(conf->log_facility, LOG_LOCAL7);
	assert_int_equal(conf->log_target, LOG_TARGET_STDERR);
	assert_true(conf->exit_when_done);

	pc = conf_find_program(conf, "queue");
	assert_non_null(pc);
	assert_int_equal(pc->line, 8);
	assert_string_equal(pc->words[3], "%(process_num)d");
	assert_null(pc->words[4]);
	assert_int_equal(pc->numprocs, 4);
	assert_int_equal(pc->numprocs_start, 1);
	assert_false(pc->autostart);
	assert_int_equal(pc->autorestart, AUTORESTART_FALSE);
	assert_true(program_conf_normal_exit(pc, 0));
	assert_false(program_conf_normal_exit(pc, 1));
	assert_true(program_conf_normal_exit(pc, 2));
	assert_true(program_conf_normal_exit(pc, 255));
	assert_int_equal(pc->startsecs, 0);
	assert_int_equal(pc->startretries, 0);
	assert_int_equal(pc->stopsignal, SIGQUIT);
	assert_int_equal(pc->stopwaitsecs, 86400);
	assert_int_equal(pc->killmode, KILLMODE_PROCESS);
	assert_string_equal(pc->directory, "%(ENV_MWSUP_TEST_DIR)s/app");
	assert_int_equal(pc->umask, 022);
	assert_string_equal(pc->environment[0], "APP_ENV=prod");
	assert_string_equal(pc->environment[1], "EMPTY=");
	assert_null(pc->environment[2]);
	assert_int_equal(pc->priority, 0);
	assert_string_equal(pc->lockfile, "/run/lock/queue.lock");
	assert_string_equal(pc->syslog_ident, "q");

	/* Sorted by priority: queue (0) before batch (999). */
	assert_ptr_equal(conf->programs[0], pc);
	assert_int_equal(conf_find_program(conf, "batch")->autorestart,
	    AUTORESTART_TRUE);
	conf_free(conf);
	unsetenv("MWSUP_TEST_DIR");
}

static void
test_value_spellings(void **state)
{
	struct conf *conf;
	struct program_conf *pc;

	(void)state;
	conf = load_ok(
	    "socket_mode = 660\n"
	    "log_facility = \"LOCAL0\"\n"
	    "exit_when_done = yes\n"
	    "program a { command = x autostart = off autorestart = Yes"
	    " stopsignal = usr1 umask = 0 normal_exit = {} }\n"
	    "program b { command = x autorestart = UNEXPECTED"
	    " stopsignal = \"SIGHUP\" umask = \"0777\" }\n");
	assert_int_equal(conf->socket_mode, 0660);
	assert_int_equal(conf->log_facility, LOG_LOCAL0);
	assert_true(conf->exit_when_done);
	pc = conf_find_program(conf, "a");
	assert_false(pc->autostart);
	assert_int_equal(pc->autorestart, AUTORESTART_TRUE);
	assert_int_equal(pc->stopsignal, SIGUSR1);
	assert_int_equal(pc->umask, 0);
	for (int code = 0; code < 256; code++)
		assert_false(program_conf_normal_exit(pc, code));
	pc = conf_find_program(conf, "b");
	assert_int_equal(pc->autorestart, AUTORESTART_UNEXPECTED);
	assert_int_equal(pc->stopsignal, SIGHUP);
	assert_int_equal(pc->umask, 0777);
	conf_free(conf);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(autorestart_name(AUTORESTART_FALSE), "false");
	assert_string_equal(autorestart_name(AUTORESTART_TRUE), "true");
	assert_string_equal(autorestart_name(AUTORESTART_UNEXPECTED),
	    "unexpected");
	assert_string_equal(killmode_name(KILLMODE_GROUP), "group");
	assert_string_equal(killmode_name(KILLMODE_PROCESS), "process");
	assert_string_equal(log_target_name(LOG_TARGET_SYSLOG), "syslog");
	assert_string_equal(log_target_name(LOG_TARGET_STDERR), "stderr");
	assert_string_equal(facility_name(LOG_DAEMON), "daemon");
	assert_string_equal(facility_name(LOG_LOCAL5), "local5");
	assert_int_equal(facility_from_name("user"), LOG_USER);
	assert_int_equal(facility_from_name("authpriv"), LOG_AUTHPRIV);
	assert_int_equal(facility_from_name("local8"), -1);
	assert_int_equal(facility_from_name(""), -1);
}

/* ------------------------------------------------------------ errors */

static void
test_missing_file(void **state)
{
	struct msglist errs = MSGLIST_INIT;

	(void)state;
	msglist_add(&errs, "earlier message");
	assert_null(conf_load("no-such.conf", &errs));
	assert_int_equal(errs.n, 2);
	assert_string_equal(errs.msgs[0], "earlier message");
	assert_string_equal(errs.msgs[1],
	    "no-such.conf: cannot read: No such file or directory");
	msglist_clear(&errs);

	assert_int_equal(mkdir("dir.conf", 0755), 0);
	assert_null(conf_load("dir.conf", &errs));
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.msgs[0], "dir.conf: not a regular file");
	msglist_clear(&errs);
}

static void
test_syntax_errors(void **state)
{
	(void)state;
	load_fails("program web {\n\tcommand = x\n",
	    "mwsup.conf:1: '{' is not closed: unexpected end of file", NULL);
	load_fails("program a { command = x }\n\nprogram web {\n"
	    "\tenvironment = {\"A=1\"\n}\n",
	    "mwsup.conf:3: '{' is not closed: unexpected end of file", NULL);
	load_fails("program a { command = x }\nprogram web {\n"
	    "\tenvironment = {\"A=1\"\n",
	    "mwsup.conf:3: '{' is not closed: unexpected end of file", NULL);
	load_fails("program web {\n\tcommand = \"x\n}\n",
	    "mwsup.conf:2: unterminated string: missing closing \"", NULL);
	load_fails("program web {\n\tcommand = 'x\n}\n",
	    "mwsup.conf:2: unterminated string: missing closing '", NULL);
	load_fails("# c\n/* open\n\n",
	    "mwsup.conf:2: unterminated comment: '/*' without '*/'", NULL);
	load_fails("# comment\n// comment\n/* multi\nline */\n"
	    "program web {\n\tcommand = x\n\tbogus = 1\n}\n",
	    "mwsup.conf:7: program web: unknown option 'bogus'", NULL);
	load_fails("listen = 80\n",
	    "mwsup.conf:1: unknown option 'listen'", NULL);
	load_fails("}\n", "mwsup.conf:1: unexpected closing brace", NULL);
}

static void
test_program_errors(void **state)
{
	static const struct {
		const char	*text;
		const char	*message;
	} cases[] = {
	{ "program web {\n numprocs = 2\n}\n",
	  "mwsup.conf:1: program web: command is required" },
	{ "program web {\n command = \"  \"\n}\n",
	  "mwsup.conf:2: program web: command must not be empty" },
	{ "program web {\n command = \"a 'b\"\n}\n",
	  "mwsup.conf:2: program web: command: unterminated single quote" },
	{ "program web {\n command = \"a \\\"b\"\n}\n",
	  "mwsup.conf:2: program web: command: unterminated double quote" },
	{ "program web {\n command = \"a\\\\\"\n}\n",
	  "mwsup.conf:2: program web: command: trailing backslash" },
	{ "program web {\n command = x\n numprocs = 0\n}\n",
	  "mwsup.conf:3: program web: numprocs = 0: must be between 1 and "
	  "100000" },
	{ "program web {\n command = x\n numprocs = 100001\n}\n",
	  "mwsup.conf:3: program web: numprocs = 100001: must be between 1 "
	  "and 100000" },
	{ "program web {\n command = x\n numprocs = two\n}\n",
	  "mwsup.conf:3: program web: numprocs = two: not a whole number" },
	{ "program web {\n command = x\n numprocs = 99999999999999999999\n}\n",
	  "mwsup.conf:3: program web: numprocs = 99999999999999999999: must "
	  "be between 1 and 100000" },
	{ "program web {\n command = x\n numprocs_start = -1\n}\n",
	  "mwsup.conf:3: program web: numprocs_start = -1: must be 0 or more" },
	{ "program web {\n command = x\n numprocs = 3\n"
	  " numprocs_start = 2147483646\n}\n",
	  "mwsup.conf:4: program web: numprocs_start = 2147483646: with "
	  "numprocs = 3 the process numbers would exceed 2147483647" },
	{ "program web {\n command = x\n autostart = maybe\n}\n",
	  "mwsup.conf:3: program web: autostart = maybe: must be true or "
	  "false" },
	{ "program web {\n command = x\n autorestart = always\n}\n",
	  "mwsup.conf:3: program web: autorestart = always: must be true, "
	  "false or unexpected" },
	{ "program web {\n command = x\n normal_exit = {0,\n 256}\n}\n",
	  "mwsup.conf:4: program web: normal_exit: 256 is not an exit code "
	  "(0 to 255)" },
	{ "program web {\n command = x\n normal_exit = -1\n}\n",
	  "mwsup.conf:3: program web: normal_exit: -1 is not an exit code "
	  "(0 to 255)" },
	{ "program web {\n command = x\n startsecs = 86401\n}\n",
	  "mwsup.conf:3: program web: startsecs = 86401: must be between 0 "
	  "and 86400" },
	{ "program web {\n command = x\n startretries = 1001\n}\n",
	  "mwsup.conf:3: program web: startretries = 1001: must be between 0 "
	  "and 1000" },
	{ "program web {\n command = x\n stopwaitsecs = -5\n}\n",
	  "mwsup.conf:3: program web: stopwaitsecs = -5: must be between 0 "
	  "and 86400" },
	{ "program web {\n command = x\n stopsignal = STOP\n}\n",
	  "mwsup.conf:3: program web: stopsignal = STOP: must be one of TERM, "
	  "INT, QUIT, HUP, KILL, USR1, USR2" },
	{ "program web {\n command = x\n stopsignal = 15\n}\n",
	  "mwsup.conf:3: program web: stopsignal = 15: must be one of TERM, "
	  "INT, QUIT, HUP, KILL, USR1, USR2" },
	{ "program web {\n command = x\n killmode = session\n}\n",
	  "mwsup.conf:3: program web: killmode = session: must be group or "
	  "process" },
	{ "program web {\n command = x\n umask = 0800\n}\n",
	  "mwsup.conf:3: program web: umask = 0800: must be an octal mode "
	  "between 0 and 0777, e.g. 022" },
	{ "program web {\n command = x\n umask = 01000\n}\n",
	  "mwsup.conf:3: program web: umask = 01000: must be an octal mode "
	  "between 0 and 0777, e.g. 022" },
	{ "program web {\n command = x\n environment = {\"A=1\", \"B\"}\n}\n",
	  "mwsup.conf:3: program web: environment: \"B\" is not KEY=VALUE" },
	{ "program web {\n command = x\n environment = {\"A-B=1\"}\n}\n",
	  "mwsup.conf:3: program web: environment: \"A-B=1\": \"A-B\" is not a "
	  "valid variable name (letters, digits and '_', not starting with a "
	  "digit)" },
	{ "program web {\n command = x\n environment = {\"=1\"}\n}\n",
	  "mwsup.conf:3: program web: environment: \"=1\": \"\" is not a valid "
	  "variable name (letters, digits and '_', not starting with a "
	  "digit)" },
	{ "program web {\n command = x\n environment = {\"A=1\", \"A=2\"}\n}\n",
	  "mwsup.conf:3: program web: environment: A is set twice" },
	{ "program web {\n command = x\n priority = -1\n}\n",
	  "mwsup.conf:3: program web: priority = -1: must be 0 or more" },
	{ "program web {\n command = x\n user = \"no-such-user-mwsup\"\n}\n",
	  "mwsup.conf:3: program web: user = no-such-user-mwsup: no such "
	  "user" },
	{ "program web {\n command = x\n user = \"\"\n}\n",
	  "mwsup.conf:3: program web: user must not be empty" },
	{ "program web {\n command = x\n directory = \"\"\n}\n",
	  "mwsup.conf:3: program web: directory must not be empty" },
	{ "program web {\n command = x\n lockfile = ''\n}\n",
	  "mwsup.conf:3: program web: lockfile must not be empty" },
	{ "program web {\n command = x\n syslog_ident = \"\"\n}\n",
	  "mwsup.conf:3: program web: syslog_ident must not be empty" },
	{ "program web {\n command = x\n restart = always\n}\n",
	  "mwsup.conf:3: program web: unknown option 'restart'" },
	{ "program \"web server\" {\n command = x\n}\n",
	  "mwsup.conf:1: program \"web server\": invalid name: use only "
	  "letters, digits, '_', '-' and '.'" },
	{ "program 'a/b' {\n command = x\n}\n",
	  "mwsup.conf:1: program \"a/b\": invalid name: use only letters, "
	  "digits, '_', '-' and '.'" },
	{ "program \"\" {\n command = x\n}\n",
	  "mwsup.conf:1: program name must not be empty" },
	{ "program a123456789b123456789c123456789d123456789e123456789f1234"
	  "56789g12345 {\n command = x\n}\n",
	  "mwsup.conf:1: program a123456789b123456789c123456789d123456789e12"
	  "3456789f123456789g12345: name is longer than 64 characters" },
	/* expansions, checked at load time */
	{ "program web {\n command = \"x %(nope)s\"\n}\n",
	  "mwsup.conf:2: program web: command: unknown expansion %(nope)s" },
	{ "program web {\n command = \"%(ENV_MWSUP_TEST_UNSET)s\"\n}\n",
	  "mwsup.conf:2: program web: command: %(ENV_MWSUP_TEST_UNSET)s: "
	  "MWSUP_TEST_UNSET is not set" },
	{ "program web {\n command = \"date +%s\"\n}\n",
	  "mwsup.conf:2: program web: command: stray '%' in \"+%s\": write %% "
	  "for a literal %" },
	{ "program web {\n command = \"%(ENV_MWSUP_TEST_EMPTY)s a\"\n}\n",
	  "mwsup.conf:2: program web: command: the program to run expands to "
	  "an empty string" },
	{ "program web {\n command = x\n numprocs = 3\n"
	  " directory = \"/srv/%(process_num)d/%(dir)s\"\n}\n",
	  "mwsup.conf:4: program web: directory: unknown expansion %(dir)s" },
	{ "program web {\n command = x\n"
	  " environment = {\"A=%(program_name)d\"}\n}\n",
	  "mwsup.conf:3: program web: environment: expansion "
	  "%(program_name)d: program_name is a string, write "
	  "%(program_name)s" },
	{ "program web {\n command = x\n lockfile = \"/run/%(here\"\n}\n",
	  "mwsup.conf:3: program web: lockfile: unterminated expansion "
	  "\"%(here\": missing ')'" },
	};

	(void)state;
	unsetenv("MWSUP_TEST_UNSET");
	setenv("MWSUP_TEST_EMPTY", "", 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		load_fails(cases[i].text, cases[i].message, NULL);
	unsetenv("MWSUP_TEST_EMPTY");
}

static void
test_global_errors(void **state)
{
	(void)state;
	load_fails("socket_mode = 0888\n", "mwsup.conf:1: socket_mode = 0888: "
	    "must be an octal mode between 0 and 0777, e.g. 0660", NULL);
	load_fails("\nsocket_mode = 01000\n", "mwsup.conf:2: socket_mode = "
	    "01000: must be an octal mode between 0 and 0777, e.g. 0660",
	    NULL);
	load_fails("socket_group = \"no-such-group-mwsup\"\n", "mwsup.conf:1: "
	    "socket_group = no-such-group-mwsup: no such group", NULL);
	load_fails("log_facility = kernel\n", "mwsup.conf:1: log_facility = "
	    "kernel: unknown syslog facility (daemon, user, local0 to local7, "
	    "auth, authpriv, cron, ftp, kern, lpr, mail, news, syslog, uucp)",
	    NULL);
	load_fails("log_target = file\n", "mwsup.conf:1: log_target = file: "
	    "must be syslog or stderr", NULL);
	load_fails("exit_when_done = 2\n", "mwsup.conf:1: exit_when_done = 2: "
	    "must be true or false", NULL);
	load_fails("socket = \"\"\npidfile = ''\n",
	    "mwsup.conf:1: socket must not be empty",
	    "mwsup.conf:2: pidfile must not be empty", NULL);
	{
		char long_path[120], *text, *message;

		memset(long_path, 'x', sizeof(long_path) - 1);
		long_path[0] = '/';
		long_path[108] = '\0';		/* 108 bytes: one too many */
		text = xasprintf("socket = \"%s\"\n", long_path);
		message = xasprintf("mwsup.conf:1: socket = %s: path longer "
		    "than 107 bytes", long_path);
		load_fails(text, message, NULL);
		free(text);
		free(message);
		long_path[107] = '\0';
		text = xasprintf("socket = \"%s\"\n", long_path);
		conf_free(load_ok(text));
		free(text);
	}
	load_fails("include_dir = \"missing.d\"\n", "mwsup.conf:1: include_dir "
	    "= missing.d: cannot read directory: No such file or directory",
	    NULL);
}

static void
test_all_errors_reported(void **state)
{
	(void)state;
	load_fails(
	    "socket_mode = 9\n"				/* 1 */
	    "program a {\n"				/* 2 */
	    "  command = \"x\"\n"			/* 3 */
	    "  numprocs = 0\n"				/* 4 */
	    "  stopsignal = FOO\n"			/* 5 */
	    "}\n"					/* 6 */
	    "program b {\n"				/* 7 */
	    "  killmode = none\n"			/* 8 */
	    "}\n"					/* 9 */
	    "program a {\n"				/* 10 */
	    "  command = \"y\"\n"			/* 11 */
	    "}\n",					/* 12 */
	    "mwsup.conf:4: program a: numprocs = 0: must be between 1 and "
	    "100000",
	    "mwsup.conf:5: program a: stopsignal = FOO: must be one of TERM, "
	    "INT, QUIT, HUP, KILL, USR1, USR2",
	    "mwsup.conf:7: program b: command is required",
	    "mwsup.conf:8: program b: killmode = none: must be group or "
	    "process",
	    "mwsup.conf:10: program a: duplicate program name, first defined "
	    "at mwsup.conf:2",
	    "mwsup.conf:1: socket_mode = 9: must be an octal mode between 0 "
	    "and 0777, e.g. 0660",
	    NULL);
}

/*
 * `user` only as root, or one's own user.  Run in a child that drops to
 * nobody when we are root, so both sides are tested wherever we run.
 */
static void
test_user_needs_root(void **state)
{
	struct fixture *fx = *state;
	struct passwd *pw;
	pid_t pid;
	int status;

	if (geteuid() == 0) {
		struct conf *conf = load_ok("program web { command = x "
		    "user = \"nobody\" }\n");

		assert_string_equal(conf->programs[0]->user, "nobody");
		conf_free(conf);
		if ((pw = getpwnam("nobody")) == NULL)
			skip();
	} else
		pw = getpwuid(geteuid());
	assert_non_null(pw);
	write_file("own.conf", "program web { command = x user = \"OWN\" }\n");
	write_file("other.conf", "program web {\n command = x\n"
	    " user = \"root\"\n}\n");
	{
		/* "OWN" stands for the name we will run as. */
		char *text = xasprintf("program web { command = x "
		    "user = \"%s\" }\n", pw->pw_name);

		write_file("own.conf", text);
		free(text);
	}
	assert_int_equal(chmod(fx->dir, 0755), 0);
	assert_int_equal(chmod("own.conf", 0644), 0);
	assert_int_equal(chmod("other.conf", 0644), 0);

	if ((pid = fork()) == 0) {
		struct msglist errs = MSGLIST_INIT;
		struct conf *conf;

		if (geteuid() == 0 && (setgid(pw->pw_gid) == -1 ||
		    setuid(pw->pw_uid) == -1))
			_exit(10);
		if ((conf = conf_load("own.conf", &errs)) == NULL)
			_exit(11);
		conf_free(conf);
		if (conf_load("other.conf", &errs) != NULL || errs.n != 1)
			_exit(12);
		if (strcmp(errs.msgs[0], "other.conf:3: program web: user = "
		    "root: mwsupd must run as root to switch users") != 0) {
			fprintf(stderr, "got: %s\n", errs.msgs[0]);
			_exit(13);
		}
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ------------------------------------------------------------ includes */

static void
test_include(void **state)
{
	struct fixture *fx = *state;
	struct conf *conf;
	struct program_conf *pc;
	char *here;

	(void)fx;
	write_file("sub/programs.inc",
	    "# included from mwsup.conf\n"
	    "log_target = stderr\n"
	    "program inc {\n"
	    "  command = \"%(here)s/run\"\n"
	    "}\n"
	    "include(\"more.inc\")\n");
	write_file("sub/more.inc", "program more { command = y }\n");
	conf = load_ok(
	    "program first { command = x }\n"
	    "include(\"sub/programs.inc\")\n"
	    "program last { command = x }\n");
	assert_int_equal(conf->nprograms, 4);
	assert_int_equal(conf->log_target, LOG_TARGET_STDERR);
	pc = conf_find_program(conf, "inc");
	assert_non_null(pc);
	assert_string_equal(pc->file, "sub/programs.inc");
	assert_int_equal(pc->line, 3);
	here = xasprintf("%s/sub", fx->dir);
	assert_string_equal(pc->here, here);
	free(here);
	pc = conf_find_program(conf, "more");
	assert_string_equal(pc->file, "sub/more.inc");
	assert_int_equal(pc->line, 1);
	assert_string_equal(conf_find_program(conf, "last")->file,
	    "mwsup.conf");
	conf_free(conf);

	/* Errors inside an included file name that file. */
	write_file("bad.inc", "\n\nprogram x {\n command = y\n numprocs = 0\n"
	    "}\n");
	load_fails("include(\"bad.inc\")\n",
	    "bad.inc:5: program x: numprocs = 0: must be between 1 and 100000",
	    NULL);
	load_fails("include(\"missing.inc\")\nprogram web { command = x\n"
	    " numprocs = 0 }\n",
	    "mwsup.conf:1: include: cannot read missing.inc: No such file or "
	    "directory",
	    "mwsup.conf:3: program web: numprocs = 0: must be between 1 and "
	    "100000", NULL);
	write_file("self.inc", "include(\"self.inc\")\n");
	load_fails("include(\"self.inc\")\n",
	    "self.inc:1: include(\"self.inc\"): includes nested more than 10 "
	    "deep", NULL);
	load_fails("include(\"a\", \"b\")\n",
	    "mwsup.conf:1: include() takes one file name", NULL);
}

/*
 * A syntax error inside an included file leaves libconfuse's lexer state
 * behind; loads after it (a daemon reloads many times) must still work.
 */
static void
test_include_error_then_reload(void **state)
{
	struct conf *conf;

	(void)state;
	write_file("broken.inc", "program x {\n command = y\n bogus = 1\n}\n");
	write_file("fine.inc", "program y { command = z }\n");
	for (int i = 0; i < 15; i++)
		load_fails("include(\"broken.inc\")\n"
		    "program z { command = x }\n",
		    "broken.inc:3: program x: unknown option 'bogus'", NULL);
	conf = load_ok("include(\"fine.inc\")\n");
	assert_int_equal(conf->nprograms, 1);
	conf_free(conf);
}

static void
test_include_dir(void **state)
{
	struct conf *conf;

	(void)state;
	write_file("conf.d/20-b.conf", "program b { command = x }\n");
	write_file("conf.d/10-z.conf",
	    "\n# z before b: name order of files,\n"
	    "program z { command = x priority = 1 }\n"
	    "include(\"../extra.inc\")\n");
	write_file("extra.inc", "program extra { command = x }\n");
	write_file("conf.d/B-upper.conf", "program upper { command = x }\n");
	write_file("conf.d/.hidden.conf", "garbage {\n");
	write_file("conf.d/notes.txt", "garbage {\n");
	write_file("conf.d/x.conf.orig", "garbage {\n");
	assert_int_equal(mkdir("conf.d/dir.conf", 0755), 0);
	conf = load_ok("include_dir = \"conf.d\"\n"
	    "program main { command = x priority = 1 }\n");
	assert_string_equal(conf->include_dir, "conf.d");
	assert_int_equal(conf->nprograms, 5);
	/* Sorted by priority then name. */
	assert_string_equal(conf->programs[0]->name, "main");
	assert_string_equal(conf->programs[1]->name, "z");
	assert_string_equal(conf->programs[2]->name, "b");
	assert_string_equal(conf->programs[3]->name, "extra");
	assert_string_equal(conf->programs[4]->name, "upper");
	assert_string_equal(conf->programs[1]->file, "conf.d/10-z.conf");
	assert_int_equal(conf->programs[1]->line, 3);
	assert_string_equal(conf->programs[3]->file, "conf.d/../extra.inc");
	conf_free(conf);

	/* Duplicates across files: the later one (in reading order). */
	write_file("conf.d/30-dup.conf", "\nprogram b { command = y }\n");
	load_fails("include_dir = \"conf.d\"\n",
	    "conf.d/30-dup.conf:2: program b: duplicate program name, first "
	    "defined at conf.d/20-b.conf:1", NULL);
	load_fails("program b { command = x }\ninclude_dir = \"conf.d\"\n",
	    "conf.d/20-b.conf:1: program b: duplicate program name, first "
	    "defined at mwsup.conf:1",
	    "conf.d/30-dup.conf:2: program b: duplicate program name, first "
	    "defined at mwsup.conf:1", NULL);
	remove("conf.d/30-dup.conf");

	/* Globals belong to the main file. */
	write_file("conf.d/40-global.conf", "program g { command = x }\n"
	    "socket = \"/tmp/other.sock\"\n");
	load_fails("include_dir = \"conf.d\"\n",
	    "conf.d/40-global.conf:2: socket: global options are not allowed "
	    "in include_dir files, only program sections", NULL);
	remove("conf.d/40-global.conf");

	/* Errors in several include_dir files are all reported. */
	write_file("conf.d/50-bad.conf", "program p {\n numprocs = 0\n}\n");
	write_file("conf.d/60-bad.conf", "program q {\n command = x\n");
	load_fails("include_dir = \"conf.d\"\n",
	    "conf.d/50-bad.conf:1: program p: command is required",
	    "conf.d/50-bad.conf:2: program p: numprocs = 0: must be between 1 "
	    "and 100000",
	    "conf.d/60-bad.conf:1: '{' is not closed: unexpected end of file",
	    NULL);
	remove("conf.d/50-bad.conf");
	remove("conf.d/60-bad.conf");

	/* include_dir "." holds the main file itself: skipped. */
	conf = load_ok("include_dir = \".\"\nprogram m { command = x }\n");
	assert_int_equal(conf->nprograms, 1);
	conf_free(conf);
}

/* ------------------------------------------------------------ expansion */

static void
test_expand_proc(void **state)
{
	struct fixture *fx = *state;
	struct conf *conf;
	struct proc_spec spec;
	const struct program_conf *pc;
	char err[128], *want;

	setenv("MWSUP_TEST_SPACES", "a b", 1);
	conf = load_ok(
	    "program web {\n"
	    "  command = \"/bin/echo --slot=%(process_num)02d "
	    "%(ENV_MWSUP_TEST_SPACES)s '%(program_name)s x' %(here)s\"\n"
	    "  numprocs = 3\n"
	    "  numprocs_start = 8\n"
	    "  directory = \"/srv/%(program_name)s-%(process_num)d\"\n"
	    "  environment = {\"SLOT=%(process_num)d\", \"P=100%%\"}\n"
	    "  lockfile = \"/run/lock/%(program_name)s.lock\"\n"
	    "}\n"
	    "program plain { command = /bin/true }\n");
	pc = conf_find_program(conf, "web");
	assert_int_equal(conf_expand_proc(pc, 9, &spec, err, sizeof(err)), 0);
	assert_string_equal(spec.argv[0], "/bin/echo");
	assert_string_equal(spec.argv[1], "--slot=09");
	assert_string_equal(spec.argv[2], "a b");	/* one argument */
	assert_string_equal(spec.argv[3], "web x");
	assert_string_equal(spec.argv[4], fx->dir);
	assert_null(spec.argv[5]);
	assert_string_equal(spec.environment[0], "SLOT=9");
	assert_string_equal(spec.environment[1], "P=100%");
	assert_null(spec.environment[2]);
	assert_string_equal(spec.directory, "/srv/web-9");
	assert_string_equal(spec.lockfile, "/run/lock/web.lock");
	proc_spec_free(&spec);
	assert_null(spec.argv);

	pc = conf_find_program(conf, "plain");
	assert_int_equal(conf_expand_proc(pc, 0, &spec, err, sizeof(err)), 0);
	assert_string_equal(spec.argv[0], "/bin/true");
	assert_null(spec.argv[1]);
	assert_null(spec.environment[0]);
	assert_null(spec.directory);
	assert_null(spec.lockfile);
	proc_spec_free(&spec);

	/* The environment changed after the load: an error, nothing leaked. */
	unsetenv("MWSUP_TEST_SPACES");
	pc = conf_find_program(conf, "web");
	assert_int_equal(conf_expand_proc(pc, 8, &spec, err, sizeof(err)), -1);
	assert_string_equal(err, "%(ENV_MWSUP_TEST_SPACES)s: MWSUP_TEST_SPACES "
	    "is not set");
	assert_null(spec.argv);
	conf_free(conf);

	/* Checked for every process number at load time, quickly. */
	conf = load_ok("program many { command = \"x %(process_num)06d\"\n"
	    "numprocs = 100000\nnumprocs_start = 2147383647 }\n");
	want = xasprintf("%d", INT_MAX);
	assert_int_equal(conf_expand_proc(conf->programs[0], INT_MAX, &spec,
	    err, sizeof(err)), 0);
	assert_string_equal(spec.argv[1], want);
	proc_spec_free(&spec);
	free(want);
	conf_free(conf);
}

/* ------------------------------------------------------------ equality */

static void
test_equal(void **state)
{
	struct conf *a, *b;
	struct program_conf *pa, *pb;
	static char other[] = "other", var[] = "/var", x[] = "x";
	static char elsewhere[] = "/elsewhere", ab[] = "a  b";
	static char a1[] = "A=1", b2[] = "B=2";
	char *env2[] = { a1, b2, NULL }, *env0[] = { NULL };
	char *saved;
	char **savedv;

	(void)state;
	set_test_user();
	a = load_ok("\n\nprogram web { command = \"x 'a b'\"\n"
	    "user = ${MWSUP_TEST_USER}\n"
	    "directory = /tmp environment = {\"A=1\"} lockfile = /tmp/l\n"
	    "umask = 022 }\n");
	write_file("other.conf", "program web {\n"
	    " command = \"x  \\\"a b\\\"\"\n"
	    " user = \"${MWSUP_TEST_USER}\"\n directory = \"/tmp\"\n"
	    " environment = {\"A=1\"}\n"
	    " lockfile = \"/tmp/l\"\n umask = 0022\n}\n");
	{
		struct msglist errs = MSGLIST_INIT;

		b = conf_load("other.conf", &errs);
		assert_non_null(b);
	}
	pa = a->programs[0];
	pb = b->programs[0];
	/* Different file, line and spelling of the command: equal. */
	assert_int_not_equal(pa->line, pb->line);
	assert_true(program_conf_equal(pa, pb));
	assert_true(program_conf_equal(pb, pa));

#define CHANGE(field, value) do {					\
	__typeof__(pb->field) old_ = pb->field;				\
	pb->field = (value);						\
	assert_false(program_conf_equal(pa, pb));			\
	pb->field = old_;						\
	assert_true(program_conf_equal(pa, pb));			\
} while (0)
	CHANGE(numprocs, 2);
	CHANGE(numprocs_start, 1);
	CHANGE(autostart, false);
	CHANGE(autorestart, AUTORESTART_TRUE);
	CHANGE(startsecs, 2);
	CHANGE(startretries, 4);
	CHANGE(stopsignal, SIGKILL);
	CHANGE(stopwaitsecs, 1);
	CHANGE(killmode, KILLMODE_PROCESS);
	CHANGE(umask, -1);
	CHANGE(priority, 1);
#undef CHANGE
	pb->normal_exit[0] ^= 2;
	assert_false(program_conf_equal(pa, pb));
	pb->normal_exit[0] ^= 2;

#define CHANGE_STR(field, value) do {					\
	saved = pb->field;						\
	pb->field = (value);						\
	assert_false(program_conf_equal(pa, pb));			\
	pb->field = saved;						\
} while (0)
	CHANGE_STR(name, other);
	CHANGE_STR(user, NULL);
	CHANGE_STR(directory, NULL);
	CHANGE_STR(directory, var);
	CHANGE_STR(lockfile, NULL);
	CHANGE_STR(syslog_ident, x);
	CHANGE_STR(here, elsewhere);
#undef CHANGE_STR
	saved = pb->words[1];
	pb->words[1] = ab;
	assert_false(program_conf_equal(pa, pb));
	pb->words[1] = NULL;
	assert_false(program_conf_equal(pa, pb));
	pb->words[1] = saved;
	savedv = pb->environment;
	pb->environment = env2;
	assert_false(program_conf_equal(pa, pb));
	pb->environment = env0;
	assert_false(program_conf_equal(pa, pb));
	pb->environment = savedv;
	/* file and line do not count */
	pb->line = 99;
	assert_true(program_conf_equal(pa, pb));
	conf_free(a);
	conf_free(b);
}

/* ------------------------------------------------------------ printing */

static struct conf *
print_and_reload(const struct conf *conf, const char *path, char **textp)
{
	struct msglist errs = MSGLIST_INIT;
	struct conf *again;
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	conf_print(conf, fp);
	fclose(fp);
	write_file(path, text);
	again = conf_load(path, &errs);
	if (again == NULL)
		fail_msg("printed configuration does not load: %s\n%s",
		    errs.n ? errs.msgs[0] : "?", text);
	msglist_clear(&errs);
	*textp = text;
	return again;
}

static void
assert_conf_equal(const struct conf *a, const struct conf *b)
{
	assert_string_equal(a->socket, b->socket);
	assert_int_equal(a->socket_mode, b->socket_mode);
	if (a->socket_group == NULL)
		assert_null(b->socket_group);
	else
		assert_string_equal(a->socket_group, b->socket_group);
	assert_string_equal(a->pidfile, b->pidfile);
	assert_int_equal(a->log_facility, b->log_facility);
	assert_int_equal(a->log_target, b->log_target);
	assert_int_equal(a->exit_when_done, b->exit_when_done);
	assert_int_equal(a->nprograms, b->nprograms);
	for (size_t i = 0; i < a->nprograms; i++) {
		if (!program_conf_equal(a->programs[i], b->programs[i]))
			fail_msg("program %s differs after the round trip",
			    a->programs[i]->name);
	}
}

/*
 * Regression (found by fuzz_conf): a control character followed by a digit
 * was printed as an octal escape ("\0027"), which libconfuse's lexer
 * rejects, so `mwsupd -t -v` output did not load again.
 */
static void
test_print_control_then_digit(void **state)
{
	struct conf *conf, *again;
	char *text;

	(void)state;
	conf = load_ok("program web {\n"
	    "  command = \"/bin/echo \\x027\"\n"
	    "  environment = {\"F=\\x020\\x7f9\"}\n"
	    "}\n");
	assert_string_equal(conf_find_program(conf, "web")->environment[0],
	    "F=\002" "0\177" "9");
	again = print_and_reload(conf, "printed.conf", &text);
	assert_string_equal(conf_find_program(again, "web")->environment[0],
	    "F=\002" "0\177" "9");
	assert_string_equal(conf_find_program(again, "web")->words[1],
	    "\002" "7");
	free(text);
	conf_free(again);
	conf_free(conf);
}

static void
test_print_round_trip(void **state)
{
	struct conf *conf, *again, *third;
	char *text1, *text2;

	(void)state;
	set_test_user();
	setenv("MWSUP_TEST_DIR", "/srv", 1);
	write_file("part.inc", "program included { command = \"a\\tb\" }\n");
	conf = load_ok(
	    "socket = '/tmp/with space.sock'\n"
	    "socket_mode = 0640\n"
	    "socket_group = \"root\"\n"
	    "pidfile = \"/tmp/$x${MWSUP_TEST_SURELY_UNSET:-y}.pid\"\n"
	    "log_facility = local2\n"
	    "log_target = stderr\n"
	    "exit_when_done = true\n"
	    "include(\"part.inc\")\n"
	    "program web {\n"
	    "  command = \"/bin/sh -c 'echo \\\"$HOME\\\" \\\\\\\\ %% "
	    "%(process_num)03d' \\\"a b\\\" ''\"\n"
	    "  numprocs = 5\n  numprocs_start = 3\n  autostart = false\n"
	    "  autorestart = false\n  normal_exit = {3, 1, 200}\n"
	    "  startsecs = 0\n  startretries = 9\n  stopsignal = KILL\n"
	    "  stopwaitsecs = 0\n  killmode = process\n"
	    "  user = \"${MWSUP_TEST_USER}\"\n"
	    "  directory = \"%(ENV_MWSUP_TEST_DIR)s/%(program_name)s\"\n"
	    "  umask = 027\n"
	    "  environment = {\"A=x\\ny\", \"B=\\\"q\\\"\", \"C=$D\", "
	    "\"E=\\001\\177\"}\n"
	    "  priority = 7\n  lockfile = \"/tmp/%(program_name)s.lock\"\n"
	    "  syslog_ident = \"web \\\\ one\"\n"
	    "}\n"
	    "program empty_exit { command = x normal_exit = {} }\n");
	assert_string_equal(conf->pidfile, "/tmp/$xy.pid");
	assert_string_equal(conf_find_program(conf, "web")->environment[3],
	    "E=\001\177");

	/* Written beside the original, so %(here)s is the same too. */
	again = print_and_reload(conf, "printed.conf", &text1);
	assert_conf_equal(conf, again);
	third = print_and_reload(again, "printed2.conf", &text2);
	assert_string_equal(text1, text2);
	assert_conf_equal(conf, third);
	/* Flattened: no include() nor include_dir in the printed form. */
	assert_null(strstr(text1, "\ninclude"));
	free(text1);
	free(text2);
	conf_free(conf);
	conf_free(again);
	conf_free(third);
	unsetenv("MWSUP_TEST_DIR");
}


/* ------------------------------------------------------------ the table */

static char *
print_to_string(const struct conf *conf)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	conf_print(conf, fp);
	fclose(fp);
	return text;
}

static struct conf *
buffer_ok(const char *text)
{
	struct msglist errs = MSGLIST_INIT;
	struct conf *conf;

	conf = conf_load_buffer(text, strlen(text), "buffer.conf", &errs);
	if (conf == NULL)
		fail_msg("conf_load_buffer failed: %s\n%s",
		    errs.n ? errs.msgs[0] : "?", text);
	msglist_clear(&errs);
	return conf;
}

/*
 * Every row of the option table takes part in reload's equality and in
 * printing: for each, two programs differing only in that option compare
 * unequal and print differently, and the printed form loads back equal.
 * A row (or a kind) that equality or printing forgot fails here.
 */
static void
test_every_option_compared_and_printed(void **state)
{
	(void)state;
	conf_set_client_mode(true);	/* `user = "nobody"` as anyone */
	for (size_t i = 0; i < conf_program_noptions; i++) {
		const struct conf_option *o = &conf_program_options[i];
		struct conf *a, *b, *a2, *b2;
		char *ta, *tb, *text;

		assert_non_null(o->sample);
		assert_ptr_equal(conf_option_find(o->name), o);
		a = buffer_ok("program p { command = \"/bin/echo 1\" }\n");
		text = xasprintf("program p { command = \"/bin/echo 1\"\n"
		    "%s = %s\n}\n", o->name, o->sample);
		b = buffer_ok(text);
		free(text);
		if (program_conf_equal(a->programs[0], b->programs[0]))
			fail_msg("option %s: %s = %s compares equal to the "
			    "default", o->name, o->name, o->sample);
		ta = print_to_string(a);
		tb = print_to_string(b);
		if (strcmp(ta, tb) == 0)
			fail_msg("option %s: %s = %s prints as the default",
			    o->name, o->name, o->sample);
		a2 = buffer_ok(ta);
		b2 = buffer_ok(tb);
		assert_true(program_conf_equal(a->programs[0],
		    a2->programs[0]));
		if (!program_conf_equal(b->programs[0], b2->programs[0]))
			fail_msg("option %s: printed as\n%s\ndoes not load "
			    "back equal", o->name, tb);
		free(ta);
		free(tb);
		conf_free(a);
		conf_free(b);
		conf_free(a2);
		conf_free(b2);
	}
	conf_set_client_mode(false);
}

/* No two rows share a field, and each field lies inside the struct. */
static void
test_option_fields_distinct(void **state)
{
	(void)state;
	for (size_t i = 0; i < conf_program_noptions; i++) {
		assert_true(conf_program_options[i].offset <
		    sizeof(struct program_conf));
		for (size_t j = i + 1; j < conf_program_noptions; j++) {
			assert_string_not_equal(conf_program_options[i].name,
			    conf_program_options[j].name);
			assert_int_not_equal(conf_program_options[i].offset,
			    conf_program_options[j].offset);
		}
	}
}

static void
test_load_buffer(void **state)
{
	struct fixture *fx = *state;
	struct msglist errs = MSGLIST_INIT;
	struct conf *conf;
	char *here;

	(void)state;
	write_file("part.inc", "program inc { command = y }\n");
	conf = buffer_ok("socket = \"run/s.sock\"\n"
	    "include(\"part.inc\")\nprogram web { command = x }\n");
	assert_int_equal(conf->nprograms, 2);
	assert_string_equal(conf->path, "buffer.conf");
	here = xasprintf("%s/run/s.sock", fx->dir);
	/* Relative to the buffer's name, which is in the test directory. */
	assert_true(strcmp(conf->socket, "run/s.sock") == 0 ||
	    strcmp(conf->socket, here) == 0);
	assert_string_equal(conf_find_program(conf, "web")->here, fx->dir);
	free(here);
	conf_free(conf);

	assert_null(conf_load_buffer("program web {\n", 14, "b.conf", &errs));
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.msgs[0], "b.conf:1: '{' is not closed: "
	    "unexpected end of file");
	msglist_clear(&errs);
	conf = conf_load_buffer(NULL, 0, "empty.conf", &errs);
	assert_non_null(conf);
	assert_int_equal(conf->nprograms, 0);
	conf_free(conf);
}

/* ------------------------------------------------------------ issue 15.11 */

static void
alarm_fail(int sig)
{
	(void)sig;
	fail_msg("conf_load hung on a FIFO");
}

/* A FIFO given as the file or to include() is an error at once. */
static void
test_fifo_not_read(void **state)
{
	(void)state;
	assert_int_equal(mkfifo("fifo.conf", 0600), 0);
	signal(SIGALRM, alarm_fail);
	alarm(10);
	{
		struct msglist errs = MSGLIST_INIT;

		assert_null(conf_load("fifo.conf", &errs));
		assert_int_equal(errs.n, 1);
		assert_string_equal(errs.msgs[0], "fifo.conf: not a regular "
		    "file");
		msglist_clear(&errs);
	}
	load_fails("include(\"fifo.conf\")\nprogram web { command = x }\n",
	    "mwsup.conf:1: include: fifo.conf: not a regular file", NULL);
	alarm(0);
	signal(SIGALRM, SIG_DFL);
}

static void
test_reserved_all(void **state)
{
	(void)state;
	load_fails("program all { command = x }\n",
	    "mwsup.conf:1: program all: the name all is reserved (mwsupctl "
	    "uses it for every process): choose another", NULL);
	load_fails("program a { command = x }\ngroup all { programs = {a} }\n",
	    "mwsup.conf:2: group all: the name all is reserved (mwsupctl "
	    "uses it for every process): choose another", NULL);
	/* Only the exact name. */
	conf_free(load_ok("program all2 { command = x }\n"
	    "program ALL { command = x }\n"));
}

static double
seconds_to_load_environment(size_t n)
{
	struct timespec t0, t1;
	struct conf *conf;
	char *text, *p;
	size_t size = 64 + n * 32;

	p = text = xmalloc(size);
	p += sprintf(p, "program p {\ncommand = x\nenvironment = {\n");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "\"KEY_%zu=value %zu\",\n", i, i);
	sprintf(p, "\"LAST=1\"}\n}\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	conf = buffer_ok(text);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(strv_len(conf->programs[0]->environment), n + 1);
	conf_free(conf);
	free(text);
	return (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/*
 * Regression: 100,000 environment entries took 16 s (duplicate keys were
 * looked for pairwise).  Generous bound: quadratic is 20 s and more.
 */
#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif

static void
test_environment_many(void **state)
{
	/*
	 * libconfuse grows a list one value at a time with realloc(), which
	 * glibc does in place for large blocks but ASan's allocator copies:
	 * under ASan, a smaller list (that cost is libconfuse's, not ours).
	 */
#ifdef ASAN
	size_t n = 2000;
#else
	size_t n = 100000;
#endif
	double t;

	(void)state;
	t = seconds_to_load_environment(n);
	if (t > 5.0)
		fail_msg("%zu environment entries took %.2f s", n, t);
	/* Duplicates are still found, in the order written. */
	load_fails("program p { command = x environment = {\"B=1\", \"A=1\", "
	    "\"B=2\", \"A=2\", \"B=3\"} }\n",
	    "mwsup.conf:1: program p: environment: B is set twice",
	    "mwsup.conf:1: program p: environment: A is set twice",
	    "mwsup.conf:1: program p: environment: B is set twice", NULL);
}

/* ------------------------------------------------------------ issue 16.8 */

static void
test_environment_string_list(void **state)
{
	(void)state;
	load_fails("program p {\n command = x\n"
	    " environment = \"A=1,B=2, C_3=x y\"\n}\n",
	    "mwsup.conf:3: environment is a list: write {\"A=1\", \"B=2\", "
	    "\"C_3=x y\"}", NULL);
	load_fails("environment =\n  'A=1,B=2'\nprogram p { command = x }\n",
	    "mwsup.conf:2: environment is a list: write {\"A=1\", \"B=2\"}",
	    NULL);
	/* A comma in one value, or a list in braces, is fine. */
	conf_free(load_ok("program p { command = x environment = "
	    "\"OPTS=-a,-b\" }\n"));
	conf_free(load_ok("program p { command = x environment = "
	    "{\"OPTS=a=1,b=2\"} }\n"));
}

static void
test_global_environment(void **state)
{
	struct conf *conf, *again;
	struct program_conf *a, *b;
	char *text;

	(void)state;
	conf = load_ok("environment = {\"LANG=C\", \"TZ=UTC\"}\n"
	    "program a { command = x environment = {\"TZ=CET\", \"X=1\"} }\n"
	    "program b { command = x }\n"
	    "environment += {\"HOST=%(host_node_name)s\"}\n");
	a = conf_find_program(conf, "a");
	b = conf_find_program(conf, "b");
	assert_int_equal(strv_len(conf->environment), 3);
	assert_int_equal(strv_len(a->environment), 4);
	assert_string_equal(a->environment[0], "LANG=C");
	assert_string_equal(a->environment[1], "HOST=%(host_node_name)s");
	assert_string_equal(a->environment[2], "TZ=CET");
	assert_string_equal(a->environment[3], "X=1");
	assert_int_equal(strv_len(b->environment), 3);
	assert_string_equal(b->environment[1], "TZ=UTC");
	again = print_and_reload(conf, "printed.conf", &text);
	assert_conf_equal(conf, again);
	assert_non_null(strstr(text, "\nenvironment = {\"LANG=C\", "
	    "\"TZ=UTC\", \"HOST=%(host_node_name)s\"}\n"));
	free(text);
	conf_free(again);
	conf_free(conf);

	/* Without one, nothing changes in the printed form. */
	conf = load_ok("program b { command = x }\n");
	text = print_to_string(conf);
	assert_null(strstr(text, "\nenvironment"));
	free(text);
	conf_free(conf);

	load_fails("environment = {\"A=1\", \"1=x\", \"A=2\", \"%(nope)s\"}\n"
	    "program b { command = x }\n",
	    "mwsup.conf:1: environment: \"1=x\": \"1\" is not a valid "
	    "variable name (letters, digits and '_', not starting with a "
	    "digit)",
	    "mwsup.conf:1: environment: A is set twice",
	    "mwsup.conf:1: environment: \"%(nope)s\" is not KEY=VALUE",
	    "mwsup.conf:1: environment: unknown expansion %(nope)s", NULL);
	write_file("conf.d/a.conf", "environment = {\"A=1\"}\n");
	load_fails("include_dir = conf.d\n",
	    "conf.d/a.conf:1: environment: global options are not allowed in "
	    "include_dir files, only program sections", NULL);
}

static void
test_supervisord_expansions(void **state)
{
	struct proc_spec spec;
	struct conf *conf;
	struct utsname u;
	char err[256], *want;

	(void)state;
	assert_int_equal(uname(&u), 0);
	conf = load_ok("program w { command = \"run %(process_num)d/"
	    "%(numprocs)d\" numprocs = 3 numprocs_start = 1\n"
	    "environment = {\"NODE=%(host_node_name)s\"} }\n");
	assert_int_equal(conf_expand_proc(conf->programs[0], 2, &spec, err,
	    sizeof(err)), 0);
	assert_string_equal(spec.argv[1], "2/3");
	want = xasprintf("NODE=%s", u.nodename);
	assert_string_equal(spec.environment[0], want);
	free(want);
	proc_spec_free(&spec);
	conf_free(conf);
}

static void
test_groups(void **state)
{
	struct conf *conf, *again;
	struct conf_group *g;
	char *text;

	(void)state;
	write_file("conf.d/more.conf", "group back { programs = {\"db\"} }\n"
	    "program db { command = x }\n");
	conf = load_ok("include_dir = conf.d\n"
	    "program web { command = x }\nprogram api { command = x }\n"
	    "group front {\n programs = {\"web\", \"api\"}\n}\n"
	    "group all-of-it { programs = {web, api, db} }\n");
	assert_int_equal(conf->ngroups, 3);
	assert_string_equal(conf->groups[0]->name, "all-of-it");
	assert_string_equal(conf->groups[1]->name, "back");
	g = conf_find_group(conf, "front");
	assert_non_null(g);
	assert_int_equal(g->line, 4);
	assert_string_equal(g->file, "mwsup.conf");
	assert_int_equal(g->nprograms, 2);
	assert_string_equal(g->programs[0], "web");
	assert_string_equal(g->programs[1], "api");
	assert_null(g->programs[2]);
	assert_null(conf_find_group(conf, "web"));
	again = print_and_reload(conf, "printed.conf", &text);
	assert_non_null(strstr(text, "\ngroup front {\n\tprograms = "
	    "{\"web\", \"api\"}\n}\n"));
	assert_int_equal(again->ngroups, 3);
	assert_string_equal(again->groups[2]->programs[1], "api");
	free(text);
	conf_free(again);
	conf_free(conf);

	load_fails("program web { command = x }\n"
	    "group g { programs = {web, nope} }\n"
	    "group web { programs = {web} }\n"
	    "group g { programs = {web} }\n"
	    "group h { programs = {web, web} }\n"
	    "group e { }\n",
	    "mwsup.conf:4: group g: duplicate group name, first defined at "
	    "mwsup.conf:2",
	    "mwsup.conf:5: group h: program web is listed twice",
	    "mwsup.conf:6: group e: programs must list its programs: "
	    "programs = {\"a\", \"b\"}",
	    "mwsup.conf:2: group g: no program named nope",
	    "mwsup.conf:3: group web: a program has the same name "
	    "(mwsup.conf:1): GROUP: and PROGRAM would be ambiguous, rename "
	    "one", NULL);
}

/* ------------------------------------------------------------ issue 16.9 */

static void
test_explained_errors(void **state)
{
	(void)state;
	load_fails("program web {\n command = \"sh -c \"echo hi\"\"\n}\n",
	    "mwsup.conf:2: program web: unknown option 'echo': the \" before "
	    "echo ends the value of command: inside a string write a \" as "
	    "\\\", or quote the value with '...' instead", NULL);
	load_fails("program web {\n command = /bin/sleep 100\n}\n",
	    "mwsup.conf:2: program web: unknown option '100': a value with "
	    "blanks must be quoted: command = \"/bin/sleep 100\"", NULL);
	load_fails("program web {\n command = \"x\"; numprocs = 2\n}\n",
	    "mwsup.conf:2: program web: unknown option ';': ';' does not "
	    "separate options: remove it (blanks or new lines separate "
	    "options)", NULL);
	load_fails("program web {\n command = \"x\"\n numprocs = 2; startsecs "
	    "= 1\n}\n",
	    "mwsup.conf:3: program web: numprocs = 2;: not a whole number "
	    "(remove the ';': options are separated by blanks or new lines)",
	    NULL);
	load_fails("program web_%(process_num)d {\n command = \"x\"\n}\n",
	    "mwsup.conf:1: program web_%(process_num)d: a program name "
	    "cannot use %(...) expansions: write program web { numprocs = N "
	    "... }, whose processes are named web:0, web:1, ...", NULL);
	load_fails("program my app {\n command = \"x\"\n}\n",
	    "mwsup.conf:1: program my app: invalid name: use only letters, "
	    "digits, '_', '-' and '.', then '{'", NULL);
	/* Plain unknown options keep the plain message. */
	load_fails("program web {\n command = x\n restart = true\n}\n",
	    "mwsup.conf:3: program web: unknown option 'restart'", NULL);
}

/* ------------------------------------------------------------ issue 16.3 */

static void
test_client_socket(void **state)
{
	struct fixture *fx = *state;
	struct msglist w = MSGLIST_INIT;
	char *sock, *want;

	(void)state;
	/* A typo in an included file: the socket still comes through. */
	write_file("bad.inc", "program web {\n command = x\n numprocs = "
	    "two\n restart = yes\n}\n");
	write_file("main.conf", "include(\"bad.inc\")\n"
	    "socket = \"/run/x.sock\"\nprogram ok { command = x }\n");
	sock = conf_client_socket("main.conf", &w);
	assert_non_null(sock);
	assert_string_equal(sock, "/run/x.sock");
	assert_true(w.n >= 1);
	assert_string_equal(w.msgs[0], "bad.inc:4: program web: unknown "
	    "option 'restart'");
	free(sock);
	msglist_clear(&w);

	/* Relative: to the file; an error after it in the main file. */
	write_file("rel.conf", "socket = \"s.sock\"\nprogram x {\n");
	sock = conf_client_socket("rel.conf", &w);
	want = xasprintf("%s/s.sock", fx->dir);
	assert_string_equal(sock, want);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.msgs[0], "rel.conf:2: '{' is not closed: "
	    "unexpected end of file");
	free(want);
	free(sock);
	msglist_clear(&w);

	/* No socket line before the errors: the default. */
	write_file("none.conf", "program x { command = \"a\" b }\n");
	sock = conf_client_socket("none.conf", &w);
	assert_string_equal(sock, RUNSTATEDIR "/mwsup.sock");
	assert_int_equal(w.n, 1);
	free(sock);
	msglist_clear(&w);

	/* A valid file: no warnings. */
	sock = conf_client_socket("main.conf", &w);
	free(sock);
	msglist_clear(&w);
	write_file("good.conf", "socket = \"/run/g.sock\"\n");
	sock = conf_client_socket("good.conf", &w);
	assert_string_equal(sock, "/run/g.sock");
	assert_int_equal(w.n, 0);
	free(sock);

	/* A file that cannot be read at all: NULL, with the reason. */
	assert_null(conf_client_socket("missing.conf", &w));
	assert_int_equal(w.n, 1);
	assert_string_equal(w.msgs[0], "missing.conf: cannot read: No such "
	    "file or directory");
	msglist_clear(&w);
	assert_int_equal(mkdir("dir.conf", 0755), 0);
	assert_null(conf_client_socket("dir.conf", &w));
	assert_string_equal(w.msgs[0], "dir.conf: not a regular file");
	msglist_clear(&w);
}

/* ------------------------------------------------------------ warnings */

static void
test_warnings(void **state)
{
	struct msglist w = MSGLIST_INIT;
	struct conf *conf;

	(void)state;
	conf = load_ok("program a { command = \"no-such-program-mwsup x\" }\n"
	    "program b {\n command = /no/such/file\n directory = "
	    "/no/such/dir\n lockfile = /no/such/lockdir/b.lock\n}\n"
	    "program c { command = \"sh -c true\" directory = /tmp "
	    "lockfile = /tmp/c.lock environment = {\"PATH=/bin:/usr/bin\"} }\n"
	    "program d { command = mwsup.conf environment = "
	    "{\"PATH=/nonexistent\"} }\n");
	assert_int_equal(conf_warnings(conf, &w), 5);
	assert_int_equal(strncmp(w.msgs[0], "mwsup.conf:1: warning: program a: "
	    "command: no-such-program-mwsup: not found in PATH (", 73), 0);
	assert_string_equal(w.msgs[1], "mwsup.conf:2: warning: program b: "
	    "command: /no/such/file: no such file");
	assert_string_equal(w.msgs[2], "mwsup.conf:2: warning: program b: "
	    "directory = /no/such/dir: no such directory");
	assert_string_equal(w.msgs[3], "mwsup.conf:2: warning: program b: "
	    "lockfile = /no/such/lockdir/b.lock: its directory "
	    "/no/such/lockdir does not exist");
	/* The program's own PATH, as mwsupd's spawn uses it. */
	assert_string_equal(w.msgs[4], "mwsup.conf:8: warning: program d: "
	    "command: mwsup.conf: not found in PATH (/nonexistent)");
	msglist_clear(&w);
	conf_free(conf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_value_spellings, setup,
		    teardown),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_missing_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_syntax_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_program_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_global_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_all_errors_reported, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_user_needs_root, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_include, setup, teardown),
		cmocka_unit_test_setup_teardown(test_include_error_then_reload,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_include_dir, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expand_proc, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_equal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_control_then_digit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_print_round_trip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_every_option_compared_and_printed, setup, teardown),
		cmocka_unit_test(test_option_fields_distinct),
		cmocka_unit_test_setup_teardown(test_load_buffer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fifo_not_read, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_reserved_all, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_environment_many, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_environment_string_list,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_global_environment, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_supervisord_expansions,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explained_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_client_socket, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_warnings, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
