#include "session.h"

#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probes/db.h"
#include "core/sanitize.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "proc/argv.h"

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
	if (ss->lock)
		lock_finish(ss->lock, NULL, NULL);
	free(ss);
}

enum bs_status session_start(const struct settings *st, const struct snapshot *s,
			     const struct plan *p, const struct plan_step *step, char **argv,
			     bool take_over, struct step_session **out, struct bs_err *err)
{
	*out = NULL;
	struct step_session *ss = xcalloc(1, sizeof(*ss));
	ss->step = *step;
	ss->release = xstrdup_or_null(step->release);
	ss->step.release = ss->release;
	ss->desc = step_describe(s, step, p->data_migrations);
	ss->unobservable = step->node >= 0 && !p->nodes[step->node].observable;
	char *path = journal_default_path(st->journal_path);
	enum bs_status rc = journal_open(path, &ss->jr, err);
	free(path);
	if (rc != BS_ST_OK) {
		session_free(ss); /* the caller still owns argv */
		return rc;
	}
	ss->argv = argv;
	ss->rec.id = journal_new_id();
	ss->rec.user = who_user();
	ss->rec.host = who_host();
	ss->rec.step = (char *)step_kind_name(step->kind);
	ss->rec.node = step->node >= 0 ? s->nodes[step->node].conf->name : NULL;
	ss->rec.argv = argv;
	ss->rec.start = time(NULL);
	ss->rec.outcome = OUTCOME_RUNNING;
	ss->rec.release = ss->release;
	ss->rec.revision = (char *)step->revision;
	ss->lock_name = lock_application_name(ss->rec.step, ss->rec.user, ss->rec.host,
					      ss->rec.start);
	struct lock_request rq = {
		.url = dbprobe_record_url(st, st->target_release),
		.record_file = st->record_file,
		.application_name = ss->lock_name,
		/* acting waits for a slow database longer than observing does */
		.timeout_s = st->probe_timeout > 10.0 ? st->probe_timeout : 10.0,
		.lease_s = st->lock_lease,
		.take_over = take_over,
		.rec = &ss->rec,
	};
	ss->lock = lock_start(&rq);
	*out = ss;
	return BS_ST_OK;
}

int session_lock_fd(const struct step_session *ss)
{
	return ss && ss->lock ? lock_fd(ss->lock) : -1;
}

enum lock_outcome session_lock_poll(struct step_session *ss, struct lock_obs *holder,
				    struct bs_err *err)
{
	return lock_poll(ss->lock, holder, err);
}

enum bs_status session_begin(const struct settings *st, const struct snapshot *s,
			     const struct plan *p, const struct plan_step *step, char **argv,
			     bool take_over, struct step_session **out, struct lock_obs *holder,
			     enum lock_outcome *refused, struct bs_err *err)
{
	*out = NULL;
	*refused = LOCK_TAKEN;
	struct step_session *ss;
	enum bs_status rc = session_start(st, s, p, step, argv, take_over, &ss, err);
	if (rc != BS_ST_OK)
		return rc;
	struct lock_obs h = { 0 };
	struct bs_err e = { 0 };
	enum lock_outcome o;
	while ((o = session_lock_poll(ss, &h, &e)) == LOCK_PENDING) {
		struct pollfd pfd = { session_lock_fd(ss), POLLIN, 0 };
		poll(&pfd, 1, 1000);
	}
	if (o == LOCK_TAKEN) {
		*out = ss;
		return BS_ST_OK;
	}
	if (holder) {
		lock_obs_clear(holder);
		*holder = h;
	} else {
		lock_obs_clear(&h);
	}
	ss->argv = NULL; /* the caller still owns it */
	ss->rec.argv = NULL;
	session_discard(ss);
	if (o == LOCK_ERROR) {
		if (err)
			*err = e;
		return e.status ? e.status : BS_ST_IO;
	}
	*refused = o;
	return BS_ST_OK;
}

void session_discard(struct step_session *ss)
{
	if (!ss)
		return;
	lock_finish(ss->lock, NULL, NULL); /* nothing ran: its running record goes too */
	ss->lock = NULL;
	journal_close(ss->jr);
	session_free(ss);
}

const char *session_lock_token(const struct step_session *ss)
{
	return ss ? lock_token(ss->lock) : NULL;
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
	/* the output's lines as the operator saw them: escape sequences
	 * (colours) removed, one line per line */
	struct strbuf tail = STRBUF_INIT;
	for (const char *p = r->output_tail; p && *p;) {
		size_t n = strcspn(p, "\n");
		char *line = sanitize_output_line(p, n);
		if (*line || p[n])
			sb_addf(&tail, "%s%s", tail.len ? "\n" : "", line);
		free(line);
		p += n + (p[n] ? 1 : 0);
	}
	char *status = r->exited && r->exit_code ? xasprintf(" (exit %d)", r->exit_code)
		       : r->signaled ? xasprintf(" (signal %d)", r->signal) : xstrdup("");
	char *d = xasprintf("%s%s%s%s", why, status, tail.len ? "; output ends:\n" : "",
			    sb_str(&tail));
	free(status);
	sb_free(&tail);
	return d;
}

enum bs_status session_end(struct step_session *ss, enum journal_outcome outcome, char *detail,
			   struct bs_err *err)
{
	ss->rec.end = time(NULL);
	ss->rec.outcome = outcome;
	const char *note = lock_takeover_note(ss->lock);
	if (note) {
		char *d = xasprintf("%s%s%s", detail && *detail ? detail : "",
				    detail && *detail ? "; " : "", note);
		free(detail);
		detail = d;
	}
	const char *lost = lock_lost(ss->lock);
	if (lost) {
		char *d = xasprintf("%s%s%s", detail && *detail ? detail : "",
				    detail && *detail ? "; " : "", lost);
		free(detail);
		detail = d;
	}
	ss->rec.detail = detail;
	/* the shared record first (with the lock let go), then the local mirror */
	struct bs_err derr = { 0 };
	enum bs_status drc = lock_finish(ss->lock, &ss->rec, &derr);
	ss->lock = NULL;
	enum bs_status rc = journal_append(ss->jr, &ss->rec, err);
	if (rc == BS_ST_OK && drc != BS_ST_OK) {
		rc = drc;
		if (err)
			*err = derr;
	}
	journal_close(ss->jr);
	free(detail);
	session_free(ss);
	return rc;
}
