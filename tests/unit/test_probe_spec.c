/*
 * test_probe_spec.c — probe strings (lib/probe_spec.c): every form, every
 * error message, the normalised print and its round trip, equality,
 * relative unix: paths, and the HTTP status-line verdict.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "probe_spec.h"

#define UNUSED	__attribute__((unused))	/* cmocka's state argument */

/* Parse S, which must succeed, print it, and check the print parses back
   to an equal spec.  Returns the spec (free it). */
static struct probe_spec
parse_ok(const char *s, const char *printed)
{
	struct probe_spec spec, again;
	char err[256] = "";
	char *out;

	if (probe_spec_parse(s, &spec, err, sizeof(err)) == -1)
		fail_msg("probe_spec_parse(\"%s\") failed: %s", s, err);
	out = probe_spec_print(&spec);
	assert_string_equal(out, printed);
	if (probe_spec_parse(out, &again, err, sizeof(err)) == -1)
		fail_msg("reparsing \"%s\" failed: %s", out, err);
	assert_true(probe_spec_equal(&spec, &again));
	probe_spec_free(&again);
	free(out);
	return spec;
}

static void
parse_error(const char *s, const char *message)
{
	struct probe_spec spec;
	char err[256] = "";

	memset(&spec, 0xa5, sizeof(spec));
	if (probe_spec_parse(s, &spec, err, sizeof(err)) == 0) {
		probe_spec_free(&spec);
		fail_msg("probe_spec_parse(\"%s\") succeeded", s);
	}
	assert_string_equal(err, message);
	/* A failed parse leaves nothing to free. */
	assert_null(spec.command);
	assert_null(spec.path);
}

static void
test_exec(void **state UNUSED)
{
	struct probe_spec s;

	s = parse_ok("exec:/usr/bin/pg_isready -q", "exec:/usr/bin/pg_isready -q");
	assert_int_equal(s.kind, PROBE_EXEC);
	assert_string_equal(s.command, "/usr/bin/pg_isready -q");
	assert_null(s.path);
	assert_int_equal(s.port, 0);
	probe_spec_free(&s);

	/* Kept as written: quotes, %(...) and blanks are the config's. */
	s = parse_ok("exec: check 'a b' %(process_num)d",
	    "exec: check 'a b' %(process_num)d");
	assert_string_equal(s.command, " check 'a b' %(process_num)d");
	probe_spec_free(&s);

	parse_error("exec:", "exec:: missing command");
	parse_error("exec: \t ", "exec: ? : missing command");
}

static void
test_tcp(void **state UNUSED)
{
	struct probe_spec s;

	s = parse_ok("tcp:127.0.0.1:5432", "tcp:127.0.0.1:5432");
	assert_int_equal(s.kind, PROBE_TCP);
	assert_string_equal(s.host, "127.0.0.1");
	assert_int_equal(s.family, AF_INET);
	assert_int_equal(s.port, 5432);
	assert_null(s.command);
	assert_null(s.path);
	probe_spec_free(&s);

	s = parse_ok("tcp:[::1]:1", "tcp:[::1]:1");
	assert_string_equal(s.host, "::1");
	assert_int_equal(s.family, AF_INET6);
	assert_int_equal(s.port, 1);
	probe_spec_free(&s);

	/* Canonical forms. */
	s = parse_ok("tcp:[0:0:0:0:0:0:0:1]:65535", "tcp:[::1]:65535");
	assert_int_equal(s.port, 65535);
	probe_spec_free(&s);
	s = parse_ok("tcp:[FE80::A]:80", "tcp:[fe80::a]:80");
	probe_spec_free(&s);
	s = parse_ok("tcp:[::ffff:10.0.0.1]:80", "tcp:[::ffff:10.0.0.1]:80");
	probe_spec_free(&s);

	s = parse_ok("tcp:localhost:6379", "tcp:localhost:6379");
	assert_string_equal(s.host, "localhost");
	assert_int_equal(s.family, AF_UNSPEC);
	probe_spec_free(&s);
	s = parse_ok("tcp:LocalHost:6379", "tcp:localhost:6379");
	probe_spec_free(&s);
	s = parse_ok("tcp:0.0.0.0:007", "tcp:0.0.0.0:7");
	probe_spec_free(&s);
}

static void
test_tcp_errors(void **state UNUSED)
{
	parse_error("tcp:", "tcp:: expected tcp:HOST:PORT");
	parse_error("tcp:127.0.0.1", "tcp:127.0.0.1: missing :PORT");
	parse_error("tcp:127.0.0.1:", "tcp:127.0.0.1:: missing port after ':'");
	parse_error("tcp::80", "tcp::80: missing host");
	parse_error("tcp:127.0.0.1:70000",
	    "tcp:127.0.0.1:70000: port 70000 out of range 1..65535");
	parse_error("tcp:127.0.0.1:0",
	    "tcp:127.0.0.1:0: port 0 out of range 1..65535");
	parse_error("tcp:127.0.0.1:99999999999999999999",
	    "tcp:127.0.0.1:99999999999999999999: port 9999999999999999... "
	    "out of range 1..65535");
	parse_error("tcp:127.0.0.1:http",
	    "tcp:127.0.0.1:http: port 'http' is not a number");
	parse_error("tcp:127.0.0.1:-1",
	    "tcp:127.0.0.1:-1: port '-1' is not a number");
	parse_error("tcp:127.0.0.1:+80",
	    "tcp:127.0.0.1:+80: port '+80' is not a number");
	parse_error("tcp:127.0.0.1:80/x",
	    "tcp:127.0.0.1:80/x: port '80/x' is not a number");
	parse_error("tcp:127.0.0.1:80:90",
	    "tcp:127.0.0.1:80:90: port '80:90' is not a number");
	parse_error("tcp:256.0.0.1:80",
	    "tcp:256.0.0.1:80: '256.0.0.1' is not a valid IPv4 address");
	parse_error("tcp:10.1:80",
	    "tcp:10.1:80: '10.1' is not a valid IPv4 address");
	parse_error("tcp:db.example.com:5432",
	    "tcp:db.example.com:5432: host 'db.example.com' is not a numeric "
	    "address or localhost (no names are looked up)");
	parse_error("tcp:::1:80", "tcp:::1:80: an IPv6 address goes in "
	    "brackets: tcp:[ADDRESS]:PORT");
	parse_error("tcp:fe80::1:80", "tcp:fe80::1:80: an IPv6 address goes "
	    "in brackets: tcp:[ADDRESS]:PORT");
	parse_error("tcp:[::1:80", "tcp:[::1:80: '[::1:80' lacks its closing "
	    "']'");
	parse_error("tcp:[::1]80", "tcp:[::1]80: expected ':' after ']'");
	parse_error("tcp:[::1]", "tcp:[::1]: missing :PORT");
	parse_error("tcp:[]:80", "tcp:[]:80: '[]' is not a numeric IPv6 "
	    "address");
	parse_error("tcp:[127.0.0.1]:80", "tcp:[127.0.0.1]:80: "
	    "'[127.0.0.1]' is not a numeric IPv6 address");
	parse_error("tcp:[fe80::1%eth0]:80", "tcp:[fe80::1%eth0]:80: "
	    "'[fe80::1%eth0]' is not a numeric IPv6 address");
	parse_error("tcp:[1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa]:1",
	    "tcp:[1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa]:1: "
	    "'[1111:2222:3333:4444:5555:6666:7777:8888:9999:aa...' is not a "
	    "numeric IPv6 address");
}

static void
test_unix(void **state UNUSED)
{
	struct probe_spec s;
	char longest[PROBE_UNIX_PATH_MAX + 16], msg[256];

	s = parse_ok("unix:/run/app.sock", "unix:/run/app.sock");
	assert_int_equal(s.kind, PROBE_UNIX);
	assert_string_equal(s.path, "/run/app.sock");
	assert_string_equal(s.host, "");
	assert_int_equal(s.port, 0);
	probe_spec_free(&s);

	s = parse_ok("unix:run/app.sock", "unix:run/app.sock");
	assert_string_equal(s.path, "run/app.sock");
	probe_spec_free(&s);
	s = parse_ok("unix:./@odd", "unix:./@odd");
	probe_spec_free(&s);

	/* 107 bytes fit sun_path with its NUL; 108 do not. */
	strcpy(longest, "unix:/");
	memset(longest + 6, 'x', PROBE_UNIX_PATH_MAX - 1);
	longest[5 + PROBE_UNIX_PATH_MAX] = '\0';
	s = parse_ok(longest, longest);
	assert_int_equal(strlen(s.path), PROBE_UNIX_PATH_MAX);
	probe_spec_free(&s);
	strcat(longest, "y");
	snprintf(msg, sizeof(msg), "%.64s...: path is 108 bytes, longer than "
	    "the 107 a socket address holds", longest);
	parse_error(longest, msg);

	parse_error("unix:", "unix:: missing socket path");
	parse_error("unix:@abstract", "unix:@abstract: abstract socket names "
	    "(@NAME) are not supported; write ./@NAME for a file so named");
}

static void
test_resolve(void **state UNUSED)
{
	struct probe_spec s;
	char err[256] = "", dir[128];

	s = parse_ok("unix:app.sock", "unix:app.sock");
	assert_int_equal(probe_spec_resolve(&s, "/etc/mwsup", err,
	    sizeof(err)), 0);
	assert_string_equal(s.path, "/etc/mwsup/app.sock");
	probe_spec_free(&s);

	s = parse_ok("unix:././run/app.sock", "unix:././run/app.sock");
	assert_int_equal(probe_spec_resolve(&s, "/etc/mwsup/", err,
	    sizeof(err)), 0);
	assert_string_equal(s.path, "/etc/mwsup/run/app.sock");
	probe_spec_free(&s);

	s = parse_ok("unix:app.sock", "unix:app.sock");
	assert_int_equal(probe_spec_resolve(&s, "/", err, sizeof(err)), 0);
	assert_string_equal(s.path, "/app.sock");
	probe_spec_free(&s);

	/* Absolute paths and other kinds are left alone. */
	s = parse_ok("unix:/run/a.sock", "unix:/run/a.sock");
	assert_int_equal(probe_spec_resolve(&s, "/etc", err, sizeof(err)), 0);
	assert_string_equal(s.path, "/run/a.sock");
	probe_spec_free(&s);
	s = parse_ok("exec:x", "exec:x");
	assert_int_equal(probe_spec_resolve(&s, "/etc", err, sizeof(err)), 0);
	assert_string_equal(s.command, "x");
	probe_spec_free(&s);

	/* Fits alone, not once joined: the spec is unchanged. */
	memset(dir, 'd', 100);
	dir[0] = '/';
	dir[100] = '\0';
	s = parse_ok("unix:app.sock", "unix:app.sock");
	assert_int_equal(probe_spec_resolve(&s, dir, err, sizeof(err)), -1);
	assert_string_equal(s.path, "app.sock");
	assert_non_null(strstr(err, "unix:app.sock: /ddd"));
	assert_non_null(strstr(err, "/app.sock is 109 bytes, longer than the "
	    "107 a socket address holds"));
	probe_spec_free(&s);
}

static void
test_http(void **state UNUSED)
{
	struct probe_spec s;

	s = parse_ok("http://127.0.0.1:8080/healthz",
	    "http://127.0.0.1:8080/healthz");
	assert_int_equal(s.kind, PROBE_HTTP);
	assert_string_equal(s.host, "127.0.0.1");
	assert_int_equal(s.family, AF_INET);
	assert_int_equal(s.port, 8080);
	assert_string_equal(s.path, "/healthz");
	probe_spec_free(&s);

	/* Port 80 and path / by default; print spells them out. */
	s = parse_ok("http://localhost", "http://localhost:80/");
	assert_int_equal(s.port, 80);
	assert_string_equal(s.path, "/");
	probe_spec_free(&s);
	s = parse_ok("http://127.0.0.1/", "http://127.0.0.1:80/");
	probe_spec_free(&s);
	s = parse_ok("http://[::1]:81", "http://[::1]:81/");
	assert_string_equal(s.host, "::1");
	assert_int_equal(s.family, AF_INET6);
	probe_spec_free(&s);
	s = parse_ok("http://[::1]/x", "http://[::1]:80/x");
	probe_spec_free(&s);

	/* A query is part of the path, percent-escapes are kept. */
	s = parse_ok("http://127.0.0.1:9/status?full=1&x=%20",
	    "http://127.0.0.1:9/status?full=1&x=%20");
	assert_string_equal(s.path, "/status?full=1&x=%20");
	probe_spec_free(&s);
	s = parse_ok("http://127.0.0.1:9?q", "http://127.0.0.1:9/?q");
	assert_string_equal(s.path, "/?q");
	probe_spec_free(&s);
}

static void
test_http_errors(void **state UNUSED)
{
	char longest[PROBE_HTTP_PATH_MAX + 64], msg[256];

	parse_error("https://127.0.0.1/", "https://127.0.0.1/: TLS is not "
	    "supported; use http:// (plain HTTP)");
	parse_error("http:127.0.0.1", "http:127.0.0.1: expected "
	    "http://HOST[:PORT]/PATH");
	parse_error("http://", "http://: missing host");
	parse_error("http:///x", "http:///x: missing host");
	parse_error("http://127.0.0.1:/", "http://127.0.0.1:/: missing port "
	    "after ':'");
	parse_error("http://127.0.0.1:0/", "http://127.0.0.1:0/: port 0 out "
	    "of range 1..65535");
	parse_error("http://127.0.0.1:65536/", "http://127.0.0.1:65536/: port "
	    "65536 out of range 1..65535");
	parse_error("http://example.com/", "http://example.com/: host "
	    "'example.com' is not a numeric address or localhost (no names "
	    "are looked up)");
	parse_error("http://::1/", "http://::1/: an IPv6 address goes in "
	    "brackets: http://[ADDRESS]:PORT/PATH");
	parse_error("http://[::1]x/", "http://[::1]x/: expected ':' or '/' "
	    "after ']'");
	parse_error("http://[::1/", "http://[::1/: '[::1' lacks its closing "
	    "']'");
	parse_error("http://u:p@127.0.0.1/", "http://u:p@127.0.0.1/: user "
	    "information (USER@) is not supported");
	parse_error("http://127.0.0.1/#top", "http://127.0.0.1/#top: a "
	    "#fragment is never sent to the server; remove it");
	parse_error("http://127.0.0.1/a b", "http://127.0.0.1/a b: the path "
	    "has a space at byte 19; percent-encode it");
	/* Control characters are shown as '?': the message is one line. */
	parse_error("http://127.0.0.1/a\r\nX: y", "http://127.0.0.1/a??X: y: "
	    "the path has a control character at byte 19; percent-encode it");
	parse_error("tcp:1\n2:80", "tcp:1?2:80: host '1?2' is not a numeric "
	    "address or localhost (no names are looked up)");
	parse_error("http://127.0.0.1/caf\xc3\xa9", "http://127.0.0.1/caf"
	    "\xc3\xa9: the path has a non-ASCII byte at byte 21; "
	    "percent-encode it");

	strcpy(longest, "http://127.0.0.1:80/");
	memset(longest + 20, 'p', PROBE_HTTP_PATH_MAX - 1);
	longest[19 + PROBE_HTTP_PATH_MAX] = '\0';
	free(parse_ok(longest, longest).path);
	strcat(longest, "p");
	snprintf(msg, sizeof(msg), "%.64s...: path is 1025 bytes, longer than "
	    "1024", longest);
	parse_error(longest, msg);
}

static void
test_unknown(void **state UNUSED)
{
	parse_error("", "empty probe; expected exec:, tcp:, unix: or http://");
	parse_error("foo:bar", "unknown probe 'foo:'; expected exec:, tcp:, "
	    "unix: or http://");
	parse_error("notify", "unknown probe 'notify'; expected exec:, tcp:, "
	    "unix: or http://");
	parse_error("fd:3", "unknown probe 'fd:'; expected exec:, tcp:, "
	    "unix: or http://");
	parse_error("TCP:127.0.0.1:80", "unknown probe 'TCP:'; expected "
	    "exec:, tcp:, unix: or http://");
	parse_error("/usr/bin/check --all", "unknown probe '/usr/bin/check -"
	    "...'; expected exec:, tcp:, unix: or http://");
	parse_error("averyveryverylongscheme:x", "unknown probe "
	    "'averyveryverylon...'; expected exec:, tcp:, unix: or http://");
}

static void
test_equal(void **state UNUSED)
{
	static const char *const probes[] = {
		"exec:a", "exec:b", "tcp:127.0.0.1:1", "tcp:127.0.0.1:2",
		"tcp:127.0.0.2:1", "tcp:[::1]:1", "tcp:localhost:1",
		"unix:/a", "unix:a", "http://127.0.0.1:1/", "http://[::1]:1/",
		"http://127.0.0.1:1/x", "http://localhost:1/",
	};
	size_t n = sizeof(probes) / sizeof(probes[0]);
	struct probe_spec a, b;
	char err[256];

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			assert_int_equal(probe_spec_parse(probes[i], &a, err,
			    sizeof(err)), 0);
			assert_int_equal(probe_spec_parse(probes[j], &b, err,
			    sizeof(err)), 0);
			if (probe_spec_equal(&a, &b) != (i == j))
				fail_msg("probe_spec_equal(%s, %s) is wrong",
				    probes[i], probes[j]);
			probe_spec_free(&a);
			probe_spec_free(&b);
		}
	/* Spellings of one thing are equal. */
	assert_int_equal(probe_spec_parse("http://localhost", &a, err,
	    sizeof(err)), 0);
	assert_int_equal(probe_spec_parse("http://LOCALHOST:80/", &b, err,
	    sizeof(err)), 0);
	assert_true(probe_spec_equal(&a, &b));
	probe_spec_free(&a);
	probe_spec_free(&b);
	/* Free twice is harmless. */
	probe_spec_free(&b);
	assert_string_equal(probe_kind_name(PROBE_EXEC), "exec");
	assert_string_equal(probe_kind_name(PROBE_TCP), "tcp");
	assert_string_equal(probe_kind_name(PROBE_UNIX), "unix");
	assert_string_equal(probe_kind_name(PROBE_HTTP), "http");
}

static void
test_small_err_buffer(void **state UNUSED)
{
	struct probe_spec s;
	char err[8];

	assert_int_equal(probe_spec_parse("tcp:x:1", &s, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "tcp:x:1");
	assert_int_equal(probe_spec_parse("bogus", &s, err, sizeof(err)), -1);
	assert_string_equal(err, "unknown");
}

/* probe_http_status() on S with EOF; expect VERDICT (and STATUS). */
static void
check_status(const char *s, bool eof, enum probe_http_verdict verdict,
    int want)
{
	int status = -1;
	enum probe_http_verdict v;

	v = probe_http_status(s, strlen(s), eof, &status);
	if (v != verdict)
		fail_msg("probe_http_status(\"%s\", eof %d) gave %d, not %d",
		    s, eof, v, verdict);
	if (v == PROBE_HTTP_STATUS)
		assert_int_equal(status, want);
	else
		assert_int_equal(status, -1);
}

static void
test_http_status(void **state UNUSED)
{
	check_status("HTTP/1.1 200 OK\r\n", false, PROBE_HTTP_STATUS, 200);
	check_status("HTTP/1.0 302 Found\r\nLocation: /\r\n\r\n", true,
	    PROBE_HTTP_STATUS, 302);
	check_status("HTTP/1.1 503 Service Unavailable\r\n", false,
	    PROBE_HTTP_STATUS, 503);
	check_status("HTTP/1.1 204\r\n", false, PROBE_HTTP_STATUS, 204);
	check_status("HTTP/1.1 204\n", false, PROBE_HTTP_STATUS, 204);
	check_status("HTTP/1.1 204", true, PROBE_HTTP_STATUS, 204);
	check_status("HTTP/1.9 999 x", false, PROBE_HTTP_STATUS, 999);
	check_status("HTTP/1.1 000 x", false, PROBE_HTTP_STATUS, 0);

	/* Prefixes: read on, unless the reply ended. */
	check_status("", false, PROBE_HTTP_MORE, 0);
	check_status("H", false, PROBE_HTTP_MORE, 0);
	check_status("HTTP/1.1 2", false, PROBE_HTTP_MORE, 0);
	check_status("HTTP/1.1 200", false, PROBE_HTTP_MORE, 0);
	check_status("", true, PROBE_HTTP_BAD, 0);
	check_status("HTTP/1.1 20", true, PROBE_HTTP_BAD, 0);

	/* Not a status line, as early as the first wrong byte. */
	check_status("X", false, PROBE_HTTP_BAD, 0);
	check_status("http/1.1 200 OK", false, PROBE_HTTP_BAD, 0);
	check_status("HTTP/2 200", false, PROBE_HTTP_BAD, 0);
	check_status("HTTP/2.0 200 OK", false, PROBE_HTTP_BAD, 0);
	check_status("HTTP/1.1  200 OK", false, PROBE_HTTP_BAD, 0);
	check_status("HTTP/1.1 2000 OK", false, PROBE_HTTP_BAD, 0);
	check_status("HTTP/1.1 20x OK", false, PROBE_HTTP_BAD, 0);
	check_status("HTTP/1.1 200OK", false, PROBE_HTTP_BAD, 0);
	check_status(" HTTP/1.1 200 OK", false, PROBE_HTTP_BAD, 0);
	check_status("SSH-2.0-OpenSSH_9.2\r\n", false, PROBE_HTTP_BAD, 0);
	check_status("<html>", false, PROBE_HTTP_BAD, 0);

	/* NULs are bytes, not the end. */
	assert_int_equal(probe_http_status("HTTP/1.1\0" "200 ", 13, false,
	    &(int){ 0 }), PROBE_HTTP_BAD);

	assert_false(probe_http_ok(199));
	assert_true(probe_http_ok(200));
	assert_true(probe_http_ok(302));
	assert_true(probe_http_ok(399));
	assert_false(probe_http_ok(400));
	assert_false(probe_http_ok(503));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_tcp_errors),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_http_errors),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_small_err_buffer),
		cmocka_unit_test(test_http_status),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
