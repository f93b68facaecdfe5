/* nodes-discovered, "Undescribed Barbican Processes": a Warning naming every
 * Barbican process that RabbitMQ lists but no [node:NAME] describes (the
 * roll would miss it); Success when there is none, or RabbitMQ is not
 * asked ([rabbitmq] management_url), or could not be (the nodes say why). */
#include "checks.h"

#include "core/strbuf.h"

void check_nodes_discovered(const struct check_ctx *ctx, struct check_result *r)
{
	const struct rabbit_obs *ro = &ctx->snap->rabbit;
	if (!ro->configured) {
		check_detail(r, "RabbitMQ is not asked ([rabbitmq] management_url is not set).");
		return;
	}
	if (!ro->probed || ro->error) {
		check_detail(r, "RabbitMQ's management API could not be asked%s%s.",
			     ro->error ? ": " : "", ro->error ? ro->error : "");
		return;
	}
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0;
	for (size_t i = 0; i < ro->nconns; i++) {
		const struct rabbit_conn *k = &ro->conns[i];
		if (k->matched)
			continue;
		sb_addf(&sb, "%s%s on %s (pid %ld)", n++ ? ", " : "", k->program,
			k->peer_host ? k->peer_host : "?", k->pid);
	}
	if (!n) {
		check_detail(r, "Every Barbican process that RabbitMQ lists (%zu) is described by a "
				"[node:NAME].", ro->nconns);
	} else {
		check_raise(r, BS_WARNING);
		check_detail(r, "%zu Barbican process%s that no [node:NAME] describes: %s.", n,
			     n == 1 ? "" : "es", sb_str(&sb));
		check_remedy(r, "Describe each in a [node:NAME] section (service and host), so that "
				"the roll upgrades it.");
	}
	sb_free(&sb);
}
