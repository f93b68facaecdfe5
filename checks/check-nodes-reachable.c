/* nodes-reachable, "Service Nodes Reachable": Warning naming the nodes that
 * are down or in error; Failure when barbican-api nodes are configured and
 * none is up; Warning when no nodes are configured (nothing was checked:
 * often the default /etc/barbican/barbican.conf was read, which has none),
 * saying how to describe them. */
#include "checks.h"

#include <stdlib.h>

#include "core/strbuf.h"
#include "core/xalloc.h"

void check_nodes_reachable(const struct check_ctx *ctx, struct check_result *r)
{
	const struct snapshot *s = ctx->snap;
	if (s->nnodes == 0) {
		check_raise(r, BS_WARNING);
		check_detail(r, "No nodes are configured ([node:NAME] sections), so none were "
				"checked.");
		check_remedy(r, "Describe each service process in a [node:NAME] section with its "
				"service (barbican-api, barbican-worker, barbican-keystone-listener or "
				"barbican-retry) and its url (barbican-api) or report_url (a version "
				"report), in a file named with --config-file or in "
				"/etc/barbican/barbican-status.conf; see barbican-status.conf(5).");
		return;
	}
	struct strbuf bad = STRBUF_INIT, unobservable = STRBUF_INIT, drained = STRBUF_INIT,
		      unknown = STRBUF_INIT, restart = STRBUF_INIT;
	size_t nbad = 0, napi = 0, napi_up = 0, nup = 0;
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct node *n = &s->nodes[i];
		const struct node_obs *o = &n->obs;
		if (n->conf->service == SVC_API) {
			napi++;
			if (o->state == NS_UP)
				napi_up++;
		}
		if (o->restart_needed)
			sb_addf(&restart, "%s%s", restart.len ? ", " : "", n->conf->name);
		switch (o->state) {
		case NS_UP:
			nup++;
			break;
		case NS_DOWN:
		case NS_ERROR:
			sb_addf(&bad, "%s%s (%s: %s)", nbad++ ? ", " : "", n->conf->name,
				node_state_name(o->state), o->error ? o->error : "no detail");
			break;
		case NS_DRAINED:
			sb_addf(&drained, "%s%s", drained.len ? ", " : "", n->conf->name);
			break;
		case NS_UNKNOWN:
			if (o->error)
				sb_addf(&unknown, "%s%s (%s)", unknown.len ? ", " : "", n->conf->name,
					o->error);
			else
				sb_addf(&unobservable, "%s%s", unobservable.len ? ", " : "",
					n->conf->name);
			break;
		}
	}
	check_detail(r, "%zu of %zu node%s up.", nup, s->nnodes, s->nnodes == 1 ? "" : "s");
	if (nbad) {
		check_raise(r, BS_WARNING);
		check_detail(r, "Not answering properly: %s.", sb_str(&bad));
		check_remedy(r, "Check those services and the URLs configured for them.");
	}
	if (napi && !napi_up) {
		check_raise(r, BS_FAILURE);
		check_detail(r, "None of the %zu barbican-api node%s is up: the key manager is not "
				"serving.", napi, napi == 1 ? "" : "s");
		check_remedy(r, "Bring a barbican-api back before any upgrade step.");
	}
	if (drained.len)
		check_detail(r, "Drained on purpose: %s.", sb_str(&drained));
	if (unobservable.len)
		check_detail(r, "Not observable (no url or report_url): %s.", sb_str(&unobservable));
	if (unknown.len) {
		check_raise(r, BS_WARNING);
		check_detail(r, "Unknown: %s.", sb_str(&unknown));
		check_remedy(r, "Check what could not be asked ([rabbitmq] management_url and its "
				"credentials, report_command).");
	}
	if (restart.len) {
		check_raise(r, BS_WARNING);
		check_detail(r, "Restart needed (a process runs code older than the installed "
				"release): %s.", sb_str(&restart));
		check_remedy(r, "Restart those services: until then they run the old release, and "
				"the roll does not count them upgraded.");
	}
	sb_free(&restart);
	sb_free(&unknown);
	sb_free(&bad);
	sb_free(&unobservable);
	sb_free(&drained);
}
