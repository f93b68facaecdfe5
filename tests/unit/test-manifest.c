/* test-manifest.c: the release manifest compiled in from data/, and the
 * questions the program asks it. Expected values come from the release
 * facts (../shared/barbican/README.md, DESIGN.md), not from the code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/manifest.h"

static const struct manifest *M;

static int setup(void **state)
{
	(void)state;
	M = manifest_builtin();
	return 0;
}

/* ---- relations between a node's release and the target ---- */

struct rel_case {
	const char *node, *target;
	enum rel_relation want;
	bool in_manifest;
};

static const struct rel_case rel_cases[] = {
	{ "15.0.1", "15.0.1", REL_SAME, true },
	{ "15.0.0", "15.0.1", REL_SAME_SERIES, true },      /* zed point release */
	{ "14.0.2", "15.0.1", REL_N1, true },               /* yoga -> zed */
	{ "14.0.0", "15.0.1", REL_N1, true },
	{ "13.0.2", "15.0.1", REL_OLDER, true },            /* xena: N-2, zed is not SLURP */
	{ "16.0.0", "15.0.1", REL_NEWER, true },
	{ "15.0.2", "15.0.1", REL_NEWER, false },           /* a later zed build */
	{ "17.0.0", "18.0.0", REL_N1, true },               /* 2023.2 -> 2024.1 */
	{ "16.0.2", "18.0.0", REL_SLURP_PREV, true },       /* 2023.1 -> 2024.1 (SLURP) */
	{ "15.0.1", "18.0.0", REL_OLDER, true },
	{ "19.0.0", "20.0.0", REL_N1, true },
	{ "18.0.0", "20.0.0", REL_SLURP_PREV, true },       /* 2024.1 -> 2025.1 */
	{ "17.0.0", "20.0.0", REL_OLDER, true },            /* 2023.2 is not SLURP */
	{ "20.0.0", "22.0.0", REL_SLURP_PREV, true },       /* 2025.1 -> 2026.1 */
	{ "16.0.0", "19.0.0", REL_OLDER, true },            /* 2024.2 is not a SLURP target */
	{ "15.0.1", "16.0.0", REL_N1, true },               /* zed -> 2023.1 */
	{ "14.0.2", "16.0.0", REL_OLDER, true },            /* no SLURP before 2023.1 */
	{ "16.1.0.dev3", "16.0.0", REL_NEWER, false },      /* dev build compared by numbers */
	{ "15.0.1.dev12", "16.0.0", REL_N1, false },
	{ "23.0.0", "22.0.0", REL_NEWER, false },           /* beyond the manifest */
	{ "8.0.0", "15.0.1", REL_OLDER, false },
	{ "banana", "15.0.1", REL_UNKNOWN, false },
	{ NULL, "15.0.1", REL_UNKNOWN, false },
	{ "15.0.1", "99.0.0", REL_UNKNOWN, true },          /* unknown target series */
};

static void relations_follow_series_and_slurp(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rel_cases) / sizeof(rel_cases[0]); i++) {
		const struct rel_case *c = &rel_cases[i];
		bool listed;
		enum rel_relation got = mf_relate(M, c->node, c->target, &listed);
		if (got != c->want || listed != c->in_manifest)
			fail_msg("%s vs target %s: got %s (listed %d), want %s (listed %d)",
				 c->node ? c->node : "(null)", c->target, rel_relation_name(got), listed,
				 rel_relation_name(c->want), c->in_manifest);
	}
}

static void ok_relations_are_same_series_n1_and_slurp(void **state)
{
	(void)state;
	assert_true(rel_relation_ok(REL_SAME));
	assert_true(rel_relation_ok(REL_SAME_SERIES));
	assert_true(rel_relation_ok(REL_N1));
	assert_true(rel_relation_ok(REL_SLURP_PREV));
	assert_false(rel_relation_ok(REL_OLDER));
	assert_false(rel_relation_ok(REL_NEWER));
	assert_false(rel_relation_ok(REL_UNKNOWN));
}

/* ---- facts of the data ---- */

static void every_release_from_9_to_22_with_its_series(void **state)
{
	(void)state;
	static const struct { const char *tag, *series; } want[] = {
		{ "9.0.0", "train" }, { "10.0.0", "ussuri" }, { "10.1.0", "ussuri" },
		{ "11.0.0", "victoria" }, { "12.0.2", "wallaby" }, { "13.0.2", "xena" },
		{ "14.0.2", "yoga" }, { "15.0.1", "zed" }, { "16.0.2", "2023.1" },
		{ "17.0.0", "2023.2" }, { "18.0.0", "2024.1" }, { "19.0.0", "2024.2" },
		{ "20.0.0", "2025.1" }, { "21.0.0", "2025.2" }, { "22.0.0", "2026.1" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct mf_release *r = mf_release(M, want[i].tag);
		assert_non_null(r);
		assert_string_equal(r->series, want[i].series);
	}
	assert_string_equal(mf_latest(M)->tag, "22.0.0");
	assert_null(mf_release(M, "15.0.2"));
}

static void slurp_series_are_the_year_dot_one_ones(void **state)
{
	(void)state;
	for (size_t i = 0; i < M->nseries; i++) {
		const char *n = M->series[i].name;
		bool want = !strcmp(n, "2023.1") || !strcmp(n, "2024.1") || !strcmp(n, "2025.1") ||
			    !strcmp(n, "2026.1");
		assert_int_equal(M->series[i].slurp, want);
	}
}

static void heads_of_the_releases(void **state)
{
	(void)state;
	/* DESIGN.md: 10.0.0 through 14.x have head 0f8c192a061f; 15.0.0 through 22.0.0 8c74e2d7f1ff */
	for (size_t i = 0; i < M->nreleases; i++) {
		const struct mf_release *r = &M->releases[i];
		assert_int_equal(r->nheads, 1);
		long major = strtol(r->tag, NULL, 10);
		if (major >= 10 && major <= 14)
			assert_string_equal(r->heads[0], "0f8c192a061f");
		else if (major >= 15)
			assert_string_equal(r->heads[0], "8c74e2d7f1ff");
		assert_true(mf_knows(r, r->heads[0]));
		assert_non_null(mf_row(M, r, r->heads[0]));
	}
}

static void rebase_root_and_cold_chain(void **state)
{
	(void)state;
	assert_string_equal(mf_release(M, "10.1.0")->root, "39cf2e645cba");
	/* known on both sides of the rebase */
	assert_false(mf_is_cold(M, "39cf2e645cba"));
	assert_false(mf_is_cold(M, "0f8c192a061f"));
	assert_false(mf_is_cold(M, "8c74e2d7f1ff"));
	/* the old chain */
	assert_true(mf_is_cold(M, "1bece815014f"));
	assert_true(mf_is_cold(M, "juno"));
	assert_true(mf_is_cold(M, "d2780d5aa510"));
	/* unknown to every release: not cold, just unknown */
	assert_false(mf_is_cold(M, "deadbeef0001"));
	/* the two rows of 39cf2e645cba */
	const struct mf_migration *old = mf_row(M, mf_release(M, "10.0.0"), "39cf2e645cba");
	const struct mf_migration *rebase = mf_row(M, mf_release(M, "15.0.1"), "39cf2e645cba");
	assert_non_null(old);
	assert_non_null(rebase);
	assert_int_equal(old->ndown, 1);
	assert_string_equal(old->down[0], "d2780d5aa510");
	assert_int_equal(rebase->ndown, 0);
	assert_int_equal(old->cls, MIG_COLD);
	assert_int_equal(rebase->cls, MIG_EXPAND);
}

/* ---- pending paths ---- */

struct path_case {
	const char *heads[2];
	size_t nheads;
	const char *target;
	enum db_verdict verdict;
	const char *steps[4];
};

static const struct path_case path_cases[] = {
	/* README: 14.x -> 15.x has exactly one pending migration, 8c74e2d7f1ff */
	{ { "0f8c192a061f" }, 1, "15.0.1", DBV_PENDING, { "8c74e2d7f1ff" } },
	{ { "8c74e2d7f1ff" }, 1, "15.0.1", DBV_UP_TO_DATE, { NULL } },
	{ { "8c74e2d7f1ff" }, 1, "22.0.0", DBV_UP_TO_DATE, { NULL } },
	{ { "39cf2e645cba" }, 1, "16.0.0", DBV_PENDING, { "0f8c192a061f", "8c74e2d7f1ff" } },
	{ { NULL }, 0, "15.0.1", DBV_PENDING, { "39cf2e645cba", "0f8c192a061f", "8c74e2d7f1ff" } },
	{ { "1bece815014f" }, 1, "15.0.1", DBV_COLD, { NULL } },
	{ { "8c74e2d7f1ff" }, 1, "14.0.2", DBV_AHEAD, { NULL } },
	{ { "deadbeef0001" }, 1, "15.0.1", DBV_UNKNOWN, { NULL } },
	/* on the old chain, 10.0.0 still knows the way */
	{ { "d2780d5aa510" }, 1, "10.0.0", DBV_PENDING, { "39cf2e645cba", "0f8c192a061f" } },
	{ { "0f8c192a061f" }, 1, "10.0.0", DBV_UP_TO_DATE, { NULL } },
};

static void pending_paths_to_target_heads(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct path_case *c = &path_cases[i];
		struct mf_path p;
		mf_pending(M, c->heads, c->nheads, mf_release(M, c->target), &p);
		if (p.verdict != c->verdict)
			fail_msg("case %zu (%s -> %s): verdict %s, want %s", i,
				 c->nheads ? c->heads[0] : "empty", c->target, db_verdict_name(p.verdict),
				 db_verdict_name(c->verdict));
		size_t want = 0;
		while (want < 4 && c->steps[want])
			want++;
		assert_int_equal(p.nsteps, want);
		for (size_t k = 0; k < want; k++)
			assert_string_equal(p.steps[k]->revision, c->steps[k]);
		if (c->verdict == DBV_COLD || c->verdict == DBV_AHEAD || c->verdict == DBV_UNKNOWN)
			assert_string_equal(p.offending, c->heads[0]);
		mf_path_free(&p);
	}
}

static void applied_revisions_follow_the_graph_of_the_release_that_knows_them(void **state)
{
	(void)state;
	const char *h1[] = { "8c74e2d7f1ff" };
	const struct mf_migration **rows;
	size_t n = mf_applied(M, h1, 1, &rows);
	assert_int_equal(n, 3); /* 8c74e2d7f1ff, 0f8c192a061f, the rebase root */
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(rows[i]->cls, MIG_COLD);
	free(rows);
	const char *h2[] = { "1bece815014f" };
	n = mf_applied(M, h2, 1, &rows);
	assert_true(n > 3);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(rows[i]->cls, MIG_COLD);
	free(rows);
}

/* ---- classes: curated, cross-checked by the operation rule ---- */

static void class_rule_agrees_except_where_the_curation_explains(void **state)
{
	(void)state;
	/* README: "8c74e2d7f1ff drops and creates a constraint, yet only relaxes
	 * the schema" -- the one migration where operations alone mislead. */
	size_t disagreements = 0;
	for (size_t i = 0; i < M->nmigrations; i++) {
		const struct mf_migration *mig = &M->migrations[i];
		if (mig->cls == MIG_COLD)
			continue;
		if (mf_class_rule(mig->ops) != mig->cls) {
			disagreements++;
			assert_string_equal(mig->revision, "8c74e2d7f1ff");
			assert_non_null(strstr(mig->reason, "relaxes"));
		}
	}
	assert_int_equal(disagreements, 1);
	assert_int_equal(mf_class_rule("create_table=1,get_bind=1"), MIG_EXPAND);
	assert_int_equal(mf_class_rule("drop_column=1"), MIG_CONTRACT);
	assert_int_equal(mf_class_rule("add_column=1,alter_column=1"), MIG_CONTRACT);
	assert_int_equal(mf_class_rule("dropped_column_marker=1"), MIG_EXPAND);
}

/* ---- a synthetic manifest with branch heads (expand/contract labels) ---- */

static const char *const syn_down_a[] = { "root" };
static const char *const syn_down_e1[] = { "root" };
static const char *const syn_down_c1[] = { "root" };
static const char *const syn_down_e2[] = { "e1" };

static const struct mf_migration syn_migs[] = {
	{ "root", NULL, 0, "1.0.0", "2.0.0", "", "root", "", MIG_EXPAND, "", NULL },
	{ "e1", syn_down_e1, 1, "2.0.0", "2.0.0", "", "add", "add_column=1", MIG_EXPAND, "", "expand" },
	{ "e2", syn_down_e2, 1, "2.0.0", "2.0.0", "", "add2", "create_table=1", MIG_EXPAND, "", "expand" },
	{ "c1", syn_down_c1, 1, "2.0.0", "2.0.0", "", "drop", "drop_column=1", MIG_CONTRACT, "", "contract" },
};

static const char *const syn_h1[] = { "root" };
static const char *const syn_k1[] = { "root" };
static const char *const syn_h2[] = { "c1", "e2" };
static const char *const syn_k2[] = { "root", "e1", "e2", "c1" };

static const struct mf_release syn_rels[] = {
	{ "1.0.0", "a", "", "root", syn_h1, 1, syn_k1, 1, NULL, 0, "1.0", "1.0", NULL, 0 },
	{ "2.0.0", "b", "", "root", syn_h2, 2, syn_k2, 4, NULL, 0, "1.1", "1.0", NULL, 0 },
};

static const struct mf_series syn_series[] = { { "a", 1, false }, { "b", 2, false } };

static const struct manifest SYN = { syn_rels, 2, syn_migs, 4, syn_series, 2 };

static void two_branch_heads_are_one_row_each(void **state)
{
	(void)state;
	(void)syn_down_a;
	const char *at_root[] = { "root" };
	struct mf_path p;
	mf_pending(&SYN, at_root, 1, &SYN.releases[1], &p);
	assert_int_equal(p.verdict, DBV_PENDING);
	assert_int_equal(p.nsteps, 3);
	assert_string_equal(p.steps[0]->revision, "e1");
	mf_path_free(&p);
	/* expand applied (heads e2 and root on the contract branch) */
	const char *expanded[] = { "e2", "root" };
	mf_pending(&SYN, expanded, 2, &SYN.releases[1], &p);
	assert_int_equal(p.nsteps, 1);
	assert_string_equal(p.steps[0]->revision, "c1");
	mf_path_free(&p);
	const char *done[] = { "c1", "e2" };
	mf_pending(&SYN, done, 2, &SYN.releases[1], &p);
	assert_int_equal(p.verdict, DBV_UP_TO_DATE);
	mf_path_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(relations_follow_series_and_slurp),
		cmocka_unit_test(ok_relations_are_same_series_n1_and_slurp),
		cmocka_unit_test(every_release_from_9_to_22_with_its_series),
		cmocka_unit_test(slurp_series_are_the_year_dot_one_ones),
		cmocka_unit_test(heads_of_the_releases),
		cmocka_unit_test(rebase_root_and_cold_chain),
		cmocka_unit_test(pending_paths_to_target_heads),
		cmocka_unit_test(applied_revisions_follow_the_graph_of_the_release_that_knows_them),
		cmocka_unit_test(class_rule_agrees_except_where_the_curation_explains),
		cmocka_unit_test(two_branch_heads_are_one_row_each),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
