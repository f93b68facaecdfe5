/* db.c: the backend-independent half of db.h: targets, deadlines, results,
 * errors, the blocking forms. */
#include "db-int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "core/dburl.h"
#include "core/strbuf.h"
#include "core/xalloc.h"

const char *db_backend_name(enum db_backend b)
{
	return b == DB_MYSQL ? "MySQL" : "PostgreSQL";
}

enum bs_status db_target_new(const char *url, struct db_target **out, struct bs_err *err)
{
	*out = NULL;
	struct dburl u;
	enum bs_status st = dburl_parse(url, &u, err);
	if (st != BS_ST_OK)
		return st;
	struct db_target *t = xcalloc(1, sizeof(*t));
	if (dburl_is_postgresql(&u)) {
		t->backend = DB_POSTGRESQL;
		dburl_to_libpq(&u, NULL, NULL, 0, &t->pg_keys, &t->pg_values);
	} else if (dburl_is_mysql(&u)) {
		t->backend = DB_MYSQL;
		t->my = xcalloc(1, sizeof(*t->my));
		st = dburl_to_mysql(&u, t->my, err);
	} else {
		st = bs_fail(err, BS_ST_DBURL,
			     "%s is not a database that barbican-status reads (PostgreSQL, MySQL "
			     "and MariaDB are)",
			     u.drivername);
	}
	t->password = xstrdup_or_null(u.password);
	dburl_free(&u);
	if (st != BS_ST_OK) {
		db_target_free(t);
		return st;
	}
	*out = t;
	return BS_ST_OK;
}

void db_target_free(struct db_target *t)
{
	if (!t)
		return;
	if (t->pg_keys)
		dburl_free_params(t->pg_keys, t->pg_values);
	if (t->my) {
		dburl_mysql_free(t->my);
		free(t->my);
	}
	free(t->password);
	free(t);
}

enum db_backend db_target_backend(const struct db_target *t)
{
	return t->backend;
}

bool db_url_supported(const char *url)
{
	struct dburl u;
	if (!url || dburl_parse(url, &u, NULL) != BS_ST_OK)
		return false;
	bool ok = dburl_is_postgresql(&u) || dburl_is_mysql(&u);
	dburl_free(&u);
	return ok;
}

/* --- connections ------------------------------------------------------ */

static long long mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void db_set_deadline(struct db_conn *c, double timeout_s)
{
	clock_gettime(CLOCK_MONOTONIC, &c->deadline);
	long long ns = (long long)(timeout_s * 1e9);
	c->deadline.tv_sec += (time_t)(ns / 1000000000LL);
	c->deadline.tv_nsec += (long)(ns % 1000000000LL);
	if (c->deadline.tv_nsec >= 1000000000L) {
		c->deadline.tv_sec++;
		c->deadline.tv_nsec -= 1000000000L;
	}
}

long db_timeout_ms(const struct db_conn *c)
{
	long long d = (long long)c->deadline.tv_sec * 1000 + c->deadline.tv_nsec / 1000000;
	long long left = d - mono_ms();
	return left > 0 ? (long)left : 0;
}

struct db_conn *db_connect_start(const struct db_target *t, const char *application_name,
				 double timeout_s)
{
	struct db_conn *c = xcalloc(1, sizeof(*c));
	c->ops = t->backend == DB_MYSQL ? &db_mysql_ops : &db_pg_ops;
	c->password = xstrdup_or_null(t->password);
	c->connect_timeout_s = timeout_s > 0 ? timeout_s : 10.0;
	c->state = DBS_BUSY;
	c->err = xstrdup("");
	db_set_deadline(c, c->connect_timeout_s);
	c->ops->start(c, t, application_name, c->connect_timeout_s);
	return c;
}

int db_socket(const struct db_conn *c, bool *want_write)
{
	*want_write = false;
	if (c->state != DBS_BUSY)
		return -1;
	return c->ops->socket(c, want_write);
}

enum db_state db_step(struct db_conn *c)
{
	if (c->state != DBS_BUSY)
		return c->state;
	c->ops->step(c);
	if (c->state == DBS_BUSY && db_timeout_ms(c) == 0) {
		if (c->connected)
			db_fail(c, DBE_TIMEOUT, true,
				xstrdup("no answer from the database in time"));
		else
			db_fail(c, DBE_CONNECT, true,
				xasprintf("no answer from the database within %.1f s",
					  c->connect_timeout_s));
	}
	return c->state;
}

enum db_state db_state(const struct db_conn *c)
{
	return c->state;
}

bool db_query(struct db_conn *c, const char *sql, size_t nparams, const char *const *params)
{
	db_result_reset(c);
	if (c->state != DBS_READY) {
		if (c->state != DBS_BROKEN)
			db_fail(c, DBE_OTHER, true, xstrdup("the connection is busy"));
		return false;
	}
	c->state = DBS_BUSY;
	if (!c->ops->query(c, sql, nparams, params)) {
		if (c->state == DBS_BUSY)
			db_fail(c, DBE_OTHER, true, xstrdup("cannot send a statement"));
		return false;
	}
	return true;
}

enum db_errkind db_errkind(const struct db_conn *c)
{
	return c->ek;
}

const char *db_error(const struct db_conn *c)
{
	return c->err ? c->err : "";
}

size_t db_nrows(const struct db_conn *c)
{
	return c->nrows;
}

size_t db_ncols(const struct db_conn *c)
{
	return c->ncols;
}

const char *db_value(const struct db_conn *c, size_t row, size_t col)
{
	if (row >= c->nrows || col >= c->ncols)
		return NULL;
	return c->cells[row * c->ncols + col];
}

size_t db_affected(const struct db_conn *c)
{
	return c->affected;
}

long db_session_id(const struct db_conn *c)
{
	return c->session_id;
}

enum db_state db_wait(struct db_conn *c)
{
	while (db_step(c) == DBS_BUSY) {
		bool w;
		int fd = db_socket(c, &w);
		long left = db_timeout_ms(c);
		if (fd < 0)
			continue;
		struct pollfd p = { .fd = fd, .events = (short)(w ? POLLOUT : POLLIN) };
		int r = poll(&p, 1, (int)(left > 1000 ? 1000 : left + 1));
		if (r < 0 && errno != EINTR)
			db_fail(c, DBE_OTHER, true, xasprintf("poll: %s", strerror(errno)));
	}
	return c->state;
}

bool db_exec(struct db_conn *c, const char *sql, size_t nparams, const char *const *params)
{
	if (!db_query(c, sql, nparams, params))
		return false;
	return db_wait(c) == DBS_READY && c->ek == DBE_NONE;
}

void db_close(struct db_conn *c)
{
	if (!c)
		return;
	c->ops->close(c);
	db_result_reset(c);
	free(c->err);
	free(c->password);
	free(c);
}

/* --- results and errors ----------------------------------------------- */

void db_result_reset(struct db_conn *c)
{
	for (size_t i = 0; i < c->nrows * c->ncols; i++)
		free(c->cells[i]);
	free(c->cells);
	c->cells = NULL;
	c->nrows = c->ncols = 0;
	c->affected = 0;
	c->ek = DBE_NONE;
	free(c->err);
	c->err = xstrdup("");
}

void db_result_set(struct db_conn *c, size_t nrows, size_t ncols, char **cells, size_t affected)
{
	c->nrows = nrows;
	c->ncols = ncols;
	c->cells = cells;
	c->affected = affected;
	c->state = DBS_READY;
}

/* One line (newlines become "; "), trailing blanks gone, the password masked. */
static char *clean_message(const char *msg, const char *password)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len = strlen(msg);
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' ' || msg[len - 1] == '\t'))
		len--;
	size_t pwlen = password ? strlen(password) : 0;
	for (size_t i = 0; i < len;) {
		if (pwlen >= 3 && len - i >= pwlen && memcmp(msg + i, password, pwlen) == 0) {
			sb_addstr(&sb, "***");
			i += pwlen;
		} else if (msg[i] == '\n') {
			sb_addstr(&sb, "; ");
			i++;
			while (i < len && (msg[i] == ' ' || msg[i] == '\t'))
				i++;
		} else {
			sb_addch(&sb, msg[i++]);
		}
	}
	if (!sb.len)
		sb_addstr(&sb, "unknown error");
	return sb_detach(&sb);
}

void db_fail(struct db_conn *c, enum db_errkind k, bool broken, char *msg)
{
	free(c->err);
	c->err = clean_message(msg ? msg : "", c->password);
	free(msg);
	c->ek = k;
	c->state = broken ? DBS_BROKEN : DBS_READY;
}

char *db_sql_dollar(const char *sql)
{
	struct strbuf sb = STRBUF_INIT;
	int n = 0;
	for (const char *p = sql; *p; p++) {
		if (*p == '?')
			sb_addf(&sb, "$%d", ++n);
		else
			sb_addch(&sb, *p);
	}
	return sb_detach(&sb);
}
