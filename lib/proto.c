/*
 * proto.c — encode and decode control protocol frames (see proto.h and
 * doc/PROTOCOL.md).  Pure functions on memory: no I/O, no allocation.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

#define KEY_MAX		255	/* longest key accepted on the wire */
#define LEN16_MAX	65535

static void
put16(uint8_t *p, size_t v)
{
	p[0] = (v >> 8) & 0xff;
	p[1] = v & 0xff;
}

static void
put32(uint8_t *p, size_t v)
{
	p[0] = (v >> 24) & 0xff;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static size_t
get16(const uint8_t *p)
{
	return ((size_t)p[0] << 8) | p[1];
}

static size_t
get32(const uint8_t *p)
{
	return ((size_t)p[0] << 24) | ((size_t)p[1] << 16) |
	    ((size_t)p[2] << 8) | p[3];
}

/* A key is 1..KEY_MAX bytes of printable ASCII other than space. */
static int
key_valid(const uint8_t *k, size_t klen)
{
	if (klen == 0 || klen > KEY_MAX)
		return 0;
	for (size_t i = 0; i < klen; i++)
		if (k[i] <= 0x20 || k[i] >= 0x7f)
			return 0;
	return 1;
}

void
proto_begin(struct proto_out *out, enum proto_kind kind)
{
	memset(out->buf, 0, PROTO_HEADER_LEN);
	out->buf[4] = PROTO_VERSION;
	out->buf[5] = (uint8_t)kind;
	out->len = PROTO_HEADER_LEN;
	out->nfields = 0;
	out->overflow = 0;
}

/*
 * Append a field.  A field that does not fit, a frame with too many fields,
 * an invalid key or a value holding a NUL byte all mark OUT overflowed, so
 * that proto_finish() refuses the frame: a frame is sent whole or not at
 * all.
 */
void
proto_addn(struct proto_out *out, const char *key, const char *val,
    size_t vlen)
{
	size_t klen, need;

	if (out->overflow)
		return;
	klen = strlen(key);
	if (!key_valid((const uint8_t *)key, klen) || vlen > LEN16_MAX ||
	    memchr(val, '\0', vlen) != NULL ||
	    out->nfields >= PROTO_FIELDS_MAX) {
		out->overflow = 1;
		return;
	}
	need = 2 + klen + 2 + vlen;
	if (need > sizeof(out->buf) - out->len) {
		out->overflow = 1;
		return;
	}
	put16(out->buf + out->len, klen);
	memcpy(out->buf + out->len + 2, key, klen);
	put16(out->buf + out->len + 2 + klen, vlen);
	memcpy(out->buf + out->len + 4 + klen, val, vlen);
	out->len += need;
	out->nfields++;
}

void
proto_add(struct proto_out *out, const char *key, const char *val)
{
	proto_addn(out, key, val, strlen(val));
}

void
proto_addf(struct proto_out *out, const char *key, const char *fmt, ...)
{
	char buf[PROTO_FRAME_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		out->overflow = 1;
		return;
	}
	proto_addn(out, key, buf, (size_t)n);
}

long
proto_finish(struct proto_out *out)
{
	if (out->overflow || out->len - 4 > PROTO_FRAME_MAX)
		return -1;
	put32(out->buf, out->len - 4);
	put16(out->buf + 6, out->nfields);
	return (long)out->len;
}

/*
 * The checks follow the frame's order, each before the bytes it covers are
 * read; the header is judged as soon as its bytes are there, so a bad
 * version or kind is refused without waiting for a frame that may never
 * come.  *ERR points to a constant, or to a static buffer valid until the
 * next call.
 */
long
proto_decode(const uint8_t *buf, size_t len, struct proto_msg *msg,
    const char **err)
{
	static char verr[64];
	const uint8_t *p, *end;
	size_t flen, nfields, klen, vlen, used;
	char *store;

	*err = NULL;
	if (len < 4)
		return 0;
	flen = get32(buf);
	if (flen > PROTO_FRAME_MAX) {
		*err = "frame too large";
		return -1;
	}
	if (flen < PROTO_HEADER_LEN - 4) {
		*err = "frame too short";
		return -1;
	}
	/* The header can be judged before the whole frame has arrived. */
	if (len >= 5 && buf[4] != PROTO_VERSION) {
		snprintf(verr, sizeof(verr), "unsupported protocol version %u",
		    (unsigned)buf[4]);
		*err = verr;
		return -1;
	}
	if (len >= 6 && (buf[5] < PROTO_REQUEST || buf[5] > PROTO_END)) {
		*err = "unknown frame kind";
		return -1;
	}
	if (len >= 8 && get16(buf + 6) > PROTO_FIELDS_MAX) {
		*err = "too many fields";
		return -1;
	}
	if (len - 4 < flen)
		return 0;

	msg->kind = buf[5];
	nfields = get16(buf + 6);
	p = buf + PROTO_HEADER_LEN;
	end = buf + 4 + flen;
	store = msg->store;
	used = 0;
	for (size_t i = 0; i < nfields; i++) {
		if (end - p < 2)
			goto overrun;
		klen = get16(p);
		p += 2;
		if ((size_t)(end - p) < klen)
			goto overrun;
		if (!key_valid(p, klen)) {
			*err = "invalid key";
			goto fail;
		}
		/* klen + 1 + vlen + 1 <= flen + 2 per field: always fits. */
		memcpy(store + used, p, klen);
		store[used + klen] = '\0';
		msg->fields[i].key = store + used;
		used += klen + 1;
		p += klen;

		if (end - p < 2)
			goto overrun;
		vlen = get16(p);
		p += 2;
		if ((size_t)(end - p) < vlen)
			goto overrun;
		if (memchr(p, '\0', vlen) != NULL) {
			*err = "NUL byte in value";
			goto fail;
		}
		memcpy(store + used, p, vlen);
		store[used + vlen] = '\0';
		msg->fields[i].val = store + used;
		msg->fields[i].vlen = vlen;
		used += vlen + 1;
		p += vlen;
	}
	if (p != end) {
		*err = "bytes after the last field";
		goto fail;
	}
	msg->nfields = nfields;
	return (long)(4 + flen);

 overrun:
	*err = "field overruns frame";
 fail:
	msg->nfields = 0;
	return -1;
}

const char *
proto_get(const struct proto_msg *msg, const char *key)
{
	size_t i = 0;

	return proto_next(msg, key, &i);
}

const char *
proto_next(const struct proto_msg *msg, const char *key, size_t *i)
{
	for (; *i < msg->nfields; (*i)++)
		if (strcmp(msg->fields[*i].key, key) == 0)
			return msg->fields[(*i)++].val;
	return NULL;
}
