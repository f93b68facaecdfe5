/* db-mysql.c: db.h over MariaDB Connector/C, through its non-blocking calls
 * (MYSQL_OPT_NONBLOCK, mysql_real_connect_start/_cont,
 * mysql_real_query_start/_cont, mysql_store_result_start/_cont): the
 * library tells which socket event it waits for, we wait for it with the
 * other sockets and call _cont with what happened. */
#include "db-int.h"

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dburl.h"
#include "core/strbuf.h"
#include "core/xalloc.h"

enum my_phase { MYP_CONNECT, MYP_QUERY, MYP_STORE, MYP_IDLE };

struct my {
	MYSQL *mysql;
	enum my_phase phase;
	int wait;                 /* MYSQL_WAIT_* the library asked for */
	long long timeout_at_ms;  /* when it asked for MYSQL_WAIT_TIMEOUT */
	char *sql;                /* the statement being sent */
	unsigned connect_timeout; /* what the library was given, seconds */
	bool timed_out;           /* we told it its timeout passed */
};

static long long mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void note_wait(struct my *m, int status)
{
	m->wait = status;
	if (status & MYSQL_WAIT_TIMEOUT)
		m->timeout_at_ms = mono_ms() + (long long)mysql_get_timeout_value_ms(m->mysql);
}

/* A server or client error number in our classes. */
static enum db_errkind classify(unsigned e)
{
	switch (e) {
	case ER_NO_SUCH_TABLE:
	case ER_BAD_TABLE_ERROR:
		return DBE_NO_TABLE;
	case ER_TABLEACCESS_DENIED_ERROR:
	case ER_COLUMNACCESS_DENIED_ERROR:
	case ER_SPECIFIC_ACCESS_DENIED_ERROR:
	case ER_DBACCESS_DENIED_ERROR:
		return DBE_DENIED;
	case ER_ACCESS_DENIED_ERROR:
	case ER_BAD_DB_ERROR:
		return DBE_AUTH;
	case ER_LOCK_DEADLOCK:
	case ER_LOCK_WAIT_TIMEOUT:
	case ER_ERROR_DURING_COMMIT:
		return DBE_CONFLICT;
	case ER_DUP_ENTRY:
		return DBE_DUPLICATE;
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_UNKNOWN_HOST:
		return DBE_CONNECT;
	default:
		return DBE_OTHER;
	}
}

static void fail_here(struct db_conn *c, struct my *m, bool broken)
{
	unsigned e = mysql_errno(m->mysql);
	if (!c->connected && m->timed_out) {
		/* the library's own words for this are "Lost connection ... system
		 * error: 11" */
		db_fail(c, DBE_CONNECT, true,
			xasprintf("no answer from the database within %.1f s",
				  (double)m->connect_timeout));
		m->phase = MYP_IDLE;
		return;
	}
	enum db_errkind k = classify(e);
	if (!c->connected && (k == DBE_OTHER || k == DBE_DENIED))
		k = e == ER_DBACCESS_DENIED_ERROR ? DBE_AUTH : DBE_CONNECT;
	if (k == DBE_CONNECT && c->connected)
		broken = true;
	db_fail(c, k, broken, xstrdup(*mysql_error(m->mysql) ? mysql_error(m->mysql)
							    : "unknown MySQL error"));
	m->phase = MYP_IDLE;
}

static void my_start(struct db_conn *c, const struct db_target *t, const char *appname,
		     double timeout_s)
{
	struct my *m = xcalloc(1, sizeof(*m));
	c->be = m;
	const struct dburl_mysql *o = t->my;
	m->mysql = mysql_init(NULL);
	if (!m->mysql) {
		db_fail(c, DBE_CONNECT, true, xstrdup("out of memory starting a database connection"));
		return;
	}
	mysql_options(m->mysql, MYSQL_OPT_NONBLOCK, 0);
	/* read_default_file/group first: what the URL says wins over the file */
	if (o->read_default_file)
		mysql_options(m->mysql, MYSQL_READ_DEFAULT_FILE, o->read_default_file);
	if (o->read_default_group)
		mysql_options(m->mysql, MYSQL_READ_DEFAULT_GROUP, o->read_default_group);
	if (o->charset)
		mysql_options(m->mysql, MYSQL_SET_CHARSET_NAME, o->charset);
	/* PyMySQL goes over TCP unless a socket is named; Connector/C would
	 * take "localhost" as its socket */
	if (o->tcp) {
		unsigned proto = MYSQL_PROTOCOL_TCP;
		mysql_options(m->mysql, MYSQL_OPT_PROTOCOL, &proto);
	}
	/* the URL's timeouts, but never beyond our own deadline */
	unsigned ours = (unsigned)(timeout_s + 0.999);
	unsigned ct = o->connect_timeout && o->connect_timeout < ours ? o->connect_timeout : ours;
	mysql_options(m->mysql, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
	m->connect_timeout = ct;
	if (o->read_timeout)
		mysql_options(m->mysql, MYSQL_OPT_READ_TIMEOUT, &o->read_timeout);
	if (o->write_timeout)
		mysql_options(m->mysql, MYSQL_OPT_WRITE_TIMEOUT, &o->write_timeout);
	if (o->local_infile) {
		unsigned on = 1;
		mysql_options(m->mysql, MYSQL_OPT_LOCAL_INFILE, &on);
	}
	if (o->ssl) {
		mysql_ssl_set(m->mysql, o->ssl_key, o->ssl_cert, o->ssl_ca, o->ssl_capath,
			      o->ssl_cipher);
		my_bool enforce = 1;
		mysql_options(m->mysql, MYSQL_OPT_SSL_ENFORCE, &enforce);
		my_bool verify = (my_bool)(o->ssl_verify_cert > 0 || o->ssl_check_hostname > 0);
		mysql_options(m->mysql, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
	}
	mysql_optionsv(m->mysql, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name",
		       appname ? appname : "barbican-status");
	MYSQL *ret = NULL;
	m->phase = MYP_CONNECT;
	int status = mysql_real_connect_start(&ret, m->mysql, o->host,
					      o->user, o->password, o->database, o->port,
					      o->unix_socket, o->client_flag);
	note_wait(m, status);
	if (status == 0) {
		if (!ret) {
			fail_here(c, m, true);
		} else {
			c->connected = true;
			c->session_id = (long)mysql_thread_id(m->mysql);
			m->phase = MYP_IDLE;
			c->state = DBS_READY;
		}
	}
}

static int mydb_socket(const struct db_conn *c, bool *want_write)
{
	const struct my *m = c->be;
	*want_write = (m->wait & MYSQL_WAIT_WRITE) != 0;
	return m->mysql ? (int)mysql_get_socket(m->mysql) : -1;
}

/* What of what the library waits for has happened (0: nothing yet). */
static int ready_events(struct my *m)
{
	int ev = 0;
	short want = 0;
	if (m->wait & MYSQL_WAIT_READ)
		want |= POLLIN;
	if (m->wait & MYSQL_WAIT_WRITE)
		want |= POLLOUT;
	if (m->wait & MYSQL_WAIT_EXCEPT)
		want |= POLLPRI;
	if (want) {
		struct pollfd p = { (int)mysql_get_socket(m->mysql), want, 0 };
		if (poll(&p, 1, 0) > 0) {
			if (p.revents & (POLLIN | POLLHUP | POLLERR))
				ev |= MYSQL_WAIT_READ & m->wait ? MYSQL_WAIT_READ : 0;
			if (p.revents & (POLLOUT | POLLHUP | POLLERR))
				ev |= MYSQL_WAIT_WRITE & m->wait ? MYSQL_WAIT_WRITE : 0;
			if (p.revents & POLLPRI)
				ev |= MYSQL_WAIT_EXCEPT;
			if (!ev && (p.revents & (POLLHUP | POLLERR)))
				ev = m->wait & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE);
		}
	}
	if ((m->wait & MYSQL_WAIT_TIMEOUT) && mono_ms() >= m->timeout_at_ms) {
		ev |= MYSQL_WAIT_TIMEOUT;
		m->timed_out = true;
	}
	return ev;
}

static void store_result(struct db_conn *c, struct my *m, MYSQL_RES *res)
{
	m->phase = MYP_IDLE;
	if (!res) {
		if (mysql_field_count(m->mysql) != 0) {
			fail_here(c, m, false);
			return;
		}
		my_ulonglong aff = mysql_affected_rows(m->mysql);
		db_result_set(c, 0, 0, NULL, aff == (my_ulonglong)-1 ? 0 : (size_t)aff);
		return;
	}
	size_t nr = (size_t)mysql_num_rows(res), nc = mysql_num_fields(res);
	char **cells = xcalloc(nr * nc > 0 ? nr * nc : 1, sizeof(*cells));
	MYSQL_ROW row;
	size_t r = 0;
	while (r < nr && (row = mysql_fetch_row(res)) != NULL) {
		unsigned long *len = mysql_fetch_lengths(res);
		for (size_t f = 0; f < nc; f++)
			if (row[f])
				cells[r * nc + f] = xstrndup(row[f], len[f]);
		r++;
	}
	mysql_free_result(res);
	db_result_set(c, r, nc, cells, 0);
}

static void my_step(struct db_conn *c)
{
	struct my *m = c->be;
	for (;;) {
		int ev = ready_events(m);
		if (!ev)
			return;
		int status;
		switch (m->phase) {
		case MYP_CONNECT: {
			MYSQL *ret = NULL;
			status = mysql_real_connect_cont(&ret, m->mysql, ev);
			note_wait(m, status);
			if (status)
				continue;
			if (!ret) {
				fail_here(c, m, true);
				return;
			}
			c->connected = true;
			c->session_id = (long)mysql_thread_id(m->mysql);
			m->phase = MYP_IDLE;
			c->state = DBS_READY;
			return;
		}
		case MYP_QUERY: {
			int iret = 0;
			status = mysql_real_query_cont(&iret, m->mysql, ev);
			note_wait(m, status);
			if (status)
				continue;
			if (iret) {
				fail_here(c, m, false);
				return;
			}
			MYSQL_RES *res = NULL;
			m->phase = MYP_STORE;
			status = mysql_store_result_start(&res, m->mysql);
			note_wait(m, status);
			if (status)
				continue;
			store_result(c, m, res);
			return;
		}
		case MYP_STORE: {
			MYSQL_RES *res = NULL;
			status = mysql_store_result_cont(&res, m->mysql, ev);
			note_wait(m, status);
			if (status)
				continue;
			store_result(c, m, res);
			return;
		}
		case MYP_IDLE:
			return;
		}
	}
}

/* The statement with its '?' replaced by escaped literals. */
static char *bind_params(MYSQL *mysql, const char *sql, size_t n, const char *const *params)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i = 0;
	for (const char *p = sql; *p; p++) {
		if (*p != '?') {
			sb_addch(&sb, *p);
			continue;
		}
		const char *v = i < n ? params[i] : NULL;
		i++;
		if (!v) {
			sb_addstr(&sb, "NULL");
			continue;
		}
		size_t len = strlen(v);
		char *esc = xmalloc(len * 2 + 1);
		unsigned long el = mysql_real_escape_string(mysql, esc, v, (unsigned long)len);
		sb_addch(&sb, '\'');
		sb_add(&sb, esc, el);
		sb_addch(&sb, '\'');
		free(esc);
	}
	return sb_detach(&sb);
}

static bool my_query(struct db_conn *c, const char *sql, size_t n, const char *const *params)
{
	struct my *m = c->be;
	free(m->sql);
	m->sql = bind_params(m->mysql, sql, n, params);
	int iret = 0;
	m->phase = MYP_QUERY;
	int status = mysql_real_query_start(&iret, m->mysql, m->sql, (unsigned long)strlen(m->sql));
	note_wait(m, status);
	if (status)
		return true;
	if (iret) {
		fail_here(c, m, false);
		return true;
	}
	MYSQL_RES *res = NULL;
	m->phase = MYP_STORE;
	status = mysql_store_result_start(&res, m->mysql);
	note_wait(m, status);
	if (!status)
		store_result(c, m, res);
	return true;
}

static void my_close(struct db_conn *c)
{
	struct my *m = c->be;
	if (!m)
		return;
	if (m->mysql)
		mysql_close(m->mysql);
	free(m->sql);
	free(m);
	c->be = NULL;
}

const struct db_ops db_mysql_ops = {
	.start = my_start,
	.socket = mydb_socket,
	.step = my_step,
	.query = my_query,
	.close = my_close,
};
