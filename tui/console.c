/* console.c: the one wait loop (prober_wait: curl_multi_poll over libcurl's sockets, plus
 * stdin, a self-pipe for signals, the database socket and a running step's
 * output) and the console's state machine. Nothing here blocks on a node:
 * a node that hangs only keeps its own row old. */
#include "console.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checks/checks.h"
#include "model/model.h"
#include "core/dburl.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "planner/planner.h"
#include "probes/db.h"
#include "probes/cmdprobe.h"
#include "probes/countprobe.h"
#include "probes/http.h"
#include "probes/observe.h"
#include "probes/policy.h"
#include "proc/argv.h"
#include "proc/exec.h"
#include "runner/journal.h"
#include "runner/lock.h"
#include "runner/session.h"
#include "runner/stepmachine.h"
#include "runner/steps.h"
#include "runner/vouch.h"
#include "term.h"
#include "view.h"

#define MAX_RUN_LINES 2000
#define DB_BACKOFF_MAX 30

struct console {
	struct settings *st;
	const struct console_opts *o;
	struct model md;              /* model/model.h: snapshot, checks, record, plan */
	struct prober *prober;
	struct cmdprober *cmds;       /* report commands */
	struct countprobe *count;     /* [data_migrations] count_command */
	int inflight_seen, cmds_seen; /* probes in flight after the last perform */
	bool stale;                   /* answers came since the model was recomputed */
	double recompute_at;          /* not before (monotonic) while a refresh runs */

	struct dbprobe *db;
	struct dbprobe_keep dbkeep;  /* the database connection, from one refresh to the next */
	double db_next_try;
	int db_backoff;

	double next_tick;
	struct tick {
		unsigned long seq;
		bool *nodes;      /* the nodes this refresh started */
		size_t from;      /* those before it have answered (ticks_done) */
		bool db;          /* it started the database probe */
	} ticks[16];              /* refreshes not complete yet, oldest first */
	size_t nticks;
	unsigned long ticks_started, last_completed_seq;
	unsigned long refreshes;
	time_t refreshed;
	double cycle_s;               /* [probes] console_rate: every node within; 0 each refresh */

	struct view_state vs;
	char filter[128];
	char typed[64];
	char *message;
	bool quit_armed;

	/* a step (runner/session.h) */
	enum run_state run;
	enum step_state sstate;     /* the step machine's state of the step (runner/stepmachine.h) */
	bool cancel_asked;          /* c y, q q, or a signal: the run was asked to stop */
	enum roll_mode roll;        /* R: steps one after another */
	enum pane focus_before;     /* the focus before a step took it to the Log */
	struct step_session *ss;
	unsigned long prepare_seq;  /* the first refresh started under the lock */
	struct exec *exec;
	char **lines;
	size_t nlines, caplines;
	struct step_output *outputs; /* the output of the steps that ended */
	size_t noutputs, capoutputs;
	double verify_deadline;

	struct term_info ti;
	struct grid grid;
	int sigpipe[2];
	unsigned long screens;       /* --batch: screens written */
	bool screen_owed;            /* --batch: the newest refresh's screen is not out yet */
	bool quit;
	int quit_signal;     /* the signal that ended the console; 0 none */
	/* v: the vouch dialog, then the vouch being recorded (a session
	 * without a process: recorded once the lock is taken) */
	char *vouch_node;
	char vouch_release[64];
	char vouch_reason[512];
	int vouch_field;             /* 0 release, 1 reason */
	const char *vouch_error;
	bool vouching;
	bool vouch_step;             /* the form answers the question after a step */
	/* a step that ended early: its record after one more refresh */
	unsigned long end_seq;
	enum journal_outcome end_outcome;
	char *end_detail;
};

static struct console *the_console;

/* while answers come in, the model is recomputed at most this often */
#define RECOMPUTE_EVERY_S 0.5

static double mono(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void on_signal(int sig)
{
	char c = sig == SIGWINCH ? 'W' : sig == SIGINT ? 'I' : sig == SIGTERM ? 'T' : 'H';
	int saved = errno;
	if (the_console && write(the_console->sigpipe[1], &c, 1) < 0) {
		/* nothing to do: a full pipe already holds a wake-up */
	}
	errno = saved;
}

static void set_message(struct console *c, const char *fmt, ...) BS_PRINTF(2, 3);
static void set_message(struct console *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(c->message);
	c->message = xvasprintf(fmt, ap);
	va_end(ap);
	c->vs.dialog = DLG_MESSAGE;
	c->vs.dialog_scroll = 0;
}

/* ---- what the program knows ---- */

static void reload_journal(struct console *c)
{
	struct bs_err err = { 0 };
	(void)model_read_record(&c->md, &err); /* an unreadable journal vouches for nothing */
}

static void recompute(struct console *c)
{
	model_recompute(&c->md);
	c->stale = false;
	c->recompute_at = mono() + RECOMPUTE_EVERY_S;
}

static bool start_db(struct console *c)
{
	if (c->db || mono() < c->db_next_try)
		return false;
	db_describe(c->st, c->md.snap.target, &c->md.snap.db);
	c->db = dbprobe_start_kept(c->st, c->md.snap.target, c->st->probe_timeout,
				   session_lock_pid(c->ss), session_lock_token(c->ss), &c->dbkeep);
	return c->db != NULL;
}

static void db_finished(struct console *c)
{
	if (c->md.snap.db.reachable) {
		c->db_backoff = 0;
		c->db_next_try = 0;
	} else {
		c->db_backoff = c->db_backoff ? c->db_backoff * 2 : 2;
		if (c->db_backoff > DB_BACKOFF_MAX)
			c->db_backoff = DB_BACKOFF_MAX;
		c->db_next_try = mono() + c->db_backoff;
	}
}

/* One refresh: every node whose previous probe has finished is probed
 * again (and the database), without waiting for those still in flight;
 * when the fleet's requests would pass [probes] console_rate, the nodes in
 * turn, as many as the refresh's share allows (each asked once a cycle),
 * and the node a running step upgrades. */
static void start_tick(struct console *c)
{
	observe_target(&c->md.snap, true);
	probe_policy(c->st, &c->md.snap.policy);
	reload_journal(c);
	if (c->nticks == ARRAY_SIZE(c->ticks)) {
		/* far too many refreshes pending: forget the oldest */
		free(c->ticks[0].nodes);
		memmove(c->ticks, c->ticks + 1, (c->nticks - 1) * sizeof(c->ticks[0]));
		c->nticks--;
	}
	struct tick *t = &c->ticks[c->nticks++];
	t->seq = ++c->ticks_started;
	t->from = 0;
	t->nodes = xcalloc(c->md.snap.nnodes ? c->md.snap.nnodes : 1, sizeof(*t->nodes));
	for (size_t i = 0; i < c->md.snap.nnodes; i++)
		t->nodes[i] = !c->md.snap.nodes[i].in_flight;
	double interval = c->run == RUN_VERIFYING ? 1.0 : c->o->interval;
	long budget = 0;
	if (c->st->console_rate > 0) {
		budget = (long)((double)c->st->console_rate * interval);
		if (budget < 1)
			budget = 1;
	}
	long all = prober_start_within(c->prober, &c->md.snap, budget);
	c->cycle_s = budget && all > budget ? (double)((all + budget - 1) / budget) * interval : 0;
	/* the node a step upgrades is asked at every refresh, whatever the
	 * rate: its verification does not wait for its turn */
	if (c->ss && c->ss->step.node >= 0 && (size_t)c->ss->step.node < c->md.snap.nnodes)
		prober_start_node(c->prober, &c->md.snap, (size_t)c->ss->step.node);
	/* report commands run at most every [probes] report_interval */
	cmdprober_start(c->cmds, &c->md.snap, false);
	/* count_command once a refresh, when its last run has ended */
	if (!c->count)
		c->count = countprobe_start(&c->md.snap);
	for (size_t i = 0; i < c->md.snap.nnodes; i++)
		t->nodes[i] = t->nodes[i] && c->md.snap.nodes[i].in_flight;
	t->db = start_db(c);
	c->next_tick = mono() + interval;
}

static void dump_screen(struct console *c)
{
	if (!c->o->dump)
		return;
	char *text = grid_dump(&c->grid);
	char *tmp = xasprintf("%s.tmp", c->o->dump);
	FILE *f = fopen(tmp, "w");
	if (f) {
		fputs(text, f);
		if (fclose(f) == 0)
			rename(tmp, c->o->dump);
	}
	free(tmp);
	free(text);
}

/* ---- the view ---- */

static void draw(struct console *c)
{
	struct view_state *vs = &c->vs;
	vs->snap = &c->md.snap;
	vs->in = &c->md.in;
	vs->plan = &c->md.plan;
	vs->checks = c->md.checks;
	vs->nchecks = check_count;
	vs->journal = c->md.journal;
	vs->njournal = c->md.njournal;
	vs->outputs = c->outputs;
	vs->noutputs = c->noutputs;
	vs->next_argv = c->md.next_argv;
	vs->next_error = c->md.next_error;
	vs->now = time(NULL);
	vs->refreshed = c->refreshed;
	vs->cycle_s = c->cycle_s;
	vs->color = c->o->color && c->ti.color;
	vs->filter = c->filter;
	vs->run = c->run;
	vs->run_desc = c->ss ? c->ss->desc : NULL;
	vs->run_step = c->ss ? &c->ss->step : NULL;
	vs->run_started = c->ss ? c->ss->rec.start : 0;
	vs->run_lines = (const char *const *)c->lines;
	vs->own_lock = c->ss && c->run != RUN_LOCKING ? c->ss->lock_name : NULL;
	vs->take_over = c->md.take_over;
	vs->roll = c->roll;
	struct progress pr;
	model_progress(&c->md, &pr);
	vs->left_s = pr.left_s;
	vs->rows_left = pr.rows_left;
	vs->rows_per_s = pr.rows_per_s;
	vs->rows_left_s = pr.rows_left_s;
	vs->nrun_lines = c->nlines;
	double vleft = c->verify_deadline - mono();
	vs->verify_left = c->run == RUN_VERIFYING && vleft > 0 ? (int)(vleft + 0.999) : 0;
	double left = c->db_next_try - mono();
	vs->db_retry_in = !c->db && left > 0 && !c->md.snap.db.reachable ? (int)(left + 0.999) : 0;
	if (vs->dialog == DLG_MESSAGE)
		vs->dialog_text = c->message;
	else if (vs->dialog == DLG_NEXT)
		vs->dialog_text = c->typed;
	else if (vs->dialog == DLG_VOUCH)
		vs->dialog_text = c->message;
	vs->vouch_node = c->vouch_node;
	vs->vouch_release = c->vouch_release;
	vs->vouch_reason = c->vouch_reason;
	vs->vouch_field = c->vouch_field;
	vs->vouch_error = c->vouch_error;
	vs->vouch_step = c->vouch_step;
	if (c->grid.w != c->ti.w || c->grid.h != c->ti.h) {
		grid_free(&c->grid);
		grid_init(&c->grid, c->ti.w, c->ti.h, c->ti.ascii);
	}
	view_draw(&c->grid, vs);
	if (!c->o->batch)
		term_draw(&c->grid);
}

/* --batch: the screen of the newest refresh, to --dump FILE (rewritten) or
 * appended to stdout. */
static void batch_screen(struct console *c)
{
	draw(c);
	if (c->o->dump) {
		dump_screen(c);
	} else {
		char *text = grid_dump(&c->grid);
		fputs(text, stdout);
		fflush(stdout);
		free(text);
	}
	c->screens++;
	c->screen_owed = false;
}

/* --batch: every probe the newest refresh started has ended (an earlier
 * refresh's node still in flight is not its own). */
static bool newest_tick_ended(const struct console *c)
{
	if (!c->nticks || c->ticks[c->nticks - 1].seq != c->ticks_started)
		return true;
	const struct tick *t = &c->ticks[c->nticks - 1];
	for (size_t i = 0; i < c->md.snap.nnodes; i++)
		if (t->nodes[i] && c->md.snap.nodes[i].in_flight)
			return false;
	return !(t->db && c->db);
}

/* ---- steps ---- */

static void run_line(void *ctx, const char *line, size_t len)
{
	struct console *c = ctx;
	if (c->nlines == MAX_RUN_LINES) {
		free(c->lines[0]);
		memmove(c->lines, c->lines + 1, (c->nlines - 1) * sizeof(*c->lines));
		c->nlines--;
	}
	xgrow(&c->lines, &c->caplines, c->nlines + 1, sizeof(*c->lines));
	/* its colours and other escape sequences go, its text stays */
	c->lines[c->nlines++] = sanitize_output_line(line, len);
}

static void clear_run_lines(struct console *c)
{
	for (size_t i = 0; i < c->nlines; i++)
		free(c->lines[i]);
	c->nlines = 0;
}

/* The running step's output, kept under its record's id once it ends (the
 * journal view shows it). */
static void keep_output(struct console *c, const char *id)
{
	if (!c->nlines || !id)
		return;
	xgrow(&c->outputs, &c->capoutputs, c->noutputs + 1, sizeof(*c->outputs));
	struct step_output *o = &c->outputs[c->noutputs++];
	o->id = xstrdup(id);
	o->lines = (const char *const *)c->lines;
	o->nlines = c->nlines;
	c->lines = NULL;
	c->nlines = c->caplines = 0;
}

static void free_outputs(struct console *c)
{
	for (size_t i = 0; i < c->noutputs; i++) {
		for (size_t j = 0; j < c->outputs[i].nlines; j++)
			free((char *)c->outputs[i].lines[j]);
		free((void *)c->outputs[i].lines);
		free((char *)c->outputs[i].id);
	}
	free(c->outputs);
}

/* End the session (journal, lock) and go back to idle. */
static struct step_what step_what_of(const struct console *c)
{
	const struct plan_step *st = &c->ss->step;
	return (struct step_what){ st->kind == STEP_EXPAND || st->kind == STEP_CONTRACT ||
					   st->kind == STEP_OFFLINE,
				   c->ss->unobservable, c->ss->argv == NULL };
}

/* Feed the step machine an event; returns what it says. */
static struct step_transition feed(struct console *c, enum step_event e)
{
	struct step_what w = c->ss ? step_what_of(c) : (struct step_what){ false, false, false };
	struct step_transition t = step_next(c->sstate, e, &w);
	c->sstate = t.next;
	return t;
}

static void roll_next(struct console *c);

static void end_step(struct console *c, enum journal_outcome outcome, char *detail)
{
	c->sstate = SS_IDLE;
	c->cancel_asked = false;
	keep_output(c, c->ss->rec.id);
	struct bs_err err = { 0 };
	if (session_end(c->ss, outcome, detail, &err) != BS_ST_OK)
		set_message(c, "the step's record could not be written to the journal: %s", err.detail);
	c->ss = NULL;
	exec_free(c->exec);
	c->exec = NULL;
	c->run = RUN_IDLE;
	if (c->vs.focus == PANE_LOG)
		c->vs.focus = c->focus_before;
	c->vs.log_scroll = 0;
	reload_journal(c);
	c->next_tick = mono(); /* see the effect at once */
	/* a roll goes on only after a step that did what it was for */
	if (c->roll != ROLL_OFF && outcome != OUTCOME_VERIFIED && outcome != OUTCOME_VOUCHED) {
		c->roll = ROLL_OFF;
		set_message(c, "the roll stopped: the step ended %s. Press R to resume it once "
			       "that is sorted out", journal_outcome_name(outcome));
	}
}

static void ask_vouch(struct console *c, const char *what)
{
	free(c->message);
	c->message = xasprintf("%s cannot be observed.%s Does it run %s now?",
			       c->ss->rec.node ? c->ss->rec.node : "?", what, c->ss->release);
	c->run = RUN_VERIFYING;
	c->vs.dialog = DLG_VOUCH;
}

static void try_start_step(struct console *c);

/* n confirmed: the journal and the lock; then a refresh under the lock
 * (RUN_PREPARING) before anything runs. A take-over offered and not taken
 * up is withdrawn. */
static void start_step(struct console *c)
{
	try_start_step(c);
	if (c->run == RUN_IDLE && c->md.take_over) {
		c->md.take_over = false;
		recompute(c);
	}
}

static void try_start_step(struct console *c)
{
	const struct plan *p = &c->md.plan;
	c->vs.dialog = DLG_NONE;
	if (c->o->readonly) {
		set_message(c, "read-only console (--readonly): nothing runs");
		return;
	}
	if (!p->next_ready) {
		set_message(c, "the next step is blocked: nothing ran (see the Next pane)");
		return;
	}
	if (c->md.snap.target_src != TARGET_CONFIG) {
		set_message(c, "set [upgrade] target_release: the console does not take steps towards "
			       "a guessed target");
		return;
	}
	struct plan_step step = p->next;
	bool unobservable = step.node >= 0 && !p->nodes[step.node].observable;
	struct bs_err err = { 0 };
	char **argv = NULL;
	if (step_argv(c->st, &c->md.snap, &step, &argv, &err) != BS_ST_OK) {
		set_message(c, "%s", err.detail);
		return;
	}
	if (!argv && !unobservable) {
		set_message(c, "%s is a manual step (no [steps] %s template): do it by hand",
			    step_kind_name(step.kind), step_kind_name(step.kind));
		return;
	}
	/* the lock is taken by its keeper's thread: the loop waits on it */
	if (session_start(c->st, &c->md.snap, p, &step, argv, c->md.take_over, &c->ss, &err) !=
	    BS_ST_OK) {
		set_message(c, "the step does not start: %s", err.detail);
		argv_free(argv);
		return;
	}
	c->sstate = SS_IDLE;
	c->cancel_asked = false;
	feed(c, SE_START);
	c->run = RUN_LOCKING;
}

/* The keeper answered: go on under the lock, or say who has it. */
static void lock_answered(struct console *c)
{
	struct lock_obs holder = { 0 };
	struct bs_err err = { 0 };
	enum lock_outcome o = session_lock_poll(c->ss, &holder, &err);
	if (o == LOCK_PENDING)
		return;
	if (o == LOCK_TAKEN && c->vouching) {
		/* a vouch runs nothing: recorded under the lock at once */
		feed(c, SE_LOCK_TAKEN);
		c->vouching = false;
		char *detail = vouch_detail(c->ss, c->vouch_node, c->ss->release, c->vouch_reason);
		end_step(c, OUTCOME_VOUCHED, detail);
		recompute(c);
		return;
	}
	if (o == LOCK_TAKEN) {
		feed(c, SE_LOCK_TAKEN);
		c->md.take_over = false;
		/* a database probe started before the lock was ours would count
		 * our own lock as another operator's: the refresh under the lock
		 * starts a fresh one */
		if (c->db) {
			dbprobe_free(c->db);
			c->db = NULL;
			for (size_t i = 0; i < c->nticks; i++)
				c->ticks[i].db = false;
		}
		clear_run_lines(c);
		c->run = RUN_PREPARING;
		c->prepare_seq = c->ticks_started + 1;
		c->next_tick = 0;   /* a refresh now, under the lock */
		c->db_next_try = 0;
		return;
	}
	const char *what = c->vouching ? "nothing recorded" : "nothing ran";
	if (o == LOCK_ERROR)
		set_message(c, "the %s does not start: %s", c->vouching ? "vouch" : "step", err.detail);
	else if (o == LOCK_VANISHED)
		set_message(c, "the upgrade lock's holder vanished (%s); it may still be running: "
			       "%s. Press n to take it over.",
			    holder.holder ? holder.holder : "?", what);
	else
		set_message(c, "the upgrade lock is held by %s%s: %s",
			    holder.holder && *holder.holder ? holder.holder : "another session",
			    holder.lost_race ? " (taken at the same moment as ours)" : "", what);
	lock_obs_clear(&holder);
	c->vouching = false;
	feed(c, o == LOCK_ERROR ? SE_LOCK_ERROR : SE_LOCK_REFUSED);
	session_discard(c->ss);
	c->ss = NULL;
	c->run = RUN_IDLE;
	c->sstate = SS_IDLE;
	c->md.take_over = false;
	if (c->roll != ROLL_OFF) {
		c->roll = ROLL_OFF;
		set_message(c, "the roll stopped: the upgrade lock could not be taken (R resumes)");
	}
	recompute(c);
}

/* The first refresh under the lock ended: if the plan still proposes the
 * same step, run it. */
static void step_prepared(struct console *c)
{
	struct step_transition t = feed(c, session_same(c->ss, &c->md.plan) ? SE_SAME_STEP
									   : SE_STEP_CHANGED);
	if (t.action == SA_DISCARD) {
		session_discard(c->ss);
		c->ss = NULL;
		c->run = RUN_IDLE;
		c->sstate = SS_IDLE;
		set_message(c, "the deployment changed before the lock was taken: the next step is no "
			       "longer the one confirmed; nothing ran");
		return;
	}
	if (!c->ss->argv) {
		/* a manual step on a node with nothing to ask: the operator vouches */
		ask_vouch(c, "");
		return;
	}
	struct bs_err err = { 0 };
	char **env = step_env(c->st, &c->md.snap, &c->ss->step);
	enum bs_status rc = exec_start(c->ss->argv, env, c->o->step_timeout, 10.0, run_line, c,
				       &c->exec, &err);
	argv_free(env);
	if (rc != BS_ST_OK) {
		set_message(c, "the step could not start: %s", err.detail);
		end_step(c, OUTCOME_FAILED, xasprintf("could not start: %s", err.detail));
		return;
	}
	c->run = RUN_RUNNING;
	c->focus_before = c->vs.focus; /* given back when the step ends */
	c->vs.focus = PANE_LOG;
	c->vs.log_scroll = 0;
}

static void step_exited(struct console *c, struct exec_result *r)
{
	session_exited(c->ss, r);
	bool ok = r->exited && r->exit_code == 0;
	struct step_transition t = feed(c, ok ? SE_EXIT_OK : SE_EXIT_FAILED);
	exec_free(c->exec);
	c->exec = NULL;
	switch (t.action) {
	case SA_OBSERVE_END: {
		/* the record waits for one more refresh: it says what the
		 * deployment then shows */
		char *d = session_failure_detail(r);
		set_message(c, "the step did not succeed (%s): %s", c->ss->desc, d);
		free(c->end_detail);
		c->end_detail = d;
		c->end_outcome = t.outcome;
		c->end_seq = c->ticks_started + 1;
		c->next_tick = 0;
		c->run = RUN_VERIFYING;
		break;
	}
	case SA_ASK_VOUCH:
		ask_vouch(c, " Its step exited 0.");
		break;
	case SA_VERIFY:
	case SA_VERIFY_NOW:
		/* a database step is final once its command exited: one look
		 * (2 s for a replica), not the settle window */
		c->run = RUN_VERIFYING;
		c->verify_deadline = mono() + (t.action == SA_VERIFY_NOW ? 2.0 : c->st->settle_timeout);
		c->next_tick = mono();
		break;
	default:
		end_step(c, OUTCOME_FAILED, session_failure_detail(r));
		break;
	}
	exec_result_free(r);
}

/* A step that ended early, after the refresh it waited for. */
static void end_observed(struct console *c)
{
	char *shows = step_now_shows(&c->md.snap, &c->ss->step);
	char *d = c->end_detail ? c->end_detail : xstrdup("ended");
	char *tail = strstr(d, "; output ends:");
	char *detail = tail ? xasprintf("%.*s; %s%s", (int)(tail - d), d, shows, tail)
			    : xasprintf("%s; %s", d, shows);
	free(d);
	free(shows);
	c->end_detail = NULL;
	c->end_seq = 0;
	end_step(c, c->end_outcome, detail);
}

static void verify_step(struct console *c)
{
	if (c->run != RUN_VERIFYING || c->vs.dialog == DLG_VOUCH || c->vouch_step || !c->ss ||
	    c->end_seq)
		return;
	if (step_verified(&c->md.snap, &c->md.plan, &c->ss->step)) {
		feed(c, SE_VERIFIED);
		end_step(c, OUTCOME_VERIFIED, xasprintf("verified: %s", c->ss->desc));
		roll_next(c);
	} else if (mono() >= c->verify_deadline) {
		feed(c, SE_SETTLE_TIMEOUT);
		end_step(c, OUTCOME_NOT_VERIFIED, xasprintf("not verified in time: %s", c->ss->desc));
	}
}

/* The answer to "does it run the release now?" after a step on a node
 * that cannot be observed: yes with the operator's reason (as `vouch`
 * and the v dialog record it), or no. */
static void vouch(struct console *c, bool yes, const char *reason)
{
	c->vs.dialog = DLG_NONE;
	const char *node = c->ss->rec.node ? c->ss->rec.node : "?";
	feed(c, yes ? SE_VOUCH_YES : SE_VOUCH_NO);
	if (yes) {
		end_step(c, OUTCOME_VOUCHED, vouch_detail(c->ss, node, c->ss->release, reason));
		roll_next(c);
	} else
		end_step(c, OUTCOME_NOT_VERIFIED, xasprintf("%s cannot be observed and nobody vouched "
							    "for it", node));
}

/* ---- keys ---- */

/* R: after a step that did what it was for, the next one, when the roll
 * is on, the plan proposes one that needs no typed confirmation and comes
 * before unpin (the end of the roll, as upgrade run's default). */
static void roll_next(struct console *c)
{
	if (c->roll != ROLL_ON || c->run != RUN_IDLE)
		return;
	recompute(c);
	const struct plan *p = &c->md.plan;
	if (p->phase == PH_DONE || p->phase >= PH_UNPIN) {
		c->roll = ROLL_OFF;
		c->vs.notice = p->phase == PH_DONE ? "the roll is done: the upgrade is complete"
						   : "the roll is done: the end of the roll is reached";
		return;
	}
	if (p->next.kind == STEP_CONTRACT || p->next.kind == STEP_OFFLINE) {
		c->roll = ROLL_OFF;
		c->vs.notice = "the roll stops before a step whose name must be typed (n)";
		return;
	}
	if (!p->next_ready) {
		/* blocked for now (a node settling, max_unavailable): the next
		 * refresh looks again */
		return;
	}
	start_step(c);
}

static size_t shown_nodes(struct console *c)
{
	size_t *idx;
	c->vs.snap = &c->md.snap;
	c->vs.in = &c->md.in;
	c->vs.filter = c->filter;
	size_t n = view_nodes(&c->vs, &idx);
	free(idx);
	return n;
}

static void move(struct console *c, long delta)
{
	struct view_state *vs = &c->vs;
	if (vs->dialog != DLG_NONE) {
		long v = (long)vs->dialog_scroll + delta;
		vs->dialog_scroll = v < 0 ? 0 : (size_t)v;
		return;
	}
	size_t n;
	size_t *sel;
	switch (vs->focus) {
	case PANE_NODES:
		n = shown_nodes(c);
		sel = &vs->node_sel;
		break;
	case PANE_CHECKS:
		n = check_count;
		sel = &vs->check_sel;
		break;
	default: {
		long v = (long)vs->log_scroll - delta;
		vs->log_scroll = v < 0 ? 0 : (size_t)v;
		return;
	}
	}
	long v = (long)*sel + delta;
	if (v < 0)
		v = 0;
	if (n && v >= (long)n)
		v = (long)n - 1;
	*sel = n ? (size_t)v : 0;
}

static bool printable(int k)
{
	return k >= 0x20 && k < 0x110000 && k != 0x7f && !(k >= 0x80 && k < 0xa0);
}

static void append_utf8(char *buf, size_t cap, int k)
{
	size_t len = strlen(buf);
	char enc[5] = { 0 };
	if (k < 0x80) {
		enc[0] = (char)k;
	} else if (k < 0x800) {
		enc[0] = (char)(0xc0 | (k >> 6));
		enc[1] = (char)(0x80 | (k & 0x3f));
	} else if (k < 0x10000) {
		enc[0] = (char)(0xe0 | (k >> 12));
		enc[1] = (char)(0x80 | ((k >> 6) & 0x3f));
		enc[2] = (char)(0x80 | (k & 0x3f));
	} else {
		enc[0] = (char)(0xf0 | (k >> 18));
		enc[1] = (char)(0x80 | ((k >> 12) & 0x3f));
		enc[2] = (char)(0x80 | ((k >> 6) & 0x3f));
		enc[3] = (char)(0x80 | (k & 0x3f));
	}
	if (len + strlen(enc) < cap)
		memcpy(buf + len, enc, strlen(enc) + 1);
}

static void backspace(char *buf)
{
	size_t len = strlen(buf);
	while (len > 0) {
		len--;
		if (((unsigned char)buf[len] & 0xc0) != 0x80)
			break;
	}
	buf[len] = '\0';
}

/* The Next dialog closed without a step: a take-over offered is withdrawn. */
static void close_next(struct console *c)
{
	c->vs.dialog = DLG_NONE;
	if (c->md.take_over) {
		c->md.take_over = false;
		recompute(c);
	}
}

/* v on a node: the dialog asking for the release (the target to begin
 * with) and the reason, for a node that may be vouched for. */
static void open_vouch(struct console *c)
{
	size_t *idx;
	size_t n = view_nodes(&c->vs, &idx);
	long node = c->vs.node_sel < n ? (long)idx[c->vs.node_sel] : -1;
	free(idx);
	if (c->vs.focus != PANE_NODES || node < 0) {
		c->vs.notice = "v: select a node in the Nodes pane first";
		return;
	}
	if (c->o->readonly) {
		set_message(c, "read-only console (--readonly): nothing is recorded");
		return;
	}
	if (c->run != RUN_IDLE) {
		set_message(c, "a step is running already: vouch once it ended");
		return;
	}
	if (c->md.snap.target_src != TARGET_CONFIG) {
		set_message(c, "set [upgrade] target_release: the console does not vouch towards a "
			       "guessed target");
		return;
	}
	const char *name = c->md.snap.nodes[node].conf->name;
	long i;
	enum vouch_refusal why = vouch_check(&c->md.snap, &c->md.plan, name, c->md.snap.target, "-", &i);
	if (why == VOUCH_OBSERVABLE || why == VOUCH_NO_NODE) {
		char *t = vouch_refusal_text(why, name, NULL);
		set_message(c, "%s", t);
		free(t);
		return;
	}
	free(c->vouch_node);
	c->vouch_node = xstrdup(name);
	snprintf(c->vouch_release, sizeof(c->vouch_release), "%s", c->md.snap.target ? c->md.snap.target : "");
	c->vouch_reason[0] = '\0';
	c->vouch_field = 1; /* the release is given: the reason is what is asked */
	c->vouch_error = NULL;
	c->vs.dialog = DLG_VOUCH_FORM;
	c->vs.dialog_scroll = 0;
}

/* Enter in the vouch dialog: recorded as barbican-status vouch records it
 * (runner/vouch.h), under the lock that its keeper's thread takes. */
static void submit_vouch(struct console *c)
{
	long idx;
	enum vouch_refusal why = vouch_check(&c->md.snap, &c->md.plan, c->vouch_node, c->vouch_release,
					     c->vouch_reason, &idx);
	if (why == VOUCH_BAD_RELEASE || why == VOUCH_NO_REASON) {
		c->vouch_error = why == VOUCH_NO_REASON ? "a reason is required: why you know what it runs"
							: "the release is not one such as 15.0.1";
		c->vouch_field = why == VOUCH_NO_REASON ? 1 : 0;
		return;
	}
	c->vs.dialog = DLG_NONE;
	if (why != VOUCH_OK) {
		char *t = vouch_refusal_text(why, c->vouch_node, c->vouch_release);
		set_message(c, "%s", t);
		free(t);
		return;
	}
	struct plan_step step = vouch_step(idx, c->vouch_release);
	struct bs_err err = { 0 };
	if (session_start(c->st, &c->md.snap, &c->md.plan, &step, NULL, false, &c->ss, &err) != BS_ST_OK) {
		set_message(c, "the vouch is not recorded: %s", err.detail);
		return;
	}
	c->sstate = SS_IDLE;
	c->cancel_asked = false;
	feed(c, SE_START);
	c->vouching = true;
	c->run = RUN_LOCKING;
}

/* y to the question after a step: the reason is asked, the release is the
 * step's */
static void open_step_vouch(struct console *c)
{
	free(c->vouch_node);
	c->vouch_node = xstrdup(c->ss->rec.node ? c->ss->rec.node : "?");
	snprintf(c->vouch_release, sizeof(c->vouch_release), "%s", c->ss->release);
	c->vouch_reason[0] = '\0';
	c->vouch_field = 1;
	c->vouch_error = NULL;
	c->vouch_step = true;
	c->vs.dialog = DLG_VOUCH_FORM;
}

static void vouch_form_key(struct console *c, int k)
{
	char *field = c->vouch_field ? c->vouch_reason : c->vouch_release;
	size_t cap = c->vouch_field ? sizeof(c->vouch_reason) : sizeof(c->vouch_release);
	if (c->vouch_step) {
		if (k == K_ESC) {
			c->vouch_step = false;
			c->vs.dialog = DLG_VOUCH;
		} else if (k == K_ENTER) {
			if (!c->vouch_reason[strspn(c->vouch_reason, " \t")]) {
				c->vouch_error = "a reason is required: why you know what it runs";
				return;
			}
			c->vouch_step = false;
			vouch(c, true, c->vouch_reason);
		} else if (k == K_BACKSPACE) {
			backspace(c->vouch_reason);
			c->vouch_error = NULL;
		} else if (printable(k)) {
			append_utf8(c->vouch_reason, sizeof(c->vouch_reason), k);
			c->vouch_error = NULL;
		}
		return;
	}
	if (k == K_ESC) {
		c->vs.dialog = DLG_NONE;
	} else if (k == K_TAB || k == K_BTAB || k == K_UP || k == K_DOWN) {
		c->vouch_field = !c->vouch_field;
	} else if (k == K_ENTER) {
		submit_vouch(c);
	} else if (k == K_BACKSPACE) {
		backspace(field);
		c->vouch_error = NULL;
	} else if (printable(k)) {
		append_utf8(field, cap, k);
		c->vouch_error = NULL;
	}
}

static void key(struct console *c, int k)
{
	struct view_state *vs = &c->vs;
	int page = c->ti.h > 10 ? c->ti.h / 2 : 5;

	if (vs->filter_editing) {
		if (k == K_ENTER) {
			vs->filter_editing = false;
		} else if (k == K_ESC) {
			c->filter[0] = '\0';
			vs->filter_editing = false;
		} else if (k == K_BACKSPACE) {
			backspace(c->filter);
		} else if (printable(k)) {
			append_utf8(c->filter, sizeof(c->filter), k);
		}
		vs->node_sel = 0;
		return;
	}
	if (k == K_CTRL_L) {
		term_force_redraw();
		return;
	}
	vs->notice = NULL; /* a notice lasts until the next key */
	switch (vs->dialog) {
	case DLG_NONE:
		break;
	case DLG_NEXT: {
		const struct plan *p = &c->md.plan;
		char *word = console_confirm_word(&p->next, c->md.take_over);
		if (k == K_ESC) {
			close_next(c);
		} else if (!p->next_ready || c->o->readonly) {
			if (k == 'n' || k == 'q')
				close_next(c);
		} else if (word) {
			if (k == K_ENTER) {
				if (strcmp(c->typed, word) == 0) {
					start_step(c);
				} else {
					close_next(c);
					set_message(c, "not confirmed (the word typed was not \"%s\"): nothing ran",
						    word);
				}
			} else if (k == K_BACKSPACE) {
				backspace(c->typed);
			} else if (printable(k)) {
				append_utf8(c->typed, sizeof(c->typed), k);
			}
		} else if (k == 'y' || k == 'Y') {
			start_step(c);
		} else if (k == 'n' || k == 'N') {
			close_next(c);
		}
		free(word);
		return;
	}
	case DLG_VOUCH_FORM:
		vouch_form_key(c, k);
		return;
	case DLG_ROLL:
		if (k == 'y' || k == 'Y') {
			vs->dialog = DLG_NONE;
			c->roll = ROLL_ON;
			vs->notice = "the roll runs: P pauses it, X stops it";
			roll_next(c);
		} else if (k == K_ESC || k == 'n' || k == 'N') {
			vs->dialog = DLG_NONE;
		}
		return;
	case DLG_CANCEL:
		if (k == 'y' || k == 'Y') {
			if (c->exec && feed(c, SE_CANCEL).action == SA_STOP_RUN) {
				exec_cancel(c->exec);
				c->cancel_asked = true;
			}
			vs->dialog = DLG_NONE;
		} else if (k == K_ESC || k == 'n' || k == 'N') {
			vs->dialog = DLG_NONE;
		}
		return;
	case DLG_VOUCH:
		if (k == 'y' || k == 'Y')
			open_step_vouch(c);
		else if (k == 'n' || k == 'N' || k == K_ESC)
			vouch(c, false, NULL);
		return;
	case DLG_HELP:
		if (k == K_ESC || k == '?' || k == 'q')
			vs->dialog = DLG_NONE;
		else if (k == 'j' || k == K_DOWN)
			move(c, 1);
		else if (k == 'k' || k == K_UP)
			move(c, -1);
		return;
	default:
		if (k == K_ESC || k == 'q')
			vs->dialog = DLG_NONE;
		else if (k == 'j' || k == K_DOWN)
			move(c, 1);
		else if (k == 'k' || k == K_UP)
			move(c, -1);
		else if (k == K_PGDN)
			move(c, page);
		else if (k == K_PGUP)
			move(c, -page);
		return;
	}

	if (k != 'q')
		c->quit_armed = false;
	switch (k) {
	case 'q':
		if (c->run == RUN_IDLE || c->quit_armed) {
			c->quit = true;
		} else {
			c->quit_armed = true;
			set_message(c, "a step is running: c cancels it; q again quits and cancels it");
		}
		break;
	case '?':
		vs->dialog = DLG_HELP;
		vs->dialog_scroll = 0;
		break;
	case 'r':
		c->next_tick = 0;
		c->db_next_try = 0;
		break;
	case 'p':
		vs->paused = !vs->paused;
		if (!vs->paused)
			c->next_tick = 0;
		break;
	case K_TAB:
		vs->focus = (enum pane)((vs->focus + 1) % PANE__COUNT);
		break;
	case K_BTAB:
		vs->focus = (enum pane)((vs->focus + PANE__COUNT - 1) % PANE__COUNT);
		break;
	case 'j':
	case K_DOWN:
		move(c, 1);
		break;
	case 'k':
	case K_UP:
		move(c, -1);
		break;
	case K_PGDN:
		move(c, page);
		break;
	case K_PGUP:
		move(c, -page);
		break;
	case '/':
		vs->filter_editing = true;
		break;
	case K_ESC:
		c->filter[0] = '\0';
		break;
	case 's':
		vs->sort = (enum sort_col)((vs->sort + 1) % SORT__COUNT);
		break;
	case 'S':
		vs->sort_desc = !vs->sort_desc;
		break;
	case K_ENTER:
		if (vs->focus == PANE_NODES && shown_nodes(c))
			vs->dialog = DLG_NODE;
		else if (vs->focus == PANE_CHECKS)
			vs->dialog = DLG_CHECK;
		vs->dialog_scroll = 0;
		break;
	case 'n':
		if (c->run != RUN_IDLE) {
			set_message(c, "a step is running already");
		} else if (c->md.plan.next.kind == STEP_NONE && !c->md.snap.lock.vanished) {
			set_message(c, c->md.plan.phase == PH_DONE ? "nothing to do: the upgrade is complete"
								: "no step can be taken yet (see the Next pane)");
		} else {
			c->typed[0] = '\0';
			vs->dialog = DLG_NEXT;
			vs->dialog_scroll = 0;
			/* a vanished holder's lock: the same step, once the
			 * operator types that they take it over */
			if (c->md.snap.lock.vanished && !c->md.snap.lock.held && !c->md.take_over) {
				c->md.take_over = true;
				recompute(c);
			}
		}
		break;
	case 'R':
		if (c->o->readonly) {
			set_message(c, "read-only console (--readonly): nothing runs");
		} else if (c->roll == ROLL_PAUSED) {
			c->roll = ROLL_ON;
			vs->notice = "the roll goes on: P pauses it, X stops it";
			roll_next(c);
		} else if (c->roll == ROLL_OFF) {
			vs->dialog = DLG_ROLL;
			vs->dialog_scroll = 0;
		}
		break;
	case 'P':
		if (c->roll == ROLL_ON) {
			c->roll = ROLL_PAUSED;
			vs->notice = "the roll is paused: the running step finishes, no next one starts "
				     "(R resumes, X stops)";
		} else if (c->roll == ROLL_PAUSED) {
			c->roll = ROLL_ON;
			roll_next(c);
		}
		break;
	case 'X':
		if (c->roll != ROLL_OFF) {
			c->roll = ROLL_OFF;
			vs->notice = c->run != RUN_IDLE
					     ? "the roll is stopped: the running step finishes (c cancels it)"
					     : "the roll is stopped";
		}
		break;
	case 'c':
		if (c->run == RUN_RUNNING)
			vs->dialog = DLG_CANCEL;
		else
			vs->notice = "c: no step is running (nothing to cancel)";
		break;
	case 'v':
		open_vouch(c);
		break;
	case 'L':
		vs->dialog = DLG_JOURNAL;
		vs->dialog_scroll = 0;
		break;
	default:
		break;
	}
}

/* ---- the loop ---- */

/* Retire the oldest refreshes whose probes have all ended; returns how many
 * completed. */
static int ticks_done(struct console *c)
{
	int done = 0;
	while (c->nticks) {
		struct tick *t = &c->ticks[0];
		/* from where the last look stopped: a look is not O(nodes) each
		 * time round the loop, and a node this refresh saw answer is
		 * not waited for again when a later refresh asks it again */
		for (; t->from < c->md.snap.nnodes; t->from++)
			if (t->nodes[t->from] && c->md.snap.nodes[t->from].in_flight)
				return done;
		if (t->db && c->db)
			return done;
		c->last_completed_seq = t->seq;
		free(t->nodes);
		memmove(c->ticks, c->ticks + 1, (c->nticks - 1) * sizeof(c->ticks[0]));
		c->nticks--;
		done++;
	}
	return done;
}

static void fatal_restore(void)
{
	term_close();
}

static void cleanup_step(struct console *c)
{
	if (!c->ss)
		return;
	const char *why = c->quit_signal == SIGINT ? "SIGINT" : c->quit_signal == SIGTERM ? "SIGTERM"
			  : c->quit_signal == SIGHUP ? "SIGHUP" : "q";
	if (c->run == RUN_PREPARING || c->run == RUN_LOCKING) {
		session_discard(c->ss);
		c->ss = NULL;
		c->run = RUN_IDLE;
		c->vouching = false;
		return;
	}
	/* the step machine's signal: stop the run, and say what the
	 * deployment showed at the last look */
	struct step_transition t = feed(c, SE_SIGNAL);
	char *shows = step_now_shows(&c->md.snap, &c->ss->step);
	if (t.action == SA_STOP_RUN && c->exec) {
		exec_cancel(c->exec);
		struct exec_result r;
		double until = mono() + 15;
		bool ended;
		while (!(ended = exec_poll(c->exec, &r)) && mono() < until)
			usleep(50 * 1000);
		char *f = xstrdup("cancelled");
		if (ended) {
			session_exited(c->ss, &r);
			free(f);
			f = session_failure_detail(&r);
			exec_result_free(&r);
		}
		char *tail = strstr(f, "; output ends:");
		end_step(c, OUTCOME_CANCELLED,
			 xasprintf("%.*s: the console quit (%s); at its last look %s%s",
				   (int)(tail ? (size_t)(tail - f) : strlen(f)), f, why, shows,
				   tail ? tail : ""));
		free(f);
	} else if (c->end_seq) {
		/* waiting for the look that the record needs: the last one */
		end_observed(c);
	} else {
		end_step(c, OUTCOME_NOT_VERIFIED,
			 xasprintf("verification interrupted: the console quit (%s); at its last "
				   "look %s", why, shows));
	}
	free(shows);
}

int console_run(struct settings *st, const struct console_opts *o)
{
	struct console *c = xcalloc(1, sizeof(*c));
	c->st = st;
	c->o = o;
	model_init(&c->md, st, settings_manifest(st));
	c->vs.freeze = getenv("BARBICAN_STATUS_TEST_FREEZE") && *getenv("BARBICAN_STATUS_TEST_FREEZE");
	c->vs.readonly = o->readonly;
	c->vs.sort = SORT_CONFIG;
	/* its wait loop is libcurl's, nodes or not: without libcurl, no console */
	char *why = NULL;
	c->prober = prober_new(st, &why);
	if (!c->prober) {
		fprintf(stderr, BS_PROG ": %s\n", why);
		free(why);
		model_free(&c->md);
		free(c);
		return 255;
	}
	prober_keep_raw(c->prober, true);
	if (pipe(c->sigpipe) != 0) {
		fprintf(stderr, BS_PROG ": cannot create a pipe: %s\n", strerror(errno));
		prober_free(c->prober);
		model_free(&c->md);
		free(c);
		return 255;
	}
	for (int i = 0; i < 2; i++) {
		fcntl(c->sigpipe[i], F_SETFL, O_NONBLOCK);
		fcntl(c->sigpipe[i], F_SETFD, FD_CLOEXEC);
	}
	struct sigaction sa = { 0 }, old[4];
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	static const int sigs[4] = { SIGWINCH, SIGINT, SIGTERM, SIGHUP };
	the_console = c;  /* on_signal's, from here on */
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);

	if (o->batch) {
		/* no terminal: the size asked for, colours never; boxes in
		 * UTF-8 when the locale is */
		const char *cs = nl_langinfo(CODESET);
		c->ti = (struct term_info){ false, !(cs && (strcmp(cs, "UTF-8") == 0 ||
							   strcmp(cs, "utf8") == 0)),
					    o->width, o->height };
	} else if (!term_open(o->color, &c->ti)) {
		for (int i = 0; i < 4; i++)
			sigaction(sigs[i], &old[i], NULL);
		the_console = NULL;
		close(c->sigpipe[0]);
		close(c->sigpipe[1]);
		prober_free(c->prober);
		model_free(&c->md);
		free(c);
		fprintf(stderr, BS_PROG ": the console needs a terminal (stdin and stdout): use "
				"nodes, migrations or upgrade plan in scripts\n");
		return 255;
	}
	xalloc_set_fatal_hook(fatal_restore);
	grid_init(&c->grid, c->ti.w, c->ti.h, c->ti.ascii);
	c->cmds = cmdprober_new(st);
	observe_target(&c->md.snap, true);
	recompute(c);
	draw(c);

	time_t last_draw_sec = 0;
	while (!c->quit) {
		double now = mono();
		/* p pauses the screen's refresh, never a step that holds the lock */
		bool refreshing = !c->vs.paused || c->run != RUN_IDLE;
		if (refreshing && now >= c->next_tick) {
			/* --batch: the screen of a refresh still waiting on a
			 * probe is due now, as it stands */
			if (o->batch && c->screen_owed)
				batch_screen(c);
			if (o->batch && o->iterations > 0 && c->screens >= (unsigned long)o->iterations)
				break;
			start_tick(c);
			c->screen_owed = o->batch;
		}

		long wait = 1000;
		if (refreshing) {
			long until = (long)((c->next_tick - now) * 1000.0) + 1;
			if (until < wait)
				wait = until < 0 ? 0 : until;
		}
		long ct = prober_timeout_ms(c->prober);
		if (ct >= 0 && ct < wait)
			wait = ct;
		if (c->stale) {
			long until = (long)((c->recompute_at - now) * 1000.0) + 1;
			if (until < wait)
				wait = until < 0 ? 0 : until;
		}
		enum { MAX_CMD_FDS = 64 };
		struct curl_waitfd extra[7 + MAX_CMD_FDS];
		unsigned nextra = 0;
		int cmdfds[MAX_CMD_FDS];
		int ncmd = cmdprober_fds(c->cmds, cmdfds, MAX_CMD_FDS);
		for (int i = 0; i < ncmd; i++)
			extra[nextra++] = (struct curl_waitfd){ cmdfds[i], CURL_WAIT_POLLIN, 0 };
		long cmdt = cmdprober_timeout_ms(c->cmds);
		if (cmdt >= 0 && cmdt < wait)
			wait = cmdt;
		if (c->count) {
			int fd = countprobe_fd(c->count);
			if (fd >= 0)
				extra[nextra++] = (struct curl_waitfd){ fd, CURL_WAIT_POLLIN, 0 };
			long t = countprobe_timeout_ms(c->count);
			if (t >= 0 && t < wait)
				wait = t;
		}
		if (!o->batch)
			extra[nextra++] = (struct curl_waitfd){ STDIN_FILENO, CURL_WAIT_POLLIN, 0 };
		extra[nextra++] = (struct curl_waitfd){ c->sigpipe[0], CURL_WAIT_POLLIN, 0 };
		if (c->db) {
			bool w;
			int fd = dbprobe_socket(c->db, &w);
			if (fd >= 0)
				extra[nextra++] = (struct curl_waitfd){ fd, (short)(w ? CURL_WAIT_POLLOUT : CURL_WAIT_POLLIN), 0 };
			long dt = dbprobe_timeout_ms(c->db) + 1;
			if (dt < wait)
				wait = dt;
			if (fd < 0 && wait > 50)
				wait = 50;
		}
		if (c->run == RUN_LOCKING) {
			int fd = session_lock_fd(c->ss);
			if (fd >= 0)
				extra[nextra++] = (struct curl_waitfd){ fd, CURL_WAIT_POLLIN, 0 };
		}
		if (c->exec) {
			int fd = exec_fd(c->exec);
			if (fd >= 0)
				extra[nextra++] = (struct curl_waitfd){ fd, CURL_WAIT_POLLIN, 0 };
			long et = exec_timeout_ms(c->exec);
			if (et >= 0 && et < wait)
				wait = et;
			if (fd < 0 && wait > 50)
				wait = 50; /* output closed: reap soon */
		}
		prober_wait(c->prober, extra, nextra, (int)(wait < 0 ? 0 : wait));

		bool changed = false, redraw = false;
		char sig[16];
		ssize_t ns;
		while ((ns = read(c->sigpipe[0], sig, sizeof(sig))) > 0) {
			for (ssize_t i = 0; i < ns; i++) {
				if (sig[i] == 'W') {
					if (!o->batch) {
						term_resized(&c->ti);
						redraw = true;
					}
				} else if (sig[i] == 'I' && c->run != RUN_IDLE && !c->quit_armed &&
					   !o->batch) {
					/* Ctrl-C while a step runs asks, as q does */
					c->quit_armed = true;
					set_message(c, "a step is running: c cancels it; Ctrl-C (or q) "
						       "again quits and cancels it");
					redraw = true;
				} else {
					c->quit = true;
					c->quit_signal = sig[i] == 'I' ? SIGINT : sig[i] == 'T' ? SIGTERM : SIGHUP;
				}
			}
		}
		int k;
		while (!o->batch && (k = term_key()) != KEY_NONE_) {
			if (k == K_RESIZE) {
				/* curses has resized already (resizeterm queues this key:
				 * resizing again here would queue another, forever) */
				term_size(&c->ti);
			} else {
				key(c, k);
			}
			redraw = true;
		}
		/* answers of nodes: the model is recomputed from them at most
		 * every RECOMPUTE_EVERY_S while a refresh is under way (and at
		 * once when it completes), so its cost does not grow with the
		 * number of answers */
		bool answers = false, urgent = false;
		bool rabbit_before = prober_busy(c->prober);
		int inflight = prober_perform(c->prober, &c->md.snap);
		if (inflight != c->inflight_seen || rabbit_before != prober_busy(c->prober))
			answers = true;
		c->inflight_seen = inflight;
		int cmds = cmdprober_perform(c->cmds, &c->md.snap);
		if (cmds != c->cmds_seen)
			answers = true;
		c->cmds_seen = cmds;
		if (answers) {
			changed = true;
			c->stale = true;
		}
		if (c->run == RUN_LOCKING) {
			lock_answered(c);
			if (c->run != RUN_LOCKING)
				redraw = true;
		}
		if (c->count && countprobe_step(c->count, &c->md.snap)) {
			countprobe_free(c->count);
			c->count = NULL;
			changed = urgent = true;
		}
		if (c->db && dbprobe_step(c->db, &c->md.snap.db, &c->md.snap.lock, &c->md.snap.record)) {
			dbprobe_free_keep(c->db, &c->dbkeep);
			c->db = NULL;
			db_finished(c);
			changed = urgent = true;
		}
		if (c->exec) {
			struct exec_result r;
			if (exec_poll(c->exec, &r)) {
				step_exited(c, &r);
				changed = urgent = true;
			} else if (c->nlines) {
				redraw = true;
			}
		}
		bool refreshed = false;
		int completed = ticks_done(c);
		if (urgent)
			c->stale = true, c->recompute_at = 0;  /* the database, a step: at once */
		if (completed || (c->stale && mono() >= c->recompute_at))
			recompute(c);
		if (completed) {
			c->refreshed = time(NULL);
			c->refreshes += (unsigned long)completed;
			model_sample(&c->md);
			if (c->run == RUN_PREPARING && c->last_completed_seq >= c->prepare_seq)
				step_prepared(c);
			else if (c->end_seq && c->ss && c->last_completed_seq >= c->end_seq)
				end_observed(c);
			verify_step(c);
			/* a roll waiting for a step that was blocked for a moment */
			if (c->roll == ROLL_ON && c->run == RUN_IDLE && c->vs.dialog == DLG_NONE)
				roll_next(c);
			changed = refreshed = true;
		}
		if (o->batch) {
			if (c->screen_owed && newest_tick_ended(c))
				batch_screen(c);
			if (o->iterations > 0 && c->screens >= (unsigned long)o->iterations)
				c->quit = true;
			continue;
		}
		time_t sec = time(NULL);
		if (changed || redraw || sec != last_draw_sec) {
			draw(c);
			last_draw_sec = sec;
		}
		if (refreshed)
			dump_screen(c);
		if (o->iterations > 0 && c->refreshes >= (unsigned long)o->iterations)
			c->quit = true;
	}

	cleanup_step(c);
	if (!o->batch) {
		draw(c);
		dump_screen(c);
	}
	term_close();
	xalloc_set_fatal_hook(NULL);
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	close(c->sigpipe[0]);
	close(c->sigpipe[1]);
	if (c->db)
		dbprobe_free(c->db);
	dbprobe_keep_clear(&c->dbkeep);
	prober_free(c->prober);
	cmdprober_free(c->cmds);
	countprobe_free(c->count);
	clear_run_lines(c);
	free(c->lines);
	free_outputs(c);
	free(c->message);
	free(c->end_detail);
	free(c->vouch_node);
	for (size_t i = 0; i < c->nticks; i++)
		free(c->ticks[i].nodes);
	grid_free(&c->grid);
	model_free(&c->md);
	the_console = NULL;
	int rc = c->quit_signal ? 128 + c->quit_signal : 0;
	free(c);
	return rc;
}
