/* checks.h: the upgrade checks. Each is a pure function of a snapshot and
 * the release manifest (no I/O), in a file of its own, registered in one
 * const table (check_table, checks.c) in the order `upgrade check` prints
 * them: Barbican's own check first, ours after. */
#ifndef BS_CHECKS_H
#define BS_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/bs.h"
#include "core/manifest.h"
#include "core/snapshot.h"

struct check_ctx {
	const struct snapshot *snap;
	const struct manifest *m;
};

struct check_entry;

struct check_result {
	const struct check_entry *entry;
	enum bs_code code;
	/* What was found (Barbican's "Details"); NULL prints as "None". */
	char *details;
	/* What to do about it; NULL when nothing is to be done. */
	char *remediation;
	/* The check could not run at all (Barbican's command crashes there and
	 * exits 255): details says why. */
	bool error;
};

struct check_entry {
	const char *id;    /* stable, for --json, waivers and scripts */
	const char *name;  /* Barbican-style display name */
	void (*run)(const struct check_ctx *ctx, struct check_result *r);
};

extern const struct check_entry check_table[];
extern const size_t check_count;

const struct check_entry *check_find(const char *id);

/* Run every check; *out is an array of check_count results. */
void checks_run(const struct check_ctx *ctx, struct check_result **out);
void check_results_free(struct check_result *r, size_t n);
enum bs_code checks_worst(const struct check_result *r, size_t n);

/* For the check implementations: set the result, keeping the worst code
 * seen, and append a sentence to details or remediation. */
void check_raise(struct check_result *r, enum bs_code code);
void check_detail(struct check_result *r, const char *fmt, ...) BS_PRINTF(2, 3);
void check_remedy(struct check_result *r, const char *fmt, ...) BS_PRINTF(2, 3);

/* The target's manifest entry; NULL when the target is unknown. The reason
 * is appended to r as a Warning when why_missing is true. */
const struct mf_release *check_target(const struct check_ctx *ctx, struct check_result *r,
				      bool warn_if_missing);

/* One function per check (checks/check-*.c). */
void check_policy_json(const struct check_ctx *ctx, struct check_result *r);
void check_db_revision(const struct check_ctx *ctx, struct check_result *r);
void check_db_pending(const struct check_ctx *ctx, struct check_result *r);
void check_db_cluster(const struct check_ctx *ctx, struct check_result *r);
void check_nodes_discovered(const struct check_ctx *ctx, struct check_result *r);
void check_nodes_reachable(const struct check_ctx *ctx, struct check_result *r);
void check_version_skew(const struct check_ctx *ctx, struct check_result *r);
void check_rpc_objects(const struct check_ctx *ctx, struct check_result *r);
void check_db_vs_nodes(const struct check_ctx *ctx, struct check_result *r);

/* Shared by the database checks and the renderers: the database's state as
 * one phrase ("not reachable: ..."), or NULL when its revision is known. */
const char *db_unusable_reason(const struct db_obs *d, char **owned);

/* The programs that remediations name ("... run barbican-manage db upgrade
 * -v REV; ..."): renderers keep each such command on one line
 * (render/cmdwrap.h). A check naming another program adds it here. */
extern const char *const check_remedy_commands[];
extern const size_t check_remedy_command_count;

#endif
