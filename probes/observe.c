#include "observe.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "db.h"
#include "cmdprobe.h"
#include "countprobe.h"
#include "http.h"
#include "installed.h"
#include "policy.h"

void observe_target(struct snapshot *s, bool target_from_installed)
{
	free(s->installed_release);
	free(s->installed_where);
	s->installed_release = installed_barbican_release(&s->installed_where);
	free(s->target);
	s->target = NULL;
	s->target_src = TARGET_NONE;
	if (s->settings->target_release) {
		s->target = xstrdup(s->settings->target_release);
		s->target_src = TARGET_CONFIG;
	} else if (target_from_installed && s->installed_release) {
		s->target = xstrdup(s->installed_release);
		s->target_src = TARGET_INSTALLED;
	}
}

void observe(struct snapshot *s, const struct manifest *m, const struct observe_opts *o)
{
	const struct settings *st = s->settings;
	observe_target(s, o->target_from_installed);
	if (o->what & OBS_POLICY)
		probe_policy(st, &s->policy);

	struct dbprobe *db = NULL;
	if (o->what & OBS_DB) {
		db_describe(st, s->target, &s->db);
		db = dbprobe_start_kept(st, s->target, st->probe_timeout, o->lock_except_pid,
					o->lock_except_token, o->dbkeep);
	}
	struct prober *pr = NULL;
	struct cmdprober *cp = NULL;
	if ((o->what & OBS_NODES) && (st->nnodes || st->rabbit_url)) {
		char *why = NULL;
		pr = prober_new(st, &why);
		if (pr)
			prober_start(pr, s);
		else
			prober_fail_all(s, why);
		free(why);
		cp = cmdprober_new(st);
		cmdprober_start(cp, s, true);
	}
	struct countprobe *count = (o->what & OBS_NODES) ? countprobe_start(s) : NULL;

	/* one loop waits on libcurl's sockets, the database socket and the
	 * report commands' pipes */
	bool db_done = db == NULL;
	int inflight = pr ? prober_perform(pr, s) : 0;
	int cmds = cp ? cmdprober_perform(cp, s) : 0;
	bool count_done = count == NULL;
	while (!db_done || !count_done || inflight > 0 || cmds > 0 || (pr && prober_busy(pr))) {
		if (!db_done && dbprobe_step(db, &s->db, &s->lock, &s->record)) {
			db_done = true;
			continue;
		}
		enum { MAX_FDS = 65 };
		struct curl_waitfd extra[MAX_FDS];
		unsigned nextra = 0;
		long wait = 100;
		if (!db_done) {
			bool w;
			int fd = dbprobe_socket(db, &w);
			if (fd >= 0)
				extra[nextra++] = (struct curl_waitfd){
					fd, (short)(w ? CURL_WAIT_POLLOUT : CURL_WAIT_POLLIN), 0 };
			long left = dbprobe_timeout_ms(db);
			if (left + 1 < wait)
				wait = left + 1;
		}
		if (!count_done) {
			int fd = countprobe_fd(count);
			if (fd >= 0)
				extra[nextra++] = (struct curl_waitfd){ fd, CURL_WAIT_POLLIN, 0 };
			long t = countprobe_timeout_ms(count);
			if (t >= 0 && t + 1 < wait)
				wait = t + 1;
		}
		if (cp) {
			int fds[MAX_FDS - 2];
			int k = cmdprober_fds(cp, fds, MAX_FDS - 2);
			for (int i = 0; i < k; i++)
				extra[nextra++] = (struct curl_waitfd){ fds[i], CURL_WAIT_POLLIN, 0 };
			long t = cmdprober_timeout_ms(cp);
			if (t >= 0 && t + 1 < wait)
				wait = t + 1;
		}
		if (pr) {
			long pt = prober_timeout_ms(pr);
			if (pt >= 0 && pt < wait)
				wait = pt;
			prober_wait(pr, extra, nextra, (int)wait);
			inflight = prober_perform(pr, s);
		} else {
			struct pollfd pfd[MAX_FDS];
			for (unsigned i = 0; i < nextra; i++)
				pfd[i] = (struct pollfd){ extra[i].fd,
					(short)(extra[i].events == CURL_WAIT_POLLOUT ? POLLOUT : POLLIN), 0 };
			poll(pfd, nextra, (int)wait);
		}
		if (cp)
			cmds = cmdprober_perform(cp, s);
		if (!count_done)
			count_done = countprobe_step(count, s);
	}
	countprobe_free(count);
	dbprobe_free_keep(db, o->dbkeep);
	prober_free(pr);
	cmdprober_free(cp);
	snapshot_derive(s, m);
	s->taken_at = time(NULL);
}
