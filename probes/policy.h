/* policy.h: what Barbican's "Policy File JSON to YAML Migration" check looks
 * at (oslo_upgradecheck.common_checks.check_policy_json, 2.0.0): the file
 * conf.find_file([oslo_policy] policy_file) finds, and whether
 * oslo_utils.fileutils.is_json() says it is JSON (json.loads accepts its
 * text). policy_file defaults to oslo.policy's "policy.json": Barbican's
 * status command does not load Barbican's own policy defaults.
 *
 * Where Barbican's command crashes (exit 255: the path is a directory, the
 * file cannot be read or is not UTF-8, nesting deep enough for Python's
 * RecursionError), p->error says so. */
#ifndef BS_POLICY_H
#define BS_POLICY_H

#include "core/snapshot.h"

void probe_policy(const struct settings *st, struct policy_obs *p);

#endif
