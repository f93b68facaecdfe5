#include "lock.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "core/strbuf.h"
#include "core/xalloc.h"

/* pg_locks shows a bigint advisory key as classid = high 32 bits, objid =
 * low 32 bits, objsubid = 1. */
#define LOCK_CLASSID "1651733872"
#define LOCK_OBJID "1735550053"
_Static_assert(((unsigned long long)BS_LOCK_KEY >> 32) == 1651733872ULL, "classid of BS_LOCK_KEY");
_Static_assert(((unsigned long long)BS_LOCK_KEY & 0xffffffffULL) == 1735550053ULL,
	       "objid of BS_LOCK_KEY");

#define INT8OID 20
#define APPNAME_MAX 63 /* NAMEDATALEN - 1 */
#define DEFAULT_TIMEOUT_S 10.0

struct dblock {
	PGconn *conn;
	int pid;
	double timeout_s;
};

/* --- application_name -------------------------------------------------- */

/* Printable ASCII kept; every other character (a UTF-8 sequence, or a byte
 * that is not UTF-8) becomes one '?'. NULL gives "?". */
static char *clean_ascii(const char *s)
{
	if (!s)
		return xstrdup("?");
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		if (n == 0)
			n = 1;
		sb_addch(&sb, n == 1 && p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?');
		i += n;
	}
	return sb_detach(&sb);
}

char *lock_application_name(const char *step, const char *user, const char *host, time_t since)
{
	char when[32];
	struct tm tm;
	if (!gmtime_r(&since, &tm) || strftime(when, sizeof(when), "%Y-%m-%dT%H:%MZ", &tm) == 0)
		snprintf(when, sizeof(when), "?");
	char *s = clean_ascii(step), *u = clean_ascii(user), *h = clean_ascii(host);
	size_t fixed = strlen(BS_APPNAME_PREFIX) + strlen(" by ") + strlen("@") +
		       strlen(" since ") + strlen(when);
	size_t ls = strlen(s), lu = strlen(u), lh = strlen(h);
	size_t budget = APPNAME_MAX > fixed ? APPNAME_MAX - fixed : 0;
	/* too long: the host goes first, then the user, then the step */
	size_t *order[] = { &lh, &lu, &ls };
	for (size_t i = 0; i < ARRAY_SIZE(order) && ls + lu + lh > budget; i++) {
		size_t over = ls + lu + lh - budget;
		*order[i] -= over < *order[i] ? over : *order[i];
	}
	char *name = xasprintf(BS_APPNAME_PREFIX "%.*s by %.*s@%.*s since %s", (int)ls, s, (int)lu,
			       u, (int)lh, h, when);
	free(s);
	free(u);
	free(h);
	return name;
}

/* --- libpq with a deadline -------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* libpq's message on one line, with the password (should libpq ever show
 * it) masked. */
static char *pq_message(const char *msg, const char *password)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len = strlen(msg);
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		len--;
	size_t pwlen = password ? strlen(password) : 0;
	for (size_t i = 0; i < len;) {
		if (pwlen && len - i >= pwlen && memcmp(msg + i, password, pwlen) == 0) {
			sb_addstr(&sb, "***");
			i += pwlen;
		} else if (msg[i] == '\n') {
			sb_addstr(&sb, "; ");
			i++;
			while (i < len && msg[i] == ' ')
				i++;
		} else {
			sb_addch(&sb, msg[i++]);
		}
	}
	if (!sb.len)
		sb_addstr(&sb, "unknown error");
	return sb_detach(&sb);
}

/* Wait for the socket (0 on ready, -1 on timeout or error). */
static int wait_socket(PGconn *c, bool for_write, long long deadline)
{
	int fd = PQsocket(c);
	if (fd < 0)
		return -1;
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return -1;
		struct pollfd p = { .fd = fd, .events = for_write ? POLLOUT : POLLIN };
		int r = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static PGconn *connect_until(const char *const *keys, const char *const *values,
			     long long deadline, double timeout_s, const char *password,
			     struct bs_err *err)
{
	PGconn *c = PQconnectStartParams(keys, values, 0);
	if (!c) {
		bs_fail(err, BS_ST_IO, "cannot connect to database: out of memory");
		return NULL;
	}
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
	while (PQstatus(c) != CONNECTION_BAD && ps != PGRES_POLLING_OK &&
	       ps != PGRES_POLLING_FAILED) {
		if (wait_socket(c, ps == PGRES_POLLING_WRITING, deadline) != 0) {
			bs_fail(err, BS_ST_IO, "cannot connect to database: no answer within %.1f s",
				timeout_s);
			PQfinish(c);
			return NULL;
		}
		ps = PQconnectPoll(c);
	}
	if (PQstatus(c) != CONNECTION_OK) {
		char *m = pq_message(PQerrorMessage(c), password);
		bs_fail(err, BS_ST_IO, "cannot connect to database: %s", m);
		free(m);
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Run one statement; NULL with *msg set on failure or at the deadline. */
static PGresult *query_until(PGconn *c, const char *sql, int nparams, const Oid *types,
			     const char *const *params, long long deadline, char **msg)
{
	*msg = NULL;
	if (!PQsendQueryParams(c, sql, nparams, types, params, NULL, NULL, 0)) {
		*msg = pq_message(PQerrorMessage(c), NULL);
		return NULL;
	}
	while (PQisBusy(c)) {
		if (wait_socket(c, false, deadline) != 0) {
			PGcancel *cancel = PQgetCancel(c);
			if (cancel) {
				char ebuf[256];
				PQcancel(cancel, ebuf, sizeof(ebuf));
				PQfreeCancel(cancel);
			}
			*msg = xstrdup("no answer from the database in time");
			return NULL;
		}
		if (!PQconsumeInput(c)) {
			*msg = pq_message(PQerrorMessage(c), NULL);
			return NULL;
		}
	}
	PGresult *res = PQgetResult(c), *more;
	while ((more = PQgetResult(c)) != NULL)
		PQclear(more);
	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
		*msg = pq_message(res ? PQresultErrorMessage(res) : PQerrorMessage(c), NULL);
		PQclear(res);
		return NULL;
	}
	return res;
}

/* --- the holder ------------------------------------------------------- */

static const char holder_sql[] =
	"SELECT l.pid, coalesce(a.application_name, ''), a.usename, host(a.client_addr)"
	" FROM pg_catalog.pg_locks l"
	" LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
	" WHERE l.locktype = 'advisory' AND l.classid = '" LOCK_CLASSID "'::oid"
	" AND l.objid = '" LOCK_OBJID "'::oid AND l.objsubid = 1 AND l.granted"
	" AND l.database = (SELECT oid FROM pg_catalog.pg_database"
	" WHERE datname = current_database())"
	" AND l.pid <> $1::integer"
	" ORDER BY l.pid LIMIT 1";

const char *lock_holder_sql(void)
{
	return holder_sql;
}

void lock_holder_clear(struct lock_holder *h)
{
	if (!h)
		return;
	free(h->application_name);
	free(h->user);
	free(h->client);
	memset(h, 0, sizeof(*h));
}

void lock_holder_from_result(const PGresult *res, struct lock_holder *out)
{
	lock_holder_clear(out);
	if (PQntuples(res) < 1 || PQnfields(res) < 4)
		return;
	out->held = true;
	char *end;
	long pid = strtol(PQgetvalue(res, 0, 0), &end, 10);
	out->pid = *end == '\0' && pid > 0 && pid <= 0x7fffffff ? (int)pid : 0;
	out->application_name = xstrdup(PQgetvalue(res, 0, 1));
	out->user = PQgetisnull(res, 0, 2) ? NULL : xstrdup(PQgetvalue(res, 0, 2));
	out->client = PQgetisnull(res, 0, 3) ? NULL : xstrdup(PQgetvalue(res, 0, 3));
}

bool lock_query_holder(PGconn *conn, int except_pid, struct lock_holder *out)
{
	char pidbuf[16];
	snprintf(pidbuf, sizeof(pidbuf), "%d", except_pid);
	const char *params[] = { pidbuf };
	memset(out, 0, sizeof(*out));
	PGresult *res = PQexecParams(conn, holder_sql, 1, NULL, params, NULL, NULL, 0);
	bool ok = res && PQresultStatus(res) == PGRES_TUPLES_OK;
	if (ok)
		lock_holder_from_result(res, out);
	PQclear(res);
	return ok;
}

/* --- acquire and release ------------------------------------------------ */

static bool is_ours(const char *key)
{
	return strcmp(key, "application_name") == 0 || strcmp(key, "connect_timeout") == 0;
}

enum bs_status lock_acquire(const char *const *keys, const char *const *values,
			    const char *application_name, double timeout_s, struct dblock **out,
			    struct lock_holder *holder, struct bs_err *err)
{
	*out = NULL;
	if (holder)
		memset(holder, 0, sizeof(*holder));
	if (!(timeout_s > 0))
		timeout_s = DEFAULT_TIMEOUT_S;
	long long deadline = now_ms() + (long long)(timeout_s * 1000.0);

	/* the URL's keywords, but application_name and connect_timeout ours */
	size_t n = 0;
	while (keys && keys[n])
		n++;
	const char **k = xcalloc(n + 3, sizeof(*k)), **v = xcalloc(n + 3, sizeof(*v));
	size_t m = 0;
	const char *password = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(keys[i], "password") == 0)
			password = values[i];
		if (is_ours(keys[i]))
			continue;
		k[m] = keys[i];
		v[m++] = values[i];
	}
	char ct[32];
	long secs = (long)ceil(timeout_s);
	snprintf(ct, sizeof(ct), "%ld", secs < 2 ? 2 : secs);
	k[m] = "connect_timeout";
	v[m++] = ct;
	k[m] = "application_name";
	v[m++] = application_name ? application_name : BS_APPNAME_PREFIX;
	k[m] = v[m] = NULL;

	PGconn *c = connect_until(k, v, deadline, timeout_s, password, err);
	free(k);
	free(v);
	if (!c)
		return BS_ST_IO;

	char keybuf[32], pidbuf[16];
	snprintf(keybuf, sizeof(keybuf), "%lld", (long long)BS_LOCK_KEY);
	snprintf(pidbuf, sizeof(pidbuf), "%d", PQbackendPID(c));
	const Oid key_type[] = { INT8OID };
	const char *key_param[] = { keybuf }, *pid_param[] = { pidbuf };
	char *msg = NULL;
	struct lock_holder tmp = { 0 };
	/* between a failed try and the holder query the holder may let go:
	 * then try again (a few times) */
	for (int attempt = 0; attempt < 3; attempt++) {
		PGresult *r = query_until(c, "SELECT pg_try_advisory_lock($1)", 1, key_type,
					  key_param, deadline, &msg);
		if (!r)
			break;
		bool taken = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
		PQclear(r);
		if (taken) {
			struct dblock *l = xcalloc(1, sizeof(*l));
			l->conn = c;
			l->pid = PQbackendPID(c);
			l->timeout_s = timeout_s;
			*out = l;
			return BS_ST_OK;
		}
		r = query_until(c, holder_sql, 1, NULL, pid_param, deadline, &msg);
		if (!r)
			break;
		lock_holder_from_result(r, &tmp);
		PQclear(r);
		if (tmp.held)
			break;
	}
	PQfinish(c);
	if (msg) {
		lock_holder_clear(&tmp);
		enum bs_status st = bs_fail(err, BS_ST_IO, "cannot take the upgrade lock: %s", msg);
		free(msg);
		return st;
	}
	if (holder)
		*holder = tmp;
	else
		lock_holder_clear(&tmp);
	return BS_ST_OK;
}

int lock_backend_pid(const struct dblock *l)
{
	return l->pid;
}

void lock_release(struct dblock *l)
{
	if (!l)
		return;
	char keybuf[32];
	snprintf(keybuf, sizeof(keybuf), "%lld", (long long)BS_LOCK_KEY);
	const Oid key_type[] = { INT8OID };
	const char *key_param[] = { keybuf };
	char *msg = NULL;
	/* closing the session would release it too: the unlock is a courtesy
	 * that fails harmlessly when the connection is gone */
	PGresult *r = query_until(l->conn, "SELECT pg_advisory_unlock($1)", 1, key_type, key_param,
				  now_ms() + (long long)(l->timeout_s * 1000.0), &msg);
	PQclear(r);
	free(msg);
	PQfinish(l->conn);
	free(l);
}
