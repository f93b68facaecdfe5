/* test-planner.c: the planner and the gates on named scenarios: the phase,
 * the next step, and blockers in words an operator can act on (DESIGN.md:
 * phases, steps, gates; the examples). The real manifest
 * (14.0.2 -> 15.0.1) for what today's Barbican does; a synthetic one for
 * the contract and offline phases no Barbican release has. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "planner/planner.h"

struct spec {
	const char *name;
	enum service_kind svc;
	bool observable;
	enum node_state state;
	const char *release;
	const char *cap;
};

struct world {
	struct settings st;
	struct node_conf confs[8];
	struct node nodes[8];
	struct snapshot s;
	char *heads[2];
	struct plan_input in;
	struct plan p;
	struct vouch vouches[4];
};

static char *roll_order[] = { "barbican-worker", "barbican-keystone-listener", "barbican-retry",
			      "barbican-api" };

static void world(struct world *w, const struct manifest *m, const char *target, const char *head,
		  const struct spec *nodes, size_t n)
{
	memset(w, 0, sizeof(*w));
	w->st.roll_order = roll_order;
	w->st.nroll_order = 4;
	w->st.max_unavailable = 1;
	for (size_t i = 0; i < n; i++) {
		w->confs[i] = (struct node_conf){ (char *)nodes[i].name, nodes[i].svc, NULL, NULL, NULL, 2, false, NULL };
		if (nodes[i].observable)
			w->confs[i].report_url = (char *)"http://sim/r";
		w->nodes[i].conf = &w->confs[i];
		w->nodes[i].obs.state = nodes[i].state;
		w->nodes[i].obs.probed = nodes[i].observable;
		w->nodes[i].obs.release = (char *)nodes[i].release;
		w->nodes[i].obs.rpc_cap = (char *)nodes[i].cap;
		w->nodes[i].obs.data_migrations_remaining = -1;
	}
	w->s.settings = &w->st;
	w->s.nodes = w->nodes;
	w->s.nnodes = n;
	w->s.target = (char *)target;
	w->s.target_src = TARGET_CONFIG;
	w->s.data_migrations = -1;
	struct db_obs *d = &w->s.db;
	d->configured = d->supported = d->probed = d->reachable = d->versioned = true;
	d->url_masked = (char *)"postgresql://barbican:***@db/barbican";
	w->heads[0] = (char *)head;
	d->heads = w->heads;
	d->nheads = head ? 1 : 0;
	w->in = (struct plan_input){ &w->s, m, &w->st, NULL, 0, w->vouches, 0, 1000, false };
}

static void plan(struct world *w)
{
	plan_free(&w->p);
	plan_compute(&w->in, &w->p);
}

/* every blocker's text joined, to look for the words an operator reads */
static char *blockers(struct world *w, const struct blocker *b, size_t n)
{
	char *all = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *t = blocker_text(&b[i], &w->in);
		char *j = xasprintf("%s%s%s", all, *all ? "; " : "", t);
		free(all);
		free(t);
		all = j;
	}
	return all;
}

#define assert_blocked_by(w, words) do { \
	char *all_ = blockers((w), (w)->p.blockers, (w)->p.nblockers); \
	if (!strstr(all_, (words))) \
		fail_msg("blockers \"%s\" do not say \"%s\"", all_, (words)); \
	free(all_); \
} while (0)

#define API(name, st, rel) { name, SVC_API, true, st, rel, NULL }
#define WRK(name, st, rel) { name, SVC_WORKER, true, st, rel, NULL }

static const struct spec fleet14[] = {
	API("ctl1-api", NS_UP, "14.0.2"), API("ctl2-api", NS_UP, "14.0.2"),
	WRK("ctl1-wrk", NS_UP, "14.0.2"), WRK("ctl2-wrk", NS_UP, "14.0.2"),
	WRK("ctl3-wrk", NS_UP, "14.0.2"),
};

/* A worker whose package was upgraded but whose process still runs the old
 * code reports the new release with restart_needed: the roll upgrades
 * (restarts) it next, it is not done. */
static void a_node_that_needs_a_restart_is_not_done(void **state)
{
	(void)state;
	static const struct spec fleet[] = {
		API("ctl1-api", NS_UP, "15.0.1"), API("ctl2-api", NS_UP, "15.0.1"),
		WRK("ctl1-wrk", NS_UP, "15.0.1"), WRK("ctl2-wrk", NS_UP, "15.0.1"),
	};
	struct world w;
	world(&w, manifest_builtin(), "15.0.1", "8c74e2d7f1ff", fleet, 4);
	plan(&w);
	assert_int_equal(w.p.phase, PH_DONE);
	plan_free(&w.p);
	world(&w, manifest_builtin(), "15.0.1", "8c74e2d7f1ff", fleet, 4);
	w.nodes[3].obs.restart_needed = true;
	plan(&w);
	assert_int_equal(w.p.phase, PH_ROLL);
	assert_false(w.p.nodes[3].done);
	assert_int_equal(w.p.next.kind, STEP_UPGRADE_NODE);
	assert_int_equal(w.p.next.node, 3);
	plan_free(&w.p);
}

/* Progress per service in roll order, and the time left from the mean of
 * the node steps that ended well (a failed one and the expand do not count). */
static void progress_counts_nodes_per_service_and_times_what_is_left(void **state)
{
	(void)state;
	static const struct spec fleet[] = {
		API("ctl1-api", NS_UP, "14.0.2"), API("ctl2-api", NS_UP, "14.0.2"),
		WRK("ctl1-wrk", NS_UP, "15.0.1"), WRK("ctl2-wrk", NS_UP, "15.0.1"),
		WRK("ctl3-wrk", NS_UP, "14.0.2"),
	};
	struct world w;
	world(&w, manifest_builtin(), "15.0.1", "8c74e2d7f1ff", fleet, 5);
	plan(&w);
	struct journal_record recs[4] = {
		{ .step = (char *)"expand", .start = 1000, .end = 1100, .outcome = OUTCOME_VERIFIED },
		{ .step = (char *)"upgrade_node", .start = 2000, .end = 2010, .outcome = OUTCOME_VERIFIED },
		{ .step = (char *)"upgrade_node", .start = 3000, .end = 3020, .outcome = OUTCOME_VERIFIED },
		{ .step = (char *)"upgrade_node", .start = 4000, .end = 4500, .outcome = OUTCOME_FAILED },
	};
	struct progress pr;
	plan_progress(&w.p, &w.s, recs, 4, NULL, 0, &pr);
	assert_int_equal(pr.nservices, 2);
	assert_int_equal(pr.services[0].service, SVC_WORKER); /* roll order: workers first */
	assert_int_equal(pr.services[0].done, 2);
	assert_int_equal(pr.services[0].total, 3);
	assert_int_equal(pr.services[1].service, SVC_API);
	assert_int_equal(pr.services[1].done, 0);
	assert_int_equal(pr.done, 2);
	assert_int_equal(pr.total, 5);
	assert_int_equal(pr.timed, 2);
	assert_true(pr.avg_step_s > 14.99 && pr.avg_step_s < 15.01);
	assert_true(pr.left_s > 44.99 && pr.left_s < 45.01); /* 3 nodes left x 15 s */
	plan_free(&w.p);
	world(&w, manifest_builtin(), "15.0.1", "8c74e2d7f1ff", fleet, 5);
	plan(&w);
	plan_progress(&w.p, &w.s, NULL, 0, NULL, 0, &pr);
	assert_true(pr.left_s < 0); /* nothing timed yet: unknown */
	plan_free(&w.p);
}

/* Rows of data migration left keep the upgrade from being done: the phase
 * is migrate-data and "done" is not complete, though the schema and every
 * node are at the target. */
static void rows_left_to_migrate_mean_not_done(void **state)
{
	(void)state;
	static const struct spec fleet[] = { API("ctl1-api", NS_UP, "15.0.1") };
	struct world w;
	world(&w, manifest_builtin(), "15.0.1", "8c74e2d7f1ff", fleet, 1);
	w.s.data_migrations = 12;
	plan(&w);
	assert_int_equal(w.p.phase, PH_MIGRATE_DATA);
	assert_int_equal(w.p.state[PH_MIGRATE_DATA], PS_PENDING);
	assert_int_equal(w.p.state[PH_DONE], PS_PENDING);
	plan_free(&w.p);
	world(&w, manifest_builtin(), "15.0.1", "8c74e2d7f1ff", fleet, 1);
	w.s.data_migrations = 0;
	plan(&w);
	assert_int_equal(w.p.phase, PH_DONE);
	assert_int_equal(w.p.state[PH_DONE], PS_COMPLETE);
	plan_free(&w.p);
}

/* The data migrations' rate: from the oldest count after the last rise to
 * the newest, at least 1 s apart; the time left at that rate. */
static void data_migration_rate_over_the_samples_since_the_last_rise(void **state)
{
	(void)state;
	static const struct spec fleet[] = { API("ctl1-api", NS_UP, "15.0.1") };
	struct world w;
	world(&w, manifest_builtin(), "15.0.1", "8c74e2d7f1ff", fleet, 1);
	plan(&w);
	w.p.data_migrations = 800;
	struct progress pr;

	struct dm_sample falling[] = { { 100, 1000 }, { 110, 900 }, { 120, 800 } };
	plan_progress(&w.p, &w.s, NULL, 0, falling, 3, &pr);
	assert_true(pr.rows_per_s > 9.99 && pr.rows_per_s < 10.01);
	assert_true(pr.rate_window_s > 19.99 && pr.rate_window_s < 20.01);
	assert_true(pr.rows_left_s > 79.99 && pr.rows_left_s < 80.01); /* 800 rows at 10/s */

	/* new rows to migrate (the count went up) restart the window */
	struct dm_sample rise[] = { { 100, 1000 }, { 110, 500 }, { 120, 2000 }, { 130, 1900 } };
	w.p.data_migrations = 1900;
	plan_progress(&w.p, &w.s, NULL, 0, rise, 4, &pr);
	assert_true(pr.rows_per_s > 9.99 && pr.rows_per_s < 10.01);
	assert_true(pr.rate_window_s > 9.99 && pr.rate_window_s < 10.01);
	assert_true(pr.rows_left_s > 189.99 && pr.rows_left_s < 190.01);

	/* nothing migrated: stalled, no time left */
	struct dm_sample flat[] = { { 100, 500 }, { 130, 500 } };
	w.p.data_migrations = 500;
	plan_progress(&w.p, &w.s, NULL, 0, flat, 2, &pr);
	assert_true(pr.rows_per_s == 0);
	assert_true(pr.rows_left_s < 0);

	/* one count, or two within a second: unknown */
	plan_progress(&w.p, &w.s, NULL, 0, flat, 1, &pr);
	assert_true(pr.rows_per_s < 0 && pr.rows_left_s < 0);
	struct dm_sample close[] = { { 100.0, 500 }, { 100.5, 400 } };
	plan_progress(&w.p, &w.s, NULL, 0, close, 2, &pr);
	assert_true(pr.rows_per_s < 0);

	/* the count unknown now: no rate, whatever came before */
	w.p.data_migrations = -1;
	plan_progress(&w.p, &w.s, NULL, 0, falling, 3, &pr);
	assert_true(pr.rows_per_s < 0 && pr.rows_left_s < 0);
	plan_free(&w.p);
}

static void a_14_fleet_before_expand_expands_to_the_15_head(void **state)
{
	(void)state;
	struct world w;
	world(&w, manifest_builtin(), "15.0.1", "0f8c192a061f", fleet14, 5);
	plan(&w);
	assert_int_equal(w.p.phase, PH_EXPAND);
	assert_int_equal(w.p.next.kind, STEP_EXPAND);
	assert_true(w.p.next_ready);
	assert_string_equal(w.p.next.revision, "8c74e2d7f1ff");
	/* stock Barbican: nothing to unpin or migrate, and the plan says why */
	assert_int_equal(w.p.state[PH_UNPIN], PS_SKIPPED);
	assert_non_null(strstr(w.p.skip_text[PH_UNPIN], "no node has an RPC version cap"));
	assert_int_equal(w.p.state[PH_MIGRATE_DATA], PS_SKIPPED);
	assert_int_equal(w.p.state[PH_CONTRACT], PS_SKIPPED);
	plan_free(&w.p);
}

static void after_expand_the_roll_takes_workers_first_and_apis_last(void **state)
{
	(void)state;
	struct world w;
	world(&w, manifest_builtin(), "15.0.1", "8c74e2d7f1ff", fleet14, 5);
	plan(&w);
	assert_int_equal(w.p.phase, PH_ROLL);
	assert_true(w.p.next_ready);
	assert_string_equal(w.nodes[w.p.next.node].conf->name, "ctl1-wrk");
	assert_int_equal(w.p.nroll_queue, 5);
	assert_string_equal(w.nodes[w.p.roll_queue[3]].conf->name, "ctl1-api");
	assert_int_equal(w.p.roll_done, 0);
	assert_int_equal(w.p.roll_total, 5);
	/* three workers done: the APIs come next, one at a time */
	for (int i = 2; i < 5; i++)
		w.nodes[i].obs.release = (char *)"15.0.1";
	plan(&w);
	assert_int_equal(w.p.roll_done, 3);
	assert_string_equal(w.nodes[w.p.next.node].conf->name, "ctl1-api");
	plan_free(&w.p);
}

static void a_node_below_target_is_named_with_its_release(void **state)
{
	(void)state;
	struct world w;
	world(&w, manifest_builtin(), "15.0.1", "8c74e2d7f1ff", fleet14, 5);
	struct gate g;
	gate_eval(&w.in, PH_DONE, &g);
	assert_int_equal(g.verdict, 2);
	char *all = blockers(&w, g.blockers, g.nblockers);
	assert_non_null(strstr(all, "ctl3-wrk (barbican-worker) still runs 14.0.2"));
	free(all);
	gate_free(&g);
}

static void the_lock_held_elsewhere_blocks_every_step_naming_the_holder(void **state)
{
	(void)state;
	struct world w;
	world(&w, manifest_builtin(), "15.0.1", "0f8c192a061f", fleet14, 5);
	w.s.lock.held = true;
	w.s.lock.holder = (char *)"barbican-status: expand by ops@jump1 since 2026-11-25T10:42Z";
	plan(&w);
	assert_false(w.p.next_ready);
	assert_blocked_by(&w, "lock held by barbican-status: expand by ops@jump1 since 2026-11-25T10:42Z");
	struct gate g;
	gate_eval(&w.in, PH_EXPAND, &g);
	assert_int_equal(g.verdict, 2);
	gate_free(&g);
	plan_free(&w.p);
}

static void a_one_api_deployment_needs_allow_api_outage_and_says_so(void **state)
{
	(void)state;
	static const struct spec one[] = { API("solo-api", NS_UP, "14.0.2") };
	struct world w;
	world(&w, manifest_builtin(), "15.0.1", "8c74e2d7f1ff", one, 1);
	plan(&w);
	assert_false(w.p.next_ready);
	assert_blocked_by(&w, "solo-api is the last healthy barbican-api");
	assert_blocked_by(&w, "allow_api_outage = true");
	w.st.allow_api_outage = true;
	plan(&w);
	assert_true(w.p.next_ready);
	assert_int_equal(w.p.next.kind, STEP_UPGRADE_NODE);
	plan_free(&w.p);
}

static void max_unavailable_waits_for_the_node_that_is_out(void **state)
{
	(void)state;
	struct world w;
	world(&w, manifest_builtin(), "15.0.1", "8c74e2d7f1ff", fleet14, 5);
	/* ctl1-wrk was upgraded and is coming back: down at the target */
	w.nodes[2].obs.state = NS_DOWN;
	w.nodes[2].obs.release = NULL;
	plan(&w);
	/* a node that is already out is taken (no more outage): ctl1-wrk again */
	assert_true(w.p.next_ready);
	assert_string_equal(w.nodes[w.p.next.node].conf->name, "ctl1-wrk");
	/* it is back at the target, another node is drained by someone */
	w.nodes[2].obs.state = NS_UP;
	w.nodes[2].obs.release = (char *)"15.0.1";
	w.nodes[0].obs.state = NS_DRAINED;
	w.nodes[0].obs.release = (char *)"14.0.2";
	plan(&w);
	assert_true(w.p.next_ready);
	assert_string_equal(w.nodes[w.p.next.node].conf->name, "ctl1-api");
	/* ctl1-api was upgraded and is still drained at the target: it is not
	 * upgraded again, and nothing else goes down until it is back */
	w.nodes[0].obs.release = (char *)"15.0.1";
	plan(&w);
	assert_false(w.p.next_ready);
	assert_blocked_by(&w, "1 node is down or drained already (max_unavailable = 1)");
	w.st.max_unavailable = 2;
	plan(&w);
	assert_true(w.p.next_ready);
	assert_string_equal(w.nodes[w.p.next.node].conf->name, "ctl2-wrk");
	plan_free(&w.p);
}

static void unobservable_nodes_are_done_only_when_vouched(void **state)
{
	(void)state;
	static const struct spec f[] = {
		API("a1", NS_UP, "15.0.1"), API("a2", NS_UP, "15.0.1"),
		{ "ctl1-retry", SVC_RETRY, false, NS_UNKNOWN, NULL, NULL },
	};
	struct world w;
	world(&w, manifest_builtin(), "15.0.1", "8c74e2d7f1ff", f, 3);
	plan(&w);
	assert_int_equal(w.p.phase, PH_ROLL);
	assert_string_equal(w.nodes[w.p.next.node].conf->name, "ctl1-retry");
	/* a vouch for another release does not count */
	w.vouches[0] = (struct vouch){ "ctl1-retry", "14.0.2" };
	w.in.nvouches = 1;
	plan(&w);
	assert_int_equal(w.p.phase, PH_ROLL);
	w.vouches[0] = (struct vouch){ "ctl1-retry", "15.0.1" };
	plan(&w);
	assert_int_equal(w.p.phase, PH_DONE);
	assert_false(w.p.next_ready);
	struct gate g;
	gate_eval(&w.in, PH_DONE, &g);
	assert_int_equal(g.verdict, 0);
	gate_free(&g);
	plan_free(&w.p);
}

static void skew_blocks_expand_and_names_the_node(void **state)
{
	(void)state;
	static const struct spec f[] = {
		API("a1", NS_UP, "14.0.2"), API("a2", NS_UP, "13.0.2"),
	};
	struct world w;
	world(&w, manifest_builtin(), "15.0.1", "0f8c192a061f", f, 2);
	plan(&w);
	assert_false(w.p.next_ready);
	assert_blocked_by(&w, "a2 (barbican-api) runs 13.0.2, older than 15.0.1 allows");
	plan_free(&w.p);
}

static void cold_and_unreachable_databases_block_expand(void **state)
{
	(void)state;
	struct world w;
	world(&w, manifest_builtin(), "15.0.1", "1bece815014f", fleet14, 5);
	plan(&w);
	assert_false(w.p.next_ready);
	assert_blocked_by(&w, "pre-rebase revision: bring it to 0f8c192a061f with Barbican 10.0.0");
	plan_free(&w.p);
	world(&w, manifest_builtin(), "15.0.1", NULL, fleet14, 5);
	w.s.db.reachable = false;
	w.s.db.versioned = false;
	w.s.db.error = (char *)"connection refused";
	plan(&w);
	assert_false(w.p.next_ready);
	assert_blocked_by(&w, "cannot connect to the database");
	w.s.db.error = NULL;
	plan_free(&w.p);
}

static void no_target_refuses_to_guess(void **state)
{
	(void)state;
	struct world w;
	world(&w, manifest_builtin(), NULL, "0f8c192a061f", fleet14, 5);
	plan(&w);
	assert_false(w.p.next_ready);
	assert_blocked_by(&w, "set [upgrade] target_release");
	struct gate g;
	gate_eval(&w.in, PH_EXPAND, &g);
	assert_int_equal(g.verdict, 255);
	gate_free(&g);
	plan_free(&w.p);
}

/* ---- waivers ---- */

static void a_waiver_turns_a_failure_into_a_warning_until_its_date(void **state)
{
	(void)state;
	struct world w;
	world(&w, manifest_builtin(), "15.0.1", "0f8c192a061f", fleet14, 5);
	struct check_result r[1] = { { check_find("rpc-objects"), BS_FAILURE, NULL, NULL, false } };
	w.in.checks = r;
	w.in.nchecks = 1;
	struct gate g;
	gate_eval(&w.in, PH_EXPAND, &g);
	assert_int_equal(g.verdict, 2);
	gate_free(&g);

	struct waiver wv = { (char *)"skew-ok", (char *)"rpc-objects", (char *)"2026-12-31",
			     2000, (char *)"ops", (char *)"vendor patch pending" };
	w.st.waivers = &wv;
	w.st.nwaivers = 1;
	w.in.now = 1999; /* the waiver's last second */
	gate_eval(&w.in, PH_EXPAND, &g);
	assert_int_equal(g.verdict, 1);
	assert_int_equal(g.nwarnings, 1);
	assert_non_null(strstr(g.waiver_notes[0], "holds until 2026-12-31"));
	gate_free(&g);
	plan(&w);
	assert_true(w.p.next_ready);
	assert_true(w.p.next_warnings);

	w.in.now = 2000; /* the day after: expired */
	gate_eval(&w.in, PH_EXPAND, &g);
	assert_int_equal(g.verdict, 2);
	assert_non_null(strstr(g.waiver_notes[0], "expired"));
	gate_free(&g);
	plan_free(&w.p);
}

/* ---- contract, data migrations, caps, offline: a synthetic release ---- */

static const char *const d_r1[] = { "r1" }, *const d_e1[] = { "e1" }, *const d_c1[] = { "c1" };
static const struct mf_migration syn_migs[] = {
	{ "r1", NULL, 0, "1.0.0", "2.0.0", "", "root", "", MIG_EXPAND, "", NULL },
	{ "e1", d_r1, 1, "2.0.0", "2.0.0", "", "add", "add_column=1", MIG_EXPAND, "", NULL },
	{ "c1", d_e1, 1, "2.0.0", "2.0.0", "", "drop", "drop_column=1", MIG_CONTRACT, "", NULL },
	{ "o1", d_c1, 1, "2.0.0", "2.0.0", "", "rewrite", "execute=1", MIG_OFFLINE, "", NULL },
};
static const char *const syn_h1[] = { "r1" }, *const syn_k1[] = { "r1" };
static const char *const syn_h2[] = { "o1" }, *const syn_k2[] = { "r1", "e1", "c1", "o1" };
static const struct mf_release syn_rels[] = {
	{ "1.0.0", "a", "", "r1", syn_h1, 1, syn_k1, 1, NULL, 0, "1.0", "1.0", NULL, 0 },
	{ "2.0.0", "b", "", "r1", syn_h2, 1, syn_k2, 4, NULL, 0, "1.1", "1.0", NULL, 0 },
};
static const struct mf_series syn_series[] = { { "a", 1, false }, { "b", 2, false } };
static const struct manifest SYN = { syn_rels, 2, syn_migs, 4, syn_series, 2 };

static const struct spec fleet2[] = {
	API("a1", NS_UP, "2.0.0"), API("a2", NS_UP, "2.0.0"),
	{ "w1", SVC_WORKER, true, NS_UP, "2.0.0", "1.0" },
};

static void caps_then_data_migrations_then_contract_then_offline(void **state)
{
	(void)state;
	struct world w;
	world(&w, &SYN, "2.0.0", "e1", fleet2, 3);
	w.s.data_migrations = 12;
	plan(&w);
	assert_int_equal(w.p.phase, PH_UNPIN);
	assert_true(w.p.next_ready);
	/* contract waits for the cap, the data migrations, and says so */
	struct gate g;
	gate_eval(&w.in, PH_CONTRACT, &g);
	assert_int_equal(g.verdict, 2);
	char *all = blockers(&w, g.blockers, g.nblockers);
	assert_non_null(strstr(all, "w1 (barbican-worker) still sends with RPC version cap 1.0"));
	assert_non_null(strstr(all, "12 rows of online data migration are left"));
	free(all);
	gate_free(&g);

	w.nodes[2].obs.rpc_cap = NULL;
	plan(&w);
	assert_int_equal(w.p.phase, PH_MIGRATE_DATA);
	w.s.data_migrations = 0;
	plan(&w);
	assert_int_equal(w.p.phase, PH_CONTRACT);
	assert_true(w.p.next_ready);
	assert_string_equal(w.p.next.revision, "c1");
	gate_eval(&w.in, PH_CONTRACT, &g);
	assert_int_equal(g.verdict, 0);
	gate_free(&g);

	/* contracted: offline is announced: services must be stopped, and it is an outage */
	w.heads[0] = (char *)"c1";
	plan(&w);
	assert_int_equal(w.p.phase, PH_OFFLINE);
	assert_false(w.p.next_ready);
	assert_blocked_by(&w, "offline migrations need every service stopped");
	assert_blocked_by(&w, "a1 (barbican-api) is still running");
	w.st.allow_api_outage = true;
	for (int i = 0; i < 3; i++) {
		w.nodes[i].obs.state = NS_DOWN;
		w.nodes[i].obs.release = NULL;
	}
	plan(&w);
	assert_int_equal(w.p.phase, PH_OFFLINE);
	assert_true(w.p.next_ready);
	assert_string_equal(w.p.next.revision, "o1");
	plan_free(&w.p);
}

static void expand_never_runs_past_a_contract_migration(void **state)
{
	(void)state;
	struct world w;
	world(&w, &SYN, "2.0.0", "r1", fleet2, 3);
	w.nodes[0].obs.release = w.nodes[1].obs.release = w.nodes[2].obs.release = (char *)"1.0.0";
	plan(&w);
	assert_int_equal(w.p.phase, PH_EXPAND);
	assert_string_equal(w.p.next.revision, "e1");
	assert_int_equal(w.p.nexpand, 1);
	assert_int_equal(w.p.ncontract, 1);
	assert_int_equal(w.p.noffline, 1);
	plan_free(&w.p);
}

static void gate_before_a_skipped_step_holds_with_nothing_to_do(void **state)
{
	(void)state;
	static const struct spec f[] = { API("a1", NS_UP, "15.0.1"), API("a2", NS_UP, "15.0.1") };
	struct world w;
	world(&w, manifest_builtin(), "15.0.1", "8c74e2d7f1ff", f, 2);
	struct gate g;
	gate_eval(&w.in, PH_UNPIN, &g);
	assert_int_equal(g.verdict, 0);
	gate_free(&g);
	gate_eval(&w.in, PH_DONE, &g);
	assert_int_equal(g.verdict, 0);
	gate_free(&g);
}

/* The demo deployment (scripts/demo.sh, tests/sim/fleets/demo-14.json): two
 * barbican-api, three workers and a keystone listener that report, and a
 * barbican-retry with nothing to ask; 14.0.2 -> 15.0.1, where unpin,
 * migrate-data, contract and offline have nothing to do. Every STEP of
 * `gate --before` at every phase the demo goes through: a gate holds when
 * every phase before its step is complete or skipped, and its step's own
 * prerequisites hold, which a step with nothing to do has none of (the lock
 * and the checks still count). Expected verdicts are written from that rule
 * (barbican-status(1), upgrade gate), one row per demo phase. */
#define RETRY(name) { name, SVC_RETRY, false, NS_UNKNOWN, NULL, NULL }

enum demo_phase { DEMO_EXPAND, DEMO_ROLL_START, DEMO_ROLL_APIS_LEFT, DEMO_DONE, DEMO_DONE_LOCKED };

static void demo_world(struct world *w, enum demo_phase dp)
{
	static const struct spec demo14[] = {
		API("ctl1-api", NS_UP, "14.0.2"), API("ctl2-api", NS_UP, "14.0.2"),
		WRK("ctl1-wrk", NS_UP, "14.0.2"), WRK("ctl2-wrk", NS_UP, "14.0.2"),
		WRK("ctl3-wrk", NS_UP, "14.0.2"),
		{ "ctl1-ksl", SVC_KEYSTONE_LISTENER, true, NS_UP, "14.0.2", NULL },
		RETRY("ctl1-retry"),
	};
	world(w, manifest_builtin(), "15.0.1", dp == DEMO_EXPAND ? "0f8c192a061f" : "8c74e2d7f1ff",
	      demo14, 7);
	if (dp == DEMO_ROLL_APIS_LEFT || dp >= DEMO_DONE) {
		for (int i = 2; i < 6; i++)
			w->nodes[i].obs.release = (char *)"15.0.1";
		w->vouches[0] = (struct vouch){ "ctl1-retry", "15.0.1" };
		w->in.nvouches = 1;
	}
	if (dp >= DEMO_DONE)
		w->nodes[0].obs.release = w->nodes[1].obs.release = (char *)"15.0.1";
	if (dp == DEMO_DONE_LOCKED) {
		w->s.lock.held = true;
		w->s.lock.holder = (char *)"barbican-status: upgrade_node by ops@jump1 since 2026-11-25T10:42Z";
	}
}

static void every_gate_at_every_phase_of_the_demo(void **state)
{
	(void)state;
	static const char *const steps[] = { "expand", "roll", "unpin", "migrate-data",
					     "contract", "offline", "done" };
	static const struct {
		enum demo_phase dp;
		const char *name;
		enum phase phase;
		int verdict[7]; /* in the order of steps[] */
	} rows[] = {
		{ DEMO_EXPAND, "expand", PH_EXPAND, { 0, 2, 2, 2, 2, 2, 2 } },
		{ DEMO_ROLL_START, "roll, nothing upgraded", PH_ROLL, { 0, 0, 2, 2, 2, 2, 2 } },
		{ DEMO_ROLL_APIS_LEFT, "roll, the APIs left", PH_ROLL, { 0, 0, 2, 2, 2, 2, 2 } },
		{ DEMO_DONE, "done", PH_DONE, { 0, 0, 0, 0, 0, 0, 0 } },
		{ DEMO_DONE_LOCKED, "done, lock held", PH_DONE, { 2, 2, 2, 2, 2, 2, 2 } },
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct world w;
		demo_world(&w, rows[r].dp);
		plan(&w);
		if (w.p.phase != rows[r].phase)
			fail_msg("demo at %s: phase %s", rows[r].name, phase_name(w.p.phase));
		for (size_t k = 0; k < 7; k++) {
			enum phase before;
			assert_true(phase_parse(steps[k], &before));
			struct gate g;
			gate_eval(&w.in, before, &g);
			if (g.verdict != rows[r].verdict[k]) {
				char *all = blockers(&w, g.blockers, g.nblockers);
				fail_msg("demo at %s: gate --before %s: verdict %d, want %d (%s)",
					 rows[r].name, steps[k], g.verdict, rows[r].verdict[k], all);
			}
			gate_free(&g);
		}
		plan_free(&w.p);
	}
}

static void names_of_phases_steps_and_blockers(void **state)
{
	(void)state;
	enum phase ph;
	assert_true(phase_parse("migrate-data", &ph));
	assert_int_equal(ph, PH_MIGRATE_DATA);
	assert_false(phase_parse("migrate_data", &ph));
	assert_string_equal(step_kind_name(phase_step(PH_ROLL)), "upgrade_node");
	assert_string_equal(step_kind_name(phase_step(PH_MIGRATE_DATA)), "data_migrations");
	for (int c = BLK_TARGET_UNKNOWN; c <= BLK_DB_NOT_AT_TARGET; c++)
		assert_string_not_equal(blocker_code_name((enum blocker_code)c), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_node_that_needs_a_restart_is_not_done),
		cmocka_unit_test(progress_counts_nodes_per_service_and_times_what_is_left),
		cmocka_unit_test(data_migration_rate_over_the_samples_since_the_last_rise),
		cmocka_unit_test(rows_left_to_migrate_mean_not_done),
		cmocka_unit_test(a_14_fleet_before_expand_expands_to_the_15_head),
		cmocka_unit_test(after_expand_the_roll_takes_workers_first_and_apis_last),
		cmocka_unit_test(a_node_below_target_is_named_with_its_release),
		cmocka_unit_test(the_lock_held_elsewhere_blocks_every_step_naming_the_holder),
		cmocka_unit_test(a_one_api_deployment_needs_allow_api_outage_and_says_so),
		cmocka_unit_test(max_unavailable_waits_for_the_node_that_is_out),
		cmocka_unit_test(unobservable_nodes_are_done_only_when_vouched),
		cmocka_unit_test(skew_blocks_expand_and_names_the_node),
		cmocka_unit_test(cold_and_unreachable_databases_block_expand),
		cmocka_unit_test(no_target_refuses_to_guess),
		cmocka_unit_test(a_waiver_turns_a_failure_into_a_warning_until_its_date),
		cmocka_unit_test(caps_then_data_migrations_then_contract_then_offline),
		cmocka_unit_test(expand_never_runs_past_a_contract_migration),
		cmocka_unit_test(gate_before_a_skipped_step_holds_with_nothing_to_do),
		cmocka_unit_test(every_gate_at_every_phase_of_the_demo),
		cmocka_unit_test(names_of_phases_steps_and_blockers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
