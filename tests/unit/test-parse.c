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

static bool parse_release(const char *release_json, struct node_obs *o, char **why)
{
	size_t n = strlen(release_json) + 200;
	char *body = malloc(n);
	snprintf(body, n, "{\"schema\": \"barbican-version-report/1\", \"service\": \"barbican-worker\", "
		 "\"release\": %s, \"state\": \"up\"}", release_json);
	memset(o, 0, sizeof(*o));
	o->data_migrations_remaining = -1;
	*why = NULL;
	bool ok = parse_report(body, strlen(body), SVC_WORKER, o, why);
	free(body);
	return ok;
}

/* A release is X.Y.Z (two to four numbers) with at most pbr's pre-release
 * marks (aN, bN, rcN after the last number, then .devN: a dev build, which
 * DESIGN.md compares by its numbers); anything else after the numbers makes
 * the report invalid (the node is error), never a release of the series. */
static void a_release_with_anything_after_the_version_is_an_invalid_report(void **unused)
{
	static const char *const good[] = {
		"\"15.0.1\"", "\"15.0\"", "\"2024.1.0\"", "\"16.1.0.dev12\"", "\"15.0.0.0rc1\"",
		"\"15.0.0.0b2\"", "\"15.0.0.0a1\"", "\"16.0.0.0rc2.dev3\"", "\"15.0.1.1\"",
	};
	static const char *const bad[] = {
		"\"15.0.1; rm -rf /\"", "\"15.0.1\\n\"", "\"15.0.1 \"", "\" 15.0.1\"",
		"\"15.0.1\\u200b\"", "\"15.0.1-0ubuntu1\"", "\"15.0.1.dev\"", "\"15.0.1rc\"",
		"\"15\"", "\"v15.0.1\"", "\"15.0.1.0.0\"", "\"15.0.1x\"", "\"15..1\"",
		"\"15.0.1.dev1.dev2\"",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct node_obs o;
		char *why;
		if (!parse_release(good[i], &o, &why))
			fail_msg("%s refused: %s", good[i], why);
		node_obs_clear(&o);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct node_obs o;
		char *why;
		if (parse_release(bad[i], &o, &why))
			fail_msg("%s taken as release '%s'", bad[i], o.report_release);
		assert_non_null(why);
		if (!strstr(why, "\"release\""))
			fail_msg("%s: the message does not name release: %s", bad[i], why);
		free(why);
		node_obs_clear(&o);
	}
	/* the ?build of a stock barbican-api, the same rule */
	char *rel, *why;
	assert_true(parse_build("{\"build\": \"15.0.1\"}", 19, &rel, &why));
	assert_string_equal(rel, "15.0.1");
	free(rel);
	const char *b = "{\"build\": \"15.0.1; rm -rf /\"}";
	assert_false(parse_build(b, strlen(b), &rel, &why));
	assert_null(rel);
	assert_non_null(strstr(why, "not a version"));
	free(why);
}

/* A release of 100,000 characters is named in the message by its first 64
 * bytes and its length, not whole. */
static void an_invalid_release_is_cut_in_the_message(void **unused)
{
	size_t n = 100000;
	char *r = malloc(n + 3);
	r[0] = '"';
	memset(r + 1, '9', n);
	memcpy(r + 1, "15.0.1;", 7);
	r[n + 1] = '"';
	r[n + 2] = '\0';
	struct node_obs o;
	char *why;
	assert_false(parse_release(r, &o, &why));
	assert_true(strlen(why) < 200);
	assert_non_null(strstr(why, "(100000 bytes)"));
	free(why);
	free(r);
	node_obs_clear(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_release_with_anything_after_the_version_is_an_invalid_report),
		cmocka_unit_test(an_invalid_release_is_cut_in_the_message),
		cmocka_unit_test(each_state_of_the_design_maps_to_its_node_state),
		cmocka_unit_test(a_stopped_report_keeps_its_release),
		cmocka_unit_test(an_unknown_state_is_an_invalid_report_naming_it),
		cmocka_unit_test(the_optional_keys_of_a_host_report_are_accepted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
