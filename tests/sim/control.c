/* control.c: the control endpoint of bs-nodesim (HTTP on 127.0.0.1).
 *
 *   GET  /fleet                 {"nodes": [NODE, ...]}
 *   GET  /nodes/NAME            NODE
 *   POST /nodes/NAME            merge a JSON object into the node -> 200 NODE
 *   POST /nodes[?kind=K]        merge a JSON object into every node of kind
 *                               K (report, api, none, all; default report),
 *                               all or none of them -> 200 {"kind",
 *                               "matched", "changed", "nodes": [NAME, ...]}
 *   POST /nodes/NAME/upgrade    {"release": R, "drain_ms": N, "down_ms": N, ...}
 *                               -> 202 NODE, then: drained (health 503,
 *                               report state "draining"), down (its port
 *                               refuses connections), up again on the same
 *                               port at release R with the other keys of the
 *                               request merged in; a node of kind "none"
 *                               goes through the same phases on no port
 *
 * Errors are {"error": "..."} with 400, 404, 405 or 409. */
#include "sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xalloc.h"

#define DEFAULT_DRAIN_MS 300
#define DEFAULT_DOWN_MS 500
#define RELISTEN_RETRY_MS 100
#define RELISTEN_GIVE_UP_MS 5000

/* Keys node_to_json() adds that a merge ignores (GET output posted back). */
static const char *const output_only[] = { "listening", "requests", "upgrade" };

static void reply_json(struct response *r, int status, json_t *o)
{
	r->status = status;
	char *s = json_dumps(o, JSON_ENSURE_ASCII);
	sb_addstr(&r->body, s ? s : "{}");
	sb_addch(&r->body, '\n');
	free(s);
	json_decref(o);
}

static void reply_error(struct response *r, int status, const char *fmt, ...) BS_PRINTF(3, 4);

static void reply_error(struct response *r, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	reply_json(r, status, json_pack("{s:s}", "error", m));
	free(m);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *pct_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '%' && i + 2 < n
		    && (hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0) {
			out[j++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[j++] = s[i];
		}
	}
	out[j] = '\0';
	return out;
}

static json_t *parse_object(const char *body, size_t len, struct response *r)
{
	json_error_t je;
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		reply_error(r, 400, "invalid JSON: %s", je.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		reply_error(r, 400, "not a JSON object");
		return NULL;
	}
	return o;
}

/* desc updated with patch, or NULL with an error reply. */
static json_t *merged_desc(struct node *n, const json_t *patch, struct response *r)
{
	bool none = node_kind(n) == KIND_NONE;
	const json_t *name = json_object_get(patch, "name");
	const json_t *port = json_object_get(patch, "port");
	/* a node of kind none shows "port": null (posting it back is fine) */
	bool port_same = !port
		|| (json_is_integer(port) && json_integer_value(port) == n->port)
		|| (none && json_is_null(port));
	if ((name && !json_equal(name, json_object_get(n->desc, "name"))) || !port_same) {
		reply_error(r, 400, "node %s: name and port cannot change", n->name);
		return NULL;
	}
	json_t *m = json_deep_copy(n->desc);
	json_object_update(m, (json_t *)patch);
	for (size_t i = 0; i < ARRAY_SIZE(output_only); i++)
		json_object_del(m, output_only[i]);
	if (none)
		json_object_del(m, "port");
	char *e = NULL;
	/* a port cannot appear or vanish: kind none stays kind none */
	if (!none && desc_kind(m) == KIND_NONE)
		e = xasprintf("node %s: kind cannot change to or from \"none\"", n->name);
	else if (!(e = node_check(m)) && none && desc_kind(m) != KIND_NONE)
		e = xasprintf("node %s: kind cannot change to or from \"none\"", n->name);
	if (e) {
		reply_error(r, 400, "%s", e);
		free(e);
		json_decref(m);
		return NULL;
	}
	return m;
}

static void node_set(struct server *s, struct node *n, const char *body, size_t len, struct response *r)
{
	json_t *patch = parse_object(body, len, r);
	if (!patch)
		return;
	json_t *m = merged_desc(n, patch, r);
	json_decref(patch);
	if (!m)
		return;
	json_decref(n->desc);
	n->desc = m;
	if (server_node_sync(s, n, false) < 0) {
		reply_error(r, 500, "node %s: cannot listen on port %d again", n->name, n->port);
		return;
	}
	reply_json(r, 200, node_to_json(n));
}

/* The value of the query parameter name (decoded; caller frees), NULL when
 * absent. */
static char *query_param(const char *q, const char *name)
{
	size_t nl = strlen(name);
	while (q && *q) {
		size_t len = strcspn(q, "&;");
		if (len > nl && !strncmp(q, name, nl) && q[nl] == '=')
			return pct_decode(q + nl + 1, len - nl - 1);
		q += len;
		if (*q)
			q++;
	}
	return NULL;
}

static bool kind_selected(unsigned k, const char *sel)
{
	if (!strcmp(sel, "all"))
		return true;
	if (!strcmp(sel, "report"))
		return k & KIND_REPORT;
	if (!strcmp(sel, "api"))
		return k & KIND_API;
	return k == KIND_NONE;
}

/* POST /nodes[?kind=K]: the patch merged into every selected node, or into
 * none of them when one would become invalid. */
static void nodes_set_all(struct server *s, const struct http_req *req, const char *body, size_t len, struct response *r)
{
	char *sel = query_param(req->query, "kind");
	const char *kind = sel ? sel : "report";
	json_t *patch = NULL;
	json_t **merged = NULL;
	json_int_t matched = 0;
	json_t *changed = NULL;
	const char *sync_failed = NULL;
	struct fleet *f = server_fleet(s);
	if (strcmp(kind, "report") && strcmp(kind, "api") && strcmp(kind, "none") && strcmp(kind, "all")) {
		reply_error(r, 400, "set-all: kind: not report, api, none or all");
		goto out;
	}
	if (!(patch = parse_object(body, len, r)))
		goto out;
	if (json_object_get(patch, "name") || json_object_get(patch, "port")) {
		reply_error(r, 400, "set-all: name and port are a node's own");
		goto out;
	}
	merged = xcalloc(f->n ? f->n : 1, sizeof(*merged));
	for (size_t i = 0; i < f->n; i++) {
		struct node *n = &f->nodes[i];
		if (!kind_selected(node_kind(n), kind))
			continue;
		if (!(merged[i] = merged_desc(n, patch, r)))
			goto out;   /* nothing has changed */
		matched++;
	}
	changed = json_array();
	for (size_t i = 0; i < f->n; i++) {
		struct node *n = &f->nodes[i];
		if (!merged[i])
			continue;
		if (json_equal(merged[i], n->desc)) {
			json_decref(merged[i]);
		} else {
			json_decref(n->desc);
			n->desc = merged[i];
			json_array_append_new(changed, json_string(n->name));
			if (server_node_sync(s, n, false) < 0 && !sync_failed)
				sync_failed = n->name;
		}
		merged[i] = NULL;
	}
	if (sync_failed) {
		reply_error(r, 500, "node %s: cannot listen on its port again", sync_failed);
		json_decref(changed);
	} else {
		reply_json(r, 200, json_pack("{s:s, s:I, s:I, s:o}", "kind", kind, "matched", matched,
			"changed", (json_int_t)json_array_size(changed), "nodes", changed));
	}
out:
	if (merged) {
		for (size_t i = 0; i < f->n; i++)
			json_decref(merged[i]);
		free(merged);
	}
	json_decref(patch);
	free(sel);
}

static bool get_ms(const json_t *o, const char *key, json_int_t def, json_int_t *out)
{
	const json_t *v = json_object_get(o, key);
	if (!v) {
		*out = def;
		return true;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 3600000)
		return false;
	*out = json_integer_value(v);
	return true;
}

static void node_upgrade(struct node *n, const char *body, size_t len, struct response *r)
{
	json_t *req = parse_object(body, len, r);
	if (!req)
		return;
	json_int_t drain, down;
	if (!json_is_string(json_object_get(req, "release"))) {
		reply_error(r, 400, "upgrade: \"release\" (a string) is required");
		goto out;
	}
	if (!get_ms(req, "drain_ms", DEFAULT_DRAIN_MS, &drain) || !get_ms(req, "down_ms", DEFAULT_DOWN_MS, &down)) {
		reply_error(r, 400, "upgrade: drain_ms and down_ms are milliseconds (0-3600000)");
		goto out;
	}
	if (n->phase == UPG_DRAINING || n->phase == UPG_DOWN) {
		reply_error(r, 409, "node %s is being upgraded", n->name);
		goto out;
	}
	json_object_set_new(req, "drain_ms", json_integer(drain));
	json_object_set_new(req, "down_ms", json_integer(down));
	/* what the node becomes must be a valid node */
	json_t *patch = json_deep_copy(req);
	json_object_del(patch, "drain_ms");
	json_object_del(patch, "down_ms");
	json_t *m = merged_desc(n, patch, r);
	json_decref(patch);
	if (!m)
		goto out;
	json_decref(m);

	json_decref(n->upgrade);
	n->upgrade = json_incref(req);
	free(n->upgrade_from);
	n->upgrade_from = xstrdup(node_release(n));
	if (node_kind(n) != KIND_NONE && node_health(n) != 404)
		json_object_set_new(n->desc, "health", json_integer(503));
	json_object_set_new(n->desc, "state", json_string("draining"));
	n->phase = UPG_DRAINING;
	n->phase_deadline = mono_ms() + drain;
	n->retry_until = 0;
	reply_json(r, 202, node_to_json(n));
out:
	json_decref(req);
}

/* The node restarts at the new release. */
static void node_come_up(struct node *n)
{
	static const char *const restart_keys[] = { "health", "state", "started_at", "api_versions" };
	for (size_t i = 0; i < ARRAY_SIZE(restart_keys); i++)
		json_object_del(n->desc, restart_keys[i]);
	/* a restarted process runs the installed code */
	json_t *extra = json_object_get(n->desc, "report_extra");
	if (json_is_object(extra))
		json_object_del(extra, "restart_needed");
	const char *k;
	json_t *v;
	json_object_foreach(n->upgrade, k, v) {
		if (strcmp(k, "drain_ms") && strcmp(k, "down_ms"))
			json_object_set(n->desc, k, v);
	}
	n->started_at = time(NULL);
}

void control_tick(struct server *s, int64_t now)
{
	struct fleet *f = server_fleet(s);
	for (size_t i = 0; i < f->n; i++) {
		struct node *n = &f->nodes[i];
		if (n->phase == UPG_DRAINING && now >= n->phase_deadline) {
			n->phase = UPG_DOWN;
			n->phase_deadline = now + json_integer_value(json_object_get(n->upgrade, "down_ms"));
			server_node_sync(s, n, true);
		}
		if (n->phase == UPG_DOWN && now >= n->phase_deadline) {
			node_come_up(n);
			n->phase = UPG_UP;
			if (server_node_sync(s, n, false) < 0) {
				/* someone else holds the port for now */
				if (!n->retry_until)
					n->retry_until = now + RELISTEN_GIVE_UP_MS;
				n->phase = now < n->retry_until ? UPG_DOWN : UPG_FAILED;
				n->phase_deadline = now + RELISTEN_RETRY_MS;
				if (n->phase == UPG_FAILED)
					fprintf(stderr, SIM_PROG ": node %s: cannot listen on port %d again\n",
						n->name, n->port);
			}
		}
	}
}

void control_respond(struct server *s, const struct http_req *req, const char *body, size_t body_len, struct response *r)
{
	resp_init(r, 200);
	r->content_length = true;
	resp_header(r, "Content-Type", "application/json");
	const char *p = req->path;
	bool get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
	bool post = !strcmp(req->method, "POST");
	r->head_only = !strcmp(req->method, "HEAD");
	if (!strcmp(p, "/fleet")) {
		if (!get) {
			reply_error(r, 405, "use GET");
			return;
		}
		struct fleet *f = server_fleet(s);
		json_t *nodes = json_array();
		for (size_t i = 0; i < f->n; i++)
			json_array_append_new(nodes, node_to_json(&f->nodes[i]));
		reply_json(r, 200, json_pack("{s:i, s:o}", "control", server_control_port(s), "nodes", nodes));
		return;
	}
	if (!strcmp(p, "/nodes")) {
		if (post)
			nodes_set_all(s, req, body, body_len, r);
		else
			reply_error(r, 405, "use POST (GET /fleet lists the nodes)");
		return;
	}
	if (strncmp(p, "/nodes/", 7)) {
		reply_error(r, 404, "no such endpoint: %s", p);
		return;
	}
	const char *name = p + 7;
	size_t nl = strcspn(name, "/");
	const char *rest = name + nl;
	char *dn = pct_decode(name, nl);
	struct node *n = fleet_find(server_fleet(s), dn);
	if (!n) {
		reply_error(r, 404, "no node named %s", dn);
	} else if (!*rest) {
		if (get)
			reply_json(r, 200, node_to_json(n));
		else if (post)
			node_set(s, n, body, body_len, r);
		else
			reply_error(r, 405, "use GET or POST");
	} else if (!strcmp(rest, "/upgrade")) {
		if (post)
			node_upgrade(n, body, body_len, r);
		else
			reply_error(r, 405, "use POST");
	} else {
		reply_error(r, 404, "no such endpoint: %s", p);
	}
	free(dn);
}
