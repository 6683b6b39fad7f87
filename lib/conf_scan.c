/*
 * conf_scan.c — a configuration file's text as libconfuse's lexer sees it.
 *
 * libconfuse 3.x takes the end of a file as the end of an open section (a
 * truncated file would load) and 3.3 miscounts lines after a comment; its
 * messages name the token it tripped on ("no such option 'echo'") rather
 * than the mistake (a quote inside a string).  conf_scan() checks the
 * text before libconfuse parses it; conf_explain() turns libconfuse's
 * messages into ones that say what to write instead.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_options.h"
#include "conf_scan.h"
#include "xalloc.h"

#define BRACE_DEPTH_MAX	64	/* '{' lines remembered */

/*
 * Skip the string that opens at BUF[*IP] ('"' or '\''), as libconfuse's
 * lexer reads it: a backslash escapes the next character (in '...' only a
 * backslash or a quote, but skipping any pair is the same for finding the
 * end).  Leaves *IP on the closing quote and counts newlines in *LINEP.
 * Returns -1 when the text ends first, *IP left on the opening quote.
 */
static int
skip_string(const char *buf, size_t len, size_t *ip, int *linep)
{
	size_t i = *ip;
	char quote = buf[i];
	int line = *linep;

	for (i++; i < len && buf[i] != quote; i++) {
		if (buf[i] == '\\' && i + 1 < len)
			i++;
		if (buf[i] == '\n')
			line++;
	}
	if (i >= len)
		return -1;
	*ip = i;
	*linep = line;
	return 0;
}

/* Blank BUF[FROM..TO) out, keeping newlines so line numbers stay. */
static void
blank(char *buf, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (buf[i] != '\n')
			buf[i] = ' ';
}

/* A character that ends an unquoted word for libconfuse's lexer. */
static bool
word_end(char c)
{
	return c == '\0' || strchr(" \t\r\n\"'{}()=,+#", c) != NULL;
}

/* At S: NAME= with NAME a valid environment variable name? */
static bool
env_assignment_at(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && (isalnum((unsigned char)s[n]) || s[n] == '_'))
		n++;
	return n < len && s[n] == '=' && conf_valid_env_name(s, n);
}

/*
 * The string S (LEN bytes, as written between the quotes) given to
 * `environment` without braces: when it reads as supervisord's
 * "A=1,B=2", report it with the list to write instead.
 */
static void
check_environment_string(const char *s, size_t len, const char *path,
    int line, struct msglist *errs)
{
	char *list = NULL;
	size_t listlen = 0, from = 0;
	bool listy = false;
	FILE *fp;

	if (!env_assignment_at(s, len))
		return;
	for (size_t i = 0; i < len; i++) {
		size_t j = i + 1;

		if (s[i] != ',')
			continue;
		while (j < len && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (env_assignment_at(s + j, len - j))
			listy = true;
	}
	if (!listy)
		return;
	if ((fp = open_memstream(&list, &listlen)) == NULL) {
		fputs("out of memory\n", stderr);
		abort();
	}
	for (size_t i = 0; i <= len; i++) {
		size_t j = i + 1;

		if (i < len && s[i] != ',')
			continue;
		while (j < len && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (i < len && !env_assignment_at(s + j, len - j))
			continue;
		fprintf(fp, "%s\"%.*s\"", from ? ", " : "", (int)(i - from),
		    s + from);
		from = j;
		i = j - 1;
	}
	fclose(fp);
	msglist_add(errs, "%s:%d: environment is a list: write {%s}", path,
	    line, list);
	free(list);
}

/*
 * At BUF[I], a word starting a token.  When it is `environment` given a
 * quoted string without braces, check that string.
 */
static void
check_word(const char *buf, size_t len, size_t i, const char *path,
    int line, struct msglist *errs)
{
	static const char key[] = "environment";
	size_t j = i + sizeof(key) - 1, end;
	int vline = line;

	if (len - i < sizeof(key) - 1 || memcmp(buf + i, key,
	    sizeof(key) - 1) != 0 || !word_end(buf[j]))
		return;
	while (j < len && isspace((unsigned char)buf[j]))
		if (buf[j++] == '\n')
			vline++;
	if (j >= len || buf[j] != '=')
		return;
	for (j++; j < len && isspace((unsigned char)buf[j]); j++)
		if (buf[j] == '\n')
			vline++;
	if (j >= len || (buf[j] != '"' && buf[j] != '\''))
		return;
	end = j;
	if (skip_string(buf, len, &end, &line) == -1)
		return;
	check_environment_string(buf + j + 1, end - j - 1, path, vline, errs);
}

int
conf_scan(char *buf, size_t len, const char *path, struct msglist *errs)
{
	int open_line[BRACE_DEPTH_MAX];
	size_t i, from, last_close;
	int line = 1, depth = 0, start;

	/* Where the last '}' is: "${" starts a ${VAR} only before one. */
	for (last_close = len; last_close > 0; last_close--)
		if (buf[last_close - 1] == '}')
			break;

	for (i = 0; i < len; i++) {
		switch (buf[i]) {
		case '\n':
			line++;
			break;
		case '#':
			from = i;
			while (i + 1 < len && buf[i + 1] != '\n')
				i++;
			blank(buf, from, i + 1);
			break;
		case '/':
			from = i;
			if (buf[i + 1] == '/') {
				while (i + 1 < len && buf[i + 1] != '\n')
					i++;
			} else if (buf[i + 1] == '*') {
				start = line;
				for (i += 2; i < len; i++) {
					if (buf[i] == '\n')
						line++;
					else if (buf[i] == '*' &&
					    buf[i + 1] == '/')
						break;
				}
				if (i >= len) {
					msglist_add(errs, "%s:%d: unterminated "
					    "comment: '/*' without '*/'", path,
					    start);
					return -1;
				}
				i++;
			} else
				break;
			blank(buf, from, i + 1);
			break;
		case '"':
		case '\'':
			start = line;
			if (skip_string(buf, len, &i, &line) == -1) {
				msglist_add(errs, "%s:%d: unterminated string: "
				    "missing closing %c", path, start, buf[i]);
				return -1;
			}
			break;
		case '$':
			/* ${VAR}, which may hold anything but '}'. */
			if (buf[i + 1] == '{' && i + 2 < last_close) {
				for (i += 2; buf[i] != '}'; i++)
					if (buf[i] == '\n')
						line++;
			}
			break;
		case '{':
			if (depth < BRACE_DEPTH_MAX)
				open_line[depth] = line;
			depth++;
			break;
		case '}':
			if (depth > 0)
				depth--;
			break;
		default:
			if ((i == 0 || word_end(buf[i - 1])) &&
			    buf[i] == 'e')
				check_word(buf, len, i, path, line, errs);
			break;
		}
	}
	if (depth > 0) {
		msglist_add(errs, "%s:%d: '{' is not closed: unexpected end of "
		    "file", path, open_line[(depth > BRACE_DEPTH_MAX ?
		    BRACE_DEPTH_MAX : depth) - 1]);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ explain */

enum tok_type { TOK_WORD, TOK_STRING, TOK_PUNCT };

struct tok {
	enum tok_type	 type;
	const char	*s;	/* in the line (a string: its opening quote) */
	size_t		 len;	/* with the quotes */
};

#define TOKS_MAX	64

/* Split the line at S (up to a newline) into at most TOKS_MAX tokens. */
static size_t
tokenize(const char *s, struct tok *toks)
{
	size_t n = 0;
	const char *p = s;

	while (*p != '\0' && *p != '\n' && n < TOKS_MAX) {
		if (*p == ' ' || *p == '\t' || *p == '\r') {
			p++;
			continue;
		}
		toks[n].s = p;
		if (*p == '"' || *p == '\'') {
			char q = *p++;

			while (*p != '\0' && *p != '\n' && *p != q) {
				if (*p == '\\' && p[1] != '\0' && p[1] != '\n')
					p++;
				p++;
			}
			if (*p == q)
				p++;
			toks[n].type = TOK_STRING;
		} else if (strchr("{}()=,+", *p) != NULL) {
			p++;
			toks[n].type = TOK_PUNCT;
		} else {
			while (!word_end(*p))
				p++;
			toks[n].type = TOK_WORD;
		}
		toks[n].len = (size_t)(p - toks[n].s);
		n++;
	}
	return n;
}

/* The start of line LINE (1-based) in TEXT, or NULL. */
static const char *
line_start(const char *text, int line)
{
	const char *p = text;

	for (int l = 1; l < line; l++) {
		if ((p = strchr(p, '\n')) == NULL)
			return NULL;
		p++;
	}
	return p;
}

static bool
tok_is(const struct tok *t, const char *s)
{
	return t->len == strlen(s) && strncmp(t->s, s, t->len) == 0;
}

/* "unknown option 'X'" where X is a token of the line at L. */
static char *
explain_unknown(const char *l, const char *name)
{
	struct tok toks[TOKS_MAX];
	size_t n = tokenize(l, toks), k;
	const char *end;

	if (name[0] == ';')
		return xasprintf("unknown option '%s': ';' does not separate "
		    "options: remove it (blanks or new lines separate "
		    "options)", name);
	for (k = 0; k < n; k++)
		if (toks[k].type == TOK_WORD && tok_is(&toks[k], name))
			break;
	if (k < 3 || k == n || toks[k - 2].type != TOK_PUNCT ||
	    !tok_is(&toks[k - 2], "=") || toks[k - 3].type != TOK_WORD)
		return NULL;
	if (toks[k - 1].type == TOK_STRING &&
	    toks[k - 1].s + toks[k - 1].len == toks[k].s)
		return xasprintf("unknown option '%s': the %c before %s ends "
		    "the value of %.*s: inside a string write a %c as \\%c, or "
		    "quote the value with %s", name, toks[k - 1].s[0], name,
		    (int)toks[k - 3].len, toks[k - 3].s, toks[k - 1].s[0],
		    toks[k - 1].s[0], toks[k - 1].s[0] == '"' ?
		    "'...' instead" : "\"...\" instead");
	if (toks[k - 1].type != TOK_WORD)
		return NULL;
	/* The unquoted value, up to the end of the line or a '}'. */
	end = strchr(toks[k - 1].s, '\n');
	if (end == NULL)
		end = toks[k - 1].s + strlen(toks[k - 1].s);
	for (const char *p = toks[k - 1].s; p < end; p++)
		if (strchr("{}=\"'", *p) != NULL) {
			end = p;
			break;
		}
	while (end > toks[k - 1].s && isspace((unsigned char)end[-1]))
		end--;
	return xasprintf("unknown option '%s': a value with blanks must be "
	    "quoted: %.*s = \"%.*s\"", name, (int)toks[k - 3].len,
	    toks[k - 3].s, (int)(end - toks[k - 1].s), toks[k - 1].s);
}

/* "missing opening brace for section 'S'" at the line L. */
static char *
explain_brace(const char *l, const char *section)
{
	const char *p = l, *name, *end, *pct;
	size_t seclen = strlen(section);

	while (*p == ' ' || *p == '\t')
		p++;
	if (strncmp(p, section, seclen) != 0 || !isspace((unsigned char)
	    p[seclen]))
		return NULL;
	for (p += seclen; *p == ' ' || *p == '\t'; p++)
		;
	name = p;
	for (end = name; *end != '\0' && *end != '\n' && *end != '{'; end++)
		;
	while (end > name && isspace((unsigned char)end[-1]))
		end--;
	if (end == name)
		return xasprintf("%s: a %s section needs a name: %s NAME { ... "
		    "}", section, section, section);
	if ((pct = memchr(name, '%', (size_t)(end - name))) != NULL &&
	    strcmp(section, "program") == 0) {
		const char *b = name;
		int blen = (int)(pct - name);

		while (blen > 0 && strchr("_-.", name[blen - 1]) != NULL)
			blen--;
		if (blen == 0) {
			b = "NAME";
			blen = 4;
		}
		return xasprintf("program %.*s: a program name cannot use "
		    "%%(...) expansions: write program %.*s { numprocs = N "
		    "... }, whose processes are named %.*s:0, %.*s:1, ...",
		    (int)(end - name), name, blen, b, blen, b, blen, b);
	}
	return xasprintf("%s %.*s: invalid name: use only letters, digits, "
	    "'_', '-' and '.', then '{'", section, (int)(end - name), name);
}

char *
conf_explain(const char *text, int line, const char *msg)
{
	static const char unknown[] = "unknown option '";
	static const char brace[] = "missing opening brace for section '";
	const char *l, *q;
	char *name, *res = NULL;

	if (text == NULL || line <= 0 || (l = line_start(text, line)) == NULL)
		return NULL;
	if (strncmp(msg, unknown, sizeof(unknown) - 1) == 0) {
		name = xstrdup(msg + sizeof(unknown) - 1);
		if ((q = strrchr(name, '\'')) != NULL)
			name[q - name] = '\0';
		res = explain_unknown(l, name);
		free(name);
	} else if (strncmp(msg, brace, sizeof(brace) - 1) == 0) {
		name = xstrdup(msg + sizeof(brace) - 1);
		if ((q = strrchr(name, '\'')) != NULL)
			name[q - name] = '\0';
		res = explain_brace(l, name);
		free(name);
	}
	return res;
}
