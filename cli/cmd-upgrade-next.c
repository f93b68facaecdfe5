/* upgrade next: take the planner's next step.
 *
 *   1. observe, check, plan; nothing runs unless the step's gate holds;
 *   2. the argv from the step's [steps] template (a step without one is
 *      manual: only an unobservable node's upgrade can be vouched for);
 *   3. confirmation on a terminal (the step's name typed for contract and
 *      offline: there is no way back), --yes for scripts;
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
#include <unistd.h>

#include "args.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "proc/argv.h"
#include "runner/steps.h"
#include "proc/exec.h"
#include "runner/lock.h"
#include "runner/session.h"
#include "upgrade.h"

#define USAGE "upgrade next [--dry-run] [--yes] [--timeout S] [--confirm-unobservable] [--take-over]"

#define EXIT_VERIFIED 0
#define EXIT_NOT_VERIFIED 1
#define EXIT_REFUSED 2
#define EXIT_STEP_FAILED 3
#define EXIT_COMPLETE 4 /* the upgrade is complete: nothing to do */

enum { OPT_DRY_RUN = 1, OPT_YES, OPT_TIMEOUT, OPT_CONFIRM, OPT_TAKE_OVER, OPT_HELP };

static const struct arg_opt opts[] = {
	{ "dry-run", 0, false, OPT_DRY_RUN },
	{ "yes", 'y', false, OPT_YES },
	{ "timeout", 0, true, OPT_TIMEOUT },
	{ "confirm-unobservable", 0, false, OPT_CONFIRM },
	{ "take-over", 0, false, OPT_TAKE_OVER },
	{ "help", 'h', false, OPT_HELP },
	{ NULL, 0, false, 0 },
};

struct next_opts {
	bool dry_run, yes, confirm_unobservable, take_over;
	double timeout;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
	exec_cancel_request();
}

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
	const struct plan *p = &c->plan;
	if (p->phase == PH_DONE) {
		printf("Nothing to do: the upgrade to %s is complete.\n", c->s.target);
		return EXIT_COMPLETE;
	}
	fprintf(stderr, BS_PROG ": the next step (%s) is blocked:\n",
		p->next.kind == STEP_NONE ? phase_name(p->phase) : step_kind_name(p->next.kind));
	for (size_t i = 0; i < p->nblockers; i++) {
		char *t = blocker_text(&p->blockers[i], &c->in);
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

int cmd_upgrade_next(struct cli *cli, int argc, char **argv)
{
	struct next_opts o = { false, false, false, false, 3600 };
	struct arg_state a;
	args_init(&a, argc, argv, 1);
	int id;
	while ((id = args_next(&a, opts, false)) != ARG_END) {
		switch (id) {
		case OPT_DRY_RUN:
			o.dry_run = true;
			break;
		case OPT_YES:
			o.yes = true;
			break;
		case OPT_CONFIRM:
			o.confirm_unobservable = true;
			break;
		case OPT_TAKE_OVER:
			o.take_over = true;
			break;
		case OPT_TIMEOUT:
			if (!conf_parse_double(a.value, &o.timeout) || o.timeout <= 0)
				return cli_usage_error(USAGE, "argument --timeout: expected seconds above 0, "
						       "got '%s'", a.value);
			break;
		case OPT_HELP:
			return cli_help(USAGE,
				"Take the planner's next step (see upgrade plan): only when its gate holds;\n"
				"after confirmation (the step's name typed for contract and offline); under\n"
				"the upgrade lock (another operator's step makes this one fail at once,\n"
				"naming them; see barbican-status(1), THE UPGRADE LOCK); in its own process group with\n"
				"the database URL in its environment (never on its command line); then\n"
				"verified by probing again until [steps] settle_timeout, and recorded in the\n"
				"journal. Exit status: 0 ran and verified (or vouched), 1 ran but not\n"
				"verified, 2 blocked or refused (nothing ran), 3 the step failed (exit\n"
				"status, signal, timeout, Ctrl-C), 4 the upgrade is complete (nothing to\n"
				"do), 64 a usage error, 255 error.",
				"  --dry-run               print what would run, run nothing\n"
				"  -y, --yes               do not ask for confirmation (scripts)\n"
				"  --timeout S             end the step after S seconds (default 3600)\n"
				"  --confirm-unobservable  vouch that a node with nothing to ask (a stock\n"
				"                          worker) runs the target once its step exited 0\n"
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
	/* the step outlives refreshes of the snapshot: keep its own release */
	char *release = xstrdup_or_null(c.plan.next.release);
	struct plan_step step = c.plan.next;
	step.release = release;
	if (!c.plan.next_ready) {
		free(release);
		rc = refuse_blocked(&c);
		plan_ctx_free(&c);
		return rc;
	}
	const char *node_name = step.node >= 0 ? c.s.nodes[step.node].conf->name : NULL;
	bool unobservable = step.node >= 0 && !c.plan.nodes[step.node].observable;
	char *what = plan_step_describe(&c, &step);

	char **cmd = NULL;
	struct bs_err err = { 0 };
	if (plan_step_argv(&c, &step, &cmd, &err) != BS_ST_OK) {
		bs_err_print(&err);
		free(what);
		free(release);
		plan_ctx_free(&c);
		return EXIT_CANNOT_TELL;
	}
	char *display = cmd ? argv_display(cmd) : NULL;
	char *display_safe = display ? sanitize_term(display, false) : NULL;
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
	if (o.dry_run) {
		char **env = step_env(&c.st);
		printf("Dry run: nothing ran.");
		if (cmd && env[0]) {
			printf(" The step would get");
			for (char **e = env; *e; e++) {
				size_t n = strcspn(*e, "=");
				printf(" %.*s", (int)n, *e);
			}
			printf(" in its environment (values not shown).");
		}
		printf("\n");
		argv_free(env);
		rc = EXIT_VERIFIED;
		goto out;
	}

	/* confirmation */
	if (!o.yes) {
		if (!interactive()) {
			fprintf(stderr, BS_PROG ": not a terminal: pass --yes to take the step "
					"without confirmation; nothing ran\n");
			rc = EXIT_REFUSED;
			goto out;
		}
		char answer[128];
		if (step.kind == STEP_CONTRACT || step.kind == STEP_OFFLINE) {
			printf("There is no way back from %s. Type \"%s\" to go on: ",
			       step_kind_name(step.kind), step_kind_name(step.kind));
			if (!ask("", answer, sizeof(answer)) || strcmp(answer, step_kind_name(step.kind))) {
				printf("Not confirmed: nothing ran.\n");
				rc = EXIT_REFUSED;
				goto out;
			}
		} else if (!ask("Run it? [y/N] ", answer, sizeof(answer)) ||
			   (tolower((unsigned char)answer[0]) != 'y')) {
			printf("Not confirmed: nothing ran.\n");
			rc = EXIT_REFUSED;
			goto out;
		}
	}

	/* the journal, then the lock (runner/session.h) */
	struct step_session *ss = NULL;
	struct lock_obs holder = { 0 };
	enum lock_outcome refused;
	if (session_begin(&c.st, &c.s, &c.plan, &step, cmd, o.take_over, &ss, &holder, &refused,
			  &err) != BS_ST_OK) {
		bs_err_print(&err);
		fprintf(stderr, BS_PROG ": the step does not start (the journal or the upgrade lock "
				"cannot be used); nothing ran\n");
		rc = EXIT_CANNOT_TELL;
		lock_obs_clear(&holder);
		goto out;
	}
	if (!ss) {
		char *h = sanitize_term(holder.holder && *holder.holder ? holder.holder
									: "another session", false);
		if (refused == LOCK_VANISHED)
			fprintf(stderr, BS_PROG ": the upgrade lock's holder vanished: %s%s%s; it may "
					"still be running; nothing ran. Check, then take over with: "
					"barbican-status upgrade next --take-over\n",
				h, holder.lease_until ? ", lease ran out at " : "",
				holder.lease_until ? holder.lease_until : "");
		else if (holder.holder_pid)
			fprintf(stderr, BS_PROG ": the upgrade lock is held by %s (pid %d); nothing "
					"ran\n", h, holder.holder_pid);
		else
			fprintf(stderr, BS_PROG ": the upgrade lock is held by %s%s%s%s; nothing ran\n",
				h, holder.lease_until ? ", lease until " : "",
				holder.lease_until ? holder.lease_until : "",
				holder.lost_race ? " (taken at the same moment as ours: the database "
						   "let theirs win)" : "");
		free(h);
		lock_obs_clear(&holder);
		rc = EXIT_REFUSED;
		goto out;
	}
	cmd = NULL; /* the session owns the argv now */

	/* under the lock, the plan must still propose the same step */
	plan_ctx_refresh(&c, ss);
	if (!session_same(ss, &c.plan)) {
		fprintf(stderr, BS_PROG ": the deployment changed before the lock was taken: the "
				"next step is no longer \"%s\"; nothing ran (see upgrade plan)\n", what);
		session_discard(ss); /* nothing ran: no record */
		rc = EXIT_REFUSED;
		goto out;
	}

	struct sigaction sa = { 0 }, old_int, old_term, old_hup;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	interrupted = 0;
	exec_cancel_reset();

	enum session_next next = SESSION_VOUCH; /* a manual step on an unobservable node */
	if (ss->argv) {
		printf("Running (lock held as \"%s\")...\n", ss->lock_name);
		fflush(stdout);
		char **env = step_env(&c.st);
		struct exec_result res = { 0 };
		enum bs_status st = exec_run(ss->argv, env, o.timeout, 10.0, stream_line, NULL, &res, &err);
		argv_free(env);
		if (st != BS_ST_OK) {
			bs_err_print(&err);
			rc = end_session(ss, OUTCOME_FAILED, xasprintf("could not start: %s", err.detail),
					 EXIT_STEP_FAILED);
			goto out_signals;
		}
		char status[64] = "";
		if (res.exited && res.exit_code)
			snprintf(status, sizeof(status), " (exit %d)", res.exit_code);
		else if (res.signaled)
			snprintf(status, sizeof(status), " (signal %d)", res.signal);
		printf("The step %s%s after %.1f s.\n",
		       res.cancelled ? "was cancelled" : res.timed_out ? "timed out"
		       : res.exited ? (res.exit_code ? "failed" : "exited 0") : "was killed",
		       status, res.seconds);
		next = session_exited(ss, &res);
		if (next == SESSION_FAILED) {
			rc = end_session(ss, res.cancelled ? OUTCOME_CANCELLED : OUTCOME_FAILED,
					 session_failure_detail(&res), EXIT_STEP_FAILED);
			exec_result_free(&res);
			goto out_signals;
		}
		exec_result_free(&res);
	}

	if (next == SESSION_VOUCH) {
		/* nothing to ask: only the operator can vouch */
		bool vouch = o.confirm_unobservable;
		if (!vouch && interactive() && !interrupted) {
			char answer[16];
			char q[512];
			snprintf(q, sizeof(q), "%s cannot be observed. Does it run %s now? [y/N] ",
				 node_name, step.release);
			vouch = ask(q, answer, sizeof(answer)) && tolower((unsigned char)answer[0]) == 'y';
		}
		char *detail = vouch ? xasprintf("%s@%s vouched that %s runs %s", ss->rec.user,
						 ss->rec.host, node_name, step.release)
				     : xasprintf("%s cannot be observed and nobody vouched for it (use "
						 "--confirm-unobservable)", node_name);
		printf("%s\n", detail);
		rc = end_session(ss, vouch ? OUTCOME_VOUCHED : OUTCOME_NOT_VERIFIED, detail,
				 vouch ? EXIT_VERIFIED : EXIT_NOT_VERIFIED);
	} else {
		/* verify by probing again until settle_timeout */
		printf("Verifying (up to %.0f s)...\n", c.st.settle_timeout);
		fflush(stdout);
		struct timespec t0, now;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		bool ok = false;
		for (;;) {
			plan_ctx_refresh(&c, ss);
			if ((ok = step_verified(&c.s, &c.plan, &ss->step)) || interrupted)
				break;
			clock_gettime(CLOCK_MONOTONIC, &now);
			double el = (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
			if (el >= c.st.settle_timeout)
				break;
			usleep(500 * 1000);
		}
		char *detail = ok ? xasprintf("verified: %s", what)
				  : xasprintf("not verified within %.0f s: %s", c.st.settle_timeout, what);
		printf("%s\n", detail);
		rc = end_session(ss, ok ? OUTCOME_VERIFIED : OUTCOME_NOT_VERIFIED, detail,
				 ok ? EXIT_VERIFIED : EXIT_NOT_VERIFIED);
	}
out_signals:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
out:
	argv_free(cmd);
	free(display);
	free(display_safe);
	free(what);
	free(release);
	plan_ctx_free(&c);
	return rc;
}
