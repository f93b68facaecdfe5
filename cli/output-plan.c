/* output-plan.c: `upgrade plan` and `upgrade gate` for people and for
 * scripts. Strings from nodes or the database are sanitized for text. */
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "core/strbuf.h"
#include "core/xalloc.h"
#include "render/pyjson.h"
#include "proc/argv.h"
#include "runner/steps.h"
#include "upgrade.h"

#define SCHEMA_PLAN "barbican-status/plan/1"
#define SCHEMA_GATE "barbican-status/gate/1"

static const char *state_word(enum phase_state s)
{
	return s == PS_COMPLETE ? "complete" : s == PS_SKIPPED ? "skipped" : "pending";
}

static char *safe(const char *s)
{
	return s ? sanitize_term(s, false) : xstrdup("-");
}

/* What a pending phase is about, in a few words. */
static char *phase_note(const struct plan_ctx *c, enum phase ph)
{
	const struct plan *p = &c->md.plan;
	if (p->state[ph] == PS_SKIPPED)
		return xstrdup(p->skip_text[ph] ? p->skip_text[ph] : "");
	switch (ph) {
	case PH_CHECK: {
		size_t n = 0;
		for (size_t i = 0; i < check_count; i++)
			n += c->md.checks[i].code == BS_FAILURE;
		return p->state[ph] == PS_COMPLETE ? xstrdup("no check fails")
						   : xasprintf("%zu check%s fail%s", n, n == 1 ? "" : "s",
							       n == 1 ? "s" : "");
	}
	case PH_EXPAND:
		if (p->state[ph] == PS_COMPLETE)
			return xstrdup("no expand migration pending");
		if (!p->expand_to)
			return xstrdup("the database state is not known");
		return xasprintf("%zu expand migration%s, up to %s", p->nexpand,
				 p->nexpand == 1 ? "" : "s", p->expand_to->revision);
	case PH_ROLL:
		return xasprintf("%zu/%zu nodes at %s", p->roll_done, p->roll_total, c->md.snap.target);
	case PH_UNPIN:
		return xstrdup("a node still sends with an RPC version cap");
	case PH_MIGRATE_DATA:
		return xasprintf("%ld rows left (%s)", p->data_migrations,
				 c->md.snap.data_migrations_source ? c->md.snap.data_migrations_source : "?");
	case PH_CONTRACT:
		return p->contract_to ? xasprintf("%zu migration%s, up to %s", p->ncontract,
						  p->ncontract == 1 ? "" : "s", p->contract_to->revision)
				      : xstrdup("the database state is not known");
	case PH_OFFLINE:
		return p->offline_to ? xasprintf("%zu migration%s, up to %s, all services stopped",
						 p->noffline, p->noffline == 1 ? "" : "s",
						 p->offline_to->revision)
				     : xstrdup("the database state is not known");
	case PH_DONE:
		return xstrdup(p->state[ph] == PS_COMPLETE ? "the upgrade is complete" : "");
	default:
		return xstrdup("");
	}
}

static void print_blockers(FILE *f, const struct plan_ctx *c, const struct blocker *b, size_t n,
			   const char *indent)
{
	for (size_t i = 0; i < n; i++) {
		char *t = blocker_text(&b[i], &c->md.in);
		char *s = sanitize_term(t, false);
		fprintf(f, "%s- %s\n", indent, s);
		free(s);
		free(t);
	}
}

void plan_print_text(FILE *f, const struct plan_ctx *c)
{
	const struct plan *p = &c->md.plan;
	const struct snapshot *s = &c->md.snap;
	const struct mf_release *t = mf_release(c->md.m, s->target);
	fprintf(f, "Upgrade plan: to %s (%s)\n\n", s->target, t ? t->series : "?");

	/* what changes, kubeadm-style: current -> target */
	fprintf(f, "%-20s %-9s %-14s %-14s %s\n", "COMPONENT", "SERVICE", "CURRENT", "TARGET", "STATE");
	struct strbuf cur = STRBUF_INIT;
	if (s->db.reachable && s->db.versioned) {
		for (size_t i = 0; i < s->db.nheads; i++) {
			char *h = sanitize_term(s->db.heads[i], false);
			sb_addf(&cur, "%s%s", i ? "," : "", h);
			free(h);
		}
	} else {
		sb_addstr(&cur, "unknown");
	}
	fprintf(f, "%-20s %-9s %-14s %-14s %s\n", "database", "-", sb_str(&cur), t ? t->heads[0] : "?",
		p->state[PH_EXPAND] == PS_COMPLETE && p->path.verdict == DBV_UP_TO_DATE ? "done"
		: s->db.reachable ? "pending" : "unknown");
	sb_free(&cur);
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct node *n = &s->nodes[i];
		char *name = safe(n->conf->name);
		/* a vouched node: the release vouched for, and "vouched" as its
		 * state (nothing observes it), each in its own column */
		bool vouched = p->nodes[i].vouched;
		char *rel = vouched ? xstrdup(s->target) : safe(n->obs.release);
		fprintf(f, "%-20s %-9s %-14s %-14s %s%s%s\n", name, service_short(n->conf->service), rel,
			s->target, vouched ? "vouched" : node_state_name(n->obs.state),
			n->obs.restart_needed ? ", restart needed" : "",
			p->nodes[i].done ? ", done" : "");
		free(name);
		free(rel);
	}

	struct progress pr;
	model_progress(&c->md, &pr);
	if (pr.total) {
		fprintf(f, "\nProgress: %zu/%zu nodes at %s (", pr.done, pr.total, s->target);
		for (size_t i = 0; i < pr.nservices; i++)
			fprintf(f, "%s%s %zu/%zu", i ? ", " : "", service_short(pr.services[i].service),
				pr.services[i].done, pr.services[i].total);
		fprintf(f, ")");
		if (pr.timed)
			fprintf(f, "; %.0f s a node (%zu timed), about %.0f s left", pr.avg_step_s,
				pr.timed, pr.left_s);
		fprintf(f, "\n");
	}
	if (pr.rows_left >= 0) {
		fprintf(f, "Data migrations: %ld rows left", pr.rows_left);
		if (pr.rows_per_s > 0)
			fprintf(f, "; %.1f rows/s over the last %.0f s, about %.0f s left", pr.rows_per_s,
				pr.rate_window_s, pr.rows_left_s);
		else if (pr.rows_per_s == 0 && pr.rows_left > 0)
			fprintf(f, "; none migrated in the last %.0f s", pr.rate_window_s);
		else if (pr.rows_left > 0)
			fprintf(f, "; the rate needs two counts (--watch S, or the console)");
		fputc('\n', f);
	}

	fprintf(f, "\nPhases:\n");
	for (int ph = 0; ph < PH__COUNT; ph++) {
		char *note = phase_note(c, (enum phase)ph);
		const char *mark = (enum phase)ph == p->phase && p->state[ph] != PS_COMPLETE ? ">" : " ";
		fprintf(f, " %s %-13s %-9s %s\n", mark, phase_name((enum phase)ph),
			ph == PH_DONE ? (p->state[ph] == PS_COMPLETE ? "complete" : "-")
				      : state_word(p->state[ph]), note);
		free(note);
	}
	fprintf(f, "\nPhase: %s", phase_name(p->phase));
	if (p->phase == PH_ROLL)
		fprintf(f, " %zu/%zu", p->roll_done, p->roll_total);
	fputc('\n', f);

	if (p->phase == PH_DONE) {
		fprintf(f, "Nothing left to do: the database is at the heads of %s and every node runs "
			   "it.\n", s->target);
		return;
	}
	if (p->next.kind == STEP_NONE) {
		fprintf(f, "Next step: none yet, blocked by:\n");
		print_blockers(f, c, p->blockers, p->nblockers, "  ");
		return;
	}
	char *what = plan_step_describe(c, &p->next);
	char *what_safe = sanitize_term(what, false);
	fprintf(f, "Next step: %s (%s)\n", what_safe, step_kind_name(p->next.kind));
	free(what_safe);
	free(what);
	char **argv = NULL;
	struct bs_err err = { 0 };
	if (plan_step_argv(c, &p->next, &argv, &err) != BS_ST_OK) {
		fprintf(f, "  cannot build its command: %s\n", err.detail);
	} else if (!argv) {
		bool unobservable = p->next.kind == STEP_UPGRADE_NODE && p->next.node >= 0 &&
				    !p->nodes[p->next.node].observable;
		fprintf(f, "  manual: no [steps] %s template is set: do it by hand; %s\n",
			step_kind_name(p->next.kind),
			unobservable ? "then vouch for it with: barbican-status upgrade next "
				       "--confirm-unobservable"
				     : "the plan moves on when the probes see it done");
		argv_free(argv);
		return;
	} else {
		char *line = argv_display(argv);
		char *line_safe = sanitize_term(line, false);
		fprintf(f, "  %s\n", line_safe);
		free(line_safe);
		free(line);
	}
	argv_free(argv);
	if (p->next_ready)
		fprintf(f, "Ready%s: barbican-status upgrade next runs it.\n",
			p->next_warnings ? " (a waiver turns a check Failure into a Warning)" : "");
	else {
		fprintf(f, "Blocked by:\n");
		print_blockers(f, c, p->blockers, p->nblockers, "  ");
	}
}

static json_t *blockers_json(const struct plan_ctx *c, const struct blocker *b, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		char *t = blocker_text(&b[i], &c->md.in);
		json_object_set_new(o, "code", json_string(blocker_code_name(b[i].code)));
		json_object_set_new(o, "text", pyjson_str(t));
		json_object_set_new(o, "node", b[i].node >= 0 ? pyjson_str(c->md.snap.nodes[b[i].node].conf->name)
							      : json_null());
		json_object_set_new(o, "check", b[i].check ? json_string(b[i].check->id) : json_null());
		json_array_append_new(a, o);
		free(t);
	}
	return a;
}

static json_t *str_or_null(const char *s)
{
	return s ? pyjson_str(s) : json_null();
}

static void emit(FILE *f, json_t *doc)
{
	char *text = pyjson_dumps(doc);
	fprintf(f, "%s\n", text);
	free(text);
	json_decref(doc);
}

void plan_print_json(FILE *f, const struct plan_ctx *c)
{
	const struct plan *p = &c->md.plan;
	const struct snapshot *s = &c->md.snap;
	const struct mf_release *t = mf_release(c->md.m, s->target);
	json_t *doc = json_object();
	json_object_set_new(doc, "schema", json_string(SCHEMA_PLAN));
	json_t *target = json_object();
	json_object_set_new(target, "release", pyjson_str(s->target));
	json_object_set_new(target, "series", t ? json_string(t->series) : json_null());
	json_object_set_new(doc, "target", target);
	json_object_set_new(doc, "phase", json_string(phase_name(p->phase)));
	json_t *prog = json_object();
	json_object_set_new(prog, "done", json_integer((json_int_t)p->roll_done));
	json_object_set_new(prog, "total", json_integer((json_int_t)p->roll_total));
	json_object_set_new(doc, "roll", prog);
	struct progress pr;
	model_progress(&c->md, &pr);
	json_t *pj = json_object();
	json_t *svcs = json_array();
	for (size_t i = 0; i < pr.nservices; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "service", json_string(service_name(pr.services[i].service)));
		json_object_set_new(o, "done", json_integer((json_int_t)pr.services[i].done));
		json_object_set_new(o, "total", json_integer((json_int_t)pr.services[i].total));
		json_array_append_new(svcs, o);
	}
	json_object_set_new(pj, "services", svcs);
	json_object_set_new(pj, "done", json_integer((json_int_t)pr.done));
	json_object_set_new(pj, "total", json_integer((json_int_t)pr.total));
	json_object_set_new(pj, "steps_timed", json_integer((json_int_t)pr.timed));
	json_object_set_new(pj, "avg_step_s", pr.timed ? json_real(pr.avg_step_s) : json_null());
	json_object_set_new(pj, "left_s", pr.left_s >= 0 ? json_real(pr.left_s) : json_null());
	json_object_set_new(pj, "data_migrations_left",
			    pr.rows_left >= 0 ? json_integer(pr.rows_left) : json_null());
	json_object_set_new(pj, "data_migrations_rate",
			    pr.rows_per_s >= 0 ? json_real(pr.rows_per_s) : json_null());
	json_object_set_new(pj, "data_migrations_rate_window_s",
			    pr.rows_per_s >= 0 ? json_real(pr.rate_window_s) : json_null());
	json_object_set_new(pj, "data_migrations_left_s",
			    pr.rows_left_s >= 0 ? json_real(pr.rows_left_s) : json_null());
	json_object_set_new(doc, "progress", pj);

	json_t *phases = json_array();
	for (int ph = 0; ph < PH__COUNT; ph++) {
		json_t *o = json_object();
		char *note = phase_note(c, (enum phase)ph);
		json_object_set_new(o, "name", json_string(phase_name((enum phase)ph)));
		json_object_set_new(o, "state", json_string(state_word(p->state[ph])));
		json_object_set_new(o, "note", pyjson_str(note));
		json_array_append_new(phases, o);
		free(note);
	}
	json_object_set_new(doc, "phases", phases);

	json_t *db = json_object();
	json_t *cur = json_array();
	for (size_t i = 0; i < s->db.nheads; i++)
		json_array_append_new(cur, pyjson_str(s->db.heads[i]));
	json_object_set_new(db, "current", s->db.reachable && s->db.versioned ? cur
								       : (json_decref(cur), json_null()));
	json_t *th = json_array();
	for (size_t i = 0; t && i < t->nheads; i++)
		json_array_append_new(th, json_string(t->heads[i]));
	json_object_set_new(db, "target_heads", th);
	json_t *pend = json_array();
	for (size_t i = 0; i < p->path.nsteps; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "revision", json_string(p->path.steps[i]->revision));
		json_object_set_new(o, "class", json_string(mig_class_name(p->path.steps[i]->cls)));
		json_object_set_new(o, "title", json_string(p->path.steps[i]->title));
		json_array_append_new(pend, o);
	}
	json_object_set_new(db, "pending", pend);
	json_object_set_new(doc, "database", db);

	json_t *nodes = json_array();
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct node *n = &s->nodes[i];
		json_t *o = json_object();
		json_object_set_new(o, "name", pyjson_str(n->conf->name));
		json_object_set_new(o, "service", json_string(service_name(n->conf->service)));
		json_object_set_new(o, "current", str_or_null(n->obs.release));
		json_object_set_new(o, "state", json_string(node_state_name(n->obs.state)));
		json_object_set_new(o, "done", json_boolean(p->nodes[i].done));
		json_object_set_new(o, "vouched", json_boolean(p->nodes[i].vouched));
		json_object_set_new(o, "restart_needed", json_boolean(n->obs.restart_needed));
		json_array_append_new(nodes, o);
	}
	json_object_set_new(doc, "nodes", nodes);
	json_t *order = json_array();
	for (size_t i = 0; i < p->nroll_queue; i++)
		json_array_append_new(order, pyjson_str(s->nodes[p->roll_queue[i]].conf->name));
	json_object_set_new(doc, "roll_order", order);

	json_t *next = json_null();
	if (p->next.kind != STEP_NONE) {
		next = json_object();
		json_object_set_new(next, "step", json_string(step_kind_name(p->next.kind)));
		json_object_set_new(next, "node", p->next.node >= 0
			? pyjson_str(s->nodes[p->next.node].conf->name) : json_null());
		json_object_set_new(next, "release", pyjson_str(p->next.release));
		json_object_set_new(next, "revision", str_or_null(p->next.revision));
		char **argv = NULL;
		struct bs_err err = { 0 };
		json_t *jargv = json_null();
		if (plan_step_argv(c, &p->next, &argv, &err) == BS_ST_OK && argv) {
			jargv = json_array();
			for (char **a = argv; *a; a++)
				json_array_append_new(jargv, pyjson_str(*a));
		}
		json_object_set_new(next, "argv", jargv);
		json_object_set_new(next, "manual", json_boolean(!argv && !err.detail[0]));
		json_object_set_new(next, "error", err.detail[0] ? pyjson_str(err.detail) : json_null());
		json_object_set_new(next, "ready", json_boolean(p->next_ready));
		json_object_set_new(next, "warnings", json_boolean(p->next_warnings));
		argv_free(argv);
	}
	json_object_set_new(doc, "next", next);
	json_object_set_new(doc, "blockers", blockers_json(c, p->blockers, p->nblockers));
	emit(f, doc);
}

static const char *verdict_word(int v)
{
	switch (v) {
	case 0: return "holds";
	case 1: return "holds with warnings";
	case 2: return "does not hold";
	default: return "cannot tell";
	}
}

void gate_print_text(FILE *f, const struct plan_ctx *c, const struct gate *g)
{
	fprintf(f, "Gate before %s: %s\n", phase_name(g->before), verdict_word(g->verdict));
	if (g->nblockers) {
		fprintf(f, "Does not hold:\n");
		print_blockers(f, c, g->blockers, g->nblockers, "  ");
	}
	if (g->nwarnings) {
		fprintf(f, "Warnings (waived):\n");
		print_blockers(f, c, g->warnings, g->nwarnings, "  ");
	}
	for (size_t i = 0; i < g->nwaiver_notes; i++) {
		char *s = sanitize_term(g->waiver_notes[i], false);
		fprintf(f, "Note: %s\n", s);
		free(s);
	}
	if (g->verdict == 0 && !g->nwaiver_notes)
		fprintf(f, "Every phase before %s is complete, its prerequisites hold, no check "
			   "fails and the lock is free.\n", phase_name(g->before));
}

void gate_print_json(FILE *f, const struct plan_ctx *c, const struct gate *g)
{
	json_t *doc = json_object();
	json_object_set_new(doc, "schema", json_string(SCHEMA_GATE));
	json_object_set_new(doc, "before", json_string(phase_name(g->before)));
	json_object_set_new(doc, "verdict", json_string(verdict_word(g->verdict)));
	json_object_set_new(doc, "exit", json_integer(g->verdict));
	json_object_set_new(doc, "blockers", blockers_json(c, g->blockers, g->nblockers));
	json_object_set_new(doc, "warnings", blockers_json(c, g->warnings, g->nwarnings));
	json_t *notes = json_array();
	for (size_t i = 0; i < g->nwaiver_notes; i++)
		json_array_append_new(notes, pyjson_str(g->waiver_notes[i]));
	json_object_set_new(doc, "waivers", notes);
	emit(f, doc);
}
