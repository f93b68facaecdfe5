/* test-conf.c: core/conf.c against oslo.config itself. Each case (from
 * the JSON files of tests/data/conf, or made up at random below) describes files to
 * create under a temporary root, a HOME, environment variables, command-line
 * --config-file/--config-dir arguments, options to register and lookups.
 * All cases go to tests/oracle/oslo_conf.py in one run of /usr/bin/python3;
 * then each runs through conf_load/conf_get here, and everything is
 * compared: the files parsed, the config_file option, the sections, every
 * value (or that both fail), find_file's answers, and the kind of error when
 * loading fails. In the case files, "@ROOT@" stands for the case's root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "ini.h"
#include "oracle-util.h"
#include "strbuf.h"
#include "xalloc.h"

extern char **environ;

static size_t ncases;

/* ---- making a case's files ---- */

static char *subst_root(const char *s, const char *root)
{
	struct strbuf sb = STRBUF_INIT;
	const char *at;
	sb_add(&sb, "", 0);
	while ((at = strstr(s, "@ROOT@"))) {
		sb_add(&sb, s, (size_t)(at - s));
		sb_addstr(&sb, root);
		s = at + 6;
	}
	sb_addstr(&sb, s);
	return sb_detach(&sb);
}

static void mkdirs(const char *path)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST)
		return;
	if (errno == ENOENT) { /* make the parent first */
		char *parent = xstrdup(path);
		char *slash = strrchr(parent, '/');
		if (slash && slash != parent) {
			*slash = '\0';
			mkdirs(parent);
		}
		free(parent);
		if (mkdir(path, 0755) == 0 || errno == EEXIST)
			return;
	}
	fail_msg("mkdir %s: %s", path, strerror(errno));
}

static void make_file(const char *root, json_t *f)
{
	char *path = xasprintf("%s/%s", root, json_string_value(json_object_get(f, "path")));
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	free(dir);
	json_t *v;
	struct strbuf sb = STRBUF_INIT;
	if (json_is_true(json_object_get(f, "dir"))) {
		mkdirs(path);
	} else if ((v = json_object_get(f, "symlink"))) {
		char *target = subst_root(json_string_value(v), root);
		assert_int_equal(symlink(target, path), 0);
		free(target);
	} else {
		if ((v = json_object_get(f, "text"))) {
			sb_add(&sb, json_string_value(v), json_string_length(v));
		} else if ((v = json_object_get(f, "lines"))) {
			size_t i;
			json_t *l;
			json_array_foreach(v, i, l) {
				sb_add(&sb, json_string_value(l), json_string_length(l));
				sb_addch(&sb, '\n');
			}
		} else if ((v = json_object_get(f, "hex"))) {
			const char *h = json_string_value(v);
			for (size_t i = 0; h[i] && h[i + 1]; i += 2) {
				char byte[3] = { h[i], h[i + 1], 0 };
				sb_addch(&sb, (char)strtol(byte, NULL, 16));
			}
		}
		FILE *out = fopen(path, "wb");
		assert_non_null(out);
		assert_int_equal(fwrite(sb_str(&sb), 1, sb.len, out), sb.len);
		assert_int_equal(fclose(out), 0);
	}
	sb_free(&sb);
	free(path);
}

/* The oracle's request for one case: files made, "@ROOT@" replaced, opts
 * and gets taken from the defaults when the case has none. */
static json_t *prepare(json_t *c, json_t *defaults)
{
	char *root = xasprintf("%s/case%zu", oracle_tmpdir(), ncases++);
	mkdirs(root);
	size_t i;
	json_t *f, *v;
	json_array_foreach(json_object_get(c, "files"), i, f)
		make_file(root, f);

	json_t *req = json_object();
	const char *home = json_string_value(json_object_get(c, "home"));
	char *h = xasprintf("%s/%s", root, home ? home : "home");
	mkdirs(h);
	if ((v = json_object_get(c, "name")))
		json_object_set(req, "name", v);
	json_object_set_new(req, "home", json_string(h));
	free(h);
	const char *cwd = json_string_value(json_object_get(c, "cwd"));
	if (cwd) {
		char *d = xasprintf("%s/%s", root, cwd);
		mkdirs(d);
		json_object_set_new(req, "cwd", json_string(d));
		free(d);
	} else {
		json_object_set_new(req, "cwd", json_null());
	}
	json_t *env = json_object();
	const char *k;
	json_object_foreach(json_object_get(c, "env"), k, v) {
		char *s = subst_root(json_string_value(v), root);
		json_object_set_new(env, k, json_string(s));
		free(s);
	}
	json_object_set_new(req, "env", env);
	json_t *args = json_array(), *a;
	json_array_foreach(json_object_get(c, "args"), i, a) {
		char *s = subst_root(json_string_value(json_array_get(a, 1)), root);
		json_array_append_new(args, json_pack("[Os]", json_array_get(a, 0), s));
		free(s);
	}
	json_object_set_new(req, "args", args);
	json_t *find = json_array();
	json_array_foreach(json_object_get(c, "find"), i, v) {
		char *s = subst_root(json_string_value(v), root);
		json_array_append_new(find, json_string(s));
		free(s);
	}
	json_object_set_new(req, "find", find);
	json_object_set(req, "project", (v = json_object_get(c, "project")) ? v : json_null());
	json_object_set(req, "prog", (v = json_object_get(c, "prog")) ? v : json_null());

	json_t *opts = json_object_get(c, "opts");
	if (!opts)
		opts = json_object_get(defaults, "opts");
	json_object_set(req, "opts", opts ? opts : json_array());
	json_t *get = json_object_get(c, "get");
	if (!get)
		get = json_object_get(defaults, "get");
	if (get) {
		json_object_set(req, "get", get);
	} else { /* every option registered, by its own name */
		get = json_array();
		json_array_foreach(opts, i, v)
			json_array_append_new(get, json_pack("[OO]", json_object_get(v, "group"),
							     json_object_get(v, "name")));
		json_object_set_new(req, "get", get);
	}
	free(root);
	return req;
}

/* ---- running a case here ---- */

static void set_env(json_t *env)
{
	/* oslo_conf.py clears the same variables */
	for (;;) {
		char *name = NULL;
		for (char **e = environ; *e && !name; e++)
			if (strncmp(*e, "OS_", 3) == 0 || strncmp(*e, "SNAP", 4) == 0)
				name = xstrndup(*e, strcspn(*e, "="));
		if (!name)
			break;
		unsetenv(name);
		free(name);
	}
	const char *k;
	json_t *v;
	json_object_foreach(env, k, v)
		setenv(k, json_string_value(v), 1);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *strv_json(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* What we read for (group, name), as the oracle writes it. */
static json_t *lookup(const struct conf *c, const char *group, const char *name)
{
	char *v = NULL;
	struct bs_err err = { 0 };
	enum bs_status st = conf_get(c, group, name, &v, NULL, &err);
	if (st == BS_ST_INTERNAL && strstr(err.detail, "is a multi option")) {
		char **list;
		size_t n;
		st = conf_get_multi(c, group, name, &list, &n, &err);
		if (st == BS_ST_OK) {
			json_t *a = list ? strv_json((const char *const *)list, n) : json_null();
			for (size_t i = 0; i < n; i++)
				free(list[i]);
			free(list);
			return json_pack("{s:b, s:o}", "ok", 1, "value", a);
		}
	}
	if (st != BS_ST_OK) {
		/* BS_ST_INTERNAL: not registered (a group that is not), an error
		 * in oslo too */
		if (st != BS_ST_CONFIG_VALUE && st != BS_ST_INTERNAL)
			fail_msg("[%s] %s: unexpected status %d: %s", group, name, st, err.detail);
		return json_pack("{s:b, s:s}", "ok", 0, "error", err.detail);
	}
	json_t *r = json_pack("{s:b, s:o}", "ok", 1, "value", str_or_null(v));
	free(v);
	return r;
}

static void fail_json(const char *name, const char *what, json_t *want, json_t *got)
{
	char *a = json_dumps(want, JSON_ENCODE_ANY), *b = json_dumps(got, JSON_ENCODE_ANY);
	fail_msg("%s: %s:\n  oslo: %s\n  ours: %s", name, what, a, b);
}

/* A list of ours (v, n) against the oracle's want[key]. */
static void check_strv(const char *name, const char *what, json_t *want, const char *key,
		       const char *const *v, size_t n)
{
	json_t *got = strv_json(v, n);
	if (!json_equal(got, json_object_get(want, key)))
		fail_json(name, what, json_object_get(want, key), got);
	json_decref(got);
}

static const char *const load_kinds[] = {
	[BS_ST_CONFIG_NOT_FOUND] = "not_found", [BS_ST_CONFIG_DIR] = "dir",
	[BS_ST_CONFIG_READ] = "read", [BS_ST_CONFIG_PARSE] = "parse",
};

static size_t nvalues;

/* Run one prepared case here and compare with the oracle's answer. */
static void run_case(json_t *req, json_t *want, bool home_from_env)
{
	const char *name = json_string_value(json_object_get(req, "name"));
	if (!name)
		name = "random case";
	set_env(json_object_get(req, "env"));
	const char *home = json_string_value(json_object_get(req, "home"));
	setenv("HOME", home, 1);
	char *cwd = getcwd(NULL, 0);
	const char *dir = json_string_value(json_object_get(req, "cwd"));
	if (dir)
		assert_int_equal(chdir(dir), 0);

	json_t *args = json_object_get(req, "args"), *a, *v;
	size_t nargs = json_array_size(args), i;
	struct conf_arg *ca = xcalloc(nargs + 1, sizeof(*ca));
	json_array_foreach(args, i, a) {
		ca[i].is_dir = strcmp(json_string_value(json_array_get(a, 0)), "dir") == 0;
		ca[i].path = json_string_value(json_array_get(a, 1));
	}
	struct conf_args cargs = {
		ca, nargs, home_from_env ? NULL : home,
		json_string_value(json_object_get(req, "project")),
		json_string_value(json_object_get(req, "prog")),
	};
	struct conf *c;
	struct bs_err err = { 0 };
	enum bs_status st = conf_load(&cargs, &c, &err);
	free(ca);

	if (!json_is_true(json_object_get(want, "ok"))) {
		const char *kind = json_string_value(json_object_get(want, "kind"));
		const char *detail = json_string_value(json_object_get(want, "detail"));
		if (st == BS_ST_OK)
			fail_msg("%s: oslo fails (%s), we load", name, detail);
		if (strcmp(kind, "denied") == 0)
			kind = "read";
		if ((size_t)st >= ARRAY_SIZE(load_kinds) || !load_kinds[st] ||
		    strcmp(load_kinds[st], kind) != 0)
			fail_msg("%s: oslo: %s\n  ours: %s", name, detail, err.detail);
		goto out;
	}
	if (st != BS_ST_OK)
		fail_msg("%s: oslo loads, we fail: %s", name, err.detail);

	const char *const *v2;
	size_t n = conf_files(c, &v2);
	check_strv(name, "files", want, "files", v2, n);
	n = conf_config_file_opt(c, &v2);
	check_strv(name, "config_file", want, "config_file", v2, n);
	n = conf_sections(c, &v2);
	check_strv(name, "sections", want, "sections", v2, n);

	json_t *got;
	json_array_foreach(json_object_get(req, "opts"), i, v) {
		json_t *deps = json_object_get(v, "deprecated"), *d;
		size_t j, nd = json_array_size(deps);
		struct conf_name *names = xcalloc(nd + 1, sizeof(*names));
		json_array_foreach(deps, j, d) {
			names[j].group = json_string_value(json_array_get(d, 0));
			names[j].name = json_string_value(json_array_get(d, 1));
		}
		struct conf_opt o = {
			json_string_value(json_object_get(v, "group")),
			json_string_value(json_object_get(v, "name")), names, nd,
			json_is_true(json_object_get(v, "multi")),
			json_string_value(json_object_get(v, "default")),
		};
		conf_register(c, &o);
		free(names);
	}
	json_t *values = json_object_get(want, "values");
	json_array_foreach(json_object_get(req, "get"), i, v) {
		const char *g = json_string_value(json_array_get(v, 0));
		const char *o = json_string_value(json_array_get(v, 1));
		json_t *w = json_array_get(values, i);
		got = lookup(c, g, o);
		bool ok = json_is_true(json_object_get(w, "ok"));
		if (ok != json_is_true(json_object_get(got, "ok")) ||
		    (ok && !json_equal(json_object_get(w, "value"), json_object_get(got, "value")))) {
			char *what = xasprintf("[%s] %s", g ? g : "DEFAULT", o);
			fail_json(name, what, w, got);
		}
		json_decref(got);
		nvalues++;
	}
	/* settings_load drops the values once it has them: find_file and the
	 * config_file option must answer as oslo does after that too (the
	 * policy file and the step templates' {config_files} use them) */
	conf_drop_values(c);
	n = conf_config_file_opt(c, &v2);
	check_strv(name, "config_file after conf_drop_values", want, "config_file", v2, n);
	assert_int_equal(conf_sections(c, &v2), 0);
	json_array_foreach(json_object_get(req, "find"), i, v) {
		char *p = conf_find_file(c, json_string_value(v));
		got = str_or_null(p);
		if (!json_equal(got, json_array_get(json_object_get(want, "find"), i)))
			fail_json(name, json_string_value(v), json_array_get(json_object_get(want, "find"), i),
				  got);
		json_decref(got);
		free(p);
	}
	conf_free(c);
out:
	assert_int_equal(chdir(cwd), 0);
	free(cwd);
}

/* Prepare every case, ask the oracle once, run them all. */
static void run_cases(json_t *cases, json_t *defaults)
{
	json_t *reqs = json_array(), *c;
	size_t i;
	json_array_foreach(cases, i, c)
		json_array_append_new(reqs, prepare(c, defaults));
	json_t *req = json_pack("{s:s, s:O}", "mode", "conf", "cases", reqs);
	json_t *res = oracle_run_json("oslo_conf.py", oracle_tmpdir(), req);
	assert_int_equal(json_array_size(res), json_array_size(reqs));
	size_t before = nvalues, failed = 0;
	json_array_foreach(reqs, i, c) {
		json_t *w = json_array_get(res, i);
		failed += !json_is_true(json_object_get(w, "ok"));
		/* every other case takes HOME from the environment */
		run_case(c, w, i % 2);
	}
	print_message("%zu cases compared with oslo (%zu fail to load), %zu values\n",
		      json_array_size(reqs), failed, nvalues - before);
	set_env(NULL);
	json_decref(req);
	json_decref(res);
	json_decref(reqs);
}

static void test_case_files(void **state)
{
	const char *src = getenv("BS_SOURCE_ROOT");
	if (!src)
		fail_msg("the reference did not answer: oslo.config via /usr/bin/python3, BS_SOURCE_ROOT and the Debian barbican.conf are needed (scripts/install-deps.sh --test)");
	char *dir = xasprintf("%s/tests/data/conf", src);
	struct dirent **names;
	int nfiles = scandir(dir, &names, NULL, alphasort);
	assert_true(nfiles > 0);
	for (int i = 0; i < nfiles; i++) {
		size_t len = strlen(names[i]->d_name);
		if (len >= 5 && strcmp(names[i]->d_name + len - 5, ".json") == 0) {
			char *path = xasprintf("%s/%s", dir, names[i]->d_name);
			json_error_t je;
			json_t *doc = json_load_file(path, 0, &je);
			if (!doc)
				fail_msg("%s:%d: %s", path, je.line, je.text);
			print_message("%s: ", names[i]->d_name);
			run_cases(json_object_get(doc, "cases"), json_object_get(doc, "defaults"));
			json_decref(doc);
			free(path);
		}
		free(names[i]);
	}
	free(names);
	free(dir);
}

/* ---- Debian's barbican.conf, every key registered ---- */

static void test_debian_conf(void **state)
{
	static const char *const candidates[] = {
		"/usr/share/barbican-common/barbican.conf",
		"/etc/barbican/barbican.conf",
	};
	const char *path = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(candidates) && !path; i++)
		if (access(candidates[i], R_OK) == 0)
			path = candidates[i];
	if (!path)
		fail_msg("the reference did not answer: oslo.config via /usr/bin/python3, BS_SOURCE_ROOT and the Debian barbican.conf are needed (scripts/install-deps.sh --test)");
	/* the file as it is, and with every "#key = value" uncommented */
	FILE *in = fopen(path, "r");
	assert_non_null(in);
	struct strbuf as_is = STRBUF_INIT, un = STRBUF_INIT;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, in) > 0) {
		size_t key = strspn(line + 1, "abcdefghijklmnopqrstuvwxyz_0123456789");
		bool setting = line[0] == '#' && key > 0 && strncmp(line + 1 + key, " = ", 3) == 0;
		sb_addstr(&as_is, line);
		sb_addstr(&un, setting ? line + 1 : line);
	}
	free(line);
	fclose(in);

	json_t *cases = json_array();
	const struct strbuf *texts[] = { &as_is, &un };
	for (size_t t = 0; t < ARRAY_SIZE(texts); t++) {
		struct ini_file *f;
		assert_int_equal(ini_parse_buffer(path, texts[t]->buf, texts[t]->len, &f, NULL),
				 BS_ST_OK);
		json_t *opts = json_array();
		for (size_t i = 0; i < f->nsections; i++) {
			const struct ini_section *s = &f->sections[i];
			for (size_t j = 0; j < s->nkeys; j++) {
				bool dflt = strcmp(s->name, "DEFAULT") == 0;
				json_array_append_new(opts, json_pack("{s:s?, s:s}", "group",
								      dflt ? NULL : s->name, "name",
								      s->keys[j].key));
			}
		}
		ini_free(f);
		json_t *file = json_pack("{s:s, s:s%}", "path", "barbican.conf", "text",
					 texts[t]->buf, texts[t]->len);
		json_array_append_new(cases, json_pack("{s:s, s:[o], s:[[s,s]], s:o}", "name",
						       t ? "Debian's barbican.conf uncommented"
							 : "Debian's barbican.conf",
						       "files", file, "args", "file",
						       "@ROOT@/barbican.conf", "opts", opts));
	}
	run_cases(cases, NULL);
	json_decref(cases);
	sb_free(&as_is);
	sb_free(&un);
}

/* ---- random cases: substitution, deprecated names, env, several files ---- */

static uint64_t rng = 7;

static unsigned rnd(unsigned n)
{
	return (unsigned)(oracle_rand(&rng) % n);
}

#define PICK(a) (a)[rnd(ARRAY_SIZE(a))]

static const char *const rc_sections[] = {
	"DEFAULT", "default", "database", "Database", "DATABASE", "sql", "x", "X", "upgrade",
};
static const char *const rc_keys[] = {
	"connection", "sql_connection", "a", "b", "m", "y", "target_release", "A",
};
static const char *const rc_values[] = {
	"v1", "v2", "$a", "${a}", "${database.connection}", "$$", "\\$a", "$b", "${x.y}",
	"$nope", "${sql.connection}", "pre${a}post", "$m", "$database", "$y", "${upgrade.y}",
	"$a.", "${a", "$", "$1", "$sql_connection", "${DEFAULT.a}", "'$a'", "x$$a$\\$b",
	"${x.m}", "$x.y", "$target_release", "$connection",
};
static const char *const rc_env[] = {
	"OS_DEFAULT__SQL_CONNECTION", "OS_DATABASE__CONNECTION", "OS_DEFAULT__A",
	"OS_DEFAULT__M", "OS_X__Y", "OS_DEFAULT__B",
};
static const char *const rc_env_values[] = { "e1", "$a", "", "ab", "${x.y}" };

static json_t *random_case(void)
{
	json_t *files = json_array(), *args = json_array(), *env = json_object();
	unsigned nfiles = 1 + rnd(3);
	for (unsigned f = 0; f < nfiles; f++) {
		struct strbuf sb = STRBUF_INIT;
		unsigned nsec = 1 + rnd(4);
		for (unsigned s = 0; s < nsec; s++) {
			sb_addf(&sb, "[%s]\n", PICK(rc_sections));
			unsigned nkeys = rnd(4);
			for (unsigned k = 0; k < nkeys; k++)
				sb_addf(&sb, "%s = %s\n", PICK(rc_keys), PICK(rc_values));
		}
		char *path = xasprintf("f%u.conf", f);
		json_array_append_new(files, json_pack("{s:s, s:s}", "path", path, "text", sb_str(&sb)));
		char *arg = xasprintf("@ROOT@/%s", path);
		json_array_append_new(args, json_pack("[s,s]", "file", arg));
		free(arg);
		free(path);
		sb_free(&sb);
	}
	for (unsigned e = rnd(3); e > 0; e--)
		json_object_set_new(env, PICK(rc_env), json_string(PICK(rc_env_values)));

	json_t *deps = json_pack("[[n,s],[s,s],[s,s]]", "sql_connection", "DATABASE",
				 "sql_connection", "sql", "connection");
	json_t *opts = json_pack("[{s:s, s:s, s:o}, {s:n, s:s}, {s:n, s:s, s:s}, {s:n, s:s, s:b},"
				 " {s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:b, s:s}]",
				 "group", "database", "name", "connection", "deprecated", deps,
				 "group", "name", "a",
				 "group", "name", "b", "default", "$a-b",
				 "group", "name", "m", "multi", 1,
				 "group", "x", "name", "y",
				 "group", "upgrade", "name", "target_release", "default", "${x.y}",
				 "group", "x", "name", "m", "multi", 1, "default", "$y");
	if (rnd(2)) /* barbican up to 18.0.0 reads [DEFAULT] sql_connection itself */
		json_array_append_new(opts, json_pack("{s:n, s:s, s:s}", "group", "name",
						      "sql_connection", "default", "sqlite://"));
	json_t *get = json_pack("[[s,s],[n,s],[n,s],[n,s],[s,s],[s,s],[s,s],[n,s],[s,s]]",
				"database", "connection", "a", "b", "m", "x", "y", "upgrade",
				"target_release", "x", "m", "sql_connection", "DATABASE",
				"sql_connection");
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "files", files, "args", args, "env", env,
			 "opts", opts, "get", get);
}

static void test_random(void **state)
{
	json_t *cases = json_array();
	for (int i = 0; i < 300; i++)
		json_array_append_new(cases, random_case());
	run_cases(cases, NULL);
	json_decref(cases);
}

/* ---- by hand: where values come from (oslo does not say) ---- */

static void test_locations(void **state)
{
	char *dir = xasprintf("%s/loc", oracle_tmpdir());
	mkdirs(dir);
	char *path = xasprintf("%s/a.conf", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("[Database]\nconnection = one\n\n[DEFAULT]\nsql_connection = two\n"
	      "[database]\nconnection = three\n  more\n", f);
	fclose(f);
	set_env(NULL);
	struct conf_arg arg = { false, path };
	struct conf_args a = { &arg, 1, dir, NULL, NULL };
	struct conf *c;
	assert_int_equal(conf_load(&a, &c, NULL), BS_ST_OK);
	static const struct conf_name deps[] = { { NULL, "sql_connection" } };
	struct conf_opt o = { "database", "connection", deps, 1, false, NULL };
	conf_register(c, &o);
	struct conf_opt p = { NULL, "policy", NULL, 0, false, "p.json" };
	conf_register(c, &p);

	char *v;
	struct conf_loc loc;
	assert_int_equal(conf_get(c, "database", "connection", &v, &loc, NULL), BS_ST_OK);
	assert_string_equal(v, "three\nmore");
	assert_int_equal(loc.kind, CONF_LOC_FILE);
	assert_string_equal(loc.file, path);
	assert_int_equal(loc.line, 7);
	assert_string_equal(loc.group, "database");
	assert_string_equal(loc.name, "connection");
	free(v);

	setenv("OS_DATABASE__CONNECTION", "env", 1);
	assert_int_equal(conf_get(c, "database", "connection", &v, &loc, NULL), BS_ST_OK);
	assert_string_equal(v, "env");
	assert_int_equal(loc.kind, CONF_LOC_ENV);
	assert_string_equal(loc.group, "database");
	assert_string_equal(loc.name, "OS_DATABASE__CONNECTION");
	free(v);
	unsetenv("OS_DATABASE__CONNECTION");

	assert_int_equal(conf_get(c, "DEFAULT", "policy", &v, &loc, NULL), BS_ST_OK);
	assert_string_equal(v, "p.json");
	assert_int_equal(loc.kind, CONF_LOC_DEFAULT);
	free(v);

	/* API misuse is an internal error */
	struct bs_err err;
	assert_int_equal(conf_get(c, NULL, "nope", &v, NULL, &err), BS_ST_INTERNAL);
	assert_null(v);
	char **list;
	size_t n;
	assert_int_equal(conf_get_multi(c, NULL, "policy", &list, &n, &err), BS_ST_INTERNAL);

	/* a substitution error names where the bad value is */
	struct conf_opt bad = { NULL, "bad", NULL, 0, false, "x ${nope}" };
	conf_register(c, &bad);
	assert_int_equal(conf_get(c, NULL, "bad", &v, NULL, &err), BS_ST_CONFIG_VALUE);
	assert_string_equal(err.detail, "default of [DEFAULT] bad: cannot substitute ${nope}: "
					"no such option");
	struct conf_opt cyc = { NULL, "bad", NULL, 0, false, "$bad" };
	conf_register(c, &cyc); /* replaces */
	assert_int_equal(conf_get(c, NULL, "bad", &v, NULL, &err), BS_ST_CONFIG_VALUE);
	assert_non_null(strstr(err.detail, "refers to itself"));
	conf_free(c);
	free(path);
	free(dir);
}

/* "$b$b$b" with b = "$c$c$c" and so on: oslo caches what it substituted,
 * so do we; a value that would double thirty times is an error (oslo would
 * run out of memory). */
static void test_limits(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	sb_addstr(&sb, "[DEFAULT]\n");
	for (int i = 0; i < 30; i++) {
		sb_addf(&sb, "f%d = ", i);
		for (int j = 0; j < 10; j++)
			sb_addf(&sb, "$f%d", i + 1);
		sb_addf(&sb, "\nd%d = $d%d$d%d\n", i, i + 1, i + 1);
	}
	sb_addstr(&sb, "f30 =\nd30 = xx\n");
	struct ini_file *f;
	assert_int_equal(ini_parse_buffer("limits", sb.buf, sb.len, &f, NULL), BS_ST_OK);
	struct conf *c = conf_from_files(&f, 1);
	for (int i = 0; i <= 30; i++) {
		char *name = xasprintf("f%d", i);
		struct conf_opt o = { NULL, name, NULL, 0, false, NULL };
		conf_register(c, &o);
		name[0] = 'd';
		conf_register(c, &o);
		free(name);
	}
	set_env(NULL);
	char *v;
	assert_int_equal(conf_get(c, NULL, "f0", &v, NULL, NULL), BS_ST_OK);
	assert_string_equal(v, "");
	free(v);
	assert_int_equal(conf_get(c, NULL, "d20", &v, NULL, NULL), BS_ST_OK);
	assert_int_equal(strlen(v), 2 << 10);
	free(v);
	struct bs_err err;
	assert_int_equal(conf_get(c, NULL, "d0", &v, NULL, &err), BS_ST_CONFIG_VALUE);
	assert_non_null(strstr(err.detail, "value too long"));
	conf_free(c);
	sb_free(&sb);
}

static void assert_same_str(const char *a, const char *b)
{
	if (a || b) {
		assert_non_null(a);
		assert_non_null(b);
		assert_string_equal(a, b);
	}
}

/* One lookup in conf a (options registered) and in conf b (the same in a
 * scope): the same status, value, location and error. */
static void assert_same_get(struct conf *a, struct conf *b, const char *group, const char *name)
{
	char *va = NULL, *vb = NULL;
	struct conf_loc la = { 0 }, lb = { 0 };
	struct bs_err ea = { 0 }, eb = { 0 };
	enum bs_status sa = conf_get(a, group, name, &va, &la, &ea);
	enum bs_status sb = conf_get(b, group, name, &vb, &lb, &eb);
	assert_int_equal(sa, sb);
	if (sa) {
		assert_string_equal(ea.detail, eb.detail);
		return;
	}
	assert_same_str(va, vb);
	assert_int_equal(la.kind, lb.kind);
	assert_same_str(la.file, lb.file);
	assert_int_equal(la.line, lb.line);
	assert_same_str(la.group, lb.group);
	assert_same_str(la.name, lb.name);
	free(va);
	free(vb);
}

/* conf_scope: a section's options in scope are found exactly as the same
 * options registered are (values, substitution within the group and to
 * DEFAULT, the environment, errors, locations), over thousands of
 * sections; once the scope ends, neither the options nor the group are. */
static void test_scope(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	sb_addstr(&sb, "[DEFAULT]\nhost = dh\nbase = http://b\n[g]\nkeep = k\n");
	enum { N = 3000 };
	for (int i = 0; i < N; i++) {
		sb_addf(&sb, "[%s:n%d]\nhost = h%d\n", i % 7 ? "node" : "Node", i, i);
		switch (i % 5) {
		case 0: sb_addstr(&sb, "url = $host/x\n"); break;
		case 1: sb_addstr(&sb, "url = $base/${host}\n"); break;  /* DEFAULT's base */
		case 2: sb_addstr(&sb, "url = $keep\n"); break;       /* not in DEFAULT: error */
		case 3: sb_addstr(&sb, "url = $url\n"); break;        /* itself: error */
		default: sb_addstr(&sb, "timeout = $base\n"); break;  /* url unset */
		}
	}
	/* a group written twice (sections compare lower-cased): its values
	 * merge, the later line wins */
	sb_addstr(&sb, "[NODE:n1]\nhost = again\ntimeout = 9\n");
	struct ini_file *fa, *fb;
	assert_int_equal(ini_parse_buffer("scope", sb.buf, sb.len, &fa, NULL), BS_ST_OK);
	assert_int_equal(ini_parse_buffer("scope", sb.buf, sb.len, &fb, NULL), BS_ST_OK);
	struct conf *a = conf_from_files(&fa, 1), *b = conf_from_files(&fb, 1);
	/* the second for [Node:n7] (its variable is upper case too), a value
	 * that substitutes; the third names no group */
	json_t *env = json_pack("{ssssss}", "OS_NODE:N3__HOST", "from-env", "OS_NODE:N7__URL",
				"$host/env", "OS_NODE:N__HOST", "none");
	set_env(env);
	json_decref(env);
	static const struct conf_opt globals[] = {
		{ NULL, "host", NULL, 0, false, NULL },
		{ NULL, "base", NULL, 0, false, NULL },
		{ "g", "keep", NULL, 0, false, NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(globals); i++) {
		conf_register(a, &globals[i]);
		conf_register(b, &globals[i]);
	}
	static const char *const names[] = { "host", "url", "timeout" };
	const char *const *sections;
	size_t nsections = conf_sections(b, &sections);
	assert_int_equal(nsections, N + 2); /* [NODE:n1] is [node:n1] */
	for (size_t i = 0; i < nsections; i++) {
		const char *group = sections[i];
		if (strncasecmp(group, "node:", 5) != 0)
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
			struct conf_opt o = { group, names[k], NULL, 0, false, NULL };
			conf_register(a, &o);
		}
		conf_scope(b, group, names, ARRAY_SIZE(names));
		for (size_t k = 0; k < ARRAY_SIZE(names); k++)
			assert_same_get(a, b, group, names[k]);
		assert_same_get(a, b, group, "port"); /* not an option of the section */
		assert_same_get(a, b, NULL, "host");
		conf_scope_end(b);
		char *v = NULL;
		struct bs_err err;
		assert_int_equal(conf_get(b, group, "host", &v, NULL, &err), BS_ST_INTERNAL);
		assert_null(v);
	}
	/* the environment and an error were among them */
	char *v;
	struct conf_loc loc;
	conf_scope(b, "node:n3", names, ARRAY_SIZE(names));
	assert_int_equal(conf_get(b, "node:n3", "host", &v, &loc, NULL), BS_ST_OK);
	assert_string_equal(v, "from-env");
	assert_int_equal(loc.kind, CONF_LOC_ENV);
	free(v);
	conf_scope(b, "Node:n7", names, ARRAY_SIZE(names));
	assert_int_equal(conf_get(b, "Node:n7", "url", &v, &loc, NULL), BS_ST_OK);
	assert_string_equal(v, "h7/env");
	assert_int_equal(loc.kind, CONF_LOC_ENV);
	free(v);
	conf_scope(b, "node:n3", names, ARRAY_SIZE(names));
	struct bs_err err;
	assert_int_equal(conf_get(b, "node:n3", "url", &v, NULL, &err), BS_ST_CONFIG_VALUE);
	assert_non_null(strstr(err.detail, "refers to itself"));
	/* a later scope replaces the earlier */
	conf_scope(b, "node:n1", names, ARRAY_SIZE(names));
	assert_int_equal(conf_get(b, "node:n3", "host", &v, NULL, &err), BS_ST_INTERNAL);
	assert_int_equal(conf_get(b, "node:n1", "url", &v, NULL, NULL), BS_ST_OK);
	assert_string_equal(v, "http://b/again");
	free(v);
	conf_scope_end(b);
	assert_int_equal(conf_get(b, "g", "keep", &v, NULL, NULL), BS_ST_OK);
	assert_string_equal(v, "k");
	free(v);
	set_env(NULL);
	conf_free(a);
	conf_free(b);
	sb_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_files),
		cmocka_unit_test(test_debian_conf),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_locations),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_scope),
	};
	return cmocka_run_group_tests(tests, oracle_tmpdir_setup, oracle_tmpdir_teardown);
}
