/* view.h: the console's screen, drawn into a grid from the console state.
 * A pure function of its input (no curses, no I/O, no clock: the time is
 * given): tests render it headless against golden screens. tui/README.md is
 * the specification. */
#ifndef BS_VIEW_H
#define BS_VIEW_H

#include <stdbool.h>
#include <time.h>

#include "checks/checks.h"
#include "planner/planner.h"
#include "runner/journal.h"
#include "screen.h"

enum pane { PANE_NODES, PANE_CHECKS, PANE_LOG, PANE__COUNT };

enum sort_col {
	SORT_CONFIG,  /* the order of the configuration */
	SORT_NAME,
	SORT_SERVICE,
	SORT_RELEASE,
	SORT_STATE,
	SORT_SKEW,
	SORT_SEEN,
	SORT_LAT,
	SORT__COUNT,
};

const char *sort_col_name(enum sort_col c);

enum dialog {
	DLG_NONE,
	DLG_HELP,
	DLG_NODE,      /* details of the selected node */
	DLG_CHECK,     /* details of the selected check */
	DLG_NEXT,      /* confirm the next step */
	DLG_CANCEL,    /* confirm cancelling the running step */
	DLG_VOUCH,     /* an unobservable node's step exited 0: does it run the target? */
	DLG_JOURNAL,   /* the journal, full screen */
	DLG_MESSAGE,   /* a message (a refusal, an error) */
	DLG_ROLL,      /* R: start the roll? */
	DLG_VOUCH_FORM,/* v: vouch for the selected node: release and reason */
};

/* R in the console: the steps one after another (upgrade run's console). */
enum roll_mode {
	ROLL_OFF,
	ROLL_ON,      /* the next step starts when the last one is verified */
	ROLL_PAUSED,  /* the running step finishes; no next one starts */
};

enum run_state {
	RUN_IDLE,
	RUN_LOCKING,    /* the lock is being taken (its keeper's thread) */
	RUN_PREPARING,  /* the lock is taken: a refresh under it before anything runs */
	RUN_RUNNING,    /* the step's process runs */
	RUN_VERIFYING,  /* it exited 0; probing until settle_timeout */
};

/* The output a step streamed while this console ran it, kept after it
 * ended (its journal record's id), for the journal view. */
struct step_output {
	const char *id;
	const char *const *lines;        /* oldest first, already sanitized */
	size_t nlines;
};

struct view_state {
	/* what the program knows */
	const struct snapshot *snap;
	const struct plan_input *in;     /* manifest, settings, checks, vouches */
	const struct plan *plan;
	const struct check_result *checks;
	size_t nchecks;
	const struct journal_record *journal;
	size_t njournal;
	const struct step_output *outputs; /* the steps this console ran */
	size_t noutputs;
	const char *next_argv;           /* the next step's argv for display, NULL manual */
	const char *next_error;          /* its template does not expand: why */

	/* the console's own state */
	time_t now;
	time_t refreshed;                /* the last complete refresh; 0 none yet */
	double cycle_s;                  /* each node is asked within (console_rate); 0: every refresh */
	bool paused;
	bool readonly;
	bool freeze;                     /* BARBICAN_STATUS_TEST_FREEZE */
	bool color;
	enum pane focus;
	size_t node_sel;                 /* index into the shown (filtered, sorted) nodes */
	size_t check_sel;
	size_t log_scroll;               /* lines up from the bottom */
	enum sort_col sort;
	bool sort_desc;
	const char *filter;              /* NULL or "" none */
	bool filter_editing;             /* the filter line is being typed */
	enum dialog dialog;
	const char *dialog_text;         /* DLG_MESSAGE, or the typed word for DLG_NEXT */
	size_t dialog_scroll;

	/* a running step */
	enum run_state run;
	const char *run_desc;            /* the long description (for dialogs) */
	const struct plan_step *run_step; /* the step running or being verified */
	time_t run_started;
	int verify_left;                 /* verifying: seconds until it gives up */
	const char *const *run_lines;    /* its output, oldest first */
	size_t nrun_lines;
	int db_retry_in;                 /* seconds until the database is tried again; 0 none */
	const char *own_lock;            /* this console holds the lock: its application_name */
	bool take_over;                  /* the confirmation takes a vanished holder's lock */
	enum roll_mode roll;
	double left_s;                   /* the roll's time left (plan_progress); <= 0 unknown */
	long rows_left;                  /* data migrations: rows left; < 0 unknown */
	double rows_per_s;               /* their rate; 0 stalled, < 0 unknown */
	double rows_left_s;              /* time left at that rate; < 0 unknown */
	const char *notice;              /* a short word in the footer until the next key */

	/* v: the vouch dialog (DLG_VOUCH_FORM) */
	const char *vouch_node;
	const char *vouch_release;       /* as typed (the target to begin with) */
	const char *vouch_reason;        /* as typed */
	int vouch_field;                 /* the field typed into: 0 release, 1 reason */
	const char *vouch_error;         /* why Enter recorded nothing; NULL */
	bool vouch_step;                 /* it answers the question after a step on
	                                  * a node that cannot be observed (its
	                                  * release fixed: the step's) */
};

/* The shown nodes: indexes into snap->nodes, filtered and sorted (stable).
 * Returns the count; *out is malloc'd. */
size_t view_nodes(const struct view_state *vs, size_t **out);

/* Draw everything (and the open dialog) into g. */
void view_draw(struct grid *g, const struct view_state *vs);

/* The word a confirmation must type: the step's name for contract and
 * offline, "take-over" (then "take-over contract", ...) when it takes a
 * vanished holder's lock; NULL when y is enough. Caller frees. */
struct plan_step;
char *console_confirm_word(const struct plan_step *next, bool take_over);

#endif
