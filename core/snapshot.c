#include "snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "xalloc.h"

const char *node_state_name(enum node_state s)
{
	switch (s) {
	case NS_UNKNOWN: return "unknown";
	case NS_UP: return "up";
	case NS_DRAINED: return "drained";
	case NS_DOWN: return "down";
	case NS_ERROR: return "error";
	}
	return "?";
}

static int state_badness(enum node_state s)
{
	switch (s) {
	case NS_UP: return 0;
	case NS_UNKNOWN: return 1;
	case NS_DRAINED: return 2;
	case NS_DOWN: return 3;
	case NS_ERROR: return 4;
	}
	return 4;
}

enum node_state node_state_worse(enum node_state a, enum node_state b)
{
	return state_badness(a) >= state_badness(b) ? a : b;
}

const char *value_source_name(enum value_source s)
{
	switch (s) {
	case SRC_NONE: return "none";
	case SRC_BUILD: return "build";
	case SRC_REPORT: return "report";
	case SRC_DERIVED: return "derived";
	}
	return "?";
}

void node_obs_clear(struct node_obs *o)
{
	free(o->error);
	free(o->release);
	free(o->build_release);
	free(o->report_release);
	free(o->api_min);
	free(o->api_max);
	free(o->rpc_version);
	free(o->rpc_cap);
	for (size_t i = 0; i < o->nobjects; i++) {
		free(o->objects[i].name);
		free(o->objects[i].version);
	}
	free(o->objects);
	free(o->report_state);
	free(o->report_host);
	free(o->started_at);
	free(o->raw_discovery);
	free(o->raw_report);
	memset(o, 0, sizeof(*o));
	o->data_migrations_remaining = -1;
}

void db_obs_clear(struct db_obs *d)
{
	free(d->option);
	free(d->url_masked);
	free(d->scheme);
	free(d->backend);
	free(d->cluster_state);
	free(d->cluster_component);
	free(d->conflict);
	free(d->parse_error);
	free(d->error);
	for (size_t i = 0; i < d->nheads; i++)
		free(d->heads[i]);
	free(d->heads);
	memset(d, 0, sizeof(*d));
}

void policy_obs_clear(struct policy_obs *p)
{
	free(p->policy_file);
	free(p->path);
	free(p->error);
	memset(p, 0, sizeof(*p));
}

void lock_obs_clear(struct lock_obs *l)
{
	free(l->holder);
	free(l->step);
	free(l->node);
	free(l->user);
	free(l->host);
	free(l->since);
	free(l->lease_until);
	free(l->record_id);
	memset(l, 0, sizeof(*l));
}

void record_obs_clear(struct record_obs *r)
{
	free(r->error);
	journal_records_free(r->recs, r->nrecs);
	memset(r, 0, sizeof(*r));
}

long snapshot_reported_data_migrations(const struct snapshot *s)
{
	long most = -1;
	for (size_t i = 0; i < s->nnodes; i++)
		if (s->nodes[i].obs.data_migrations_remaining > most)
			most = s->nodes[i].obs.data_migrations_remaining;
	return most;
}

void snapshot_init(struct snapshot *s, const struct settings *st)
{
	memset(s, 0, sizeof(*s));
	s->settings = st;
	s->nnodes = st->nnodes;
	s->data_migrations = -1;
	s->nodes = xcalloc(st->nnodes, sizeof(*s->nodes));
	for (size_t i = 0; i < st->nnodes; i++) {
		s->nodes[i].conf = &st->nodes[i];
		node_obs_clear(&s->nodes[i].obs);
	}
}

void snapshot_free(struct snapshot *s)
{
	for (size_t i = 0; i < s->nnodes; i++)
		node_obs_clear(&s->nodes[i].obs);
	free(s->nodes);
	db_obs_clear(&s->db);
	policy_obs_clear(&s->policy);
	lock_obs_clear(&s->lock);
	record_obs_clear(&s->record);
	free(s->data_migrations_source);
	free(s->target);
	free(s->installed_release);
	free(s->installed_where);
	memset(s, 0, sizeof(*s));
}

struct node *snapshot_node(struct snapshot *s, const char *name)
{
	for (size_t i = 0; i < s->nnodes; i++)
		if (strcmp(s->nodes[i].conf->name, name) == 0)
			return &s->nodes[i];
	return NULL;
}

const char *node_host(const struct node *n)
{
	if (n->conf->host_set || !n->obs.report_host || !*n->obs.report_host)
		return n->conf->host;
	return n->obs.report_host;
}

void snapshot_derive(struct snapshot *s, const struct manifest *m)
{
	for (size_t i = 0; i < s->nnodes; i++) {
		struct node_obs *o = &s->nodes[i].obs;
		const struct mf_release *r = o->release ? mf_release(m, o->release) : NULL;
		if (!r)
			continue;
		if (o->rpc_src == SRC_NONE && r->rpc_version) {
			free(o->rpc_version);
			o->rpc_version = xstrdup(r->rpc_version);
			free(o->rpc_cap);
			o->rpc_cap = NULL; /* no release sets an RPC version cap */
			o->rpc_src = SRC_DERIVED;
		}
		if (o->objects_src == SRC_NONE && r->nobjects) {
			o->objects = xcalloc(r->nobjects, sizeof(*o->objects));
			for (size_t j = 0; j < r->nobjects; j++) {
				o->objects[j].name = xstrdup(r->objects[j].name);
				o->objects[j].version = xstrdup(r->objects[j].version);
			}
			o->nobjects = r->nobjects;
			o->objects_src = SRC_DERIVED;
		}
	}
}
