/* test-pyjson.c: render/pyjson.c (pyjson_dumps and the writer, pyjw)
 * against CPython's json.dumps itself
 * (tests/oracle/json_oracle.py run by $BS_PYTHON): the same value, built with
 * jansson from a JSON text here and by json.loads there, must be written
 * byte for byte alike. Every expected value comes from Python at test time;
 * each test sends all its cases in one batch. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bs.h"
#include "oracle-util.h"
#include "render/pyjson.h"
#include "strbuf.h"
#include "xalloc.h"

/* A jansson value through the writer (pyjw), as node_write writes. */
static void walk(struct pyjw *w, const json_t *v)
{
	const char *key;
	json_t *val;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		pyjw_object(w);
		json_object_foreach((json_t *)v, key, val) {
			pyjw_key(w, key);
			walk(w, val);
		}
		pyjw_end(w);
		break;
	case JSON_ARRAY:
		pyjw_array(w);
		for (size_t i = 0; i < json_array_size(v); i++)
			walk(w, json_array_get(v, i));
		pyjw_end(w);
		break;
	case JSON_STRING: pyjw_strn(w, json_string_value(v), json_string_length(v)); break;
	case JSON_INTEGER: pyjw_int(w, json_integer_value(v)); break;
	case JSON_REAL: pyjw_real(w, json_real_value(v)); break;
	case JSON_TRUE: pyjw_bool(w, true); break;
	case JSON_FALSE: pyjw_bool(w, false); break;
	case JSON_NULL: pyjw_null(w); break;
	}
}

static char *written(const json_t *v)
{
	struct strbuf sb = STRBUF_INIT;
	struct pyjw w;
	pyjw_init(&w, &sb);
	walk(&w, v);
	assert_int_equal(w.depth, 0);
	return sb_detach(&sb);
}

/* Python's json.dumps(json.loads(text)) for each text, against
 * pyjson_dumps of jansson's parse of it and against the same value written
 * by the writer (pyjw). Every text must parse in both. */
static size_t check_dumps(const struct oracle_texts *t)
{
	char *out = oracle_run_texts("json_oracle.py", "dumps", t);
	char *p = out, *line;
	size_t bad = 0;
	for (size_t i = 0; i < t->n; i++) {
		line = oracle_answer(&p);
		json_error_t err;
		json_t *j = json_loadb(t->v[i], t->len[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
		if (!j || strcmp(line, "ERR") == 0) {
			oracle_show("text", t->v[i], t->len[i], 0);
			fail_msg("not a JSON text for both: jansson %s, python %s", j ? "ok" : err.text,
				 line);
		}
		size_t wl;
		char *want = oracle_unhex(line, strlen(line), &wl);
		char *got = pyjson_dumps(j), *w = written(j);
		if ((strcmp(want, got) != 0 || strcmp(want, w) != 0) && bad++ < 5) {
			fprintf(stderr, "mismatch:\n");
			oracle_show("text", t->v[i], t->len[i], 0);
			oracle_show("python", want, wl, 0);
			oracle_show("ours", got, strlen(got), 0);
			oracle_show("writer", w, strlen(w), 0);
		}
		free(want);
		free(got);
		free(w);
		json_decref(j);
	}
	free(out);
	return bad;
}

/* Scalars (ints to the 64-bit edges, floats across repr's cases), strings
 * with control characters, DEL, NUL, non-ASCII, astral characters, the
 * short escapes, and structures (order, duplicate keys, nesting, spacing)
 * from tests/data/json/dumps.txt. */
static void test_corpus_dumps_like_python(void **state)
{
	(void)state;
	char *file = xasprintf("%s/tests/data/json/dumps.txt", getenv("BS_SOURCE_ROOT"));
	struct oracle_texts t = { 0 };
	oracle_add_corpus(&t, "json_oracle.py", file);
	free(file);
	assert_true(t.n > 80);
	size_t bad = check_dumps(&t);
	fprintf(stderr, "%zu corpus texts compared with json.dumps\n", t.n);
	assert_int_equal(bad, 0);
	oracle_texts_free(&t);
}

static uint64_t rng = 4242;

static uint64_t rnd(void)
{
	return oracle_rand(&rng);
}

/* float.__repr__ through json.dumps for 30000 doubles: random bit
 * patterns, every power of two (the lopsided rounding intervals), short
 * decimals, and the neighbours of repr's switch to exponents (1e16, 1e-4). */
static void test_float_repr_like_python(void **state)
{
	(void)state;
	double *d = xcalloc(40000, sizeof(*d));
	size_t n = 0;
	for (int e = -1074; e <= 1023; e++)
		d[n++] = ldexp(1.0, e);
	for (int i = 0; i < 20000; i++) {
		uint64_t bits = rnd();
		double x;
		memcpy(&x, &bits, sizeof(x));
		if (isfinite(x))
			d[n++] = x;
	}
	for (int i = 0; i < 4000; i++) {
		/* k / 10^j: what people write */
		double x = (double)(rnd() % 100000) / pow(10, (double)(rnd() % 12));
		d[n++] = rnd() % 2 ? x : -x;
	}
	static const double edges[] = { 1e16, 1e-4, 1e-5, 1e15, 1e17, 0.0001, 1e22, 1e23,
					9007199254740992.0, 9007199254740993.0, 0.1, 0.2, 0.3 };
	for (size_t i = 0; i < ARRAY_SIZE(edges); i++) {
		d[n++] = edges[i];
		d[n++] = nextafter(edges[i], 0);
		d[n++] = nextafter(edges[i], INFINITY);
	}
	d[n++] = DBL_MAX;
	d[n++] = -0.0;
	d[n++] = 5e-324;

	struct strbuf in = STRBUF_INIT;
	for (size_t i = 0; i < n; i++)
		sb_addf(&in, "%a\n", d[i]);
	char *out = oracle_run("json_oracle.py", &in, "floats", NULL);
	sb_free(&in);
	char *p = out, *line;
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		line = oracle_answer(&p);
		size_t wl;
		char *want = oracle_unhex(line, strlen(line), &wl);
		json_t *j = json_real(d[i]);
		char *got = pyjson_dumps(j);
		if (strcmp(want, got) != 0 && bad++ < 10)
			fprintf(stderr, "%a: python %s, ours %s\n", d[i], want, got);
		free(want);
		free(got);
		json_decref(j);
	}
	free(out);
	free(d);
	fprintf(stderr, "%zu doubles compared with repr\n", n);
	assert_int_equal(bad, 0);
}

/* A latency in tenths of a millisecond (pyjw_tenths) as json.dumps writes
 * I / 10, for every I a float holds exactly (up to 2^53): each length of
 * integer, both signs, the edge of the digit path (10^15, beyond which it
 * goes as any float) and random ones. */
static void test_tenths_like_python(void **state)
{
	(void)state;
	long long v[4000];
	size_t n = 0;
	long long p10 = 1;
	for (int e = 0; e <= 15; e++, p10 *= 10) {
		long long near[] = { p10 - 1, p10, p10 + 1 };
		for (size_t i = 0; i < ARRAY_SIZE(near); i++) {
			v[n++] = near[i];
			v[n++] = -near[i];
		}
	}
	v[n++] = 9007199254740992LL; /* 2^53 */
	v[n++] = -9007199254740991LL;
	while (n < ARRAY_SIZE(v)) {
		/* mostly what latencies are (0.0 to 100 s), some of any size */
		long long x = n % 4 ? (long long)(rnd() % 1000000) : (long long)(rnd() >> (11 + rnd() % 53));
		v[n++] = rnd() % 8 ? x : -x;
	}
	struct strbuf in = STRBUF_INIT;
	for (size_t i = 0; i < n; i++)
		sb_addf(&in, "%lld\n", v[i]);
	char *out = oracle_run("json_oracle.py", &in, "tenths", NULL);
	sb_free(&in);
	char *p = out;
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		char *line = oracle_answer(&p);
		size_t wl;
		char *want = oracle_unhex(line, strlen(line), &wl);
		struct strbuf sb = STRBUF_INIT;
		struct pyjw w;
		pyjw_init(&w, &sb);
		pyjw_tenths(&w, v[i]);
		if (strcmp(want, sb_str(&sb)) != 0 && bad++ < 10)
			fprintf(stderr, "%lld / 10: python %s, ours %s\n", v[i], want, sb_str(&sb));
		sb_free(&sb);
		free(want);
	}
	free(out);
	fprintf(stderr, "%zu tenths compared with json.dumps\n", n);
	assert_int_equal(bad, 0);
}

/* Random JSON texts: nesting, keys, strings of every kind of code point
 * (raw UTF-8 and \u escapes, astral ones as pairs), integers, floats. */
static void gen_string(struct strbuf *sb, bool key)
{
	sb_addch(sb, '"');
	size_t n = rnd() % 8;
	for (size_t i = 0; i < n; i++) {
		uint32_t cp;
		switch (rnd() % 6) {
		case 0: cp = (uint32_t)(rnd() % 0x80); break;
		case 1: cp = (uint32_t)(0x20 + rnd() % 0x5f); break;
		case 2: cp = (uint32_t)(0x80 + rnd() % 0x780); break;
		case 3: cp = (uint32_t)(0x800 + rnd() % 0xf800); break;
		case 4: cp = (uint32_t)(0x10000 + rnd() % 0x100000); break;
		default: cp = "\"\\/\b\f\n\r\t\x7f"[rnd() % 9]; break;
		}
		if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0xfffd;
		if (key && cp == 0)
			cp = 1; /* jansson's parser takes no NUL in keys */
		if (cp < 0x20 || cp == '"' || cp == '\\' || rnd() % 3 == 0) {
			if (cp >= 0x10000) {
				uint32_t v = cp - 0x10000;
				sb_addf(sb, "\\u%04X\\u%04x", 0xd800 | (v >> 10), 0xdc00 | (v & 0x3ff));
			} else {
				sb_addf(sb, rnd() % 2 ? "\\u%04x" : "\\u%04X", cp);
			}
		} else {
			char u[4];
			size_t k;
			if (cp < 0x80) {
				u[0] = (char)cp;
				k = 1;
			} else if (cp < 0x800) {
				u[0] = (char)(0xc0 | cp >> 6);
				u[1] = (char)(0x80 | (cp & 0x3f));
				k = 2;
			} else if (cp < 0x10000) {
				u[0] = (char)(0xe0 | cp >> 12);
				u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
				u[2] = (char)(0x80 | (cp & 0x3f));
				k = 3;
			} else {
				u[0] = (char)(0xf0 | cp >> 18);
				u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
				u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
				u[3] = (char)(0x80 | (cp & 0x3f));
				k = 4;
			}
			sb_add(sb, u, k);
		}
	}
	sb_addch(sb, '"');
}

static void gen_value(struct strbuf *sb, int depth)
{
	switch (rnd() % (depth < 6 ? 9 : 7)) {
	case 0: sb_addstr(sb, "null"); break;
	case 1: sb_addstr(sb, rnd() % 2 ? "true" : "false"); break;
	case 2: sb_addf(sb, "%lld", (long long)(rnd() >> (rnd() % 64)) * (rnd() % 2 ? 1 : -1)); break;
	case 3: {
		uint64_t bits = rnd();
		double x;
		memcpy(&x, &bits, sizeof(x));
		if (!isfinite(x))
			x = 1.5;
		size_t start = sb->len;
		sb_addf(sb, "%.17g", x);
		if (!strpbrk(sb->buf + start, ".e") && rnd() % 2)
			sb_addstr(sb, ".0");
		break;
	}
	case 4: sb_addf(sb, "%.*f", (int)(rnd() % 6), (double)(rnd() % 1000000) / 1000); break;
	case 5:
	case 6: gen_string(sb, false); break;
	case 7: {
		sb_addch(sb, '[');
		size_t n = rnd() % 5;
		for (size_t i = 0; i < n; i++) {
			if (i)
				sb_addstr(sb, rnd() % 2 ? "," : " , ");
			gen_value(sb, depth + 1);
		}
		sb_addch(sb, ']');
		break;
	}
	default: {
		sb_addch(sb, '{');
		size_t n = rnd() % 5;
		for (size_t i = 0; i < n; i++) {
			if (i)
				sb_addstr(sb, ",");
			gen_string(sb, true);
			sb_addstr(sb, rnd() % 2 ? ":" : " :\t");
			gen_value(sb, depth + 1);
		}
		sb_addch(sb, '}');
		break;
	}
	}
}

static void test_random_values_dump_like_python(void **state)
{
	(void)state;
	struct oracle_texts t = { 0 };
	for (int i = 0; i < 2000; i++) {
		struct strbuf sb = STRBUF_INIT;
		gen_value(&sb, 0);
		oracle_texts_add(&t, sb.buf, sb.len);
		sb_free(&sb);
	}
	size_t bad = check_dumps(&t);
	fprintf(stderr, "%zu random texts compared with json.dumps\n", t.n);
	assert_int_equal(bad, 0);
	oracle_texts_free(&t);
}

/* Bytes that are not UTF-8: pyjson_str (and pyjson_dumps of a
 * json_stringn_nocheck string) replace each invalid byte with U+FFFD, as
 * Python's decode with an error handler that replaces one byte at a time
 * (not 'replace', which takes a maximal invalid sequence at once). */
/* The writer reads plain ASCII eight bytes at a time: every byte value at
 * every place of strings of 19 and 24 bytes (whole words and a tail) must
 * come out as json.dumps writes it, escaped, \ufffd or as is. */
static void test_every_byte_at_every_place_dumps_like_python(void **state)
{
	(void)state;
	struct oracle_texts t = { 0 };
	static const size_t lens[] = { 19, 24 };
	for (size_t l = 0; l < ARRAY_SIZE(lens); l++)
		for (size_t at = 0; at < lens[l]; at++)
			for (int v = 0; v < 256; v++) {
				char b[24];
				for (size_t k = 0; k < lens[l]; k++)
					b[k] = (char)('a' + k % 26);
				b[at] = (char)v;
				oracle_texts_add(&t, b, lens[l]);
			}
	char *out = oracle_run_texts("json_oracle.py", "bytes", &t);
	char *p = out;
	size_t bad = 0;
	for (size_t i = 0; i < t.n; i++) {
		char *line = oracle_answer(&p);
		char *sp = strchr(line, ' ');
		assert_non_null(sp);
		size_t dl;
		char *want = oracle_unhex(line, (size_t)(sp - line), &dl);
		struct strbuf sb = STRBUF_INIT;
		pyjson_add_string(&sb, t.v[i], t.len[i]);
		if (strcmp(sb_str(&sb), want) != 0 && bad++ < 5) {
			oracle_show("bytes", t.v[i], t.len[i], 0);
			oracle_show("python", want, dl, 0);
			oracle_show("ours", sb_str(&sb), sb.len, 0);
		}
		sb_free(&sb);
		free(want);
	}
	free(out);
	fprintf(stderr, "%zu strings compared with json.dumps\n", t.n);
	oracle_texts_free(&t);
	assert_int_equal(bad, 0);
}

static void test_invalid_utf8_becomes_one_fffd_per_byte(void **state)
{
	(void)state;
	static const char *const fixed[] = {
		"plain", "\xff", "\xc3", "\xc3(", "\xe2\x82", "\xe2\x82(", "\xed\xa0\x80",
		"\xed\xbf\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x80\xaf", "\xf4\x90\x80\x80",
		"\xf8\x88\x80\x80\x80", "\x80\x80", "a\xf0\x9f\x98", "\xf0\x9f\x98\x80\xff",
		"\xef\xbb\xbf", "\xc3\xa9\xe9",
	};
	struct oracle_texts t = { 0 };
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		oracle_texts_add(&t, fixed[i], strlen(fixed[i]));
	static const unsigned char pick[] = { 'a', 0x7f, 0x80, 0xbf, 0xc2, 0xc3, 0xe0, 0xe2,
					      0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x9f, 0x98, 1 };
	for (int i = 0; i < 1000; i++) {
		char b[12];
		size_t n = 1 + rnd() % sizeof(b);
		for (size_t k = 0; k < n; k++)
			b[k] = (char)pick[rnd() % sizeof(pick)];
		oracle_texts_add(&t, b, n);
	}
	char *out = oracle_run_texts("json_oracle.py", "bytes", &t);
	char *p = out, *line;
	size_t bad = 0;
	for (size_t i = 0; i < t.n; i++) {
		line = oracle_answer(&p);
		char *sp = strchr(line, ' ');
		assert_non_null(sp);
		size_t dl, ul;
		char *want_dump = oracle_unhex(line, (size_t)(sp - line), &dl);
		char *want_utf8 = oracle_unhex(sp + 1, strlen(sp + 1), &ul);

		json_t *s = pyjson_str(t.v[i]);
		json_t *raw = json_stringn_nocheck(t.v[i], t.len[i]);
		char *d1 = pyjson_dumps(s), *d2 = pyjson_dumps(raw);
		struct strbuf wb = STRBUF_INIT;
		struct pyjw w;
		pyjw_init(&w, &wb);
		pyjw_str(&w, t.v[i]);
		bool same = json_is_string(s) && json_string_length(s) == ul &&
			    memcmp(json_string_value(s), want_utf8, ul) == 0 &&
			    strcmp(d1, want_dump) == 0 && strcmp(d2, want_dump) == 0 &&
			    strcmp(sb_str(&wb), want_dump) == 0;
		sb_free(&wb);
		if (!same && bad++ < 5) {
			oracle_show("bytes", t.v[i], t.len[i], 0);
			oracle_show("python", want_dump, dl, 0);
			oracle_show("pyjson_str", d1, strlen(d1), 0);
			oracle_show("nocheck", d2, strlen(d2), 0);
		}
		free(d1);
		free(d2);
		json_decref(s);
		json_decref(raw);
		free(want_dump);
		free(want_utf8);
	}
	free(out);
	oracle_texts_free(&t);
	assert_int_equal(bad, 0);
	/* NULL is None */
	json_t *n = pyjson_str(NULL);
	assert_true(json_is_null(n));
	char *d = pyjson_dumps(n);
	assert_string_equal(d, "null");
	free(d);
	json_decref(n);
	struct strbuf wb = STRBUF_INIT;
	struct pyjw w;
	pyjw_init(&w, &wb);
	pyjw_array(&w);
	pyjw_str(&w, NULL);
	pyjw_str(&w, NULL);
	pyjw_end(&w);
	assert_string_equal(sb_str(&wb), "[null, null]");
	sb_free(&wb);
}

/* A key holding NUL (which jansson's parser refuses, so built here). */
static void test_nul_in_key_dumps_like_python(void **state)
{
	(void)state;
	static const char text[] = "{\"k\\u0000ey\": \"v\\u0000\", \"\\u0000\": [1.0]}";
	struct oracle_texts t = { 0 };
	oracle_texts_add(&t, text, strlen(text));
	char *out = oracle_run_texts("json_oracle.py", "dumps", &t);
	oracle_texts_free(&t);
	char *p = out;
	char *line = oracle_answer(&p);
	size_t wl;
	char *want = oracle_unhex(line, strlen(line), &wl);
	json_t *o = json_object();
	json_object_setn_new(o, "k\0ey", 4, json_stringn("v\0", 2));
	json_object_setn_new(o, "\0", 1, json_pack("[f]", 1.0));
	char *got = pyjson_dumps(o);
	assert_string_equal(got, want);
	free(got);
	free(want);
	free(out);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_dumps_like_python),
		cmocka_unit_test(test_float_repr_like_python),
		cmocka_unit_test(test_tenths_like_python),
		cmocka_unit_test(test_random_values_dump_like_python),
		cmocka_unit_test(test_invalid_utf8_becomes_one_fffd_per_byte),
		cmocka_unit_test(test_every_byte_at_every_place_dumps_like_python),
		cmocka_unit_test(test_nul_in_key_dumps_like_python),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
