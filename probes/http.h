/* http.h: probe every node over HTTP with one libcurl multi handle.
 *
 * A barbican-api node (url set) gets three requests: GET / with
 * "OpenStack-API-Version: key-manager latest" (version discovery), GET
 * /?build (its release) and GET /healthcheck. A node with report_url gets
 * GET report_url (its version report). All requests of a node start together
 * and share the node's timeout, so the timeout bounds the whole probe of the
 * node. At most [probes] concurrency nodes are probed at once. Bodies are
 * capped at [probes] max_body while they are read (the real API sends no
 * Content-Length). TLS is verified ([probes] ca_file); redirects are followed
 * only to the same scheme, host and port (at most 3). Connections are kept in
 * the multi handle's cache and reused by the next refresh.
 *
 * Driven from a caller's wait loop (observe() for the commands, the
 * console's own): prober_start(), prober_wait() and prober_perform(). */
#ifndef BS_HTTP_H
#define BS_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>

#include "core/snapshot.h"

struct prober;

/* NULL when libcurl cannot be had (probes/libcurl.h: it is opened here, the
 * first time), *why saying why (the caller frees it). */
struct prober *prober_new(const struct settings *st, char **why);
void prober_free(struct prober *p);
/* Keep what each node sent, as received (up to 64 KiB, in its observation's
 * raw_report / raw_discovery), for the console's details view; the commands
 * that print and exit show none of it and keep none (off by default). */
void prober_keep_raw(struct prober *p, bool keep);

/* Start a probe of every node that has something to ask and no probe in
 * flight (one refresh tick). Nodes with nothing to ask stay unknown. */
void prober_start(struct prober *p, struct snapshot *s);
/* prober_start for a refresh that may send at most max_requests requests
 * (0: no limit): when every node's probe fits, all of them; else every
 * node never asked yet (the first look is the whole fleet), then the others
 * in turn, from where the last call stopped, until the next would pass the
 * budget (one node at least), so that each node is asked about once in
 * every ceil(requests / max_requests) calls. Returns the requests one probe
 * of every node takes. RabbitMQ's request is not counted. */
long prober_start_within(struct prober *p, struct snapshot *s, long max_requests);
/* The HTTP requests one probe of a node sends: 3 for url (discovery,
 * ?build, healthcheck), 1 for report_url. */
long prober_node_requests(const struct node_conf *c);
/* Start a probe of one node, if it is not in flight. */
void prober_start_node(struct prober *p, struct snapshot *s, size_t index);
/* RabbitMQ's management API is asked too ([rabbitmq] management_url): one
 * GET /api/connections per prober_start, bounded by [probes] timeout, its
 * answer matched to the nodes (snapshot_apply_rabbit). Is it in flight? */
bool prober_busy(const struct prober *p);
/* Let libcurl work (never blocks); every node whose requests have all
 * finished gets its new observation. Returns the number of nodes in flight. */
int prober_perform(struct prober *p, struct snapshot *s);
/* Wait (curl_multi_poll) until libcurl's sockets, one of extra's
 * descriptors or timeout_ms says there is something to do: the one wait of
 * a caller's loop. */
void prober_wait(struct prober *p, struct curl_waitfd *extra, unsigned nextra, int timeout_ms);
/* When there is no prober (prober_new failed): every node that would be
 * asked over HTTP, and RabbitMQ's API when configured, is an error saying
 * why it was not asked. */
void prober_fail_all(struct snapshot *s, const char *why);
/* Milliseconds until libcurl wants prober_perform again (-1: no timer). */
long prober_timeout_ms(struct prober *p);
/* At exit: libcurl's global state, when a prober opened it. */
void prober_library_close(void);

#endif
