/* test-dburl-mysql.c: dburl_to_mysql against Barbican's own stack. Every
 * expected value comes from tests/oracle/mysql_url.py, run once with
 * /usr/bin/python3 (BS_PYTHON) over hand-written URLs (every option and
 * scheme) and a few thousand made at random (fixed seed): SQLAlchemy's
 * dialect create_connect_args plus oslo.db's connect_args, then PyMySQL's
 * Connection for +pymysql. Compared field by field; the places where we
 * refuse on purpose are marked "deliberate". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dburl.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "oracle-util.h"

struct rec {
	char *url, *kind, *dialect;
	bool kwargs_error, pymysql_seen, pymysql_error;
	char *error;
	struct strbuf kw;       /* "key=value\n" for each kwarg, hex decoded */
	struct strbuf pm;       /* "field=value\n" of PyMySQL */
};

static struct rec *recs;
static size_t nrecs, ncompared, nhand;

static char *dec(const char *tok)
{
	if (strcmp(tok, "~") == 0)
		return xstrdup("\x01");  /* None */
	return oracle_unhex(tok, strlen(tok), NULL);
}

/* the value of FIELD in a "k=v\n" list; NULL when absent, "~" for None */
static char *get(const struct strbuf *sb, const char *field)
{
	const char *p = sb->len ? sb_str(sb) : "";
	size_t fl = strlen(field);
	while (*p) {
		const char *nl = strchr(p, '\n');
		if (strncmp(p, field, fl) == 0 && p[fl] == '=')
			return xstrndup(p + fl + 1, (size_t)(nl - p - (long)fl - 1));
		p = nl + 1;
	}
	return NULL;
}

static void parse(char *text)
{
	size_t cap = 0;
	struct rec *r = NULL;
	while (*text) {
		char *line = oracle_answer(&text);
		char *a[4] = { 0 };
		int n = 0;
		for (char *t = strtok(line, " "); t && n < 4; t = strtok(NULL, " "))
			a[n++] = t;
		if (strcmp(a[0], "url") == 0) {
			xgrow(&recs, &cap, nrecs + 1, sizeof(*recs));
			r = &recs[nrecs++];
			memset(r, 0, sizeof(*r));
			r->url = dec(a[1]);
		} else if (strcmp(a[0], "kind") == 0) {
			r->kind = xstrdup(a[1]);
		} else if (strcmp(a[0], "dialect") == 0) {
			r->dialect = xstrdup(a[1]);
		} else if (strcmp(a[0], "kwargs") == 0) {
			r->kwargs_error = true;
			r->error = dec(a[2]);
		} else if (strcmp(a[0], "kwarg") == 0) {
			char *k = dec(a[1]), *v = dec(a[3]);
			sb_addf(&r->kw, "%s=%s\n", k, v);
			free(k);
			free(v);
		} else if (strcmp(a[0], "pymysql") == 0) {
			r->pymysql_seen = true;
			if (strcmp(a[1], "error") == 0) {
				r->pymysql_error = true;
				r->error = dec(a[2]);
			} else if (a[2][0] == 'x' && strcmp(a[1], "password") != 0) {
				char *v = dec(a[2]);
				sb_addf(&r->pm, "%s=%s\n", a[1], v);
				free(v);
			} else {
				sb_addf(&r->pm, "%s=%s\n", a[1], strcmp(a[2], "~") ? a[2] : "\x01");
			}
		}
	}
}

/* ------------------------------------------------------------------------ */

static const char *const hand[] = {
	"mysql+pymysql://barbican:secretpw@db.example.com/barbican",
	"mysql+pymysql://barbican:p%40ss%3Aw%2Fd@db/barbican",
	"mysql+pymysql://barbican:p@ss@db/barbican",
	"mysql+pymysql://barbican:p:ss@db:3307/barbican",
	"mysql+pymysql://barbican:p%C3%A4ss@db/barbican",       /* Latin-1: one byte */
	"mysql+pymysql://barbican:p%E2%82%ACss@db/barbican",    /* no Latin-1 */
	"mysql+pymysql://barbican:%F0%9F%98%80secret@db/barbican",
	"mysql+pymysql://barbican:secretpw@[::1]/barbican",
	"mysql+pymysql://barbican:secretpw@[fd00::5]:3307/barbican",
	"mysql+pymysql://barbican:secretpw@db/", "mysql+pymysql://barbican:secretpw@db",
	"mysql+pymysql://barbican:secretpw@/barbican?unix_socket=/run/mysqld/mysqld.sock",
	"mysql+pymysql://barbican:secretpw@localhost/barbican",
	"mysql+pymysql://barbican:secretpw@localhost/barbican?unix_socket=%2Frun%2Fmysqld%2Fmysqld.sock",
	"mysql+pymysql://barbican@/barbican?unix_socket=/s", "mysql+pymysql:///",
	"mysql+pymysql://u:secretpw@h/b?charset=utf8mb4", "mysql+pymysql://u:secretpw@h/b?charset=latin1",
	"mariadb+pymysql://u:secretpw@h/b", "mariadb+pymysql://u:secretpw@h/b?charset=utf8",
	"mysql+pymysql://u:secretpw@h/b?charset=nosuch",
	"mysql+pymysql://u:secretpw@h/b?ssl_ca=/etc/ssl/ca.pem",
	"mysql+pymysql://u:secretpw@h/b?ssl_ca=/ca&ssl_cert=/c&ssl_key=/k&ssl_cipher=AES256-SHA",
	"mysql+pymysql://u:secretpw@h/b?ssl_key=/k", "mysql+pymysql://u:secretpw@h/b?ssl_capath=/etc/ssl/certs",
	"mysql+pymysql://u:secretpw@h/b?ssl_ca=/ca&ssl_check_hostname=false",
	"mysql+pymysql://u:secretpw@h/b?ssl_ca=/ca&ssl_check_hostname=yes",
	"mysql+pymysql://u:secretpw@h/b?ssl_ca=/ca&ssl_check_hostname=maybe",
	"mysql+pymysql://u:secretpw@h/b?ssl_check_hostname=true",
	"mysql+pymysql://u:secretpw@h/b?ssl_ca=/ca&ssl_verify_cert=true",
	"mysql+pymysql://u:secretpw@h/b?ssl_verify_cert=false", "mysql+pymysql://u:secretpw@h/b?ssl_verify_cert=optional",
	"mysql+pymysql://u:secretpw@h/b?ssl_verify_cert=bogus", "mysql+pymysql://u:secretpw@h/b?ssl_verify_identity=1",
	"mysql+pymysql://u:secretpw@h/b?ssl_ca=/ca&ssl_disabled=1",
	"mysql+pymysql://u:secretpw@h/b?ssl=true", "mysql+pymysql://u:secretpw@h/b?ssl=true&ssl_ca=/ca",
	"mysql+pymysql://u:secretpw@h/b?connect_timeout=5", "mysql+pymysql://u:secretpw@h/b?connect_timeout=abc",
	"mysql+pymysql://u:secretpw@h/b?connect_timeout=0", "mysql+pymysql://u:secretpw@h/b?connect_timeout=31536001",
	"mysql+pymysql://u:secretpw@h/b?connect_timeout=+1_0", "mysql+pymysql://u:secretpw@h/b?connect_timeout=-3",
	"mysql+pymysql://u:secretpw@h/b?read_timeout=30&write_timeout=40",
	"mysql+pymysql://u:secretpw@h/b?read_timeout=0", "mysql+pymysql://u:secretpw@h/b?write_timeout=x",
	"mysql+pymysql://u:secretpw@h/b?read_default_file=/etc/mysql/my.cnf",
	"mysql+pymysql://u:secretpw@h/b?read_default_group=barbican",
	"mysql+pymysql://u:secretpw@h/b?read_default_file=~/.my.cnf&read_default_group=g",
	"mysql+pymysql://u:secretpw@h/b?client_flag=1024", "mysql+pymysql://u:secretpw@h/b?client_flag=z",
	"mysql+pymysql://u:secretpw@h/b?local_infile=1", "mysql+pymysql://u:secretpw@h/b?local_infile=0",
	"mysql+pymysql://u:secretpw@h/b?local_infile=true",
	"mysql+pymysql://u:secretpw@h/b?compress=true", "mysql+pymysql://u:secretpw@h/b?compress=false",
	"mysql+pymysql://u:secretpw@h/b?compress=maybe", "mysql+pymysql://u:secretpw@h/b?named_pipe=1",
	"mysql+pymysql://u:secretpw@h/b?init_command=SET+x%3D1&sql_mode=TRADITIONAL&autocommit=1",
	"mysql+pymysql://u:secretpw@h/b?use_unicode=0", "mysql+pymysql://u:secretpw@h/b?use_unicode=2",
	"mysql+pymysql://u:secretpw@h/b?bogus=1", "mysql+pymysql://u:secretpw@h/b?port=3307",
	"mysql+pymysql://u:secretpw@h:0/b", "mysql+pymysql://u:secretpw@h:99999/b",
	"mysql+pymysql://u:secretpw@h/b?host=other&user=v&password=q&database=d",
	"mysql+pymysql://u@h/b?passwd=secretpw&db=d", "mysql+pymysql://u:secretpw@h?db=d",
	"mysql+pymysql://u:secretpw@h/b?charset=utf8&charset=latin1",
	"mysql+pymysql://u:secretpw@h/b?ssl_ca=/a&ssl_ca=/b",
	"mysql+pymysql://u:secretpw@h/b?connect_timeout=1&connect_timeout=2",
	"mysql://u:secretpw@h/b", "mysql://u:secretpw@h/b?charset=latin1&use_unicode=0",
	"mysql+mysqldb://u:secretpw@h:3307/b?unix_socket=/s&connect_timeout=3&ssl_ca=/ca",
	"mysql://u:secretpw@h/b?connect_timeout=abc", "mysql://u:secretpw@h/b?init_command=x",
	"mariadb://u:secretpw@h/b", "mariadb+mysqldb://u:secretpw@h/b?ssl_check_hostname=no",
	"mysql+mysqlconnector://u:secretpw@h/b", "mariadb+mariadbconnector://u:secretpw@h/b",
	"mysql+cymysql://u:secretpw@h/b", "mysql+nosuch://u:secretpw@h/b",
	"postgresql://u:secretpw@h/b", "mysql+pymysql://u:secretpw@h/b?ssl_cipher=%00",
};

static const char *const frags[] = {
	"a", "h", "db", "u", "secretpw", "localhost", "127.0.0.1", "::1", "@", ":", "/", "%40",
	"%2F", "%C3%A4", "%E2%82%AC", "0", "1", "3306", "true", "false", "no", " yes ", "abc",
	"-1", "1_0", "utf8", "latin1", "/s", "/ca", "optional", "~", "+", "%", "\xc3\xa9",
};
static const char *const keys[] = {
	"charset", "unix_socket", "ssl_ca", "ssl_cert", "ssl_key", "ssl_capath", "ssl_cipher",
	"ssl_verify_cert", "ssl_check_hostname", "ssl_verify_identity", "ssl_disabled", "ssl",
	"connect_timeout", "read_timeout", "write_timeout", "read_default_file",
	"read_default_group", "client_flag", "local_infile", "compress", "use_unicode",
	"init_command", "sql_mode", "autocommit", "host", "user", "password", "database", "db",
	"passwd", "port", "named_pipe", "bogus",
};
static const char *const rschemes[] = {
	"mysql+pymysql", "mysql+pymysql", "mysql+pymysql", "mariadb+pymysql", "mysql",
	"mariadb", "mysql+mysqldb", "mysql+mysqlconnector",
};

static uint64_t rng = 0x6d7973716cULL;

static const char *pick(const char *const *v, size_t n)
{
	return v[oracle_rand(&rng) % n];
}
#define PICK(a) pick(a, ARRAY_SIZE(a))

static char *random_url(void)
{
	struct strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "%s://", PICK(rschemes));
	if (oracle_rand(&rng) % 4) {
		sb_addstr(&sb, PICK(frags));
		if (oracle_rand(&rng) % 3)
			sb_addf(&sb, ":%s%s", PICK(frags), PICK(frags));
		sb_addch(&sb, '@');
	}
	if (oracle_rand(&rng) % 5 == 0)
		sb_addf(&sb, "[%s]", PICK(frags));
	else if (oracle_rand(&rng) % 4)
		sb_addstr(&sb, PICK(frags));
	if (oracle_rand(&rng) % 4 == 0)
		sb_addf(&sb, ":%s", PICK(frags));
	if (oracle_rand(&rng) % 2)
		sb_addf(&sb, "/%s", PICK(frags));
	int n = (int)(oracle_rand(&rng) % 4);
	for (int i = 0; i < n; i++)
		sb_addf(&sb, "%c%s=%s", i ? '&' : '?', PICK(keys), PICK(frags));
	return sb_detach(&sb);
}

#define NRANDOM 4000

static void add_json(struct strbuf *sb, const char *s)
{
	sb_addch(sb, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			sb_addf(sb, "\\%c", *p);
		else if (*p < 0x20)
			sb_addf(sb, "\\u%04x", *p);
		else
			sb_addch(sb, (char)*p);
	}
	sb_addch(sb, '"');
}

static int setup(void **state)
{
	(void)state;
	struct strbuf js = STRBUF_INIT;
	sb_addch(&js, '[');
	for (size_t i = 0; i < ARRAY_SIZE(hand) + NRANDOM; i++) {
		char *u = i < ARRAY_SIZE(hand) ? xstrdup(hand[i]) : random_url();
		if (i)
			sb_addstr(&js, ",\n");
		add_json(&js, u);
		free(u);
	}
	sb_addstr(&js, "]\n");
	char *out = oracle_run("mysql_url.py", &js, NULL);
	sb_free(&js);
	parse(out);
	free(out);
	nhand = ARRAY_SIZE(hand);
	assert_int_equal(nrecs, ARRAY_SIZE(hand) + NRANDOM);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < nrecs; i++) {
		free(recs[i].url);
		free(recs[i].kind);
		free(recs[i].dialect);
		free(recs[i].error);
		sb_free(&recs[i].kw);
		sb_free(&recs[i].pm);
	}
	free(recs);
	return 0;
}

/* ------------------------------------------------------------------------ */

static size_t nbad;

static void bad(const struct rec *r, const char *fmt, ...) BS_PRINTF(2, 3);
static void bad(const struct rec *r, const char *fmt, ...)
{
	if (nbad++ < 25) {
		va_list ap;
		va_start(ap, fmt);
		char *s = xvasprintf(fmt, ap);
		va_end(ap);
		print_error("URL %s: %s\n", r->url, s);
		free(s);
	}
}

static void same(const struct rec *r, const char *what, const char *c, const char *py)
{
	/* py: NULL absent, "~" None */
	if (py && strcmp(py, "\x01") == 0)
		py = NULL;
	if ((c == NULL) != (py == NULL) || (c && strcmp(c, py) != 0))
		bad(r, "%s: C '%s', Python '%s'", what, c ? c : "(null)", py ? py : "(null)");
}

static void same_num(const struct rec *r, const char *what, long c, const char *py)
{
	long want = !py || strcmp(py, "\x01") == 0 ? 0 : strtol(py, NULL, 10);
	if (c != want)
		bad(r, "%s: C %ld, Python %s", what, c, py ? py : "(absent)");
}

static bool deliberate_refusal(const struct dburl *u)
{
	for (size_t i = 0; i < u->nquery; i++)
		if (u->query[i].nvalues > 1)
			return true; /* a repeated key: a tuple for Python */
	/* a port in the query: both drivers raise, MySQLdb on connecting;
	 * a negative timeout for MySQLdb (unsigned in Connector/C) */
	for (size_t i = 0; i < u->nquery; i++)
		if (strcmp(u->query[i].key, "port") == 0 ||
		    ((strstr(u->query[i].key, "_timeout") || strcmp(u->query[i].key, "client_flag") == 0) &&
		     strchr(u->query[i].values[0], '-')))
			return true;
	return u->port_num > 65535 || (u->port && *u->port && u->port_num < 0);
}

#define F(name) char *name = get(&r->pm, #name)

static void compare_pymysql(const struct rec *r, const struct dburl_mysql *m)
{
	F(host); F(port); F(user); F(db); F(unix_socket); F(charset); F(connect_timeout);
	F(read_timeout); F(write_timeout); F(client_flag); F(local_infile); F(ssl); F(ssl_ca);
	F(ssl_capath); F(ssl_cert); F(ssl_key); F(ssl_cipher); F(ssl_verify_mode);
	F(ssl_check_hostname); F(read_default_file); F(read_default_group); F(password);
	same(r, "host", m->host, host);
	same_num(r, "port", m->port, port);
	same(r, "user", m->user, user);
	same(r, "database", m->database, db);
	same(r, "unix_socket", m->unix_socket, unix_socket);
	if (m->tcp != (unix_socket && strcmp(unix_socket, "\x01") == 0))
		bad(r, "tcp %d but PyMySQL's unix_socket is %s", m->tcp, unix_socket);
	same(r, "charset", m->charset, charset);
	same_num(r, "connect_timeout", m->connect_timeout, connect_timeout);
	same_num(r, "read_timeout", m->read_timeout, read_timeout);
	same_num(r, "write_timeout", m->write_timeout, write_timeout);
	same_num(r, "local_infile", m->local_infile, local_infile);
	same_num(r, "ssl", m->ssl, ssl);
	/* PyMySQL adds its capabilities, CONNECT_WITH_DB and SSL itself */
	unsigned long flag = m->client_flag | 0x3aa205 /* CLIENT.CAPABILITIES */ |
			     (m->database ? 8 : 0) | (m->ssl ? 0x800 : 0);
	same_num(r, "client_flag", (long)flag, client_flag);
	if (m->ssl) {
		same(r, "ssl_ca", m->ssl_ca, ssl_ca);
		same(r, "ssl_capath", m->ssl_capath, ssl_capath);
		same(r, "ssl_cert", m->ssl_cert, ssl_cert);
		same(r, "ssl_key", m->ssl_key, ssl_key);
		same(r, "ssl_cipher", m->ssl_cipher, ssl_cipher);
		same_num(r, "ssl_verify_cert", m->ssl_verify_cert,
			 strcmp(ssl_verify_mode, "0") == 0 ? "0" : "1");
		same_num(r, "ssl_check_hostname", m->ssl_check_hostname, ssl_check_hostname);
	} else if (m->ssl_verify_cert != -1 || m->ssl_check_hostname != -1 || m->ssl_ca) {
		bad(r, "ssl fields set without ssl");
	}
	same(r, "read_default_file", m->read_default_file, read_default_file);
	same(r, "read_default_group", m->read_default_group, read_default_group);
	/* the bytes PyMySQL sends */
	struct strbuf hx = STRBUF_INIT;
	const char *pwc = m->password ? m->password : "";
	oracle_add_hex(&hx, pwc, strlen(pwc));
	same(r, "password bytes", sb_str(&hx), password);
	sb_free(&hx);
	char *all[] = { host, port, user, db, unix_socket, charset, connect_timeout, read_timeout,
			write_timeout, client_flag, local_infile, ssl, ssl_ca, ssl_capath, ssl_cert,
			ssl_key, ssl_cipher, ssl_verify_mode, ssl_check_hostname, read_default_file,
			read_default_group, password };
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		free(all[i]);
}

/* MySQLdb is not installed: the struct against the dialect's kwargs */
static void compare_mysqldb(const struct rec *r, const struct dburl_mysql *m)
{
	const struct strbuf *kw = &r->kw;
	char *v;
#define KW(key, field) do { v = get(kw, key); same(r, key, m->field, v); free(v); } while (0)
#define KWN(key, field, dflt) do { v = get(kw, key); \
	same_num(r, key, (long)m->field, v ? v : dflt); free(v); } while (0)
	v = get(kw, "host");
	same(r, "host", m->host, v ? v : "localhost");
	free(v);
	KW("user", user); KW("passwd", password); KW("db", database);
	KW("unix_socket", unix_socket); KW("charset", charset);
	KW("read_default_file", read_default_file); KW("read_default_group", read_default_group);
	KW("ssl.ca", ssl_ca); KW("ssl.cert", ssl_cert); KW("ssl.key", ssl_key);
	KW("ssl.capath", ssl_capath); KW("ssl.cipher", ssl_cipher);
	KWN("port", port, "3306"); KWN("connect_timeout", connect_timeout, "0");
	KWN("read_timeout", read_timeout, "0"); KWN("write_timeout", write_timeout, "0");
	KWN("client_flag", client_flag, "0"); KWN("ssl.check_hostname", ssl_check_hostname, "-1");
	if (m->tcp)
		bad(r, "MySQLdb: tcp set");
}

static void compare_all(void **state)
{
	(void)state;
	size_t compared = 0, refused = 0, pymysql = 0;
	for (size_t i = 0; i < nrecs; i++) {
		const struct rec *r = &recs[i];
		struct dburl u;
		struct bs_err err = { 0 };
		if (strcmp(r->kind, "ok") != 0 || dburl_parse(r->url, &u, &err) != BS_ST_OK)
			continue; /* dburl_parse against make_url: test-dburl */
		bool is_my = r->dialect && (strstr(r->dialect, "MySQL") || strstr(r->dialect, "MariaDB"));
		if (strcmp(r->dialect, "~") != 0 && dburl_is_mysql(&u) != is_my)
			bad(r, "dburl_is_mysql %d, dialect %s", dburl_is_mysql(&u), r->dialect);
		struct dburl_mysql m;
		enum bs_status st = dburl_to_mysql(&u, &m, &err);
		bool accepted_driver = r->dialect && (strstr(r->dialect, "_pymysql") ||
			strstr(r->dialect, "_mysqldb") || strcmp(r->dialect, "MariaDBDialect_base") == 0);
		bool py_ok = accepted_driver && !r->kwargs_error && !r->pymysql_error;
		/* deliberate: PyMySQL refuses a charset it has no table for on
		 * construction; Connector/C does the same on connecting */
		bool charset_left = r->pymysql_error && strstr(r->error, "'encoding'");
		if (st != BS_ST_OK) {
			refused++;
			assert_int_equal(st, BS_ST_DBURL);
			if (u.password && strlen(u.password) >= 3 && strstr(err.detail, u.password))
				bad(r, "error shows the password: %s", err.detail);
			if (py_ok && !deliberate_refusal(&u))
				bad(r, "C refuses (%s), Python accepts", err.detail);
		} else if (!py_ok && !charset_left) {
			bad(r, "C accepts, Python: %s", r->error ? r->error : r->dialect);
		} else if (r->pymysql_seen && !charset_left) {
			compare_pymysql(r, &m);
			pymysql++;
		} else if (!charset_left) {
			compare_mysqldb(r, &m);
		}
		/* (a password that is also elsewhere in the URL shows anyway) */
		char *masked = dburl_masked(r->url);
		const char *once = u.password && strlen(u.password) >= 3 ? strstr(r->url, u.password) : NULL;
		if (once && !strstr(once + 1, u.password) && strstr(masked, u.password))
			bad(r, "masked shows the password: %s", masked);
		free(masked);
		dburl_mysql_free(&m);
		dburl_free(&u);
		compared++;
	}
	print_message("mysql: %zu URLs (%zu hand-written, %d random), %zu compared, "
		      "%zu through PyMySQL, %zu refused\n", nrecs, nhand, NRANDOM, compared,
		      pymysql, refused);
	ncompared = compared;
	if (nbad)
		fail_msg("%zu differences from the reference", nbad);
	assert_true(pymysql > 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(compare_all),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
