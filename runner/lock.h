/* lock.h: one step at a time across all operators and every node of a
 * database cluster, kept by a thread of its own (so that neither the
 * console's loop nor a blocking step waits for it).
 *
 * PostgreSQL: a session advisory lock with the fixed key BS_LOCK_KEY
 * (probes/lockobs.h), held by the keeper's connection, whose
 * application_name names the holder.
 * MySQL/MariaDB (Galera included): a lease row in the shared record's lock
 * table. Taking it is one transaction (read the row FOR UPDATE, write ours,
 * insert the step's record, commit): of two operators committing at once
 * through two Galera nodes, certification rejects one; the lease is
 * measured by the server's clock and renewed every third of it. A holder
 * that cannot renew is told (lock_lost) and starts nothing more.
 * Both: the lock row says who holds it, for which step, since when (the
 * whole text, not 63 bytes), and the step's record is inserted with it
 * (outcome running). A row whose holder is gone (PostgreSQL: its session
 * ended; MySQL: its lease ran out) is a vanished holder: taking the lock
 * then needs take_over, and the vanished step's record is ended as
 * abandoned, saying who took over.
 * [record] backend = file: PostgreSQL's advisory lock alone; on MySQL,
 * GET_LOCK, which holds on one server only (not across a Galera cluster). */
#ifndef BS_LOCK_H
#define BS_LOCK_H

#include <stdbool.h>

#include "core/record.h"
#include "core/snapshot.h"
#include "core/status.h"
#include "probes/lockobs.h"

struct lock_request {
	const char *url;            /* the shared record's database */
	bool record_file;           /* [record] backend = file */
	const char *application_name;
	double timeout_s;           /* connection and each statement */
	double lease_s;             /* [lock] lease */
	bool take_over;             /* a vanished holder may be replaced */
	const struct journal_record *rec;  /* the step's record, outcome running */
};

enum lock_outcome {
	LOCK_PENDING,   /* still trying */
	LOCK_TAKEN,
	LOCK_HELD,      /* another live operator holds it: holder says who */
	LOCK_VANISHED,  /* its holder vanished: take_over needed; holder says who */
	LOCK_ERROR,     /* err says why */
};

struct dblock;

/* Start taking the lock in the keeper's thread; never NULL. */
struct dblock *lock_start(const struct lock_request *rq);
/* Readable when the keeper has news (taken or refused, lost, finished). */
int lock_fd(const struct dblock *l);
/* The outcome so far (LOCK_PENDING: not yet); on HELD/VANISHED, holder is
 * filled (lock_obs_clear it); on ERROR, err. Does not block. */
enum lock_outcome lock_poll(struct dblock *l, struct lock_obs *holder, struct bs_err *err);
/* Blocking: start and wait for the outcome. *out is the lock when TAKEN,
 * else NULL (and freed). */
enum lock_outcome lock_acquire(const struct lock_request *rq, struct dblock **out,
			       struct lock_obs *holder, struct bs_err *err);
/* The lock could not be kept (renewal failed or another took it over):
 * the reason (owned by the lock), or NULL while it holds. */
const char *lock_lost(struct dblock *l);
/* The lock row's token (ours), and our PostgreSQL session's pid (0). */
const char *lock_token(const struct dblock *l);
int lock_backend_pid(const struct dblock *l);
/* The take-over the lock was taken with ("took over from ..."), or NULL. */
const char *lock_takeover_note(const struct dblock *l);
/* End: the step's record updated with end_rec (NULL: nothing ran, the
 * running record is deleted), the lock let go, the thread joined. Blocks
 * up to the request's timeout; the lock is freed whatever happens. */
enum bs_status lock_finish(struct dblock *l, const struct journal_record *end_rec,
			   struct bs_err *err);

#endif
