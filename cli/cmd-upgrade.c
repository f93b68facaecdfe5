/* upgrade: the subcommands of an upgrade: check, plan, gate, next. As in
 * Barbican's own command, options may come before or after the subcommand
 * word: "upgrade --json check". */
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

#include "cli.h"

static const struct {
	const char *name;
	int (*exec)(struct cli *cli, int argc, char **argv);
} upgrade_table[] = {
	{ "check", cmd_upgrade_check },
	{ "plan", cmd_upgrade_plan },
	{ "gate", cmd_upgrade_gate },
	{ "next", cmd_upgrade_next },
	{ "run", cmd_upgrade_run },
};

#define UPGRADE_USAGE "upgrade {check,plan,gate,next,run} ..."

int cmd_upgrade(struct cli *cli, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (argv[i][0] == '-')
			continue;
		for (size_t k = 0; k < sizeof(upgrade_table) / sizeof(upgrade_table[0]); k++) {
			if (strcmp(argv[i], upgrade_table[k].name) != 0)
				continue;
			/* argv without the subcommand word, argv[0] naming it */
			char **sub = xcalloc((size_t)argc + 1, sizeof(*sub));
			int n = 0;
			sub[n++] = argv[i];
			for (int j = 1; j < argc; j++)
				if (j != i)
					sub[n++] = argv[j];
			int rc = upgrade_table[k].exec(cli, n, sub);
			free(sub);
			return rc;
		}
		int rc = cli_usage_error(UPGRADE_USAGE, "unknown upgrade subcommand '%s' (expected: check, "
					 "plan, gate, next, run)", argv[i]);
		const char *names[sizeof(upgrade_table) / sizeof(upgrade_table[0])];
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			names[k] = upgrade_table[k].name;
		cli_suggest(argv[i], names, sizeof(names) / sizeof(names[0]));
		return rc;
	}
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return cli_help(UPGRADE_USAGE,
					"Upgrade subcommands (each has --help):\n"
					"  check    run the upgrade checks\n"
					"  plan     where the upgrade stands and what the next step is\n"
					"  gate     whether a step may be taken now (for pipelines)\n"
					"  next     take the next step\n"
					"  run      take the steps one after another until a phase", NULL);
	return cli_usage_error(UPGRADE_USAGE, "the following arguments are required: check, plan, gate, next or run");
}
