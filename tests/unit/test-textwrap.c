/* test-textwrap.c: render/textwrap.c against CPython's textwrap itself
 * (tests/oracle/textwrap_oracle.py run by $BS_PYTHON). Every expected value
 * comes from Python at test time; each test sends all its cases in one batch.
 * The unit is compiled into the test (as nvme-cli does) so that its
 * character classes can be checked code point by code point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../render/textwrap.c"
#include "oracle-util.h"

/* --- talking to the oracle ------------------------------------------- */

/* Next ' '-separated token of *p, its length in *n, NULL at end. */
static const char *next_tok(const char **p, size_t *n)
{
	const char *s = *p;
	if (!*s)
		return NULL;
	const char *sp = strchr(s, ' ');
	*n = sp ? (size_t)(sp - s) : strlen(s);
	*p = sp ? sp + 1 : s + *n;
	return s;
}

/* --- the cases -------------------------------------------------------- */

struct wcase {
	size_t width;
	char *init, *sub, *text;
};

struct cases {
	struct wcase *v;
	size_t n, cap;
};

static void add_case(struct cases *c, const char *text, size_t width, const char *init,
		     const char *sub)
{
	xgrow(&c->v, &c->cap, c->n + 1, sizeof(*c->v));
	c->v[c->n++] = (struct wcase){ width, xstrdup(init), xstrdup(sub), xstrdup(text) };
}

static void free_cases(struct cases *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].init);
		free(c->v[i].sub);
		free(c->v[i].text);
	}
	free(c->v);
}

static void show(const char *label, const char *s)
{
	char *e = sanitize_term(s, false);
	fprintf(stderr, "  %s: \"%s\"\n", label, e);
	free(e);
}

/* Wrap every case with textwrap.wrap and with textwrap_wrap; count the
 * cases that differ (showing the first few). Python's hangs come back as
 * HANG and its ValueError as ERR: the count of each goes to *hangs and
 * *errs, and those cases are checked by the caller. */
static size_t check_cases(const struct cases *c, size_t *hangs, size_t *errs)
{
	struct strbuf in = STRBUF_INIT;
	for (size_t i = 0; i < c->n; i++) {
		sb_addf(&in, "%zu ", c->v[i].width);
		oracle_add_hex(&in, c->v[i].init, strlen(c->v[i].init));
		sb_addch(&in, ' ');
		oracle_add_hex(&in, c->v[i].sub, strlen(c->v[i].sub));
		sb_addch(&in, ' ');
		oracle_add_hex(&in, c->v[i].text, strlen(c->v[i].text));
		sb_addch(&in, '\n');
	}
	char *out = oracle_run("textwrap_oracle.py", &in, "wrap", NULL);
	sb_free(&in);

	size_t bad = 0;
	char *p = out;
	if (hangs)
		*hangs = 0;
	if (errs)
		*errs = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct wcase *w = &c->v[i];
		char *line = oracle_answer(&p);
		size_t n;
		char **got = textwrap_wrap(w->text, w->width, w->init, w->sub, &n);
		if (strcmp(line, "HANG") == 0 || strcmp(line, "ERR") == 0) {
			size_t *count = line[0] == 'H' ? hangs : errs;
			if (!count)
				fail_msg("python: %s for width %zu", line, w->width);
			else
				(*count)++;
			textwrap_free(got, n);
			continue;
		}
		const char *q = line;
		size_t tl;
		const char *tok = next_tok(&q, &tl);
		size_t want_n = (size_t)strtoul(tok, NULL, 10);
		bool same = want_n == n;
		struct strbuf want_fill = STRBUF_INIT;
		for (size_t k = 0; k < want_n; k++) {
			tok = next_tok(&q, &tl);
			assert_non_null(tok);
			char *want = oracle_unhex(tok, tl, NULL);
			if (same && strcmp(want, got[k]) != 0)
				same = false;
			if (k)
				sb_addch(&want_fill, '\n');
			sb_addstr(&want_fill, want);
			free(want);
		}
		/* fill is '\n'.join(wrap) */
		char *fill = textwrap_fill(w->text, w->width, w->init, w->sub);
		if (strcmp(fill, sb_str(&want_fill)) != 0)
			same = false;
		if (!same && bad++ < 5) {
			fprintf(stderr, "mismatch: width %zu\n", w->width);
			show("text", w->text);
			show("initial_indent", w->init);
			show("subsequent_indent", w->sub);
			show("python", sb_str(&want_fill));
			show("ours", fill);
		}
		free(fill);
		sb_free(&want_fill);
		textwrap_free(got, n);
	}
	free(out);
	return bad;
}

/* The texts of tests/data/textwrap/corpus.txt, escapes decoded by the
 * oracle. */
static struct cases corpus_texts(void)
{
	char *file = xasprintf("%s/tests/data/textwrap/corpus.txt", getenv("BS_SOURCE_ROOT"));
	struct oracle_texts t = { 0 };
	oracle_add_corpus(&t, "textwrap_oracle.py", file);
	free(file);
	struct cases c = { NULL, 0, 0 };
	for (size_t i = 0; i < t.n; i++)
		add_case(&c, t.v[i], 0, "", "");
	oracle_texts_free(&t);
	assert_true(c.n >= 40);
	return c;
}

/* --- tests ------------------------------------------------------------ */

/* \w, \d, [^\d\W] and str.isspace() for every code point, as Python's re
 * and str see them. */
static void test_char_classes_match_python_for_every_code_point(void **state)
{
	(void)state;
	uint32_t starts[4096];
	int vals[4096];
	size_t nruns = oracle_read_runs("unicode_tables.py", "pyclass-runs", starts, vals,
					ARRAY_SIZE(starts));
	assert_true(nruns > 100);
	size_t r = 0, bad = 0;
	for (uint32_t cp = 0; cp < 0x110000; cp++) {
		while (r + 1 < nruns && starts[r + 1] <= cp)
			r++;
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		if ((int)pyclass(cp) != vals[r] && bad++ < 5)
			fprintf(stderr, "U+%04X: python class %d, ours %d\n", cp, vals[r],
				(int)pyclass(cp));
	}
	assert_int_equal(bad, 0);
}

static const size_t widths[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 17, 20,
				 25, 30, 35, 40, 50, 60, 70, 80, 120 };

/* The corpus (hyphens, em-dashes, tabs, whitespace runs, Latin-1, Greek,
 * CJK, emoji, U+2014, NBSP and other Unicode spaces, digits of other
 * scripts) at 25 widths and four indent pairs. */
static void test_corpus_matches_textwrap_at_many_widths_and_indents(void **state)
{
	(void)state;
	static const char *const indents[][2] = {
		{ "", "" }, { "", "  " }, { "* ", "  " }, { "\xce\xb1\xce\xb2 ", "" },
	};
	struct cases texts = corpus_texts(), c = { NULL, 0, 0 };
	for (size_t t = 0; t < texts.n; t++) {
		for (size_t w = 0; w < ARRAY_SIZE(widths); w++) {
			for (size_t k = 0; k < ARRAY_SIZE(indents); k++) {
				/* an initial indent as wide as the line can make
				 * Python loop forever: tested on its own below */
				if (cp_len(indents[k][0]) >= widths[w])
					continue;
				add_case(&c, texts.v[t].text, widths[w], indents[k][0], indents[k][1]);
			}
		}
	}
	size_t hangs, errs;
	size_t bad = check_cases(&c, &hangs, &errs);
	fprintf(stderr, "%zu corpus cases compared with textwrap.wrap\n", c.n);
	assert_int_equal(hangs, 0);
	assert_int_equal(errs, 0);
	assert_int_equal(bad, 0);
	free_cases(&c);
	free_cases(&texts);
}

/* What oslo.upgradecheck does with a check's details:
 * textwrap.wrap(details, 60, subsequent_indent='  '). */
static void test_oslo_details_call_matches_textwrap(void **state)
{
	(void)state;
	struct cases texts = corpus_texts(), c = { NULL, 0, 0 };
	for (size_t t = 0; t < texts.n; t++)
		add_case(&c, texts.v[t].text, 60, "", "  ");
	assert_int_equal(check_cases(&c, NULL, NULL), 0);
	free_cases(&c);
	free_cases(&texts);
}

static uint64_t rng = 20240611;

static uint64_t rnd(void)
{
	return oracle_rand(&rng);
}

/* 3000 texts made of the pieces that steer wordsep_re and _wrap_chunks. */
static void test_random_texts_match_textwrap(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"a", "ab", "abc", "word", "longerword", "hyphen-ated", "x-y", "a-b-c",
		"-", "--", "---", " ", " ", " ", "  ", "   ", "\t", "\n", "\r\n", "\v",
		".", ",", "!", "?", "'", "\"", "&", "_", "3", "42", "x3", "\xc3\xa9",
		"\xce\xa9\xce\xb1", "\xe4\xb8\xad\xe6\x96\x87", "\xf0\x9f\x98\x80",
		"\xe2\x80\x94", "\xc2\xa0", "\xe3\x80\x80", "e\xcc\x81", "\x1c", "\xc2\xb2",
		"\xd9\xa3", "\xe2\x85\xa0", "ab--cd", "long-compound-word", "x--", "--y",
	};
	static const char *const inds[] = { "", " ", "  ", "> ", "....", "\xc3\xa9-" };
	struct cases c = { NULL, 0, 0 };
	for (int i = 0; i < 3000; i++) {
		struct strbuf t = STRBUF_INIT;
		size_t n = rnd() % 30;
		for (size_t k = 0; k < n; k++)
			sb_addstr(&t, pieces[rnd() % ARRAY_SIZE(pieces)]);
		size_t width = 1 + rnd() % (rnd() % 4 == 0 ? 60 : 16);
		const char *init, *sub = inds[rnd() % ARRAY_SIZE(inds)];
		do
			init = inds[rnd() % ARRAY_SIZE(inds)];
		while (cp_len(init) >= width && init[0]);
		add_case(&c, sb_str(&t), width, init, sub);
		sb_free(&t);
	}
	size_t hangs, errs;
	size_t bad = check_cases(&c, &hangs, &errs);
	fprintf(stderr, "%zu random cases compared with textwrap.wrap\n", c.n);
	assert_int_equal(hangs + errs, 0);
	assert_int_equal(bad, 0);
	free_cases(&c);
}

/* Every ASCII character (controls included) in each position of the
 * hyphen and em-dash rules: before and after a hyphen, around "--", at the
 * ends of words, at widths that force breaks there. */
static void test_every_ascii_char_in_hyphen_and_dash_contexts(void **state)
{
	(void)state;
	static const char *const templates[] = {
		"ab%c-cd ef", "%c%c-ab cd", "ab-%cb ef", "a%c-b-c de", "xy%c--ab cd", "x--%cy",
		"%c--ab", "ab--%c", "abc%c def", "a%c b%c c", "ab-c%cd-ef", "a-%c-b",
	};
	struct cases c = { NULL, 0, 0 };
	for (int ch = 1; ch < 0x80; ch++) {
		for (size_t k = 0; k < ARRAY_SIZE(templates); k++) {
			struct strbuf sb = STRBUF_INIT;
			for (const char *q = templates[k]; *q; q++) {
				if (q[0] == '%' && q[1] == 'c') {
					sb_addch(&sb, (char)ch);
					q++;
				} else {
					sb_addch(&sb, *q);
				}
			}
			add_case(&c, sb_str(&sb), 3, "", "");
			add_case(&c, sb_str(&sb), 5, "", " ");
			sb_free(&sb);
		}
	}
	assert_int_equal(check_cases(&c, NULL, NULL), 0);
	fprintf(stderr, "%zu cases compared with textwrap.wrap\n", c.n);
	free_cases(&c);
}

/* An initial indent as wide as the width: Python still wraps most texts,
 * but a blank first chunk then loops forever in _wrap_chunks (the empty
 * rest of the chunk it broke never leaves the stack); ours drops that empty
 * rest and goes on. Cases where Python returns must match. */
static void test_indent_wider_than_width(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"hello world", "a b", "abcdefgh ijk", "x-y-z ab", "--- a", "x  ",
	};
	static const char *const inds[] = { "ab", ">>>>", "  ", "abcdefghij" };
	struct cases c = { NULL, 0, 0 };
	for (size_t t = 0; t < ARRAY_SIZE(texts); t++) {
		for (size_t k = 0; k < ARRAY_SIZE(inds); k++) {
			for (size_t w = 1; w <= 4; w++)
				add_case(&c, texts[t], w, inds[k], inds[ARRAY_SIZE(inds) - 1 - k]);
		}
	}
	/* two where Python hangs */
	add_case(&c, " x", 1, "ab", "");
	add_case(&c, "\tx y", 2, "abc", "  ");
	size_t hangs, errs;
	assert_int_equal(check_cases(&c, &hangs, &errs), 0);
	assert_int_equal(hangs, 2);
	assert_int_equal(errs, 0);
	/* and there ours returns, with the text */
	size_t n;
	char **l = textwrap_wrap(" x", 1, "ab", "", &n);
	assert_int_equal(n, 1);
	assert_string_equal(l[0], "abx");
	textwrap_free(l, n);
	l = textwrap_wrap("\tx y", 2, "abc", "  ", &n);
	textwrap_free(l, n);
	free_cases(&c);
}

/* textwrap.wrap raises ValueError for width 0: ours gives no lines. */
static void test_width_zero_is_rejected(void **state)
{
	(void)state;
	struct cases c = { NULL, 0, 0 };
	add_case(&c, "some text", 0, "", "");
	size_t errs;
	assert_int_equal(check_cases(&c, NULL, &errs), 0);
	assert_int_equal(errs, 1);
	size_t n;
	char **l = textwrap_wrap("some text", 0, NULL, NULL, &n);
	assert_int_equal(n, 0);
	textwrap_free(l, n);
	char *f = textwrap_fill("some text", 0, NULL, NULL);
	assert_string_equal(f, "");
	free(f);
	free_cases(&c);
}

/* Outside Python's domain (a str holds no invalid UTF-8): each invalid byte
 * is one code point that is neither word nor space, kept as is. */
static void test_invalid_utf8_bytes_pass_through(void **state)
{
	(void)state;
	char *f = textwrap_fill("ab\xff\xfe cd\xc3 ef", 4, NULL, NULL);
	assert_string_equal(f, "ab\xff\xfe\ncd\xc3\nef");
	free(f);
	f = textwrap_fill(NULL, 10, NULL, NULL);
	assert_string_equal(f, "");
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_char_classes_match_python_for_every_code_point),
		cmocka_unit_test(test_corpus_matches_textwrap_at_many_widths_and_indents),
		cmocka_unit_test(test_oslo_details_call_matches_textwrap),
		cmocka_unit_test(test_random_texts_match_textwrap),
		cmocka_unit_test(test_every_ascii_char_in_hyphen_and_dash_contexts),
		cmocka_unit_test(test_indent_wider_than_width),
		cmocka_unit_test(test_width_zero_is_rejected),
		cmocka_unit_test(test_invalid_utf8_bytes_pass_through),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
