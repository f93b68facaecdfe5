/* upgrade check: a drop-in for Barbican's own `barbican-status upgrade
 * check` (oslo.upgradecheck): the same table and --json object, the same
 * exit codes (0 all Success, 1 worst is Warning, 2 worst is Failure, 255 the
 * checks could not run), Barbican's check first, then the rolling-upgrade
 * checks. */
#include <stdlib.h>

#include "cli.h"
#include "core/manifest.h"
#include "core/sanitize.h"
#include "model/model.h"

#define USAGE "upgrade check [--json]"

int cmd_upgrade_check(struct cli *cli, int argc, char **argv)
{
	const struct output_ops *out;
	int rc = cli_output_opts(argc, argv, USAGE,
		"Run the upgrade checks: Barbican's own \"Policy File JSON to YAML\n"
		"Migration\", then the rolling-upgrade checks (database revision, pending\n"
		"migrations, nodes reachable, version skew, RPC and object versions,\n"
		"database schema vs running nodes). Exit status: 0 all Success, 1 the\n"
		"worst is a Warning, 2 the worst is a Failure, 255 the checks could not\n"
		"run. The target release is [upgrade] target_release, else the Barbican\n"
		"release installed on this machine. A usage error exits 2, as argparse\n"
		"does in Barbican's own command.", &out, NULL);
	if (rc == EXIT_USAGE)
		return EXIT_USAGE_ARGPARSE;
	if (rc >= 0)
		return rc;

	struct settings st;
	if ((rc = cli_load(cli, &st)))
		return rc;
	struct model md;
	model_init(&md, &st, settings_manifest(&st));
	struct observe_opts oo = { OBS_ALL, true, 0, NULL, NULL };
	struct bs_err err = { 0 };
	(void)model_observe(&md, &oo, &err); /* the journal is not one of these checks */
	const struct check_result *r = md.checks;
	for (size_t i = 0; i < check_count; i++) {
		if (r[i].error) {
			char *safe = sanitize_term(r[i].details, false);
			fprintf(stderr, BS_PROG ": check \"%s\" could not run: %s\n", r[i].entry->name, safe);
			free(safe);
			rc = EXIT_CANNOT_TELL;
		}
	}
	if (!rc) {
		out->upgrade_check(stdout, &md.snap, r, check_count);
		rc = (int)checks_worst(r, check_count);
	}
	model_free(&md);
	settings_free(&st);
	return rc;
}
