#include "conf.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ini.h"
#include "sanitize.h"
#include "strbuf.h"
#include "strmap.h"
#include "xalloc.h"

struct dep {
	char *group;  /* "DEFAULT" for none, as oslo's DeprecatedOpt(group='DEFAULT') */
	char *name;
	char *env;    /* OS_GROUP__NAME, the variable of a lookup by this name:
		       * made when a lookup finds it set (env_lookup) */
};

struct opt {
	char *group;  /* NULL: DEFAULT; after name, in name's allocation */
	char *name;
	char *env;
	struct dep *deps;
	size_t ndeps;
	bool multi;
	char *dflt;
	bool no_env;  /* in a scope that no variable of the environment names */
	bool scoped;  /* a scope's option: its group's sections are conf->scope_first */
};

struct file {
	struct ini_file *ini;
	/* its sections by normalized name: the first, then each the next of
	 * the same name ([Database] and [database] are one group); the
	 * normalized names themselves are not kept (only the map's keys) */
	struct strmap by_norm;
	size_t *next_same;   /* SIZE_MAX: none */
};

struct conf {
	struct file *files;          /* in parse order */
	size_t nfiles, cap_files;
	const char **paths;          /* files[i].ini->path, for conf_files */
	const char **sections;       /* borrowed from the files' sections */
	size_t nsections;
	char **config_file;          /* the config_file option, absolute */
	size_t nconfig_file;
	char **arg_dirs;             /* --config-dir arguments as given */
	size_t narg_dirs;
	char **search_dirs;          /* _get_config_dirs(project) */
	size_t nsearch_dirs;
	char *home;                  /* NULL: "~" stays as it is */
	struct opt *opts;            /* in registration order */
	size_t nopts, cap_opts;
	struct strmap opt_index;     /* (group, name) -> index in opts */
	struct strmap groups;        /* registered groups (not DEFAULT) */
	struct strmap dep_index;     /* deprecated (group, name) -> the last opt with it */
	/* conf_scope: one group's options for one step, not registered (their
	 * strings borrowed from the caller; env their own) */
	const char *scope_group;
	struct opt *scope_opts;
	size_t nscope, cap_scope;
	size_t *scope_first;         /* per file: the first section of the group; SIZE_MAX none */
	size_t cap_scope_first;
};

/* An option's key in the maps: group (NULL: DEFAULT, as "\x01"), NUL, name;
 * in the caller's buffer when it fits (a lookup must not cost a malloc),
 * else malloc'd: key_done frees it. */
struct key {
	char buf[128];
	char *k;
	size_t len;
};

static char *opt_key(struct key *kb, const char *group, const char *name, size_t *len)
{
	const char *g = group ? group : "\x01";
	size_t gl = strlen(g), nl = strlen(name);
	size_t need = gl + 1 + nl + 1;
	kb->k = need <= sizeof(kb->buf) ? kb->buf : xmalloc(need);
	memcpy(kb->k, g, gl + 1);
	memcpy(kb->k + gl + 1, name, nl + 1);
	kb->len = *len = gl + 1 + nl;
	return kb->k;
}

static void key_done(struct key *kb)
{
	if (kb->k != kb->buf)
		free(kb->k);
	kb->k = NULL;
}

/* ---- paths, as Python's os.path does them ---- */

/* Append to a vector that holds exactly *n (its capacity is the next
 * power of two: grown by doubling, so a multi option of a million code
 * points is not a million reallocs, each a copy under ASan). */
static void push(char ***v, size_t *n, char *s)
{
	if ((*n & (*n - 1)) == 0)
		*v = xreallocarray(*v, *n ? 2 * *n : 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* os.path.expanduser, with home for "~". */
static char *expanduser(const char *home, const char *p)
{
	if (p[0] != '~')
		return xstrdup(p);
	size_t i = strcspn(p + 1, "/") + 1;
	const char *uh = home;
	if (i > 1) {
		char *user = xstrndup(p + 1, i - 1);
		struct passwd *pw = getpwnam(user);
		free(user);
		uh = pw ? pw->pw_dir : NULL;
	}
	if (!uh)
		return xstrdup(p);
	size_t n = strlen(uh);
	while (n > 0 && uh[n - 1] == '/')
		n--;
	char *r = xasprintf("%.*s%s", (int)n, uh, p + i);
	if (!*r) {
		free(r);
		r = xstrdup("/");
	}
	return r;
}

/* os.path.normpath: lexical, symbolic links are not resolved. */
static char *normpath(const char *p)
{
	if (!*p)
		return xstrdup(".");
	int slashes = p[0] == '/' ? (p[1] == '/' && p[2] != '/' ? 2 : 1) : 0;
	struct { const char *s; size_t len; } *comps = NULL;
	size_t n = 0;
	for (const char *c = p; *c;) {
		size_t len = strcspn(c, "/");
		bool dotdot = len == 2 && c[0] == '.' && c[1] == '.';
		if (len == 0 || (len == 1 && c[0] == '.')) {
			/* empty or ".": dropped */
		} else if (!dotdot || (!slashes && n == 0) ||
			   (n > 0 && comps[n - 1].len == 2 && memcmp(comps[n - 1].s, "..", 2) == 0)) {
			comps = xreallocarray(comps, n + 1, sizeof(*comps));
			comps[n].s = c;
			comps[n++].len = len;
		} else if (n > 0) {
			n--;
		}
		c += len;
		if (*c == '/')
			c++;
	}
	struct strbuf sb = STRBUF_INIT;
	sb_add(&sb, "//", (size_t)slashes);
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_addch(&sb, '/');
		sb_add(&sb, comps[i].s, comps[i].len);
	}
	free(comps);
	if (sb.len == 0)
		sb_addch(&sb, '.');
	return sb_detach(&sb);
}

/* oslo's _fixpath: os.path.abspath(os.path.expanduser(p)). */
static char *fixpath(const char *home, const char *p)
{
	char *e = expanduser(home, p);
	char *cwd = e[0] == '/' ? NULL : getcwd(NULL, 0);
	char *j = cwd ? xasprintf("%s/%s", cwd, e) : NULL;
	char *r = normpath(j ? j : e);
	free(cwd);
	free(j);
	free(e);
	return r;
}

/* os.path.join(a, b) */
static char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a);
	if (b[0] == '/' || n == 0 || a[n - 1] == '/')
		return b[0] == '/' ? xstrdup(b) : xasprintf("%s%s", a, b);
	return xasprintf("%s/%s", a, b);
}

/* os.path.dirname */
static char *path_dirname(const char *p)
{
	const char *slash = strrchr(p, '/');
	size_t n = slash ? (size_t)(slash - p) + 1 : 0;
	size_t k = n;
	while (k > 0 && p[k - 1] == '/')
		k--;
	return xstrndup(p, k > 0 ? k : n); /* all slashes: kept as they are */
}

/* os.path.exists: anything stat() reaches, following links. */
static bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sorted(glob.glob(os.path.join(dir, '*.conf'))): dot files are not matched,
 * every other kind of entry is; a directory that cannot be listed has none. */
static size_t glob_conf(const char *dir, char ***out)
{
	char **v = NULL;
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (e->d_name[0] != '.' && len >= 5 && strcmp(e->d_name + len - 5, ".conf") == 0)
			push(&v, &n, path_join(dir, e->d_name));
	}
	if (d)
		closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	return n;
}

/* ---- loading ---- */

/* oslo's _normalize_group_name; NULL is DEFAULT. */
static char *norm_group(const char *g)
{
	return !g || strcmp(g, "DEFAULT") == 0 ? xstrdup("DEFAULT") : py_lower(g);
}

/* norm_group in buf when it is ASCII and fits (every real group), else
 * malloc'd: free it when it is not buf. */
static char *norm_group_in(const char *g, char *buf, size_t cap)
{
	bool dflt = !g || strcmp(g, "DEFAULT") == 0;
	if (dflt)
		g = "DEFAULT";
	size_t i = 0;
	for (; g[i] && i + 1 < cap && !(g[i] & 0x80); i++)
		buf[i] = !dflt && g[i] >= 'A' && g[i] <= 'Z' ? (char)(g[i] + 32) : g[i];
	if (g[i])
		return norm_group(g);
	buf[i] = '\0';
	return buf;
}

/* _get_config_dirs(project) */
static void find_search_dirs(struct conf *c, const char *project)
{
	const char *snap = getenv("SNAP"), *snap_c = getenv("SNAP_COMMON");
	if (*project) {
		char *t = xasprintf("~/.%s", project);
		push(&c->search_dirs, &c->nsearch_dirs, fixpath(c->home, t));
		free(t);
	}
	push(&c->search_dirs, &c->nsearch_dirs, fixpath(c->home, "~"));
	if (*project)
		push(&c->search_dirs, &c->nsearch_dirs, path_join("/etc", project));
	push(&c->search_dirs, &c->nsearch_dirs, xstrdup("/etc"));
	const char *snaps[] = { snap_c, snap };
	for (size_t i = 0; i < ARRAY_SIZE(snaps) && *project; i++) {
		if (snaps[i] && *snaps[i]) {
			char *etc = path_join(snaps[i], "etc");
			push(&c->search_dirs, &c->nsearch_dirs, path_join(etc, project));
			free(etc);
		}
	}
}

/* _find_config_files: for the project and the program, the first of the
 * search dirs holding NAME + ext. */
static size_t find_defaults(const struct conf *c, const char *project, const char *prog,
			    const char *ext, char ***out)
{
	const char *names[] = { project, prog };
	char **v = NULL;
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!*names[i])
			continue;
		char *base = xasprintf("%s%s", names[i], ext);
		for (size_t j = 0; j < c->nsearch_dirs; j++) {
			char *p = path_join(c->search_dirs[j], base);
			if (exists(p)) {
				push(&v, &n, p);
				break;
			}
			free(p);
		}
		free(base);
	}
	*out = v;
	return n;
}

static void add_file(struct conf *c, struct ini_file *ini)
{
	xgrow(&c->files, &c->cap_files, c->nfiles + 1, sizeof(*c->files));
	struct file *f = &c->files[c->nfiles++];
	f->ini = ini;
	f->next_same = xcalloc(ini->nsections ? ini->nsections : 1, sizeof(*f->next_same));
	memset(&f->by_norm, 0, sizeof(f->by_norm));
	size_t *last = xcalloc(ini->nsections ? ini->nsections : 1, sizeof(*last));
	for (size_t i = 0; i < ini->nsections; i++) {
		char *norm = norm_group(ini->sections[i].name);
		f->next_same[i] = SIZE_MAX;
		size_t first;
		if (strmap_get(&f->by_norm, norm, strlen(norm), &first)) {
			f->next_same[last[first]] = i;
			last[first] = i;
		} else {
			strmap_put(&f->by_norm, norm, strlen(norm), i);
			last[i] = i;
		}
		free(norm);
	}
	free(last);
}

struct missing {
	char **not_found, **denied;
	size_t nnot_found, ndenied;
};

/* ConfigParser._parse_file: a file that does not exist or may not be read is
 * noted and reported once everything else was parsed, as oslo does; any
 * other failure stops at once. */
static enum bs_status load_file(struct conf *c, struct missing *m, const char *path,
				struct bs_err *err)
{
	char *fp = fixpath(c->home, path);
	struct ini_file *ini;
	errno = 0;
	enum bs_status st = ini_parse_file(fp, &ini, err);
	if (st == BS_ST_CONFIG_NOT_FOUND || (st == BS_ST_CONFIG_READ && errno == EACCES)) {
		if (st == BS_ST_CONFIG_NOT_FOUND)
			push(&m->not_found, &m->nnot_found, fp);
		else
			push(&m->denied, &m->ndenied, fp);
		return BS_ST_OK;
	}
	free(fp);
	if (!st)
		add_file(c, ini);
	return st;
}

static void list_missing(struct strbuf *sb, char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_addf(sb, "%s%s", i ? ", " : "", v[i]);
}

/* ConfigOpts._parse_config_files and the --config-file/--config-dir actions. */
static enum bs_status load(struct conf *c, const struct conf_args *a, struct missing *m,
			   struct bs_err *err)
{
	const char *project = a->project ? a->project : "barbican";
	const char *prog = a->prog ? a->prog : "barbican-status";
	bool file_args = false, dir_args = false;
	enum bs_status st = BS_ST_OK;

	for (size_t i = 0; i < a->nargs; i++) {
		if (a->args[i].is_dir)
			dir_args = true;
		else
			file_args = true;
	}
	find_search_dirs(c, project);

	if (file_args) {
		for (size_t i = 0; i < a->nargs; i++)
			if (!a->args[i].is_dir)
				push(&c->config_file, &c->nconfig_file, fixpath(c->home, a->args[i].path));
	} else {
		c->nconfig_file = find_defaults(c, project, prog, ".conf", &c->config_file);
		for (size_t i = 0; i < c->nconfig_file && !st; i++)
			st = load_file(c, m, c->config_file[i], err);
	}

	if (!dir_args) {
		char **dirs;
		size_t ndirs = find_defaults(c, project, prog, ".conf.d", &dirs);
		for (size_t i = 0; i < ndirs && !st; i++) {
			char **files;
			size_t nfiles = glob_conf(dirs[i], &files);
			for (size_t j = 0; j < nfiles && !st; j++)
				st = load_file(c, m, files[j], err);
			free_strv(files, nfiles);
		}
		free_strv(dirs, ndirs);
	}

	for (size_t i = 0; i < a->nargs && !st; i++) {
		const struct conf_arg *arg = &a->args[i];
		if (!arg->is_dir) {
			st = load_file(c, m, arg->path, err);
			continue;
		}
		push(&c->arg_dirs, &c->narg_dirs, xstrdup(arg->path));
		char *dir = expanduser(c->home, arg->path);
		if (!exists(dir)) {
			st = bs_fail(err, BS_ST_CONFIG_DIR, "%s", dir);
		} else {
			char **files;
			size_t nfiles = glob_conf(dir, &files);
			for (size_t j = 0; j < nfiles && !st; j++)
				st = load_file(c, m, files[j], err);
			free_strv(files, nfiles);
		}
		free(dir);
	}
	if (st)
		return st;

	struct strbuf sb = STRBUF_INIT;
	if (m->nnot_found) {
		list_missing(&sb, m->not_found, m->nnot_found);
		st = bs_fail(err, BS_ST_CONFIG_NOT_FOUND, "%s", sb_str(&sb));
	} else if (m->ndenied) {
		list_missing(&sb, m->denied, m->ndenied);
		st = bs_fail(err, BS_ST_CONFIG_READ, "%s: %s", sb_str(&sb), strerror(EACCES));
	}
	sb_free(&sb);
	return st;
}

/* The file names, and the section names once per normalized name. */
static void finish(struct conf *c)
{
	c->paths = xcalloc(c->nfiles + 1, sizeof(*c->paths));
	for (size_t i = 0; i < c->nfiles; i++)
		c->paths[i] = c->files[i].ini->path;

	/* a section is listed where its normalized name first appears: the
	 * first of that name in its file, in no earlier file */
	size_t cap = 0;
	for (size_t i = 0; i < c->nfiles; i++) {
		const struct file *f = &c->files[i];
		for (size_t j = 0; j < f->ini->nsections; j++) {
			char *norm = norm_group(f->ini->sections[j].name);
			size_t len = strlen(norm), k;
			bool first = strmap_get(&f->by_norm, norm, len, &k) && k == j;
			for (size_t e = 0; e < i && first; e++)
				first = !strmap_get(&c->files[e].by_norm, norm, len, &k);
			free(norm);
			if (!first)
				continue;
			xgrow(&c->sections, &cap, c->nsections + 1, sizeof(*c->sections));
			c->sections[c->nsections++] = f->ini->sections[j].name;
		}
	}
}

enum bs_status conf_load(const struct conf_args *a, struct conf **out, struct bs_err *err)
{
	struct conf *c = xcalloc(1, sizeof(*c));
	const char *home = a->home ? a->home : getenv("HOME");
	if (!home) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	c->home = xstrdup_or_null(home);

	struct missing m = { 0 };
	enum bs_status st = load(c, a, &m, err);
	free_strv(m.not_found, m.nnot_found);
	free_strv(m.denied, m.ndenied);
	if (st) {
		conf_free(c);
		*out = NULL;
		return st;
	}
	finish(c);
	*out = c;
	return BS_ST_OK;
}

struct conf *conf_from_files(struct ini_file **files, size_t n)
{
	struct conf *c = xcalloc(1, sizeof(*c));
	for (size_t i = 0; i < n; i++)
		add_file(c, files[i]);
	finish(c);
	return c;
}

/* The environment variable names a scope's lookups found set (kept for
 * their conf_loc until the scope ends, as a registered option's are until
 * it is forgotten). */
static void scope_clear(struct conf *c)
{
	for (size_t i = 0; i < c->nscope; i++)
		free(c->scope_opts[i].env);
	c->nscope = 0;
	c->scope_group = NULL;
}

static void opt_free(struct opt *o)
{
	for (size_t i = 0; i < o->ndeps; i++) {
		free(o->deps[i].group);
		free(o->deps[i].name);
		free(o->deps[i].env);
	}
	free(o->deps);
	free(o->name); /* and the group, in the same allocation */
	free(o->env);
	free(o->dflt);
}

void conf_drop_values(struct conf *c)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		free(c->files[i].next_same);
		strmap_free(&c->files[i].by_norm);
		ini_free(c->files[i].ini);
	}
	free(c->files);
	c->files = NULL;
	c->nfiles = c->cap_files = 0;
	free(c->paths);
	c->paths = NULL;
	free(c->sections);
	c->sections = NULL;
	c->nsections = 0;
	for (size_t i = 0; i < c->nopts; i++)
		opt_free(&c->opts[i]);
	free(c->opts);
	c->opts = NULL;
	c->nopts = c->cap_opts = 0;
	strmap_free(&c->opt_index);
	strmap_free(&c->groups);
	strmap_free(&c->dep_index);
	scope_clear(c);
	free(c->scope_opts);
	c->scope_opts = NULL;
	c->cap_scope = 0;
	free(c->scope_first);
	c->scope_first = NULL;
	c->cap_scope_first = 0;
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	conf_drop_values(c);
	free_strv(c->config_file, c->nconfig_file);
	free_strv(c->arg_dirs, c->narg_dirs);
	free_strv(c->search_dirs, c->nsearch_dirs);
	free(c->home);
	free(c);
}

size_t conf_sections(const struct conf *c, const char *const **out)
{
	*out = c->sections;
	return c->nsections;
}

size_t conf_files(const struct conf *c, const char *const **out)
{
	*out = c->paths;
	return c->nfiles;
}

size_t conf_config_file_opt(const struct conf *c, const char *const **out)
{
	*out = (const char *const *)c->config_file;
	return c->nconfig_file;
}

char *conf_find_file(const struct conf *c, const char *name)
{
	char **dirs = NULL;
	size_t n = 0;
	for (size_t i = 0; i < c->narg_dirs; i++)
		push(&dirs, &n, fixpath(c->home, c->arg_dirs[i]));
	for (size_t i = c->nconfig_file; i-- > 0;)
		push(&dirs, &n, path_dirname(c->config_file[i]));
	for (size_t i = 0; i < c->nsearch_dirs; i++)
		push(&dirs, &n, xstrdup(c->search_dirs[i]));
	char *found = NULL;
	for (size_t i = 0; i < n && !found; i++) {
		char *p = path_join(dirs[i], name);
		if (exists(p))
			found = p;
		else
			free(p);
	}
	free_strv(dirs, n);
	return found;
}

/* ---- options ---- */

static bool same_group(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* "DEFAULT" and NULL both name the DEFAULT group here. */
static const char *default_null(const char *g)
{
	return g && strcmp(g, "DEFAULT") == 0 ? NULL : g;
}

void conf_register(struct conf *c, const struct conf_opt *o)
{
	const char *group = default_null(o->group);
	size_t nl = strlen(o->name), gl = group ? strlen(group) : 0;
	char *names = xmalloc(nl + 1 + (group ? gl + 1 : 0));
	memcpy(names, o->name, nl + 1);
	if (group)
		memcpy(names + nl + 1, group, gl + 1);
	struct opt n = {
		.group = group ? names + nl + 1 : NULL,
		.name = names,
		.env = NULL,
		.deps = o->ndeprecated ? xcalloc(o->ndeprecated, sizeof(*n.deps)) : NULL,
		.ndeps = o->ndeprecated,
		.multi = o->multi,
		.dflt = xstrdup_or_null(o->dflt),
	};
	for (size_t i = 0; i < o->ndeprecated; i++) {
		const struct conf_name *d = &o->deprecated[i];
		n.deps[i].group = xstrdup(d->group ? d->group : "DEFAULT");
		n.deps[i].name = xstrdup(d->name);
		n.deps[i].env = NULL;
	}
	size_t klen, at;
	struct key kb;
	char *key = opt_key(&kb, group, o->name, &klen);
	bool added;
	size_t *slot = strmap_ref(&c->opt_index, key, klen, &added);
	if (!added) {
		at = *slot;
		opt_free(&c->opts[at]);
		c->opts[at] = n;
	} else {
		xgrow(&c->opts, &c->cap_opts, c->nopts + 1, sizeof(*c->opts));
		at = c->nopts++;
		c->opts[at] = n;
		*slot = at;
		/* a group is registered while it has options */
		if (group)
			(*strmap_ref(&c->groups, group, gl, &added))++;
	}
	key_done(&kb);
	/* the last registered option with a deprecated name wins it */
	for (size_t i = 0; i < c->opts[at].ndeps; i++) {
		const struct dep *d = &c->opts[at].deps[i];
		struct key dkb;
		char *dk = opt_key(&dkb, d->group, d->name, &klen);
		strmap_put(&c->dep_index, dk, klen, at);
		key_done(&dkb);
	}
}

/* Does a variable of the environment begin with OS_GROUP__ (ASCII upper
 * case, as env_lookup makes the names)? One pass over the environment for
 * a scope, instead of a name made and looked up for each of its options
 * (10,000 nodes: 60,000 getenv, a tenth of loading their configuration). */
static char env_upper(char ch)
{
	return ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
}

static bool env_names_group(const char *group)
{
	size_t gl = strlen(group);
	for (char **e = environ; *e; e++) {
		const char *v = *e;
		if (strncmp(v, "OS_", 3) != 0)
			continue;
		size_t i = 0;
		for (; i < gl; i++) {
			if (v[3 + i] != env_upper(group[i]))
				break;
		}
		if (i == gl && v[3 + gl] == '_' && v[4 + gl] == '_')
			return true;
	}
	return false;
}

void conf_scope(struct conf *c, const char *group, const char *const *names, size_t n)
{
	scope_clear(c);
	group = default_null(group);
	assert(group); /* DEFAULT has no scope: its options are registered */
	bool no_env = !env_names_group(group);
	xgrow(&c->scope_opts, &c->cap_scope, n, sizeof(*c->scope_opts));
	for (size_t i = 0; i < n; i++)
		c->scope_opts[i] = (struct opt){ .group = (char *)group, .name = (char *)names[i],
						 .no_env = no_env, .scoped = true };
	/* the group normalized and found in each file once for all its
	 * lookups, not once each */
	xgrow(&c->scope_first, &c->cap_scope_first, c->nfiles, sizeof(*c->scope_first));
	char g0[128];
	char *norm = norm_group_in(group, g0, sizeof(g0));
	for (size_t k = 0; k < c->nfiles; k++)
		if (!strmap_get(&c->files[k].by_norm, norm, strlen(norm), &c->scope_first[k]))
			c->scope_first[k] = SIZE_MAX;
	if (norm != g0)
		free(norm);
	c->nscope = n;
	c->scope_group = group;
}

void conf_scope_end(struct conf *c)
{
	scope_clear(c);
}

/* The scope's option (group, name): the last of that name, as a second
 * registration replaces the first. */
static const struct opt *scoped(const struct conf *c, const char *group, const char *name)
{
	if (!c->scope_group || !group || strcmp(group, c->scope_group) != 0)
		return NULL;
	for (size_t i = c->nscope; i-- > 0;)
		if (strcmp(c->scope_opts[i].name, name) == 0)
			return &c->scope_opts[i];
	return NULL;
}

static bool group_registered(const struct conf *c, const char *g)
{
	size_t v;
	return (c->scope_group && strcmp(g, c->scope_group) == 0) ||
	       strmap_get(&c->groups, g, strlen(g), &v);
}

/* How an option was found: its environment variable and group name (owned
 * by the conf) for the name it was asked by. */
struct asked {
	const char *group;      /* as the option's loc names it */
	const char *env_group;  /* NULL: DEFAULT */
	const char *env_name;
	char **env;             /* where the variable's name is kept once set */
};

/* ConfigOpts._get_opt_info: the option registered as (group, name), else
 * the last registered one that has it as a deprecated name
 * (_find_deprecated_opts; oslo keys those by the group as written). The
 * group must be registered (NoSuchGroupError). */
static const struct opt *resolve(const struct conf *c, const char *group, const char *name,
				 struct asked *a)
{
	if (group && !group_registered(c, group))
		return NULL;
	const struct opt *so = scoped(c, group, name);
	if (so) {
		*a = (struct asked){ so->group, so->group, so->name, (char **)&so->env };
		return so;
	}
	size_t klen, at;
	struct key kb;
	char *key = opt_key(&kb, group, name, &klen);
	bool found = strmap_get(&c->opt_index, key, klen, &at);
	key_done(&kb);
	if (found) {
		const struct opt *o = &c->opts[at];
		*a = (struct asked){ o->group ? o->group : "DEFAULT", o->group, o->name,
				     (char **)&o->env };
		return o;
	}
	/* deprecated names are keyed by the group as written, DEFAULT by name */
	key = opt_key(&kb, group ? group : "DEFAULT", name, &klen);
	found = strmap_get(&c->dep_index, key, klen, &at);
	key_done(&kb);
	if (!found)
		return NULL;
	const struct opt *o = &c->opts[at];
	for (size_t j = 0; j < o->ndeps; j++) {
		const struct dep *d = &o->deps[j];
		if (strcmp(d->group, group ? group : "DEFAULT") == 0 && strcmp(d->name, name) == 0) {
			*a = (struct asked){ d->group, default_null(d->group), d->name,
					     (char **)&d->env };
			return o;
		}
	}
	return NULL;
}

/* ---- values ---- */

/* One value of a key in a file. */
struct hit {
	const struct ini_value *v;
	const char *section;   /* as written */
};

/* The values of [group] name in one file in file order (a normalized group
 * merges [Database], [database]...: their values interleave by line). */
static size_t file_values(const struct file *f, size_t first, const char *name,
			  struct hit *small, size_t nsmall, struct hit **out)
{
	size_t n = 0, cap = nsmall;
	*out = small;
	for (size_t i = first; i != SIZE_MAX; i = f->next_same[i]) {
		const struct ini_key *k = ini_key(&f->ini->sections[i], name);
		for (size_t j = 0; k && j < k->nvalues; j++) {
			size_t at = n++;
			/* in the caller's array while it holds them (a key is
			 * nearly always set once) */
			if (n > cap) {
				cap = 2 * n;
				if (*out == small) {
					*out = xcalloc(cap, sizeof(**out));
					memcpy(*out, small, (n - 1) * sizeof(**out));
				} else {
					*out = xreallocarray(*out, cap, sizeof(**out));
				}
			}
			for (; at > 0 && (*out)[at - 1].v->line > k->values[j].line; at--)
				(*out)[at] = (*out)[at - 1];
			(*out)[at] = (struct hit){ &k->values[j], f->ini->sections[i].name };
		}
	}
	return n;
}

/* A value as oslo has it before substitution: None, a string, or (a multi
 * option's values from the files) a list of strings. Borrowed. */
struct raw {
	bool set, is_list;
	const char *s;
	const char **list;
	size_t n;
	struct conf_loc loc;
};

/* _Namespace._get_file_value for the names (group normalized) of an option:
 * a single value comes from the last file that sets any of the names (the
 * first name it sets, its last value); a multi value gathers every file in
 * parse order, and within a file the names in reverse order (oslo prepends:
 * rvalue = val + rvalue). */
static void from_files(const struct conf *c, char *const *groups, const char *const *names,
		       size_t nnames, bool multi, const size_t *firsts, struct raw *r)
{
	for (size_t k = 0; k < c->nfiles; k++) {
		size_t fk = multi ? k : c->nfiles - 1 - k;
		const struct file *f = &c->files[fk];
		for (size_t m = 0; m < nnames; m++) {
			size_t at = multi ? nnames - 1 - m : m;
			struct hit small[4], *h;
			size_t first;
			if (firsts)
				first = firsts[fk];
			else if (!strmap_get(&f->by_norm, groups[at], strlen(groups[at]), &first))
				first = SIZE_MAX;
			size_t n = file_values(f, first, names[at], small, 4, &h);
			if (n && (!r->set || !multi)) {
				r->set = true;
				r->loc = (struct conf_loc){ CONF_LOC_FILE, f->ini->path, h[n - 1].v->line,
							    h[n - 1].section, names[at] };
			}
			if (n && !multi) {
				r->s = h[n - 1].v->value;
				if (h != small)
					free(h);
				return;
			}
			for (size_t i = 0; i < n; i++) {
				r->list = xreallocarray(r->list, r->n + 1, sizeof(*r->list));
				r->list[r->n++] = h[i].v->value;
			}
			if (h != small)
				free(h);
		}
	}
	r->is_list = r->set;
}

/* A looked-up value: None (!set), a string or a list. */
struct value {
	bool set, is_list;
	char *s;
	char **list;
	size_t n;
	struct conf_loc loc;
};

static void value_free(struct value *v)
{
	free(v->s);
	free_strv(v->list, v->n);
	*v = (struct value){ 0 };
}

/* What substitution inserts for a value: str(value), "" for None. */
static void render(struct strbuf *sb, const struct value *v)
{
	if (v->set && !v->is_list) {
		sb_addstr(sb, v->s);
	} else if (v->set) {
		sb_addch(sb, '['); /* str(list): the repr of each item */
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				sb_addstr(sb, ", ");
			py_repr(sb, v->list[i]);
		}
		sb_addch(sb, ']');
	}
}

/* Substitution may grow a value by this much, no more: "$a$a" with a = "$b$b"
 * and so on doubles at each level (oslo would run out of memory), and a
 * multi option's text is the repr of one item per code point, five bytes
 * each. 64 KiB is far beyond any real value (a URL, a path) and keeps a
 * hostile file's substitutions to milliseconds (1 MiB let a 3.7 KB file
 * take a second, eleven under ASan). */
#define SUBST_GROWTH (64 * 1024)

/* One top-level lookup: the options being substituted (a cycle is an error,
 * oslo's RecursionError) and those already done (oslo caches them too; it
 * keeps "$b$b$b" with b = "$c$c$c"... from taking exponential time). */
struct frame {
	const char *group, *name;
	const struct frame *up;
};

struct done {
	char *group, *name, *text;
};

struct ctx {
	const struct conf *c;
	struct done *done;
	size_t ndone;
	struct bs_err *err;
};

enum { GET_OK, GET_NOSUCHOPT, GET_ERR };

static int do_get_opt(struct ctx *x, const char *group, const char *name, const struct frame *up,
		      const struct opt *o, const struct asked *resolved, struct value *out);

/* The text of option (group, name) for a substitution. */
static int get_text(struct ctx *x, const char *group, const char *name, const struct frame *up,
		    struct strbuf *sb)
{
	for (size_t i = 0; i < x->ndone; i++) {
		if (same_group(x->done[i].group, group) && strcmp(x->done[i].name, name) == 0) {
			sb_addstr(sb, x->done[i].text);
			return GET_OK;
		}
	}
	struct value v;
	int r = do_get_opt(x, group, name, up, NULL, NULL, &v);
	if (r != GET_OK)
		return r;
	struct strbuf t = STRBUF_INIT;
	render(&t, &v);
	value_free(&v);
	x->done = xreallocarray(x->done, x->ndone + 1, sizeof(*x->done));
	x->done[x->ndone++] = (struct done){ xstrdup_or_null(group), xstrdup(name), sb_detach(&t) };
	sb_addstr(sb, x->done[x->ndone - 1].text);
	return GET_OK;
}

/* StrSubWrapper.__getitem__ with _do_get's group check: "$name" is an option
 * of the group being read, else of DEFAULT; "${g.name}" one of group g (which
 * must exist), else "g.name" of DEFAULT. A group is not a value. */
static int sub_lookup(struct ctx *x, const char *ctx_group, const char *key,
		      const struct frame *up, struct strbuf *sb, const char **why)
{
	const char *dot = strchr(key, '.');
	char *g = dot ? xstrndup(key, (size_t)(dot - key)) : NULL;
	const char *group = dot ? g : ctx_group, *name = dot ? dot + 1 : key;
	int r = GET_NOSUCHOPT;
	*why = "no such option";
	if (dot && !group_registered(x->c, g)) {
		*why = "no such group";
	} else {
		for (int pass = 0; pass < 2 && r == GET_NOSUCHOPT; pass++) {
			if (!group && group_registered(x->c, name)) {
				*why = "substituting a group is not supported";
				break;
			}
			r = get_text(x, group, name, up, sb);
			group = NULL, name = key;
		}
	}
	free(g);
	return r;
}

static bool id_char(const char *s, size_t len, size_t *n, bool first)
{
	unsigned cp;
	*n = utf8_decode((const unsigned char *)s, len, &cp);
	if (*n == 0)
		return false;
	/* [_a-z] under re.IGNORECASE also matches these four */
	if (cp == '_' || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || cp == 0x130 ||
	    cp == 0x131 || cp == 0x17f || cp == 0x212a)
		return true;
	return !first && ((cp >= '0' && cp <= '9') || cp == '.');
}

static size_t id_len(const char *s, size_t len)
{
	size_t i = 0, n;
	while (i < len && id_char(s + i, len - i, &n, i == 0))
		i += n;
	return i;
}

/* Where a value came from, for messages. */
static char *origin(const struct conf_loc *loc, const char *group, const char *name)
{
	switch (loc->kind) {
	case CONF_LOC_FILE:
		return xasprintf("%s: line %d: [%s] %s", loc->file, loc->line, loc->group, loc->name);
	case CONF_LOC_ENV:
		return xasprintf("environment variable %s", loc->name);
	case CONF_LOC_DEFAULT:
		break;
	}
	return xasprintf("default of [%s] %s", group ? group : "DEFAULT", name);
}

/* ConfigOpts._substitute: "\$" is "$$", then string.Template's
 * safe_substitute with oslo's idpattern: "$$" is "$", "$id" and "${id}" are
 * replaced, any other '$' stays. */
static int substitute(struct ctx *x, const struct frame *me, const char *in,
		      const struct conf_loc *loc, char **out)
{
	/* nearly every value has nothing to substitute: as it is */
	if (!strchr(in, '$')) {
		*out = xstrdup(in);
		return GET_OK;
	}
	struct strbuf t = STRBUF_INIT, sb = STRBUF_INIT;
	for (const char *p = in; *p; p++) {
		if (p[0] == '\\' && p[1] == '$') {
			sb_addstr(&t, "$$");
			p++;
		} else {
			sb_addch(&t, *p);
		}
	}
	sb_add(&sb, "", 0);
	const char *s = sb_str(&t);
	int r = GET_OK;
	for (size_t i = 0, len = t.len; i < len && r == GET_OK;) {
		size_t start = i + 1, n = 0;
		if (s[i] != '$' || (start < len && s[start] == '$')) {
			sb_addch(&sb, s[i]); /* "$$" gives "$" */
			i += s[i] == '$' ? 2 : 1;
			continue;
		}
		if ((n = id_len(s + start, len - start)) > 0) {
			i = start + n;
		} else if (start < len && s[start] == '{' &&
			   (n = id_len(s + start + 1, len - start - 1)) > 0 &&
			   start + 1 + n < len && s[start + 1 + n] == '}') {
			start++;
			i = start + n + 1;
		} else {
			sb_addch(&sb, '$');
			i++;
			continue;
		}
		char *key = xstrndup(s + start, n);
		const char *why = NULL;
		r = sub_lookup(x, me->group, key, me, &sb, &why);
		if (r == GET_NOSUCHOPT || (r == GET_OK && sb.len > t.len + SUBST_GROWTH)) {
			char *o = origin(loc, me->group, me->name);
			bs_fail(x->err, BS_ST_CONFIG_VALUE, "%s: cannot substitute ${%s}: %s", o, key,
				r == GET_OK ? "value too long" : why);
			free(o);
			r = GET_ERR;
		}
		free(key);
	}
	sb_free(&t);
	if (r == GET_OK)
		*out = sb_detach(&sb);
	sb_free(&sb);
	return r;
}

/* _convert_value of a string for a multi option: Python iterates over the
 * string, one item per code point (an environment variable or a default). */
static void split_code_points(const char *s, char ***out, size_t *n)
{
	size_t len = strlen(s), k;
	for (size_t i = 0; i < len; i += k) {
		unsigned cp;
		k = utf8_decode((const unsigned char *)s + i, len - i, &cp);
		push(out, n, xstrndup(s + i, k ? k : 1));
	}
}

/* The environment's value for the option as asked (NULL: not set). The
 * variable is EnvironmentConfigurationSource.get_name's OS_GROUP__NAME in
 * ASCII upper case (option and group names are ours), built on the stack
 * and kept (in the option, for the value's conf_loc) only when it is set,
 * which is rare: a 10,000-node configuration looks up 60,000 options. */
static const char *env_lookup(const struct asked *a)
{
	const char *g = a->env_group ? a->env_group : "DEFAULT";
	size_t gl = strlen(g), nl = strlen(a->env_name);
	char small[160], *buf = 3 + gl + 2 + nl + 1 <= sizeof(small) ? small
				   : xmalloc(3 + gl + 2 + nl + 1);
	char *p = buf;
	memcpy(p, "OS_", 3);
	memcpy(p += 3, g, gl);
	memcpy(p += gl, "__", 2);
	memcpy(p += 2, a->env_name, nl + 1);
	for (p = buf; *p; p++)
		*p = env_upper(*p);
	const char *e = getenv(buf);
	if (e && !*a->env)
		*a->env = xstrdup(buf);
	if (buf != small)
		free(buf);
	return e;
}

/* ConfigOpts._do_get: the environment, then the files, then the default,
 * substituted within the group asked for. o and how it was asked: from the
 * caller when it has resolved them (NULL: resolved here). */
static int do_get_opt(struct ctx *x, const char *group, const char *name, const struct frame *up,
		      const struct opt *o, const struct asked *resolved, struct value *out)
{
	const struct conf *c = x->c;
	*out = (struct value){ 0 };
	struct asked asked;
	if (o)
		asked = *resolved;
	else if (!(o = resolve(c, group, name, &asked)))
		return GET_NOSUCHOPT;
	for (const struct frame *f = up; f; f = f->up)
		if (same_group(f->group, group) && strcmp(f->name, name) == 0)
			return bs_fail(x->err, BS_ST_CONFIG_VALUE,
				       "[%s] %s: substitution refers to itself",
				       group ? group : "DEFAULT", name), GET_ERR;
	struct frame me = { group, name, up };

	struct raw raw = { 0 };
	const char *e = o->no_env ? NULL : env_lookup(&asked);
	if (e) {
		raw = (struct raw){ .set = true, .s = e };
		raw.loc = (struct conf_loc){ CONF_LOC_ENV, NULL, 0, asked.group, *asked.env };
	} else if (o->scoped) {
		/* one name, its group's sections found when the scope began */
		const char *name0 = o->name;
		from_files(c, NULL, &name0, 1, o->multi, c->scope_first, &raw);
	} else {
		/* (group, the option's name), then each deprecated name; on the
		 * stack for the few names nearly every option has */
		size_t n = o->ndeps + 1;
		char *groups_small[4];
		const char *names_small[4];
		char **groups = n <= 4 ? groups_small : xcalloc(n, sizeof(*groups));
		const char **names = n <= 4 ? names_small : xcalloc(n, sizeof(*names));
		char g0[128];
		groups[0] = norm_group_in(group, g0, sizeof(g0)), names[0] = o->name;
		for (size_t i = 1; i < n; i++) {
			groups[i] = norm_group(o->deps[i - 1].group);
			names[i] = o->deps[i - 1].name;
		}
		from_files(c, groups, names, n, o->multi, NULL, &raw);
		for (size_t i = 0; i < n; i++)
			if (groups[i] != g0)
				free(groups[i]);
		if (groups != groups_small) {
			free(groups);
			free(names);
		}
	}
	if (!raw.set && o->dflt)
		raw = (struct raw){ .set = true, .s = o->dflt };

	int r = GET_OK;
	out->set = raw.set;
	out->loc = raw.loc;
	out->is_list = raw.set && o->multi;
	for (size_t i = 0; raw.is_list && i < raw.n && r == GET_OK; i++) {
		char *s;
		if ((r = substitute(x, &me, raw.list[i], &raw.loc, &s)) == GET_OK)
			push(&out->list, &out->n, s);
	}
	if (raw.set && !raw.is_list && r == GET_OK &&
	    (r = substitute(x, &me, raw.s, &raw.loc, &out->s)) == GET_OK && o->multi) {
		split_code_points(out->s, &out->list, &out->n);
		free(out->s);
		out->s = NULL;
	}
	free(raw.list);
	if (r == GET_OK && out->is_list && !out->list) /* [], not None */
		out->list = xcalloc(1, sizeof(*out->list));
	if (r != GET_OK)
		value_free(out);
	return r;
}

static enum bs_status get(const struct conf *c, const char *group, const char *name, bool multi,
			  struct value *v, struct bs_err *err)
{
	group = default_null(group);
	struct asked asked;
	const struct opt *o = resolve(c, group, name, &asked);
	if (!o)
		return bs_fail(err, BS_ST_INTERNAL, "option [%s] %s is not registered",
			       group ? group : "DEFAULT", name);
	if (o->multi != multi)
		return bs_fail(err, BS_ST_INTERNAL, "option [%s] %s is %sa multi option",
			       group ? group : "DEFAULT", name, multi ? "not " : "");
	struct ctx x = { c, NULL, 0, err };
	int r = do_get_opt(&x, group, name, NULL, o, &asked, v);
	for (size_t i = 0; i < x.ndone; i++) {
		free(x.done[i].group);
		free(x.done[i].name);
		free(x.done[i].text);
	}
	free(x.done);
	return r == GET_OK ? BS_ST_OK : BS_ST_CONFIG_VALUE;
}

enum bs_status conf_get(const struct conf *c, const char *group, const char *name,
			char **out, struct conf_loc *loc, struct bs_err *err)
{
	struct value v;
	*out = NULL;
	enum bs_status st = get(c, group, name, false, &v, err);
	if (st)
		return st;
	*out = v.s;
	if (loc)
		*loc = v.loc;
	return BS_ST_OK;
}

enum bs_status conf_get_multi(const struct conf *c, const char *group, const char *name,
			      char ***out, size_t *n, struct bs_err *err)
{
	struct value v;
	*out = NULL;
	*n = 0;
	enum bs_status st = get(c, group, name, true, &v, err);
	if (st)
		return st;
	*out = v.list;
	*n = v.n;
	return BS_ST_OK;
}
