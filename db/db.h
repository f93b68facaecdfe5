/* db.h: one database interface, two backends (PostgreSQL through libpq,
 * MySQL and MariaDB through MariaDB Connector/C), chosen from the URL's
 * scheme. Below both the probes (which observe) and the runner (which
 * acts): nothing above this file knows which backend it talks to.
 *
 * Every call is non-blocking: a connection and each statement advance by
 * db_step() whenever the socket that db_socket() names is ready, so that
 * the console's one wait loop waits on a database exactly as on a node.
 * db_wait() is the blocking form (poll on that socket up to the deadline).
 *
 * Statements are written once, with '?' placeholders (never inside a
 * literal); PostgreSQL gets them as $1..$n parameters, MySQL as literals
 * escaped by the server's own rules (mysql_real_escape_string). A NULL
 * parameter is SQL NULL. Results are text, NULL cells are NULL.
 *
 * The password never appears in an error or anywhere we print: errors are
 * the server's or the client library's messages, with the password masked
 * should one ever contain it. */
#ifndef BS_DB_DB_H
#define BS_DB_DB_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

enum db_backend {
	DB_POSTGRESQL,
	DB_MYSQL,    /* MySQL and MariaDB, Galera included */
};

const char *db_backend_name(enum db_backend b);

/* What went wrong, in classes that callers decide on. */
enum db_errkind {
	DBE_NONE,
	DBE_CONNECT,    /* refused, unreachable, no answer while connecting */
	DBE_AUTH,       /* wrong user or password, or no access to the database */
	DBE_TIMEOUT,    /* connected, then no answer within the deadline */
	DBE_NO_TABLE,   /* the statement names a table that does not exist */
	DBE_DENIED,     /* no privilege for this statement */
	DBE_CONFLICT,   /* serialization, deadlock, Galera certification: try again or give up */
	DBE_DUPLICATE,  /* a unique key already taken */
	DBE_OTHER,
};

/* Where to connect: the parsed URL, ready for its backend. */
struct db_target;

/* Parse url (as SQLAlchemy reads it). Errors: BS_ST_DBURL, the URL not a
 * supported database (the message names its scheme) or not parsable. */
enum bs_status db_target_new(const char *url, struct db_target **out, struct bs_err *err);
void db_target_free(struct db_target *t);
enum db_backend db_target_backend(const struct db_target *t);
/* A URL of a supported backend? (false for sqlite, oracle, garbage) */
bool db_url_supported(const char *url);

struct db_conn;

/* Start connecting; never NULL. application_name (may be NULL) names the
 * session where the server shows it (PostgreSQL's application_name; MySQL
 * has no such field, the name is sent as the connection attribute
 * program_name). timeout_s bounds the connection (and is the first
 * deadline: db_set_deadline moves it). */
struct db_conn *db_connect_start(const struct db_target *t, const char *application_name,
				 double timeout_s);
/* The socket to wait on (-1: nothing to wait for, call db_step), and
 * whether to wait for writing. */
int db_socket(const struct db_conn *c, bool *want_write);
/* Milliseconds to the deadline (0: passed). */
long db_timeout_ms(const struct db_conn *c);
/* Move the deadline to now + timeout_s. */
void db_set_deadline(struct db_conn *c, double timeout_s);

enum db_state {
	DBS_BUSY,   /* connecting or running a statement: wait and step again */
	DBS_READY,  /* connected, or the last statement finished (result or error) */
	DBS_BROKEN, /* the connection failed or was lost: db_error says why */
};

/* Advance without blocking. A deadline that passed makes the connection
 * BROKEN (DBE_CONNECT while connecting, DBE_TIMEOUT after). */
enum db_state db_step(struct db_conn *c);
enum db_state db_state(const struct db_conn *c);

/* Send one statement (the connection must be READY). Returns false (and
 * the connection is BROKEN) when it could not even be sent. */
bool db_query(struct db_conn *c, const char *sql, size_t nparams, const char *const *params);

/* After a statement: did it fail, how, and why. */
enum db_errkind db_errkind(const struct db_conn *c);
const char *db_error(const struct db_conn *c);      /* one line; "" when none */
/* The result of the last statement (rows of text cells). */
size_t db_nrows(const struct db_conn *c);
size_t db_ncols(const struct db_conn *c);
const char *db_value(const struct db_conn *c, size_t row, size_t col); /* NULL: SQL NULL */
size_t db_affected(const struct db_conn *c);       /* rows changed by UPDATE/INSERT/DELETE */

/* Blocking: step until not BUSY (or the deadline). */
enum db_state db_wait(struct db_conn *c);
/* Blocking: send, wait. True when the statement succeeded. */
bool db_exec(struct db_conn *c, const char *sql, size_t nparams, const char *const *params);

/* The server's backend id for this session (PostgreSQL's backend pid,
 * MySQL's connection id), 0 before connected. */
long db_session_id(const struct db_conn *c);

void db_close(struct db_conn *c);

#endif
