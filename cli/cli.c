#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"

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

int cli_help(const char *usage, const char *description, const char *options)
{
	printf("usage: " BS_PROG " %s\n\n%s\n", usage, description);
	if (options)
		printf("\nOptions:\n%s", options);
	return 0;
}
