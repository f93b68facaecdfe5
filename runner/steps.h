/* steps.h: from a planned step to what runs: its argv from the [steps]
 * template, the environment it gets (the database URL, never on its command
 * line), its description, and whether its effect shows in a snapshot.
 * Pure functions: the CLI's `upgrade next` and the console share them. */
#ifndef BS_STEPS_H
#define BS_STEPS_H

#include <stdbool.h>

#include "core/settings.h"
#include "core/snapshot.h"
#include "core/status.h"
#include "planner/planner.h"

/* The argv of step (NULL-terminated, free with argv_free) from its template.
 * Returns BS_ST_OK with *argv NULL when the step has no template (manual).
 * Errors: an invalid template (BS_ST_CONFIG_VALUE, naming [steps] KEY). */
enum bs_status step_argv(const struct settings *st, const struct snapshot *s,
			 const struct plan_step *step, char ***argv, struct bs_err *err);

/* The database URL the steps get in their environment, as the "NAME=value"
 * strings oslo.config's environment source reads (OS_DEFAULT__SQL_CONNECTION,
 * and OS_DATABASE__CONNECTION from 19.0.0 or when the release is unknown).
 * NULL-terminated; free with argv_free. Never printed nor journaled. */
/* ... and for a node's step, BARBICAN_STATUS_NODE_URL: the node's URL as
 * configured, user and password included ({url} in an argv has neither). */
char **step_env(const struct settings *st, const struct snapshot *s, const struct plan_step *step);

/* "upgrade ctl3-wrk (barbican-worker) to 15.0.1", "expand the schema to
 * 8c74e2d7f1ff"; data_migrations: the rows left, for that step. */
char *step_describe(const struct snapshot *s, const struct plan_step *step, long data_migrations);

/* Does the snapshot (and the plan made of it) show the step's effect?
 * expand: no expand pending; upgrade_node: the node up at the target; unpin:
 * no cap; data_migrations: no row left; contract: no contract pending;
 * offline: the database at the target's heads. */
bool step_verified(const struct snapshot *s, const struct plan *p, const struct plan_step *step);

/* The vouches the journal holds: records with outcome vouched, for a node
 * and a release. The strings point into records. Caller frees the array. */
struct journal_record;
struct vouch *steps_vouches(const struct journal_record *records, size_t n, size_t *nvouches);

/* What the deployment shows of a step's object, for a record written after
 * the step ended early: "ctl1-wrk now reports 15.0.1 (up), started ...",
 * "the database is at 8c74e2d7f1ff". Caller frees. */
char *step_now_shows(const struct snapshot *s, const struct plan_step *step);

#endif
