/* pyjson_accept.c: does CPython 3.11's json.loads(text) return, raise
 * ValueError, or raise RecursionError? The order of events follows the C
 * scanner of Modules/_json.c (scan_once_unicode and its helpers), which reads
 * left to right and stops at the first problem; so this recognizer does the
 * same without building anything:
 *
 *   json.loads      a leading U+FEFF is "Unexpected UTF-8 BOM"
 *   decode          whitespace [ \t\n\r]* around one value, then the end
 *   scan_once       "{", "[", '"', null true false NaN Infinity -Infinity,
 *                   or a number; "{" and "[" enter a recursive call first
 *   numbers         -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?, the
 *                   fraction and exponent only when complete; an integer
 *                   of more than 4300 digits makes int() raise ValueError
 *                   (sys.int_info.default_max_str_digits)
 *   scanstring      strict: no code point below U+0020; escapes \" \\ \/ \b
 *                   \f \n \r \t \uXXXX (any hex case, lone surrogates fine)
 *
 * The recursion limit (1000) counts the Python frames below json.loads too;
 * from barbican-status's call of fileutils.is_json, nesting 989 deep loads
 * and 990 raises RecursionError (measured with Debian's barbican-status
 * 15.0.1 and Python 3.11.2; see PYJSON_MAX_DEPTH). The nesting is kept on
 * an explicit stack, so the C stack does not grow with the input. */
#include "pyjson_accept.h"

#include <stdbool.h>
#include <string.h>

#include "sanitize.h"

#define PY_INT_MAX_STR_DIGITS 4300

struct scan {
	const unsigned char *s;
	size_t len, pos;
};

static void skip_ws(struct scan *sc)
{
	while (sc->pos < sc->len) {
		unsigned char c = sc->s[sc->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		sc->pos++;
	}
}

static bool peek(const struct scan *sc, unsigned char c)
{
	return sc->pos < sc->len && sc->s[sc->pos] == c;
}

static bool is_digit_at(const struct scan *sc, size_t i)
{
	return i < sc->len && sc->s[i] >= '0' && sc->s[i] <= '9';
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool literal(struct scan *sc, const char *word)
{
	size_t n = strlen(word);
	if (sc->len - sc->pos < n || memcmp(sc->s + sc->pos, word, n) != 0)
		return false;
	sc->pos += n;
	return true;
}

/* scanstring_unicode with strict=True; sc->pos is after the opening quote.
 * A surrogate pair or a lone surrogate escape are both accepted, and a
 * broken second escape is a broken escape either way. */
static bool scan_string(struct scan *sc)
{
	while (sc->pos < sc->len) {
		unsigned char c = sc->s[sc->pos++];
		if (c == '"')
			return true;
		if (c < 0x20)
			return false; /* Invalid control character */
		if (c != '\\')
			continue;
		if (sc->pos >= sc->len)
			return false; /* Unterminated string */
		c = sc->s[sc->pos++];
		if (c == 'u') {
			if (sc->len - sc->pos < 4)
				return false;
			for (int i = 0; i < 4; i++) {
				if (!is_hex(sc->s[sc->pos++]))
					return false; /* Invalid \uXXXX escape */
			}
		} else if (!strchr("\"\\/bfnrt", c) || c == '\0') {
			return false; /* Invalid \escape */
		}
	}
	return false; /* Unterminated string */
}

/* _match_number_unicode, then int()'s digit limit. */
static bool scan_number(struct scan *sc)
{
	size_t start = sc->pos;
	if (peek(sc, '-'))
		sc->pos++;
	if (peek(sc, '0')) {
		sc->pos++;
	} else if (is_digit_at(sc, sc->pos)) {
		while (is_digit_at(sc, sc->pos))
			sc->pos++;
	} else {
		return false; /* Expecting value */
	}
	size_t int_digits = sc->pos - start - (sc->s[start] == '-');
	bool is_float = false;
	if (peek(sc, '.') && is_digit_at(sc, sc->pos + 1)) {
		is_float = true;
		sc->pos += 2;
		while (is_digit_at(sc, sc->pos))
			sc->pos++;
	}
	if (peek(sc, 'e') || peek(sc, 'E')) {
		size_t e = sc->pos + 1;
		if (e < sc->len && (sc->s[e] == '-' || sc->s[e] == '+'))
			e++;
		if (is_digit_at(sc, e)) {
			is_float = true;
			while (is_digit_at(sc, e))
				e++;
			sc->pos = e;
		}
	}
	return is_float || int_digits <= PY_INT_MAX_STR_DIGITS;
}

/* A complete and valid UTF-8 text (what a Python str can come from). */
static bool valid_utf8(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		unsigned cp;
		size_t n = utf8_decode(s + i, len - i, &cp);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* "NAME" then ':' (and the whitespace around), as an object member starts:
 * "Expecting property name enclosed in double quotes", "Expecting ':'". */
static bool scan_member_name(struct scan *sc)
{
	if (!peek(sc, '"'))
		return false;
	sc->pos++;
	if (!scan_string(sc))
		return false;
	skip_ws(sc);
	if (!peek(sc, ':'))
		return false;
	sc->pos++;
	skip_ws(sc);
	return true;
}

enum pyjson_verdict pyjson_accepts(const char *text, size_t len)
{
	struct scan sc = { (const unsigned char *)text, len, 0 };
	/* '[' or '{' per open container; the outermost at stack[0] */
	unsigned char stack[PYJSON_MAX_DEPTH];
	size_t depth = 0;

	if (!text)
		return PYJSON_INVALID;
	/* Outside Python's domain: the file would not have been read. */
	if (!valid_utf8(sc.s, len))
		return PYJSON_INVALID;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		return PYJSON_INVALID; /* Unexpected UTF-8 BOM */

	skip_ws(&sc);
	for (;;) {
		/* a value at sc.pos (scan_once_unicode) */
		if (sc.pos >= sc.len)
			return PYJSON_INVALID;
		switch (sc.s[sc.pos]) {
		case '"':
			sc.pos++;
			if (!scan_string(&sc))
				return PYJSON_INVALID;
			break;
		case '{':
		case '[': {
			unsigned char open = sc.s[sc.pos++];
			if (depth >= PYJSON_MAX_DEPTH)
				return PYJSON_TOO_DEEP;
			stack[depth++] = open;
			skip_ws(&sc);
			if (peek(&sc, open == '[' ? ']' : '}')) {
				sc.pos++;
				depth--;
				break;
			}
			if (open == '{' && !scan_member_name(&sc))
				return PYJSON_INVALID;
			continue; /* the first value inside */
		}
		case 'n':
			if (!literal(&sc, "null"))
				return PYJSON_INVALID;
			break;
		case 't':
			if (!literal(&sc, "true"))
				return PYJSON_INVALID;
			break;
		case 'f':
			if (!literal(&sc, "false"))
				return PYJSON_INVALID;
			break;
		case 'N':
			if (!literal(&sc, "NaN"))
				return PYJSON_INVALID;
			break;
		case 'I':
			if (!literal(&sc, "Infinity"))
				return PYJSON_INVALID;
			break;
		default:
			if (literal(&sc, "-Infinity"))
				break;
			if (!scan_number(&sc))
				return PYJSON_INVALID;
			break;
		}

		/* after a value: close containers, or go on to the next value */
		for (;;) {
			skip_ws(&sc);
			if (depth == 0)
				return sc.pos == sc.len ? PYJSON_VALID : PYJSON_INVALID; /* Extra data */
			unsigned char open = stack[depth - 1];
			if (peek(&sc, open == '[' ? ']' : '}')) {
				sc.pos++;
				depth--;
				continue;
			}
			if (!peek(&sc, ','))
				return PYJSON_INVALID; /* Expecting ',' delimiter */
			sc.pos++;
			skip_ws(&sc);
			if (open == '{' && !scan_member_name(&sc))
				return PYJSON_INVALID;
			break; /* the next value */
		}
	}
}
