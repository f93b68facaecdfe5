/* migrations: where the database is: its alembic revision(s), the target
 * release's heads, the pending path with class and title, and a verdict. */
#include "args.h"
#include "cli.h"
#include "core/manifest.h"
#include "probes/observe.h"

#define USAGE "migrations [--json]"

enum { OPT_JSON = 1, OPT_HELP };

static const struct arg_opt opts[] = {
	{ "json", 0, false, OPT_JSON },
	{ "help", 'h', false, OPT_HELP },
	{ NULL, 0, false, 0 },
};

int cmd_migrations(struct cli *cli, int argc, char **argv)
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
				"Read the database's alembic_version and show its revision(s), the heads\n"
				"of the target release, the migrations still to run (in order, each with\n"
				"its class: expand, contract, offline, cold) and a verdict: up to date,\n"
				"pending, cold (a pre-rebase revision), ahead (only a newer release knows\n"
				"it) or unknown. The target is [upgrade] target_release, else the Barbican\n"
				"release installed here. Exit status 0 when the state was shown, 255 on a\n"
				"configuration error.",
				"  --json      print JSON (schema barbican-status/migrations/1)\n"
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
	struct observe_opts oo = { OBS_DB, true };
	observe(&s, m, &oo);
	out->migrations(stdout, &s, m);
	snapshot_free(&s);
	settings_free(&st);
	return 0;
}
