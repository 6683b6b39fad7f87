/*
 * conf_scan.h — a configuration file's text as libconfuse's lexer sees it:
 * the checks libconfuse does not make, and better words for its errors.
 * Private to lib/ (and the unit tests).  Pure functions on text.
 */
#ifndef MWSUP_CONF_SCAN_H
#define MWSUP_CONF_SCAN_H

#include <stddef.h>

#include "msglist.h"

/*
 * Scan TEXT (LEN bytes, NUL-terminated) of file PATH as libconfuse's lexer
 * reads it (strings, comments, braces), blanking comments out (newlines
 * kept, so line numbers stay).  Reports to ERRS, as "PATH:LINE: message":
 * an unterminated string or comment and an unclosed '{' (libconfuse 3.x
 * takes the end of a file as the end of an open section), after which
 * -1 is returned: the text must not be parsed; and `environment = "A=1,B=2"`
 * (a supervisord list written as one string), which is an error that does
 * not stop the parse.  Returns 0 otherwise.
 */
int	 conf_scan(char *text, size_t len, const char *path,
	    struct msglist *errs);

/*
 * A clearer message for libconfuse's error MSG (already translated:
 * "unknown option 'X'", "missing opening brace for section 'program'")
 * raised at LINE of the scanned TEXT: what is wrong and how to write it.
 * Returns a malloc'd message, or NULL when there is nothing to add.
 */
char	*conf_explain(const char *text, int line, const char *msg);

#endif /* MWSUP_CONF_SCAN_H */
