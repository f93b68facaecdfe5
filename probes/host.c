#include "host.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ini.h"
#include "core/version.h"
#include "core/xalloc.h"
#include "installed.h"

#define DEFAULT_DISABLE_FILE "/etc/barbican/healthcheck_disable"
#define MAX_PROC_FILE (256 * 1024)  /* a command line is at most ARG_MAX-ish: enough */
#define MAX_INI_FILE (1024 * 1024)

/* ---- parsers ---- */

static bool parse_ull(const char **p, const char *end, unsigned long long *out)
{
	const char *s = *p;
	unsigned long long v = 0;
	if (s >= end || !isdigit((unsigned char)*s))
		return false;
	while (s < end && isdigit((unsigned char)*s)) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (ULLONG_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		s++;
	}
	*p = s;
	*out = v;
	return true;
}

bool host_parse_stat(const char *buf, size_t len, struct proc_stat *out)
{
	memset(out, 0, sizeof(*out));
	const char *end = buf + len;
	const char *open = memchr(buf, '(', len);
	if (!open)
		return false;
	const char *close = NULL;
	for (const char *p = end; p > open; p--)
		if (p[-1] == ')') {
			close = p - 1;
			break;
		}
	if (!close)
		return false;
	size_t n = (size_t)(close - open - 1);
	if (n >= sizeof(out->comm))
		n = sizeof(out->comm) - 1;
	memcpy(out->comm, open + 1, n);
	out->comm[n] = '\0';
	/* after the comm: " S PPID PGRP SESSION TTY TPGID FLAGS MINFLT CMINFLT
	 * MAJFLT CMAJFLT UTIME STIME CUTIME CSTIME PRIORITY NICE NTHREADS
	 * ITREALVALUE STARTTIME": field 3 is the state, 22 the start time */
	const char *p = close + 1;
	if (p >= end || *p != ' ')
		return false;
	p++;
	if (p >= end || *p == ' ' || *p == '\n')
		return false;
	out->state = *p++;
	for (int field = 4; field <= 22; field++) {
		if (p >= end || *p != ' ')
			return false;
		p++;
		unsigned long long v;
		bool neg = p < end && *p == '-';
		if (neg)
			p++;
		if (!parse_ull(&p, end, &v))
			return false;
		if (field == 4) {
			if (neg || v > LONG_MAX)
				return false;
			out->ppid = (long)v;
		} else if (field == 22) {
			if (neg)
				return false;
			out->starttime = v;
		}
	}
	return true;
}

char **host_parse_cmdline(const char *buf, size_t len, size_t *argc)
{
	*argc = 0;
	if (len == 0)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\0')
			n++;
	if (buf[len - 1] != '\0')
		n++;
	char **v = xcalloc(n + 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < len && k < n;) {
		const char *w = buf + i;
		const char *nul = memchr(w, '\0', len - i);
		size_t wl = nul ? (size_t)(nul - w) : len - i;
		v[k++] = xstrndup(w, wl);
		i += wl + 1;
	}
	*argc = k;
	return v;
}

bool host_parse_btime(const char *buf, size_t len, long long *btime)
{
	const char *end = buf + len;
	for (const char *line = buf; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		if (le - line > 6 && memcmp(line, "btime ", 6) == 0) {
			const char *p = line + 6;
			unsigned long long v;
			if (parse_ull(&p, le, &v) && p == le && v <= LLONG_MAX) {
				*btime = (long long)v;
				return true;
			}
			return false;
		}
		line = nl ? nl + 1 : end;
	}
	return false;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static bool is_python(const char *arg0)
{
	const char *b = base_name(arg0);
	if (strncmp(b, "python", 6) != 0)
		return false;
	for (b += 6; *b; b++)
		if (!isdigit((unsigned char)*b) && *b != '.')
			return false;
	return true;
}

struct svc_names {
	const char *scripts[2];
	const char *module;
};

static const struct svc_names svc_names[] = {
	[SVC_API] = { { "barbican-api", "barbican-wsgi-api" }, NULL },
	[SVC_WORKER] = { { "barbican-worker", NULL }, "barbican.cmd.worker" },
	[SVC_KEYSTONE_LISTENER] = { { "barbican-keystone-listener", NULL },
				    "barbican.cmd.keystone_listener" },
	[SVC_RETRY] = { { "barbican-retry", NULL }, "barbican.cmd.retry_scheduler" },
};

static bool is_script_of(const char *word, enum service_kind svc)
{
	const char *b = base_name(word);
	for (size_t i = 0; i < 2; i++)
		if (svc_names[svc].scripts[i] && strcmp(b, svc_names[svc].scripts[i]) == 0)
			return true;
	return false;
}

static const char *const api_markers[] = {
	"barbican-api", "barbican-wsgi-api", "barbican.api.app", "barbican/api/app",
};

static bool names_api(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(api_markers) / sizeof(api_markers[0]); i++) {
		size_t ml = strlen(api_markers[i]);
		for (size_t j = 0; j + ml <= len; j++)
			if (memcmp(s + j, api_markers[i], ml) == 0)
				return true;
	}
	return false;
}

static bool is_uwsgi(const char *arg0)
{
	return strncmp(base_name(arg0), "uwsgi", 5) == 0;
}

bool host_argv_is_service(char *const *argv, size_t argc, enum service_kind svc)
{
	if (argc == 0 || (unsigned)svc > SVC_RETRY)
		return false;
	if (is_script_of(argv[0], svc))
		return true;
	if (is_python(argv[0])) {
		/* python's own options before the script: those that take a value
		 * (-W arg, -X opt, -c cmd, -m mod) and flags (-u, -O, -E, -s, -B...) */
		for (size_t i = 1; i < argc; i++) {
			const char *a = argv[i];
			if (a[0] != '-' || strcmp(a, "-") == 0)
				return is_script_of(a, svc);
			if (strcmp(a, "--") == 0)
				return i + 1 < argc && is_script_of(argv[i + 1], svc);
			if (strncmp(a, "-m", 2) == 0) {
				const char *mod = a[2] ? a + 2 : (i + 1 < argc ? argv[i + 1] : NULL);
				return mod && svc_names[svc].module && strcmp(mod, svc_names[svc].module) == 0;
			}
			if (strncmp(a, "-c", 2) == 0)
				return false;
			if ((strcmp(a, "-W") == 0 || strcmp(a, "-X") == 0) && i + 1 < argc)
				i++;
		}
		return false;
	}
	if (svc == SVC_API && is_uwsgi(argv[0]))
		for (size_t i = 1; i < argc; i++)
			if (names_api(argv[i], strlen(argv[i])))
				return true;
	return false;
}

bool host_uwsgi_ini_is_api(const char *text, size_t len)
{
	static const char *const keys[] = { "wsgi-file", "wsgi_file", "module", "wsgi", "mount",
					    "paste", "file" };
	const char *end = text + len;
	for (const char *line = text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		const char *p = line;
		while (p < le && (*p == ' ' || *p == '\t'))
			p++;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t kl = strlen(keys[i]);
			if ((size_t)(le - p) > kl && memcmp(p, keys[i], kl) == 0) {
				const char *q = p + kl;
				while (q < le && (*q == ' ' || *q == '\t'))
					q++;
				if (q < le && *q == '=' && names_api(q, (size_t)(le - q)))
					return true;
			}
		}
		line = nl ? nl + 1 : end;
	}
	return false;
}

/* ---- reading files ---- */

/* The whole file (at most max bytes), NUL-terminated, or NULL. */
static char *slurp(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap >= max)
				break;
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static char *under(const char *root, const char *path)
{
	size_t rl = strlen(root);
	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	return xasprintf("%.*s%s%s", (int)rl, root, path[0] == '/' ? "" : "/", path);
}

static bool ts_before(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

static void newest_ctime(const char *path, struct timespec *t)
{
	struct stat st;
	if (stat(path, &st) == 0 && ts_before(*t, st.st_ctim))
		*t = st.st_ctim;
}

/* The newest ctime of the code of the release found at where (its
 * egg-info/dist-info directory). */
static struct timespec code_ctime(const char *where)
{
	struct timespec t = { 0, 0 };
	static const char *const meta[] = { "PKG-INFO", "METADATA", "RECORD",
					    "installed-files.txt" };
	newest_ctime(where, &t);
	for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]); i++) {
		char *p = xasprintf("%s/%s", where, meta[i]);
		newest_ctime(p, &t);
		free(p);
	}
	const char *slash = strrchr(where, '/');
	if (slash) {
		static const char *const code[] = { "barbican/__init__.py", "barbican/version.py" };
		for (size_t i = 0; i < sizeof(code) / sizeof(code[0]); i++) {
			char *p = xasprintf("%.*s/%s", (int)(slash - where), where, code[i]);
			newest_ctime(p, &t);
			free(p);
		}
	}
	return t;
}

/* Site directories of the Python prefix of a program path
 * (/var/lib/kolla/venv/bin/python3 -> /var/lib/kolla/venv/lib/...), unless
 * it is the system's (/usr, /usr/local: the defaults already). */
static size_t prefix_dirs(const char *prog, char **dirs, size_t have)
{
	if (prog[0] != '/' || have + 3 > 12)
		return have;
	const char *b = strrchr(prog, '/');
	if (b - prog < 4 || strncmp(b - 4, "/bin", 4) != 0)
		return have;
	int pl = (int)(b - 4 - prog);
	if ((pl == 4 && strncmp(prog, "/usr", 4) == 0) ||
	    (pl == 10 && strncmp(prog, "/usr/local", 10) == 0) || pl == 0)
		return have;
	dirs[have++] = xasprintf("%.*s/lib/python3*/site-packages", pl, prog);
	dirs[have++] = xasprintf("%.*s/lib/python3/dist-packages", pl, prog);
	dirs[have++] = xasprintf("%.*s/local/lib/python3*/dist-packages", pl, prog);
	return have;
}

/* ---- draining ---- */

/* The disable file's path for the Barbican files under root. */
static char *disable_path(const char *root, const struct host_opts *o, bool host_view,
			  struct bs_err *err, enum bs_status *st)
{
	*st = BS_ST_OK;
	char *paste = under(root, "/etc/barbican/barbican-api-paste.ini");
	struct ini_file *f = NULL;
	struct bs_err e2 = { 0 };
	char *path = NULL;
	if (access(paste, R_OK) == 0 && ini_parse_file(paste, &f, &e2) == BS_ST_OK) {
		for (size_t i = 0; i < f->nsections && !path; i++) {
			const struct ini_section *s = &f->sections[i];
			bool healthcheck = false;
			for (size_t k = 0; k < s->nkeys; k++)
				if (strncmp(s->keys[k].key, "paste.", 6) == 0 && s->keys[k].nvalues &&
				    strstr(s->keys[k].values[s->keys[k].nvalues - 1].value,
					   "oslo_middleware:Healthcheck"))
					healthcheck = true;
			const struct ini_key *k = healthcheck ? ini_key(s, "disable_by_file_path") : NULL;
			if (k && k->nvalues && *k->values[k->nvalues - 1].value)
				path = xstrdup(k->values[k->nvalues - 1].value);
		}
	}
	ini_free(f);
	free(paste);
	if (path)
		return path;

	/* barbican.conf [healthcheck] disable_by_file_path */
	struct conf *c = NULL;
	char *dflt = under(root, "/etc/barbican/barbican.conf");
	struct conf_arg one = { false, dflt };
	struct conf_args ca = { NULL, 0, "/nonexistent", NULL, NULL };
	if (host_view && o->nconf_args) {
		ca.args = o->conf_args;
		ca.nargs = o->nconf_args;
	} else if (access(dflt, F_OK) == 0) {
		ca.args = &one;
		ca.nargs = 1;
	}
	if (ca.nargs) {
		enum bs_status r = conf_load(&ca, &c, host_view ? err : &e2);
		if (r != BS_ST_OK) {
			if (host_view && o->nconf_args)
				*st = r;
			c = NULL;
		}
	}
	if (c) {
		static const struct conf_opt opt = { "healthcheck", "disable_by_file_path",
						     NULL, 0, false, NULL };
		conf_register(c, &opt);
		char *v = NULL;
		if (conf_get(c, "healthcheck", "disable_by_file_path", &v, NULL, &e2) == BS_ST_OK &&
		    v && *v)
			path = v;
		else
			free(v);
		conf_free(c);
	}
	free(dflt);
	return path ? path : xstrdup(DEFAULT_DISABLE_FILE);
}

/* ---- the observation ---- */

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Boot time, wall clock: from the clocks when proc_dir is the live /proc,
 * else PROC/stat's btime. */
static bool boot_time(const char *proc_dir, struct timespec *boot)
{
	if (same_file(proc_dir, "/proc")) {
		struct timespec rt, bt;
		if (clock_gettime(CLOCK_REALTIME, &rt) == 0 && clock_gettime(CLOCK_BOOTTIME, &bt) == 0) {
			long long ns = ((long long)rt.tv_sec - bt.tv_sec) * 1000000000LL +
				       (rt.tv_nsec - bt.tv_nsec);
			boot->tv_sec = (time_t)(ns / 1000000000LL);
			boot->tv_nsec = (long)(ns % 1000000000LL);
			if (boot->tv_nsec < 0) {
				boot->tv_nsec += 1000000000L;
				boot->tv_sec--;
			}
			return true;
		}
	}
	char *p = xasprintf("%s/stat", proc_dir);
	size_t len;
	char *buf = slurp(p, MAX_PROC_FILE, &len);
	free(p);
	long long bt;
	bool ok = buf && host_parse_btime(buf, len, &bt);
	free(buf);
	if (ok) {
		boot->tv_sec = (time_t)bt;
		boot->tv_nsec = 0;
	}
	return ok;
}

struct candidate {
	long pid;
	struct proc_stat st;
	char **argv;
	size_t argc;
	bool of_service;
};

static void free_argv(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

/* A uwsgi process whose argv names an ini file that starts the API. */
static bool uwsgi_ini_names_api(const char *proc_dir, const struct candidate *c)
{
	if (!is_uwsgi(c->argv[0]))
		return false;
	for (size_t i = 1; i < c->argc; i++) {
		const char *a = c->argv[i], *file = NULL;
		if ((strcmp(a, "--ini") == 0 || strcmp(a, "-i") == 0) && i + 1 < c->argc)
			file = c->argv[++i];
		else if (strncmp(a, "--ini=", 6) == 0)
			file = a + 6;
		else if (a[0] != '-' && strlen(a) > 4 && strcmp(a + strlen(a) - 4, ".ini") == 0)
			file = a;
		if (!file)
			continue;
		/* uwsgi's "file.ini:section" */
		char *f = xstrdup(file);
		char *colon = strrchr(f, ':');
		if (colon && colon > f && strchr(colon, '/') == NULL)
			*colon = '\0';
		char *path = f[0] == '/' ? xasprintf("%s/%ld/root%s", proc_dir, c->pid, f)
					 : xasprintf("%s/%ld/cwd/%s", proc_dir, c->pid, f);
		size_t len;
		char *text = slurp(path, MAX_INI_FILE, &len);
		bool yes = text && host_uwsgi_ini_is_api(text, len);
		free(text);
		free(path);
		free(f);
		if (yes)
			return true;
	}
	return false;
}

static int by_pid(const void *a, const void *b)
{
	long x = ((const struct host_proc *)a)->pid, y = ((const struct host_proc *)b)->pid;
	return (x > y) - (x < y);
}

/* The code a process sees: its release and code ctime. */
static void code_view(const char *root, char *const *argv, size_t argc, struct host_proc *p)
{
	char *dirs[12];
	size_t n = prefix_dirs(argv[0], dirs, 0);
	/* the interpreter's script, when it is a path: /venv/bin/barbican-worker */
	if (is_python(argv[0]))
		for (size_t i = 1; i < argc; i++)
			if (argv[i][0] != '-') {
				n = prefix_dirs(argv[i], dirs, n);
				break;
			}
	p->release = installed_barbican_release_at(root, (const char *const *)dirs, n, &p->where);
	if (p->where)
		p->code_ctime = code_ctime(p->where);
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
}

enum bs_status host_observe(const struct host_opts *o, struct host_report *r,
			    struct bs_err *err)
{
	memset(r, 0, sizeof(*r));
	r->service = o->service;
	if (o->nconf_args) {
		/* named files must exist and parse, whatever runs */
		struct conf_args ca = { o->conf_args, o->nconf_args, "/nonexistent", NULL, NULL };
		struct conf *c = NULL;
		enum bs_status st = conf_load(&ca, &c, err);
		if (st != BS_ST_OK)
			return st;
		conf_free(c);
	}
	DIR *d = opendir(o->proc_dir);
	if (!d)
		return bs_fail(err, BS_ST_IO, "cannot read %s: %s", o->proc_dir, strerror(errno));
	struct candidate *cs = NULL;
	size_t nc = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *endp;
		errno = 0;
		long pid = strtol(e->d_name, &endp, 10);
		if (errno || *endp || pid <= 0 || !isdigit((unsigned char)e->d_name[0]))
			continue;
		char *sp = xasprintf("%s/%ld/stat", o->proc_dir, pid);
		char *cp = xasprintf("%s/%ld/cmdline", o->proc_dir, pid);
		size_t sl = 0, cl = 0;
		char *sb = slurp(sp, MAX_PROC_FILE, &sl);
		char *cb = sb ? slurp(cp, MAX_PROC_FILE, &cl) : NULL;
		free(sp);
		free(cp);
		struct candidate c = { .pid = pid };
		if (sb && cb && host_parse_stat(sb, sl, &c.st) &&
		    (c.argv = host_parse_cmdline(cb, cl, &c.argc)) != NULL) {
			xgrow(&cs, &cap, nc + 1, sizeof(*cs));
			cs[nc++] = c;
		}
		free(sb);
		free(cb);
	}
	closedir(d);

	for (size_t i = 0; i < nc; i++)
		cs[i].of_service = host_argv_is_service(cs[i].argv, cs[i].argc, o->service) ||
				   (o->service == SVC_API && uwsgi_ini_names_api(o->proc_dir, &cs[i]));
	/* forked children that kept the parent's kernel name (uwsgi workers) */
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t i = 0; i < nc; i++) {
			if (cs[i].of_service)
				continue;
			for (size_t j = 0; j < nc; j++)
				if (cs[j].of_service && cs[j].pid == cs[i].st.ppid &&
				    strcmp(cs[j].st.comm, cs[i].st.comm) == 0) {
					cs[i].of_service = changed = true;
					break;
				}
		}
	}

	struct timespec boot = { 0, 0 };
	bool have_boot = boot_time(o->proc_dir, &boot);
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	char *self_root = xasprintf("%s/self/root", o->proc_dir);

	for (size_t i = 0; i < nc; i++) {
		if (!cs[i].of_service) {
			free_argv(cs[i].argv);
			continue;
		}
		r->procs = xreallocarray(r->procs, r->nprocs + 1, sizeof(*r->procs));
		struct host_proc *p = &r->procs[r->nprocs++];
		memset(p, 0, sizeof(*p));
		p->pid = cs[i].pid;
		p->argv = cs[i].argv;
		p->argc = cs[i].argc;
		if (have_boot) {
			unsigned long long t = cs[i].st.starttime;
			p->start.tv_sec = boot.tv_sec + (time_t)(t / (unsigned long long)hz);
			p->start.tv_nsec = boot.tv_nsec +
				(long)((t % (unsigned long long)hz) * (1000000000ULL / (unsigned long long)hz));
			if (p->start.tv_nsec >= 1000000000L) {
				p->start.tv_nsec -= 1000000000L;
				p->start.tv_sec++;
			}
		}
		char *proot = xasprintf("%s/%ld/root", o->proc_dir, p->pid);
		struct stat a, b;
		p->own_root = stat(proot, &a) == 0 && stat(self_root, &b) == 0 &&
			      (a.st_dev != b.st_dev || a.st_ino != b.st_ino);
		if (p->own_root) {
			p->root = proot;
		} else {
			p->root = xstrdup(o->root_dir);
			free(proot);
		}
		code_view(p->root, p->argv, p->argc, p);
	}
	free(cs);
	free(self_root);
	if (r->nprocs) /* qsort(NULL, 0) is undefined behaviour */
		qsort(r->procs, r->nprocs, sizeof(*r->procs), by_pid);

	/* the release: what the processes see (the lowest when they differ:
	 * the fleet's pin is the lowest), else the host's */
	for (size_t i = 0; i < r->nprocs; i++) {
		struct host_proc *p = &r->procs[i];
		if (!p->release)
			continue;
		if (r->release && strcmp(r->release, p->release) != 0)
			r->releases_differ = true;
		if (!r->release || release_cmp(p->release, r->release) < 0) {
			free(r->release);
			free(r->where);
			r->release = xstrdup(p->release);
			r->where = xstrdup(p->where);
		}
		if (ts_before(r->code_ctime, p->code_ctime))
			r->code_ctime = p->code_ctime;
		if (p->code_ctime.tv_sec && ts_before(p->start, p->code_ctime)) {
			p->restart_needed = true;
			r->restart_needed = true;
		}
	}
	if (!r->release) {
		r->release = installed_barbican_release_at(o->root_dir, NULL, 0, &r->where);
		if (r->where)
			r->code_ctime = code_ctime(r->where);
	}

	/* draining: the disable file, through the host's root and each
	 * container's */
	if (r->nprocs) {
		enum bs_status st;
		char *path = disable_path(o->root_dir, o, true, err, &st);
		if (st != BS_ST_OK) {
			free(path);
			return st;
		}
		char *f = under(o->root_dir, path);
		free(path);
		if (access(f, F_OK) == 0) {
			r->draining = true;
			r->disable_file = f;
		} else {
			free(f);
		}
		for (size_t i = 0; i < r->nprocs && !r->draining; i++) {
			if (!r->procs[i].own_root)
				continue;
			path = disable_path(r->procs[i].root, o, false, err, &st);
			f = under(r->procs[i].root, path);
			free(path);
			if (access(f, F_OK) == 0) {
				r->draining = true;
				r->disable_file = f;
			} else {
				free(f);
			}
		}
	}
	return BS_ST_OK;
}

void host_report_free(struct host_report *r)
{
	for (size_t i = 0; i < r->nprocs; i++) {
		free_argv(r->procs[i].argv);
		free(r->procs[i].root);
		free(r->procs[i].release);
		free(r->procs[i].where);
	}
	free(r->procs);
	free(r->release);
	free(r->where);
	free(r->disable_file);
	memset(r, 0, sizeof(*r));
}
