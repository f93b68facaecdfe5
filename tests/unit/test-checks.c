/* test-checks.c: every check over table-driven snapshots (no I/O). Each case
 * names the behaviour it pins; the expected result comes from DESIGN.md and
 * the definition of the check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"
#include "core/xalloc.h"

struct nspec {
	const char *name;
	enum service_kind svc;
	enum node_state state;
	const char *release;
	enum value_source src;     /* SRC_REPORT: rpc/objects reported */
	const char *rpc, *cap;
	const char *objects;       /* "Secret=1.0,Order=1.1" */
	const char *build;         /* a ?build release that may differ */
};

struct dbspec {
	int kind;                  /* 0: reachable, 1: unreachable, 2: not versioned,
				    * 3: not configured, 4: sqlite, 5: unparsable;
				    * MySQL, reachable: 6 a Galera node Synced in
				    * the Primary component of 2, 7 a Donor/Desynced
				    * one, 8 a Synced one in a non-Primary
				    * component, 9 a single server (no wsrep) */
	const char *heads[2];
};

struct ccase {
	const char *what;
	const char *check;
	const char *target;
	struct dbspec db;
	struct nspec nodes[5];
	enum bs_code want;
	const char *want_in_details; /* NULL: not checked */
};

#define N_(name, svc, state, rel) { name, svc, state, rel, SRC_NONE, NULL, NULL, NULL, NULL }
#define R_(name, svc, state, rel, rpc, cap, objs) { name, svc, state, rel, SRC_REPORT, rpc, cap, objs, NULL }

static const struct ccase cases[] = {
	/* db-cluster */
	{ "PostgreSQL is not a cluster", "db-cluster", "15.0.1",
	  { 0, { "8c74e2d7f1ff" } }, { { 0 } }, BS_SUCCESS, "PostgreSQL database is not a cluster" },
	{ "a single MySQL server is not a cluster", "db-cluster", "15.0.1",
	  { 9, { "8c74e2d7f1ff" } }, { { 0 } }, BS_SUCCESS, "MySQL database is not a cluster" },
	{ "a Synced Galera node in the Primary component", "db-cluster", "15.0.1",
	  { 6, { "8c74e2d7f1ff" } }, { { 0 } }, BS_SUCCESS,
	  "Galera cluster of 2 nodes; the node barbican-status reads is Synced, in the Primary" },
	{ "a Galera node that is not Synced is a Failure", "db-cluster", "15.0.1",
	  { 7, { "8c74e2d7f1ff" } }, { { 0 } }, BS_FAILURE, "is Donor/Desynced" },
	{ "a Galera node outside the Primary component is a Failure", "db-cluster", "15.0.1",
	  { 8, { "8c74e2d7f1ff" } }, { { 0 } }, BS_FAILURE, "in the non-Primary component" },
	{ "an unreachable database: the cluster was not asked", "db-cluster", "15.0.1",
	  { 1, { NULL } }, { { 0 } }, BS_SUCCESS, "was not asked" },
	/* db-revision */
	{ "db at the 14.x head is known to 15.0.1", "db-revision", "15.0.1",
	  { 0, { "0f8c192a061f" } }, { { 0 } }, BS_SUCCESS, "0f8c192a061f, known to 15.0.1" },
	{ "unreachable database is a Failure with the cause", "db-revision", "15.0.1",
	  { 1, { NULL } }, { { 0 } }, BS_FAILURE, "Connection refused" },
	{ "no alembic_version: not under version control", "db-revision", "15.0.1",
	  { 2, { NULL } }, { { 0 } }, BS_FAILURE, "not under version control" },
	{ "no database URL configured", "db-revision", "15.0.1",
	  { 3, { NULL } }, { { 0 } }, BS_FAILURE, "No database URL is configured" },
	{ "sqlite URL is a Warning naming the scheme", "db-revision", "15.0.1",
	  { 4, { NULL } }, { { 0 } }, BS_WARNING, "uses sqlite" },
	{ "unparsable URL is a Failure", "db-revision", "15.0.1",
	  { 5, { NULL } }, { { 0 } }, BS_FAILURE, "does not parse" },
	{ "cold revision: bring it to 0f8c192a061f with 10.0.0 first", "db-revision", "15.0.1",
	  { 0, { "1bece815014f" } }, { { 0 } }, BS_FAILURE, "pre-rebase" },
	{ "revision only newer releases know: ahead of the target", "db-revision", "14.0.2",
	  { 0, { "8c74e2d7f1ff" } }, { { 0 } }, BS_FAILURE, "ahead of the target release 14.0.2" },
	{ "revision no release knows", "db-revision", "15.0.1",
	  { 0, { "deadbeef0001" } }, { { 0 } }, BS_FAILURE, "no Barbican release" },
	{ "unknown target: Warning that says how to set it", "db-revision", NULL,
	  { 0, { "0f8c192a061f" } }, { { 0 } }, BS_WARNING, "target release is unknown" },
	{ "target outside the manifest: Warning", "db-revision", "99.0.0",
	  { 0, { "0f8c192a061f" } }, { { 0 } }, BS_WARNING, "not in the release manifest" },

	/* db-pending */
	{ "one expand pending is normal: Success with the command", "db-pending", "15.0.1",
	  { 0, { "0f8c192a061f" } }, { { 0 } }, BS_SUCCESS, "8c74e2d7f1ff (expand: Update secret consumers" },
	{ "nothing pending at the head", "db-pending", "15.0.1",
	  { 0, { "8c74e2d7f1ff" } }, { { 0 } }, BS_SUCCESS, "Nothing is pending" },
	{ "no path from a cold revision: Warning", "db-pending", "15.0.1",
	  { 0, { "1bece815014f" } }, { { 0 } }, BS_WARNING, "No path" },
	{ "unreachable database: not checked", "db-pending", "15.0.1",
	  { 1, { NULL } }, { { 0 } }, BS_WARNING, "Not checked" },

	/* nodes-reachable */
	{ "no nodes configured: a Warning, none was checked", "nodes-reachable", "15.0.1",
	  { 0, { "8c74e2d7f1ff" } }, { { 0 } }, BS_WARNING, "No nodes are configured" },
	{ "all up", "nodes-reachable", "15.0.1", { 0, { "8c74e2d7f1ff" } },
	  { N_("a1", SVC_API, NS_UP, "15.0.1"), N_("w1", SVC_WORKER, NS_UP, "15.0.1") },
	  BS_SUCCESS, "2 of 2 nodes up" },
	{ "a down worker is a Warning naming it", "nodes-reachable", "15.0.1", { 0, { "8c74e2d7f1ff" } },
	  { N_("a1", SVC_API, NS_UP, "15.0.1"), N_("w1", SVC_WORKER, NS_DOWN, NULL) },
	  BS_WARNING, "w1 (down" },
	{ "a node in error is a Warning naming it", "nodes-reachable", "15.0.1", { 0, { "8c74e2d7f1ff" } },
	  { N_("a1", SVC_API, NS_UP, "15.0.1"), N_("a2", SVC_API, NS_ERROR, NULL) },
	  BS_WARNING, "a2 (error" },
	{ "no barbican-api up: Failure", "nodes-reachable", "15.0.1", { 0, { "8c74e2d7f1ff" } },
	  { N_("a1", SVC_API, NS_DOWN, NULL), N_("a2", SVC_API, NS_DRAINED, "15.0.1"),
	    N_("w1", SVC_WORKER, NS_UP, "15.0.1") },
	  BS_FAILURE, "None of the 2 barbican-api nodes is up" },
	{ "drained is on purpose, not a warning", "nodes-reachable", "15.0.1", { 0, { "8c74e2d7f1ff" } },
	  { N_("a1", SVC_API, NS_UP, "15.0.1"), N_("a2", SVC_API, NS_DRAINED, "15.0.1") },
	  BS_SUCCESS, "Drained on purpose: a2" },
	{ "stock workers without URL are unobservable, not failing", "nodes-reachable", "15.0.1",
	  { 0, { "8c74e2d7f1ff" } },
	  { N_("a1", SVC_API, NS_UP, "15.0.1"), N_("w1", SVC_WORKER, NS_UNKNOWN, NULL) },
	  BS_SUCCESS, "Not observable (no url or report_url): w1" },

	/* version-skew */
	{ "N-1 beside the target is fine", "version-skew", "15.0.1", { 0, { "0f8c192a061f" } },
	  { N_("a1", SVC_API, NS_UP, "14.0.2"), N_("a2", SVC_API, NS_UP, "15.0.1") },
	  BS_SUCCESS, "1 at 14.0.2 (n-1)" },
	{ "older than N-1 is a Failure naming the node", "version-skew", "15.0.1", { 0, { "0f8c192a061f" } },
	  { N_("a1", SVC_API, NS_UP, "13.0.2"), N_("a2", SVC_API, NS_UP, "15.0.1") },
	  BS_FAILURE, "a1 (13.0.2)" },
	{ "previous SLURP is fine for a SLURP target", "version-skew", "18.0.0", { 0, { "8c74e2d7f1ff" } },
	  { N_("a1", SVC_API, NS_UP, "16.0.2") }, BS_SUCCESS, "(slurp)" },
	{ "newer than the target is a Failure", "version-skew", "15.0.1", { 0, { "8c74e2d7f1ff" } },
	  { N_("a1", SVC_API, NS_UP, "16.0.0") }, BS_FAILURE, "Newer than the target 15.0.1: a1" },
	{ "a dev build is compared by numbers and flagged", "version-skew", "16.0.0", { 0, { "8c74e2d7f1ff" } },
	  { N_("a1", SVC_API, NS_UP, "15.0.1.dev4") }, BS_WARNING, "Not in the release manifest" },
	{ "report and ?build disagree: flagged", "version-skew", "15.0.1", { 0, { "8c74e2d7f1ff" } },
	  { { "a1", SVC_API, NS_UP, "15.0.1", SRC_REPORT, "1.1", NULL, NULL, "14.0.2" } },
	  BS_WARNING, "disagree" },
	{ "the fine releases counted, grouped in the order first seen", "version-skew", "15.0.1",
	  { 0, { "0f8c192a061f" } },
	  { N_("a1", SVC_API, NS_UP, "15.0.1"), N_("a2", SVC_API, NS_UP, "14.0.2"),
	    N_("w1", SVC_WORKER, NS_UP, "15.0.1"), N_("w2", SVC_WORKER, NS_UP, "14.0.2"),
	    N_("w3", SVC_WORKER, NS_UP, "15.0.1") },
	  BS_SUCCESS, "3 at 15.0.1 (same), 2 at 14.0.2 (n-1)." },
	{ "no release known: nothing compared", "version-skew", "15.0.1", { 0, { "8c74e2d7f1ff" } },
	  { N_("w1", SVC_WORKER, NS_UNKNOWN, NULL) }, BS_SUCCESS, "No node's release is known" },

	/* rpc-objects */
	{ "caps at the pin are fine", "rpc-objects", "16.0.0", { 0, { "8c74e2d7f1ff" } },
	  { R_("w1", SVC_WORKER, NS_UP, "15.0.1", "1.1", "1.1", "Secret=1.0"),
	    R_("w2", SVC_WORKER, NS_UP, "16.0.0", "1.2", "1.1", "Secret=1.0") },
	  BS_SUCCESS, "pin is 1.1" },
	{ "a cap above the pin is a Failure", "rpc-objects", "16.0.0", { 0, { "8c74e2d7f1ff" } },
	  { R_("w1", SVC_WORKER, NS_UP, "15.0.1", "1.1", NULL, "Secret=1.0"),
	    R_("w2", SVC_WORKER, NS_UP, "16.0.0", "1.2", "1.2", "Secret=1.0") },
	  BS_FAILURE, "w2 (cap 1.2)" },
	{ "unpinned above the pin in a mixed fleet is a Warning", "rpc-objects", "16.0.0",
	  { 0, { "8c74e2d7f1ff" } },
	  { R_("w1", SVC_WORKER, NS_UP, "15.0.1", "1.1", NULL, "Secret=1.0"),
	    R_("w2", SVC_WORKER, NS_UP, "16.0.0", "1.2", NULL, "Secret=1.0") },
	  BS_WARNING, "w2 (serves 1.2, no cap)" },
	{ "object major versions differing is a Failure", "rpc-objects", "16.0.0", { 0, { "8c74e2d7f1ff" } },
	  { R_("w1", SVC_WORKER, NS_UP, "15.0.1", "1.1", NULL, "Secret=1.0,Order=1.0"),
	    R_("w2", SVC_WORKER, NS_UP, "16.0.0", "1.1", NULL, "Secret=2.0,Order=1.0") },
	  BS_FAILURE, "Secret (1.0 on w1, 2.0 on w2)" },
	{ "object minor versions differing is backportable", "rpc-objects", "16.0.0", { 0, { "8c74e2d7f1ff" } },
	  { R_("w1", SVC_WORKER, NS_UP, "15.0.1", "1.1", NULL, "Order=1.0"),
	    R_("w2", SVC_WORKER, NS_UP, "16.0.0", "1.1", NULL, "Order=1.1") },
	  BS_SUCCESS, "backportable" },
	{ "an object is compared with its first occurrence anywhere in the fleet", "rpc-objects",
	  "16.0.0", { 0, { "8c74e2d7f1ff" } },
	  { R_("w1", SVC_WORKER, NS_UP, "15.0.1", "1.1", NULL, "Secret=1.0"),
	    R_("w2", SVC_WORKER, NS_UP, "15.0.1", "1.1", NULL, "Order=1.0"),
	    R_("w3", SVC_WORKER, NS_UP, "16.0.0", "1.1", NULL, "Order=1.1,Secret=2.0") },
	  BS_FAILURE, "Secret (1.0 on w1, 2.0 on w3)." },
	{ "minor differences after the first occurrence: first and first other shown", "rpc-objects",
	  "16.0.0", { 0, { "8c74e2d7f1ff" } },
	  { R_("w1", SVC_WORKER, NS_UP, "15.0.1", "1.1", NULL, "Order=1.0"),
	    R_("w2", SVC_WORKER, NS_UP, "15.0.1", "1.1", NULL, "Order=1.0"),
	    R_("w3", SVC_WORKER, NS_UP, "16.0.0", "1.1", NULL, "Order=1.2"),
	    R_("w4", SVC_WORKER, NS_UP, "16.0.0", "1.1", NULL, "Order=1.1") },
	  BS_SUCCESS, "backportable): Order (1.0 and 1.2)." },
	{ "down nodes do not count", "rpc-objects", "16.0.0", { 0, { "8c74e2d7f1ff" } },
	  { R_("w1", SVC_WORKER, NS_UP, "15.0.1", "1.1", NULL, "Secret=1.0"),
	    R_("w2", SVC_WORKER, NS_DOWN, "16.0.0", "1.2", "1.2", "Secret=2.0") },
	  BS_SUCCESS, NULL },

	/* db-vs-nodes */
	{ "expand revisions unknown to old nodes are fine", "db-vs-nodes", "15.0.1",
	  { 0, { "8c74e2d7f1ff" } }, { N_("a1", SVC_API, NS_UP, "14.0.2") }, BS_SUCCESS, "1 checked" },
	{ "a cold revision applied that a running node does not know", "db-vs-nodes", "15.0.1",
	  { 0, { "1bece815014f" } }, { N_("a1", SVC_API, NS_UP, "14.0.2") }, BS_FAILURE,
	  "a1 runs 14.0.2, which does not know" },
	{ "down nodes are not running", "db-vs-nodes", "15.0.1",
	  { 0, { "1bece815014f" } }, { N_("a1", SVC_API, NS_DOWN, "14.0.2") }, BS_SUCCESS, NULL },
};

static void build(const struct ccase *c, struct settings *st, struct snapshot *s)
{
	memset(st, 0, sizeof(*st));
	size_t n = 0;
	while (n < 5 && c->nodes[n].name)
		n++;
	st->nodes = xcalloc(n ? n : 1, sizeof(*st->nodes));
	st->nnodes = n;
	for (size_t i = 0; i < n; i++) {
		st->nodes[i].name = (char *)c->nodes[i].name;
		st->nodes[i].service = c->nodes[i].svc;
	}
	snapshot_init(s, st);
	s->target = c->target ? xstrdup(c->target) : NULL;
	s->target_src = c->target ? TARGET_CONFIG : TARGET_NONE;
	for (size_t i = 0; i < n; i++) {
		const struct nspec *ns = &c->nodes[i];
		struct node_obs *o = &s->nodes[i].obs;
		o->state = ns->state;
		o->probed = ns->state != NS_UNKNOWN;
		if (ns->state == NS_DOWN || ns->state == NS_ERROR)
			o->error = xstrdup("GET /: Connection refused");
		if (ns->release) {
			o->release = xstrdup(ns->release);
			o->release_src = ns->src == SRC_REPORT ? SRC_REPORT : SRC_BUILD;
			if (ns->src == SRC_REPORT)
				o->report_release = xstrdup(ns->release);
		}
		if (ns->build) {
			o->build_release = xstrdup(ns->build);
			o->release_conflict = strcmp(ns->build, ns->release) != 0;
		}
		if (ns->rpc) {
			o->rpc_version = xstrdup(ns->rpc);
			o->rpc_cap = ns->cap ? xstrdup(ns->cap) : NULL;
			o->rpc_src = SRC_REPORT;
		}
		if (ns->objects) {
			char *list = xstrdup(ns->objects);
			for (char *p = list; p && *p;) {
				char *comma = strchr(p, ',');
				if (comma)
					*comma = '\0';
				char *eq = strchr(p, '=');
				o->objects = xreallocarray(o->objects, o->nobjects + 1, sizeof(*o->objects));
				o->objects[o->nobjects].name = xstrndup(p, (size_t)(eq - p));
				o->objects[o->nobjects].version = xstrdup(eq + 1);
				o->nobjects++;
				p = comma ? comma + 1 : NULL;
			}
			free(list);
			o->objects_src = SRC_REPORT;
		}
	}
	struct db_obs *d = &s->db;
	d->configured = c->db.kind != 3;
	d->option = xstrdup("[DEFAULT] sql_connection (test)");
	d->url_masked = xstrdup("postgresql://barbican:***@db/barbican");
	d->scheme = xstrdup(c->db.kind == 4 ? "sqlite" : "postgresql");
	d->supported = c->db.kind != 4;
	if (c->db.kind == 5)
		d->parse_error = xstrdup("could not parse SQLAlchemy URL");
	bool my = c->db.kind >= 6;
	d->backend = xstrdup(my ? "MySQL" : "PostgreSQL");
	d->probed = c->db.kind <= 2 || my;
	d->reachable = c->db.kind == 0 || c->db.kind == 2 || my;
	if (c->db.kind == 1)
		d->error = xstrdup("connection to server at \"db\", port 5432 failed: Connection refused");
	d->versioned = c->db.kind == 0 || my;
	if (my) {
		d->cluster_probed = true;
		d->cluster = c->db.kind != 9;
		d->cluster_size = c->db.kind == 9 ? 0 : 2;
		d->cluster_state = xstrdup(c->db.kind == 7 ? "Donor/Desynced" : "Synced");
		d->cluster_component = xstrdup(c->db.kind == 8 ? "non-Primary" : "Primary");
	}
	for (size_t i = 0; (c->db.kind == 0 || my) && i < 2 && c->db.heads[i]; i++) {
		d->heads = xreallocarray(d->heads, d->nheads + 1, sizeof(*d->heads));
		d->heads[d->nheads++] = xstrdup(c->db.heads[i]);
	}
}

static void every_check_case(void **state)
{
	(void)state;
	size_t failures = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ccase *c = &cases[i];
		struct settings st;
		struct snapshot s;
		build(c, &st, &s);
		struct check_ctx ctx = { &s, manifest_builtin() };
		const struct check_entry *e = check_find(c->check);
		assert_non_null(e);
		struct check_result r = { e, BS_SUCCESS, NULL, NULL, false };
		e->run(&ctx, &r);
		bool ok = r.code == c->want && !r.error;
		if (ok && c->want_in_details && (!r.details || !strstr(r.details, c->want_in_details)))
			ok = false;
		if (ok && r.code != BS_SUCCESS && !r.remediation && strcmp(c->check, "version-skew") != 0 &&
		    strcmp(c->check, "db-pending") != 0)
			ok = false; /* a Warning or Failure says what to do */
		if (!ok) {
			print_error("FAIL %s: %s: got %s, details: %s\n", c->check, c->what,
				    bs_code_label(r.code), r.details ? r.details : "None");
			failures++;
		}
		free(r.details);
		free(r.remediation);
		snapshot_free(&s);
		free(st.nodes);
	}
	print_message("%zu check cases, %zu failed\n", sizeof(cases) / sizeof(cases[0]), failures);
	assert_int_equal(failures, 0);
}

static void policy_json_file_is_a_failure_with_barbicans_text(void **state)
{
	(void)state;
	struct settings st = { 0 };
	struct snapshot s;
	snapshot_init(&s, &st);
	s.policy.path = xstrdup("/etc/barbican/policy.json");
	s.policy.is_json = true;
	struct check_ctx ctx = { &s, manifest_builtin() };
	struct check_result r = { check_find("policy-json"), BS_SUCCESS, NULL, NULL, false };
	check_policy_json(&ctx, &r);
	assert_int_equal(r.code, BS_FAILURE);
	/* oslo_upgradecheck/common_checks.py, verbatim */
	assert_string_equal(r.details,
		"Your policy file is JSON-formatted which is deprecated. You need to switch to "
		"YAML-formatted file. Use the ``oslopolicy-convert-json-to-yaml`` tool to convert "
		"the existing JSON-formatted files to YAML in a backwards-compatible manner: "
		"https://docs.openstack.org/oslo.policy/latest/cli/oslopolicy-convert-json-to-yaml.html.");
	free(r.details);
	free(r.remediation);
	snapshot_free(&s);
}

static void policy_yaml_or_missing_is_success_with_no_details(void **state)
{
	(void)state;
	struct settings st = { 0 };
	struct snapshot s;
	snapshot_init(&s, &st);
	struct check_ctx ctx = { &s, manifest_builtin() };
	struct check_result r = { check_find("policy-json"), BS_SUCCESS, NULL, NULL, false };
	check_policy_json(&ctx, &r);            /* no file found */
	assert_int_equal(r.code, BS_SUCCESS);
	assert_null(r.details);
	s.policy.path = xstrdup("/etc/barbican/policy.yaml");
	s.policy.is_json = false;
	check_policy_json(&ctx, &r);
	assert_int_equal(r.code, BS_SUCCESS);
	assert_null(r.details);
	snapshot_free(&s);
}

static void unreadable_policy_means_the_checks_could_not_run(void **state)
{
	(void)state;
	struct settings st = { 0 };
	struct snapshot s;
	snapshot_init(&s, &st);
	s.policy.path = xstrdup("/etc/barbican/policy.json");
	s.policy.error = xstrdup("/etc/barbican/policy.json is a directory");
	struct check_ctx ctx = { &s, manifest_builtin() };
	struct check_result r = { check_find("policy-json"), BS_SUCCESS, NULL, NULL, false };
	check_policy_json(&ctx, &r);
	assert_true(r.error);
	assert_non_null(strstr(r.details, "is a directory"));
	free(r.details);
	snapshot_free(&s);
}

static void table_order_is_barbicans_check_first_and_ids_are_unique(void **state)
{
	(void)state;
	assert_string_equal(check_table[0].name, "Policy File JSON to YAML Migration");
	assert_string_equal(check_table[0].id, "policy-json");
	for (size_t i = 0; i < check_count; i++)
		for (size_t j = i + 1; j < check_count; j++)
			assert_string_not_equal(check_table[i].id, check_table[j].id);
	static const char *const want[] = { "policy-json", "db-revision", "db-pending",
		"nodes-reachable", "version-skew", "rpc-objects", "db-vs-nodes", "db-cluster",
		"nodes-discovered" };
	assert_int_equal(check_count, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < check_count; i++)
		assert_non_null(check_find(want[i]));
}

/* Without --config-file, /etc/barbican/barbican.conf has no [node:NAME]:
 * nothing was checked, and the check says how to describe the nodes. */
static void no_nodes_configured_is_a_warning_that_says_how_to_describe_them(void **state)
{
	(void)state;
	static const struct ccase c = { "no nodes", "nodes-reachable", "15.0.1",
					{ 0, { "8c74e2d7f1ff" } }, { { 0 } }, BS_WARNING, NULL };
	struct settings st;
	struct snapshot s;
	build(&c, &st, &s);
	struct check_ctx ctx = { &s, manifest_builtin() };
	const struct check_entry *e = check_find("nodes-reachable");
	struct check_result r = { e, BS_SUCCESS, NULL, NULL, false };
	e->run(&ctx, &r);
	assert_int_equal(r.code, BS_WARNING);
	assert_non_null(r.remediation);
	/* a section per service process, its service, and where to ask it */
	static const char *const words[] = { "[node:NAME]", "service", "url", "report_url",
					     "barbican-status.conf(5)" };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strstr(r.remediation, words[i]))
			fail_msg("remediation \"%s\" does not say \"%s\"", r.remediation, words[i]);
	free(r.details);
	free(r.remediation);
	snapshot_free(&s);
	free(st.nodes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_check_case),
		cmocka_unit_test(no_nodes_configured_is_a_warning_that_says_how_to_describe_them),
		cmocka_unit_test(policy_json_file_is_a_failure_with_barbicans_text),
		cmocka_unit_test(policy_yaml_or_missing_is_success_with_no_details),
		cmocka_unit_test(unreadable_policy_means_the_checks_could_not_run),
		cmocka_unit_test(table_order_is_barbicans_check_first_and_ids_are_unique),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
