/* test-sources.c: a node's sources merged (node_merge), RabbitMQ's
 * connections matched to nodes (snapshot_apply_rabbit), the management
 * API's reply read (parse_rabbit_connections), transport_url's credentials,
 * and the nodes-discovered check. Pure: snapshots built here, replies
 * written here in the form RabbitMQ 3.10's /api/connections documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"
#include "core/dburl.h"
#include "core/snapshot.h"
#include "core/xalloc.h"
#include "probes/parse.h"

static struct node_conf confs[] = {
	{ (char *)"w-ctl1", SVC_WORKER, (char *)"ctl1", NULL, NULL, 2, true, NULL },
	{ (char *)"w-ctl2", SVC_WORKER, (char *)"ctl2", NULL, NULL, 2, true, NULL },
	{ (char *)"l-ctl1", SVC_KEYSTONE_LISTENER, (char *)"ctl1", NULL, NULL, 2, true, NULL },
	{ (char *)"w-here", SVC_WORKER, (char *)"jump", NULL, NULL, 2, true, NULL },
	{ (char *)"api", SVC_API, (char *)"ctl1", (char *)"http://ctl1:9311", NULL, 2, true, NULL },
};

struct world {
	struct settings st;
	struct snapshot s;
};

static void world(struct world *w, const char *reply)
{
	memset(w, 0, sizeof(*w));
	w->st.nodes = confs;
	w->st.nnodes = sizeof(confs) / sizeof(confs[0]);
	w->st.rabbit_url = (char *)"http://rabbit:15672";
	snapshot_init(&w->s, &w->st);
	/* what probes/rabbit.c would resolve: ctl1 and ctl2 by address, jump is this machine */
	const char *addrs[] = { "10.0.0.1", "10.0.0.2", "10.0.0.1", "192.168.5.5", NULL };
	for (size_t i = 0; i < 4; i++) {
		struct node *n = &w->s.nodes[i];
		n->addrs = xcalloc(1, sizeof(char *));
		n->addrs[0] = xstrdup(addrs[i]);
		n->naddrs = 1;
		n->addrs_resolved = true;
		n->is_local = i == 3;
	}
	w->s.rabbit.probed = true;
	char *why = NULL;
	if (reply && !parse_rabbit_connections(reply, strlen(reply), &w->s.rabbit, &why))
		fail_msg("parse: %s", why);
	snapshot_apply_rabbit(&w->s);
}

static const char reply[] =
	"[{\"client_properties\": {\"connection_name\": \"barbican-worker:4242:0b1c\"},"
	"  \"peer_host\": \"10.0.0.1\", \"connected_at\": 1795603327000, \"user\": \"barbican\","
	"  \"vhost\": \"/\"},"
	" {\"client_properties\": {\"connection_name\": \"barbican-worker:4243:0b1d\"},"
	"  \"peer_host\": \"10.0.0.1\", \"connected_at\": 1795603330000},"
	" {\"client_properties\": {\"connection_name\": \"barbican-keystone-listener:77:aa\"},"
	"  \"peer_host\": \"10.0.0.2\", \"connected_at\": 1795603327000},"
	" {\"client_properties\": {\"connection_name\": \"barbican-worker:99:zz\"},"
	"  \"peer_host\": \"127.0.0.1\", \"connected_at\": 1795603327000},"
	" {\"client_properties\": {\"connection_name\": \"nova-compute:5:x\"},"
	"  \"peer_host\": \"10.0.0.1\"},"
	" {\"client_properties\": {}, \"peer_host\": \"10.0.0.9\"}]";

static void a_connection_belongs_by_program_and_host(void **state)
{
	struct world w;
	world(&w, reply);
	const struct node *n = &w.s.nodes[0];
	assert_int_equal(w.s.rabbit.nconns, 4);   /* Barbican's only */
	assert_int_equal(w.s.rabbit.nother, 2);
	assert_int_equal(n->rabbit.nconns, 2);
	assert_int_equal(n->rabbit.pids[0], 4242);
	assert_int_equal(n->rabbit.pids[1], 4243);
	assert_string_equal(n->rabbit.since, "2026-11-25T10:42:07Z"); /* the older */
	assert_int_equal(n->obs.state, NS_UP);
	/* ctl2's worker has none: down, saying so */
	assert_int_equal(w.s.nodes[1].obs.state, NS_DOWN);
	assert_non_null(strstr(w.s.nodes[1].obs.error, "no RabbitMQ connection of barbican-worker"));
	/* the listener on 10.0.0.2 is not ctl1's listener */
	assert_int_equal(w.s.nodes[2].obs.state, NS_DOWN);
	/* a loopback peer belongs to the node on this machine */
	assert_int_equal(w.s.nodes[3].rabbit.nconns, 1);
	assert_int_equal(w.s.nodes[3].rabbit.pids[0], 99);
	/* barbican-api is not RabbitMQ's business here */
	assert_int_equal(w.s.nodes[4].obs.state, NS_UNKNOWN);
	assert_false(w.s.nodes[4].rabbit.asked);
	snapshot_free(&w.s);
}

static void an_undescribed_process_is_discovered_and_warned_about(void **state)
{
	struct world w;
	world(&w, reply);
	size_t unmatched = 0;
	for (size_t i = 0; i < w.s.rabbit.nconns; i++)
		unmatched += !w.s.rabbit.conns[i].matched;
	assert_int_equal(unmatched, 1); /* the listener from 10.0.0.2 */
	struct check_ctx cc = { &w.s, manifest_builtin() };
	struct check_result r = { check_find("nodes-discovered"), BS_SUCCESS, NULL, NULL, false };
	check_nodes_discovered(&cc, &r);
	assert_int_equal(r.code, BS_WARNING);
	assert_non_null(strstr(r.details, "barbican-keystone-listener on 10.0.0.2 (pid 77)"));
	assert_non_null(r.remediation);
	free(r.details);
	free(r.remediation);
	snapshot_free(&w.s);
}

static void an_unanswering_api_leaves_the_nodes_unknown_never_down(void **state)
{
	struct world w;
	world(&w, NULL);
	w.s.rabbit.error = xstrdup("GET /api/connections: HTTP 401: the credentials were refused");
	snapshot_apply_rabbit(&w.s);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(w.s.nodes[i].obs.state, NS_UNKNOWN);
		assert_non_null(strstr(w.s.nodes[i].obs.error, "credentials were refused"));
	}
	struct check_ctx cc = { &w.s, manifest_builtin() };
	struct check_result r = { check_find("nodes-discovered"), BS_SUCCESS, NULL, NULL, false };
	check_nodes_discovered(&cc, &r);
	assert_int_equal(r.code, BS_SUCCESS);
	free(r.details);
	free(r.remediation);
	snapshot_free(&w.s);
}

static void a_report_that_says_up_without_a_connection_is_down(void **state)
{
	struct world w;
	world(&w, "[]");
	struct node *n = &w.s.nodes[0];
	/* as if report_command had answered "up" */
	struct node_obs *fc = node_cmd_obs(n);
	fc->probed = true;
	fc->state = NS_UP;
	fc->release = xstrdup("15.0.1");
	fc->report_release = xstrdup("15.0.1");
	fc->release_src = SRC_REPORT;
	confs[0].report_command = (char *)"ssh {host} barbican-status report --service {service}";
	node_merge(n);
	assert_int_equal(n->obs.state, NS_DOWN);
	assert_string_equal(n->obs.release, "15.0.1");
	/* and with its connection, up */
	struct rabbit_conn k = { (char *)"barbican-worker", 12, (char *)"10.0.0.1", NULL, NULL, NULL,
				 false };
	n->rabbit.asked = true;
	n->rabbit.nconns = 1;
	n->rabbit.pids = xcalloc(1, sizeof(long));
	n->rabbit.pids[0] = k.pid;
	node_merge(n);
	assert_int_equal(n->obs.state, NS_UP);
	confs[0].report_command = NULL;
	snapshot_free(&w.s);
}

static void a_numeric_host_counts_its_connection_once(void **state)
{
	struct world w;
	confs[1].host = (char *)"10.0.0.2"; /* resolves to itself */
	confs[1].service = SVC_KEYSTONE_LISTENER;
	world(&w, reply);
	assert_int_equal(w.s.nodes[1].rabbit.nconns, 1);
	assert_int_equal(w.s.nodes[1].rabbit.pids[0], 77);
	assert_int_equal(w.s.nodes[1].obs.state, NS_UP);
	confs[1].host = (char *)"ctl2";
	confs[1].service = SVC_WORKER;
	snapshot_free(&w.s);
}

static struct journal_record *one(const char *id, enum journal_outcome o, const char *detail)
{
	struct journal_record *r = xcalloc(1, sizeof(*r));
	r->id = xstrdup(id);
	r->user = xstrdup("u");
	r->host = xstrdup("h");
	r->step = xstrdup("expand");
	r->outcome = o;
	r->detail = xstrdup(detail);
	return r;
}

/* The local journal has a step's end, the database read a moment before
 * still its start (or the other way round): the end is what counts. */
static void a_steps_start_never_hides_its_end(void **state)
{
	struct journal_record *out;
	size_t n;
	records_merge(one("x", OUTCOME_VERIFIED, "local end"), 1, one("x", OUTCOME_RUNNING, "db start"),
		      1, &out, &n);
	assert_int_equal(n, 1);
	assert_int_equal(out[0].outcome, OUTCOME_VERIFIED);
	journal_records_free(out, n);
	records_merge(one("x", OUTCOME_RUNNING, "local start"), 1, one("x", OUTCOME_VOUCHED, "db end"),
		      1, &out, &n);
	assert_int_equal(out[0].outcome, OUTCOME_VOUCHED);
	journal_records_free(out, n);
	/* both ended: the database's */
	records_merge(one("x", OUTCOME_FAILED, "local"), 1, one("x", OUTCOME_ABANDONED, "db"), 1,
		      &out, &n);
	assert_string_equal(out[0].detail, "db");
	journal_records_free(out, n);
}

static void transport_url_gives_its_first_hosts_credentials(void **state)
{
	char *u, *p;
	assert_true(transport_url_credentials("rabbit://barbican:s%40cret@ctl1:5672,"
					      "other:pw@ctl2:5672/vhost", &u, &p));
	assert_string_equal(u, "barbican");
	assert_string_equal(p, "s@cret");
	free(u);
	free(p);
	assert_true(transport_url_credentials("rabbit://guest@ctl1/", &u, &p));
	assert_string_equal(u, "guest");
	assert_null(p);
	free(u);
	assert_false(transport_url_credentials("rabbit://ctl1:5672/", &u, &p));
	assert_false(transport_url_credentials(NULL, &u, &p));
	assert_null(u);
}

static void a_reply_that_is_not_a_list_is_an_error(void **state)
{
	struct rabbit_obs o = { 0 };
	char *why = NULL;
	assert_false(parse_rabbit_connections("{\"error\": \"x\"}", 14, &o, &why));
	assert_non_null(strstr(why, "expected a list"));
	free(why);
	why = NULL;
	assert_false(parse_rabbit_connections("[{", 2, &o, &why));
	free(why);
	rabbit_obs_clear(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_connection_belongs_by_program_and_host),
		cmocka_unit_test(an_undescribed_process_is_discovered_and_warned_about),
		cmocka_unit_test(an_unanswering_api_leaves_the_nodes_unknown_never_down),
		cmocka_unit_test(a_report_that_says_up_without_a_connection_is_down),
		cmocka_unit_test(a_numeric_host_counts_its_connection_once),
		cmocka_unit_test(a_steps_start_never_hides_its_end),
		cmocka_unit_test(transport_url_gives_its_first_hosts_credentials),
		cmocka_unit_test(a_reply_that_is_not_a_list_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
