/* installed.h: the Barbican release installed on this machine, as Python
 * would import it: the version of the "barbican" distribution (an
 * egg-info or dist-info directory such as barbican-15.0.1.egg-info) in the
 * first site directory that has one. `upgrade check` takes it as the target
 * when [upgrade] target_release is not set, as Barbican's own check runs with
 * the new code installed.
 *
 * The directories searched: $BARBICAN_STATUS_SITE_DIRS (colon-separated) if
 * set, else /usr/local/lib/python3.N/dist-packages, /usr/lib/python3/dist-packages,
 * /usr/lib/python3.N/site-packages. */
#ifndef BS_INSTALLED_H
#define BS_INSTALLED_H

#include <stddef.h>

/* The release (malloc'd) or NULL; *where (malloc'd) says where it was read. */
char *installed_barbican_release(char **where);

/* The same as seen under root ("/", or a container's /proc/PID/root): the
 * directories dirs[0..ndirs) first (glob patterns, under root), then the
 * default ones under root; $BARBICAN_STATUS_SITE_DIRS is not read. *where
 * includes the root ("/proc/812/root/usr/lib/python3/dist-packages/
 * barbican-15.0.1.egg-info"). */
char *installed_barbican_release_at(const char *root, const char *const *dirs, size_t ndirs,
				    char **where);

#endif
