/*
 * probe_spec.c — parse, print and compare probe strings; judge the status
 * line of an HTTP reply.
 *
 * Hosts are numeric or `localhost` on purpose: a health check must not
 * depend on (or stall in) a resolver, and mwsupd's loop has no
 * asynchronous one.  Every error names the probe as written (its first 64
 * bytes) and says what is wrong in one line.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "probe_spec.h"
#include "xalloc.h"

#define QUOTE_MAX	64	/* bytes of the probe string quoted in errors */
#define EXPECTED	"expected exec:, tcp:, unix: or http://"

const char *
probe_kind_name(enum probe_kind kind)
{
	switch (kind) {
	case PROBE_EXEC:
		return "exec";
	case PROBE_TCP:
		return "tcp";
	case PROBE_UNIX:
		return "unix";
	case PROBE_HTTP:
		return "http";
	}
	return "?";
}

/* "S: message", S cut to QUOTE_MAX bytes.  Always returns -1. */
static int __attribute__((format(printf, 4, 5)))
fail(char *err, size_t errlen, const char *s, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	size_t n = strlen(s);

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (n > QUOTE_MAX)
		snprintf(err, errlen, "%.*s...: %s", QUOTE_MAX, s, why);
	else
		snprintf(err, errlen, "%s: %s", s, why);
	return -1;
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * The port in [P, END): decimal 1..65535.  Returns 0, or -1 with the
 * reason in WHY.
 */
static int
parse_port(const char *p, const char *end, uint16_t *port, char *why,
    size_t whylen)
{
	unsigned long v = 0;
	int len = (int)(end - p);

	if (p == end) {
		snprintf(why, whylen, "missing port after ':'");
		return -1;
	}
	for (const char *q = p; q < end; q++) {
		if (*q < '0' || *q > '9') {
			snprintf(why, whylen, "port '%.*s%s' is not a number",
			    len > 16 ? 16 : len, p, len > 16 ? "..." : "");
			return -1;
		}
		if (v <= 65535)
			v = v * 10 + (unsigned long)(*q - '0');
	}
	if (v < 1 || v > 65535) {
		snprintf(why, whylen, "port %.*s%s out of range 1..65535",
		    len > 16 ? 16 : len, p, len > 16 ? "..." : "");
		return -1;
	}
	*port = (uint16_t)v;
	return 0;
}

/*
 * The host in [P, END): "[IPv6]", a numeric IPv4 address or localhost,
 * into OUT->host and OUT->family.  Returns 0, or -1 with the reason in
 * WHY.
 */
static int
parse_host(const char *p, const char *end, struct probe_spec *out,
    char *why, size_t whylen)
{
	char text[PROBE_HOST_MAX];
	unsigned char addr[sizeof(struct in6_addr)];
	size_t len = (size_t)(end - p);
	int shown = len > 48 ? 48 : (int)len;
	const char *more = len > 48 ? "..." : "";

	if (len == 0) {
		snprintf(why, whylen, "missing host");
		return -1;
	}
	if (*p == '[') {
		if (len < 2 || end[-1] != ']') {
			snprintf(why, whylen, "'%.*s%s' lacks its closing ']'",
			    shown, p, more);
			return -1;
		}
		if (len - 2 >= sizeof(text)) {
			snprintf(why, whylen, "'%.*s%s' is not a numeric IPv6 "
			    "address", shown, p, more);
			return -1;
		}
		memcpy(text, p + 1, len - 2);
		text[len - 2] = '\0';
		if (inet_pton(AF_INET6, text, addr) != 1) {
			snprintf(why, whylen, "'%.*s%s' is not a numeric IPv6 "
			    "address", shown, p, more);
			return -1;
		}
		inet_ntop(AF_INET6, addr, out->host, sizeof(out->host));
		out->family = AF_INET6;
		return 0;
	}
	if (len == strlen("localhost") &&
	    strncasecmp(p, "localhost", len) == 0) {
		strcpy(out->host, "localhost");
		out->family = AF_UNSPEC;
		return 0;
	}
	if (len < sizeof(text)) {
		memcpy(text, p, len);
		text[len] = '\0';
		if (inet_pton(AF_INET, text, addr) == 1) {
			inet_ntop(AF_INET, addr, out->host, sizeof(out->host));
			out->family = AF_INET;
			return 0;
		}
	}
	if (strspn(p, "0123456789.") >= len)
		snprintf(why, whylen, "'%.*s%s' is not a valid IPv4 "
		    "address", shown, p, more);
	else
		snprintf(why, whylen, "host '%.*s%s' is not a numeric "
		    "address or localhost (no names are looked up)", shown, p,
		    more);
	return -1;
}

/*
 * Whether [P, END), a host and port, looks like an IPv6 address without
 * brackets: more than one ':' and no valid host before the first.
 */
static bool
bare_ipv6(const char *p, const char *end)
{
	struct probe_spec scratch;
	const char *c = memchr(p, ':', (size_t)(end - p));
	char why[128];

	if (*p == '[' || c == NULL ||
	    memchr(c + 1, ':', (size_t)(end - c - 1)) == NULL)
		return false;
	memset(&scratch, 0, sizeof(scratch));
	return parse_host(p, c, &scratch, why, sizeof(why)) == -1;
}

static int
parse_exec(const char *s, struct probe_spec *out, char *err, size_t errlen)
{
	const char *cmd = s + strlen("exec:");

	if (cmd[strspn(cmd, " \t\n")] == '\0')
		return fail(err, errlen, s, "missing command");
	out->command = xstrdup(cmd);
	return 0;
}

static int
parse_tcp(const char *s, struct probe_spec *out, char *err, size_t errlen)
{
	const char *p = s + strlen("tcp:"), *end = p + strlen(p), *colon;
	char why[128];

	if (*p == '\0')
		return fail(err, errlen, s, "expected tcp:HOST:PORT");
	if (bare_ipv6(p, end))
		return fail(err, errlen, s, "an IPv6 address goes in "
		    "brackets: tcp:[ADDRESS]:PORT");
	if (*p == '[') {
		const char *close = strchr(p, ']');
		colon = close != NULL ? close + 1 : end;
		if (*colon != ':' && *colon != '\0')
			return fail(err, errlen, s, "expected ':' after ']'");
	} else {
		colon = strchr(p, ':');
		if (colon == NULL)
			colon = end;
	}
	if (parse_host(p, colon, out, why, sizeof(why)) == -1)
		return fail(err, errlen, s, "%s", why);
	if (*colon == '\0')
		return fail(err, errlen, s, "missing :PORT");
	if (parse_port(colon + 1, end, &out->port, why, sizeof(why)) == -1)
		return fail(err, errlen, s, "%s", why);
	return 0;
}

static int
parse_unix(const char *s, struct probe_spec *out, char *err, size_t errlen)
{
	const char *path = s + strlen("unix:");
	size_t len = strlen(path);

	if (len == 0)
		return fail(err, errlen, s, "missing socket path");
	if (path[0] == '@')
		return fail(err, errlen, s, "abstract socket names (@NAME) "
		    "are not supported; write ./@NAME for a file so named");
	if (len > PROBE_UNIX_PATH_MAX)
		return fail(err, errlen, s, "path is %zu bytes, longer than "
		    "the %d a socket address holds", len, PROBE_UNIX_PATH_MAX);
	out->path = xstrdup(path);
	return 0;
}

static int
parse_http(const char *s, struct probe_spec *out, char *err, size_t errlen)
{
	const char *auth = s + strlen("http://"), *end, *host_end, *path;
	char why[128];
	size_t plen;

	if (strchr(auth, '#') != NULL)
		return fail(err, errlen, s, "a #fragment is never sent to "
		    "the server; remove it");
	end = auth + strcspn(auth, "/?");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return fail(err, errlen, s, "user information (USER@) is not "
		    "supported");
	if (bare_ipv6(auth, end))
		return fail(err, errlen, s, "an IPv6 address goes in "
		    "brackets: http://[ADDRESS]:PORT/PATH");
	if (*auth == '[') {
		const char *close = memchr(auth, ']', (size_t)(end - auth));
		host_end = close != NULL ? close + 1 : end;
		if (host_end < end && *host_end != ':')
			return fail(err, errlen, s, "expected ':' or '/' "
			    "after ']'");
	} else {
		host_end = memchr(auth, ':', (size_t)(end - auth));
		if (host_end == NULL)
			host_end = end;
	}
	if (parse_host(auth, host_end, out, why, sizeof(why)) == -1)
		return fail(err, errlen, s, "%s", why);
	out->port = 80;
	if (host_end < end &&
	    parse_port(host_end + 1, end, &out->port, why, sizeof(why)) == -1)
		return fail(err, errlen, s, "%s", why);

	path = end;
	plen = strlen(path) + (*path != '/');
	if (plen > PROBE_HTTP_PATH_MAX)
		return fail(err, errlen, s, "path is %zu bytes, longer than "
		    "%d", plen, PROBE_HTTP_PATH_MAX);
	for (const unsigned char *c = (const unsigned char *)path; *c; c++)
		if (*c <= ' ' || *c >= 0x7f)
			return fail(err, errlen, s, "the path has a %s at "
			    "byte %zu; percent-encode it",
			    *c == ' ' ? "space" : *c < ' ' || *c == 0x7f ?
			    "control character" : "non-ASCII byte",
			    (size_t)((const char *)c - s) + 1);
	out->path = xasprintf("%s%s", *path == '/' ? "" : "/", path);
	return 0;
}

int
probe_spec_parse(const char *s, struct probe_spec *out, char *err,
    size_t errlen)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (s == NULL || *s == '\0') {
		snprintf(err, errlen, "empty probe; " EXPECTED);
		return -1;
	}
	if (has_prefix(s, "exec:")) {
		out->kind = PROBE_EXEC;
		rc = parse_exec(s, out, err, errlen);
	} else if (has_prefix(s, "tcp:")) {
		out->kind = PROBE_TCP;
		rc = parse_tcp(s, out, err, errlen);
	} else if (has_prefix(s, "unix:")) {
		out->kind = PROBE_UNIX;
		rc = parse_unix(s, out, err, errlen);
	} else if (has_prefix(s, "http://")) {
		out->kind = PROBE_HTTP;
		rc = parse_http(s, out, err, errlen);
	} else if (has_prefix(s, "https://")) {
		rc = fail(err, errlen, s, "TLS is not supported; use http:// "
		    "(plain HTTP)");
	} else if (has_prefix(s, "http:")) {
		rc = fail(err, errlen, s, "expected http://HOST[:PORT]/PATH");
	} else {
		/* Name the scheme as written: up to its ':' if short. */
		size_t n = strcspn(s, ":");
		if (s[n] == ':' && n < 16)
			snprintf(err, errlen, "unknown probe '%.*s'; " EXPECTED,
			    (int)n + 1, s);
		else
			snprintf(err, errlen, "unknown probe '%.16s%s'; "
			    EXPECTED, s, strlen(s) > 16 ? "..." : "");
		rc = -1;
	}
	if (rc == -1) {
		probe_spec_free(out);
		/* One line, whatever the probe string held. */
		for (char *c = err; errlen > 0 && *c != '\0'; c++)
			if ((unsigned char)*c < ' ' || *c == 0x7f)
				*c = '?';
	}
	return rc;
}

int
probe_spec_resolve(struct probe_spec *spec, const char *dir, char *err,
    size_t errlen)
{
	const char *rel;
	char *path;
	size_t dlen;

	if (spec->kind != PROBE_UNIX || spec->path[0] == '/' ||
	    dir == NULL || *dir == '\0')
		return 0;
	rel = spec->path;
	while (rel[0] == '.' && rel[1] == '/')
		rel += 2 + strspn(rel + 2, "/");
	dlen = strlen(dir);
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	path = xasprintf("%.*s%s%s", (int)dlen, dir,
	    dir[dlen - 1] == '/' ? "" : "/", rel);
	if (strlen(path) > PROBE_UNIX_PATH_MAX) {
		snprintf(err, errlen, "unix:%s: %s is %zu bytes, longer than "
		    "the %d a socket address holds", spec->path, path,
		    strlen(path), PROBE_UNIX_PATH_MAX);
		free(path);
		return -1;
	}
	free(spec->path);
	spec->path = path;
	return 0;
}

char *
probe_spec_print(const struct probe_spec *spec)
{
	bool v6 = spec->family == AF_INET6;

	switch (spec->kind) {
	case PROBE_EXEC:
		return xasprintf("exec:%s", spec->command);
	case PROBE_TCP:
		return xasprintf("tcp:%s%s%s:%u", v6 ? "[" : "", spec->host,
		    v6 ? "]" : "", spec->port);
	case PROBE_UNIX:
		return xasprintf("unix:%s", spec->path);
	case PROBE_HTTP:
		return xasprintf("http://%s%s%s:%u%s", v6 ? "[" : "",
		    spec->host, v6 ? "]" : "", spec->port, spec->path);
	}
	return xstrdup("?");
}

static bool
str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

bool
probe_spec_equal(const struct probe_spec *a, const struct probe_spec *b)
{
	return a->kind == b->kind && a->family == b->family &&
	    a->port == b->port && strcmp(a->host, b->host) == 0 &&
	    str_equal(a->command, b->command) && str_equal(a->path, b->path);
}

void
probe_spec_free(struct probe_spec *spec)
{
	free(spec->command);
	free(spec->path);
	memset(spec, 0, sizeof(*spec));
}

enum probe_http_verdict
probe_http_status(const char *buf, size_t len, bool eof, int *status)
{
	/* '#' stands for a digit. */
	static const char pattern[] = "HTTP/1.# ###";
	const size_t plen = sizeof(pattern) - 1;

	for (size_t i = 0; i < len && i < plen; i++) {
		bool ok = pattern[i] == '#' ?
		    buf[i] >= '0' && buf[i] <= '9' : buf[i] == pattern[i];
		if (!ok)
			return PROBE_HTTP_BAD;
	}
	if (len < plen)
		return eof ? PROBE_HTTP_BAD : PROBE_HTTP_MORE;
	if (len > plen && buf[plen] != ' ' && buf[plen] != '\r' &&
	    buf[plen] != '\n')
		return PROBE_HTTP_BAD;
	if (len == plen && !eof)
		return PROBE_HTTP_MORE;
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 +
	    (buf[11] - '0');
	return PROBE_HTTP_STATUS;
}

bool
probe_http_ok(int status)
{
	return status >= 200 && status <= 399;
}
