/* db-cluster, "Database Cluster": on a Galera node (MySQL/MariaDB with a
 * wsrep provider), its cluster size, its state and its component; a Failure
 * when the node is not Synced or not in the Primary component (a write
 * there is refused or lost, so no step starts). Success, "not a cluster",
 * elsewhere (PostgreSQL, a single MySQL/MariaDB server); Success, "not
 * asked", when the database could not be read (Database Revision says why). */
#include "checks.h"

#include <string.h>

void check_db_cluster(const struct check_ctx *ctx, struct check_result *r)
{
	const struct db_obs *d = &ctx->snap->db;
	if (!d->configured || !d->supported || !d->reachable) {
		check_detail(r, "The database cluster was not asked: the database cannot be read "
				"(see Database Revision).");
		return;
	}
	if (!d->cluster) {
		check_detail(r, "The %s database is not a cluster.",
			     d->backend ? d->backend : "configured");
		return;
	}
	const char *state = d->cluster_state ? d->cluster_state : "unknown";
	const char *comp = d->cluster_component ? d->cluster_component : "unknown";
	bool synced = strcmp(state, "Synced") == 0, primary = strcmp(comp, "Primary") == 0;
	check_detail(r, "Galera cluster of %ld node%s; the node barbican-status reads is %s, in "
			"the %s component.",
		     d->cluster_size, d->cluster_size == 1 ? "" : "s", state, comp);
	if (!synced || !primary) {
		check_raise(r, BS_FAILURE);
		check_remedy(r, "Wait until this node is Synced and in the Primary component (SHOW "
				"STATUS LIKE 'wsrep_%%'), or point the database URL at a node that "
				"is: no step starts meanwhile.");
	}
}
