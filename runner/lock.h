/* lock.h: one step at a time across all operators: a PostgreSQL session
 * advisory lock on the Barbican database, with one fixed 64-bit key
 * (BS_LOCK_KEY, documented in barbican-status(1)), held by a dedicated
 * connection for the whole step. The connection's application_name says
 * who holds it and for what, so that every console can show it:
 *     "barbican-status: expand by ops@jump1 since 2026-11-25T10:42Z"
 * (at most 63 bytes, ASCII only: anything else is replaced by '?' and the
 * text is cut to fit: the host first, then the user, then the step; the
 * prefix and the time are always whole; a NULL part shows as "?"). */
#ifndef BS_LOCK_H
#define BS_LOCK_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <time.h>

#include "core/status.h"

/* "bsupgrde" in ASCII: 0x6273757067726465 = 7094142963671000165 */
#define BS_LOCK_KEY 0x6273757067726465LL
#define BS_APPNAME_PREFIX "barbican-status: "

/* The application_name for a step (≤ 63 ASCII bytes). Caller frees. */
char *lock_application_name(const char *step, const char *user, const char *host, time_t since);

struct lock_holder {
	bool held;             /* somebody (other than except_pid) holds the lock */
	char *application_name;/* theirs, as PostgreSQL shows it (may be empty) */
	char *user;            /* their database user, when visible */
	char *client;          /* their client address, when visible */
	int pid;               /* their backend pid */
};

void lock_holder_clear(struct lock_holder *h);

struct dblock;

/* Connect (with the libpq keyword arrays of the database URL, the timeout,
 * and application_name) and try to take the lock without waiting. Returns
 * BS_ST_OK with *out set when taken. When someone else holds it: *out is
 * NULL, holder says who, BS_ST_OK (holder->held is false in the rare case
 * that the holder let go while we looked, three times over). Connection
 * errors: BS_ST_IO with the cause (never the password). timeout_s bounds
 * the connection and each query (<= 0: 10 s); the URL's own
 * application_name and connect_timeout are replaced. holder (may be NULL)
 * is overwritten: free it with lock_holder_clear. */
enum bs_status lock_acquire(const char *const *keys, const char *const *values,
			    const char *application_name, double timeout_s, struct dblock **out,
			    struct lock_holder *holder, struct bs_err *err);
/* The backend pid of our lock session (to ignore ourselves when probing). */
int lock_backend_pid(const struct dblock *l);
/* Release (unlock and close the session). */
void lock_release(struct dblock *l);

/* Who holds the lock, on an existing connection (blocking), ignoring the
 * session except_pid (0: none). Returns false when the query fails. out is
 * overwritten: free it with lock_holder_clear. */
bool lock_query_holder(PGconn *conn, int except_pid, struct lock_holder *out);
/* The SQL that lock_query_holder runs (for the probes' non-blocking use):
 * one text parameter, $1 = the backend pid to ignore ("0": none); at most
 * one row: pid, application_name ('' when none), usename and
 * host(client_addr) (NULL when not visible), only for a holder in the
 * current database. */
const char *lock_holder_sql(void);
/* The holder from the result of lock_holder_sql (held is false when no row). */
void lock_holder_from_result(const PGresult *res, struct lock_holder *out);

#endif
