/* upgrade next: take the planner's next step.
 *
 *   1. observe, check, plan; nothing runs unless the step's gate holds;
 *   2. the argv from the step's [steps] template (a step without one is
 *      manual: only an unobservable node's upgrade can be vouched for);
 *   3. confirmation on a terminal, --yes for scripts; contract and offline
 *      want the step's name typed (there is no way back): --yes does not
 *      answer for them, a script names the step with --confirm-step STEP;
 *   4. the journal opened (a journal that cannot be written stops the step);
 *   5. the lock taken (another operator holding it: refused at once, naming
 *      them); the plan made again under the lock, and it must be the same;
 *   6. the argv run in its own process group with the database URL in its
 *      environment, output streamed; at the timeout or on Ctrl-C the group
 *      gets TERM, then KILL;
 *   7. verified by probing again until [steps] settle_timeout;
 *   8. the record appended to the journal, the lock released.
 *
 * Exit: 0 ran and verified (or vouched), 1 ran but not verified, 2 blocked
 * or refused (nothing ran), 3 the step failed (exit, signal, timeout,
 * cancelled), 255 error. */
#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "args.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "proc/argv.h"
#include "runner/steps.h"
#include "proc/exec.h"
#include "runner/lock.h"
#include "runner/session.h"
#include "runner/stepmachine.h"
#include "runner/vouch.h"
#include "upgrade.h"

#define USAGE "upgrade next [--dry-run] [--yes] [--confirm-step STEP] [--timeout S] " \
	      "[--confirm-unobservable [--reason TEXT]] [--take-over]"

#define EXIT_VERIFIED 0
#define EXIT_NOT_VERIFIED 1
#define EXIT_REFUSED 2
#define EXIT_STEP_FAILED 3
#define EXIT_COMPLETE 4 /* the upgrade is complete: nothing to do */

enum { OPT_DRY_RUN = 1, OPT_YES, OPT_TIMEOUT, OPT_CONFIRM, OPT_TAKE_OVER, OPT_CONFIRM_STEP,
       OPT_REASON, OPT_HELP };

static const struct arg_opt opts[] = {
	{ "dry-run", 0, false, OPT_DRY_RUN },
	{ "yes", 'y', false, OPT_YES },
	{ "timeout", 0, true, OPT_TIMEOUT },
	{ "confirm-unobservable", 0, false, OPT_CONFIRM },
	{ "take-over", 0, false, OPT_TAKE_OVER },
	{ "confirm-step", 0, true, OPT_CONFIRM_STEP },
	{ "reason", 0, true, OPT_REASON },
	{ "help", 'h', false, OPT_HELP },
	{ NULL, 0, false, 0 },
};

struct next_opts {
	bool dry_run, yes, confirm_unobservable, take_over;
	double timeout;
	const char *confirm_step;  /* --confirm-step: the irreversible step's name, typed */
	const char *reason;        /* --reason: why the operator vouches */
};

static bool interactive(void)
{
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

/* Read one line from the terminal; false at EOF. */
static bool ask(const char *prompt, char *buf, size_t n)
{
	fputs(prompt, stdout);
	fflush(stdout);
	if (!fgets(buf, (int)n, stdin))
		return false;
	buf[strcspn(buf, "\r\n")] = '\0';
	return true;
}

static void stream_line(void *ctx, const char *line, size_t len)
{
	(void)ctx;
	/* a program's colours and other escape sequences go, its text stays */
	char *s = sanitize_output_line(line, len);
	printf("  | %s\n", s);
	fflush(stdout);
	free(s);
}

static int refuse_blocked(struct plan_ctx *c)
{
	const struct plan *p = &c->md.plan;
	if (p->phase == PH_DONE) {
		printf("Nothing to do: the upgrade to %s is complete.\n", c->md.snap.target);
		return EXIT_COMPLETE;
	}
	fprintf(stderr, BS_PROG ": the next step (%s) is blocked:\n",
		p->next.kind == STEP_NONE ? phase_name(p->phase) : step_kind_name(p->next.kind));
	for (size_t i = 0; i < p->nblockers; i++) {
		char *t = blocker_text(&p->blockers[i], &c->md.in);
		char *s = sanitize_term(t, false);
		fprintf(stderr, "  - %s\n", s);
		free(s);
		free(t);
	}
	return EXIT_REFUSED;
}

/* End the session; a record that cannot be written turns success into an
 * error (the journal is the proof of what ran). */
static int end_session(struct step_session *ss, enum journal_outcome outcome, char *detail, int rc)
{
	struct bs_err err = { 0 };
	if (session_end(ss, outcome, detail, &err) != BS_ST_OK) {
		bs_err_print(&err);
		fprintf(stderr, BS_PROG ": the step's record could not be written to the journal\n");
		return rc == EXIT_VERIFIED ? EXIT_CANNOT_TELL : rc;
	}
	return rc;
}

/* --- one step, driven by runner/stepmachine.h ----------------------------- */

static volatile sig_atomic_t got_signal; /* SIGINT, SIGTERM or SIGHUP to us */

static void on_signal(int sig)
{
	got_signal = sig;
	exec_cancel_request();
}

static const char *sig_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "a signal";
}

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The step after its confirmation: the step machine from the lock to the
 * record. Returns the exit code. */
static int drive(struct plan_ctx *c, const struct next_opts *o, struct plan_step *step,
		 char **cmd, const char *what, const char *node_name, bool unobservable)
{
	struct step_what w = { step->kind == STEP_EXPAND || step->kind == STEP_CONTRACT ||
				       step->kind == STEP_OFFLINE,
			       unobservable, cmd == NULL };
	struct step_session *ss = NULL;
	struct bs_err err = { 0 };
	struct exec_result res = { 0 };
	bool have_res = false;
	char *detail = NULL;
	int rc = EXIT_CANNOT_TELL;
	struct timespec verify_t0 = { 0 };
	/* why the operator vouches, recorded with the vouch as `vouch` records
	 * it: --reason, or typed when asked */
	char typed_reason[512] = "";
	const char *reason = o->reason;

	struct sigaction sa = { 0 }, old_int, old_term, old_hup;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	exec_cancel_reset();

	enum step_state s = SS_IDLE;
	enum step_event e = SE_START;
	while (s != SS_DONE) {
		/* a signal before anything ran stops it there */
		if (got_signal && (e == SE_LOCK_TAKEN || e == SE_SAME_STEP))
			e = SE_SIGNAL;
		struct step_transition t = step_next(s, e, &w);
		s = t.next;
		switch (t.action) {
		case SA_NONE:
			break;
		case SA_TAKE_LOCK: {
			struct lock_obs holder = { 0 };
			enum lock_outcome refused;
			if (session_begin(&c->st, &c->md.snap, &c->md.plan, step, cmd, o->take_over, &ss, &holder,
					  &refused, &err) != BS_ST_OK) {
				bs_err_print(&err);
				fprintf(stderr, BS_PROG ": the step does not start (the journal or the "
						"upgrade lock cannot be used); nothing ran\n");
				rc = EXIT_CANNOT_TELL;
				e = SE_LOCK_ERROR;
			} else if (!ss) {
				char *h = sanitize_term(holder.holder && *holder.holder ? holder.holder
											: "another session",
							false);
				if (refused == LOCK_VANISHED)
					fprintf(stderr, BS_PROG ": the upgrade lock's holder vanished: %s%s%s; "
							"it may still be running; nothing ran. Check, then "
							"take over with: barbican-status upgrade next "
							"--take-over\n",
						h, holder.lease_until ? ", lease ran out at " : "",
						holder.lease_until ? holder.lease_until : "");
				else if (holder.holder_pid)
					fprintf(stderr, BS_PROG ": the upgrade lock is held by %s (pid %d); "
							"nothing ran\n", h, holder.holder_pid);
				else
					fprintf(stderr, BS_PROG ": the upgrade lock is held by %s%s%s%s; "
							"nothing ran\n", h,
						holder.lease_until ? ", lease until " : "",
						holder.lease_until ? holder.lease_until : "",
						holder.lost_race ? " (taken at the same moment as ours: the "
								   "database let theirs win)" : "");
				free(h);
				rc = EXIT_REFUSED;
				e = SE_LOCK_REFUSED;
			} else {
				cmd = NULL; /* the session owns the argv now */
				e = SE_LOCK_TAKEN;
			}
			lock_obs_clear(&holder);
			break;
		}
		case SA_REFRESH:
			/* under the lock, the plan must still propose the same step */
			plan_ctx_refresh(c, ss);
			if (session_same(ss, &c->md.plan)) {
				e = SE_SAME_STEP;
			} else {
				fprintf(stderr, BS_PROG ": the deployment changed before the lock was "
						"taken: the next step is no longer \"%s\"; nothing ran (see "
						"upgrade plan)\n", what);
				rc = EXIT_REFUSED;
				e = SE_STEP_CHANGED;
			}
			break;
		case SA_DISCARD:
			if (ss)
				session_discard(ss); /* nothing ran: no record */
			ss = NULL;
			if (got_signal && rc == EXIT_CANNOT_TELL)
				rc = EXIT_REFUSED;
			break;
		case SA_RUN: {
			printf("Running (lock held as \"%s\")...\n", ss->lock_name);
			fflush(stdout);
			char **env = step_env(&c->st, &c->md.snap, &ss->step);
			enum bs_status st = exec_run(ss->argv, env, o->timeout, 10.0, stream_line, NULL,
						     &res, &err);
			argv_free(env);
			if (st != BS_ST_OK) {
				bs_err_print(&err);
				detail = xasprintf("could not start: %s", err.detail);
				e = SE_RUN_FAILED;
				break;
			}
			have_res = true;
			char status[64] = "";
			if (res.exited && res.exit_code)
				snprintf(status, sizeof(status), " (exit %d)", res.exit_code);
			else if (res.signaled)
				snprintf(status, sizeof(status), " (signal %d)", res.signal);
			printf("The step %s%s after %.1f s.\n",
			       res.cancelled ? "was cancelled" : res.timed_out ? "timed out"
			       : res.exited ? (res.exit_code ? "failed" : "exited 0") : "was killed",
			       status, res.seconds);
			session_exited(ss, &res);
			bool ok = res.exited && res.exit_code == 0;
			if (got_signal) {
				/* the signal stopped it (or came as it ended): CANCELLING first */
				s = step_next(s, SE_SIGNAL, &w).next;
			}
			e = ok ? SE_EXIT_OK : SE_EXIT_FAILED;
			break;
		}
		case SA_STOP_RUN:
			/* exec_run stops the group itself on our signal (exec_cancel_request);
			 * its end arrives with the result */
			e = have_res && res.exited && res.exit_code == 0 ? SE_EXIT_OK : SE_EXIT_FAILED;
			break;
		case SA_VERIFY:
		case SA_VERIFY_NOW: {
			clock_gettime(CLOCK_MONOTONIC, &verify_t0);
			/* a database step's revision is final once its command exits:
			 * one fresh read, a short retry for a replica catching up */
			double limit = t.action == SA_VERIFY_NOW ? 2.0 : c->st.settle_timeout;
			if (t.action == SA_VERIFY)
				printf("Verifying (up to %.0f s)...\n", limit);
			fflush(stdout);
			bool ok = false;
			for (;;) {
				plan_ctx_refresh(c, ss);
				if ((ok = step_verified(&c->md.snap, &c->md.plan, &ss->step)) || got_signal)
					break;
				if (since(&verify_t0) >= limit)
					break;
				usleep(t.action == SA_VERIFY_NOW ? 200 * 1000 : 500 * 1000);
			}
			e = ok ? SE_VERIFIED : got_signal ? SE_SIGNAL : SE_SETTLE_TIMEOUT;
			break;
		}
		case SA_ASK_VOUCH: {
			/* nothing to ask: only the operator can vouch */
			bool vouch = o->confirm_unobservable;
			if (!vouch && interactive() && !got_signal) {
				char answer[16];
				char q[512];
				snprintf(q, sizeof(q), "%s cannot be observed. Does it run %s now? [y/N] ",
					 node_name, step->release);
				vouch = ask(q, answer, sizeof(answer)) &&
					tolower((unsigned char)answer[0]) == 'y';
				/* a vouch says why, wherever it is made */
				for (int tries = 0; vouch && !reason && !got_signal && tries < 2; tries++) {
					if (!ask("Why do you know? ", typed_reason, sizeof(typed_reason)))
						break;
					if (typed_reason[strspn(typed_reason, " \t")]) {
						reason = typed_reason;
						break;
					}
					printf("A reason is required: why you know what it runs.\n");
				}
				if (vouch && !reason)
					vouch = false;
			}
			e = got_signal ? SE_SIGNAL : vouch ? SE_VOUCH_YES : SE_VOUCH_NO;
			break;
		}
		case SA_OBSERVE_END:
		case SA_END: {
			if (t.action == SA_OBSERVE_END)
				plan_ctx_refresh(c, ss);
			char *shows = t.action == SA_OBSERVE_END ? step_now_shows(&c->md.snap, step) : NULL;
			char *why = NULL;
			switch (t.outcome) {
			case OUTCOME_VERIFIED:
				why = xasprintf("verified: %s", what);
				rc = EXIT_VERIFIED;
				break;
			case OUTCOME_VOUCHED:
				why = vouch_detail(ss, node_name, step->release,
						   reason ? reason
							  : "--confirm-unobservable, no reason given");
				rc = EXIT_VERIFIED;
				break;
			case OUTCOME_NOT_VERIFIED:
				if (e == SE_SIGNAL || e == SE_CANCEL)
					why = s == SS_DONE && w.unobservable && !verify_t0.tv_sec
						      ? xasprintf("interrupted by %s before anyone vouched "
								  "for %s", sig_name(got_signal), node_name)
						      : xasprintf("verification interrupted by %s after %.1f "
								  "s: %s", sig_name(got_signal),
								  since(&verify_t0), what);
				else if (w.unobservable)
					why = xasprintf("%s cannot be observed and nobody vouched for it "
							"(use --confirm-unobservable)", node_name);
				else
					why = xasprintf("not verified within %.0f s: %s",
							w.db_step ? 2.0 : c->st.settle_timeout, what);
				rc = EXIT_NOT_VERIFIED;
				break;
			case OUTCOME_CANCELLED: {
				char *f = have_res ? session_failure_detail(&res) : xstrdup("cancelled");
				char *tail = strstr(f, "; output ends:");
				size_t head = tail ? (size_t)(tail - f) : strlen(f);
				why = xasprintf("%.*s%s%s; %s%s", (int)head, f, got_signal ? " by " : "",
						got_signal ? sig_name(got_signal) : "", shows,
						tail ? tail : "");
				free(f);
				rc = EXIT_STEP_FAILED;
				break;
			}
			default: { /* failed */
				char *f = detail ? xstrdup(detail)
						 : have_res ? session_failure_detail(&res) : xstrdup("failed");
				/* what the deployment shows goes before the output's tail,
				 * which ends the record */
				char *tail = strstr(f, "; output ends:");
				if (shows && tail)
					why = xasprintf("%.*s; %s%s", (int)(tail - f), f, shows, tail);
				else
					why = shows ? xasprintf("%s; %s", f, shows) : xstrdup(f);
				free(f);
				rc = EXIT_STEP_FAILED;
				break;
			}
			}
			printf("%s\n", why);
			rc = end_session(ss, t.outcome, why, rc);
			ss = NULL;
			free(shows);
			break;
		}
		}
		if (t.action == SA_NONE && s != SS_DONE) {
			/* an event the state ignores: nothing else can come */
			if (ss)
				session_discard(ss);
			ss = NULL;
			break;
		}
	}
	if (have_res)
		exec_result_free(&res);
	free(detail);
	argv_free(cmd);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	return rc;
}

/* The planner's next step (c->md.plan.next, ready): show it, confirm it
 * (unless confirmed), take it. */
static int take_step(struct plan_ctx *c, const struct next_opts *o, bool confirmed)
{
	char *release = xstrdup_or_null(c->md.plan.next.release);
	struct plan_step step = c->md.plan.next;
	step.release = release;
	const char *node_name = step.node >= 0 ? c->md.snap.nodes[step.node].conf->name : NULL;
	bool unobservable = step.node >= 0 && !c->md.plan.nodes[step.node].observable;
	char *what = plan_step_describe(c, &step);
	int rc = EXIT_CANNOT_TELL;
	char **cmd = NULL;
	char *display = NULL, *display_safe = NULL;
	struct bs_err err = { 0 };
	if (plan_step_argv(c, &step, &cmd, &err) != BS_ST_OK) {
		bs_err_print(&err);
		goto out;
	}
	display = cmd ? argv_display(cmd) : NULL;
	display_safe = display ? sanitize_term(display, false) : NULL;
	printf("Next step: %s\n", what);
	if (cmd)
		printf("  %s\n", display_safe);
	else
		printf("  manual: no [steps] %s template is set\n", step_kind_name(step.kind));

	if (!cmd && !(step.kind == STEP_UPGRADE_NODE && unobservable)) {
		fprintf(stderr, BS_PROG ": %s is a manual step: do it by hand (or set [steps] %s); "
				"nothing ran\n", step_kind_name(step.kind), step_kind_name(step.kind));
		rc = EXIT_REFUSED;
		goto out;
	}
	if (o->dry_run) {
		char **env = step_env(&c->st, &c->md.snap, &step);
		printf("Dry run: nothing ran.");
		if (cmd && env[0]) {
			printf(" The step would get");
			for (char **en = env; *en; en++) {
				size_t n = strcspn(*en, "=");
				printf(" %.*s", (int)n, *en);
			}
			printf(" in its environment (values not shown).");
		}
		printf("\n");
		argv_free(env);
		rc = EXIT_VERIFIED;
		goto out;
	}

	/* confirmation: an irreversible step's name typed, --yes does not
	 * answer for it */
	if (step.kind == STEP_CONTRACT || step.kind == STEP_OFFLINE) {
		const char *word = step_kind_name(step.kind);
		if (o->confirm_step) {
			if (strcmp(o->confirm_step, word) != 0) {
				char *named = sanitize_term(o->confirm_step, false);
				fprintf(stderr, BS_PROG ": --confirm-step %s does not name the next step, "
						"%s; nothing ran\n", named, word);
				free(named);
				rc = EXIT_REFUSED;
				goto out;
			}
		} else if (!interactive()) {
			fprintf(stderr, BS_PROG ": there is no way back from %s: --yes does not take "
					"it; type \"%s\" on a terminal, or pass --confirm-step %s; "
					"nothing ran\n", word, word, word);
			rc = EXIT_REFUSED;
			goto out;
		} else {
			char answer[128];
			printf("There is no way back from %s. Type \"%s\" to go on: ", word, word);
			if (!ask("", answer, sizeof(answer)) || strcmp(answer, word)) {
				printf("Not confirmed: nothing ran.\n");
				rc = EXIT_REFUSED;
				goto out;
			}
		}
	} else if (!o->yes && !confirmed) {
		if (!interactive()) {
			fprintf(stderr, BS_PROG ": not a terminal: pass --yes to take the step "
					"without confirmation; nothing ran\n");
			rc = EXIT_REFUSED;
			goto out;
		}
		char answer[128];
		if (!ask("Run it? [y/N] ", answer, sizeof(answer)) ||
			   (tolower((unsigned char)answer[0]) != 'y')) {
			printf("Not confirmed: nothing ran.\n");
			rc = EXIT_REFUSED;
			goto out;
		}
	}
	rc = drive(c, o, &step, cmd, what, node_name, unobservable);
	cmd = NULL; /* drive owns it */
out:
	argv_free(cmd);
	free(display);
	free(display_safe);
	free(what);
	free(release);
	return rc;
}

/* The options upgrade next and upgrade run share; false: a bad --timeout. */
/* The options of a step that next and run share: -1 taken, else the exit
 * code of the usage error (printed with usage). */
static int step_option(int id, const char *value, struct next_opts *o, const char *usage)
{
	switch (id) {
	case OPT_DRY_RUN:
		o->dry_run = true;
		return -1;
	case OPT_YES:
		o->yes = true;
		return -1;
	case OPT_CONFIRM:
		o->confirm_unobservable = true;
		return -1;
	case OPT_TAKE_OVER:
		o->take_over = true;
		return -1;
	case OPT_REASON:
		o->reason = value;
		return -1;
	default:
		if (conf_parse_double(value, &o->timeout) && o->timeout > 0)
			return -1;
		return cli_usage_error(usage, "argument --timeout: expected seconds above 0, got '%s'",
				       value);
	}
}

int cmd_upgrade_next(struct cli *cli, int argc, char **argv)
{
	struct next_opts o = { false, false, false, false, 3600, NULL, NULL };
	struct arg_state a;
	args_init(&a, argc, argv, 1);
	int id, urc;
	while ((id = args_next(&a, opts, false)) != ARG_END) {
		switch (id) {
		case OPT_DRY_RUN:
		case OPT_YES:
		case OPT_CONFIRM:
		case OPT_REASON:
		case OPT_TAKE_OVER:
		case OPT_TIMEOUT:
			if ((urc = step_option(id, a.value, &o, USAGE)) >= 0)
				return urc;
			break;
		case OPT_CONFIRM_STEP:
			if (strcmp(a.value, "contract") != 0 && strcmp(a.value, "offline") != 0)
				return cli_usage_error(USAGE, "argument --confirm-step: expected contract or "
						       "offline (the steps whose name must be typed), got "
						       "'%s'", a.value);
			o.confirm_step = a.value;
			break;
		case OPT_HELP:
			return cli_help(USAGE,
				"Take the planner's next step (see upgrade plan): only when its gate holds;\n"
				"after confirmation (contract and offline want their name typed: --yes does\n"
				"not answer for them, --confirm-step STEP types it in a script); under\n"
				"the upgrade lock (another operator's step makes this one fail at once,\n"
				"naming them; see barbican-status(1), THE UPGRADE LOCK); in its own process group with\n"
				"the database URL in its environment (never on its command line); then\n"
				"verified by probing again until [steps] settle_timeout, and recorded in the\n"
				"journal. Exit status: 0 ran and verified (or vouched), 1 ran but not\n"
				"verified, 2 blocked or refused (nothing ran), 3 the step failed (exit\n"
				"status, signal, timeout, Ctrl-C), 4 the upgrade is complete (nothing to\n"
				"do), 64 a usage error, 255 error.",
				"  --dry-run               print what would run, run nothing\n"
				"  -y, --yes               do not ask for confirmation (scripts); not for\n"
				"                          contract and offline\n"
				"  --confirm-step STEP     the irreversible step's name (contract, offline),\n"
				"                          typed: it is taken only if it is the next step\n"
				"  --timeout S             end the step after S seconds (default 3600)\n"
				"  --confirm-unobservable  vouch that a node with nothing to ask (a stock\n"
				"                          worker) runs the target once its step exited 0\n"
				"  --reason TEXT           why you know it does, recorded with the vouch\n"
				"  --take-over             take the upgrade lock from a holder that vanished\n"
				"                          (its session ended or its lease ran out) after\n"
				"                          checking what it was doing (--yes does not imply it)\n"
				"  -h, --help              show this help and exit\n");
		case ARG_POSITIONAL:
			return cli_usage_error(USAGE, "unrecognized arguments: %s", a.positional);
		default:
			return cli_usage_error(USAGE, "%s", a.error);
		}
	}

	struct plan_ctx c;
	int rc = plan_ctx_load(cli, &c);
	if (rc >= 0)
		return rc;
	if (o.take_over)
		plan_ctx_take_over(&c);
	if (!c.md.plan.next_ready) {
		rc = refuse_blocked(&c);
		plan_ctx_free(&c);
		return rc;
	}
	rc = take_step(&c, &o, false);
	plan_ctx_free(&c);
	return got_signal ? 128 + got_signal : rc;
}

/* --- upgrade run: the steps one after another ------------------------------ */

#define RUN_USAGE "upgrade run [--until PHASE] [--dry-run] [--yes] [--timeout S] " \
		  "[--confirm-unobservable [--reason TEXT]] [--take-over]"

enum { ROPT_UNTIL = OPT_HELP + 1 };

static const struct arg_opt run_opts[] = {
	{ "until", 0, true, ROPT_UNTIL },
	{ "dry-run", 0, false, OPT_DRY_RUN },
	{ "yes", 'y', false, OPT_YES },
	{ "timeout", 0, true, OPT_TIMEOUT },
	{ "confirm-unobservable", 0, false, OPT_CONFIRM },
	{ "reason", 0, true, OPT_REASON },
	{ "take-over", 0, false, OPT_TAKE_OVER },
	{ "help", 'h', false, OPT_HELP },
	{ NULL, 0, false, 0 },
};

/* The command that goes on from where a run stopped. */
static void print_resume(const struct next_opts *o, const char *until)
{
	printf("Resume with: barbican-status upgrade run --until %s%s%s\n", until,
	       o->yes ? " --yes" : "", o->confirm_unobservable ? " --confirm-unobservable" : "");
}

int cmd_upgrade_run(struct cli *cli, int argc, char **argv)
{
	struct next_opts o = { false, false, false, false, 3600, NULL, NULL };
	enum phase until = PH_UNPIN; /* the end of the roll */
	const char *until_name = "unpin";
	struct arg_state a;
	args_init(&a, argc, argv, 1);
	int id, urc;
	while ((id = args_next(&a, run_opts, false)) != ARG_END) {
		switch (id) {
		case ROPT_UNTIL:
			if (!phase_parse(a.value, &until) || until == PH_CHECK) {
				static const char *const names[] = { "expand", "roll", "unpin",
								     "migrate-data", "contract",
								     "offline", "done" };
				int rc = cli_usage_error(RUN_USAGE, "argument --until: expected a phase "
							 "(expand, roll, unpin, migrate-data, contract, "
							 "offline, done), got '%s'", a.value);
				cli_suggest(a.value, names, sizeof(names) / sizeof(names[0]));
				return rc;
			}
			until_name = a.value;
			break;
		case OPT_DRY_RUN:
		case OPT_YES:
		case OPT_CONFIRM:
		case OPT_REASON:
		case OPT_TAKE_OVER:
		case OPT_TIMEOUT:
			if ((urc = step_option(id, a.value, &o, RUN_USAGE)) >= 0)
				return urc;
			break;
		case OPT_HELP:
			return cli_help(RUN_USAGE,
				"Take the planner's steps one after another, as upgrade next takes one, each\n"
				"verified before the next, until the first step of phase --until (default\n"
				"unpin: the end of the roll). It never takes a step whose confirmation must be\n"
				"typed (contract, offline: use upgrade next), and stops at the first step that\n"
				"fails or is not verified, saying why and how to resume. Nodes are upgraded one\n"
				"at a time ([upgrade] max_unavailable keeps its meaning). One confirmation for\n"
				"the whole run on a terminal, --yes for scripts. Exit status: 0 it reached\n"
				"--until (or the plan stopped before a typed confirmation), 4 there was nothing\n"
				"to do, else that of upgrade next for the step that stopped it (1 not verified,\n"
				"2 blocked or refused, 3 failed), 128+signal on SIGINT/SIGTERM/SIGHUP, 255 error.",
				"  --until PHASE           stop before the first step of PHASE (default unpin)\n"
				"  --dry-run               print the next step, run nothing\n"
				"  -y, --yes               do not ask for confirmation (scripts)\n"
				"  --timeout S             end a step after S seconds (default 3600)\n"
				"  --confirm-unobservable  vouch for nodes with nothing to ask once their step\n"
				"                          exited 0\n"
				"  --reason TEXT           why you know they run it, recorded with each vouch\n"
				"  --take-over             take the upgrade lock from a holder that vanished\n"
				"  -h, --help              show this help and exit\n");
		case ARG_POSITIONAL:
			return cli_usage_error(RUN_USAGE, "unrecognized arguments: %s", a.positional);
		default:
			return cli_usage_error(RUN_USAGE, "%s", a.error);
		}
	}

	bool confirmed = o.yes || o.dry_run;
	int taken = 0, rc = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct plan_ctx c;
		int lrc = plan_ctx_load(cli, &c);
		if (lrc >= 0)
			return lrc;
		if (o.take_over)
			plan_ctx_take_over(&c);
		const struct plan *p = &c.md.plan;
		if (p->phase == PH_DONE || p->next.kind == STEP_NONE) {
			if (p->phase == PH_DONE) {
				printf("The upgrade to %s is complete (%d step%s taken by this run).\n",
				       c.md.snap.target, taken, taken == 1 ? "" : "s");
				rc = taken ? 0 : EXIT_COMPLETE;
			} else {
				rc = refuse_blocked(&c);
				print_resume(&o, until_name);
			}
			plan_ctx_free(&c);
			break;
		}
		if (p->phase >= until) {
			printf("Reached phase %s, as asked (--until %s): %d step%s taken.\n",
			       phase_name(p->phase), until_name, taken, taken == 1 ? "" : "s");
			plan_ctx_free(&c);
			rc = 0;
			break;
		}
		if (p->next.kind == STEP_CONTRACT || p->next.kind == STEP_OFFLINE) {
			printf("The next step, %s, needs its name typed: take it with barbican-status "
			       "upgrade next. %d step%s taken.\n", step_kind_name(p->next.kind), taken,
			       taken == 1 ? "" : "s");
			plan_ctx_free(&c);
			rc = 0;
			break;
		}
		if (!p->next_ready) {
			rc = refuse_blocked(&c);
			print_resume(&o, until_name);
			plan_ctx_free(&c);
			break;
		}
		if (!confirmed) {
			if (!interactive()) {
				fprintf(stderr, BS_PROG ": not a terminal: pass --yes to run the steps "
						"without confirmation; nothing ran\n");
				plan_ctx_free(&c);
				return EXIT_REFUSED;
			}
			char answer[16];
			char q[256];
			snprintf(q, sizeof(q), "Run every step until phase %s (%zu node%s in the roll), "
				 "verifying each? [y/N] ", until_name, p->roll_total,
				 p->roll_total == 1 ? "" : "s");
			if (!ask(q, answer, sizeof(answer)) || tolower((unsigned char)answer[0]) != 'y') {
				printf("Not confirmed: nothing ran.\n");
				plan_ctx_free(&c);
				return EXIT_REFUSED;
			}
			confirmed = true;
		}
		printf("\n[step %d, %.0f s into the run] ", taken + 1, since(&t0));
		rc = take_step(&c, &o, true);
		plan_ctx_free(&c);
		if (o.dry_run || got_signal)
			break;
		if (rc != EXIT_VERIFIED) {
			printf("The run stopped: the step %s (exit status %d).\n",
			       rc == EXIT_NOT_VERIFIED ? "was not verified" : rc == EXIT_REFUSED
			       ? "was refused" : "failed", rc);
			print_resume(&o, until_name);
			break;
		}
		taken++;
	}
	return got_signal ? 128 + got_signal : rc;
}
