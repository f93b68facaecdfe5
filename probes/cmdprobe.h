/* cmdprobe.h: a node's report_command ([node:NAME] report_command, or
 * [probes] report_command for all): an argv template ({node}, {host},
 * {service}; e.g. "ssh -o BatchMode=yes {host} barbican-status report
 * --service {service} --json") run without a shell, whose standard output
 * is the node's version report. Run in the caller's wait loop (its pipe is
 * waited on like a socket), bounded by the node's timeout, its output
 * capped at [probes] max_body and its standard error at 64 KiB; its exit
 * status and standard error are the node's error. A node's command runs at
 * most once every [probes] report_interval seconds: in between its last
 * report stands (with its age, node_obs.report_cmd_at). */
#ifndef BS_CMDPROBE_H
#define BS_CMDPROBE_H

#include <poll.h>

#include "core/snapshot.h"

struct cmdprober;

struct cmdprober *cmdprober_new(const struct settings *st);
void cmdprober_free(struct cmdprober *p);
/* Start the commands that are due (never run, or run report_interval ago)
 * and not running. force: every node's, whatever its last run. */
void cmdprober_start(struct cmdprober *p, struct snapshot *s, bool force);
/* The descriptors to wait on (at most max), for POLLIN. */
int cmdprober_fds(const struct cmdprober *p, int *fds, int max);
/* Milliseconds until cmdprober_perform must run for a timeout (-1: none). */
long cmdprober_timeout_ms(const struct cmdprober *p);
/* Read what came, end what is due; every node whose command ended gets its
 * report (node_merge). Never blocks. Returns the commands still running. */
int cmdprober_perform(struct cmdprober *p, struct snapshot *s);

#endif
