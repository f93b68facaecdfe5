/* test-journal.c: runner/journal.c in temporary directories: the exact
 * line format, modes, failures that name the path, reading past corrupt
 * lines, and two processes appending at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/strbuf.h"
#include "core/xalloc.h"
#include "runner/journal.h"

/* --- fixtures ------------------------------------------------------------ */

struct tmp {
	char dir[64];
};

static void rm_rf(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);
	int r = system(cmd);
	(void)r;
	free(cmd);
}

static int setup(void **state)
{
	struct tmp *t = xcalloc(1, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/bs-test-journal-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tmp *t = *state;
	chmod(t->dir, 0700);
	rm_rf(t->dir);
	free(t);
	return 0;
}

static char *path_in(void **state, const char *name)
{
	struct tmp *t = *state;
	return xasprintf("%s/%s", t->dir, name);
}

/* The same, in a buffer of the caller's: forked children _exit without
 * freeing, and valgrind must see nothing of ours lost there. */
static const char *path_buf(void **state, const char *name, char *buf, size_t size)
{
	struct tmp *t = *state;
	snprintf(buf, size, "%s/%s", t->dir, name);
	return buf;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&sb, buf, n);
	fclose(f);
	return sb_detach(&sb);
}

/* s with the first from replaced by to (which must be there). */
static char *replace_once(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	assert_non_null(at);
	return xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

static char *argv_a[] = { "barbican-manage", "db", "upgrade", "-v", "8c74e2d7f1ff", NULL };

static struct journal_record sample(void)
{
	struct journal_record r = {
		.id = "20261125T104207Z-1234-ab12cd34",
		.user = "ops",
		.host = "jump1",
		.step = "expand",
		.node = NULL,
		.argv = argv_a,
		.start = 1795603327,
		.end = 1795603342,
		.has_exit = true,
		.exit_code = 0,
		.has_signal = false,
		.outcome = OUTCOME_VERIFIED,
		.detail = "database at 8c74e2d7f1ff",
		.release = "15.0.1",
		.revision = "8c74e2d7f1ff",
	};
	return r;
}

static const char sample_line[] =
	"{\"id\": \"20261125T104207Z-1234-ab12cd34\", \"user\": \"ops\", \"host\": \"jump1\", "
	"\"step\": \"expand\", \"node\": null, \"argv\": [\"barbican-manage\", \"db\", \"upgrade\", "
	"\"-v\", \"8c74e2d7f1ff\"], \"start\": \"2026-11-25T10:42:07Z\", \"end\": "
	"\"2026-11-25T10:42:22Z\", \"exit\": 0, \"signal\": null, \"outcome\": \"verified\", "
	"\"detail\": \"database at 8c74e2d7f1ff\", \"release\": \"15.0.1\", \"revision\": "
	"\"8c74e2d7f1ff\"}\n";

static void append_ok(const char *path, const struct journal_record *r)
{
	struct journal *j;
	struct bs_err err = { 0 };
	if (journal_open(path, &j, &err) != BS_ST_OK)
		fail_msg("journal_open: %s", err.detail);
	if (journal_append(j, r, &err) != BS_ST_OK)
		fail_msg("journal_append: %s", err.detail);
	journal_close(j);
}

static void assert_str_or_null(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_same_record(const struct journal_record *a, const struct journal_record *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->user, b->user);
	assert_string_equal(a->host, b->host);
	assert_string_equal(a->step, b->step);
	assert_str_or_null(a->node, b->node);
	if (!a->argv || !b->argv) {
		assert_ptr_equal(a->argv, b->argv);
	} else {
		size_t i = 0;
		for (; a->argv[i] && b->argv[i]; i++)
			assert_string_equal(a->argv[i], b->argv[i]);
		assert_null(a->argv[i]);
		assert_null(b->argv[i]);
	}
	assert_int_equal(a->start, b->start);
	assert_int_equal(a->end, b->end);
	assert_int_equal(a->has_exit, b->has_exit);
	if (a->has_exit)
		assert_int_equal(a->exit_code, b->exit_code);
	assert_int_equal(a->has_signal, b->has_signal);
	if (a->has_signal)
		assert_int_equal(a->signal, b->signal);
	assert_int_equal(a->outcome, b->outcome);
	assert_string_equal(a->detail ? a->detail : "", b->detail);
	assert_str_or_null(a->release, b->release);
	assert_str_or_null(a->revision, b->revision);
}

/* --- the format ------------------------------------------------------------ */

static void test_line_format(void **state)
{
	char *path = path_in(state, "j.jsonl");
	struct journal_record r = sample();
	append_ok(path, &r);
	char *text = read_all(path);
	assert_string_equal(text, sample_line);
	free(text);

	/* a vouched manual step: argv, exit and revision null, a signal */
	r.argv = NULL;
	r.node = "ctl1-api";
	r.has_exit = false;
	r.has_signal = true;
	r.signal = 15;
	r.outcome = OUTCOME_VOUCHED;
	r.detail = NULL;
	r.revision = NULL;
	append_ok(path, &r);
	text = read_all(path);
	const char *second = strchr(text, '\n') + 1;
	assert_string_equal(second,
			    "{\"id\": \"20261125T104207Z-1234-ab12cd34\", \"user\": \"ops\", \"host\": "
			    "\"jump1\", \"step\": \"expand\", \"node\": \"ctl1-api\", \"argv\": null, "
			    "\"start\": \"2026-11-25T10:42:07Z\", \"end\": \"2026-11-25T10:42:22Z\", "
			    "\"exit\": null, \"signal\": 15, \"outcome\": \"vouched\", \"detail\": \"\", "
			    "\"release\": \"15.0.1\", \"revision\": null}\n");
	free(text);
	free(path);
}

static void test_roundtrip(void **state)
{
	char *path = path_in(state, "sub/dir/j.jsonl");
	char *odd_argv[] = { "sh", "-c", "echo \"a\nb\"\t$x \\ '\x1b[31m' \xc3\xa9 \xf0\x9f\x94\x91",
			     "", NULL };
	struct journal_record recs[6];
	for (int i = 0; i < 6; i++)
		recs[i] = sample();
	recs[1].argv = odd_argv;
	recs[1].detail = "line 1\nline 2\r\n\"quoted\" \\ \x01 \x7f \xe2\x80\xae";
	recs[1].node = "n\xc3\xa9";
	recs[1].outcome = OUTCOME_FAILED;
	recs[1].exit_code = 3;
	recs[2].outcome = OUTCOME_CANCELLED;
	recs[2].has_exit = false;
	recs[2].has_signal = true;
	recs[2].signal = 9;
	recs[3].outcome = OUTCOME_NOT_VERIFIED;
	recs[3].exit_code = -1;
	recs[3].start = 0;
	recs[3].end = 4102444799; /* 2099-12-31T23:59:59Z */
	recs[4].outcome = OUTCOME_VOUCHED;
	recs[4].argv = NULL;
	recs[4].release = NULL;
	recs[4].revision = NULL;
	char *empty_argv[] = { NULL };
	recs[5].argv = empty_argv;
	recs[5].id = "x";
	for (int i = 0; i < 6; i++)
		append_ok(path, &recs[i]);

	struct journal_record *got;
	size_t n, nbad, *bad;
	struct bs_err err = { 0 };
	assert_int_equal(journal_read(path, &got, &n, &bad, &nbad, &err), BS_ST_OK);
	assert_int_equal(n, 6);
	assert_int_equal(nbad, 0);
	assert_null(bad);
	for (int i = 0; i < 6; i++)
		assert_same_record(&recs[i], &got[i]);
	journal_records_free(got, n);
	free(path);
}

/* Invalid UTF-8 is written as U+FFFD (the line stays valid JSON). */
static void test_invalid_utf8(void **state)
{
	char *path = path_in(state, "j.jsonl");
	struct journal_record r = sample();
	r.detail = "a\xff" "b\xc3";
	append_ok(path, &r);
	char *text = read_all(path);
	assert_non_null(strstr(text, "\"detail\": \"a\\ufffdb\\ufffd\""));
	free(text);
	struct journal_record *got;
	size_t n;
	assert_int_equal(journal_read(path, &got, &n, NULL, NULL, NULL), BS_ST_OK);
	assert_int_equal(n, 1);
	assert_string_equal(got[0].detail, "a\xef\xbf\xbd" "b\xef\xbf\xbd");
	journal_records_free(got, n);
	free(path);
}

static void test_outcomes(void **state)
{
	static const char *const names[] = { "verified", "not-verified", "failed", "vouched",
					     "cancelled" };
	for (int i = 0; i < 5; i++) {
		enum journal_outcome o;
		assert_string_equal(journal_outcome_name((enum journal_outcome)i), names[i]);
		assert_true(journal_outcome_parse(names[i], &o));
		assert_int_equal(o, i);
	}
	enum journal_outcome o;
	assert_false(journal_outcome_parse("Verified", &o));
	assert_false(journal_outcome_parse("", &o));
	assert_string_equal(journal_outcome_name((enum journal_outcome)99), "unknown");
}

static void test_new_id(void **state)
{
	char *a = journal_new_id(), *b = journal_new_id();
	/* 20261125T104207.123456789Z-PID-xxxxxxxx */
	assert_int_equal(a[8], 'T');
	assert_int_equal(a[15], '.');
	assert_int_equal(strspn(a + 16, "0123456789"), 9);
	assert_int_equal(a[25], 'Z');
	char *pid = xasprintf("-%ld-", (long)getpid());
	assert_memory_equal(a + 26, pid, strlen(pid));
	const char *hex = a + 26 + strlen(pid);
	assert_int_equal(strlen(hex), 8);
	assert_int_equal(strspn(hex, "0123456789abcdef"), 8);
	assert_string_not_equal(a, b);
	/* made one after the other: they sort in that order */
	assert_true(strcmp(a, b) < 0);
	free(pid);
	free(a);
	free(b);
}

static void test_append_rejects(void **state)
{
	char *path = path_in(state, "j.jsonl");
	struct journal *j;
	struct bs_err err = { 0 };
	assert_int_equal(journal_open(path, &j, &err), BS_ST_OK);
	struct journal_record r = sample();
	r.id = NULL;
	assert_int_equal(journal_append(j, &r, &err), BS_ST_INTERNAL);
	r = sample();
	r.outcome = (enum journal_outcome)42;
	assert_int_equal(journal_append(j, &r, &err), BS_ST_INTERNAL);
	journal_close(j);
	journal_close(NULL);
	char *text = read_all(path);
	assert_string_equal(text, "");
	free(text);
	free(path);
}

/* --- modes and failures --------------------------------------------------- */

static void test_modes(void **state)
{
	struct tmp *t = *state;
	mode_t old = umask(0);
	char *path = path_in(state, "a/b/c/journal.jsonl");
	struct journal *j;
	struct bs_err err = { 0 };
	assert_int_equal(journal_open(path, &j, &err), BS_ST_OK);
	journal_close(j);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	const char *dirs[] = { "a", "a/b", "a/b/c" };
	for (size_t i = 0; i < 3; i++) {
		char *d = xasprintf("%s/%s", t->dir, dirs[i]);
		assert_int_equal(stat(d, &sb), 0);
		assert_int_equal(sb.st_mode & 07777, 0700);
		free(d);
	}
	free(path);

	/* an umask that takes the owner's bits away changes nothing */
	umask(0277);
	path = path_in(state, "x/journal.jsonl");
	assert_int_equal(journal_open(path, &j, &err), BS_ST_OK);
	journal_close(j);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	char *d = path_in(state, "x");
	assert_int_equal(stat(d, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0700);
	free(d);
	free(path);

	/* an existing journal keeps its mode (a team may share one) */
	umask(022);
	path = path_in(state, "shared.jsonl");
	write_file(path, "");
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(journal_open(path, &j, &err), BS_ST_OK);
	journal_close(j);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	free(path);
	umask(old);
}

static void expect_open_fails(const char *path, const char *what)
{
	struct journal *j = (struct journal *)1;
	struct bs_err err = { 0 };
	assert_int_equal(journal_open(path, &j, &err), BS_ST_IO);
	assert_null(j);
	if (!strstr(err.detail, path) || !strstr(err.detail, what))
		fail_msg("\"%s\" does not name %s and %s", err.detail, path, what);
}

static void test_open_fails(void **state)
{
	struct tmp *t = *state;
	/* a directory */
	expect_open_fails(t->dir, "Is a directory");
	/* a file where a directory should be */
	char *file = path_in(state, "file");
	write_file(file, "x");
	char *below = xasprintf("%s/journal.jsonl", file);
	expect_open_fails(below, "Not a directory");
	free(below);
	below = xasprintf("%s/sub/journal.jsonl", file);
	expect_open_fails(below, "Not a directory");
	free(below);
	free(file);
}

static void test_open_not_regular(void **state)
{
	expect_open_fails("/dev/null", "not a regular file");
	char *fifo = path_in(state, "fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* no reader: refused at once, never a hang */
	struct journal *j;
	struct bs_err err = { 0 };
	assert_int_equal(journal_open(fifo, &j, &err), BS_ST_IO);
	assert_non_null(strstr(err.detail, fifo));
	free(fifo);
	assert_int_equal(journal_open("", &j, &err), BS_ST_IO);
	assert_non_null(strstr(err.detail, "no journal path"));
	assert_int_equal(journal_open(NULL, &j, &err), BS_ST_IO);
}

/* A directory we may not write to. Root may write anywhere, so as root the
 * check runs in a child that became nobody. */
static void test_open_readonly_dir(void **state)
{
	struct tmp *t = *state;
	char ro[256], path[256], deeper[256];
	path_buf(state, "ro", ro, sizeof(ro));
	path_buf(state, "ro/journal.jsonl", path, sizeof(path));
	path_buf(state, "ro/new/journal.jsonl", deeper, sizeof(deeper));
	assert_int_equal(mkdir(ro, 0700), 0);
	assert_int_equal(chmod(t->dir, 0755), 0);
	assert_int_equal(chmod(ro, 0555), 0);
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(3);
		struct journal *j;
		struct bs_err err = { 0 }, err2 = { 0 };
		int bad = journal_open(path, &j, &err) == BS_ST_IO &&
			  journal_open(deeper, &j, &err2) == BS_ST_IO;
		dprintf(p[1], "%s\n%s\n", err.detail, err2.detail);
		_exit(bad ? 0 : 1);
	}
	close(p[1]);
	char buf[4096] = { 0 };
	ssize_t n = 0, r;
	while ((r = read(p[0], buf + n, sizeof(buf) - 1 - (size_t)n)) > 0)
		n += r;
	close(p[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("journal_open in a read-only directory: exit %d: %s", WEXITSTATUS(status),
			 buf);
	char *want1 = xasprintf("cannot open journal %s: Permission denied", path);
	char *want2 = xasprintf("cannot create directory %s/new for journal %s: Permission denied",
				ro, deeper);
	assert_non_null(strstr(buf, want1));
	assert_non_null(strstr(buf, want2));
	free(want1);
	free(want2);
	chmod(ro, 0700);
}

/* A write that fails half-way (the file size limit): BS_ST_IO, and the next
 * record starts on a line of its own, so that only the torn line is lost. */
static void test_torn_write(void **state)
{
	char path[256];
	path_buf(state, "j.jsonl", path, sizeof(path));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		struct journal *j;
		struct bs_err err = { 0 };
		struct journal_record r = sample();
		if (journal_open(path, &j, &err) != BS_ST_OK)
			_exit(2);
		if (journal_append(j, &r, &err) != BS_ST_OK) {
			journal_close(j);
			_exit(2);
		}
		struct rlimit old, lim;
		getrlimit(RLIMIT_FSIZE, &old);
		lim = old;
		lim.rlim_cur = (rlim_t)(strlen(sample_line) + 100);
		setrlimit(RLIMIT_FSIZE, &lim);
		if (journal_append(j, &r, &err) != BS_ST_IO || !strstr(err.detail, "File too large") ||
		    !strstr(err.detail, path)) {
			journal_close(j);
			_exit(3);
		}
		setrlimit(RLIMIT_FSIZE, &old);
		r.id = "after";
		int rc = journal_append(j, &r, &err) != BS_ST_OK ? 4 : 0;
		journal_close(j);
		_exit(rc);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	struct journal_record *got;
	size_t n, nbad, *bad;
	assert_int_equal(journal_read(path, &got, &n, &bad, &nbad, NULL), BS_ST_OK);
	assert_int_equal(n, 2);
	assert_string_equal(got[1].id, "after");
	assert_int_equal(nbad, 1);
	assert_int_equal(bad[0], 2);
	journal_records_free(got, n);
	free(bad);
}

/* A journal whose last line lost its newline (another writer's failure):
 * the next record still gets a line of its own. */
static void test_append_after_unterminated(void **state)
{
	char *path = path_in(state, "j.jsonl");
	struct strbuf sb = STRBUF_INIT;
	sb_add(&sb, sample_line, strlen(sample_line) - 1);
	write_file(path, sb_str(&sb));
	sb_free(&sb);
	struct journal_record r = sample();
	append_ok(path, &r);
	struct journal_record *got;
	size_t n, nbad;
	assert_int_equal(journal_read(path, &got, &n, NULL, &nbad, NULL), BS_ST_OK);
	assert_int_equal(n, 2);
	assert_int_equal(nbad, 0);
	journal_records_free(got, n);
	free(path);
}

/* --- reading ------------------------------------------------------------- */

static void test_read_missing(void **state)
{
	char *path = path_in(state, "none/j.jsonl");
	struct journal_record *got = (struct journal_record *)1;
	size_t n = 9, nbad = 9, *bad = (size_t *)1;
	assert_int_equal(journal_read(path, &got, &n, &bad, &nbad, NULL), BS_ST_OK);
	assert_null(got);
	assert_int_equal(n, 0);
	assert_null(bad);
	assert_int_equal(nbad, 0);
	free(path);

	struct tmp *t = *state;
	struct bs_err err = { 0 };
	assert_int_equal(journal_read(t->dir, &got, &n, NULL, NULL, &err), BS_ST_IO);
	assert_non_null(strstr(err.detail, t->dir));
	assert_non_null(strstr(err.detail, "Is a directory"));
}

static void test_read_tolerant(void **state)
{
	char *path = path_in(state, "j.jsonl");
	struct strbuf sb = STRBUF_INIT;
	const char *good = sample_line;
	size_t glen = strlen(good);
	sb_addstr(&sb, good);                                  /* 1 ok */
	sb_add(&sb, good, glen - 20);                           /* 2 torn */
	sb_addch(&sb, '\n');
	sb_add(&sb, good, glen - 1);                            /* 3 ok, CRLF */
	sb_addstr(&sb, "\r\n");
	sb_addstr(&sb, "\n");                                   /* 4 blank: skipped */
	sb_addstr(&sb, "not json at all\n");                    /* 5 */
	sb_addstr(&sb, "[1, 2]\n");                             /* 6 not an object */
	static const char *const edits[][2] = {
		{ "\"exit\": 0", "\"exit\": \"0\"" },                  /* 7 exit is a string */
		{ "\"verified\"", "\"verifyed\"" },                     /* 8 unknown outcome */
		{ "2026-11-25T10:42:07Z", "2026-13-25T10:42:07Z" },     /* 9 bad time */
		{ "\"id\": \"2026", "\"id\": \"a\", \"id\": \"2026" },      /* 10 duplicate key */
		{ ", \"release\": \"15.0.1\", \"revision\": \"8c74e2d7f1ff\"", "" }, /* 11 old: fine */
		{ "\"user\": \"ops\"", "\"user\": 123" },                 /* 12 not a string */
	};
	for (size_t i = 0; i < ARRAY_SIZE(edits); i++) {
		char *s = replace_once(good, edits[i][0], edits[i][1]);
		sb_addstr(&sb, s);
		free(s);
	}
	for (int i = 0; i < 2 * 1024 * 1024; i++)              /* 13 far too long */
		sb_addch(&sb, 'x');
	sb_addch(&sb, '\n');
	sb_addstr(&sb, "{\"id\": \"x\\u0000y\"}\n");         /* 14 NUL */
	sb_add(&sb, good, glen - 1);                            /* 15 ok, no newline at the end */
	write_file(path, sb_str(&sb));
	sb_free(&sb);

	struct journal_record *got;
	size_t n, nbad, *bad;
	struct bs_err err = { 0 };
	assert_int_equal(journal_read(path, &got, &n, &bad, &nbad, &err), BS_ST_OK);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(got[i].id, "20261125T104207Z-1234-ab12cd34");
	assert_null(got[2].release);
	assert_null(got[2].revision);
	assert_string_equal(got[3].revision, "8c74e2d7f1ff");
	static const size_t want_bad[] = { 2, 5, 6, 7, 8, 9, 10, 12, 13, 14 };
	assert_int_equal(nbad, ARRAY_SIZE(want_bad));
	for (size_t i = 0; i < nbad; i++)
		assert_int_equal(bad[i], want_bad[i]);
	journal_records_free(got, n);
	free(bad);

	/* a torn last line: reported, the rest kept */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(good, f);
	fwrite(good, 1, glen / 2, f);
	fclose(f);
	assert_int_equal(journal_read(path, &got, &n, NULL, &nbad, &err), BS_ST_OK);
	assert_int_equal(n, 1);
	assert_int_equal(nbad, 1);
	journal_records_free(got, n);
	free(path);
}

/* --- concurrency --------------------------------------------------------- */

#define PER_WRITER 200

static void test_two_writers(void **state)
{
	char path[256];
	path_buf(state, "j.jsonl", path, sizeof(path));
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t pids[2];
	for (int w = 0; w < 2; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			close(go[1]);
			char c;
			if (read(go[0], &c, 1) != 0)
				_exit(5);
			struct journal *j;
			struct bs_err err = { 0 };
			if (journal_open(path, &j, &err) != BS_ST_OK)
				_exit(2);
			/* records of different lengths, some longer than a page */
			struct strbuf detail = STRBUF_INIT;
			for (int i = 0; i < PER_WRITER; i++) {
				struct journal_record r = sample();
				char *id = xasprintf("w%d-%d", w, i);
				sb_reset(&detail);
				for (int k = 0; k < (i % 7) * 900; k++)
					sb_addch(&detail, (char)('a' + (k + w) % 26));
				r.id = id;
				r.detail = (char *)sb_str(&detail);
				bool ok = journal_append(j, &r, &err) == BS_ST_OK;
				free(id);
				if (!ok)
					_exit(3);
			}
			sb_free(&detail);
			journal_close(j);
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]); /* both start now */
	for (int w = 0; w < 2; w++) {
		int status;
		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	struct journal_record *got;
	size_t n, nbad;
	assert_int_equal(journal_read(path, &got, &n, NULL, &nbad, NULL), BS_ST_OK);
	assert_int_equal(nbad, 0);
	assert_int_equal(n, 2 * PER_WRITER);
	/* every record once, each writer's in its order */
	int next[2] = { 0, 0 }, last = -1;
	size_t switches = 0;
	for (size_t i = 0; i < n; i++) {
		int w, k;
		assert_int_equal(sscanf(got[i].id, "w%d-%d", &w, &k), 2);
		switches += last >= 0 && w != last;
		last = w;
		assert_true(w == 0 || w == 1);
		assert_int_equal(k, next[w]);
		next[w]++;
		assert_int_equal(strlen(got[i].detail), (size_t)((k % 7) * 900));
	}
	print_message("%zu records, the writers took turns %zu times\n", n, switches);
	journal_records_free(got, n);
}

/* --- the default path ------------------------------------------------------ */

static void test_default_path(void **state)
{
	char *saved_xdg = getenv("XDG_STATE_HOME") ? xstrdup(getenv("XDG_STATE_HOME")) : NULL;
	char *saved_home = getenv("HOME") ? xstrdup(getenv("HOME")) : NULL;
	char *p = journal_default_path("/var/log/bs.jsonl");
	assert_string_equal(p, "/var/log/bs.jsonl");
	free(p);
	setenv("XDG_STATE_HOME", "/xdg/state", 1);
	setenv("HOME", "/home/ops", 1);
	p = journal_default_path(NULL);
	assert_string_equal(p, "/xdg/state/barbican-status/journal.jsonl");
	free(p);
	p = journal_default_path("");
	assert_string_equal(p, "/xdg/state/barbican-status/journal.jsonl");
	free(p);
	setenv("XDG_STATE_HOME", "relative/state", 1); /* ignored, as the XDG spec says */
	p = journal_default_path(NULL);
	assert_string_equal(p, "/home/ops/.local/state/barbican-status/journal.jsonl");
	free(p);
	unsetenv("XDG_STATE_HOME");
	unsetenv("HOME");
	p = journal_default_path(NULL); /* the passwd entry */
	if (p) {
		assert_true(p[0] == '/');
		assert_non_null(strstr(p, "/.local/state/barbican-status/journal.jsonl"));
	}
	free(p);
	if (saved_xdg)
		setenv("XDG_STATE_HOME", saved_xdg, 1);
	if (saved_home)
		setenv("HOME", saved_home, 1);
	free(saved_xdg);
	free(saved_home);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_line_format),
		T(test_roundtrip),
		T(test_invalid_utf8),
		cmocka_unit_test(test_outcomes),
		cmocka_unit_test(test_new_id),
		T(test_append_rejects),
		T(test_modes),
		T(test_open_fails),
		T(test_open_not_regular),
		T(test_open_readonly_dir),
		T(test_torn_write),
		T(test_append_after_unterminated),
		T(test_read_missing),
		T(test_read_tolerant),
		T(test_two_writers),
		cmocka_unit_test(test_default_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
