#include "parse.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/version.h"
#include "core/xalloc.h"

static json_t *load(const char *body, size_t len, char **why)
{
	json_error_t e;
	json_t *j = json_loadb(body, len, JSON_DECODE_ANY, &e);
	if (!j)
		*why = xasprintf("invalid JSON at line %d column %d: %s", e.line, e.column, e.text);
	return j;
}

static bool fail(char **why, json_t *j, const char *fmt, const char *arg)
{
	*why = xasprintf(fmt, arg);
	json_decref(j);
	return false;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

/* A value from a node quoted for a message ('...'), cut after 64 bytes (at
 * a character's start) with "... (N bytes)": messages are shown whole. */
static char *shown_value(const char *v)
{
	size_t n = strlen(v), cut = n;
	if (n > 64) {
		cut = 64;
		while (cut > 0 && ((unsigned char)v[cut] & 0xc0) == 0x80)
			cut--;
		return xasprintf("'%.*s'... (%zu bytes)", (int)cut, v, n);
	}
	return xasprintf("'%s'", v);
}

/* A required string member. */
static const char *req_string(json_t *obj, const char *key, char **why)
{
	json_t *v = json_object_get(obj, key);
	if (!v) {
		*why = xasprintf("invalid version report: \"%s\" is missing", key);
		return NULL;
	}
	if (!json_is_string(v)) {
		*why = xasprintf("invalid version report: \"%s\" is %s, not a string", key, type_name(v));
		return NULL;
	}
	return json_string_value(v);
}

bool parse_report(const char *body, size_t len, enum service_kind configured,
		  struct node_obs *o, char **why)
{
	json_t *j = load(body, len, why);
	if (!j) {
		char *w = *why;
		*why = xasprintf("invalid version report: %s", w);
		free(w);
		return false;
	}
	if (!json_is_object(j))
		return fail(why, j, "invalid version report: %s, not an object", type_name(j));

	const char *schema, *service, *release, *state;
	if (!(schema = req_string(j, "schema", why)) || !(service = req_string(j, "service", why)) ||
	    !(release = req_string(j, "release", why)) || !(state = req_string(j, "state", why))) {
		json_decref(j);
		return false;
	}
	if (strcmp(schema, REPORT_SCHEMA) != 0)
		return fail(why, j, "unsupported version report schema '%s' (expected "
			    REPORT_SCHEMA ")", schema);
	enum service_kind k;
	if (!service_parse(service, &k))
		return fail(why, j, "invalid version report: unknown service '%s'", service);
	if (k != configured) {
		*why = xasprintf("reports service %s but is configured as %s", service,
				 service_name(configured));
		json_decref(j);
		return false;
	}
	if (!*release)
		return fail(why, j, "invalid version report: \"release\" is %s", "empty");
	if (!relver_valid(release)) {
		char *shown = shown_value(release);
		*why = xasprintf("invalid version report: \"release\" is not a version: %s", shown);
		free(shown);
		json_decref(j);
		return false;
	}

	enum node_state ns;
	if (strcmp(state, "up") == 0)
		ns = NS_UP;
	else if (strcmp(state, "draining") == 0 || strcmp(state, "stopping") == 0)
		ns = NS_DRAINED;
	else if (strcmp(state, "stopped") == 0)
		ns = NS_DOWN; /* no process of the service runs (barbican-status report) */
	else
		return fail(why, j, "reports state '%s' (expected up, draining, stopping or stopped)",
			    state);

	/* optional members: wrong types make the report invalid too */
	json_t *rpc = json_object_get(j, "rpc");
	const char *rpc_version = NULL, *rpc_cap = NULL;
	if (rpc && !json_is_null(rpc)) {
		if (!json_is_object(rpc))
			return fail(why, j, "invalid version report: \"rpc\" is %s, not an object",
				    type_name(rpc));
		json_t *v = json_object_get(rpc, "version");
		json_t *c = json_object_get(rpc, "cap");
		struct apiver av;
		if (!v || !json_is_string(v) || !apiver_parse(json_string_value(v), &av))
			return fail(why, j, "invalid version report: %s",
				    "\"rpc.version\" must be a version string such as \"1.1\"");
		rpc_version = json_string_value(v);
		if (c && !json_is_null(c)) {
			if (!json_is_string(c) || !apiver_parse(json_string_value(c), &av))
				return fail(why, j, "invalid version report: %s",
					    "\"rpc.cap\" must be null or a version string such as \"1.0\"");
			rpc_cap = json_string_value(c);
		}
	}
	json_t *objs = json_object_get(j, "objects");
	if (objs && !json_is_null(objs)) {
		if (!json_is_object(objs))
			return fail(why, j, "invalid version report: \"objects\" is %s, not an object",
				    type_name(objs));
		const char *name;
		json_t *v;
		json_object_foreach(objs, name, v) {
			struct apiver av;
			if (!json_is_string(v) || !apiver_parse(json_string_value(v), &av))
				return fail(why, j, "invalid version report: object \"%s\" must have a "
					    "version string such as \"1.0\"", name);
		}
	}
	json_t *dm = json_object_get(j, "data_migrations_remaining");
	if (dm && !json_is_null(dm) && (!json_is_integer(dm) || json_integer_value(dm) < 0))
		return fail(why, j, "invalid version report: %s",
			    "\"data_migrations_remaining\" must be a whole number of at least 0");
	json_t *hst = json_object_get(j, "host");
	if (hst && !json_is_null(hst) && !json_is_string(hst))
		return fail(why, j, "invalid version report: \"host\" is %s, not a string",
			    type_name(hst));
	json_t *sa = json_object_get(j, "started_at");
	if (sa && !json_is_null(sa) && !json_is_string(sa))
		return fail(why, j, "invalid version report: \"started_at\" is %s, not a string",
			    type_name(sa));

	/* valid: fill the observation */
	free(o->report_release);
	o->report_release = xstrdup(release);
	free(o->report_state);
	o->report_state = xstrdup(state);
	o->state = ns;
	if (rpc_version) {
		free(o->rpc_version);
		free(o->rpc_cap);
		o->rpc_version = xstrdup(rpc_version);
		o->rpc_cap = xstrdup_or_null(rpc_cap);
		o->rpc_src = SRC_REPORT;
	}
	if (objs && json_is_object(objs)) {
		size_t n = json_object_size(objs), i = 0;
		o->objects = xcalloc(n, sizeof(*o->objects));
		const char *name;
		json_t *v;
		json_object_foreach(objs, name, v) {
			o->objects[i].name = xstrdup(name);
			o->objects[i].version = xstrdup(json_string_value(v));
			i++;
		}
		o->nobjects = n;
		o->objects_src = SRC_REPORT;
	}
	if (dm && json_is_integer(dm))
		o->data_migrations_remaining = (long)json_integer_value(dm);
	if (sa && json_is_string(sa)) {
		free(o->started_at);
		o->started_at = xstrdup(json_string_value(sa));
	}
	if (hst && json_is_string(hst)) {
		free(o->report_host);
		o->report_host = xstrdup(json_string_value(hst));
	}
	/* barbican-status report's optional keys: what it derived from the
	 * release manifest rather than read, and whether a process runs code
	 * older than the installed release */
	json_t *derived = json_object_get(j, "derived");
	size_t di;
	json_t *dv;
	json_array_foreach(derived, di, dv) {
		const char *what = json_string_value(dv);
		if (what && strcmp(what, "rpc") == 0 && o->rpc_src == SRC_REPORT)
			o->rpc_src = SRC_DERIVED;
		if (what && strcmp(what, "objects") == 0 && o->objects_src == SRC_REPORT)
			o->objects_src = SRC_DERIVED;
	}
	o->restart_needed = json_is_true(json_object_get(j, "restart_needed"));
	json_t *pids = json_object_get(j, "pids");
	if (json_is_array(pids) && json_array_size(pids)) {
		o->report_pids = xcalloc(json_array_size(pids), sizeof(long));
		json_array_foreach(pids, di, dv)
			if (json_is_integer(dv))
				o->report_pids[o->nreport_pids++] = (long)json_integer_value(dv);
	}
	json_decref(j);
	return true;
}

bool parse_discovery(const char *body, size_t len, char **min, char **max, char **why)
{
	*min = *max = NULL;
	json_t *j = load(body, len, why);
	if (!j)
		return false;
	json_t *versions = json_is_object(j) ? json_object_get(j, "versions") : NULL;
	/* before microversions: {"versions": {"values": [...]}} */
	if (json_is_object(versions))
		versions = json_object_get(versions, "values");
	if (!json_is_array(versions))
		return fail(why, j, "not a version document: %s", "no \"versions\" list");
	size_t i;
	json_t *v;
	json_array_foreach(versions, i, v) {
		json_t *id = json_object_get(v, "id");
		if (!json_is_string(id) || strcmp(json_string_value(id), "v1") != 0)
			continue;
		json_t *mn = json_object_get(v, "min_version");
		json_t *mx = json_object_get(v, "max_version");
		if (json_is_string(mn) && json_is_string(mx)) {
			*min = xstrdup(json_string_value(mn));
			*max = xstrdup(json_string_value(mx));
		}
		json_decref(j);
		return true;
	}
	return fail(why, j, "not a version document: %s", "no \"v1\" entry");
}

bool parse_build(const char *body, size_t len, char **release, char **why)
{
	*release = NULL;
	json_t *j = load(body, len, why);
	if (!j)
		return false;
	json_t *b = json_is_object(j) ? json_object_get(j, "build") : NULL;
	if (!json_is_string(b) || !*json_string_value(b))
		return fail(why, j, "no release in the ?build answer%s", "");
	if (!relver_valid(json_string_value(b))) {
		char *shown = shown_value(json_string_value(b));
		*why = xasprintf("the ?build answer is not a version: %s", shown);
		free(shown);
		json_decref(j);
		return false;
	}
	*release = xstrdup(json_string_value(b));
	json_decref(j);
	return true;
}

/* --- RabbitMQ's management API -------------------------------------------- */

static bool barbican_program(const char *p, size_t n)
{
	static const char *const progs[] = { "barbican-worker", "barbican-keystone-listener",
					     "barbican-retry" };
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (strlen(progs[i]) == n && memcmp(progs[i], p, n) == 0)
			return true;
	return false;
}

bool parse_rabbit_connections(const char *body, size_t len, struct rabbit_obs *out, char **why)
{
	json_t *j = load(body, len, why);
	if (!j)
		return false;
	if (!json_is_array(j))
		return fail(why, j, "GET /api/connections: expected a list, got %s", type_name(j));
	size_t n = json_array_size(j);
	out->conns = xcalloc(n ? n : 1, sizeof(*out->conns));
	for (size_t i = 0; i < n; i++) {
		json_t *c = json_array_get(j, i);
		json_t *cp = json_object_get(c, "client_properties");
		const char *name = json_string_value(json_object_get(cp, "connection_name"));
		/* oslo.messaging: "<basename of argv[0]>:<pid>:<uuid>" */
		const char *c1 = name ? strchr(name, ':') : NULL;
		const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c1 || !c2 || !barbican_program(name, (size_t)(c1 - name))) {
			out->nother++;
			continue;
		}
		struct rabbit_conn *k = &out->conns[out->nconns++];
		k->program = xstrndup(name, (size_t)(c1 - name));
		char *end;
		long pid = strtol(c1 + 1, &end, 10);
		k->pid = end == c2 && pid > 0 ? pid : 0;
		const char *peer = json_string_value(json_object_get(c, "peer_host"));
		k->peer_host = peer ? xstrdup(peer) : NULL;
		const char *user = json_string_value(json_object_get(c, "user"));
		k->user = user ? xstrdup(user) : NULL;
		const char *vhost = json_string_value(json_object_get(c, "vhost"));
		k->vhost = vhost ? xstrdup(vhost) : NULL;
		json_t *at = json_object_get(c, "connected_at"); /* ms since the epoch */
		if (json_is_integer(at) && json_integer_value(at) > 0) {
			char buf[32];
			record_format_time((time_t)(json_integer_value(at) / 1000), buf);
			k->connected_at = xstrdup(buf);
		}
	}
	json_decref(j);
	return true;
}
