/* db-pg.c: db.h over libpq (PQconnectStartParams, PQsendQueryParams). */
#include "db-int.h"

#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

struct pg {
	PGconn *conn;
	PostgresPollingStatusType poll;
};

static bool is_ours(const char *key)
{
	return strcmp(key, "application_name") == 0 || strcmp(key, "connect_timeout") == 0;
}

/* The server's notices ("schema ... already exists, skipping") are not ours
 * to print: libpq's default writes them to stderr. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static void pg_start(struct db_conn *c, const struct db_target *t, const char *appname,
		     double timeout_s)
{
	struct pg *pg = xcalloc(1, sizeof(*pg));
	c->be = pg;
	size_t n = 0;
	while (t->pg_keys[n])
		n++;
	const char **k = xcalloc(n + 3, sizeof(*k)), **v = xcalloc(n + 3, sizeof(*v));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (is_ours(t->pg_keys[i]))
			continue;
		k[m] = t->pg_keys[i];
		v[m++] = t->pg_values[i];
	}
	/* libpq's own connect_timeout has a 2 s minimum; our deadline rules */
	char ct[32];
	long secs = (long)ceil(timeout_s);
	snprintf(ct, sizeof(ct), "%ld", secs < 2 ? 2 : secs);
	k[m] = "connect_timeout";
	v[m++] = ct;
	k[m] = "application_name";
	v[m++] = appname ? appname : "barbican-status";
	pg->conn = PQconnectStartParams(k, v, 0);
	free(k);
	free(v);
	if (!pg->conn) {
		db_fail(c, DBE_CONNECT, true, xstrdup("out of memory starting a database connection"));
	} else if (PQstatus(pg->conn) == CONNECTION_BAD) {
		db_fail(c, DBE_CONNECT, true, xstrdup(PQerrorMessage(pg->conn)));
	} else {
		PQsetNoticeProcessor(pg->conn, quiet, NULL);
		pg->poll = PGRES_POLLING_WRITING;
	}
}

static int pg_socket(const struct db_conn *c, bool *want_write)
{
	const struct pg *pg = c->be;
	if (!c->connected)
		*want_write = pg->poll == PGRES_POLLING_WRITING;
	return PQsocket(pg->conn);
}

/* The SQLSTATE of a failed statement, in our classes. */
static enum db_errkind classify(const char *state)
{
	if (!state)
		return DBE_OTHER;
	if (strcmp(state, "42P01") == 0 || strcmp(state, "3F000") == 0)
		return DBE_NO_TABLE; /* undefined_table, invalid_schema_name */
	if (strcmp(state, "42501") == 0)
		return DBE_DENIED;   /* insufficient_privilege */
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		return DBE_CONFLICT; /* serialization_failure, deadlock_detected */
	if (strcmp(state, "23505") == 0)
		return DBE_DUPLICATE;
	if (strncmp(state, "28", 2) == 0)
		return DBE_AUTH;
	return DBE_OTHER;
}

/* A failed connection: the password or the user is wrong, else it is unreachable. */
static enum db_errkind connect_kind(const char *msg)
{
	return strstr(msg, "password authentication failed") || strstr(msg, "no password supplied") ||
			       strstr(msg, "authentication failed") ||
			       strstr(msg, "does not exist") || strstr(msg, "permission denied")
		       ? DBE_AUTH
		       : DBE_CONNECT;
}

static void read_results(struct db_conn *c, struct pg *pg)
{
	PGresult *res, *first = NULL;
	while ((res = PQgetResult(pg->conn)) != NULL) {
		if (!first)
			first = res;
		else
			PQclear(res);
	}
	if (!first) {
		db_fail(c, DBE_OTHER, false, xstrdup(PQerrorMessage(pg->conn)));
		return;
	}
	ExecStatusType es = PQresultStatus(first);
	if (es == PGRES_TUPLES_OK || es == PGRES_COMMAND_OK) {
		size_t nr = (size_t)PQntuples(first), nc = (size_t)PQnfields(first);
		char **cells = xcalloc(nr * nc > 0 ? nr * nc : 1, sizeof(*cells));
		for (size_t r = 0; r < nr; r++)
			for (size_t f = 0; f < nc; f++)
				if (!PQgetisnull(first, (int)r, (int)f))
					cells[r * nc + f] = xstrdup(PQgetvalue(first, (int)r, (int)f));
		char *end;
		unsigned long aff = strtoul(PQcmdTuples(first), &end, 10);
		db_result_set(c, nr, nc, cells, *PQcmdTuples(first) ? (size_t)aff : 0);
	} else {
		enum db_errkind k = classify(PQresultErrorField(first, PG_DIAG_SQLSTATE));
		db_fail(c, k, PQstatus(pg->conn) == CONNECTION_BAD,
			xstrdup(PQresultErrorMessage(first)));
	}
	PQclear(first);
}

static void pg_step(struct db_conn *c)
{
	struct pg *pg = c->be;
	if (!c->connected) {
		/* PQconnectPoll may only run once the socket is ready for what it
		 * last asked for; a zero-timeout poll() tells, without blocking */
		struct pollfd pfd = { PQsocket(pg->conn),
				      (short)(pg->poll == PGRES_POLLING_WRITING ? POLLOUT : POLLIN), 0 };
		if (pfd.fd >= 0 && poll(&pfd, 1, 0) == 0)
			return;
		pg->poll = PQconnectPoll(pg->conn);
		if (pg->poll == PGRES_POLLING_FAILED) {
			const char *m = PQerrorMessage(pg->conn);
			db_fail(c, connect_kind(m), true, xstrdup(m));
		} else if (pg->poll == PGRES_POLLING_OK) {
			c->connected = true;
			c->session_id = PQbackendPID(pg->conn);
			PQsetnonblocking(pg->conn, 1);
			c->state = DBS_READY;
		}
		return;
	}
	if (!PQconsumeInput(pg->conn)) {
		db_fail(c, DBE_CONNECT, true, xstrdup(PQerrorMessage(pg->conn)));
		return;
	}
	if (PQflush(pg->conn) < 0) {
		db_fail(c, DBE_CONNECT, true, xstrdup(PQerrorMessage(pg->conn)));
		return;
	}
	if (!PQisBusy(pg->conn))
		read_results(c, pg);
}

static bool pg_query(struct db_conn *c, const char *sql, size_t n, const char *const *params)
{
	struct pg *pg = c->be;
	char *q = db_sql_dollar(sql);
	int ok = PQsendQueryParams(pg->conn, q, (int)n, NULL, params, NULL, NULL, 0);
	free(q);
	if (!ok)
		db_fail(c, DBE_CONNECT, true, xstrdup(PQerrorMessage(pg->conn)));
	return ok;
}

static void pg_close(struct db_conn *c)
{
	struct pg *pg = c->be;
	if (!pg)
		return;
	if (pg->conn)
		PQfinish(pg->conn);
	free(pg);
	c->be = NULL;
}

const struct db_ops db_pg_ops = {
	.start = pg_start,
	.socket = pg_socket,
	.step = pg_step,
	.query = pg_query,
	.close = pg_close,
};
