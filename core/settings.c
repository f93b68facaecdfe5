#include "settings.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "manifest.h"
#include "sanitize.h"
#include "strbuf.h"
#include "version.h"
#include "strmap.h"
#include "xalloc.h"

static const char *const service_names[] = {
	[SVC_API] = "barbican-api",
	[SVC_WORKER] = "barbican-worker",
	[SVC_KEYSTONE_LISTENER] = "barbican-keystone-listener",
	[SVC_RETRY] = "barbican-retry",
};

static const char *const service_shorts[] = {
	[SVC_API] = "api",
	[SVC_WORKER] = "worker",
	[SVC_KEYSTONE_LISTENER] = "listener",
	[SVC_RETRY] = "retry",
};

const char *service_name(enum service_kind k)
{
	return service_names[k];
}

const char *service_short(enum service_kind k)
{
	return service_shorts[k];
}

bool service_parse(const char *s, enum service_kind *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(service_names); i++) {
		if (strcmp(s, service_names[i]) == 0) {
			*out = (enum service_kind)i;
			return true;
		}
	}
	return false;
}

/* ---- oslo.config types ---- */

static char *strip_ascii(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

bool conf_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "1", "on", "yes" };
	static const char *const no[] = { "false", "0", "off", "no" };
	char *t = strip_ascii(s);
	for (char *p = t; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	bool ok = false;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(t, yes[i]) == 0)
			*out = true, ok = true;
		if (strcmp(t, no[i]) == 0)
			*out = false, ok = true;
	}
	free(t);
	return ok;
}

bool conf_parse_long(const char *s, long *out)
{
	char *t = strip_ascii(s);
	/* Python's int() also takes '_' between digits */
	size_t j = 0;
	for (size_t i = 0; t[i]; i++) {
		if (t[i] == '_' && i > 0 && isdigit((unsigned char)t[i - 1]) &&
		    isdigit((unsigned char)t[i + 1]))
			continue;
		t[j++] = t[i];
	}
	t[j] = '\0';
	bool ok = false;
	if (t[0]) {
		char *end;
		errno = 0;
		long v = strtol(t, &end, 10);
		if (!errno && *end == '\0' && !isspace((unsigned char)t[0])) {
			*out = v;
			ok = true;
		}
	}
	free(t);
	return ok;
}

bool conf_parse_double(const char *s, double *out)
{
	char *t = strip_ascii(s);
	bool ok = false;
	if (t[0]) {
		char *end;
		errno = 0;
		double v = strtod(t, &end);
		if (!errno && *end == '\0' && isfinite(v)) {
			*out = v;
			ok = true;
		}
	}
	free(t);
	return ok;
}

size_t conf_parse_list(const char *s, char ***out)
{
	char *t = strip_ascii(s);
	size_t n = strlen(t);
	while (n && t[n - 1] == ',')
		t[--n] = '\0';
	char **items = NULL;
	size_t count = 0, cap = 0;
	if (n) {
		char *p = t;
		for (;;) {
			char *comma = strchr(p, ',');
			if (comma)
				*comma = '\0';
			xgrow(&items, &cap, count + 1, sizeof(*items));
			items[count++] = strip_ascii(p);
			if (!comma)
				break;
			p = comma + 1;
		}
	}
	free(t);
	*out = items;
	return count;
}

/* ---- the options ---- */

static const struct conf_name db_deprecated[] = {
	{ NULL, "sql_connection" },
	{ "DATABASE", "sql_connection" },
	{ "sql", "connection" },
};

#define DEFAULT_ROLL_ORDER \
	"barbican-worker, barbican-keystone-listener, barbican-retry, barbican-api"

static const struct conf_opt static_opts[] = {
	{ "upgrade", "target_release", NULL, 0, false, NULL },
	{ "upgrade", "manifest", NULL, 0, false, "builtin" },
	{ "upgrade", "roll_order", NULL, 0, false, DEFAULT_ROLL_ORDER },
	{ "upgrade", "max_unavailable", NULL, 0, false, "1" },
	{ "upgrade", "allow_api_outage", NULL, 0, false, "false" },
	{ "probes", "timeout", NULL, 0, false, "2" },
	{ "probes", "concurrency", NULL, 0, false, "64" },
	{ "probes", "ca_file", NULL, 0, false, NULL },
	{ "probes", "max_body", NULL, 0, false, "1048576" },
	{ "probes", "report_command", NULL, 0, false, NULL },
	{ "probes", "report_interval", NULL, 0, false, "30" },
	{ "probes", "console_rate", NULL, 0, false, "2000" },
	{ "rabbitmq", "management_url", NULL, 0, false, NULL },
	{ "rabbitmq", "username", NULL, 0, false, NULL },
	{ "rabbitmq", "password", NULL, 0, false, NULL },
	{ NULL, "transport_url", NULL, 0, false, NULL },
	{ NULL, "sql_connection", NULL, 0, false, "sqlite:///barbican.sqlite" },
	{ "database", "connection", db_deprecated, ARRAY_SIZE(db_deprecated), false, NULL },
	{ "oslo_policy", "policy_file", NULL, 0, false, "policy.json" },
};

const char *const step_template_keys[TPL__COUNT] = {
	"expand", "upgrade_node", "unpin", "data_migrations", "contract", "offline",
};

/* The steps today's Barbican can take by itself: every schema change is an
 * alembic upgrade to a revision. The others have no default (manual). */
#define DEFAULT_DB_STEP "barbican-manage db upgrade -v {revision}"

static const struct conf_opt steps_opts[] = {
	{ "steps", "expand", NULL, 0, false, DEFAULT_DB_STEP },
	{ "steps", "upgrade_node", NULL, 0, false, NULL },
	{ "steps", "unpin", NULL, 0, false, NULL },
	{ "steps", "data_migrations", NULL, 0, false, NULL },
	{ "steps", "contract", NULL, 0, false, DEFAULT_DB_STEP },
	{ "steps", "offline", NULL, 0, false, DEFAULT_DB_STEP },
	{ "steps", "settle_timeout", NULL, 0, false, "120" },
	{ "data_migrations", "count_command", NULL, 0, false, NULL },
	{ "journal", "path", NULL, 0, false, NULL },
	{ "record", "backend", NULL, 0, false, "database" },
	{ "record", "connection", NULL, 0, false, NULL },
	{ "lock", "lease", NULL, 0, false, "30" },
};

static const char *const waiver_keys[] = { "check", "until", "owner", "reason" };

static const char *const node_keys[] = { "service", "host", "url", "report_url", "timeout",
					 "report_command" };

static char *where(const struct conf_loc *loc)
{
	switch (loc->kind) {
	case CONF_LOC_FILE:
		return xasprintf("[%s] %s in %s line %d", loc->group, loc->name, loc->file, loc->line);
	case CONF_LOC_ENV:
		return xasprintf("environment variable %s", loc->name);
	case CONF_LOC_DEFAULT:
		break;
	}
	return xstrdup("the default");
}

static enum bs_status get(struct conf *c, const char *group, const char *name, char **out,
			  struct conf_loc *loc, struct bs_err *err)
{
	struct conf_loc l;
	enum bs_status st = conf_get(c, group, name, out, loc ? loc : &l, err);
	return st;
}

#define SHOWN_MAX 200

static enum bs_status bad_value(struct bs_err *err, const char *group, const char *name,
				const char *value, const struct conf_loc *loc, const char *want)
{
	/* the value as a terminal may show it, a URL's password masked, and
	 * no more than SHOWN_MAX bytes of it (a value may be 1 MiB) */
	char *masked = strstr(name, "url") ? url_masked(value) : xstrdup(value);
	size_t len = strlen(masked), cut = len;
	if (len > SHOWN_MAX) {
		cut = SHOWN_MAX;
		while (cut > 0 && ((unsigned char)masked[cut] & 0xc0) == 0x80)
			cut--; /* not inside a UTF-8 sequence */
	}
	char *shown = sanitize_term_n(masked, cut, false);
	char *more = cut < len ? xasprintf("... (%zu bytes)", len) : xstrdup("");
	char *w = where(loc);
	enum bs_status st = bs_fail(err, BS_ST_CONFIG_VALUE, "[%s] %s = '%s'%s (%s): %s",
				    group ? group : "DEFAULT", name, shown, more, w, want);
	free(more);
	free(w);
	free(shown);
	free(masked);
	return st;
}

/* A typed option: its value (if set) goes through parse, which stores it
 * in out when it lies in [min, max]; a value parse refuses is an error
 * saying what was expected (the ranges are barbican-status.conf(5)'s). */
struct typed {
	bool (*parse)(const char *value, void *out, const struct typed *t);
	double min, max;
	const char *want;
};

static bool parse_long_range(const char *v, void *out, const struct typed *t)
{
	long n;
	if (!conf_parse_long(v, &n) || (double)n < t->min || (double)n > t->max)
		return false;
	*(long *)out = n;
	return true;
}

static bool parse_seconds(const char *v, void *out, const struct typed *t)
{
	double d;
	if (!conf_parse_double(v, &d) || !(d >= t->min && d <= t->max))
		return false;
	*(double *)out = d;
	return true;
}

static bool parse_bool(const char *v, void *out, const struct typed *t)
{
	(void)t;
	return conf_parse_bool(v, out);
}

static const struct typed T_UNAVAILABLE = {
	parse_long_range, 1, 1000, "expected a whole number from 1 to 1000"
};
static const struct typed T_CONCURRENCY = {
	parse_long_range, 1, 1024, "expected a whole number from 1 to 1024"
};
static const struct typed T_RATE = {
	parse_long_range, 0, 1000000, "expected a whole number from 0 to 1000000"
};
static const struct typed T_BYTES = {
	parse_long_range, 1024, MAX_BODY_MAX,
	"expected a number of bytes from 1024 to 67108864 (64 MiB)"
};
static const struct typed T_TIMEOUT = {
	parse_seconds, 0.1, 600, "expected seconds from 0.1 to 600"
};
static const struct typed T_INTERVAL = {
	parse_seconds, 1, 86400, "expected seconds from 1 to 86400"
};
static const struct typed T_LEASE = {
	parse_seconds, LOCK_LEASE_MIN, LOCK_LEASE_MAX, "expected seconds from 5 to 300"
};
static const struct typed T_BOOL = { parse_bool, 0, 0, "expected true/false, yes/no, on/off or 1/0" };

static enum bs_status get_typed(struct conf *c, const char *group, const char *name,
				const struct typed *t, void *out, struct bs_err *err)
{
	char *v = NULL;
	struct conf_loc loc;
	enum bs_status st = get(c, group, name, &v, &loc, err);
	if (st == BS_ST_OK && v && !t->parse(v, out, t))
		st = bad_value(err, group, name, v, &loc, t->want);
	free(v);
	return st;
}

/* The host part of an http(s) URL, without brackets; NULL if none. */
static char *url_host(const char *url)
{
	const char *at;
	size_t auth;
	const char *p = url_authority(url, &at, &auth);
	if (!p)
		return NULL;
	if (at) {
		auth -= (size_t)(at + 1 - p);
		p = at + 1;
	}
	if (*p == '[') {
		const char *close = memchr(p, ']', auth);
		return close ? xstrndup(p + 1, (size_t)(close - p - 1)) : NULL;
	}
	size_t n = strcspn(p, ":/?#");
	if (n > auth)
		n = auth;
	return n ? xstrndup(p, n) : NULL;
}

static bool is_http_url(const char *u)
{
	return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

static enum bs_status load_node(struct conf *c, const char *section, struct settings *s,
				struct strmap *names, struct bs_err *err)
{
	const char *name = section + strlen("node:");
	struct node_conf n = { 0 };
	n.timeout = s->probe_timeout;
	char *v = NULL;
	struct conf_loc loc;
	enum bs_status st;

	if (!*name)
		return bs_fail(err, BS_ST_CONFIG_VALUE, "[%s]: a node section needs a name, as [node:ctl1-api]",
			       section);
	size_t dup;
	if (strmap_get(names, name, strlen(name), &dup))
		return bs_fail(err, BS_ST_CONFIG_VALUE, "[%s]: node defined twice", section);

	if ((st = get(c, section, "service", &v, &loc, err)))
		return st;
	if (!v)
		return bs_fail(err, BS_ST_CONFIG_VALUE,
			       "[%s]: service is missing (one of barbican-api, barbican-worker, "
			       "barbican-keystone-listener, barbican-retry)", section);
	if (!service_parse(v, &n.service)) {
		st = bad_value(err, section, "service", v, &loc,
			       "expected barbican-api, barbican-worker, barbican-keystone-listener "
			       "or barbican-retry");
		free(v);
		return st;
	}
	free(v);
	v = NULL;

	if ((st = get(c, section, "url", &n.url, &loc, err)))
		goto fail;
	if (n.url && !*n.url) {
		free(n.url);
		n.url = NULL;
	}
	if (n.url && !is_http_url(n.url)) {
		st = bad_value(err, section, "url", n.url, &loc, "expected an http:// or https:// URL");
		goto fail;
	}
	if (n.url && n.service != SVC_API) {
		st = bad_value(err, section, "url", n.url, &loc,
			       "url is the base URL of a barbican-api; other services publish "
			       "only a version report (report_url)");
		goto fail;
	}
	if ((st = get(c, section, "report_url", &n.report_url, &loc, err)))
		goto fail;
	if (n.report_url && !*n.report_url) {
		free(n.report_url);
		n.report_url = NULL;
	}
	if (n.report_url && !is_http_url(n.report_url)) {
		st = bad_value(err, section, "report_url", n.report_url, &loc,
			       "expected an http:// or https:// URL");
		goto fail;
	}
	if ((st = get(c, section, "host", &n.host, &loc, err)))
		goto fail;
	if (n.host && !*n.host) {
		free(n.host);
		n.host = NULL;
	}
	n.host_set = n.host != NULL;
	if (!n.host && n.url)
		n.host = url_host(n.url);
	if (!n.host && n.report_url)
		n.host = url_host(n.report_url);
	if ((st = get_typed(c, section, "timeout", &T_TIMEOUT, &n.timeout, err)))
		goto fail;
	if ((st = get(c, section, "report_command", &n.report_command, &loc, err)))
		goto fail;
	if (n.report_command && !*n.report_command) {
		/* "report_command =": none for this node, whatever [probes] says */
		free(n.report_command);
		n.report_command = NULL;
	} else if (!n.report_command && loc.kind == CONF_LOC_DEFAULT && s->report_command) {
		n.report_command = xstrdup(s->report_command);
	}
	if (n.report_command && n.report_url) {
		st = bs_fail(err, BS_ST_CONFIG_VALUE, "[%s]: report_url and report_command both give "
			     "the version report: keep one", section);
		goto fail;
	}

	n.name = xstrdup(name);
	strmap_put(names, name, strlen(name), s->nnodes);
	/* grown by doubling: by one, 20,000 nodes were 20,000 copies of the
	 * array where realloc moves it (ASan's always does: 15 s) */
	xgrow(&s->nodes, &s->cap_nodes, s->nnodes + 1, sizeof(*s->nodes));
	s->nodes[s->nnodes++] = n;
	return BS_ST_OK;
fail:
	free(n.url);
	free(n.report_url);
	free(n.report_command);
	free(n.host);
	return st;
}

/* "2026-12-31" -> the first second of the next day, UTC */
static bool parse_day(const char *s, time_t *end)
{
	int y, mo, d;
	char extra;
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    sscanf(s, "%4d-%2d-%2d%c", &y, &mo, &d, &extra) != 3)
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	/* timegm normalises its struct in place (2026-11-31 becomes
	 * 2026-12-01), so the day is checked on a copy of what was written */
	struct tm tm = { 0 };
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	struct tm norm = tm;
	time_t day = timegm(&norm);
	/* reject 2026-02-30 and friends: the day must exist */
	if (day == (time_t)-1 || norm.tm_year != tm.tm_year || norm.tm_mon != tm.tm_mon ||
	    norm.tm_mday != tm.tm_mday)
		return false;
	*end = day + 24 * 60 * 60; /* UTC has no leap seconds in time_t */
	return true;
}

static enum bs_status load_waiver(struct conf *c, const char *section, struct settings *s,
				  struct bs_err *err)
{
	struct waiver w = { 0 };
	struct conf_loc loc;
	enum bs_status st;
	w.name = xstrdup(section + strlen("waiver:"));
	if ((st = get(c, section, "check", &w.check, &loc, err)) ||
	    (st = get(c, section, "owner", &w.owner, &loc, err)) ||
	    (st = get(c, section, "reason", &w.reason, &loc, err)) ||
	    (st = get(c, section, "until", &w.until, &loc, err)))
		goto fail;
	if (!w.check || !*w.check || !w.until || !w.owner || !*w.owner || !w.reason || !*w.reason) {
		st = bs_fail(err, BS_ST_CONFIG_VALUE,
			     "[%s]: a waiver needs check, until, owner and reason", section);
		goto fail;
	}
	if (!parse_day(w.until, &w.until_end)) {
		st = bad_value(err, section, "until", w.until, &loc,
			       "expected a date YYYY-MM-DD (the last day the waiver holds, UTC)");
		goto fail;
	}
	s->waivers = xreallocarray(s->waivers, s->nwaivers + 1, sizeof(*s->waivers));
	s->waivers[s->nwaivers++] = w;
	return BS_ST_OK;
fail:
	free(w.name);
	free(w.check);
	free(w.until);
	free(w.owner);
	free(w.reason);
	return st;
}

static enum bs_status load_db_option(struct conf *c, const char *group, const char *name,
				     struct db_option *o, struct bs_err *err)
{
	struct conf_loc loc;
	enum bs_status st = conf_get(c, group, name, &o->value, &loc, err);
	if (st)
		return st;
	o->is_default = loc.kind == CONF_LOC_DEFAULT;
	o->deprecated = loc.kind == CONF_LOC_FILE &&
			!(strcasecmp(loc.group, group ? group : "DEFAULT") == 0 &&
			  strcmp(loc.name, name) == 0);
	o->where = where(&loc);
	return BS_ST_OK;
}

const struct manifest *settings_manifest(const struct settings *s)
{
	return s && s->manifest ? s->manifest : manifest_builtin();
}

enum bs_status settings_load(struct conf *c, struct settings *s, struct bs_err *err)
{
	memset(s, 0, sizeof(*s));
	s->conf = c;
	for (size_t i = 0; i < ARRAY_SIZE(static_opts); i++)
		conf_register(c, &static_opts[i]);

	enum bs_status st;
	char *v = NULL;
	struct conf_loc loc;

	if ((st = get(c, "upgrade", "target_release", &s->target_release, &loc, err)))
		return st;
	if (s->target_release && !*s->target_release) {
		free(s->target_release);
		s->target_release = NULL;
	}
	if (s->target_release) {
		if (!relver_valid(s->target_release))
			return bad_value(err, "upgrade", "target_release", s->target_release, &loc,
					 "expected a Barbican release such as 15.0.1");
	}

	if ((st = get(c, "upgrade", "manifest", &v, &loc, err)))
		return st;
	s->manifest = manifest_named(v ? v : "builtin");
	if (!s->manifest) {
		st = bad_value(err, "upgrade", "manifest", v, &loc,
			       "expected builtin (the releases of Barbican) or demo (those and the "
			       "demo's synthetic release 15.99.0, with a contract migration)");
		free(v);
		return st;
	}
	s->manifest_demo = s->manifest == manifest_demo();
	free(v);
	v = NULL;

	if ((st = get(c, "upgrade", "roll_order", &v, &loc, err)))
		return st;
	s->nroll_order = conf_parse_list(v ? v : "", &s->roll_order);
	for (size_t i = 0; i < s->nroll_order; i++) {
		enum service_kind k;
		if (!service_parse(s->roll_order[i], &k)) {
			st = bad_value(err, "upgrade", "roll_order", v, &loc,
				       "expected a list of barbican-api, barbican-worker, "
				       "barbican-keystone-listener, barbican-retry");
			free(v);
			return st;
		}
	}
	free(v);
	v = NULL;
	if ((st = get_typed(c, "upgrade", "max_unavailable", &T_UNAVAILABLE, &s->max_unavailable, err)))
		return st;
	if ((st = get_typed(c, "upgrade", "allow_api_outage", &T_BOOL, &s->allow_api_outage, err)))
		return st;

	if ((st = get_typed(c, "probes", "timeout", &T_TIMEOUT, &s->probe_timeout, err)))
		return st;
	if ((st = get_typed(c, "probes", "concurrency", &T_CONCURRENCY, &s->concurrency, err)))
		return st;
	if ((st = get(c, "probes", "ca_file", &s->ca_file, &loc, err)))
		return st;
	if ((st = get_typed(c, "probes", "max_body", &T_BYTES, &s->max_body, err)))
		return st;
	if ((st = get(c, "probes", "report_command", &s->report_command, &loc, err)))
		return st;
	if (s->report_command && !*s->report_command) {
		free(s->report_command);
		s->report_command = NULL;
	}
	if ((st = get_typed(c, "probes", "report_interval", &T_INTERVAL, &s->report_interval, err)))
		return st;
	if ((st = get_typed(c, "probes", "console_rate", &T_RATE, &s->console_rate, err)))
		return st;
	if ((st = get(c, "rabbitmq", "management_url", &s->rabbit_url, &loc, err)) ||
	    (st = get(c, "rabbitmq", "username", &s->rabbit_user, &loc, err)) ||
	    (st = get(c, "rabbitmq", "password", &s->rabbit_password, &loc, err)) ||
	    (st = get(c, NULL, "transport_url", &s->transport_url, &loc, err)))
		return st;
	if (s->rabbit_url && !*s->rabbit_url) {
		free(s->rabbit_url);
		s->rabbit_url = NULL;
	}
	if (s->rabbit_url && !is_http_url(s->rabbit_url))
		return bad_value(err, "rabbitmq", "management_url", s->rabbit_url, &loc,
				 "expected an http:// or https:// URL of RabbitMQ's management API");

	if ((st = load_db_option(c, NULL, "sql_connection", &s->sql_connection, err)))
		return st;
	if ((st = load_db_option(c, "database", "connection", &s->db_connection, err)))
		return st;
	if ((st = get(c, "oslo_policy", "policy_file", &s->policy_file, &loc, err)))
		return st;
	s->policy_file_set = loc.kind != CONF_LOC_DEFAULT;

	for (size_t i = 0; i < ARRAY_SIZE(steps_opts); i++)
		conf_register(c, &steps_opts[i]);
	for (int k = 0; k < TPL__COUNT; k++) {
		if ((st = get(c, "steps", step_template_keys[k], &s->step_tpl[k], &loc, err)))
			return st;
		s->step_tpl_default[k] = loc.kind == CONF_LOC_DEFAULT;
		if (s->step_tpl[k] && !*s->step_tpl[k]) {
			/* "expand =" (empty): no template, the step is manual */
			free(s->step_tpl[k]);
			s->step_tpl[k] = NULL;
		}
	}
	if ((st = get_typed(c, "steps", "settle_timeout", &T_INTERVAL, &s->settle_timeout, err)))
		return st;
	if ((st = get(c, "data_migrations", "count_command", &s->count_command, &loc, err)))
		return st;
	if (s->count_command && !*s->count_command) {
		free(s->count_command);
		s->count_command = NULL;
	}
	if ((st = get(c, "journal", "path", &s->journal_path, &loc, err)))
		return st;
	if (s->journal_path && !*s->journal_path) {
		free(s->journal_path);
		s->journal_path = NULL;
	}
	char *backend = NULL;
	if ((st = get(c, "record", "backend", &backend, &loc, err)))
		return st;
	if (strcmp(backend, "database") != 0 && strcmp(backend, "file") != 0) {
		st = bad_value(err, "record", "backend", backend, &loc,
			       "expected database or file");
		free(backend);
		return st;
	}
	s->record_file = strcmp(backend, "file") == 0;
	free(backend);
	if ((st = get(c, "record", "connection", &s->record_connection, &loc, err)))
		return st;
	if (s->record_connection && !*s->record_connection) {
		free(s->record_connection);
		s->record_connection = NULL;
	}
	if ((st = get_typed(c, "lock", "lease", &T_LEASE, &s->lock_lease, err)))
		return st;

	const char *const *sections;
	size_t nsections = conf_sections(c, &sections);
	struct strmap names = { 0 };
	for (size_t i = 0; i < nsections && !st; i++) {
		/* a node's or a waiver's options serve its own lookups only
		 * (no substitution can name a group with a ':'): in scope
		 * while it is read, never registered (20,000 nodes must not
		 * keep 120,000 options, nor register and forget them) */
		if (strncasecmp(sections[i], "node:", 5) == 0) {
			conf_scope(c, sections[i], node_keys, ARRAY_SIZE(node_keys));
			st = load_node(c, sections[i], s, &names, err);
		}
		if (!st && strncasecmp(sections[i], "waiver:", 7) == 0) {
			conf_scope(c, sections[i], waiver_keys, ARRAY_SIZE(waiver_keys));
			st = load_waiver(c, sections[i], s, err);
		}
		conf_scope_end(c);
	}
	strmap_free(&names);
	/* everything kept is copied out: what the files held is not needed
	 * again (conf_find_file and the config_file option stay) */
	if (!st)
		conf_drop_values(c);
	return st;
}

void settings_free(struct settings *s)
{
	free(s->target_release);
	for (size_t i = 0; i < s->nroll_order; i++)
		free(s->roll_order[i]);
	free(s->roll_order);
	for (size_t i = 0; i < s->nnodes; i++) {
		free(s->nodes[i].name);
		free(s->nodes[i].host);
		free(s->nodes[i].report_command);
		free(s->nodes[i].url);
		free(s->nodes[i].report_url);
	}
	free(s->nodes);
	free(s->ca_file);
	free(s->sql_connection.value);
	free(s->sql_connection.where);
	free(s->db_connection.value);
	free(s->db_connection.where);
	free(s->policy_file);
	for (int k = 0; k < TPL__COUNT; k++)
		free(s->step_tpl[k]);
	free(s->count_command);
	free(s->journal_path);
	free(s->record_connection);
	free(s->report_command);
	free(s->rabbit_url);
	free(s->rabbit_user);
	free(s->rabbit_password);
	free(s->transport_url);
	for (size_t i = 0; i < s->nwaivers; i++) {
		free(s->waivers[i].name);
		free(s->waivers[i].check);
		free(s->waivers[i].until);
		free(s->waivers[i].owner);
		free(s->waivers[i].reason);
	}
	free(s->waivers);
	if (s->conf)
		conf_free(s->conf);
	memset(s, 0, sizeof(*s));
}

const struct db_option *settings_db_option(const struct settings *s, const char *target,
					   const char **name)
{
	struct relver t, v19 = { .part = { 19, 0, 0, 0 }, .nparts = 3 };
	bool new_style;
	if (target && relver_parse(target, &t))
		new_style = relver_cmp(&t, &v19) >= 0;
	else
		new_style = s->db_connection.value != NULL;
	if (new_style) {
		*name = "[database] connection";
		return &s->db_connection;
	}
	*name = "[DEFAULT] sql_connection";
	return &s->sql_connection;
}
