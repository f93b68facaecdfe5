#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xalloc.h"
#include "proc/argv.h"
#include "runner/session.h"
#include "runner/steps.h"
#include "upgrade.h"

static void observe_and_plan(struct plan_ctx *c, const struct step_session *ss)
{
	struct observe_opts oo = { OBS_ALL, false, session_lock_pid(ss), session_lock_token(ss),
				   c->dbkeep };
	struct bs_err err = { 0 };
	/* an unreadable journal vouches for nothing; next cannot write it either */
	(void)model_observe(&c->md, &oo, &err);
}

int plan_ctx_load(struct cli *cli, struct plan_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->dbkeep = cli->dbkeep;
	int rc = cli_load(cli, &c->st);
	if (rc)
		return rc;
	const struct manifest *m = settings_manifest(&c->st);
	if (!c->st.target_release) {
		fprintf(stderr, BS_PROG ": the target release is not set: set [upgrade] "
				"target_release (e.g. target_release = %s) in the configuration; plan, "
				"gate and next do not guess it\n", mf_latest(m)->tag);
		settings_free(&c->st);
		return EXIT_CANNOT_TELL;
	}
	if (!mf_release(m, c->st.target_release)) {
		fprintf(stderr, BS_PROG ": the target release %s is not in the release manifest of "
				"this barbican-status (it knows %s to %s)\n", c->st.target_release,
			m->releases[0].tag, mf_latest(m)->tag);
		settings_free(&c->st);
		return EXIT_CANNOT_TELL;
	}
	model_init(&c->md, &c->st, m);
	observe_and_plan(c, NULL);
	return -1;
}

void plan_ctx_take_over(struct plan_ctx *c)
{
	model_set_take_over(&c->md, true);
}

void plan_ctx_refresh(struct plan_ctx *c, const struct step_session *ss)
{
	observe_and_plan(c, ss);
}

void plan_ctx_free(struct plan_ctx *c)
{
	model_free(&c->md);
	settings_free(&c->st);
	memset(c, 0, sizeof(*c));
}

enum bs_status plan_step_argv(const struct plan_ctx *c, const struct plan_step *step, char ***argv,
			      struct bs_err *err)
{
	return step_argv(&c->st, &c->md.snap, step, argv, err);
}

char *plan_step_describe(const struct plan_ctx *c, const struct plan_step *step)
{
	return step_describe(&c->md.snap, step, c->md.plan.data_migrations);
}
