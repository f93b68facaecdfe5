#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

#include "args.h"
#include "probes/observe.h"
#include "core/status.h"
#include "core/suggest.h"

int cli_load(struct cli *cli, struct settings *st)
{
	struct conf_args ca = { cli->conf_args, cli->nconf_args, NULL, NULL, NULL };
	struct conf *c = NULL;
	struct bs_err err = { 0 };
	enum bs_status rc = conf_load(&ca, &c, &err);
	if (rc == BS_ST_OK)
		rc = settings_load(c, st, &err);
	else
		memset(st, 0, sizeof(*st));
	if (rc != BS_ST_OK) {
		if (!st->conf && c)
			conf_free(c);
		else
			settings_free(st);
		bs_err_print(&err);
		return bs_status_exit_code(rc);
	}
	return 0;
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "usage: " BS_PROG " %s\n", usage);
	fprintf(stderr, BS_PROG ": error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

void cli_suggest(const char *word, const char *const *candidates, size_t n)
{
	char *near = suggest_nearest(word, candidates, n);
	if (near)
		fprintf(stderr, BS_PROG ": did you mean %s?\n", near);
	free(near);
}

int cli_help(const char *usage, const char *description, const char *options)
{
	printf("usage: " BS_PROG " %s\n\n%s\n", usage, description);
	if (options)
		printf("\nOptions:\n%s", options);
	return 0;
}

enum { OPT_JSON = 1, OPT_HELP };

static const struct arg_opt output_opts[] = {
	{ "json", 0, false, OPT_JSON },
	{ "help", 'h', false, OPT_HELP },
	{ NULL, 0, false, 0 },
};

int cli_output_opts(int argc, char **argv, const char *usage, const char *description,
		    const struct output_ops **out)
{
	*out = &output_text;
	struct arg_state a;
	args_init(&a, argc, argv, 1);
	int id;
	while ((id = args_next(&a, output_opts, false)) != ARG_END) {
		switch (id) {
		case OPT_JSON:
			*out = &output_json;
			break;
		case OPT_HELP: {
			/* the schema is named after the command: "upgrade check" ->
			 * upgrade-check, "upgrade plan" -> plan, "nodes" -> nodes */
			size_t n = strcspn(usage, " [");
			const char *word = usage;
			if (strncmp(usage, "upgrade check", 13) == 0) {
				word = "upgrade-check";
				n = strlen(word);
			} else if (strncmp(usage, "upgrade ", 8) == 0) {
				word = usage + 8;
				n = strcspn(word, " [");
			}
			char *opts = xasprintf("  --json      print JSON (schema barbican-status/%.*s/1)\n"
					       "  -h, --help  show this help and exit\n", (int)n, word);
			cli_help(usage, description, opts);
			free(opts);
			return 0;
		}
		case ARG_POSITIONAL:
			return cli_usage_error(usage, "unrecognized arguments: %s", a.positional);
		default:
			return cli_usage_error(usage, "%s", a.error);
		}
	}
	return -1;
}

int cli_observe(struct cli *cli, unsigned what, bool target_from_installed,
		struct settings *st, struct snapshot *s)
{
	int rc = cli_load(cli, st);
	if (rc)
		return rc;
	snapshot_init(s, st);
	struct observe_opts oo = { what, target_from_installed, 0, NULL };
	observe(s, manifest_builtin(), &oo);
	return 0;
}

void cli_observed_free(struct settings *st, struct snapshot *s)
{
	snapshot_free(s);
	settings_free(st);
}
