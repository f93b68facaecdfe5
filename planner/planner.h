/* planner.h: where the upgrade stands and what the next step is. A pure
 * function of a snapshot, the release manifest and the settings (and the
 * check results and the vouches recorded in the journal): no I/O.
 *
 * The vocabulary is DESIGN.md's: phases check, expand, roll, unpin,
 * migrate-data, contract, offline, done; a step kind per phase with an argv
 * template in [steps]; a gate per step that holds when (1) every phase before
 * it is complete, (2) the step's own prerequisites hold, (3) no check reports
 * a Failure (a waiver turns one into a Warning until its date) and (4) no
 * other operator holds the lock. The planner proposes a step only when its
 * gate holds. Blockers are codes with the node or revision they are about, so
 * that tests and --json can read them; blocker_text() says them in words an
 * operator can act on. */
#ifndef BS_PLANNER_H
#define BS_PLANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "checks/checks.h"
#include "core/manifest.h"
#include "core/settings.h"
#include "core/record.h"
#include "core/snapshot.h"

enum phase {
	PH_CHECK,
	PH_EXPAND,
	PH_ROLL,
	PH_UNPIN,
	PH_MIGRATE_DATA,
	PH_CONTRACT,
	PH_OFFLINE,
	PH_DONE,
	PH__COUNT,
};

const char *phase_name(enum phase p);   /* "check", "migrate-data", ... */
bool phase_parse(const char *s, enum phase *out);

/* The step of each phase (none for check and done); the names are the
 * [steps] template keys. */
enum step_kind {
	STEP_NONE,
	STEP_EXPAND,
	STEP_UPGRADE_NODE,
	STEP_UNPIN,
	STEP_DATA_MIGRATIONS,
	STEP_CONTRACT,
	STEP_OFFLINE,
	STEP__COUNT,
};

const char *step_kind_name(enum step_kind k); /* "expand", "upgrade_node", ... */
enum step_kind phase_step(enum phase p);
enum phase step_phase(enum step_kind k);

enum phase_state {
	PS_PENDING,   /* something to do */
	PS_COMPLETE,  /* done */
	PS_SKIPPED,   /* nothing to do in this upgrade (the note says why) */
};

enum blocker_code {
	BLK_TARGET_UNKNOWN,        /* no target release */
	BLK_TARGET_NOT_IN_MANIFEST,
	BLK_LOCK_HELD,             /* text: the holder */
	BLK_DB_UNUSABLE,           /* text: why (unreachable, not versioned, ...) */
	BLK_DB_COLD,               /* rev */
	BLK_DB_AHEAD,              /* rev */
	BLK_DB_UNKNOWN_REVISION,   /* rev */
	BLK_CHECK_FAILED,          /* check: a Failure that no waiver covers */
	BLK_SKEW_OLDER,            /* node: runs a release too old for the target */
	BLK_SKEW_NEWER,            /* node: runs a release newer than the target */
	BLK_NODE_NOT_OBSERVED,     /* node: has a URL but no answer yet */
	BLK_NODE_BELOW_TARGET,     /* node: does not run the target yet */
	BLK_NODE_NOT_UP,           /* node: runs the target but is not up */
	BLK_NODE_NOT_VOUCHED,      /* node: unobservable, no vouch for the target */
	BLK_EXPAND_PENDING,        /* rev: the last expand still to apply */
	BLK_CAP_SET,               /* node: still sends with an RPC version cap */
	BLK_DATA_MIGRATIONS_LEFT,  /* count */
	BLK_NO_HEALTHY_API,        /* no barbican-api is up now */
	BLK_NO_API_CONFIGURED,     /* no barbican-api node to keep up is configured */
	BLK_LAST_HEALTHY_API,      /* node: the last healthy barbican-api */
	BLK_MAX_UNAVAILABLE,       /* count: nodes down or drained already */
	BLK_SERVICES_RUNNING,      /* node: still running (offline needs all stopped) */
	BLK_OFFLINE_NEEDS_OUTAGE,  /* offline migrations mean an API outage */
	BLK_NOTHING_TO_DO,         /* the step has nothing to do */
	BLK_DB_NOT_AT_TARGET,      /* rev (first pending) */
};

struct blocker {
	enum blocker_code code;
	enum step_kind step;       /* the step it blocks (STEP_NONE: every step) */
	long node;                 /* node index or -1 */
	const char *rev;           /* a revision (not owned) */
	const struct check_entry *check;
	long count;
	const char *text;          /* extra words (not owned) */
};

/* A vouch from the journal: the operator confirmed that node runs release. */
struct vouch {
	const char *node;
	const char *release;
};

struct plan_input {
	const struct snapshot *snap;
	const struct manifest *m;
	const struct settings *st;
	const struct check_result *checks;  /* NULL: checks not considered */
	size_t nchecks;
	const struct vouch *vouches;
	size_t nvouches;
	time_t now;                         /* for waivers */
	bool take_over;                     /* a vanished lock holder may be replaced */
};

struct plan_step {
	enum step_kind kind;
	long node;                          /* upgrade_node: the node index; else -1 */
	const char *revision;               /* expand/contract/offline: upgrade to this */
	const char *release;                /* the target release */
};

/* Per node, for the roll. */
struct plan_node {
	bool at_target;    /* runs exactly the target release (observed) */
	bool observable;   /* has a URL to ask */
	bool vouched;      /* unobservable, and the journal vouches for the target */
	bool done;         /* at the target and up, or vouched */
};

struct plan {
	enum phase phase;                   /* the first phase not complete or skipped */
	enum phase_state state[PH__COUNT];
	enum blocker_code skip_reason[PH__COUNT]; /* why a phase is skipped (BLK_NOTHING_TO_DO...) */
	const char *skip_text[PH__COUNT];
	struct plan_node *nodes;            /* one per snapshot node */
	size_t roll_done, roll_total;
	long *roll_queue;                   /* nodes still to upgrade, in roll order */
	size_t nroll_queue;

	struct mf_path path;                /* pending migrations to the target heads */
	const struct mf_migration *expand_to;   /* NULL: no expand pending */
	const struct mf_migration *contract_to; /* NULL: no contract step */
	const struct mf_migration *offline_to;  /* NULL: no offline step */
	size_t nexpand, ncontract, noffline;
	long data_migrations;               /* rows left; -1 unknown */
	bool any_cap;

	struct plan_step next;              /* the step of the current phase */
	bool next_ready;                    /* its gate holds: the planner proposes it */
	bool next_warnings;                 /* it holds only thanks to waivers */
	struct blocker *blockers;           /* why next is not ready */
	size_t nblockers, capblockers;
};

void plan_compute(const struct plan_input *in, struct plan *out);
void plan_free(struct plan *p);

/* The gate of one step, for `upgrade gate --before STEP`: the conditions
 * that fail (blockers) and the warnings (waived Failures, expired waivers
 * noted). verdict: 0 holds, 1 holds with warnings, 2 does not hold, 255
 * cannot tell (no target, or the target is not in the manifest). */
struct gate {
	enum phase before;
	int verdict;
	struct blocker *blockers;
	size_t nblockers, capblockers;
	struct blocker *warnings;           /* code BLK_CHECK_FAILED, waived */
	size_t nwarnings, capwarnings;
	const char **waiver_notes;          /* "waiver X expired on ..." (owned strings) */
	size_t nwaiver_notes;
};

/* gate --before done is allowed: before = PH_DONE. */
void gate_eval(const struct plan_input *in, enum phase before, struct gate *out);
void gate_free(struct gate *g);

/* The blocker in words, for an operator ("ctl-3 (barbican-worker) still runs
 * 14.0.2", "lock held by barbican-status: expand by ops@jump1 since ...").
 * Caller frees. */
char *blocker_text(const struct blocker *b, const struct plan_input *in);
/* A stable identifier of the code for JSON ("node-below-target"). */
const char *blocker_code_name(enum blocker_code c);

/* The roll's progress and the time it will take, from the plan and the
 * record of the steps taken so far (core/record.h). Pure. */
struct service_progress {
	enum service_kind service;
	size_t done, total;
};

struct progress {
	struct service_progress services[4];  /* api, worker, listener, retry */
	size_t nservices;            /* services with a node, in roll order */
	size_t done, total;          /* all nodes */
	size_t timed;                /* upgrade_node steps timed (verified or vouched) */
	double avg_step_s;           /* their mean duration; 0 none */
	double left_s;               /* avg_step_s x nodes left; < 0 unknown */
	long rows_left;              /* data migrations (the plan's); -1 unknown */
	double rows_per_s;           /* rows migrated a second over the recent samples;
				      * 0 none migrated (stalled); < 0 unknown */
	double rows_left_s;          /* rows_left at that rate; < 0 unknown */
	double rate_window_s;        /* the time the rate was measured over */
};

/* One count of the rows of data migration left, at wall-clock time t (the
 * model keeps the last DM_SAMPLES_MAX, one a refresh). */
struct dm_sample {
	double t;
	long rows;
};
#define DM_SAMPLES_MAX 16

/* samples: oldest first (NULL, 0: no rate). The rate is measured from the
 * oldest sample after the last time the count went up (new rows to
 * migrate restart it) to the newest; it needs two samples at least 1 s
 * apart. */
void plan_progress(const struct plan *p, const struct snapshot *s, const struct journal_record *recs,
		   size_t nrecs, const struct dm_sample *samples, size_t nsamples,
		   struct progress *out);

#endif
