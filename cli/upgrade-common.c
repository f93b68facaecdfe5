#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/version.h"
#include "core/xalloc.h"
#include "probes/observe.h"
#include "runner/argv.h"
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
	if (journal_read(c->journal_path, &c->journal, &c->njournal, &c->journal_bad,
			 &c->njournal_bad, &err) != BS_ST_OK) {
		/* an unreadable journal vouches for nothing; next cannot write it either */
		c->journal = NULL;
		c->njournal = 0;
	}
	free(c->vouches);
	c->vouches = xcalloc(c->njournal ? c->njournal : 1, sizeof(*c->vouches));
	c->nvouches = 0;
	for (size_t i = 0; i < c->njournal; i++) {
		const struct journal_record *r = &c->journal[i];
		if (r->outcome == OUTCOME_VOUCHED && r->node && r->release)
			c->vouches[c->nvouches++] = (struct vouch){ r->node, r->release };
	}
}

static void observe_and_plan(struct plan_ctx *c, int lock_except_pid)
{
	struct observe_opts oo = { OBS_ALL, false, lock_except_pid };
	observe(&c->s, c->m, &oo);
	if (c->checks)
		check_results_free(c->checks, check_count);
	struct check_ctx cc = { &c->s, c->m };
	checks_run(&cc, &c->checks);
	read_journal(c);
	c->in = (struct plan_input){ &c->s, c->m, &c->st, c->checks, check_count, c->vouches,
				     c->nvouches, time(NULL) };
	plan_free(&c->plan);
	plan_compute(&c->in, &c->plan);
}

int plan_ctx_load(struct cli *cli, struct plan_ctx *c)
{
	memset(c, 0, sizeof(*c));
	int rc = cli_load(cli, &c->st);
	if (rc)
		return rc;
	c->m = manifest_builtin();
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
	observe_and_plan(c, 0);
	return -1;
}

void plan_ctx_refresh(struct plan_ctx *c, int lock_except_pid)
{
	observe_and_plan(c, lock_except_pid);
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

enum bs_status step_argv(const struct plan_ctx *c, const struct plan_step *step, char ***argv,
			 struct bs_err *err)
{
	*argv = NULL;
	if (step->kind == STEP_NONE)
		return BS_ST_OK;
	int tpl = (int)step->kind - (int)STEP_EXPAND;
	const char *t = c->st.step_tpl[tpl];
	if (!t)
		return BS_ST_OK;
	struct argv_values v = { 0 };
	if (step->node >= 0) {
		const struct node_conf *n = c->s.nodes[step->node].conf;
		v.node = n->name;
		v.host = n->host;
		v.service = service_name(n->service);
		v.url = n->url ? n->url : n->report_url;
	}
	v.release = step->release;
	v.revision = step->revision;
	v.nconfig_files = conf_config_file_opt(c->st.conf, &v.config_files);
	size_t argc;
	enum bs_status st = argv_expand(t, &v, argv, &argc, err);
	if (st != BS_ST_OK) {
		char detail[sizeof(err->detail)];
		snprintf(detail, sizeof(detail), "%s", err->detail);
		return bs_fail(err, st, "[steps] %s: %s", step_template_keys[tpl], detail);
	}
	return BS_ST_OK;
}

char **step_env(const struct plan_ctx *c)
{
	const char *name;
	const struct db_option *opt = settings_db_option(&c->st, c->st.target_release, &name);
	char **env = xcalloc(3, sizeof(*env));
	if (!opt->value)
		return env;
	size_t n = 0;
	env[n++] = xasprintf("OS_DEFAULT__SQL_CONNECTION=%s", opt->value);
	struct relver t, v19 = { .part = { 19, 0, 0, 0 }, .nparts = 3 };
	if (!relver_parse(c->st.target_release, &t) || relver_cmp(&t, &v19) >= 0)
		env[n++] = xasprintf("OS_DATABASE__CONNECTION=%s", opt->value);
	return env;
}

char *step_describe(const struct plan_ctx *c, const struct plan_step *step)
{
	switch (step->kind) {
	case STEP_EXPAND:
		return xasprintf("expand the schema to %s", step->revision ? step->revision : "?");
	case STEP_UPGRADE_NODE: {
		const struct node_conf *n = step->node >= 0 ? c->s.nodes[step->node].conf : NULL;
		return xasprintf("upgrade %s (%s) to %s", n ? n->name : "?",
				 n ? service_name(n->service) : "?", step->release);
	}
	case STEP_UNPIN:
		return xstrdup("unpin: let every node send at its own RPC version");
	case STEP_DATA_MIGRATIONS:
		return xasprintf("run the online data migrations (%ld rows left)",
				 c->plan.data_migrations);
	case STEP_CONTRACT:
		return xasprintf("contract the schema to %s", step->revision ? step->revision : "?");
	case STEP_OFFLINE:
		return xasprintf("apply the offline migrations up to %s, with every service stopped",
				 step->revision ? step->revision : "?");
	default:
		return xstrdup("nothing");
	}
}
