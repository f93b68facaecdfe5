/* stepmachine.h: one step's life as a table: in each state, what each event
 * leads to and what the driver must do. Pure: `upgrade next`, `upgrade run`
 * and the console drive it with their own waiting (blocking in the CLI, the
 * console's one wait loop) and do the actions; the transitions, and so the
 * records they write, are the same everywhere.
 *
 *   IDLE --start--> LOCKING --lock taken--> PREPARING (a refresh under the
 *   lock) --same step--> RUNNING --exit 0--> VERIFYING / VOUCHING --> DONE
 *
 * Anything that ends a step early ends it with an outcome that says what
 * happened: nothing ran (DISCARD: no record), the step failed, was cancelled
 * or killed (observed again before the record is written, so that it says
 * what the deployment now shows), or its verification was interrupted. */
#ifndef BS_STEPMACHINE_H
#define BS_STEPMACHINE_H

#include <stdbool.h>

#include "core/record.h"

enum step_state {
	SS_IDLE,
	SS_LOCKING,    /* the lock is being taken */
	SS_PREPARING,  /* taken: the plan made again under it must propose the same step */
	SS_RUNNING,    /* the step's process runs */
	SS_CANCELLING, /* it was asked to stop (cancel, or a signal to us): waiting for its end */
	SS_VERIFYING,  /* it exited 0: probing until the effect shows or settle_timeout */
	SS_VOUCHING,   /* it exited 0 on a node with nothing to ask: the operator vouches */
	SS_DONE,
	SS__COUNT,
};

enum step_event {
	SE_START,        /* the operator confirmed */
	SE_LOCK_TAKEN,
	SE_LOCK_REFUSED, /* held by another operator, or its holder vanished */
	SE_LOCK_ERROR,
	SE_SAME_STEP,    /* the plan under the lock proposes the confirmed step */
	SE_STEP_CHANGED,
	SE_RUN_FAILED,   /* the process could not be started */
	SE_EXIT_OK,
	SE_EXIT_FAILED,  /* non-zero exit, a signal, the step's timeout */
	SE_CANCEL,       /* the operator cancels (console c, y) */
	SE_SIGNAL,       /* SIGINT, SIGTERM or SIGHUP to barbican-status */
	SE_VERIFIED,
	SE_SETTLE_TIMEOUT,
	SE_VOUCH_YES,
	SE_VOUCH_NO,
	SE__COUNT,
};

enum step_action {
	SA_NONE,          /* ignore the event */
	SA_TAKE_LOCK,
	SA_REFRESH,       /* observe and plan again under the lock */
	SA_DISCARD,       /* nothing ran: let the lock go, no record */
	SA_RUN,
	SA_STOP_RUN,      /* SIGTERM the step's process group, then wait for its end */
	SA_VERIFY,        /* probe until verified or settle_timeout */
	SA_VERIFY_NOW,    /* a database step: one fresh read (a short retry for a replica) */
	SA_ASK_VOUCH,
	SA_END,           /* write the outcome (below) and let the lock go */
	SA_OBSERVE_END,   /* observe once more, then END: the record says what the deployment shows */
};

struct step_what {
	bool db_step;      /* expand, contract, offline: final once its command exits */
	bool unobservable; /* a node with nothing to ask: vouched, not verified */
	bool manual;       /* no command: a vouch-only step */
};

struct step_transition {
	enum step_state next;
	enum step_action action;
	enum journal_outcome outcome;   /* for SA_END and SA_OBSERVE_END */
};

/* In state s, event e, for a step like w: what follows. An event that means
 * nothing in a state is ignored (next = s, SA_NONE). */
struct step_transition step_next(enum step_state s, enum step_event e, const struct step_what *w);

const char *step_state_name(enum step_state s);
const char *step_event_name(enum step_event e);

#endif
