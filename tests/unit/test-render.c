/* test-render.c: the text and JSON renderers of the CLI against golden files
 * written by hand from the specification (tests/data/golden/), for fixed
 * snapshots built here. The renderers' sources are compiled into this test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/xalloc.h"
#include "golden.h"

static char *slurp(const char *name)
{
	char *rel = xasprintf("%s%s", "", name);
	char *text = golden_read(rel);
	free(rel);
	return text;
}

typedef void (*render_fn)(FILE *f, const struct snapshot *s, const struct manifest *m);

static char *render(render_fn fn, const struct snapshot *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	fn(m, s, manifest_builtin());
	fclose(m);
	return buf;
}

static void assert_golden(const char *got, const char *golden)
{
	char *want = slurp(golden);
	if (strcmp(got, want) != 0) {
		print_error("--- %s (golden)\n%s--- rendered\n%s", golden, want, got);
		free(want);
		fail_msg("%s differs", golden);
	}
	free(want);
}

static void obj(struct node_obs *o, const char *name, const char *version, enum value_source src)
{
	o->objects = xreallocarray(o->objects, o->nobjects + 1, sizeof(*o->objects));
	o->objects[o->nobjects].name = xstrdup(name);
	o->objects[o->nobjects].version = xstrdup(version);
	o->nobjects++;
	o->objects_src = src;
}

static struct node_conf confs[] = {
	{ "ctl1-api", SVC_API, "ctl1", "http://ctl1:9311", NULL, 2, true, NULL },
	{ "ctl2-wrk", SVC_WORKER, "ctl2", NULL, "http://ctl2:9312/version-report", 2, true, NULL },
	{ "ctl3-api", SVC_API, "ctl3", "http://ctl3:9311", NULL, 2, true, NULL },
	{ "ctl4-wrk", SVC_WORKER, "ctl4", NULL, "http://ctl4:9312/version-report", 2, true, NULL },
	{ "ctl5-retry", SVC_RETRY, "ctl5", NULL, NULL, 2, true, NULL },
};

static void fleet(struct settings *st, struct snapshot *s, size_t first, size_t n)
{
	memset(st, 0, sizeof(*st));
	st->nodes = &confs[first];
	st->nnodes = n;
	snapshot_init(s, st);
	s->target = xstrdup("15.0.1");
	s->target_src = TARGET_CONFIG;
	for (size_t i = 0; i < n; i++) {
		struct node_obs *o = &s->nodes[i].obs;
		const char *name = s->nodes[i].conf->name;
		if (!strcmp(name, "ctl1-api")) {
			o->state = NS_UP;
			o->probed = true;
			o->seen_wall = 1;
			o->release = xstrdup("15.0.1");
			o->build_release = xstrdup("15.0.1");
			o->release_src = SRC_BUILD;
			o->api_min = xstrdup("1.0");
			o->api_max = xstrdup("1.1");
			o->health_status = 200;
			o->latency_ms = 3.2;
		} else if (!strcmp(name, "ctl2-wrk")) {
			o->state = NS_UP;
			o->probed = true;
			o->seen_wall = 1;
			o->release = xstrdup("14.0.2");
			o->report_release = xstrdup("14.0.2");
			o->release_src = SRC_REPORT;
			o->rpc_version = xstrdup("1.1");
			o->rpc_cap = xstrdup("1.0");
			o->rpc_src = SRC_REPORT;
			obj(o, "Secret", "1.0", SRC_REPORT);
			obj(o, "Order", "1.1", SRC_REPORT);
			o->report_state = xstrdup("up");
			o->started_at = xstrdup("2026-11-25T18:00:00Z");
			o->data_migrations_remaining = 0;
			o->latency_ms = 12.6;
		} else if (!strcmp(name, "ctl3-api")) {
			o->state = NS_DOWN;
			o->probed = true;
			o->error = xstrdup("GET /: Failed to connect to ctl3 port 9311: Connection refused");
		} else if (!strcmp(name, "ctl4-wrk")) {
			o->state = NS_UP;
			o->probed = true;
			o->seen_wall = 1;
			o->release = xstrdup("15.0.1\x1b[2J");
			o->report_release = xstrdup("15.0.1\x1b[2J");
			o->release_src = SRC_REPORT;
			o->report_state = xstrdup("up");
			o->latency_ms = 0.6;
		}
	}
	snapshot_derive(s, manifest_builtin());
}

static void nodes_text_matches_golden(void **state)
{
	(void)state;
	struct settings st;
	struct snapshot s;
	fleet(&st, &s, 0, 5);
	char *got = render(output_text.nodes, &s);
	assert_golden(got, "nodes.txt");
	free(got);
	snapshot_free(&s);
}

static void nodes_json_matches_golden(void **state)
{
	(void)state;
	struct settings st;
	struct snapshot s;
	fleet(&st, &s, 1, 1);
	char *got = render(output_json.nodes, &s);
	assert_golden(got, "nodes.json");
	free(got);
	snapshot_free(&s);
}

static void database(struct settings *st, struct snapshot *s)
{
	memset(st, 0, sizeof(*st));
	snapshot_init(s, st);
	s->target = xstrdup("15.0.1");
	s->target_src = TARGET_CONFIG;
	struct db_obs *d = &s->db;
	d->configured = true;
	d->option = xstrdup("[DEFAULT] sql_connection in /etc/barbican/barbican.conf line 27");
	d->url_masked = xstrdup("postgresql+psycopg2://barbican:***@db1:5432/barbican");
	d->scheme = xstrdup("postgresql+psycopg2");
	d->backend = xstrdup("PostgreSQL");
	d->supported = d->probed = d->reachable = d->versioned = true;
	d->heads = xcalloc(1, sizeof(*d->heads));
	d->heads[0] = xstrdup("0f8c192a061f");
	d->nheads = 1;
}

static void migrations_text_matches_golden(void **state)
{
	(void)state;
	struct settings st;
	struct snapshot s;
	database(&st, &s);
	char *got = render(output_text.migrations, &s);
	assert_golden(got, "migrations.txt");
	free(got);
	snapshot_free(&s);
}

static void migrations_json_matches_golden(void **state)
{
	(void)state;
	struct settings st;
	struct snapshot s;
	database(&st, &s);
	char *got = render(output_json.migrations, &s);
	assert_golden(got, "migrations.json");
	free(got);
	snapshot_free(&s);
}

static void upgrade_check(const struct output_ops *ops, const char *golden)
{
	struct settings st = { 0 };
	struct snapshot s;
	snapshot_init(&s, &st);
	struct check_result r[2] = {
		{ check_find("policy-json"), BS_SUCCESS, NULL, NULL, false },
		{ check_find("db-revision"), BS_FAILURE,
		  xstrdup("The database is at 1bece815014f, a revision of the pre-rebase chain that "
			  "15.0.1 does not know."),
		  xstrdup("Bring it to 0f8c192a061f with 10.0.0 first."), false },
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	ops->upgrade_check(m, &s, r, 2);
	fclose(m);
	assert_golden(buf, golden);
	free(buf);
	free(r[1].details);
	free(r[1].remediation);
	snapshot_free(&s);
}

static void upgrade_check_table_matches_golden(void **state)
{
	(void)state;
	upgrade_check(&output_text, "upgrade-check.txt");
}

static void upgrade_check_json_matches_golden(void **state)
{
	(void)state;
	upgrade_check(&output_json, "upgrade-check.json");
}

/* "What to do" never breaks a command across lines: each command a
 * remediation names is on one line of the output, whole, so that it can be
 * copied into a shell. The policy file path moves the command along the
 * line, so every length from short to past the line's width is tried. */
static void what_to_do_never_breaks_a_command_across_lines(void **state)
{
	(void)state;
	static const char *const dirs[] = { "/etc/barbican", "/etc/barbican/x", "/srv/conf/barbican",
					    "/etc", "/a/b", "/etc/barbican/with-a-long-name/policies" };
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		for (size_t pad = 0; pad < 40; pad++) {
			char *path = xasprintf("%s/%.*spolicy.json", dirs[d], (int)pad,
					       "pppppppppppppppppppppppppppppppppppppppppppp");
			struct check_result r = { check_find("policy-json"), BS_FAILURE, NULL,
						  xasprintf("Convert it: oslopolicy-convert-json-to-yaml "
							    "--namespace barbican --policy-file %s "
							    "--output-file policy.yaml, then set "
							    "[oslo_policy] policy_file = policy.yaml.", path),
						  false };
			char *cmd = xasprintf("oslopolicy-convert-json-to-yaml --namespace barbican "
					      "--policy-file %s --output-file policy.yaml", path);
			struct check_result rs[2] = {
				r,
				{ check_find("db-pending"), BS_WARNING, NULL,
				  xasprintf("Expand first%.*s, while the old release runs: barbican-manage "
					    "db upgrade -v 8c74e2d7f1ff; the contract migrations wait.",
					    (int)pad, "........................................"),
				  false },
			};
			struct settings st = { 0 };
			struct snapshot s;
			snapshot_init(&s, &st);
			char *buf = NULL;
			size_t len = 0;
			FILE *m = open_memstream(&buf, &len);
			output_text.upgrade_check(m, &s, rs, 2);
			fclose(m);
			const char *todo = strstr(buf, "What to do:\n");
			assert_non_null(todo);
			if (!strstr(todo, cmd) ||
			    !strstr(todo, "barbican-manage db upgrade -v 8c74e2d7f1ff"))
				fail_msg("a command is broken across lines:\n%s", todo);
			free(buf);
			free(cmd);
			free(path);
			free(rs[0].remediation);
			free(rs[1].remediation);
			snapshot_free(&s);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nodes_text_matches_golden),
		cmocka_unit_test(nodes_json_matches_golden),
		cmocka_unit_test(migrations_text_matches_golden),
		cmocka_unit_test(migrations_json_matches_golden),
		cmocka_unit_test(upgrade_check_table_matches_golden),
		cmocka_unit_test(upgrade_check_json_matches_golden),
		cmocka_unit_test(what_to_do_never_breaks_a_command_across_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
