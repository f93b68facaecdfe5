/* vouch.h: an operator's word that a node with nothing to ask (no url nor
 * report_url: a stock worker, listener or retry) runs a release, and why:
 * what `barbican-status vouch` and the console's v share. Both take it as a
 * step is (runner/session.h: the journal, the lock, the shared record) and
 * end the session with vouch_detail as its detail, outcome vouched. */
#ifndef BS_VOUCH_H
#define BS_VOUCH_H

#include "planner/planner.h"
#include "runner/session.h"

enum vouch_refusal {
	VOUCH_OK,
	VOUCH_NO_NODE,     /* no node of that name is configured */
	VOUCH_OBSERVABLE,  /* it has a url or report_url: its probes say what it runs */
	VOUCH_BAD_RELEASE, /* not a release such as 15.0.1 */
	VOUCH_NO_REASON,   /* the reason is empty (or only blanks) */
};

/* May node `name` be vouched for as running release, because of reason?
 * *idx is its index in s->nodes (-1 when there is none). */
enum vouch_refusal vouch_check(const struct snapshot *s, const struct plan *p, const char *name,
			       const char *release, const char *reason, long *idx);
/* Why not, in words, ending in "nothing recorded" (sanitized for a
 * terminal). Caller frees. */
char *vouch_refusal_text(enum vouch_refusal r, const char *name, const char *release);
/* The step a vouch is taken as: the node's upgrade, to release (borrowed). */
struct plan_step vouch_step(long idx, const char *release);
/* The record's detail: "user@host vouched that NODE runs R: REASON". The
 * session's user and host say who. Caller frees (session_end takes it). */
char *vouch_detail(const struct step_session *ss, const char *name, const char *release,
		   const char *reason);

#endif
