#include "observe.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "db.h"
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
		db = dbprobe_start(st, s->target, st->probe_timeout);
	}
	struct prober *pr = NULL;
	if ((o->what & OBS_NODES) && st->nnodes) {
		pr = prober_new(st);
		if (pr)
			prober_start(pr, s);
	}

	/* one loop waits on libcurl's sockets and the database socket */
	bool db_done = db == NULL;
	int inflight = pr ? prober_perform(pr, s) : 0;
	while (!db_done || inflight > 0) {
		if (!db_done && dbprobe_step(db, &s->db)) {
			db_done = true;
			continue;
		}
		struct curl_waitfd extra[1];
		unsigned nextra = 0;
		long wait = 100;
		if (!db_done) {
			bool w;
			int fd = dbprobe_socket(db, &w);
			if (fd >= 0) {
				extra[0].fd = fd;
				extra[0].events = w ? CURL_WAIT_POLLOUT : CURL_WAIT_POLLIN;
				extra[0].revents = 0;
				nextra = 1;
			}
			long left = dbprobe_timeout_ms(db);
			if (left + 1 < wait)
				wait = left + 1;
		}
		if (pr) {
			curl_multi_poll(prober_multi(pr), extra, nextra, (int)wait, NULL);
			inflight = prober_perform(pr, s);
		} else {
			struct pollfd pfd = { nextra ? extra[0].fd : -1,
					      (short)(nextra && extra[0].events == CURL_WAIT_POLLOUT ? POLLOUT : POLLIN), 0 };
			poll(&pfd, nextra, (int)wait);
		}
	}
	dbprobe_free(db);
	prober_free(pr);
	snapshot_derive(s, m);
	s->taken_at = time(NULL);
}
