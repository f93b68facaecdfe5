/* lockobs.h: who holds the upgrade lock, observed: PostgreSQL's advisory
 * lock (pg_locks) and the shared record's lock row (db/record-sql.h),
 * composed into one lock_obs. The runner takes and keeps the lock
 * (runner/lock.h) and reads the same things through these functions. */
#ifndef BS_LOCKOBS_H
#define BS_LOCKOBS_H

#include <stdbool.h>

#include "core/snapshot.h"
#include "db/db.h"
#include "db/record-sql.h"

/* "bsupgrde" in ASCII: 0x6273757067726465 = 7094142963671000165 */
#define BS_LOCK_KEY 0x6273757067726465LL
#define BS_APPNAME_PREFIX "barbican-status: "

/* The application_name of a PostgreSQL lock session (<= 63 ASCII bytes:
 * "barbican-status: expand by ops@jump1 since 2026-11-25T10:42Z", cut to
 * fit: the host first, then the user, then the step). Caller frees. */
char *lock_application_name(const char *step, const char *user, const char *host, time_t since);

/* PostgreSQL: one parameter, the backend pid to ignore ("0": none); at
 * most one row: pid, application_name ('' when none), usename,
 * host(client_addr), for a holder in the current database. */
const char *lockobs_advisory_sql(void);
/* PostgreSQL: the same parameter; a row when any other session holds the
 * advisory lock, in any database of the server. pg_locks alone: a new
 * session's first look at pg_stat_activity and pg_database costs its
 * server about 2 ms of catalog reads (measured on PostgreSQL 15), so the
 * probe asks this first and lockobs_advisory_sql only when it finds one. */
const char *lockobs_advisory_any_sql(void);
/* From its result: true when another session holds the advisory lock
 * (then holder_pid, and holder from its application_name). */
bool lockobs_advisory_from(const struct db_conn *c, struct lock_obs *l);

/* The lock row (lock_sql_select's columns), as read. */
struct lock_row {
	bool present;
	char *col[LOCKROW_NCOLS];
};
void lockrow_from(const struct db_conn *c, struct lock_row *r);
void lockrow_clear(struct lock_row *r);

/* Compose l (its advisory part already filled on PostgreSQL) with the lock
 * row: held by a live holder, or vanished (a row whose holder is gone:
 * PostgreSQL's advisory lock is free, or MySQL's lease ran out), and the
 * holder's words. own_token: our own lock (never "another operator"). */
void lockobs_finish(struct lock_obs *l, const struct lock_row *r, enum db_backend b,
		    bool advisory_held, const char *own_token);

/* "expand by ops@jump1 since 2026-11-25T10:42:07Z" from a lock_obs's
 * parts (NULL parts shown as "?"). Caller frees. */
char *lockobs_describe(const struct lock_obs *l);

#endif
