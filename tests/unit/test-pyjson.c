/* test-pyjson.c: render/pyjson.c against CPython's json.dumps itself
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
#include <unistd.h>

#include <cmocka.h>

#include "bs.h"
#include "render/pyjson.h"
#include "sanitize.h"
#include "strbuf.h"
#include "xalloc.h"

/* --- talking to the oracle ------------------------------------------- */

static void add_hex(struct strbuf *sb, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	sb_addch(sb, 'x');
	for (size_t i = 0; i < n; i++) {
		sb_addch(sb, hex[(unsigned char)s[i] >> 4]);
		sb_addch(sb, hex[(unsigned char)s[i] & 15]);
	}
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "x<hex>" of n chars to a NUL-terminated malloc'd string of *len bytes. */
static char *unhexn(const char *tok, size_t n, size_t *len)
{
	assert_true(n >= 1 && tok[0] == 'x' && n % 2 == 1);
	char *s = xmalloc(n / 2 + 1);
	for (size_t i = 1, j = 0; i < n; i += 2, j++) {
		int hi = hexval(tok[i]), lo = hexval(tok[i + 1]);
		assert_true(hi >= 0 && lo >= 0);
		s[j] = (char)(hi << 4 | lo);
	}
	s[n / 2] = '\0';
	*len = n / 2;
	return s;
}

/* Run $BS_PYTHON tests/oracle/SCRIPT MODE [FILE]: FILE is a temporary file
 * holding input when given, else file (or nothing). Returns its stdout. */
static char *run_oracle(const char *script, const char *mode, const char *file,
			const struct strbuf *input)
{
	const char *py = getenv("BS_PYTHON");
	const char *root = getenv("BS_SOURCE_ROOT");
	if (!py)
		py = "/usr/bin/python3";
	if (!root) {
		fail_msg("BS_SOURCE_ROOT is not set (run through meson test)");
		return NULL;
	}
	char path[] = "/tmp/bs-test-pyjson-XXXXXX";
	if (input) {
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, input->buf, input->len), (ssize_t)input->len);
		close(fd);
		file = path;
	}
	char *cmd = xasprintf("'%s' '%s/tests/oracle/%s' %s%s%s%s", py, root, script, mode,
			      file ? " '" : "", file ? file : "", file ? "'" : "");
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	struct strbuf out = STRBUF_INIT;
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		sb_add(&out, buf, n);
	int st = pclose(p);
	if (input)
		unlink(path);
	if (st != 0)
		fail_msg("oracle failed: %s", cmd);
	free(cmd);
	return sb_detach(&out);
}

/* Next '\n'-terminated line of *p (NUL-terminated in place), NULL at end. */
static char *next_line(char **p)
{
	if (!*p || !**p)
		return NULL;
	char *s = *p, *nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = s + strlen(s);
	}
	return s;
}

static void show(const char *label, const char *s, size_t n)
{
	char *e = sanitize_term_n(s, n, false);
	fprintf(stderr, "  %s: %s\n", label, e);
	free(e);
}

struct texts {
	char **v;
	size_t *len;
	size_t n, cap, lcap;
};

static void texts_add(struct texts *t, const char *s, size_t len)
{
	xgrow(&t->v, &t->cap, t->n + 1, sizeof(*t->v));
	xgrow(&t->len, &t->lcap, t->n + 1, sizeof(*t->len));
	t->v[t->n] = xmalloc(len + 1);
	memcpy(t->v[t->n], s, len);
	t->v[t->n][len] = '\0';
	t->len[t->n++] = len;
}

static void texts_free(struct texts *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t->len);
}

/* Python's json.dumps(json.loads(text)) for each text, against
 * pyjson_dumps of jansson's parse of it. Every text must parse in both. */
static size_t check_dumps(const struct texts *t)
{
	struct strbuf in = STRBUF_INIT;
	for (size_t i = 0; i < t->n; i++) {
		add_hex(&in, t->v[i], t->len[i]);
		sb_addch(&in, '\n');
	}
	char *out = run_oracle("json_oracle.py", "dumps", NULL, &in);
	sb_free(&in);
	char *p = out, *line;
	size_t bad = 0;
	for (size_t i = 0; i < t->n; i++) {
		line = next_line(&p);
		assert_non_null(line);
		json_error_t err;
		json_t *j = json_loadb(t->v[i], t->len[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
		if (!j || strcmp(line, "ERR") == 0) {
			show("text", t->v[i], t->len[i]);
			fail_msg("not a JSON text for both: jansson %s, python %s", j ? "ok" : err.text,
				 line);
		}
		size_t wl;
		char *want = unhexn(line, strlen(line), &wl);
		char *got = pyjson_dumps(j);
		if (strcmp(want, got) != 0 && bad++ < 5) {
			fprintf(stderr, "mismatch:\n");
			show("text", t->v[i], t->len[i]);
			show("python", want, wl);
			show("ours", got, strlen(got));
		}
		free(want);
		free(got);
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
	char *out = run_oracle("json_oracle.py", "corpus", file, NULL);
	free(file);
	struct texts t = { 0 };
	char *p = out, *line;
	while ((line = next_line(&p))) {
		size_t n;
		char *s = unhexn(line, strlen(line), &n);
		texts_add(&t, s, n);
		free(s);
	}
	free(out);
	assert_true(t.n > 80);
	size_t bad = check_dumps(&t);
	fprintf(stderr, "%zu corpus texts compared with json.dumps\n", t.n);
	assert_int_equal(bad, 0);
	texts_free(&t);
}

static uint64_t rng = 4242;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
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
	char *out = run_oracle("json_oracle.py", "floats", NULL, &in);
	sb_free(&in);
	char *p = out, *line;
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		line = next_line(&p);
		assert_non_null(line);
		size_t wl;
		char *want = unhexn(line, strlen(line), &wl);
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
	struct texts t = { 0 };
	for (int i = 0; i < 2000; i++) {
		struct strbuf sb = STRBUF_INIT;
		gen_value(&sb, 0);
		texts_add(&t, sb.buf, sb.len);
		sb_free(&sb);
	}
	size_t bad = check_dumps(&t);
	fprintf(stderr, "%zu random texts compared with json.dumps\n", t.n);
	assert_int_equal(bad, 0);
	texts_free(&t);
}

/* Bytes that are not UTF-8: pyjson_str (and pyjson_dumps of a
 * json_stringn_nocheck string) replace each invalid byte with U+FFFD, as
 * Python's decode with an error handler that replaces one byte at a time
 * (not 'replace', which takes a maximal invalid sequence at once). */
static void test_invalid_utf8_becomes_one_fffd_per_byte(void **state)
{
	(void)state;
	static const char *const fixed[] = {
		"plain", "\xff", "\xc3", "\xc3(", "\xe2\x82", "\xe2\x82(", "\xed\xa0\x80",
		"\xed\xbf\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x80\xaf", "\xf4\x90\x80\x80",
		"\xf8\x88\x80\x80\x80", "\x80\x80", "a\xf0\x9f\x98", "\xf0\x9f\x98\x80\xff",
		"\xef\xbb\xbf", "\xc3\xa9\xe9",
	};
	struct texts t = { 0 };
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		texts_add(&t, fixed[i], strlen(fixed[i]));
	static const unsigned char pick[] = { 'a', 0x7f, 0x80, 0xbf, 0xc2, 0xc3, 0xe0, 0xe2,
					      0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x9f, 0x98, 1 };
	for (int i = 0; i < 1000; i++) {
		char b[12];
		size_t n = 1 + rnd() % sizeof(b);
		for (size_t k = 0; k < n; k++)
			b[k] = (char)pick[rnd() % sizeof(pick)];
		texts_add(&t, b, n);
	}
	struct strbuf in = STRBUF_INIT;
	for (size_t i = 0; i < t.n; i++) {
		add_hex(&in, t.v[i], t.len[i]);
		sb_addch(&in, '\n');
	}
	char *out = run_oracle("json_oracle.py", "bytes", NULL, &in);
	sb_free(&in);
	char *p = out, *line;
	size_t bad = 0;
	for (size_t i = 0; i < t.n; i++) {
		line = next_line(&p);
		assert_non_null(line);
		char *sp = strchr(line, ' ');
		assert_non_null(sp);
		size_t dl, ul;
		char *want_dump = unhexn(line, (size_t)(sp - line), &dl);
		char *want_utf8 = unhexn(sp + 1, strlen(sp + 1), &ul);

		json_t *s = pyjson_str(t.v[i]);
		json_t *raw = json_stringn_nocheck(t.v[i], t.len[i]);
		char *d1 = pyjson_dumps(s), *d2 = pyjson_dumps(raw);
		bool same = json_is_string(s) && json_string_length(s) == ul &&
			    memcmp(json_string_value(s), want_utf8, ul) == 0 &&
			    strcmp(d1, want_dump) == 0 && strcmp(d2, want_dump) == 0;
		if (!same && bad++ < 5) {
			show("bytes", t.v[i], t.len[i]);
			show("python", want_dump, dl);
			show("pyjson_str", d1, strlen(d1));
			show("nocheck", d2, strlen(d2));
		}
		free(d1);
		free(d2);
		json_decref(s);
		json_decref(raw);
		free(want_dump);
		free(want_utf8);
	}
	free(out);
	texts_free(&t);
	assert_int_equal(bad, 0);
	/* NULL is None */
	json_t *n = pyjson_str(NULL);
	assert_true(json_is_null(n));
	char *d = pyjson_dumps(n);
	assert_string_equal(d, "null");
	free(d);
	json_decref(n);
}

/* A key holding NUL (which jansson's parser refuses, so built here). */
static void test_nul_in_key_dumps_like_python(void **state)
{
	(void)state;
	static const char text[] = "{\"k\\u0000ey\": \"v\\u0000\", \"\\u0000\": [1.0]}";
	struct strbuf in = STRBUF_INIT;
	add_hex(&in, text, strlen(text));
	sb_addch(&in, '\n');
	char *out = run_oracle("json_oracle.py", "dumps", NULL, &in);
	sb_free(&in);
	char *p = out;
	char *line = next_line(&p);
	assert_non_null(line);
	size_t wl;
	char *want = unhexn(line, strlen(line), &wl);
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
		cmocka_unit_test(test_random_values_dump_like_python),
		cmocka_unit_test(test_invalid_utf8_becomes_one_fffd_per_byte),
		cmocka_unit_test(test_nul_in_key_dumps_like_python),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
