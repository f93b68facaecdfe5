/* observe.h: one complete observation for the commands that print and exit:
 * the target release, Barbican's policy file, the database and every node,
 * the database and the nodes probed at the same time in one wait loop. */
#ifndef BS_OBSERVE_H
#define BS_OBSERVE_H

#include <stdbool.h>

#include "core/manifest.h"
#include "core/snapshot.h"

struct dbprobe_keep;

enum observe_what {
	OBS_POLICY = 1 << 0,
	OBS_DB = 1 << 1,
	OBS_NODES = 1 << 2,
	OBS_ALL = OBS_POLICY | OBS_DB | OBS_NODES,
};

struct observe_opts {
	unsigned what;
	/* take the installed Barbican release as the target when
	 * [upgrade] target_release is not set (upgrade check does) */
	bool target_from_installed;
	/* our own lock session's backend pid (upgrade next holds the lock while
	 * it verifies): not another operator */
	int lock_except_pid;
	const char *lock_except_token;
	/* --watch: the database connection kept from the last observation
	 * for this one and the next (probes/db.h); NULL: one of its own */
	struct dbprobe_keep *dbkeep;
};

/* Set s->target and s->target_src (and installed_release) as the options say. */
void observe_target(struct snapshot *s, bool target_from_installed);
/* Fill s (initialised by snapshot_init) and derive (snapshot_derive). With
 * OBS_NODES, [data_migrations] count_command runs in the same wait. */
void observe(struct snapshot *s, const struct manifest *m, const struct observe_opts *o);

#endif
