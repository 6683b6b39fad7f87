/*
 * probe_spec.h — the probe strings of `ready` and `healthcheck`, and the
 * status line of an HTTP probe's reply.  Pure functions on strings: no
 * I/O, no DNS, no global state; shared by the configuration checker and
 * mwsupd's probe runner (mwsupd/probe.h).
 *
 * The forms (mwsup.conf(5)):
 *	exec:COMMAND		COMMAND kept as written; splitting and %(...)
 *				expansion are the configuration's business
 *	tcp:HOST:PORT		HOST: a numeric IPv4 address, a bracketed
 *				IPv6 address ([::1]) or localhost
 *	unix:PATH		a UNIX stream socket, absolute or relative
 *				(see probe_spec_resolve())
 *	http://HOST[:PORT][/PATH]
 *				same HOST rules; PORT defaults to 80, PATH
 *				to "/"; no TLS (https:// is an error)
 * `localhost` is not looked up: it means 127.0.0.1, then ::1 when
 * 127.0.0.1 cannot be connected to (a server listening on ::1 only).
 */
#ifndef MWSUP_PROBE_SPEC_H
#define MWSUP_PROBE_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROBE_HOST_MAX		46	/* INET6_ADDRSTRLEN: "::ffff:1.2.3.4" */
#define PROBE_UNIX_PATH_MAX	107	/* sizeof(sun_path) less the NUL */
#define PROBE_HTTP_PATH_MAX	1024	/* longest request path */
#define PROBE_HTTP_READ_MAX	4096	/* most bytes of a reply read */

enum probe_kind {
	PROBE_EXEC,
	PROBE_TCP,
	PROBE_UNIX,
	PROBE_HTTP,
};

/* A parsed probe.  Zero-initialised is a valid empty value to free. */
struct probe_spec {
	enum probe_kind	 kind;
	char		*command;	/* exec: as written; else NULL */
	char		*path;		/* unix: socket path; http: request
					   path, starting with '/'; else
					   NULL */
	/* tcp, http: "localhost", or the address in canonical numeric form
	   without brackets ("127.0.0.1", "::1"); else "". */
	char		 host[PROBE_HOST_MAX];
	int		 family;	/* AF_INET, AF_INET6; AF_UNSPEC for
					   localhost and the other kinds */
	uint16_t	 port;		/* tcp, http; else 0 */
};

/* "exec", "tcp", "unix", "http". */
const char	*probe_kind_name(enum probe_kind kind);

/*
 * Parse probe string S into OUT (overwritten; free it with
 * probe_spec_free()).  Returns 0, or -1 with OUT zeroed and a one-line
 * message in ERR naming the probe and what is wrong, e.g.
 *	tcp:127.0.0.1:70000: port 70000 out of range 1..65535
 *	unknown probe 'foo:'; expected exec:, tcp:, unix: or http://
 *	https://example: TLS is not supported; use http://
 * Messages quote at most the first 64 bytes of S.
 */
int		 probe_spec_parse(const char *s, struct probe_spec *out,
		    char *err, size_t errlen);

/*
 * Make a relative unix: path absolute by prefixing directory DIR (the
 * directory of the configuration file that names the probe).  Other
 * kinds and absolute paths are left alone.  Returns 0, or -1 with a
 * message in ERR when the result no longer fits a socket address (SPEC
 * unchanged).
 */
int		 probe_spec_resolve(struct probe_spec *spec, const char *dir,
		    char *err, size_t errlen);

/*
 * The normalised probe string, as `mwsupd -t -v` prints it: canonical
 * addresses, the port and path of http:// always written
 * ("http://localhost:80/").  probe_spec_parse() of it gives an equal spec.
 * Returns a string to free(); never NULL (aborts when out of memory).
 */
char		*probe_spec_print(const struct probe_spec *spec);

/* Whether A and B probe the same thing the same way. */
bool		 probe_spec_equal(const struct probe_spec *a,
		    const struct probe_spec *b);

/* Free what SPEC owns and zero it; harmless on a zeroed or freed spec. */
void		 probe_spec_free(struct probe_spec *spec);

/*
 * The verdict on the first LEN bytes of an HTTP reply, BUF (not
 * NUL-terminated; NULs are just bytes).  EOF: no more bytes will come.
 * A status line is "HTTP/1.D DDD" followed by a space, CR, LF or the end
 * of the reply; only its first 13 bytes are ever looked at.
 *	PROBE_HTTP_MORE	 BUF is a prefix of a status line: read on
 *			 (never returned when EOF is set)
 *	PROBE_HTTP_BAD	 BUF does not begin with a status line
 *	PROBE_HTTP_STATUS the status code is in *STATUS (000..999); the
 *			 probe succeeds for 200..399
 */
enum probe_http_verdict {
	PROBE_HTTP_MORE,
	PROBE_HTTP_BAD,
	PROBE_HTTP_STATUS,
};
enum probe_http_verdict probe_http_status(const char *buf, size_t len,
		    bool eof, int *status);

/* Whether STATUS is a success for an HTTP probe (200..399). */
bool		 probe_http_ok(int status);

#endif /* MWSUP_PROBE_SPEC_H */
