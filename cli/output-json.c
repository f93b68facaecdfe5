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
#include "core/strbuf.h"
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

/* One node, written as json.dumps would write its object (no jansson tree:
 * there may be 20,000 of them). */
static void node_write(struct pyjw *w, const struct snapshot *s, const struct manifest *m,
		       const struct node *n)
{
	const struct node_obs *o = &n->obs;
	pyjw_object(w);
	pyjw_kstr(w, "name", n->conf->name);
	pyjw_kstr(w, "service", service_name(n->conf->service));
	pyjw_kstr(w, "host", node_host(n));
	/* a password in a node's URL is never shown */
	char *url = url_masked(n->conf->url), *report_url = url_masked(n->conf->report_url);
	pyjw_kstr(w, "url", url);
	pyjw_kstr(w, "report_url", report_url);
	free(url);
	free(report_url);
	pyjw_kstr(w, "state", node_state_name(o->state));
	pyjw_kstr(w, "error", o->error);
	pyjw_kstr(w, "release", o->release);
	pyjw_kstr(w, "release_source", o->release ? value_source_name(o->release_src) : NULL);
	pyjw_kstr(w, "build_release", o->build_release);
	pyjw_kstr(w, "report_release", o->report_release);
	pyjw_kbool(w, "release_conflict", o->release_conflict);
	bool listed = false;
	enum rel_relation rel = REL_UNKNOWN;
	if (o->release && s->target)
		rel = mf_relate(m, o->release, s->target, &listed);
	else if (o->release)
		listed = mf_release(m, o->release) != NULL;
	if (o->release)
		pyjw_kbool(w, "release_in_manifest", listed);
	else
		pyjw_kstr(w, "release_in_manifest", NULL);
	pyjw_kstr(w, "skew", o->release && s->target ? rel_relation_name(rel) : NULL);
	pyjw_key(w, "api_microversions");
	if (o->api_min) {
		pyjw_object(w);
		pyjw_kstr(w, "min", o->api_min);
		pyjw_kstr(w, "max", o->api_max);
		pyjw_end(w);
	} else {
		pyjw_null(w);
	}
	pyjw_kint(w, "healthcheck_status", o->health_status != 0, o->health_status);
	pyjw_key(w, "rpc");
	if (o->rpc_version) {
		pyjw_object(w);
		pyjw_kstr(w, "version", o->rpc_version);
		pyjw_kstr(w, "cap", o->rpc_cap);
		pyjw_kstr(w, "source", value_source_name(o->rpc_src));
		pyjw_end(w);
	} else {
		pyjw_null(w);
	}
	/* the names are a JSON object's keys (a report's, or the manifest's):
	 * each once */
	pyjw_key(w, "objects");
	pyjw_object(w);
	for (size_t i = 0; i < o->nobjects; i++)
		pyjw_kstr(w, o->objects[i].name, o->objects[i].version);
	pyjw_end(w);
	pyjw_kstr(w, "objects_source", o->nobjects ? value_source_name(o->objects_src) : NULL);
	pyjw_kstr(w, "report_state", o->report_state);
	pyjw_kstr(w, "started_at", o->started_at);
	pyjw_kint(w, "data_migrations_remaining", o->data_migrations_remaining >= 0,
		  o->data_migrations_remaining);
	pyjw_key(w, "latency_ms");
	if (o->probed && o->seen_wall)
		pyjw_tenths(w, llround(o->latency_ms * 10.0));
	else
		pyjw_null(w);
	/* a host's report (barbican-status report): its processes, and whether
	 * one runs code older than the installed release */
	pyjw_kbool(w, "restart_needed", o->restart_needed);
	pyjw_key(w, "pids");
	pyjw_array(w);
	for (size_t i = 0; i < o->nreport_pids; i++)
		pyjw_int(w, o->report_pids[i]);
	pyjw_end(w);
	pyjw_kstr(w, "report_command", n->conf->report_command);
	pyjw_kint(w, "report_age_s", o->report_cmd_at != 0,
		  (long long)(time(NULL) - o->report_cmd_at));
	pyjw_key(w, "rabbitmq");
	if (n->rabbit.asked) {
		pyjw_object(w);
		pyjw_kint(w, "connections", true, (long long)n->rabbit.nconns);
		pyjw_key(w, "pids");
		pyjw_array(w);
		for (size_t i = 0; i < n->rabbit.nconns; i++)
			pyjw_int(w, n->rabbit.pids[i]);
		pyjw_end(w);
		pyjw_kstr(w, "connected_since", n->rabbit.since);
		pyjw_end(w);
	} else {
		pyjw_null(w);
	}
	pyjw_end(w);
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

/* The document is written as json.dumps writes it, the nodes as they go
 * (node_write): the text of 20,000 nodes is never held in memory at once,
 * and no jansson tree is made of them. */
static void json_nodes(FILE *f, const struct snapshot *s, const struct manifest *m)
{
	fputs("{\"schema\": ", f);
	put(f, json_string(SCHEMA_NODES));
	fputs(", \"target\": ", f);
	put(f, target_json(s, m));
	fputs(", \"nodes\": ", f);
	struct strbuf sb = STRBUF_INIT;
	struct pyjw w;
	pyjw_init(&w, &sb);
	pyjw_array(&w);
	for (size_t i = 0; i < s->nnodes; i++) {
		node_write(&w, s, m, &s->nodes[i]);
		if (sb.len >= 64 * 1024) {
			fwrite(sb.buf, 1, sb.len, f);
			sb_reset(&sb);
		}
	}
	pyjw_end(&w);
	fwrite(sb.buf, 1, sb.len, f);
	sb_free(&sb);
	fputs(", ", f);
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
