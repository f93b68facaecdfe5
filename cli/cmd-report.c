/* report: the version report (DESIGN.md, schema barbican-version-report/1)
 * of one service of this host, from what the host shows (probes/host.h):
 * the installed release, the service's processes, whether one of them runs
 * code older than the installed one, whether the host is drained. It is what
 * a node's report_command runs (e.g. over ssh), and what the probes parse. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "core/manifest.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "probes/host.h"
#include "probes/parse.h"
#include "proc/argv.h"
#include "render/pyjson.h"

#define USAGE "report --service SERVICE [--json] [--proc DIR] [--root DIR]"

static const char description[] =
	"Print the version report of SERVICE on this host, from /proc and the installed\n"
	"files: the installed Barbican release; each process of the service (pid, start,\n"
	"command line); restart needed when a process started before the installed\n"
	"code last changed (its files' ctime); state up, draining (the healthcheck\n"
	"disable file exists) or stopped (no process); the RPC and object versions of\n"
	"the release, derived from the release manifest. Processes in containers are\n"
	"read through /proc/PID/root. Exit status 0 when the report was printed\n"
	"(stopped included), 64 on a usage error, 255 when Barbican is not installed.";

static const char options[] =
	"  --service SERVICE  barbican-api, barbican-worker, barbican-keystone-listener\n"
	"                     or barbican-retry (required)\n"
	"  --json             print the report itself (schema barbican-version-report/1)\n"
	"  --proc DIR         read processes from DIR instead of /proc (for testing)\n"
	"  --root DIR         read the host's files under DIR instead of / (for testing)\n"
	"  -h, --help         show this help and exit\n";

enum { OPT_SERVICE = 1, OPT_JSON, OPT_PROC, OPT_ROOT, OPT_HELP };

static const struct arg_opt report_opts[] = {
	{ "service", 0, true, OPT_SERVICE },
	{ "json", 0, false, OPT_JSON },
	{ "proc", 0, true, OPT_PROC },
	{ "root", 0, true, OPT_ROOT },
	{ "help", 'h', false, OPT_HELP },
	{ NULL, 0, false, 0 },
};

static void iso(char *buf, size_t n, time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *state_of(const struct host_report *r)
{
	if (!r->nprocs)
		return "stopped";
	return r->draining ? "draining" : "up";
}

/* the oldest process's start */
static const struct host_proc *oldest(const struct host_report *r)
{
	const struct host_proc *o = NULL;
	for (size_t i = 0; i < r->nprocs; i++)
		if (!o || r->procs[i].start.tv_sec < o->start.tv_sec ||
		    (r->procs[i].start.tv_sec == o->start.tv_sec &&
		     r->procs[i].start.tv_nsec < o->start.tv_nsec))
			o = &r->procs[i];
	return o;
}

static void print_json(const struct host_report *r, const char *host, const struct mf_release *mr)
{
	char buf[32];
	json_t *doc = json_object();
	json_object_set_new(doc, "schema", json_string(REPORT_SCHEMA));
	json_object_set_new(doc, "service", json_string(service_name(r->service)));
	json_object_set_new(doc, "host", pyjson_str(host));
	json_object_set_new(doc, "release", pyjson_str(r->release));
	json_t *derived = json_array();
	if (mr && mr->rpc_version) {
		json_t *rpc = json_object();
		json_object_set_new(rpc, "version", json_string(mr->rpc_version));
		json_object_set_new(rpc, "cap", json_null()); /* no release sets a cap */
		json_object_set_new(doc, "rpc", rpc);
		json_array_append_new(derived, json_string("rpc"));
	} else {
		json_object_set_new(doc, "rpc", json_null());
	}
	if (mr && mr->nobjects) {
		json_t *objs = json_object();
		for (size_t i = 0; i < mr->nobjects; i++)
			json_object_set_new(objs, mr->objects[i].name, json_string(mr->objects[i].version));
		json_object_set_new(doc, "objects", objs);
		json_array_append_new(derived, json_string("objects"));
	} else {
		json_object_set_new(doc, "objects", json_null());
	}
	json_object_set_new(doc, "state", json_string(state_of(r)));
	const struct host_proc *o = oldest(r);
	if (o) {
		iso(buf, sizeof(buf), o->start.tv_sec);
		json_object_set_new(doc, "started_at", json_string(buf));
	} else {
		json_object_set_new(doc, "started_at", json_null());
	}
	if (r->nprocs == 1)
		json_object_set_new(doc, "pid", json_integer(r->procs[0].pid));
	json_t *pids = json_array();
	for (size_t i = 0; i < r->nprocs; i++)
		json_array_append_new(pids, json_integer(r->procs[i].pid));
	json_object_set_new(doc, "pids", pids);
	json_object_set_new(doc, "restart_needed", json_boolean(r->restart_needed));
	json_object_set_new(doc, "derived", derived);
	if (r->code_ctime.tv_sec) {
		iso(buf, sizeof(buf), r->code_ctime.tv_sec);
		json_object_set_new(doc, "code_changed_at", json_string(buf));
	} else {
		json_object_set_new(doc, "code_changed_at", json_null());
	}
	json_t *procs = json_array();
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct host_proc *p = &r->procs[i];
		json_t *po = json_object();
		json_object_set_new(po, "pid", json_integer(p->pid));
		iso(buf, sizeof(buf), p->start.tv_sec);
		json_object_set_new(po, "started_at", json_string(buf));
		json_t *argv = json_array();
		for (size_t k = 0; k < p->argc; k++)
			json_array_append_new(argv, pyjson_str(p->argv[k]));
		json_object_set_new(po, "argv", argv);
		json_object_set_new(po, "root", p->own_root ? pyjson_str(p->root) : json_null());
		json_object_set_new(po, "release", pyjson_str(p->release));
		json_object_set_new(po, "restart_needed", json_boolean(p->restart_needed));
		json_array_append_new(procs, po);
	}
	json_object_set_new(doc, "processes", procs);
	char *text = pyjson_dumps(doc);
	printf("%s\n", text);
	free(text);
	json_decref(doc);
}

static void print_text(const struct host_report *r, const char *host, const struct mf_release *mr)
{
	char buf[32];
	char *h = sanitize_term(host, false);
	char *where = sanitize_term(r->where ? r->where : "?", false);
	printf("%s on %s: %s\n", service_name(r->service), h, state_of(r));
	printf("release: %s (%s)\n", r->release, where);
	if (mr)
		printf("rpc: %s, objects: %zu at %s (derived from the release manifest)\n",
		       mr->rpc_version ? mr->rpc_version : "-", mr->nobjects,
		       mr->nobjects ? mr->objects[0].version : "-");
	else
		printf("rpc, objects: unknown (release not in the manifest)\n");
	if (r->code_ctime.tv_sec) {
		iso(buf, sizeof(buf), r->code_ctime.tv_sec);
		printf("code changed: %s\n", buf);
	}
	if (r->draining) {
		char *f = sanitize_term(r->disable_file, false);
		printf("draining: %s exists\n", f);
		free(f);
	}
	printf("processes: %zu\n", r->nprocs);
	size_t stale = 0;
	for (size_t i = 0; i < r->nprocs; i++) {
		const struct host_proc *p = &r->procs[i];
		iso(buf, sizeof(buf), p->start.tv_sec);
		char *line = argv_display(p->argv);
		char *safe = sanitize_term(line, false);
		printf("  %-7ld %s  %s\n", p->pid, buf, safe);
		if (p->own_root) {
			char *rt = sanitize_term(p->root, false);
			char *rel = sanitize_term(p->release ? p->release : "none", false);
			printf("          container: code read through %s (release %s)\n", rt, rel);
			free(rt);
			free(rel);
		}
		if (p->restart_needed) {
			printf("          restart needed: started before the code changed\n");
			stale++;
		}
		free(line);
		free(safe);
	}
	if (r->releases_differ)
		printf("note: the processes see different installed releases; the lowest is reported\n");
	if (stale)
		printf("restart needed: %zu of %zu process%s run%s the code installed before\n",
		       stale, r->nprocs, r->nprocs == 1 ? "" : "es", stale == 1 ? "s" : "");
	free(h);
	free(where);
}

int cmd_report(struct cli *cli, int argc, char **argv)
{
	struct arg_state a;
	args_init(&a, argc, argv, 1);
	const char *service = NULL, *proc_dir = "/proc", *root_dir = "/";
	bool json = false;
	int id;
	while ((id = args_next(&a, report_opts, false)) != ARG_END) {
		switch (id) {
		case OPT_SERVICE:
			service = a.value;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_PROC:
			proc_dir = a.value;
			break;
		case OPT_ROOT:
			root_dir = a.value;
			break;
		case OPT_HELP:
			return cli_help(USAGE, description, options);
		case ARG_POSITIONAL:
			return cli_usage_error(USAGE, "unrecognized arguments: %s", a.positional);
		default:
			return cli_usage_error(USAGE, "%s", a.error);
		}
	}
	if (!service)
		return cli_usage_error(USAGE, "the following arguments are required: --service");
	enum service_kind svc;
	if (!service_parse(service, &svc)) {
		int rc = cli_usage_error(USAGE, "argument --service: unknown service '%s' (expected "
					 "barbican-api, barbican-worker, barbican-keystone-listener "
					 "or barbican-retry)", service);
		const char *names[SVC_RETRY + 1];
		for (int k = SVC_API; k <= SVC_RETRY; k++) {
			names[k] = service_name((enum service_kind)k);
			if (strcmp(service, service_short((enum service_kind)k)) == 0) {
				fprintf(stderr, BS_PROG ": did you mean '%s'?\n", names[k]);
				return rc;
			}
		}
		cli_suggest(service, names, SVC_RETRY + 1);
		return rc;
	}

	struct host_opts ho = { proc_dir, root_dir, svc, cli->conf_args, cli->nconf_args };
	struct host_report r;
	struct bs_err err = { 0 };
	enum bs_status st = host_observe(&ho, &r, &err);
	if (st != BS_ST_OK) {
		bs_err_print(&err);
		host_report_free(&r);
		return bs_status_exit_code(st);
	}
	if (!r.release) {
		fprintf(stderr, BS_PROG ": Barbican is not installed on this host (no barbican "
			"egg-info or dist-info in the Python site directories under %s%s)\n",
			root_dir, r.nprocs ? " or the roots of its processes" : "");
		host_report_free(&r);
		return EXIT_CANNOT_TELL;
	}
	char host[256];
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	const struct mf_release *mr = mf_release(manifest_builtin(), r.release);
	if (json)
		print_json(&r, host, mr);
	else
		print_text(&r, host, mr);
	host_report_free(&r);
	return 0;
}
