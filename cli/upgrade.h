/* upgrade.h: what `upgrade plan`, `upgrade gate` and `upgrade next` share:
 * one observation (target, policy, database with the lock holder, nodes, data
 * migrations), the checks, the journal's vouches, and the plan made of them;
 * and the argv of a step from its [steps] template. */
#ifndef BS_UPGRADE_H
#define BS_UPGRADE_H

#include "cli.h"
#include "model/model.h"

struct plan_ctx {
	struct settings st;
	struct model md;             /* model/model.h, of st */
	struct dbprobe_keep *dbkeep; /* the cli's (--watch), NULL */
};

/* Load the settings (refusing to guess the target: plan, gate and next need
 * [upgrade] target_release), observe, check, read the journal and plan.
 * Returns -1 on success, else the exit code (after printing why). */
int plan_ctx_load(struct cli *cli, struct plan_ctx *c);
/* Observe again (ss: our own step, whose lock is not another operator's;
 * NULL none) and re-plan. */
struct step_session;
void plan_ctx_refresh(struct plan_ctx *c, const struct step_session *ss);
/* Plan again letting a vanished lock holder be taken over. */
void plan_ctx_take_over(struct plan_ctx *c);
void plan_ctx_free(struct plan_ctx *c);

/* runner/steps.h on the context's settings and snapshot. */
enum bs_status plan_step_argv(const struct plan_ctx *c, const struct plan_step *step, char ***argv,
			      struct bs_err *err);
char *plan_step_describe(const struct plan_ctx *c, const struct plan_step *step);

/* Renderers of plan and gate (text, JSON). */
void plan_print_text(FILE *f, const struct plan_ctx *c);
void plan_print_json(FILE *f, const struct plan_ctx *c);
void gate_print_text(FILE *f, const struct plan_ctx *c, const struct gate *g);
void gate_print_json(FILE *f, const struct plan_ctx *c, const struct gate *g);

#endif
