#include "steps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/version.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "proc/argv.h"
#include "runner/journal.h"

enum bs_status step_argv(const struct settings *st, const struct snapshot *s,
			 const struct plan_step *step, char ***argv, struct bs_err *err)
{
	*argv = NULL;
	if (step->kind == STEP_NONE)
		return BS_ST_OK;
	int tpl = (int)step->kind - (int)STEP_EXPAND;
	const char *t = st->step_tpl[tpl];
	if (!t)
		return BS_ST_OK;
	struct argv_values v = { 0 };
	char *url = NULL;
	if (step->node >= 0) {
		const struct node_conf *n = s->nodes[step->node].conf;
		v.node = n->name;
		v.host = n->host;
		v.service = service_name(n->service);
		/* an argv is seen by every user (ps) and journaled: the URL
		 * without its user and password (those are in the step's
		 * environment, BARBICAN_STATUS_NODE_URL) */
		url = url_without_userinfo(n->url ? n->url : n->report_url);
		v.url = url;
	}
	v.release = step->release;
	v.revision = step->revision;
	if (st->conf)
		v.nconfig_files = conf_config_file_opt(st->conf, &v.config_files);
	size_t argc;
	enum bs_status rc = argv_expand(t, &v, argv, &argc, err);
	free(url);
	if (rc != BS_ST_OK) {
		char detail[sizeof(err->detail)];
		snprintf(detail, sizeof(detail), "%s", err->detail);
		return bs_fail(err, rc, "[steps] %s: %s", step_template_keys[tpl], detail);
	}
	return BS_ST_OK;
}

char **step_env(const struct settings *st, const struct snapshot *s, const struct plan_step *step)
{
	const char *name;
	const struct db_option *opt = settings_db_option(st, st->target_release, &name);
	char **env = xcalloc(4, sizeof(*env));
	size_t n = 0;
	if (s && step && step->node >= 0) {
		const struct node_conf *nc = s->nodes[step->node].conf;
		const char *url = nc->url ? nc->url : nc->report_url;
		if (url)
			env[n++] = xasprintf("BARBICAN_STATUS_NODE_URL=%s", url);
	}
	if (!opt->value)
		return env;
	env[n++] = xasprintf("OS_DEFAULT__SQL_CONNECTION=%s", opt->value);
	struct relver t, v19 = { .part = { 19, 0, 0, 0 }, .nparts = 3 };
	if (!st->target_release || !relver_parse(st->target_release, &t) || relver_cmp(&t, &v19) >= 0)
		env[n++] = xasprintf("OS_DATABASE__CONNECTION=%s", opt->value);
	return env;
}

char *step_describe(const struct snapshot *s, const struct plan_step *step, long data_migrations)
{
	switch (step->kind) {
	case STEP_EXPAND:
		return xasprintf("expand the schema to %s", step->revision ? step->revision : "?");
	case STEP_UPGRADE_NODE: {
		const struct node_conf *n = step->node >= 0 ? s->nodes[step->node].conf : NULL;
		return xasprintf("upgrade %s (%s) to %s", n ? n->name : "?",
				 n ? service_name(n->service) : "?", step->release);
	}
	case STEP_UNPIN:
		return xstrdup("unpin: let every node send at its own RPC version");
	case STEP_DATA_MIGRATIONS:
		return xasprintf("run the online data migrations (%ld rows left)", data_migrations);
	case STEP_CONTRACT:
		return xasprintf("contract the schema to %s", step->revision ? step->revision : "?");
	case STEP_OFFLINE:
		return xasprintf("apply the offline migrations up to %s, with every service stopped",
				 step->revision ? step->revision : "?");
	default:
		return xstrdup("nothing");
	}
}

bool step_verified(const struct snapshot *s, const struct plan *p, const struct plan_step *step)
{
	switch (step->kind) {
	case STEP_EXPAND:
		return p->state[PH_EXPAND] == PS_COMPLETE;
	case STEP_UPGRADE_NODE: {
		if (step->node < 0 || (size_t)step->node >= s->nnodes)
			return false;
		const struct node *n = &s->nodes[step->node];
		return n->obs.state == NS_UP && n->obs.release && s->target &&
		       strcmp(n->obs.release, s->target) == 0;
	}
	case STEP_UNPIN:
		return !p->any_cap;
	case STEP_DATA_MIGRATIONS:
		return p->data_migrations == 0;
	case STEP_CONTRACT:
		return s->db.reachable && p->path.verdict != DBV_UNKNOWN && !p->contract_to &&
		       !p->expand_to;
	case STEP_OFFLINE:
		return s->db.reachable && p->path.verdict == DBV_UP_TO_DATE;
	default:
		return false;
	}
}

struct vouch *steps_vouches(const struct journal_record *records, size_t n, size_t *nvouches)
{
	struct vouch *v = xcalloc(n ? n : 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (records[i].outcome == OUTCOME_VOUCHED && records[i].node && records[i].release)
			v[k++] = (struct vouch){ records[i].node, records[i].release };
	*nvouches = k;
	return v;
}

char *step_now_shows(const struct snapshot *s, const struct plan_step *step)
{
	if (step->node >= 0 && (size_t)step->node < s->nnodes) {
		const struct node *n = &s->nodes[step->node];
		const struct node_obs *o = &n->obs;
		return xasprintf("%s now reports %s (%s)%s%s", n->conf->name,
				 o->release ? o->release : "no release", node_state_name(o->state),
				 o->started_at ? ", started " : "", o->started_at ? o->started_at : "");
	}
	if (s->db.reachable && s->db.nheads)
		return xasprintf("the database is at %s", s->db.heads[0]);
	return xasprintf("the database cannot be read: %s",
			 s->db.error ? s->db.error : "not reachable");
}
