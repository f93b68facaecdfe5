/* pyjson.h: serialize a jansson value exactly as Python's json.dumps(obj)
 * does with its defaults: separators ", " and ": ", ensure_ascii (every
 * non-ASCII code point as \uXXXX with lowercase hex, astral ones as a
 * surrogate pair; DEL and control characters escaped, \n \r \t \b \f short),
 * object keys in insertion order, integers as is, reals as Python's repr of a
 * float (shortest round-trip, "1.0", "1e+16"), true/false/null. Strings that
 * hold invalid UTF-8 (built with json_stringn_nocheck) have each invalid byte
 * written as \ufffd. Only this file and the JSON renderers use jansson for
 * output. */
#ifndef BS_PYJSON_H
#define BS_PYJSON_H

#include <jansson.h>
#include <stddef.h>

struct strbuf;

/* One string as json.dumps writes it (quotes included), appended to sb;
 * a byte that is not UTF-8 becomes \ufffd. */
void pyjson_add_string(struct strbuf *sb, const char *s, size_t len);

/* malloc'd text without a trailing newline. */
char *pyjson_dumps(const json_t *v);

/* A jansson string from any bytes: valid UTF-8 is kept, each invalid byte
 * becomes U+FFFD. NULL gives json null. New reference. */
json_t *pyjson_str(const char *s);

#endif
