/* main.c: global options, then one subcommand from cmd_table. Only main
 * (and the commands it calls) decide exit codes; the libraries return
 * statuses. */
#include <locale.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "bs-config.h"
#include "cli.h"
#include "core/xalloc.h"
#include "probes/http.h"

const struct cmd_entry cmd_table[] = {
	{ "console", "console [--interval S] [--readonly] [-n N] [--dump FILE] [--no-color] [--step-timeout S] [--batch] [--size WxH]",
	  "the live dashboard: nodes, database, checks, next step; n takes it", cmd_console },
	{ "upgrade", "upgrade check [--json]",
	  "run the upgrade checks (Barbican's own, then the rolling-upgrade ones)", cmd_upgrade },
	{ "upgrade", "upgrade plan [--json] [--watch S]",
	  "where the upgrade stands: phases, progress, the next step and its blockers", cmd_upgrade },
	{ "upgrade", "upgrade gate --before STEP [--json]",
	  "exit 0 only when STEP may be taken now (for pipelines)", cmd_upgrade },
	{ "upgrade", "upgrade next [--dry-run] [--yes] [--confirm-step STEP] [--timeout S] "
		     "[--confirm-unobservable [--reason TEXT]] [--take-over]",
	  "take the next step: lock, run, verify, journal", cmd_upgrade },
	{ "upgrade", "upgrade run [--until PHASE] [--dry-run] [--yes] [--timeout S] "
		     "[--confirm-unobservable [--reason TEXT]] [--take-over]",
	  "take the steps one after another until a phase, each verified", cmd_upgrade },
	{ "nodes", "nodes [--json] [--watch S]",
	  "what runs where: each node's release, versions, state and skew", cmd_nodes },
	{ "migrations", "migrations [--json] [--watch S]",
	  "where the database is: revision, target heads, pending migrations", cmd_migrations },
	{ "journal", "journal [--json] [--watch S]",
	  "every step upgrade next ran or vouched for", cmd_journal },
	{ "report", "report --service SERVICE [--json] [--proc DIR] [--root DIR]",
	  "the version report of SERVICE on this host (run on a Barbican host)", cmd_report },
	{ "vouch", "vouch NODE [--release R] --reason TEXT [--yes]",
	  "record that a node with nothing to ask runs a release, and why", cmd_vouch },
};

const size_t cmd_count = ARRAY_SIZE(cmd_table);

enum { OPT_CONFIG_FILE = 1, OPT_CONFIG_DIR, OPT_HELP, OPT_VERSION };

static const struct arg_opt global_opts[] = {
	{ "config-file", 0, true, OPT_CONFIG_FILE },
	{ "config-dir", 0, true, OPT_CONFIG_DIR },
	{ "help", 'h', false, OPT_HELP },
	{ "version", 0, false, OPT_VERSION },
	{ NULL, 0, false, 0 },
};

#define MAIN_USAGE "[--config-file PATH] [--config-dir DIR] COMMAND [ARGS]"

static void usage(FILE *f)
{
	fprintf(f, "usage: " BS_PROG " " MAIN_USAGE "\n\n");
	fprintf(f, "Commands:\n");
	for (size_t i = 0; i < cmd_count; i++)
		fprintf(f, "  %s\n      %s\n", cmd_table[i].usage, cmd_table[i].summary);
	fprintf(f, "\nOptions:\n"
		   "  --config-file PATH  a configuration file; may be repeated, later files win\n"
		   "                      (default: barbican.conf and barbican-status.conf found in\n"
		   "                      ~/.barbican/, ~/, /etc/barbican/, /etc/)\n"
		   "  --config-dir DIR    read DIR/*.conf too, sorted, after the files before it\n"
		   "  -h, --help          show this help and exit\n"
		   "  --version           show the version and exit\n"
		   "\nEach command has --help. See barbican-status(1) and barbican-status.conf(5).\n");
}

/* The exit code of a usage error met before the command runs: 2 when the
 * command line asks for upgrade check (argparse's code, as in Barbican's
 * own command: "barbican-status --json upgrade check"), else EX_USAGE. */
static int usage_exit_code(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "upgrade") == 0)
			for (int j = i + 1; j < argc; j++)
				if (strcmp(argv[j], "check") == 0)
					return EXIT_USAGE_ARGPARSE;
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	/* A fleet's configuration and snapshot are a few MiB made and freed
	 * in blocks (maps that double, a 10,000-node file's keys): glibc gives
	 * the top of the heap back to the kernel as soon as 128 KiB of it are
	 * free, and the next block faults the same pages in again. Kept: 7,400
	 * page faults to 4,500 for a 10,000-node configuration, peak RSS the
	 * same within 1 MiB. */
	mallopt(M_TOP_PAD, 16 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	setlocale(LC_CTYPE, "");
	struct cli cli = { 0 };
	struct arg_state a;
	args_init(&a, argc, argv, 1);
	int id, rc;
	while ((id = args_next(&a, global_opts, true)) != ARG_END && id != ARG_POSITIONAL) {
		switch (id) {
		case OPT_CONFIG_FILE:
		case OPT_CONFIG_DIR:
			cli.conf_args = xreallocarray(cli.conf_args, cli.nconf_args + 1,
						      sizeof(*cli.conf_args));
			cli.conf_args[cli.nconf_args].is_dir = id == OPT_CONFIG_DIR;
			cli.conf_args[cli.nconf_args].path = a.value;
			cli.nconf_args++;
			break;
		case OPT_HELP:
			usage(stdout);
			free(cli.conf_args);
			return 0;
		case OPT_VERSION:
			printf(BS_PROG " %s\n", BS_VERSION);
			free(cli.conf_args);
			return 0;
		default:
			usage(stderr);
			fprintf(stderr, BS_PROG ": error: %s\n", a.error);
			free(cli.conf_args);
			return usage_exit_code(argc, argv);
		}
	}
	if (id == ARG_END) {
		usage(stderr);
		fprintf(stderr, BS_PROG ": error: the following arguments are required: command\n");
		free(cli.conf_args);
		return EXIT_USAGE;
	}
	const struct cmd_entry *cmd = NULL;
	for (size_t i = 0; i < cmd_count && !cmd; i++)
		if (strcmp(cmd_table[i].name, a.positional) == 0)
			cmd = &cmd_table[i];
	if (!cmd) {
		usage(stderr);
		fprintf(stderr, BS_PROG ": error: unknown command '%s'\n", a.positional);
		const char *names[ARRAY_SIZE(cmd_table)];
		for (size_t i = 0; i < cmd_count; i++)
			names[i] = cmd_table[i].name;
		cli_suggest(a.positional, names, cmd_count);
		free(cli.conf_args);
		return EXIT_USAGE;
	}
	rc = cmd->exec(&cli, argc - a.i, argv + a.i);
	prober_library_close();
	free(cli.conf_args);
	return rc;
}
