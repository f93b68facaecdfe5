/* test-stepmachine.c: every event in every state of a step
 * (runner/stepmachine.h), against a table written here from the issue's
 * words: a cancel or a signal while a step runs stops it and the record
 * says what the deployment then shows; an interrupted verification says
 * interrupted; a database step is verified once its command exits; nothing
 * that ran is ever left without a record, nothing that did not run gets
 * one. Then every sequence of up to 6 events: at most one record, and one
 * only for a step that ran. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "runner/stepmachine.h"

#define _ { SS__COUNT, SA_NONE, 0 } /* ignored: stays, does nothing */
#define X(n, a) { n, a, 0 }
#define E(n, a, o) { n, a, o }

/* A node step with something to ask (not a database step, not manual). */
static const struct step_transition node_table[SS__COUNT][SE__COUNT] = {
	/*                 START                    LOCK_TAKEN                LOCK_REFUSED            LOCK_ERROR              SAME_STEP           STEP_CHANGED            RUN_FAILED                           EXIT_OK                            EXIT_FAILED                                   CANCEL                         SIGNAL                         VERIFIED                               SETTLE_TIMEOUT                            VOUCH_YES                             VOUCH_NO */
	[SS_IDLE] =       { X(SS_LOCKING, SA_TAKE_LOCK), _, _, _, _, _, _, _, _, _, _, _, _, _, _ },
	[SS_LOCKING] =    { _, X(SS_PREPARING, SA_REFRESH), X(SS_DONE, SA_DISCARD), X(SS_DONE, SA_DISCARD), _, _, _, _, _, X(SS_DONE, SA_DISCARD), X(SS_DONE, SA_DISCARD), _, _, _, _ },
	[SS_PREPARING] =  { _, _, _, _, X(SS_RUNNING, SA_RUN), X(SS_DONE, SA_DISCARD), _, _, _, X(SS_DONE, SA_DISCARD), X(SS_DONE, SA_DISCARD), _, _, _, _ },
	[SS_RUNNING] =    { _, _, _, _, _, _, E(SS_DONE, SA_END, OUTCOME_FAILED), X(SS_VERIFYING, SA_VERIFY), E(SS_DONE, SA_OBSERVE_END, OUTCOME_FAILED), X(SS_CANCELLING, SA_STOP_RUN), X(SS_CANCELLING, SA_STOP_RUN), _, _, _, _ },
	[SS_CANCELLING] = { _, _, _, _, _, _, _, X(SS_VERIFYING, SA_VERIFY_NOW), E(SS_DONE, SA_OBSERVE_END, OUTCOME_CANCELLED), _, _, _, _, _, _ },
	[SS_VERIFYING] =  { _, _, _, _, _, _, _, _, _, E(SS_DONE, SA_END, OUTCOME_NOT_VERIFIED), E(SS_DONE, SA_END, OUTCOME_NOT_VERIFIED), E(SS_DONE, SA_END, OUTCOME_VERIFIED), E(SS_DONE, SA_END, OUTCOME_NOT_VERIFIED), _, _ },
	[SS_VOUCHING] =   { _, _, _, _, _, _, _, _, _, E(SS_DONE, SA_END, OUTCOME_NOT_VERIFIED), E(SS_DONE, SA_END, OUTCOME_NOT_VERIFIED), _, _, E(SS_DONE, SA_END, OUTCOME_VOUCHED), E(SS_DONE, SA_END, OUTCOME_NOT_VERIFIED) },
	[SS_DONE] =       { _, _, _, _, _, _, _, _, _, _, _, _, _, _, _ },
};

static void every_event_in_every_state(void **state)
{
	(void)state;
	const struct step_what w = { false, false, false };
	size_t checked = 0;
	for (int s = 0; s < SS__COUNT; s++) {
		for (int e = 0; e < SE__COUNT; e++) {
			struct step_transition want = node_table[s][e];
			if (want.next == SS__COUNT)
				want = (struct step_transition){ (enum step_state)s, SA_NONE, 0 };
			struct step_transition got = step_next((enum step_state)s, (enum step_event)e, &w);
			bool ends = got.action == SA_END || got.action == SA_OBSERVE_END;
			if (got.next != want.next || got.action != want.action ||
			    (ends && got.outcome != want.outcome))
				fail_msg("%s + %s: got %s/%d/%d, want %s/%d/%d", step_state_name(s),
					 step_event_name(e), step_state_name(got.next), got.action,
					 got.outcome, step_state_name(want.next), want.action,
					 want.outcome);
			checked++;
		}
	}
	assert_int_equal(checked, SS__COUNT * SE__COUNT);
}

static void a_database_step_is_verified_once_its_command_exits(void **state)
{
	(void)state;
	const struct step_what db = { true, false, false };
	struct step_transition t = step_next(SS_RUNNING, SE_EXIT_OK, &db);
	assert_int_equal(t.next, SS_VERIFYING);
	assert_int_equal(t.action, SA_VERIFY_NOW);
}

static void a_node_with_nothing_to_ask_is_vouched_not_verified(void **state)
{
	(void)state;
	const struct step_what u = { false, true, false };
	struct step_transition t = step_next(SS_RUNNING, SE_EXIT_OK, &u);
	assert_int_equal(t.next, SS_VOUCHING);
	assert_int_equal(t.action, SA_ASK_VOUCH);
	const struct step_what manual = { false, true, true };
	t = step_next(SS_PREPARING, SE_SAME_STEP, &manual);
	assert_int_equal(t.next, SS_VOUCHING);
	assert_int_equal(t.action, SA_ASK_VOUCH);
}

/* Walk every sequence of events: a step that ran (SA_RUN happened) ends
 * with exactly one record once DONE; one that did not run never gets one. */
static size_t walks;
static bool reached[OUTCOME_ABANDONED + 1];

static void walk(enum step_state s, const struct step_what *w, int depth, bool ran, int records)
{
	if (s == SS_DONE || depth == 6) {
		walks++;
		if (s == SS_DONE && ran && records != 1)
			fail_msg("a step that ran ended with %d records", records);
		if (!ran && records)
			fail_msg("a step that never ran got a record");
		return;
	}
	for (int e = 0; e < SE__COUNT; e++) {
		struct step_transition t = step_next(s, (enum step_event)e, w);
		if (t.action == SA_NONE && t.next == s)
			continue;
		bool r = ran || t.action == SA_RUN ||
			 (t.action == SA_ASK_VOUCH && s == SS_PREPARING);
		int rec = records + (t.action == SA_END || t.action == SA_OBSERVE_END);
		if (t.action == SA_END || t.action == SA_OBSERVE_END)
			reached[t.outcome] = true;
		if (t.action == SA_DISCARD && ran)
			fail_msg("a step that ran was discarded (%s + %s)", step_state_name(s),
				 step_event_name(e));
		walk(t.next, w, depth + 1, r, rec);
	}
}

static void every_sequence_records_exactly_what_ran(void **state)
{
	(void)state;
	const struct step_what kinds[] = { { false, false, false }, { true, false, false },
					   { false, true, false }, { false, true, true } };
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		walk(SS_IDLE, &kinds[k], 0, false, 0);
	print_message("%zu event sequences walked\n", walks);
	/* and every outcome a step can have is reachable */
	assert_true(reached[OUTCOME_VERIFIED] && reached[OUTCOME_NOT_VERIFIED] &&
		    reached[OUTCOME_FAILED] && reached[OUTCOME_CANCELLED] && reached[OUTCOME_VOUCHED]);
	assert_false(reached[OUTCOME_RUNNING] || reached[OUTCOME_ABANDONED]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_event_in_every_state),
		cmocka_unit_test(a_database_step_is_verified_once_its_command_exits),
		cmocka_unit_test(a_node_with_nothing_to_ask_is_vouched_not_verified),
		cmocka_unit_test(every_sequence_records_exactly_what_ran),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
