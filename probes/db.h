/* db.h: the database probe (libpq). Connects with the URL of the option the
 * target release reads (settings_db_option), parsed as SQLAlchemy parses it
 * and handed to libpq as keyword arrays, and reads alembic_version (one row
 * per head; a missing table means "not under version control") and who
 * holds the upgrade lock.
 *
 * Non-blocking (PQconnectStartParams, PQsendQuery), so that the console
 * can wait on its socket; dbprobe_run() is the blocking form for the CLI.
 * The password never appears in any output, error or log: errors are
 * libpq's messages (which do not contain it) and URLs are shown masked. */
#ifndef BS_DB_H
#define BS_DB_H

#include <stdbool.h>

#include "core/snapshot.h"

struct dbprobe;

/* Describe the configured database into d (configured, option, masked URL,
 * scheme, supported, conflict, parse error) without connecting. */
void db_describe(const struct settings *st, const char *target, struct db_obs *d);

/* Start a probe; NULL when there is nothing to connect to (not configured,
 * not PostgreSQL, unparsable): d already says why. except_pid: the backend
 * of our own lock session (0 none), which is not "another operator". */
struct dbprobe *dbprobe_start(const struct settings *st, const char *target, double timeout_s,
			       int except_pid);
/* The socket to wait on (-1 none), and whether to wait for writing. */
int dbprobe_socket(const struct dbprobe *p, bool *want_write);
/* Advance without blocking. Returns true when finished; the result is then
 * in d (probed, reachable, error, versioned, heads, latency) and, when lock
 * is not NULL, who holds the upgrade lock (runner/lock.h) in *lock. */
bool dbprobe_step(struct dbprobe *p, struct db_obs *d, struct lock_obs *lock);
/* Milliseconds left before the probe times out. */
long dbprobe_timeout_ms(const struct dbprobe *p);
void dbprobe_free(struct dbprobe *p);

/* Describe, connect and read, blocking up to timeout_s. */
void dbprobe_run(const struct settings *st, const char *target, double timeout_s,
		 struct db_obs *d, struct lock_obs *lock);

#endif
