/* test-ini.c: core/ini.c against oslo.config's own parser. Every case is
 * written to a file, all files go to tests/oracle/oslo_conf.py in one run of
 * /usr/bin/python3 (BS_PYTHON), and what cfg.ConfigParser makes of each is
 * compared with ini_parse_file: sections, keys and values in their order, or
 * the error with its line and oslo's message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ini.h"
#include "oracle-util.h"
#include "sanitize.h"
#include "strbuf.h"
#include "xalloc.h"


/* ---- cases ---- */

struct icase {
	const char *name;
	const char *text;
	size_t len;
};

#define C(name, s) { name, s, sizeof(s) - 1 }

static const struct icase cases[] = {
	C("continuation", "[s]\na = 1\n  2\n\t3\n \t 4\nb = 5\n"),
	C("blank line ends a value", "[s]\na = 1\n\n  2\n"),
	C("whitespace-only line is blank", "[s]\na = 1\n   \t\nb = 2\n  3\n"),
	C("indented comment continues", "[s]\na = 1\n  # not a comment\n\t; nor this\nb = 2\n"),
	C("comment ends a value", "[s]\na = 1\n# c\n  x\n"),
	C("semicolon comment", "; first\n[s]\n;a = 1\n#b = 2\nc = 3\n"),
	C("continuation before any key", "  a = 1\n[s]\n"),
	C("continuation after section", "[s]\n  a = 1\n"),
	C("equals before colon", "[s]\na = b:c\nd: e=f\ng=:h\ni:=j\n"),
	C("no separator", "[s]\nabc\n"),
	C("empty key", "[s]\n= v\n"),
	C("empty key after colon", "[s]\n:v\n"),
	C("whitespace key", "[s]\n\x0c = v\n"),
	C("nbsp key", "[s]\n\xc2\xa0= v\n"),
	C("key with spaces", "[s]\na b = c d\n"),
	C("quotes", "[s]\na = \"x\"\nb = 'y'\nc = \"x'\nd = '\ne = \"\nf = \"\"\ng = '\"'\n"
		    "h = \" spaced \"\ni = \"a\"b\"\nj = ''x\nk = \"\"\"\n"),
	C("quotes on first line only", "[s]\na = \"x\n  y\"\nb = \"x\"\n  \"y\"\n"),
	C("quote inside spaces", "[s]\na =   ' x '   \n"),
	C("empty values", "[s]\na =\nb = \nc:\nd = ''\ne =\n  x\n"),
	C("hash in value", "[s]\na = b # c\nb = #\n"),
	C("unicode whitespace", "[s]\n\xc2\xa0k\xc2\xa0=\xe3\x80\x80v\xe3\x80\x80\n"
				"k2 = v\x1c\nk3\x1d=\x1e v \x1f\n\x1ck4 = v\n"
				"k5 = \xe2\x80\x82v\xe2\x80\xa8\n"),
	C("nel and line separators", "[s]\na = x\xc2\x85y\xc2\x85\nb = x\xe2\x80\xa8y\n"
				     "c = 1\n \xe2\x80\xa9\nd = 2\n"),
	C("unicode whitespace continuation", "[s]\na = 1\n \xc2\xa0 2 \xe3\x80\x80\n"
					     "\xc2\xa0 3\n"),
	C("not stripped", "[s]\na = \xe2\x80\x8bv\xe2\x80\x8b\nb = \xef\xbb\xbfv\n"),
	C("form feed blank line", "[s]\na = 1\n\x0c\n  2\n"),
	C("vertical tab", "[s]\na = 1\x0b\nb\x0b= 2\n"),
	C("crlf", "[s]\r\na = 1\r\n  2\r\n\r\nb = 3\r\n"),
	C("lone cr", "[s]\ra = 1\r  2\r\rb = 3"),
	C("mixed newlines", "[s]\r\na = 1\r  2\n\tthree\r\n\rb = \r"),
	C("cr cr lf", "[s]\na = 1\r\r\n  2\n"),
	C("bom", "\xef\xbb\xbf[s]\na = 1\n"),
	C("bom key", "[s]\n\xef\xbb\xbf a = 1\n"),
	C("empty section name", "[]\na = 1\n"),
	C("space section name", "[ ]\na = 1\n[ s ]\nb = 2\n"),
	C("missing bracket", "[s\na = 1\n"),
	C("text after bracket", "[s] x\n"),
	C("bracket inside", "[s]]\na = 1\n[a]b]\nc = 2\n[[x]\nd = 3\n"),
	C("trailing space after bracket", "[s] \t\na = 1\n"),
	C("indented section", "[s]\n [t]\n"),
	C("assignment before section", "a = 1\n[s]\n"),
	C("assignment before section at eof", "a = 1"),
	C("assignment before section then blank", "a = 1\n\n"),
	C("assignment before bad section", "a = 1\n[bad\n"),
	C("bad section after assignment", "[s]\na = 1\n[bad\n"),
	C("repeated keys", "[s]\na = 1\nb = 2\na = 3\na = 4\n  5\n"),
	C("repeated sections", "[s]\na = 1\n[t]\na = 2\n[s]\na = 3\nb = 4\n[t]\n"),
	C("section names kept", "[DEFAULT]\na = 1\n[default]\na = 2\n[Database]\na = 3\n"
				"[database]\na = 4\n[DATABASE]\na = 5\n"),
	C("case of keys", "[s]\nA = 1\na = 2\n"),
	C("unicode names", "[\xc3\x9c" "ber]\n\xc3\xa9t\xc3\xa9 = \xe2\x82\xac\n[\xc3\xbc" "ber]\nx = y\n"),
	C("empty file", ""),
	C("only comments", "# a\n; b\n\n"),
	C("only blank", "\n\n  \n"),
	C("no final newline", "[s]\na = 1\n  2"),
	C("section only", "[s]"),
	C("dollar values", "[s]\na = $b\nb = ${c.d}\nc = \\$x $$y\n"),
	C("tab key", "[s]\nk\t=\tv\t\n"),
	C("many separators", "[s]\na = = =\nb : : :\nc=\nd==\n"),
	C("error line repr", "[s]\nab'c\n"),
	C("error line repr quotes", "[s]\na'b\"c\\d\n"),
	C("error line repr controls", "[s]\nx\x01\x7f\xc2\x80\xc2\xa0y\xe2\x80\xae\n"),
	C("error line repr unicode", "[s]\n\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\n"),
	C("unexpected continuation repr", "  \xc3\xa9 = '\n"),
};

static char *write_file(const char *name, const char *text, size_t len)
{
	char *path = xasprintf("%s/%s", oracle_tmpdir(), name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* Compare what ini_parse_file gives for path with one oracle answer. */
static void compare(const char *what, const char *path, json_t *want)
{
	struct ini_file *f;
	struct bs_err err = { 0 };
	enum bs_status st = ini_parse_file(path, &f, &err);
	json_t *ok = json_object_get(want, "ok");
	if (!json_is_true(ok)) {
		const char *kind = json_string_value(json_object_get(want, "kind"));
		const char *detail = json_string_value(json_object_get(want, "detail"));
		if (st == BS_ST_OK)
			fail_msg("%s: oslo fails (%s), we parse", what, detail);
		if (strcmp(kind, "parse") == 0) {
			assert_int_equal(st, BS_ST_CONFIG_PARSE);
			if (strcmp(err.detail, detail) != 0)
				fail_msg("%s:\n  oslo: %s\n  ours: %s", what, detail, err.detail);
		} else {
			assert_int_equal(st, strcmp(kind, "not_found") == 0 ? BS_ST_CONFIG_NOT_FOUND
									   : BS_ST_CONFIG_READ);
		}
		return;
	}
	if (st != BS_ST_OK)
		fail_msg("%s: oslo parses, we fail: %s", what, err.detail);
	json_t *secs = json_object_get(want, "sections");
	if (json_array_size(secs) != f->nsections)
		fail_msg("%s: %zu sections, oslo %zu", what, f->nsections, json_array_size(secs));
	size_t i, j, k;
	json_t *sec, *key, *val;
	json_array_foreach(secs, i, sec) {
		const struct ini_section *s = &f->sections[i];
		const char *name = json_string_value(json_array_get(sec, 0));
		if (strcmp(s->name, name) != 0)
			fail_msg("%s: section %zu is [%s], oslo [%s]", what, i, s->name, name);
		json_t *keys = json_array_get(sec, 1);
		if (json_array_size(keys) != s->nkeys)
			fail_msg("%s: [%s] has %zu keys, oslo %zu", what, name, s->nkeys,
				 json_array_size(keys));
		json_array_foreach(keys, j, key) {
			const struct ini_key *ik = &s->keys[j];
			const char *kname = json_string_value(json_array_get(key, 0));
			if (strcmp(ik->key, kname) != 0)
				fail_msg("%s: [%s] key %zu is '%s', oslo '%s'", what, name, j, ik->key,
					 kname);
			json_t *vals = json_array_get(key, 1);
			if (json_array_size(vals) != ik->nvalues)
				fail_msg("%s: [%s] %s has %zu values, oslo %zu", what, name, kname,
					 ik->nvalues, json_array_size(vals));
			json_array_foreach(vals, k, val) {
				const char *v = json_string_value(val);
				if (strcmp(ik->values[k].value, v) != 0) {
					char *a = sanitize_term(ik->values[k].value, false);
					char *b = sanitize_term(v, false);
					fail_msg("%s: [%s] %s = '%s', oslo '%s'", what, name, kname, a, b);
				}
			}
		}
	}
	ini_free(f);
}

static void compare_all(const char *const *names, char **paths, size_t n)
{
	json_t *files = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(files, json_string(paths[i]));
	json_t *req = json_pack("{s:s, s:o}", "mode", "ini", "files", files);
	json_t *res = oracle_run_json("oslo_conf.py", oracle_tmpdir(), req);
	assert_int_equal(json_array_size(res), n);
	size_t parsed = 0;
	for (size_t i = 0; i < n; i++) {
		compare(names ? names[i] : paths[i], paths[i], json_array_get(res, i));
		parsed += json_is_true(json_object_get(json_array_get(res, i), "ok"));
	}
	print_message("%zu files compared with oslo: %zu parsed, %zu errors\n", n, parsed,
		      n - parsed);
	json_decref(req);
	json_decref(res);
}

static void test_cases(void **state)
{
	size_t n = ARRAY_SIZE(cases);
	char **paths = xcalloc(n, sizeof(*paths));
	const char **names = xcalloc(n, sizeof(*names));
	for (size_t i = 0; i < n; i++) {
		char file[32];
		snprintf(file, sizeof(file), "case%zu.conf", i);
		paths[i] = write_file(file, cases[i].text, cases[i].len);
		names[i] = cases[i].name;
	}
	compare_all(names, paths, n);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(names);
}

/* ---- long lines and Debian's barbican.conf ---- */

static const char *debian_conf(void)
{
	static const char *const candidates[] = {
		"/usr/share/barbican-common/barbican.conf",
		"/etc/barbican/barbican.conf",
	};
	for (size_t i = 0; i < ARRAY_SIZE(candidates); i++)
		if (access(candidates[i], R_OK) == 0)
			return candidates[i];
	return NULL;
}

/* Debian's file, and the same with every "#key = value" line uncommented: a
 * file with hundreds of real keys and the 451-character line as a value. */
static void test_long_lines(void **state)
{
	struct strbuf big = STRBUF_INIT, huge = STRBUF_INIT;
	sb_addstr(&big, "[s]\nk = ");
	for (int i = 0; i < 451; i++)
		sb_addch(&big, (char)('a' + i % 26));
	sb_addstr(&big, "\n  ");
	for (int i = 0; i < 451; i++)
		sb_addch(&big, (char)('0' + i % 10));
	sb_addstr(&big, "\n");
	sb_addstr(&huge, "[s]\nk = \"");
	for (int i = 0; i < 100 * 1024; i++)
		sb_addstr(&huge, i % 1000 == 999 ? "\xc2\xa0" : "x=");
	sb_addstr(&huge, "\"\n\t");
	for (int i = 0; i < 100 * 1024; i++)
		sb_addch(&huge, (char)('a' + i % 26));
	sb_addstr(&huge, "\nlast = 1\n");

	char *paths[4];
	const char *names[4] = { "451-character line", "100 KB line", "Debian's barbican.conf",
				 "Debian's barbican.conf uncommented" };
	size_t n = 2;
	paths[0] = write_file("long451.conf", big.buf, big.len);
	paths[1] = write_file("long100k.conf", huge.buf, huge.len);
	const char *deb = debian_conf();
	if (deb) {
		FILE *in = fopen(deb, "r");
		assert_non_null(in);
		struct strbuf un = STRBUF_INIT;
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;
		int long_lines = 0;
		while ((len = getline(&line, &cap, in)) > 0) {
			if (len > 400)
				long_lines++;
			/* "#name = value": uncommented; prose comments stay */
			size_t key = strspn(line + 1, "abcdefghijklmnopqrstuvwxyz_0123456789");
			bool setting = line[0] == '#' && key > 0 && strncmp(line + 1 + key, " = ", 3) == 0;
			sb_addstr(&un, setting ? line + 1 : line);
		}
		free(line);
		fclose(in);
		assert_true(long_lines >= 1);
		paths[n++] = xstrdup(deb);
		paths[n++] = write_file("debian-uncommented.conf", un.buf, un.len);
		sb_free(&un);
	}
	compare_all(names, paths, n);

	/* and by hand: the whole line is one value */
	struct ini_file *f;
	assert_int_equal(ini_parse_file(paths[0], &f, NULL), BS_ST_OK);
	const struct ini_key *k = ini_key(ini_section(f, "s"), "k");
	assert_non_null(k);
	assert_int_equal(strlen(k->values[0].value), 451 + 1 + 451);
	ini_free(f);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	sb_free(&big);
	sb_free(&huge);
}

/* ---- I/O errors and what we do differently ---- */

static void test_read_errors(void **state)
{
	char *paths[3];
	const char *names[3] = { "invalid UTF-8", "missing", "directory" };
	paths[0] = write_file("bad-utf8.conf", "[s]\na = \xc3\x28\n", 9);
	paths[1] = xasprintf("%s/does-not-exist.conf", oracle_tmpdir());
	paths[2] = xstrdup(oracle_tmpdir());
	compare_all(names, paths, 3);

	struct ini_file *f;
	struct bs_err err;
	assert_int_equal(ini_parse_file(paths[0], &f, &err), BS_ST_CONFIG_READ);
	assert_non_null(strstr(err.detail, "line 2: invalid UTF-8"));
	assert_int_equal(ini_parse_file(paths[1], &f, &err), BS_ST_CONFIG_NOT_FOUND);
	assert_non_null(strstr(err.detail, paths[1]));
	assert_null(f);
	for (int i = 0; i < 3; i++)
		free(paths[i]);

	/* oslo reads a NUL as a character; no C string can hold one */
	assert_int_equal(ini_parse_buffer("nul", "[s]\n\na = x\0y\n", 12, &f, &err),
			 BS_ST_CONFIG_READ);
	assert_string_equal(err.detail, "nul: line 3: NUL byte");
	/* surrogates and overlong forms are invalid UTF-8 for Python too */
	assert_int_equal(ini_parse_buffer("s", "[s]\na = \xed\xa0\x80\n", 11, &f, &err),
			 BS_ST_CONFIG_READ);
	assert_int_equal(ini_parse_buffer("o", "[s]\na = \xc0\xaf\n", 10, &f, &err),
			 BS_ST_CONFIG_READ);
}

/* A value may be INI_MAX_VALUE bytes, continuation lines joined, not one
 * more: the error names the file, the line where the value starts and its
 * key (escaped). */
static void test_value_cap(void **state)
{
	(void)state;
	struct ini_file *f;
	struct bs_err err;
	struct strbuf sb = STRBUF_INIT;
	sb_addstr(&sb, "[s]\nk = ");
	for (size_t i = 0; i < INI_MAX_VALUE; i++)
		sb_addch(&sb, 'v');
	sb_addstr(&sb, "\n");
	assert_int_equal(ini_parse_buffer("cap", sb_str(&sb), sb.len, &f, &err), BS_ST_OK);
	assert_int_equal(strlen(ini_key(ini_section(f, "s"), "k")->values[0].value), INI_MAX_VALUE);
	ini_free(f);

	sb_reset(&sb);
	sb_addstr(&sb, "[s]\nk = v\n[t]\nk\x1b = ");
	for (size_t i = 0; i < INI_MAX_VALUE + 1; i++)
		sb_addch(&sb, 'v');
	sb_addstr(&sb, "\n");
	assert_int_equal(ini_parse_buffer("cap", sb_str(&sb), sb.len, &f, &err), BS_ST_CONFIG_PARSE);
	assert_string_equal(err.detail, "cap: line 4: the value of 'k\\x1b' is longer than 1 MiB, "
					"which no configuration value is");
	assert_null(f);

	/* continuation lines count, the newlines between them too */
	sb_reset(&sb);
	sb_addstr(&sb, "[s]\n\nk = first\n");
	for (size_t i = 0; i < INI_MAX_VALUE / 1024; i++) {
		sb_addstr(&sb, "  ");
		for (int j = 0; j < 1023; j++)
			sb_addch(&sb, 'c');
		sb_addstr(&sb, "\n");
	}
	assert_int_equal(ini_parse_buffer("cont", sb_str(&sb), sb.len, &f, &err), BS_ST_CONFIG_PARSE);
	assert_non_null(strstr(err.detail, "cont: line 3: the value of 'k'"));
	sb_free(&sb);
}

/* Line numbers of values (oslo does not keep them): the line of "key =". */
static void test_lines(void **state)
{
	static const char text[] = "[s]\na = 1\n  2\n\nb = 3\r\nc = 4\rd = 5\n[t]\r\re = 6";
	struct ini_file *f;
	assert_int_equal(ini_parse_buffer("x", text, sizeof(text) - 1, &f, NULL), BS_ST_OK);
	const struct ini_section *s = ini_section(f, "s");
	assert_int_equal(ini_key(s, "a")->values[0].line, 2);
	assert_int_equal(ini_key(s, "b")->values[0].line, 5);
	assert_int_equal(ini_key(s, "c")->values[0].line, 6);
	assert_int_equal(ini_key(s, "d")->values[0].line, 7);
	assert_int_equal(ini_key(ini_section(f, "t"), "e")->values[0].line, 10);
	assert_null(ini_section(f, "S"));
	assert_null(ini_key(s, "A"));
	ini_free(f);
}

/* ---- random files from tricky fragments ---- */

static uint64_t rng = 20240601;

static unsigned rnd(unsigned n)
{
	return (unsigned)(oracle_rand(&rng) % n);
}

#define PICK(a) (a)[rnd(ARRAY_SIZE(a))]

static const char *const r_sections[] = {
	"[DEFAULT]", "[default]", "[database]", "[Database]", "[s]", "[s p]", "[\xc3\x9c]",
	"[a]b]", "[ s ]", "[DEFAULT] ", "[s]\xc2\xa0",
};
static const char *const r_bad_sections[] = { "[]", "[x", "[s] x", "\xef\xbb\xbf[s]" };
static const char *const r_keys[] = {
	"a", "b", "A", " a", "a\xc2\xa0", "\x0c" "a", "k-1", "\xc3\xa9", "a b", "\xe3\x80\x80k",
	"x\x1c", "\xc2\x85k",
};
static const char *const r_seps[] = { "=", ":", " = ", " : ", "=:", ":=", "\t=\t", " =\xc2\xa0" };
static const char *const r_values[] = {
	"v", "\"q\"", "'q'", "'", "\"", "\"\"", "x # y", "$a", "", "  v  ", "v\xe3\x80\x80",
	"\xc2\x85v", "'mixed\"", "\"a\"b\"", "a=b", "a:b", "\xe2\x80\x8b", "' x '", "\\$a",
	"x\x1fy", "\xe2\x80\xa8", "[x]", "#", ";",
};
static const char *const r_conts[] = {
	" c", "\tc", "  # c", " \xc2\xa0" "c", "\t\"q\"", " ; x", "  [s]", " =", "\t\t",
};
static const char *const r_others[] = {
	"# c", "; c", "#", "", "  ", "\t", "\x0c", "\xe3\x80\x80", "\x0b", "\xc2\x85", "#[s]",
};
static const char *const r_eols[] = { "\n", "\n", "\n", "\r\n", "\r", "\n\r" };

/* Mostly files that parse (continuations follow assignments), some not. */
static void random_file(struct strbuf *sb)
{
	int lines = 1 + (int)rnd(14);
	bool in_value = false;
	if (rnd(20))
		sb_addstr(sb, PICK(r_sections));
	sb_addstr(sb, PICK(r_eols));
	for (int i = 0; i < lines; i++) {
		unsigned r = rnd(100);
		bool was_value = in_value;
		in_value = false;
		if (r < 10) {
			sb_addstr(sb, PICK(r_sections));
		} else if (r < 11) {
			sb_addstr(sb, PICK(r_bad_sections));
		} else if (r < 60) {
			sb_addf(sb, "%s%s%s", PICK(r_keys), PICK(r_seps), PICK(r_values));
			in_value = true;
		} else if (r < 80 && (was_value || r < 62)) {
			sb_addstr(sb, PICK(r_conts));
			in_value = was_value;
		} else {
			sb_addstr(sb, PICK(r_others));
		}
		if (i + 1 < lines || rnd(2))
			sb_addstr(sb, PICK(r_eols));
	}
}

static void test_random(void **state)
{
	enum { N = 400 };
	char **paths = xcalloc(N, sizeof(*paths));
	for (size_t i = 0; i < N; i++) {
		struct strbuf sb = STRBUF_INIT;
		char file[32];
		random_file(&sb);
		snprintf(file, sizeof(file), "random%zu.conf", i);
		paths[i] = write_file(file, sb_str(&sb), sb.len);
		sb_free(&sb);
	}
	compare_all(NULL, paths, N);
	for (size_t i = 0; i < N; i++)
		free(paths[i]);
	free(paths);
}

/* ---- many keys in one section ---- */

/* A section's keys are scanned up to 16 and hashed past that: keys repeated
 * on both sides of the change, in a section whose header is repeated, keep
 * their values in order, as in oslo. */
static void test_many_keys(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	sb_addstr(&sb, "[s]\n");
	for (int i = 0; i < 40; i++) {
		sb_addf(&sb, "k%d = %d\n", i, i);
		if (i == 10 || i == 16 || i == 17 || i == 30)
			sb_addf(&sb, "k%d = again %d\n", i / 3, i);
	}
	sb_addstr(&sb, "[t]\nk1 = t\n[s]\nk3 = s again\nk16 = s again\nk39 = s again\n"
		       "k40 = new\n  continued\n[t]\nk1 = t again\n");
	for (int i = 0; i < 20; i++)
		sb_addf(&sb, "t%d = %d\n", i, i);
	sb_addstr(&sb, "t0 = last\n");
	char *paths[1] = { write_file("many-keys.conf", sb_str(&sb), sb.len) };
	const char *names[1] = { "many keys" };
	compare_all(names, paths, 1);

	/* and 100,000 keys in one section parse (a quadratic scan took minutes) */
	sb_reset(&sb);
	sb_addstr(&sb, "[s]\n");
	for (int i = 0; i < 100000; i++)
		sb_addf(&sb, "k%d = %d\n", i, i);
	sb_addstr(&sb, "k99999 = last\nk0 = last\n");
	struct ini_file *f;
	struct bs_err err = { 0 };
	assert_int_equal(ini_parse_buffer("big", sb_str(&sb), sb.len, &f, &err), BS_ST_OK);
	const struct ini_key *k = ini_key(ini_section(f, "s"), "k99999");
	assert_non_null(k);
	assert_int_equal(k->nvalues, 2);
	assert_string_equal(k->values[1].value, "last");
	assert_int_equal(ini_section(f, "s")->nkeys, 100000);
	assert_int_equal(ini_key(ini_section(f, "s"), "k0")->nvalues, 2);
	ini_free(f);
	free(paths[0]);
	sb_free(&sb);
}

/* ---- Python's str facts ---- */

static void test_python_str(void **state)
{
	static const char *const reprs[] = {
		"plain", "it's", "say \"hi\"", "both ' and \"", "back\\slash", "tab\tnl\ncr\r",
		"\x01\x1f\x7f", "\xc2\x80\xc2\x9f\xc2\xa0\xc2\xad\xc3\xa9", "\xe2\x80\x8b\xe2\x80\xae",
		"\xe3\x80\x80\xef\xbb\xbf\xe2\x82\xac", "\xf0\x9f\x98\x80\xf3\xb0\x80\x80", "",
	};
	json_t *list = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(reprs); i++)
		json_array_append_new(list, json_string(reprs[i]));
	json_t *req = json_pack("{s:s, s:o}", "mode", "py", "repr", list);
	json_t *res = oracle_run_json("oslo_conf.py", oracle_tmpdir(), req);

	/* str.isspace() for every code point */
	json_t *space = json_object_get(res, "space");
	size_t next = 0;
	for (unsigned cp = 0; cp < 0x110000; cp++) {
		bool want = next < json_array_size(space) &&
			    json_integer_value(json_array_get(space, next)) == cp;
		if (want)
			next++;
		if (py_isspace(cp) != want)
			fail_msg("py_isspace(U+%04X) is %d", cp, py_isspace(cp));
	}

	/* str.lower() for every code point */
	json_t *lower = json_object_get(res, "lower");
	next = 0;
	for (unsigned cp = 1; cp < 0x110000; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		char in[5] = { 0 }, *want = in;
		if (cp < 0x80) {
			in[0] = (char)cp;
		} else if (cp < 0x800) {
			in[0] = (char)(0xc0 | cp >> 6), in[1] = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			in[0] = (char)(0xe0 | cp >> 12), in[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
			in[2] = (char)(0x80 | (cp & 0x3f));
		} else {
			in[0] = (char)(0xf0 | cp >> 18), in[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
			in[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), in[3] = (char)(0x80 | (cp & 0x3f));
		}
		json_t *e = json_array_get(lower, next);
		if (e && json_integer_value(json_array_get(e, 0)) == cp) {
			want = (char *)json_string_value(json_array_get(e, 1));
			next++;
		}
		char *got = py_lower(in);
		if (strcmp(got, want) != 0)
			fail_msg("py_lower(U+%04X)", cp);
		free(got);
	}
	assert_int_equal(next, json_array_size(lower));

	json_t *r = json_object_get(res, "repr");
	for (size_t i = 0; i < ARRAY_SIZE(reprs); i++) {
		struct strbuf sb = STRBUF_INIT;
		py_repr(&sb, reprs[i]);
		assert_string_equal(sb_str(&sb), json_string_value(json_array_get(r, i)));
		sb_free(&sb);
	}
	json_decref(req);
	json_decref(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_many_keys),
		cmocka_unit_test(test_value_cap),
		cmocka_unit_test(test_python_str),
	};
	return cmocka_run_group_tests(tests, oracle_tmpdir_setup, oracle_tmpdir_teardown);
}
