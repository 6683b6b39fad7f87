/*
 * proto.h — the control protocol between mwsupctl and mwsupd, defined once.
 *
 * A connection carries frames.  Every frame is
 *
 *	u32	length of what follows (big-endian, <= PROTO_FRAME_MAX)
 *	u8	protocol version (PROTO_VERSION)
 *	u8	kind (enum proto_kind)
 *	u16	number of fields (<= PROTO_FIELDS_MAX)
 *	fields, each:  u16 key length, key bytes, u16 value length, value bytes
 *
 * Keys are short ASCII words; values are bytes without NUL.  No C struct
 * ever goes on the wire.  A client sends one PROTO_REQUEST; the daemon
 * answers with zero or more PROTO_RECORDs and exactly one PROTO_END, which
 * carries "status" (the mwsupctl exit code) and, on failure, "error".  The
 * client may then send another request on the same connection.
 * See doc/PROTOCOL.md for the commands and their fields.
 */
#ifndef MWSUP_PROTO_H
#define MWSUP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION		1
#define PROTO_FRAME_MAX		65536	/* bytes after the length word */
#define PROTO_FIELDS_MAX	512
#define PROTO_HEADER_LEN	8	/* length + version + kind + nfields */

enum proto_kind {
	PROTO_REQUEST	= 1,	/* client -> daemon */
	PROTO_RECORD	= 2,	/* daemon -> client, one result */
	PROTO_END	= 3,	/* daemon -> client, end of a reply */
};

struct proto_field {
	const char	*key;	/* NUL-terminated */
	const char	*val;	/* NUL-terminated; vlen bytes before the NUL */
	size_t		 vlen;
};

/* A decoded frame.  Its strings point into the decoder's own storage. */
struct proto_msg {
	uint8_t			 kind;
	size_t			 nfields;
	struct proto_field	 fields[PROTO_FIELDS_MAX];
	char			 store[PROTO_FRAME_MAX + PROTO_FIELDS_MAX * 2];
};

/* A frame being built. */
struct proto_out {
	uint8_t		buf[4 + PROTO_FRAME_MAX];
	size_t		len;		/* bytes used in buf */
	size_t		nfields;
	int		overflow;	/* a field did not fit */
};

/* Start building a frame of KIND in OUT. */
void		 proto_begin(struct proto_out *out, enum proto_kind kind);

/*
 * Append a field.  When it does not fit, OUT is marked overflowed and
 * proto_finish() fails.  proto_addf() formats the value with printf.
 */
void		 proto_add(struct proto_out *out, const char *key,
		    const char *val);
void		 proto_addn(struct proto_out *out, const char *key,
		    const char *val, size_t vlen);
void		 proto_addf(struct proto_out *out, const char *key,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Finish the frame: fill in the header.  Returns the total frame length in
 * bytes (data is out->buf), or -1 when a field overflowed the frame.
 */
long		 proto_finish(struct proto_out *out);

/*
 * Decode one frame from the LEN bytes at BUF into MSG.
 * Returns the number of bytes consumed (> 0) when a whole frame was
 * decoded, 0 when more bytes are needed, or -1 when the bytes are not a
 * valid frame; then *ERR names the problem ("frame too large",
 * "unsupported protocol version 7", "field overruns frame", ...).
 * Every length is checked before anything it covers is read.
 */
long		 proto_decode(const uint8_t *buf, size_t len,
		    struct proto_msg *msg, const char **err);

/* The first value of KEY in MSG, or NULL. */
const char	*proto_get(const struct proto_msg *msg, const char *key);

/*
 * Iterate over every value of KEY: start with *I = 0; returns NULL after
 * the last.
 */
const char	*proto_next(const struct proto_msg *msg, const char *key,
		    size_t *i);

#endif /* MWSUP_PROTO_H */
