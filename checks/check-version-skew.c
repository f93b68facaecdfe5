/* version-skew, "Release Version Skew": each node's release against the
 * target. The same series, N-1, or the previous SLURP series for a SLURP
 * target may run beside it; older or newer is a Failure naming the nodes. */
#include "checks.h"

#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/strmap.h"
#include "core/xalloc.h"

void check_version_skew(const struct check_ctx *ctx, struct check_result *r)
{
	const struct snapshot *s = ctx->snap;
	size_t known = 0;
	for (size_t i = 0; i < s->nnodes; i++)
		known += s->nodes[i].obs.release != NULL;
	if (known == 0) {
		check_detail(r, "%s", s->nnodes ? "No node's release is known, so none was compared."
						: "No nodes are configured, so none was compared.");
		return;
	}
	const struct mf_release *t = check_target(ctx, r, true);
	if (!s->target || !mf_series_of(ctx->m, s->target))
		return;
	(void)t;

	struct strbuf older = STRBUF_INIT, newer = STRBUF_INIT, unknown = STRBUF_INIT,
		      conflict = STRBUF_INIT, fine = STRBUF_INIT;
	const struct mf_series *ts = mf_series_of(ctx->m, s->target);
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct node *n = &s->nodes[i];
		const struct node_obs *o = &n->obs;
		if (o->release_conflict)
			sb_addf(&conflict, "%s%s (report %s, ?build %s)", conflict.len ? ", " : "",
				n->conf->name, o->report_release, o->build_release);
		if (!o->release)
			continue;
		bool listed;
		enum rel_relation rel = mf_relate(ctx->m, o->release, s->target, &listed);
		if (!listed)
			sb_addf(&unknown, "%s%s (%s)", unknown.len ? ", " : "", n->conf->name, o->release);
		if (rel == REL_OLDER)
			sb_addf(&older, "%s%s (%s)", older.len ? ", " : "", n->conf->name, o->release);
		else if (rel == REL_NEWER)
			sb_addf(&newer, "%s%s (%s)", newer.len ? ", " : "", n->conf->name, o->release);
	}
	/* the fine ones, grouped by release in the order first seen: "3 at
	 * 15.0.1 (same), 2 at 14.0.2 (n-1)" (a map of the releases: linear) */
	struct rel_group {
		const char *release;
		size_t count;
		enum rel_relation rel;
	} *g = NULL;
	size_t ng = 0, capg = 0;
	struct strmap seen = { 0 };
	for (size_t i = 0; i < s->nnodes; i++) {
		const char *rel_i = s->nodes[i].obs.release;
		if (!rel_i)
			continue;
		size_t gi;
		if (strmap_get(&seen, rel_i, strlen(rel_i), &gi)) {
			g[gi].count++;
			continue;
		}
		if (ng == capg) {
			capg = capg ? 2 * capg : 8;
			g = xreallocarray(g, capg, sizeof(*g));
		}
		g[ng] = (struct rel_group){ rel_i, 1, mf_relate(ctx->m, rel_i, s->target, NULL) };
		strmap_put(&seen, rel_i, strlen(rel_i), ng++);
	}
	for (size_t k = 0; k < ng; k++)
		if (rel_relation_ok(g[k].rel))
			sb_addf(&fine, "%s%zu at %s (%s)", fine.len ? ", " : "", g[k].count,
				g[k].release, rel_relation_name(g[k].rel));
	free(g);
	strmap_free(&seen);
	if (older.len) {
		check_raise(r, BS_FAILURE);
		check_detail(r, "Older than the target %s (%s) allows: %s.", s->target, ts->name,
			     sb_str(&older));
		check_remedy(r, "Upgrade those nodes to the previous series (or, for a SLURP target, "
				"the previous SLURP series) before upgrading to %s.", s->target);
	}
	if (newer.len) {
		check_raise(r, BS_FAILURE);
		check_detail(r, "Newer than the target %s: %s.", s->target, sb_str(&newer));
		check_remedy(r, "Set [upgrade] target_release to the release being rolled out.");
	}
	if (unknown.len) {
		check_raise(r, BS_WARNING);
		check_detail(r, "Not in the release manifest (compared by their numbers): %s.",
			     sb_str(&unknown));
	}
	if (conflict.len) {
		check_raise(r, BS_WARNING);
		check_detail(r, "The version report and the API disagree: %s.", sb_str(&conflict));
		check_remedy(r, "Restart the node so that all its processes run the same code.");
	}
	if (r->code == BS_SUCCESS)
		check_detail(r, "Every known node release may run beside %s: %s.", s->target,
			     sb_str(&fine));
	sb_free(&older);
	sb_free(&newer);
	sb_free(&unknown);
	sb_free(&conflict);
	sb_free(&fine);
}
