/* rpc-objects, "RPC and Object Versions": while the fleet is mixed, every
 * RPC cap must be at or below the fleet's pin (the lowest RPC version any
 * node serves); an object whose major version differs across the fleet
 * cannot be backported (Failure), minor differences can (Success); a node
 * of a mixed fleet that sends unpinned above the pin is a Warning. Values a
 * node did not report come from the manifest for its release (derived). */
#include "checks.h"

#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/strmap.h"
#include "core/version.h"
#include "core/xalloc.h"

static bool running(const struct node *n)
{
	return n->obs.state != NS_DOWN && n->obs.state != NS_UNKNOWN;
}

void check_rpc_objects(const struct check_ctx *ctx, struct check_result *r)
{
	const struct snapshot *s = ctx->snap;
	struct apiver pin = { 0, 0 };
	const char *pin_text = NULL;
	size_t nrpc = 0, nreports = 0;
	bool mixed = false;
	const char *first_release = NULL;
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct node *n = &s->nodes[i];
		if (!running(n))
			continue;
		if (n->obs.release) {
			if (first_release && strcmp(first_release, n->obs.release) != 0)
				mixed = true;
			first_release = first_release ? first_release : n->obs.release;
		}
		struct apiver v;
		if (n->obs.rpc_version && apiver_parse(n->obs.rpc_version, &v)) {
			if (pin_text && apiver_cmp(v, pin) != 0)
				mixed = true;
			if (!pin_text || apiver_cmp(v, pin) < 0) {
				pin = v;
				pin_text = n->obs.rpc_version;
			}
			nrpc++;
		}
		if (n->obs.rpc_src == SRC_REPORT || n->obs.objects_src == SRC_REPORT)
			nreports++;
	}
	if (nrpc == 0) {
		check_detail(r, "No running node has a known RPC version, so nothing was compared.");
		return;
	}

	struct strbuf over = STRBUF_INIT, unpinned = STRBUF_INIT;
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct node *n = &s->nodes[i];
		struct apiver v, cap;
		if (!running(n) || n->obs.rpc_src != SRC_REPORT || !apiver_parse(n->obs.rpc_version, &v))
			continue;
		if (n->obs.rpc_cap && apiver_parse(n->obs.rpc_cap, &cap)) {
			if (apiver_cmp(cap, pin) > 0)
				sb_addf(&over, "%s%s (cap %s)", over.len ? ", " : "", n->conf->name,
					n->obs.rpc_cap);
		} else if (mixed && apiver_cmp(v, pin) > 0) {
			sb_addf(&unpinned, "%s%s (serves %s, no cap)", unpinned.len ? ", " : "",
				n->conf->name, n->obs.rpc_version);
		}
	}
	check_detail(r, "The fleet's RPC pin is %s%s.", pin_text,
		     mixed ? " (mixed fleet)" : "");
	if (over.len) {
		check_raise(r, BS_FAILURE);
		check_detail(r, "Capped above the pin, so older nodes cannot read their messages: %s.",
			     sb_str(&over));
		check_remedy(r, "Lower their RPC version cap to %s until every node runs the "
				"target release.", pin_text);
	}
	if (unpinned.len) {
		check_raise(r, BS_WARNING);
		check_detail(r, "Not pinned while the fleet is mixed: %s.", sb_str(&unpinned));
		check_remedy(r, "Set their RPC version cap to %s until the roll is complete.", pin_text);
	}
	sb_free(&over);
	sb_free(&unpinned);

	/* objects: each object's version on every node against its first
	 * occurrence in the fleet (in config order); one pass, the objects
	 * found through a map of their names (linear in the fleet) */
	struct obj_group {
		const char *name, *version, *node;  /* the first occurrence */
		size_t at;                          /* its node's index */
		bool valid;                         /* its version parses */
		struct apiver v;
		const char *maj_other, *maj_node, *min_other;
	};
	struct obj_group *g = NULL;
	size_t ng = 0, capg = 0;
	struct strmap names = { 0 };
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct node *b = &s->nodes[i];
		if (!running(b))
			continue;
		for (size_t l = 0; l < b->obs.nobjects; l++) {
			const struct obs_object *ob = &b->obs.objects[l];
			size_t gi;
			if (!strmap_get(&names, ob->name, strlen(ob->name), &gi)) {
				if (ng == capg) {
					capg = capg ? 2 * capg : 16;
					g = xreallocarray(g, capg, sizeof(*g));
				}
				struct obj_group *ng_ = &g[ng];
				memset(ng_, 0, sizeof(*ng_));
				ng_->name = ob->name;
				ng_->version = ob->version;
				ng_->node = b->conf->name;
				ng_->at = i;
				ng_->valid = apiver_parse(ob->version, &ng_->v);
				strmap_put(&names, ob->name, strlen(ob->name), ng++);
				continue;
			}
			struct obj_group *o = &g[gi];
			struct apiver vb;
			if (!o->valid || o->at == i || !apiver_parse(ob->version, &vb))
				continue;
			if (vb.major != o->v.major && !o->maj_other)
				o->maj_other = ob->version, o->maj_node = b->conf->name;
			else if (vb.minor != o->v.minor && !o->min_other)
				o->min_other = ob->version;
		}
	}
	struct strbuf major = STRBUF_INIT, minor = STRBUF_INIT;
	for (size_t k = 0; k < ng; k++) {
		const struct obj_group *o = &g[k];
		if (o->maj_other)
			sb_addf(&major, "%s%s (%s on %s, %s on %s)", major.len ? ", " : "", o->name,
				o->version, o->node, o->maj_other, o->maj_node);
		else if (o->min_other)
			sb_addf(&minor, "%s%s (%s and %s)", minor.len ? ", " : "", o->name, o->version,
				o->min_other);
	}
	free(g);
	strmap_free(&names);
	if (major.len) {
		check_raise(r, BS_FAILURE);
		check_detail(r, "Objects whose major version differs across the fleet (no backport "
				"possible): %s.", sb_str(&major));
		check_remedy(r, "Do not run these releases side by side: upgrade through the "
				"intermediate release that bridges those object versions.");
	}
	if (minor.len)
		check_detail(r, "Objects at different minor versions (backportable): %s.", sb_str(&minor));
	if (!major.len && !minor.len)
		check_detail(r, "Every object version agrees across the fleet.");
	if (nreports == 0)
		check_detail(r, "No node reports its versions: they come from the release manifest.");
	sb_free(&major);
	sb_free(&minor);
}
