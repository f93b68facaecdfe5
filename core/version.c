#include "version.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool parse_num(const char **sp, long *out)
{
	const char *s = *sp;
	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (errno || v < 0)
		return false;
	*out = v;
	*sp = end;
	return true;
}

bool relver_parse(const char *s, struct relver *v)
{
	memset(v, 0, sizeof(*v));
	if (!s)
		return false;
	const char *p = s;
	while (v->nparts < RELVER_PARTS) {
		if (!parse_num(&p, &v->part[v->nparts]))
			break;
		v->nparts++;
		if (*p != '.' || !isdigit((unsigned char)p[1]))
			break;
		p++;
	}
	if (v->nparts < 2)
		return false;
	v->prerelease = *p != '\0';
	return true;
}

/* "PREFIX<digits>" at *sp: moved past it when there. */
static bool mark_num(const char **sp, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = *sp;
	if (strncmp(p, prefix, n) != 0 || !isdigit((unsigned char)p[n]))
		return false;
	p += n;
	while (isdigit((unsigned char)*p))
		p++;
	*sp = p;
	return true;
}

bool relver_valid(const char *s)
{
	struct relver v;
	if (!relver_parse(s, &v))
		return false;
	/* past the numbers relver_parse took: digits and dots only */
	const char *p = s;
	for (int i = 0; i < v.nparts; i++) {
		while (isdigit((unsigned char)*p))
			p++;
		if (i + 1 < v.nparts)
			p++;
	}
	if (!mark_num(&p, "a") && !mark_num(&p, "b"))
		mark_num(&p, "rc");
	mark_num(&p, ".dev");
	return *p == '\0';
}

int relver_cmp(const struct relver *a, const struct relver *b)
{
	for (int i = 0; i < RELVER_PARTS; i++) {
		if (a->part[i] != b->part[i])
			return a->part[i] < b->part[i] ? -1 : 1;
	}
	if (a->prerelease != b->prerelease)
		return a->prerelease ? -1 : 1;
	return 0;
}

int release_cmp(const char *a, const char *b)
{
	struct relver va, vb;
	bool oka = relver_parse(a, &va), okb = relver_parse(b, &vb);
	if (oka && okb) {
		int c = relver_cmp(&va, &vb);
		if (c)
			return c;
	} else if (oka != okb) {
		return oka ? 1 : -1;
	}
	return strcmp(a ? a : "", b ? b : "");
}

bool apiver_parse(const char *s, struct apiver *v)
{
	if (!s)
		return false;
	const char *p = s;
	if (!parse_num(&p, &v->major) || *p != '.')
		return false;
	p++;
	if (!parse_num(&p, &v->minor) || *p != '\0')
		return false;
	return true;
}

int apiver_cmp(struct apiver a, struct apiver b)
{
	if (a.major != b.major)
		return a.major < b.major ? -1 : 1;
	if (a.minor != b.minor)
		return a.minor < b.minor ? -1 : 1;
	return 0;
}
