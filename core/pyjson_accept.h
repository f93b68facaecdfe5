/* pyjson_accept.h: does Python's json.loads() accept this text? A recognizer
 * (no tree is built) that follows CPython 3.11's json module with its
 * defaults: surrounding whitespace is ' \t\n\r' only; any value at top level;
 * NaN, Infinity and -Infinity accepted; numbers as JSON's grammar (no leading
 * '+', no leading zeros, no '.5'); strings with control characters below
 * 0x20 rejected (strict=True), escapes \" \\ \/ \b \f \n \r \t \uXXXX (lone
 * surrogates accepted); duplicate keys accepted; a leading U+FEFF (BOM)
 * rejected; an integer of more than 4300 digits rejected (int()'s limit
 * raises ValueError). The input is Python text: the caller has already
 * decoded it as UTF-8 (invalid UTF-8 makes fileutils.is_json raise, not
 * return False); given invalid UTF-8 anyway, the answer is PYJSON_INVALID.
 *
 * Python's recursion limit makes very deep nesting raise RecursionError
 * instead of returning; PYJSON_MAX_DEPTH approximates where: measured with
 * Debian's barbican-status 15.0.1 (Python 3.11.2), a policy file nested 989
 * deep is read and 990 deep raises (the limit of 1000 counts the frames
 * below is_json too). */
#ifndef BS_PYJSON_ACCEPT_H
#define BS_PYJSON_ACCEPT_H

#include <stddef.h>

#define PYJSON_MAX_DEPTH 989

enum pyjson_verdict {
	PYJSON_VALID,      /* json.loads returns */
	PYJSON_INVALID,    /* json.loads raises ValueError (JSONDecodeError) */
	PYJSON_TOO_DEEP,   /* nesting beyond PYJSON_MAX_DEPTH: Python would raise RecursionError */
};

/* text: UTF-8, len bytes (may contain NUL, which is invalid outside nothing:
 * a NUL is a control character, rejected in strings and as whitespace). */
enum pyjson_verdict pyjson_accepts(const char *text, size_t len);

#endif
