/* rabbit.h: what the matching of RabbitMQ's connections to nodes needs
 * from this host: the addresses each node's host resolves to, and whether
 * it is this machine (a loopback peer belongs to a node on this machine).
 * Resolved once per node and process (getaddrinfo blocks: names do not
 * change while barbican-status runs). */
#ifndef BS_RABBIT_H
#define BS_RABBIT_H

#include "core/snapshot.h"

void rabbit_resolve_hosts(struct snapshot *s);

#endif
