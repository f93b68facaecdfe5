/* test-argv.c: runner/argv.c. Splitting is checked three ways: a corpus
 * with the expected words written out, the same corpus and a fixed-seed
 * random differential against Python's shlex.split (tests/oracle/
 * shlex_oracle.py run by $BS_PYTHON, one batch per test), and the cases
 * where POSIX word splitting and shlex differ against /bin/sh itself.
 * argv_display is checked by pasting its output into /bin/sh (and bash,
 * when installed), also in the command position.
 *
 * Where shlex and argv.c (POSIX word rules without expansion) differ, so
 * that the differential leaves it out: '\r' (whitespace to shlex, an
 * ordinary character to the shell), a backslash-newline pair (the shell
 * drops both, shlex keeps the newline) and "\$" "\`" inside double quotes
 * (the shell drops the backslash, shlex keeps it). The random alphabet
 * therefore has no '\r', '$' or '`', and never a backslash before a
 * newline. The characters where a real shell and shlex disagree because the
 * shell expands or parses them (* ? [ ~ | ; & < > # ( ) and an unquoted $ or
 * `) are ordinary both to shlex(comments=False) and to argv.c, so they stay
 * in the shlex comparisons; they are left out of what /bin/sh is given. */
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

#include "core/strbuf.h"
#include "core/xalloc.h"
#include "oracle-util.h"
#include "proc/argv.h"

/* --- helpers ---------------------------------------------------------- */

/* shlex.split of every template, in one call: one line per template,
 * "OK N x.. x.." or "ERR". */
static char *shlex_batch(char *const *tmpls, size_t n)
{
	struct oracle_texts t = { 0 };
	for (size_t i = 0; i < n; i++)
		oracle_texts_add(&t, tmpls[i], strlen(tmpls[i]));
	char *out = oracle_run_texts("shlex_oracle.py", "split", &t);
	oracle_texts_free(&t);
	return out;
}

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

static size_t count_words(char *const *w)
{
	size_t n = 0;
	while (w && w[n])
		n++;
	return n;
}

static bool same_words(char *const *a, char *const *b)
{
	size_t i = 0;
	for (; a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return !a[i] && !b[i];
}

static char *show(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	oracle_add_hex(&sb, s, strlen(s));
	return sb_detach(&sb);
}

/* Compare argv_split(tmpl) with one oracle line; a failure names the case. */
static bool matches_oracle(const char *tmpl, char *line, char **why)
{
	char **words;
	size_t n;
	struct bs_err err = { 0 };
	enum bs_status st = argv_split(tmpl, &words, &n, &err);
	*why = NULL;
	if (strcmp(line, "ERR") == 0) {
		if (st == BS_ST_OK) {
			argv_free(words);
			*why = xstrdup("shlex raises, argv_split does not");
			return false;
		}
		if (st != BS_ST_CONFIG_VALUE || !err.detail[0]) {
			*why = xstrdup("error without BS_ST_CONFIG_VALUE and a message");
			return false;
		}
		return true;
	}
	if (st != BS_ST_OK) {
		*why = xasprintf("argv_split fails (%s), shlex does not", err.detail);
		return false;
	}
	const char *p = line;
	size_t tn;
	const char *tok = next_tok(&p, &tn);
	assert_true(tok && tn == 2 && memcmp(tok, "OK", 2) == 0);
	tok = next_tok(&p, &tn);
	size_t want = strtoul(tok, NULL, 10);
	bool ok = want == n;
	for (size_t i = 0; ok && i < n; i++) {
		tok = next_tok(&p, &tn);
		char *w = oracle_unhex(tok, tn, NULL);
		ok = strcmp(w, words[i]) == 0;
		free(w);
	}
	if (!ok)
		*why = xasprintf("argv_split gives %zu words, shlex %zu (or they differ)", n, want);
	argv_free(words);
	return ok;
}

/* --- the corpus ----------------------------------------------------- */

#define MAXW 8
struct scase {
	const char *tmpl;
	const char *words[MAXW + 1]; /* NULL-terminated */
	const char *error;           /* a substring of the message, or NULL */
	bool posix_only;             /* shlex differs here (by design) */
	bool sh;                     /* safe to give to /bin/sh as `set -- TMPL` */
};

static const struct scase corpus[] = {
	{ "", { NULL }, NULL, false, true },
	{ "   \t\n ", { NULL }, NULL, false, false },
	{ "a", { "a" }, NULL, false, true },
	{ "a b  c", { "a", "b", "c" }, NULL, false, true },
	{ " a\tb\nc ", { "a", "b", "c" }, NULL, false, false },
	{ "'a b'", { "a b" }, NULL, false, true },
	{ "\"a b\"", { "a b" }, NULL, false, true },
	{ "a'b c'd", { "ab cd" }, NULL, false, true },
	{ "''", { "" }, NULL, false, true },
	{ "\"\"", { "" }, NULL, false, true },
	{ "a '' b \"\"", { "a", "", "b", "" }, NULL, false, true },
	{ "a'' \"\"b", { "a", "b" }, NULL, false, true },
	{ "'a\\b'", { "a\\b" }, NULL, false, true },
	{ "\"a\\\\b\"", { "a\\b" }, NULL, false, true },
	{ "\"a\\\"b\"", { "a\"b" }, NULL, false, true },
	{ "\"a\\b\\n\"", { "a\\b\\n" }, NULL, false, true },
	{ "a\\ b", { "a b" }, NULL, false, true },
	{ "\\a\\b\\\\", { "ab\\" }, NULL, false, true },
	{ "\\'", { "'" }, NULL, false, true },
	{ "\\\"", { "\"" }, NULL, false, true },
	{ "\"'\"", { "'" }, NULL, false, true },
	{ "'\"'", { "\"" }, NULL, false, true },
	{ "'it'\\''s'", { "it's" }, NULL, false, true },
	{ "\"it's\" 'say \"hi\"'", { "it's", "say \"hi\"" }, NULL, false, true },
	{ "barbican-manage db upgrade -v {revision}",
	  { "barbican-manage", "db", "upgrade", "-v", "{revision}" }, NULL, false, true },
	{ "ssh {host} 'sudo systemctl restart {service}'",
	  { "ssh", "{host}", "sudo systemctl restart {service}" }, NULL, false, true },
	{ "a;b|c&d<e>f", { "a;b|c&d<e>f" }, NULL, false, false },
	{ "# not a comment", { "#", "not", "a", "comment" }, NULL, false, false },
	{ "a#b", { "a#b" }, NULL, false, false },
	{ "*.py ~ [x] ? (y)", { "*.py", "~", "[x]", "?", "(y)" }, NULL, false, false },
	{ "$HOME `id` ${x}", { "$HOME", "`id`", "${x}" }, NULL, false, false },
	{ "'$HOME' \"a|b\"", { "$HOME", "a|b" }, NULL, false, true },
	{ "\"a\nb\" 'c\nd'", { "a\nb", "c\nd" }, NULL, false, true },
	{ "'\\\n'", { "\\\n" }, NULL, false, true },
	{ "\xc3\xa9 \xe2\x82\xac", { "\xc3\xa9", "\xe2\x82\xac" }, NULL, false, true },
	{ "\\\\", { "\\" }, NULL, false, true },
	{ "a\fb\vc", { "a\fb\vc" }, NULL, false, true },
	/* where the POSIX shell and shlex differ: argv.c follows the shell */
	{ "\"\\$x\"", { "$x" }, NULL, true, true },
	{ "\"\\`x\\`\"", { "`x`" }, NULL, true, true },
	{ "a\\\nb", { "ab" }, NULL, true, true },
	{ "\"a\\\nb\"", { "ab" }, NULL, true, true },
	{ "a \\\n b", { "a", "b" }, NULL, true, true },
	{ "\\\n", { NULL }, NULL, true, true },
	{ "a\rb", { "a\rb" }, NULL, true, true },
	{ "\"\\$\\`\\\"\\\\\\a\"", { "$`\"\\\\a" }, NULL, true, true },
	/* errors */
	{ "'abc", { NULL }, "unterminated single quote starting at position 1", false, false },
	{ "ab \"c", { NULL }, "unterminated double quote starting at position 4", false, false },
	{ "abc\\", { NULL }, "trailing backslash at position 4", false, false },
	{ "\"abc\\\"", { NULL }, "unterminated double quote starting at position 1", false, false },
	{ "'a'\\", { NULL }, "trailing backslash at position 4", false, false },
	{ "a 'b\"c", { NULL }, "unterminated single quote starting at position 3", false, false },
};

static void test_split_corpus(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(corpus); i++) {
		const struct scase *c = &corpus[i];
		char **words;
		size_t n;
		struct bs_err err = { 0 };
		enum bs_status st = argv_split(c->tmpl, &words, &n, &err);
		if (c->error) {
			if (st != BS_ST_CONFIG_VALUE || !strstr(err.detail, c->error))
				fail_msg("case %zu: want error \"%s\", got %d \"%s\"", i, c->error, st,
					 err.detail);
			assert_null(words);
			continue;
		}
		if (st != BS_ST_OK)
			fail_msg("case %zu: %s", i, err.detail);
		assert_int_equal(n, count_words((char *const *)c->words));
		assert_int_equal(n, count_words(words));
		for (size_t j = 0; j < n; j++)
			if (strcmp(words[j], c->words[j]) != 0)
				fail_msg("case %zu word %zu: \"%s\" != \"%s\"", i, j, words[j],
					 c->words[j]);
		argv_free(words);
	}
}

/* The corpus (but the cases where the shell and shlex differ) agrees with
 * shlex. */
static void test_split_corpus_shlex(void **state)
{
	char *tmpls[ARRAY_SIZE(corpus)];
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(corpus); i++)
		if (!corpus[i].posix_only)
			tmpls[n++] = (char *)corpus[i].tmpl;
	char *out = shlex_batch(tmpls, n), *p = out;
	for (size_t k = 0; k < n; k++) {
		char *line = oracle_answer(&p), *why;
		if (!matches_oracle(tmpls[k], line, &why)) {
			char *h = show(tmpls[k]);
			fail_msg("%s: %s", h, why);
		}
	}
	assert_string_equal(p, ""); /* no more answers than cases */
	free(out);
}

/* shell words for the printing scripts: `set -- TMPL`, then the count and
 * each word, NUL-terminated */
static void add_sh_case(struct strbuf *sc, const char *cmd)
{
	sb_addf(sc, "%s\nprintf '%%s\\0' \"$#\" \"$@\"\n", cmd);
}

/* Read one record of add_sh_case's output into a NULL-terminated vector. */
static char **read_sh_record(const char **p, const char *end)
{
	assert_true(*p < end);
	size_t n = strtoul(*p, NULL, 10);
	*p += strlen(*p) + 1;
	char **w = xcalloc(n + 1, sizeof(*w));
	for (size_t i = 0; i < n; i++) {
		assert_true(*p < end);
		w[i] = xstrdup(*p);
		*p += strlen(*p) + 1;
	}
	return w;
}

/* The shell-safe corpus, the POSIX-only cases included, word for word as
 * /bin/sh splits it. */
static void test_split_corpus_sh(void **state)
{
	struct strbuf sc = STRBUF_INIT;
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(corpus); i++) {
		if (!corpus[i].sh)
			continue;
		char *cmd = xasprintf("set -- %s", corpus[i].tmpl);
		add_sh_case(&sc, cmd);
		free(cmd);
		n++;
	}
	size_t len;
	char *out = oracle_run_prog("/bin/sh", &sc, &len);
	const char *p = out, *end = out + len;
	for (size_t i = 0; i < ARRAY_SIZE(corpus); i++) {
		if (!corpus[i].sh)
			continue;
		char **want = read_sh_record(&p, end);
		char **words;
		size_t nw;
		assert_int_equal(argv_split(corpus[i].tmpl, &words, &nw, NULL), BS_ST_OK);
		if (!same_words(words, want))
			fail_msg("corpus case %zu differs from /bin/sh", i);
		argv_free(words);
		argv_free(want);
	}
	assert_true(p == end);
	free(out);
	sb_free(&sc);
}

/* --- random differential ------------------------------------------------ */

static uint64_t rng;

static uint64_t rnd(void)
{
	return oracle_rand(&rng);
}

/* No '\r', '$', '`'; the rest of the ordinary and special characters. */
static const char *const alphabet[] = {
	"a", "b", "c", "d", "a", "b", "c", "d", " ", " ", " ", "\t", "\n", "'", "\"", "\\",
	"{", "}", "*", "?", "[", "]", "~", "|", ";", "&", "<", ">", "#", "(", ")", "=",
	"\xc3\xa9", "\x01", "\x7f", "\xff", "\f", "!", "%",
};

static char *random_template(void)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len = rnd() % 25;
	for (size_t i = 0; i < len; i++)
		sb_addstr(&sb, alphabet[rnd() % ARRAY_SIZE(alphabet)]);
	char *s = sb_detach(&sb);
	/* never a backslash before a newline (shlex keeps the newline) */
	for (char *q = s; *q; q++)
		if (q[0] == '\\' && q[1] == '\n')
			q[1] = 'n';
	return s;
}

#define NRANDOM 4000

static void test_split_random_shlex(void **state)
{
	rng = 20261125;
	char **tmpls = xcalloc(NRANDOM, sizeof(*tmpls));
	for (size_t i = 0; i < NRANDOM; i++)
		tmpls[i] = random_template();
	char *out = shlex_batch(tmpls, NRANDOM), *p = out;
	size_t nerr = 0, nwords = 0;
	for (size_t k = 0; k < NRANDOM; k++) {
		char *line = oracle_answer(&p), *why;
		if (strcmp(line, "ERR") == 0)
			nerr++;
		else
			nwords += strtoul(line + 3, NULL, 10);
		if (!matches_oracle(tmpls[k], line, &why)) {
			char *h = show(tmpls[k]);
			fail_msg("random case %zu %s: %s", k, h, why);
		}
	}
	assert_string_equal(p, ""); /* no more answers than cases */
	/* both kinds well represented */
	assert_true(nerr > NRANDOM / 10 && nerr < NRANDOM * 9 / 10);
	assert_true(nwords > NRANDOM);
	print_message("%d random templates: %zu errors, %zu words, all as shlex\n", NRANDOM, nerr,
		      nwords);
	for (size_t i = 0; i < NRANDOM; i++)
		free(tmpls[i]);
	free(tmpls);
	free(out);
}

/* --- placeholders ------------------------------------------------------- */

static const char *const two_files[] = { "/etc/barbican/barbican.conf", "/etc/b c/x's.conf" };

static const struct argv_values vals = {
	.node = "ctl1-api",
	.host = "ctl1.example.net",
	.service = "barbican-api",
	.url = "http://h/x?a=1&b='2' \"$HOME\" `id`",
	.release = "15.0.1",
	.revision = "8c74e2d7f1ff",
	.config_files = two_files,
	.nconfig_files = 2,
};

struct ecase {
	const char *tmpl;
	const struct argv_values *v;
	const char *words[MAXW + 1];
	const char *error;
};

static const struct argv_values spaces = {
	.node = "n 1",
	.host = "",
	.service = "{host}",
	.url = "a\tb\nc",
	.release = "'x'",
	.revision = "}}{{",
};

static const struct argv_values sparse = {
	.node = "n1",
};

static const struct ecase ecases[] = {
	{ "barbican-manage db upgrade -v {revision}", &vals,
	  { "barbican-manage", "db", "upgrade", "-v", "8c74e2d7f1ff" }, NULL },
	{ "--node={node} x{host}y {service}{release}", &vals,
	  { "--node=ctl1-api", "xctl1.example.nety", "barbican-api15.0.1" }, NULL },
	{ "curl {url}", &vals, { "curl", "http://h/x?a=1&b='2' \"$HOME\" `id`" }, NULL },
	{ "'{node}' \"{node}\" pre\\ {node}", &vals,
	  { "ctl1-api", "ctl1-api", "pre ctl1-api" }, NULL },
	/* values never split or merge words, are never expanded again */
	{ "x {node} {host} {service} {url} {release} {revision}", &spaces,
	  { "x", "n 1", "", "{host}", "a\tb\nc", "'x'", "}}{{" }, NULL },
	/* {{ and }} */
	{ "{{literal}} {{{node}}} a}}b {{", &vals,
	  { "{literal}", "{ctl1-api}", "a}b", "{" }, NULL },
	{ "awk '{{print $1}}'", &vals, { "awk", "{print $1}" }, NULL },
	/* {config_files} alone, as a word of its own (quoted or not) */
	{ "barbican-manage {config_files} db upgrade", &vals,
	  { "barbican-manage", "--config-file", "/etc/barbican/barbican.conf", "--config-file",
	    "/etc/b c/x's.conf", "db", "upgrade" }, NULL },
	{ "x '{config_files}' y", &sparse, { "x", "y" }, NULL },
	{ "{config_files}", NULL, { NULL }, NULL },
	{ "", &vals, { NULL }, NULL },
	/* errors */
	{ "--config={config_files}", &vals, { NULL },
	  "{config_files} must be a word of its own (word 1)" },
	{ "a {config_files}x", &vals, { NULL }, "{config_files} must be a word of its own (word 2)" },
	{ "a b {nope}", &vals, { NULL }, "unknown placeholder {nope} in word 3" },
	{ "{}", &vals, { NULL }, "unknown placeholder {} in word 1" },
	{ "{NODE}", &vals, { NULL }, "unknown placeholder {NODE} in word 1" },
	{ "'{ node}'", &vals, { NULL }, "unknown placeholder { node} in word 1" },
	{ "x {revision}", &sparse, { NULL }, "placeholder {revision} has no value for this step (word 2)" },
	{ "{node}", NULL, { NULL }, "placeholder {node} has no value for this step (word 1)" },
	{ "a {node", &vals, { NULL }, "unterminated placeholder in word 2" },
	{ "a}b", &vals, { NULL }, "single '}' in word 1" },
	{ "{node}}", &vals, { NULL }, "single '}' in word 1" },
	{ "{x\x1b[31m}", &vals, { NULL }, "unknown placeholder {x\\x1b[31m} in word 1" },
	{ "'{node}", &vals, { NULL }, "unterminated single quote starting at position 1" },
};

static void test_expand(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(ecases); i++) {
		const struct ecase *c = &ecases[i];
		char **argv = (char **)1;
		size_t argc = 99;
		struct bs_err err = { 0 };
		enum bs_status st = argv_expand(c->tmpl, c->v, &argv, &argc, &err);
		if (c->error) {
			if (st != BS_ST_CONFIG_VALUE || !strstr(err.detail, c->error))
				fail_msg("case %zu: want \"%s\", got %d \"%s\"", i, c->error, st,
					 err.detail);
			assert_null(argv);
			assert_int_equal(argc, 0);
			continue;
		}
		if (st != BS_ST_OK)
			fail_msg("case %zu: %s", i, err.detail);
		assert_int_equal(argc, count_words((char *const *)c->words));
		assert_null(argv[argc]);
		for (size_t j = 0; j < argc; j++)
			if (strcmp(argv[j], c->words[j]) != 0)
				fail_msg("case %zu word %zu: \"%s\" != \"%s\"", i, j, argv[j],
					 c->words[j]);
		argv_free(argv);
	}
}

static void test_expand_long_name(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	sb_addch(&sb, '{');
	for (int i = 0; i < 200; i++)
		sb_addch(&sb, 'z');
	sb_addch(&sb, '}');
	char **argv;
	size_t argc;
	struct bs_err err = { 0 };
	assert_int_equal(argv_expand(sb_str(&sb), &vals, &argv, &argc, &err), BS_ST_CONFIG_VALUE);
	assert_non_null(strstr(err.detail, "unknown placeholder {zzzz"));
	assert_non_null(strstr(err.detail, "zzz...} in word 1"));
	assert_true(strlen(err.detail) < 120);
	sb_free(&sb);
	argv_free(NULL);
}

/* --- display ------------------------------------------------------------ */

static void check_display(char *const *argv, const char *want)
{
	char *d = argv_display(argv);
	if (strcmp(d, want) != 0)
		fail_msg("display \"%s\", want \"%s\"", d, want);
	free(d);
}

static void test_display(void **state)
{
	char *a1[] = { "barbican-manage", "--config-file", "/etc/barbican/barbican.conf", "db",
		       "upgrade", "-v", "8c74e2d7f1ff", NULL };
	check_display(a1, "barbican-manage --config-file /etc/barbican/barbican.conf db upgrade -v "
			  "8c74e2d7f1ff");
	char *a2[] = { "ssh", "a b", "", "it's", "$HOME", "--x=y", "user@host:22", "a,b+c", NULL };
	check_display(a2, "ssh 'a b' '' 'it'\\''s' '$HOME' --x=y user@host:22 a,b+c");
	char *a3[] = { "A=b", "A=b", NULL };
	check_display(a3, "'A=b' A=b");
	char *a4[] = { "if", "if", "!", "{", "~", "#x", "x#", "%1", NULL };
	check_display(a4, "'if' if '!' '{' '~' '#x' 'x#' '%1'");
	char *a5[] = { "'", "''", "a\nb", "\xc3\xa9", NULL };
	check_display(a5, "''\\''' ''\\'''\\''' 'a\nb' '\xc3\xa9'");
	char *a6[] = { NULL };
	check_display(a6, "");
	check_display(NULL, "");
}

/* Words that a shell treats specially, one per printable ASCII character,
 * and more. */
static char **tricky_words(size_t *n)
{
	static const char *const fixed[] = {
		"", " ", "  ", "\t", "\n", "a b", "'", "''", "\"", "\\", "\\\\", "$", "$HOME", "${x}",
		"$(id)", "`id`", "*", "?", "[a]", "~", "~root", "a~", "#", "a#", "!", "!!", "{a,b}",
		"a=b", "--opt=a b", "-", "--", "|", ";", "&", "<", ">", "(", ")", "%", "^",
		"\xc3\xa9", "\x01", "\x7f", "\xe2\x80\xae", "\x1b[31m", "a'b\"c\\d$e`f", "\r",
		"if", "then", "time", "{", "}", "[[", "]]", "it's", NULL,
	};
	size_t nf = ARRAY_SIZE(fixed) - 1;
	char **w = xcalloc(nf + 96 + 1, sizeof(*w));
	size_t k = 0;
	for (size_t i = 0; i < nf; i++)
		w[k++] = xstrdup(fixed[i]);
	for (int c = 0x20; c < 0x7f; c++)
		w[k++] = xasprintf("x%cy", c);
	w[k] = NULL;
	*n = k;
	return w;
}

static char **random_argv(void)
{
	size_t n = 1 + rnd() % 5;
	char **w = xcalloc(n + 1, sizeof(*w));
	for (size_t i = 0; i < n; i++) {
		struct strbuf sb = STRBUF_INIT;
		size_t len = rnd() % 8;
		for (size_t j = 0; j < len; j++) {
			unsigned c = (unsigned)(rnd() % 130);
			/* printable ASCII mostly, then some controls and UTF-8 */
			if (c < 95)
				sb_addch(&sb, (char)(0x20 + c));
			else if (c < 105)
				sb_addch(&sb, "\t\n\r\x01\x7f\x1b\f\v\x02\x03"[c - 95]);
			else if (c < 120)
				sb_addstr(&sb, "\xc3\xa9");
			else
				sb_addch(&sb, (char)(0x80 + (c - 120))); /* dash's CTL bytes */
		}
		w[i] = sb_detach(&sb);
	}
	return w;
}

/* argv_display pasted into /bin/sh (and bash) gives the same words; it
 * also splits back with argv_split. */
static void display_through_shell(const char *shell)
{
	size_t ntricky;
	char **tricky = tricky_words(&ntricky);
	enum { NRAND = 300 };
	char **cases[1 + NRAND];
	cases[0] = tricky;
	rng = 42;
	for (size_t i = 1; i <= NRAND; i++)
		cases[i] = random_argv();

	struct strbuf sc = STRBUF_INIT;
	for (size_t i = 0; i <= NRAND; i++) {
		char *d = argv_display(cases[i]);
		char *cmd = xasprintf("set -- %s", d);
		add_sh_case(&sc, cmd);
		free(cmd);
		/* argv_display re-splits to the same words */
		char **back;
		size_t nb;
		struct bs_err err = { 0 };
		if (argv_split(d, &back, &nb, &err) != BS_ST_OK)
			fail_msg("display of case %zu does not split: %s", i, err.detail);
		assert_true(same_words(back, cases[i]));
		argv_free(back);
		free(d);
	}
	size_t len;
	char *out = oracle_run_prog(shell, &sc, &len);
	const char *p = out, *end = out + len;
	for (size_t i = 0; i <= NRAND; i++) {
		char **got = read_sh_record(&p, end);
		if (!same_words(got, cases[i])) {
			for (size_t j = 0; cases[i][j]; j++) {
				if (!got[j] || strcmp(got[j], cases[i][j]) != 0) {
					char *h = show(cases[i][j]);
					fail_msg("%s: case %zu word %zu (%s) comes back different", shell,
						 i, j, h);
				}
			}
			fail_msg("%s: case %zu: more words came back", shell, i);
		}
		argv_free(got);
	}
	assert_true(p == end);
	free(out);
	sb_free(&sc);
	for (size_t i = 0; i <= NRAND; i++)
		argv_free(cases[i]);
}

static void test_display_sh(void **state)
{
	display_through_shell("/bin/sh");
}

static void test_display_bash(void **state)
{
	if (access("/bin/bash", X_OK) != 0) {
		print_message("no /bin/bash: only /bin/sh was checked\n");
		return;
	}
	display_through_shell("/bin/bash");
}

/* In the command position too: a reserved word or NAME=value as argv[0]
 * must run a program of that name. Programs named so, in a private PATH,
 * print their name and arguments. */
static void test_display_command_word(void **state)
{
	static const char *const names[] = { "if", "A=b", "!", "{", "time", "x y", "it's",
					     "while", "~x", "#x", "-", "then" };
	char dir[] = "/tmp/bs-test-argv-path-XXXXXX";
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs("#!/bin/sh\nprintf '%s\\0' \"$(($# + 1))\" \"${0##*/}\" \"$@\"\n", f);
		fclose(f);
		assert_int_equal(chmod(path, 0700), 0);
		free(path);
	}
	const char *shells[] = { "/bin/sh", "/bin/bash" };
	for (size_t s = 0; s < ARRAY_SIZE(shells); s++) {
		if (access(shells[s], X_OK) != 0)
			continue;
		struct strbuf sc = STRBUF_INIT;
		sb_addf(&sc, "PATH='%s'\n", dir);
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			char *argv[] = { (char *)names[i], "a b", "$x", NULL };
			char *d = argv_display(argv);
			sb_addf(&sc, "%s\n", d);
			free(d);
		}
		size_t len;
		char *out = oracle_run_prog(shells[s], &sc, &len);
		const char *p = out, *end = out + len;
		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			char **got = read_sh_record(&p, end);
			char *want[] = { (char *)names[i], "a b", "$x", NULL };
			if (!same_words(got, want))
				fail_msg("%s: command word %s does not run itself", shells[s], names[i]);
			argv_free(got);
		}
		assert_true(p == end);
		free(out);
		sb_free(&sc);
	}
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		unlink(path);
		free(path);
	}
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_corpus),
		cmocka_unit_test(test_split_corpus_shlex),
		cmocka_unit_test(test_split_corpus_sh),
		cmocka_unit_test(test_split_random_shlex),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_expand_long_name),
		cmocka_unit_test(test_display),
		cmocka_unit_test(test_display_sh),
		cmocka_unit_test(test_display_bash),
		cmocka_unit_test(test_display_command_word),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
