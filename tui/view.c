#include "view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dburl.h"
#include "core/sanitize.h"
#include "core/strbuf.h"
#include "core/version.h"
#include "core/xalloc.h"
#include "render/textwrap.h"

static const char *const sort_names[SORT__COUNT] = {
	"config", "name", "service", "release", "state", "skew", "seen", "lat",
};

const char *sort_col_name(enum sort_col c)
{
	return (unsigned)c < SORT__COUNT ? sort_names[c] : "?";
}

/* ---- small formatting helpers ---- */

static char *fmt_age(const struct view_state *vs, time_t then)
{
	if (vs->freeze)
		return xstrdup("1s");
	long s = (long)difftime(vs->now, then);
	if (s < 0)
		s = 0;
	if (s < 60)
		return xasprintf("%lds", s);
	if (s < 3600)
		return xasprintf("%ldm", s / 60);
	return xasprintf("%ldh", s / 3600);
}

static char *fmt_lat(const struct view_state *vs, double ms)
{
	if (vs->freeze)
		return xstrdup("1ms");
	if (ms < 1000)
		return xasprintf("%.0fms", ms);
	return xasprintf("%.1fs", ms / 1000.0);
}

static unsigned color(const struct view_state *vs, enum cell_color c)
{
	return vs->color ? (unsigned)c : 0;
}

static unsigned state_attr(const struct view_state *vs, enum node_state s)
{
	switch (s) {
	case NS_UP: return color(vs, COL_GREEN);
	case NS_DRAINED: return color(vs, COL_YELLOW);
	case NS_DOWN:
	case NS_ERROR: return color(vs, COL_RED) | ATTR_BOLD;
	default: return ATTR_DIM;
	}
}

/* The CLI's words (rel_relation_name): one vocabulary; "-" without a
 * release or a target. */
static const char *skew_word(const struct view_state *vs, const struct node_obs *o)
{
	if (!o->release || !vs->snap->target)
		return "-";
	return rel_relation_name(mf_relate(vs->in->m, o->release, vs->snap->target, NULL));
}

static unsigned skew_attr(const struct view_state *vs, const char *word)
{
	if (strcmp(word, "older") == 0 || strcmp(word, "newer") == 0)
		return color(vs, COL_RED) | ATTR_BOLD;
	if (strcmp(word, "unknown") == 0)
		return color(vs, COL_YELLOW);
	return 0;
}

/* A node that nothing observes and for which the record holds an
 * operator's vouch that it runs the target. */
static bool node_vouched(const struct view_state *vs, const struct node *nd)
{
	size_t i = (size_t)(nd - vs->snap->nodes);
	return vs->plan && vs->plan->nodes && i < vs->snap->nnodes && vs->plan->nodes[i].vouched &&
	       !nd->obs.release;
}

static char *obj_word(const struct node_obs *o)
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

/* ---- the shown nodes ---- */

static const struct view_state *sort_vs;

static int state_rank(enum node_state s)
{
	switch (s) {
	case NS_ERROR: return 0;
	case NS_DOWN: return 1;
	case NS_DRAINED: return 2;
	case NS_UNKNOWN: return 3;
	default: return 4;
	}
}

static int cmp_nodes(const void *a, const void *b)
{
	const struct view_state *vs = sort_vs;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	const struct node *na = &vs->snap->nodes[ia], *nb = &vs->snap->nodes[ib];
	int c = 0;
	switch (vs->sort) {
	case SORT_NAME: c = strcmp(na->conf->name, nb->conf->name); break;
	case SORT_SERVICE: c = (int)na->conf->service - (int)nb->conf->service; break;
	case SORT_RELEASE:
		c = release_cmp(na->obs.release ? na->obs.release : "",
				nb->obs.release ? nb->obs.release : "");
		break;
	case SORT_STATE: c = state_rank(na->obs.state) - state_rank(nb->obs.state); break;
	case SORT_SKEW: c = strcmp(skew_word(vs, &na->obs), skew_word(vs, &nb->obs)); break;
	case SORT_SEEN: c = (na->obs.seen_wall > nb->obs.seen_wall) - (na->obs.seen_wall < nb->obs.seen_wall); break;
	case SORT_LAT: c = (na->obs.latency_ms > nb->obs.latency_ms) - (na->obs.latency_ms < nb->obs.latency_ms); break;
	default: break;
	}
	if (vs->sort_desc)
		c = -c;
	if (c == 0)
		c = (ia > ib) - (ia < ib); /* stable: the configuration's order */
	return c;
}

static bool contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

size_t view_nodes(const struct view_state *vs, size_t **out)
{
	const struct snapshot *s = vs->snap;
	size_t *idx = xcalloc(s->nnodes ? s->nnodes : 1, sizeof(*idx));
	size_t n = 0;
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct node *nd = &s->nodes[i];
		const char *f = vs->filter;
		if (f && *f && !contains(nd->conf->name, f) &&
		    !contains(service_name(nd->conf->service), f) && !contains(node_host(nd), f) &&
		    !contains(nd->obs.release, f))
			continue;
		idx[n++] = i;
	}
	sort_vs = vs;
	qsort(idx, n, sizeof(*idx), cmp_nodes);
	*out = idx;
	return n;
}

/* ---- layout ---- */

struct layout {
	int M, L;
	int nodes_y, nodes_h;
	int mid_y, db_w;
	int bot_y;
};

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void layout(const struct grid *g, struct layout *l)
{
	int A = g->h - 2;
	l->M = clamp(A / 5, 4, 7);
	l->L = clamp((A - 16) / 3, 2, 10);
	l->nodes_y = 1;
	l->nodes_h = A - (l->M + 2) - (l->L + 5);
	l->mid_y = l->nodes_y + l->nodes_h;
	l->db_w = g->w * 2 / 5;
	l->bot_y = l->mid_y + l->M + 2;
}

/* ---- header ---- */

static char *deployment(const struct view_state *vs)
{
	const struct db_obs *d = &vs->snap->db;
	struct dburl u;
	if (!d->url_masked || dburl_parse(d->url_masked, &u, NULL) != BS_ST_OK)
		return xstrdup("-");
	char *r = xasprintf("%s@%s", u.database && *u.database ? u.database : "-",
			    u.host && *u.host ? u.host : "localhost");
	dburl_free(&u);
	char *safe = sanitize_term(r, false);
	free(r);
	return safe;
}

static void draw_header(struct grid *g, const struct view_state *vs)
{
	const struct snapshot *s = vs->snap;
	const struct plan *p = vs->plan;
	struct strbuf sb = STRBUF_INIT;
	if (s->target) {
		const struct mf_series *ser = mf_series_of(vs->in->m, s->target);
		char *t = sanitize_term(s->target, false);
		sb_addf(&sb, "  target %s (%s)", t, ser ? ser->name : "?");
		free(t);
	} else {
		sb_addstr(&sb, "  target ? (set [upgrade] target_release)");
	}
	sb_addf(&sb, "  phase %s", phase_name(p->phase));
	if (p->phase == PH_ROLL)
		sb_addf(&sb, " %zu/%zu", p->roll_done, p->roll_total);
	if (p->phase == PH_ROLL && vs->left_s > 0)
		sb_addf(&sb, " ~%.0fs left", vs->left_s);
	if (p->phase == PH_MIGRATE_DATA && vs->rows_left >= 0) {
		sb_addf(&sb, " %ld rows", vs->rows_left);
		if (vs->rows_per_s > 0)
			sb_addf(&sb, " %.0f/s ~%.0fs left", vs->rows_per_s, vs->rows_left_s);
		else if (vs->rows_per_s == 0 && vs->rows_left > 0)
			sb_addstr(&sb, " stalled");
	}
	/* the lock's text is what gets cut when the line is too wide: the
	 * time since the last refresh always shows */
	char *head = sb_detach(&sb);
	sb_init(&sb, 0);
	if (vs->own_lock) {
		const char *h = vs->own_lock;
		if (strncmp(h, "barbican-status: ", 17) == 0)
			h += 17;
		char *safe = sanitize_term(h, false);
		sb_addf(&sb, "  lock: this console, %s", safe);
		free(safe);
	} else if (s->lock.held || s->lock.vanished) {
		const char *h = s->lock.holder ? s->lock.holder : "?";
		if (strncmp(h, "barbican-status: ", 17) == 0)
			h += 17;
		char *safe = sanitize_term(*h ? h : "another session", false);
		sb_addf(&sb, "  lock: %s%s", s->lock.held ? "" : "vanished: ", safe);
		free(safe);
	} else {
		sb_addstr(&sb, "  lock: -");
	}
	char *lock = sb_detach(&sb);
	sb_init(&sb, 0);
	if (vs->refreshed) {
		char *age = fmt_age(vs, vs->refreshed);
		sb_addf(&sb, "  refreshed %s ago", age);
		free(age);
	} else {
		sb_addstr(&sb, "  refreshing");
	}
	if (vs->paused)
		sb_addstr(&sb, " (paused)");
	if (vs->roll == ROLL_ON)
		sb_addstr(&sb, "  roll: on");
	else if (vs->roll == ROLL_PAUSED)
		sb_addstr(&sb, "  roll: paused");
	const char *tail = sb_str(&sb);
	/* the deployment only when everything fits with it */
	char *dep = deployment(vs);
	char *line = xasprintf("barbican-status  %s%s%s%s", dep, head, lock, tail);
	if (grid_width(line) > g->w) {
		free(line);
		int room = g->w - grid_width("barbican-status") - grid_width(head) - grid_width(tail);
		char *cut = grid_cut(lock, room);
		line = xasprintf("barbican-status%s%s%s", head, cut, tail);
		free(cut);
	}
	grid_text(g, 0, 0, g->w, ATTR_BOLD, line);
	free(line);
	free(dep);
	free(head);
	free(lock);
	sb_free(&sb);
}

/* " N more below " (and above) at the right end of a box's bottom border
 * when rows of its list are not shown. */
static void more_marker(struct grid *g, int xr, int y, size_t above, size_t below)
{
	char *t = above && below ? xasprintf(" %zu more above, %zu below ", above, below)
		  : above ? xasprintf(" %zu more above ", above)
		  : below ? xasprintf(" %zu more below ", below) : NULL;
	if (t)
		grid_text_right(g, xr, y, ATTR_BOLD, t);
	free(t);
}

/* ---- nodes ---- */

struct column {
	const char *title;
	int w;
};

static void draw_nodes(struct grid *g, const struct view_state *vs, const struct layout *l)
{
	const struct snapshot *s = vs->snap;
	bool wide = g->w >= 120;
	size_t *idx;
	size_t n = view_nodes(vs, &idx);
	size_t discovered = 0;
	for (size_t i = 0; i < vs->snap->rabbit.nconns; i++)
		discovered += !vs->snap->rabbit.conns[i].matched;
	/* [probes] console_rate: a refresh asks a share of the nodes, each
	 * in turn */
	char *cycle = vs->cycle_s > 0 ? xasprintf(", each asked every ~%gs", vs->cycle_s)
				      : xstrdup("");
	char *title = discovered ? xasprintf("Nodes (%zu%s, %zu discovered: see Checks)", n, cycle,
					     discovered)
				 : xasprintf("Nodes (%zu%s)", n, cycle);
	free(cycle);
	grid_box(g, 0, l->nodes_y, g->w, l->nodes_h, title,
		 color(vs, COL_CYAN) | (vs->focus == PANE_NODES ? ATTR_BOLD : 0));
	free(title);
	char *right = xasprintf(" sort: %s%s  filter: %s ", sort_col_name(vs->sort),
				vs->sort_desc ? " desc" : "", vs->filter && *vs->filter ? "" : "-");
	if (vs->filter && *vs->filter) {
		char *f = sanitize_term(vs->filter, false);
		char *r2 = xasprintf(" sort: %s%s  filter: %s ", sort_col_name(vs->sort),
				     vs->sort_desc ? " desc" : "", f);
		free(right);
		free(f);
		right = r2;
	}
	grid_text_right(g, g->w - 2, l->nodes_y, 0, right);
	free(right);

	static const struct column narrow[] = {
		{ "NAME", 11 }, { "SERVICE", 9 }, { "RELEASE", 10 }, { "RPC", 8 }, { "OBJ", 4 },
		{ "STATE", 8 }, { "SKEW", 7 }, { "SEEN", 5 }, { "LAT", 6 },
	};
	static const struct column broad[] = {
		{ "NAME", 18 }, { "SERVICE", 9 }, { "HOST", 14 }, { "RELEASE", 10 }, { "RPC", 8 },
		{ "OBJ", 4 }, { "STATE", 8 }, { "SKEW", 7 }, { "SEEN", 5 }, { "LAT", 6 },
	};
	const struct column *cols = wide ? broad : narrow;
	size_t ncols = wide ? ARRAY_SIZE(broad) : ARRAY_SIZE(narrow);
	int y = l->nodes_y + 1;
	int x = 2;
	for (size_t c = 0; c < ncols; c++) {
		grid_text(g, x, y, cols[c].w, ATTR_BOLD, cols[c].title);
		x += cols[c].w + 1;
	}

	int rows = l->nodes_h - 3;
	size_t top = vs->node_sel >= (size_t)rows ? vs->node_sel - (size_t)rows + 1 : 0;
	for (int r = 0; r < rows && top + (size_t)r < n; r++) {
		size_t k = top + (size_t)r;
		const struct node *nd = &s->nodes[idx[k]];
		const struct node_obs *o = &nd->obs;
		int yy = y + 1 + r;
		char *vals[10];
		size_t v = 0;
		vals[v++] = sanitize_term(nd->conf->name, false);
		vals[v++] = xstrdup(service_short(nd->conf->service));
		if (wide)
			vals[v++] = node_host(nd) ? sanitize_term(node_host(nd), false) : xstrdup("-");
		bool vouched = node_vouched(vs, nd);
		if (o->release) {
			char *rel = sanitize_term(o->release, false);
			vals[v++] = rel;
		} else if (vouched) {
			vals[v++] = sanitize_term(s->target, false);
		} else {
			vals[v++] = xstrdup("-");
		}
		if (o->rpc_version) {
			char *rv = sanitize_term(o->rpc_version, false);
			char *cap = o->rpc_cap ? sanitize_term(o->rpc_cap, false) : xstrdup("-");
			vals[v++] = xasprintf("%s/%s%s", rv, cap, o->rpc_src == SRC_DERIVED ? "*" : "");
			free(rv);
			free(cap);
		} else {
			vals[v++] = xstrdup("-");
		}
		vals[v++] = obj_word(o);
		vals[v++] = xstrdup(vouched ? "vouched" : node_state_name(o->state));
		if (vouched) {
			struct node_obs as_vouched = *o;
			as_vouched.release = s->target;
			vals[v++] = xstrdup(skew_word(vs, &as_vouched));
		} else {
			vals[v++] = xstrdup(skew_word(vs, o));
		}
		vals[v++] = o->seen_wall ? fmt_age(vs, o->seen_wall) : xstrdup("-");
		vals[v++] = o->probed && o->seen_wall ? fmt_lat(vs, o->latency_ms) : xstrdup("-");
		x = 2;
		for (size_t c = 0; c < ncols; c++) {
			unsigned attr = strcmp(cols[c].title, "STATE") == 0 ? state_attr(vs, o->state)
					: strcmp(cols[c].title, "SKEW") == 0 ? skew_attr(vs, vals[c]) : 0;
			grid_text(g, x, yy, cols[c].w, attr, vals[c]);
			x += cols[c].w + 1;
			free(vals[c]);
		}
		if (vs->focus == PANE_NODES && k == vs->node_sel && vs->dialog == DLG_NONE)
			grid_attr_row(g, 1, yy, g->w - 2, ATTR_REVERSE);
	}
	/* the legend of '*', on the bottom border, when a node shown has one */
	bool derived = false;
	for (size_t k = 0; k < n; k++) {
		const struct node_obs *o = &s->nodes[idx[k]].obs;
		derived |= o->rpc_src == SRC_DERIVED || o->objects_src == SRC_DERIVED;
	}
	if (derived)
		grid_text(g, 2, l->nodes_y + l->nodes_h - 1, g->w - 4, ATTR_DIM, " " DERIVED_LEGEND " ");
	more_marker(g, g->w - 2, l->nodes_y + l->nodes_h - 1, top,
		    n > top + (size_t)rows ? n - top - (size_t)rows : 0);
	free(idx);
}

/* ---- database and checks ---- */

static void draw_database(struct grid *g, const struct view_state *vs, const struct layout *l)
{
	const struct snapshot *s = vs->snap;
	const struct plan *p = vs->plan;
	int w = l->db_w, y = l->mid_y;
	grid_box(g, 0, y, w, l->M + 2, "Database", color(vs, COL_CYAN));
	char *owned;
	const char *why = db_unusable_reason(&s->db, &owned);
	const struct mf_release *t = s->target ? mf_release(vs->in->m, s->target) : NULL;
	if (why) {
		/* what is wrong, wrapped over the rows (the last one says when it
		 * is tried again) */
		char *text = s->db.configured && s->db.supported && !s->db.parse_error &&
				     s->db.probed && !s->db.reachable && s->db.error
				     ? xasprintf("unknown: unreachable: %s", s->db.error)
				     : xasprintf("unknown: %s", why);
		char *safe = sanitize_term(text, false);
		size_t n;
		char **wrapped = textwrap_wrap(safe, (size_t)(w - 4), "", "  ", &n);
		int rows = l->M - (vs->db_retry_in > 0 ? 1 : 0);
		for (int i = 0; i < rows && (size_t)i < n; i++) {
			/* the last row takes the rest too, so that it is cut with '~' */
			struct strbuf line = STRBUF_INIT;
			sb_addstr(&line, wrapped[i]);
			for (size_t k = (size_t)i + 1; i == rows - 1 && k < n; k++) {
				const char *rest = wrapped[k];
				while (*rest == ' ')
					rest++; /* the continuation's indent */
				sb_addf(&line, " %s", rest);
			}
			grid_text(g, 2, y + 1 + i, w - 4, color(vs, COL_RED), sb_str(&line));
			sb_free(&line);
		}
		textwrap_free(wrapped, n);
		free(safe);
		free(text);
		free(owned);
		if (vs->db_retry_in > 0) {
			char *r = xasprintf("retrying in %ds", vs->db_retry_in);
			grid_text(g, 2, y + l->M, w - 4, 0, r);
			free(r);
		}
		return;
	}
	free(owned);
	char *lines[4] = { NULL, NULL, NULL, NULL };
	struct strbuf cur = STRBUF_INIT;
	for (size_t i = 0; i < s->db.nheads; i++)
		sb_addf(&cur, "%s%s", i ? "," : "", s->db.heads[i]);
	if (t && p->path.verdict == DBV_UP_TO_DATE)
		lines[0] = xasprintf("%s  (%s head)", sb_str(&cur), t->series);
	else
		lines[0] = xasprintf("%s -> %s", sb_str(&cur), t ? t->heads[0] : "?");
	sb_free(&cur);
	if (p->path.nsteps) {
		struct strbuf pend = STRBUF_INIT;
		sb_addstr(&pend, "pending: ");
		for (size_t i = 0; i < p->path.nsteps; i++)
			sb_addf(&pend, "%s%s %s", i ? ", " : "", p->path.steps[i]->revision,
				mig_class_name(p->path.steps[i]->cls));
		lines[1] = sb_detach(&pend);
	} else {
		lines[1] = xstrdup(p->path.verdict == DBV_UP_TO_DATE ? "pending: none" : "pending: ?");
	}
	lines[2] = p->ncontract ? xasprintf("contract: %zu pending", p->ncontract)
				: xstrdup("contract: none pending");
	if (s->db.cluster)
		lines[3] = xasprintf("galera: %ld nodes, %s, %s", s->db.cluster_size,
				     s->db.cluster_state ? s->db.cluster_state : "?",
				     s->db.cluster_component ? s->db.cluster_component : "?");
	for (int i = 0; i < 4; i++) {
		if (lines[i] && i < l->M) {
			char *safe = sanitize_term(lines[i], false);
			grid_text(g, 2, y + 1 + i, w - 4, 0, safe);
			free(safe);
		}
		free(lines[i]);
	}
}

static void draw_checks(struct grid *g, const struct view_state *vs, const struct layout *l)
{
	int x = l->db_w, w = g->w - l->db_w, y = l->mid_y;
	grid_box(g, x, y, w, l->M + 2, "Checks",
		 color(vs, COL_CYAN) | (vs->focus == PANE_CHECKS ? ATTR_BOLD : 0));
	size_t top = vs->check_sel >= (size_t)l->M ? vs->check_sel - (size_t)l->M + 1 : 0;
	for (int r = 0; r < l->M && top + (size_t)r < vs->nchecks; r++) {
		const struct check_result *c = &vs->checks[top + (size_t)r];
		const char *sym;
		unsigned attr;
		switch (c->code) {
		case BS_SUCCESS:
			sym = g->ascii ? "+" : "\u2714";
			attr = color(vs, COL_GREEN);
			break;
		case BS_WARNING:
			sym = "!";
			attr = color(vs, COL_YELLOW);
			break;
		default:
			sym = g->ascii ? "x" : "\u2716";
			attr = color(vs, COL_RED) | ATTR_BOLD;
			break;
		}
		int yy = y + 1 + r;
		grid_text(g, x + 2, yy, 1, attr, sym);
		grid_text(g, x + 4, yy, w - 6, 0, c->entry->name);
		if (vs->focus == PANE_CHECKS && top + (size_t)r == vs->check_sel && vs->dialog == DLG_NONE)
			grid_attr_row(g, x + 1, yy, w - 2, ATTR_REVERSE);
	}
	more_marker(g, x + w - 2, y + l->M + 1, top,
		    vs->nchecks > top + (size_t)l->M ? vs->nchecks - top - (size_t)l->M : 0);
}

/* ---- next and log ---- */

static char *step_desc(const struct view_state *vs, const struct plan_step *st)
{
	const struct snapshot *s = vs->snap;
	switch (st->kind) {
	case STEP_EXPAND:
		return xasprintf("expand to %s", st->revision ? st->revision : "?");
	case STEP_UPGRADE_NODE: {
		const struct node_conf *n = st->node >= 0 ? s->nodes[st->node].conf : NULL;
		char *name = sanitize_term(n ? n->name : "?", false);
		char *r = xasprintf("upgrade %s", name);
		free(name);
		return r;
	}
	case STEP_UNPIN: return xstrdup("unpin");
	case STEP_DATA_MIGRATIONS: return xstrdup("data migrations");
	case STEP_CONTRACT: return xasprintf("contract to %s", st->revision ? st->revision : "?");
	case STEP_OFFLINE: return xasprintf("offline migrations to %s", st->revision ? st->revision : "?");
	default: return xstrdup("-");
	}
}

static char *blockers_joined(const struct view_state *vs, size_t from)
{
	const struct plan *p = vs->plan;
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = from; i < p->nblockers; i++) {
		char *t = blocker_text(&p->blockers[i], vs->in);
		sb_addf(&sb, "%s%s", sb.len ? "; " : "", t);
		free(t);
	}
	return sb_detach(&sb);
}

static void draw_next(struct grid *g, const struct view_state *vs, const struct layout *l)
{
	const struct plan *p = vs->plan;
	int y = l->bot_y, w = g->w;
	grid_box(g, 0, y, w, l->L + 5, "Next", color(vs, COL_CYAN));
	char *row1 = NULL, *row2 = NULL, *right = NULL;
	unsigned right_attr = ATTR_BOLD;
	if (vs->run != RUN_IDLE) {
		char *el = vs->freeze ? xstrdup("1s") : fmt_age(vs, vs->run_started);
		char *desc = vs->run_step ? step_desc(vs, vs->run_step) : xstrdup("?");
		if (vs->run == RUN_VERIFYING)
			row1 = xasprintf("verifying: %s (%s; gives up in %ds)", desc, el,
					 vs->verify_left);
		else
			row1 = xasprintf("%s: %s (%s)", vs->run == RUN_RUNNING ? "running"
					 : vs->run == RUN_PREPARING ? "starting"
					 : "taking the lock for", desc, el);
		free(desc);
		free(el);
		if (vs->run == RUN_RUNNING)
			right = xstrdup("[c] cancel");
	} else if (p->phase == PH_DONE) {
		row1 = xstrdup("upgrade complete");
	} else if (p->next.kind != STEP_NONE) {
		char *desc = step_desc(vs, &p->next);
		if (vs->next_error)
			row1 = xasprintf("%s: cannot build its command: %s", desc, vs->next_error);
		else
			row1 = xasprintf("%s: %s", desc, vs->next_argv ? vs->next_argv : "manual");
		free(desc);
		if (p->next_ready) {
			right = xstrdup(vs->readonly ? "[n] read-only" : "[n] run");
			right_attr |= color(vs, COL_GREEN);
			if (p->next.kind == STEP_UPGRADE_NODE && p->nroll_queue > 1) {
				long after = -1;
				for (size_t i = 0; i < p->nroll_queue; i++)
					if (p->roll_queue[i] != p->next.node) {
						after = p->roll_queue[i];
						break;
					}
				if (after >= 0) {
					const struct node_conf *n = vs->snap->nodes[after].conf;
					char *name = sanitize_term(n->name, false);
					row2 = xasprintf("then: %s (%s)", name, service_short(n->service));
					free(name);
				}
			}
		} else {
			right = xstrdup("[n] blocked");
			right_attr |= color(vs, COL_RED);
			char *b = blockers_joined(vs, 0);
			row2 = xasprintf("blocked: %s", b);
			free(b);
		}
	} else {
		char *b1 = p->nblockers ? blocker_text(&p->blockers[0], vs->in) : xstrdup("nothing to do");
		row1 = xasprintf("blocked: %s", b1);
		free(b1);
		if (p->nblockers > 1) {
			char *b = blockers_joined(vs, 1);
			row2 = xasprintf("also: %s", b);
			free(b);
		}
	}
	int rw = right ? grid_width(right) + 2 : 0;
	if (row1) {
		char *safe = sanitize_term(row1, false);
		grid_text(g, 2, y + 1, w - 4 - rw, 0, safe);
		free(safe);
	}
	if (right)
		grid_text_right(g, w - 3, y + 1, right_attr, right);
	if (row2) {
		char *safe = sanitize_term(row2, false);
		grid_text(g, 2, y + 2, w - 4, 0, safe);
		free(safe);
	}
	free(row1);
	free(row2);
	free(right);

	grid_separator(g, 0, y + 3, w, "Log",
		       color(vs, COL_CYAN) | (vs->focus == PANE_LOG ? ATTR_BOLD : 0));
	int L = l->L;
	if (vs->run != RUN_IDLE) {
		size_t n = vs->nrun_lines;
		size_t skip = vs->log_scroll < n ? vs->log_scroll : n;
		size_t end = n - skip;
		size_t start = end > (size_t)L ? end - (size_t)L : 0;
		for (size_t i = start; i < end; i++) {
			char *safe = sanitize_term(vs->run_lines[i], false);
			grid_text(g, 2, y + 4 + (int)(i - start), w - 4, 0, safe);
			free(safe);
		}
		return;
	}
	size_t n = vs->njournal;
	size_t skip = vs->log_scroll < n ? vs->log_scroll : n;
	size_t end = n - skip;
	size_t start = end > (size_t)L ? end - (size_t)L : 0;
	for (size_t i = start; i < end; i++) {
		const struct journal_record *r = &vs->journal[i];
		char when[16];
		if (vs->freeze) {
			snprintf(when, sizeof(when), "12:00:00Z");
		} else {
			/* UTC, as the journal and every other time shown */
			struct tm tm;
			gmtime_r(&r->start, &tm);
			strftime(when, sizeof(when), "%H:%M:%SZ", &tm);
		}
		struct strbuf sb = STRBUF_INIT;
		sb_addf(&sb, "%s %s", when, r->step ? r->step : "?");
		if (r->node)
			sb_addf(&sb, " %s", r->node);
		sb_addf(&sb, " %s", journal_outcome_name(r->outcome));
		if (r->argv) {
			/* the words are what gets cut when the line is too wide:
			 * the seconds and the exit status stay (WORD1 is the
			 * program's name, without its directory) */
			struct strbuf words = STRBUF_INIT, tail = STRBUF_INIT;
			for (int k = 0; k < 3 && r->argv[k]; k++) {
				const char *wd = r->argv[k];
				if (k == 0 && strrchr(wd, '/') && strrchr(wd, '/')[1])
					wd = strrchr(wd, '/') + 1;
				sb_addf(&words, "%s%s", k ? " " : "", wd);
			}
			sb_addf(&tail, ", %.0f s", difftime(r->end, r->start));
			if (r->has_exit)
				sb_addf(&tail, ", exit %d", r->exit_code);
			else if (r->has_signal)
				sb_addf(&tail, ", signal %d", r->signal);
			sb_addch(&tail, ')');
			char *head_safe = sanitize_term(sb_str(&sb), false);
			char *words_safe = sanitize_term(sb_str(&words), false);
			int room = (w - 4) - grid_width(head_safe) - 2 - grid_width(sb_str(&tail));
			if (grid_width(words_safe) > room && room >= 1) {
				char *cut = grid_cut(words_safe, room);
				free(words_safe);
				words_safe = cut;
			}
			sb_reset(&sb);
			sb_addf(&sb, "%s (%s%s", head_safe, words_safe, sb_str(&tail));
			free(head_safe);
			free(words_safe);
			sb_free(&words);
			sb_free(&tail);
		}
		char *safe = sanitize_term(sb_str(&sb), false);
		unsigned attr = r->outcome == OUTCOME_FAILED || r->outcome == OUTCOME_CANCELLED
					? color(vs, COL_RED)
				: r->outcome == OUTCOME_NOT_VERIFIED ? color(vs, COL_YELLOW) : 0;
		grid_text(g, 2, y + 4 + (int)(i - start), w - 4, attr, safe);
		free(safe);
		sb_free(&sb);
	}
}

/* The Nodes pane has the focus and its selected node has nothing to ask
 * (v may vouch for it). */
static bool selected_vouchable(const struct view_state *vs)
{
	if (vs->focus != PANE_NODES || !vs->plan || !vs->plan->nodes || !vs->snap)
		return false;
	size_t *idx;
	size_t n = view_nodes(vs, &idx);
	bool v = vs->node_sel < n && !vs->plan->nodes[idx[vs->node_sel]].observable;
	free(idx);
	return v;
}

static void draw_footer(struct grid *g, const struct view_state *vs)
{
	const char *text;
	char *owned = NULL;
	if (vs->filter_editing) {
		char *f = sanitize_term(vs->filter ? vs->filter : "", false);
		owned = xasprintf("filter: %s_  (Enter keep, Esc clear)", f);
		free(f);
		text = owned;
	} else if (vs->dialog != DLG_NONE) {
		text = "Esc close";
	} else if (vs->notice) {
		text = vs->notice;
	} else if (vs->readonly) {
		text = "q quit  ? help  read-only  / filter  s sort  Enter details  L journal  p pause";
	} else if (vs->roll != ROLL_OFF) {
		text = "q quit  ? help  P pause roll  X stop roll  / filter  L journal  p pause screen";
	} else if (selected_vouchable(vs)) {
		/* the selected node has nothing to ask: v vouches for it */
		text = "q quit  ? help  n next  v vouch  / filter  Enter details  L journal  p pause";
	} else {
		text = "q quit  ? help  n next  / filter  s sort  Enter details  L journal  p pause";
	}
	grid_text(g, 1, g->h - 1, g->w - 1, ATTR_DIM, text);
	free(owned);
}

/* ---- dialogs ---- */

char *console_confirm_word(const struct plan_step *next, bool take_over)
{
	bool irreversible = next->kind == STEP_CONTRACT || next->kind == STEP_OFFLINE;
	if (take_over)
		return irreversible ? xasprintf("take-over %s", step_kind_name(next->kind))
				    : xstrdup("take-over");
	return irreversible ? xstrdup(step_kind_name(next->kind)) : NULL;
}

struct lines {
	char **v;
	size_t n, cap;
};

static void add_line(struct lines *ls, const char *s)
{
	xgrow(&ls->v, &ls->cap, ls->n + 1, sizeof(*ls->v));
	ls->v[ls->n++] = xstrdup(s ? s : "");
}

/* One line of text wrapped to width (sanitized first). */
static void add_wrapped(struct lines *ls, const char *text, int width, const char *indent)
{
	char *safe = sanitize_term(text, false);
	size_t n;
	char **wrapped = textwrap_wrap(safe, (size_t)width, indent, indent, &n);
	if (n == 0)
		add_line(ls, "");
	for (size_t i = 0; i < n; i++)
		add_line(ls, wrapped[i]);
	textwrap_free(wrapped, n);
	free(safe);
}

/* A paragraph wrapped to width, each of its lines (a failed step's output
 * holds several) wrapped on its own. */
static void add_para(struct lines *ls, const char *text, int width, const char *indent)
{
	char *copy = xstrdup(text ? text : "");
	for (char *p = copy; p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		add_wrapped(ls, p, width, indent);
		p = nl ? nl + 1 : NULL;
	}
	free(copy);
}

/* A value is cut to this many cells ('~' last) before it is wrapped: what a
 * node sends (a release of a million characters) must not cost the details
 * view more than a few screens. */
#define KV_MAX_CELLS 2000

static void add_kv(struct lines *ls, const char *k, const char *v, int width)
{
	char *cut = grid_cut(v ? v : "-", KV_MAX_CELLS);
	char *line = xasprintf("%-14s %s", k, cut);
	add_para(ls, line, width, "");
	free(line);
	free(cut);
}

static void dialog_lines(const struct view_state *vs, int width, struct lines *ls, const char **title)
{
	const struct snapshot *s = vs->snap;
	switch (vs->dialog) {
	case DLG_HELP:
		*title = "Help";
		add_line(ls, "q          quit (from the main screen)");
		add_line(ls, "?          this help (Esc or ? closes it)");
		add_line(ls, "Esc        close a dialog, a details view, the filter");
		add_line(ls, "r          refresh now");
		add_line(ls, "p          pause or resume refreshing (never a step's)");
		add_line(ls, "Tab        next pane (Nodes, Checks, Log); Shift-Tab back");
		add_line(ls, "j k arrows move; PgUp PgDn a page");
		add_line(ls, "/          filter nodes (name, service, host, release)");
		add_line(ls, "s          next sort column; S reverse");
		add_line(ls, "Enter      details of the selected node or check");
		add_line(ls, "n          take the next step (confirm)");
		add_line(ls, "c          cancel the running step (confirm)");
		add_line(ls, "R          roll: the steps one after another (confirm)");
		add_line(ls, "v          vouch for the selected node (nothing to ask it):");
		add_line(ls, "           the release it runs and why, recorded as a step");
		add_line(ls, "P          pause the roll (the step finishes) or resume it");
		add_line(ls, "X          stop the roll");
		add_line(ls, "L          the journal");
		add_line(ls, "Ctrl-L     redraw");
		add_line(ls, "");
		add_line(ls, DERIVED_LEGEND " (RPC, OBJ)");
		add_line(ls, "SKEW: same, series (same series), n-1, slurp (previous SLURP),");
		add_line(ls, "      older, newer (than the target), unknown; - no release");
		add_line(ls, "Times are UTC (Z).");
		break;
	case DLG_NODE: {
		size_t *idx;
		size_t n = view_nodes(vs, &idx);
		if (vs->node_sel >= n) {
			*title = "Node";
			add_line(ls, "no node selected");
			free(idx);
			break;
		}
		const struct node *nd = &s->nodes[idx[vs->node_sel]];
		free(idx);
		const struct node_obs *o = &nd->obs;
		*title = "Node";
		add_kv(ls, "name", nd->conf->name, width);
		add_kv(ls, "service", service_name(nd->conf->service), width);
		add_kv(ls, "host", node_host(nd), width);
		char *url = url_masked(nd->conf->url), *report_url = url_masked(nd->conf->report_url);
		add_kv(ls, "url", url, width);
		add_kv(ls, "report_url", report_url, width);
		free(url);
		free(report_url);
		add_kv(ls, "report_command", nd->conf->report_command, width);
		if (o->report_cmd_at) {
			char *age = xasprintf("%lds ago", (long)(time(NULL) - o->report_cmd_at));
			add_kv(ls, "reported", age, width);
			free(age);
		}
		bool vouched = node_vouched(vs, nd);
		char *st = vouched ? xasprintf("vouched (nothing to ask it: %s)", node_state_name(o->state))
				   : xstrdup(node_state_name(o->state));
		add_kv(ls, "state", st, width);
		free(st);
		if (o->restart_needed)
			add_kv(ls, "restart", "needed: a process runs code older than the installed release",
			       width);
		if (nd->rabbit.asked) {
			struct strbuf rb = STRBUF_INIT;
			sb_addf(&rb, "%zu connection%s", nd->rabbit.nconns, nd->rabbit.nconns == 1 ? "" : "s");
			for (size_t k = 0; k < nd->rabbit.nconns; k++)
				sb_addf(&rb, "%s%ld", k ? ", " : ", pid ", nd->rabbit.pids[k]);
			if (nd->rabbit.since)
				sb_addf(&rb, ", since %s", nd->rabbit.since);
			add_kv(ls, "rabbitmq", sb_str(&rb), width);
			sb_free(&rb);
		}
		add_kv(ls, "error", o->error, width);
		char *rel = o->release ? xasprintf("%s (from %s)", o->release, value_source_name(o->release_src))
			    : vouched ? xasprintf("%s (vouched for by an operator, as the journal "
						  "records)", s->target)
				      : NULL;
		add_kv(ls, "release", rel, width);
		free(rel);
		if (o->release_conflict) {
			char *c = xasprintf("report %s, ?build %s", o->report_release, o->build_release);
			add_kv(ls, "disagree", c, width);
			free(c);
		}
		char *api = o->api_min ? xasprintf("%s..%s", o->api_min, o->api_max) : NULL;
		add_kv(ls, "microversions", api, width);
		free(api);
		char *rpc = o->rpc_version ? xasprintf("%s, cap %s (%s)", o->rpc_version,
						       o->rpc_cap ? o->rpc_cap : "none",
						       value_source_name(o->rpc_src))
					   : NULL;
		add_kv(ls, "rpc", rpc, width);
		free(rpc);
		struct strbuf ob = STRBUF_INIT;
		for (size_t i = 0; i < o->nobjects; i++)
			sb_addf(&ob, "%s%s %s", i ? ", " : "", o->objects[i].name, o->objects[i].version);
		add_kv(ls, "objects", o->nobjects ? sb_str(&ob) : NULL, width);
		sb_free(&ob);
		add_kv(ls, "report state", o->report_state, width);
		add_kv(ls, "started at", o->started_at, width);
		char *dm = o->data_migrations_remaining >= 0 ? xasprintf("%ld", o->data_migrations_remaining) : NULL;
		add_kv(ls, "data migr.", dm, width);
		free(dm);
		const char *raw = o->raw_report ? o->raw_report : o->raw_discovery;
		if (raw) {
			add_line(ls, "");
			add_line(ls, o->raw_report ? "version report, as received:" : "version document, as received:");
			char *copy = xstrdup(raw);
			for (char *p = copy; p && *p;) {
				char *nl = strchr(p, '\n');
				if (nl)
					*nl = '\0';
				add_para(ls, p, width, "  ");
				p = nl ? nl + 1 : NULL;
			}
			free(copy);
		}
		break;
	}
	case DLG_CHECK: {
		*title = "Check";
		if (vs->check_sel >= vs->nchecks)
			break;
		const struct check_result *c = &vs->checks[vs->check_sel];
		add_kv(ls, "check", c->entry->name, width);
		add_kv(ls, "id", c->entry->id, width);
		add_kv(ls, "result", bs_code_label(c->code), width);
		add_line(ls, "");
		add_para(ls, c->details ? c->details : "None", width, "");
		if (c->remediation) {
			add_line(ls, "");
			add_line(ls, "What to do:");
			add_para(ls, c->remediation, width, "");
		}
		break;
	}
	case DLG_NEXT: {
		const struct plan *p = vs->plan;
		*title = "Next step";
		char *desc = step_desc(vs, &p->next);
		add_para(ls, desc, width, "");
		free(desc);
		add_line(ls, "");
		add_line(ls, "It runs:");
		add_para(ls, vs->next_argv ? vs->next_argv : "(manual: no [steps] template)", width, "  ");
		if (!p->next_ready) {
			add_line(ls, "");
			add_line(ls, "It is blocked:");
			for (size_t i = 0; i < p->nblockers; i++) {
				char *t = blocker_text(&p->blockers[i], vs->in);
				char *l = xasprintf("- %s", t);
				add_para(ls, l, width, "");
				free(l);
				free(t);
			}
			add_line(ls, "");
			add_line(ls, "[Esc] close");
		} else if (vs->readonly) {
			add_line(ls, "");
			add_line(ls, "Read-only console (--readonly): nothing runs.  [Esc] close");
		} else if (vs->take_over) {
			const struct lock_obs *l = &vs->snap->lock;
			char *holder = sanitize_term(l->holder ? l->holder : "?", false);
			char *word = console_confirm_word(&p->next, true);
			char *q = xasprintf("The upgrade lock's holder vanished: %s%s%s. Its step may "
					    "still be running: check it first. To take the lock over, "
					    "type \"%s\" and Enter: %s_",
					    holder, l->lease_until ? "; its lease ran out at " : "",
					    l->lease_until ? l->lease_until : "", word,
					    vs->dialog_text ? vs->dialog_text : "");
			add_line(ls, "");
			add_para(ls, q, width, "");
			free(q);
			free(word);
			free(holder);
		} else if (p->next.kind == STEP_CONTRACT || p->next.kind == STEP_OFFLINE) {
			add_line(ls, "");
			char *q = xasprintf("There is no way back. Type \"%s\" and Enter: %s_",
					    step_kind_name(p->next.kind), vs->dialog_text ? vs->dialog_text : "");
			add_para(ls, q, width, "");
			free(q);
		} else {
			add_line(ls, "");
			add_line(ls, "[y] run  [Esc] cancel");
		}
		break;
	}
	case DLG_VOUCH_FORM: {
		*title = "Vouch";
		char *q = vs->vouch_step
			? xasprintf("%s cannot be observed. Record your word that it runs %s now, "
				    "and why: the step ends vouched, with your reason in the journal "
				    "and the shared record.", vs->vouch_node ? vs->vouch_node : "?",
				    vs->vouch_release ? vs->vouch_release : "?")
			: xasprintf("%s has nothing to ask (no url nor report_url). Record your word "
				    "that it runs a release, and why: taken as a step is (the upgrade "
				    "lock, the shared record, the journal), as barbican-status vouch "
				    "records it; the plan then counts its upgrade done.",
				    vs->vouch_node ? vs->vouch_node : "?");
		add_para(ls, q, width, "");
		free(q);
		add_line(ls, "");
		char *rel = xasprintf("%s release: %s%s", vs->vouch_field == 0 ? ">" : " ",
				      vs->vouch_release ? vs->vouch_release : "",
				      vs->vouch_field == 0 ? "_" : "");
		add_para(ls, rel, width, "");
		free(rel);
		char *why = xasprintf("%s reason:  %s%s", vs->vouch_field == 1 ? ">" : " ",
				      vs->vouch_reason ? vs->vouch_reason : "",
				      vs->vouch_field == 1 ? "_" : "");
		add_para(ls, why, width, "           ");
		free(why);
		add_line(ls, "");
		if (vs->vouch_error) {
			add_para(ls, vs->vouch_error, width, "");
			add_line(ls, "");
		}
		add_line(ls, vs->vouch_step ? "[Enter] record it  [Esc] back to the question"
					    : "[Enter] record it  [Tab] the other field  [Esc] cancel");
		break;
	}
	case DLG_ROLL:
		*title = "Roll";
		add_para(ls, "Take the steps one after another, each verified before the next, until "
			     "the end of the roll (upgrade run does the same)? A step that fails or is "
			     "not verified stops the roll; contract and offline are never taken by it "
			     "(their names must be typed: n).",
			 width, "");
		add_line(ls, "");
		add_para(ls, "P pauses the roll (the running step finishes, no next one starts), R "
			     "resumes it, X stops it; p only pauses the screen's refresh.", width, "");
		add_line(ls, "");
		add_line(ls, "[y] start the roll  [Esc] cancel");
		break;
	case DLG_CANCEL:
		*title = "Cancel";
		add_para(ls, "Cancel the running step? Its process group gets SIGTERM, then SIGKILL.",
			 width, "");
		add_line(ls, "");
		add_line(ls, "[y] cancel it  [Esc] let it run");
		break;
	case DLG_VOUCH:
		*title = "Vouch";
		add_para(ls, vs->dialog_text, width, "");
		add_line(ls, "");
		add_line(ls, "[y] yes, vouch for it  [n] no");
		break;
	case DLG_JOURNAL:
		*title = "Journal";
		if (!vs->njournal)
			add_line(ls, "no step recorded yet");
		for (size_t i = vs->njournal; i-- > 0;) {
			const struct journal_record *r = &vs->journal[i];
			char when[32];
			struct tm tm;
			gmtime_r(&r->start, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			char *l = xasprintf("%s %s %s%s%s by %s@%s", vs->freeze ? "2026-01-01T12:00:00Z" : when,
					    journal_outcome_name(r->outcome), r->step ? r->step : "?",
					    r->node ? " " : "", r->node ? r->node : "",
					    r->user ? r->user : "?", r->host ? r->host : "?");
			add_para(ls, l, width, "");
			free(l);
			if (r->detail && *r->detail)
				add_para(ls, r->detail, width, "  ");
			for (size_t k = 0; k < vs->noutputs; k++) {
				const struct step_output *out = &vs->outputs[k];
				if (!r->id || strcmp(out->id, r->id) != 0)
					continue;
				char *head = xasprintf("  output (%zu line%s):", out->nlines,
						       out->nlines == 1 ? "" : "s");
				add_line(ls, head);
				free(head);
				for (size_t j = 0; j < out->nlines; j++)
					add_wrapped(ls, out->lines[j], width, "  | ");
			}
		}
		break;
	case DLG_MESSAGE:
		*title = "Message";
		add_para(ls, vs->dialog_text, width, "");
		add_line(ls, "");
		add_line(ls, "[Esc] close");
		break;
	default:
		break;
	}
}

static void draw_dialog(struct grid *g, const struct view_state *vs)
{
	bool full = vs->dialog == DLG_JOURNAL || vs->dialog == DLG_NODE;
	int w = full ? g->w - 4 : (g->w - 8 < 76 ? g->w - 8 : 76);
	struct lines ls = { 0 };
	const char *title = "";
	dialog_lines(vs, w - 4, &ls, &title);
	int maxh = g->h - 4;
	int h = full ? maxh : (int)ls.n + 2;
	if (h > maxh)
		h = maxh;
	int x = (g->w - w) / 2, y = (g->h - h) / 2;
	for (int j = 0; j < h; j++)
		for (int i = 0; i < w; i++) {
			struct cell *c = grid_at(g, x + i, y + j);
			if (c)
				*c = (struct cell){ ' ', 0 };
		}
	grid_box(g, x, y, w, h, title, ATTR_BOLD | color(vs, COL_CYAN));
	size_t rows = (size_t)(h - 2);
	size_t top = vs->dialog_scroll;
	if (ls.n > rows && top > ls.n - rows)
		top = ls.n - rows;
	if (ls.n <= rows)
		top = 0;
	for (size_t r = 0; r < rows && top + r < ls.n; r++)
		grid_text(g, x + 2, y + 1 + (int)r, w - 4, 0, ls.v[top + r]);
	for (size_t i = 0; i < ls.n; i++)
		free(ls.v[i]);
	free(ls.v);
}

void view_draw(struct grid *g, const struct view_state *vs)
{
	grid_clear(g);
	if (g->w < 80 || g->h < 24) {
		char *m = xasprintf("terminal too small: 80x24 needed (%dx%d)", g->w, g->h);
		grid_text(g, 0, 0, g->w, 0, m);
		free(m);
		return;
	}
	struct layout l;
	layout(g, &l);
	draw_header(g, vs);
	draw_nodes(g, vs, &l);
	draw_database(g, vs, &l);
	draw_checks(g, vs, &l);
	draw_next(g, vs, &l);
	draw_footer(g, vs);
	if (vs->dialog != DLG_NONE)
		draw_dialog(g, vs);
}
