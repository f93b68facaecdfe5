/* test-table.c: render/table.c against prettytable 3.6.0 and
 * oslo.upgradecheck themselves (tests/oracle/table_oracle.py run by
 * $BS_PYTHON). Every expected value comes from Python at test time; each
 * test sends all its cases in one batch. */
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
#include "sanitize.h"
#include "strbuf.h"
#include "render/table.h"
#include "render/textwrap.h"
#include "xalloc.h"

static void show(const char *label, const char *s)
{
	char *e = sanitize_term(s, true);
	fprintf(stderr, "%s:\n%s\n", label, e);
	free(e);
}

static size_t utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	} else if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	} else if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The code points table_oracle.py wcwidth samples. */
static bool sampled(uint32_t cp)
{
	return cp < 0x20000 || (cp >= 0xe0000 && cp < 0xe1000) || cp % 97 == 0 ||
	       (cp & 0xffff) < 4 || (cp & 0xffff) >= 0xfffc;
}

/* wcwidth.wcwidth() of every code point of planes 0 and 1 and of the tags
 * and variation selectors, every plane's edges and every 97th elsewhere:
 * display_width of that one character (-1 as SIZE_MAX). NUL, which a C
 * string cannot hold, is the one code point left out. */
static void test_width_of_each_character_matches_wcwidth(void **state)
{
	(void)state;
	uint32_t starts[4096];
	int vals[4096];
	size_t nruns = oracle_read_runs("table_oracle.py", "wcwidth", starts, vals,
					ARRAY_SIZE(starts));
	assert_true(nruns > 100);
	size_t r = 0, bad = 0, checked = 0;
	for (uint32_t cp = 1; cp < 0x110000; cp++) {
		if ((cp >= 0xd800 && cp <= 0xdfff) || !sampled(cp))
			continue;
		while (r + 1 < nruns && starts[r + 1] <= cp)
			r++;
		char s[5];
		s[utf8_encode(cp, s)] = '\0';
		size_t w = display_width(s);
		int ours = w == SIZE_MAX ? -1 : (int)w;
		checked++;
		if (ours != vals[r] && bad++ < 5)
			fprintf(stderr, "U+%04X: wcwidth %d, ours %d\n", cp, vals[r], ours);
	}
	fprintf(stderr, "%zu code points compared with wcwidth.wcwidth\n", checked);
	assert_int_equal(bad, 0);
}

struct tcase {
	const char *title;
	const char *cells[6];
	size_t ncells;
};

/* Render every case with prettytable and table_render; the mismatches. */
static size_t check_tables(const struct tcase *c, size_t n)
{
	struct strbuf in = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		oracle_add_hex(&in, c[i].title, strlen(c[i].title));
		for (size_t k = 0; k < c[i].ncells; k++) {
			sb_addch(&in, ' ');
			oracle_add_hex(&in, c[i].cells[k], strlen(c[i].cells[k]));
		}
		sb_addch(&in, '\n');
	}
	char *out = oracle_run("table_oracle.py", &in, "table", NULL);
	sb_free(&in);
	char *p = out, *line;
	size_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		line = oracle_answer(&p);
		char *want = oracle_unhex(line, strlen(line), NULL);
		char *got = table_render(c[i].title, c[i].cells, c[i].ncells);
		if (strcmp(want, got) != 0 && bad++ < 5) {
			show("prettytable", want);
			show("ours", got);
		}
		free(want);
		free(got);
	}
	free(out);
	return bad;
}

/* Cells and titles that steer prettytable's widths: wide and combining
 * characters, tabs and other controls (wcswidth -1), colour escapes,
 * empty lines and cells, trailing spaces, a title wider than every cell,
 * multi-line titles, an empty table. */
static void test_tables_match_prettytable(void **state)
{
	(void)state;
	static const struct tcase cases[] = {
		{ "Upgrade Check Results",
		  { "Check: Policy File JSON to YAML Migration\nResult: Success\nDetails: None" }, 1 },
		{ "Upgrade Check Results", { "a" }, 1 },
		{ "Upgrade Check Results", { "" }, 1 },
		{ "Upgrade Check Results", { "" , "", "x" }, 3 },
		{ "Upgrade Check Results", { NULL }, 0 },
		{ "", { "" }, 1 },
		{ "", { NULL }, 0 },
		{ "T", { "line one\n\nline three\n" }, 1 },
		{ "T", { "\n\n" }, 1 },
		{ "T", { "trailing   \n   leading" }, 1 },
		{ "Title", { "\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97 wide\nascii line" }, 1 },
		{ "\xe4\xb8\xad\xe6\x96\x87 title", { "x" }, 1 },
		{ "T", { "emoji \xf0\x9f\x98\x80\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd end" }, 1 },
		{ "T", { "combining e\xcc\x81 a\xcc\x80\xcc\x81 \xe2\x80\x8b zw" }, 1 },
		{ "T", { "tab\there\nnext" }, 1 },
		{ "Tabs", { "\t", "a\tb\tc" }, 2 },
		{ "x\ty", { "abc" }, 1 },
		{ "x\ty", { "a\tb" }, 1 },
		{ "multi\nline title", { "a cell wider than the title lines" }, 1 },
		{ "multi\nline", { "ab" }, 1 },
		{ "T", { "\x1b[31mred\x1b[0m plain", "\x1b[1;32mbold green\x1b(B" }, 2 },
		{ "T", { "\x1b[31xm not sgr", "\x1b]0;title\x07" }, 2 },
		{ "T", { "cr\rhere", "del\x7f", "c1\xc2\x85nel" }, 3 },
		{ "T", { "nbsp\xc2\xa0x \xe3\x80\x80ideographic", "soft\xc2\xadhyphen" }, 2 },
		{ "T", { "\xef\xbc\xa6\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c width" }, 1 },
		{ "Upgrade Check Results",
		  { "Check: One\nResult: Success\nDetails: None",
		    "Check: Two\nResult: Failure\nDetails: Your policy file is JSON-formatted which is\n  deprecated.",
		    "Check: Three\nResult: Warning\nDetails: \xe4\xb8\xad\xe6\x96\x87" }, 3 },
	};
	assert_int_equal(check_tables(cases, ARRAY_SIZE(cases)), 0);
}

static uint64_t rng = 77;

static uint64_t rnd(void)
{
	return oracle_rand(&rng);
}

/* 600 random tables of those pieces. */
static void test_random_tables_match_prettytable(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"a", "word ", " ", "  ", "\n", "\n", "\t", "-", "\xe4\xb8\xad", "\xf0\x9f\x98\x80",
		"e\xcc\x81", "\x1b[0m", "\x1b[31m", "\x1b", "\xc2\xa0", "\xe2\x80\x8b", "\x7f",
		"Check: ", "Result: Success", "Details: None", "\xef\xbc\xa1", "\r",
	};
	enum { N = 600 };
	static struct tcase cases[N];
	static char bufs[N][7][256];
	for (size_t i = 0; i < N; i++) {
		cases[i].ncells = rnd() % 5;
		for (size_t k = 0; k <= cases[i].ncells; k++) {
			char *b = bufs[i][k];
			size_t len = 0, n = rnd() % 12;
			b[0] = '\0';
			for (size_t j = 0; j < n; j++) {
				const char *pc = pieces[rnd() % ARRAY_SIZE(pieces)];
				size_t pl = strlen(pc);
				if (len + pl < sizeof(bufs[i][k])) {
					memcpy(b + len, pc, pl + 1);
					len += pl;
				}
			}
			if (k == 0)
				cases[i].title = b;
			else
				cases[i].cells[k - 1] = b;
		}
	}
	assert_int_equal(check_tables(cases, N), 0);
}

struct check {
	const char *name;
	int code;
	const char *details; /* NULL: None */
};

static const char *const labels[] = { "Success", "Warning", "Failure" };

/* What `upgrade check` prints, put together as oslo.upgradecheck does:
 * one cell per check, details through textwrap.wrap(details, 60,
 * subsequent_indent='  '), compared with UpgradeCommands.check()'s own
 * output and return code. */
static void test_oslo_check_table_matches_upgradecheck(void **state)
{
	(void)state;
	static const char policy_msg[] =
		"Your policy file is JSON-formatted which is deprecated. You need to switch to "
		"YAML-formatted file. Use the ``oslopolicy-convert-json-to-yaml`` tool to convert "
		"the existing JSON-formatted files to YAML in a backwards-compatible manner: "
		"https://docs.openstack.org/oslo.policy/latest/cli/oslopolicy-convert-json-to-yaml.html.";
	static const struct check runs[][4] = {
		{ { "Policy File JSON to YAML Migration", 0, NULL } },
		{ { "Policy File JSON to YAML Migration", 2, policy_msg } },
		{ { "Policy File JSON to YAML Migration", 0, NULL },
		  { "Schema Revision", 1, "Database at 0f8c192a061f; the target release expects "
					  "8c74e2d7f1ff: run barbican-manage db upgrade first" },
		  { "Nodes", 2, "barbican-worker on ctl-2 runs 14.0.0 \xe2\x80\x94 two series "
				"behind the target (16.0.0): upgrade it before the API nodes" } },
		{ { "Empty details", 1, "" }, { "Blank details", 1, "   \t\n " } },
		{ { "Wide", 1, "\xe4\xb8\xad\xe6\x96\x87\xe7\x9a\x84\xe8\xaf\xa6\xe7\xbb\x86\xe4\xbf"
			       "\xa1\xe6\x81\xaf\xe5\xbe\x88\xe9\x95\xbf\xe5\xbe\x88\xe9\x95\xbf\xe5\xbe"
			       "\x88\xe9\x95\xbf\xe5\xbe\x88\xe9\x95\xbf\xe5\xbe\x88\xe9\x95\xbf\xe5\xbe"
			       "\x88\xe9\x95\xbf\xe5\xbe\x88\xe9\x95\xbf\xe5\xbe\x88\xe9\x95\xbf\xe5\xbe"
			       "\x88\xe9\x95\xbf\xe5\xbe\x88\xe9\x95\xbf\xe5\xbe\x88\xe9\x95\xbf\xe5\xbe"
			       "\x88\xe9\x95\xbf\xe5\xbe\x88\xe9\x95\xbf\xe5\xbe\x88\xe9\x95\xbf\xe5\xbe"
			       "\x88\xe9\x95\xbf\xe5\xbe\x88\xe9\x95\xbf\xe5\xbe\x88\xe9\x95\xbf" } },
		{ { "A very long check name that is much wider than sixty columns of the details text",
		    0, "short" } },
		{ { "Tabs", 2, "col1\tcol2\tcol3 and a path /etc/barbican/policy.json that-is-"
			       "hyphenated-and-long-enough-to-break-somewhere-in-the-middle" } },
	};
	struct strbuf in = STRBUF_INIT;
	for (size_t i = 0; i < ARRAY_SIZE(runs); i++) {
		for (size_t k = 0; k < 4 && runs[i][k].name; k++) {
			const struct check *c = &runs[i][k];
			if (k)
				sb_addch(&in, ' ');
			oracle_add_hex(&in, c->name, strlen(c->name));
			sb_addf(&in, " %d ", c->code);
			if (c->details)
				oracle_add_hex(&in, c->details, strlen(c->details));
			else
				sb_addch(&in, '-');
		}
		sb_addch(&in, '\n');
	}
	char *out = oracle_run("table_oracle.py", &in, "oslo", NULL);
	sb_free(&in);
	char *p = out, *line;
	size_t bad = 0;
	for (size_t i = 0; i < ARRAY_SIZE(runs); i++) {
		line = oracle_answer(&p);
		char *sp = strchr(line, ' ');
		assert_non_null(sp);
		char *want = oracle_unhex(line, (size_t)(sp - line), NULL);
		int want_rc = (int)strtol(sp + 1, NULL, 10);

		char *cells[4];
		size_t n = 0;
		int rc = 0;
		for (; n < 4 && runs[i][n].name; n++) {
			const struct check *c = &runs[i][n];
			char *d = c->details ? textwrap_fill(c->details, 60, "", "  ") : xstrdup("None");
			cells[n] = xasprintf("Check: %s\nResult: %s\nDetails: %s", c->name,
					     labels[c->code], d);
			free(d);
			if (c->code > rc)
				rc = c->code;
		}
		char *got = table_render("Upgrade Check Results", (const char *const *)cells, n);
		if ((strcmp(want, got) != 0 || rc != want_rc) && bad++ < 3) {
			show("oslo.upgradecheck", want);
			show("ours", got);
		}
		for (size_t k = 0; k < n; k++)
			free(cells[k]);
		free(got);
		free(want);
	}
	free(out);
	assert_int_equal(bad, 0);
}

/* The measure itself: colour escapes count nothing, a control character
 * makes the line unmeasurable (prettytable's -1, here SIZE_MAX). */
static void test_display_width_of_lines(void **state)
{
	(void)state;
	assert_int_equal(display_width(""), 0);
	assert_int_equal(display_width("abc"), 3);
	assert_int_equal(display_width("\xe4\xb8\xad\xe6\x96\x87"), 4);
	assert_int_equal(display_width("\x1b[1;31mab\x1b[0m\x1b(B"), 2);
	assert_int_equal(display_width("e\xcc\x81"), 1);
	assert_true(display_width("a\tb") == SIZE_MAX);
	assert_true(display_width("\x1b[12") == SIZE_MAX);
	assert_int_equal(display_width("\xff"), 1); /* not UTF-8: as U+FFFD */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_width_of_each_character_matches_wcwidth),
		cmocka_unit_test(test_tables_match_prettytable),
		cmocka_unit_test(test_random_tables_match_prettytable),
		cmocka_unit_test(test_oslo_check_table_matches_upgradecheck),
		cmocka_unit_test(test_display_width_of_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
