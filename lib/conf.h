/*
 * conf.h — the configuration as plain data.
 *
 * conf_load() turns a libconfuse file (plus include() and include_dir) into a
 * struct conf; libconfuse's types never leave conf.c.  Everything is
 * validated at load time and every problem is reported as "FILE:LINE:
 * message" in a struct msglist, so callers never see a half-valid config.
 */
#ifndef MWSUP_CONF_H
#define MWSUP_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "msglist.h"

#define CONF_NAME_MAX		64	/* longest program name */
#define CONF_NUMPROCS_MAX	100000	/* per program */
#define CONF_SECS_MAX		86400	/* startsecs, stopwaitsecs */
#define CONF_RETRIES_MAX	1000	/* startretries */

enum autorestart {
	AUTORESTART_FALSE,
	AUTORESTART_UNEXPECTED,
	AUTORESTART_TRUE,
};

enum killmode {
	KILLMODE_GROUP,
	KILLMODE_PROCESS,
};

enum ready_kind {
	READY_NONE,		/* RUNNING after startsecs (Part I) */
	READY_NOTIFY,		/* READY=1 on the notification socket */
	READY_FD,		/* a newline on descriptor ready_fd */
	READY_PROBE,		/* ready_probe succeeds */
};

enum fatal_action {
	FATAL_ACTION_IGNORE,
	FATAL_ACTION_SHUTDOWN,
};

enum log_target {
	LOG_TARGET_SYSLOG,
	LOG_TARGET_STDERR,
};

/* One `program NAME { ... }` section, with every default filled in. */
struct program_conf {
	char		*name;
	char		*file;		/* file that defines it */
	int		 line;		/* line of the `program` keyword */
	char		*here;		/* directory of `file`, for %(here)s */

	char		*command;	/* as written */
	char	       **words;		/* command split into words, NOT yet
					   expanded; NULL-terminated */
	int		 numprocs;
	int		 numprocs_start;
	bool		 autostart;
	enum autorestart autorestart;
	unsigned char	 normal_exit[32]; /* bitmap of exit codes 0..255 */
	int		 startsecs;
	int		 startretries;
	int		 stopsignal;	/* signal number */
	int		 stopwaitsecs;
	enum killmode	 killmode;
	char		*user;		/* NULL: do not switch */
	char		*directory;	/* NULL: inherit; unexpanded */
	int		 umask;		/* -1: inherit */
	char	       **environment;	/* "KEY=VALUE", unexpanded,
					   NULL-terminated (maybe empty) */
	int		 priority;
	char		*lockfile;	/* NULL: none; unexpanded */
	char		*syslog_ident;	/* defaults to name */

	/* Readiness and health (doc/DESIGN.md), seconds. */
	enum ready_kind	 ready_kind;
	int		 ready_fd;	/* READY_FD: the descriptor */
	char		*ready_probe;	/* READY_PROBE: the probe string */
	int		 ready_timeout;
	int		 check_timeout;
	int		 check_interval;
	char		*healthcheck;	/* a probe string, NULL: none */
	int		 healthcheck_interval;
	int		 healthcheck_retries;
	int		 watchdogsecs;	/* 0: off */

	/* Dependencies (doc/DESIGN.md). */
	char	       **depends_on;	/* program names, NULL-terminated;
					   NULL: none */
	bool		 oneshot;

	/* Restart policy (doc/DESIGN.md), seconds. */
	int		 restart_delay;	/* 0: restart at once */
	int		 restart_delay_max;
	int		 restart_reset;
	int		 fatal_retry;	/* 0: FATAL is final */
	enum fatal_action fatal_action;
};

/*
 * One `group NAME { programs = {...} }` section: a name for a set of
 * programs, as supervisord's [group:NAME].  Every name in PROGRAMS is a
 * configured program; a program may belong to several groups.
 */
struct conf_group {
	char		*name;
	char		*file;		/* file that defines it */
	int		 line;		/* line of its '{' */
	char	       **programs;	/* program names, as written, each
					   once; NULL-terminated */
	size_t		 nprograms;
};

struct conf {
	char		*path;		/* main file, as given */
	char		*socket;
	int		 socket_mode;
	char		*socket_group;	/* NULL: none */
	char		*pidfile;
	int		 log_facility;	/* LOG_DAEMON, LOG_LOCAL0, ... */
	enum log_target	 log_target;
	bool		 exit_when_done;
	char		*include_dir;	/* NULL: none */
	char	       **environment;	/* global "KEY=VALUE", unexpanded,
					   NULL-terminated (maybe empty);
					   already merged into every
					   program's environment */

	struct program_conf **programs;	/* sorted by priority, then name */
	size_t		 nprograms;
	struct conf_group **groups;	/* sorted by name */
	size_t		 ngroups;
};

/*
 * Load and validate PATH.  Returns a new conf, or NULL with every error
 * appended to ERRS as "FILE:LINE: message" (or "FILE: message" when no line
 * applies).  Never prints.  The caller frees the result with conf_free().
 */
struct conf	*conf_load(const char *path, struct msglist *errs);

/*
 * The same, from the LEN bytes of TEXT instead of a file (unit tests).
 * NAME stands for the file in messages, and include(), include_dir and
 * relative paths are taken relative to its directory.
 */
struct conf	*conf_load_buffer(const char *text, size_t len,
		    const char *name, struct msglist *errs);

/*
 * The control socket named by PATH, for a client: as conf_load() in
 * client mode, but errors elsewhere in the file (or in its included files)
 * do not stop it.  Returns the socket PATH sets (relative paths resolved
 * as conf_load() does), or the built-in default when PATH does not set it
 * or sets it to something unusable, as a malloc'd string; every problem
 * found is appended to WARNINGS as "FILE:LINE: message".  Returns NULL,
 * with the reason in WARNINGS, only when PATH itself cannot be read (it
 * does not exist, is not a regular file, ...).
 */
char		*conf_client_socket(const char *path, struct msglist *warnings);

/*
 * What `mwsupd -t` warns about without failing, appended to WARNINGS as
 * "FILE:LINE: warning: program NAME: ...": a command whose program is not
 * found (in PATH, or not executable), a directory that does not exist, a
 * lockfile whose directory does not exist.  Checked for the first process
 * number of each program, from the point of view of the caller (user,
 * environment).  Returns the number of warnings added.
 */
size_t		 conf_warnings(const struct conf *conf,
		    struct msglist *warnings);

/*
 * Client mode (mwsupctl, which only needs the socket): skip the checks
 * that depend on who runs the loader and in what environment — whether
 * `user` exists and may be switched to, and whether %(ENV_X)s variables
 * are set.  Syntax and every other value are still checked.
 */
void		 conf_set_client_mode(bool on);

/* Free a conf from conf_load(); NULL is allowed. */
void		 conf_free(struct conf *conf);

/*
 * Print CONF to FP in the normalised form used by `mwsupd -t -v`: every
 * option with its effective value, in a form conf_load() reads back to an
 * equal conf.
 */
void		 conf_print(const struct conf *conf, FILE *fp);

/* True when A and B would run identically (file and line ignored). */
bool		 program_conf_equal(const struct program_conf *a,
		    const struct program_conf *b);

/* Find a program by name, or NULL. */
struct program_conf *conf_find_program(const struct conf *conf,
		    const char *name);

/* Find a group by name, or NULL. */
struct conf_group *conf_find_group(const struct conf *conf,
		    const char *name);

/* True when exit CODE is one of PC's normal_exit codes. */
bool		 program_conf_normal_exit(const struct program_conf *pc,
		    int code);

/*
 * What one process PROGRAM:NUM runs: the program's settings with the
 * %(...) expansions applied for NUM.  Built before fork().
 */
struct proc_spec {
	char	**argv;		/* NULL-terminated, argv[0] is the file */
	char	**environment;	/* expanded "KEY=VALUE", NULL-terminated */
	char	 *directory;	/* NULL: inherit */
	char	 *lockfile;	/* NULL: none */
};

/*
 * Expand PC for process number NUM into SPEC.  Returns 0, or -1 with a
 * message in ERR (ERRLEN bytes) such as "unknown expansion %(foo)s".
 * On success the caller frees SPEC with proc_spec_free().
 */
int		 conf_expand_proc(const struct program_conf *pc, int num,
		    struct proc_spec *spec, char *err, size_t errlen);
void		 proc_spec_free(struct proc_spec *spec);

/* Names for enums and facilities, for printing and for the protocol. */
const char	*autorestart_name(enum autorestart);
const char	*killmode_name(enum killmode);
const char	*log_target_name(enum log_target);
const char	*facility_name(int facility);	/* "daemon", "local0", ... */
int		 facility_from_name(const char *name); /* -1 if unknown */

#endif /* MWSUP_CONF_H */
