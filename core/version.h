/* version.h: Barbican release numbers ("15.0.1", "16.1.0.dev12", "15.0.0.0rc1").
 * Compared by their numeric parts; a suffix (dev, rc, b) sorts before the
 * same numbers without one, as pbr's pre-release versions do. */
#ifndef BS_VERSION_H
#define BS_VERSION_H

#include <stdbool.h>

#define RELVER_PARTS 4

struct relver {
	long part[RELVER_PARTS]; /* missing parts are 0 */
	int nparts;
	bool prerelease;         /* anything after the numbers */
};

/* false when s does not start with "N.N" (a major and a minor number). */
bool relver_parse(const char *s, struct relver *v);
/* True when s is a release and nothing else: 2 to 4 numbers joined by dots,
 * then at most pbr's pre-release marks: aN, bN or rcN right after the last
 * number ("15.0.0.0rc1"), then ".devN" ("16.1.0.dev12", a dev build). Junk
 * after the numbers ("15.0.1; rm -rf /", "15.0.1\n", "15.0.1-ubuntu") is
 * not a release. */
bool relver_valid(const char *s);
int relver_cmp(const struct relver *a, const struct relver *b);
/* Compare two release strings; unparsable ones sort first, then by strcmp. */
int release_cmp(const char *a, const char *b);

/* "1.1" style API/RPC/object versions: major and minor. */
struct apiver {
	long major, minor;
};
bool apiver_parse(const char *s, struct apiver *v);
int apiver_cmp(struct apiver a, struct apiver b);

#endif
