/* server.c: the single-threaded event loop of bs-nodesim.
 *
 * One ppoll(2) waits on every listening socket (one per node, plus the
 * control endpoint), every connection, and the nearest timer (slow answers,
 * dripped bytes, idle and linger timeouts, upgrade phases). Nothing blocks:
 * a hanging or slow node never delays another one.
 *
 * A connection reads one request, answers it, and closes (as uwsgi does
 * with Debian's configuration): after the last byte it shuts down its
 * sending side and reads until the client closes (or a short timeout), so
 * that unread request bytes never turn the close into a reset that would
 * destroy the response. */
#include "sim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/sanitize.h"
#include "core/xalloc.h"

#define READ_TIMEOUT_MS 30000    /* to receive a whole request */
#define STALL_TIMEOUT_MS 60000   /* a client that stops reading */
#define LINGER_MS 2000           /* to see the client close after the response */
#define ACCEPT_PAUSE_MS 100      /* after running out of descriptors */
#define ACCEPT_BURST 64

enum conn_state {
	C_READ,
	C_WAIT,      /* slow_ms: answer at the deadline */
	C_WRITE,
	C_HANG,      /* never answer */
	C_LINGER,
	C_DEAD,
};

struct conn {
	int fd;
	struct node *node;         /* NULL: the control endpoint */
	enum conn_state st;
	int64_t deadline;          /* 0: none */
	struct strbuf in;
	struct http_req req;
	bool have_req;
	struct response resp;
	bool have_resp;
	struct strbuf out;         /* status line, headers, and the body unless dripped */
	size_t out_off;
	size_t body_off;           /* of the part of the body not in out */
	size_t body_total;
	bool drip_wait;            /* C_WRITE: the deadline is the next byte */
};

enum ref_kind { REF_CONTROL, REF_NODE, REF_CONN };

struct ref {
	enum ref_kind kind;
	void *ptr;
	int fd;
};

struct server {
	struct fleet *fleet;
	bool verbose;
	int control_fd;
	int control_port;
	struct conn **conns;
	size_t nconns, conns_cap;
	struct pollfd *pfds;
	struct ref *refs;
	size_t pcap;
	int64_t accept_pause_until;
};

int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A TCP socket bound to 127.0.0.1:port, not listening: connections to it
 * are refused, and the port stays ours. -1 with errno on failure. */
static int bind_loopback(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int bound_port(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	return ntohs(sa.sin_port);
}

static void conn_close(struct conn *c)
{
	if (c->st == C_DEAD)
		return;
	close(c->fd);
	c->fd = -1;
	c->st = C_DEAD;
}

static void conn_free(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	sb_free(&c->in);
	sb_free(&c->out);
	if (c->have_req)
		http_req_free(&c->req);
	if (c->have_resp)
		resp_free(&c->resp);
	free(c);
}

static void reap(struct server *s)
{
	size_t j = 0;
	for (size_t i = 0; i < s->nconns; i++) {
		if (s->conns[i]->st == C_DEAD)
			conn_free(s->conns[i]);
		else
			s->conns[j++] = s->conns[i];
	}
	s->nconns = j;
}

int server_node_sync(struct server *s, struct node *n, bool drop_conns)
{
	if (node_kind(n) == KIND_NONE)
		return 0; /* nothing to listen on, ever */
	bool want = !node_refuses(n) && n->phase != UPG_DOWN && n->phase != UPG_FAILED;
	if (want && !n->listening) {
		if (n->fd < 0 && (n->fd = bind_loopback(n->port)) < 0)
			return -1;
		if (listen(n->fd, SOMAXCONN) < 0)
			return -1;
		n->listening = true;
	} else if (!want && n->listening) {
		/* pending connections are reset; the port stays reserved */
		close(n->fd);
		n->listening = false;
		n->fd = bind_loopback(n->port);
		if (drop_conns) {
			for (size_t i = 0; i < s->nconns; i++) {
				if (s->conns[i]->node == n)
					conn_close(s->conns[i]);
			}
		}
	}
	return 0;
}

struct server *server_new(struct fleet *f, const struct server_opts *o, char **err)
{
	struct server *s = xcalloc(1, sizeof(*s));
	s->fleet = f;
	s->verbose = o->verbose;
	s->control_fd = bind_loopback(o->control_port);
	if (s->control_fd < 0 || listen(s->control_fd, SOMAXCONN) < 0) {
		*err = xasprintf("cannot listen on 127.0.0.1:%d (control): %s", o->control_port, strerror(errno));
		server_free(s);
		return NULL;
	}
	s->control_port = bound_port(s->control_fd);
	for (size_t i = 0; i < f->n; i++) {
		struct node *n = &f->nodes[i];
		if (node_kind(n) == KIND_NONE) {
			/* a process with nothing to ask: no port at all */
			n->fd = -1;
			n->port = 0;
			json_object_del(n->desc, "port");
			continue;
		}
		n->fd = bind_loopback(n->port);
		if (n->fd < 0) {
			*err = xasprintf("node %s: cannot bind 127.0.0.1:%d: %s", n->name, n->port, strerror(errno));
			server_free(s);
			return NULL;
		}
		n->port = bound_port(n->fd);
		json_object_set_new(n->desc, "port", json_integer(n->port));
		if (server_node_sync(s, n, false) < 0) {
			*err = xasprintf("node %s: cannot listen on 127.0.0.1:%d: %s", n->name, n->port, strerror(errno));
			server_free(s);
			return NULL;
		}
	}
	return s;
}

void server_free(struct server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nconns; i++)
		conn_free(s->conns[i]);
	free(s->conns);
	for (size_t i = 0; i < s->fleet->n; i++) {
		struct node *n = &s->fleet->nodes[i];
		if (n->fd >= 0)
			close(n->fd);
		n->fd = -1;
		n->listening = false;
	}
	if (s->control_fd >= 0)
		close(s->control_fd);
	free(s->pfds);
	free(s->refs);
	free(s);
}

struct fleet *server_fleet(struct server *s)
{
	return s->fleet;
}

int server_control_port(const struct server *s)
{
	return s->control_port;
}

static void conn_new(struct server *s, int fd, struct node *n, int64_t now)
{
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct conn *c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->node = n;
	c->st = C_READ;
	c->deadline = now + READ_TIMEOUT_MS;
	sb_init(&c->in, SIM_MAX_HEAD + SIM_MAX_BODY + 4096);
	sb_init(&c->out, 0);
	xgrow(&s->conns, &s->conns_cap, s->nconns + 1, sizeof(*s->conns));
	s->conns[s->nconns++] = c;
}

static void do_accept(struct server *s, int lfd, struct node *n, int64_t now)
{
	for (int i = 0; i < ACCEPT_BURST; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				s->accept_pause_until = now + ACCEPT_PAUSE_MS;
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			return;
		}
		conn_new(s, fd, n, now);
	}
}

static void log_request(struct server *s, struct conn *c)
{
	if (!s->verbose)
		return;
	const char *what = c->resp.action == RESP_HANG ? " (hang)"
		: c->resp.action == RESP_CLOSE ? " (close)" : "";
	/* the request line came from the network: no escapes to the terminal */
	char *method = sanitize_term(c->have_req ? c->req.method : "-", false);
	char *target = sanitize_term(c->have_req ? c->req.target : "-", false);
	fprintf(stderr, SIM_PROG ": %s:%d \"%s %s HTTP/1.%d\" %d %zu%s\n",
		c->node ? c->node->name : "control",
		c->node ? c->node->port : s->control_port,
		method, target, c->have_req ? c->req.minor : 1, c->resp.status,
		c->resp.head_only ? 0 : resp_body_len(&c->resp), what);
	free(method);
	free(target);
}

static void conn_write(struct conn *c, int64_t now);

/* Answer with c->resp (already filled). */
static void conn_answer(struct server *s, struct conn *c, int64_t now)
{
	c->have_resp = true;
	log_request(s, c);
	struct response *r = &c->resp;
	if (r->action == RESP_CLOSE) {
		conn_close(c);
		return;
	}
	if (r->action == RESP_HANG) {
		c->st = C_HANG;
		c->deadline = 0;
		return;
	}
	resp_head(r, c->have_req ? c->req.minor : 1, &c->out);
	c->body_off = 0;
	c->body_total = 0;
	if (!r->head_only) {
		if (r->drip_ms) {
			c->body_total = resp_body_len(r);
		} else {
			/* one segment for the small part: no Nagle delay between them */
			sb_add(&c->out, r->body.buf ? r->body.buf : "", r->body.len);
			c->body_total = r->pad + r->tail.len;
		}
	}
	if (r->slow_ms) {
		c->st = C_WAIT;
		c->deadline = now + r->slow_ms;
		return;
	}
	c->st = C_WRITE;
	c->deadline = now + STALL_TIMEOUT_MS;
	conn_write(c, now);
}

static void conn_simple(struct server *s, struct conn *c, int status, const char *text, int64_t now)
{
	resp_init(&c->resp, status);
	resp_header(&c->resp, "Content-Type", "text/plain; charset=UTF-8");
	sb_addf(&c->resp.body, "%d %s\n\n%s\n", status, http_reason(status), text);
	c->resp.content_length = !c->node || node_content_length(c->node);
	conn_answer(s, c, now);
}

static void conn_dispatch(struct server *s, struct conn *c, int64_t now)
{
	if (c->node) {
		node_respond(c->node, &c->req, &c->resp);
	} else {
		size_t blen = c->req.content_length > 0 ? (size_t)c->req.content_length : 0;
		control_respond(s, &c->req, c->in.buf + c->req.head_len, blen, &c->resp);
	}
	conn_answer(s, c, now);
}

static void conn_got_data(struct server *s, struct conn *c, int64_t now)
{
	if (!c->have_req) {
		int rc = http_parse(c->in.buf, c->in.len, &c->req);
		if (rc == 0)
			return;
		if (rc == -2) {
			conn_simple(s, c, 431, "The request line and headers are over 16 KiB.", now);
			return;
		}
		if (rc < 0) {
			conn_simple(s, c, 400, "The request is malformed.", now);
			return;
		}
		c->have_req = true;
		if (!c->node && c->req.chunked) {
			conn_simple(s, c, 411, "Send the body with a Content-Length.", now);
			return;
		}
		if (!c->node && c->req.content_length > SIM_MAX_BODY) {
			conn_simple(s, c, 413, "The body is over 1 MiB.", now);
			return;
		}
	}
	size_t need = c->req.head_len;
	if (c->req.content_length > 0 && c->req.content_length <= SIM_MAX_BODY)
		need += (size_t)c->req.content_length;
	if (c->in.len >= need) {
		conn_dispatch(s, c, now);
	} else if (c->req.expect_continue) {
		/* best effort: the client sends the body anyway after a while */
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		c->req.expect_continue = false;
		if (send(c->fd, cont, sizeof(cont) - 1, MSG_NOSIGNAL) < 0 && errno != EAGAIN)
			conn_close(c);
	}
}

static void conn_read(struct server *s, struct conn *c, int64_t now)
{
	char buf[16384];
	for (;;) {
		ssize_t n = read(c->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* the client went away (or reset) */
			conn_close(c);
			return;
		}
		if (c->st != C_READ)
			continue; /* hang, linger: discard */
		if (sb_add(&c->in, buf, (size_t)n) < 0) {
			conn_simple(s, c, c->have_req ? 413 : 431, "The request is too large.", now);
			return;
		}
		conn_got_data(s, c, now);
		if (c->st != C_READ)
			return;
	}
}

static void conn_finish(struct conn *c, int64_t now)
{
	shutdown(c->fd, SHUT_WR);
	c->st = C_LINGER;
	c->deadline = now + LINGER_MS;
}

static void conn_write(struct conn *c, int64_t now)
{
	static char xs[16384];
	if (!xs[0])
		memset(xs, 'x', sizeof(xs));
	const struct response *r = &c->resp;
	c->drip_wait = false;
	for (;;) {
		const char *p;
		size_t len;
		bool body = false;
		if (c->out_off < c->out.len) {
			p = c->out.buf + c->out_off;
			len = c->out.len - c->out_off;
		} else if (c->body_off < c->body_total) {
			if (r->drip_ms && c->body_off && now < c->deadline) {
				c->drip_wait = true;
				return;
			}
			/* the rest of the body: [body (when dripped)] pad tail */
			size_t off = c->body_off;
			size_t blen = r->drip_ms ? r->body.len : 0;
			if (off < blen) {
				p = r->body.buf + off;
				len = blen - off;
			} else if (off < blen + r->pad) {
				p = xs;
				len = blen + r->pad - off;
				if (len > sizeof(xs))
					len = sizeof(xs);
			} else {
				p = r->tail.buf + (off - blen - r->pad);
				len = c->body_total - off;
			}
			if (r->drip_ms)
				len = 1;
			body = true;
		} else {
			conn_finish(c, now);
			return;
		}
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) {
			conn_close(c);
			return;
		}
		if (body)
			c->body_off += (size_t)n;
		else
			c->out_off += (size_t)n;
		c->deadline = now + (body && r->drip_ms ? r->drip_ms : STALL_TIMEOUT_MS);
	}
}

static void conn_timer(struct conn *c, int64_t now)
{
	switch (c->st) {
	case C_WAIT:
		c->st = C_WRITE;
		c->deadline = now + STALL_TIMEOUT_MS;
		conn_write(c, now);
		break;
	case C_WRITE:
		if (c->drip_wait)
			conn_write(c, now);
		else
			conn_close(c);
		break;
	default:
		conn_close(c);
	}
}

static void add_pfd(struct server *s, size_t *n, int fd, short events, enum ref_kind kind, void *ptr)
{
	if (*n >= s->pcap) {
		size_t cap = s->pcap;
		xgrow(&s->pfds, &cap, *n + 1, sizeof(*s->pfds));
		cap = s->pcap;
		xgrow(&s->refs, &cap, *n + 1, sizeof(*s->refs));
		s->pcap = cap;
	}
	s->pfds[*n].fd = fd;
	s->pfds[*n].events = events;
	s->pfds[*n].revents = 0;
	s->refs[*n].kind = kind;
	s->refs[*n].ptr = ptr;
	s->refs[*n].fd = fd;
	(*n)++;
}

static void run_timers(struct server *s, int64_t now)
{
	control_tick(s, now);
	for (size_t i = 0; i < s->nconns; i++) {
		struct conn *c = s->conns[i];
		if (c->st != C_DEAD && c->deadline && now >= c->deadline)
			conn_timer(c, now);
	}
	reap(s);
}

static int64_t next_deadline(struct server *s)
{
	int64_t next = 0;
	for (size_t i = 0; i < s->fleet->n; i++) {
		const struct node *n = &s->fleet->nodes[i];
		if ((n->phase == UPG_DRAINING || n->phase == UPG_DOWN) && (!next || n->phase_deadline < next))
			next = n->phase_deadline;
	}
	for (size_t i = 0; i < s->nconns; i++) {
		const struct conn *c = s->conns[i];
		if (c->deadline && (!next || c->deadline < next))
			next = c->deadline;
	}
	if (s->accept_pause_until && (!next || s->accept_pause_until < next))
		next = s->accept_pause_until;
	return next;
}

static size_t build_pollset(struct server *s, int64_t now)
{
	size_t n = 0;
	bool accepting = now >= s->accept_pause_until;
	if (accepting)
		s->accept_pause_until = 0;
	if (accepting)
		add_pfd(s, &n, s->control_fd, POLLIN, REF_CONTROL, NULL);
	for (size_t i = 0; i < s->fleet->n && accepting; i++) {
		struct node *nd = &s->fleet->nodes[i];
		if (nd->listening)
			add_pfd(s, &n, nd->fd, POLLIN, REF_NODE, nd);
	}
	for (size_t i = 0; i < s->nconns; i++) {
		struct conn *c = s->conns[i];
		short ev = 0;
		switch (c->st) {
		case C_READ:
		case C_HANG:
		case C_LINGER:
			ev = POLLIN;
			break;
		case C_WRITE:
			ev = c->drip_wait ? 0 : POLLOUT;
			break;
		default:
			break;
		}
		add_pfd(s, &n, c->fd, ev, REF_CONN, c);
	}
	return n;
}

int server_run(struct server *s, volatile int *stop)
{
	sigset_t waitmask;
	sigprocmask(SIG_BLOCK, NULL, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	while (!*stop) {
		int64_t now = mono_ms();
		run_timers(s, now);
		size_t n = build_pollset(s, now);
		int64_t next = next_deadline(s);
		struct timespec ts, *tsp = NULL;
		if (next) {
			int64_t wait = next > now ? next - now : 0;
			ts.tv_sec = (time_t)(wait / 1000);
			ts.tv_nsec = (long)(wait % 1000) * 1000000;
			tsp = &ts;
		}
		int rc = ppoll(s->pfds, (nfds_t)n, tsp, &waitmask);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, SIM_PROG ": poll: %s\n", strerror(errno));
			return -1;
		}
		now = mono_ms();
		for (size_t i = 0; i < n && rc > 0; i++) {
			short re = s->pfds[i].revents;
			if (!re)
				continue;
			struct ref *ref = &s->refs[i];
			if (ref->kind == REF_CONTROL) {
				do_accept(s, s->control_fd, NULL, now);
			} else if (ref->kind == REF_NODE) {
				struct node *nd = ref->ptr;
				/* the node may have stopped listening meanwhile */
				if (nd->listening && nd->fd == ref->fd)
					do_accept(s, nd->fd, nd, now);
			} else {
				struct conn *c = ref->ptr;
				if (c->st == C_DEAD)
					continue;
				if (c->st == C_WRITE && (re & POLLOUT))
					conn_write(c, now);
				else if (re & (POLLIN | POLLHUP | POLLERR))
					conn_read(s, c, now);
			}
		}
		reap(s);
	}
	return 0;
}
