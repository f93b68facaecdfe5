/* record.h: one record of the upgrade: a step taken, a vouch, a take-over.
 * The same data in the local journal (runner/journal.h, JSON lines) and in
 * the shared record in the database (db/record-sql.h), read by the probes
 * and written by the runner. */
#ifndef BS_RECORD_H
#define BS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum journal_outcome {
	OUTCOME_VERIFIED,
	OUTCOME_NOT_VERIFIED,
	OUTCOME_FAILED,
	OUTCOME_VOUCHED,
	OUTCOME_CANCELLED,
	OUTCOME_RUNNING,   /* started, not ended yet (or its holder vanished) */
	OUTCOME_ABANDONED, /* its holder vanished mid-step; another operator took over */
};

const char *journal_outcome_name(enum journal_outcome o);
bool journal_outcome_parse(const char *s, enum journal_outcome *o);

struct journal_record {
	char *id;
	char *user;
	char *host;
	char *step;          /* "expand", "upgrade_node", ... */
	char *node;          /* NULL */
	char **argv;         /* NULL-terminated, or NULL */
	time_t start, end;
	bool has_exit;
	int exit_code;
	bool has_signal;
	int signal;
	enum journal_outcome outcome;
	char *detail;
	char *release;       /* NULL */
	char *revision;      /* NULL */
};

void journal_record_free(struct journal_record *r);

/* Merge two lists of records into one: of the records with one id, the
 * last that has ended wins (b's over a's, within a list the later), else
 * the last (a step's start never hides its end, whichever list was read
 * later); the result is in order of start, then id. Takes ownership of both arrays' records (the
 * arrays themselves are freed). */
void records_merge(struct journal_record *a, size_t na, struct journal_record *b, size_t nb,
		   struct journal_record **out, size_t *nout);
void journal_records_free(struct journal_record *r, size_t n);

/* Times as the record writes them: "2026-11-25T10:42:07Z" (UTC). */
void record_format_time(time_t t, char buf[32]);
/* Exactly that form, nothing else. */
bool record_parse_time(const char *s, time_t *out);

#endif
