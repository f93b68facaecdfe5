/* db-vs-nodes, "Database Schema vs Running Nodes": no contract, offline or
 * cold revision is applied that a running node's release does not know.
 * (Expand revisions unknown to older nodes are what expand is for.) */
#include "checks.h"

#include <stdlib.h>

#include "core/strbuf.h"
#include "core/xalloc.h"

void check_db_vs_nodes(const struct check_ctx *ctx, struct check_result *r)
{
	const struct snapshot *s = ctx->snap;
	const struct db_obs *d = &s->db;
	char *owned;
	const char *why = db_unusable_reason(d, &owned);
	if (why) {
		check_raise(r, d->configured && !d->supported && !d->parse_error ? BS_SUCCESS : BS_WARNING);
		check_detail(r, "Not checked: %s.", why);
		free(owned);
		return;
	}
	const struct mf_migration **applied;
	size_t napplied = mf_applied(ctx->m, (const char *const *)d->heads, d->nheads, &applied);

	struct strbuf bad = STRBUF_INIT, unknown = STRBUF_INIT;
	size_t checked = 0;
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct node *n = &s->nodes[i];
		if (!n->obs.release || n->obs.state == NS_DOWN || n->obs.state == NS_UNKNOWN)
			continue;
		const struct mf_release *rel = mf_release(ctx->m, n->obs.release);
		if (!rel) {
			sb_addf(&unknown, "%s%s (%s)", unknown.len ? ", " : "", n->conf->name,
				n->obs.release);
			continue;
		}
		checked++;
		for (size_t k = 0; k < napplied; k++) {
			const struct mf_migration *mig = applied[k];
			if (mig->cls == MIG_EXPAND || mf_knows(rel, mig->revision))
				continue;
			sb_addf(&bad, "%s%s runs %s, which does not know %s (%s: %s)",
				bad.len ? "; " : "", n->conf->name, rel->tag, mig->revision,
				mig_class_name(mig->cls), mig->title);
		}
	}
	free(applied);
	if (bad.len) {
		check_raise(r, BS_FAILURE);
		check_detail(r, "Applied migrations that running nodes cannot work with: %s.",
			     sb_str(&bad));
		check_remedy(r, "Stop or upgrade those nodes now: their release predates a schema "
				"change that removed or narrowed what they use.");
	} else if (checked) {
		check_detail(r, "Every running node with a known release works with the applied "
				"schema (%zu checked).", checked);
	} else {
		check_detail(r, "No running node with a known release to compare.");
	}
	if (unknown.len)
		check_detail(r, "Not compared (release not in the manifest): %s.", sb_str(&unknown));
	sb_free(&bad);
	sb_free(&unknown);
}
