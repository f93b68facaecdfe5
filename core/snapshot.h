/* snapshot.h: what the probes saw, as plain data. Probes fill it, checks and
 * the planner read it, renderers show it. A later refresh updates it in
 * place, node by node: a node whose probe is still in flight keeps its last
 * observation. Every string here is owned by the snapshot. */
#ifndef BS_SNAPSHOT_H
#define BS_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "record.h"
#include "settings.h"

enum node_state {
	NS_UNKNOWN, /* nothing to ask (no URL), or not probed yet */
	NS_UP,      /* answering, healthy */
	NS_DRAINED, /* taken out of service on purpose */
	NS_DOWN,    /* no answer: refused, timed out */
	NS_ERROR,   /* answered, but wrongly */
};

const char *node_state_name(enum node_state s);
/* The worse of two states, for a node seen through both its API and its
 * report: error > down > drained > unknown > up. */
enum node_state node_state_worse(enum node_state a, enum node_state b);

/* Where a value came from. */
enum value_source {
	SRC_NONE,     /* not known */
	SRC_BUILD,    /* the API's GET /?build */
	SRC_REPORT,   /* the node's version report */
	SRC_DERIVED,  /* the release manifest, for the release the node runs */
};

const char *value_source_name(enum value_source s);

/* The legend of the '*' that marks derived RPC and object versions, the
 * same in the CLI and the console. */
#define DERIVED_LEGEND "* from the release manifest, not reported by the node"

struct obs_object {
	char *name;
	char *version;
};

/* One probe of one node. */
struct node_obs {
	enum node_state state;
	char *error;              /* why the state is error or down; NULL */
	bool probed;              /* at least one probe has finished */

	char *release;            /* the release the node runs; NULL unknown */
	enum value_source release_src;
	char *build_release;      /* from GET /?build */
	char *report_release;     /* from the version report */
	bool release_conflict;    /* both known and different */

	char *api_min, *api_max;  /* microversions from version discovery */
	int health_status;        /* HTTP status of /healthcheck; 0 not asked */

	char *rpc_version;        /* highest RPC API version served */
	char *rpc_cap;            /* version cap it sends with; NULL none */
	enum value_source rpc_src;
	struct obs_object *objects;
	size_t nobjects;
	enum value_source objects_src;

	char *report_state;       /* "up", "draining", "stopping", or what it said */
	char *report_host;        /* the host the version report names */
	char *started_at;
	long data_migrations_remaining; /* -1: not reported */

	double latency_ms;        /* the slowest request of the probe */
	struct timespec seen;     /* CLOCK_MONOTONIC of the last answer */
	time_t seen_wall;         /* wall clock of the last answer; 0 never */

	/* Raw bodies (capped, for details views); may be NULL. */
	char *raw_discovery;
	char *raw_report;

	/* From RabbitMQ's management API (workers, listeners, retry) */
	size_t rabbit_connections;  /* its live AMQP connections */
	long *rabbit_pids;          /* the pids their names carry */
	char *rabbit_since;         /* the oldest connected_at, record time form */
	/* From report_command: when it last ran (wall clock; 0 never) */
	time_t report_cmd_at;
	/* From the host's report (barbican-status report) */
	bool restart_needed;        /* a process runs code older than the installed */
	long *report_pids;
	size_t nreport_pids;
};

/* What RabbitMQ says of one node (probes/rabbit.c, core's matching). */
struct node_rabbit {
	bool asked;               /* the management API was asked and answered */
	char *error;              /* it could not be asked: why */
	size_t nconns;
	long *pids;
	char *since;
};

struct node {
	const struct node_conf *conf; /* owned by the settings */
	struct node_obs obs;          /* what the node is, all sources merged (node_merge) */
	bool in_flight;               /* a probe is running */
	bool cmd_in_flight;           /* its report_command runs */

	/* the sources, each as it last answered */
	struct node_obs from_http;    /* url and report_url (probes/http.c) */
	struct node_obs *from_cmd;    /* report_command (probes/cmdprobe.c); NULL
				       * until it first answers (node_cmd_obs):
				       * most fleets have no command, and a
				       * node_obs is 300 bytes a node */
	struct node_rabbit rabbit;    /* RabbitMQ's connections of this node */
	/* the addresses its host resolves to, for RabbitMQ's peer_host */
	char **addrs;
	size_t naddrs;
	bool addrs_resolved;
	bool is_local;                /* its host is this machine */
};

/* One AMQP connection of a Barbican process, as RabbitMQ lists it. */
struct rabbit_conn {
	char *program;            /* "barbican-worker" (connection_name's first field) */
	long pid;                 /* its second field; 0 unknown */
	char *peer_host;
	char *connected_at;       /* record time form; NULL */
	char *user, *vhost;
	bool matched;             /* belongs to a configured node */
};

struct rabbit_obs {
	bool configured;          /* [rabbitmq] management_url is set */
	bool probed;
	char *error;              /* the API did not answer, or refused: why */
	struct rabbit_conn *conns;/* Barbican processes' connections only */
	size_t nconns;
	size_t nother;            /* connections of other programs */
	double latency_ms;
};

struct db_obs {
	bool configured;          /* a database URL is set (or defaulted) */
	char *option;             /* which option gave it: "[DEFAULT] sql_connection" */
	char *url_masked;         /* password replaced by *** */
	char *scheme;             /* "postgresql+psycopg2" */
	char *backend;            /* "PostgreSQL", "MySQL"; NULL unsupported */
	bool supported;           /* a PostgreSQL or MySQL/MariaDB URL */
	char *conflict;           /* both options set and different: what differs */
	char *parse_error;        /* the URL does not parse */

	bool probed;
	bool reachable;
	char *error;              /* connection or query error (never the password) */
	bool versioned;           /* alembic_version exists */
	char **heads;             /* its rows, sorted */
	size_t nheads;
	double latency_ms;
	time_t seen_wall;

	/* Galera (MySQL/MariaDB with wsrep): asked when the database answered */
	bool cluster_probed;
	bool cluster;             /* a Galera node (wsrep provider loaded) */
	long cluster_size;        /* wsrep_cluster_size */
	char *cluster_state;      /* wsrep_local_state_comment: "Synced", ... */
	char *cluster_component;  /* wsrep_cluster_status: "Primary", "non-Primary" */
};

/* What Barbican's own policy check looks at. */
struct policy_obs {
	char *policy_file;        /* [oslo_policy] policy_file, or the default */
	bool policy_file_set;     /* set in the config (not the default) */
	char *path;               /* where find_file found it; NULL not found */
	bool is_json;             /* json.loads accepts it */
	char *error;              /* reading it failed (Barbican's command exits 255) */
};

/* Who holds the upgrade lock, as the database shows it: PostgreSQL's
 * advisory lock and the shared record's lock row (db/record-sql.h). */
struct lock_obs {
	bool probed;
	bool held;                /* by another live session */
	bool vanished;            /* its holder is gone (session ended, or the
				   * lease ran out) but never let go: taking it
				   * needs a take-over */
	char *holder;             /* "expand by ops@jump1 since 2026-11-25T10:42:07Z" */
	char *step, *node, *user, *host;  /* from the lock row; NULL unknown */
	char *since;              /* record time form, server clock; NULL */
	char *lease_until;        /* MySQL: when the lease runs out; NULL */
	double lease_left_s;      /* MySQL: seconds left (<= 0: ran out) */
	char *record_id;          /* the holder's step in the record */
	int holder_pid;           /* PostgreSQL: its backend pid; 0 */
	bool lost_race;           /* we tried at the same moment and the database
				   * (Galera certification, a row lock) let
				   * the other operator's commit win */
};

/* The shared record of the upgrade, as the database holds it. */
struct record_obs {
	bool probed;              /* read (or known to be absent) */
	bool file_only;           /* [record] backend = file: not asked */
	bool tables;              /* the record's tables exist */
	char *error;              /* reading it failed */
	struct journal_record *recs;
	size_t nrecs;
};

enum target_source {
	TARGET_NONE,       /* unknown */
	TARGET_CONFIG,     /* [upgrade] target_release */
	TARGET_INSTALLED,  /* the Barbican release installed here */
};

struct snapshot {
	const struct settings *settings;
	char *target;                 /* the target release; NULL unknown */
	enum target_source target_src;
	char *installed_release;      /* Barbican installed on this machine; NULL */
	char *installed_where;        /* where that was read */

	struct node *nodes;           /* one per [node:NAME], in config order */
	size_t nnodes;
	struct db_obs db;
	struct policy_obs policy;
	struct lock_obs lock;
	struct record_obs record;
	struct rabbit_obs rabbit;
	/* Rows of online data migration left: the most any node reports, or the
	 * count printed by [data_migrations] count_command; -1 unknown. */
	long data_migrations;
	char *data_migrations_source; /* where data_migrations comes from, or why it is unknown */
	/* [data_migrations] count_command's last answer (probes/countprobe.h):
	 * count_rows -1 before its first run or when it failed (count_error
	 * says why); count_at the wall clock of that answer, 0 none yet. */
	long count_rows;
	char *count_error;
	time_t count_at;
	time_t taken_at;              /* wall clock when the last refresh ended */
};

/* A snapshot of the configured nodes, nothing probed yet. */
void snapshot_init(struct snapshot *s, const struct settings *st);
void snapshot_free(struct snapshot *s);
void node_obs_clear(struct node_obs *o);
void db_obs_clear(struct db_obs *d);
void policy_obs_clear(struct policy_obs *p);
void lock_obs_clear(struct lock_obs *l);
void record_obs_clear(struct record_obs *r);
void rabbit_obs_clear(struct rabbit_obs *r);
void node_obs_copy(struct node_obs *dst, const struct node_obs *src);
/* n->from_cmd, made (cleared) on first use */
struct node_obs *node_cmd_obs(struct node *n);

/* n->obs from its sources: its HTTP probe (url, report_url), its
 * report_command, RabbitMQ's connections; the worse state counts, the
 * reported release over ?build's, and a node with no other source is what
 * RabbitMQ says (up when connected, down when not, unknown with the error
 * when the management API could not be asked). */
void node_merge(struct node *n);
/* RabbitMQ's connections matched to the nodes (the service is the
 * connection's program; the host resolves to its peer_host, a loopback peer
 * to a node on this machine), then every node merged again. */
void snapshot_apply_rabbit(struct snapshot *s);
/* The configured node has something to ask (url, report_url, report_command). */
bool node_observable(const struct node_conf *c);
/* The most data_migrations_remaining any node reports (-1: none reports). */
long snapshot_reported_data_migrations(const struct snapshot *s);
/* s->data_migrations and its source: count_command's last answer when one
 * is configured (its error when it failed), else the most any node reports.
 * Pure; snapshot_derive calls it. */
void snapshot_data_migrations(struct snapshot *s);
struct node *snapshot_node(struct snapshot *s, const char *name);
/* The host to show: the configured one, else the one the version report
 * names, else the host of the node's URL (NULL if none). */
const char *node_host(const struct node *n);

/* The node's RPC version and objects from the manifest, for the release it
 * runs, when it reported none (marked SRC_DERIVED). */
struct manifest;
void snapshot_derive(struct snapshot *s, const struct manifest *m);

#endif
