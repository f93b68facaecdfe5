/* test-parse.c: what a version report's state means (probes/parse.h). The
 * states and their node states are DESIGN.md's table: up -> up, draining and
 * stopping -> drained, stopped (a host's `barbican-status report` when no
 * process of the service runs) -> down; anything else is an invalid report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probes/parse.h"

static char *report_with_state(const char *state)
{
	size_t n = (size_t)snprintf(NULL, 0,
		"{\"schema\": \"barbican-version-report/1\", \"service\": \"barbican-worker\", "
		"\"release\": \"15.0.1\", \"state\": \"%s\"}", state) + 1;
	char *s = malloc(n);
	snprintf(s, n, "{\"schema\": \"barbican-version-report/1\", \"service\": \"barbican-worker\", "
		 "\"release\": \"15.0.1\", \"state\": \"%s\"}", state);
	return s;
}

static bool parse_state(const char *state, struct node_obs *o, char **why)
{
	char *body = report_with_state(state);
	memset(o, 0, sizeof(*o));
	o->data_migrations_remaining = -1;
	*why = NULL;
	bool ok = parse_report(body, strlen(body), SVC_WORKER, o, why);
	free(body);
	return ok;
}

static void each_state_of_the_design_maps_to_its_node_state(void **unused)
{
	static const struct {
		const char *state;
		enum node_state want;
	} cases[] = {
		{ "up", NS_UP },
		{ "draining", NS_DRAINED },
		{ "stopping", NS_DRAINED },
		{ "stopped", NS_DOWN },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct node_obs o;
		char *why;
		assert_true(parse_state(cases[i].state, &o, &why));
		assert_null(why);
		assert_int_equal(o.state, cases[i].want);
		assert_string_equal(o.report_state, cases[i].state);
		node_obs_clear(&o);
	}
}

static void a_stopped_report_keeps_its_release(void **unused)
{
	/* a host with Barbican installed and nothing running still says which
	 * release would start there */
	struct node_obs o;
	char *why;
	assert_true(parse_state("stopped", &o, &why));
	assert_string_equal(o.report_release, "15.0.1");
	node_obs_clear(&o);
}

static void an_unknown_state_is_an_invalid_report_naming_it(void **unused)
{
	const char *bad[] = { "down", "Stopped", "", "running" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct node_obs o;
		char *why;
		assert_false(parse_state(bad[i], &o, &why));
		assert_non_null(why);
		char quoted[32];
		snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
		assert_non_null(strstr(why, quoted));
		free(why);
		node_obs_clear(&o);
	}
}

static void the_optional_keys_of_a_host_report_are_accepted(void **unused)
{
	/* what `barbican-status report --json` adds: pid, pids, restart_needed,
	 * derived, processes; unknown to this parser, so ignored, never an error */
	const char *body =
		"{\"schema\": \"barbican-version-report/1\", \"service\": \"barbican-worker\", "
		"\"host\": \"ctl-2\", \"release\": \"15.0.1\", \"rpc\": {\"version\": \"1.1\", "
		"\"cap\": null}, \"objects\": {\"Secret\": \"1.0\"}, \"state\": \"up\", "
		"\"started_at\": \"2026-11-25T18:00:00Z\", \"pid\": 812, \"pids\": [812], "
		"\"restart_needed\": true, \"derived\": [\"rpc\", \"objects\"], "
		"\"processes\": [{\"pid\": 812}]}";
	struct node_obs o;
	memset(&o, 0, sizeof(o));
	o.data_migrations_remaining = -1;
	char *why = NULL;
	assert_true(parse_report(body, strlen(body), SVC_WORKER, &o, &why));
	assert_int_equal(o.state, NS_UP);
	assert_string_equal(o.report_host, "ctl-2");
	assert_string_equal(o.started_at, "2026-11-25T18:00:00Z");
	node_obs_clear(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_state_of_the_design_maps_to_its_node_state),
		cmocka_unit_test(a_stopped_report_keeps_its_release),
		cmocka_unit_test(an_unknown_state_is_an_invalid_report_naming_it),
		cmocka_unit_test(the_optional_keys_of_a_host_report_are_accepted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
