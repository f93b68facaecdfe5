/* test-host.c: a service's processes, release, restart-needed and draining
 * as probes/host.c reads them, over a fake /proc and a fake root made here:
 * a python3-run worker started before the installed code changed and one
 * after, a kolla worker in a container with its own root and release, a uwsgi
 * barbican-api with a worker whose argv uwsgi rewrote, a uwsgi whose ini file
 * alone names Barbican, a keystone listener run as a module, and processes
 * that only mention Barbican. Every expected value is what the test put in
 * the tree. Also the parsers, table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "probes/host.h"

#define BTIME 1000000000LL   /* the fake boot: 2001-09-09 */

struct tree {
	char dir[64];
	char *proc, *root, *cont;
	long hz;
	time_t code_ctime;       /* when the test wrote the installed code */
};

static void mkdirs(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	mkdir(p, 0755);
	free(p);
}

static void put(const char *path, const char *data, size_t len)
{
	char *d = xstrdup(path);
	*strrchr(d, '/') = '\0';
	mkdirs(d);
	free(d);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void puts_at(const char *base, const char *rel, const char *text)
{
	char *p = xasprintf("%s/%s", base, rel);
	put(p, text, strlen(text));
	free(p);
}

/* A process: its stat line from ppid, comm and start (seconds after boot),
 * its cmdline from words, its root. */
static void add_proc(struct tree *t, long pid, long ppid, const char *comm, long long start_s,
		     const char *root, const char *const *words)
{
	char rel[64];
	snprintf(rel, sizeof(rel), "%ld/stat", pid);
	char *stat = xasprintf("%ld (%s) S %ld %ld %ld 0 -1 4194560 100 0 0 0 10 5 0 0 20 0 1 0 %lld "
			       "1000000 200 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0\n",
			       pid, comm, ppid, pid, pid, start_s * t->hz);
	puts_at(t->proc, rel, stat);
	free(stat);
	size_t len = 0;
	char buf[1024];
	for (const char *const *w = words; *w; w++) {
		size_t n = strlen(*w) + 1;
		memcpy(buf + len, *w, n);
		len += n;
	}
	snprintf(rel, sizeof(rel), "%s/%ld/cmdline", t->proc, pid);
	put(rel, buf, len);
	snprintf(rel, sizeof(rel), "%s/%ld/root", t->proc, pid);
	assert_int_equal(symlink(root, rel), 0);
}

static int setup(void **state)
{
	struct tree *t = xcalloc(1, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/bs-host-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	t->proc = xasprintf("%s/proc", t->dir);
	t->root = xasprintf("%s/root", t->dir);
	t->cont = xasprintf("%s/container", t->dir);
	t->hz = sysconf(_SC_CLK_TCK);

	/* the host: Debian's python3-barbican 15.0.1 and its config */
	t->code_ctime = time(NULL);
	puts_at(t->root, "usr/lib/python3/dist-packages/barbican-15.0.1.egg-info/PKG-INFO",
		"Name: barbican\nVersion: 15.0.1\n");
	puts_at(t->root, "usr/lib/python3/dist-packages/barbican/__init__.py", "");
	puts_at(t->root, "usr/lib/python3/dist-packages/barbican/version.py", "");
	puts_at(t->root, "etc/barbican/barbican-api-paste.ini",
		"[app:healthcheck]\npaste.app_factory = oslo_middleware:Healthcheck.app_factory\n"
		"backends = disable_by_file\ndisable_by_file_path = /etc/barbican/healthcheck_disable\n");
	puts_at(t->root, "etc/uwsgi/apps/keymanager.ini",
		"[uwsgi]\nmaster = true\nwsgi-file = /usr/bin/barbican-wsgi-api\n");
	/* a kolla container: a venv with 16.0.0 */
	puts_at(t->cont, "var/lib/kolla/venv/lib/python3.12/site-packages/barbican-16.0.0.dist-info/METADATA",
		"Name: barbican\nVersion: 16.0.0\n");

	puts_at(t->proc, "stat", "cpu  1 2 3 4 5\nintr 1\nctxt 2\nbtime 1000000000\nprocesses 3\n");
	char *self = xasprintf("%s/self", t->proc);
	mkdirs(self);
	char *selfroot = xasprintf("%s/root", self);
	assert_int_equal(symlink(t->root, selfroot), 0);
	free(self);
	free(selfroot);

	long long before = (long long)t->code_ctime - BTIME - 3600; /* an hour before the code */
	long long after = (long long)t->code_ctime - BTIME + 3600;  /* an hour after */
	static const char *const w100[] = { "/usr/bin/python3", "/usr/bin/barbican-worker",
					    "--config-file=/etc/barbican/barbican.conf", NULL };
	static const char *const w101[] = { "/usr/bin/barbican-worker", NULL };
	static const char *const w104[] = { "/var/lib/kolla/venv/bin/python3",
					    "/var/lib/kolla/venv/bin/barbican-worker", NULL };
	static const char *const a102[] = { "/usr/bin/uwsgi_python3", "--ini",
					    "/etc/barbican/barbican-api-uwsgi.ini", NULL };
	static const char *const a103[] = { "uWSGI worker 1", NULL };
	static const char *const n105[] = { "tail", "-f", "/var/log/barbican/barbican-worker.log", NULL };
	static const char *const n106[] = { "barbican-status", "report", "--service",
					    "barbican-worker", NULL };
	static const char *const l108[] = { "python3", "-u", "-m", "barbican.cmd.keystone_listener", NULL };
	static const char *const a109[] = { "/usr/bin/uwsgi", "--ini", "/etc/uwsgi/apps/keymanager.ini", NULL };
	static const char *const n110[] = { "/usr/bin/uwsgi", "--ini", "/etc/uwsgi/apps/other.ini", NULL };
	add_proc(t, 100, 1, "barbican-worke", before, t->root, w100);
	add_proc(t, 101, 1, "barbican-worke", after, t->root, w101);
	add_proc(t, 102, 1, "uwsgi_python3", after, t->root, a102);
	add_proc(t, 103, 102, "uwsgi_python3", after, t->root, a103);
	add_proc(t, 104, 1, "barbican-worke", after, t->cont, w104);
	add_proc(t, 105, 1, "tail", before, t->root, n105);
	add_proc(t, 106, 1, "barbican-status", before, t->root, n106);
	add_proc(t, 108, 1, "python3", after, t->root, l108);
	add_proc(t, 109, 1, "uwsgi", after, t->root, a109);
	add_proc(t, 110, 1, "uwsgi", after, t->root, n110);
	/* a kernel thread: an empty command line */
	char *kt = xasprintf("%s/2/stat", t->proc);
	const char *kstat = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0\n";
	put(kt, kstat, strlen(kstat));
	free(kt);
	kt = xasprintf("%s/2/cmdline", t->proc);
	put(kt, "", 0);
	free(kt);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	char *cmd = xasprintf("rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(t->proc);
	free(t->root);
	free(t->cont);
	free(t);
	return 0;
}

static void observe(struct tree *t, enum service_kind svc, struct host_report *r)
{
	struct host_opts o = { t->proc, t->root, svc, NULL, 0 };
	struct bs_err err = { 0 };
	assert_int_equal(host_observe(&o, r, &err), BS_ST_OK);
}

static const struct host_proc *proc_of(const struct host_report *r, long pid)
{
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == pid)
			return &r->procs[i];
	return NULL;
}

static void the_workers_are_the_processes_that_run_its_program_sorted_by_pid(void **state)
{
	struct host_report r;
	observe(*state, SVC_WORKER, &r);
	/* python3 /usr/bin/barbican-worker, /usr/bin/barbican-worker, the kolla
	 * venv's; not tail of its log, not barbican-status naming it */
	assert_int_equal(r.nprocs, 3);
	assert_int_equal(r.procs[0].pid, 100);
	assert_int_equal(r.procs[1].pid, 101);
	assert_int_equal(r.procs[2].pid, 104);
	assert_string_equal(r.procs[0].argv[1], "/usr/bin/barbican-worker");
	assert_int_equal(r.procs[0].argc, 3);
	host_report_free(&r);
}

static void the_start_is_boot_time_plus_the_start_ticks(void **state)
{
	struct tree *t = *state;
	struct host_report r;
	observe(t, SVC_WORKER, &r);
	const struct host_proc *p = proc_of(&r, 101);
	assert_non_null(p);
	assert_int_equal((long long)p->start.tv_sec, (long long)t->code_ctime + 3600);
	host_report_free(&r);
}

static void a_process_started_before_the_code_changed_needs_a_restart(void **state)
{
	struct host_report r;
	observe(*state, SVC_WORKER, &r);
	assert_true(proc_of(&r, 100)->restart_needed);
	assert_false(proc_of(&r, 101)->restart_needed);
	assert_true(r.restart_needed);
	host_report_free(&r);
}

static void only_processes_started_after_the_code_need_no_restart(void **state)
{
	struct host_report r;
	observe(*state, SVC_API, &r);
	assert_false(r.restart_needed);
	for (size_t i = 0; i < r.nprocs; i++)
		assert_false(r.procs[i].restart_needed);
	host_report_free(&r);
}

static void the_code_ctime_is_when_the_installed_files_were_written(void **state)
{
	struct tree *t = *state;
	struct host_report r;
	observe(t, SVC_RETRY, &r);
	/* written by setup after code_ctime was taken, within a minute */
	assert_true(r.code_ctime.tv_sec >= t->code_ctime);
	assert_true(r.code_ctime.tv_sec < t->code_ctime + 60);
	host_report_free(&r);
}

static void a_container_process_is_read_through_its_own_root(void **state)
{
	struct tree *t = *state;
	struct host_report r;
	observe(t, SVC_WORKER, &r);
	const struct host_proc *p = proc_of(&r, 104);
	assert_true(p->own_root);
	assert_string_equal(p->release, "16.0.0");
	assert_non_null(strstr(p->where, "/var/lib/kolla/venv/lib/python3.12/site-packages/"));
	assert_false(proc_of(&r, 100)->own_root);
	assert_string_equal(proc_of(&r, 100)->release, "15.0.1");
	/* the report gives the lowest release the processes see, and says they differ */
	assert_string_equal(r.release, "15.0.1");
	assert_true(r.releases_differ);
	host_report_free(&r);
}

static void the_api_is_uwsgi_naming_barbican_and_its_renamed_workers(void **state)
{
	struct host_report r;
	observe(*state, SVC_API, &r);
	/* 102 by its argv, 103 its forked worker, 109 by its ini file's
	 * wsgi-file; not 110 (an ini file that does not exist) */
	assert_int_equal(r.nprocs, 3);
	assert_int_equal(r.procs[0].pid, 102);
	assert_int_equal(r.procs[1].pid, 103);
	assert_int_equal(r.procs[2].pid, 109);
	assert_string_equal(r.release, "15.0.1");
	assert_false(r.releases_differ);
	host_report_free(&r);
}

static void a_listener_run_as_a_module_is_one(void **state)
{
	struct host_report r;
	observe(*state, SVC_KEYSTONE_LISTENER, &r);
	assert_int_equal(r.nprocs, 1);
	assert_int_equal(r.procs[0].pid, 108);
	host_report_free(&r);
}

static void a_service_without_process_still_has_the_hosts_release(void **state)
{
	struct host_report r;
	observe(*state, SVC_RETRY, &r);
	assert_int_equal(r.nprocs, 0);
	assert_string_equal(r.release, "15.0.1");
	assert_false(r.draining);
	host_report_free(&r);
}

static void the_disable_file_of_the_paste_config_drains(void **state)
{
	struct tree *t = *state;
	struct host_report r;
	observe(t, SVC_API, &r);
	assert_false(r.draining);
	host_report_free(&r);
	puts_at(t->root, "etc/barbican/healthcheck_disable", "");
	observe(t, SVC_API, &r);
	assert_true(r.draining);
	assert_non_null(strstr(r.disable_file, "/etc/barbican/healthcheck_disable"));
	host_report_free(&r);
	/* a stopped service is stopped, drained or not */
	observe(t, SVC_RETRY, &r);
	assert_false(r.draining);
	host_report_free(&r);
	char *f = xasprintf("%s/etc/barbican/healthcheck_disable", t->root);
	unlink(f);
	free(f);
}

static void barbican_conf_names_the_disable_file_when_the_paste_does_not(void **state)
{
	struct tree *t = *state;
	puts_at(t->root, "etc/barbican/barbican-api-paste.ini",
		"[app:healthcheck]\npaste.app_factory = oslo_middleware:Healthcheck.app_factory\n");
	puts_at(t->root, "etc/barbican/barbican.conf",
		"[healthcheck]\ndisable_by_file_path = /run/barbican/drain\n");
	puts_at(t->root, "etc/barbican/healthcheck_disable", "");
	struct host_report r;
	observe(t, SVC_WORKER, &r);
	assert_false(r.draining); /* the default path is not the configured one */
	host_report_free(&r);
	puts_at(t->root, "run/barbican/drain", "");
	observe(t, SVC_WORKER, &r);
	assert_true(r.draining);
	assert_non_null(strstr(r.disable_file, "/run/barbican/drain"));
	host_report_free(&r);
}

static void nothing_installed_anywhere_gives_no_release(void **unused)
{
	char dir[] = "/tmp/bs-host-empty-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *proc = xasprintf("%s/proc", dir);
	mkdirs(proc);
	struct host_opts o = { proc, dir, SVC_WORKER, NULL, 0 };
	struct host_report r;
	struct bs_err err = { 0 };
	assert_int_equal(host_observe(&o, &r, &err), BS_ST_OK);
	assert_null(r.release);
	assert_int_equal(r.nprocs, 0);
	host_report_free(&r);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(proc);
}

static void a_proc_dir_that_cannot_be_read_is_an_error(void **unused)
{
	struct host_opts o = { "/nonexistent/proc", "/", SVC_WORKER, NULL, 0 };
	struct host_report r;
	struct bs_err err = { 0 };
	assert_int_equal(host_observe(&o, &r, &err), BS_ST_IO);
	assert_non_null(strstr(err.detail, "/nonexistent/proc"));
	host_report_free(&r);
}

static void stat_lines_are_read_past_a_comm_with_spaces_and_parentheses(void **unused)
{
	static const struct {
		const char *line;
		bool ok;
		const char *comm;
		long ppid;
		unsigned long long start;
	} cases[] = {
		{ "812 (barbican-worke) S 1 812 812 0 -1 4194560 1 0 0 0 1 1 0 0 20 0 1 0 4242 9 9\n",
		  true, "barbican-worke", 1, 4242 },
		{ "9 (a) b) (c) R 7 0 0 0 -1 0 0 0 0 0 0 0 -3 -4 20 0 1 0 77\n", true, "a) b) (c", 7, 77 },
		{ "9 () Z 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 5", true, "", 0, 5 },
		{ "9 (x) S 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n", false, NULL, 0, 0 }, /* no field 22 */
		{ "9 (x S 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1\n", false, NULL, 0, 0 },
		{ "9 (x) S -1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1\n", false, NULL, 0, 0 },
		{ "9 (x) S 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 99999999999999999999999\n",
		  false, NULL, 0, 0 },
		{ "", false, NULL, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct proc_stat st;
		bool ok = host_parse_stat(cases[i].line, strlen(cases[i].line), &st);
		if (ok != cases[i].ok)
			fail_msg("case %zu: parsed %d", i, ok);
		if (!ok)
			continue;
		assert_string_equal(st.comm, cases[i].comm);
		assert_int_equal(st.ppid, cases[i].ppid);
		assert_int_equal(st.starttime, cases[i].start);
	}
}

static void a_command_line_is_split_at_nuls_the_last_one_optional(void **unused)
{
	size_t argc;
	char **v = host_parse_cmdline("a\0bc\0\0d", 7, &argc);
	assert_int_equal(argc, 4);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "bc");
	assert_string_equal(v[2], "");
	assert_string_equal(v[3], "d");
	assert_null(v[4]);
	for (size_t i = 0; i < argc; i++)
		free(v[i]);
	free(v);
	v = host_parse_cmdline("a\0", 2, &argc);
	assert_int_equal(argc, 1);
	free(v[0]);
	free(v);
	assert_null(host_parse_cmdline("", 0, &argc));
	assert_int_equal(argc, 0);
}

static void btime_is_found_among_the_lines_of_proc_stat(void **unused)
{
	long long bt = 0;
	const char *s = "cpu 1 2\nbtime 1764000000\nprocesses 4\n";
	assert_true(host_parse_btime(s, strlen(s), &bt));
	assert_int_equal(bt, 1764000000LL);
	s = "cpu 1 2\nbtime x\n";
	assert_false(host_parse_btime(s, strlen(s), &bt));
	s = "cpu 1 2\nxbtime 5\n";
	assert_false(host_parse_btime(s, strlen(s), &bt));
}

static void argv_matching_table(void **unused)
{
	static const struct {
		enum service_kind svc;
		const char *const argv[6];
		bool want;
	} cases[] = {
		{ SVC_WORKER, { "/usr/bin/barbican-worker" }, true },
		{ SVC_WORKER, { "barbican-worker", "--config-file", "x" }, true },
		{ SVC_WORKER, { "/usr/bin/python3", "/usr/bin/barbican-worker" }, true },
		{ SVC_WORKER, { "/usr/bin/python3.11", "-W", "ignore", "-u", "/opt/bin/barbican-worker" }, true },
		{ SVC_WORKER, { "python3", "-m", "barbican.cmd.worker" }, true },
		{ SVC_WORKER, { "python3", "-mbarbican.cmd.worker" }, true },
		{ SVC_WORKER, { "python3", "-c", "import x", "/usr/bin/barbican-worker" }, false },
		{ SVC_WORKER, { "python3", "/usr/bin/barbican-retry" }, false },
		{ SVC_WORKER, { "vim", "/usr/bin/barbican-worker" }, false },
		{ SVC_WORKER, { "/usr/bin/barbican-worker-helper" }, false },
		{ SVC_RETRY, { "/usr/bin/barbican-retry" }, true },
		{ SVC_RETRY, { "python3", "-m", "barbican.cmd.retry_scheduler" }, true },
		{ SVC_KEYSTONE_LISTENER, { "/usr/bin/python3", "/usr/bin/barbican-keystone-listener" }, true },
		{ SVC_API, { "/usr/bin/uwsgi_python3", "--ini", "/etc/barbican/barbican-api-uwsgi.ini" }, true },
		{ SVC_API, { "uwsgi", "--wsgi-file", "/var/lib/kolla/venv/bin/barbican-wsgi-api" }, true },
		{ SVC_API, { "uwsgi", "--module", "barbican.api.app:create_main_app" }, true },
		{ SVC_API, { "uwsgi", "--ini", "barbican-api.ini" }, true },
		{ SVC_API, { "uwsgi", "--ini", "/etc/keystone/keystone-uwsgi.ini" }, false },
		{ SVC_API, { "/usr/bin/python3", "/usr/bin/barbican-api" }, true },
		{ SVC_API, { "less", "/etc/barbican/barbican-api-uwsgi.ini" }, false },
		{ SVC_WORKER, { "/usr/bin/uwsgi_python3", "--ini", "/etc/barbican/barbican-api-uwsgi.ini" }, false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t argc = 0;
		while (argc < 6 && cases[i].argv[argc])
			argc++;
		if (host_argv_is_service((char *const *)cases[i].argv, argc, cases[i].svc) != cases[i].want)
			fail_msg("case %zu (%s %s): expected %d", i, cases[i].argv[0],
				 argc > 1 ? cases[i].argv[1] : "", cases[i].want);
	}
}

static void a_uwsgi_ini_starts_the_api_by_its_app_lines_not_its_comments(void **unused)
{
	const char *yes[] = { "[uwsgi]\nwsgi-file = /usr/bin/barbican-wsgi-api\n",
			      "[uwsgi]\n  module=barbican.api.app:create_main_app\n",
			      "[uwsgi]\npaste = config:/etc/barbican/barbican-api-paste.ini\n" };
	const char *no[] = { "[uwsgi]\n# wsgi-file = /usr/bin/barbican-wsgi-api\n",
			     "[uwsgi]\nlogto = /var/log/barbican/barbican-api.log\n",
			     "[uwsgi]\nwsgi-file = /usr/bin/keystone-wsgi-public\n" };
	for (size_t i = 0; i < 3; i++) {
		assert_true(host_uwsgi_ini_is_api(yes[i], strlen(yes[i])));
		assert_false(host_uwsgi_ini_is_api(no[i], strlen(no[i])));
	}
}

int main(void)
{
	const struct CMUnitTest tree_tests[] = {
		cmocka_unit_test(the_workers_are_the_processes_that_run_its_program_sorted_by_pid),
		cmocka_unit_test(the_start_is_boot_time_plus_the_start_ticks),
		cmocka_unit_test(a_process_started_before_the_code_changed_needs_a_restart),
		cmocka_unit_test(only_processes_started_after_the_code_need_no_restart),
		cmocka_unit_test(the_code_ctime_is_when_the_installed_files_were_written),
		cmocka_unit_test(a_container_process_is_read_through_its_own_root),
		cmocka_unit_test(the_api_is_uwsgi_naming_barbican_and_its_renamed_workers),
		cmocka_unit_test(a_listener_run_as_a_module_is_one),
		cmocka_unit_test(a_service_without_process_still_has_the_hosts_release),
		cmocka_unit_test(the_disable_file_of_the_paste_config_drains),
		cmocka_unit_test(barbican_conf_names_the_disable_file_when_the_paste_does_not),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nothing_installed_anywhere_gives_no_release),
		cmocka_unit_test(a_proc_dir_that_cannot_be_read_is_an_error),
		cmocka_unit_test(stat_lines_are_read_past_a_comm_with_spaces_and_parentheses),
		cmocka_unit_test(a_command_line_is_split_at_nuls_the_last_one_optional),
		cmocka_unit_test(btime_is_found_among_the_lines_of_proc_stat),
		cmocka_unit_test(argv_matching_table),
		cmocka_unit_test(a_uwsgi_ini_starts_the_api_by_its_app_lines_not_its_comments),
	};
	return cmocka_run_group_tests(tree_tests, setup, teardown) |
	       cmocka_run_group_tests(tests, NULL, NULL);
}
