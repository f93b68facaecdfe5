#include "http.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bs-config.h"
#include "core/strbuf.h"
#include "core/strmap.h"
#include "core/xalloc.h"
#include "core/dburl.h"
#include "libcurl.h"
#include "parse.h"
#include "rabbit.h"

enum req_kind { RQ_DISCOVERY, RQ_BUILD, RQ_HEALTH, RQ_REPORT, RQ__COUNT,
		RQ_RABBIT = RQ__COUNT /* the fleet's one request to RabbitMQ */ };

/* RabbitMQ lists every connection: a bigger cap than a node's answer */
#define RABBIT_MAX_BODY (64L * 1024 * 1024)
#define RABBIT_COLUMNS "client_properties.connection_name,peer_host,connected_at,user,vhost"

static const char *const req_label[] = {
	[RQ_DISCOVERY] = "GET /",
	[RQ_BUILD] = "GET /?build",
	[RQ_HEALTH] = "GET /healthcheck",
	[RQ_REPORT] = "GET report_url",
};

#define MAX_REDIRECTS 3
#define RAW_KEEP (64 * 1024)
/* All the header and trailer lines of an answer (1xx ones included) may
 * take this much, no more: Barbican's take under 1 KB, and libcurl 7.88
 * keeps every line for its header API, trailers without a bound. */
#define HEAD_MAX (64 * 1024)

/* Who asks, as a header of our own rather than CURLOPT_USERAGENT: libcurl
 * 7.88 writes that option into a header with its printf at every request,
 * then the header into the request again (at 10,000 nodes under callgrind,
 * 77M instructions against 42M for the same line as a header of ours). */
#define USER_AGENT "User-Agent: barbican-status/" BS_VERSION

struct node_probe;

struct request {
	struct node_probe *np;
	enum req_kind kind;
	CURL *easy;
	char *url;
	CURLU *parsed;      /* url, parsed by setup_easy (see parsed_url) */
	struct strbuf body;
	bool over_cap;
	bool done;
	CURLcode result;
	long status;
	long header_bytes;  /* of the answer's headers received (0: no answer began) */
	size_t head_seen;   /* bytes of header and trailer lines seen (on_header) */
	uint64_t clen;      /* the answer's Content-Length, if clen_set */
	bool clen_set;
	char *head_error;   /* why on_header stopped the transfer, or NULL */
	double total_s;
	int redirects;
	char *redirect_error;
	char errbuf[CURL_ERROR_SIZE];
};

struct node_probe {
	size_t index;
	struct request *req;    /* RQ__COUNT of them while the node's probe
	                         * runs (made when it is admitted, freed when
	                         * it ends): memory follows the probes in
	                         * flight, not the fleet */
	bool used[RQ__COUNT];
	int pending;
	struct timespec started;
	struct timespec queued;  /* when the poll asked for it (its timeout runs from here) */
	long timeout_ms;
	/* a node asked only for its report: its last 200 answer, by hash and
	 * length, whose observation n->from_http is (see same_report) */
	bool last_report_kept;
	uint64_t last_report_hash;
	size_t last_report_len;
};

struct prober {
	CURLM *multi;
	CURL **pool;        /* easy handles not in use (at most RQ__COUNT x concurrency exist) */
	size_t npool, cappool;
	/* requests of ended probes, for the next node's (at most concurrency):
	 * a node admitted allocates nothing, and its small body buffers are
	 * the last node's */
	struct request **spare;
	size_t nspare;
	size_t inflight;    /* nodes whose probe is queued or running */
	bool more;          /* prober_perform left ended transfers to handle */
	bool keep_raw;      /* keep what each node sent, as received (the console's details) */
	const struct settings *st;
	struct curl_slist *discovery_headers;  /* GET /: the API version asked, and who asks */
	struct curl_slist *headers;            /* every other request: who asks */
	struct node_probe *np;
	size_t n;
	size_t *queue;      /* nodes waiting for a slot, FIFO */
	size_t qhead, qlen;
	long running;       /* nodes with requests in the multi handle */
	size_t turn;        /* prober_start_within: the node it starts from next */
	struct request rabbit;  /* GET /api/connections ([rabbitmq]) */
	bool rabbit_in_flight;
	struct timespec rabbit_started;
	char *rabbit_user, *rabbit_password;
};

static long now_ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* base URL + path, without doubling the '/' */
static char *join(const char *base, const char *path)
{
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	return xasprintf("%.*s%s", (int)n, base, path);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct request *r = userp;
	size_t n = size * nmemb;
	if (sb_add(&r->body, data, n) != 0) {
		r->over_cap = true;
		return 0; /* abort the transfer: CURLE_WRITE_ERROR */
	}
	return n;
}

/* A Content-Length line's value, each element of it (RFC 9110 8.6: a list
 * of equal values may come merged into one line) against *have (the first
 * value seen, when *set). False when an element differs (*bad is it), true
 * otherwise; an element that is no number is left to libcurl. */
static bool clen_agrees(const char *v, size_t len, uint64_t *have, bool *set, uint64_t *bad)
{
	for (size_t i = 0; i < len;) {
		while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		if (i == len)
			break;
		uint64_t n = 0;
		size_t digits = 0;
		for (; i < len && v[i] >= '0' && v[i] <= '9'; i++, digits++) {
			if (n > (UINT64_MAX - 9) / 10)
				return true; /* libcurl refuses it */
			n = n * 10 + (uint64_t)(v[i] - '0');
		}
		while (i < len && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (!digits || (i < len && v[i] != ','))
			return true;
		if (*set && n != *have) {
			*bad = n;
			return false;
		}
		*have = n;
		*set = true;
	}
	return true;
}

/* Every header and trailer line (libcurl passes both, and the status line
 * of each answer, a 1xx one included). Stops the transfer (the node
 * answered wrongly: error) past HEAD_MAX bytes of them, and when an
 * answer's Content-Length is given twice with different values (RFC 9112
 * 6.3: the message cannot be framed; libcurl 7.88 takes the last one). */
static size_t on_header(char *data, size_t size, size_t nitems, void *userp)
{
	struct request *r = userp;
	size_t n = size * nitems;
	r->head_seen += n;
	if (r->head_seen > HEAD_MAX) {
		r->head_error = xasprintf("headers and trailers over %d KiB", HEAD_MAX / 1024);
		return 0;
	}
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		r->clen_set = false; /* a new answer: the one after a 1xx */
		return n;
	}
	static const char cl[] = "content-length:";
	size_t cl_len = sizeof(cl) - 1;
	size_t len = n;
	while (len && (data[len - 1] == '\r' || data[len - 1] == '\n'))
		len--;
	uint64_t bad;
	if (len > cl_len && strncasecmp(data, cl, cl_len) == 0 &&
	    !clen_agrees(data + cl_len, len - cl_len, &r->clen, &r->clen_set, &bad)) {
		r->head_error = xasprintf("Content-Length given twice with different values "
					  "(%llu and %llu)",
					  (unsigned long long)r->clen, (unsigned long long)bad);
		return 0;
	}
	return n;
}

static void release_requests(struct prober *p, struct node_probe *np);

/* Does a probe of the node send request k? (report_url: the report; url:
 * the other three.) */
static bool asks(const struct node_conf *c, enum req_kind k)
{
	return k == RQ_REPORT ? c->report_url != NULL : c->url != NULL;
}

/* A node's RQ__COUNT requests, released (no handle, no strings): their
 * body buffers and the array. */
static void free_requests(struct request *req)
{
	for (int k = 0; k < RQ__COUNT; k++) {
		sb_free(&req[k].body);
		libcurl.url_cleanup(req[k].parsed);
	}
	free(req);
}

/* A spare request keeps a body buffer up to this size */
#define SPARE_BODY_MAX (16 * 1024)

struct prober *prober_new(const struct settings *st, char **why)
{
	if (!libcurl_open(why))
		return NULL;
	struct prober *p = xcalloc(1, sizeof(*p));
	p->st = st;
	p->multi = libcurl.multi_init();
	if (!p->multi) {
		free(p);
		*why = xstrdup("libcurl cannot start: curl_multi_init failed");
		return NULL;
	}
	libcurl.multi_setopt(p->multi, CURLMOPT_MAXCONNECTS, (long)(st->concurrency * 4 + 16));
	p->discovery_headers = libcurl.slist_append(NULL, "OpenStack-API-Version: key-manager latest");
	p->discovery_headers = libcurl.slist_append(p->discovery_headers, "Accept: application/json");
	p->discovery_headers = libcurl.slist_append(p->discovery_headers, USER_AGENT);
	p->headers = libcurl.slist_append(NULL, USER_AGENT);
	p->rabbit.kind = RQ_RABBIT;
	sb_init(&p->rabbit.body, (size_t)(st->max_body > RABBIT_MAX_BODY ? st->max_body
									     : RABBIT_MAX_BODY));
	if (st->rabbit_user || st->rabbit_password) {
		p->rabbit_user = xstrdup_or_null(st->rabbit_user);
		p->rabbit_password = xstrdup_or_null(st->rabbit_password);
	} else {
		transport_url_credentials(st->transport_url, &p->rabbit_user, &p->rabbit_password);
	}
	p->n = st->nnodes;
	p->np = xcalloc(p->n ? p->n : 1, sizeof(*p->np));
	p->queue = xcalloc(p->n ? p->n : 1, sizeof(*p->queue));
	for (size_t i = 0; i < p->n; i++)
		p->np[i].index = i;
	return p;
}

void prober_keep_raw(struct prober *p, bool keep)
{
	if (p)
		p->keep_raw = keep;
}

void prober_free(struct prober *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		release_requests(p, &p->np[i]);
	for (size_t i = 0; i < p->nspare; i++)
		free_requests(p->spare[i]);
	free(p->spare);
	for (size_t i = 0; i < p->npool; i++)
		libcurl.easy_cleanup(p->pool[i]);
	free(p->pool);
	if (p->rabbit.easy) {
		libcurl.multi_remove_handle(p->multi, p->rabbit.easy);
		libcurl.easy_cleanup(p->rabbit.easy);
	}
	free(p->rabbit.url);
	libcurl.url_cleanup(p->rabbit.parsed);
	free(p->rabbit.head_error);
	sb_free(&p->rabbit.body);
	free(p->rabbit_user);
	free(p->rabbit_password);
	libcurl.multi_cleanup(p->multi);
	libcurl.slist_free_all(p->discovery_headers);
	libcurl.slist_free_all(p->headers);
	free(p->np);
	free(p->queue);
	free(p);
}

void prober_wait(struct prober *p, struct curl_waitfd *extra, unsigned nextra, int timeout_ms)
{
	libcurl.multi_poll(p->multi, extra, nextra, timeout_ms, NULL);
}

long prober_timeout_ms(struct prober *p)
{
	if (p->more)
		return 0;   /* prober_perform stopped with work left: at once */
	long t = -1;
	libcurl.multi_timeout(p->multi, &t);
	return t;
}

/* The options every request has; set once on a handle (and again after a
 * reset), not for each request. */
static void constant_opts(const struct prober *p, CURL *e)
{
	libcurl.easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	libcurl.easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	libcurl.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	libcurl.easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	libcurl.easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	libcurl.easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	libcurl.easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (p->st->ca_file)
		libcurl.easy_setopt(e, CURLOPT_CAINFO, p->st->ca_file);
}

static CURL *fresh_handle(const struct prober *p)
{
	CURL *e = libcurl.easy_init();
	if (e)
		constant_opts(p, e);
	return e;
}

/* Easy handles come from a pool and go back when their request ends, so
 * their number (and the buffers libcurl keeps in each) is bounded by
 * [probes] concurrency, whatever the size of the fleet. */
static CURL *pool_take(struct prober *p)
{
	if (p->npool)
		return p->pool[--p->npool];
	return fresh_handle(p);
}

/* Back to the pool with its constant options; what a request sets (its URL,
 * its buffers, its headers) is set again by the next one, and an idle
 * handle is never touched by libcurl.
 *
 * When a request is sent on a kept-alive connection that the server has
 * closed meanwhile, libcurl asks again on a new one, at most 5 times, and
 * then fails ("Connection died, tried 5 times before giving up"). libcurl
 * 7.88 counts those retries on the handle, and only curl_easy_reset sets
 * the count back: a handle used again and again would spend the 5 over
 * its whole life (a console running for days against servers that close
 * idle connections), and then fail a node that would have answered. A
 * retry makes a new connection, so a handle whose request made one is
 * reset: the count is of one request's retries, as libcurl means it. */
static void pool_put(struct prober *p, CURL *e)
{
	if (!e)
		return;
	long connects = 0;
	libcurl.easy_getinfo(e, CURLINFO_NUM_CONNECTS, &connects);
	if (connects > 0) {
		libcurl.easy_reset(e);
		constant_opts(p, e);
	} else {
		/* the parsed URL is the request's, which may be freed before
		 * the handle serves another */
		libcurl.easy_setopt(e, CURLOPT_CURLU, (CURLU *)NULL);
	}
	if (p->npool == p->cappool) {
		p->cappool = p->cappool ? 2 * p->cappool : 64;
		p->pool = xreallocarray(p->pool, p->cappool, sizeof(*p->pool));
	}
	p->pool[p->npool++] = e;
}

/* A node's requests end: their handles back to the pool, their buffers freed. */
static void release_requests(struct prober *p, struct node_probe *np)
{
	if (!np->req)
		return;
	for (int k = 0; k < RQ__COUNT; k++) {
		struct request *r = &np->req[k];
		if (r->easy) {
			libcurl.multi_remove_handle(p->multi, r->easy);
			pool_put(p, r->easy);
		}
		free(r->url);
		free(r->redirect_error);
		free(r->head_error);
		r->url = r->redirect_error = r->head_error = NULL;
		r->easy = NULL;
		/* a buffer grown by a large answer is not kept for the next */
		if (r->body.alloc > SPARE_BODY_MAX)
			sb_free(&r->body);
	}
	if (p->nspare < (size_t)p->st->concurrency) {
		if (!p->spare)
			p->spare = xcalloc((size_t)p->st->concurrency, sizeof(*p->spare));
		p->spare[p->nspare++] = np->req;
	} else {
		free_requests(np->req);
	}
	np->req = NULL;
}

/* r->url parsed as libcurl parses a URL string itself (7.88's url.c: the
 * same flags), for CURLOPT_CURLU; NULL when it does not parse, and libcurl
 * then parses the string and says why it fails, as it always did.
 *
 * Given the string alone, libcurl 7.88 parses it and writes it back out
 * with its own printf at every request: at 10,000 nodes under callgrind,
 * 53M of the 718M instructions libcurl alone took (bench/floor-curl.c),
 * the parse here included. Given both, it takes the parsed URL for the
 * request and keeps the string as "the URL" of the transfer (its effective
 * URL); given the parsed URL alone, a handle used again would keep the
 * first request's string there. The string is an http:// or https:// URL
 * (the settings and libcurl's own redirect target), so both name the same
 * thing. */
static CURLU *parsed_url(struct request *r)
{
	if (!r->parsed)
		r->parsed = libcurl.url();
	if (r->parsed && libcurl.url_set(r->parsed, CURLUPART_URL, r->url,
					 CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK)
		return r->parsed;
	return NULL;
}

static void setup_easy(struct prober *p, struct request *r, long timeout_ms)
{
	if (!r->easy) {
		r->easy = r->kind == RQ_RABBIT ? fresh_handle(p) : pool_take(p);
	} else {
		/* a redirect, or RabbitMQ's handle again */
		libcurl.easy_reset(r->easy);
		constant_opts(p, r->easy);
	}
	CURL *e = r->easy;
	libcurl.easy_setopt(e, CURLOPT_URL, r->url);
	libcurl.easy_setopt(e, CURLOPT_CURLU, parsed_url(r));
	libcurl.easy_setopt(e, CURLOPT_PRIVATE, r);
	libcurl.easy_setopt(e, CURLOPT_WRITEDATA, r);
	libcurl.easy_setopt(e, CURLOPT_HEADERDATA, r);
	libcurl.easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	libcurl.easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 1L);
	libcurl.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 1L);
	/* a Content-Length over the cap fails before the body is read */
	libcurl.easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->body.max);
	libcurl.easy_setopt(e, CURLOPT_HTTPHEADER,
			    r->kind == RQ_DISCOVERY ? p->discovery_headers : p->headers);
	if (r->kind == RQ_RABBIT) {
		libcurl.easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		libcurl.easy_setopt(e, CURLOPT_USERNAME, p->rabbit_user ? p->rabbit_user : "");
		libcurl.easy_setopt(e, CURLOPT_PASSWORD, p->rabbit_password ? p->rabbit_password : "");
	}
	r->errbuf[0] = '\0';
	sb_reset(&r->body);
	r->over_cap = false;
	r->done = false;
	r->result = CURLE_OK;
	r->status = 0;
	r->header_bytes = 0;
	r->head_seen = 0;
	r->clen_set = false;
	free(r->head_error);
	r->head_error = NULL;
	r->total_s = 0;
	libcurl.multi_add_handle(p->multi, e);
}

/* A new HTTP observation of n: nothing known yet but when it last answered. */
static void obs_begin(const struct node *n, struct node_obs *o)
{
	memset(o, 0, sizeof(*o));
	o->data_migrations_remaining = -1;
	o->probed = true;
	o->seen = n->from_http.seen;
	o->seen_wall = n->from_http.seen_wall;
}

/* n->from_http is its HTTP observation now: merged with its other sources,
 * its probe over. */
static void probe_over(struct prober *p, struct node *n)
{
	node_merge(n);
	n->in_flight = false;
	p->inflight--;
}

/* o is n's HTTP observation now (merged with its other sources); n's probe
 * is over. */
static void obs_end(struct prober *p, struct node *n, struct node_obs *o)
{
	node_obs_clear(&n->from_http);
	n->from_http = *o;
	probe_over(p, n);
}

/* A node whose whole timeout went by while it waited for a slot: down, not
 * asked, and why (every slot held by nodes that did not answer in time). */
static void expire_node(struct prober *p, struct snapshot *s, struct node_probe *np, long waited)
{
	struct node *n = &s->nodes[np->index];
	struct node_obs o;
	obs_begin(n, &o);
	o.state = NS_DOWN;
	o.error = xasprintf("not asked: its timeout (%g s) went by while it waited %.1f s for one of "
			    "the %ld connections of [probes] concurrency, all held by nodes that did "
			    "not answer sooner", n->conf->timeout, (double)waited / 1000.0,
			    p->st->concurrency);
	obs_end(p, n, &o);
}

static size_t admit(struct prober *p, struct snapshot *s)
{
	size_t admitted = 0;
	while (p->qlen && p->running < p->st->concurrency) {
		size_t idx = p->queue[p->qhead];
		p->qhead = (p->qhead + 1) % p->n;
		p->qlen--;
		struct node_probe *np = &p->np[idx];
		const struct node_conf *nc = s->nodes[idx].conf;
		clock_gettime(CLOCK_MONOTONIC, &np->started);
		/* a node's timeout runs from the moment the poll asked for it, so
		 * a poll of a dead or silent fleet costs its timeout once, not
		 * once per [probes] concurrency nodes */
		long waited = now_ms_since(&np->queued);
		np->timeout_ms = (long)(nc->timeout * 1000.0) - waited;
		if (np->timeout_ms <= 0) {
			expire_node(p, s, np, waited);
			continue;
		}
		admitted++;
		np->pending = 0;
		if (!np->req && p->nspare) {
			np->req = p->spare[--p->nspare];
			for (int k = 0; k < RQ__COUNT; k++)
				np->req[k].np = np;
		} else if (!np->req) {
			np->req = xcalloc(RQ__COUNT, sizeof(*np->req));
			for (int k = 0; k < RQ__COUNT; k++) {
				np->req[k].np = np;
				np->req[k].kind = (enum req_kind)k;
				sb_init(&np->req[k].body, (size_t)p->st->max_body);
			}
		}
		for (int k = 0; k < RQ__COUNT; k++) {
			struct request *r = &np->req[k];
			np->used[k] = asks(nc, (enum req_kind)k);
			if (!np->used[k])
				continue;
			free(r->url);
			free(r->redirect_error);
			r->redirect_error = NULL;
			r->redirects = 0;
			switch ((enum req_kind)k) {
			case RQ_DISCOVERY: r->url = join(nc->url, "/"); break;
			case RQ_BUILD: r->url = join(nc->url, "/?build"); break;
			case RQ_HEALTH: r->url = join(nc->url, "/healthcheck"); break;
			default: r->url = xstrdup(nc->report_url); break;
			}
			setup_easy(p, r, np->timeout_ms);
			np->pending++;
		}
		p->running++;
	}
	return admitted;
}

void prober_start_node(struct prober *p, struct snapshot *s, size_t i)
{
	struct node *n = &s->nodes[i];
	if (n->in_flight || (!n->conf->url && !n->conf->report_url))
		return;
	n->in_flight = true;
	p->inflight++;
	clock_gettime(CLOCK_MONOTONIC, &p->np[i].queued);
	p->queue[(p->qhead + p->qlen) % p->n] = i;
	p->qlen++;
	admit(p, s);
}

static void rabbit_start(struct prober *p, struct snapshot *s)
{
	if (!p->st->rabbit_url || p->rabbit_in_flight)
		return;
	free(p->rabbit.url);
	p->rabbit.url = join(p->st->rabbit_url, "/api/connections?columns=" RABBIT_COLUMNS);
	p->rabbit.redirects = 0;
	free(p->rabbit.redirect_error);
	p->rabbit.redirect_error = NULL;
	clock_gettime(CLOCK_MONOTONIC, &p->rabbit_started);
	setup_easy(p, &p->rabbit, (long)(p->st->probe_timeout * 1000.0));
	p->rabbit_in_flight = true;
}

long prober_node_requests(const struct node_conf *c)
{
	long n = 0;
	for (int k = 0; k < RQ__COUNT; k++)
		n += asks(c, (enum req_kind)k);
	return n;
}

void prober_start(struct prober *p, struct snapshot *s)
{
	for (size_t i = 0; i < s->nnodes; i++)
		prober_start_node(p, s, i);
	rabbit_start(p, s);
}

long prober_start_within(struct prober *p, struct snapshot *s, long max_requests)
{
	long all = 0;
	for (size_t i = 0; i < s->nnodes; i++)
		all += prober_node_requests(s->nodes[i].conf);
	if (max_requests <= 0 || all <= max_requests || !s->nnodes) {
		prober_start(p, s);
		return all;
	}
	/* a node never asked yet is asked now, whatever the budget (the
	 * console's first look is the whole fleet); then the others in turn
	 * from where the last call stopped, the node that would pass the
	 * budget the first of the next (one node at least) */
	long used = 0;
	for (size_t i = 0; i < s->nnodes; i++) {
		const struct node *n = &s->nodes[i];
		long r = prober_node_requests(n->conf);
		if (r && !n->from_http.probed && !n->in_flight) {
			prober_start_node(p, s, i);
			used += r;
		}
	}
	size_t k = 0, i = p->turn % s->nnodes;
	for (; k < s->nnodes && used < max_requests; k++, i = (i + 1) % s->nnodes) {
		const struct node *n = &s->nodes[i];
		long r = prober_node_requests(n->conf);
		if (!r || n->in_flight)
			continue;
		if (used && used + r > max_requests)
			break;
		prober_start_node(p, s, i);
		used += r;
	}
	p->turn = i;
	rabbit_start(p, s);
	return all;
}

bool prober_busy(const struct prober *p)
{
	return p->rabbit_in_flight;
}

/* scheme://host:port of a URL, lower-cased by libcurl; NULL if unparsable */
static char *origin(const char *url)
{
	CURLU *u = libcurl.url();
	char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
	if (u && libcurl.url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    libcurl.url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    libcurl.url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    libcurl.url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
		out = xasprintf("%s://%s:%s", scheme, host, port);
	libcurl.free(scheme);
	libcurl.free(host);
	libcurl.free(port);
	libcurl.url_cleanup(u);
	return out;
}

/* A 3xx with Location: follow it when it stays on the same origin. Returns
 * true when the request was re-issued. */
static bool maybe_redirect(struct prober *p, struct request *r)
{
	if (r->result != CURLE_OK || r->status < 301 || r->status > 308 || r->status == 304 ||
	    r->status == 305 || r->status == 306)
		return false;
	char *target = NULL;
	libcurl.easy_getinfo(r->easy, CURLINFO_REDIRECT_URL, &target);
	if (!target)
		return false;
	char *from = origin(r->url), *to = origin(target);
	bool same = from && to && strcmp(from, to) == 0;
	free(from);
	free(to);
	if (!same) {
		r->redirect_error = xasprintf("redirected to another host (%s): not followed", target);
		return false;
	}
	if (r->redirects >= MAX_REDIRECTS) {
		r->redirect_error = xasprintf("more than %d redirects", MAX_REDIRECTS);
		return false;
	}
	long left = r->np ? r->np->timeout_ms - now_ms_since(&r->np->started)
			  : (long)(p->st->probe_timeout * 1000.0) - now_ms_since(&p->rabbit_started);
	if (left <= 0)
		return false;
	char *next = xstrdup(target);
	free(r->url);
	r->url = next;
	r->redirects++;
	setup_easy(p, r, left);
	return true;
}

/* No answer (down): the connection could not be made, nothing came back in
 * time, or it broke before a byte of an answer came. Anything else that went
 * wrong is an answer gone wrong (error): curl reports a bad chunk size and
 * headers without end as receive errors too (CURLE_RECV_ERROR), after the
 * status line, so a receive error counts as no answer only when no header
 * had arrived; TLS on an http:// URL is an answer that is no HTTP. */
static bool is_no_answer(const struct request *r)
{
	switch (r->result) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
		return true;
	case CURLE_RECV_ERROR:
		return r->status == 0 && r->header_bytes == 0;
	default:
		return false;
	}
}

struct outcome {
	enum node_state state;
	struct strbuf err;
	bool https_hint;          /* the hint below is given, once a node */
};

static void note(struct outcome *oc, enum node_state st, const char *fmt, ...) BS_PRINTF(3, 4);
static void note(struct outcome *oc, enum node_state st, const char *fmt, ...)
{
	oc->state = node_state_worse(oc->state, st);
	if (oc->err.len)
		sb_addstr(&oc->err, "; ");
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	sb_addstr(&oc->err, m);
	free(m);
}

/* Common failure handling; returns true when the request produced a usable
 * HTTP answer (any status). */
static bool answered(const struct prober *p, struct request *r, struct outcome *oc)
{
	const char *label = r->kind == RQ_REPORT ? "GET report" : req_label[r->kind];
	if (r->head_error) {
		note(oc, NS_ERROR, "%s: %s", label, r->head_error);
		return false;
	}
	if (r->over_cap || r->result == CURLE_FILESIZE_EXCEEDED) {
		note(oc, NS_ERROR, "%s: body larger than %ld bytes ([probes] max_body)", label,
		     p->st->max_body);
		return false;
	}
	if (r->result != CURLE_OK) {
		const char *msg = r->errbuf[0] ? r->errbuf : libcurl.easy_strerror(r->result);
		/* connected, asked, and the connection ended without a byte:
		 * no answer, but what a TLS server does with a plain request */
		bool hint = !oc->https_hint && r->status == 0 && r->header_bytes == 0 &&
			    (r->result == CURLE_GOT_NOTHING || r->result == CURLE_RECV_ERROR) &&
			    r->url && strncasecmp(r->url, "http://", 7) == 0;
		note(oc, is_no_answer(r) ? NS_DOWN : NS_ERROR, "%s: %s%s", label, msg,
		     hint ? " (a TLS server does this to a plain http:// request: "
			    "should the URL be https://?)" : "");
		oc->https_hint = oc->https_hint || hint;
		return false;
	}
	if (r->redirect_error) {
		note(oc, NS_ERROR, "%s: %s", label, r->redirect_error);
		return false;
	}
	return true;
}

static char *keep_raw(const struct strbuf *b)
{
	size_t n = b->len < RAW_KEEP ? b->len : RAW_KEEP;
	return xstrndup(sb_str(b), n);
}

/* A node asked only for its version report that answers 200 with the very
 * bytes it answered last time has the same observation, seen again: the
 * console polling a steady fleet parses nothing twice. Anything else (an
 * API node, another status, a failed transfer) is observed afresh. Returns
 * true when n->from_http was renewed so. */
static bool same_report(struct prober *p, struct node *n, struct node_probe *np,
			double latency)
{
	const struct node_conf *nc = n->conf;
	if (nc->url || !nc->report_url)
		return false;
	const struct request *r = &np->req[RQ_REPORT];
	bool ok = r->result == CURLE_OK && !r->head_error && !r->over_cap && !r->redirect_error &&
		  r->status == 200;
	uint64_t h = ok ? strmap_hash(sb_str(&r->body), r->body.len) : 0;
	bool same = ok && np->last_report_kept && n->from_http.probed &&
		    np->last_report_len == r->body.len && np->last_report_hash == h;
	np->last_report_kept = ok;
	np->last_report_hash = h;
	np->last_report_len = r->body.len;
	if (!same)
		return false;
	n->from_http.latency_ms = latency;
	clock_gettime(CLOCK_MONOTONIC, &n->from_http.seen);
	n->from_http.seen_wall = time(NULL);
	probe_over(p, n);
	return true;
}

static void finish_node(struct prober *p, struct snapshot *s, struct node_probe *np)
{
	struct node *n = &s->nodes[np->index];
	const struct node_conf *nc = n->conf;
	struct node_obs o;
	obs_begin(n, &o);
	bool any_answer = false;
	double latency = 0;
	struct outcome oc = { NS_UP, STRBUF_INIT, false };
	char *why = NULL;

	for (int k = 0; k < RQ__COUNT; k++) {
		struct request *r = &np->req[k];
		if (np->used[k] && r->status > 0) {
			any_answer = true;
			if (r->total_s * 1000.0 > latency)
				latency = r->total_s * 1000.0;
		}
	}
	if (same_report(p, n, np, latency)) {
		release_requests(p, np);
		return;
	}

	if (nc->url) {
		struct request *d = &np->req[RQ_DISCOVERY], *b = &np->req[RQ_BUILD],
			       *h = &np->req[RQ_HEALTH];
		if (answered(p, d, &oc)) {
			o.raw_discovery = p->keep_raw ? keep_raw(&d->body) : NULL;
			if (d->status != 300 && d->status != 200)
				note(&oc, NS_ERROR, "GET /: HTTP %ld", d->status);
			else if (!parse_discovery(sb_str(&d->body), d->body.len, &o.api_min, &o.api_max, &why))
				note(&oc, NS_ERROR, "GET /: %s", why);
		}
		free(why), why = NULL;
		if (answered(p, b, &oc)) {
			if (b->status != 200)
				note(&oc, NS_ERROR, "GET /?build: HTTP %ld", b->status);
			else if (!parse_build(sb_str(&b->body), b->body.len, &o.build_release, &why))
				note(&oc, NS_ERROR, "GET /?build: %s", why);
		}
		free(why), why = NULL;
		if (answered(p, h, &oc)) {
			o.health_status = (int)h->status;
			if (h->status == 503 && strstr(sb_str(&h->body), "DISABLED BY FILE"))
				note(&oc, NS_DRAINED, "healthcheck: DISABLED BY FILE (drained)");
			else if (h->status != 200 && h->status != 404)
				note(&oc, NS_ERROR, "GET /healthcheck: HTTP %ld", h->status);
			/* 404: no healthcheck in the pipeline (before 12.0.0): says nothing */
		}
	}
	if (nc->report_url) {
		struct request *r = &np->req[RQ_REPORT];
		if (answered(p, r, &oc)) {
			o.raw_report = p->keep_raw ? keep_raw(&r->body) : NULL;
			if (r->status != 200) {
				note(&oc, NS_ERROR, "GET report: HTTP %ld", r->status);
			} else {
				struct node_obs tmp;
				memset(&tmp, 0, sizeof(tmp));
				tmp.data_migrations_remaining = -1;
				if (parse_report(sb_str(&r->body), r->body.len, nc->service, &tmp, &why)) {
					if (tmp.state == NS_DRAINED || tmp.state == NS_DOWN)
						note(&oc, tmp.state, "report: %s", tmp.report_state);
					/* move the report's fields over */
					o.report_release = tmp.report_release;
					o.report_state = tmp.report_state;
					o.rpc_version = tmp.rpc_version;
					o.rpc_cap = tmp.rpc_cap;
					o.rpc_src = tmp.rpc_src;
					o.objects = tmp.objects;
					o.nobjects = tmp.nobjects;
					o.objects_src = tmp.objects_src;
					o.started_at = tmp.started_at;
					o.report_host = tmp.report_host;
					o.data_migrations_remaining = tmp.data_migrations_remaining;
					o.restart_needed = tmp.restart_needed;
					o.report_pids = tmp.report_pids;
					o.nreport_pids = tmp.nreport_pids;
				} else {
					note(&oc, NS_ERROR, "%s", why);
					node_obs_clear(&tmp);
				}
				free(why), why = NULL;
			}
		}
	}

	o.state = oc.state;
	/* drained is a state, not an error: keep its reason out of error text
	 * unless something is really wrong */
	if (oc.state == NS_ERROR || oc.state == NS_DOWN)
		o.error = sb_detach(&oc.err);
	sb_free(&oc.err);

	if (o.report_release) {
		o.release = xstrdup(o.report_release);
		o.release_src = SRC_REPORT;
	} else if (o.build_release) {
		o.release = xstrdup(o.build_release);
		o.release_src = SRC_BUILD;
	}
	o.release_conflict = o.report_release && o.build_release &&
			     strcmp(o.report_release, o.build_release) != 0;
	o.latency_ms = latency;
	if (any_answer) {
		clock_gettime(CLOCK_MONOTONIC, &o.seen);
		o.seen_wall = time(NULL);
	}

	obs_end(p, n, &o);
	release_requests(p, np);
}

static void rabbit_finish(struct prober *p, struct snapshot *s)
{
	struct request *r = &p->rabbit;
	struct rabbit_obs *ro = &s->rabbit;
	rabbit_obs_clear(ro);
	ro->configured = true;
	ro->probed = true;
	ro->latency_ms = (double)now_ms_since(&p->rabbit_started);
	char *why = NULL;
	if (r->head_error) {
		ro->error = xasprintf("GET /api/connections: %s", r->head_error);
	} else if (r->over_cap || r->result == CURLE_FILESIZE_EXCEEDED) {
		ro->error = xasprintf("GET /api/connections: more than %zu bytes", r->body.max);
	} else if (r->result != CURLE_OK) {
		ro->error = xasprintf("GET /api/connections: %s",
				      r->errbuf[0] ? r->errbuf : libcurl.easy_strerror(r->result));
	} else if (r->redirect_error) {
		ro->error = xasprintf("GET /api/connections: %s", r->redirect_error);
	} else if (r->status == 401) {
		ro->error = xstrdup("GET /api/connections: HTTP 401: the credentials were refused "
				    "([rabbitmq] username and password, or transport_url's)");
	} else if (r->status != 200) {
		ro->error = xasprintf("GET /api/connections: HTTP %ld", r->status);
	} else if (!parse_rabbit_connections(sb_str(&r->body), r->body.len, ro, &why)) {
		ro->error = why;
		why = NULL;
	}
	free(why);
	rabbit_resolve_hosts(s);
	snapshot_apply_rabbit(s);
	p->rabbit_in_flight = false;
}

/* Handle every transfer that ended; returns how many. */
static size_t drain(struct prober *p, struct snapshot *s)
{
	size_t n = 0;
	CURLMsg *msg;
	int left;
	while ((msg = libcurl.multi_info_read(p->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		n++;
		struct request *r = NULL;
		libcurl.easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		r->result = msg->data.result;
		libcurl.easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
		libcurl.easy_getinfo(r->easy, CURLINFO_HEADER_SIZE, &r->header_bytes);
		libcurl.easy_getinfo(r->easy, CURLINFO_TOTAL_TIME, &r->total_s);
		libcurl.multi_remove_handle(p->multi, r->easy);
		if (maybe_redirect(p, r))
			continue;
		r->done = true;
		if (r->kind != RQ_RABBIT) {
			/* its handle serves the next node at once */
			pool_put(p, r->easy);
			r->easy = NULL;
		}
		if (r->kind == RQ_RABBIT) {
			rabbit_finish(p, s);
			continue;
		}
		struct node_probe *np = r->np;
		if (--np->pending == 0) {
			finish_node(p, s, np);
			p->running--;
		}
	}
	return n;
}

int prober_perform(struct prober *p, struct snapshot *s)
{
	/* Perform, handle what ended, admit the nodes waiting for a slot, and
	 * again while that changes anything: a transfer that ends within the
	 * same perform (a fast node on a kept-alive connection) is handled now,
	 * not after the caller's wait, which has no socket left to wake it */
	p->more = true;
	for (int round = 0; round < 64; round++) {
		int still;
		libcurl.multi_perform(p->multi, &still);
		size_t done = drain(p, s);
		size_t admitted = admit(p, s);
		if (!done && !admitted) {
			p->more = false;
			break;
		}
	}
	return (int)p->inflight;
}

void prober_fail_all(struct snapshot *s, const char *why)
{
	for (size_t i = 0; i < s->nnodes; i++) {
		struct node *n = &s->nodes[i];
		if (!n->conf->url && !n->conf->report_url)
			continue;
		struct node_obs o;
		obs_begin(n, &o);
		o.state = NS_ERROR;
		o.error = xasprintf("not asked: %s", why);
		node_obs_clear(&n->from_http);
		n->from_http = o;
		node_merge(n);
	}
	if (s->settings->rabbit_url) {
		rabbit_obs_clear(&s->rabbit);
		s->rabbit.configured = true;
		s->rabbit.probed = true;
		s->rabbit.error = xasprintf("GET /api/connections: not asked: %s", why);
		snapshot_apply_rabbit(s);
	}
}

void prober_library_close(void)
{
	libcurl_close();
}
