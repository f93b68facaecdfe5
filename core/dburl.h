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

/* ------------------------------------------------------------------------
 * MySQL / MariaDB
 *
 * A MySQL backend: "mysql" or "mariadb", with any driver. */
bool dburl_is_mysql(const struct dburl *u);

/* What Barbican's connection would use, for MariaDB Connector/C. Computed as
 * oslo.db's create_engine does it: SQLAlchemy 1.4.46's dialect
 * create_connect_args (MySQLDialect_pymysql for +pymysql, the mysqldb
 * dialect for no driver and +mysqldb; "mariadb" is the same with a MariaDB
 * flavour), plus oslo.db's connect_args: charset=utf8 when the query has no
 * charset -- for the "mysql" backend only: oslo.db dispatches on the name
 * before the '+', so mariadb:// URLs keep the driver's default (utf8mb4 for
 * PyMySQL). Then, for +pymysql, PyMySQL 1.0.2's Connection.__init__
 * resolves the arguments: the fields say what PyMySQL would do.
 *
 * Accepted drivers: pymysql (Debian's), and mysqldb / none (MySQLdb, which
 * wraps libmysqlclient: its arguments are the same as Connector/C's, fields
 * left unset are Connector/C's defaults). Any other driver is refused.
 *
 * TCP or socket: PyMySQL opens the unix socket only when unix_socket is
 * given, else TCP to host (default "localhost") and port (default 3306);
 * Connector/C takes "localhost" as the socket. tcp says PyMySQL's choice:
 * when set, the caller must set MYSQL_OPT_PROTOCOL = MYSQL_PROTOCOL_TCP. */
struct dburl_mysql_extra {
	char *key, *value;   /* a driver argument not mapped below */
};

struct dburl_mysql {
	bool pymysql;        /* the driver is PyMySQL (else MySQLdb) */
	bool tcp;            /* MYSQL_OPT_PROTOCOL TCP (PyMySQL without unix_socket) */
	char *host;          /* mysql_real_connect host; never NULL ("localhost") */
	unsigned port;       /* mysql_real_connect port; 3306 by default */
	char *user;          /* mysql_real_connect user; NULL: the login name */
	char *password;      /* mysql_real_connect passwd; NULL: none. The bytes
			      * PyMySQL sends: Latin-1 (a character above U+00FF
			      * is an error), NOT UTF-8 */
	char *database;      /* mysql_real_connect db; NULL: none */
	char *unix_socket;   /* mysql_real_connect unix_socket; NULL: none */
	char *charset;       /* MYSQL_SET_CHARSET_NAME; "utf8" from oslo.db for
			      * mysql://, else the query's, else PyMySQL's
			      * "utf8mb4" (NULL for MySQLdb: its default) */
	unsigned connect_timeout;  /* MYSQL_OPT_CONNECT_TIMEOUT, seconds; PyMySQL:
				    * 10 by default (0: not set, MySQLdb) */
	unsigned read_timeout;     /* MYSQL_OPT_READ_TIMEOUT; 0: not set */
	unsigned write_timeout;    /* MYSQL_OPT_WRITE_TIMEOUT; 0: not set */
	char *read_default_file;   /* MYSQL_READ_DEFAULT_FILE (PyMySQL: /etc/my.cnf
				    * when only a group is given); NULL: none */
	char *read_default_group;  /* MYSQL_READ_DEFAULT_GROUP ("client" when only
				    * a file is given); NULL: none */
	bool ssl;            /* TLS is required (PyMySQL sets CLIENT_SSL and fails
			      * without it): MYSQL_OPT_SSL_ENFORCE */
	char *ssl_ca;        /* MYSQL_OPT_SSL_CA */
	char *ssl_capath;    /* MYSQL_OPT_SSL_CAPATH */
	char *ssl_cert;      /* MYSQL_OPT_SSL_CERT */
	char *ssl_key;       /* MYSQL_OPT_SSL_KEY (PyMySQL: only with a cert) */
	char *ssl_cipher;    /* MYSQL_OPT_SSL_CIPHER */
	int ssl_verify_cert; /* MYSQL_OPT_SSL_VERIFY_SERVER_CERT (certificate
			      * chain); -1 when not ssl, else 0/1 */
	int ssl_check_hostname; /* the certificate names the host (with
				 * Connector/C, VERIFY_SERVER_CERT does both);
				 * -1 when not ssl, else 0/1 */
	bool local_infile;   /* MYSQL_OPT_LOCAL_INFILE */
	unsigned long client_flag; /* mysql_real_connect client_flag: the URL's,
				    * with CLIENT_FOUND_ROWS (2) from SQLAlchemy
				    * and CLIENT_LOCAL_FILES with local_infile */
	struct dburl_mysql_extra *extra; /* arguments the driver takes that are
					  * not mapped (init_command, sql_mode,
					  * autocommit, ...): warn about them */
	size_t nextra;
};

/* Fill out (zeroed first; free with dburl_mysql_free even on error). Errors
 * (BS_ST_DBURL), each a case where the dialect or the driver raises before
 * connecting: not a MySQL URL, an unsupported driver, a value the dialect
 * cannot coerce (connect_timeout=abc), a value PyMySQL refuses (a port in
 * the query, connect_timeout=0, ssl=true, compress, an unknown option), a
 * password PyMySQL cannot encode. Deliberately refused too: a key given
 * twice, a port outside 0..65535. Messages never hold the password. */
enum bs_status dburl_to_mysql(const struct dburl *u, struct dburl_mysql *out, struct bs_err *err);
void dburl_mysql_free(struct dburl_mysql *m);

/* The user and password of the first host of an oslo.messaging transport_url
 * ("rabbit://user:pass@host:5672,user2:pass2@host2:5672/vhost"),
 * percent-decoded. False (and both NULL) when it names none. Caller frees. */
bool transport_url_credentials(const char *url, char **user, char **password);

#endif
