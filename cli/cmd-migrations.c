/* migrations: where the database is: its alembic revision(s), the target
 * release's heads, the pending path with class and title, and a verdict. */
#include "cli.h"
#include "core/manifest.h"
#include "probes/observe.h"

#define USAGE "migrations [--json] [--watch S]"

static int show(struct cli *cli, FILE *f, void *arg)
{
	const struct output_ops *out = arg;
	struct settings st;
	struct snapshot s;
	int rc;
	if ((rc = cli_observe(cli, OBS_DB, true, &st, &s)))
		return rc;
	out->migrations(f, &s, settings_manifest(&st));
	cli_observed_free(&st, &s);
	return 0;
}

int cmd_migrations(struct cli *cli, int argc, char **argv)
{
	const struct output_ops *out;
	double watch;
	int rc = cli_output_opts(argc, argv, USAGE,
		"Read the database's alembic_version and show its revision(s), the heads\n"
		"of the target release, the migrations still to run (in order, each with\n"
		"its class: expand, contract, offline, cold) and a verdict: up to date,\n"
		"pending, cold (a pre-rebase revision), ahead (only a newer release knows\n"
		"it) or unknown. The target is [upgrade] target_release, else the Barbican\n"
		"release installed here. Exit status 0 when the state was shown, 255 on a\n"
		"configuration error.", &out, &watch);
	if (rc >= 0)
		return rc;
	return cli_watch(cli, "migrations", watch, out == &output_json, show, (void *)out);
}
