#include "db.h"

#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "core/dburl.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "runner/lock.h"

enum dbphase { DBP_CONNECT, DBP_QUERY, DBP_LOCK, DBP_DONE };

struct dbprobe {
	PGconn *conn;
	enum dbphase phase;
	PostgresPollingStatusType poll;
	struct timespec started;
	long timeout_ms;
	bool versioned;
	bool failed;
	char *error;
	char **heads;
	size_t nheads;
	int except_pid;          /* our own lock session, not "another operator" */
	bool lock_probed, lock_held;
	char *lock_holder;
	int lock_pid;
};

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* libpq's messages end in '\n' and continue lines with "\n\t": one line. */
static char *one_line(const char *msg)
{
	struct strbuf sb = STRBUF_INIT;
	for (const char *p = msg; *p; p++) {
		if (*p == '\n') {
			while (p[1] == '\t' || p[1] == ' ')
				p++;
			if (p[1])
				sb_addch(&sb, ' ');
		} else {
			sb_addch(&sb, *p);
		}
	}
	return sb_detach(&sb);
}

void db_describe(const struct settings *st, const char *target, struct db_obs *d)
{
	db_obs_clear(d);
	const char *name;
	const struct db_option *opt = settings_db_option(st, target, &name);
	d->configured = opt->value && *opt->value;
	if (opt->is_default)
		d->option = xasprintf("%s (not set: Barbican's default)", name);
	else if (!opt->value)
		d->option = xasprintf("%s (not set)", name);
	else if (opt->deprecated)
		d->option = xasprintf("%s, as %s", name, opt->where);
	else
		d->option = xstrdup(opt->where);
	if (!d->configured)
		return;
	d->url_masked = dburl_masked(opt->value);

	/* both spellings set, to different URLs: say which one counts */
	const struct db_option *a = &st->sql_connection, *b = &st->db_connection;
	if (a->value && !a->is_default && b->value && !b->deprecated &&
	    strcmp(a->value, b->value) != 0)
		d->conflict = xasprintf("[DEFAULT] sql_connection and [database] connection are both "
					"set and differ; %s reads %s",
					target ? target : "the target release", name);

	struct dburl u;
	struct bs_err err = { 0 };
	if (dburl_parse(opt->value, &u, &err) != BS_ST_OK) {
		d->parse_error = xstrdup(err.detail);
		return;
	}
	d->scheme = xstrdup(u.drivername);
	d->supported = dburl_is_postgresql(&u);
	dburl_free(&u);
}

struct dbprobe *dbprobe_start(const struct settings *st, const char *target, double timeout_s,
			       int except_pid)
{
	const char *name;
	const struct db_option *opt = settings_db_option(st, target, &name);
	if (!opt->value || !*opt->value)
		return NULL;
	struct dburl u;
	if (dburl_parse(opt->value, &u, NULL) != BS_ST_OK)
		return NULL;
	if (!dburl_is_postgresql(&u)) {
		dburl_free(&u);
		return NULL;
	}
	struct dbprobe *p = xcalloc(1, sizeof(*p));
	p->except_pid = except_pid;
	clock_gettime(CLOCK_MONOTONIC, &p->started);
	p->timeout_ms = (long)(timeout_s * 1000.0);

	/* libpq's own connect_timeout has a 2 s minimum; we enforce ours too */
	char ct[32];
	long secs = (long)ceil(timeout_s);
	snprintf(ct, sizeof(ct), "%ld", secs < 2 ? 2 : secs);
	const char *const extra_keys[] = { "connect_timeout", "application_name" };
	const char *const extra_values[] = { ct, "barbican-status" };
	char **keys, **values;
	dburl_to_libpq(&u, extra_keys, extra_values, 2, &keys, &values);
	dburl_free(&u);
	p->conn = PQconnectStartParams((const char *const *)keys, (const char *const *)values, 0);
	dburl_free_params(keys, values);
	if (!p->conn) {
		p->failed = true;
		p->error = xstrdup("out of memory starting a database connection");
		p->phase = DBP_DONE;
	} else if (PQstatus(p->conn) == CONNECTION_BAD) {
		p->failed = true;
		p->error = one_line(PQerrorMessage(p->conn));
		p->phase = DBP_DONE;
	} else {
		p->poll = PGRES_POLLING_WRITING;
		p->phase = DBP_CONNECT;
	}
	return p;
}

int dbprobe_socket(const struct dbprobe *p, bool *want_write)
{
	*want_write = false;
	if (!p || p->phase == DBP_DONE || !p->conn)
		return -1;
	if (p->phase == DBP_CONNECT)
		*want_write = p->poll == PGRES_POLLING_WRITING;
	return PQsocket(p->conn);
}

long dbprobe_timeout_ms(const struct dbprobe *p)
{
	long left = p->timeout_ms - elapsed_ms(&p->started);
	return left > 0 ? left : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void fail(struct dbprobe *p, char *msg)
{
	p->failed = true;
	free(p->error);
	p->error = msg;
	p->phase = DBP_DONE;
}

static void read_result(struct dbprobe *p)
{
	PGresult *res;
	bool got = false;
	while ((res = PQgetResult(p->conn)) != NULL) {
		if (!got) {
			got = true;
			ExecStatusType es = PQresultStatus(res);
			if (es == PGRES_TUPLES_OK) {
				p->versioned = true;
				int n = PQntuples(res);
				p->heads = xcalloc((size_t)(n ? n : 1), sizeof(*p->heads));
				for (int i = 0; i < n; i++)
					p->heads[i] = xstrdup(PQgetvalue(res, i, 0));
				p->nheads = (size_t)n;
				qsort(p->heads, p->nheads, sizeof(*p->heads), cmp_str);
			} else {
				const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
				if (state && strcmp(state, "42P01") == 0) {
					p->versioned = false; /* undefined_table */
				} else {
					char *m = one_line(PQresultErrorMessage(res));
					p->failed = true;
					p->error = xasprintf("reading alembic_version: %s", m);
					free(m);
				}
			}
		}
		PQclear(res);
	}
	if (p->failed) {
		p->phase = DBP_DONE;
		return;
	}
	/* then who holds the upgrade lock: runner/lock.h's own query */
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", p->except_pid);
	const char *params[1] = { pid };
	int ok = PQsendQueryParams(p->conn, lock_holder_sql(), 1, NULL, params, NULL, NULL, 0);
	p->phase = ok ? DBP_LOCK : DBP_DONE;
}

static void read_lock(struct dbprobe *p)
{
	PGresult *res;
	bool got = false;
	while ((res = PQgetResult(p->conn)) != NULL) {
		if (!got && PQresultStatus(res) == PGRES_TUPLES_OK) {
			struct lock_holder h = { 0 };
			lock_holder_from_result(res, &h);
			p->lock_probed = true;
			p->lock_held = h.held;
			p->lock_pid = h.pid;
			p->lock_holder = h.application_name;
			h.application_name = NULL;
			lock_holder_clear(&h);
		}
		got = true;
		PQclear(res);
	}
	p->phase = DBP_DONE;
}

bool dbprobe_step(struct dbprobe *p, struct db_obs *d, struct lock_obs *lock)
{
	if (p->phase != DBP_DONE && elapsed_ms(&p->started) >= p->timeout_ms)
		fail(p, xasprintf("no answer from the database within %.1f s", p->timeout_ms / 1000.0));

	if (p->phase == DBP_CONNECT) {
		/* PQconnectPoll may only run once the socket is ready for what it
		 * last asked for; a zero-timeout poll() tells, without blocking */
		struct pollfd pfd = { PQsocket(p->conn),
				      (short)(p->poll == PGRES_POLLING_WRITING ? POLLOUT : POLLIN), 0 };
		if (pfd.fd >= 0 && poll(&pfd, 1, 0) == 0)
			return false;
		p->poll = PQconnectPoll(p->conn);
		if (p->poll == PGRES_POLLING_FAILED) {
			fail(p, one_line(PQerrorMessage(p->conn)));
		} else if (p->poll == PGRES_POLLING_OK) {
			if (!PQsendQuery(p->conn, "SELECT version_num FROM alembic_version")) {
				fail(p, one_line(PQerrorMessage(p->conn)));
			} else {
				PQsetnonblocking(p->conn, 1);
				p->phase = DBP_QUERY;
			}
		}
	}
	if (p->phase == DBP_QUERY) {
		if (!PQconsumeInput(p->conn))
			fail(p, one_line(PQerrorMessage(p->conn)));
		else if (!PQisBusy(p->conn))
			read_result(p);
	}
	if (p->phase == DBP_LOCK) {
		if (!PQconsumeInput(p->conn))
			p->phase = DBP_DONE; /* the lock is unknown; the revision still counts */
		else if (!PQisBusy(p->conn))
			read_lock(p);
	}
	if (p->phase != DBP_DONE)
		return false;

	if (lock) {
		lock_obs_clear(lock);
		lock->probed = p->lock_probed;
		lock->held = p->lock_held;
		lock->holder = p->lock_holder;
		lock->holder_pid = p->lock_pid;
		p->lock_holder = NULL;
	}
	d->probed = true;
	d->latency_ms = (double)elapsed_ms(&p->started);
	free(d->error);
	d->error = NULL;
	for (size_t i = 0; i < d->nheads; i++)
		free(d->heads[i]);
	free(d->heads);
	d->heads = NULL;
	d->nheads = 0;
	if (p->failed) {
		d->reachable = false;
		d->versioned = false;
		d->error = p->error;
		p->error = NULL;
	} else {
		d->reachable = true;
		d->versioned = p->versioned;
		d->heads = p->heads;
		d->nheads = p->nheads;
		p->heads = NULL;
		p->nheads = 0;
		d->seen_wall = time(NULL);
	}
	return true;
}

void dbprobe_free(struct dbprobe *p)
{
	if (!p)
		return;
	if (p->conn)
		PQfinish(p->conn);
	free(p->error);
	free(p->lock_holder);
	for (size_t i = 0; i < p->nheads; i++)
		free(p->heads[i]);
	free(p->heads);
	free(p);
}

void dbprobe_run(const struct settings *st, const char *target, double timeout_s,
		 struct db_obs *d, struct lock_obs *lock)
{
	db_describe(st, target, d);
	struct dbprobe *p = dbprobe_start(st, target, timeout_s, 0);
	if (!p)
		return;
	while (!dbprobe_step(p, d, lock)) {
		bool w;
		int fd = dbprobe_socket(p, &w);
		struct pollfd pfd = { fd, (short)(w ? POLLOUT : POLLIN), 0 };
		long left = dbprobe_timeout_ms(p);
		if (fd >= 0)
			poll(&pfd, 1, (int)(left < 100 ? left + 1 : 100));
	}
	dbprobe_free(p);
}
