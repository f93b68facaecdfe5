/* fleet.c: the node model of bs-nodesim.
 *
 * Each node is kept as the JSON object that describes it (as read from the
 * fleet file, then merged into by the control endpoint); the effective
 * values are read from it when a request comes, with defaults derived from
 * the node's release where the description leaves a key out. */
#include "sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xalloc.h"

#define REPORT_SCHEMA "barbican-version-report/1"

/* The versioned objects of every release since 10.0.0, all at 1.0. */
static const char *const default_objects[] = {
	"Container", "ContainerACL", "ContainerACLUser", "ContainerConsumerMetadatum",
	"ContainerSecret", "EncryptedDatum", "KEKDatum", "Order",
	"OrderBarbicanMetadatum", "OrderPluginMetadatum", "OrderRetryTask", "Project",
	"ProjectQuotas", "ProjectSecretStore", "Secret", "SecretACL", "SecretACLUser",
	"SecretConsumerMetadatum", "SecretStoreMetadatum", "SecretStores",
	"SecretUserMetadatum", "TransportKey",
};

/* Keys a node may have; the report fields take any JSON value (null leaves
 * the field out of the report), so that tests can make invalid reports. */
static const char *const report_keys[] = {
	"service", "host", "rpc", "objects", "state", "started_at",
	"data_migrations_remaining",
};

static const char *const fault_bool_keys[] = {
	"hang", "invalid_json", "close_early", "refuse",
};

static const char *const fault_uint_keys[] = {
	"slow_ms", "oversized", "drip_ms",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(s, list[i]))
			return true;
	}
	return false;
}

static bool name_ok(const char *s)
{
	if (!*s)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p <= ' ' || *p >= 0x7f || strchr("/?#%\"\\", *p))
			return false;
	}
	return true;
}

static bool is_uint(const json_t *v, json_int_t max)
{
	return json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= max;
}

static char *check_fault(const char *route, const json_t *f)
{
	if (!json_is_object(f))
		return xasprintf("faults[\"%s\"]: not an object", route);
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)f, k, v) {
		if (in_list(k, fault_bool_keys, ARRAY_SIZE(fault_bool_keys))) {
			if (!json_is_boolean(v))
				return xasprintf("faults[\"%s\"].%s: not a boolean", route, k);
			if (!strcmp(k, "refuse") && strcmp(route, "*"))
				return xasprintf("faults[\"%s\"].refuse: a port refuses, not a path: use faults[\"*\"]", route);
		} else if (in_list(k, fault_uint_keys, ARRAY_SIZE(fault_uint_keys))) {
			if (!is_uint(v, (json_int_t)1 << 40))
				return xasprintf("faults[\"%s\"].%s: not a non-negative integer", route, k);
		} else if (!strcmp(k, "status")) {
			if (!json_is_integer(v) || json_integer_value(v) < 200 || json_integer_value(v) > 599)
				return xasprintf("faults[\"%s\"].status: not an HTTP status (200-599)", route);
		} else if (!strcmp(k, "redirect")) {
			const char *u = json_string_value(v);
			if (!u || !*u || strpbrk(u, "\r\n"))
				return xasprintf("faults[\"%s\"].redirect: not a URL", route);
		} else if (k[0] != '_') {
			return xasprintf("faults[\"%s\"]: unknown fault \"%s\"", route, k);
		}
	}
	return NULL;
}

static char *check_api_versions(const json_t *v)
{
	if (json_is_null(v))
		return NULL;
	struct apiver a, b;
	if (!json_is_array(v) || json_array_size(v) != 2
	    || !json_is_string(json_array_get(v, 0)) || !json_is_string(json_array_get(v, 1))
	    || !apiver_parse(json_string_value(json_array_get(v, 0)), &a)
	    || !apiver_parse(json_string_value(json_array_get(v, 1)), &b))
		return xstrdup("api_versions: not null or [\"MIN\", \"MAX\"] (like [\"1.0\", \"1.1\"])");
	if (a.major != b.major || a.minor > b.minor)
		return xstrdup("api_versions: MIN and MAX need the same major version and MIN <= MAX");
	return NULL;
}

char *node_check(const json_t *d)
{
	if (!json_is_object(d))
		return xstrdup("a node is not a JSON object");
	const char *name = json_string_value(json_object_get(d, "name"));
	if (!name || !name_ok(name))
		return xstrdup("name: missing, or not a word (no spaces, '/', '?', '#', '%', quotes)");
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)d, k, v) {
		char *e = NULL;
		if (!strcmp(k, "name") || k[0] == '_'
		    || in_list(k, report_keys, ARRAY_SIZE(report_keys))) {
			continue;
		} else if (!strcmp(k, "port")) {
			if (desc_kind(d) == KIND_NONE) {
				if (!json_is_null(v) && !(json_is_integer(v) && json_integer_value(v) == 0))
					e = xstrdup("port: a node of kind \"none\" listens on no port (0, null or leave it out)");
			} else if (!is_uint(v, 65535)) {
				e = xstrdup("port: not an integer 0-65535");
			}
		} else if (!strcmp(k, "kind")) {
			const char *s = json_string_value(v);
			if (!s || (strcmp(s, "api") && strcmp(s, "report") && strcmp(s, "api+report")
				   && strcmp(s, "none")))
				e = xstrdup("kind: not \"api\", \"report\", \"api+report\" or \"none\"");
		} else if (!strcmp(k, "release")) {
			if (!json_is_string(v) || !*json_string_value(v))
				e = xstrdup("release: not a string");
		} else if (!strcmp(k, "api_versions")) {
			e = check_api_versions(v);
		} else if (!strcmp(k, "health")) {
			json_int_t h = json_integer_value(v);
			if (!json_is_integer(v) || (h != 200 && h != 503 && h != 404))
				e = xstrdup("health: not 200, 503 or 404");
		} else if (!strcmp(k, "report_path")) {
			const char *s = json_string_value(v);
			if (!s || s[0] != '/' || strpbrk(s, "?# \t\r\n"))
				e = xstrdup("report_path: not a path (\"/version-report\")");
		} else if (!strcmp(k, "host_href")) {
			if (!json_is_string(v))
				e = xstrdup("host_href: not a string");
		} else if (!strcmp(k, "content_length")) {
			if (!json_is_boolean(v))
				e = xstrdup("content_length: not a boolean");
		} else if (!strcmp(k, "report_extra")) {
			if (!json_is_object(v) && !json_is_null(v))
				e = xstrdup("report_extra: not an object");
		} else if (!strcmp(k, "report_raw")) {
			if (!json_is_string(v) && !json_is_null(v))
				e = xstrdup("report_raw: not a string");
		} else if (!strcmp(k, "faults")) {
			if (json_is_null(v))
				continue;
			if (!json_is_object(v)) {
				e = xstrdup("faults: not an object");
			} else {
				const char *route;
				const json_t *f;
				json_object_foreach((json_t *)v, route, f) {
					if ((e = check_fault(route, f)))
						break;
				}
			}
		} else {
			e = xasprintf("unknown key \"%s\"", k);
		}
		if (e) {
			char *m = xasprintf("node %s: %s", name, e);
			free(e);
			return m;
		}
	}
	if (!json_is_string(json_object_get(d, "release")))
		return xasprintf("node %s: release: missing", name);
	return NULL;
}

int fleet_load(struct fleet *f, const char *path, char **err)
{
	memset(f, 0, sizeof(*f));
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		*err = xasprintf("%s:%d: %s", path, je.line, je.text);
		return -1;
	}
	json_t *nodes = json_object_get(root, "nodes");
	if (!json_is_object(root) || !json_is_array(nodes)) {
		*err = xasprintf("%s: not an object with a \"nodes\" array", path);
		json_decref(root);
		return -1;
	}
	f->n = json_array_size(nodes);
	f->nodes = xcalloc(f->n ? f->n : 1, sizeof(*f->nodes));
	int64_t now = time(NULL);
	for (size_t i = 0; i < f->n; i++) {
		struct node *n = &f->nodes[i];
		n->fd = -1;
		n->started_at = now;
		json_t *d = json_array_get(nodes, i);
		char *e = node_check(d);
		if (e) {
			*err = xasprintf("%s: nodes[%zu]: %s", path, i, e);
			free(e);
			f->n = i;
			goto fail;
		}
		n->desc = json_deep_copy(d);
		n->name = xstrdup(json_string_value(json_object_get(d, "name")));
		n->port = (int)json_integer_value(json_object_get(d, "port"));   /* null: 0 */
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(f->nodes[j].name, n->name)) {
				*err = xasprintf("%s: two nodes named %s", path, n->name);
				f->n = i + 1;
				goto fail;
			}
			if (n->port && f->nodes[j].port == n->port) {
				*err = xasprintf("%s: nodes %s and %s both have port %d", path,
					f->nodes[j].name, n->name, n->port);
				f->n = i + 1;
				goto fail;
			}
		}
	}
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	fleet_free(f);
	return -1;
}

void fleet_free(struct fleet *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct node *n = &f->nodes[i];
		free(n->name);
		json_decref(n->desc);
		json_decref(n->upgrade);
		free(n->upgrade_from);
	}
	free(f->nodes);
	f->nodes = NULL;
	f->n = 0;
}

struct node *fleet_find(struct fleet *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++) {
		if (!strcmp(f->nodes[i].name, name))
			return &f->nodes[i];
	}
	return NULL;
}

const char *node_release(const struct node *n)
{
	const char *r = json_string_value(json_object_get(n->desc, "release"));
	return r ? r : "";
}

static long release_major(const struct node *n)
{
	struct relver v;
	return relver_parse(node_release(n), &v) ? v.part[0] : 0;
}

unsigned desc_kind(const json_t *desc)
{
	const char *k = json_string_value(json_object_get(desc, "kind"));
	if (!k || !strcmp(k, "api"))
		return KIND_API;
	if (!strcmp(k, "report"))
		return KIND_REPORT;
	if (!strcmp(k, "none"))
		return KIND_NONE;
	return KIND_API | KIND_REPORT;
}

unsigned node_kind(const struct node *n)
{
	return desc_kind(n->desc);
}

int node_health(const struct node *n)
{
	const json_t *h = json_object_get(n->desc, "health");
	if (json_is_integer(h))
		return (int)json_integer_value(h);
	/* oslo.middleware's healthcheck is in the paste pipeline from 12.0.0 */
	return release_major(n) >= 12 ? 200 : 404;
}

bool node_api_versions(const struct node *n, struct apiver *min, struct apiver *max)
{
	const json_t *v = json_object_get(n->desc, "api_versions");
	if (!v) {
		/* microversions 1.0..1.1 since 15.0.0, none before */
		if (release_major(n) < 15)
			return false;
		min->major = max->major = 1;
		min->minor = 0;
		max->minor = 1;
		return true;
	}
	if (json_is_null(v))
		return false;
	return apiver_parse(json_string_value(json_array_get(v, 0)), min)
		&& apiver_parse(json_string_value(json_array_get(v, 1)), max);
}

const char *node_report_path(const struct node *n)
{
	const char *p = json_string_value(json_object_get(n->desc, "report_path"));
	return p ? p : "/version-report";
}

bool node_content_length(const struct node *n)
{
	return json_is_true(json_object_get(n->desc, "content_length"));
}

const json_t *node_fault(const struct node *n, const char *route)
{
	const json_t *faults = json_object_get(n->desc, "faults");
	if (!json_is_object(faults))
		return NULL;
	const json_t *f = route ? json_object_get(faults, route) : NULL;
	if (!f)
		f = json_object_get(faults, "*");
	return json_is_object(f) ? f : NULL;
}

bool node_refuses(const struct node *n)
{
	const json_t *faults = json_object_get(n->desc, "faults");
	return json_is_true(json_object_get(json_object_get(faults, "*"), "refuse"));
}

static void iso_time(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Set key from the description, else to def (stolen); null leaves it out. */
static void report_field(json_t *r, const struct node *n, const char *key, json_t *def)
{
	json_t *v = json_object_get(n->desc, key);
	if (!v) {
		json_object_set_new(r, key, def);
		return;
	}
	json_decref(def);
	if (!json_is_null(v))
		json_object_set(r, key, v);
}

json_t *node_report(const struct node *n)
{
	json_t *r = json_object();
	json_object_set_new(r, "schema", json_string(REPORT_SCHEMA));
	report_field(r, n, "service", json_string(node_kind(n) & KIND_API ? "barbican-api" : "barbican-worker"));
	report_field(r, n, "host", json_string(n->name));
	json_object_set_new(r, "release", json_string(node_release(n)));
	report_field(r, n, "rpc", json_pack("{s:s, s:n}", "version", "1.1", "cap"));
	json_t *objs = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(default_objects); i++)
		json_object_set_new(objs, default_objects[i], json_string("1.0"));
	report_field(r, n, "objects", objs);
	report_field(r, n, "state", json_string("up"));
	char when[32];
	iso_time(n->started_at, when, sizeof(when));
	report_field(r, n, "started_at", json_string(when));
	report_field(r, n, "data_migrations_remaining", json_integer(0));
	json_t *extra = json_object_get(n->desc, "report_extra");
	if (json_is_object(extra))
		json_object_update(r, extra);
	return r;
}

static const char *phase_name(enum upgrade_phase p)
{
	switch (p) {
	case UPG_DRAINING: return "draining";
	case UPG_DOWN: return "down";
	case UPG_UP: return "up";
	case UPG_FAILED: return "failed";
	default: return "none";
	}
}

json_t *node_to_json(const struct node *n)
{
	json_t *o = json_deep_copy(n->desc);
	unsigned k = node_kind(n);
	/* a node of kind none has no port at all */
	json_object_set_new(o, "port", k == KIND_NONE ? json_null() : json_integer(n->port));
	json_object_set_new(o, "kind", json_string(k == KIND_NONE ? "none" : k == KIND_API ? "api"
		: k == KIND_REPORT ? "report" : "api+report"));
	json_object_set_new(o, "health", json_integer(node_health(n)));
	struct apiver a, b;
	if (node_api_versions(n, &a, &b)) {
		char sa[48], sb[48];
		snprintf(sa, sizeof(sa), "%ld.%ld", a.major, a.minor);
		snprintf(sb, sizeof(sb), "%ld.%ld", b.major, b.minor);
		json_object_set_new(o, "api_versions", json_pack("[s, s]", sa, sb));
	} else {
		json_object_set_new(o, "api_versions", json_null());
	}
	if (k & KIND_REPORT)
		json_object_set_new(o, "report_path", json_string(node_report_path(n)));
	json_object_set_new(o, "listening", json_boolean(n->listening));
	json_object_set_new(o, "requests", json_integer((json_int_t)n->requests));
	if (n->phase == UPG_NONE) {
		json_object_set_new(o, "upgrade", json_null());
	} else {
		json_object_set_new(o, "upgrade", json_pack("{s:s, s:s?, s:s}",
			"phase", phase_name(n->phase),
			"from", n->upgrade_from,
			"to", json_string_value(json_object_get(n->upgrade, "release"))));
	}
	return o;
}
