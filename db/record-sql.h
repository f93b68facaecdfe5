/* record-sql.h: the shared record of the upgrade in the database: its two
 * tables on each backend, and the statements that read and write them.
 * Observers (probes/) read with these; the runner (runner/) creates the
 * tables and writes. Nothing here runs a statement by itself.
 *
 *   PostgreSQL: schema barbican_status, tables record and lock
 *   MySQL/MariaDB: tables barbican_status_record and barbican_status_lock
 *
 * record: one row per record (core/record.h), its id the primary key;
 *   a step is inserted with outcome "running" when it starts and updated
 *   when it ends. Times are the record's own text form (UTC, to the second).
 * lock: at most one row (id = 1): who holds the upgrade lock, for which
 *   step and record, since when, and (MySQL) until when its lease runs,
 *   both by the database server's clock. Every table has a primary key, as
 *   Galera requires. */
#ifndef BS_RECORD_SQL_H
#define BS_RECORD_SQL_H

#include <stdbool.h>

#include "core/record.h"
#include "db/db.h"

/* CREATE statements (IF NOT EXISTS), in order, NULL-terminated. */
const char *const *rec_sql_ddl(enum db_backend b);

/* SELECT of every record, ordered by start and id; its rows for rec_from_row. */
const char *rec_sql_select(enum db_backend b);
/* Row `row` of c's result as a record (false: not a valid record). */
bool rec_from_row(const struct db_conn *c, size_t row, struct journal_record *r);

/* INSERT of one record: REC_NPARAMS parameters from rec_params. */
#define REC_NPARAMS 14
const char *rec_sql_insert(enum db_backend b);
/* UPDATE of a record's end: end, exit, signal, outcome, detail, then id. */
#define REC_END_NPARAMS 6
const char *rec_sql_update_end(enum db_backend b);
/* The parameters of rec_sql_insert (p[REC_NPARAMS]) and of
 * rec_sql_update_end (p[REC_END_NPARAMS]): strings to free with
 * rec_params_free (NULLs are SQL NULL). */
void rec_params(const struct journal_record *r, char **p);
void rec_end_params(const struct journal_record *r, char **p);
void rec_params_free(char **p, size_t n);

/* The lock row, read: token, record_id, step, node, user_name, host,
 * since and lease_until (record time form, or NULL), and the lease left in
 * microseconds by the server's clock (NULL: no lease, PostgreSQL). */
enum { LK_TOKEN, LK_RECORD, LK_STEP, LK_NODE, LK_USER, LK_HOST, LK_SINCE, LK_UNTIL, LK_LEFT_US,
       LOCKROW_NCOLS };
const char *lock_sql_select(enum db_backend b, bool for_update);
/* Our row: token, record_id, step, node, user_name, host, and (MySQL) the
 * lease in microseconds; since (and lease_until) by the server's clock. */
#define LOCK_INSERT_NPARAMS 7
const char *lock_sql_insert(enum db_backend b);
/* DELETE of the row whose token is the one parameter. */
const char *lock_sql_delete(enum db_backend b);
/* MySQL: the lease renewed (parameters: microseconds, token); one row
 * matched while we hold it. */
const char *lock_sql_renew(void);
/* DELETE of a record by id (a step that never ran). */
const char *rec_sql_delete(enum db_backend b);

#endif
