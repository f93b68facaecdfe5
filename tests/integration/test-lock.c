/* test-lock.c: runner/lock.c. The application_name rules first (pure), then
 * the advisory lock against the REAL PostgreSQL of the test environment
 * (tests/env/testenv.sh up DIR; BS_TESTENV=DIR or DIR/env.json). Without
 * the environment the program FAILS, it never skips. Each run works in a
 * database of its own, dropped at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "core/xalloc.h"
#include "db/db.h"
#include "runner/lock.h"

/* What these tests look at of a holder: PostgreSQL's own view of it. */
struct lock_holder {
	bool held;
	char *application_name;
	int pid;
};

static void lock_holder_clear(struct lock_holder *h)
{
	if (!h)
		return;
	free(h->application_name);
	memset(h, 0, sizeof(*h));
}

/* One record for every lock these tests take (the local-journal mode:
 * [record] backend = file, PostgreSQL's advisory lock alone). */
static struct journal_record test_rec = { .id = (char *)"it-lock", .user = (char *)"ops",
					  .host = (char *)"jump1", .step = (char *)"expand",
					  .outcome = OUTCOME_RUNNING };

static enum lock_outcome take_url(const char *url, const char *name, double timeout_s,
				  struct dblock **l, struct lock_holder *h, struct bs_err *err)
{
	struct lock_request rq = { .url = url, .record_file = true, .application_name = name,
				   .timeout_s = timeout_s, .lease_s = 30, .rec = &test_rec };
	struct lock_obs o = { 0 };
	enum lock_outcome r = lock_acquire(&rq, l, &o, err);
	if (h) {
		memset(h, 0, sizeof(*h));
		h->held = o.held;
		h->application_name = o.holder ? xstrdup(o.holder) : NULL;
		h->pid = o.holder_pid;
	}
	lock_obs_clear(&o);
	return r;
}

/* Who holds the advisory lock, asked on an existing connection. */
static const char *lock_holder_sql(void);
static bool lock_query_holder(PGconn *conn, int except_pid, struct lock_holder *out)
{
	char pidbuf[16];
	snprintf(pidbuf, sizeof(pidbuf), "%d", except_pid);
	const char *params[] = { pidbuf };
	memset(out, 0, sizeof(*out));
	PGresult *res = PQexecParams(conn, lock_holder_sql(), 1, NULL, params, NULL, NULL, 0);
	bool ok = res && PQresultStatus(res) == PGRES_TUPLES_OK;
	if (ok && PQntuples(res) == 1) {
		out->held = true;
		out->pid = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
		out->application_name = xstrdup(PQgetvalue(res, 0, 1));
	}
	PQclear(res);
	return ok;
}

static void lock_release(struct dblock *l)
{
	lock_finish(l, NULL, NULL);
}

static const char *lock_holder_sql(void)
{
	static char sql[2048];
	const char *s = lockobs_advisory_sql(), *q = strchr(s, '?');
	snprintf(sql, sizeof(sql), "%.*s$1%s", (int)(q - s), s, q + 1);
	return sql;
}

/* 2026-11-25T10:42:07Z */
#define SINCE ((time_t)1795603327)

/* --- application_name (no database) -------------------------------------- */

static void check_name(const char *step, const char *user, const char *host, const char *want)
{
	char *got = lock_application_name(step, user, host, SINCE);
	if (strcmp(got, want) != 0)
		fail_msg("application_name \"%s\", want \"%s\"", got, want);
	assert_true(strlen(got) <= 63);
	free(got);
}

static void test_name_rules(void **state)
{
	check_name("expand", "ops", "jump1",
		   "barbican-status: expand by ops@jump1 since 2026-11-25T10:42Z");
	/* too long: the host is cut first ... */
	check_name("upgrade_node", "ops", "jump1",
		   "barbican-status: upgrade_node by ops@ju since 2026-11-25T10:42Z");
	check_name("expand", "ops", "very-long-hostname.example.com",
		   "barbican-status: expand by ops@very-lon since 2026-11-25T10:42Z");
	/* ... then the user ... */
	check_name("expand", "averyveryverylongusername", "h",
		   "barbican-status: expand by averyveryve@ since 2026-11-25T10:42Z");
	/* ... then the step; the prefix and the time stay whole */
	check_name("data_migrations_and_more", "ops", "jump1",
		   "barbican-status: data_migrations_a by @ since 2026-11-25T10:42Z");
	check_name("data_migrations", "ops", "jump1",
		   "barbican-status: data_migrations by op@ since 2026-11-25T10:42Z");
	/* ASCII only: one '?' per character that is not printable ASCII */
	check_name("expand", "j\xc3\xbcrgen", "h\xc3\xb6st\x1b\x7f",
		   "barbican-status: expand by j?rgen@h?st? since 2026-11-25T10:42Z");
	check_name("\xff\xfe", "\xf0\x9f\x94\x91", "\xe2\x80\xae",
		   "barbican-status: ?? by ?@? since 2026-11-25T10:42Z");
	check_name(NULL, NULL, NULL, "barbican-status: ? by ?@? since 2026-11-25T10:42Z");
	check_name("", "", "", "barbican-status:  by @ since 2026-11-25T10:42Z");
	/* exactly 63 */
	check_name("expand", "ops", "jump1234",
		   "barbican-status: expand by ops@jump1234 since 2026-11-25T10:42Z");
	check_name("expand", "ops", "jump12345",
		   "barbican-status: expand by ops@jump1234 since 2026-11-25T10:42Z");
	/* the prefix is the one consoles look for */
	char *n = lock_application_name("x", "u", "h", 0);
	assert_memory_equal(n, BS_APPNAME_PREFIX, strlen(BS_APPNAME_PREFIX));
	assert_string_equal(n, "barbican-status: x by u@h since 1970-01-01T00:00Z");
	free(n);
}

static uint64_t rng = 7;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static char *random_bytes(void)
{
	size_t n = rnd() % 50;
	char *s = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		s[i] = (char)(1 + rnd() % 255);
	s[n] = '\0';
	return s;
}

static void test_name_invariants(void **state)
{
	for (int i = 0; i < 5000; i++) {
		char *a = random_bytes(), *b = random_bytes(), *c = random_bytes();
		time_t t = (time_t)(rnd() % 4102444800ULL);
		char *n = lock_application_name(a, b, c, t);
		size_t len = strlen(n);
		assert_true(len <= 63);
		for (size_t k = 0; k < len; k++)
			assert_true(n[k] >= 0x20 && n[k] < 0x7f);
		assert_memory_equal(n, BS_APPNAME_PREFIX, strlen(BS_APPNAME_PREFIX));
		char when[32];
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), " since %Y-%m-%dT%H:%MZ", &tm);
		assert_string_equal(n + len - strlen(when), when);
		free(n);
		free(a);
		free(b);
		free(c);
	}
}

static void test_sql(void **state)
{
	const char *sql = lock_holder_sql();
	assert_non_null(strstr(sql, "pg_locks"));
	assert_non_null(strstr(sql, "'1651733872'::oid")); /* 0x62737570 "bsup" */
	assert_non_null(strstr(sql, "'1735550053'::oid")); /* 0x67726465 "grde" */
	assert_non_null(strstr(sql, "$1"));
	assert_true(BS_LOCK_KEY == 7094142963671000165LL);
	lock_holder_clear(NULL);
}

/* --- the real PostgreSQL ------------------------------------------------- */

struct pg {
	char host[256], port[16], user[128], password[256];
	char db[64];
};

static struct pg pg;

static PGconn *raw_connect(const char *db)
{
	const char *k[] = { "host", "port", "user", "password", "dbname", "application_name", NULL };
	const char *v[] = { pg.host, pg.port, pg.user, pg.password, db, "test-lock raw", NULL };
	PGconn *c = PQconnectdbParams(k, v, 0);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect: %s", PQerrorMessage(c));
	return c;
}

static void raw_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
}

static bool raw_try_lock(PGconn *c)
{
	char *sql = xasprintf("SELECT pg_try_advisory_lock(%lld)", (long long)BS_LOCK_KEY);
	PGresult *r = PQexec(c, sql);
	free(sql);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	bool t = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return t;
}

static int load_env(void)
{
	const char *where = getenv("BS_TESTENV");
	if (!where || !*where) {
		fprintf(stderr, "test-lock: BS_TESTENV is not set: start the test environment with "
				"tests/env/testenv.sh up DIR and export BS_TESTENV=DIR\n");
		return -1;
	}
	size_t wl = strlen(where);
	char *path = wl > 5 && strcmp(where + wl - 5, ".json") == 0 ? xstrdup(where) :
								       xasprintf("%s/env.json", where);
	json_error_t jerr;
	json_t *env = json_load_file(path, 0, &jerr);
	if (!env) {
		fprintf(stderr, "test-lock: %s: %s (is the test environment up?)\n", path, jerr.text);
		free(path);
		return -1;
	}
	json_t *p = json_object_get(env, "pg");
	const char *host = json_string_value(json_object_get(p, "host"));
	const char *user = json_string_value(json_object_get(p, "user"));
	const char *pw = json_string_value(json_object_get(p, "password"));
	json_t *port = json_object_get(p, "port");
	if (!host || !user || !pw || !json_is_integer(port)) {
		fprintf(stderr, "test-lock: %s: no pg.host, pg.port, pg.user, pg.password\n", path);
		json_decref(env);
		free(path);
		return -1;
	}
	snprintf(pg.host, sizeof(pg.host), "%s", host);
	snprintf(pg.port, sizeof(pg.port), "%lld", (long long)json_integer_value(port));
	snprintf(pg.user, sizeof(pg.user), "%s", user);
	snprintf(pg.password, sizeof(pg.password), "%s", pw);
	snprintf(pg.db, sizeof(pg.db), "it_lock_%d", (int)getpid());
	json_decref(env);
	free(path);
	return 0;
}

static int db_setup(void **state)
{
	PGconn *c = raw_connect("postgres");
	char *sql = xasprintf("CREATE DATABASE \"%s\"", pg.db);
	PGresult *r = PQexec(c, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "test-lock: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	free(sql);
	PQfinish(c);
	return ok ? 0 : -1;
}

static int db_teardown(void **state)
{
	PGconn *c = raw_connect("postgres");
	char *sql = xasprintf("DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", pg.db);
	raw_exec(c, sql);
	free(sql);
	PQfinish(c);
	return 0;
}

static char *pg_url(const char *password)
{
	return xasprintf("postgresql://%s:%s@%s:%s/%s?application_name=from-the-url&"
			 "connect_timeout=1000", pg.user, password ? password : pg.password,
			 pg.host, pg.port, pg.db);
}

static struct dblock *acquire(const char *name, struct lock_holder *h)
{
	char *url = pg_url(NULL);
	struct dblock *l = (struct dblock *)1;
	struct bs_err err = { 0 };
	if (take_url(url, name, 5, &l, h, &err) == LOCK_ERROR)
		fail_msg("lock_acquire: %s", err.detail);
	free(url);
	return l;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Acquire until it works (a dead holder's backend needs a moment to go). */
static struct dblock *acquire_within(const char *name, double max_s)
{
	double until = now_s() + max_s;
	for (;;) {
		struct lock_holder h;
		struct dblock *l = acquire(name, &h);
		lock_holder_clear(&h);
		if (l)
			return l;
		if (now_s() > until)
			fail_msg("the lock was not freed within %.1f s", max_s);
		usleep(20000);
	}
}

static void test_take_and_contend(void **state)
{
	char *name_a = lock_application_name("expand", "ops", "jump1", SINCE);
	struct lock_holder h;
	struct dblock *a = acquire(name_a, &h);
	assert_non_null(a);
	assert_false(h.held);
	assert_true(lock_backend_pid(a) > 0);

	/* a second one fails at once and says who */
	double t0 = now_s();
	struct dblock *b = acquire("barbican-status: second", &h);
	double took = now_s() - t0;
	assert_null(b);
	assert_true(h.held);
	assert_string_equal(h.application_name, name_a);
	assert_int_equal(h.pid, lock_backend_pid(a));
	assert_true(took < 1.0);
	lock_holder_clear(&h);
	assert_null(h.application_name);
	assert_false(h.held);

	/* after the release the second one gets it */
	lock_release(a);
	b = acquire("barbican-status: second", &h);
	assert_non_null(b);
	assert_false(h.held);
	lock_release(b);
	free(name_a);
}

/* The full 63 bytes arrive as they are. */
static void test_long_name_over_the_wire(void **state)
{
	char *name = lock_application_name("upgrade_node", "operator", "jumphost.example.com", SINCE);
	assert_int_equal(strlen(name), 63);
	struct lock_holder h;
	struct dblock *a = acquire(name, &h);
	assert_non_null(a);
	struct dblock *b = acquire("x", &h);
	assert_null(b);
	assert_string_equal(h.application_name, name);
	lock_holder_clear(&h);
	lock_release(a);
	free(name);
}

static void test_holder_query(void **state)
{
	PGconn *c = raw_connect(pg.db);
	struct lock_holder h;
	assert_true(lock_query_holder(c, 0, &h));
	assert_false(h.held);
	lock_holder_clear(&h);

	struct dblock *a = acquire("barbican-status: holder", &h);
	assert_non_null(a);
	assert_true(lock_query_holder(c, 0, &h));
	assert_true(h.held);
	assert_int_equal(h.pid, lock_backend_pid(a));
	assert_string_equal(h.application_name, "barbican-status: holder");
	lock_holder_clear(&h);
	/* ignoring the holder's own session: nobody */
	assert_true(lock_query_holder(c, lock_backend_pid(a), &h));
	assert_false(h.held);
	lock_holder_clear(&h);
	/* with the SQL given out, as the probes run it */
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", PQbackendPID(c));
	const char *params1[] = { pid };
	PGresult *r = PQexecParams(c, lock_holder_sql(), 1, NULL, params1, NULL, NULL, 0);
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(r), 1);
	assert_int_equal(strtol(PQgetvalue(r, 0, 0), NULL, 10), lock_backend_pid(a));
	PQclear(r);
	lock_release(a);
	assert_true(lock_query_holder(c, 0, &h));
	assert_false(h.held);
	lock_holder_clear(&h);
	PQfinish(c);
}

/* The lock is per database: a holder elsewhere does not count. */
static void test_other_database(void **state)
{
	PGconn *other = raw_connect("postgres");
	assert_true(raw_try_lock(other));
	struct lock_holder h;
	struct dblock *a = acquire("barbican-status: here", &h);
	assert_non_null(a);
	PGconn *c = raw_connect(pg.db);
	assert_true(lock_query_holder(c, lock_backend_pid(a), &h));
	assert_false(h.held);
	lock_holder_clear(&h);
	PQfinish(c);
	lock_release(a);
	PQfinish(other);
}

/* A holder that goes away without unlocking frees the lock. */
static void test_disconnect_frees(void **state)
{
	PGconn *raw = raw_connect(pg.db);
	assert_true(raw_try_lock(raw));
	struct lock_holder h;
	assert_null(acquire("x", &h));
	assert_int_equal(h.pid, PQbackendPID(raw));
	assert_string_equal(h.application_name, "test-lock raw");
	lock_holder_clear(&h);
	PQfinish(raw); /* no unlock */
	struct dblock *l = acquire_within("after", 2);
	lock_release(l);
}

static pid_t holder_child;

/* Whatever happened in the test, the child holding the lock goes. */
static int kill_holder_child(void **state)
{
	if (holder_child > 0) {
		kill(holder_child, SIGKILL);
		waitpid(holder_child, NULL, 0);
		holder_child = 0;
	}
	return 0;
}

static void test_killed_holder_frees(void **state)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child > 0)
		holder_child = child;
	if (child == 0) {
		close(p[0]);
		struct dblock *l = NULL;
		struct lock_holder h;
		struct bs_err err = { 0 };
		char *name = lock_application_name("contract", "ops", "child", SINCE);
		char *url = pg_url(NULL);
		if (take_url(url, name, 5, &l, &h, &err) != LOCK_TAKEN || !l)
			_exit(1);
		if (write(p[1], "k", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(p[1]);
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	struct lock_holder h;
	assert_null(acquire("x", &h));
	assert_true(h.held);
	assert_string_equal(h.application_name,
			    "barbican-status: contract by ops@child since 2026-11-25T10:42Z");
	lock_holder_clear(&h);
	kill_holder_child(state);
	struct dblock *l = acquire_within("after the kill", 2);
	lock_release(l);
}

static void test_wrong_password(void **state)
{
	const char *wrong = "Wr0ng-Secret-7c1d";
	char *url = pg_url(wrong);
	struct dblock *l = (struct dblock *)1;
	struct lock_holder h;
	struct bs_err err = { 0 };
	assert_int_equal(take_url(url, "x", 5, &l, &h, &err), LOCK_ERROR);
	free(url);
	assert_null(l);
	assert_false(h.held);
	assert_int_equal(err.status, BS_ST_IO);
	assert_non_null(strstr(err.detail, "cannot take the upgrade lock: connecting: "));
	assert_non_null(strstr(err.detail, "password authentication failed"));
	assert_null(strstr(err.detail, wrong));
	assert_null(strstr(err.detail, pg.password));
	assert_null(strchr(err.detail, '\n'));
}

static void test_no_server(void **state)
{
	/* a port where nothing listens */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t len = sizeof(a);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	char port[16];
	snprintf(port, sizeof(port), "%d", ntohs(a.sin_port));
	char *url = xasprintf("postgresql://u:pw-that-must-not-show@127.0.0.1:%s/d", port);
	struct dblock *l;
	struct bs_err err = { 0 };
	assert_int_equal(take_url(url, "x", 2, &l, NULL, &err), LOCK_ERROR);
	assert_non_null(strstr(err.detail, "cannot take the upgrade lock: connecting: "));
	assert_non_null(strstr(err.detail, "Connection refused"));
	assert_null(strstr(err.detail, "pw-that-must-not-show"));

	/* a server that accepts and never answers: our timeout, not libpq's */
	assert_int_equal(listen(s, 4), 0);
	double t0 = now_s();
	assert_int_equal(take_url(url, "x", 0.5, &l, NULL, &err), LOCK_ERROR);
	double took = now_s() - t0;
	free(url);
	assert_string_equal(err.detail,
			    "cannot take the upgrade lock: connecting: no answer from the database "
			    "within 0.5 s");
	assert_true(took >= 0.45 && took < 1.5);
	close(s);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_name_rules),
		cmocka_unit_test(test_name_invariants),
		cmocka_unit_test(test_sql),
	};
	int failed = cmocka_run_group_tests_name("application_name", pure, NULL, NULL);
	if (load_env() != 0)
		return 1;
	const struct CMUnitTest db[] = {
		cmocka_unit_test(test_take_and_contend),
		cmocka_unit_test(test_long_name_over_the_wire),
		cmocka_unit_test(test_holder_query),
		cmocka_unit_test(test_other_database),
		cmocka_unit_test(test_disconnect_frees),
		cmocka_unit_test_teardown(test_killed_holder_frees, kill_holder_child),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_no_server),
	};
	failed += cmocka_run_group_tests_name("postgresql", db, db_setup, db_teardown);
	return failed ? 1 : 0;
}
