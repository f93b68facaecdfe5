/* host.h: the services of this host as its /proc and its files show them,
 * for `barbican-status report` (the version report of one service, run on
 * the service's host). Observation only: nothing here changes anything.
 *
 * A process "of the service" (host_argv_is_service):
 * - barbican-worker, barbican-keystone-listener, barbican-retry: argv[0]'s
 *   basename is the program ("/usr/bin/barbican-worker"), or argv[0] is a
 *   Python interpreter (basename python, python3, python3.11...) whose script
 *   (its first argument that is not an option) has that basename, or which
 *   runs the program's module with -m (barbican.cmd.worker,
 *   barbican.cmd.keystone_listener, barbican.cmd.retry_scheduler);
 * - barbican-api: the same for the scripts barbican-api and
 *   barbican-wsgi-api, or argv[0] is uwsgi (basename starting with "uwsgi")
 *   and one of its words names Barbican's WSGI application or its files
 *   (contains "barbican-api", "barbican-wsgi-api", "barbican.api.app" or
 *   "barbican/api/app": Debian's "--ini /etc/barbican/barbican-api-uwsgi.ini",
 *   "--wsgi-file .../barbican-wsgi-api", a kolla vassal "--ini
 *   barbican-api.ini"), or an ini file its argv names (--ini FILE, or a
 *   positional *.ini) contains one of those in a wsgi-file, module, mount or
 *   paste line (read through the process's root and cwd);
 * - then, repeatedly, a process whose parent is of the service and whose comm
 *   (the kernel's name, /proc/PID/stat) is the parent's: uwsgi's workers when
 *   it rewrites their argv ("uWSGI worker 1"), forked service workers.
 *
 * The code a process runs is read through /proc/PID/root when that root is
 * not the root of the reader (/proc/self/root, compared by device and inode:
 * a container, e.g. kolla's barbican_worker), else through the --root
 * directory: the installed release (probes/installed.h, in the site
 * directories of the process's Python prefix first, e.g. a venv's
 * /var/lib/kolla/venv/lib/python3.N/site-packages, then the system's) and the
 * newest ctime of the installed code (the release's egg-info/dist-info
 * directory and its PKG-INFO, METADATA, RECORD, installed-files.txt; the
 * package's barbican/__init__.py and barbican/version.py).
 *
 * Restart needed (the rule of Debian's needrestart for interpreted code): a
 * package upgrade writes new files (new inode, new ctime; dpkg keeps the
 * mtime of the package), Python reads modules without mapping them, so a
 * running process keeps no trace of the files it read but its start time: a
 * process that started before the ctime of the code it would load now still
 * runs the code that was there before. Start time = boot time + starttime
 * (/proc/PID/stat field 22, clock ticks since boot); boot time from the
 * clocks (CLOCK_REALTIME - CLOCK_BOOTTIME, nanoseconds) when the /proc read is
 * the live one, else "btime" of PROC/stat (whole seconds). Both errors (ticks
 * and seconds truncated) make a start earlier, never later: a doubt says
 * restart.
 *
 * Draining: the healthcheck's disable file exists (oslo.middleware's
 * disable_by_file backend): its path is disable_by_file_path of the paste
 * section using oslo_middleware's Healthcheck in
 * ROOT/etc/barbican/barbican-api-paste.ini (paste values override
 * oslo.config's, as oslo.middleware does), else [healthcheck]
 * disable_by_file_path of barbican.conf, else /etc/barbican/healthcheck_disable
 * (DESIGN.md); it is looked for through the host's root and the root of each
 * process in a container. */
#ifndef BS_HOST_H
#define BS_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/conf.h"
#include "core/settings.h"
#include "core/status.h"

/* ---- parsers of /proc files (pure; tests/fuzz/fuzz-proc.c) ---- */

struct proc_stat {
	char comm[64];                 /* between the parentheses, at most 63 bytes kept */
	char state;
	long ppid;
	unsigned long long starttime;  /* clock ticks after boot */
};

/* /proc/PID/stat: "PID (COMM) S PPID ... field22 ...". The comm may hold
 * spaces and parentheses (the last ')' ends it). False when malformed. */
bool host_parse_stat(const char *buf, size_t len, struct proc_stat *out);

/* /proc/PID/cmdline: NUL-separated words (the last NUL optional). Returns a
 * NULL-terminated malloc'd vector of malloc'd words and *argc, or NULL (argc
 * 0) for an empty command line (a kernel thread, a zombie). */
char **host_parse_cmdline(const char *buf, size_t len, size_t *argc);

/* /proc/stat: the "btime N" line. */
bool host_parse_btime(const char *buf, size_t len, long long *btime);

/* Whether argv (from the command line alone) is a process of svc, as above. */
bool host_argv_is_service(char *const *argv, size_t argc, enum service_kind svc);

/* Whether the text of a uwsgi ini file starts Barbican's API (a wsgi-file,
 * module, mount or paste line naming it, as above). */
bool host_uwsgi_ini_is_api(const char *text, size_t len);

/* ---- the observation ---- */

struct host_proc {
	long pid;
	char **argv;               /* NULL-terminated */
	size_t argc;
	struct timespec start;     /* wall clock */
	char *root;                /* the root its code is read through */
	bool own_root;             /* a root of its own (a container) */
	char *release;             /* installed release it sees; NULL: none */
	char *where;               /* where that was read */
	struct timespec code_ctime; /* newest ctime of that code; 0: unknown */
	bool restart_needed;
};

struct host_opts {
	const char *proc_dir;       /* "/proc" */
	const char *root_dir;       /* "/" */
	enum service_kind service;
	/* barbican.conf files (the command line's --config-file/--config-dir);
	 * none: ROOT/etc/barbican/barbican.conf when it exists */
	const struct conf_arg *conf_args;
	size_t nconf_args;
};

struct host_report {
	enum service_kind service;
	char *release;             /* the release the report gives; NULL: not installed */
	char *where;
	struct timespec code_ctime; /* of that release's code (the host's when no process) */
	struct host_proc *procs;   /* by pid */
	size_t nprocs;
	bool draining;
	char *disable_file;        /* the disable file found (draining) */
	bool restart_needed;
	bool releases_differ;      /* processes see different installed releases */
};

/* Observe svc on this host. BS_ST_OK, or an error (config files named but
 * unreadable, the /proc directory unreadable) in err. A report without
 * release means Barbican is installed nowhere that was looked. Free with
 * host_report_free. */
enum bs_status host_observe(const struct host_opts *o, struct host_report *r,
			    struct bs_err *err);
void host_report_free(struct host_report *r);

#endif
