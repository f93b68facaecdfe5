/* test-cmdwrap.c: text wrapped as textwrap wraps it, a command never broken
 * across lines (render/cmdwrap.h). Checked as properties at every width:
 * the words are the text's words in order, each command is whole on one
 * line, and only a line holding a command longer than the width exceeds
 * it; without a command the result is textwrap's own (itself tested
 * against Python in test-textwrap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/xalloc.h"
#include "render/cmdwrap.h"
#include "render/textwrap.h"

static const char *const programs[] = { "barbican-manage", "oslopolicy-convert-json-to-yaml" };

static const struct {
	const char *text;
	const char *commands[2]; /* as they must appear, whole, on one line */
} cases[] = {
	{ "Convert it: oslopolicy-convert-json-to-yaml --namespace barbican --policy-file "
	  "/etc/barbican/policy.json --output-file policy.yaml, then set [oslo_policy] "
	  "policy_file = policy.yaml (or delete /etc/barbican/policy.json if it only repeats "
	  "the defaults).",
	  { "oslopolicy-convert-json-to-yaml --namespace barbican --policy-file "
	    "/etc/barbican/policy.json --output-file policy.yaml", NULL } },
	{ "Expand first, while the old release runs: barbican-manage db upgrade -v 8c74e2d7f1ff; "
	  "the contract migrations wait until every node runs 15.0.1.",
	  { "barbican-manage db upgrade -v 8c74e2d7f1ff", NULL } },
	{ "Apply them before restarting services on 15.0.1: barbican-manage db upgrade (every "
	  "pending migration is expand: safe while the old release runs).",
	  { "barbican-manage db upgrade", NULL } },
	{ "Bring it to 0f8c192a061f with Barbican 10.0.0 (or older) code first, with all "
	  "services stopped: barbican-manage db upgrade -v 0f8c192a061f. No rolling upgrade is "
	  "possible from there.",
	  { "barbican-manage db upgrade -v 0f8c192a061f", NULL } },
	{ "barbican-manage db upgrade -v 8c74e2d7f1ff then oslopolicy-convert-json-to-yaml "
	  "--namespace barbican --policy-file p.json --output-file policy.yaml",
	  { "barbican-manage db upgrade -v 8c74e2d7f1ff then", /* a clause runs on */
	    "oslopolicy-convert-json-to-yaml --namespace barbican --policy-file p.json "
	    "--output-file policy.yaml" } },
};

static char **words(const char *s, size_t *n)
{
	char **v = NULL;
	*n = 0;
	while (*s) {
		while (*s == ' ' || *s == '\n')
			s++;
		const char *e = s;
		while (*e && *e != ' ' && *e != '\n')
			e++;
		if (e > s) {
			v = xreallocarray(v, *n + 1, sizeof(*v));
			v[(*n)++] = xstrndup(s, (size_t)(e - s));
		}
		s = e;
	}
	return v;
}

static void free_words(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void a_command_is_whole_on_one_line_at_every_width(void **state)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		for (size_t width = 28; width <= 130; width++) { /* no word of prose over a line */
			char *got = textwrap_fill_commands(cases[c].text, width, "- ", "  ", programs, 2);
			size_t nw, ngw;
			char **w = words(cases[c].text, &nw), **gw = words(got, &ngw);
			if (nw + 1 != ngw || strcmp(gw[0], "-") != 0)
				fail_msg("width %zu: words changed:\n%s", width, got);
			for (size_t i = 0; i < nw; i++)
				if (strcmp(w[i], gw[i + 1]) != 0)
					fail_msg("width %zu: word %zu '%s' became '%s'", width, i, w[i], gw[i + 1]);
			free_words(w, nw);
			free_words(gw, ngw);
			for (size_t k = 0; k < 2 && cases[c].commands[k]; k++)
				if (!strstr(got, cases[c].commands[k]))
					fail_msg("width %zu: '%s' broken:\n%s", width, cases[c].commands[k], got);
			/* a line over the width holds a command too long for any line */
			for (char *line = got; *line;) {
				size_t len = strcspn(line, "\n");
				bool long_command = false;
				for (size_t k = 0; k < 2 && cases[c].commands[k]; k++)
					/* the indent, the command, the mark after it */
					long_command |= 2 + strlen(cases[c].commands[k]) + 1 > width &&
							memmem(line, len, cases[c].commands[k],
							       strlen(cases[c].commands[k]));
				if (len > width && !long_command)
					fail_msg("width %zu: line over the width: '%.*s'", width, (int)len, line);
				line += len + (line[len] == '\n');
			}
			free(got);
		}
	}
}

static void text_without_a_command_is_wrapped_as_textwrap_wraps_it(void **state)
{
	static const char *const texts[] = {
		"Describe each service process in a [node:NAME] section with its service "
		"(barbican-api, barbican-worker, barbican-keystone-listener or barbican-retry).",
		"Point [DEFAULT] sql_connection in /tmp/defects-nonodes.conf line 2 at Barbican's "
		"PostgreSQL database; with another database the schema checks cannot run.",
		"barbican-manager is not barbican-manage, nor is xbarbican-manage",
	};
	for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
		for (size_t width = 5; width <= 100; width++) {
			char *want = textwrap_fill(texts[t], width, "- ", "  ");
			char *got = textwrap_fill_commands(texts[t], width, "- ", "  ", programs, 2);
			if (strcmp(want, got) != 0)
				fail_msg("width %zu:\n%s\nnot as textwrap:\n%s", width, got, want);
			free(want);
			free(got);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_command_is_whole_on_one_line_at_every_width),
		cmocka_unit_test(text_without_a_command_is_wrapped_as_textwrap_wraps_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
