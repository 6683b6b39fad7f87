/*
 * json.h — the little JSON mwsupctl writes: strings escaped exactly, and
 * numbers only when they really are numbers.
 */
#ifndef MWSUPCTL_JSON_H
#define MWSUPCTL_JSON_H

#include <stddef.h>
#include <stdio.h>

/*
 * Write the LEN bytes at S to FP as a JSON string, quotes included.
 * Valid UTF-8 passes through; quotes, backslashes and control characters
 * are escaped; every byte that is not part of a valid UTF-8 sequence
 * (including overlong forms, surrogates and code points above U+10FFFF)
 * becomes U+FFFD.  The output is always valid JSON.
 */
void	json_string(FILE *fp, const char *s, size_t len);

/*
 * Write S (NUL-terminated, may be NULL) as a JSON number when
 * AS_NUMBER is set and S is an optional '-' followed by 1..18 decimal
 * digits, else as a JSON string; NULL is written as null.
 */
void	json_value(FILE *fp, const char *s, int as_number);

#endif /* MWSUPCTL_JSON_H */
