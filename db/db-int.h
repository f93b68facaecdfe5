/* db-int.h: what the two backends of db.h share (not for callers). */
#ifndef BS_DB_INT_H
#define BS_DB_INT_H

#include <time.h>

#include "db/db.h"

struct dburl_mysql;

struct db_conn;

/* One backend: tig's view_ops, nvme-cli's print_ops. */
struct db_ops {
	/* start connecting (state BUSY) or fail (db_fail) */
	void (*start)(struct db_conn *c, const struct db_target *t, const char *appname,
		      double timeout_s);
	int (*socket)(const struct db_conn *c, bool *want_write);
	/* advance: on completion db_result_* / db_fail and state READY */
	void (*step)(struct db_conn *c);
	bool (*query)(struct db_conn *c, const char *sql, size_t n, const char *const *params);
	void (*close)(struct db_conn *c);
};

extern const struct db_ops db_pg_ops;
extern const struct db_ops db_mysql_ops;

struct db_target {
	enum db_backend backend;
	char *password;          /* masked in every message */
	char **pg_keys, **pg_values;   /* libpq keyword arrays */
	struct dburl_mysql *my;        /* Connector/C options */
};

struct db_conn {
	const struct db_ops *ops;
	enum db_state state;
	bool connected;
	struct timespec deadline;     /* CLOCK_MONOTONIC */
	double connect_timeout_s;
	enum db_errkind ek;
	char *err;
	char *password;               /* a copy, for masking */
	size_t nrows, ncols;
	char **cells;                 /* nrows * ncols, NULL = SQL NULL */
	size_t affected;
	long session_id;
	void *be;                     /* the backend's own state */
};

/* The statement failed (state READY) or the connection did (BROKEN); msg
 * is taken (made one line, the password masked). */
void db_fail(struct db_conn *c, enum db_errkind k, bool broken, char *msg);
/* Forget the last result and error. */
void db_result_reset(struct db_conn *c);
/* Take cells (nrows * ncols strings or NULLs) as the result. */
void db_result_set(struct db_conn *c, size_t nrows, size_t ncols, char **cells, size_t affected);
/* '?' placeholders as $1..$n. Caller frees. */
char *db_sql_dollar(const char *sql);

#endif
