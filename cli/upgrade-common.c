#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xalloc.h"
#include "probes/observe.h"
#include "proc/argv.h"
#include "runner/session.h"
#include "runner/steps.h"
#include "upgrade.h"

static void read_journal(struct plan_ctx *c)
{
	struct bs_err err = { 0 };
	journal_records_free(c->journal, c->njournal);
	free(c->journal_bad);
	c->journal = NULL;
	c->njournal = 0;
	c->journal_bad = NULL;
	c->njournal_bad = 0;
	if (journal_read_shared(c->journal_path, &c->s.record, &c->journal, &c->njournal,
				&c->journal_bad, &c->njournal_bad, &err) != BS_ST_OK) {
		/* an unreadable journal vouches for nothing; next cannot write it either */
		c->journal = NULL;
		c->njournal = 0;
	}
	free(c->vouches);
	c->vouches = steps_vouches(c->journal, c->njournal, &c->nvouches);
}

static void observe_and_plan(struct plan_ctx *c, const struct step_session *ss)
{
	struct observe_opts oo = { OBS_ALL, false, session_lock_pid(ss), session_lock_token(ss) };
	observe(&c->s, c->m, &oo);
	if (c->checks)
		check_results_free(c->checks, check_count);
	struct check_ctx cc = { &c->s, c->m };
	checks_run(&cc, &c->checks);
	read_journal(c);
	c->in = (struct plan_input){ &c->s, c->m, &c->st, c->checks, check_count, c->vouches,
				     c->nvouches, time(NULL), c->take_over };
	plan_free(&c->plan);
	plan_compute(&c->in, &c->plan);
}

int plan_ctx_load(struct cli *cli, struct plan_ctx *c)
{
	memset(c, 0, sizeof(*c));
	int rc = cli_load(cli, &c->st);
	if (rc)
		return rc;
	c->m = settings_manifest(&c->st);
	if (!c->st.target_release) {
		fprintf(stderr, BS_PROG ": the target release is not set: set [upgrade] "
				"target_release (e.g. target_release = %s) in the configuration; plan, "
				"gate and next do not guess it\n", mf_latest(c->m)->tag);
		settings_free(&c->st);
		return EXIT_CANNOT_TELL;
	}
	if (!mf_release(c->m, c->st.target_release)) {
		fprintf(stderr, BS_PROG ": the target release %s is not in the release manifest of "
				"this barbican-status (it knows %s to %s)\n", c->st.target_release,
			c->m->releases[0].tag, mf_latest(c->m)->tag);
		settings_free(&c->st);
		return EXIT_CANNOT_TELL;
	}
	c->journal_path = journal_default_path(c->st.journal_path);
	snapshot_init(&c->s, &c->st);
	observe_and_plan(c, NULL);
	return -1;
}

void plan_ctx_take_over(struct plan_ctx *c)
{
	c->take_over = true;
	c->in.take_over = true;
	plan_free(&c->plan);
	plan_compute(&c->in, &c->plan);
}

void plan_ctx_refresh(struct plan_ctx *c, const struct step_session *ss)
{
	observe_and_plan(c, ss);
}

void plan_ctx_free(struct plan_ctx *c)
{
	plan_free(&c->plan);
	if (c->checks)
		check_results_free(c->checks, check_count);
	journal_records_free(c->journal, c->njournal);
	free(c->journal_bad);
	free(c->vouches);
	free(c->journal_path);
	snapshot_free(&c->s);
	settings_free(&c->st);
	memset(c, 0, sizeof(*c));
}

enum bs_status plan_step_argv(const struct plan_ctx *c, const struct plan_step *step, char ***argv,
			      struct bs_err *err)
{
	return step_argv(&c->st, &c->s, step, argv, err);
}

char *plan_step_describe(const struct plan_ctx *c, const struct plan_step *step)
{
	return step_describe(&c->s, step, c->plan.data_migrations);
}
