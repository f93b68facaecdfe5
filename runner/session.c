#include "session.h"

#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/dburl.h"
#include "core/xalloc.h"
#include "runner/argv.h"

static char *who_user(void)
{
	const char *u = getenv("USER");
	if (!u || !*u) {
		struct passwd *pw = getpwuid(geteuid());
		u = pw ? pw->pw_name : "unknown";
	}
	return xstrdup(u);
}

static char *who_host(void)
{
	char h[256];
	if (gethostname(h, sizeof(h)) != 0)
		return xstrdup("unknown");
	h[sizeof(h) - 1] = '\0';
	return xstrdup(h);
}

static void session_free(struct step_session *ss)
{
	if (!ss)
		return;
	free(ss->release);
	free(ss->desc);
	argv_free(ss->argv);
	free(ss->lock_name);
	free(ss->rec.id);
	free(ss->rec.user);
	free(ss->rec.host);
	free(ss);
}

enum bs_status session_begin(const struct settings *st, const struct snapshot *s,
			     const struct plan *p, const struct plan_step *step, char **argv,
			     struct step_session **out, struct lock_holder *holder,
			     struct bs_err *err)
{
	*out = NULL;
	struct step_session *ss = xcalloc(1, sizeof(*ss));
	ss->step = *step;
	ss->release = xstrdup_or_null(step->release);
	ss->step.release = ss->release;
	ss->desc = step_describe(s, step, p->data_migrations);
	ss->argv = argv;
	ss->unobservable = step->node >= 0 && !p->nodes[step->node].observable;

	char *path = journal_default_path(st->journal_path);
	enum bs_status rc = journal_open(path, &ss->jr, err);
	free(path);
	if (rc != BS_ST_OK) {
		ss->argv = NULL; /* the caller still owns it */
		session_free(ss);
		return rc;
	}

	char *user = who_user(), *host = who_host();
	time_t start = time(NULL);
	ss->lock_name = lock_application_name(step_kind_name(step->kind), user, host, start);
	const char *name;
	const struct db_option *opt = settings_db_option(st, st->target_release, &name);
	struct dburl u;
	if (!opt->value) {
		rc = bs_fail(err, BS_ST_DBURL, "no database URL is configured (%s)", name);
	} else if ((rc = dburl_parse(opt->value, &u, err)) == BS_ST_OK) {
		if (!dburl_is_postgresql(&u)) {
			rc = bs_fail(err, BS_ST_DBURL, "the lock needs a PostgreSQL database, not %s",
				     u.drivername);
		} else {
			char **keys, **values;
			dburl_to_libpq(&u, NULL, NULL, 0, &keys, &values);
			rc = lock_acquire((const char *const *)keys, (const char *const *)values,
					  ss->lock_name, st->probe_timeout, &ss->lock, holder, err);
			dburl_free_params(keys, values);
		}
		dburl_free(&u);
	}
	if (rc != BS_ST_OK || !ss->lock) {
		free(user);
		free(host);
		journal_close(ss->jr);
		ss->argv = NULL; /* the caller still owns it */
		session_free(ss);
		return rc;
	}
	ss->rec.id = journal_new_id();
	ss->rec.user = user;
	ss->rec.host = host;
	ss->rec.step = (char *)step_kind_name(step->kind);
	ss->rec.node = step->node >= 0 ? s->nodes[step->node].conf->name : NULL;
	ss->rec.argv = argv;
	ss->rec.start = start;
	ss->rec.release = ss->release;
	ss->rec.revision = (char *)step->revision;
	*out = ss;
	return BS_ST_OK;
}

void session_discard(struct step_session *ss)
{
	if (!ss)
		return;
	lock_release(ss->lock);
	journal_close(ss->jr);
	session_free(ss);
}

int session_lock_pid(const struct step_session *ss)
{
	return ss && ss->lock ? lock_backend_pid(ss->lock) : 0;
}

bool session_same(const struct step_session *ss, const struct plan *p)
{
	const struct plan_step *a = &ss->step, *b = &p->next;
	return p->next_ready && a->kind == b->kind && a->node == b->node &&
	       ((!a->revision && !b->revision) ||
		(a->revision && b->revision && strcmp(a->revision, b->revision) == 0));
}

enum session_next session_exited(struct step_session *ss, const struct exec_result *r)
{
	ss->rec.has_exit = r->exited;
	ss->rec.exit_code = r->exit_code;
	ss->rec.has_signal = r->signaled;
	ss->rec.signal = r->signal;
	if (!(r->exited && r->exit_code == 0))
		return SESSION_FAILED;
	return ss->unobservable ? SESSION_VOUCH : SESSION_VERIFY;
}

char *session_failure_detail(const struct exec_result *r)
{
	const char *why = r->cancelled ? "cancelled (Ctrl-C or a signal)"
			  : r->timed_out ? "timed out"
			  : r->exited ? "exited non-zero" : "killed by a signal";
	return xasprintf("%s%s%s", why, r->output_tail && *r->output_tail ? "; output ends: " : "",
			 r->output_tail ? r->output_tail : "");
}

enum bs_status session_end(struct step_session *ss, enum journal_outcome outcome, char *detail,
			   struct bs_err *err)
{
	ss->rec.end = time(NULL);
	ss->rec.outcome = outcome;
	ss->rec.detail = detail;
	enum bs_status rc = journal_append(ss->jr, &ss->rec, err);
	journal_close(ss->jr);
	lock_release(ss->lock);
	free(detail);
	session_free(ss);
	return rc;
}
