#include "planner.h"

#include <stdlib.h>
#include <string.h>

#include "core/strmap.h"
#include "core/xalloc.h"

static const char *const phase_names[PH__COUNT] = {
	"check", "expand", "roll", "unpin", "migrate-data", "contract", "offline", "done",
};

const char *phase_name(enum phase p)
{
	return (unsigned)p < PH__COUNT ? phase_names[p] : "?";
}

bool phase_parse(const char *s, enum phase *out)
{
	for (int i = 0; i < PH__COUNT; i++) {
		if (strcmp(s, phase_names[i]) == 0) {
			*out = (enum phase)i;
			return true;
		}
	}
	return false;
}

static const char *const step_names[STEP__COUNT] = {
	"none", "expand", "upgrade_node", "unpin", "data_migrations", "contract", "offline",
};

const char *step_kind_name(enum step_kind k)
{
	return (unsigned)k < STEP__COUNT ? step_names[k] : "?";
}

enum step_kind phase_step(enum phase p)
{
	switch (p) {
	case PH_EXPAND: return STEP_EXPAND;
	case PH_ROLL: return STEP_UPGRADE_NODE;
	case PH_UNPIN: return STEP_UNPIN;
	case PH_MIGRATE_DATA: return STEP_DATA_MIGRATIONS;
	case PH_CONTRACT: return STEP_CONTRACT;
	case PH_OFFLINE: return STEP_OFFLINE;
	default: return STEP_NONE;
	}
}

enum phase step_phase(enum step_kind k)
{
	for (int p = 0; p < PH__COUNT; p++)
		if (phase_step((enum phase)p) == k)
			return (enum phase)p;
	return PH_CHECK;
}

/* ---- the facts a plan is made of ---- */

struct facts {
	const struct plan_input *in;
	const struct snapshot *s;
	const struct mf_release *target;
	bool db_usable;        /* reachable, versioned, heads known to the target */
	bool skew_failure;
	size_t napi, napi_healthy;
	size_t nunavailable;   /* nodes down or drained */
};

static bool is_healthy_api(const struct node *n)
{
	return n->conf->service == SVC_API && n->obs.state == NS_UP;
}

static bool unavailable(const struct node *n)
{
	return n->obs.state == NS_DOWN || n->obs.state == NS_DRAINED;
}

static void add_blocker(struct blocker **arr, size_t *n, size_t *cap, struct blocker b)
{
	xgrow(arr, cap, *n + 1, sizeof(**arr));
	(*arr)[(*n)++] = b;
}

#define BLOCK(list, ...) add_blocker(&(list)->blockers, &(list)->nblockers, \
				     &(list)->capblockers, (struct blocker){ __VA_ARGS__ })

struct blist {
	struct blocker *blockers;
	size_t nblockers, capblockers;
};

static bool waived(const struct plan_input *in, const struct check_entry *e, bool *expired)
{
	*expired = false;
	for (size_t i = 0; i < in->st->nwaivers; i++) {
		const struct waiver *w = &in->st->waivers[i];
		if (strcmp(w->check, e->id) != 0)
			continue;
		if (in->now < w->until_end)
			return true;
		*expired = true;
	}
	return false;
}

static void compute_nodes(struct facts *f, struct plan *p)
{
	const struct snapshot *s = f->s;
	const char *target = s->target;
	p->nodes = xcalloc(s->nnodes ? s->nnodes : 1, sizeof(*p->nodes));
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct node *n = &s->nodes[i];
		struct plan_node *pn = &p->nodes[i];
		pn->observable = node_observable(n->conf);
		/* a node whose package was upgraded but whose processes still run
		 * the old code is not at the target until they restart */
		pn->at_target = target && n->obs.state != NS_UNKNOWN && n->obs.release &&
				strcmp(n->obs.release, target) == 0 && !n->obs.restart_needed;
		if (!pn->observable) {
			for (size_t v = 0; target && v < f->in->nvouches; v++)
				if (strcmp(f->in->vouches[v].node, n->conf->name) == 0 &&
				    strcmp(f->in->vouches[v].release, target) == 0)
					pn->vouched = true;
		}
		pn->done = (pn->at_target && n->obs.state == NS_UP) || pn->vouched;
		if (n->conf->service == SVC_API) {
			f->napi++;
			f->napi_healthy += is_healthy_api(n);
		}
		f->nunavailable += unavailable(n);
		if (n->obs.state != NS_UNKNOWN && n->obs.release && target) {
			enum rel_relation r = mf_relate(f->in->m, n->obs.release, target, NULL);
			if (r == REL_OLDER || r == REL_NEWER)
				f->skew_failure = true;
		}
		if (n->obs.rpc_cap && n->obs.state != NS_UNKNOWN)
			p->any_cap = true;
	}
}

/* The pending path, split into the expand, contract and offline steps. */
static void compute_db(struct facts *f, struct plan *p)
{
	const struct db_obs *d = &f->s->db;
	char *owned;
	const char *why = db_unusable_reason(d, &owned);
	free(owned);
	if (why || !f->target) {
		p->path.verdict = DBV_UNKNOWN;
		return;
	}
	mf_pending(f->in->m, (const char *const *)d->heads, d->nheads, f->target, &p->path);
	if (p->path.verdict != DBV_PENDING && p->path.verdict != DBV_UP_TO_DATE)
		return;
	f->db_usable = true;
	size_t i = 0;
	/* expand: the leading expand migrations, up to the first contract or offline one */
	while (i < p->path.nsteps && p->path.steps[i]->cls == MIG_EXPAND) {
		p->expand_to = p->path.steps[i];
		p->nexpand++;
		i++;
	}
	/* contract: from there up to the last migration before the first offline one */
	while (i < p->path.nsteps && p->path.steps[i]->cls != MIG_OFFLINE) {
		p->contract_to = p->path.steps[i];
		p->ncontract++;
		i++;
	}
	/* offline: everything after */
	if (i < p->path.nsteps) {
		p->offline_to = p->path.steps[p->path.nsteps - 1];
		p->noffline = p->path.nsteps - i;
	}
}

/* The roll order: services in [upgrade] roll_order, then any other, each in
 * config order; only the nodes not done. */
static void compute_roll(struct facts *f, struct plan *p)
{
	const struct snapshot *s = f->s;
	const struct settings *st = f->in->st;
	p->roll_queue = xcalloc(s->nnodes ? s->nnodes : 1, sizeof(*p->roll_queue));
	bool *queued = xcalloc(s->nnodes ? s->nnodes : 1, sizeof(*queued));
	for (size_t k = 0; k <= st->nroll_order; k++) {
		enum service_kind want = SVC_API;
		if (k < st->nroll_order && !service_parse(st->roll_order[k], &want))
			continue;
		for (size_t i = 0; i < s->nnodes; i++) {
			/* a node at the target that is not up yet is settling, not
			 * to be upgraded again: the roll waits for it */
			if (queued[i] || p->nodes[i].done || p->nodes[i].at_target)
				continue;
			if (k < st->nroll_order && s->nodes[i].conf->service != want)
				continue;
			queued[i] = true;
			p->roll_queue[p->nroll_queue++] = (long)i;
		}
	}
	free(queued);
	p->roll_total = s->nnodes;
	for (size_t i = 0; i < s->nnodes; i++)
		p->roll_done += p->nodes[i].done;
}

/* ---- prerequisites of each step ---- */

static void common_prereqs(struct facts *f, struct blist *b, enum step_kind k)
{
	const struct plan_input *in = f->in;
	const struct snapshot *s = f->s;
	if (s->lock.held || (s->lock.vanished && !in->take_over))
		BLOCK(b, .code = BLK_LOCK_HELD, .step = k, .node = -1, .text = s->lock.holder);
	if (in->checks) {
		for (size_t i = 0; i < in->nchecks; i++) {
			bool expired;
			if (in->checks[i].code == BS_FAILURE && !waived(in, in->checks[i].entry, &expired))
				BLOCK(b, .code = BLK_CHECK_FAILED, .step = k, .node = -1,
				      .check = in->checks[i].entry);
		}
	}
	/* never a step that leaves no healthy barbican-api, unless allowed */
	if (!in->st->allow_api_outage && k != STEP_UPGRADE_NODE) {
		if (f->napi == 0)
			BLOCK(b, .code = BLK_NO_API_CONFIGURED, .step = k, .node = -1);
		else if (f->napi_healthy == 0)
			BLOCK(b, .code = BLK_NO_HEALTHY_API, .step = k, .node = -1);
	}
}

static void db_prereqs(struct facts *f, struct plan *p, struct blist *b, enum step_kind k)
{
	const struct db_obs *d = &f->s->db;
	char *owned;
	const char *why = db_unusable_reason(d, &owned);
	if (why) {
		BLOCK(b, .code = BLK_DB_UNUSABLE, .step = k, .node = -1,
		      .text = why == owned ? NULL : why);
		/* the text of an owned reason is rebuilt by blocker_text */
		free(owned);
		return;
	}
	if (!f->target)
		return;
	switch (p->path.verdict) {
	case DBV_COLD:
		BLOCK(b, .code = BLK_DB_COLD, .step = k, .node = -1, .rev = p->path.offending);
		break;
	case DBV_AHEAD:
		BLOCK(b, .code = BLK_DB_AHEAD, .step = k, .node = -1, .rev = p->path.offending);
		break;
	case DBV_UNKNOWN:
		BLOCK(b, .code = BLK_DB_UNKNOWN_REVISION, .step = k, .node = -1,
		      .rev = p->path.offending);
		break;
	default:
		break;
	}
}

static void skew_prereqs(struct facts *f, struct blist *b, enum step_kind k)
{
	const struct snapshot *s = f->s;
	if (!f->skew_failure)
		return;
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct node *n = &s->nodes[i];
		if (n->obs.state == NS_UNKNOWN || !n->obs.release)
			continue;
		enum rel_relation r = mf_relate(f->in->m, n->obs.release, s->target, NULL);
		if (r == REL_OLDER)
			BLOCK(b, .code = BLK_SKEW_OLDER, .step = k, .node = (long)i);
		else if (r == REL_NEWER)
			BLOCK(b, .code = BLK_SKEW_NEWER, .step = k, .node = (long)i);
	}
}

/* every node at the target (and up, when want_up) */
static void fleet_prereqs(struct facts *f, struct plan *p, struct blist *b, enum step_kind k,
			  bool want_up)
{
	const struct snapshot *s = f->s;
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct node *n = &s->nodes[i];
		const struct plan_node *pn = &p->nodes[i];
		if (pn->vouched)
			continue;
		if (!pn->observable)
			BLOCK(b, .code = BLK_NODE_NOT_VOUCHED, .step = k, .node = (long)i);
		else if (!pn->at_target)
			BLOCK(b, .code = n->obs.probed ? BLK_NODE_BELOW_TARGET : BLK_NODE_NOT_OBSERVED,
			      .step = k, .node = (long)i);
		else if (want_up && n->obs.state != NS_UP)
			BLOCK(b, .code = BLK_NODE_NOT_UP, .step = k, .node = (long)i);
	}
}

static void cap_prereqs(struct facts *f, struct blist *b, enum step_kind k)
{
	const struct snapshot *s = f->s;
	for (size_t i = 0; i < s->nnodes; i++)
		if (s->nodes[i].obs.rpc_cap && s->nodes[i].obs.state != NS_UNKNOWN)
			BLOCK(b, .code = BLK_CAP_SET, .step = k, .node = (long)i);
}

/* The node the roll takes next, or -1 with the reason in b. */
static long pick_node(struct facts *f, struct plan *p, struct blist *b)
{
	const struct snapshot *s = f->s;
	const struct settings *st = f->in->st;
	if (!st->allow_api_outage && f->napi == 0) {
		BLOCK(b, .code = BLK_NO_API_CONFIGURED, .step = STEP_UPGRADE_NODE, .node = -1);
		return -1;
	}
	if (!st->allow_api_outage && f->napi_healthy == 0) {
		BLOCK(b, .code = BLK_NO_HEALTHY_API, .step = STEP_UPGRADE_NODE, .node = -1);
		return -1;
	}
	/* a node that is out already costs no more availability: take it first */
	for (size_t q = 0; q < p->nroll_queue; q++) {
		long i = p->roll_queue[q];
		if (unavailable(&s->nodes[i]))
			return i;
	}
	if ((long)f->nunavailable >= st->max_unavailable) {
		BLOCK(b, .code = BLK_MAX_UNAVAILABLE, .step = STEP_UPGRADE_NODE, .node = -1,
		      .count = (long)f->nunavailable);
		return -1;
	}
	for (size_t q = 0; q < p->nroll_queue; q++) {
		long i = p->roll_queue[q];
		const struct node *n = &s->nodes[i];
		if (st->allow_api_outage)
			return i;
		/* the healthy barbican-apis left once this node goes down */
		size_t left = f->napi_healthy - (is_healthy_api(n) ? 1 : 0);
		if (left >= 1)
			return i;
		BLOCK(b, .code = BLK_LAST_HEALTHY_API, .step = STEP_UPGRADE_NODE, .node = i);
		return -1;
	}
	return -1;
}

/* The prerequisites of step k (DESIGN.md's table). For upgrade_node, *node
 * is set to the node it would take. */
static void step_prereqs(struct facts *f, struct plan *p, struct blist *b, enum step_kind k,
			 long *node)
{
	*node = -1;
	common_prereqs(f, b, k);
	switch (k) {
	case STEP_EXPAND:
		db_prereqs(f, p, b, k);
		skew_prereqs(f, b, k);
		if (f->db_usable && f->target && !p->expand_to &&
		    (p->path.verdict == DBV_UP_TO_DATE || p->path.verdict == DBV_PENDING))
			BLOCK(b, .code = BLK_NOTHING_TO_DO, .step = k, .node = -1);
		break;
	case STEP_UPGRADE_NODE:
		db_prereqs(f, p, b, k);
		if (f->db_usable && p->expand_to)
			BLOCK(b, .code = BLK_EXPAND_PENDING, .step = k, .node = -1,
			      .rev = p->expand_to->revision);
		skew_prereqs(f, b, k);
		if (p->nroll_queue == 0) {
			bool settling = false;
			for (size_t i = 0; i < f->s->nnodes; i++) {
				if (!p->nodes[i].done) {
					BLOCK(b, .code = BLK_NODE_NOT_UP, .step = k, .node = (long)i);
					settling = true;
				}
			}
			if (!settling)
				BLOCK(b, .code = BLK_NOTHING_TO_DO, .step = k, .node = -1);
			break;
		}
		*node = pick_node(f, p, b);
		if (*node >= 0 && p->nodes[*node].observable &&
		    !f->s->nodes[*node].obs.probed)
			BLOCK(b, .code = BLK_NODE_NOT_OBSERVED, .step = k, .node = *node);
		break;
	case STEP_UNPIN:
		fleet_prereqs(f, p, b, k, true);
		if (!p->any_cap)
			BLOCK(b, .code = BLK_NOTHING_TO_DO, .step = k, .node = -1);
		break;
	case STEP_DATA_MIGRATIONS:
		fleet_prereqs(f, p, b, k, false);
		cap_prereqs(f, b, k);
		if (p->data_migrations <= 0)
			BLOCK(b, .code = BLK_NOTHING_TO_DO, .step = k, .node = -1);
		break;
	case STEP_CONTRACT:
		db_prereqs(f, p, b, k);
		if (f->db_usable && p->expand_to)
			BLOCK(b, .code = BLK_EXPAND_PENDING, .step = k, .node = -1,
			      .rev = p->expand_to->revision);
		fleet_prereqs(f, p, b, k, false);
		if (p->data_migrations > 0)
			BLOCK(b, .code = BLK_DATA_MIGRATIONS_LEFT, .step = k, .node = -1,
			      .count = p->data_migrations);
		cap_prereqs(f, b, k);
		if (f->db_usable && !p->contract_to)
			BLOCK(b, .code = BLK_NOTHING_TO_DO, .step = k, .node = -1);
		break;
	case STEP_OFFLINE:
		db_prereqs(f, p, b, k);
		if (f->db_usable && (p->expand_to || p->contract_to))
			BLOCK(b, .code = BLK_EXPAND_PENDING, .step = k, .node = -1,
			      .rev = (p->contract_to ? p->contract_to : p->expand_to)->revision);
		/* every service stopped: an outage the operator must accept */
		if (!f->in->st->allow_api_outage)
			BLOCK(b, .code = BLK_OFFLINE_NEEDS_OUTAGE, .step = k, .node = -1);
		for (size_t i = 0; i < f->s->nnodes; i++) {
			enum node_state ns = f->s->nodes[i].obs.state;
			if (p->nodes[i].observable && ns != NS_DOWN)
				BLOCK(b, .code = BLK_SERVICES_RUNNING, .step = k, .node = (long)i);
		}
		if (f->db_usable && !p->offline_to)
			BLOCK(b, .code = BLK_NOTHING_TO_DO, .step = k, .node = -1);
		break;
	default:
		break;
	}
}

/* ---- phases ---- */

static bool checks_failing(const struct plan_input *in)
{
	for (size_t i = 0; in->checks && i < in->nchecks; i++) {
		bool expired;
		if (in->checks[i].code == BS_FAILURE && !waived(in, in->checks[i].entry, &expired))
			return true;
	}
	return false;
}

static void compute_phases(struct facts *f, struct plan *p)
{
	bool fleet_at_target = p->roll_done == p->roll_total;
	/* Offline migrations need every service stopped, and a stopped node shows
	 * no release. Once only offline migrations are left (the contract step,
	 * which needed the whole fleet at the target, is behind), a fleet whose
	 * every observable node is down counts as rolled: it is stopped for the
	 * offline step, as the plan announced. */
	bool all_stopped = f->s->nnodes > 0;
	for (size_t i = 0; i < f->s->nnodes; i++)
		if (p->nodes[i].observable && f->s->nodes[i].obs.state != NS_DOWN)
			all_stopped = false;
	if (f->db_usable && p->offline_to && !p->expand_to && !p->contract_to && all_stopped)
		fleet_at_target = true;
	p->state[PH_CHECK] = checks_failing(f->in) ? PS_PENDING : PS_COMPLETE;
	p->state[PH_EXPAND] = f->db_usable && !p->expand_to ? PS_COMPLETE : PS_PENDING;
	p->state[PH_ROLL] = fleet_at_target ? PS_COMPLETE : PS_PENDING;
	if (p->any_cap) {
		p->state[PH_UNPIN] = PS_PENDING;
	} else {
		p->state[PH_UNPIN] = PS_SKIPPED;
		p->skip_text[PH_UNPIN] = "no node has an RPC version cap (stock Barbican sets none)";
	}
	if (p->data_migrations > 0) {
		p->state[PH_MIGRATE_DATA] = PS_PENDING;
	} else {
		p->state[PH_MIGRATE_DATA] = PS_SKIPPED;
		p->skip_text[PH_MIGRATE_DATA] =
			p->data_migrations == 0 ? "no rows are left to migrate"
			: "no node reports data migrations and no [data_migrations] count_command is "
			  "set (no Barbican release has online data migrations)";
	}
	if (!f->db_usable) {
		p->state[PH_CONTRACT] = p->state[PH_OFFLINE] = PS_PENDING;
	} else {
		p->state[PH_CONTRACT] = p->contract_to ? PS_PENDING : PS_SKIPPED;
		if (!p->contract_to)
			p->skip_text[PH_CONTRACT] = "no contract migration is pending";
		p->state[PH_OFFLINE] = p->offline_to ? PS_PENDING : PS_SKIPPED;
		if (!p->offline_to)
			p->skip_text[PH_OFFLINE] = "no offline migration is pending";
	}
	bool done = f->db_usable && p->path.verdict == DBV_UP_TO_DATE && fleet_at_target &&
		    !p->any_cap && p->state[PH_MIGRATE_DATA] != PS_PENDING;
	p->state[PH_DONE] = done ? PS_COMPLETE : PS_PENDING;
	p->phase = PH_DONE;
	for (int ph = PH_CHECK; ph < PH_DONE; ph++) {
		if (p->state[ph] == PS_PENDING) {
			p->phase = (enum phase)ph;
			break;
		}
	}
}

static void facts_init(struct facts *f, const struct plan_input *in, struct plan *p)
{
	memset(f, 0, sizeof(*f));
	memset(p, 0, sizeof(*p));
	f->in = in;
	f->s = in->snap;
	f->target = in->snap->target ? mf_release(in->m, in->snap->target) : NULL;
	p->next.node = -1;
	p->data_migrations = in->snap->data_migrations;
	compute_nodes(f, p);
	compute_db(f, p);
	compute_roll(f, p);
	compute_phases(f, p);
}

void plan_compute(const struct plan_input *in, struct plan *p)
{
	struct facts f;
	facts_init(&f, in, p);
	struct blist b = { 0 };
	if (!in->snap->target) {
		BLOCK(&b, .code = BLK_TARGET_UNKNOWN, .step = STEP_NONE, .node = -1);
	} else if (!f.target) {
		BLOCK(&b, .code = BLK_TARGET_NOT_IN_MANIFEST, .step = STEP_NONE, .node = -1,
		      .text = in->snap->target);
	} else if (p->phase == PH_CHECK) {
		common_prereqs(&f, &b, STEP_NONE);
	} else if (p->phase != PH_DONE) {
		enum step_kind k = phase_step(p->phase);
		long node;
		step_prereqs(&f, p, &b, k, &node);
		p->next.kind = k;
		p->next.node = node;
		p->next.release = in->snap->target;
		if (k == STEP_EXPAND && p->expand_to)
			p->next.revision = p->expand_to->revision;
		else if (k == STEP_CONTRACT && p->contract_to)
			p->next.revision = p->contract_to->revision;
		else if (k == STEP_OFFLINE && p->offline_to)
			p->next.revision = p->offline_to->revision;
	}
	p->blockers = b.blockers;
	p->nblockers = b.nblockers;
	p->capblockers = b.capblockers;
	p->next_ready = p->next.kind != STEP_NONE && p->nblockers == 0;
	if (p->next_ready && in->checks) {
		for (size_t i = 0; i < in->nchecks; i++) {
			bool expired;
			if (in->checks[i].code == BS_FAILURE && waived(in, in->checks[i].entry, &expired))
				p->next_warnings = true;
		}
	}
}

void plan_free(struct plan *p)
{
	free(p->nodes);
	free(p->roll_queue);
	mf_path_free(&p->path);
	free(p->blockers);
	memset(p, 0, sizeof(*p));
}

/* ---- gates ---- */

void gate_eval(const struct plan_input *in, enum phase before, struct gate *g)
{
	memset(g, 0, sizeof(*g));
	g->before = before;
	if (!in->snap->target || !mf_release(in->m, in->snap->target)) {
		g->verdict = 255;
		add_blocker(&g->blockers, &g->nblockers, &g->capblockers,
			    (struct blocker){ .code = in->snap->target ? BLK_TARGET_NOT_IN_MANIFEST
								       : BLK_TARGET_UNKNOWN,
					      .node = -1, .text = in->snap->target });
		return;
	}
	struct plan p;
	struct facts f;
	facts_init(&f, in, &p);
	struct blist b = { 0 };

	/* (1) every phase before it complete (or skipped); the check phase is
	 * condition (3), given below with the waivers */
	for (int ph = PH_EXPAND; ph < (int)before; ph++) {
		if (p.state[ph] != PS_PENDING)
			continue;
		struct blist pb = { 0 };
		if (ph == PH_EXPAND && !f.db_usable) {
			db_prereqs(&f, &p, &pb, STEP_EXPAND);
		} else if (ph == PH_EXPAND) {
			BLOCK(&b, .code = BLK_EXPAND_PENDING, .step = STEP_EXPAND, .node = -1,
			      .rev = p.expand_to->revision);
		} else if (ph == PH_ROLL) {
			fleet_prereqs(&f, &p, &pb, STEP_UPGRADE_NODE, true);
		} else if (ph == PH_UNPIN) {
			cap_prereqs(&f, &pb, STEP_UNPIN);
		} else if (ph == PH_MIGRATE_DATA) {
			BLOCK(&b, .code = BLK_DATA_MIGRATIONS_LEFT, .step = STEP_DATA_MIGRATIONS,
			      .node = -1, .count = p.data_migrations);
		} else if (ph == PH_CONTRACT || ph == PH_OFFLINE) {
			const struct mf_migration *first = NULL;
			for (size_t i = 0; i < p.path.nsteps && !first; i++)
				if (p.path.steps[i]->cls != MIG_EXPAND)
					first = p.path.steps[i];
			if (first)
				BLOCK(&b, .code = BLK_DB_NOT_AT_TARGET, .step = phase_step((enum phase)ph),
				      .node = -1, .rev = first->revision);
			else
				db_prereqs(&f, &p, &pb, STEP_CONTRACT);
		}
		for (size_t i = 0; i < pb.nblockers; i++)
			add_blocker(&b.blockers, &b.nblockers, &b.capblockers, pb.blockers[i]);
		free(pb.blockers);
	}

	/* (2) the step's own prerequisites, (3) checks, (4) lock */
	if (before == PH_DONE) {
		common_prereqs(&f, &b, STEP_NONE);
		if (!f.db_usable)
			db_prereqs(&f, &p, &b, STEP_NONE);
		else if (p.path.verdict != DBV_UP_TO_DATE && p.path.nsteps)
			BLOCK(&b, .code = BLK_DB_NOT_AT_TARGET, .step = STEP_NONE, .node = -1,
			      .rev = p.path.steps[0]->revision);
		fleet_prereqs(&f, &p, &b, STEP_NONE, true);
		cap_prereqs(&f, &b, STEP_NONE);
	} else if (before == PH_CHECK) {
		common_prereqs(&f, &b, STEP_NONE);
	} else {
		long node;
		struct blist sb = { 0 };
		step_prereqs(&f, &p, &sb, phase_step(before), &node);
		/* a step with nothing to do does not stop a pipeline: it has no
		 * prerequisites of its own (offline's stopped services, contract's
		 * fleet), only the lock and the checks, conditions (3) and (4) */
		bool nothing_to_do = false;
		for (size_t i = 0; i < sb.nblockers; i++)
			nothing_to_do |= sb.blockers[i].code == BLK_NOTHING_TO_DO;
		for (size_t i = 0; i < sb.nblockers; i++) {
			enum blocker_code c = sb.blockers[i].code;
			if (c == BLK_NOTHING_TO_DO ||
			    (nothing_to_do && c != BLK_LOCK_HELD && c != BLK_CHECK_FAILED))
				continue;
			add_blocker(&b.blockers, &b.nblockers, &b.capblockers, sb.blockers[i]);
		}
		free(sb.blockers);
	}

	/* drop repeats (a blocker can come from two conditions): the first of
	 * each (code, node, check) kept, found through a map (one per node of
	 * a large fleet would make a pairwise scan quadratic) */
	size_t w = 0;
	struct strmap seen = { 0 };
	for (size_t i = 0; i < b.nblockers; i++) {
		char key[sizeof(int) + sizeof(long) + sizeof(void *)];
		int code = (int)b.blockers[i].code;
		const void *check = b.blockers[i].check;
		memcpy(key, &code, sizeof(code));
		memcpy(key + sizeof(code), &b.blockers[i].node, sizeof(long));
		memcpy(key + sizeof(code) + sizeof(long), &check, sizeof(check));
		size_t unused;
		if (strmap_get(&seen, key, sizeof(key), &unused))
			continue;
		strmap_put(&seen, key, sizeof(key), i);
		b.blockers[w++] = b.blockers[i];
	}
	strmap_free(&seen);
	b.nblockers = w;

	for (size_t i = 0; in->checks && i < in->nchecks; i++) {
		bool expired;
		const struct check_result *r = &in->checks[i];
		if (r->code != BS_FAILURE)
			continue;
		if (waived(in, r->entry, &expired))
			add_blocker(&g->warnings, &g->nwarnings, &g->capwarnings,
				    (struct blocker){ .code = BLK_CHECK_FAILED, .node = -1, .check = r->entry });
	}
	for (size_t i = 0; i < in->st->nwaivers; i++) {
		const struct waiver *wv = &in->st->waivers[i];
		g->waiver_notes = xreallocarray(g->waiver_notes, g->nwaiver_notes + 1,
						sizeof(*g->waiver_notes));
		g->waiver_notes[g->nwaiver_notes++] =
			in->now < wv->until_end
				? xasprintf("waiver %s (%s, by %s) holds until %s: %s", wv->name,
					    wv->check, wv->owner, wv->until, wv->reason)
				: xasprintf("waiver %s (%s, by %s) expired after %s: it waives nothing",
					    wv->name, wv->check, wv->owner, wv->until);
	}
	g->blockers = b.blockers;
	g->nblockers = b.nblockers;
	g->capblockers = b.capblockers;
	g->verdict = g->nblockers ? 2 : g->nwarnings ? 1 : 0;
	plan_free(&p);
}

void gate_free(struct gate *g)
{
	free(g->blockers);
	free(g->warnings);
	for (size_t i = 0; i < g->nwaiver_notes; i++)
		free((char *)g->waiver_notes[i]);
	free(g->waiver_notes);
	memset(g, 0, sizeof(*g));
}

/* ---- words ---- */

static const char *const blocker_names[] = {
	[BLK_TARGET_UNKNOWN] = "target-unknown",
	[BLK_TARGET_NOT_IN_MANIFEST] = "target-not-in-manifest",
	[BLK_LOCK_HELD] = "lock-held",
	[BLK_DB_UNUSABLE] = "database-unusable",
	[BLK_DB_COLD] = "database-cold",
	[BLK_DB_AHEAD] = "database-ahead",
	[BLK_DB_UNKNOWN_REVISION] = "database-unknown-revision",
	[BLK_CHECK_FAILED] = "check-failed",
	[BLK_SKEW_OLDER] = "node-too-old",
	[BLK_SKEW_NEWER] = "node-newer-than-target",
	[BLK_NODE_NOT_OBSERVED] = "node-not-observed",
	[BLK_NODE_BELOW_TARGET] = "node-below-target",
	[BLK_NODE_NOT_UP] = "node-not-up",
	[BLK_NODE_NOT_VOUCHED] = "node-not-vouched",
	[BLK_EXPAND_PENDING] = "expand-pending",
	[BLK_CAP_SET] = "rpc-cap-set",
	[BLK_DATA_MIGRATIONS_LEFT] = "data-migrations-left",
	[BLK_NO_HEALTHY_API] = "no-healthy-api",
	[BLK_NO_API_CONFIGURED] = "no-api-configured",
	[BLK_LAST_HEALTHY_API] = "last-healthy-api",
	[BLK_MAX_UNAVAILABLE] = "max-unavailable",
	[BLK_SERVICES_RUNNING] = "services-running",
	[BLK_OFFLINE_NEEDS_OUTAGE] = "offline-needs-outage",
	[BLK_NOTHING_TO_DO] = "nothing-to-do",
	[BLK_DB_NOT_AT_TARGET] = "database-not-at-target",
};

const char *blocker_code_name(enum blocker_code c)
{
	return (unsigned)c < ARRAY_SIZE(blocker_names) && blocker_names[c] ? blocker_names[c] : "?";
}

char *blocker_text(const struct blocker *b, const struct plan_input *in)
{
	const struct snapshot *s = in->snap;
	const struct node *n = b->node >= 0 && (size_t)b->node < s->nnodes ? &s->nodes[b->node] : NULL;
	const char *name = n ? n->conf->name : "?";
	const char *svc = n ? service_name(n->conf->service) : "?";
	const char *rel = n && n->obs.release ? n->obs.release : "an unknown release";
	switch (b->code) {
	case BLK_TARGET_UNKNOWN:
		return xstrdup("the target release is not set: set [upgrade] target_release");
	case BLK_TARGET_NOT_IN_MANIFEST:
		return xasprintf("the target release %s is not in the release manifest", b->text);
	case BLK_LOCK_HELD:
		if (s->lock.vanished && !s->lock.held)
			return xasprintf("the lock's holder vanished: %s%s%s; it may still be running: "
					 "check, then take over (upgrade next --take-over)",
					 b->text && *b->text ? b->text : "another session",
					 s->lock.lease_until ? ", lease ran out at " : "",
					 s->lock.lease_until ? s->lock.lease_until : "");
		return xasprintf("lock held by %s%s%s", b->text && *b->text ? b->text
								   : "another session (no name)",
				 s->lock.lease_until ? ", lease until " : "",
				 s->lock.lease_until ? s->lock.lease_until : "");
	case BLK_DB_UNUSABLE: {
		if (b->text)
			return xstrdup(b->text);
		char *owned;
		const char *why = db_unusable_reason(&s->db, &owned);
		char *r = xstrdup(why ? why : "the database cannot be read");
		free(owned);
		return r;
	}
	case BLK_DB_COLD:
		return xasprintf("the database is at %s, a pre-rebase revision: bring it to "
				 "0f8c192a061f with Barbican 10.0.0 first", b->rev);
	case BLK_DB_AHEAD:
		return xasprintf("the database is at %s, ahead of the target release %s", b->rev,
				 s->target);
	case BLK_DB_UNKNOWN_REVISION:
		return xasprintf("the database is at %s, a revision no known release has", b->rev);
	case BLK_CHECK_FAILED:
		return xasprintf("check \"%s\" (%s) fails", b->check->name, b->check->id);
	case BLK_SKEW_OLDER:
		return xasprintf("%s (%s) runs %s, older than %s allows", name, svc, rel, s->target);
	case BLK_SKEW_NEWER:
		return xasprintf("%s (%s) runs %s, newer than the target %s", name, svc, rel,
				 s->target);
	case BLK_NODE_NOT_OBSERVED:
		return xasprintf("%s (%s) has not answered yet", name, svc);
	case BLK_NODE_BELOW_TARGET:
		if (n && n->obs.release)
			return xasprintf("%s (%s) still runs %s", name, svc, rel);
		return xasprintf("%s (%s) does not run %s (it is %s)", name, svc, s->target,
				 n ? node_state_name(n->obs.state) : "?");
	case BLK_NODE_NOT_UP:
		return xasprintf("%s (%s) runs %s but is %s", name, svc, s->target,
				 n ? node_state_name(n->obs.state) : "?");
	case BLK_NODE_NOT_VOUCHED:
		return xasprintf("%s (%s) cannot be observed and nobody vouched that it runs %s",
				 name, svc, s->target);
	case BLK_EXPAND_PENDING:
		return xasprintf("expand migrations are pending (up to %s)", b->rev);
	case BLK_CAP_SET:
		return xasprintf("%s (%s) still sends with RPC version cap %s", name, svc,
				 n && n->obs.rpc_cap ? n->obs.rpc_cap : "?");
	case BLK_DATA_MIGRATIONS_LEFT:
		return xasprintf("%ld rows of online data migration are left", b->count);
	case BLK_NO_HEALTHY_API:
		return xstrdup("no barbican-api is up: every step waits until one is (or set "
			       "allow_api_outage = true)");
	case BLK_NO_API_CONFIGURED:
		return xstrdup("no barbican-api node is configured, so its availability cannot be "
			       "kept: add its [node:NAME] section, or set allow_api_outage = true");
	case BLK_LAST_HEALTHY_API:
		return xasprintf("%s is the last healthy barbican-api: taking it down means an "
				 "outage (set allow_api_outage = true to accept it, as a one-API "
				 "deployment must)", name);
	case BLK_MAX_UNAVAILABLE:
		return xasprintf("%ld node%s down or drained already (max_unavailable = %ld): wait "
				 "until %s back", b->count, b->count == 1 ? " is" : "s are",
				 in->st->max_unavailable, b->count == 1 ? "it is" : "they are");
	case BLK_SERVICES_RUNNING:
		return xasprintf("%s (%s) is still running: offline migrations need every service "
				 "stopped", name, svc);
	case BLK_OFFLINE_NEEDS_OUTAGE:
		return xstrdup("offline migrations need every service stopped, an outage: set "
			       "allow_api_outage = true to accept it");
	case BLK_NOTHING_TO_DO:
		return xstrdup("nothing to do");
	case BLK_DB_NOT_AT_TARGET:
		return xasprintf("the database is not at the heads of %s (%s is pending)", s->target,
				 b->rev);
	}
	return xstrdup("?");
}

/* ---- progress ---- */

static void dm_rate(const struct dm_sample *sm, size_t n, struct progress *out)
{
	out->rows_per_s = -1;
	out->rows_left_s = -1;
	out->rate_window_s = 0;
	if (n < 2 || out->rows_left < 0)
		return;
	size_t first = n - 1;
	while (first > 0 && sm[first - 1].rows >= sm[first].rows && sm[first - 1].rows >= 0 &&
	       sm[first - 1].t < sm[first].t)
		first--;
	double dt = sm[n - 1].t - sm[first].t;
	if (dt < 1.0)
		return;
	out->rate_window_s = dt;
	out->rows_per_s = (double)(sm[first].rows - sm[n - 1].rows) / dt;
	if (out->rows_per_s > 0)
		out->rows_left_s = (double)out->rows_left / out->rows_per_s;
}

void plan_progress(const struct plan *p, const struct snapshot *s, const struct journal_record *recs,
		   size_t nrecs, const struct dm_sample *samples, size_t nsamples,
		   struct progress *out)
{
	memset(out, 0, sizeof(*out));
	out->left_s = -1;
	out->rows_left = p->data_migrations;
	dm_rate(samples, nsamples, out);
	const struct settings *st = s->settings;
	/* services in roll order, then any other */
	for (size_t r = 0; st && r < st->nroll_order + 4; r++) {
		enum service_kind k;
		if (r < st->nroll_order) {
			if (!service_parse(st->roll_order[r], &k))
				continue;
		} else {
			k = (enum service_kind)(r - st->nroll_order);
		}
		bool seen = false;
		for (size_t i = 0; i < out->nservices; i++)
			seen |= out->services[i].service == k;
		if (seen)
			continue;
		struct service_progress sp = { k, 0, 0 };
		for (size_t i = 0; i < s->nnodes; i++) {
			if (s->nodes[i].conf->service != k)
				continue;
			sp.total++;
			sp.done += p->nodes[i].done;
		}
		if (sp.total && out->nservices < 4)
			out->services[out->nservices++] = sp;
		out->done += sp.done;
		out->total += sp.total;
	}
	double sum = 0;
	for (size_t i = 0; i < nrecs; i++) {
		const struct journal_record *r = &recs[i];
		if (!r->step || strcmp(r->step, "upgrade_node") != 0 || r->end < r->start ||
		    (r->outcome != OUTCOME_VERIFIED && r->outcome != OUTCOME_VOUCHED))
			continue;
		sum += (double)(r->end - r->start);
		out->timed++;
	}
	if (out->timed) {
		out->avg_step_s = sum / (double)out->timed;
		out->left_s = out->avg_step_s * (double)(out->total - out->done);
	}
}
