/* dburl.h: database URLs parsed the way SQLAlchemy 1.4 (Debian 12's
 * python3-sqlalchemy 1.4.46, sqlalchemy/engine/url.py _parse_url) parses
 * them, and turned into libpq keyword arrays the way its psycopg2 dialect
 * (create_connect_args) turns them into connect arguments.
 *
 * The regular expression of _parse_url is followed exactly, including its
 * backtracking (where an '@' inside the user part or the password goes),
 * \w in the scheme matching Unicode word characters, and its lack of an end
 * anchor. Username and password are percent-decoded (urllib.parse.unquote:
 * UTF-8, invalid sequences become U+FFFD); host, port and database are not.
 * The query goes through urllib.parse.parse_qsl (split on '&', '+' is a space,
 * percent-decoding, pairs without '=' or with an empty value dropped); a key
 * given twice becomes a list. The reference is make_url itself: tests compare
 * against /usr/bin/python3 on a corpus.
 */
#ifndef BS_DBURL_H
#define BS_DBURL_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

struct dburl_query {
	char *key;
	char **values;   /* more than one when the key was repeated */
	size_t nvalues;
};

struct dburl {
	char *drivername;  /* "postgresql+psycopg2" */
	char *backend;     /* before the '+': "postgresql" */
	char *driver;      /* after the '+', or NULL */
	char *username;    /* NULL when absent (an empty one is "") */
	char *password;
	char *host;        /* ipv4host or ipv6host (without brackets) */
	char *port;        /* as written; NULL or "" when absent */
	long port_num;     /* -1 when absent */
	char *database;
	struct dburl_query *query;
	size_t nquery;
	bool has_query;    /* a '?' was present */
};

/* Parse. Errors (BS_ST_DBURL): no match ("could not parse SQLAlchemy URL"),
 * a port that is not a number (SQLAlchemy raises ValueError). The message
 * never contains the password: it shows the URL masked. */
enum bs_status dburl_parse(const char *url, struct dburl *out, struct bs_err *err);
void dburl_free(struct dburl *u);

/* The URL as SQLAlchemy's repr shows it, password replaced by "***". Caller
 * frees. Also safe for a string that does not parse (then everything between
 * "://" and the last '@' before the host is masked). */
char *dburl_masked(const char *url);

/* A PostgreSQL backend ("postgresql", with any driver)? */
bool dburl_is_postgresql(const struct dburl *u);

/* libpq keyword/value arrays for PQconnectdbParams, as psycopg2 receives
 * them from SQLAlchemy: host, port, dbname (from database), user, password,
 * then every query option as is (a repeated "host" key becomes the
 * comma-joined multi-host form, its "h:p" parts split into host and port).
 * extra_keys/extra_values (n extra) are appended before the NULL terminator
 * (e.g. connect_timeout, application_name) unless the URL already sets them.
 * Both arrays and their strings are malloc'd; free with dburl_free_params. */
void dburl_to_libpq(const struct dburl *u, const char *const *extra_keys,
		    const char *const *extra_values, size_t nextra,
		    char ***keys, char ***values);
void dburl_free_params(char **keys, char **values);

#endif
