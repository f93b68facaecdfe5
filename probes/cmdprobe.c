#include "cmdprobe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "core/sanitize.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "parse.h"
#include "proc/argv.h"
#include "proc/exec.h"

struct run {
	size_t node;          /* its index in settings and snapshot */
	bool pending;         /* due, waiting for a slot ([probes] concurrency) */
	struct exec *e;
	struct strbuf out;
	bool over_cap;
	int errfd;            /* the command's standard error (a memfd) */
	struct cmdprober *p;
};

struct cmdprober {
	const struct settings *st;
	struct run *runs;     /* one per node with a report_command: a fleet
			       * without commands costs nothing a loop */
	size_t n;
	long running;
};

struct cmdprober *cmdprober_new(const struct settings *st)
{
	struct cmdprober *p = xcalloc(1, sizeof(*p));
	p->st = st;
	for (size_t i = 0; i < st->nnodes; i++)
		p->n += st->nodes[i].report_command != NULL;
	p->runs = xcalloc(p->n ? p->n : 1, sizeof(*p->runs));
	for (size_t i = 0, k = 0; i < st->nnodes; i++) {
		if (!st->nodes[i].report_command)
			continue;
		struct run *r = &p->runs[k++];
		r->node = i;
		r->errfd = -1;
		r->p = p;
		sb_init(&r->out, (size_t)st->max_body);
	}
	return p;
}

static void run_reset(struct run *r)
{
	if (r->e)
		exec_free(r->e);
	r->e = NULL;
	if (r->errfd >= 0)
		close(r->errfd);
	r->errfd = -1;
	sb_reset(&r->out);
	r->over_cap = false;
}

void cmdprober_free(struct cmdprober *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		run_reset(&p->runs[i]);
		sb_free(&p->runs[i].out);
	}
	free(p->runs);
	free(p);
}

static void on_line(void *ctx, const char *line, size_t len)
{
	struct run *r = ctx;
	if (r->over_cap)
		return;
	if (sb_add(&r->out, line, len) != 0 || sb_addch(&r->out, '\n') != 0) {
		r->over_cap = true;
		exec_cancel(r->e);
	}
}

/* The node's command failed before it ran: its error, now. */
static void failed(struct node *n, enum node_state st, char *why)
{
	struct node_obs *fc = node_cmd_obs(n);
	node_obs_clear(fc);
	fc->probed = true;
	fc->state = st;
	fc->error = why;
	fc->report_cmd_at = time(NULL);
	node_merge(n);
}

static void launch(struct cmdprober *p, struct node *n, struct run *r)
{
	r->pending = false;
	run_reset(r);
	struct argv_values v = { 0 };
	v.node = n->conf->name;
	v.host = n->conf->host;
	v.service = service_name(n->conf->service);
	char **argv = NULL;
	size_t argc;
	struct bs_err err = { 0 };
	if (argv_expand(n->conf->report_command, &v, &argv, &argc, &err) != BS_ST_OK) {
		failed(n, NS_ERROR, xasprintf("report_command: %s", err.detail));
		return;
	}
	r->errfd = memfd_create("barbican-status-report-stderr", MFD_CLOEXEC);
	if (exec_start_stderr(argv, NULL, n->conf->timeout, 1.0, on_line, r, r->errfd, &r->e,
			      &err) != BS_ST_OK) {
		failed(n, NS_ERROR, xasprintf("report_command: %s", err.detail));
		run_reset(r);
	} else {
		n->cmd_in_flight = true;
		p->running++;
	}
	argv_free(argv);
}

/* Start pending commands while there are slots. */
static void admit(struct cmdprober *p, struct snapshot *s)
{
	for (size_t i = 0; i < p->n && p->running < p->st->concurrency; i++)
		if (p->runs[i].pending && p->runs[i].node < s->nnodes)
			launch(p, &s->nodes[p->runs[i].node], &p->runs[i]);
}

void cmdprober_start(struct cmdprober *p, struct snapshot *s, bool force)
{
	time_t now = time(NULL);
	for (size_t i = 0; i < p->n; i++) {
		struct run *r = &p->runs[i];
		if (r->node >= s->nnodes)
			continue;
		struct node *n = &s->nodes[r->node];
		if (!n->conf->report_command || r->e || r->pending)
			continue;
		time_t last = n->from_cmd ? n->from_cmd->report_cmd_at : 0;
		if (!force && last && (double)(now - last) < p->st->report_interval)
			continue;
		r->pending = true;
		n->cmd_in_flight = true;
	}
	admit(p, s);
}

int cmdprober_fds(const struct cmdprober *p, int *fds, int max)
{
	int k = 0;
	for (size_t i = 0; i < p->n && k < max; i++)
		if (p->runs[i].e && exec_fd(p->runs[i].e) >= 0)
			fds[k++] = exec_fd(p->runs[i].e);
	return k;
}

long cmdprober_timeout_ms(const struct cmdprober *p)
{
	long t = -1;
	for (size_t i = 0; i < p->n; i++) {
		if (!p->runs[i].e)
			continue;
		long e = exec_timeout_ms(p->runs[i].e);
		/* output closed, child not reaped yet: look again soon */
		if (exec_fd(p->runs[i].e) < 0 && (e < 0 || e > 50))
			e = 50;
		if (e >= 0 && (t < 0 || e < t))
			t = e;
	}
	return t;
}

/* The last line of what the command wrote to its standard error. */
static char *stderr_tail(int fd)
{
	if (fd < 0)
		return NULL;
	char buf[EXEC_STDERR_MAX + 1];
	ssize_t n = pread(fd, buf, EXEC_STDERR_MAX, 0);
	if (n <= 0)
		return NULL;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	char *start = strrchr(buf, '\n');
	start = start ? start + 1 : buf;
	if (strlen(start) > 500)
		start[500] = '\0';
	return *start ? xstrdup(start) : NULL;
}

static void finish(struct cmdprober *p, struct node *n, struct run *r,
		   const struct exec_result *res)
{
	struct node_obs o;
	memset(&o, 0, sizeof(o));
	o.data_migrations_remaining = -1;
	o.probed = true;
	o.report_cmd_at = time(NULL);
	o.latency_ms = res->seconds * 1000.0;
	char *err = stderr_tail(r->errfd);
	char *why = NULL;
	if (r->over_cap) {
		o.state = NS_ERROR;
		o.error = xasprintf("report_command: output larger than %ld bytes ([probes] max_body)",
				    p->st->max_body);
	} else if (res->timed_out) {
		o.state = NS_DOWN;
		o.error = xasprintf("report_command: no report within %.1f s", n->conf->timeout);
	} else if (res->signaled) {
		o.state = NS_ERROR;
		o.error = xasprintf("report_command: killed by signal %d%s%s", res->signal,
				    err ? ": " : "", err ? err : "");
	} else if (res->exit_code != 0) {
		o.state = NS_ERROR;
		o.error = xasprintf("report_command: exit status %d%s%s", res->exit_code,
				    err ? ": " : "", err ? err : "");
	} else if (!parse_report(sb_str(&r->out), r->out.len, n->conf->service, &o, &why)) {
		o.state = NS_ERROR;
		o.error = xasprintf("report_command: %s", why);
	} else {
		o.raw_report = xstrndup(sb_str(&r->out), r->out.len < 65536 ? r->out.len : 65536);
		if (o.state != NS_DRAINED && o.state != NS_DOWN)
			o.state = NS_UP;
		if (o.report_release) {
			o.release = xstrdup(o.report_release);
			o.release_src = SRC_REPORT;
		}
		clock_gettime(CLOCK_MONOTONIC, &o.seen);
		o.seen_wall = time(NULL);
	}
	free(why);
	free(err);
	struct node_obs *fc = node_cmd_obs(n);
	node_obs_clear(fc);
	*fc = o;
	n->cmd_in_flight = false;
	node_merge(n);
}

int cmdprober_perform(struct cmdprober *p, struct snapshot *s)
{
	for (size_t i = 0; i < p->n; i++) {
		struct run *r = &p->runs[i];
		struct exec_result res;
		if (r->e && r->node < s->nnodes && exec_poll(r->e, &res)) {
			finish(p, &s->nodes[r->node], r, &res);
			exec_result_free(&res);
			run_reset(r);
			p->running--;
		}
	}
	admit(p, s);
	int left = 0;
	for (size_t i = 0; i < p->n; i++)
		left += p->runs[i].e != NULL || p->runs[i].pending;
	return left;
}
