/*
 * conf_warn.c — what `mwsupd -t` warns about without failing: a valid
 * configuration that will not run as written on this host.  Checked for
 * the first process number of each program, as the caller sees the
 * system (its user, its PATH): mwsupd may see it otherwise when it runs
 * as another user or later, so these are warnings, not errors.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "xalloc.h"

#define DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static void __attribute__((format(printf, 3, 4)))
warn(struct msglist *w, const struct program_conf *pc, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		fputs("out of memory\n", stderr);
		abort();
	}
	va_end(ap);
	msglist_add(w, "%s:%d: warning: program %s: %s", pc->file, pc->line,
	    pc->name, msg);
	free(msg);
}

/* The value of KEY in ENV ("KEY=VALUE" strings), else in our own. */
static const char *
env_value(char *const *env, const char *key)
{
	size_t klen = strlen(key);
	const char *v = NULL;

	for (size_t i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], key, klen) == 0 && env[i][klen] == '=')
			v = env[i] + klen + 1;	/* the last one counts */
	return v != NULL ? v : getenv(key);
}

/* Why FILE cannot be executed, or NULL when it can. */
static const char *
not_executable(const char *file)
{
	struct stat st;

	if (stat(file, &st) == -1)
		return errno == ENOENT ? "no such file" : strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (access(file, X_OK) == -1)
		return "not executable";
	return NULL;
}

/* Whether NAME is found on PATHVAR as execvp() would find it. */
static bool
on_path(const char *name, const char *pathvar)
{
	for (const char *d = pathvar; ; ) {
		size_t dlen = strcspn(d, ":");
		char *cand = xasprintf("%.*s/%s", (int)dlen, dlen ? d : ".",
		    name);
		bool found = not_executable(cand) == NULL;

		free(cand);
		if (found)
			return true;
		if (d[dlen] == '\0')
			return false;
		d += dlen + 1;
	}
}

static void
check_program(const struct program_conf *pc, struct msglist *w)
{
	struct proc_spec spec;
	struct stat st;
	char err[256];
	const char *file, *why, *pathvar;
	char *dir, *slash;

	if (conf_expand_proc(pc, pc->numprocs_start, &spec, err,
	    sizeof(err)) == -1)
		return;
	file = spec.argv[0];
	if (file != NULL && strchr(file, '/') == NULL) {
		if ((pathvar = env_value(spec.environment, "PATH")) == NULL)
			pathvar = DEFAULT_PATH;
		if (!on_path(file, pathvar))
			warn(w, pc, "command: %s: not found in PATH (%s)",
			    file, pathvar);
	} else if (file != NULL && (file[0] == '/' ||
	    spec.directory != NULL)) {
		char *abs = file[0] == '/' ? xstrdup(file) :
		    xasprintf("%s/%s", spec.directory, file);

		if ((why = not_executable(abs)) != NULL)
			warn(w, pc, "command: %s: %s", abs, why);
		free(abs);
	}
	if (spec.directory != NULL && (stat(spec.directory, &st) == -1 ||
	    !S_ISDIR(st.st_mode)))
		warn(w, pc, "directory = %s: %s", spec.directory,
		    errno == ENOENT || S_ISDIR(st.st_mode) ?
		    "no such directory" : "not a directory");
	if (spec.lockfile != NULL &&
	    (slash = strrchr(spec.lockfile, '/')) != NULL) {
		dir = slash == spec.lockfile ? xstrdup("/") :
		    xasprintf("%.*s", (int)(slash - spec.lockfile),
		    spec.lockfile);
		if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
			warn(w, pc, "lockfile = %s: its directory %s does not "
			    "exist", spec.lockfile, dir);
		free(dir);
	}
	proc_spec_free(&spec);
}

size_t
conf_warnings(const struct conf *conf, struct msglist *warnings)
{
	size_t n = warnings->n;

	for (size_t i = 0; i < conf->nprograms; i++)
		check_program(conf->programs[i], warnings);
	return warnings->n - n;
}
