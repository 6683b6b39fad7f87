/*
 * fuzz_notify.c — libFuzzer target: the parser of notification datagrams
 * (notify_parse() in mwsupd/notify.c), which reads whatever any local
 * process sends to mwsupd's notification socket.
 *
 * The input is one datagram.  The result is checked against a plain
 * model written here (a NUL byte: -1; else each line compared whole), and
 * the STATUS= text must come out clean whatever went in: shorter than
 * NOTIFY_STATUS_MAX, well-formed UTF-8 without C0, DEL or C1 control
 * characters, and unchanged when parsed again (the cleaning is
 * idempotent).  Built and run by tests/fuzz/run.sh.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"

static void
die(const char *what)
{
	fprintf(stderr, "fuzz_notify: %s\n", what);
	abort();
}

/* The status text is well-formed UTF-8 with no control character. */
static void
check_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);

	if (len >= NOTIFY_STATUS_MAX)
		die("status text too long");
	while (*p != '\0') {
		uint32_t cp;
		size_t n;

		if (*p < 0x80) {
			if (*p < 0x20 || *p == 0x7f)
				die("control character in the status text");
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			n = 2;
			cp = *p & 0x1f;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 3;
			cp = *p & 0x0f;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 4;
			cp = *p & 0x07;
		} else
			die("bad UTF-8 lead byte in the status text");
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				die("cut UTF-8 sequence in the status text");
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && cp < 0x10000))
			die("overlong UTF-8 in the status text");
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			die("not a character in the status text");
		if (cp >= 0x80 && cp <= 0x9f)
			die("C1 control character in the status text");
		p += n;
	}
}

static bool
is(const uint8_t *line, size_t n, const char *what)
{
	return n == strlen(what) && memcmp(line, what, n) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct notify_msg m, again;
	static char buf[NOTIFY_STATUS_MAX + 16];
	bool ready = false, wd = false, trig = false, status = false;
	int r, count = 0;

	r = notify_parse((const char *)data, size, &m);
	if (m.pid != 0 || m.uid != 0 || m.gid != 0)
		die("the parser set a sender");
	if (memchr(data, '\0', size) != NULL) {
		if (r != -1)
			die("a datagram with a NUL byte was accepted");
		if (m.ready || m.watchdog || m.watchdog_trigger ||
		    m.has_status)
			die("a rejected datagram said something");
		return 0;
	}
	for (size_t i = 0; i < size;) {
		size_t j = i;

		while (j < size && data[j] != '\n' && data[j] != '\r')
			j++;
		if (is(data + i, j - i, "READY=1"))
			ready = true, count++;
		else if (is(data + i, j - i, "WATCHDOG=1"))
			wd = true, count++;
		else if (is(data + i, j - i, "WATCHDOG=trigger"))
			trig = true, count++;
		else if (j - i >= 7 && memcmp(data + i, "STATUS=", 7) == 0)
			status = true, count++;
		i = j + 1;
	}
	if (r != count)
		die("wrong number of assignments understood");
	if (m.ready != ready || m.watchdog != wd ||
	    m.watchdog_trigger != trig || m.has_status != status)
		die("the flags differ from the model");
	if (!m.has_status && m.status[0] != '\0')
		die("status text without STATUS=");
	check_text(m.status);
	/* Clean text stays as it is. */
	snprintf(buf, sizeof(buf), "STATUS=%s", m.status);
	if (notify_parse(buf, strlen(buf), &again) != 1 || !again.has_status ||
	    strcmp(again.status, m.status) != 0)
		die("cleaning the status text is not idempotent");
	return 0;
}
