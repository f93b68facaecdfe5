/* oracle-util.c: running the Python references of the unit tests and the
 * encodings they share (see oracle-util.h). */
#include <errno.h>
#include <ftw.h>
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

#include "oracle-util.h"
#include "sanitize.h"
#include "xalloc.h"

/* s in single quotes for sh, a quote inside as '\''. */
static void add_quoted(struct strbuf *sb, const char *s)
{
	sb_addch(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			sb_addstr(sb, "'\\''");
		else
			sb_addch(sb, *s);
	}
	sb_addch(sb, '\'');
}

/* Run cmd, with the quoted path of a temporary file holding input's bytes
 * appended when input is not NULL; all it wrote to stdout, its length to
 * *len unless len is NULL. Fails the test when it exits with an error, an
 * oracle with the hint of what it needs. */
static char *run_cmd(struct strbuf *cmd, const struct strbuf *input, size_t *len, bool oracle)
{
	char *file = NULL;
	if (input) {
		file = xasprintf("/tmp/bs-%s-XXXXXX", program_invocation_short_name);
		int fd = mkstemp(file);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, input->buf, input->len), (ssize_t)input->len);
		close(fd);
		sb_addch(cmd, ' ');
		add_quoted(cmd, file);
	}
	FILE *p = popen(sb_str(cmd), "r");
	assert_non_null(p);
	struct strbuf out = STRBUF_INIT;
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		sb_add(&out, buf, n);
	int st = pclose(p);
	if (file) {
		unlink(file);
		free(file);
	}
	if (st != 0 && oracle)
		fail_msg("the reference did not answer (status %d): %s\n"
			 "(scripts/install-deps.sh --test installs what the oracles need)", st,
			 sb_str(cmd));
	else if (st != 0)
		fail_msg("command failed (status %d): %s", st, sb_str(cmd));
	sb_free(cmd);
	if (len)
		*len = out.len;
	return sb_detach(&out);
}

char *oracle_run(const char *script, const struct strbuf *input, ...)
{
	const char *py = getenv("BS_PYTHON");
	const char *root = getenv("BS_SOURCE_ROOT");
	if (!py)
		py = "/usr/bin/python3";
	if (!root) {
		fail_msg("BS_SOURCE_ROOT is not set (run through meson test)");
		return NULL;
	}
	struct strbuf cmd = STRBUF_INIT;
	sb_addstr(&cmd, "PYTHONUTF8=1 ");
	add_quoted(&cmd, py);
	sb_addch(&cmd, ' ');
	char *path = xasprintf("%s/tests/oracle/%s", root, script);
	add_quoted(&cmd, path);
	free(path);
	va_list ap;
	va_start(ap, input);
	for (const char *arg; (arg = va_arg(ap, const char *));) {
		sb_addch(&cmd, ' ');
		add_quoted(&cmd, arg);
	}
	va_end(ap);
	return run_cmd(&cmd, input, NULL, true);
}

char *oracle_run_prog(const char *prog, const struct strbuf *input, size_t *len)
{
	struct strbuf cmd = STRBUF_INIT;
	add_quoted(&cmd, prog);
	return run_cmd(&cmd, input, len, false);
}

json_t *oracle_run_json(const char *script, const char *dir, json_t *req)
{
	char *path = xasprintf("%s/request.json", dir);
	assert_int_equal(json_dump_file(req, path, JSON_COMPACT), 0);
	char *out = oracle_run(script, NULL, path, NULL);
	free(path);
	json_error_t e;
	json_t *res = json_loads(out, 0, &e);
	if (!res)
		fail_msg("oracle output: %s", e.text);
	free(out);
	return res;
}

void oracle_add_hex(struct strbuf *sb, const char *s, size_t n)
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

char *oracle_unhex(const char *tok, size_t n, size_t *len)
{
	assert_true(n >= 1 && tok[0] == 'x' && n % 2 == 1);
	char *s = xmalloc(n / 2 + 1);
	for (size_t i = 1, j = 0; i < n; i += 2, j++) {
		int hi = hexval(tok[i]), lo = hexval(tok[i + 1]);
		assert_true(hi >= 0 && lo >= 0);
		s[j] = (char)(hi << 4 | lo);
	}
	s[n / 2] = '\0';
	if (len)
		*len = n / 2;
	return s;
}

/* The next '\n'-terminated line of *p (NUL-terminated in place), NULL at
 * the end. */
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

char *oracle_answer(char **p)
{
	char *line = next_line(p);
	if (!line)
		fail_msg("the oracle gave fewer answers than it was asked for");
	return line;
}

void oracle_show(const char *label, const char *s, size_t n, size_t max)
{
	bool cut = max && n > max;
	char *e = sanitize_term_n(s, cut ? max : n, false);
	fprintf(stderr, "  %s: %s%s\n", label, e, cut ? "..." : "");
	free(e);
}

void oracle_texts_add(struct oracle_texts *t, const char *s, size_t len)
{
	xgrow(&t->v, &t->cap, t->n + 1, sizeof(*t->v));
	xgrow(&t->len, &t->lcap, t->n + 1, sizeof(*t->len));
	t->v[t->n] = xmalloc(len + 1);
	memcpy(t->v[t->n], s, len);
	t->v[t->n][len] = '\0';
	t->len[t->n++] = len;
}

void oracle_texts_free(struct oracle_texts *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t->len);
}

char *oracle_run_texts(const char *script, const char *mode, const struct oracle_texts *t)
{
	struct strbuf in = STRBUF_INIT;
	for (size_t i = 0; i < t->n; i++) {
		oracle_add_hex(&in, t->v[i], t->len[i]);
		sb_addch(&in, '\n');
	}
	char *out = oracle_run(script, &in, mode, NULL);
	sb_free(&in);
	return out;
}

size_t oracle_add_corpus(struct oracle_texts *t, const char *script, const char *file)
{
	char *out = oracle_run(script, NULL, "corpus", file, NULL);
	char *p = out, *line;
	size_t added = 0;
	while ((line = next_line(&p))) {
		size_t n;
		char *s = oracle_unhex(line, strlen(line), &n);
		oracle_texts_add(t, s, n);
		free(s);
		added++;
	}
	free(out);
	return added;
}

size_t oracle_read_runs(const char *script, const char *mode, uint32_t *starts, int *vals,
			size_t max)
{
	char *out = oracle_run(script, NULL, mode, NULL);
	char *p = out, *line;
	size_t n = 0;
	while ((line = next_line(&p))) {
		assert_true(n < max);
		char *end;
		starts[n] = (uint32_t)strtoul(line, &end, 10);
		vals[n++] = (int)strtol(end, NULL, 10);
	}
	free(out);
	return n;
}

uint64_t oracle_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static char *tmpdir;

int oracle_tmpdir_setup(void **state)
{
	const char *base = getenv("TMPDIR");
	if (!base)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	tmpdir = xasprintf("%s/bs-%s-XXXXXX", base, program_invocation_short_name);
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "mkdtemp %s: %s\n", tmpdir, strerror(errno));
		free(tmpdir);
		tmpdir = NULL;
		return -1;
	}
	return 0;
}

const char *oracle_tmpdir(void)
{
	return tmpdir;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int oracle_tmpdir_teardown(void **state)
{
	if (!tmpdir)
		return 0;
	int r = 0;
	if (getenv("BS_TEST_KEEP"))
		fprintf(stderr, "kept %s\n", tmpdir);
	else
		r = nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(tmpdir);
	tmpdir = NULL;
	return r;
}
