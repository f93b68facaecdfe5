/* console: the live dashboard (tui/console.c). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "tui/console.h"

#define USAGE "console [--interval S] [--readonly] [-n N] [--dump FILE] [--no-color] [--step-timeout S] [--batch] [--size WxH]"

enum { OPT_INTERVAL = 1, OPT_READONLY, OPT_ITERATIONS, OPT_DUMP, OPT_NO_COLOR, OPT_TIMEOUT, OPT_HELP,
       OPT_BATCH, OPT_SIZE };

static const struct arg_opt opts[] = {
	{ "interval", 0, true, OPT_INTERVAL },
	{ "readonly", 0, false, OPT_READONLY },
	{ "iterations", 'n', true, OPT_ITERATIONS },
	{ "dump", 0, true, OPT_DUMP },
	{ "no-color", 0, false, OPT_NO_COLOR },
	{ "step-timeout", 0, true, OPT_TIMEOUT },
	{ "help", 'h', false, OPT_HELP },
	{ "batch", 0, false, OPT_BATCH },
	{ "size", 0, true, OPT_SIZE },
	{ NULL, 0, false, 0 },
};

/* the largest --size: a screen bigger than any terminal, a typo otherwise */
#define SIZE_MAX_CELLS 1000

/* "WxH": two whole numbers from 1 to SIZE_MAX_CELLS */
static bool parse_size(const char *s, int *w, int *h)
{
	const char *x = strchr(s, 'x');
	if (!x || x == s || !x[1] || strspn(s, "0123456789") != (size_t)(x - s) ||
	    strspn(x + 1, "0123456789") != strlen(x + 1))
		return false;
	char *end;
	long lw = strtol(s, &end, 10), lh = strtol(x + 1, &end, 10);
	if (lw < 1 || lw > SIZE_MAX_CELLS || lh < 1 || lh > SIZE_MAX_CELLS)
		return false;
	*w = (int)lw;
	*h = (int)lh;
	return true;
}

int cmd_console(struct cli *cli, int argc, char **argv)
{
	const char *nc = getenv("NO_COLOR");
	struct console_opts o = { 2.0, false, 0, NULL, !(nc && *nc), 3600, false, 80, 24 };
	bool size_given = false;
	struct arg_state a;
	args_init(&a, argc, argv, 1);
	int id;
	while ((id = args_next(&a, opts, false)) != ARG_END) {
		switch (id) {
		case OPT_INTERVAL:
			if (!conf_parse_double(a.value, &o.interval) || o.interval < 0.2)
				return cli_usage_error(USAGE, "argument --interval: expected seconds (at "
						       "least 0.2), got '%s'", a.value);
			break;
		case OPT_READONLY:
			o.readonly = true;
			break;
		case OPT_ITERATIONS:
			if (!conf_parse_long(a.value, &o.iterations) || o.iterations < 1)
				return cli_usage_error(USAGE, "argument -n/--iterations: expected a whole "
						       "number of at least 1, got '%s'", a.value);
			break;
		case OPT_DUMP:
			o.dump = a.value;
			break;
		case OPT_BATCH:
			o.batch = true;
			break;
		case OPT_SIZE:
			if (!parse_size(a.value, &o.width, &o.height))
				return cli_usage_error(USAGE, "argument --size: expected WIDTHxHEIGHT "
						       "(columns and rows, 1 to %d, e.g. 80x24), got '%s'",
						       SIZE_MAX_CELLS, a.value);
			size_given = true;
			break;
		case OPT_NO_COLOR:
			o.color = false;
			break;
		case OPT_TIMEOUT:
			if (!conf_parse_double(a.value, &o.step_timeout) || o.step_timeout <= 0)
				return cli_usage_error(USAGE, "argument --step-timeout: expected seconds, "
						       "got '%s'", a.value);
			break;
		case OPT_HELP:
			return cli_help(USAGE,
				"A live dashboard of the upgrade: every node (release, RPC and object\n"
				"versions, state, skew, last seen, latency), the database (revision,\n"
				"pending migrations), the checks, the next step and the log, refreshed\n"
				"every --interval seconds without ever waiting for a slow node. n takes\n"
				"the next step (as upgrade next does: confirmation, lock, journal,\n"
				"verification) and streams its output; ? lists every key. Batch mode\n"
				"(--batch, or -n with --dump without a terminal) needs no terminal and\n"
				"starts no curses: the screen of each refresh as plain text to --dump FILE\n"
				"(rewritten) or else to stdout. Exit status 0, 128 + the signal that\n"
				"ended it, 255 when there is no terminal or a configuration error.",
				"  --interval S      seconds between refreshes (default 2)\n"
				"  --readonly        never take a step (n shows it, nothing runs)\n"
				"  -n, --iterations N  quit after N complete refreshes\n"
				"  --dump FILE       write the screen as text to FILE after each refresh\n"
				"  --no-color        no colours (also when NO_COLOR is set)\n"
				"  --step-timeout S  end a step after S seconds (default 3600)\n"
				"  --batch           no terminal: each refresh's screen as plain text\n"
				"  --size WxH        the screen's size in batch mode (default 80x24)\n"
				"  -h, --help        show this help and exit\n");
		case ARG_POSITIONAL:
			return cli_usage_error(USAGE, "unrecognized arguments: %s", a.positional);
		default:
			return cli_usage_error(USAGE, "%s", a.error);
		}
	}
	/* like top -b: -n N --dump FILE works without a terminal */
	if (!o.batch && o.iterations && o.dump && !(isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)))
		o.batch = true;
	if (size_given && !o.batch)
		return cli_usage_error(USAGE, "argument --size: only in batch mode (--batch): a "
				       "terminal's console has the terminal's size");
	struct settings st;
	int rc = cli_load(cli, &st);
	if (rc)
		return rc;
	rc = console_run(&st, &o);
	settings_free(&st);
	return rc;
}
