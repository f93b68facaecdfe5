#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "db/db.h"
#include "db/record-sql.h"
#include "runner/journal.h"

#define USER_LOCK "'barbican-status-upgrade'"

struct dblock {
	/* set before the thread starts, read-only after */
	struct db_target *target;
	enum db_backend backend;
	bool record_file, take_over;
	double timeout_s, lease_s;
	char *appname;
	char *token;
	struct journal_record rec;    /* a copy of the step's record */
	int pipe[2];                  /* the keeper -> the caller: news */
	pthread_t thread;
	bool started;

	/* the keeper's own */
	struct db_conn *c;
	struct timespec last_renewed;

	/* shared, under mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	enum lock_outcome outcome;
	struct lock_obs holder;
	struct bs_err err;
	char *lost;
	char *takeover_note;
	int backend_pid;
	bool finish;                  /* the caller asks to end */
	const struct journal_record *end_rec;
	enum bs_status finish_st;
	struct bs_err finish_err;
};

static void notify(struct dblock *l)
{
	char b = 1;
	ssize_t r = write(l->pipe[1], &b, 1);
	(void)r;
}

static void set_outcome(struct dblock *l, enum lock_outcome o)
{
	pthread_mutex_lock(&l->mu);
	l->outcome = o;
	pthread_mutex_unlock(&l->mu);
	notify(l);
}

static enum lock_outcome fail(struct dblock *l, const char *what)
{
	bs_fail(&l->err, BS_ST_IO, "cannot take the upgrade lock: %s: %s", what,
		l->c ? db_error(l->c) : "?");
	return LOCK_ERROR;
}

static bool exec0(struct dblock *l, const char *sql)
{
	db_set_deadline(l->c, l->timeout_s);
	return db_exec(l->c, sql, 0, NULL);
}

static bool execp(struct dblock *l, const char *sql, size_t n, const char *const *p)
{
	db_set_deadline(l->c, l->timeout_s);
	return db_exec(l->c, sql, n, p);
}

static void rollback(struct dblock *l)
{
	if (db_state(l->c) == DBS_READY)
		exec0(l, "ROLLBACK");
}

/* Read the lock row (and on PostgreSQL the advisory holder) into holder. */
static void read_holder(struct dblock *l, bool advisory_held)
{
	struct lock_obs h = { 0 };
	struct lock_row row = { 0 };
	h.probed = true;
	if (l->backend == DB_POSTGRESQL) {
		const char *zero[] = { "0" };
		if (execp(l, lockobs_advisory_sql(), 1, zero))
			advisory_held = lockobs_advisory_from(l->c, &h) || advisory_held;
	}
	if (!l->record_file && exec0(l, lock_sql_select(l->backend, false)))
		lockrow_from(l->c, &row);
	lockobs_finish(&h, &row, l->backend, advisory_held, NULL);
	lockrow_clear(&row);
	pthread_mutex_lock(&l->mu);
	lock_obs_clear(&l->holder);
	l->holder = h;
	pthread_mutex_unlock(&l->mu);
}

/* The vanished holder's record ended as abandoned, and our own note. */
static bool abandon(struct dblock *l, const struct lock_row *row)
{
	struct lock_obs h = { 0 };
	lockobs_finish(&h, row, l->backend, false, NULL);
	char now[32];
	record_format_time(time(NULL), now);
	char *who = lockobs_describe(&h);
	l->takeover_note = xasprintf("took over from %s (record %s), whose holder vanished",
				     who, row->col[LK_RECORD] ? row->col[LK_RECORD] : "?");
	bool ok = true;
	if (row->col[LK_RECORD]) {
		char *detail = xasprintf("its holder vanished (%s%s); taken over by %s@%s at %s; "
					 "it may still have been running",
					 l->backend == DB_MYSQL ? "lease ran out at " : "session ended",
					 l->backend == DB_MYSQL && h.lease_until ? h.lease_until : "",
					 l->rec.user, l->rec.host, now);
		const char *p[REC_END_NPARAMS] = { now, NULL, NULL, "abandoned", detail,
						   row->col[LK_RECORD] };
		ok = execp(l, rec_sql_update_end(l->backend), REC_END_NPARAMS, p);
		free(detail);
	}
	const char *tok[] = { row->col[LK_TOKEN] };
	ok = ok && execp(l, lock_sql_delete(l->backend), 1, tok);
	free(who);
	lock_obs_clear(&h);
	return ok;
}

/* Our lock row and our running record. */
static bool insert_ours(struct dblock *l)
{
	char lease[32];
	snprintf(lease, sizeof(lease), "%lld", (long long)(l->lease_s * 1e6));
	const char *p[LOCK_INSERT_NPARAMS] = { l->token, l->rec.id, l->rec.step, l->rec.node,
					       l->rec.user, l->rec.host, lease };
	if (!execp(l, lock_sql_insert(l->backend),
		   l->backend == DB_MYSQL ? LOCK_INSERT_NPARAMS : LOCK_INSERT_NPARAMS - 1, p))
		return false;
	char *rp[REC_NPARAMS];
	struct journal_record r = l->rec;
	r.outcome = OUTCOME_RUNNING;
	r.detail = l->takeover_note;
	r.end = r.start;
	rec_params(&r, rp);
	bool ok = execp(l, rec_sql_insert(l->backend), REC_NPARAMS, (const char *const *)rp);
	rec_params_free(rp, REC_NPARAMS);
	return ok;
}

static enum lock_outcome take_pg(struct dblock *l)
{
	char key[32];
	snprintf(key, sizeof(key), "%lld", (long long)BS_LOCK_KEY);
	const char *kp[] = { key };
	for (int attempt = 0; attempt < 3; attempt++) {
		if (!execp(l, "SELECT pg_try_advisory_lock(?::bigint)", 1, kp))
			return fail(l, "pg_try_advisory_lock");
		if (db_value(l->c, 0, 0) && strcmp(db_value(l->c, 0, 0), "t") == 0)
			break;
		read_holder(l, false);
		if (l->holder.held)
			return LOCK_HELD;
		if (attempt == 2)
			return LOCK_HELD; /* it keeps changing hands: somebody has it */
	}
	if (l->record_file)
		return LOCK_TAKEN;
	if (!exec0(l, "BEGIN") || !exec0(l, lock_sql_select(DB_POSTGRESQL, true)))
		goto err;
	struct lock_row row = { 0 };
	lockrow_from(l->c, &row);
	if (row.present) {
		if (!l->take_over) {
			rollback(l);
			lockrow_clear(&row);
			read_holder(l, false);
			exec0(l, "SELECT pg_advisory_unlock_all()");
			return LOCK_VANISHED;
		}
		bool ok = abandon(l, &row);
		lockrow_clear(&row);
		if (!ok)
			goto err;
	}
	if (!insert_ours(l) || !exec0(l, "COMMIT"))
		goto err;
	return LOCK_TAKEN;
err:;
	enum lock_outcome o = fail(l, "writing the shared record");
	rollback(l);
	exec0(l, "SELECT pg_advisory_unlock_all()");
	return o;
}

static enum lock_outcome take_mysql(struct dblock *l)
{
	if (l->record_file) {
		if (!exec0(l, "SELECT GET_LOCK(" USER_LOCK ", 0)"))
			return fail(l, "GET_LOCK");
		const char *v = db_value(l->c, 0, 0);
		if (v && strcmp(v, "1") == 0)
			return LOCK_TAKEN;
		pthread_mutex_lock(&l->mu);
		lock_obs_clear(&l->holder);
		l->holder.probed = l->holder.held = true;
		l->holder.holder = xstrdup("another session (MySQL's user locks do not say whose)");
		pthread_mutex_unlock(&l->mu);
		return LOCK_HELD;
	}
	/* reads that see every write the cluster certified before them */
	exec0(l, "SET SESSION wsrep_sync_wait = 1");
	for (int attempt = 0; attempt < 3; attempt++) {
		struct lock_row row = { 0 };
		bool ok = exec0(l, "START TRANSACTION") &&
			  exec0(l, lock_sql_select(DB_MYSQL, true));
		if (ok) {
			lockrow_from(l->c, &row);
			struct lock_obs h = { 0 };
			lockobs_finish(&h, &row, DB_MYSQL, false, NULL);
			bool live = h.held;
			lock_obs_clear(&h);
			if (row.present && (live || !l->take_over)) {
				rollback(l);
				lockrow_clear(&row);
				read_holder(l, false);
				return live ? LOCK_HELD : LOCK_VANISHED;
			}
			ok = (!row.present || abandon(l, &row)) && insert_ours(l) &&
			     exec0(l, "COMMIT");
			lockrow_clear(&row);
			if (ok)
				return LOCK_TAKEN;
		}
		enum db_errkind k = db_errkind(l->c);
		if (k != DBE_CONFLICT && k != DBE_DUPLICATE) {
			enum lock_outcome o = fail(l, "writing the shared record");
			rollback(l);
			return o;
		}
		/* another operator committed first (Galera certification, or the
		 * same row on this server): see who */
		rollback(l);
		free(l->takeover_note);
		l->takeover_note = NULL;
		read_holder(l, false);
		if (l->holder.held) {
			pthread_mutex_lock(&l->mu);
			l->holder.lost_race = true;
			pthread_mutex_unlock(&l->mu);
			return LOCK_HELD;
		}
	}
	return fail(l, "the lock row kept changing");
}

static enum lock_outcome take(struct dblock *l)
{
	l->c = db_connect_start(l->target, l->appname, l->timeout_s);
	if (db_wait(l->c) != DBS_READY)
		return fail(l, "connecting");
	pthread_mutex_lock(&l->mu);
	l->backend_pid = l->backend == DB_POSTGRESQL ? (int)db_session_id(l->c) : 0;
	pthread_mutex_unlock(&l->mu);
	/* the tables once made are not made again: DDL on Galera waits for
	 * every node (total order isolation) */
	bool have_tables = !l->record_file &&
			   exec0(l, l->backend == DB_MYSQL
					    ? "SELECT 1 FROM barbican_status_lock WHERE 1 = 0"
					    : "SELECT 1 FROM barbican_status.lock WHERE 1 = 0") &&
			   exec0(l, l->backend == DB_MYSQL
					    ? "SELECT 1 FROM barbican_status_record WHERE 1 = 0"
					    : "SELECT 1 FROM barbican_status.record WHERE 1 = 0");
	if (!l->record_file && !have_tables) {
		for (const char *const *d = rec_sql_ddl(l->backend); *d; d++) {
			if (exec0(l, *d))
				continue;
			/* two operators creating the schema at once: once more */
			if (db_errkind(l->c) == DBE_DUPLICATE && exec0(l, *d))
				continue;
			if (db_errkind(l->c) == DBE_DENIED) {
				bs_fail(&l->err, BS_ST_IO,
					"cannot create the shared record's tables (%s); grant the "
					"database user CREATE on its database, point [record] "
					"connection at a database where it may, or set [record] "
					"backend = file (one operator, no cluster-wide lock)",
					db_error(l->c));
				return LOCK_ERROR;
			}
			return fail(l, "creating the shared record's tables");
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &l->last_renewed);
	return l->backend == DB_MYSQL ? take_mysql(l) : take_pg(l);
}

static double since_s(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Keep the lock: MySQL renews its lease; PostgreSQL checks its session. */
static void renew(struct dblock *l)
{
	bool ok, gone = false;
	if (l->backend == DB_MYSQL && !l->record_file) {
		char lease[32];
		snprintf(lease, sizeof(lease), "%lld", (long long)(l->lease_s * 1e6));
		const char *p[] = { lease, l->token };
		ok = execp(l, lock_sql_renew(), 2, p);
		gone = ok && db_affected(l->c) == 0;
	} else {
		ok = exec0(l, "SELECT 1");
	}
	if (ok && !gone) {
		clock_gettime(CLOCK_MONOTONIC, &l->last_renewed);
		return;
	}
	char *why = NULL;
	if (gone)
		why = xstrdup("another operator took the upgrade lock over");
	else if (l->backend == DB_POSTGRESQL || l->record_file)
		why = xasprintf("the lock's database session was lost: %s", db_error(l->c));
	else if (since_s(&l->last_renewed) >= l->lease_s)
		why = xasprintf("the lock's lease could not be renewed for %.0f s: %s",
				since_s(&l->last_renewed), db_error(l->c));
	if (!why) {
		/* a connection lost between renewals: connect again, try next time */
		if (db_state(l->c) == DBS_BROKEN) {
			db_close(l->c);
			l->c = db_connect_start(l->target, l->appname, l->timeout_s);
			db_wait(l->c);
		}
		return;
	}
	pthread_mutex_lock(&l->mu);
	if (!l->lost)
		l->lost = why;
	else
		free(why);
	pthread_mutex_unlock(&l->mu);
	notify(l);
}

static void finish(struct dblock *l, const struct journal_record *end_rec)
{
	enum bs_status st = BS_ST_OK;
	struct bs_err err = { 0 };
	bool ok = true;
	if (!l->record_file) {
		ok = exec0(l, l->backend == DB_MYSQL ? "START TRANSACTION" : "BEGIN");
		if (ok && end_rec) {
			char *p[REC_END_NPARAMS];
			rec_end_params(end_rec, p);
			ok = execp(l, rec_sql_update_end(l->backend), REC_END_NPARAMS,
				   (const char *const *)p);
			rec_params_free(p, REC_END_NPARAMS);
		} else if (ok) {
			const char *id[] = { l->rec.id };
			ok = execp(l, rec_sql_delete(l->backend), 1, id);
		}
		const char *tok[] = { l->token };
		ok = ok && execp(l, lock_sql_delete(l->backend), 1, tok) && exec0(l, "COMMIT");
		if (!ok) {
			st = bs_fail(&err, BS_ST_IO, "cannot write the step's end to the shared record: %s",
				     db_error(l->c));
			rollback(l);
		}
	}
	if (l->backend == DB_POSTGRESQL)
		exec0(l, "SELECT pg_advisory_unlock_all()");
	else if (l->record_file)
		exec0(l, "SELECT RELEASE_LOCK(" USER_LOCK ")");
	pthread_mutex_lock(&l->mu);
	l->finish_st = st;
	l->finish_err = err;
	pthread_mutex_unlock(&l->mu);
}

static void *keeper(void *arg)
{
	struct dblock *l = arg;
	enum lock_outcome o = take(l);
	set_outcome(l, o);
	if (o != LOCK_TAKEN) {
		db_close(l->c);
		l->c = NULL;
		return NULL;
	}
	double every = l->lease_s / 3.0;
	pthread_mutex_lock(&l->mu);
	for (;;) {
		if (l->finish)
			break;
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)every;
		until.tv_nsec += (long)((every - (double)(time_t)every) * 1e9);
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		int r = pthread_cond_timedwait(&l->cv, &l->mu, &until);
		if (l->finish)
			break;
		if (r == ETIMEDOUT) {
			pthread_mutex_unlock(&l->mu);
			renew(l);
			pthread_mutex_lock(&l->mu);
		}
	}
	const struct journal_record *end_rec = l->end_rec;
	pthread_mutex_unlock(&l->mu);
	finish(l, end_rec);
	db_close(l->c);
	l->c = NULL;
	return NULL;
}

/* --- the caller's side ------------------------------------------------- */

struct dblock *lock_start(const struct lock_request *rq)
{
	struct dblock *l = xcalloc(1, sizeof(*l));
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	l->record_file = rq->record_file;
	l->take_over = rq->take_over;
	l->timeout_s = rq->timeout_s > 0 ? rq->timeout_s : 10.0;
	l->lease_s = rq->lease_s > 0 ? rq->lease_s : 30.0;
	l->appname = xstrdup(rq->application_name ? rq->application_name : BS_APPNAME_PREFIX);
	l->token = journal_new_id(); /* unique: time, pid, random */
	l->rec = *rq->rec;
	l->outcome = LOCK_PENDING;
	if (pipe2(l->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		l->pipe[0] = l->pipe[1] = -1;
		bs_fail(&l->err, BS_ST_IO, "cannot take the upgrade lock: pipe: %s", strerror(errno));
		l->outcome = LOCK_ERROR;
		return l;
	}
	struct bs_err e = { 0 };
	if (!rq->url || db_target_new(rq->url, &l->target, &e) != BS_ST_OK) {
		bs_fail(&l->err, BS_ST_DBURL, "cannot take the upgrade lock: %s",
			rq->url ? e.detail : "no database URL is configured");
		l->outcome = LOCK_ERROR;
		notify(l);
		return l;
	}
	l->backend = db_target_backend(l->target);
	if (pthread_create(&l->thread, NULL, keeper, l) != 0) {
		bs_fail(&l->err, BS_ST_IO, "cannot take the upgrade lock: cannot start a thread");
		l->outcome = LOCK_ERROR;
		notify(l);
		return l;
	}
	l->started = true;
	return l;
}

int lock_fd(const struct dblock *l)
{
	return l->pipe[0];
}

static void drain(struct dblock *l)
{
	char buf[64];
	while (l->pipe[0] >= 0 && read(l->pipe[0], buf, sizeof(buf)) > 0)
		;
}

enum lock_outcome lock_poll(struct dblock *l, struct lock_obs *holder, struct bs_err *err)
{
	drain(l);
	pthread_mutex_lock(&l->mu);
	enum lock_outcome o = l->outcome;
	if ((o == LOCK_HELD || o == LOCK_VANISHED) && holder) {
		lock_obs_clear(holder);
		*holder = l->holder;
		memset(&l->holder, 0, sizeof(l->holder));
	}
	if (o == LOCK_ERROR && err)
		*err = l->err;
	pthread_mutex_unlock(&l->mu);
	return o;
}

static void lock_free(struct dblock *l)
{
	if (l->started)
		pthread_join(l->thread, NULL);
	db_target_free(l->target);
	if (l->pipe[0] >= 0)
		close(l->pipe[0]);
	if (l->pipe[1] >= 0)
		close(l->pipe[1]);
	lock_obs_clear(&l->holder);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l->appname);
	free(l->token);
	free(l->lost);
	free(l->takeover_note);
	free(l);
}

enum lock_outcome lock_acquire(const struct lock_request *rq, struct dblock **out,
			       struct lock_obs *holder, struct bs_err *err)
{
	struct dblock *l = lock_start(rq);
	enum lock_outcome o;
	while ((o = lock_poll(l, holder, err)) == LOCK_PENDING) {
		struct pollfd p = { lock_fd(l), POLLIN, 0 };
		poll(&p, 1, 1000);
	}
	if (o == LOCK_TAKEN) {
		*out = l;
	} else {
		*out = NULL;
		lock_free(l);
	}
	return o;
}

const char *lock_lost(struct dblock *l)
{
	pthread_mutex_lock(&l->mu);
	const char *why = l->lost;
	pthread_mutex_unlock(&l->mu);
	return why;
}

const char *lock_token(const struct dblock *l)
{
	return l ? l->token : NULL;
}

int lock_backend_pid(const struct dblock *l)
{
	if (!l)
		return 0;
	pthread_mutex_lock((pthread_mutex_t *)&l->mu);
	int pid = l->backend_pid;
	pthread_mutex_unlock((pthread_mutex_t *)&l->mu);
	return pid;
}

const char *lock_takeover_note(const struct dblock *l)
{
	return l ? l->takeover_note : NULL;
}

enum bs_status lock_finish(struct dblock *l, const struct journal_record *end_rec,
			   struct bs_err *err)
{
	if (!l)
		return BS_ST_OK;
	pthread_mutex_lock(&l->mu);
	l->finish = true;
	l->end_rec = end_rec;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
	if (l->started) {
		pthread_join(l->thread, NULL);
		l->started = false;
	}
	enum bs_status st = l->finish_st;
	if (st != BS_ST_OK && err)
		*err = l->finish_err;
	lock_free(l);
	return st;
}
