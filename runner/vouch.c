#include "vouch.h"

#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "core/version.h"
#include "core/xalloc.h"

enum vouch_refusal vouch_check(const struct snapshot *s, const struct plan *p, const char *name,
			       const char *release, const char *reason, long *idx)
{
	*idx = -1;
	for (size_t i = 0; i < s->nnodes; i++)
		if (strcmp(s->nodes[i].conf->name, name) == 0)
			*idx = (long)i;
	if (*idx < 0)
		return VOUCH_NO_NODE;
	if (p->nodes && p->nodes[*idx].observable)
		return VOUCH_OBSERVABLE;
	if (!release || !relver_valid(release))
		return VOUCH_BAD_RELEASE;
	if (!reason || !reason[strspn(reason, " \t")])
		return VOUCH_NO_REASON;
	return VOUCH_OK;
}

char *vouch_refusal_text(enum vouch_refusal r, const char *name, const char *release)
{
	char *n = sanitize_term(name ? name : "?", false);
	char *rel = sanitize_term(release ? release : "", false);
	char *t;
	switch (r) {
	case VOUCH_NO_NODE:
		t = xasprintf("no node %s is configured (see barbican-status nodes); nothing recorded", n);
		break;
	case VOUCH_OBSERVABLE:
		t = xasprintf("%s can be observed (it has a url or report_url): its probes say what it "
			      "runs, a vouch does not; nothing recorded", n);
		break;
	case VOUCH_BAD_RELEASE:
		t = xasprintf("'%s' is not a Barbican release such as 15.0.1; nothing recorded", rel);
		break;
	case VOUCH_NO_REASON:
		t = xstrdup("a vouch needs a reason (why you know what it runs); nothing recorded");
		break;
	default:
		t = xstrdup("");
		break;
	}
	free(n);
	free(rel);
	return t;
}

struct plan_step vouch_step(long idx, const char *release)
{
	return (struct plan_step){ STEP_UPGRADE_NODE, idx, NULL, release };
}

char *vouch_detail(const struct step_session *ss, const char *name, const char *release,
		   const char *reason)
{
	return xasprintf("%s@%s vouched that %s runs %s: %s", ss->rec.user, ss->rec.host, name,
			 release, reason);
}
