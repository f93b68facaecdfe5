/* sim.h: bs-nodesim, a fleet of simulated Barbican service nodes in one
 * process (see README.md beside this file).
 *
 *   fleet.c     the node model: fleet file, defaults derived from the
 *               release, merges from the control endpoint, version reports
 *   http.c      HTTP/1.1 request parsing, Accept negotiation, responses, and
 *               the Python/webob formatting the real API's bodies need
 *   barbican.c  what a node answers: barbican-api's /, /?build,
 *               /healthcheck, the version report, and the faults
 *   control.c   the control endpoint and the upgrade sequence
 *   server.c    the single-threaded poll(2) loop: listeners, connections,
 *               timers
 *   ctl.c       `bs-nodesim ctl`, the client of the control endpoint
 *   nodesim.c   main: options, ports file, pidfile, signals
 *
 * Everything listens on 127.0.0.1 only. */
#ifndef BS_SIM_H
#define BS_SIM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"
#include "core/version.h"

#define SIM_PROG "bs-nodesim"

/* Request line and headers together; more gets 431. */
#define SIM_MAX_HEAD (16 * 1024)
/* Largest request body read (control endpoint); more gets 413. */
#define SIM_MAX_BODY (1024 * 1024)

/* ---- fleet.c ---- */

enum node_kind {
	KIND_NONE = 0,     /* a process with nothing to ask: listens on no port */
	KIND_API = 1,      /* barbican-api: /, /?build, /healthcheck */
	KIND_REPORT = 2,   /* a version report at report_path */
};

enum upgrade_phase {
	UPG_NONE,          /* never upgraded through the control endpoint */
	UPG_DRAINING,
	UPG_DOWN,
	UPG_UP,
	UPG_FAILED,        /* could not listen on its port again */
};

struct node {
	char *name;
	int port;              /* the bound port (chosen by the kernel for 0);
	                        * 0 for kind "none" */
	json_t *desc;          /* the node as described and merged; owned */
	int fd;                /* socket bound to the port, -1 if none */
	bool listening;        /* fd is listening (else bound only: refused) */
	int64_t started_at;    /* unix time the node (re)started */
	unsigned long requests;

	enum upgrade_phase phase;
	int64_t phase_deadline;   /* monotonic ms of the next phase */
	int64_t retry_until;      /* UPG_DOWN: give up listening again after */
	json_t *upgrade;          /* the upgrade request being carried out */
	char *upgrade_from;       /* release before it */
};

struct fleet {
	struct node *nodes;
	size_t n;
};

/* Load a fleet file. On error returns -1 with *err set (caller frees). */
int fleet_load(struct fleet *f, const char *path, char **err);
void fleet_free(struct fleet *f);
struct node *fleet_find(struct fleet *f, const char *name);

/* Check one node description; NULL when valid, else a message (caller
 * frees). */
char *node_check(const json_t *desc);

/* Effective values (stored value, else derived from the release). */
const char *node_release(const struct node *n);
/* KIND_NONE, or KIND_API and/or KIND_REPORT. */
unsigned node_kind(const struct node *n);
/* The same for a description (valid or not). */
unsigned desc_kind(const json_t *desc);
int node_health(const struct node *n);
/* False when the node has no microversions (releases before 15.0.0). */
bool node_api_versions(const struct node *n, struct apiver *min, struct apiver *max);
const char *node_report_path(const struct node *n);
bool node_content_length(const struct node *n);
/* The fault object for a route key ("/", "/?build", ...), else the one for
 * "*", else NULL. Borrowed. */
const json_t *node_fault(const struct node *n, const char *route);
/* faults["*"].refuse: the port is not listened on. */
bool node_refuses(const struct node *n);

/* The version report (new reference). */
json_t *node_report(const struct node *n);
/* The node as the control endpoint shows it (new reference). */
json_t *node_to_json(const struct node *n);

/* ---- http.c ---- */

struct http_req {
	char *method;
	char *target;          /* as sent */
	char *path;            /* target up to '?', not decoded */
	char *query;           /* after '?', NULL if none */
	int minor;             /* HTTP/1.minor */
	char *host;            /* NULL if absent; header values are UTF-8 */
	char *accept;          /* NULL if absent */
	char *api_version;     /* OpenStack-API-Version, folded with ',' */
	long content_length;   /* -1 if absent */
	bool chunked;
	bool expect_continue;  /* Expect: 100-continue */
	size_t head_len;       /* request line and headers, with the blank line */
};

/* Parse a request head from buf (len bytes). Returns 1 when complete (req
 * filled, to be freed with http_req_free), 0 when more is needed, -1 for a
 * malformed request, -2 when the head exceeds SIM_MAX_HEAD. */
int http_parse(const char *buf, size_t len, struct http_req *req);
void http_req_free(struct http_req *req);
/* True when the query has a parameter named name ("build" in "?build"). */
bool http_query_has(const char *query, const char *name);

/* What a connection does with a response. */
enum resp_action {
	RESP_SEND,
	RESP_HANG,             /* never answer; keep the socket until the client goes */
	RESP_CLOSE,            /* close without sending anything */
};

struct response {
	int status;
	struct strbuf headers;    /* "Name: value\r\n" lines, without Connection */
	struct strbuf body;
	size_t pad;               /* bytes of 'x' sent after body */
	struct strbuf tail;       /* sent after the padding */
	bool head_only;           /* HEAD: headers only */
	bool content_length;      /* send Content-Length */
	enum resp_action action;
	unsigned slow_ms;         /* wait before answering */
	unsigned drip_ms;         /* send the body one byte every drip_ms */
};

void resp_init(struct response *r, int status);
void resp_free(struct response *r);
void resp_header(struct response *r, const char *name, const char *value);
size_t resp_body_len(const struct response *r);
/* Status line and headers, ending with the blank line. */
void resp_head(const struct response *r, int minor, struct strbuf *out);
const char *http_reason(int status);

/* Content negotiation as webob's acceptable_offers() does it: the index in
 * offers[] of the best match for an Accept value, -1 when none is
 * acceptable. An absent header (NULL) matches everything when
 * absent_matches_all (else nothing); an invalid one matches everything. */
int accept_best(const char *accept, const char *const *offers, size_t n, bool absent_matches_all);

/* Strings are UTF-8 (header values are decoded as latin-1, as WSGI does).
 * Python's json.dumps() of a string (ensure_ascii; an invalid byte as
 * \ufffd). */
void py_json_str(struct strbuf *sb, const char *s);
/* Python's repr() of a str. */
void py_repr(struct strbuf *sb, const char *s);
/* webob.util.html_escape(): html.escape(s, quote=True), non-ASCII as &#N; */
void html_escape(struct strbuf *sb, const char *s);

/* A webob.exc HTTP exception. */
struct webob_exc {
	int code;
	const char *detail;      /* NULL: none */
	const char *method;      /* the request's, for 405's template */
	const char *accept;      /* the request's Accept (NULL: absent): format, 406's template */
	const char *location;    /* 3xx */
};

/* The page webob's generate_response() makes for e: appends the body to out
 * and returns its Content-Type. fmt: 0 HTML, 1 JSON, 2 text, -1 as e->accept
 * selects. */
const char *webob_page(struct strbuf *out, const struct webob_exc *e, int fmt);
/* Status, Content-Type and body of r from e. */
void webob_error(struct response *r, const struct webob_exc *e);

/* webob's deprecated Accept.best_match() over offers, which pecan apps
 * still use: the index of the best offer, -1 for none, -2 when the header
 * is absent or invalid (a false Accept object). */
int accept_best_match_old(const char *accept, const char *const *offers, size_t n);

/* ---- barbican.c ---- */

/* What node n answers to req (the faults included). */
void node_respond(struct node *n, const struct http_req *req, struct response *r);

/* ---- control.c ---- */

struct server;
void control_respond(struct server *s, const struct http_req *req, const char *body, size_t body_len, struct response *r);
/* Advance node upgrades whose time has come. */
void control_tick(struct server *s, int64_t now);

/* ---- server.c ---- */

struct server_opts {
	int control_port;
	bool verbose;
};

struct server *server_new(struct fleet *f, const struct server_opts *o, char **err);
void server_free(struct server *s);
struct fleet *server_fleet(struct server *s);
int server_control_port(const struct server *s);
/* Run until *stop becomes nonzero (set from a signal handler; SIGINT and
 * SIGTERM must be blocked by the caller: they are let through only while
 * waiting). */
int server_run(struct server *s, volatile int *stop);

/* Make a node listen (or stop listening) as its state says; closing drops
 * its connections too when drop_conns. Returns 0, or -1 if it could not
 * listen. */
int server_node_sync(struct server *s, struct node *n, bool drop_conns);
int64_t mono_ms(void);

/* ---- ctl.c ---- */

int ctl_main(int argc, char **argv);

#endif
