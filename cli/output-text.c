/* output-text.c: the renderers for people. Every string that came from a
 * node or the database goes through sanitize_term() before it is printed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/manifest.h"
#include "core/sanitize.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "render/cmdwrap.h"
#include "render/table.h"
#include "render/textwrap.h"

#define TITLE "Upgrade Check Results"

/* ---- upgrade check ---- */

static void text_upgrade_check(FILE *f, const struct snapshot *s, const struct check_result *r,
			       size_t n)
{
	(void)s;
	char **cells = xcalloc(n, sizeof(*cells));
	for (size_t i = 0; i < n; i++) {
		char *details = NULL;
		if (r[i].details) {
			/* whitespace is textwrap's to handle, as in Barbican's command */
			char *safe = sanitize_term_keep_ws(r[i].details);
			details = textwrap_fill(safe, 60, "", "  ");
			free(safe);
		}
		cells[i] = xasprintf("Check: %s\nResult: %s\nDetails: %s", r[i].entry->name,
				     bs_code_label(r[i].code), details ? details : "None");
		free(details);
	}
	char *table = table_render(TITLE, (const char *const *)cells, n);
	fputs(table, f);
	free(table);
	for (size_t i = 0; i < n; i++)
		free(cells[i]);
	free(cells);

	/* what to do, below the table so that the table stays Barbican's */
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (r[i].code == BS_SUCCESS || !r[i].remediation)
			continue;
		if (!any)
			fputs("\nWhat to do:\n", f);
		any = true;
		char *safe = sanitize_term_keep_ws(r[i].remediation);
		char *head = xasprintf("- %s: ", r[i].entry->name);
		char *text = xasprintf("%s%s", head, safe);
		/* a command stays whole on one line, to be copied into a shell */
		char *wrapped = textwrap_fill_commands(text, 78, "", "  ", check_remedy_commands,
						       check_remedy_command_count);
		fprintf(f, "%s\n", wrapped);
		free(wrapped);
		free(text);
		free(head);
		free(safe);
	}
}

/* ---- a plain column table ---- */

struct cols {
	size_t ncols;
	char **cells;   /* rows * ncols, owned */
	size_t nrows, cap;
};

static void cols_add(struct cols *t, char **row)
{
	xgrow(&t->cells, &t->cap, (t->nrows + 1) * t->ncols, sizeof(*t->cells));
	for (size_t c = 0; c < t->ncols; c++)
		t->cells[t->nrows * t->ncols + c] = row[c];
	t->nrows++;
}

static void cols_print(FILE *f, struct cols *t)
{
	size_t *w = xcalloc(t->ncols, sizeof(*w));
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t dw = display_width(t->cells[r * t->ncols + c]);
			if (dw > w[c])
				w[c] = dw;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		struct strbuf line = STRBUF_INIT;
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			sb_addstr(&line, cell);
			if (c + 1 < t->ncols)
				for (size_t k = display_width(cell); k < w[c] + 2; k++)
					sb_addch(&line, ' ');
		}
		fprintf(f, "%s\n", sb_str(&line));
		sb_free(&line);
	}
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(w);
}

static char *safe_or_dash(const char *s)
{
	return s && *s ? sanitize_term(s, false) : xstrdup("-");
}

/* One version when every object has it, else "mix" (the console's word). */
static char *objects_summary(const struct node_obs *o)
{
	if (!o->nobjects)
		return xstrdup("-");
	for (size_t i = 1; i < o->nobjects; i++)
		if (strcmp(o->objects[i].version, o->objects[0].version) != 0)
			return xstrdup("mix");
	char *v = sanitize_term(o->objects[0].version, false);
	char *r = xasprintf("%s%s", v, o->objects_src == SRC_DERIVED ? "*" : "");
	free(v);
	return r;
}

static const char *skew_word(const struct snapshot *s, const struct manifest *m,
			     const struct node_obs *o)
{
	if (!o->release || !s->target)
		return "-";
	return rel_relation_name(mf_relate(m, o->release, s->target, NULL));
}

static void print_target(FILE *f, const struct snapshot *s, const struct manifest *m)
{
	if (!s->target) {
		fprintf(f, "target: unknown (set [upgrade] target_release)\n");
		return;
	}
	const struct mf_series *ser = mf_series_of(m, s->target);
	fprintf(f, "target: %s%s%s%s (%s)\n", s->target, ser ? " (" : "", ser ? ser->name : "",
		ser ? ")" : "",
		s->target_src == TARGET_CONFIG ? "[upgrade] target_release"
					       : "the Barbican release installed here");
}

static void text_nodes(FILE *f, const struct snapshot *s, const struct manifest *m)
{
	if (s->nnodes == 0 && !s->rabbit.nconns) {
		fprintf(f, "no nodes configured (add [node:NAME] sections; see barbican-status.conf(5))\n");
		print_target(f, s, m);
		return;
	}
	struct cols t = { 11, NULL, 0, 0 };
	char *head[] = { xstrdup("NAME"), xstrdup("SERVICE"), xstrdup("HOST"), xstrdup("RELEASE"),
			 xstrdup("SOURCE"), xstrdup("API"), xstrdup("RPC"), xstrdup("OBJECTS"),
			 xstrdup("STATE"), xstrdup("SKEW"), xstrdup("LATENCY") };
	cols_add(&t, head);
	bool derived = false;
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct node *n = &s->nodes[i];
		const struct node_obs *o = &n->obs;
		char *api = o->api_min ? xasprintf("%s-%s", o->api_min, o->api_max) : xstrdup("-");
		char *api_safe = sanitize_term(api, false);
		free(api);
		char *rpc;
		if (o->rpc_version) {
			char *v = sanitize_term(o->rpc_version, false), *c = safe_or_dash(o->rpc_cap);
			rpc = xasprintf("%s/%s%s", v, c, o->rpc_src == SRC_DERIVED ? "*" : "");
			free(v);
			free(c);
		} else {
			rpc = xstrdup("-");
		}
		derived |= o->rpc_src == SRC_DERIVED || o->objects_src == SRC_DERIVED;
		char *row[] = {
			sanitize_term(n->conf->name, false),
			xstrdup(service_short(n->conf->service)),
			safe_or_dash(node_host(n)),
			safe_or_dash(o->release),
			xstrdup(o->release ? value_source_name(o->release_src) : "-"),
			api_safe,
			rpc,
			objects_summary(o),
			xstrdup(node_state_name(o->state)),
			xstrdup(skew_word(s, m, o)),
			o->probed && o->seen_wall ? xasprintf("%.0f ms", o->latency_ms) : xstrdup("-"),
		};
		cols_add(&t, row);
	}
	cols_print(f, &t);
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct node *n = &s->nodes[i];
		if (n->obs.error) {
			char *name = sanitize_term(n->conf->name, false);
			char *e = sanitize_term(n->obs.error, false);
			fprintf(f, "%s: %s\n", name, e);
			free(name);
			free(e);
		}
		if (n->obs.release_conflict) {
			char *name = sanitize_term(n->conf->name, false);
			char *a = sanitize_term(n->obs.report_release, false);
			char *b = sanitize_term(n->obs.build_release, false);
			fprintf(f, "%s: the version report says %s but GET /?build says %s\n", name, a, b);
			free(name);
			free(a);
			free(b);
		}
		if (n->obs.restart_needed) {
			char *name = sanitize_term(n->conf->name, false);
			fprintf(f, "%s: restart needed: a process runs code older than the installed "
				   "release\n", name);
			free(name);
		}
		if (n->rabbit.asked && n->rabbit.nconns) {
			char *name = sanitize_term(n->conf->name, false);
			fprintf(f, "%s: RabbitMQ: %zu connection%s, pid", name, n->rabbit.nconns,
				n->rabbit.nconns == 1 ? "" : "s");
			for (size_t k = 0; k < n->rabbit.nconns; k++)
				fprintf(f, "%s%ld", k ? ", " : " ", n->rabbit.pids[k]);
			if (n->rabbit.since)
				fprintf(f, ", connected since %s", n->rabbit.since);
			fputc('\n', f);
			free(name);
		}
	}
	if (s->rabbit.configured && s->rabbit.error) {
		char *e = sanitize_term(s->rabbit.error, false);
		fprintf(f, "RabbitMQ: %s\n", e);
		free(e);
	}
	for (size_t i = 0; i < s->rabbit.nconns; i++) {
		const struct rabbit_conn *k = &s->rabbit.conns[i];
		if (k->matched)
			continue;
		char *prog = sanitize_term(k->program, false);
		char *host = sanitize_term(k->peer_host ? k->peer_host : "?", false);
		fprintf(f, "discovered: %s on %s, pid %ld%s%s (no [node:NAME] describes it)\n", prog,
			host, k->pid, k->connected_at ? ", connected since " : "",
			k->connected_at ? k->connected_at : "");
		free(prog);
		free(host);
	}
	if (derived)
		fprintf(f, "%s\n", DERIVED_LEGEND);
	print_target(f, s, m);
}

/* ---- migrations ---- */

static void text_migrations(FILE *f, const struct snapshot *s, const struct manifest *m)
{
	const struct db_obs *d = &s->db;
	/* configured strings (the URL, the file that set it) escaped too */
	char *url = sanitize_term(d->url_masked ? d->url_masked : "(none)", false);
	char *opt = sanitize_term(d->option ? d->option : "-", false);
	fprintf(f, "database:  %s\n", url);
	fprintf(f, "option:    %s\n", opt);
	free(url);
	free(opt);
	if (d->conflict) {
		char *c = sanitize_term(d->conflict, false);
		fprintf(f, "warning:   %s\n", c);
		free(c);
	}
	if (d->cluster) {
		char *st = sanitize_term(d->cluster_state ? d->cluster_state : "?", false);
		char *co = sanitize_term(d->cluster_component ? d->cluster_component : "?", false);
		fprintf(f, "cluster:   galera, %ld nodes; this node %s, %s component\n",
			d->cluster_size, st, co);
		free(st);
		free(co);
	}
	char *owned;
	const char *why = db_unusable_reason(d, &owned);
	if (d->reachable && d->versioned) {
		struct strbuf sb = STRBUF_INIT;
		for (size_t i = 0; i < d->nheads; i++) {
			char *h = sanitize_term(d->heads[i], false);
			sb_addf(&sb, "%s%s", i ? ", " : "", h);
			free(h);
		}
		fprintf(f, "current:   %s\n", d->nheads ? sb_str(&sb) : "(alembic_version is empty)");
		sb_free(&sb);
	} else {
		char *safe = sanitize_term(why, false);
		fprintf(f, "current:   unknown (%s)\n", safe);
		free(safe);
	}
	const struct mf_release *t = s->target ? mf_release(m, s->target) : NULL;
	if (t) {
		fprintf(f, "target:    %s (%s), heads ", t->tag, t->series);
		for (size_t i = 0; i < t->nheads; i++)
			fprintf(f, "%s%s", i ? ", " : "", t->heads[i]);
		fprintf(f, "%s\n", s->target_src == TARGET_INSTALLED ? " (the release installed here)" : "");
	} else if (s->target) {
		char *tg = sanitize_term(s->target, false);
		fprintf(f, "target:    %s (not in the release manifest)\n", tg);
		free(tg);
	} else {
		fprintf(f, "target:    unknown (set [upgrade] target_release)\n");
	}

	if (why || !t) {
		fprintf(f, "verdict:   unknown\n");
		free(owned);
		return;
	}
	struct mf_path path;
	mf_pending(m, (const char *const *)d->heads, d->nheads, t, &path);
	fprintf(f, "verdict:   %s", db_verdict_name(path.verdict));
	if (path.offending) {
		char *o = sanitize_term(path.offending, false);
		fprintf(f, " (%s)", o);
		free(o);
	}
	fputc('\n', f);
	if (path.nsteps) {
		fprintf(f, "pending:   %zu migration%s, in order:\n", path.nsteps, path.nsteps == 1 ? "" : "s");
		for (size_t i = 0; i < path.nsteps; i++)
			fprintf(f, "  %-12s  %-8s  %s\n", path.steps[i]->revision,
				mig_class_name(path.steps[i]->cls), path.steps[i]->title);
	}
	mf_path_free(&path);
}

const struct output_ops output_text = {
	text_upgrade_check,
	text_nodes,
	text_migrations,
};
