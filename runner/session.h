/* session.h: one step taken, from its lock to its journal record: what
 * `upgrade next` and the console's `n` share, so that both take a step the
 * same way and only the waiting differs (blocking in the CLI, the wait loop
 * in the console).
 *
 *   session_begin    the journal opened (a journal that cannot be written
 *                    stops the step), the lock taken (another operator's
 *                    lock: refused, naming them), the record started
 *   (the caller observes again under the lock and checks session_same)
 *   exec_start/exec_run with s->argv and step_env
 *   session_exited   the record gets the exit status; what comes next:
 *                    failed, verify by probing, or ask the operator to vouch
 *   session_end      the record's outcome appended, the lock released */
#ifndef BS_SESSION_H
#define BS_SESSION_H

#include <stdbool.h>

#include "proc/exec.h"
#include "runner/journal.h"
#include "runner/lock.h"
#include "runner/steps.h"

struct step_session {
	struct plan_step step;    /* a copy; its release is owned below */
	char *release;
	char *desc;               /* step_describe() */
	char **argv;              /* NULL: a manual step on an unobservable node (vouch only) */
	bool unobservable;        /* the node has nothing to ask */
	char *lock_name;          /* our application_name */
	struct dblock *lock;      /* NULL: not taken */
	struct journal *jr;
	struct journal_record rec;
};

enum session_next {
	SESSION_FAILED,   /* non-zero exit, signal, timeout, cancel: end it as failed/cancelled */
	SESSION_VERIFY,   /* exited 0: probe until the effect shows or settle_timeout */
	SESSION_VOUCH,    /* exited 0 on a node with nothing to ask: the operator vouches */
};

/* Begin taking p->next... or any planned step: the journal opened, the
 * lock taken with the step's record (outcome running) in the shared
 * record. *out is NULL (and nothing is held) when another operator holds
 * the lock, or its holder vanished and take_over is false: *refused says
 * which (LOCK_HELD, LOCK_VANISHED) and holder who. Errors: BS_ST_IO (the
 * journal, the database, the shared record's tables) or BS_ST_DBURL. */
enum bs_status session_begin(const struct settings *st, const struct snapshot *s,
			     const struct plan *p, const struct plan_step *step, char **argv,
			     bool take_over, struct step_session **out, struct lock_obs *holder,
			     enum lock_outcome *refused, struct bs_err *err);
/* The same without waiting: the journal opened and the lock being taken
 * (the keeper's thread); s owns argv from here (session_discard frees it).
 * Wait for session_lock_fd to be readable, then session_lock_poll: TAKEN,
 * the session may go on; HELD, VANISHED or ERROR, session_discard it. */
enum bs_status session_start(const struct settings *st, const struct snapshot *s,
			     const struct plan *p, const struct plan_step *step, char **argv,
			     bool take_over, struct step_session **out, struct bs_err *err);
int session_lock_fd(const struct step_session *ss);
enum lock_outcome session_lock_poll(struct step_session *ss, struct lock_obs *holder,
				    struct bs_err *err);
/* Our lock row's token (the probes must not count it as another operator's). */
const char *session_lock_token(const struct step_session *ss);
/* Our lock session's backend pid (the probes must not count it as another
 * operator's). */
int session_lock_pid(const struct step_session *ss);
/* Does the plan made again under the lock still propose the same step? */
bool session_same(const struct step_session *ss, const struct plan *p);
/* The step's process ended: record its status; what next. */
enum session_next session_exited(struct step_session *ss, const struct exec_result *r);
/* A detail for a step that failed, from its result ("timed out; output
 * ends: ..."). Caller frees. */
char *session_failure_detail(const struct exec_result *r);
/* Give up a session in which nothing ran (no record): the lock and the
 * journal must have been released and closed by the caller (or not taken). */
void session_discard(struct step_session *ss);
/* End: the outcome and detail (taken) appended to the journal, the lock
 * released, ss freed. Returns the journal's status (err says why). */
enum bs_status session_end(struct step_session *ss, enum journal_outcome outcome, char *detail,
			   struct bs_err *err);

#endif
