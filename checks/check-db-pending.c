/* db-pending, "Pending Database Migrations": the migrations of the target
 * release still to run, in order, with their class. Pending migrations are
 * normal before an upgrade: Success, with the command to run. */
#include "checks.h"

#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/xalloc.h"

void check_db_pending(const struct check_ctx *ctx, struct check_result *r)
{
	const struct db_obs *d = &ctx->snap->db;
	char *owned;
	const char *why = db_unusable_reason(d, &owned);
	if (why) {
		check_raise(r, d->configured && !d->supported && !d->parse_error ? BS_SUCCESS : BS_WARNING);
		check_detail(r, "Not checked: %s (see Database Revision).", why);
		free(owned);
		return;
	}
	const struct mf_release *t = check_target(ctx, r, true);
	if (!t)
		return;
	struct mf_path path;
	mf_pending(ctx->m, (const char *const *)d->heads, d->nheads, t, &path);
	switch (path.verdict) {
	case DBV_UP_TO_DATE:
		check_detail(r, "Nothing is pending: the database is at the heads of %s.", t->tag);
		break;
	case DBV_COLD:
	case DBV_AHEAD:
	case DBV_UNKNOWN:
		check_raise(r, BS_WARNING);
		check_detail(r, "No path to the heads of %s from %s (%s; see Database Revision).",
			     t->tag, path.offending ? path.offending : "?", db_verdict_name(path.verdict));
		break;
	case DBV_PENDING: {
		struct strbuf sb = STRBUF_INIT;
		const struct mf_migration *last_expand = NULL;
		bool contract = false, offline = false;
		for (size_t i = 0; i < path.nsteps; i++) {
			const struct mf_migration *mig = path.steps[i];
			sb_addf(&sb, "%s%s (%s: %s)", i ? ", " : "", mig->revision,
				mig_class_name(mig->cls), mig->title);
			if (mig->cls == MIG_CONTRACT)
				contract = true;
			else if (mig->cls == MIG_OFFLINE)
				offline = true;
			else if (!contract && !offline)
				last_expand = mig;
		}
		check_detail(r, "%zu migration%s pending to reach %s: %s.", path.nsteps,
			     path.nsteps == 1 ? "" : "s", t->tag, sb_str(&sb));
		sb_free(&sb);
		if (!contract && !offline)
			check_remedy(r, "Apply them before restarting services on %s: barbican-manage "
					"db upgrade (every pending migration is expand: safe while the "
					"old release runs).", t->tag);
		else if (last_expand)
			check_remedy(r, "Expand first, while the old release runs: barbican-manage db "
					"upgrade -v %s; the %s migrations wait until every node runs %s.",
				     last_expand->revision, offline ? "offline/contract" : "contract",
				     t->tag);
		else
			check_remedy(r, "The first pending migration is %s: it waits until every node "
					"runs %s%s.", mig_class_name(path.steps[0]->cls), t->tag,
				     offline ? " and all services are stopped" : "");
		break;
	}
	}
	mf_path_free(&path);
}
