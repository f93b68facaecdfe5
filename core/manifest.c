#include "manifest.h"

#include <stdlib.h>
#include <string.h>

#include "version.h"
#include "xalloc.h"

const char *mig_class_name(enum mig_class c)
{
	switch (c) {
	case MIG_EXPAND: return "expand";
	case MIG_CONTRACT: return "contract";
	case MIG_OFFLINE: return "offline";
	case MIG_COLD: return "cold";
	}
	return "?";
}

const char *rel_relation_name(enum rel_relation r)
{
	switch (r) {
	case REL_SAME: return "same";
	case REL_SAME_SERIES: return "series";
	case REL_N1: return "n-1";
	case REL_SLURP_PREV: return "slurp";
	case REL_OLDER: return "older";
	case REL_NEWER: return "newer";
	case REL_UNKNOWN: return "unknown";
	}
	return "?";
}

bool rel_relation_ok(enum rel_relation r)
{
	return r == REL_SAME || r == REL_SAME_SERIES || r == REL_N1 || r == REL_SLURP_PREV;
}

const char *db_verdict_name(enum db_verdict v)
{
	switch (v) {
	case DBV_UP_TO_DATE: return "up to date";
	case DBV_PENDING: return "pending";
	case DBV_COLD: return "cold";
	case DBV_AHEAD: return "ahead";
	case DBV_UNKNOWN: return "unknown";
	}
	return "?";
}

const struct manifest *manifest_named(const char *name)
{
	if (strcmp(name, "builtin") == 0)
		return manifest_builtin();
	if (strcmp(name, "demo") == 0)
		return manifest_demo();
	return NULL;
}

const struct mf_release *mf_release(const struct manifest *m, const char *tag)
{
	if (!tag)
		return NULL;
	/* a fleet asks for the same few releases over and over (every node,
	 * every check, every refresh): the last one found is tried first */
	static _Thread_local const struct manifest *last_m;
	static _Thread_local const struct mf_release *last;
	if (last_m == m && last && strcmp(last->tag, tag) == 0)
		return last;
	for (size_t i = 0; i < m->nreleases; i++) {
		if (strcmp(m->releases[i].tag, tag) == 0) {
			last_m = m;
			return last = &m->releases[i];
		}
	}
	return NULL;
}

const struct mf_release *mf_latest(const struct manifest *m)
{
	return m->nreleases ? &m->releases[m->nreleases - 1] : NULL;
}

const struct mf_series *mf_series(const struct manifest *m, const char *name)
{
	for (size_t i = 0; i < m->nseries; i++)
		if (strcmp(m->series[i].name, name) == 0)
			return &m->series[i];
	return NULL;
}

const struct mf_series *mf_series_of(const struct manifest *m, const char *release)
{
	const struct mf_release *r = mf_release(m, release);
	if (r)
		return mf_series(m, r->series);
	struct relver v;
	if (!relver_parse(release, &v))
		return NULL;
	for (size_t i = 0; i < m->nseries; i++)
		if (m->series[i].major == v.part[0])
			return &m->series[i];
	return NULL;
}

bool mf_knows(const struct mf_release *r, const char *rev)
{
	for (size_t i = 0; i < r->nknown; i++)
		if (strcmp(r->known[i], rev) == 0)
			return true;
	return false;
}

bool mf_row_in(const struct mf_migration *mig, const char *release)
{
	return release_cmp(mig->first_release, release) <= 0 &&
	       release_cmp(release, mig->last_release) <= 0;
}

const struct mf_migration *mf_row(const struct manifest *m, const struct mf_release *r,
				  const char *rev)
{
	for (size_t i = 0; i < m->nmigrations; i++) {
		const struct mf_migration *mig = &m->migrations[i];
		if (strcmp(mig->revision, rev) == 0 && mf_row_in(mig, r->tag))
			return mig;
	}
	return NULL;
}

const struct mf_release *mf_newest_knowing(const struct manifest *m, const char *rev)
{
	for (size_t i = m->nreleases; i-- > 0;)
		if (mf_knows(&m->releases[i], rev))
			return &m->releases[i];
	return NULL;
}

const struct mf_migration *mf_any_row(const struct manifest *m, const char *rev)
{
	const struct mf_release *r = mf_newest_knowing(m, rev);
	return r ? mf_row(m, r, rev) : NULL;
}

bool mf_is_cold(const struct manifest *m, const char *rev)
{
	const struct mf_release *latest = mf_latest(m);
	if (!latest || !mf_newest_knowing(m, rev))
		return false;
	for (size_t i = 0; i < m->nreleases; i++) {
		const struct mf_release *r = &m->releases[i];
		if (strcmp(r->root, latest->root) == 0 && mf_knows(r, rev))
			return false;
	}
	return true;
}

static size_t series_index(const struct manifest *m, const struct mf_series *s)
{
	return (size_t)(s - m->series);
}

enum rel_relation mf_relate(const struct manifest *m, const char *release,
			    const char *target, bool *in_manifest)
{
	if (in_manifest)
		*in_manifest = release && mf_release(m, release) != NULL;
	if (!release || !target)
		return REL_UNKNOWN;
	const struct mf_series *ts = mf_series_of(m, target);
	if (!ts)
		return REL_UNKNOWN;
	if (strcmp(release, target) == 0)
		return REL_SAME;
	const struct mf_series *ns = mf_series_of(m, release);
	if (!ns) {
		struct relver v;
		if (!relver_parse(release, &v) || m->nseries == 0)
			return REL_UNKNOWN;
		if (v.part[0] > m->series[m->nseries - 1].major)
			return REL_NEWER;
		if (v.part[0] < m->series[0].major)
			return REL_OLDER;
		return REL_UNKNOWN;
	}
	size_t ni = series_index(m, ns), ti = series_index(m, ts);
	if (ni == ti)
		return release_cmp(release, target) < 0 ? REL_SAME_SERIES : REL_NEWER;
	if (ni > ti)
		return REL_NEWER;
	if (ni + 1 == ti)
		return REL_N1;
	if (ts->slurp) {
		for (size_t i = ti; i-- > 0;) {
			if (m->series[i].slurp) {
				if (i == ni)
					return REL_SLURP_PREV;
				break;
			}
		}
	}
	return REL_OLDER;
}

/* ---- migration graphs ---- */

struct revset {
	const char **revs;
	size_t n, cap;
};

static bool revset_has(const struct revset *s, const char *rev)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->revs[i], rev) == 0)
			return true;
	return false;
}

static void revset_add(struct revset *s, const char *rev)
{
	if (revset_has(s, rev))
		return;
	xgrow(&s->revs, &s->cap, s->n + 1, sizeof(*s->revs));
	s->revs[s->n++] = rev;
}

/* Add rev and its ancestors, as release r's rows describe them. */
static void add_ancestors(const struct manifest *m, const struct mf_release *r, const char *rev,
			  struct revset *out, const struct mf_migration ***rows, size_t *nrows,
			  size_t *rowcap)
{
	if (revset_has(out, rev))
		return;
	revset_add(out, rev);
	const struct mf_migration *mig = mf_row(m, r, rev);
	if (!mig)
		return;
	if (rows) {
		xgrow(rows, rowcap, *nrows + 1, sizeof(**rows));
		(*rows)[(*nrows)++] = mig;
	}
	for (size_t i = 0; i < mig->ndown; i++)
		add_ancestors(m, r, mig->down[i], out, rows, nrows, rowcap);
}

size_t mf_applied(const struct manifest *m, const char *const *heads, size_t nheads,
		  const struct mf_migration ***out)
{
	struct revset seen = { 0 };
	const struct mf_migration **rows = NULL;
	size_t nrows = 0, cap = 0;
	for (size_t i = 0; i < nheads; i++) {
		const struct mf_release *r = mf_newest_knowing(m, heads[i]);
		if (r)
			add_ancestors(m, r, heads[i], &seen, &rows, &nrows, &cap);
	}
	free(seen.revs);
	*out = rows;
	return nrows;
}

void mf_path_free(struct mf_path *path)
{
	free(path->steps);
	path->steps = NULL;
	path->nsteps = 0;
}

/* The rows release r ships, computed once per query (comparing release
 * numbers is what costs). */
struct rowset {
	const struct mf_migration **rows;
	size_t n;
};

static void rowset_of(const struct manifest *m, const struct mf_release *r, struct rowset *rs)
{
	/* one entry of cache: the planner asks about the same target again and
	 * again (the console every refresh, the exhaustive test 1.9 million
	 * times); manifests are immutable */
	static const struct manifest *cached_m;
	static const struct mf_release *cached_r;
	static struct rowset cached;
	if (cached_m != m || cached_r != r) {
		free(cached.rows);
		cached.rows = xcalloc(m->nmigrations ? m->nmigrations : 1, sizeof(*cached.rows));
		cached.n = 0;
		for (size_t i = 0; i < m->nmigrations; i++)
			if (mf_row_in(&m->migrations[i], r->tag) &&
			    mf_knows(r, m->migrations[i].revision))
				cached.rows[cached.n++] = &m->migrations[i];
		cached_m = m;
		cached_r = r;
	}
	rs->rows = xcalloc(cached.n ? cached.n : 1, sizeof(*rs->rows));
	memcpy(rs->rows, cached.rows, cached.n * sizeof(*rs->rows));
	rs->n = cached.n;
}

static const struct mf_migration *rowset_find(const struct rowset *rs, const char *rev)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->rows[i]->revision, rev) == 0)
			return rs->rows[i];
	return NULL;
}

static void rowset_ancestors(const struct rowset *rs, const char *rev, struct revset *out)
{
	if (revset_has(out, rev))
		return;
	revset_add(out, rev);
	const struct mf_migration *mig = rowset_find(rs, rev);
	if (!mig)
		return;
	for (size_t i = 0; i < mig->ndown; i++)
		rowset_ancestors(rs, mig->down[i], out);
}

void mf_pending(const struct manifest *m, const char *const *heads, size_t nheads,
		const struct mf_release *target, struct mf_path *path)
{
	memset(path, 0, sizeof(*path));
	path->verdict = DBV_UNKNOWN;
	if (!target)
		return;

	struct rowset rs;
	rowset_of(m, target, &rs);
	for (size_t i = 0; i < nheads; i++) {
		if (rowset_find(&rs, heads[i]))
			continue;
		path->offending = heads[i];
		if (mf_is_cold(m, heads[i])) {
			path->verdict = DBV_COLD;
		} else {
			const struct mf_release *k = mf_newest_knowing(m, heads[i]);
			path->verdict = (k && release_cmp(k->tag, target->tag) > 0) ? DBV_AHEAD
										  : DBV_UNKNOWN;
		}
		free(rs.rows);
		return;
	}

	struct revset applied = { 0 };
	for (size_t i = 0; i < nheads; i++)
		rowset_ancestors(&rs, heads[i], &applied);

	/* Pending rows of the target's graph, emitted in dependency order; ties
	 * keep the manifest's order, so the result is deterministic. */
	size_t cap = 0;
	bool progress = true;
	while (progress) {
		progress = false;
		for (size_t i = 0; i < rs.n; i++) {
			const struct mf_migration *mig = rs.rows[i];
			if (revset_has(&applied, mig->revision))
				continue;
			bool ready = true;
			for (size_t d = 0; d < mig->ndown; d++)
				if (!revset_has(&applied, mig->down[d]))
					ready = false;
			if (!ready)
				continue;
			revset_add(&applied, mig->revision);
			xgrow(&path->steps, &cap, path->nsteps + 1, sizeof(*path->steps));
			path->steps[path->nsteps++] = mig;
			progress = true;
		}
	}
	free(applied.revs);
	free(rs.rows);
	path->verdict = path->nsteps ? DBV_PENDING : DBV_UP_TO_DATE;
}

enum mig_class mf_class_rule(const char *ops)
{
	static const char *const narrowing[] = {
		"drop_column", "drop_table", "drop_constraint", "drop_index",
		"alter_column", "rename_table", "execute",
	};
	for (size_t i = 0; i < sizeof(narrowing) / sizeof(narrowing[0]); i++) {
		size_t n = strlen(narrowing[i]);
		for (const char *p = ops; (p = strstr(p, narrowing[i])) != NULL; p += n) {
			bool start = p == ops || p[-1] == ',';
			bool end = p[n] == '=' || p[n] == ',' || p[n] == '\0';
			if (start && end)
				return MIG_CONTRACT;
		}
	}
	return MIG_EXPAND;
}
