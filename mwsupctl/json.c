/*
 * json.c — the little JSON mwsupctl writes.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "json.h"

/*
 * Length of the valid UTF-8 sequence starting at S (at most LEN bytes
 * available), or 0 when S does not start one.  Follows RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF.
 */
static size_t
utf8_len(const unsigned char *s, size_t len)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void
json_string(FILE *fp, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	putc('"', fp);
	while (i < len) {
		unsigned char c = p[i];

		switch (c) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\b':
			fputs("\\b", fp);
			break;
		case '\f':
			fputs("\\f", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\r':
			fputs("\\r", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if (c < 0x20) {
				fprintf(fp, "\\u%04x", c);
				break;
			}
			if ((n = utf8_len(p + i, len - i)) == 0) {
				fputs("\\ufffd", fp);
				i++;
				continue;
			}
			fwrite(p + i, 1, n, fp);
			i += n;
			continue;
		}
		i++;
	}
	putc('"', fp);
}

static int
is_number(const char *s)
{
	size_t n;

	if (*s == '-')
		s++;
	n = strlen(s);
	if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
		return 0;
	return n == 1 || s[0] != '0';	/* JSON forbids leading zeros */
}

void
json_value(FILE *fp, const char *s, int as_number)
{
	if (s == NULL)
		fputs("null", fp);
	else if (as_number && is_number(s))
		fputs(s, fp);
	else
		json_string(fp, s, strlen(s));
}
