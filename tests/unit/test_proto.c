/*
 * test_proto.c — unit tests of the control protocol framing (lib/proto.c):
 * round trips, incremental decoding, and every kind of malformed input.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

#define UNUSED	__attribute__((unused))	/* cmocka's state argument */

/* Both are large: keep them off the stack. */
static struct proto_out out;
static struct proto_msg msg;
static uint8_t raw[2 * (4 + PROTO_FRAME_MAX)];

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* Decode BUF, which must hold exactly one valid frame. */
static void
decode_ok(const uint8_t *buf, long len)
{
	const char *err = "unset";

	assert_int_equal(proto_decode(buf, (size_t)len, &msg, &err), len);
	assert_null(err);
}

static void
decode_bad(const uint8_t *buf, size_t len, const char *want)
{
	const char *err = NULL;

	assert_int_equal(proto_decode(buf, len, &msg, &err), -1);
	assert_non_null(err);
	if (want != NULL)
		assert_string_equal(err, want);
}

/* Build a raw header: length, version, kind, nfields. */
static void
header(uint8_t *p, uint32_t len, uint8_t version, uint8_t kind,
    uint16_t nfields)
{
	put32(p, len);
	p[4] = version;
	p[5] = kind;
	put16(p + 6, nfields);
}

static void
test_empty_frame(void **state UNUSED)
{
	long n;

	proto_begin(&out, PROTO_END);
	n = proto_finish(&out);
	assert_int_equal(n, PROTO_HEADER_LEN);
	assert_memory_equal(out.buf, "\0\0\0\4\1\3\0\0", 8);
	decode_ok(out.buf, n);
	assert_int_equal(msg.kind, PROTO_END);
	assert_int_equal(msg.nfields, 0);
	assert_null(proto_get(&msg, "status"));
}

static void
test_round_trip(void **state UNUSED)
{
	long n;
	size_t i = 0;

	proto_begin(&out, PROTO_REQUEST);
	proto_add(&out, "cmd", "status");
	proto_add(&out, "name", "web");
	proto_add(&out, "name", "");
	proto_addn(&out, "name", "queue:3xyz", 7);
	proto_addf(&out, "lines", "%d", 42);
	n = proto_finish(&out);
	assert_true(n > 0);

	decode_ok(out.buf, n);
	assert_int_equal(msg.kind, PROTO_REQUEST);
	assert_int_equal(msg.nfields, 5);
	assert_string_equal(proto_get(&msg, "cmd"), "status");
	assert_string_equal(proto_get(&msg, "lines"), "42");
	assert_string_equal(proto_get(&msg, "name"), "web");
	assert_null(proto_get(&msg, "nope"));
	assert_string_equal(proto_next(&msg, "name", &i), "web");
	assert_string_equal(proto_next(&msg, "name", &i), "");
	assert_string_equal(proto_next(&msg, "name", &i), "queue:3");
	assert_null(proto_next(&msg, "name", &i));
	assert_null(proto_next(&msg, "name", &i));
	assert_int_equal(msg.fields[2].vlen, 0);
	assert_int_equal(msg.fields[3].vlen, 7);
}

static void
test_many_fields(void **state UNUSED)
{
	char key[16], val[16];
	size_t i = 0, count = 0;
	const char *v;
	long n;

	proto_begin(&out, PROTO_RECORD);
	for (int f = 0; f < PROTO_FIELDS_MAX; f++) {
		snprintf(key, sizeof(key), "k%d", f % 7);
		snprintf(val, sizeof(val), "%d", f);
		proto_add(&out, key, val);
	}
	n = proto_finish(&out);
	assert_true(n > 0);
	decode_ok(out.buf, n);
	assert_int_equal(msg.nfields, PROTO_FIELDS_MAX);
	for (int f = 0; f < PROTO_FIELDS_MAX; f++) {
		snprintf(val, sizeof(val), "%d", f);
		assert_string_equal(msg.fields[f].val, val);
	}
	while ((v = proto_next(&msg, "k3", &i)) != NULL) {
		assert_int_equal(atoi(v) % 7, 3);
		count++;
	}
	assert_int_equal(count, (PROTO_FIELDS_MAX + 3) / 7);

	/* One more field than allowed fails the whole frame. */
	proto_add(&out, "k", "v");
	assert_int_equal(proto_finish(&out), -1);
}

/* The largest frame: exactly PROTO_FRAME_MAX bytes after the length. */
static void
test_max_frame(void **state UNUSED)
{
	static char big[PROTO_FRAME_MAX];
	size_t room;
	long n;

	/* header 4 + (2 + 1 + 2 + 65000) + (2 + 1 + 2 + rest) */
	memset(big, 'x', sizeof(big));
	room = PROTO_FRAME_MAX - 4 - 5 - 5;
	proto_begin(&out, PROTO_RECORD);
	proto_addn(&out, "a", big, 65000);
	proto_addn(&out, "b", big, room - 65000);
	n = proto_finish(&out);
	assert_int_equal(n, 4 + PROTO_FRAME_MAX);
	decode_ok(out.buf, n);
	assert_int_equal(msg.fields[0].vlen, 65000);
	assert_int_equal(msg.fields[1].vlen, room - 65000);
	assert_int_equal(strlen(proto_get(&msg, "b")), room - 65000);

	/* One byte more overflows. */
	proto_begin(&out, PROTO_RECORD);
	proto_addn(&out, "a", big, 65000);
	proto_addn(&out, "b", big, room - 65000 + 1);
	assert_true(out.overflow);
	assert_int_equal(proto_finish(&out), -1);
}

static void
test_encode_overflow(void **state UNUSED)
{
	static char big[PROTO_FRAME_MAX];

	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';

	/* A value longer than a u16. */
	proto_begin(&out, PROTO_RECORD);
	proto_add(&out, "line", big);
	assert_int_equal(proto_finish(&out), -1);

	/* Many values that together do not fit. */
	proto_begin(&out, PROTO_RECORD);
	for (int i = 0; i < 4; i++)
		proto_addn(&out, "line", big, 20000);
	assert_int_equal(proto_finish(&out), -1);
	/* ... and adding after an overflow stays failed. */
	proto_add(&out, "x", "y");
	assert_int_equal(proto_finish(&out), -1);

	/* proto_addf beyond the frame. */
	proto_begin(&out, PROTO_RECORD);
	proto_addf(&out, "line", "%s%s", big, big);
	assert_int_equal(proto_finish(&out), -1);

	/* Bad keys and NUL in values are refused, not sent. */
	proto_begin(&out, PROTO_RECORD);
	proto_add(&out, "", "v");
	assert_int_equal(proto_finish(&out), -1);
	proto_begin(&out, PROTO_RECORD);
	proto_add(&out, "two words", "v");
	assert_int_equal(proto_finish(&out), -1);
	proto_begin(&out, PROTO_RECORD);
	proto_addn(&out, "k", "a\0b", 3);
	assert_int_equal(proto_finish(&out), -1);

	/* A new frame after a failed one works. */
	proto_begin(&out, PROTO_RECORD);
	proto_add(&out, "k", "v");
	assert_true(proto_finish(&out) > 0);
}

/* Every prefix of a valid frame asks for more; the whole one decodes. */
static void
test_split_everywhere(void **state UNUSED)
{
	const char *err;
	long n;

	proto_begin(&out, PROTO_RECORD);
	proto_add(&out, "name", "web:0");
	proto_add(&out, "state", "RUNNING");
	proto_add(&out, "empty", "");
	proto_addf(&out, "pid", "%d", 1234);
	n = proto_finish(&out);
	assert_true(n > 0);
	for (long cut = 0; cut < n; cut++) {
		err = NULL;
		assert_int_equal(proto_decode(out.buf, (size_t)cut, &msg,
		    &err), 0);
		assert_null(err);
	}
	decode_ok(out.buf, n);
	assert_string_equal(proto_get(&msg, "pid"), "1234");
}

/* Two frames back to back decode one at a time. */
static void
test_two_frames(void **state UNUSED)
{
	const char *err;
	long n1, n2;

	proto_begin(&out, PROTO_RECORD);
	proto_add(&out, "line", "one");
	n1 = proto_finish(&out);
	memcpy(raw, out.buf, (size_t)n1);
	proto_begin(&out, PROTO_END);
	proto_add(&out, "status", "0");
	n2 = proto_finish(&out);
	memcpy(raw + n1, out.buf, (size_t)n2);

	assert_int_equal(proto_decode(raw, (size_t)(n1 + n2), &msg, &err),
	    n1);
	assert_int_equal(msg.kind, PROTO_RECORD);
	assert_string_equal(proto_get(&msg, "line"), "one");
	assert_int_equal(proto_decode(raw + n1, (size_t)n2, &msg, &err), n2);
	assert_int_equal(msg.kind, PROTO_END);
	assert_string_equal(proto_get(&msg, "status"), "0");
}

static void
test_truncated(void **state UNUSED)
{
	const char *err;

	/* Length says 20, only the header arrived: wait for more. */
	header(raw, 20, PROTO_VERSION, PROTO_RECORD, 1);
	assert_int_equal(proto_decode(raw, 8, &msg, &err), 0);
	assert_int_equal(proto_decode(raw, 3, &msg, &err), 0);
	assert_int_equal(proto_decode(raw, 0, &msg, &err), 0);
}

static void
test_bad_header(void **state UNUSED)
{
	/* Longer than allowed: refused from the length word alone. */
	put32(raw, PROTO_FRAME_MAX + 1);
	decode_bad(raw, 4, "frame too large");
	put32(raw, 0xffffffffu);
	decode_bad(raw, 4, "frame too large");

	/* Too short to hold a header. */
	put32(raw, 3);
	decode_bad(raw, 8, "frame too short");
	put32(raw, 0);
	decode_bad(raw, 4, "frame too short");

	header(raw, 4, 7, PROTO_REQUEST, 0);
	decode_bad(raw, 8, "unsupported protocol version 7");
	decode_bad(raw, 5, "unsupported protocol version 7");
	header(raw, 4, 0, PROTO_REQUEST, 0);
	decode_bad(raw, 8, "unsupported protocol version 0");

	header(raw, 4, PROTO_VERSION, 0, 0);
	decode_bad(raw, 8, "unknown frame kind");
	header(raw, 4, PROTO_VERSION, 4, 0);
	decode_bad(raw, 8, "unknown frame kind");
	header(raw, 4, PROTO_VERSION, 255, 0);
	decode_bad(raw, 6, "unknown frame kind");

	header(raw, 4, PROTO_VERSION, PROTO_RECORD, PROTO_FIELDS_MAX + 1);
	decode_bad(raw, 8, "too many fields");
	header(raw, 4, PROTO_VERSION, PROTO_RECORD, 0xffff);
	decode_bad(raw, 8, "too many fields");
}

static void
test_bad_fields(void **state UNUSED)
{
	uint8_t *p;

	/* nfields 1, but no bytes for it. */
	header(raw, 4, PROTO_VERSION, PROTO_RECORD, 1);
	decode_bad(raw, 8, "field overruns frame");

	/* Key length past the end of the frame. */
	header(raw, 4 + 2 + 1, PROTO_VERSION, PROTO_RECORD, 1);
	put16(raw + 8, 2);
	raw[10] = 'k';
	raw[11] = 'x';		/* in the buffer, but outside the frame */
	decode_bad(raw, 12, "field overruns frame");

	/* Value length past the end of the frame. */
	p = raw + 8;
	header(raw, 4 + 2 + 1 + 2 + 3, PROTO_VERSION, PROTO_RECORD, 1);
	put16(p, 1);
	p[2] = 'k';
	put16(p + 3, 4);
	memcpy(p + 5, "abcd", 4);
	decode_bad(raw, 8 + 9, "field overruns frame");

	/* Value length word cut in half by the frame end. */
	header(raw, 4 + 2 + 1 + 1, PROTO_VERSION, PROTO_RECORD, 1);
	decode_bad(raw, 8 + 4, "field overruns frame");

	/* Bytes left over after the last field. */
	header(raw, 4 + 2 + 1 + 2 + 1 + 1, PROTO_VERSION, PROTO_RECORD, 1);
	put16(p, 1);
	p[2] = 'k';
	put16(p + 3, 1);
	p[5] = 'v';
	p[6] = 'z';
	decode_bad(raw, 8 + 7, "bytes after the last field");

	/* A key with a NUL inside. */
	header(raw, 4 + 2 + 3 + 2 + 1, PROTO_VERSION, PROTO_RECORD, 1);
	put16(p, 3);
	memcpy(p + 2, "a\0b", 3);
	put16(p + 5, 1);
	p[7] = 'v';
	decode_bad(raw, 8 + 8, "invalid key");

	/* An empty key. */
	header(raw, 4 + 2 + 0 + 2 + 1, PROTO_VERSION, PROTO_RECORD, 1);
	put16(p, 0);
	put16(p + 2, 1);
	p[4] = 'v';
	decode_bad(raw, 8 + 5, "invalid key");

	/* A key with a control character. */
	header(raw, 4 + 2 + 1 + 2 + 1, PROTO_VERSION, PROTO_RECORD, 1);
	put16(p, 1);
	p[2] = '\n';
	put16(p + 3, 1);
	p[5] = 'v';
	decode_bad(raw, 8 + 6, "invalid key");

	/* A value with a NUL inside. */
	header(raw, 4 + 2 + 1 + 2 + 3, PROTO_VERSION, PROTO_RECORD, 1);
	put16(p, 1);
	p[2] = 'k';
	put16(p + 3, 3);
	memcpy(p + 5, "a\0b", 3);
	decode_bad(raw, 8 + 8, "NUL byte in value");

	/* The same frame with a byte value >= 0x80 is fine (not UTF-8). */
	p[6] = 0xff;
	decode_ok(raw, 8 + 8);
	assert_int_equal((uint8_t)proto_get(&msg, "k")[1], 0xff);
}

/* A hand-built frame decodes to what was written. */
static void
test_hand_built(void **state UNUSED)
{
	uint8_t *p = raw + 8;

	header(raw, 4 + 2 + 3 + 2 + 6, PROTO_VERSION, PROTO_REQUEST, 1);
	put16(p, 3);
	memcpy(p + 2, "cmd", 3);
	put16(p + 5, 6);
	memcpy(p + 7, "reload", 6);
	decode_ok(raw, 8 + 13);
	assert_int_equal(msg.kind, PROTO_REQUEST);
	assert_string_equal(proto_get(&msg, "cmd"), "reload");
}

static uint32_t rng = 12345;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/*
 * Random bytes, and random mutations of a valid frame, never crash the
 * decoder, and whatever it accepts is self-consistent.
 */
static void
test_garbage(void **state UNUSED)
{
	const char *err;
	long n, base;
	size_t len;

	for (int round = 0; round < 5000; round++) {
		len = rnd() % 600;
		for (size_t i = 0; i < len; i++)
			raw[i] = (uint8_t)rnd();
		if (round % 2 == 0 && len >= 4)	/* plausible length */
			put32(raw, rnd() % 600);
		if (round % 3 == 0 && len >= 6) {
			raw[4] = PROTO_VERSION;
			raw[5] = 1 + rnd() % 3;
		}
		n = proto_decode(raw, len, &msg, &err);
		assert_true(n >= -1 && n <= (long)len);
		if (n > 0) {
			assert_true(msg.nfields <= PROTO_FIELDS_MAX);
			for (size_t f = 0; f < msg.nfields; f++)
				assert_int_equal(strlen(msg.fields[f].val),
				    msg.fields[f].vlen);
		}
	}

	proto_begin(&out, PROTO_RECORD);
	proto_add(&out, "name", "web:0");
	proto_add(&out, "state", "RUNNING");
	proto_add(&out, "reason", "");
	base = proto_finish(&out);
	for (int round = 0; round < 5000; round++) {
		memcpy(raw, out.buf, (size_t)base);
		for (int k = 1 + rnd() % 3; k > 0; k--)
			raw[rnd() % base] = (uint8_t)rnd();
		len = (size_t)base - rnd() % 4;
		n = proto_decode(raw, len, &msg, &err);
		assert_true(n >= -1 && n <= (long)len);
		if (n == -1)
			assert_non_null(err);
		if (n > 0)
			for (size_t f = 0; f < msg.nfields; f++)
				assert_int_equal(strlen(msg.fields[f].val),
				    msg.fields[f].vlen);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_frame),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_many_fields),
		cmocka_unit_test(test_max_frame),
		cmocka_unit_test(test_encode_overflow),
		cmocka_unit_test(test_split_everywhere),
		cmocka_unit_test(test_two_frames),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_hand_built),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
