/* upgrade gate --before STEP: a readiness gate for pipelines. Exit 0 when
 * the prerequisites of STEP hold, 1 when they hold only thanks to waivers,
 * 2 when they do not (what fails is printed), 255 when it cannot tell; 64
 * (EX_USAGE) on a usage error, never mistaken for "does not hold". */
#include <string.h>

#include "args.h"
#include "upgrade.h"

#define USAGE "upgrade gate --before STEP [--json]"

enum { OPT_BEFORE = 1, OPT_JSON, OPT_HELP };

static const struct arg_opt opts[] = {
	{ "before", 0, true, OPT_BEFORE },
	{ "json", 0, false, OPT_JSON },
	{ "help", 'h', false, OPT_HELP },
	{ NULL, 0, false, 0 },
};

int cmd_upgrade_gate(struct cli *cli, int argc, char **argv)
{
	bool json = false;
	const char *before = NULL;
	struct arg_state a;
	args_init(&a, argc, argv, 1);
	int id;
	while ((id = args_next(&a, opts, false)) != ARG_END) {
		switch (id) {
		case OPT_BEFORE:
			before = a.value;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_HELP:
			return cli_help(USAGE,
				"Tell a pipeline whether it may take STEP now: every phase before it is\n"
				"complete, the step's prerequisites hold, no check reports a Failure (a\n"
				"[waiver:NAME] turns one into a Warning until its date) and no other\n"
				"operator holds the lock. STEP is one of expand, roll, unpin, migrate-data,\n"
				"contract, offline, done. A step with nothing to do has no prerequisites\n"
				"of its own: it holds once the phases before it, the checks and the lock\n"
				"do. Exit status: 0 holds, 1 holds only with warnings (waived Failures),\n"
				"2 does not hold, 64 a usage error (a mistyped STEP: the nearest is\n"
				"suggested), 255 cannot tell (no target release, a configuration error).",
				"  --before STEP  the step about to be taken\n"
				"  --json         print JSON (schema barbican-status/gate/1)\n"
				"  -h, --help     show this help and exit\n");
		case ARG_POSITIONAL:
			return cli_usage_error(USAGE, "unrecognized arguments: %s", a.positional);
		default:
			return cli_usage_error(USAGE, "%s", a.error);
		}
	}
	enum phase ph;
	int rc;
	if (!before)
		return cli_usage_error(USAGE, "the following arguments are required: --before");
	if (!phase_parse(before, &ph) || ph == PH_CHECK) {
		static const char *const steps[] = { "expand", "roll", "unpin", "migrate-data",
						     "contract", "offline", "done" };
		rc = cli_usage_error(USAGE, "argument --before: invalid choice: '%s' (choose from "
				     "expand, roll, unpin, migrate-data, contract, offline, done)",
				     before);
		cli_suggest(before, steps, sizeof(steps) / sizeof(steps[0]));
		return rc;
	}
	struct plan_ctx c;
	rc = plan_ctx_load(cli, &c);
	if (rc >= 0)
		return rc;
	struct gate g;
	gate_eval(&c.md.in, ph, &g);
	if (json)
		gate_print_json(stdout, &c, &g);
	else
		gate_print_text(stdout, &c, &g);
	rc = g.verdict;
	gate_free(&g);
	plan_ctx_free(&c);
	return rc;
}
