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
#include <stdbool.h>
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

/* json.dumps's text written as it goes, without a jansson tree, for the
 * documents of thousands of objects (`nodes --json` at 10,000 nodes built
 * and freed 300,000 jansson values for its text, a sixth of its run): the
 * same text pyjson_dumps gives for the same values in the same order. The
 * caller writes each key of an object once (jansson would keep one), and
 * nests them at most PYJW_DEPTH deep. */
#define PYJW_DEPTH 32
struct pyjw {
	struct strbuf *sb;
	unsigned depth;
	bool after_key;
	bool more[PYJW_DEPTH + 1]; /* the container at that depth has a value */
	char closing[PYJW_DEPTH + 1];
};

void pyjw_init(struct pyjw *w, struct strbuf *sb);
/* "{" and "[" as a value (or the document); ended by pyjw_end. */
void pyjw_object(struct pyjw *w);
void pyjw_array(struct pyjw *w);
void pyjw_end(struct pyjw *w);
/* An object's key: its value follows. */
void pyjw_key(struct pyjw *w, const char *key);
/* A string (any bytes, as pyjson_str); NULL is null. */
void pyjw_str(struct pyjw *w, const char *s);
void pyjw_strn(struct pyjw *w, const char *s, size_t len);
void pyjw_int(struct pyjw *w, long long v);
void pyjw_real(struct pyjw *w, double d);
/* float(tenths) / 10 as json.dumps writes it ("12.3", "40.0", "-0.5"),
 * without a float's shortest-digits search (a node's latency, 10,000 of
 * them in `nodes --json`): the same text as pyjw_real((double)tenths / 10),
 * Python's tenths / 10 while a float holds tenths exactly (up to 2^53). */
void pyjw_tenths(struct pyjw *w, long long tenths);
void pyjw_bool(struct pyjw *w, bool b);
void pyjw_null(struct pyjw *w);
/* A key and its value: a string (NULL: null), a boolean, an integer when
 * set (else null). */
void pyjw_kstr(struct pyjw *w, const char *key, const char *s);
void pyjw_kbool(struct pyjw *w, const char *key, bool b);
void pyjw_kint(struct pyjw *w, const char *key, bool set, long long v);

#endif
