/* policy-json, "Policy File JSON to YAML Migration": Barbican's own (and
 * only) check since 12.0.0, oslo_upgradecheck.common_checks.check_policy_json
 * (oslo.upgradecheck 2.0.0), with exactly its Details text. */
#include "checks.h"

#include <stdlib.h>

#include "core/xalloc.h"

#define POLICY_JSON_MSG \
	"Your policy file is JSON-formatted which is deprecated. You need to switch to " \
	"YAML-formatted file. Use the ``oslopolicy-convert-json-to-yaml`` tool to convert " \
	"the existing JSON-formatted files to YAML in a backwards-compatible manner: " \
	"https://docs.openstack.org/oslo.policy/latest/cli/oslopolicy-convert-json-to-yaml.html."

void check_policy_json(const struct check_ctx *ctx, struct check_result *r)
{
	const struct policy_obs *p = &ctx->snap->policy;
	if (p->error) {
		r->error = true;
		r->details = xstrdup(p->error);
		return;
	}
	if (p->path && p->is_json) {
		check_raise(r, BS_FAILURE);
		r->details = xstrdup(POLICY_JSON_MSG);
		check_remedy(r, "Convert it: oslopolicy-convert-json-to-yaml --namespace barbican "
				"--policy-file %s --output-file policy.yaml, then set [oslo_policy] "
				"policy_file = policy.yaml (or delete %s if it only repeats the "
				"defaults).", p->path, p->path);
	}
}
