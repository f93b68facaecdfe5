/* upgrade plan: like `kubeadm upgrade plan`: each node and the database,
 * current -> target; every phase with its state (pending, complete,
 * skipped and why); the phase and its progress; the next step with the exact
 * argv `upgrade next` would run, or what blocks it. */
#include "upgrade.h"

#define USAGE "upgrade plan [--json] [--watch S]"

static int show(struct cli *cli, FILE *f, void *arg)
{
	const struct output_ops *out = arg;
	struct plan_ctx c;
	int rc;
	if ((rc = plan_ctx_load(cli, &c)) >= 0)
		return rc;
	if (out == &output_json)
		plan_print_json(f, &c);
	else
		plan_print_text(f, &c);
	plan_ctx_free(&c);
	return 0;
}

int cmd_upgrade_plan(struct cli *cli, int argc, char **argv)
{
	const struct output_ops *out;
	double watch;
	int rc = cli_output_opts(argc, argv, USAGE,
		"Show where the upgrade to [upgrade] target_release stands: each node and\n"
		"the database, current -> target; the phases (check, expand, roll, unpin,\n"
		"migrate-data, contract, offline, done) with what is left in each, or why\n"
		"it is skipped; the current phase and its progress (roll 3/7); the next\n"
		"step with the exact argv that `upgrade next` would run; and what blocks\n"
		"it. Exit status 0 when the plan was shown, 255 when it cannot be made\n"
		"(no target release, a configuration error).", &out, &watch);
	if (rc >= 0)
		return rc;
	return cli_watch(cli, "upgrade plan", watch, out == &output_json, show, (void *)out);
}
