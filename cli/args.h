/* args.h: command-line parsing the way Python's argparse parses the
 * options of Barbican's own barbican-status (which scripts already call):
 * long options with "--name VALUE" or "--name=VALUE", unambiguous prefixes
 * accepted ("--conf" for "--config-file" is ambiguous, "--js" is "--json"),
 * short options, "--" ends options. Errors are usage errors (exit 2). */
#ifndef BS_ARGS_H
#define BS_ARGS_H

#include <stdbool.h>

struct arg_opt {
	const char *name;   /* long name without "--" */
	char short_name;    /* 0: none */
	bool has_arg;
	int id;
};

struct arg_state {
	int argc;
	char **argv;
	int i;              /* next argument */
	bool only_positional;
	const char *value;  /* the option's value */
	const char *positional;
	char error[256];
};

#define ARG_END 0        /* no more arguments */
#define ARG_POSITIONAL -1
#define ARG_ERROR -2

void args_init(struct arg_state *a, int argc, char **argv, int start);
/* The next option's id (value in a->value), ARG_POSITIONAL (in
 * a->positional), ARG_END, or ARG_ERROR (message in a->error). With
 * stop_at_positional, a positional argument is returned without consuming
 * it (a->i still points at it), so that a subcommand can take over. */
int args_next(struct arg_state *a, const struct arg_opt *opts, bool stop_at_positional);

#endif
