/* vouch: an operator's word that a node with nothing to ask (a stock worker,
 * listener or retry) runs a release, recorded as a step is: through the same
 * step session (runner/session.h) as upgrade next and the console's n, so
 * under the upgrade lock, in the shared record and in the local journal,
 * with who, which node, which release and why. The planner counts the
 * node's upgrade done from then on (planner.h, struct vouch).
 *
 * Which nodes may be vouched for, the step and the record's detail are
 * runner/vouch.h's, shared with the console's v.
 *
 * Exit: 0 recorded, 2 refused (nothing recorded: an observable node, not
 * a release, not confirmed, the lock held), 64 usage, 255 error. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "runner/session.h"
#include "runner/vouch.h"
#include "upgrade.h"

#define USAGE "vouch NODE [--release R] --reason TEXT [--yes]"

#define EXIT_RECORDED 0
#define EXIT_REFUSED 2

enum { OPT_RELEASE = 1, OPT_REASON, OPT_YES, OPT_HELP };

static const struct arg_opt opts[] = {
	{ "release", 0, true, OPT_RELEASE },
	{ "reason", 0, true, OPT_REASON },
	{ "yes", 'y', false, OPT_YES },
	{ "help", 'h', false, OPT_HELP },
	{ NULL, 0, false, 0 },
};

int cmd_vouch(struct cli *cli, int argc, char **argv)
{
	const char *node_name = NULL, *release = NULL, *reason = NULL;
	bool yes = false;
	struct arg_state a;
	args_init(&a, argc, argv, 1);
	int id;
	while ((id = args_next(&a, opts, false)) != ARG_END) {
		switch (id) {
		case OPT_RELEASE:
			release = a.value;
			break;
		case OPT_REASON:
			reason = a.value;
			break;
		case OPT_YES:
			yes = true;
			break;
		case OPT_HELP:
			return cli_help(USAGE,
				"Vouch that NODE, a node with nothing to ask (no url nor report_url: a\n"
				"stock worker, listener or retry), runs release R (default: the target):\n"
				"who (user@host), which node, which release and why (--reason) are\n"
				"recorded as a step is, under the upgrade lock, in the shared record and\n"
				"the journal (outcome vouched); the plan then counts the node's upgrade\n"
				"done. Asks for confirmation on a terminal; --yes for scripts. Exit status:\n"
				"0 recorded, 2 refused (nothing recorded: a node that can be observed, not\n"
				"confirmed, the lock held by another operator), 64 a usage error, 255\n"
				"error.",
				"  --release R       the release the node runs (default: the target)\n"
				"  --reason TEXT     why you know (required): recorded with the vouch\n"
				"  -y, --yes         do not ask for confirmation (scripts)\n"
				"  -h, --help        show this help and exit\n");
		case ARG_POSITIONAL:
			if (node_name)
				return cli_usage_error(USAGE, "unrecognized arguments: %s", a.positional);
			node_name = a.positional;
			break;
		default:
			return cli_usage_error(USAGE, "%s", a.error);
		}
	}
	if (!node_name)
		return cli_usage_error(USAGE, "the following arguments are required: NODE");
	if (!reason || !*reason)
		return cli_usage_error(USAGE, "the following arguments are required: --reason");

	struct plan_ctx c;
	int rc = plan_ctx_load(cli, &c);
	if (rc >= 0)
		return rc;
	char *rel = xstrdup(release ? release : c.md.snap.target);
	long idx;
	enum vouch_refusal why = vouch_check(&c.md.snap, &c.md.plan, node_name, rel, reason, &idx);
	if (why != VOUCH_OK) {
		char *t = vouch_refusal_text(why, node_name, rel);
		fprintf(stderr, BS_PROG ": %s\n", t);
		free(t);
		free(rel);
		plan_ctx_free(&c);
		return EXIT_REFUSED;
	}
	char *name_safe = sanitize_term(node_name, false);
	char *rel_safe = sanitize_term(rel, false);
	char *reason_safe = sanitize_term(reason, false);
	printf("Vouch that %s runs %s, because: %s\n", name_safe, rel_safe, reason_safe);
	if (!yes) {
		if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
			fprintf(stderr, BS_PROG ": not a terminal: pass --yes to vouch without "
					"confirmation; nothing recorded\n");
			rc = EXIT_REFUSED;
			goto out;
		}
		char answer[16];
		fputs("Record it? [y/N] ", stdout);
		fflush(stdout);
		if (!fgets(answer, sizeof(answer), stdin) || tolower((unsigned char)answer[0]) != 'y') {
			printf("Not confirmed: nothing recorded.\n");
			rc = EXIT_REFUSED;
			goto out;
		}
	}

	struct plan_step step = vouch_step(idx, rel);
	struct step_session *ss = NULL;
	struct lock_obs holder = { 0 };
	enum lock_outcome refused;
	struct bs_err err = { 0 };
	if (session_begin(&c.st, &c.md.snap, &c.md.plan, &step, NULL, false, &ss, &holder, &refused, &err) !=
	    BS_ST_OK) {
		bs_err_print(&err);
		fprintf(stderr, BS_PROG ": the vouch is not recorded (the journal or the upgrade lock "
				"cannot be used)\n");
		lock_obs_clear(&holder);
		rc = EXIT_CANNOT_TELL;
		goto out;
	}
	if (!ss) {
		char *h = sanitize_term(holder.holder && *holder.holder ? holder.holder
									: "another session", false);
		fprintf(stderr, BS_PROG ": the upgrade lock is %s %s; nothing recorded\n",
			refused == LOCK_VANISHED ? "held by a holder that vanished:" : "held by", h);
		free(h);
		lock_obs_clear(&holder);
		rc = EXIT_REFUSED;
		goto out;
	}
	char *detail = vouch_detail(ss, node_name, rel, reason);
	char *detail_safe = sanitize_term(detail, false);
	printf("%s\n", detail_safe);
	free(detail_safe);
	if (session_end(ss, OUTCOME_VOUCHED, detail, &err) != BS_ST_OK) {
		bs_err_print(&err);
		fprintf(stderr, BS_PROG ": the vouch could not be written to the journal\n");
		rc = EXIT_CANNOT_TELL;
		goto out;
	}
	rc = EXIT_RECORDED;
out:
	free(rel);
	free(rel_safe);
	free(reason_safe);
	free(name_safe);
	plan_ctx_free(&c);
	return rc;
}
