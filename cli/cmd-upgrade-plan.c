/* upgrade plan: like `kubeadm upgrade plan`: each node and the database,
 * current -> target; every phase with its state (pending, complete,
 * skipped and why); the phase and its progress; the next step with the exact
 * argv `upgrade next` would run, or what blocks it. */
#include <string.h>

#include "upgrade.h"

#define USAGE "upgrade plan [--json] [--watch S]"

/* --watch: the counts of rows left from one refresh to the next, for the
 * data migrations' rate */
struct plan_watch {
	const struct output_ops *out;
	struct dm_sample samples[DM_SAMPLES_MAX];
	size_t nsamples;
};

static int show(struct cli *cli, FILE *f, void *arg)
{
	struct plan_watch *w = arg;
	const struct output_ops *out = w->out;
	struct plan_ctx c;
	int rc;
	if ((rc = plan_ctx_load(cli, &c)) >= 0)
		return rc;
	model_carry_samples(&c.md, w->samples, w->nsamples);
	memcpy(w->samples, c.md.samples, sizeof(w->samples));
	w->nsamples = c.md.nsamples;
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
	struct plan_watch w = { .out = out };
	return cli_watch(cli, "upgrade plan", watch, out == &output_json, show, &w);
}
