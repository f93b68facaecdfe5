#include "installed.h"

#include <dirent.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "core/version.h"
#include "core/xalloc.h"

/* "barbican-15.0.1.egg-info" or "barbican-15.0.1.dist-info" -> "15.0.1" */
static char *version_of_entry(const char *name)
{
	static const char *const suffixes[] = { ".egg-info", ".dist-info" };
	if (strncmp(name, "barbican-", 9) != 0)
		return NULL;
	const char *v = name + 9;
	size_t n = strlen(v);
	for (size_t i = 0; i < 2; i++) {
		size_t sl = strlen(suffixes[i]);
		if (n > sl && strcmp(v + n - sl, suffixes[i]) == 0) {
			char *ver = xstrndup(v, n - sl);
			/* egg-info names may carry "-py3.11" after the version */
			char *dash = strchr(ver, '-');
			if (dash)
				*dash = '\0';
			struct relver rv;
			if (relver_parse(ver, &rv))
				return ver;
			free(ver);
		}
	}
	return NULL;
}

static char *scan_dir(const char *dir, char **where)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char *best = NULL;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *v = version_of_entry(e->d_name);
		if (v && (!best || release_cmp(v, best) > 0)) {
			free(best);
			best = v;
			free(*where);
			*where = xasprintf("%s/%s", dir, e->d_name);
		} else {
			free(v);
		}
	}
	closedir(d);
	return best;
}

char *installed_barbican_release(char **where)
{
	*where = NULL;
	const char *env = getenv("BARBICAN_STATUS_SITE_DIRS");
	if (env) {
		char *dirs = xstrdup(env), *r = NULL;
		for (char *d = dirs; d && !r;) {
			char *colon = strchr(d, ':');
			if (colon)
				*colon = '\0';
			if (*d)
				r = scan_dir(d, where);
			d = colon ? colon + 1 : NULL;
		}
		free(dirs);
		return r;
	}
	return installed_barbican_release_at("/", NULL, 0, where);
}

static const char *const default_patterns[] = {
	"/usr/local/lib/python3*/dist-packages",
	"/usr/lib/python3/dist-packages",
	"/usr/lib/python3*/site-packages",
};

static char *scan_pattern(const char *root, const char *pattern, char **where)
{
	size_t rl = strlen(root);
	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	char *full = xasprintf("%.*s%s", (int)rl, root, pattern);
	glob_t g;
	char *r = NULL;
	if (glob(full, 0, NULL, &g) == 0) {
		for (size_t j = 0; j < g.gl_pathc && !r; j++)
			r = scan_dir(g.gl_pathv[j], where);
		globfree(&g);
	}
	free(full);
	return r;
}

char *installed_barbican_release_at(const char *root, const char *const *dirs, size_t ndirs,
				    char **where)
{
	*where = NULL;
	char *r = NULL;
	for (size_t i = 0; i < ndirs && !r; i++)
		r = scan_pattern(root, dirs[i], where);
	for (size_t i = 0; i < sizeof(default_patterns) / sizeof(default_patterns[0]) && !r; i++)
		r = scan_pattern(root, default_patterns[i], where);
	return r;
}
