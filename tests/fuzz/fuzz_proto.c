/*
 * fuzz_proto.c — libFuzzer target: the control protocol decoder
 * (lib/proto.c), as mwsupd's control.c and mwsupctl's client use it.
 *
 * proto_decode() on the input.  When a frame decodes, its fields are
 * encoded again (proto_begin/proto_addn/proto_finish), which must give
 * the very same bytes (the encoding is canonical) and decode to the same
 * fields; every proper prefix of the frame must ask for more bytes (0).
 * When it does not decode, an error always comes with a message.  The
 * rest of the input after a frame is decoded as the next frame, as a
 * connection's buffer would be.
 * Built and run by tests/fuzz/run.sh.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static struct proto_msg m1, m2;
static struct proto_out out;

static void
die(const char *what)
{
	fprintf(stderr, "fuzz_proto: %s\n", what);
	abort();
}

static void
check_frame(const uint8_t *buf, long n)
{
	const char *err;
	long n2, flen;
	size_t i = 0;

	proto_begin(&out, (enum proto_kind)m1.kind);
	for (size_t f = 0; f < m1.nfields; f++)
		proto_addn(&out, m1.fields[f].key, m1.fields[f].val,
		    m1.fields[f].vlen);
	flen = proto_finish(&out);
	if (flen != n)
		die("re-encoding a decoded frame gave another length");
	if (memcmp(out.buf, buf, (size_t)n) != 0)
		die("re-encoding a decoded frame gave other bytes");
	n2 = proto_decode(out.buf, (size_t)flen, &m2, &err);
	if (n2 != n)
		die("the re-encoded frame does not decode the same");
	if (m2.kind != m1.kind || m2.nfields != m1.nfields)
		die("the re-encoded frame has another kind or field count");
	for (size_t f = 0; f < m1.nfields; f++) {
		if (strcmp(m1.fields[f].key, m2.fields[f].key) != 0 ||
		    m1.fields[f].vlen != m2.fields[f].vlen ||
		    memcmp(m1.fields[f].val, m2.fields[f].val,
		    m1.fields[f].vlen) != 0 ||
		    strlen(m1.fields[f].val) != m1.fields[f].vlen)
			die("a field changed in the round trip");
	}
	/* Readers' helpers. */
	(void)proto_get(&m1, "cmd");
	while (proto_next(&m1, "name", &i) != NULL)
		;
	/* A frame that has not fully arrived is not an error. */
	const size_t cuts[] = { 0, 3, 4, 5, 7, 8, (size_t)n / 2,
	    (size_t)n - 1 };
	for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
		if (cuts[c] >= (size_t)n)
			continue;
		if (proto_decode(buf, cuts[c], &m2, &err) != 0)
			die("a prefix of a valid frame is not 'need more'");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *err;
	long n;

	for (int frames = 0; frames < 8 && size > 0; frames++) {
		err = NULL;
		n = proto_decode(data, size, &m1, &err);
		if (n < 0) {
			if (err == NULL || err[0] == '\0')
				die("an invalid frame without a message");
			return 0;
		}
		if (n == 0)
			return 0;
		if ((size_t)n > size)
			die("consumed more bytes than given");
		check_frame(data, n);
		data += n;
		size -= (size_t)n;
	}
	return 0;
}
