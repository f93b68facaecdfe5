/* journal: every step `upgrade next` ran or vouched for, oldest first, from
 * the journal file (JSON lines). Lines that cannot be read are reported,
 * never fatal. */
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "render/pyjson.h"
#include "proc/argv.h"
#include "probes/observe.h"
#include "upgrade.h"

#define USAGE "journal [--json] [--watch S]"
#define SCHEMA "barbican-status/journal/1"

static void iso(char *buf, size_t n, time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void print_text(FILE *f, const char *path, const struct journal_record *r, size_t n,
		       const size_t *bad, size_t nbad)
{
	fprintf(f, "journal: %s (%zu record%s)\n", path, n, n == 1 ? "" : "s");
	for (size_t i = 0; i < n; i++) {
		char start[32], end[32];
		iso(start, sizeof(start), r[i].start);
		iso(end, sizeof(end), r[i].end);
		char *node = r[i].node ? sanitize_term(r[i].node, false) : NULL;
		char *line = r[i].argv ? argv_display(r[i].argv) : NULL;
		char *line_safe = line ? sanitize_term(line, false) : NULL;
		/* a detail's lines (a failed step's output) each on a line of their own */
		char *detail = r[i].detail ? sanitize_term(r[i].detail, true) : NULL;
		char *user = sanitize_term(r[i].user ? r[i].user : "?", false);
		char *host = sanitize_term(r[i].host ? r[i].host : "?", false);
		fprintf(f, "%s  %-12s %-16s %-13s %s@%s", start, journal_outcome_name(r[i].outcome),
		       r[i].step ? r[i].step : "?", node ? node : "-", user, host);
		if (r[i].has_exit)
			fprintf(f, "  exit %d", r[i].exit_code);
		if (r[i].has_signal)
			fprintf(f, "  signal %d", r[i].signal);
		fprintf(f, "  (%.0f s)\n", difftime(r[i].end, r[i].start));
		if (line_safe)
			fprintf(f, "    %s\n", line_safe);
		for (const char *p = detail && *detail ? detail : NULL; p;) {
			const char *nl = strchr(p, '\n');
			fprintf(f, "    %.*s\n", (int)(nl ? nl - p : (long)strlen(p)), p);
			p = nl ? nl + 1 : NULL;
		}
		free(node);
		free(line);
		free(line_safe);
		free(detail);
		free(user);
		free(host);
	}
	for (size_t i = 0; i < nbad; i++)
		fprintf(f, "line %zu of the journal is not a record (left as is)\n", bad[i]);
}

static json_t *opt_str(const char *s)
{
	return s ? pyjson_str(s) : json_null();
}

static void print_json(FILE *f, const char *path, const struct journal_record *r, size_t n,
		       const size_t *bad, size_t nbad)
{
	json_t *doc = json_object();
	json_object_set_new(doc, "schema", json_string(SCHEMA));
	json_object_set_new(doc, "path", pyjson_str(path));
	json_t *recs = json_array();
	for (size_t i = 0; i < n; i++) {
		char start[32], end[32];
		iso(start, sizeof(start), r[i].start);
		iso(end, sizeof(end), r[i].end);
		json_t *o = json_object();
		json_object_set_new(o, "id", opt_str(r[i].id));
		json_object_set_new(o, "user", opt_str(r[i].user));
		json_object_set_new(o, "host", opt_str(r[i].host));
		json_object_set_new(o, "step", opt_str(r[i].step));
		json_object_set_new(o, "node", opt_str(r[i].node));
		json_t *argv = json_null();
		if (r[i].argv) {
			argv = json_array();
			for (char **a = r[i].argv; *a; a++)
				json_array_append_new(argv, pyjson_str(*a));
		}
		json_object_set_new(o, "argv", argv);
		json_object_set_new(o, "start", json_string(start));
		json_object_set_new(o, "end", json_string(end));
		json_object_set_new(o, "exit", r[i].has_exit ? json_integer(r[i].exit_code) : json_null());
		json_object_set_new(o, "signal", r[i].has_signal ? json_integer(r[i].signal) : json_null());
		json_object_set_new(o, "outcome", json_string(journal_outcome_name(r[i].outcome)));
		json_object_set_new(o, "detail", opt_str(r[i].detail));
		json_object_set_new(o, "release", opt_str(r[i].release));
		json_object_set_new(o, "revision", opt_str(r[i].revision));
		json_array_append_new(recs, o);
	}
	json_object_set_new(doc, "records", recs);
	json_t *b = json_array();
	for (size_t i = 0; i < nbad; i++)
		json_array_append_new(b, json_integer((json_int_t)bad[i]));
	json_object_set_new(doc, "unreadable_lines", b);
	char *text = pyjson_dumps(doc);
	fprintf(f, "%s\n", text);
	free(text);
	json_decref(doc);
}

static int show(struct cli *cli, FILE *f, void *arg)
{
	const struct output_ops *out = arg;
	struct settings st;
	int rc;
	if ((rc = cli_load(cli, &st)))
		return rc;
	struct model md;
	model_init(&md, &st, settings_manifest(&st));
	struct observe_opts oo = { OBS_DB, false, 0, NULL, cli->dbkeep };
	struct bs_err err = { 0 };
	enum bs_status rs = model_observe(&md, &oo, &err);
	if (md.snap.record.error) {
		char *e = sanitize_term(md.snap.record.error, false);
		fprintf(stderr, BS_PROG ": %s; showing this operator's journal only\n", e);
		free(e);
	}
	if (rs != BS_ST_OK) {
		bs_err_print(&err);
		rc = bs_status_exit_code(err.status);
	} else if (out == &output_json) {
		print_json(f, md.journal_path, md.journal, md.njournal, md.journal_bad, md.njournal_bad);
	} else {
		print_text(f, md.journal_path, md.journal, md.njournal, md.journal_bad, md.njournal_bad);
	}
	model_free(&md);
	settings_free(&st);
	return rc;
}

int cmd_journal(struct cli *cli, int argc, char **argv)
{
	const struct output_ops *out;
	double watch;
	int rc = cli_output_opts(argc, argv, USAGE,
		"Show every step that `upgrade next` ran or vouched for: when, who (user and\n"
		"host), which step and node, the argv, exit code or signal, and the outcome\n"
		"(verified, not-verified, failed, vouched, cancelled, running, abandoned):\n"
		"the shared record in the database ([record]) merged with this operator's\n"
		"journal, [journal] path, else $XDG_STATE_HOME/barbican-status/journal.jsonl,\n"
		"else ~/.local/state/barbican-status/journal.jsonl. Exit status 0 when it was\n"
		"shown (a missing journal has no records), 255 when it cannot be read.", &out, &watch);
	if (rc >= 0)
		return rc;
	return cli_watch(cli, "journal", watch, out == &output_json, show, (void *)out);
}
