#include "db.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/dburl.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "db/record-sql.h"
#include "probes/lockobs.h"

/* What one probe asks, in order; a phase that does not apply is skipped. */
enum dbphase {
	DBP_CONNECT,     /* the deployment's database */
	DBP_REVISION,    /* alembic_version */
	DBP_CLUSTER,     /* MySQL: Galera's wsrep status */
	DBP_REC_CONNECT, /* [record] connection, when it is another database */
	DBP_ADVISORY_ANY, /* PostgreSQL: does anyone hold the advisory lock? */
	DBP_ADVISORY,    /* PostgreSQL: who holds it (when someone does) */
	DBP_LOCKROW,     /* the shared record's lock row */
	DBP_RECORD,      /* the shared record */
	DBP_DONE,
};

struct dbprobe {
	struct db_target *target, *rec_target;
	struct db_conn *conn, *rec_conn;  /* rec_conn may be conn */
	enum dbphase phase;
	bool sent;                        /* the phase's statement is out */
	bool record_file;
	int except_pid;
	char *except_token;
	double timeout_s;
	struct timespec started;
	char *url;                        /* conn's, for dbprobe_free_keep */
	bool reused;                      /* conn was kept from the last probe */

	/* results */
	struct db_obs d;                  /* only the probe's fields */
	bool versioned;
	bool failed;
	char *error;
	char **heads;
	size_t nheads;
	struct lock_obs lock;
	struct lock_row row;
	bool advisory_any;                /* DBP_ADVISORY_ANY found a holder */
	bool advisory_held;
	struct record_obs rec;
};

void db_describe(const struct settings *st, const char *target, struct db_obs *d)
{
	db_obs_clear(d);
	const char *name;
	const struct db_option *opt = settings_db_option(st, target, &name);
	d->configured = opt->value && *opt->value;
	if (opt->is_default)
		d->option = xasprintf("%s (not set: Barbican's default)", name);
	else if (!opt->value)
		d->option = xasprintf("%s (not set)", name);
	else if (opt->deprecated)
		d->option = xasprintf("%s, as %s", name, opt->where);
	else
		d->option = xstrdup(opt->where);
	if (!d->configured)
		return;
	d->url_masked = dburl_masked(opt->value);

	/* both spellings set, to different URLs: say which one counts */
	const struct db_option *a = &st->sql_connection, *b = &st->db_connection;
	if (a->value && !a->is_default && b->value && !b->deprecated &&
	    strcmp(a->value, b->value) != 0)
		d->conflict = xasprintf("[DEFAULT] sql_connection and [database] connection are both "
					"set and differ; %s reads %s",
					target ? target : "the target release", name);

	struct dburl u;
	struct bs_err err = { 0 };
	if (dburl_parse(opt->value, &u, &err) != BS_ST_OK) {
		d->parse_error = xstrdup(err.detail);
		return;
	}
	d->scheme = xstrdup(u.drivername);
	d->supported = dburl_is_postgresql(&u) || dburl_is_mysql(&u);
	if (d->supported)
		d->backend = xstrdup(db_backend_name(dburl_is_mysql(&u) ? DB_MYSQL : DB_POSTGRESQL));
	dburl_free(&u);
	/* a URL that parses but that the driver would refuse */
	struct db_target *t = NULL;
	if (d->supported && db_target_new(opt->value, &t, &err) != BS_ST_OK) {
		d->parse_error = xstrdup(err.detail);
		d->supported = false;
	}
	db_target_free(t);
}

const char *dbprobe_record_url(const struct settings *st, const char *target)
{
	if (st->record_connection)
		return st->record_connection;
	const char *name;
	return settings_db_option(st, target, &name)->value;
}

void dbprobe_keep_clear(struct dbprobe_keep *keep)
{
	if (!keep)
		return;
	if (keep->conn)
		db_close(keep->conn);
	free(keep->url);
	keep->conn = NULL;
	keep->url = NULL;
}

struct dbprobe *dbprobe_start(const struct settings *st, const char *target, double timeout_s,
			       int except_pid, const char *except_token)
{
	return dbprobe_start_kept(st, target, timeout_s, except_pid, except_token, NULL);
}

struct dbprobe *dbprobe_start_kept(const struct settings *st, const char *target,
				    double timeout_s, int except_pid, const char *except_token,
				    struct dbprobe_keep *keep)
{
	const char *name;
	const struct db_option *opt = settings_db_option(st, target, &name);
	struct db_conn *kept = NULL;
	if (keep && keep->conn && opt->value && keep->url && strcmp(keep->url, opt->value) == 0) {
		kept = keep->conn;
		keep->conn = NULL;
	}
	dbprobe_keep_clear(keep);
	struct db_target *t = NULL;
	if (!opt->value || !*opt->value || db_target_new(opt->value, &t, NULL) != BS_ST_OK) {
		if (kept)
			db_close(kept);
		return NULL;
	}
	struct dbprobe *p = xcalloc(1, sizeof(*p));
	p->target = t;
	p->except_pid = except_pid;
	p->except_token = xstrdup_or_null(except_token);
	p->timeout_s = timeout_s;
	p->record_file = st->record_file;
	if (!st->record_file && st->record_connection &&
	    strcmp(st->record_connection, opt->value) != 0) {
		if (db_target_new(st->record_connection, &p->rec_target, NULL) != BS_ST_OK) {
			p->rec.probed = true;
			p->rec.error = xstrdup("[record] connection is not a database URL that "
					       "barbican-status reads");
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &p->started);
	p->url = xstrdup(opt->value);
	if (kept) {
		p->conn = kept;
		p->reused = true;
		db_set_deadline(p->conn, timeout_s);
	} else {
		p->conn = db_connect_start(t, "barbican-status", timeout_s);
	}
	p->phase = DBP_CONNECT;
	return p;
}

static struct db_conn *current(const struct dbprobe *p)
{
	return p->phase >= DBP_REC_CONNECT && p->rec_conn ? p->rec_conn : p->conn;
}

int dbprobe_socket(const struct dbprobe *p, bool *want_write)
{
	*want_write = false;
	if (!p || p->phase == DBP_DONE)
		return -1;
	return db_socket(current(p), want_write);
}

long dbprobe_timeout_ms(const struct dbprobe *p)
{
	return p->phase == DBP_DONE ? 0 : db_timeout_ms(current(p));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum db_backend backend_of(const struct dbprobe *p)
{
	return db_target_backend(p->rec_conn && p->rec_target ? p->rec_target : p->target);
}

/* The statement of a phase; NULL: skip the phase. */
static const char *phase_sql(struct dbprobe *p, size_t *n, const char **params, char *pidbuf)
{
	*n = 0;
	enum db_backend b = db_target_backend(p->target);
	switch (p->phase) {
	case DBP_REVISION:
		return "SELECT version_num FROM alembic_version";
	case DBP_CLUSTER:
		return b == DB_MYSQL ? "SHOW GLOBAL STATUS LIKE 'wsrep%'" : NULL;
	case DBP_ADVISORY_ANY:
	case DBP_ADVISORY:
		if (backend_of(p) != DB_POSTGRESQL || (p->phase == DBP_ADVISORY && !p->advisory_any))
			return NULL;
		snprintf(pidbuf, 16, "%d", p->except_pid);
		params[0] = pidbuf;
		*n = 1;
		return p->phase == DBP_ADVISORY ? lockobs_advisory_sql() : lockobs_advisory_any_sql();
	case DBP_LOCKROW:
		return p->record_file ? NULL : lock_sql_select(backend_of(p), false);
	case DBP_RECORD:
		return p->record_file || p->rec.probed ? NULL : rec_sql_select(backend_of(p));
	default:
		return NULL;
	}
}

static void take_result(struct dbprobe *p, struct db_conn *c)
{
	enum db_errkind k = db_errkind(c);
	switch (p->phase) {
	case DBP_REVISION:
		if (k == DBE_NO_TABLE) {
			p->versioned = false;
		} else if (k != DBE_NONE) {
			p->failed = true;
			p->error = xasprintf(k == DBE_DENIED ? "no permission to read alembic_version: %s"
							     : "reading alembic_version: %s",
					     db_error(c));
		} else {
			p->versioned = true;
			p->nheads = db_nrows(c);
			p->heads = xcalloc(p->nheads ? p->nheads : 1, sizeof(*p->heads));
			for (size_t i = 0; i < p->nheads; i++)
				p->heads[i] = xstrdup(db_value(c, i, 0) ? db_value(c, i, 0) : "");
			qsort(p->heads, p->nheads, sizeof(*p->heads), cmp_str);
		}
		break;
	case DBP_CLUSTER:
		if (k == DBE_NONE) {
			p->d.cluster_probed = true;
			for (size_t i = 0; i < db_nrows(c); i++) {
				const char *name = db_value(c, i, 0), *v = db_value(c, i, 1);
				if (!name || !v)
					continue;
				if (strcmp(name, "wsrep_cluster_size") == 0)
					p->d.cluster_size = strtol(v, NULL, 10);
				else if (strcmp(name, "wsrep_local_state_comment") == 0)
					p->d.cluster_state = xstrdup(v);
				else if (strcmp(name, "wsrep_cluster_status") == 0)
					p->d.cluster_component = xstrdup(v);
				else if (strcmp(name, "wsrep_provider_name") == 0 && *v)
					p->d.cluster = true;
			}
			if (p->d.cluster_size > 0)
				p->d.cluster = true;
		}
		break;
	case DBP_ADVISORY_ANY:
		if (k == DBE_NONE) {
			/* nobody: the lock is observed; somebody: who, next */
			p->advisory_any = db_nrows(c) > 0;
			p->lock.probed = !p->advisory_any;
		}
		break;
	case DBP_ADVISORY:
		if (k == DBE_NONE) {
			p->lock.probed = true;
			p->advisory_held = lockobs_advisory_from(c, &p->lock);
		}
		break;
	case DBP_LOCKROW:
		if (k == DBE_NONE || k == DBE_NO_TABLE) {
			p->lock.probed = true;
			if (k == DBE_NONE)
				lockrow_from(c, &p->row);
		}
		break;
	case DBP_RECORD:
		p->rec.probed = true;
		if (k == DBE_NO_TABLE) {
			p->rec.tables = false;
		} else if (k != DBE_NONE) {
			p->rec.error = xasprintf("reading the shared record: %s", db_error(c));
		} else {
			p->rec.tables = true;
			size_t n = db_nrows(c), m = 0;
			p->rec.recs = xcalloc(n ? n : 1, sizeof(*p->rec.recs));
			for (size_t i = 0; i < n; i++)
				if (rec_from_row(c, i, &p->rec.recs[m]))
					m++;
			p->rec.nrecs = m;
		}
		break;
	default:
		break;
	}
}

/* Advance the phases as far as possible without waiting. */
static void advance(struct dbprobe *p)
{
	while (p->phase != DBP_DONE) {
		struct db_conn *c = current(p);
		enum db_state s = db_step(c);
		if (s == DBS_BUSY)
			return;
		if (s == DBS_BROKEN && c == p->conn && p->reused && p->phase <= DBP_REVISION &&
		    db_errkind(c) != DBE_TIMEOUT) {
			/* the kept connection is gone (a restart, an idle
			 * timeout, a terminated session): a new one, once; not
			 * after no answer (a dead server costs its timeout
			 * once) */
			db_close(p->conn);
			p->conn = db_connect_start(p->target, "barbican-status", p->timeout_s);
			p->reused = false;
			p->sent = false;
			p->phase = DBP_CONNECT;
			continue;
		}
		if (s == DBS_BROKEN) {
			if (c == p->conn) {
				p->failed = true;
				free(p->error);
				p->error = xstrdup(db_error(c));
			} else if (!p->rec.probed) {
				p->rec.probed = true;
				p->rec.error = xasprintf("the shared record's database: %s",
							 db_error(c));
			}
			p->phase = DBP_DONE;
			return;
		}
		if (p->sent) {
			take_result(p, c);
			p->sent = false;
			if (p->failed) {
				p->phase = DBP_DONE;
				return;
			}
			p->phase++;
		} else if (p->phase == DBP_CONNECT) {
			p->phase++;
		} else if (p->phase == DBP_REC_CONNECT) {
			if (p->rec_target && !p->rec_conn) {
				/* within what is left of the probe's one deadline */
				long left = db_timeout_ms(p->conn);
				p->rec_conn = db_connect_start(p->rec_target, "barbican-status",
							       p->timeout_s);
				db_set_deadline(p->rec_conn, left / 1000.0);
			} else
				p->phase++;
			continue;
		}
		if (p->phase == DBP_DONE)
			return;
		if (p->phase == DBP_REC_CONNECT)
			continue;
		size_t n;
		const char *params[1];
		char pidbuf[16];
		const char *sql = phase_sql(p, &n, params, pidbuf);
		if (!sql) {
			p->phase++;
			continue;
		}
		c = current(p);
		db_query(c, sql, n, params);
		p->sent = true;
	}
}

bool dbprobe_step(struct dbprobe *p, struct db_obs *d, struct lock_obs *lock,
		  struct record_obs *rec)
{
	advance(p);
	if (p->phase != DBP_DONE)
		return false;

	lockobs_finish(&p->lock, &p->row, db_target_backend(p->rec_target ? p->rec_target
									    : p->target),
		       p->advisory_held, p->except_token);
	if (lock) {
		lock_obs_clear(lock);
		*lock = p->lock;
		memset(&p->lock, 0, sizeof(p->lock));
	}
	if (rec) {
		record_obs_clear(rec);
		*rec = p->rec;
		rec->file_only = p->record_file;
		if (p->failed && !p->rec_target && !rec->probed && !p->record_file) {
			rec->probed = true;
			rec->error = xasprintf("the database cannot be read: %s",
					       p->error ? p->error : "?");
		}
		memset(&p->rec, 0, sizeof(p->rec));
	}
	d->probed = true;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	d->latency_ms = (double)(now.tv_sec - p->started.tv_sec) * 1000.0 +
			(double)(now.tv_nsec - p->started.tv_nsec) / 1e6;
	free(d->error);
	d->error = NULL;
	for (size_t i = 0; i < d->nheads; i++)
		free(d->heads[i]);
	free(d->heads);
	d->heads = NULL;
	d->nheads = 0;
	free(d->cluster_state);
	free(d->cluster_component);
	d->cluster_probed = p->d.cluster_probed;
	d->cluster = p->d.cluster;
	d->cluster_size = p->d.cluster_size;
	d->cluster_state = p->d.cluster_state;
	d->cluster_component = p->d.cluster_component;
	p->d.cluster_state = p->d.cluster_component = NULL;
	if (p->failed) {
		d->reachable = false;
		d->versioned = false;
		d->error = p->error;
		p->error = NULL;
	} else {
		d->reachable = true;
		d->versioned = p->versioned;
		d->heads = p->heads;
		d->nheads = p->nheads;
		p->heads = NULL;
		p->nheads = 0;
		d->seen_wall = time(NULL);
	}
	return true;
}

void dbprobe_free(struct dbprobe *p)
{
	dbprobe_free_keep(p, NULL);
}

void dbprobe_free_keep(struct dbprobe *p, struct dbprobe_keep *keep)
{
	if (!p)
		return;
	if (p->rec_conn && p->rec_conn != p->conn)
		db_close(p->rec_conn);
	if (keep && p->phase == DBP_DONE && !p->failed && p->conn && db_state(p->conn) == DBS_READY) {
		dbprobe_keep_clear(keep);
		keep->conn = p->conn;
		keep->url = p->url;
		p->url = NULL;
	} else {
		db_close(p->conn);
	}
	free(p->url);
	db_target_free(p->target);
	db_target_free(p->rec_target);
	free(p->except_token);
	free(p->error);
	free(p->d.cluster_state);
	free(p->d.cluster_component);
	for (size_t i = 0; i < p->nheads; i++)
		free(p->heads[i]);
	free(p->heads);
	lock_obs_clear(&p->lock);
	lockrow_clear(&p->row);
	record_obs_clear(&p->rec);
	free(p);
}

void dbprobe_run(const struct settings *st, const char *target, double timeout_s,
		 struct db_obs *d, struct lock_obs *lock, struct record_obs *rec)
{
	db_describe(st, target, d);
	struct dbprobe *p = dbprobe_start(st, target, timeout_s, 0, NULL);
	if (!p)
		return;
	while (!dbprobe_step(p, d, lock, rec)) {
		bool w;
		int fd = dbprobe_socket(p, &w);
		struct pollfd pfd = { fd, (short)(w ? POLLOUT : POLLIN), 0 };
		long left = dbprobe_timeout_ms(p);
		if (fd >= 0)
			poll(&pfd, 1, (int)(left < 100 ? left + 1 : 100));
	}
	dbprobe_free(p);
}
