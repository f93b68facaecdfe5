/* test-suggest.c: the nearest command or step to a typo (core/suggest.h).
 * Distances are worked out by hand from the definition (optimal string
 * alignment: insert, delete, substitute, swap two adjacent bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/suggest.h"

static const char *const commands[] = { "console", "upgrade", "nodes", "migrations", "journal" };
static const char *const upgrade_subcommands[] = { "check", "plan", "gate", "next" };
static const char *const steps[] = { "expand", "roll", "unpin", "migrate-data",
				     "contract", "offline", "done" };
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void the_distance_counts_edits_and_adjacent_swaps_as_one(void **state)
{
	static const struct {
		const char *a, *b;
		size_t want;
	} cases[] = {
		{ "", "", 0 },
		{ "abc", "", 3 },
		{ "", "abc", 3 },
		{ "plan", "plan", 0 },
		{ "kitten", "sitting", 3 },   /* k->s, e->i, +g */
		{ "contarct", "contract", 1 }, /* ar <-> ra */
		{ "upgarde", "upgrade", 1 },   /* ar <-> ra */
		{ "plna", "plan", 1 },         /* na <-> an */
		{ "ab", "ba", 1 },
		{ "ca", "abc", 3 },            /* no edit of a swapped pair (OSA, not full DL) */
		{ "nod", "nodes", 2 },
		{ "roll", "rol", 1 },
		{ "gate", "next", 4 },          /* four substitutions */
	};
	for (size_t i = 0; i < N(cases); i++) {
		size_t d = suggest_distance(cases[i].a, cases[i].b);
		if (d != cases[i].want)
			fail_msg("distance('%s', '%s') = %zu, want %zu", cases[i].a, cases[i].b, d,
				 cases[i].want);
	}
}

static void check(const char *word, const char *const *cands, size_t n, const char *want)
{
	char *got = suggest_nearest(word, cands, n);
	if (!want && got)
		fail_msg("'%s': suggested %s, want nothing", word, got);
	if (want && (!got || strcmp(got, want) != 0))
		fail_msg("'%s': suggested %s, want %s", word, got ? got : "nothing", want);
	free(got);
}

static void a_typo_gets_the_nearest_command_or_step(void **state)
{
	check("upgarde", commands, N(commands), "'upgrade'");
	check("nod", commands, N(commands), "'nodes'");
	check("jornal", commands, N(commands), "'journal'");
	check("migration", commands, N(commands), "'migrations'");
	check("plna", upgrade_subcommands, N(upgrade_subcommands), "'plan'");
	check("chek", upgrade_subcommands, N(upgrade_subcommands), "'check'");
	check("contarct", steps, N(steps), "'contract'");
	check("migrate_data", steps, N(steps), "'migrate-data'");
	check("ofline", steps, N(steps), "'offline'");
	check("Expand", steps, N(steps), "'expand'");
}

static void a_word_far_from_every_candidate_gets_no_suggestion(void **state)
{
	check("bogus", steps, N(steps), NULL);
	check("frobnicate", commands, N(commands), NULL);
	check("foo", upgrade_subcommands, N(upgrade_subcommands), NULL);
	check("x", steps, N(steps), NULL);       /* one letter is no typo of "roll" */
	check("", steps, N(steps), NULL);
	check("contract", steps, N(steps), NULL); /* the word itself */
}

static void a_tie_names_every_nearest_candidate_once(void **state)
{
	static const char *const cands[] = { "check", "chuck", "check" };
	check("chack", cands, N(cands), "'check' or 'chuck'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_distance_counts_edits_and_adjacent_swaps_as_one),
		cmocka_unit_test(a_typo_gets_the_nearest_command_or_step),
		cmocka_unit_test(a_word_far_from_every_candidate_gets_no_suggestion),
		cmocka_unit_test(a_tie_names_every_nearest_candidate_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
