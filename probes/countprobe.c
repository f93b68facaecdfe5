#include "countprobe.h"

#include <stdlib.h>
#include <time.h>

#include "core/settings.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "proc/argv.h"
#include "proc/exec.h"

/* more than any whole number needs, and the start of a wrong answer */
#define COUNT_OUT_MAX 4096

struct countprobe {
	struct exec *e;
	struct strbuf out;
};

static void count_line(void *ctx, const char *line, size_t len)
{
	/* past the cap, the rest is dropped (and the answer is no number) */
	(void)sb_add(ctx, line, len);
}

static void set_result(struct snapshot *s, long rows, char *error)
{
	free(s->count_error);
	s->count_rows = rows;
	s->count_error = error;
	s->count_at = time(NULL);
}

struct countprobe *countprobe_start(struct snapshot *s)
{
	const struct settings *st = s->settings;
	if (!st->count_command)
		return NULL;
	char **argv;
	size_t argc;
	struct bs_err err = { 0 };
	struct argv_values none = { 0 };
	if (argv_expand(st->count_command, &none, &argv, &argc, &err) != BS_ST_OK) {
		set_result(s, -1, xasprintf("[data_migrations] count_command: %s", err.detail));
		return NULL;
	}
	struct countprobe *p = xcalloc(1, sizeof(*p));
	sb_init(&p->out, COUNT_OUT_MAX);
	if (exec_start(argv, NULL, st->probe_timeout * 5, 1.0, count_line, &p->out, &p->e, &err) !=
	    BS_ST_OK) {
		set_result(s, -1, xasprintf("[data_migrations] count_command: %s", err.detail));
		sb_free(&p->out);
		free(p);
		p = NULL;
	}
	argv_free(argv);
	return p;
}

int countprobe_fd(const struct countprobe *p)
{
	return p ? exec_fd(p->e) : -1;
}

long countprobe_timeout_ms(const struct countprobe *p)
{
	if (!p)
		return -1;
	long t = exec_timeout_ms(p->e);
	/* output closed, child not reaped yet: soon */
	if (exec_fd(p->e) < 0 && (t < 0 || t > 50))
		t = 50;
	return t;
}

bool countprobe_step(struct countprobe *p, struct snapshot *s)
{
	if (!p)
		return true;
	struct exec_result r;
	if (!exec_poll(p->e, &r))
		return false;
	if (r.timed_out) {
		set_result(s, -1, xasprintf("[data_migrations] count_command did not end within %g s",
					    s->settings->probe_timeout * 5));
	} else if (!r.exited || r.exit_code != 0) {
		set_result(s, -1, xasprintf("[data_migrations] count_command failed (%s %d)",
					    r.exited ? "exit" : "signal",
					    r.exited ? r.exit_code : r.signal));
	} else {
		long n;
		if (conf_parse_long(sb_str(&p->out), &n) && n >= 0)
			set_result(s, n, NULL);
		else
			set_result(s, -1, xstrdup("[data_migrations] count_command printed no whole "
						  "number"));
	}
	exec_result_free(&r);
	return true;
}

void countprobe_free(struct countprobe *p)
{
	if (!p)
		return;
	exec_free(p->e);
	sb_free(&p->out);
	free(p);
}
