#include "lockobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "core/strbuf.h"
#include "core/xalloc.h"

#define APPNAME_MAX 63 /* NAMEDATALEN - 1 */

/* --- application_name -------------------------------------------------- */

/* Printable ASCII kept; every other character (a UTF-8 sequence, or a byte
 * that is not UTF-8) becomes one '?'. NULL gives "?". */
static char *clean_ascii(const char *s)
{
	if (!s)
		return xstrdup("?");
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		if (n == 0)
			n = 1;
		sb_addch(&sb, n == 1 && p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?');
		i += n;
	}
	return sb_detach(&sb);
}

char *lock_application_name(const char *step, const char *user, const char *host, time_t since)
{
	char when[32];
	struct tm tm;
	if (!gmtime_r(&since, &tm) || strftime(when, sizeof(when), "%Y-%m-%dT%H:%MZ", &tm) == 0)
		snprintf(when, sizeof(when), "?");
	char *s = clean_ascii(step), *u = clean_ascii(user), *h = clean_ascii(host);
	size_t fixed = strlen(BS_APPNAME_PREFIX) + strlen(" by ") + strlen("@") +
		       strlen(" since ") + strlen(when);
	size_t ls = strlen(s), lu = strlen(u), lh = strlen(h);
	size_t budget = APPNAME_MAX > fixed ? APPNAME_MAX - fixed : 0;
	/* too long: the host goes first, then the user, then the step */
	size_t *order[] = { &lh, &lu, &ls };
	for (size_t i = 0; i < ARRAY_SIZE(order) && ls + lu + lh > budget; i++) {
		size_t over = ls + lu + lh - budget;
		*order[i] -= over < *order[i] ? over : *order[i];
	}
	char *name = xasprintf(BS_APPNAME_PREFIX "%.*s by %.*s@%.*s since %s", (int)ls, s, (int)lu,
			       u, (int)lh, h, when);
	free(s);
	free(u);
	free(h);
	return name;
}

/* --- PostgreSQL's advisory lock ---------------------------------------- */

/* pg_locks shows a bigint advisory key as classid = high 32 bits, objid =
 * low 32 bits, objsubid = 1. */
#define LOCK_CLASSID "1651733872"
#define LOCK_OBJID "1735550053"
_Static_assert(((unsigned long long)BS_LOCK_KEY >> 32) == 1651733872ULL, "classid of BS_LOCK_KEY");
_Static_assert(((unsigned long long)BS_LOCK_KEY & 0xffffffffULL) == 1735550053ULL,
	       "objid of BS_LOCK_KEY");

#define ADVISORY_KEY_WHERE                                                                  \
	" WHERE l.locktype = 'advisory' AND l.classid = '" LOCK_CLASSID "'::oid"           \
	" AND l.objid = '" LOCK_OBJID "'::oid AND l.objsubid = 1 AND l.granted"

static const char advisory_any_sql[] =
	"SELECT l.pid FROM pg_catalog.pg_locks l" ADVISORY_KEY_WHERE
	" AND l.pid <> ?::integer LIMIT 1";

static const char advisory_sql[] =
	"SELECT l.pid, coalesce(a.application_name, ''), a.usename, host(a.client_addr)"
	" FROM pg_catalog.pg_locks l"
	" LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid" ADVISORY_KEY_WHERE
	" AND l.database = (SELECT oid FROM pg_catalog.pg_database"
	" WHERE datname = current_database())"
	" AND l.pid <> ?::integer"
	" ORDER BY l.pid LIMIT 1";

const char *lockobs_advisory_sql(void)
{
	return advisory_sql;
}

const char *lockobs_advisory_any_sql(void)
{
	return advisory_any_sql;
}

bool lockobs_advisory_from(const struct db_conn *c, struct lock_obs *l)
{
	if (db_nrows(c) < 1 || db_ncols(c) < 4)
		return false;
	const char *pid = db_value(c, 0, 0), *app = db_value(c, 0, 1);
	char *end;
	long v = pid ? strtol(pid, &end, 10) : 0;
	l->holder_pid = pid && *end == '\0' && v > 0 && v <= 0x7fffffff ? (int)v : 0;
	free(l->holder);
	l->holder = xstrdup(app ? app : "");
	return true;
}

/* --- the lock row ------------------------------------------------------ */

void lockrow_from(const struct db_conn *c, struct lock_row *r)
{
	lockrow_clear(r);
	if (db_nrows(c) < 1 || db_ncols(c) < LOCKROW_NCOLS)
		return;
	r->present = true;
	for (size_t i = 0; i < LOCKROW_NCOLS; i++)
		r->col[i] = xstrdup_or_null(db_value(c, 0, i));
}

void lockrow_clear(struct lock_row *r)
{
	for (size_t i = 0; i < LOCKROW_NCOLS; i++)
		free(r->col[i]);
	memset(r, 0, sizeof(*r));
}

char *lockobs_describe(const struct lock_obs *l)
{
	struct strbuf sb = STRBUF_INIT;
	sb_addstr(&sb, l->step ? l->step : "?");
	if (l->node)
		sb_addf(&sb, " %s", l->node);
	sb_addf(&sb, " by %s@%s", l->user ? l->user : "?", l->host ? l->host : "?");
	if (l->since)
		sb_addf(&sb, " since %s", l->since);
	return sb_detach(&sb);
}

void lockobs_finish(struct lock_obs *l, const struct lock_row *r, enum db_backend b,
		    bool advisory_held, const char *own_token)
{
	bool ours = r->present && own_token && r->col[LK_TOKEN] &&
		    strcmp(r->col[LK_TOKEN], own_token) == 0;
	if (r->present && !ours) {
		l->step = xstrdup_or_null(r->col[LK_STEP]);
		l->node = xstrdup_or_null(r->col[LK_NODE]);
		l->user = xstrdup_or_null(r->col[LK_USER]);
		l->host = xstrdup_or_null(r->col[LK_HOST]);
		l->since = xstrdup_or_null(r->col[LK_SINCE]);
		l->lease_until = xstrdup_or_null(r->col[LK_UNTIL]);
		l->record_id = xstrdup_or_null(r->col[LK_RECORD]);
		l->lease_left_s = r->col[LK_LEFT_US] ? strtod(r->col[LK_LEFT_US], NULL) / 1e6 : 0;
	}
	if (b == DB_POSTGRESQL) {
		l->held = advisory_held;
		l->vanished = !advisory_held && r->present && !ours;
	} else {
		l->held = r->present && !ours && l->lease_left_s > 0;
		l->vanished = r->present && !ours && !(l->lease_left_s > 0);
	}
	if (r->present && !ours) {
		free(l->holder);
		l->holder = lockobs_describe(l);
	}
}
