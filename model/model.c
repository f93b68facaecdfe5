#include "model.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/xalloc.h"
#include "proc/argv.h"
#include "runner/steps.h"

void model_init(struct model *md, const struct settings *st, const struct manifest *m)
{
	memset(md, 0, sizeof(*md));
	md->st = st;
	md->m = m;
	md->journal_path = journal_default_path(st->journal_path);
	snapshot_init(&md->snap, st);
}

static void free_record(struct model *md)
{
	journal_records_free(md->journal, md->njournal);
	free(md->journal_bad);
	free(md->vouches);
	md->journal = NULL;
	md->njournal = 0;
	md->journal_bad = NULL;
	md->njournal_bad = 0;
	md->vouches = NULL;
	md->nvouches = 0;
}

void model_free(struct model *md)
{
	plan_free(&md->plan);
	if (md->checks)
		check_results_free(md->checks, check_count);
	free_record(md);
	free(md->journal_path);
	free(md->next_argv);
	free(md->next_error);
	snapshot_free(&md->snap);
	memset(md, 0, sizeof(*md));
}

enum bs_status model_read_record(struct model *md, struct bs_err *err)
{
	free_record(md);
	enum bs_status st = journal_read_shared(md->journal_path, &md->snap.record, &md->journal,
						&md->njournal, &md->journal_bad, &md->njournal_bad, err);
	if (st != BS_ST_OK) {
		md->journal = NULL;
		md->njournal = 0;
	}
	md->vouches = steps_vouches(md->journal, md->njournal, &md->nvouches);
	return st;
}

static void replan(struct model *md)
{
	md->in = (struct plan_input){ &md->snap, md->m, md->st, md->checks, check_count, md->vouches,
				      md->nvouches, time(NULL), md->take_over };
	plan_free(&md->plan);
	plan_compute(&md->in, &md->plan);
	free(md->next_argv);
	free(md->next_error);
	md->next_argv = md->next_error = NULL;
	char **argv = NULL;
	struct bs_err err = { 0 };
	if (step_argv(md->st, &md->snap, &md->plan.next, &argv, &err) != BS_ST_OK)
		md->next_error = xstrdup(err.detail);
	else if (argv)
		md->next_argv = argv_display(argv);
	argv_free(argv);
}

void model_recompute(struct model *md)
{
	snapshot_derive(&md->snap, md->m);
	if (md->checks)
		check_results_free(md->checks, check_count);
	struct check_ctx cc = { &md->snap, md->m };
	checks_run(&cc, &md->checks);
	replan(md);
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void model_sample(struct model *md)
{
	double now = wall_now();
	long rows = md->snap.data_migrations;
	if (rows < 0)
		return;
	if (md->nsamples && now <= md->samples[md->nsamples - 1].t)
		return;
	if (md->nsamples == DM_SAMPLES_MAX) {
		memmove(md->samples, md->samples + 1, (DM_SAMPLES_MAX - 1) * sizeof(md->samples[0]));
		md->nsamples--;
	}
	md->samples[md->nsamples++] = (struct dm_sample){ now, rows };
}

void model_carry_samples(struct model *md, const struct dm_sample *prev, size_t nprev)
{
	struct dm_sample all[2 * DM_SAMPLES_MAX];
	size_t n = 0;
	double first = md->nsamples ? md->samples[0].t : 0;
	for (size_t i = 0; i < nprev && i < DM_SAMPLES_MAX; i++)
		if (!md->nsamples || prev[i].t < first)
			all[n++] = prev[i];
	memcpy(all + n, md->samples, md->nsamples * sizeof(all[0]));
	n += md->nsamples;
	size_t skip = n > DM_SAMPLES_MAX ? n - DM_SAMPLES_MAX : 0;
	memcpy(md->samples, all + skip, (n - skip) * sizeof(all[0]));
	md->nsamples = n - skip;
}

enum bs_status model_observe(struct model *md, const struct observe_opts *o, struct bs_err *err)
{
	observe(&md->snap, md->m, o);
	enum bs_status st = model_read_record(md, err);
	model_recompute(md);
	model_sample(md);
	return st;
}

void model_set_take_over(struct model *md, bool on)
{
	if (md->take_over == on)
		return;
	md->take_over = on;
	replan(md);
}

void model_progress(const struct model *md, struct progress *out)
{
	plan_progress(&md->plan, &md->snap, md->journal, md->njournal, md->samples, md->nsamples, out);
}
