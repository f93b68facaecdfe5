/* record.c: the record's data type, shared by the journal, the database
 * record and their readers. */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bs.h"
#include "xalloc.h"

static const char *const outcome_names[] = {
	[OUTCOME_VERIFIED] = "verified",
	[OUTCOME_NOT_VERIFIED] = "not-verified",
	[OUTCOME_FAILED] = "failed",
	[OUTCOME_VOUCHED] = "vouched",
	[OUTCOME_CANCELLED] = "cancelled",
	[OUTCOME_RUNNING] = "running",
	[OUTCOME_ABANDONED] = "abandoned",
};

const char *journal_outcome_name(enum journal_outcome o)
{
	return (unsigned)o < ARRAY_SIZE(outcome_names) ? outcome_names[o] : "unknown";
}

bool journal_outcome_parse(const char *s, enum journal_outcome *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(outcome_names); i++) {
		if (strcmp(s, outcome_names[i]) == 0) {
			*o = (enum journal_outcome)i;
			return true;
		}
	}
	return false;
}

void journal_record_free(struct journal_record *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->user);
	free(r->host);
	free(r->step);
	free(r->node);
	if (r->argv) {
		for (char **p = r->argv; *p; p++)
			free(*p);
		free(r->argv);
	}
	free(r->detail);
	free(r->release);
	free(r->revision);
	memset(r, 0, sizeof(*r));
}

void journal_records_free(struct journal_record *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		journal_record_free(&r[i]);
	free(r);
}

static int cmp_record(const void *x, const void *y)
{
	const struct journal_record *a = x, *b = y;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return strcmp(a->id, b->id);
}

struct seq_rec {
	struct journal_record *r;
	size_t seq;
};

static int cmp_id_seq(const void *x, const void *y)
{
	const struct seq_rec *a = x, *b = y;
	int c = strcmp(a->r->id, b->r->id);
	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void records_merge(struct journal_record *a, size_t na, struct journal_record *b, size_t nb,
		   struct journal_record **out, size_t *nout)
{
	size_t total = na + nb, n = 0;
	struct seq_rec *sr = xcalloc(total ? total : 1, sizeof(*sr));
	for (size_t i = 0; i < na; i++)
		sr[i] = (struct seq_rec){ &a[i], i };
	for (size_t i = 0; i < nb; i++)
		sr[na + i] = (struct seq_rec){ &b[i], na + i };
	qsort(sr, total, sizeof(*sr), cmp_id_seq);
	struct journal_record *all = xcalloc(total ? total : 1, sizeof(*all));
	for (size_t i = 0; i < total;) {
		/* of the records with one id, the last that has ended wins (a
		 * step's start read from one place never hides its end read from
		 * the other), else the last; the others are freed */
		size_t j = i, win = i;
		while (j < total && strcmp(sr[j].r->id, sr[i].r->id) == 0) {
			if (sr[j].r->outcome != OUTCOME_RUNNING || sr[win].r->outcome == OUTCOME_RUNNING)
				win = j;
			j++;
		}
		for (size_t k = i; k < j; k++)
			if (k != win)
				journal_record_free(sr[k].r);
		all[n++] = *sr[win].r;
		i = j;
	}
	free(sr);
	free(a);
	free(b);
	qsort(all, n, sizeof(*all), cmp_record);
	if (!n) {
		free(all);
		all = NULL;
	}
	*out = all;
	*nout = n;
}

/* --- times: ISO 8601 UTC to the second, "2026-11-25T10:42:07Z" --- */

void record_format_time(time_t t, char buf[32])
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "1970-01-01T00:00:00Z");
}

static bool digits(const char *s, size_t n, int *out)
{
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Exactly "YYYY-MM-DDTHH:MM:SSZ". */
bool record_parse_time(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, se;
	if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != 'Z')
		return false;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
	    !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*out = timegm(&tm);
	return true;
}
