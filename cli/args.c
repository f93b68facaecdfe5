#include "args.h"

#include <stdio.h>
#include <string.h>

void args_init(struct arg_state *a, int argc, char **argv, int start)
{
	memset(a, 0, sizeof(*a));
	a->argc = argc;
	a->argv = argv;
	a->i = start;
}

static const struct arg_opt *find_long(struct arg_state *a, const struct arg_opt *opts,
				       const char *name, size_t len)
{
	const struct arg_opt *match = NULL;
	int nmatch = 0;
	for (const struct arg_opt *o = opts; o->name; o++) {
		if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
			return o;
		if (strncmp(o->name, name, len) == 0) {
			match = o;
			nmatch++;
		}
	}
	if (nmatch == 1)
		return match;
	if (nmatch > 1)
		snprintf(a->error, sizeof(a->error), "ambiguous option: --%.*s", (int)len, name);
	else
		snprintf(a->error, sizeof(a->error), "unrecognized arguments: --%.*s", (int)len, name);
	return NULL;
}

int args_next(struct arg_state *a, const struct arg_opt *opts, bool stop_at_positional)
{
	a->value = NULL;
	a->positional = NULL;
	if (a->i >= a->argc)
		return ARG_END;
	char *arg = a->argv[a->i];
	if (a->only_positional || arg[0] != '-' || arg[1] == '\0') {
		a->positional = arg;
		if (!stop_at_positional)
			a->i++;
		return ARG_POSITIONAL;
	}
	if (strcmp(arg, "--") == 0) {
		a->only_positional = true;
		a->i++;
		return args_next(a, opts, stop_at_positional);
	}
	a->i++;
	const struct arg_opt *o = NULL;
	const char *inline_value = NULL;
	if (arg[1] == '-') {
		const char *name = arg + 2;
		const char *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		o = find_long(a, opts, name, len);
		if (!o)
			return ARG_ERROR;
		if (eq) {
			if (!o->has_arg) {
				snprintf(a->error, sizeof(a->error),
					 "argument --%s: ignored explicit argument '%s'", o->name, eq + 1);
				return ARG_ERROR;
			}
			inline_value = eq + 1;
		}
	} else {
		for (const struct arg_opt *p = opts; p->name; p++)
			if (p->short_name && p->short_name == arg[1])
				o = p;
		if (!o) {
			snprintf(a->error, sizeof(a->error), "unrecognized arguments: %s", arg);
			return ARG_ERROR;
		}
		if (arg[2]) {
			if (!o->has_arg) {
				snprintf(a->error, sizeof(a->error), "unrecognized arguments: %s", arg);
				return ARG_ERROR;
			}
			inline_value = arg + 2;
		}
	}
	if (o->has_arg) {
		if (inline_value) {
			a->value = inline_value;
		} else if (a->i < a->argc && (a->argv[a->i][0] != '-' || a->argv[a->i][1] == '\0')) {
			a->value = a->argv[a->i++];
		} else {
			snprintf(a->error, sizeof(a->error), "argument --%s: expected one argument",
				 o->name);
			return ARG_ERROR;
		}
	}
	return o->id;
}
