/* db-revision, "Database Revision": the database is reachable, under
 * version control, and its revisions are known to the target release. */
#include "checks.h"

#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/version.h"
#include "core/xalloc.h"

static char *heads_text(const struct db_obs *d)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < d->nheads; i++)
		sb_addf(&sb, "%s%s", i ? ", " : "", d->heads[i]);
	return sb_detach(&sb);
}

void check_db_revision(const struct check_ctx *ctx, struct check_result *r)
{
	const struct snapshot *s = ctx->snap;
	const struct db_obs *d = &s->db;

	if (d->conflict) {
		check_raise(r, BS_WARNING);
		check_detail(r, "%s.", d->conflict);
		check_remedy(r, "Remove the option the target release does not read, so that every "
				"tool reads the same database.");
	}
	if (!d->configured) {
		check_raise(r, BS_FAILURE);
		check_detail(r, "No database URL is configured (%s).", d->option);
		check_remedy(r, "Set it in the Barbican configuration (or pass that file with "
				"--config-file).");
		return;
	}
	if (d->parse_error) {
		check_raise(r, BS_FAILURE);
		check_detail(r, "The database URL from %s does not parse: %s.", d->option, d->parse_error);
		check_remedy(r, "Correct the URL (SQLAlchemy form: "
				"postgresql+psycopg2://USER:PASSWORD@HOST:PORT/DATABASE).");
		return;
	}
	if (!d->supported) {
		check_raise(r, BS_WARNING);
		check_detail(r, "The database URL %s from %s uses %s, which barbican-status does not "
				"check (it reads PostgreSQL, MySQL and MariaDB databases).", d->url_masked, d->option,
			     d->scheme);
		check_remedy(r, "Point %s at Barbican's PostgreSQL or MySQL database; with another database "
				"the schema checks cannot run.", d->option);
		return;
	}
	if (!d->reachable) {
		check_raise(r, BS_FAILURE);
		check_detail(r, "Cannot connect to the database %s: %s.", d->url_masked,
			     d->error ? d->error : "not probed");
		check_remedy(r, "Check that the database is up and that %s is right.", d->option);
		return;
	}
	if (!d->versioned || d->nheads == 0) {
		check_raise(r, BS_FAILURE);
		check_detail(r, "The database %s is not under version control (%s).", d->url_masked,
			     d->versioned ? "its alembic_version table is empty"
					  : "it has no alembic_version table");
		check_remedy(r, "If it is empty, create the schema with barbican-manage db upgrade; "
				"otherwise it is not a Barbican database.");
		return;
	}

	char *heads = heads_text(d);
	const struct mf_release *t = check_target(ctx, r, true);
	if (!t) {
		check_detail(r, "The database is at %s.", heads);
		free(heads);
		return;
	}
	bool bad = false;
	for (size_t i = 0; i < d->nheads; i++) {
		const char *h = d->heads[i];
		if (mf_knows(t, h))
			continue;
		bad = true;
		check_raise(r, BS_FAILURE);
		const struct mf_release *k = mf_newest_knowing(ctx->m, h);
		if (mf_is_cold(ctx->m, h)) {
			check_detail(r, "The database is at %s, a revision of the pre-rebase chain that "
					"%s does not know.", h, t->tag);
			check_remedy(r, "Bring it to 0f8c192a061f with Barbican 10.0.0 (or older) code "
					"first, with all services stopped: barbican-manage db upgrade -v "
					"0f8c192a061f. No rolling upgrade is possible from there.");
		} else if (k && release_cmp(k->tag, t->tag) > 0) {
			const struct mf_release *first = NULL;
			for (size_t j = 0; j < ctx->m->nreleases && !first; j++)
				if (mf_knows(&ctx->m->releases[j], h))
					first = &ctx->m->releases[j];
			check_detail(r, "The database is at %s, which only %s and newer know: it is "
					"ahead of the target release %s.", h, first ? first->tag : k->tag,
				     t->tag);
			check_remedy(r, "Set [upgrade] target_release to the release this database "
					"belongs to; a schema cannot be downgraded.");
		} else {
			check_detail(r, "The database is at %s, a revision that no Barbican release from "
					"%s to %s knows.", h, ctx->m->releases[0].tag, mf_latest(ctx->m)->tag);
			check_remedy(r, "Find out which code wrote it (barbican-manage db history on the "
					"hosts) before upgrading.");
		}
	}
	if (!bad)
		check_detail(r, "The database is at %s, known to %s.", heads, t->tag);
	free(heads);
}
