/* settings.h: barbican-status's own options (barbican-status.conf(5)) and
 * the few Barbican options it reads, typed and validated, from the files
 * that conf.h reads. Values are converted as oslo.config's types convert
 * them (Boolean, Integer, Float, List). */
#ifndef BS_SETTINGS_H
#define BS_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "status.h"

enum service_kind {
	SVC_API,
	SVC_WORKER,
	SVC_KEYSTONE_LISTENER,
	SVC_RETRY,
};

/* "barbican-api" and friends; the short form ("api") for narrow tables. */
const char *service_name(enum service_kind k);
const char *service_short(enum service_kind k);
bool service_parse(const char *s, enum service_kind *out);

struct node_conf {
	char *name;          /* NAME of [node:NAME] */
	enum service_kind service;
	char *host;          /* host, else the host of url or report_url, else NULL */
	char *url;           /* the API base URL (barbican-api); NULL */
	char *report_url;    /* the version report URL; NULL */
	double timeout;      /* seconds for the whole probe of this node */
	bool host_set;       /* host was configured (not taken from a URL) */
	char *report_command;/* argv template printing the version report; NULL */
};

/* A configured database URL option and its value. */
struct db_option {
	char *value;         /* NULL: not set */
	char *where;         /* "[database] connection in /etc/barbican/barbican.conf" */
	bool is_default;     /* the registered default, not set anywhere */
	bool deprecated;     /* found under a deprecated name */
};

/* [steps] templates, in the order of the phases. */
enum step_template {
	TPL_EXPAND,
	TPL_UPGRADE_NODE,
	TPL_UNPIN,
	TPL_DATA_MIGRATIONS,
	TPL_CONTRACT,
	TPL_OFFLINE,
	TPL__COUNT,
};

extern const char *const step_template_keys[TPL__COUNT];

/* [waiver:NAME]: until the end of day `until` (UTC), a Failure of check
 * `check` counts as a Warning for the gates. */
struct waiver {
	char *name;
	char *check;
	char *until;         /* "2026-12-31" */
	time_t until_end;    /* the first second after that day, UTC */
	char *owner;
	char *reason;
};

struct settings {
	struct conf *conf;

	/* [upgrade] */
	char *target_release;        /* NULL: not set */
	const struct manifest *manifest; /* manifest: builtin (default) or demo */
	bool manifest_demo;          /* the demo manifest (its synthetic release) is in use */
	char **roll_order;           /* service names, in roll order */
	size_t nroll_order;
	long max_unavailable;
	bool allow_api_outage;

	/* [node:NAME] */
	struct node_conf *nodes;
	size_t nnodes, cap_nodes;

	/* [probes] */
	double probe_timeout;
	long concurrency;
	char *ca_file;
	long max_body;
	char *report_command;             /* the default of [node:NAME] report_command */
	double report_interval;           /* a node's command runs at most this often */
	long console_rate;                /* the console's requests a second at most; 0 no limit */

	/* [rabbitmq]: RabbitMQ's management API lists every connection */
	char *rabbit_url;                 /* management_url; NULL: not asked */
	char *rabbit_user, *rabbit_password; /* NULL: those of transport_url */
	char *transport_url;              /* [DEFAULT] transport_url (oslo.messaging) */

	/* Barbican's own options */
	struct db_option sql_connection;  /* [DEFAULT] sql_connection (up to 18.0.0) */
	struct db_option db_connection;   /* [database] connection and its deprecated names (19.0.0 on) */
	char *policy_file;                /* [oslo_policy] policy_file */
	bool policy_file_set;

	/* [steps] */
	char *step_tpl[TPL__COUNT];       /* NULL: no template (a manual step) */
	bool step_tpl_default[TPL__COUNT];/* the built-in default, not configured */
	double settle_timeout;

	/* [data_migrations] */
	char *count_command;

	/* [waiver:NAME] */
	struct waiver *waivers;
	size_t nwaivers;

	/* [journal] */
	char *journal_path;               /* NULL: the XDG default */

	/* [record]: where the upgrade's record and lock are shared */
	bool record_file;                 /* backend = file: the local journal only */
	char *record_connection;          /* NULL: the deployment's database */
	/* [lock] */
	double lock_lease;                /* seconds, LOCK_LEASE_MIN..LOCK_LEASE_MAX */
};

#define LOCK_LEASE_MIN 5.0
#define LOCK_LEASE_MAX 300.0
/* [probes] max_body at most (64 MiB): concurrency x max_body is memory */
#define MAX_BODY_MAX 67108864L

/* The release manifest the settings choose ([upgrade] manifest); the
 * built-in one for settings not loaded by settings_load. */
struct manifest;
const struct manifest *settings_manifest(const struct settings *s);

/* Read every option. The conf is owned by the settings afterwards. */
enum bs_status settings_load(struct conf *c, struct settings *out, struct bs_err *err);
void settings_free(struct settings *s);

/* The database URL option that the target release reads ([DEFAULT]
 * sql_connection up to 18.0.0, [database] connection from 19.0.0; when the
 * target is unknown, [database] connection if set, else sql_connection). */
const struct db_option *settings_db_option(const struct settings *s, const char *target,
					   const char **name);

/* oslo.config type conversions (oslo_config/types.py). */
bool conf_parse_bool(const char *s, bool *out);
bool conf_parse_long(const char *s, long *out);
bool conf_parse_double(const char *s, double *out);
/* types.List(): comma-separated, each item stripped, empty string -> empty list. */
size_t conf_parse_list(const char *s, char ***out);

#endif
