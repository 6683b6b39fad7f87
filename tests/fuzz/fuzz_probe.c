/*
 * fuzz_probe.c — libFuzzer target: probe strings and HTTP status lines
 * (lib/probe_spec.c).
 *
 * The input (up to its first NUL) is parsed with probe_spec_parse().
 * Checks: an error always comes with a one-line message and leaves
 * nothing allocated; a success prints to a string that parses back to an
 * equal spec and prints the same again (the normalised form is a fixed
 * point), whose fields agree with its kind; probe_spec_resolve() keeps a
 * unix: path within a socket address.
 *
 * The whole input (NULs included) is also an HTTP reply for
 * probe_http_status(), judged at every length up to the first 20 bytes:
 * never "more" at the end of the reply, a code only after "HTTP/1.",
 * and once a verdict is given, more bytes never change it.
 * Built and run by tests/fuzz/run.sh.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "probe_spec.h"

static void __attribute__((noreturn, format(printf, 1, 2)))
broken(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz_probe: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void
check_spec(const struct probe_spec *spec)
{
	switch (spec->kind) {
	case PROBE_EXEC:
		if (spec->command == NULL || spec->path != NULL ||
		    spec->port != 0)
			broken("exec: fields");
		break;
	case PROBE_UNIX:
		if (spec->path == NULL || spec->command != NULL ||
		    strlen(spec->path) > PROBE_UNIX_PATH_MAX)
			broken("unix: fields");
		break;
	case PROBE_TCP:
	case PROBE_HTTP:
		if (spec->port == 0 || spec->host[0] == '\0' ||
		    spec->command != NULL)
			broken("%s: fields", probe_kind_name(spec->kind));
		if (spec->family != AF_INET && spec->family != AF_INET6 &&
		    spec->family != AF_UNSPEC)
			broken("family %d", spec->family);
		if (spec->kind == PROBE_TCP && spec->path != NULL)
			broken("tcp: has a path");
		if (spec->kind == PROBE_HTTP && (spec->path == NULL ||
		    spec->path[0] != '/' ||
		    strlen(spec->path) > PROBE_HTTP_PATH_MAX ||
		    strpbrk(spec->path, " \r\n#") != NULL))
			broken("http: path");
		break;
	default:
		broken("kind %d", spec->kind);
	}
}

static void
fuzz_parse(const char *s)
{
	struct probe_spec spec, again;
	char err[256], err2[256];
	char *out, *out2;

	err[0] = '\0';
	if (probe_spec_parse(s, &spec, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			broken("parse failed without a message");
		for (const char *c = err; *c; c++)
			if ((unsigned char)*c < ' ')
				broken("message is not one line: %s", err);
		if (spec.command != NULL || spec.path != NULL)
			broken("a failed parse left memory");
		return;
	}
	check_spec(&spec);
	out = probe_spec_print(&spec);
	if (probe_spec_parse(out, &again, err2, sizeof(err2)) == -1)
		broken("the print \"%s\" does not parse: %s", out, err2);
	if (!probe_spec_equal(&spec, &again))
		broken("the print \"%s\" parses to another probe", out);
	out2 = probe_spec_print(&again);
	if (strcmp(out, out2) != 0)
		broken("print is not stable: \"%s\", \"%s\"", out, out2);
	if (probe_spec_resolve(&again, "/etc/mwsup.d", err2,
	    sizeof(err2)) == 0) {
		check_spec(&again);
		if (again.kind == PROBE_UNIX && again.path[0] != '/')
			broken("resolve left a relative path");
	}
	free(out);
	free(out2);
	probe_spec_free(&again);
	probe_spec_free(&spec);
}

static void
fuzz_status(const char *buf, size_t size)
{
	enum probe_http_verdict first = PROBE_HTTP_MORE, v;
	int first_status = -1, status;
	size_t max = size < 20 ? size : 20;

	for (size_t len = 0; len <= max; len++) {
		status = -1;
		v = probe_http_status(buf, len, false, &status);
		if (v == PROBE_HTTP_STATUS &&
		    (status < 0 || status > 999 || len < 12 ||
		    memcmp(buf, "HTTP/1.", 7) != 0))
			broken("status %d from %zu bytes", status, len);
		if (first != PROBE_HTTP_MORE &&
		    (v != first || status != first_status))
			broken("verdict changed at %zu bytes", len);
		if (first == PROBE_HTTP_MORE && v != PROBE_HTTP_MORE) {
			first = v;
			first_status = status;
		}
		status = -1;
		if (probe_http_status(buf, len, true, &status) ==
		    PROBE_HTTP_MORE)
			broken("more wanted after the end, %zu bytes", len);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size > 65536)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	fuzz_parse(s);
	fuzz_status(s, size);
	free(s);
	return 0;
}
