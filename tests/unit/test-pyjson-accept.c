/* test-pyjson-accept.c: core/pyjson_accept.c against CPython's json.loads
 * itself (tests/oracle/json_oracle.py run by $BS_PYTHON), and its depth limit
 * against Debian's own /usr/bin/barbican-status. Every expected verdict
 * comes from Python at test time; each test sends all its texts in one
 * batch. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bs.h"
#include "oracle-util.h"
#include "pyjson_accept.h"
#include "strbuf.h"
#include "xalloc.h"

static void texts_add_sb(struct oracle_texts *t, struct strbuf *sb)
{
	oracle_texts_add(t, sb_str(sb), sb->len);
	sb_free(sb);
}

static const char *verdict_name(enum pyjson_verdict v)
{
	return v == PYJSON_VALID ? "valid" : v == PYJSON_INVALID ? "invalid" : "too deep";
}

struct tally {
	size_t valid, invalid, deep, not_utf8;
};

/* json.loads's verdict on every text against pyjson_accepts'. Texts that
 * are not UTF-8 (Python answers U: is_json would fail reading the file)
 * must come out PYJSON_INVALID, as pyjson_accept.h says. */
static size_t check_verdicts(const struct oracle_texts *t, struct tally *tl)
{
	char *out = oracle_run_texts("json_oracle.py", "loads", t);
	char *p = out, *line;
	size_t bad = 0;
	memset(tl, 0, sizeof(*tl));
	for (size_t i = 0; i < t->n; i++) {
		line = oracle_answer(&p);
		enum pyjson_verdict want;
		switch (line[0]) {
		case 'V': want = PYJSON_VALID, tl->valid++; break;
		case 'I': want = PYJSON_INVALID, tl->invalid++; break;
		case 'R': want = PYJSON_TOO_DEEP, tl->deep++; break;
		case 'U': want = PYJSON_INVALID, tl->not_utf8++; break;
		default: fail_msg("oracle said %s", line); return 1;
		}
		enum pyjson_verdict got = pyjson_accepts(t->v[i], t->len[i]);
		if (got != want && bad++ < 8) {
			fprintf(stderr, "json.loads: %s (%c), pyjson_accepts: %s\n",
				verdict_name(want), line[0], verdict_name(got));
			oracle_show("text", t->v[i], t->len[i], 300);
		}
	}
	free(out);
	return bad;
}

/* Every file of the fuzz target's seed corpus, raw. */
static size_t add_seed_corpus(struct oracle_texts *t)
{
	char *dir = xasprintf("%s/tests/fuzz/corpus/pyjson-accept", getenv("BS_SOURCE_ROOT"));
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	size_t n = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		struct strbuf sb = STRBUF_INIT;
		char buf[4096];
		size_t k;
		while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
			sb_add(&sb, buf, k);
		fclose(f);
		texts_add_sb(t, &sb);
		free(path);
		n++;
	}
	closedir(d);
	free(dir);
	return n;
}

static void nest(struct strbuf *sb, size_t depth, bool objects, const char *inner)
{
	for (size_t i = 0; i < depth; i++)
		sb_addstr(sb, objects ? "{\"k\":" : "[");
	sb_addstr(sb, inner);
	for (size_t i = 0; i < depth; i++)
		sb_addch(sb, objects ? '}' : ']');
}

/* tests/data/json/accept.txt (NaN and Infinity, leading zeros, '+1', '.5',
 * '1.', '1e', control characters in strings, lone surrogates, bad escapes,
 * trailing commas, \x0b \x0c NBSP and other non-JSON whitespace, BOM,
 * top-level scalars), the fuzz seed corpus, the empty text, and nesting
 * 100 and 5000 deep. */
static void test_corpus_verdicts_match_json_loads(void **state)
{
	(void)state;
	struct oracle_texts t = { 0 };
	char *file = xasprintf("%s/tests/data/json/accept.txt", getenv("BS_SOURCE_ROOT"));
	oracle_add_corpus(&t, "json_oracle.py", file);
	free(file);
	size_t seeds = add_seed_corpus(&t);
	oracle_texts_add(&t, "", 0);
	oracle_texts_add(&t, " \t\r\n", 4);
	for (int objects = 0; objects <= 1; objects++) {
		struct strbuf sb = STRBUF_INIT;
		nest(&sb, 100, objects, "1");
		texts_add_sb(&t, &sb);
		nest(&sb, 100, objects, "");
		texts_add_sb(&t, &sb);
		nest(&sb, 5000, objects, "1");
		texts_add_sb(&t, &sb);
		/* an error before the depth is reached wins */
		sb_addstr(&sb, "[1 ");
		nest(&sb, 5000, objects, "1");
		texts_add_sb(&t, &sb);
		/* and a deep one before a later error raises RecursionError */
		nest(&sb, 5000, objects, "1");
		sb_addstr(&sb, "garbage");
		texts_add_sb(&t, &sb);
	}
	struct tally tl;
	size_t bad = check_verdicts(&t, &tl);
	fprintf(stderr, "%zu texts (%zu seed files) compared with json.loads: %zu valid, "
		"%zu invalid, %zu too deep\n", t.n, seeds, tl.valid, tl.invalid, tl.deep);
	assert_true(tl.valid > 50 && tl.invalid > 100 && tl.deep >= 4);
	assert_int_equal(bad, 0);
	oracle_texts_free(&t);
}

/* int() refuses more than 4300 digits (ValueError, so is_json says no);
 * floats have no such limit. */
static void test_long_numbers_match_json_loads(void **state)
{
	(void)state;
	static const size_t digits[] = { 1, 640, 641, 4299, 4300, 4301, 5000 };
	struct oracle_texts t = { 0 };
	for (size_t i = 0; i < ARRAY_SIZE(digits); i++) {
		static const char *const forms[][2] = {
			{ "", "" }, { "-", "" }, { "[", "]" }, { "", ".5" }, { "-", "e1" }, { "", "E-1" },
			{ "{\"a\": -", "}" }, { "", "." }, { "[", ", 1]" },
		};
		for (size_t f = 0; f < ARRAY_SIZE(forms); f++) {
			struct strbuf sb = STRBUF_INIT;
			sb_addstr(&sb, forms[f][0]);
			sb_addch(&sb, '9');
			for (size_t k = 1; k < digits[i]; k++)
				sb_addch(&sb, (char)('0' + k % 10));
			sb_addstr(&sb, forms[f][1]);
			texts_add_sb(&t, &sb);
		}
	}
	struct tally tl;
	assert_int_equal(check_verdicts(&t, &tl), 0);
	assert_true(tl.valid > 0 && tl.invalid > 0);
	oracle_texts_free(&t);
}

static uint64_t rng = 99;

static uint64_t rnd(void)
{
	return oracle_rand(&rng);
}

static const char *const ws_pieces[] = { "", "", "", " ", "\t", "\n", "\r\n", "  " };

static void gen_ws(struct strbuf *sb)
{
	sb_addstr(sb, ws_pieces[rnd() % ARRAY_SIZE(ws_pieces)]);
}

static void gen_value(struct strbuf *sb, int depth)
{
	static const char *const scalars[] = {
		"null", "true", "false", "NaN", "Infinity", "-Infinity", "0", "-0", "1", "-12",
		"3.25", "-0.5e10", "1E-3", "6.02e+23", "\"\"", "\"a\"", "\"\\u00e9\\n\"",
		"\"\\ud83d\\ude00\"", "\"\\ud800\"", "\"caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80\"",
		"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\x7f\"", "123456789012345678901234567890",
	};
	unsigned k = (unsigned)(rnd() % (depth < 8 ? 10 : 6));
	if (k < 6) {
		sb_addstr(sb, scalars[rnd() % ARRAY_SIZE(scalars)]);
		return;
	}
	bool obj = k >= 8;
	sb_addch(sb, obj ? '{' : '[');
	size_t n = rnd() % 4;
	for (size_t i = 0; i < n; i++) {
		gen_ws(sb);
		if (i) {
			sb_addch(sb, ',');
			gen_ws(sb);
		}
		if (obj) {
			sb_addstr(sb, rnd() % 2 ? "\"k\"" : "\"\\u006b\xc3\xa9\"");
			gen_ws(sb);
			sb_addch(sb, ':');
			gen_ws(sb);
		}
		gen_value(sb, depth + 1);
	}
	gen_ws(sb);
	sb_addch(sb, obj ? '}' : ']');
}

/* A mutation: a byte changed, inserted or deleted, a piece spliced in. */
static void mutate(struct strbuf *sb)
{
	static const char *const bits[] = {
		",", ":", "[", "]", "{", "}", "\"", "\\", "\\u", "\\ud800", "\\x", "-", "+", ".",
		"0", "1", "e", "E", "NaN", "Infinity", "-Infinity", "null", " ", "\t", "\n", "\r",
		"\x0b", "\x0c", "\x00", "\x01", "\x1f", "\x7f", "\xc2\xa0", "\xef\xbb\xbf",
		"\xe2\x80\xa8", "'", "//", "tru", "\xc3", "\xff",
	};
	int rounds = 1 + (int)(rnd() % 3);
	for (int r = 0; r < rounds; r++) {
		size_t at = sb->len ? rnd() % (sb->len + 1) : 0;
		struct strbuf nb = STRBUF_INIT;
		sb_add(&nb, sb->buf ? sb->buf : "", at);
		switch (rnd() % 3) {
		case 0: { /* insert */
			const char *b = bits[rnd() % ARRAY_SIZE(bits)];
			sb_add(&nb, b, b[0] ? strlen(b) : 1);
			sb_add(&nb, sb_str(sb) + at, sb->len - at);
			break;
		}
		case 1: /* delete 1..3 */
			if (at < sb->len) {
				size_t n = 1 + rnd() % 3;
				if (n > sb->len - at)
					n = sb->len - at;
				sb_add(&nb, sb->buf + at + n, sb->len - at - n);
			}
			break;
		default: { /* replace one byte */
			const char *b = bits[rnd() % ARRAY_SIZE(bits)];
			sb_add(&nb, b, b[0] ? strlen(b) : 1);
			if (at < sb->len)
				sb_add(&nb, sb->buf + at + 1, sb->len - at - 1);
			break;
		}
		}
		sb_free(sb);
		*sb = nb;
	}
}

/* 5000 texts from a fixed seed: generated JSON (valid, with every kind
 * of value, whitespace and nesting below 20), as is or mutated. */
static void test_random_texts_match_json_loads(void **state)
{
	(void)state;
	struct oracle_texts t = { 0 };
	for (int i = 0; i < 5000; i++) {
		struct strbuf sb = STRBUF_INIT;
		gen_ws(&sb);
		gen_value(&sb, 0);
		gen_ws(&sb);
		if (i % 3)
			mutate(&sb);
		texts_add_sb(&t, &sb);
	}
	struct tally tl;
	size_t bad = check_verdicts(&t, &tl);
	fprintf(stderr, "%zu random texts compared with json.loads: %zu valid, %zu invalid, "
		"%zu not UTF-8\n", t.n, tl.valid, tl.invalid, tl.not_utf8);
	assert_true(tl.valid > 1000 && tl.invalid > 1000);
	assert_int_equal(bad, 0);
	oracle_texts_free(&t);
}

/* Where RecursionError starts depends on the Python frames below
 * json.loads, so the reference is Barbican's own command: a policy file
 * that loads is JSON (Failure, exit 2), one that does not is not (Success,
 * 0), and a RecursionError is an error (255). */
static void test_depth_limit_matches_barbican_status(void **state)
{
	(void)state;
	static const char bs[] = "/usr/bin/barbican-status";
	if (access(bs, X_OK) != 0) {
		fprintf(stderr, "%s is not installed\n", bs);
		fail_msg("/usr/bin/barbican-status is needed as the reference (scripts/install-deps.sh --test)");
	}
	struct {
		size_t depth;
		bool objects;
		const char *inner;
	} cases[] = {
		{ PYJSON_MAX_DEPTH, false, "1" },
		{ PYJSON_MAX_DEPTH + 1, false, "1" },
		{ PYJSON_MAX_DEPTH, true, "1" },
		{ PYJSON_MAX_DEPTH + 1, true, "x" }, /* too deep before the error */
	};
	char dir[] = "/tmp/bs-test-depth-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct strbuf cmd = STRBUF_INIT;
	sb_addstr(&cmd, "for i in");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct strbuf sb = STRBUF_INIT;
		nest(&sb, cases[i].depth, cases[i].objects, cases[i].inner);
		char *path = xasprintf("%s/p%zu.json", dir, i);
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		fwrite(sb.buf, 1, sb.len, f);
		fclose(f);
		char *conf = xasprintf("%s/c%zu.conf", dir, i);
		f = fopen(conf, "w");
		assert_non_null(f);
		fprintf(f, "[oslo_policy]\npolicy_file = %s\n", path);
		fclose(f);
		free(path);
		free(conf);
		sb_free(&sb);
		sb_addf(&cmd, " %zu", i);
	}
	sb_addf(&cmd, "; do (%s --config-file '%s'/c$i.conf upgrade check >/dev/null 2>&1; "
		"echo $i $?) & done; wait", bs, dir);
	FILE *p = popen(cmd.buf, "r");
	sb_free(&cmd);
	int rcs[ARRAY_SIZE(cases)];
	size_t got = 0;
	char line[64];
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		rcs[i] = -1;
	while (p && fgets(line, sizeof(line), p)) {
		char *end;
		size_t i = strtoul(line, &end, 10);
		if (i < ARRAY_SIZE(cases)) {
			rcs[i] = (int)strtol(end, NULL, 10);
			got++;
		}
	}
	int st = p ? pclose(p) : -1;
	/* clean up before anything can fail */
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *path = xasprintf("%s/p%zu.json", dir, i);
		unlink(path);
		free(path);
		path = xasprintf("%s/c%zu.conf", dir, i);
		unlink(path);
		free(path);
	}
	rmdir(dir);
	assert_int_equal(st, 0);
	assert_int_equal(got, ARRAY_SIZE(cases));

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_true(rcs[i] == 0 || rcs[i] == 2 || rcs[i] == 255);
		enum pyjson_verdict want = rcs[i] == 2 ? PYJSON_VALID :
					   rcs[i] == 0 ? PYJSON_INVALID : PYJSON_TOO_DEEP;
		struct strbuf sb = STRBUF_INIT;
		nest(&sb, cases[i].depth, cases[i].objects, cases[i].inner);
		enum pyjson_verdict v = pyjson_accepts(sb.buf, sb.len);
		sb_free(&sb);
		if (v != want)
			fprintf(stderr, "depth %zu %s inner %s: barbican-status %s, ours %s\n",
				cases[i].depth, cases[i].objects ? "objects" : "arrays",
				cases[i].inner, verdict_name(want), verdict_name(v));
		assert_int_equal(v, want);
	}
}

/* Outside Python's domain (the file would not decode): PYJSON_INVALID,
 * wherever the bad byte is; also NULL. */
static void test_invalid_utf8_is_invalid(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"\"\xff\"", "[\"\xc3\"]", "\"\xed\xa0\x80\"", "\"\xc0\x80\"", "1\xff", "\xfe",
		"[\"\xf0\x9f\x98\"]",
	};
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		assert_int_equal(pyjson_accepts(texts[i], strlen(texts[i])), PYJSON_INVALID);
	assert_int_equal(pyjson_accepts(NULL, 0), PYJSON_INVALID);
	/* the length counts, not a NUL */
	assert_int_equal(pyjson_accepts("[1]xyz", 3), PYJSON_VALID);
	assert_int_equal(pyjson_accepts("\"a\0\"", 4), PYJSON_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_verdicts_match_json_loads),
		cmocka_unit_test(test_long_numbers_match_json_loads),
		cmocka_unit_test(test_random_texts_match_json_loads),
		cmocka_unit_test(test_depth_limit_matches_barbican_status),
		cmocka_unit_test(test_invalid_utf8_is_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
