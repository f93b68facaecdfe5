/* fuzz-report.c: what a node sends (version reports, version discovery
 * documents, ?build answers) through the parsers of probes/parse.c. Any
 * input must give either a valid observation or a reason, never a crash or
 * a leak; a valid report always has a release and a known state. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probes/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct node_obs o;
	for (int svc = SVC_API; svc <= SVC_RETRY; svc++) {
		memset(&o, 0, sizeof(o));
		o.data_migrations_remaining = -1;
		char *why = NULL;
		if (parse_report(body, size, (enum service_kind)svc, &o, &why)) {
			if (!o.report_release || !o.report_state ||
			    (o.state != NS_UP && o.state != NS_DRAINED && o.state != NS_DOWN) || why)
				abort();
		} else if (!why) {
			abort();
		}
		free(why);
		node_obs_clear(&o);
	}
	char *a = NULL, *b = NULL, *why = NULL;
	if (!parse_discovery(body, size, &a, &b, &why) && !why)
		abort();
	if ((a == NULL) != (b == NULL))
		abort();
	free(a);
	free(b);
	free(why);
	why = NULL;
	char *rel = NULL;
	if (parse_build(body, size, &rel, &why) ? (rel == NULL || why) : (rel || !why))
		abort();
	free(rel);
	free(why);
	return 0;
}
