#include "snapshot.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "strmap.h"
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

struct node_obs *node_cmd_obs(struct node *n)
{
	if (!n->from_cmd) {
		n->from_cmd = xcalloc(1, sizeof(*n->from_cmd));
		node_obs_clear(n->from_cmd); /* the defaults of an empty observation */
	}
	return n->from_cmd;
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
	free(o->rabbit_pids);
	free(o->rabbit_since);
	free(o->report_pids);
	memset(o, 0, sizeof(*o));
	o->data_migrations_remaining = -1;
}

void node_obs_copy(struct node_obs *d, const struct node_obs *s)
{
	*d = *s;
	d->error = xstrdup_or_null(s->error);
	d->release = xstrdup_or_null(s->release);
	d->build_release = xstrdup_or_null(s->build_release);
	d->report_release = xstrdup_or_null(s->report_release);
	d->api_min = xstrdup_or_null(s->api_min);
	d->api_max = xstrdup_or_null(s->api_max);
	d->rpc_version = xstrdup_or_null(s->rpc_version);
	d->rpc_cap = xstrdup_or_null(s->rpc_cap);
	d->objects = NULL;
	if (s->nobjects) {
		d->objects = xcalloc(s->nobjects, sizeof(*d->objects));
		for (size_t i = 0; i < s->nobjects; i++) {
			d->objects[i].name = xstrdup(s->objects[i].name);
			d->objects[i].version = xstrdup(s->objects[i].version);
		}
	}
	d->report_state = xstrdup_or_null(s->report_state);
	d->report_host = xstrdup_or_null(s->report_host);
	d->started_at = xstrdup_or_null(s->started_at);
	d->raw_discovery = xstrdup_or_null(s->raw_discovery);
	d->raw_report = xstrdup_or_null(s->raw_report);
	d->rabbit_pids = NULL;
	if (s->rabbit_connections && s->rabbit_pids) {
		d->rabbit_pids = xcalloc(s->rabbit_connections, sizeof(long));
		memcpy(d->rabbit_pids, s->rabbit_pids, s->rabbit_connections * sizeof(long));
	}
	d->rabbit_since = xstrdup_or_null(s->rabbit_since);
	d->report_pids = NULL;
	if (s->nreport_pids) {
		d->report_pids = xcalloc(s->nreport_pids, sizeof(long));
		memcpy(d->report_pids, s->report_pids, s->nreport_pids * sizeof(long));
	}
}

bool node_observable(const struct node_conf *c)
{
	return c->url || c->report_url || c->report_command;
}

static void add_error(struct node_obs *o, const char *e)
{
	if (!e)
		return;
	char *joined = o->error ? xasprintf("%s; %s", o->error, e) : xstrdup(e);
	free(o->error);
	o->error = joined;
}

/* The report fields of a report_command's answer over o. */
static void take_report(struct node_obs *o, const struct node_obs *r)
{
	struct node_obs c;
	node_obs_copy(&c, r);
#define MOVE(f) do { free(o->f); o->f = c.f; c.f = NULL; } while (0)
	MOVE(report_release);
	MOVE(report_state);
	MOVE(report_host);
	MOVE(started_at);
	MOVE(raw_report);
	if (c.rpc_src == SRC_REPORT) {
		MOVE(rpc_version);
		MOVE(rpc_cap);
		o->rpc_src = SRC_REPORT;
	}
#undef MOVE
	if (c.objects_src == SRC_REPORT) {
		for (size_t i = 0; i < o->nobjects; i++) {
			free(o->objects[i].name);
			free(o->objects[i].version);
		}
		free(o->objects);
		o->objects = c.objects;
		o->nobjects = c.nobjects;
		o->objects_src = SRC_REPORT;
		c.objects = NULL;
		c.nobjects = 0;
	}
	o->data_migrations_remaining = c.data_migrations_remaining;
	o->report_cmd_at = c.report_cmd_at;
	o->restart_needed = c.restart_needed;
	free(o->report_pids);
	o->report_pids = c.report_pids;
	o->nreport_pids = c.nreport_pids;
	c.report_pids = NULL;
	c.nreport_pids = 0;
	node_obs_clear(&c);
}

static bool uses_rabbit(const struct node_conf *c)
{
	return c->service != SVC_API;
}

void node_merge(struct node *n)
{
	const struct node_conf *nc = n->conf;
	bool http = nc->url || nc->report_url, cmd = nc->report_command != NULL;
	const struct node_obs *fc = n->from_cmd;
	struct node_obs o;
	if (http) {
		node_obs_copy(&o, &n->from_http);
	} else if (cmd && fc) {
		node_obs_copy(&o, fc);
	} else if (cmd) {
		memset(&o, 0, sizeof(o));
		node_obs_clear(&o);
	} else {
		memset(&o, 0, sizeof(o));
		o.data_migrations_remaining = -1;
		o.seen = n->obs.seen;
		o.seen_wall = n->obs.seen_wall;
	}
	if (http && cmd && fc && fc->probed) {
		take_report(&o, fc);
		o.state = node_state_worse(o.state, fc->state);
		add_error(&o, fc->error);
		o.probed = true;
	}
	const struct node_rabbit *r = &n->rabbit;
	if (uses_rabbit(nc) && (r->asked || r->error)) {
		bool alone = !http && !cmd;
		if (r->error) {
			if (alone)
				o.state = NS_UNKNOWN;
			add_error(&o, r->error);
		} else {
			enum node_state rs = r->nconns ? NS_UP : NS_DOWN;
			o.state = alone || !o.probed ? rs : node_state_worse(o.state, rs);
			o.probed = true;
			if (!r->nconns) {
				char *e = xasprintf("no RabbitMQ connection of %s from %s", 
						    service_name(nc->service), nc->host ? nc->host : "its host");
				add_error(&o, e);
				free(e);
			}
			o.rabbit_connections = r->nconns;
			free(o.rabbit_pids);
			o.rabbit_pids = NULL;
			if (r->nconns) {
				o.rabbit_pids = xcalloc(r->nconns, sizeof(long));
				memcpy(o.rabbit_pids, r->pids, r->nconns * sizeof(long));
			}
			free(o.rabbit_since);
			o.rabbit_since = xstrdup_or_null(r->since);
		}
	}
	/* the release: the report's (HTTP or command) over ?build's */
	if (!http && cmd) {
		/* from_cmd already set it */
	} else if (o.report_release && (!o.release || o.release_src != SRC_REPORT)) {
		free(o.release);
		o.release = xstrdup(o.report_release);
		o.release_src = SRC_REPORT;
		o.release_conflict = o.build_release && strcmp(o.build_release, o.report_release) != 0;
	}
	node_obs_clear(&n->obs);
	n->obs = o;
}

static bool is_loopback(const char *a)
{
	return strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0 ||
	       strncmp(a, "::ffff:127.", 11) == 0 || strcmp(a, "localhost") == 0;
}

static bool conn_belongs(const struct rabbit_conn *k, const struct node *n)
{
	if (!k->program || strcmp(k->program, service_name(n->conf->service)) != 0 || !k->peer_host)
		return false;
	if (is_loopback(k->peer_host))
		return n->is_local;
	if (n->conf->host && strcmp(n->conf->host, k->peer_host) == 0)
		return true;
	for (size_t i = 0; i < n->naddrs; i++)
		if (strcmp(n->addrs[i], k->peer_host) == 0)
			return true;
	return false;
}

static void take_conn(struct node_rabbit *r, struct rabbit_conn *c)
{
	c->matched = true;
	r->pids = xreallocarray(r->pids, r->nconns + 1, sizeof(*r->pids));
	r->pids[r->nconns++] = c->pid;
	if (c->connected_at && (!r->since || strcmp(c->connected_at, r->since) < 0)) {
		free(r->since);
		r->since = xstrdup(c->connected_at);
	}
}

/* "program\0peer", the key of the connections index. */
static char *conn_key(const char *program, const char *peer, size_t *len)
{
	size_t a = strlen(program), b = strlen(peer);
	char *k = xmalloc(a + 1 + b + 1);
	memcpy(k, program, a + 1);
	memcpy(k + a + 1, peer, b + 1);
	*len = a + 1 + b;
	return k;
}

void snapshot_apply_rabbit(struct snapshot *s)
{
	struct rabbit_obs *ro = &s->rabbit;
	/* the connections by (program, peer), chained; loopback ones apart */
	struct strmap first = { 0 };
	size_t *next = xcalloc(ro->nconns ? ro->nconns : 1, sizeof(*next));
	size_t *last = xcalloc(ro->nconns ? ro->nconns : 1, sizeof(*last));
	for (size_t k = 0; k < ro->nconns; k++) {
		struct rabbit_conn *c = &ro->conns[k];
		c->matched = false;
		next[k] = SIZE_MAX;
		if (!c->program || !c->peer_host || is_loopback(c->peer_host))
			continue;
		size_t len, f;
		char *key = conn_key(c->program, c->peer_host, &len);
		if (strmap_get(&first, key, len, &f)) {
			next[last[f]] = k;
			last[f] = k;
		} else {
			strmap_put(&first, key, len, k);
			last[k] = k;
		}
		free(key);
	}
	for (size_t i = 0; i < s->nnodes; i++) {
		struct node *n = &s->nodes[i];
		struct node_rabbit *r = &n->rabbit;
		free(r->error);
		free(r->pids);
		free(r->since);
		memset(r, 0, sizeof(*r));
		if (!ro->configured || !ro->probed || !uses_rabbit(n->conf)) {
			node_merge(n);
			continue;
		}
		if (ro->error) {
			r->error = xasprintf("RabbitMQ's management API: %s", ro->error);
			node_merge(n);
			continue;
		}
		r->asked = true;
		const char *prog = service_name(n->conf->service);
		/* its host as written, then each address it resolves to */
		size_t nnames = n->naddrs + (n->conf->host ? 1 : 0);
		for (size_t a = 0; a < nnames; a++) {
			const char *peer = a < n->naddrs ? n->addrs[a] : n->conf->host;
			bool again = false; /* a numeric host is also its own address */
			for (size_t b = 0; b < a && !again; b++)
				again = strcmp(b < n->naddrs ? n->addrs[b] : n->conf->host, peer) == 0;
			size_t len, k;
			char *key = conn_key(prog, peer, &len);
			bool found = !again && strmap_get(&first, key, len, &k);
			free(key);
			for (; found && k != SIZE_MAX; k = next[k])
				take_conn(r, &ro->conns[k]);
		}
		if (n->is_local)
			for (size_t k = 0; k < ro->nconns; k++)
				if (ro->conns[k].peer_host && is_loopback(ro->conns[k].peer_host) &&
				    conn_belongs(&ro->conns[k], n))
					take_conn(r, &ro->conns[k]);
		node_merge(n);
	}
	strmap_free(&first);
	free(next);
	free(last);
}

void rabbit_obs_clear(struct rabbit_obs *r)
{
	free(r->error);
	for (size_t i = 0; i < r->nconns; i++) {
		free(r->conns[i].program);
		free(r->conns[i].peer_host);
		free(r->conns[i].connected_at);
		free(r->conns[i].user);
		free(r->conns[i].vhost);
	}
	free(r->conns);
	bool configured = r->configured;
	memset(r, 0, sizeof(*r));
	r->configured = configured;
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

void snapshot_data_migrations(struct snapshot *s)
{
	free(s->data_migrations_source);
	s->data_migrations_source = NULL;
	if (s->settings && s->settings->count_command) {
		s->data_migrations = s->count_rows;
		if (s->count_rows >= 0)
			s->data_migrations_source = xstrdup("[data_migrations] count_command");
		else if (s->count_error)
			s->data_migrations_source = xstrdup(s->count_error);
		return;
	}
	s->data_migrations = snapshot_reported_data_migrations(s);
	if (s->data_migrations >= 0)
		s->data_migrations_source = xstrdup("the version reports");
}

void snapshot_init(struct snapshot *s, const struct settings *st)
{
	memset(s, 0, sizeof(*s));
	s->settings = st;
	s->nnodes = st->nnodes;
	s->data_migrations = -1;
	s->count_rows = -1;
	s->nodes = xcalloc(st->nnodes, sizeof(*s->nodes));
	for (size_t i = 0; i < st->nnodes; i++) {
		s->nodes[i].conf = &st->nodes[i];
		node_obs_clear(&s->nodes[i].obs);
		node_obs_clear(&s->nodes[i].from_http);
	}
	s->rabbit.configured = st->rabbit_url != NULL;
}

void snapshot_free(struct snapshot *s)
{
	for (size_t i = 0; i < s->nnodes; i++) {
		struct node *n = &s->nodes[i];
		node_obs_clear(&n->obs);
		node_obs_clear(&n->from_http);
		if (n->from_cmd) {
			node_obs_clear(n->from_cmd);
			free(n->from_cmd);
		}
		free(n->rabbit.error);
		free(n->rabbit.pids);
		free(n->rabbit.since);
		for (size_t a = 0; a < n->naddrs; a++)
			free(n->addrs[a]);
		free(n->addrs);
	}
	rabbit_obs_clear(&s->rabbit);
	free(s->nodes);
	db_obs_clear(&s->db);
	policy_obs_clear(&s->policy);
	lock_obs_clear(&s->lock);
	record_obs_clear(&s->record);
	free(s->data_migrations_source);
	free(s->count_error);
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
	snapshot_data_migrations(s);
}
