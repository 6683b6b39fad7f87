/*
 * mwsupctl.c — control client for mwsupd: parse the command line, check its
 * usage, send one request (doc/PROTOCOL.md) and print the reply as text or
 * JSON.  The exit code is the one mwsupd puts in the reply's END.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "conf.h"
#include "json.h"
#include "proto.h"
#include "signame.h"

#define DEFAULT_CONF	SYSCONFDIR "/mwsup.conf"
#define DEFAULT_SOCKET	RUNSTATEDIR "/mwsup.sock"

#define EXIT_OK		0
#define EXIT_FAILED	1
#define EXIT_USAGE	2
#define EXIT_NOTRUNNING	3
#define EXIT_UNREACHABLE 4

#define TAIL_LINES_DEFAULT	10
#define TAIL_LINES_MAX		1000000
#define TAIL_LINES_ALL		100000	/* the most mwsupd sends: all it keeps */
#define NAME_COLUMN_MIN		20
#define STATE_COLUMN		10

/* One RECORD of a reply, copied out of the decoder's storage. */
struct record {
	size_t		 nfields;
	struct {
		char	*key;
		char	*val;
		size_t	 vlen;
	}		 f[];
};

/* A whole reply: the RECORDs and what the END said. */
struct reply {
	struct record	**recs;
	size_t		  nrecs;
	size_t		  cap;
	int		  status;
	char		 *error;	/* END error (owned), or NULL */
};

/* What the command line asked for, beyond the request itself. */
struct invocation {
	int		 json;
	int		 follow;	/* tail -f */
	const char	*stream;	/* tail: "stdout", "stderr" or NULL */
	long		 lines;		/* tail -n */
	size_t		 nnames;	/* NAME arguments given */
};

/* Where the socket came from, for the message when it cannot be reached. */
struct socket_origin {
	const char	*path;		/* the socket */
	const char	*conf;		/* the configuration read, or NULL */
	int		 given;		/* -s */
};

struct command {
	const char	*name;
	const char	*request;	/* mwsupd's command, if not NAME */
	/* Check ARGC/ARGV (ARGV[0] is the command) and fill REQ; 0 or -1. */
	int		(*parse)(int, char **, struct proto_out *,
			    struct invocation *);
	/* Print a collected reply. */
	void		(*show)(const struct reply *, const struct invocation *);
	/* Print one RECORD as it arrives instead of collecting it. */
	void		(*stream)(const struct proto_msg *,
			    const struct invocation *);
};

static volatile sig_atomic_t interrupted;

static const char *numeric_keys[] = {
	"pid", "num", "since", "started", "uptime", "exit_status",
	"restarts", "dropped", "protocol", "lines", NULL
};

static void __attribute__((noreturn))
usage_exit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: mwsupctl [-c FILE | -s SOCKET] [-j] [-h] [-V] COMMAND [ARGS]\n"
	    "  -c, --config FILE    configuration file naming the socket\n"
	    "                       (default %s)\n"
	    "  -s, --socket SOCKET  control socket (default: from the\n"
	    "                       configuration, else %s)\n"
	    "  -j, --json           print results as JSON\n"
	    "  -h, --help           print this help and exit\n"
	    "  -V, --version        print mwsupctl's version and exit\n"
	    "commands:\n"
	    "  status [NAME...]           state of processes (exit 3: not all RUNNING)\n"
	    "  start NAME...              start and wait until started\n"
	    "  stop NAME...               stop and wait until stopped\n"
	    "  restart NAME...            stop, then start\n"
	    "  signal SIG NAME...         send SIG (HUP, SIGHUP, 1) to processes\n"
	    "  pid [NAME...]              mwsupd's pid, or the processes' pids\n"
	    "  tail [-n LINES] [-f] NAME [stdout|stderr]\n"
	    "                             recent output of one process\n"
	    "  avail                      configured programs and their processes\n"
	    "  reload                     re-read the configuration and apply it\n"
	    "  shutdown                   stop everything, wait until mwsupd exits\n"
	    "  version                    versions of mwsupctl and mwsupd\n"
	    "NAME is all, PROGRAM (or PROGRAM:* or PROGRAM:) or PROGRAM:N.\n",
	    DEFAULT_CONF, DEFAULT_SOCKET);
}

static void
usage_exit(const char *fmt, ...)
{
	va_list ap;

	fputs("mwsupctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'mwsupctl -h' for help.\n", stderr);
	exit(EXIT_USAGE);
}

static void *
xmalloc_or_die(size_t n)
{
	void *p;

	if ((p = malloc(n)) == NULL) {
		fprintf(stderr, "mwsupctl: out of memory\n");
		exit(EXIT_FAILED);
	}
	return p;
}

/* ---------------------------------------------------------------- records */

/*
 * Replace control characters in S with '?', so that text from mwsupd
 * (reasons, names, errors) cannot drive the terminal.  Process output in
 * `tail` is printed as it is, like tail(1) would.
 */
static void
defang(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

/* Copy MSG out of the decoder; FOR_TEXT: defang it for the terminal. */
static struct record *
record_copy(const struct proto_msg *msg, int for_text)
{
	struct record *r;

	r = xmalloc_or_die(sizeof(*r) + msg->nfields * sizeof(r->f[0]));
	r->nfields = msg->nfields;
	for (size_t i = 0; i < msg->nfields; i++) {
		size_t klen = strlen(msg->fields[i].key);

		r->f[i].key = xmalloc_or_die(klen + 1);
		memcpy(r->f[i].key, msg->fields[i].key, klen + 1);
		r->f[i].val = xmalloc_or_die(msg->fields[i].vlen + 1);
		memcpy(r->f[i].val, msg->fields[i].val,
		    msg->fields[i].vlen + 1);
		r->f[i].vlen = msg->fields[i].vlen;
		if (for_text)
			defang(r->f[i].val);
	}
	return r;
}

static const char *
rec_get(const struct record *r, const char *key)
{
	for (size_t i = 0; i < r->nfields; i++)
		if (strcmp(r->f[i].key, key) == 0)
			return r->f[i].val;
	return NULL;
}

/* Parse KEY of R as a decimal integer; 0 when present and valid, else -1. */
static int
rec_num(const struct record *r, const char *key, long long *out)
{
	const char *s;
	char *end;

	if ((s = rec_get(r, key)) == NULL || *s == '\0')
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

static void
reply_add(struct reply *rp, struct record *r)
{
	if (rp->nrecs == rp->cap) {
		size_t cap = rp->cap ? rp->cap * 2 : 16;

		if (cap > SIZE_MAX / sizeof(*rp->recs) ||
		    (rp->recs = realloc(rp->recs, cap * sizeof(*rp->recs)))
		    == NULL) {
			fprintf(stderr, "mwsupctl: out of memory\n");
			exit(EXIT_FAILED);
		}
		rp->cap = cap;
	}
	rp->recs[rp->nrecs++] = r;
}

static void
reply_free(struct reply *rp)
{
	for (size_t i = 0; i < rp->nrecs; i++) {
		for (size_t f = 0; f < rp->recs[i]->nfields; f++) {
			free(rp->recs[i]->f[f].key);
			free(rp->recs[i]->f[f].val);
		}
		free(rp->recs[i]);
	}
	free(rp->recs);
	free(rp->error);
	memset(rp, 0, sizeof(*rp));
}

static int
reply_has_error(const struct reply *rp)
{
	for (size_t i = 0; i < rp->nrecs; i++)
		if (rec_get(rp->recs[i], "error") != NULL)
			return 1;
	return 0;
}

/* Print "NAME: ERROR (error)" on stderr, after what stdout holds. */
static void
print_record_error(const struct record *r)
{
	const char *name = rec_get(r, "name");

	fflush(stdout);
	if (name != NULL)
		fprintf(stderr, "%s: ERROR (%s)\n", name, rec_get(r, "error"));
	else
		fprintf(stderr, "mwsupctl: %s\n", rec_get(r, "error"));
}

/* ---------------------------------------------------------------- JSON */

static int
is_numeric_key(const char *key)
{
	for (size_t i = 0; numeric_keys[i] != NULL; i++)
		if (strcmp(numeric_keys[i], key) == 0)
			return 1;
	return 0;
}

static void
json_field(const char *key, const char *val, int first)
{
	if (!first)
		fputs(", ", stdout);
	json_string(stdout, key, strlen(key));
	fputs(": ", stdout);
	json_value(stdout, val, is_numeric_key(key));
}

/*
 * Print R as a JSON object with exactly KEYS (absent ones as null); a
 * record of an unknown name (an error and no state or result) is printed
 * as {"name", "error"}.
 */
static void
json_record(const struct record *r, const char *const *keys)
{
	static const char *const errkeys[] = { "name", "error", NULL };

	if (rec_get(r, "error") != NULL && rec_get(r, "state") == NULL &&
	    rec_get(r, "result") == NULL)
		keys = errkeys;
	putchar('{');
	for (size_t i = 0; keys[i] != NULL; i++)
		json_field(keys[i], rec_get(r, keys[i]), i == 0);
	putchar('}');
}

static void
json_records(const struct reply *rp, const char *const *keys)
{
	putchar('[');
	for (size_t i = 0; i < rp->nrecs; i++) {
		fputs(i ? ",\n " : "", stdout);
		json_record(rp->recs[i], keys);
	}
	fputs("]\n", stdout);
}

/* ---------------------------------------------------------------- parsing */

/* -j and --json are accepted after the command too. */
static void
strip_json_flag(int *argc, char **argv, struct invocation *inv)
{
	int i, j;

	for (i = 1, j = 1; i < *argc; i++) {
		if (strcmp(argv[i], "-j") == 0 ||
		    strcmp(argv[i], "--json") == 0) {
			inv->json = 1;
			continue;
		}
		argv[j++] = argv[i];
	}
	*argc = j;
	argv[j] = NULL;
}

/*
 * supervisorctl's spellings of a whole program, PROGRAM:* and PROGRAM:,
 * become PROGRAM (in place: NAME is an argv string).
 */
static void
name_normalise(char *name)
{
	size_t len = strlen(name);

	if (len >= 2 && strcmp(name + len - 2, ":*") == 0)
		name[len - 2] = '\0';
	else if (len >= 1 && name[len - 1] == ':')
		name[len - 1] = '\0';
}

static int
add_names(int argc, char **argv, int first, struct proto_out *req,
    struct invocation *inv)
{
	for (int i = first; i < argc; i++) {
		if (argv[i][0] == '-')
			usage_exit("%s: unknown option %s", argv[0], argv[i]);
		name_normalise(argv[i]);
		if (argv[i][0] == '\0')
			usage_exit("%s: empty process name", argv[0]);
		proto_add(req, "name", argv[i]);
		inv->nnames++;
	}
	return 0;
}

static int
parse_names_optional(int argc, char **argv, struct proto_out *req,
    struct invocation *inv)
{
	return add_names(argc, argv, 1, req, inv);
}

static int
parse_names_required(int argc, char **argv, struct proto_out *req,
    struct invocation *inv)
{
	if (argc < 2)
		usage_exit("%s: missing process name (NAME, PROGRAM:N or all)",
		    argv[0]);
	return add_names(argc, argv, 1, req, inv);
}

static int
parse_no_args(int argc, char **argv, struct proto_out *req,
    struct invocation *inv)
{
	(void)req;
	(void)inv;
	if (argc > 1)
		usage_exit("%s takes no arguments", argv[0]);
	return 0;
}

static int
parse_signal(int argc, char **argv, struct proto_out *req,
    struct invocation *inv)
{
	if (argc < 2)
		usage_exit("signal: missing signal and process name");
	if (signame_parse(argv[1]) == -1)
		usage_exit("signal: unknown signal: %s", argv[1]);
	if (argc < 3)
		usage_exit("signal: missing process name");
	proto_add(req, "signal", argv[1]);
	return add_names(argc, argv, 2, req, inv);
}

static long
parse_lines(const char *s)
{
	char *end;
	long n;

	if (*s < '0' || *s > '9')
		usage_exit("tail: bad line count: %s", s);
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || n > TAIL_LINES_MAX)
		usage_exit("tail: bad line count: %s", s);
	return n;
}

static int
parse_tail(int argc, char **argv, struct proto_out *req,
    struct invocation *inv)
{
	const char *name = NULL;
	long lines = TAIL_LINES_DEFAULT;
	int opts = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (opts && strcmp(a, "--") == 0) {
			opts = 0;
		} else if (opts && (strcmp(a, "-f") == 0 ||
		    strcmp(a, "--follow") == 0)) {
			inv->follow = 1;
		} else if (opts && (strcmp(a, "-n") == 0 ||
		    strcmp(a, "--lines") == 0)) {
			if (++i == argc)
				usage_exit("tail: %s needs a line count", a);
			lines = parse_lines(argv[i]);
		} else if (opts && strncmp(a, "-n", 2) == 0) {
			lines = parse_lines(a + 2);
		} else if (opts && strncmp(a, "--lines=", 8) == 0) {
			lines = parse_lines(a + 8);
		} else if (opts && a[0] == '-') {
			usage_exit("tail: unknown option %s", a);
		} else if (name != NULL && inv->stream == NULL &&
		    (strcmp(a, "stdout") == 0 || strcmp(a, "stderr") == 0)) {
			inv->stream = a;
		} else {
			if (name != NULL)
				usage_exit("tail takes exactly one process "
				    "name (and stdout or stderr)");
			name_normalise(argv[i]);
			if (*a == '\0')
				usage_exit("tail: empty process name");
			name = a;
		}
	}
	if (name == NULL)
		usage_exit("tail: missing process name");
	if (strcmp(name, "all") == 0)
		usage_exit("tail: name one process (PROGRAM:N, or a program "
		    "that has one), not all");
	proto_add(req, "name", name);
	inv->nnames = 1;
	/* Never more than mwsupd sends (at most 16 KiB of lines anyway). */
	inv->lines = lines > TAIL_LINES_ALL ? TAIL_LINES_ALL : lines;
	/*
	 * mwsupd keeps both streams in one ring: to show the last LINES of
	 * one of them, ask for all it keeps and keep the last LINES of that
	 * stream here (with -f, of the lines it sends at once: LINES).
	 */
	if (inv->stream != NULL && !inv->follow && lines > 0)
		lines = TAIL_LINES_ALL;
	proto_addf(req, "lines", "%ld", lines);
	if (inv->follow)
		proto_add(req, "follow", "1");
	return 0;
}

/* ---------------------------------------------------------------- status */

static void
format_time(long long t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "@%lld", t);
}

static void
format_uptime(long long secs, char *buf, size_t len)
{
	long long days = secs / 86400;

	secs %= 86400;
	if (days > 0)
		snprintf(buf, len, "%lld day%s, %lld:%02lld:%02lld", days,
		    days == 1 ? "" : "s", secs / 3600, secs / 60 % 60,
		    secs % 60);
	else
		snprintf(buf, len, "%lld:%02lld:%02lld", secs / 3600,
		    secs / 60 % 60, secs % 60);
}

/* The supervisorctl-style description column of one status record. */
static void
status_desc(const struct record *r, char *buf, size_t len)
{
	const char *state = rec_get(r, "state");
	const char *reason = rec_get(r, "reason");
	const char *sig = rec_get(r, "signal");
	char when[64], up[64];
	long long pid, since, started, uptime, code;
	int haspid = rec_num(r, "pid", &pid) == 0;

	buf[0] = '\0';
	if (rec_num(r, "since", &since) == 0)
		format_time(since, when, sizeof(when));
	else
		snprintf(when, sizeof(when), "unknown time");

	if (strcmp(state, "RUNNING") == 0 && haspid) {
		if (rec_num(r, "uptime", &uptime) != 0) {
			if (rec_num(r, "started", &started) == 0)
				uptime = (long long)time(NULL) - started;
			else
				uptime = 0;
		}
		if (uptime < 0)
			uptime = 0;
		format_uptime(uptime, up, sizeof(up));
		snprintf(buf, len, "pid %lld, uptime %s", pid, up);
	} else if (strcmp(state, "EXITED") == 0) {
		if (sig != NULL)
			snprintf(buf, len, "killed by %s%s, %s",
			    strspn(sig, "0123456789") == strlen(sig) ?
			    "signal " : "SIG", sig, when);
		else if (rec_num(r, "exit_status", &code) == 0)
			snprintf(buf, len, "exit status %lld, %s", code, when);
		else
			snprintf(buf, len, "%s", when);
	} else if (strcmp(state, "STOPPED") == 0) {
		if (rec_get(r, "started") == NULL)
			snprintf(buf, len, "Not started");
		else
			snprintf(buf, len, "%s", when);
	} else if (reason != NULL) {
		snprintf(buf, len, "%s", reason);
	} else if (haspid) {
		snprintf(buf, len, "pid %lld", pid);
	}
}

static void
show_status(const struct reply *rp, const struct invocation *inv)
{
	static const char *const keys[] = {
		"name", "program", "num", "state", "pid", "since", "started",
		"uptime", "exit_status", "signal", "reason", "restarts", NULL
	};
	char desc[512];
	size_t width = NAME_COLUMN_MIN;

	if (inv->json) {
		json_records(rp, keys);
		return;
	}
	for (size_t i = 0; i < rp->nrecs; i++) {
		const char *name = rec_get(rp->recs[i], "name");

		if (name != NULL && rec_get(rp->recs[i], "state") != NULL &&
		    strlen(name) > width)
			width = strlen(name);
	}
	for (size_t i = 0; i < rp->nrecs; i++) {
		const struct record *r = rp->recs[i];
		const char *name = rec_get(r, "name");
		const char *state = rec_get(r, "state");

		if (name == NULL || state == NULL) {
			if (rec_get(r, "error") != NULL)
				print_record_error(r);
			continue;
		}
		status_desc(r, desc, sizeof(desc));
		if (desc[0] == '\0')
			printf("%-*s %s\n", (int)width, name, state);
		else
			printf("%-*s %-*s %s\n", (int)width, name,
			    STATE_COLUMN, state, desc);
	}
}

/* ---------------------------------------------------------------- actions */

/* start, stop, restart and signal: "NAME: result" or an error line. */
static void
show_results(const struct reply *rp, const struct invocation *inv)
{
	static const char *const keys[] = {
		"name", "result", "state", "pid", "reason", "error", NULL
	};

	if (inv->json) {
		json_records(rp, keys);
		return;
	}
	for (size_t i = 0; i < rp->nrecs; i++) {
		const struct record *r = rp->recs[i];

		if (rec_get(r, "error") != NULL)
			print_record_error(r);
		else if (rec_get(r, "name") != NULL)
			printf("%s: %s\n", rec_get(r, "name"),
			    rec_get(r, "result") ? rec_get(r, "result") : "ok");
	}
}

static void
show_signal(const struct reply *rp, const struct invocation *inv)
{
	static const char *const keys[] = { "name", "result", "error", NULL };

	if (inv->json)
		json_records(rp, keys);
	else
		show_results(rp, inv);
}

static void
show_pid(const struct reply *rp, const struct invocation *inv)
{
	static const char *const keys[] = { "name", "pid", NULL };

	if (inv->nnames == 0) {
		const char *pid = rp->nrecs ? rec_get(rp->recs[0], "pid") : NULL;

		if (pid == NULL)
			return;
		if (inv->json) {
			putchar('{');
			json_field("pid", pid, 1);
			fputs("}\n", stdout);
		} else
			printf("%s\n", pid);
		return;
	}
	if (inv->json) {
		json_records(rp, keys);
		return;
	}
	for (size_t i = 0; i < rp->nrecs; i++) {
		const struct record *r = rp->recs[i];

		if (rec_get(r, "error") != NULL)
			print_record_error(r);
		else
			printf("%s\n", rec_get(r, "pid") ?
			    rec_get(r, "pid") : "0");
	}
}

static void
json_strings(const char *title, const struct reply *rp, const char *key,
    int without_program)
{
	int first = 1;

	json_string(stdout, title, strlen(title));
	fputs(": [", stdout);
	for (size_t i = 0; i < rp->nrecs; i++) {
		const struct record *r = rp->recs[i];
		const char *v = rec_get(r, key);

		if (v == NULL || (without_program &&
		    rec_get(r, "program") != NULL))
			continue;
		fputs(first ? "" : ", ", stdout);
		json_value(stdout, v, 0);
		first = 0;
	}
	putchar(']');
}

/* How `reload` says what it did to a program. */
static const char *
reload_action(const char *action)
{
	if (action == NULL)
		return "changed";
	if (strcmp(action, "numprocs") == 0)
		return "resized";
	return action;
}

static void
show_reload(const struct reply *rp, const struct invocation *inv)
{
	static const char *const keys[] = {
		"program", "action", "detail", "error", NULL
	};
	size_t nprinted = 0;
	int first = 1;

	if (inv->json) {
		fputs("{\"changes\": [", stdout);
		for (size_t i = 0; i < rp->nrecs; i++) {
			if (rec_get(rp->recs[i], "program") == NULL)
				continue;
			fputs(first ? "" : ",\n  ", stdout);
			json_record(rp->recs[i], keys);
			first = 0;
		}
		fputs("],\n ", stdout);
		json_strings("notes", rp, "note", 0);
		fputs(",\n ", stdout);
		json_strings("errors", rp, "error", 1);
		fputs("}\n", stdout);
		return;
	}
	for (size_t i = 0; i < rp->nrecs; i++) {
		const struct record *r = rp->recs[i];
		const char *program = rec_get(r, "program");
		const char *detail = rec_get(r, "detail");
		const char *error = rec_get(r, "error");

		if (program != NULL) {
			printf("%s: %s", program,
			    reload_action(rec_get(r, "action")));
			if (detail != NULL)
				printf(" (%s)", detail);
			putchar('\n');
			if (error != NULL) {
				fflush(stdout);
				fprintf(stderr, "%s: ERROR (%s)\n", program,
				    error);
			}
			nprinted++;
		} else if (rec_get(r, "note") != NULL) {
			printf("%s\n", rec_get(r, "note"));
			nprinted++;
		} else if (error != NULL) {
			fflush(stdout);
			fprintf(stderr, "%s\n", error);
			nprinted++;
		}
	}
	if (nprinted == 0 && rp->status == 0)
		printf("no changes\n");
}

static void
show_shutdown(const struct reply *rp, const struct invocation *inv)
{
	if (rp->status != 0)
		return;
	if (inv->json)
		printf("{\"shutdown\": true}\n");
	else
		printf("Shut down\n");
}

static void
show_version(const struct reply *rp, const struct invocation *inv)
{
	const char *v = NULL, *proto = NULL;

	if (rp->nrecs > 0) {
		v = rec_get(rp->recs[0], "version");
		proto = rec_get(rp->recs[0], "protocol");
	}
	if (inv->json) {
		putchar('{');
		json_field("mwsupctl", PACKAGE_VERSION, 1);
		json_field("mwsupd", v, 0);
		json_field("protocol", proto, 0);
		fputs("}\n", stdout);
	} else if (v != NULL)
		printf("mwsupd %s\n", v);
}

/*
 * `avail`: the configured programs, one line each with how many processes
 * it has and how many run (from a status reply).
 */
static void
show_avail(const struct reply *rp, const struct invocation *inv)
{
	size_t width = NAME_COLUMN_MIN, nprog = 0;
	int first = 1;

	for (size_t i = 0; i < rp->nrecs; i++) {
		const char *prog = rec_get(rp->recs[i], "program");

		if (prog != NULL && strlen(prog) > width)
			width = strlen(prog);
	}
	if (inv->json)
		putchar('[');
	/* Records come grouped by program. */
	for (size_t i = 0; i < rp->nrecs; ) {
		const char *prog = rec_get(rp->recs[i], "program");
		size_t n = 0, running = 0, j;

		if (prog == NULL) {
			i++;
			continue;
		}
		for (j = i; j < rp->nrecs; j++) {
			const char *p = rec_get(rp->recs[j], "program");
			const char *st = rec_get(rp->recs[j], "state");

			if (p == NULL || strcmp(p, prog) != 0)
				break;
			n++;
			if (st != NULL && strcmp(st, "RUNNING") == 0)
				running++;
		}
		if (inv->json) {
			fputs(first ? "{" : ",\n {", stdout);
			json_string(stdout, "program", 7);
			fputs(": ", stdout);
			json_value(stdout, prog, 0);
			printf(", \"processes\": %zu, \"running\": %zu}", n,
			    running);
		} else
			printf("%-*s %zu process%s, %zu running\n", (int)width,
			    prog, n, n == 1 ? "" : "es", running);
		first = 0;
		nprog++;
		i = j;
	}
	if (inv->json)
		fputs("]\n", stdout);
	else if (nprog == 0)
		printf("no programs configured\n");
}

/* ---------------------------------------------------------------- tail */

static int tail_json_first = 1;

/* tail NAME STREAM without -f: the last inv->lines lines of STREAM. */
static struct {
	char		**line;
	size_t		 *len;
	size_t		  n;		/* lines kept */
	size_t		  next;		/* where the next one goes */
} kept;

static void
tail_print(const char *line, size_t vlen, const char *stream,
    const struct invocation *inv)
{
	if (inv->json) {
		if (!inv->follow)
			fputs(tail_json_first ? "[" : ",\n ", stdout);
		tail_json_first = 0;
		putchar('{');
		json_string(stdout, "line", 4);
		fputs(": ", stdout);
		json_string(stdout, line, vlen);
		json_field("stream", stream, 0);
		putchar('}');
		if (inv->follow)
			putchar('\n');
	} else {
		fwrite(line, 1, vlen, stdout);
		putchar('\n');
	}
}

static void
tail_keep(const char *line, size_t vlen, const struct invocation *inv)
{
	size_t cap = (size_t)inv->lines;

	if (kept.line == NULL) {
		kept.line = xmalloc_or_die(cap * sizeof(*kept.line));
		kept.len = xmalloc_or_die(cap * sizeof(*kept.len));
	}
	if (kept.n == cap)
		free(kept.line[kept.next]);
	else
		kept.n++;
	kept.line[kept.next] = xmalloc_or_die(vlen + 1);
	memcpy(kept.line[kept.next], line, vlen + 1);
	kept.len[kept.next] = vlen;
	kept.next = (kept.next + 1) % cap;
}

static void
tail_flush_kept(const struct invocation *inv)
{
	size_t cap = (size_t)inv->lines;
	size_t first = kept.n < cap ? 0 : kept.next;

	for (size_t i = 0; i < kept.n; i++) {
		size_t k = (first + i) % cap;

		tail_print(kept.line[k], kept.len[k], inv->stream, inv);
		free(kept.line[k]);
	}
	free(kept.line);
	free(kept.len);
	memset(&kept, 0, sizeof(kept));
}

static void
stream_tail(const struct proto_msg *msg, const struct invocation *inv)
{
	const char *line = NULL, *stream = proto_get(msg, "stream");
	const char *dropped = proto_get(msg, "dropped");
	size_t vlen = 0;

	for (size_t i = 0; i < msg->nfields; i++)
		if (strcmp(msg->fields[i].key, "line") == 0) {
			line = msg->fields[i].val;
			vlen = msg->fields[i].vlen;
			break;
		}
	/* `tail NAME stderr`: the daemon sends both; keep one stream. */
	if (line != NULL && inv->stream != NULL) {
		if (stream == NULL || strcmp(stream, inv->stream) != 0)
			return;
		if (!inv->follow) {
			if (inv->lines > 0)
				tail_keep(line, vlen, inv);
			return;
		}
	}
	if (line != NULL) {
		tail_print(line, vlen, stream, inv);
	} else if (dropped != NULL && inv->json) {
		if (!inv->follow)
			fputs(tail_json_first ? "[" : ",\n ", stdout);
		tail_json_first = 0;
		putchar('{');
		json_field("dropped", dropped, 1);
		putchar('}');
		if (inv->follow)
			putchar('\n');
	} else if (dropped != NULL) {
		fflush(stdout);
		fprintf(stderr, "mwsupctl: %s lines dropped\n", dropped);
	}
	if (inv->follow)
		fflush(stdout);
}

static void
show_tail(const struct reply *rp, const struct invocation *inv)
{
	(void)rp;		/* the lines were printed as they came */
	if (inv->stream != NULL && !inv->follow)
		tail_flush_kept(inv);
	if (inv->json && !inv->follow)
		fputs(tail_json_first ? "[]\n" : "]\n", stdout);
}

static const struct command commands[] = {
	{ "status",   NULL,	parse_names_optional, show_status,	NULL },
	{ "start",    NULL,	parse_names_required, show_results,	NULL },
	{ "stop",     NULL,	parse_names_required, show_results,	NULL },
	{ "restart",  NULL,	parse_names_required, show_results,	NULL },
	{ "signal",   NULL,	parse_signal,	      show_signal,	NULL },
	{ "pid",      NULL,	parse_names_optional, show_pid,		NULL },
	{ "tail",     NULL,	parse_tail,	      show_tail,	stream_tail },
	{ "avail",    "status",	parse_no_args,	      show_avail,	NULL },
	{ "reload",   NULL,	parse_no_args,	      show_reload,	NULL },
	{ "shutdown", NULL,	parse_no_args,	      show_shutdown,	NULL },
	{ "version",  NULL,	parse_no_args,	      show_version,	NULL },
};

/*
 * supervisorctl commands mwsupctl has no use for, and what to type
 * instead.  A usage error (exit 2): nothing is sent to mwsupd.
 */
static const struct {
	const char	*name;
	const char	*hint;
} foreign_commands[] = {
	{ "reread",	"'mwsupctl reload' re-reads the configuration and "
			"applies the difference in one step (mwsupd -t only "
			"checks it)" },
	{ "update",	"'mwsupctl reload' re-reads the configuration and "
			"applies the difference: it starts what is new, "
			"restarts what changed, stops what is gone" },
	{ "add",	"add the program to the configuration, then "
			"'mwsupctl reload'" },
	{ "remove",	"remove the program from the configuration, then "
			"'mwsupctl reload'" },
	{ "maintail",	"mwsupd logs to syslog: 'journalctl -t mwsupd' or "
			"/var/log/syslog (or its stderr with log_target = "
			"stderr)" },
};

/* ---------------------------------------------------------------- socket */

/*
 * The socket that the configuration PATH names (the built-in default if it
 * names none), read past errors elsewhere in the file (a typo in an
 * included program file must not lock an operator out), or NULL when PATH
 * cannot be read at all; every problem found is appended to WARNINGS as
 * "FILE:LINE: message".
 */
static char *
conf_socket(const char *path, struct msglist *warnings)
{
	return conf_client_socket(path, warnings);
}

/*
 * The socket to use, and where it came from: -s; else the socket of the
 * -c file (a file whose socket cannot be known: its errors, exit 2); else
 * of the default file when it exists (when it has errors: a warning, and
 * the built-in default); else the built-in default.  Problems in a file
 * whose socket could still be read are warnings.
 */
/* The socket path read from a configuration, kept until exit. */
static char	*socket_owned __attribute__((used));

static void
socket_find(const char *sock, const char *conf_path, struct socket_origin *o)
{
	struct msglist warnings = MSGLIST_INIT;
	const char *path = conf_path != NULL ? conf_path : DEFAULT_CONF;
	char *found;

	o->path = sock;
	o->conf = NULL;
	o->given = sock != NULL;
	if (sock != NULL)
		return;
	o->path = DEFAULT_SOCKET;
	if (conf_path == NULL && access(path, R_OK) == -1)
		return;
	found = conf_socket(path, &warnings);
	if (found == NULL && conf_path != NULL) {
		for (size_t i = 0; i < warnings.n; i++)
			fprintf(stderr, "%s\n", warnings.msgs[i]);
		if (warnings.n == 0)
			fprintf(stderr, "%s: cannot load\n", path);
		exit(EXIT_USAGE);
	}
	if (found == NULL) {
		fprintf(stderr, "mwsupctl: warning: %s%s: using %s\n",
		    warnings.n ? warnings.msgs[0] : path,
		    warnings.n > 1 ? " (and more errors)" : "", DEFAULT_SOCKET);
	} else {
		for (size_t i = 0; i < warnings.n; i++)
			fprintf(stderr, "mwsupctl: warning: %s\n",
			    warnings.msgs[i]);
		if (warnings.n > 0)
			fprintf(stderr, "mwsupctl: warning: %s has errors; "
			    "using the socket it names, %s\n", path, found);
		socket_owned = found;	/* lives until exit */
		o->path = found;
		o->conf = path;
	}
	msglist_clear(&warnings);
}

/* After "cannot reach mwsupd": which mwsupd was looked for, and how to
   name another. */
static void
unreachable_hint(const struct socket_origin *o)
{
	if (o->given)
		fprintf(stderr, "mwsupctl: %s was given with -s\n", o->path);
	else if (o->conf != NULL)
		fprintf(stderr, "mwsupctl: %s is the socket of %s: is mwsupd "
		    "running?  For another mwsupd: -c FILE or -s SOCKET\n",
		    o->path, o->conf);
	else
		fprintf(stderr, "mwsupctl: %s is the built-in default (no "
		    "%s): name mwsupd's configuration with -c FILE or its "
		    "socket with -s SOCKET\n", o->path, DEFAULT_CONF);
}

/* ---------------------------------------------------------------- talking */

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* The END's status as an exit code; anything unexpected counts as 1. */
static int
end_status(const struct proto_msg *msg)
{
	const char *s = proto_get(msg, "status");

	if (s == NULL || s[0] < '0' || s[0] > '4' || s[1] != '\0' ||
	    strcmp(s, "2") == 0)
		return EXIT_FAILED;
	return s[0] - '0';
}

/*
 * Send REQ to mwsupd at PATH and print the reply with CMD.  Returns the
 * exit code.
 */
static int
converse(const struct socket_origin *origin, const struct command *cmd,
    struct proto_out *req, const struct invocation *inv)
{
	const char *path = origin->path;
	static struct client cl;
	struct reply rp = { NULL, 0, 0, 0, NULL };
	struct sigaction sa;
	sigset_t block, oldmask;
	const sigset_t *waitmask = NULL;
	const char *err;
	char reason[256];
	int is_shutdown = strcmp(cmd->name, "shutdown") == 0;
	int r, status, got_end = 0;

	if (inv->follow) {
		/* Signals are taken only while waiting, so none is lost. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		sigaddset(&block, SIGHUP);
		sigprocmask(SIG_BLOCK, &block, &oldmask);
		waitmask = &oldmask;
	}

	if (client_connect(&cl, path, reason, sizeof(reason)) == -1) {
		fprintf(stderr, "mwsupctl: cannot reach mwsupd at %s: %s\n",
		    path, reason);
		unreachable_hint(origin);
		return EXIT_UNREACHABLE;
	}
	if (client_send(&cl, req) == -1) {
		fprintf(stderr, "mwsupctl: cannot send to mwsupd at %s: %s\n",
		    path, strerror(errno));
		client_close(&cl);
		return EXIT_FAILED;
	}

	for (;;) {
		r = client_recv(&cl, waitmask, &err);
		if (r == -2) {
			if (interrupted) {
				fflush(stdout);
				client_close(&cl);
				reply_free(&rp);
				return EXIT_OK;
			}
			continue;
		}
		if (r == -1) {
			fflush(stdout);
			fprintf(stderr, "mwsupctl: bad reply from mwsupd: %s\n",
			    err);
			goto fail;
		}
		if (r == 0) {
			if (got_end || is_shutdown)
				break;
			fflush(stdout);
			fprintf(stderr,
			    "mwsupctl: mwsupd closed the connection\n");
			goto fail;
		}
		if (got_end)		/* after shutdown's END: wait for EOF */
			continue;
		if (cl.msg.kind == PROTO_RECORD) {
			if (cmd->stream != NULL)
				cmd->stream(&cl.msg, inv);
			else
				reply_add(&rp, record_copy(&cl.msg, !inv->json));
			continue;
		}
		if (cl.msg.kind != PROTO_END) {
			fprintf(stderr, "mwsupctl: bad reply from mwsupd: "
			    "unexpected frame kind %u\n", cl.msg.kind);
			goto fail;
		}
		rp.status = end_status(&cl.msg);
		if ((err = proto_get(&cl.msg, "error")) != NULL) {
			free(rp.error);
			if ((rp.error = strdup(err)) == NULL) {
				fprintf(stderr, "mwsupctl: out of memory\n");
				goto fail;
			}
			defang(rp.error);
		}
		got_end = 1;
		if (!is_shutdown || rp.status != EXIT_OK)
			break;
	}
	client_close(&cl);

	cmd->show(&rp, inv);
	fflush(stdout);
	if (cmd->show == show_avail && rp.status == EXIT_NOTRUNNING)
		rp.status = EXIT_OK;	/* a listing, not a check */
	if (rp.status != EXIT_OK) {
		if (rp.error != NULL && (!reply_has_error(&rp) ||
		    strcmp(cmd->name, "reload") == 0))
			fprintf(stderr, "mwsupctl: %s\n", rp.error);
		else if (rp.error == NULL && rp.status == EXIT_FAILED &&
		    !reply_has_error(&rp))
			fprintf(stderr, "mwsupctl: %s failed\n", cmd->name);
	}
	status = rp.status;
	reply_free(&rp);
	return status;

 fail:
	client_close(&cl);
	reply_free(&rp);
	return EXIT_FAILED;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config",	required_argument,	NULL,	'c' },
		{ "socket",	required_argument,	NULL,	's' },
		{ "json",	no_argument,		NULL,	'j' },
		{ "help",	no_argument,		NULL,	'h' },
		{ "version",	no_argument,		NULL,	'V' },
		{ NULL,		0,			NULL,	0 }
	};
	static struct proto_out req;
	struct socket_origin origin;
	struct invocation inv = { .json = 0 };
	const struct command *cmd = NULL;
	const char *conf_path = NULL, *sock = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "+c:s:jhV", longopts, NULL))
	    != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'j':
			inv.json = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("mwsupctl %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		default:
			fputs("Try 'mwsupctl -h' for help.\n", stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage_exit("missing command");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			cmd = &commands[i];
	for (size_t i = 0; cmd == NULL &&
	    i < sizeof(foreign_commands) / sizeof(foreign_commands[0]); i++)
		if (strcmp(argv[0], foreign_commands[i].name) == 0)
			usage_exit("%s: supervisorctl's, not mwsupctl's: %s",
			    argv[0], foreign_commands[i].hint);
	if (cmd == NULL)
		usage_exit("unknown command: %s", argv[0]);
	if (sock != NULL && *sock == '\0')
		usage_exit("empty socket path");

	/* Usage is settled before anything is loaded or contacted. */
	proto_begin(&req, PROTO_REQUEST);
	proto_add(&req, "cmd", cmd->request ? cmd->request : cmd->name);
	strip_json_flag(&argc, argv, &inv);
	cmd->parse(argc, argv, &req, &inv);
	if (proto_finish(&req) == -1)
		usage_exit("%s: arguments too long or too many", cmd->name);

	if (strcmp(cmd->name, "version") == 0 && !inv.json)
		printf("mwsupctl %s\n", PACKAGE_VERSION);
	socket_find(sock, conf_path, &origin);
	return converse(&origin, cmd, &req, &inv);
}
