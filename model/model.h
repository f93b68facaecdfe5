/* model.h: what barbican-status knows at one moment, assembled in one place
 * for every command and the console (DESIGN.md's data flow):
 *
 *   observe (probes) -> snapshot -> derive (manifest) -> checks
 *   record (the local journal merged with the shared record) -> vouches
 *   snapshot + checks + vouches -> plan -> the next step and its argv
 *   the rows of data migration left, one sample a refresh -> their rate
 *
 * The CLI fills the snapshot in one blocking wait (model_observe); the
 * console fills it from its own loop as answers come and calls
 * model_recompute. Nothing above this layer calls checks_run, plan_compute,
 * snapshot_derive or journal_read_shared itself (tests/build/layering.sh
 * fails the build otherwise). */
#ifndef BS_MODEL_H
#define BS_MODEL_H

#include <stdbool.h>

#include "checks/checks.h"
#include "core/manifest.h"
#include "core/snapshot.h"
#include "planner/planner.h"
#include "probes/observe.h"
#include "runner/journal.h"

struct model {
	const struct settings *st;
	const struct manifest *m;
	struct snapshot snap;
	struct check_result *checks;        /* check_count of them; NULL before the first */
	char *journal_path;
	struct journal_record *journal;     /* the record, merged, oldest first */
	size_t njournal;
	size_t *journal_bad;                /* unreadable journal lines */
	size_t njournal_bad;
	struct vouch *vouches;
	size_t nvouches;
	bool take_over;                     /* a vanished lock holder does not block */
	struct plan_input in;
	struct plan plan;
	char *next_argv;                    /* the next step's argv as shown; NULL none */
	char *next_error;                   /* why it cannot be made; NULL */
	struct dm_sample samples[DM_SAMPLES_MAX]; /* oldest first */
	size_t nsamples;
};

/* An empty model of st (which outlives it): nothing observed yet. */
void model_init(struct model *md, const struct settings *st, const struct manifest *m);
void model_free(struct model *md);
/* Read the record: the local journal merged with the shared record that the
 * last database probe read (snap.record). An unreadable journal vouches for
 * nothing (its bad lines are counted). */
enum bs_status model_read_record(struct model *md, struct bs_err *err);
/* From what the snapshot holds now: derive, the data migrations, the
 * checks, the plan, the next step's argv. */
void model_recompute(struct model *md);
/* Keep the rows of data migration left now (the wall clock) as one sample
 * of their rate (call once a refresh; a count that is unknown is not kept). */
void model_sample(struct model *md);
/* Samples of an earlier model of the same deployment (upgrade plan --watch
 * loads a new one each refresh) put before this one's, the newest kept. */
void model_carry_samples(struct model *md, const struct dm_sample *prev, size_t nprev);
/* The CLI's refresh: observe in one wait (o), read the record, recompute,
 * sample. Returns model_read_record's status (the rest cannot fail: what
 * could not be observed is in the snapshot). */
enum bs_status model_observe(struct model *md, const struct observe_opts *o, struct bs_err *err);
/* Let a vanished lock holder be taken over (--take-over, "take-over" typed). */
void model_set_take_over(struct model *md, bool on);
/* The roll's progress and the data migrations' rate. */
void model_progress(const struct model *md, struct progress *out);

#endif
