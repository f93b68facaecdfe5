/* fuzz-rabbit.c: RabbitMQ's management API reply (GET /api/connections)
 * through parse_rabbit_connections, then matched to a few nodes. Any input
 * gives connections or a reason, never a crash or a leak; every connection
 * kept is a Barbican program's. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "probes/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct node_conf confs[] = {
		{ (char *)"w", SVC_WORKER, (char *)"10.0.0.1", NULL, NULL, 2, true, NULL },
		{ (char *)"l", SVC_KEYSTONE_LISTENER, (char *)"ctl1", NULL, NULL, 2, true, NULL },
		{ (char *)"r", SVC_RETRY, (char *)"localhost", NULL, NULL, 2, true, NULL },
	};
	struct settings st;
	memset(&st, 0, sizeof(st));
	st.nodes = confs;
	st.nnodes = 3;
	st.rabbit_url = (char *)"http://x";
	struct snapshot s;
	snapshot_init(&s, &st);
	s.nodes[2].is_local = true;
	s.rabbit.probed = true;
	char *why = NULL;
	if (!parse_rabbit_connections((const char *)data, size, &s.rabbit, &why)) {
		if (!why)
			abort();
		s.rabbit.error = why;
	} else {
		for (size_t i = 0; i < s.rabbit.nconns; i++)
			if (!s.rabbit.conns[i].program ||
			    strncmp(s.rabbit.conns[i].program, "barbican-", 9) != 0)
				abort();
	}
	snapshot_apply_rabbit(&s);
	snapshot_free(&s);
	return 0;
}
