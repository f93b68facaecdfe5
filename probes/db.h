/* db.h: the database probe. Connects (db/db.h: PostgreSQL or MySQL/MariaDB,
 * from the URL of the option the target release reads, settings_db_option)
 * and reads, in one non-blocking sequence: alembic_version (one row per
 * head; a missing table means "not under version control"), Galera's
 * status on MySQL, who holds the upgrade lock (probes/lockobs.h), and the
 * shared record of the upgrade (db/record-sql.h; in [record] connection's
 * database when that names another one; not with [record] backend = file).
 *
 * dbprobe_run() is the blocking form for the CLI. The password never
 * appears in any output, error or log. Nothing here writes. */
#ifndef BS_PROBES_DB_H
#define BS_PROBES_DB_H

#include <stdbool.h>

#include "core/snapshot.h"

struct dbprobe;

/* Describe the configured database into d (configured, option, masked URL,
 * scheme, backend, supported, conflict, parse error) without connecting. */
void db_describe(const struct settings *st, const char *target, struct db_obs *d);

/* The URL of the shared record's database: [record] connection, else the
 * deployment's (NULL: none). */
const char *dbprobe_record_url(const struct settings *st, const char *target);

/* Start a probe; NULL when there is nothing to connect to (not configured,
 * not supported, unparsable): d already says why. except_pid and
 * except_token: our own lock (its PostgreSQL session, its lock row), which
 * is not "another operator" (0 and NULL: none). */
struct dbprobe *dbprobe_start(const struct settings *st, const char *target, double timeout_s,
			       int except_pid, const char *except_token);

/* A connection kept from one probe for the next, as the console keeps it:
 * a dashboard that connected afresh every refresh would pay a connection
 * and (PostgreSQL's scram) a key derivation each time, and its server a
 * session each time. Kept only after a probe that read everything, for the
 * same URL; a kept connection that turns out broken at its first statement
 * (the server restarted, an idle timeout, the session terminated) is
 * replaced by a new one within the same probe, once. */
struct dbprobe_keep {
	char *url;
	struct db_conn *conn;
};
/* dbprobe_start, with keep's connection when it is for the same URL (keep
 * is emptied either way; NULL keep: as dbprobe_start). */
struct dbprobe *dbprobe_start_kept(const struct settings *st, const char *target,
				    double timeout_s, int except_pid, const char *except_token,
				    struct dbprobe_keep *keep);
/* Free a finished probe, its connection into keep when the probe read
 * everything (else closed). */
void dbprobe_free_keep(struct dbprobe *p, struct dbprobe_keep *keep);
void dbprobe_keep_clear(struct dbprobe_keep *keep);
/* The socket to wait on (-1 none), and whether to wait for writing. */
int dbprobe_socket(const struct dbprobe *p, bool *want_write);
/* Advance without blocking. Returns true when finished; the results are
 * then in d, and in lock and rec when not NULL. */
bool dbprobe_step(struct dbprobe *p, struct db_obs *d, struct lock_obs *lock,
		  struct record_obs *rec);
/* Milliseconds left before the probe times out. */
long dbprobe_timeout_ms(const struct dbprobe *p);
void dbprobe_free(struct dbprobe *p);

/* Describe, connect and read, blocking up to timeout_s. */
void dbprobe_run(const struct settings *st, const char *target, double timeout_s,
		 struct db_obs *d, struct lock_obs *lock, struct record_obs *rec);

#endif
