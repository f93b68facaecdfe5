#include "record-sql.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "render/pyjson.h"

#define COLS "id, user_name, host, step, node, argv, start_at, end_at, exit_code, signal_no, " \
	     "outcome, detail, release_name, revision"

static const char *const pg_ddl[] = {
	"CREATE SCHEMA IF NOT EXISTS barbican_status",
	"CREATE TABLE IF NOT EXISTS barbican_status.record ("
	" id varchar(64) PRIMARY KEY, user_name text NOT NULL, host text NOT NULL,"
	" step varchar(32) NOT NULL, node text, argv text,"
	" start_at varchar(20) NOT NULL, end_at varchar(20) NOT NULL,"
	" exit_code integer, signal_no integer, outcome varchar(16) NOT NULL,"
	" detail text NOT NULL, release_name varchar(64), revision varchar(64))",
	"CREATE TABLE IF NOT EXISTS barbican_status.lock ("
	" id integer PRIMARY KEY, token varchar(64) NOT NULL, record_id varchar(64),"
	" step varchar(32), node text, user_name text, host text,"
	" since timestamptz NOT NULL, lease_until timestamptz)",
	NULL,
};

static const char *const my_ddl[] = {
	"CREATE TABLE IF NOT EXISTS barbican_status_record ("
	" id VARCHAR(64) NOT NULL PRIMARY KEY, user_name TEXT NOT NULL, host TEXT NOT NULL,"
	" step VARCHAR(32) NOT NULL, node TEXT NULL, argv MEDIUMTEXT NULL,"
	" start_at VARCHAR(20) NOT NULL, end_at VARCHAR(20) NOT NULL,"
	" exit_code INT NULL, signal_no INT NULL, outcome VARCHAR(16) NOT NULL,"
	" detail MEDIUMTEXT NOT NULL, release_name VARCHAR(64) NULL, revision VARCHAR(64) NULL)"
	" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	"CREATE TABLE IF NOT EXISTS barbican_status_lock ("
	" id INT NOT NULL PRIMARY KEY, token VARCHAR(64) NOT NULL, record_id VARCHAR(64) NULL,"
	" step VARCHAR(32) NULL, node TEXT NULL, user_name TEXT NULL, host TEXT NULL,"
	" since DATETIME(6) NOT NULL, lease_until DATETIME(6) NULL)"
	" ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	NULL,
};

const char *const *rec_sql_ddl(enum db_backend b)
{
	return b == DB_MYSQL ? my_ddl : pg_ddl;
}

const char *rec_sql_select(enum db_backend b)
{
	return b == DB_MYSQL ? "SELECT " COLS " FROM barbican_status_record ORDER BY start_at, id"
			     : "SELECT " COLS " FROM barbican_status.record ORDER BY start_at, id";
}

const char *rec_sql_insert(enum db_backend b)
{
	return b == DB_MYSQL
		       ? "INSERT INTO barbican_status_record (" COLS
			 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
		       : "INSERT INTO barbican_status.record (" COLS
			 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
}

const char *rec_sql_update_end(enum db_backend b)
{
	return b == DB_MYSQL ? "UPDATE barbican_status_record SET end_at = ?, exit_code = ?,"
			       " signal_no = ?, outcome = ?, detail = ? WHERE id = ?"
			     : "UPDATE barbican_status.record SET end_at = ?, exit_code = ?,"
			       " signal_no = ?, outcome = ?, detail = ? WHERE id = ?";
}

const char *lock_sql_select(enum db_backend b, bool for_update)
{
	if (b == DB_MYSQL)
		return for_update
			       ? "SELECT token, record_id, step, node, user_name, host,"
				 " DATE_FORMAT(since, '%Y-%m-%dT%H:%i:%sZ'),"
				 " DATE_FORMAT(lease_until, '%Y-%m-%dT%H:%i:%sZ'),"
				 " TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), lease_until)"
				 " FROM barbican_status_lock WHERE id = 1 FOR UPDATE"
			       : "SELECT token, record_id, step, node, user_name, host,"
				 " DATE_FORMAT(since, '%Y-%m-%dT%H:%i:%sZ'),"
				 " DATE_FORMAT(lease_until, '%Y-%m-%dT%H:%i:%sZ'),"
				 " TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), lease_until)"
				 " FROM barbican_status_lock WHERE id = 1";
	return for_update ? "SELECT token, record_id, step, node, user_name, host,"
			    " to_char(since AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
			    " NULL, NULL FROM barbican_status.lock WHERE id = 1 FOR UPDATE"
			  : "SELECT token, record_id, step, node, user_name, host,"
			    " to_char(since AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
			    " NULL, NULL FROM barbican_status.lock WHERE id = 1";
}

const char *lock_sql_insert(enum db_backend b)
{
	return b == DB_MYSQL
		       ? "INSERT INTO barbican_status_lock (id, token, record_id, step, node,"
			 " user_name, host, since, lease_until) VALUES (1, ?, ?, ?, ?, ?, ?,"
			 " UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND)"
		       : "INSERT INTO barbican_status.lock (id, token, record_id, step, node,"
			 " user_name, host, since, lease_until) VALUES (1, ?, ?, ?, ?, ?, ?,"
			 " clock_timestamp(), NULL)";
}

const char *lock_sql_delete(enum db_backend b)
{
	return b == DB_MYSQL ? "DELETE FROM barbican_status_lock WHERE id = 1 AND token = ?"
			     : "DELETE FROM barbican_status.lock WHERE id = 1 AND token = ?";
}

const char *lock_sql_renew(void)
{
	return "UPDATE barbican_status_lock SET lease_until = UTC_TIMESTAMP(6) + INTERVAL ?"
	       " MICROSECOND WHERE id = 1 AND token = ?";
}

const char *rec_sql_delete(enum db_backend b)
{
	return b == DB_MYSQL ? "DELETE FROM barbican_status_record WHERE id = ?"
			     : "DELETE FROM barbican_status.record WHERE id = ?";
}

/* --- rows and parameters ---------------------------------------------- */

static char *int_or_null(bool has, int v)
{
	return has ? xasprintf("%d", v) : NULL;
}

static char *time_text(time_t t)
{
	char buf[32];
	record_format_time(t, buf);
	return xstrdup(buf);
}

static char *argv_json(char **argv)
{
	if (!argv)
		return NULL;
	json_t *a = json_array();
	for (char **p = argv; *p; p++)
		json_array_append_new(a, pyjson_str(*p));
	char *s = json_dumps(a, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(a);
	return s ? s : xstrdup("[]");
}

void rec_params(const struct journal_record *r, char **p)
{
	p[0] = xstrdup(r->id);
	p[1] = xstrdup(r->user);
	p[2] = xstrdup(r->host);
	p[3] = xstrdup(r->step);
	p[4] = xstrdup_or_null(r->node);
	p[5] = argv_json(r->argv);
	p[6] = time_text(r->start);
	p[7] = time_text(r->end ? r->end : r->start);
	p[8] = int_or_null(r->has_exit, r->exit_code);
	p[9] = int_or_null(r->has_signal, r->signal);
	p[10] = xstrdup(journal_outcome_name(r->outcome));
	p[11] = xstrdup(r->detail ? r->detail : "");
	p[12] = xstrdup_or_null(r->release);
	p[13] = xstrdup_or_null(r->revision);
}

void rec_end_params(const struct journal_record *r, char **p)
{
	p[0] = time_text(r->end ? r->end : r->start);
	p[1] = int_or_null(r->has_exit, r->exit_code);
	p[2] = int_or_null(r->has_signal, r->signal);
	p[3] = xstrdup(journal_outcome_name(r->outcome));
	p[4] = xstrdup(r->detail ? r->detail : "");
	p[5] = xstrdup(r->id);
}

void rec_params_free(char **p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i]);
}

static bool get_int(const char *s, bool *has, int *out)
{
	*has = false;
	if (!s)
		return true;
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < -2147483647L || v > 2147483647L)
		return false;
	*has = true;
	*out = (int)v;
	return true;
}

static char **argv_from_json(const char *s, bool *ok)
{
	*ok = true;
	if (!s)
		return NULL;
	json_t *a = json_loads(s, 0, NULL);
	if (!json_is_array(a)) {
		json_decref(a);
		*ok = false;
		return NULL;
	}
	size_t n = json_array_size(a);
	char **argv = xcalloc(n + 1, sizeof(*argv));
	for (size_t i = 0; i < n; i++) {
		const char *w = json_string_value(json_array_get(a, i));
		argv[i] = xstrdup(w ? w : "");
	}
	json_decref(a);
	return argv;
}

bool rec_from_row(const struct db_conn *c, size_t row, struct journal_record *r)
{
	memset(r, 0, sizeof(*r));
	const char *v[REC_NPARAMS];
	if (db_ncols(c) < REC_NPARAMS)
		return false;
	for (size_t i = 0; i < REC_NPARAMS; i++)
		v[i] = db_value(c, row, i);
	bool ok = v[0] && v[1] && v[2] && v[3] && v[6] && v[7] && v[10] && v[11];
	bool argv_ok = true;
	ok = ok && record_parse_time(v[6], &r->start) && record_parse_time(v[7], &r->end) &&
	     journal_outcome_parse(v[10], &r->outcome) &&
	     get_int(v[8], &r->has_exit, &r->exit_code) &&
	     get_int(v[9], &r->has_signal, &r->signal);
	if (ok)
		r->argv = argv_from_json(v[5], &argv_ok);
	if (!ok || !argv_ok) {
		journal_record_free(r);
		return false;
	}
	r->id = xstrdup(v[0]);
	r->user = xstrdup(v[1]);
	r->host = xstrdup(v[2]);
	r->step = xstrdup(v[3]);
	r->node = xstrdup_or_null(v[4]);
	r->detail = xstrdup(v[11]);
	r->release = xstrdup_or_null(v[12]);
	r->revision = xstrdup_or_null(v[13]);
	return true;
}
