/* parse.h: what a node's answers mean. Pure functions from a response body
 * to observations, so that they are tested and fuzzed without a network.
 * On failure each returns false and sets *why to a malloc'd reason. */
#ifndef BS_PARSE_H
#define BS_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/snapshot.h"

#define REPORT_SCHEMA "barbican-version-report/1"

/* A version report (DESIGN.md, The version report) into o: release (source
 * report), rpc_version/rpc_cap (source report when "rpc" is present),
 * objects, report_state, started_at, data_migrations_remaining, and the
 * state it implies (up; drained for draining/stopping; down for stopped, which
 * a host's `barbican-status report` says when no process of the service runs). An invalid report
 * (not JSON, not an object, a required field missing or of the wrong type,
 * another schema, an unknown state, a service other than the configured
 * one) returns false: the node is in error with that reason. */
bool parse_report(const char *body, size_t len, enum service_kind configured,
		  struct node_obs *o, char **why);

/* GET / (version discovery): the min/max microversion of the v1 entry when
 * present (releases before 15.0.0 show none: that is not an error). */
bool parse_discovery(const char *body, size_t len, char **min, char **max, char **why);

/* GET /?build: {"build": "15.0.1"}. */
bool parse_build(const char *body, size_t len, char **release, char **why);

/* GET /api/connections of RabbitMQ's management API: the connections of
 * Barbican's processes (connection_name "barbican-worker:<pid>:<uuid>",
 * also barbican-keystone-listener and barbican-retry) into out->conns; the
 * others are only counted (out->nother). */
bool parse_rabbit_connections(const char *body, size_t len, struct rabbit_obs *out, char **why);

#endif
