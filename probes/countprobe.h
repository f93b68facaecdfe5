/* countprobe.h: [data_migrations] count_command, run without a shell like a
 * report command and waited on in the caller's loop (the CLI's observe and
 * the console's refresh alike): its standard output is one whole number, the
 * rows of online data migration left. The result goes to the snapshot's
 * count_rows / count_error / count_at; snapshot_derive decides from them
 * (and the nodes' reports) what s->data_migrations is. */
#ifndef BS_COUNTPROBE_H
#define BS_COUNTPROBE_H

#include <stdbool.h>

#include "core/snapshot.h"

struct countprobe;

/* Start the command (NULL when none is configured, or when it could not be
 * started: then s->count_error says why). */
struct countprobe *countprobe_start(struct snapshot *s);
/* The descriptor to wait on for POLLIN (-1: none now). */
int countprobe_fd(const struct countprobe *p);
/* Milliseconds until countprobe_step must run for the timeout (-1 none). */
long countprobe_timeout_ms(const struct countprobe *p);
/* Read what came; true once the command ended and its result is in s. */
bool countprobe_step(struct countprobe *p, struct snapshot *s);
/* A command still running is killed. */
void countprobe_free(struct countprobe *p);

#endif
