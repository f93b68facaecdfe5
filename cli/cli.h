/* cli.h: what every subcommand shares: the global options, the command
 * table (tmux's cmd_entry), loading the configuration, and the output
 * renderers (nvme-cli's print_ops, chosen once per run by --json). */
#ifndef BS_CLI_H
#define BS_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "checks/checks.h"
#include "core/conf.h"
#include "core/settings.h"
#include "core/snapshot.h"

/* Exit codes shared by the data commands (DESIGN.md, Exit codes). A usage
 * error is EX_USAGE (sysexits.h), apart from every code a command gives
 * otherwise; upgrade check keeps argparse's 2, as Barbican's own does. */
#define EXIT_USAGE 64
#define EXIT_USAGE_ARGPARSE 2
#define EXIT_CANNOT_TELL 255

struct dbprobe_keep;
struct cli {
	struct conf_arg *conf_args;  /* global --config-file / --config-dir, in order */
	size_t nconf_args;
	/* --watch: the database connection kept from one refresh to the next
	 * (set by cli_watch); NULL: each observation connects */
	struct dbprobe_keep *dbkeep;
};

struct cmd_entry {
	const char *name;
	const char *usage;    /* after "barbican-status ": the synopsis line */
	const char *summary;  /* one line for the command list */
	int (*exec)(struct cli *cli, int argc, char **argv); /* argv[0] is the command */
};

extern const struct cmd_entry cmd_table[];
extern const size_t cmd_count;

/* Load the configuration and settings; on failure print the error and
 * return the exit code (255), else 0. */
int cli_load(struct cli *cli, struct settings *st);
/* "barbican-status: usage error: ..." plus the usage line, on stderr;
 * EXIT_USAGE. */
int cli_usage_error(const char *usage, const char *fmt, ...) BS_PRINTF(2, 3);
/* "barbican-status: did you mean 'contract'?" on stderr, when word is a
 * typo of one of the candidates (core/suggest.h); else nothing. */
void cli_suggest(const char *word, const char *const *candidates, size_t n);
/* The help text of a command on stdout; 0. */
int cli_help(const char *usage, const char *description, const char *options);

/* Parse the options every data command has, "[--json] [-h|--help]", and
 * "[--watch S]" when watch is not NULL (*watch: the seconds between
 * refreshes, 0 without --watch; S > 0, else a usage error): returns -1 when
 * the command should go on (with *out the renderer), else the exit code (0
 * after --help, EXIT_USAGE after a usage error). */
struct output_ops;
int cli_output_opts(int argc, char **argv, const char *usage, const char *description,
		    const struct output_ops **out, double *watch);

/* One observation and its output, printed into f: returns 0, or the exit
 * code of an error (printed on stderr), which ends a --watch. */
typedef int (*cli_show_fn)(struct cli *cli, FILE *f, void *arg);
/* show once (watch 0), or every watch seconds until a signal (--watch):
 * each refresh observes anew. The output of a refresh is made whole before
 * any of it is written, then written at once and flushed: with --json one
 * document per line; as text, a header line ("--- barbican-status WHAT:
 * refresh N at TIME, every S s ---") then the output, after the ANSI
 * sequences that clear the screen and home the cursor when stdout is a
 * terminal (no terminal mode is changed). Ctrl-C (SIGINT), the usual way
 * out, exits 0; SIGTERM and SIGHUP exit 128 + the signal; a refresh under
 * way when the signal comes is not printed. An error of a refresh (its
 * code) ends it. */
int cli_watch(struct cli *cli, const char *what, double watch, bool json, cli_show_fn show,
	      void *arg);

/* Load the settings, then observe what `what` says (probes/observe.h)
 * into s. Returns 0, or the exit code of a configuration error. On success
 * free with cli_observed_free. */
int cli_observe(struct cli *cli, unsigned what, bool target_from_installed,
		struct settings *st, struct snapshot *s);
void cli_observed_free(struct settings *st, struct snapshot *s);

/* Renderers: text for people, JSON (Python's json.dumps format) for scripts. */
struct output_ops {
	void (*upgrade_check)(FILE *f, const struct snapshot *s, const struct check_result *r,
			      size_t n);
	void (*nodes)(FILE *f, const struct snapshot *s, const struct manifest *m);
	void (*migrations)(FILE *f, const struct snapshot *s, const struct manifest *m);
};

extern const struct output_ops output_text;
extern const struct output_ops output_json;

/* Command implementations (cli/cmd-*.c). */
int cmd_upgrade(struct cli *cli, int argc, char **argv);
int cmd_upgrade_check(struct cli *cli, int argc, char **argv);
int cmd_upgrade_plan(struct cli *cli, int argc, char **argv);
int cmd_upgrade_gate(struct cli *cli, int argc, char **argv);
int cmd_upgrade_next(struct cli *cli, int argc, char **argv);
int cmd_upgrade_run(struct cli *cli, int argc, char **argv);
int cmd_journal(struct cli *cli, int argc, char **argv);
int cmd_console(struct cli *cli, int argc, char **argv);
int cmd_nodes(struct cli *cli, int argc, char **argv);
int cmd_migrations(struct cli *cli, int argc, char **argv);
int cmd_report(struct cli *cli, int argc, char **argv);
int cmd_vouch(struct cli *cli, int argc, char **argv);

#endif
