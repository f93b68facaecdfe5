/* test-sanitize.c: core/sanitize.c, the terminal sanitizer every string from
 * a node, the database or the configuration goes through (sanitize.h):
 * control characters, invalid UTF-8 and Unicode's format characters (Cf)
 * become visible escapes; everything else passes as it is. The format
 * characters are compared with Python's unicodedata (tests/oracle). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "oracle-util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static size_t utf8_encode(unsigned cp, char *buf)
{
	if (cp < 0x80) {
		buf[0] = (char)cp;
		return 1;
	} else if (cp < 0x800) {
		buf[0] = (char)(0xc0 | (cp >> 6));
		buf[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	} else if (cp < 0x10000) {
		buf[0] = (char)(0xe0 | (cp >> 12));
		buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	buf[0] = (char)(0xf0 | (cp >> 18));
	buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	buf[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* What the header promises, by hand. */
static void each_kind_of_character_is_shown_as_the_header_says(void **state)
{
	(void)state;
	static const struct {
		const char *in, *want;
		bool keep_newlines;
	} cases[] = {
		{ "15.0.1", "15.0.1", false },
		{ "ctl\a1", "ctl\\x071", false },                     /* BEL */
		{ "\x1b[31mred", "\\x1b[31mred", false },             /* ESC */
		{ "a\x7f" "b", "a\\x7fb", false },                    /* DEL */
		{ "a\xc2\x9b" "b", "a\\u009bb", false },              /* C1 CSI */
		{ "a\nb", "a\\x0ab", false },
		{ "a\nb", "a\nb", true },
		{ "a\tb", "a\\x09b", true },
		{ "\xff" "x", "\\xffx", false },                      /* invalid UTF-8 */
		{ "15.0.1\xe2\x80\x8b", "15.0.1\\u200b", false },     /* zero-width space */
		{ "15.0\xe2\x80\x8d.1", "15.0\\u200d.1", false },     /* zero-width joiner */
		{ "\xef\xbb\xbf" "15.0.1", "\\ufeff15.0.1", false },  /* BOM */
		{ "\xe2\x80\xae" "1.0.51", "\\u202e1.0.51", false },  /* right-to-left override */
		{ "a\xc2\xad" "b", "a\\u00adb", false },              /* soft hyphen */
		{ "x\xf3\xa0\x80\x81", "x\\ue0001", false },          /* language tag */
		{ "caf\xc3\xa9 \xe2\x9c\x94 \xe4\xb8\xad", "caf\xc3\xa9 \xe2\x9c\x94 \xe4\xb8\xad", false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = sanitize_term(cases[i].in, cases[i].keep_newlines);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, got, cases[i].want);
		if (!cases[i].keep_newlines)
			assert_int_equal(is_term_safe(cases[i].in), strcmp(cases[i].in, cases[i].want) == 0);
		free(got);
	}
}

/* Every code point: escaped exactly when it is a control character (C0,
 * DEL, C1) or a format character as unicodedata.category() says (Cf). */
static void every_code_point_is_escaped_exactly_when_it_is_control_or_format(void **state)
{
	(void)state;
	uint32_t starts[512];
	int vals[512];
	size_t nruns = oracle_read_runs("unicode_tables.py", "cf-runs", starts, vals,
					ARRAY_SIZE(starts));
	assert_true(nruns > 10);
	size_t r = 0, bad = 0;
	for (unsigned cp = 0; cp < 0x110000; cp++) {
		while (r + 1 < nruns && starts[r + 1] <= cp)
			r++;
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp == 0)
			continue;
		bool want_escaped = cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || vals[r] == 1;
		char buf[5] = { 0 };
		utf8_encode(cp, buf);
		char *got = sanitize_term(buf, false);
		/* the whitespace-keeping variant, for text wrapped afterwards,
		 * escapes the same (\t \n \v \f \r apart) */
		char *got_ws = sanitize_term_keep_ws(buf);
		bool ws = cp < 0x80 && strchr("\t\n\v\f\r", (int)cp);
		if (strcmp(got_ws, ws ? buf : got) != 0 && bad++ < 10)
			fprintf(stderr, "U+%04X: keep_ws gives '%s'\n", cp, got_ws);
		free(got_ws);
		char want[16];
		if (cp < 0x80)
			snprintf(want, sizeof(want), "\\x%02x", cp);
		else
			snprintf(want, sizeof(want), "\\u%04x", cp);
		bool ok = want_escaped ? strcmp(got, want) == 0 : strcmp(got, buf) == 0;
		if (!ok && bad++ < 10)
			fprintf(stderr, "U+%04X: %s, got '%s'\n", cp,
				want_escaped ? "format or control, not escaped" : "escaped", got);
		free(got);
	}
	assert_int_equal(bad, 0);
}

/* A URL's password is replaced by *** wherever the URL is shown; the user,
 * the host and the rest stay; a URL without a password is unchanged. */
/* fn over each {input, wanted} of cases, and NULL for NULL. */
static void check_urls(char *(*fn)(const char *), const char *const (*cases)[2], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *got = fn(cases[i][0]);
		if (strcmp(got, cases[i][1]) != 0)
			fail_msg("%s: got %s, want %s", cases[i][0], got, cases[i][1]);
		free(got);
	}
	assert_null(fn(NULL));
}

static void a_urls_password_is_masked_and_nothing_else(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "http://admin:pw@ctl1:9311", "http://admin:***@ctl1:9311" },
		{ "https://admin:p%40ss:w@ctl1/v1?x=a@b", "https://admin:***@ctl1/v1?x=a@b" },
		{ "http://u:@h", "http://u:***@h" },
		{ "http://a:b@c@h:1/", "http://a:***@h:1/" },
		{ "http://admin@ctl1:9311", "http://admin@ctl1:9311" },
		{ "http://ctl1:9311/x?u=a:b@c", "http://ctl1:9311/x?u=a:b@c" },
		{ "http://[::1]:9311", "http://[::1]:9311" },
		{ "no scheme:x@y", "no scheme:x@y" },
	};
	check_urls(url_masked, cases, ARRAY_SIZE(cases));
}

/* A step's {url}: the URL without user and password (both go to the
 * step's environment instead), the rest as written. */
static void a_urls_userinfo_is_left_out_of_a_steps_url(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "http://admin:pw@ctl1:9311", "http://ctl1:9311" },
		{ "https://admin:p%40ss:w@ctl1/v1?x=a@b", "https://ctl1/v1?x=a@b" },
		{ "http://a:b@c@h:1/", "http://h:1/" },
		{ "http://admin@ctl1:9311", "http://ctl1:9311" },
		{ "http://ctl1:9311/x?u=a:b@c", "http://ctl1:9311/x?u=a:b@c" },
		{ "http://[::1]:9311", "http://[::1]:9311" },
		{ "no scheme:x@y", "no scheme:x@y" },
	};
	check_urls(url_without_userinfo, cases, ARRAY_SIZE(cases));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_kind_of_character_is_shown_as_the_header_says),
		cmocka_unit_test(every_code_point_is_escaped_exactly_when_it_is_control_or_format),
		cmocka_unit_test(a_urls_password_is_masked_and_nothing_else),
		cmocka_unit_test(a_urls_userinfo_is_left_out_of_a_steps_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
