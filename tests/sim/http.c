/* http.c: HTTP/1.1 request heads, responses, Accept negotiation, and the
 * formatting that the real API's bodies need (Python's json.dumps() and
 * repr(), webob's error pages). */
#include "render/pyjson.h"
#include "sim.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/sanitize.h"
#include "core/xalloc.h"

/* ---- request heads ---- */

static bool is_tchar(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool all_tchars(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_tchar((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* WSGI decodes header bytes as latin-1; from here on every string is UTF-8. */
static char *latin1_to_utf8(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x80) {
			sb_addch(&sb, (char)*p);
		} else {
			sb_addch(&sb, (char)(0xc0 | (*p >> 6)));
			sb_addch(&sb, (char)(0x80 | (*p & 0x3f)));
		}
	}
	return sb_detach(&sb);
}

/* Fold a repeated header as WSGI servers do; v is latin-1. */
static void join_header(char **dst, const char *v, const char *sep)
{
	char *u = latin1_to_utf8(v);
	if (!*dst) {
		*dst = u;
		return;
	}
	char *j = xasprintf("%s%s%s", *dst, sep, u);
	free(*dst);
	free(u);
	*dst = j;
}

static int parse_line_header(struct http_req *req, char *line)
{
	if (*line == ' ' || *line == '\t')
		return -1; /* obsolete line folding */
	char *colon = strchr(line, ':');
	if (!colon || !all_tchars(line, (size_t)(colon - line)))
		return -1;
	*colon = '\0';
	char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	size_t vl = strlen(v);
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		v[--vl] = '\0';
	if (!strcasecmp(line, "host")) {
		if (req->host)
			return -1;
		req->host = latin1_to_utf8(v);
	} else if (!strcasecmp(line, "accept")) {
		join_header(&req->accept, v, ", ");
	} else if (!strcasecmp(line, "openstack-api-version")) {
		join_header(&req->api_version, v, ",");
	} else if (!strcasecmp(line, "content-length")) {
		if (!*v || strlen(v) > 12 || strspn(v, "0123456789") != strlen(v))
			return -1;
		long cl = strtol(v, NULL, 10);
		if (req->content_length >= 0 && req->content_length != cl)
			return -1;
		req->content_length = cl;
	} else if (!strcasecmp(line, "expect")) {
		req->expect_continue = !strcasecmp(v, "100-continue");
	} else if (!strcasecmp(line, "transfer-encoding")) {
		req->chunked |= strcasestr(v, "chunked") != NULL;
	}
	return 0;
}

static int parse_request_line(struct http_req *req, char *line)
{
	char *sp1 = strchr(line, ' ');
	if (!sp1 || !all_tchars(line, (size_t)(sp1 - line)) || sp1 - line > 32)
		return -1;
	char *target = sp1 + 1;
	char *sp2 = strchr(target, ' ');
	if (!sp2 || sp2 == target)
		return -1;
	const char *ver = sp2 + 1;
	if (strncmp(ver, "HTTP/1.", 7) || !isdigit((unsigned char)ver[7]) || ver[8])
		return -1;
	req->minor = ver[7] - '0';
	req->method = xstrndup(line, (size_t)(sp1 - line));
	req->target = xstrndup(target, (size_t)(sp2 - target));
	/* absolute form: keep the path */
	const char *t = req->target;
	if (!strncasecmp(t, "http://", 7) || !strncasecmp(t, "https://", 8)) {
		t = strstr(t, "//") + 2;
		t += strcspn(t, "/?");
		if (!*t)
			t = "/";
	}
	size_t pl = strcspn(t, "?#");
	req->path = xstrndup(t, pl);
	if (!*req->path) {
		free(req->path);
		req->path = xstrdup("/");
	}
	if (t[pl] == '?') {
		const char *q = t + pl + 1;
		req->query = xstrndup(q, strcspn(q, "#"));
	}
	return 0;
}

int http_parse(const char *buf, size_t len, struct http_req *req)
{
	memset(req, 0, sizeof(*req));
	req->content_length = -1;
	size_t start = 0;
	while (start < len && (buf[start] == '\r' || buf[start] == '\n'))
		start++;
	size_t head_len = 0;
	const char *p = buf + start;
	while ((p = memchr(p, '\n', len - (size_t)(p - buf)))) {
		size_t i = (size_t)(p - buf);
		if (i + 1 < len && buf[i + 1] == '\n') {
			head_len = i + 2;
			break;
		}
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
			head_len = i + 3;
			break;
		}
		p++;
	}
	if (!head_len)
		return len > SIM_MAX_HEAD ? -2 : 0;
	if (head_len > SIM_MAX_HEAD)
		return -2;
	if (memchr(buf, '\0', head_len))
		return -1;
	req->head_len = head_len;
	char *head = xstrndup(buf + start, head_len - start);
	char *save = head;
	int rc = 1;
	bool first = true;
	for (char *line = head; *line;) {
		char *nl = strchr(line, '\n');
		*nl = '\0';
		if (nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		if (!*line)
			break;
		if (first ? parse_request_line(req, line) : parse_line_header(req, line)) {
			rc = -1;
			break;
		}
		first = false;
		line = nl + 1;
	}
	free(save);
	if (rc < 0)
		http_req_free(req);
	return rc;
}

void http_req_free(struct http_req *req)
{
	free(req->method);
	free(req->target);
	free(req->path);
	free(req->query);
	free(req->host);
	free(req->accept);
	free(req->api_version);
	memset(req, 0, sizeof(*req));
	req->content_length = -1;
}

bool http_query_has(const char *query, const char *name)
{
	if (!query)
		return false;
	size_t nl = strlen(name);
	for (const char *p = query; *p;) {
		size_t kl = strcspn(p, "=&;");
		if (kl == nl && !strncmp(p, name, nl))
			return true;
		p += strcspn(p, "&;");
		if (*p)
			p++;
	}
	return false;
}

/* ---- responses ---- */

void resp_init(struct response *r, int status)
{
	memset(r, 0, sizeof(*r));
	r->status = status;
	sb_init(&r->headers, 0);
	sb_init(&r->body, 0);
	sb_init(&r->tail, 0);
	r->action = RESP_SEND;
}

void resp_free(struct response *r)
{
	sb_free(&r->headers);
	sb_free(&r->body);
	sb_free(&r->tail);
}

void resp_header(struct response *r, const char *name, const char *value)
{
	sb_addf(&r->headers, "%s: %s\r\n", name, value);
}

size_t resp_body_len(const struct response *r)
{
	return r->body.len + r->pad + r->tail.len;
}

static const struct {
	int code;
	const char *reason;
} reasons[] = {
	{ 100, "Continue" }, { 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
	{ 204, "No Content" }, { 300, "Multiple Choices" }, { 301, "Moved Permanently" },
	{ 302, "Found" }, { 303, "See Other" }, { 304, "Not Modified" },
	{ 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
	{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 402, "Payment Required" },
	{ 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" }, { 408, "Request Timeout" }, { 409, "Conflict" },
	{ 410, "Gone" }, { 411, "Length Required" }, { 413, "Request Entity Too Large" },
	{ 415, "Unsupported Media Type" }, { 422, "Unprocessable Entity" },
	{ 429, "Too Many Requests" }, { 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" }, { 501, "Not Implemented" }, { 502, "Bad Gateway" },
	{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
};

const char *http_reason(int status)
{
	for (size_t i = 0; i < ARRAY_SIZE(reasons); i++) {
		if (reasons[i].code == status)
			return reasons[i].reason;
	}
	return "Unknown";
}

void resp_head(const struct response *r, int minor, struct strbuf *out)
{
	sb_addf(out, "HTTP/1.%d %d %s\r\n", minor, r->status, http_reason(r->status));
	sb_add(out, r->headers.buf ? r->headers.buf : "", r->headers.len);
	if (r->content_length && r->status != 204 && r->status != 304)
		sb_addf(out, "Content-Length: %zu\r\n", resp_body_len(r));
	sb_addstr(out, "Connection: close\r\n\r\n");
}

/* ---- Accept ---- */

struct media_range {
	char *type, *sub;
	int q;          /* 0..1000 */
	bool params;    /* media type parameters other than q */
};

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

static int parse_q(const char *v)
{
	/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
	if ((v[0] != '0' && v[0] != '1') || (v[1] && v[1] != '.'))
		return -1;
	int q = (v[0] - '0') * 1000;
	if (!v[1])
		return q;
	int scale = 100;
	size_t i;
	for (i = 2; v[i] && i < 5; i++, scale /= 10) {
		if (!isdigit((unsigned char)v[i]))
			return -1;
		q += (v[i] - '0') * scale;
	}
	if (v[i] || q > 1000)
		return -1;
	return q;
}

/* Returns the number of ranges, or -1 when the header is invalid. */
static int parse_accept(const char *accept, struct media_range **out)
{
	char *copy = xstrdup(accept);
	struct media_range *rs = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	for (char *item = copy, *next; item; item = next) {
		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		char *params = strchr(item, ';');
		if (params)
			*params++ = '\0';
		char *mt = trim(item);
		if (!*mt) {
			if (params) {
				rc = -1;
				break;
			}
			continue;
		}
		char *slash = strchr(mt, '/');
		if (!slash || !all_tchars(mt, (size_t)(slash - mt)) || !all_tchars(slash + 1, strlen(slash + 1))) {
			rc = -1;
			break;
		}
		*slash = '\0';
		if (!strcmp(mt, "*") && strcmp(slash + 1, "*")) {
			rc = -1;
			break;
		}
		xgrow(&rs, &cap, n + 1, sizeof(*rs));
		struct media_range *r = &rs[n++];
		r->type = xstrdup(mt);
		r->sub = xstrdup(slash + 1);
		r->q = 1000;
		r->params = false;
		for (char *prm = params, *pn; prm; prm = pn) {
			pn = strchr(prm, ';');
			if (pn)
				*pn++ = '\0';
			prm = trim(prm);
			char *eq = strchr(prm, '=');
			if (!eq) {
				rc = -1;
				break;
			}
			*eq = '\0';
			if (!strcasecmp(trim(prm), "q")) {
				r->q = parse_q(trim(eq + 1));
				if (r->q < 0) {
					rc = -1;
					break;
				}
				break; /* what follows q are accept-ext, not media type parameters */
			}
			r->params = true;
		}
		if (rc)
			break;
	}
	free(copy);
	if (rc) {
		for (size_t i = 0; i < n; i++) {
			free(rs[i].type);
			free(rs[i].sub);
		}
		free(rs);
		return -1;
	}
	*out = rs;
	return (int)n;
}

static void free_ranges(struct media_range *rs, int n)
{
	for (int i = 0; i < n; i++) {
		free(rs[i].type);
		free(rs[i].sub);
	}
	free(rs);
}

int accept_best(const char *accept, const char *const *offers, size_t n, bool absent_matches_all)
{
	if (!accept)
		return absent_matches_all && n ? 0 : -1;
	struct media_range *rs = NULL;
	int nr = parse_accept(accept, &rs);
	if (nr < 0)
		return n ? 0 : -1; /* webob: an invalid header accepts everything */
	int best = -1, best_q = 0;
	for (size_t o = 0; o < n; o++) {
		const char *slash = strchr(offers[o], '/');
		size_t tl = (size_t)(slash - offers[o]);
		int spec = -1, q = 0;
		for (int i = 0; i < nr; i++) {
			const struct media_range *r = &rs[i];
			int s;
			if (r->params)
				continue;
			if (!strcmp(r->type, "*"))
				s = 0;
			else if (strlen(r->type) == tl && !strncasecmp(r->type, offers[o], tl))
				s = !strcmp(r->sub, "*") ? 1 : !strcasecmp(r->sub, slash + 1) ? 2 : -1;
			else
				s = -1;
			if (s > spec) {
				spec = s;
				q = r->q;
			}
		}
		if (spec >= 0 && q > best_q) {
			best = (int)o;
			best_q = q;
		}
	}
	free_ranges(rs, nr);
	return best;
}

int accept_best_match_old(const char *accept, const char *const *offers, size_t n)
{
	struct media_range *rs = NULL;
	int nr = accept ? parse_accept(accept, &rs) : -1;
	if (nr < 0)
		return -2;
	int best = -1, best_q = -1, matched_stars = 2;
	for (size_t o = 0; o < n; o++) {
		const char *slash = strchr(offers[o], '/');
		size_t tl = (size_t)(slash - offers[o]);
		for (int i = 0; i < nr; i++) {
			const struct media_range *r = &rs[i];
			int stars = !strcmp(r->type, "*") + !strcmp(r->sub, "*");
			if (r->q <= 0 || r->q < best_q || (r->q == best_q && matched_stars <= stars))
				continue;
			bool type_ok = strlen(r->type) == tl && !strncasecmp(r->type, offers[o], tl);
			bool match = !r->params && (stars == 2
				|| (type_ok && (!strcmp(r->sub, "*") || !strcasecmp(r->sub, slash + 1))));
			if (match) {
				best = (int)o;
				best_q = r->q;
				matched_stars = stars;
			}
		}
	}
	free_ranges(rs, nr);
	return best;
}

/* ---- Python and webob formatting ---- */

void py_json_str(struct strbuf *sb, const char *s)
{
	/* Python's json.dumps, as Barbican's pecan app writes its bodies */
	pyjson_add_string(sb, s, strlen(s));
}

void py_repr(struct strbuf *sb, const char *s)
{
	char quote = (strchr(s, '\'') && !strchr(s, '"')) ? '"' : '\'';
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	sb_addch(sb, quote);
	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		if (!n) {
			/* not from a header (those are latin-1 turned UTF-8) */
			sb_addf(sb, "\\x%02x", p[i]);
			i++;
			continue;
		}
		if (cp == '\\' || cp == (unsigned char)quote) {
			sb_addch(sb, '\\');
			sb_addch(sb, (char)cp);
		} else if (cp == '\n') {
			sb_addstr(sb, "\\n");
		} else if (cp == '\r') {
			sb_addstr(sb, "\\r");
		} else if (cp == '\t') {
			sb_addstr(sb, "\\t");
		} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0xad) {
			sb_addf(sb, "\\x%02x", cp);
		} else {
			sb_add(sb, p + i, n);
		}
		i += n;
	}
	sb_addch(sb, quote);
}

void html_escape(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	for (size_t i = 0; i < len;) {
		unsigned cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		if (!n) {
			cp = 0xfffd;
			n = 1;
		}
		i += n;
		switch (cp) {
		case '&': sb_addstr(sb, "&amp;"); break;
		case '<': sb_addstr(sb, "&lt;"); break;
		case '>': sb_addstr(sb, "&gt;"); break;
		case '"': sb_addstr(sb, "&quot;"); break;
		case '\'': sb_addstr(sb, "&#x27;"); break;
		default:
			/* webob: .encode('ascii', 'xmlcharrefreplace') */
			if (cp < 0x80)
				sb_addch(sb, (char)cp);
			else
				sb_addf(sb, "&#%u;", cp);
		}
	}
}

static void add_bytes(struct strbuf *sb, const char *s)
{
	sb_addstr(sb, s);
}

/* webob.exc's explanations */
static const struct {
	int code;
	const char *text;
} explanations[] = {
	{ 400, "The server could not comply with the request since it is either malformed or otherwise incorrect." },
	{ 401, "This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required." },
	{ 402, "Access was denied for financial reasons." },
	{ 403, "Access was denied to this resource." },
	{ 404, "The resource could not be found." },
	{ 408, "The server has waited too long for the request to be sent by the client." },
	{ 409, "There was a conflict when trying to complete your request." },
	{ 410, "This resource is no longer available. No forwarding address is given." },
	{ 413, "The body of your request was too large for this server." },
	{ 415, "The server could not comply with the request since it is either malformed or otherwise incorrect." },
	{ 422, "Unable to process the contained instructions" },
	{ 429, "The client has sent too many requests in a given amount of time" },
	{ 431, "The request header fields were too large" },
	{ 500, "The server has either erred or is incapable of performing the requested operation." },
	{ 501, "The server has either erred or is incapable of performing the requested operation." },
	{ 502, "Bad gateway." },
	{ 503, "The server is currently unavailable. Please try again at a later time." },
	{ 504, "The gateway has timed out." },
	{ 505, "The HTTP version is not supported." },
};

static const char *explanation(int code)
{
	for (size_t i = 0; i < ARRAY_SIZE(explanations); i++) {
		if (explanations[i].code == code)
			return explanations[i].text;
	}
	return "";
}

/* webob's body template for e. put adds a value: html_escape for HTML,
 * add_bytes for text and JSON. */
static void webob_body(struct strbuf *sb, const struct webob_exc *e,
	void (*put)(struct strbuf *, const char *))
{
	const char *detail = e->detail ? e->detail : "";
	if (e->code == 405) {
		sb_addstr(sb, "The method ");
		put(sb, e->method ? e->method : "GET");
		sb_addstr(sb, " is not allowed for this resource. <br /><br />\n");
		put(sb, detail);
	} else if (e->code == 406) {
		sb_addstr(sb, "The resource could not be generated that was acceptable to your browser\n(content of type ");
		/* string.Template.safe_substitute leaves an unknown name as is */
		put(sb, e->accept ? e->accept : "${HTTP_ACCEPT}");
		sb_addstr(sb, ". <br /><br />\n");
		put(sb, detail);
	} else if (e->code >= 300 && e->code < 400 && e->location) {
		put(sb, e->code == 302 ? "The resource was found at" : "The resource has been moved to");
		sb_addstr(sb, " <a href=\"");
		put(sb, e->location);
		sb_addstr(sb, "\">");
		put(sb, e->location);
		sb_addstr(sb, "</a>;\nyou should be redirected automatically.\n");
		put(sb, detail);
		sb_addstr(sb, "\n");
	} else {
		put(sb, explanation(e->code));
		sb_addstr(sb, "<br /><br />\n");
		put(sb, detail);
		sb_addstr(sb, "\n\n");
	}
}

static void html_page(struct strbuf *sb, const char *status, const char *body)
{
	sb_addf(sb, "<html>\n <head>\n  <title>%s</title>\n </head>\n <body>\n  <h1>%s</h1>\n  %s\n </body>\n</html>",
		status, status, body);
}

/* webob.exc.strip_tags */
static void strip_tags(struct strbuf *out, const char *in)
{
	struct strbuf a = STRBUF_INIT;
	for (const char *p = in; *p; p++) {
		if (*p != '\r')
			sb_addch(&a, *p == '\n' ? ' ' : *p);
	}
	const char *s = sb_str(&a);
	struct strbuf b = STRBUF_INIT;
	for (const char *p = s; *p;) {
		const char *gt;
		if (!strncasecmp(p, "<br", 3) && (gt = strchr(p, '>'))) {
			sb_addch(&b, '\n');
			p = gt + 1;
		} else {
			sb_addch(&b, *p++);
		}
	}
	s = sb_str(&b);
	struct strbuf c = STRBUF_INIT;
	for (const char *p = s; *p;) {
		if (!strncmp(p, "<!--", 4))
			p += 4;
		else if (!strncmp(p, "-->", 3))
			p += 3;
		else
			sb_addch(&c, *p++);
	}
	s = sb_str(&c);
	for (const char *p = s; *p;) {
		const char *gt;
		if (*p == '<' && (gt = strchr(p + 1, '>')))
			p = gt + 1;
		else
			sb_addch(out, *p++);
	}
	sb_free(&a);
	sb_free(&b);
	sb_free(&c);
}

const char *webob_page(struct strbuf *out, const struct webob_exc *e, int fmt)
{
	static const char *const offers[] = { "text/html", "application/json" };
	if (fmt < 0)
		fmt = accept_best(e->accept, offers, ARRAY_SIZE(offers), false);
	char *status = xasprintf("%d %s", e->code, http_reason(e->code));
	struct strbuf body = STRBUF_INIT;
	const char *ct;
	if (fmt == 0) {
		webob_body(&body, e, html_escape);
		ct = "text/html; charset=UTF-8";
		html_page(out, status, sb_str(&body));
	} else if (fmt == 1) {
		webob_body(&body, e, add_bytes);
		ct = "application/json";
		sb_addstr(out, "{\"message\": ");
		py_json_str(out, sb_str(&body));
		sb_addstr(out, ", \"code\": ");
		py_json_str(out, status);
		sb_addstr(out, ", \"title\": ");
		py_json_str(out, http_reason(e->code));
		sb_addch(out, '}');
	} else {
		webob_body(&body, e, add_bytes);
		ct = "text/plain; charset=UTF-8";
		sb_addf(out, "%s\n\n", status);
		strip_tags(out, sb_str(&body));
	}
	sb_free(&body);
	free(status);
	return ct;
}

void webob_error(struct response *r, const struct webob_exc *e)
{
	r->status = e->code;
	resp_header(r, "Content-Type", webob_page(&r->body, e, -1));
}
