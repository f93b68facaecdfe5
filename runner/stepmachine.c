#include "stepmachine.h"

#include "core/bs.h"

static const char *const state_names[] = {
	[SS_IDLE] = "idle",         [SS_LOCKING] = "locking",       [SS_PREPARING] = "preparing",
	[SS_RUNNING] = "running",   [SS_CANCELLING] = "cancelling", [SS_VERIFYING] = "verifying",
	[SS_VOUCHING] = "vouching", [SS_DONE] = "done",
};

static const char *const event_names[] = {
	[SE_START] = "start",
	[SE_LOCK_TAKEN] = "lock-taken",
	[SE_LOCK_REFUSED] = "lock-refused",
	[SE_LOCK_ERROR] = "lock-error",
	[SE_SAME_STEP] = "same-step",
	[SE_STEP_CHANGED] = "step-changed",
	[SE_RUN_FAILED] = "run-failed",
	[SE_EXIT_OK] = "exit-ok",
	[SE_EXIT_FAILED] = "exit-failed",
	[SE_CANCEL] = "cancel",
	[SE_SIGNAL] = "signal",
	[SE_VERIFIED] = "verified",
	[SE_SETTLE_TIMEOUT] = "settle-timeout",
	[SE_VOUCH_YES] = "vouch-yes",
	[SE_VOUCH_NO] = "vouch-no",
};

const char *step_state_name(enum step_state s)
{
	return (unsigned)s < ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

const char *step_event_name(enum step_event e)
{
	return (unsigned)e < ARRAY_SIZE(event_names) ? event_names[e] : "?";
}

#define T(n, a) ((struct step_transition){ (n), (a), OUTCOME_FAILED })
#define END(n, a, o) ((struct step_transition){ (n), (a), (o) })

/* The step's process ended well: what proves it. */
static struct step_transition after_exit_ok(const struct step_what *w)
{
	if (w->unobservable)
		return T(SS_VOUCHING, SA_ASK_VOUCH);
	return T(SS_VERIFYING, w->db_step ? SA_VERIFY_NOW : SA_VERIFY);
}

struct step_transition step_next(enum step_state s, enum step_event e, const struct step_what *w)
{
	struct step_transition stay = T(s, SA_NONE);
	switch (s) {
	case SS_IDLE:
		return e == SE_START ? T(SS_LOCKING, SA_TAKE_LOCK) : stay;
	case SS_LOCKING:
		switch (e) {
		case SE_LOCK_TAKEN:
			return T(SS_PREPARING, SA_REFRESH);
		case SE_LOCK_REFUSED:
		case SE_LOCK_ERROR:
		case SE_CANCEL:
		case SE_SIGNAL:
			/* nothing ran (a lock taken meanwhile is let go unused) */
			return T(SS_DONE, SA_DISCARD);
		default:
			return stay;
		}
	case SS_PREPARING:
		switch (e) {
		case SE_SAME_STEP:
			/* a vouch-only step has nothing to run: straight to the vouch */
			return w->manual ? T(SS_VOUCHING, SA_ASK_VOUCH) : T(SS_RUNNING, SA_RUN);
		case SE_STEP_CHANGED:
		case SE_CANCEL:
		case SE_SIGNAL:
			return T(SS_DONE, SA_DISCARD);
		default:
			return stay;
		}
	case SS_RUNNING:
		switch (e) {
		case SE_RUN_FAILED:
			return END(SS_DONE, SA_END, OUTCOME_FAILED);
		case SE_EXIT_OK:
			return after_exit_ok(w);
		case SE_EXIT_FAILED:
			/* the step's own failure (or its timeout): the record says
			 * what the deployment shows now, as after a cancel */
			return END(SS_DONE, SA_OBSERVE_END, OUTCOME_FAILED);
		case SE_CANCEL:
		case SE_SIGNAL:
			return T(SS_CANCELLING, SA_STOP_RUN);
		default:
			return stay;
		}
	case SS_CANCELLING:
		switch (e) {
		case SE_EXIT_FAILED:
			return END(SS_DONE, SA_OBSERVE_END, OUTCOME_CANCELLED);
		case SE_EXIT_OK:
			/* it ended well before the stop reached it: one look decides */
			return T(SS_VERIFYING, SA_VERIFY_NOW);
		default:
			return stay; /* asked already; waiting for its end */
		}
	case SS_VERIFYING:
		switch (e) {
		case SE_VERIFIED:
			return END(SS_DONE, SA_END, OUTCOME_VERIFIED);
		case SE_SETTLE_TIMEOUT:
			return END(SS_DONE, SA_END, OUTCOME_NOT_VERIFIED);
		case SE_CANCEL:
		case SE_SIGNAL:
			/* interrupted: say so, and after how long (the driver's detail) */
			return END(SS_DONE, SA_END, OUTCOME_NOT_VERIFIED);
		default:
			return stay;
		}
	case SS_VOUCHING:
		switch (e) {
		case SE_VOUCH_YES:
			return END(SS_DONE, SA_END, OUTCOME_VOUCHED);
		case SE_VOUCH_NO:
		case SE_CANCEL:
		case SE_SIGNAL:
			return END(SS_DONE, SA_END, OUTCOME_NOT_VERIFIED);
		default:
			return stay;
		}
	case SS_DONE:
	case SS__COUNT:
		break;
	}
	return stay;
}
