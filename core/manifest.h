/* manifest.h: the release manifest, compiled in from data/ (the release
 * facts of ../shared/barbican), and the questions the rest of the program
 * asks it. Everything here is a pure function of a struct manifest, so that
 * tests can build synthetic manifests (with contract and offline migrations,
 * which no real Barbican release has). */
#ifndef BS_MANIFEST_H
#define BS_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

enum mig_class {
	MIG_EXPAND,   /* additive or relaxing: safe while old services run */
	MIG_CONTRACT, /* removes or narrows: only after the whole fleet runs the target */
	MIG_OFFLINE,  /* needs every service stopped */
	MIG_COLD,     /* the pre-rebase chain: no rolling upgrade from there */
};

const char *mig_class_name(enum mig_class c);

struct mf_object {
	const char *name;
	const char *version;
};

struct mf_migration {
	const char *revision;
	const char *const *down;   /* down revisions (more than one: a merge) */
	size_t ndown;              /* 0: a root */
	const char *first_release; /* first release that ships this row */
	const char *last_release;  /* last release that ships it */
	const char *file;
	const char *title;
	const char *ops;           /* "add_column=1,create_index=2" */
	enum mig_class cls;
	const char *reason;        /* why it has that class */
	const char *branch;        /* branch label ("expand", "contract") or NULL */
};

struct mf_release {
	const char *tag;
	const char *series;
	const char *date;
	const char *root;
	const char *const *heads;
	size_t nheads;
	const char *const *known;  /* every revision the release's scripts know */
	size_t nknown;
	const struct mf_object *objects;
	size_t nobjects;
	const char *rpc_version;
	const char *notification_version;
	const char *const *status_checks; /* its own barbican-status checks */
	size_t nstatus_checks;
};

struct mf_series {
	const char *name;
	long major;   /* the major release number of the series (15 for zed) */
	bool slurp;   /* a SLURP series (2023.1, 2024.1, ...) */
};

struct manifest {
	const struct mf_release *releases;     /* in version order, oldest first */
	size_t nreleases;
	const struct mf_migration *migrations;
	size_t nmigrations;
	const struct mf_series *series;        /* oldest first */
	size_t nseries;
};

/* The manifest compiled in from data/. */
const struct manifest *manifest_builtin(void);
/* The demo manifest: the same releases plus the synthetic release of
 * data/demo/ (15.99.0, zed, with a contract migration after 8c74e2d7f1ff),
 * so that the demo can rehearse the irreversible steps. */
const struct manifest *manifest_demo(void);
/* The manifest of [upgrade] manifest: "builtin" or "demo"; NULL for any
 * other name. */
const struct manifest *manifest_named(const char *name);

const struct mf_release *mf_release(const struct manifest *m, const char *tag);
const struct mf_release *mf_latest(const struct manifest *m);
const struct mf_series *mf_series(const struct manifest *m, const char *name);
/* The series of a release string: from the manifest, or for a release the
 * manifest does not list (a dev build) by its major number. NULL if none. */
const struct mf_series *mf_series_of(const struct manifest *m, const char *release);
bool mf_knows(const struct mf_release *r, const char *rev);
/* Whether the release is inside the [first, last] range of a migration row. */
bool mf_row_in(const struct mf_migration *mig, const char *release);
/* The migration row for rev as release r ships it; NULL if r does not. */
const struct mf_migration *mf_row(const struct manifest *m, const struct mf_release *r,
				  const char *rev);
/* Any row for rev (the newest release's first); NULL if no release knows it. */
const struct mf_migration *mf_any_row(const struct manifest *m, const char *rev);
/* The newest release that knows rev; NULL if none. */
const struct mf_release *mf_newest_knowing(const struct manifest *m, const char *rev);
/* A revision of the pre-rebase chain: known to some release, but to none of
 * the releases that have the newest alembic root. */
bool mf_is_cold(const struct manifest *m, const char *rev);

/* How a node's release relates to the target release. */
enum rel_relation {
	REL_SAME,          /* the target release itself */
	REL_SAME_SERIES,   /* another point release of the target's series */
	REL_N1,            /* the previous series */
	REL_SLURP_PREV,    /* the previous SLURP series, for a SLURP target */
	REL_OLDER,         /* older than that: not supported */
	REL_NEWER,         /* newer than the target */
	REL_UNKNOWN,       /* cannot tell (no release, or unparsable) */
};

/* The one vocabulary of the SKEW column (nodes, its JSON, the console):
 * "same", "series" (another release of the target's series), "n-1",
 * "slurp", "older", "newer", "unknown" (cannot be compared). */
const char *rel_relation_name(enum rel_relation r);
/* True for SAME, SAME_SERIES, N1, SLURP_PREV: may run beside the target. */
bool rel_relation_ok(enum rel_relation r);
/* in_manifest (may be NULL) is set to whether the node release is listed. */
enum rel_relation mf_relate(const struct manifest *m, const char *release,
			    const char *target, bool *in_manifest);

/* Where a database stands against a target release. */
enum db_verdict {
	DBV_UP_TO_DATE,  /* at the target's heads */
	DBV_PENDING,     /* behind the target, with a path to it */
	DBV_COLD,        /* a pre-rebase revision */
	DBV_AHEAD,       /* a revision only a newer release knows */
	DBV_UNKNOWN,     /* a revision no release knows, or no revision at all */
};

const char *db_verdict_name(enum db_verdict v);

struct mf_path {
	enum db_verdict verdict;
	const struct mf_migration **steps; /* pending migrations, in the order they run */
	size_t nsteps;
	const char *offending;             /* the revision that made it cold/ahead/unknown */
};

/* The migrations of target still to run on a database whose alembic_version
 * holds heads[0..nheads) (nheads 0: an empty, unversioned database, for which
 * every migration of the target is pending). Fills *path (free with
 * mf_path_free). */
void mf_pending(const struct manifest *m, const char *const *heads, size_t nheads,
		const struct mf_release *target, struct mf_path *path);
void mf_path_free(struct mf_path *path);

/* Every revision applied to a database at heads (the heads and all their
 * ancestors, as release r's graph or, when r does not know them, the graph of
 * the newest release that does). Returns the rows; caller frees the array. */
size_t mf_applied(const struct manifest *m, const char *const *heads, size_t nheads,
		  const struct mf_migration ***out);

/* The class an operation list suggests (the cross-check rule): anything that
 * drops, renames or alters is CONTRACT, the rest EXPAND. */
enum mig_class mf_class_rule(const char *ops);

#endif
