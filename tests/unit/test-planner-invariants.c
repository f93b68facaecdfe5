/* test-planner-invariants.c: the planner's safety invariants, over every
 * state of a small but complete world (the enumeration):
 *
 *   every multiset of 1 to 4 nodes, each one of
 *       {barbican-api, barbican-worker} x release {N-2, N-1, N, N+1}
 *       x state {up, down, drained, unknown}
 *   x database {before expand, expanded, contracted, unknown revision}
 *   x data migrations {none, some} x caps {none, some} x lock {free, held elsewhere}
 *
 * over a synthetic manifest whose target N has expand, contract and offline
 * migrations (and an expand after a contract), so that no invariant holds by
 * emptiness. The invariants, checked from the snapshot itself and not from
 * the planner's own bookkeeping:
 *   1. never contract while a node runs below the target (or cannot be
 *      observed), data migrations remain, or a cap is set;
 *   2. never a step that leaves no healthy barbican-api (allow_api_outage off);
 *   3. never any step while another operator holds the lock;
 *   4. never expand from an unknown revision;
 *   5. never an expand run that would also apply a contract or offline migration;
 *   6. never offline while an observable service is up or drained;
 *   7. never expand or upgrade a node while a node runs a release the target
 *      cannot run beside (N-2, N+1).
 * It prints the number of states and how many proposed a step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "planner/planner.h"

/* ---- the synthetic manifest: releases 1 (N-2) to 4 (N+1), target 3 ---- */

static const char *const d_r0[] = { "r0" }, *const d_r1[] = { "r1" }, *const d_e1[] = { "e1" },
			 *const d_c1[] = { "c1" }, *const d_e2[] = { "e2" }, *const d_o1[] = { "o1" };

static const struct mf_migration migs[] = {
	{ "r0", NULL, 0, "1.0.0", "4.0.0", "", "root", "create_table=9", MIG_EXPAND, "", NULL },
	{ "r1", d_r0, 1, "2.0.0", "4.0.0", "", "n-1 add", "add_column=1", MIG_EXPAND, "", NULL },
	{ "e1", d_r1, 1, "3.0.0", "4.0.0", "", "n add", "add_column=1", MIG_EXPAND, "", NULL },
	{ "c1", d_e1, 1, "3.0.0", "4.0.0", "", "n drop", "drop_column=1", MIG_CONTRACT, "", NULL },
	{ "e2", d_c1, 1, "3.0.0", "4.0.0", "", "n add after drop", "create_index=1", MIG_EXPAND, "", NULL },
	{ "o1", d_e2, 1, "3.0.0", "4.0.0", "", "n rewrite", "execute=1", MIG_OFFLINE, "", NULL },
	{ "r4", d_o1, 1, "4.0.0", "4.0.0", "", "n+1 add", "add_column=1", MIG_EXPAND, "", NULL },
};

static const char *const h1[] = { "r0" }, *const h2[] = { "r1" }, *const h3[] = { "o1" },
			 *const h4[] = { "r4" };
static const char *const k1[] = { "r0" }, *const k2[] = { "r0", "r1" },
			 *const k3[] = { "r0", "r1", "e1", "c1", "e2", "o1" },
			 *const k4[] = { "r0", "r1", "e1", "c1", "e2", "o1", "r4" };

static const struct mf_release rels[] = {
	{ "1.0.0", "s1", "", "r0", h1, 1, k1, 1, NULL, 0, "1.0", "1.0", NULL, 0 },
	{ "2.0.0", "s2", "", "r0", h2, 1, k2, 2, NULL, 0, "1.1", "1.0", NULL, 0 },
	{ "3.0.0", "s3", "", "r0", h3, 1, k3, 6, NULL, 0, "1.2", "1.0", NULL, 0 },
	{ "4.0.0", "s4", "", "r0", h4, 1, k4, 7, NULL, 0, "1.3", "1.0", NULL, 0 },
};

static const struct mf_series series[] = {
	{ "s1", 1, false }, { "s2", 2, false }, { "s3", 3, false }, { "s4", 4, false },
};

static const struct manifest M = { rels, 4, migs, 7, series, 4 };

#define TARGET "3.0.0"

/* ---- the world ---- */

struct kind {
	enum service_kind svc;
	const char *release;
	enum node_state state;
};

static struct kind kinds[32];
static size_t nkinds;

static const char *const db_heads[4] = { "r1", "e1", "e2", "zz9" };
static const char *const db_names[4] = { "before expand", "expanded", "contracted", "unknown revision" };

struct counters {
	unsigned long states, ready, by_step[STEP__COUNT], violations;
};

static void violation(struct counters *c, const char *what, const struct snapshot *s, int db,
		      const struct plan *p)
{
	if (c->violations++ < 10) {
		print_error("VIOLATION %s: step %s, db %s, lock %d, data %ld, nodes:", what,
			    step_kind_name(p->next.kind), db_names[db], s->lock.held, s->data_migrations);
		for (size_t i = 0; i < s->nnodes; i++)
			print_error(" [%s %s %s cap=%s]", service_short(s->nodes[i].conf->service),
				    s->nodes[i].obs.release, node_state_name(s->nodes[i].obs.state),
				    s->nodes[i].obs.rpc_cap ? s->nodes[i].obs.rpc_cap : "-");
		print_error("\n");
	}
}

/* walking down from rev, every row until a head of the database must be expand */
static bool expand_only_path(const char *rev, const char *head)
{
	while (strcmp(rev, head) != 0) {
		const struct mf_migration *m = mf_row(&M, &rels[2], rev);
		if (!m || m->cls != MIG_EXPAND || m->ndown != 1)
			return false;
		rev = m->down[0];
	}
	return true;
}

static void check_state(struct counters *c, const struct plan_input *in, int db)
{
	const struct snapshot *s = in->snap;
	struct plan p;
	plan_compute(in, &p);
	c->states++;
	if (!p.next_ready) {
		plan_free(&p);
		return;
	}
	c->ready++;
	c->by_step[p.next.kind]++;

	size_t healthy = 0;
	bool cap = false, too_far = false;
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct node *n = &s->nodes[i];
		healthy += n->conf->service == SVC_API && n->obs.state == NS_UP;
		cap |= n->obs.rpc_cap != NULL && n->obs.state != NS_UNKNOWN;
		if (n->obs.state != NS_UNKNOWN) {
			enum rel_relation r = mf_relate(&M, n->obs.release, TARGET, NULL);
			too_far |= r == REL_OLDER || r == REL_NEWER;
		}
	}

	/* 3 */
	if (s->lock.held)
		violation(c, "a step while the lock is held", s, db, &p);
	/* 2 */
	size_t left = healthy;
	if (p.next.kind == STEP_UPGRADE_NODE) {
		const struct node *n = &s->nodes[p.next.node];
		if (n->conf->service == SVC_API && n->obs.state == NS_UP)
			left--;
	}
	if (left == 0 && !in->st->allow_api_outage)
		violation(c, "a step that leaves no healthy barbican-api", s, db, &p);
	/* 1 */
	if (p.next.kind == STEP_CONTRACT) {
		for (size_t i = 0; i < s->nnodes; i++) {
			const struct node *n = &s->nodes[i];
			if (n->obs.state == NS_UNKNOWN || strcmp(n->obs.release, TARGET) != 0)
				violation(c, "contract while a node is below the target", s, db, &p);
		}
		if (s->data_migrations > 0)
			violation(c, "contract while data migrations remain", s, db, &p);
		if (cap)
			violation(c, "contract while a cap is set", s, db, &p);
	}
	/* 4 and 5 */
	if (p.next.kind == STEP_EXPAND) {
		if (db == 3)
			violation(c, "expand from an unknown revision", s, db, &p);
		else if (!p.next.revision || !expand_only_path(p.next.revision, db_heads[db]))
			violation(c, "an expand that applies a contract or offline migration", s, db, &p);
	}
	/* 6 */
	if (p.next.kind == STEP_OFFLINE)
		for (size_t i = 0; i < s->nnodes; i++)
			if (s->nodes[i].obs.state == NS_UP || s->nodes[i].obs.state == NS_DRAINED)
				violation(c, "offline while a service runs", s, db, &p);
	/* 7 */
	if ((p.next.kind == STEP_EXPAND || p.next.kind == STEP_UPGRADE_NODE) && too_far)
		violation(c, "a step beside a node the target cannot run with", s, db, &p);
	/* and the step of the roll is for a node that is not done */
	if (p.next.kind == STEP_UPGRADE_NODE && p.nodes[p.next.node].done)
		violation(c, "upgrading a node that is done", s, db, &p);
	plan_free(&p);
}

static void enumerate(bool allow_api_outage)
{
	static const enum service_kind svcs[] = { SVC_API, SVC_WORKER };
	static const char *const releases[] = { "1.0.0", "2.0.0", "3.0.0", "4.0.0" };
	static const enum node_state states[] = { NS_UP, NS_DOWN, NS_DRAINED, NS_UNKNOWN };
	nkinds = 0;
	for (size_t a = 0; a < 2; a++)
		for (size_t r = 0; r < 4; r++)
			for (size_t t = 0; t < 4; t++)
				kinds[nkinds++] = (struct kind){ svcs[a], releases[r], states[t] };

	struct settings st = { 0 };
	static char *order[] = { "barbican-worker", "barbican-keystone-listener", "barbican-retry",
				 "barbican-api" };
	st.roll_order = order;
	st.nroll_order = 4;
	st.max_unavailable = 1;
	st.allow_api_outage = allow_api_outage;

	struct node_conf confs[4];
	struct node nodes[4];
	struct snapshot s;
	memset(&s, 0, sizeof(s));
	s.settings = &st;
	s.nodes = nodes;
	s.target = (char *)TARGET;
	s.target_src = TARGET_CONFIG;
	char *heads[1];
	s.db.configured = s.db.supported = s.db.probed = s.db.reachable = s.db.versioned = true;
	s.db.heads = heads;
	s.db.nheads = 1;
	s.db.url_masked = (char *)"postgresql://u:***@h/db";
	s.lock.holder = (char *)"barbican-status: expand by ops@jump1 since 2026-11-25T10:42Z";

	struct plan_input in = { &s, &M, &st, NULL, 0, NULL, 0, 0, false };
	struct counters c = { 0 };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	size_t idx[4];
	for (size_t n = 1; n <= 4; n++) {
		/* multisets: non-decreasing index tuples */
		for (size_t i = 0; i < n; i++)
			idx[i] = 0;
		for (;;) {
			for (size_t i = 0; i < n; i++) {
				const struct kind *k = &kinds[idx[i]];
				static const char *const names[] = { "n0", "n1", "n2", "n3" };
				confs[i] = (struct node_conf){ (char *)names[i], k->svc, NULL, NULL, NULL, 2, false, NULL };
				if (k->state != NS_UNKNOWN) {
					if (k->svc == SVC_API)
						confs[i].url = (char *)"http://api:9311";
					else
						confs[i].report_url = (char *)"http://wrk:9312/r";
				}
				memset(&nodes[i], 0, sizeof(nodes[i]));
				nodes[i].conf = &confs[i];
				nodes[i].obs.state = k->state;
				nodes[i].obs.probed = k->state != NS_UNKNOWN;
				nodes[i].obs.release = k->state == NS_UNKNOWN ? NULL : (char *)k->release;
				nodes[i].obs.data_migrations_remaining = -1;
			}
			s.nnodes = n;
			for (int db = 0; db < 4; db++) {
				heads[0] = (char *)db_heads[db];
				for (int data = 0; data < 2; data++) {
					s.data_migrations = data ? 5 : 0;
					for (int caps = 0; caps < 2; caps++) {
						for (size_t i = 0; i < n; i++)
							nodes[i].obs.rpc_cap = NULL;
						if (caps) {
							for (size_t i = 0; i < n; i++) {
								if (nodes[i].obs.state != NS_UNKNOWN) {
									nodes[i].obs.rpc_cap = (char *)"1.1";
									break;
								}
							}
						}
						for (int lock = 0; lock < 2; lock++) {
							s.lock.held = lock;
							check_state(&c, &in, db);
						}
					}
				}
			}
			/* next multiset */
			size_t i = n;
			while (i > 0 && idx[i - 1] == nkinds - 1)
				i--;
			if (i == 0)
				break;
			idx[i - 1]++;
			for (size_t j = i; j < n; j++)
				idx[j] = idx[i - 1];
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("allow_api_outage = %s: %lu states checked in %.1f s; a step was proposed in %lu of them "
	       "(expand %lu, upgrade_node %lu, unpin %lu, data_migrations %lu, contract %lu, "
	       "offline %lu); %lu violations\n",
	       allow_api_outage ? "true" : "false", c.states, secs, c.ready, c.by_step[STEP_EXPAND], c.by_step[STEP_UPGRADE_NODE],
	       c.by_step[STEP_UNPIN], c.by_step[STEP_DATA_MIGRATIONS], c.by_step[STEP_CONTRACT],
	       c.by_step[STEP_OFFLINE], c.violations);
	/* the enumeration itself: C(32+k-1, k) multisets for k = 1..4, x 32 */
	assert_int_equal(c.states, (32UL + 528 + 5984 + 52360) * 32);
	/* no invariant holds by emptiness: each kind of step is proposed somewhere */
	assert_true(c.by_step[STEP_EXPAND] > 0);
	assert_true(c.by_step[STEP_UPGRADE_NODE] > 0);
	assert_true(c.by_step[STEP_UNPIN] > 0);
	assert_true(c.by_step[STEP_DATA_MIGRATIONS] > 0);
	assert_true(c.by_step[STEP_CONTRACT] > 0);
	if (allow_api_outage)
		assert_true(c.by_step[STEP_OFFLINE] > 0);
	assert_int_equal(c.violations, 0);
}

/* The enumeration, allow_api_outage = false (invariant 2 applies). */
static void every_state_keeps_the_invariants(void **state)
{
	(void)state;
	enumerate(false);
}

/* The same world with allow_api_outage = true: the only way offline
 * migrations are ever proposed, so that invariant 6 is exercised too. */
static void with_an_accepted_outage_too(void **state)
{
	(void)state;
	enumerate(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_state_keeps_the_invariants),
		cmocka_unit_test(with_an_accepted_outage_too),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
