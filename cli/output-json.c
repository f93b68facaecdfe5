/* output-json.c: the renderers for scripts. Objects are built with jansson
 * and written exactly as Python's json.dumps writes them (render/pyjson.c),
 * one line, so that `upgrade check --json` matches Barbican's own. Every
 * document carries "schema" (documented in barbican-status(1)). */
#include <math.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "cli.h"
#include "core/manifest.h"
#include "core/sanitize.h"
#include "render/pyjson.h"

#define SCHEMA_CHECK "barbican-status/upgrade-check/1"
#define SCHEMA_NODES "barbican-status/nodes/1"
#define SCHEMA_MIGRATIONS "barbican-status/migrations/1"

static void emit(FILE *f, json_t *doc)
{
	char *text = pyjson_dumps(doc);
	fprintf(f, "%s\n", text);
	free(text);
	json_decref(doc);
}

static json_t *jstr_or_null(const char *s)
{
	return s ? pyjson_str(s) : json_null();
}

static json_t *jms(double ms)
{
	return json_real(round(ms * 10.0) / 10.0);
}

static void json_upgrade_check(FILE *f, const struct snapshot *s, const struct check_result *r,
			       size_t n)
{
	(void)s;
	json_t *doc = json_object();
	json_object_set_new(doc, "schema", json_string(SCHEMA_CHECK));
	json_object_set_new(doc, "name", json_string("Upgrade Check Results"));
	json_t *checks = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_object();
		json_object_set_new(c, "check", json_string(r[i].entry->name));
		json_object_set_new(c, "result", json_integer(r[i].code));
		json_object_set_new(c, "details", jstr_or_null(r[i].details));
		json_object_set_new(c, "id", json_string(r[i].entry->id));
		json_object_set_new(c, "remediation", jstr_or_null(r[i].remediation));
		json_array_append_new(checks, c);
	}
	json_object_set_new(doc, "checks", checks);
	emit(f, doc);
}

static json_t *target_json(const struct snapshot *s, const struct manifest *m)
{
	json_t *t = json_object();
	json_object_set_new(t, "release", jstr_or_null(s->target));
	const struct mf_series *ser = s->target ? mf_series_of(m, s->target) : NULL;
	json_object_set_new(t, "series", ser ? json_string(ser->name) : json_null());
	json_object_set_new(t, "source", json_string(s->target_src == TARGET_CONFIG ? "config"
						     : s->target_src == TARGET_INSTALLED ? "installed"
											 : "none"));
	json_object_set_new(t, "in_manifest",
			    json_boolean(s->target && mf_release(m, s->target) != NULL));
	return t;
}

static json_t *node_json(const struct snapshot *s, const struct manifest *m, const struct node *n)
{
	const struct node_obs *o = &n->obs;
	json_t *j = json_object();
	json_object_set_new(j, "name", pyjson_str(n->conf->name));
	json_object_set_new(j, "service", json_string(service_name(n->conf->service)));
	json_object_set_new(j, "host", jstr_or_null(node_host(n)));
	/* a password in a node's URL is never shown */
	char *url = url_masked(n->conf->url), *report_url = url_masked(n->conf->report_url);
	json_object_set_new(j, "url", jstr_or_null(url));
	json_object_set_new(j, "report_url", jstr_or_null(report_url));
	free(url);
	free(report_url);
	json_object_set_new(j, "state", json_string(node_state_name(o->state)));
	json_object_set_new(j, "error", jstr_or_null(o->error));
	json_object_set_new(j, "release", jstr_or_null(o->release));
	json_object_set_new(j, "release_source",
			    o->release ? json_string(value_source_name(o->release_src)) : json_null());
	json_object_set_new(j, "build_release", jstr_or_null(o->build_release));
	json_object_set_new(j, "report_release", jstr_or_null(o->report_release));
	json_object_set_new(j, "release_conflict", json_boolean(o->release_conflict));
	bool listed = false;
	enum rel_relation rel = REL_UNKNOWN;
	if (o->release && s->target)
		rel = mf_relate(m, o->release, s->target, &listed);
	else if (o->release)
		listed = mf_release(m, o->release) != NULL;
	json_object_set_new(j, "release_in_manifest", o->release ? json_boolean(listed) : json_null());
	json_object_set_new(j, "skew", o->release && s->target ? json_string(rel_relation_name(rel))
							       : json_null());
	json_t *api = json_null();
	if (o->api_min) {
		api = json_object();
		json_object_set_new(api, "min", pyjson_str(o->api_min));
		json_object_set_new(api, "max", pyjson_str(o->api_max));
	}
	json_object_set_new(j, "api_microversions", api);
	json_object_set_new(j, "healthcheck_status",
			    o->health_status ? json_integer(o->health_status) : json_null());
	json_t *rpc = json_null();
	if (o->rpc_version) {
		rpc = json_object();
		json_object_set_new(rpc, "version", pyjson_str(o->rpc_version));
		json_object_set_new(rpc, "cap", jstr_or_null(o->rpc_cap));
		json_object_set_new(rpc, "source", json_string(value_source_name(o->rpc_src)));
	}
	json_object_set_new(j, "rpc", rpc);
	json_t *objs = json_object();
	for (size_t i = 0; i < o->nobjects; i++)
		json_object_set_new(objs, o->objects[i].name, pyjson_str(o->objects[i].version));
	json_object_set_new(j, "objects", objs);
	json_object_set_new(j, "objects_source",
			    o->nobjects ? json_string(value_source_name(o->objects_src)) : json_null());
	json_object_set_new(j, "report_state", jstr_or_null(o->report_state));
	json_object_set_new(j, "started_at", jstr_or_null(o->started_at));
	json_object_set_new(j, "data_migrations_remaining",
			    o->data_migrations_remaining >= 0 ? json_integer(o->data_migrations_remaining)
							      : json_null());
	json_object_set_new(j, "latency_ms", o->probed && o->seen_wall ? jms(o->latency_ms) : json_null());
	/* a host's report (barbican-status report): its processes, and whether
	 * one runs code older than the installed release */
	json_object_set_new(j, "restart_needed", json_boolean(o->restart_needed));
	json_t *pids = json_array();
	for (size_t i = 0; i < o->nreport_pids; i++)
		json_array_append_new(pids, json_integer(o->report_pids[i]));
	json_object_set_new(j, "pids", pids);
	json_object_set_new(j, "report_command", jstr_or_null(n->conf->report_command));
	json_object_set_new(j, "report_age_s",
			    o->report_cmd_at ? json_integer((json_int_t)(time(NULL) - o->report_cmd_at))
					     : json_null());
	json_t *rq = json_null();
	if (n->rabbit.asked) {
		rq = json_object();
		json_object_set_new(rq, "connections", json_integer((json_int_t)n->rabbit.nconns));
		json_t *rp = json_array();
		for (size_t i = 0; i < n->rabbit.nconns; i++)
			json_array_append_new(rp, json_integer(n->rabbit.pids[i]));
		json_object_set_new(rq, "pids", rp);
		json_object_set_new(rq, "connected_since", jstr_or_null(n->rabbit.since));
	}
	json_object_set_new(j, "rabbitmq", rq);
	return j;
}

/* RabbitMQ's Barbican connections that no configured node describes. */
static json_t *discovered_json(const struct snapshot *s)
{
	json_t *a = json_array();
	for (size_t i = 0; i < s->rabbit.nconns; i++) {
		const struct rabbit_conn *k = &s->rabbit.conns[i];
		if (k->matched)
			continue;
		json_t *o = json_object();
		json_object_set_new(o, "service", jstr_or_null(k->program));
		json_object_set_new(o, "host", jstr_or_null(k->peer_host));
		json_object_set_new(o, "pid", k->pid ? json_integer(k->pid) : json_null());
		json_object_set_new(o, "connected_since", jstr_or_null(k->connected_at));
		json_array_append_new(a, o);
	}
	return a;
}

/* Write a value and drop it. */
static void put(FILE *f, json_t *v)
{
	char *text = pyjson_dumps(v);
	fputs(text, f);
	free(text);
	json_decref(v);
}

/* The document is written as json.dumps writes it, but the nodes one by
 * one: the text of 20,000 nodes (and their jansson trees) is never held in
 * memory at once. */
static void json_nodes(FILE *f, const struct snapshot *s, const struct manifest *m)
{
	fputs("{\"schema\": ", f);
	put(f, json_string(SCHEMA_NODES));
	fputs(", \"target\": ", f);
	put(f, target_json(s, m));
	fputs(", \"nodes\": [", f);
	for (size_t i = 0; i < s->nnodes; i++) {
		if (i)
			fputs(", ", f);
		put(f, node_json(s, m, &s->nodes[i]));
	}
	fputs("], ", f);
	/* the rest as a document of its own, its opening brace dropped */
	json_t *doc = json_object();
	json_t *rq = json_null();
	if (s->rabbit.configured) {
		rq = json_object();
		json_object_set_new(rq, "asked", json_boolean(s->rabbit.probed));
		json_object_set_new(rq, "error", jstr_or_null(s->rabbit.error));
		json_object_set_new(rq, "barbican_connections", json_integer((json_int_t)s->rabbit.nconns));
		json_object_set_new(rq, "other_connections", json_integer((json_int_t)s->rabbit.nother));
	}
	json_object_set_new(doc, "rabbitmq", rq);
	json_object_set_new(doc, "discovered", discovered_json(s));
	char *text = pyjson_dumps(doc);
	fprintf(f, "%s\n", text + 1);
	free(text);
	json_decref(doc);
}

static void json_migrations(FILE *f, const struct snapshot *s, const struct manifest *m)
{
	const struct db_obs *d = &s->db;
	json_t *doc = json_object();
	json_object_set_new(doc, "schema", json_string(SCHEMA_MIGRATIONS));
	json_t *db = json_object();
	json_object_set_new(db, "option", jstr_or_null(d->option));
	json_object_set_new(db, "url", jstr_or_null(d->url_masked));
	json_object_set_new(db, "scheme", jstr_or_null(d->scheme));
	json_object_set_new(db, "supported", json_boolean(d->supported));
	json_object_set_new(db, "reachable", json_boolean(d->reachable));
	json_object_set_new(db, "versioned", json_boolean(d->versioned));
	json_object_set_new(db, "error", jstr_or_null(d->parse_error ? d->parse_error : d->error));
	json_object_set_new(db, "conflict", jstr_or_null(d->conflict));
	json_object_set_new(db, "backend", jstr_or_null(d->backend));
	json_t *cl = json_null();
	if (d->cluster) {
		cl = json_object();
		json_object_set_new(cl, "kind", json_string("galera"));
		json_object_set_new(cl, "size", json_integer(d->cluster_size));
		json_object_set_new(cl, "state", jstr_or_null(d->cluster_state));
		json_object_set_new(cl, "component", jstr_or_null(d->cluster_component));
	}
	json_object_set_new(db, "cluster", cl);
	json_object_set_new(doc, "database", db);

	json_t *cur = json_array();
	for (size_t i = 0; i < d->nheads; i++)
		json_array_append_new(cur, pyjson_str(d->heads[i]));
	json_object_set_new(doc, "current", d->reachable && d->versioned ? cur : (json_decref(cur), json_null()));

	json_t *target = target_json(s, m);
	const struct mf_release *t = s->target ? mf_release(m, s->target) : NULL;
	json_t *heads = json_array();
	for (size_t i = 0; t && i < t->nheads; i++)
		json_array_append_new(heads, json_string(t->heads[i]));
	json_object_set_new(target, "heads", t ? heads : (json_decref(heads), json_null()));
	json_object_set_new(doc, "target", target);

	char *owned;
	const char *why = db_unusable_reason(d, &owned);
	json_t *pending = json_array();
	const char *verdict = "unknown";
	json_t *reason = json_null();
	if (why) {
		reason = pyjson_str(why);
	} else if (!t) {
		reason = json_string("the target release is unknown");
	} else {
		struct mf_path path;
		mf_pending(m, (const char *const *)d->heads, d->nheads, t, &path);
		verdict = db_verdict_name(path.verdict);
		if (path.offending) {
			json_decref(reason);
			reason = pyjson_str(path.offending);
		}
		for (size_t i = 0; i < path.nsteps; i++) {
			const struct mf_migration *mig = path.steps[i];
			json_t *p = json_object();
			json_object_set_new(p, "revision", json_string(mig->revision));
			json_t *down = json_array();
			for (size_t k = 0; k < mig->ndown; k++)
				json_array_append_new(down, json_string(mig->down[k]));
			json_object_set_new(p, "down_revisions", down);
			json_object_set_new(p, "class", json_string(mig_class_name(mig->cls)));
			json_object_set_new(p, "title", json_string(mig->title));
			json_object_set_new(p, "class_reason", json_string(mig->reason));
			json_array_append_new(pending, p);
		}
		mf_path_free(&path);
	}
	free(owned);
	json_object_set_new(doc, "verdict", json_string(verdict));
	json_object_set_new(doc, "reason", reason);
	json_object_set_new(doc, "pending", pending);
	emit(f, doc);
}

const struct output_ops output_json = {
	json_upgrade_check,
	json_nodes,
	json_migrations,
};
