#include "checks.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/xalloc.h"

const struct check_entry check_table[] = {
	{ "policy-json", "Policy File JSON to YAML Migration", check_policy_json },
	{ "db-revision", "Database Revision", check_db_revision },
	{ "db-pending", "Pending Database Migrations", check_db_pending },
	{ "nodes-reachable", "Service Nodes Reachable", check_nodes_reachable },
	{ "version-skew", "Release Version Skew", check_version_skew },
	{ "rpc-objects", "RPC and Object Versions", check_rpc_objects },
	{ "db-vs-nodes", "Database Schema vs Running Nodes", check_db_vs_nodes },
	{ "db-cluster", "Database Cluster", check_db_cluster },
	{ "nodes-discovered", "Undescribed Barbican Processes", check_nodes_discovered },
};

const size_t check_count = ARRAY_SIZE(check_table);

const struct check_entry *check_find(const char *id)
{
	for (size_t i = 0; i < check_count; i++)
		if (strcmp(check_table[i].id, id) == 0)
			return &check_table[i];
	return NULL;
}

void checks_run(const struct check_ctx *ctx, struct check_result **out)
{
	struct check_result *r = xcalloc(check_count, sizeof(*r));
	for (size_t i = 0; i < check_count; i++) {
		r[i].entry = &check_table[i];
		r[i].code = BS_SUCCESS;
		check_table[i].run(ctx, &r[i]);
	}
	*out = r;
}

void check_results_free(struct check_result *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].details);
		free(r[i].remediation);
	}
	free(r);
}

enum bs_code checks_worst(const struct check_result *r, size_t n)
{
	enum bs_code w = BS_SUCCESS;
	for (size_t i = 0; i < n; i++)
		if (r[i].code > w)
			w = r[i].code;
	return w;
}

void check_raise(struct check_result *r, enum bs_code code)
{
	if (code > r->code)
		r->code = code;
}

static void append(char **dst, const char *fmt, va_list ap)
{
	char *s = xvasprintf(fmt, ap);
	if (*dst) {
		char *joined = xasprintf("%s %s", *dst, s);
		free(*dst);
		free(s);
		*dst = joined;
	} else {
		*dst = s;
	}
}

void check_detail(struct check_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	append(&r->details, fmt, ap);
	va_end(ap);
}

void check_remedy(struct check_result *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	append(&r->remediation, fmt, ap);
	va_end(ap);
}

const struct mf_release *check_target(const struct check_ctx *ctx, struct check_result *r,
				      bool warn_if_missing)
{
	const struct snapshot *s = ctx->snap;
	if (!s->target) {
		if (warn_if_missing) {
			check_raise(r, BS_WARNING);
			check_detail(r, "The target release is unknown, so this was not checked.");
			check_remedy(r, "Set [upgrade] target_release to the release being upgraded to "
					"(no Barbican release is installed on this machine to take it "
					"from).");
		}
		return NULL;
	}
	const struct mf_release *t = mf_release(ctx->m, s->target);
	if (!t && warn_if_missing) {
		const struct mf_release *first = &ctx->m->releases[0], *last = mf_latest(ctx->m);
		check_raise(r, BS_WARNING);
		check_detail(r, "The target release %s is not in the release manifest of this "
				"barbican-status (it knows %s to %s), so this was not checked.",
			     s->target, first->tag, last->tag);
		check_remedy(r, "Set [upgrade] target_release to a known release, or use a "
				"barbican-status that knows %s.", s->target);
	}
	return t;
}

const char *db_unusable_reason(const struct db_obs *d, char **owned)
{
	*owned = NULL;
	if (!d->configured)
		return *owned = xasprintf("no database URL is configured (%s)", d->option ? d->option : "?");
	if (d->parse_error)
		return *owned = xasprintf("the database URL does not parse: %s", d->parse_error);
	if (!d->supported)
		return *owned = xasprintf("the database URL (%s) is not PostgreSQL, MySQL or MariaDB",
					  d->url_masked);
	if (!d->probed)
		return "the database was not probed";
	if (!d->reachable)
		return *owned = xasprintf("cannot connect to the database (%s): %s", d->url_masked,
					  d->error ? d->error : "unknown error");
	if (!d->versioned)
		return "the database has no alembic_version table";
	if (d->nheads == 0)
		return "the alembic_version table of the database is empty";
	return NULL;
}

const char *const check_remedy_commands[] = {
	"barbican-manage",
	"oslopolicy-convert-json-to-yaml",
};
const size_t check_remedy_command_count =
	sizeof(check_remedy_commands) / sizeof(check_remedy_commands[0]);
