/* barbican.c: what a simulated node answers.
 *
 * A barbican-api node answers as the Debian 15.0.1 package under uwsgi was
 * seen to answer (shared/barbican/realworld/REPORT.md, section 6), and as
 * the source of the other releases says: the paste urlmap sends
 * /healthcheck to oslo.middleware's healthcheck (from 12.0.0), /v1 to the
 * Keystone pipeline (401 without a token) and everything else to the
 * version app (pecan), behind microversion_parse's middleware from 15.0.0.
 * Error pages are webob's. Headers and bodies are byte for byte those of the
 * real service (the body lengths match uwsgi's log); uwsgi removes
 * Content-Length and adds "Connection: close" (resp_head does both). */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/xalloc.h"

#define MV_SERVICE "key-manager"

/* The length of the Python whitespace character at p, 0 if none: what
 * str.split() and str.strip() and int() skip in a header value (latin-1
 * text: the ASCII ones, \x1c-\x1f, U+0085 and U+00A0). */
static size_t pyspace_at(const char *p)
{
	unsigned char c = (unsigned char)p[0];
	if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f))
		return 1;
	if (c == 0xc2 && ((unsigned char)p[1] == 0x85 || (unsigned char)p[1] == 0xa0))
		return 2;
	return 0;
}

static const char *skip_pyspace(const char *p)
{
	size_t n;
	while ((n = pyspace_at(p)))
		p += n;
	return p;
}

/* len without the Python whitespace at the end of s */
static size_t rtrim_pyspace(const char *s, size_t len)
{
	for (;;) {
		if (len >= 1 && pyspace_at(s + len - 1) == 1)
			len--;
		else if (len >= 2 && pyspace_at(s + len - 2) == 2)
			len -= 2;
		else
			return len;
	}
}

/* microversion_parse.check_standard_header(): the version asked of
 * key-manager in a folded OpenStack-API-Version value, NULL if none. */
static char *mv_find(const char *header)
{
	if (!header)
		return NULL;
	char *copy = xstrdup(header);
	char *found = NULL;
	/* the last part naming the service wins */
	for (;;) {
		char *comma = strrchr(copy, ',');
		const char *part = skip_pyspace(comma ? comma + 1 : copy);
		const char *svc = part;
		while (*part && !pyspace_at(part))
			part++;
		size_t sl = (size_t)(part - svc);
		part = skip_pyspace(part);
		if (*part && sl == strlen(MV_SERVICE) && !strncasecmp(svc, MV_SERVICE, sl)) {
			found = xstrndup(part, rtrim_pyspace(part, strlen(part)));
			break;
		}
		if (!comma)
			break;
		*comma = '\0';
	}
	free(copy);
	return found;
}

/* Python's int(s): true when s is a valid literal; *big when it does not fit. */
static bool py_int(const char *s, long *out, bool *big)
{
	*big = false;
	s = skip_pyspace(s);
	bool neg = false;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (*s < '0' || *s > '9')
		return false;
	long v = 0;
	for (; *s; s++) {
		if (*s == '_') {
			if (s[1] < '0' || s[1] > '9')
				return false;
			continue;
		}
		if (*s < '0' || *s > '9')
			break;
		if (v > (1L << 40))
			*big = true;
		else
			v = v * 10 + (*s - '0');
	}
	if (*skip_pyspace(s))
		return false;
	*out = neg ? -v : v;
	return true;
}

/* microversion_parse.extract_version(): 0 with *v set, else the HTTP status
 * of the error (400 or 406) with its detail in *detail (caller frees). */
static int mv_extract(const char *header, struct apiver min, struct apiver max,
	struct apiver *v, char **detail)
{
	char *found = mv_find(header);
	char *vs;
	if (!found)
		vs = xasprintf("%ld.%ld", min.major, min.minor);
	else if (!strcmp(found, "latest"))
		vs = xasprintf("%ld.%ld", max.major, max.minor);
	else
		vs = xstrdup(found);
	free(found);
	/* Version(*(int(value) for value in vs.split('.', 1))) */
	int rc = 0;
	char *dot = strchr(vs, '.');
	char *major = dot ? xstrndup(vs, (size_t)(dot - vs)) : xstrdup(vs);
	const char *minor = dot ? dot + 1 : NULL;
	bool big1 = false, big2 = false;
	long a = 0, b = 0;
	const char *bad = !py_int(major, &a, &big1) ? major
		: minor && !py_int(minor, &b, &big2) ? minor : NULL;
	if (bad) {
		struct strbuf sb = STRBUF_INIT;
		sb_addf(&sb, "Invalid microversion: invalid version string: %s; "
			"invalid literal for int() with base 10: ", vs);
		py_repr(&sb, bad);
		*detail = sb_detach(&sb);
		rc = 400;
	} else if (!minor) {
		*detail = xasprintf("Invalid microversion: invalid version string: %s; "
			"Version.__new__() missing 1 required positional argument: 'minor'", vs);
		rc = 400;
	} else if (big1 || big2 || a != min.major || b < min.minor || b > max.minor) {
		*detail = xasprintf("Invalid microversion: Unacceptable version header: %s", vs);
		rc = 406;
	} else {
		v->major = a;
		v->minor = b;
	}
	free(major);
	free(vs);
	return rc;
}

/* _get_versioned_url('v1'): [DEFAULT] host_href (the node's "host_href",
 * by default its own address), or the request's Host when it is blank. */
static char *versioned_url(const struct node *n, const struct http_req *req)
{
	const char *hh = json_string_value(json_object_get(n->desc, "host_href"));
	if (hh && !*hh)
		return xasprintf("http://%s/v1/", req->host ? req->host : "127.0.0.1");
	if (!hh)
		return xasprintf("http://127.0.0.1:%d/v1/", n->port);
	size_t l = strlen(hh);
	return xasprintf("%s%sv1/", hh, l && hh[l - 1] == '/' ? "" : "/");
}

static void add_href(struct strbuf *b, const struct node *n, const struct http_req *req)
{
	char *href = versioned_url(n, req);
	py_json_str(b, href);
	free(href);
}

/* VersionsController: GET / */
static void versions_doc(struct strbuf *b, const struct node *n, const struct http_req *req,
	bool mv, struct apiver min, struct apiver max, struct apiver v)
{
	if (mv && !(v.major == 1 && v.minor == 0)) {
		sb_addf(b, "{\"versions\": [{\"id\": \"v1\", \"status\": \"CURRENT\", "
			"\"min_version\": \"%ld.%ld\", \"max_version\": \"%ld.%ld\", "
			"\"links\": [{\"rel\": \"self\", \"href\": ",
			min.major, min.minor, max.major, max.minor);
		add_href(b, n, req);
		sb_addstr(b, "}, {\"rel\": \"describedby\", \"type\": \"text/html\", "
			"\"href\": \"https://docs.openstack.org/\"}]}]}");
		return;
	}
	sb_addstr(b, "{\"versions\": {\"values\": [{\"id\": \"v1\", \"status\": \"stable\", ");
	/* before 15.0.0; 15.0.0 lost it ("version['updated']: ..." is a no-op) */
	if (!mv)
		sb_addstr(b, "\"updated\": \"2015-04-28T00:00:00Z\", ");
	sb_addstr(b, "\"links\": [{\"rel\": \"self\", \"href\": ");
	add_href(b, n, req);
	sb_addstr(b, "}, {\"rel\": \"describedby\", \"type\": \"text/html\", "
		"\"href\": \"https://docs.openstack.org/\"}], \"media-types\": "
		"[{\"base\": \"application/json\", "
		"\"type\": \"application/vnd.openstack.key-manager-v1+json\"}]}]}}");
}

static bool is_method(const struct http_req *req, const char *m)
{
	return !strcmp(req->method, m);
}

static bool is_get(const struct http_req *req)
{
	return is_method(req, "GET") || is_method(req, "HEAD");
}

/* A webob.exc exception raised inside pecan and rendered by it: a client
 * that prefers JSON gets pecan's {"code", "title", "description"}, else
 * webob's page; HEAD gets the exception's own headers. desc: the
 * exception's detail (NULL: None). */
static void pecan_error(struct response *r, const struct http_req *req, int code,
	const char *desc, const char *location, bool allow_get)
{
	static const char *const offers[] = { "text/plain", "text/html", "application/json" };
	const char *acc = req->accept && *req->accept ? req->accept : "*/*";
	bool json = accept_best(acc, offers, ARRAY_SIZE(offers), true) == 2;
	bool head = is_method(req, "HEAD");
	struct webob_exc e = { code, desc, req->method, req->accept, location };
	r->status = code;
	const char *ct;
	if (json) {
		ct = "application/json";
		json_t *o = json_pack("{s:i, s:s, s:s?}", "code", code, "title", http_reason(code), "description", desc);
		char *s = json_dumps(o, JSON_ENSURE_ASCII);
		sb_addstr(&r->body, s);
		free(s);
		json_decref(o);
	} else if (head) {
		ct = "text/html; charset=UTF-8";
	} else {
		ct = webob_page(&r->body, &e, -1);
	}
	/* Header order, as webob leaves it: generate_response() sets the
	 * Content-Type last; HEAD keeps the exception's own list (Content-Type
	 * first); pecan sets a JSON Content-Type before it adds Allow. */
	if (location)
		resp_header(r, "Location", location);
	if (json || head)
		resp_header(r, "Content-Type", ct);
	if (allow_get)
		resp_header(r, "Allow", "GET");
	if (!json && !head)
		resp_header(r, "Content-Type", ct);
}

/* pecan's find_controller(): may the handler answer with one of types? */
static bool pecan_negotiate(const struct http_req *req, const char *const *types, size_t n)
{
	const char *acc = req->accept && *req->accept ? req->accept : "*/*";
	if (!strcmp(acc, "*/*"))
		return true;
	if (!strncmp(acc, "text/html,", 10) && n == 1
	    && (!strcmp(types[0], "text/html") || !strcmp(types[0], "text/plain")))
		return true;
	if (accept_best(acc, types, n, true) >= 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		if (!strncmp(acc, types[i], strlen(types[i])))
			return true;
	}
	return false;
}

/* pecan routes "/", "//", "/index" and "/index/" to the index handler */
static bool is_index(const char *p)
{
	while (*p == '/')
		p++;
	if (!strncmp(p, "index", 5))
		p += 5;
	while (*p == '/')
		p++;
	return !*p;
}

/* The "/" application: microversion middleware, then pecan's
 * VersionsController. */
static void version_app(struct node *n, const struct http_req *req, struct response *r)
{
	static const char *const get_types[] = { "application/json", "application/json-home" };
	static const char *const default_types[] = { "text/html" };
	struct apiver min = { 1, 0 }, max = { 1, 0 }, v = { 1, 0 };
	bool mv = node_api_versions(n, &min, &max);
	if (mv) {
		char *detail = NULL;
		int code = mv_extract(req->api_version, min, max, &v, &detail);
		if (code) {
			struct webob_exc e = { code, detail, req->method, req->accept, NULL };
			if (is_method(req, "HEAD")) {
				r->status = code;
				resp_header(r, "Content-Type", "text/html; charset=UTF-8");
			} else {
				webob_error(r, &e);
			}
			free(detail);
			return;
		}
	}
	/* GET of any path reaches on_get (with the rest of the path as
	 * arguments, a 404 after the content negotiation); the other methods
	 * reach the DEFAULT handler, which only has "/" and "/index". */
	bool get = is_method(req, "GET");
	bool index = is_index(req->path);
	if (!get && !index) {
		pecan_error(r, req, 404, NULL, NULL, false);
	} else if (get ? !pecan_negotiate(req, get_types, ARRAY_SIZE(get_types))
		       : !pecan_negotiate(req, default_types, ARRAY_SIZE(default_types))) {
		pecan_error(r, req, 406, NULL, NULL, false);
	} else if (!index) {
		pecan_error(r, req, 404, "", NULL, false);
	} else if (!get) {
		/* HEAD too: pecan's generic controllers route it to DEFAULT */
		pecan_error(r, req, 405, NULL, NULL, true);
	} else if (accept_best_match_old(req->accept, get_types, ARRAY_SIZE(get_types)) == 1) {
		/* _redirect_to_default_json_home_if_needed */
		char *loc = versioned_url(n, req);
		pecan_error(r, req, 302, NULL, loc, false);
		free(loc);
	} else if (http_query_has(req->query, "build")) {
		r->status = 200;
		resp_header(r, "Content-Type", "application/json");
		sb_addstr(&r->body, "{\"build\": ");
		py_json_str(&r->body, node_release(n));
		sb_addch(&r->body, '}');
	} else {
		r->status = 300;
		resp_header(r, "Content-Type", "application/json");
		versions_doc(&r->body, n, req, mv, min, max, v);
	}
	if (mv) {
		char *h = xasprintf(MV_SERVICE " %ld.%ld", v.major, v.minor);
		resp_header(r, "openstack-api-version", h);
		resp_header(r, "vary", "openstack-api-version");
		free(h);
	}
}

/* oslo.middleware's healthcheck with the disable_by_file backend. */
static void healthcheck(struct node *n, const struct http_req *req, struct response *r)
{
	static const char *const offers[] = { "text/plain", "text/html", "application/json" };
	bool ok = node_health(n) == 200;
	const char *reason = ok ? "OK" : "DISABLED BY FILE";
	if (!strcmp(req->method, "HEAD")) {
		r->status = ok ? 204 : 503;
		if (!ok)
			resp_header(r, "Content-Type", "text/plain; charset=UTF-8");
		return;
	}
	r->status = ok ? 200 : 503;
	switch (accept_best(req->accept, offers, ARRAY_SIZE(offers), true)) {
	case 1:
		resp_header(r, "Content-Type", "text/html; charset=UTF-8");
		sb_addf(&r->body, "<HTML>\n<HEAD><TITLE>Healthcheck Status</TITLE></HEAD>\n<BODY>\n\n"
			"<H2>Result of 1 checks:</H2>\n<TABLE bgcolor=\"#ffffff\" border=\"1\">\n"
			"<TBODY>\n<TR>\n\n<TH>\nReason\n</TH>\n</TR>\n<TR>\n\n    <TD>%s</TD>\n\n"
			"</TR>\n</TBODY>\n</TABLE>\n<HR></HR>\n\n</BODY>\n</HTML>", reason);
		break;
	case 2:
		resp_header(r, "Content-Type", "application/json");
		sb_addf(&r->body, "{\n    \"detailed\": false,\n    \"reasons\": [\n        \"%s\"\n    ]\n}", reason);
		break;
	default:
		/* no acceptable type: text/plain rather than 406 */
		resp_header(r, "Content-Type", "text/plain; charset=UTF-8");
		sb_addstr(&r->body, reason);
	}
}

/* /v1 through the shipped barbican-api-keystone pipeline, without a token. */
static void keystone_401(struct response *r)
{
	r->status = 401;
	resp_header(r, "Content-Type", "application/json");
	resp_header(r, "WWW-Authenticate", "Keystone uri=\"http://localhost:5000\"");
	sb_addstr(&r->body, "{\"error\": {\"code\": 401, \"title\": \"Unauthorized\", "
		"\"message\": \"The request you have made requires authentication.\"}}");
}

static void version_report(struct node *n, const struct http_req *req, struct response *r)
{
	if (!is_get(req)) {
		struct webob_exc e = { 405, NULL, req->method, req->accept, NULL };
		webob_error(r, &e);
		return;
	}
	r->status = 200;
	resp_header(r, "Content-Type", "application/json");
	const char *raw = json_string_value(json_object_get(n->desc, "report_raw"));
	if (raw) {
		sb_addstr(&r->body, raw);
		return;
	}
	json_t *rep = node_report(n);
	char *s = json_dumps(rep, JSON_ENSURE_ASCII);
	sb_addstr(&r->body, s ? s : "{}");
	free(s);
	json_decref(rep);
}

/* Replace the response by a new one with status (faults). */
static void resp_reset(struct response *r, int status)
{
	resp_free(r);
	resp_init(r, status);
}

static json_int_t fault_int(const json_t *f, const char *key)
{
	const json_t *v = json_object_get(f, key);
	return json_is_integer(v) ? json_integer_value(v) : 0;
}

static void apply_fault(const json_t *f, struct response *r)
{
	if (json_is_true(json_object_get(f, "close_early"))) {
		r->action = RESP_CLOSE;
		return;
	}
	if (json_is_true(json_object_get(f, "hang"))) {
		r->action = RESP_HANG;
		return;
	}
	int status = (int)fault_int(f, "status");
	const char *loc = json_string_value(json_object_get(f, "redirect"));
	if (status >= 300 && status != 304) {
		resp_reset(r, status);
		struct webob_exc e = { status, NULL, NULL, NULL, NULL };
		r->status = status;
		resp_header(r, "Content-Type", webob_page(&r->body, &e, 0));
	} else if (status) {
		r->status = status;
	} else if (loc) {
		resp_reset(r, 302);
		struct webob_exc e = { 302, NULL, NULL, NULL, loc };
		resp_header(r, "Location", loc);
		resp_header(r, "Content-Type", webob_page(&r->body, &e, 0));
	} else if (json_is_true(json_object_get(f, "invalid_json"))) {
		/* a strict prefix of a JSON object is never valid JSON */
		char *normal = sb_detach(&r->body);
		resp_reset(r, 200);
		resp_header(r, "Content-Type", "application/json");
		if (normal[0] == '{')
			sb_add(&r->body, normal, strlen(normal) / 2 + 1);
		else
			sb_addf(&r->body, "{\"%s", normal);
		free(normal);
	}
	json_int_t over = fault_int(f, "oversized");
	size_t len = r->body.len;
	if (over > 0 && (size_t)over > len) {
		static const char pad_open[] = ", \"padding\": \"";
		static const char pad_close[] = "\"}";
		size_t want = (size_t)over;
		size_t frame = len - 1 + strlen(pad_open) + strlen(pad_close);
		if (len && r->body.buf[len - 1] == '}' && want >= frame) {
			r->body.len--;
			r->body.buf[r->body.len] = '\0';
			/* "{}" becomes {"padding": "x..."} */
			bool empty = r->body.buf[r->body.len - 1] == '{';
			sb_addstr(&r->body, empty ? pad_open + 2 : pad_open);
			r->pad = want - r->body.len - strlen(pad_close);
			sb_addstr(&r->tail, pad_close);
		} else {
			r->pad = want - len;
		}
	}
	r->slow_ms = (unsigned)fault_int(f, "slow_ms");
	r->drip_ms = (unsigned)fault_int(f, "drip_ms");
}

void node_respond(struct node *n, const struct http_req *req, struct response *r)
{
	resp_init(r, 200);
	n->requests++;
	unsigned kind = node_kind(n);
	const char *route = NULL;
	const char *p = req->path;
	if ((kind & KIND_REPORT) && !strcmp(p, node_report_path(n))) {
		route = node_report_path(n);
		version_report(n, req, r);
	} else if (kind & KIND_API) {
		if ((!strcmp(p, "/healthcheck") || !strncmp(p, "/healthcheck/", 13)) && node_health(n) != 404) {
			route = "/healthcheck";
			healthcheck(n, req, r);
		} else if (!strcmp(p, "/v1") || !strncmp(p, "/v1/", 4)) {
			keystone_401(r);
		} else {
			if (!strcmp(p, "/"))
				route = http_query_has(req->query, "build") ? "/?build" : "/";
			version_app(n, req, r);
		}
	} else {
		struct webob_exc e = { 404, NULL, req->method, req->accept, NULL };
		webob_error(r, &e);
	}
	const json_t *f = node_fault(n, route);
	if (f)
		apply_fault(f, r);
	r->content_length = node_content_length(n);
	r->head_only = !strcmp(req->method, "HEAD");
}
