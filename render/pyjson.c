/* pyjson.c: json.dumps(obj) of CPython 3.11 with its defaults, for a jansson
 * value: the C encoder's separators (", " and ": "), ensure_ascii escaping
 * (py_encode_basestring_ascii), int as is, float as float.__repr__ (and
 * allow_nan's NaN/Infinity, which jansson never holds), insertion order. */
#include "pyjson.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "strbuf.h"
#include "xalloc.h"

static void add_u16(struct strbuf *sb, unsigned u)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = { '\\', 'u', hex[(u >> 12) & 15], hex[(u >> 8) & 15], hex[(u >> 4) & 15],
		      hex[u & 15] };
	sb_add(sb, e, sizeof(e));
}

/* Bytes that py_encode_basestring_ascii writes as they are: printable
 * ASCII but '"' and '\\'. */
static inline bool plain(unsigned char c)
{
	return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\';
}

/* How many bytes from the start of p are plain: eight at a time while none
 * of the eight is below 0x20, above 0x7e, '"' or '\\' (each test exact for
 * "any byte of the word": a borrow or carry only reaches bytes above one
 * that already matched), then one at a time. */
static size_t plain_prefix(const unsigned char *p, size_t len)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	size_t n = 0;
	for (; n + 8 <= len; n += 8) {
		uint64_t w;
		memcpy(&w, p + n, 8);
		uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\'); /* 0 where '"', '\\' */
		uint64_t below = (w - ones * 0x20) & ~w; /* a byte < 0x20 */
		uint64_t above = (w + ones) | w;          /* a byte > 0x7e */
		if ((below | above | ((q - ones) & ~q) | ((b - ones) & ~b)) & high)
			break;
	}
	while (n < len && plain(p[n]))
		n++;
	return n;
}

/* py_encode_basestring_ascii: '"' and '\\' and the five short escapes,
 * printable ASCII as is, everything else \uXXXX (astral code points as a
 * surrogate pair); a byte that is not UTF-8 as \ufffd. */
void pyjson_add_string(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t run = plain_prefix(p, len);
	if (run == len) {
		/* nearly every string of a report or a name: quoted, at once */
		char *to = sb_extend(sb, len + 2);
		if (to) {
			to[0] = '"';
			if (len)
				memcpy(to + 1, s, len);
			to[len + 1] = '"';
		}
		return;
	}
	sb_addch(sb, '"');
	sb_add(sb, s, run);
	for (size_t i = run; i < len;) {
		/* a run of printable ASCII that needs no escape: as it is, at once */
		run = i + plain_prefix(p + i, len - i);
		if (run > i) {
			sb_add(sb, s + i, run - i);
			i = run;
			continue;
		}
		unsigned cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		if (n == 0) {
			cp = 0xfffd;
			n = 1;
		}
		i += n;
		switch (cp) {
		case '"': sb_addstr(sb, "\\\""); continue;
		case '\\': sb_addstr(sb, "\\\\"); continue;
		case '\n': sb_addstr(sb, "\\n"); continue;
		case '\r': sb_addstr(sb, "\\r"); continue;
		case '\t': sb_addstr(sb, "\\t"); continue;
		case '\b': sb_addstr(sb, "\\b"); continue;
		case '\f': sb_addstr(sb, "\\f"); continue;
		default: break;
		}
		if (cp >= 0x20 && cp <= 0x7e) {
			sb_addch(sb, (char)cp);
		} else if (cp < 0x10000) {
			add_u16(sb, cp);
		} else {
			cp -= 0x10000;
			add_u16(sb, 0xd800 | (cp >> 10));
			add_u16(sb, 0xdc00 | (cp & 0x3ff));
		}
	}
	sb_addch(sb, '"');
}

/* Shortest decimal digits that read back as d (d finite, > 0), as
 * Python's repr finds them (David Gay's dtoa mode 0): for each length p,
 * the correctly rounded p digits; when those miss d (d on a binade's edge,
 * where the rounding interval is lopsided), the p-digit neighbour on d's
 * other side may still hit it. digits gets at most 17 digits, no trailing
 * zeros; returns the decimal exponent E of d = 0.d1d2... * 10^(E+1). */
static int shortest_digits(double d, char *digits, size_t *ndigits)
{
	char buf[48];
	/* A normal double's rounding interval is narrower than the gap between
	 * two decimals of 15 significant digits (2.2e-16 of d against at least
	 * 1e-15), so when some decimal of 15 digits or fewer reads back as d, it
	 * is the one, and the correctly rounded 15 digits are it with zeros
	 * after: those zeros dropped, the shortest digits come from one try
	 * instead of one per length. A subnormal has fewer bits, a wider
	 * interval: every length from 1. */
	for (int p = d >= DBL_MIN ? 15 : 1;; p++) {
		/* %.16e (p = 17) always reads back, so the loop ends there */
		snprintf(buf, sizeof(buf), "%.*e", p - 1, d);
		unsigned long long m = 0;
		const char *s = buf;
		for (; *s != 'e'; s++) {
			if (*s >= '0' && *s <= '9')
				m = m * 10 + (unsigned)(*s - '0');
		}
		int e = (int)strtol(s + 1, NULL, 10) - (p - 1); /* d ~ m * 10^e */
		double back = strtod(buf, NULL);
		if (back != d && p < 17) {
			m = back < d ? m + 1 : m - 1;
			snprintf(buf, sizeof(buf), "%llue%d", m, e);
			if (m == 0 || strtod(buf, NULL) != d)
				continue;
		}
		int n = snprintf(digits, 24, "%llu", m);
		e += n - 1;
		while (n > 1 && digits[n - 1] == '0')
			n--;
		*ndigits = (size_t)n;
		return e;
	}
}

/* float.__repr__: repr style 'r' with Py_DTSF_ADD_DOT_0; an exponent when
 * the decimal point would fall 4 or more places before the first digit or
 * more than 16 after it. json.dumps writes nan and inf as NaN, Infinity. */
static void add_real(struct strbuf *sb, double d)
{
	if (isnan(d)) {
		sb_addstr(sb, "NaN");
		return;
	}
	if (isinf(d)) {
		sb_addstr(sb, d < 0 ? "-Infinity" : "Infinity");
		return;
	}
	if (signbit(d)) {
		sb_addch(sb, '-');
		d = -d;
	}
	if (d == 0) {
		sb_addstr(sb, "0.0");
		return;
	}
	char digits[24];
	size_t n;
	int decpt = shortest_digits(d, digits, &n) + 1;
	if (decpt <= -4 || decpt > 16) {
		sb_addch(sb, digits[0]);
		if (n > 1) {
			sb_addch(sb, '.');
			sb_add(sb, digits + 1, n - 1);
		}
		int e = decpt - 1;
		sb_addf(sb, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
	} else if (decpt <= 0) {
		sb_addstr(sb, "0.");
		for (int i = decpt; i < 0; i++)
			sb_addch(sb, '0');
		sb_add(sb, digits, n);
	} else if ((size_t)decpt >= n) {
		sb_add(sb, digits, n);
		for (size_t i = n; i < (size_t)decpt; i++)
			sb_addch(sb, '0');
		sb_addstr(sb, ".0");
	} else {
		sb_add(sb, digits, (size_t)decpt);
		sb_addch(sb, '.');
		sb_add(sb, digits + decpt, n - (size_t)decpt);
	}
}

static void add_value(struct strbuf *sb, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		size_t klen;
		json_t *val;
		bool first = true;
		sb_addch(sb, '{');
		json_object_keylen_foreach((json_t *)v, key, klen, val) {
			if (!first)
				sb_addstr(sb, ", ");
			first = false;
			pyjson_add_string(sb, key, klen);
			sb_addstr(sb, ": ");
			add_value(sb, val);
		}
		sb_addch(sb, '}');
		break;
	}
	case JSON_ARRAY:
		sb_addch(sb, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				sb_addstr(sb, ", ");
			add_value(sb, json_array_get(v, i));
		}
		sb_addch(sb, ']');
		break;
	case JSON_STRING:
		pyjson_add_string(sb, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		sb_addf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		add_real(sb, json_real_value(v));
		break;
	case JSON_TRUE:
		sb_addstr(sb, "true");
		break;
	case JSON_FALSE:
		sb_addstr(sb, "false");
		break;
	case JSON_NULL:
		sb_addstr(sb, "null");
		break;
	}
}

char *pyjson_dumps(const json_t *v)
{
	struct strbuf sb = STRBUF_INIT;
	if (v)
		add_value(&sb, v);
	else
		sb_addstr(&sb, "null");
	return sb_detach(&sb);
}

json_t *pyjson_str(const char *s)
{
	if (!s)
		return json_null();
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		if (n == 0) {
			sb_add(&sb, "\xef\xbf\xbd", 3);
			i++;
		} else {
			sb_add(&sb, p + i, n);
			i += n;
		}
	}
	json_t *j = json_stringn(sb_str(&sb), sb.len);
	sb_free(&sb);
	return j;
}

void pyjw_init(struct pyjw *w, struct strbuf *sb)
{
	memset(w, 0, sizeof(*w));
	w->sb = sb;
}

/* Before a value: ", " after the container's earlier value (a key has
 * written its own). */
static void value_sep(struct pyjw *w)
{
	if (w->after_key)
		w->after_key = false;
	else if (w->more[w->depth])
		sb_add(w->sb, ", ", 2);
	w->more[w->depth] = true;
}

static void open_container(struct pyjw *w, char c, char close)
{
	value_sep(w);
	sb_addch(w->sb, c);
	assert(w->depth < PYJW_DEPTH);
	w->depth++;
	w->more[w->depth] = false;
	w->closing[w->depth] = close;
}

void pyjw_object(struct pyjw *w)
{
	open_container(w, '{', '}');
}

void pyjw_array(struct pyjw *w)
{
	open_container(w, '[', ']');
}

void pyjw_end(struct pyjw *w)
{
	assert(w->depth > 0);
	sb_addch(w->sb, w->closing[w->depth]);
	w->depth--;
}

void pyjw_key(struct pyjw *w, const char *key)
{
	if (w->more[w->depth])
		sb_add(w->sb, ", ", 2);
	w->more[w->depth] = true;
	pyjson_add_string(w->sb, key, strlen(key));
	sb_add(w->sb, ": ", 2);
	w->after_key = true;
}

void pyjw_str(struct pyjw *w, const char *s)
{
	if (!s) {
		pyjw_null(w);
		return;
	}
	pyjw_strn(w, s, strlen(s));
}

void pyjw_strn(struct pyjw *w, const char *s, size_t len)
{
	value_sep(w);
	pyjson_add_string(w->sb, s, len);
}

void pyjw_int(struct pyjw *w, long long v)
{
	value_sep(w);
	sb_addf(w->sb, "%lld", v);
}

void pyjw_real(struct pyjw *w, double d)
{
	value_sep(w);
	add_real(w->sb, d);
}

void pyjw_tenths(struct pyjw *w, long long tenths)
{
	/* below 10^15 the decimal tenths/10 has at most 15 significant digits
	 * and reads back as the float: its repr (see shortest_digits) */
	if (tenths <= -1000000000000000LL || tenths >= 1000000000000000LL) {
		pyjw_real(w, (double)tenths / 10.0);
		return;
	}
	value_sep(w);
	char buf[24], *p = buf + sizeof(buf);
	unsigned long long a = tenths < 0 ? 0ULL - (unsigned long long)tenths : (unsigned long long)tenths;
	*--p = (char)('0' + a % 10);
	*--p = '.';
	a /= 10;
	do {
		*--p = (char)('0' + a % 10);
		a /= 10;
	} while (a);
	if (tenths < 0)
		*--p = '-';
	sb_add(w->sb, p, (size_t)(buf + sizeof(buf) - p));
}

void pyjw_bool(struct pyjw *w, bool b)
{
	value_sep(w);
	sb_addstr(w->sb, b ? "true" : "false");
}

void pyjw_null(struct pyjw *w)
{
	value_sep(w);
	sb_add(w->sb, "null", 4);
}

void pyjw_kstr(struct pyjw *w, const char *key, const char *s)
{
	pyjw_key(w, key);
	pyjw_str(w, s);
}

void pyjw_kbool(struct pyjw *w, const char *key, bool b)
{
	pyjw_key(w, key);
	pyjw_bool(w, b);
}

void pyjw_kint(struct pyjw *w, const char *key, bool set, long long v)
{
	pyjw_key(w, key);
	if (set)
		pyjw_int(w, v);
	else
		pyjw_null(w);
}
