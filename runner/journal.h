/* journal.h: the record of every step that `upgrade next` ran or vouched for.
 *
 * JSON lines, one object per step, appended with O_APPEND and fsync'd, the
 * file created with mode 0600 (its directory 0700 when created). Path:
 * [journal] path, else $XDG_STATE_HOME/barbican-status/journal.jsonl, else
 * ~/.local/state/barbican-status/journal.jsonl. Keys, in this order: id,
 * user, host, step, node (or null), argv (array of strings, or null for a
 * vouched manual step), start, end (ISO 8601 UTC, "2026-11-25T10:42:07Z"),
 * exit (integer or null), signal (integer or null), outcome (one of
 * "verified", "not-verified", "failed", "vouched", "cancelled"), detail
 * (string), and also release and revision (the step's target release and
 * revision, or null), so that the planner can tell which release a vouch was
 * for. Environment values are never recorded.
 *
 * Lines are formatted as Python's json.dumps formats them (render/pyjson.h:
 * ", " and ": ", ASCII with \u escapes; a byte that is not UTF-8 becomes
 * U+FFFD). Each record is one write(2) of one line, so that operators
 * appending at once never interleave. When a write failed half-way (here or
 * in another process: journal_open looks at the last byte), the next record
 * starts with a newline, so that only the torn line is lost. All parent
 * directories that journal_open creates get 0700, whatever the umask; an
 * existing file keeps its mode (a team may share one journal).
 */
#ifndef BS_JOURNAL_H
#define BS_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/record.h"
#include "core/snapshot.h"
#include "core/status.h"



/* The journal path: configured ([journal] path, when not empty) or the XDG
 * default (a relative $XDG_STATE_HOME is ignored, as the XDG spec says; no
 * $HOME: the passwd entry). Caller frees; NULL only when there is no home
 * directory at all. */
char *journal_default_path(const char *configured);

struct journal;

/* Open for appending (creating the file 0600 and its directory 0700 when
 * missing) and check that it can be written and synced: a journal that
 * cannot be written stops a step before it starts (BS_ST_IO, naming the
 * path and the cause: a directory, a read-only place, not a regular file). */
enum bs_status journal_open(const char *path, struct journal **out, struct bs_err *err);
/* Append one record as one line and fsync. id, user, host and step must be
 * set (BS_ST_INTERNAL otherwise); a NULL detail is written as "". */
enum bs_status journal_append(struct journal *j, const struct journal_record *r,
			      struct bs_err *err);
void journal_close(struct journal *j);

/* The whole record as this operator sees it: the local journal (as
 * journal_read) merged with the shared record read from the database
 * (copied from rec; a database record replaces the local one with its
 * id). Never fails for the shared part: rec's error is the caller's to show. */
enum bs_status journal_read_shared(const char *path, const struct record_obs *rec,
				   struct journal_record **out, size_t *n, size_t **bad_lines,
				   size_t *nbad, struct bs_err *err);

/* A fresh record id ("20261125T104207.123456789Z-1234-ab12cd34"): ids
 * made one after another in one process sort in that order; caller frees. */
char *journal_new_id(void);

/* Read every record. A missing file is no records (BS_ST_OK, n = 0). A line
 * that is not a valid record is reported through bad_lines (1-based line
 * numbers, may be NULL) and skipped, never fatal: nothing valid is lost.
 * Valid: an object with the keys above of the right types (release and
 * revision may be missing: null), times exactly as written, a known
 * outcome, no key twice, at most 1 MiB; unknown keys are ignored. CRLF line
 * ends are accepted, blank lines skipped, a last line without its newline
 * read when it is complete. *out is an array (NULL when empty) for
 * journal_records_free; *bad_lines is malloc'd (NULL when none). */
enum bs_status journal_read(const char *path, struct journal_record **out, size_t *n,
			    size_t **bad_lines, size_t *nbad, struct bs_err *err);

#endif
