/* nodes: what runs where. Probes every configured node once (concurrently)
 * and prints each node's release and where it came from, API microversions,
 * RPC version and cap, object versions, state, skew against the target,
 * latency and error. */
#include "cli.h"
#include "core/manifest.h"
#include "probes/observe.h"

#define USAGE "nodes [--json] [--watch S]"

static int show(struct cli *cli, FILE *f, void *arg)
{
	const struct output_ops *out = arg;
	struct settings st;
	struct snapshot s;
	int rc;
	if ((rc = cli_observe(cli, OBS_NODES, false, &st, &s)))
		return rc;
	out->nodes(f, &s, settings_manifest(&st));
	cli_observed_free(&st, &s);
	return 0;
}

int cmd_nodes(struct cli *cli, int argc, char **argv)
{
	const struct output_ops *out;
	double watch;
	int rc = cli_output_opts(argc, argv, USAGE,
		"Probe every configured node ([node:NAME] sections) once, all at the same\n"
		"time, and show what runs where: release and its source (build: the\n"
		"API's GET /?build; report: the node's version report), API microversions,\n"
		"RPC version/cap and object versions (* when they come from the release\n"
		"manifest), state (up, drained, down, error, unknown), skew against the\n"
		"target release, latency and the error of nodes that failed. Exit status 0\n"
		"when the nodes were probed (whatever their state), 255 on a configuration\n"
		"error.", &out, &watch);
	if (rc >= 0)
		return rc;
	return cli_watch(cli, "nodes", watch, out == &output_json, show, (void *)out);
}
