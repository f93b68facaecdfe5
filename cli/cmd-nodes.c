/* nodes: what runs where. Probes every configured node once (concurrently)
 * and prints each node's release and where it came from, API microversions,
 * RPC version and cap, object versions, state, skew against the target,
 * latency and error. */
#include "args.h"
#include "cli.h"
#include "core/manifest.h"
#include "probes/observe.h"

#define USAGE "nodes [--json]"

enum { OPT_JSON = 1, OPT_HELP };

static const struct arg_opt opts[] = {
	{ "json", 0, false, OPT_JSON },
	{ "help", 'h', false, OPT_HELP },
	{ NULL, 0, false, 0 },
};

int cmd_nodes(struct cli *cli, int argc, char **argv)
{
	const struct output_ops *out = &output_text;
	struct arg_state a;
	args_init(&a, argc, argv, 1);
	int id;
	while ((id = args_next(&a, opts, false)) != ARG_END) {
		switch (id) {
		case OPT_JSON:
			out = &output_json;
			break;
		case OPT_HELP:
			return cli_help(USAGE,
				"Probe every configured node ([node:NAME] sections) once, all at the same\n"
				"time, and show what runs where: release and its source (build: the\n"
				"API's GET /?build; report: the node's version report), API microversions,\n"
				"RPC version/cap and object versions (* when they come from the release\n"
				"manifest), state (up, drained, down, error, unknown), skew against the\n"
				"target release, latency and the error of nodes that failed. Exit status 0\n"
				"when the nodes were probed (whatever their state), 255 on a configuration\n"
				"error.",
				"  --json      print JSON (schema barbican-status/nodes/1)\n"
				"  -h, --help  show this help and exit\n");
		case ARG_POSITIONAL:
			return cli_usage_error(USAGE, "unrecognized arguments: %s", a.positional);
		default:
			return cli_usage_error(USAGE, "%s", a.error);
		}
	}
	struct settings st;
	int rc = cli_load(cli, &st);
	if (rc)
		return rc;
	const struct manifest *m = manifest_builtin();
	struct snapshot s;
	snapshot_init(&s, &st);
	struct observe_opts oo = { OBS_NODES, false };
	observe(&s, m, &oo);
	out->nodes(stdout, &s, m);
	snapshot_free(&s);
	settings_free(&st);
	return 0;
}
