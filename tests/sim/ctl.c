/* ctl.c: `bs-nodesim ctl`, the control endpoint's client for shell
 * templates and tests.
 *
 *   bs-nodesim ctl (--ports-file PATH | --control-port N) COMMAND ...
 *     upgrade NAME RELEASE [--drain-ms N] [--down-ms N] [--set JSON] [--wait] [--timeout S]
 *     set NAME JSON
 *     set-all JSON [--kind report|api|none|all]
 *     get NAME
 *     fleet
 *
 * Exit 0 on success, 1 on failure (with a message on stderr), 2 for a usage
 * error. */
#include "sim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/xalloc.h"

#define CTL_IO_TIMEOUT_S 10
#define WAIT_POLL_MS 25

static void ctl_usage(FILE *fp)
{
	fputs("usage: " SIM_PROG " ctl (--ports-file PATH | --control-port N) COMMAND\n"
	      "  upgrade NAME RELEASE [--drain-ms N] [--down-ms N] [--set JSON] [--wait] [--timeout SECONDS]\n"
	      "  set NAME JSON\n"
	      "  set-all JSON [--kind report|api|none|all]   (default: report)\n"
	      "  get NAME\n"
	      "  fleet\n", fp);
}

BS_PRINTF(1, 2) static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs(SIM_PROG ": ctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

static bool parse_long(const char *s, long min, long max, long *out)
{
	if (!s || !*s)
		return false;
	errno = 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* One request to the control endpoint: returns the HTTP status (body in
 * *resp, caller frees) or -1 with a message printed. */
static int call(int port, const char *method, const char *path, const char *body, char **resp)
{
	*resp = NULL;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail("socket: %s", strerror(errno)), -1;
	struct timeval tv = { CTL_IO_TIMEOUT_S, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fail("cannot connect to the control endpoint 127.0.0.1:%d: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	struct strbuf req = STRBUF_INIT;
	sb_addf(&req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n", method, path, port);
	if (body)
		sb_addf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
	else
		sb_addstr(&req, "\r\n");
	size_t off = 0;
	while (off < req.len) {
		ssize_t n = send(fd, req.buf + off, req.len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail("cannot send to 127.0.0.1:%d: %s", port, strerror(errno));
			sb_free(&req);
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	sb_free(&req);
	struct strbuf in;
	sb_init(&in, 64 * 1024 * 1024);
	char buf[8192];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail("cannot read from 127.0.0.1:%d: %s", port, strerror(errno));
			sb_free(&in);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		if (sb_add(&in, buf, (size_t)n) < 0)
			break;
	}
	close(fd);
	const char *s = sb_str(&in);
	long status;
	char code[4] = { 0 };
	const char *sep = strstr(s, "\r\n\r\n");
	if (strncmp(s, "HTTP/1.", 7) || strlen(s) < 12 || !sep) {
		sb_free(&in);
		return fail("malformed answer from 127.0.0.1:%d", port), -1;
	}
	memcpy(code, s + 9, 3);
	if (!parse_long(code, 100, 599, &status)) {
		sb_free(&in);
		return fail("malformed answer from 127.0.0.1:%d", port), -1;
	}
	*resp = xstrdup(sep + 4);
	sb_free(&in);
	return (int)status;
}

static void print_error(int status, const char *body)
{
	json_t *o = json_loads(body, 0, NULL);
	const char *e = json_string_value(json_object_get(o, "error"));
	size_t bl = strlen(body);
	if (e)
		fail("%s (HTTP %d)", e, status);
	else
		fail("HTTP %d: %.*s", status, (int)(bl && body[bl - 1] == '\n' ? bl - 1 : bl), body);
	json_decref(o);
}

static char *node_path(const char *name, const char *suffix)
{
	struct strbuf sb = STRBUF_INIT;
	sb_addstr(&sb, "/nodes/");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			sb_addch(&sb, (char)*p);
		else
			sb_addf(&sb, "%%%02X", *p);
	}
	sb_addstr(&sb, suffix);
	return sb_detach(&sb);
}

/* GET/POST and print the answer; 0 if the status is want. */
static int simple(int port, const char *method, const char *path, const char *body, int want)
{
	char *resp;
	int st = call(port, method, path, body, &resp);
	if (st < 0)
		return 1;
	int rc = 0;
	if (st != want) {
		print_error(st, resp);
		rc = 1;
	} else {
		fputs(resp, stdout);
	}
	free(resp);
	return rc;
}

static int wait_up(int port, const char *name, const char *release, long timeout_ms)
{
	char *path = node_path(name, "");
	int64_t until = mono_ms() + timeout_ms;
	int rc = 1;
	for (;;) {
		char *resp;
		int st = call(port, "GET", path, NULL, &resp);
		if (st < 0)
			break;
		if (st != 200) {
			print_error(st, resp);
			free(resp);
			break;
		}
		json_t *o = json_loads(resp, 0, NULL);
		free(resp);
		const char *phase = json_string_value(json_object_get(json_object_get(o, "upgrade"), "phase"));
		const char *rel = json_string_value(json_object_get(o, "release"));
		const json_t *nport = json_object_get(o, "port");
		bool up = phase && !strcmp(phase, "up") && rel && !strcmp(rel, release);
		bool failed = phase && !strcmp(phase, "failed");
		if (up) {
			if (json_is_integer(nport))
				printf("%s: up at %s on port %d\n", name, release, (int)json_integer_value(nport));
			else
				printf("%s: up at %s (no port)\n", name, release);   /* kind none */
			json_decref(o);
			rc = 0;
			break;
		}
		json_decref(o);
		if (failed) {
			fail("node %s could not listen on its port again", name);
			break;
		}
		if (mono_ms() >= until) {
			fail("node %s is not up at %s after %ld ms", name, release, timeout_ms);
			break;
		}
		struct timespec ts = { 0, WAIT_POLL_MS * 1000000L };
		nanosleep(&ts, NULL);
	}
	free(path);
	return rc;
}

/* POST /nodes?kind=KIND: prints "CHANGED of MATCHED nodes changed (kind KIND)". */
static int set_all(int port, const char *patch, const char *kind)
{
	char *path = xasprintf("/nodes?kind=%s", kind);
	char *resp;
	int st = call(port, "POST", path, patch, &resp);
	free(path);
	if (st < 0)
		return 1;
	int rc = 1;
	if (st != 200) {
		print_error(st, resp);
	} else {
		json_t *o = json_loads(resp, 0, NULL);
		const json_t *changed = json_object_get(o, "changed");
		const json_t *matched = json_object_get(o, "matched");
		if (json_is_integer(changed) && json_is_integer(matched)) {
			printf("%" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT " nodes changed (kind %s)\n",
				json_integer_value(changed), json_integer_value(matched), kind);
			rc = 0;
		} else {
			fail("malformed answer to set-all: %s", resp);
		}
		json_decref(o);
	}
	free(resp);
	return rc;
}

static int read_ports_file(const char *path)
{
	json_error_t je;
	json_t *o = json_load_file(path, 0, &je);
	if (!o) {
		fail("cannot read %s: %s", path, je.text);
		return -1;
	}
	json_t *c = json_object_get(o, "control");
	int port = json_is_integer(c) ? (int)json_integer_value(c) : -1;
	json_decref(o);
	if (port <= 0 || port > 65535)
		fail("%s: no \"control\" port", path);
	return port <= 0 || port > 65535 ? -1 : port;
}

int ctl_main(int argc, char **argv)
{
	const char *ports_file = NULL;
	long port = -1, drain = -1, down = -1, timeout_s = -1;
	bool wait = false;
	const char *set_json = NULL, *kind = NULL;
	const char *pos[4];
	int npos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			ctl_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--wait")) {
			wait = true;
		} else if (!strcmp(a, "--ports-file") && v) {
			ports_file = v;
			i++;
		} else if (!strcmp(a, "--control-port") && parse_long(v, 1, 65535, &port)) {
			i++;
		} else if (!strcmp(a, "--drain-ms") && parse_long(v, 0, 3600000, &drain)) {
			i++;
		} else if (!strcmp(a, "--down-ms") && parse_long(v, 0, 3600000, &down)) {
			i++;
		} else if (!strcmp(a, "--timeout") && parse_long(v, 1, 86400, &timeout_s)) {
			i++;
		} else if (!strcmp(a, "--set") && v) {
			set_json = v;
			i++;
		} else if (!strcmp(a, "--kind") && v && (!strcmp(v, "report") || !strcmp(v, "api")
							  || !strcmp(v, "none") || !strcmp(v, "all"))) {
			kind = v;
			i++;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, SIM_PROG ": ctl: bad option or value: %s\n", a);
			ctl_usage(stderr);
			return 2;
		} else if (npos < (int)ARRAY_SIZE(pos)) {
			pos[npos++] = a;
		} else {
			ctl_usage(stderr);
			return 2;
		}
	}
	if (npos < 1 || (!ports_file && port < 0)) {
		ctl_usage(stderr);
		return 2;
	}
	const char *cmd = pos[0];
	int want = !strcmp(cmd, "upgrade") ? 3 : !strcmp(cmd, "set") ? 3
		: !strcmp(cmd, "set-all") ? 2 : !strcmp(cmd, "get") ? 2 : !strcmp(cmd, "fleet") ? 1 : -1;
	if (want < 0 || npos != want) {
		ctl_usage(stderr);
		return 2;
	}
	if (set_json && strcmp(cmd, "upgrade")) {
		fputs(SIM_PROG ": ctl: --set is for upgrade only (set NAME JSON, set-all JSON)\n", stderr);
		return 2;
	}
	if (kind && strcmp(cmd, "set-all")) {
		fputs(SIM_PROG ": ctl: --kind is for set-all only\n", stderr);
		return 2;
	}
	/* upgrade --set: the object merged into the node when it comes up */
	json_t *body = NULL;
	if (!strcmp(cmd, "upgrade")) {
		json_error_t je;
		body = set_json ? json_loads(set_json, JSON_REJECT_DUPLICATES, &je) : json_object();
		if (!json_is_object(body)) {
			fprintf(stderr, SIM_PROG ": ctl: --set: not a JSON object%s%s\n",
				body ? "" : ": ", body ? "" : je.text);
			json_decref(body);
			return 2;
		}
		static const char *const own[] = { "release", "drain_ms", "down_ms" };
		for (size_t i = 0; i < ARRAY_SIZE(own); i++) {
			if (json_object_get(body, own[i])) {
				fprintf(stderr, SIM_PROG ": ctl: --set: \"%s\" is set by %s\n", own[i],
					i == 0 ? "RELEASE" : i == 1 ? "--drain-ms" : "--down-ms");
				json_decref(body);
				return 2;
			}
		}
	}
	if (port < 0 && (port = read_ports_file(ports_file)) < 0) {
		json_decref(body);
		return 1;
	}
	int cport = (int)port;

	if (!strcmp(cmd, "fleet"))
		return simple(cport, "GET", "/fleet", NULL, 200);
	if (!strcmp(cmd, "get")) {
		char *path = node_path(pos[1], "");
		int rc = simple(cport, "GET", path, NULL, 200);
		free(path);
		return rc;
	}
	if (!strcmp(cmd, "set")) {
		char *path = node_path(pos[1], "");
		int rc = simple(cport, "POST", path, pos[2], 200);
		free(path);
		return rc;
	}
	if (!strcmp(cmd, "set-all"))
		return set_all(cport, pos[1], kind ? kind : "report");
	/* upgrade */
	json_object_set_new(body, "release", json_string(pos[2]));
	if (drain >= 0)
		json_object_set_new(body, "drain_ms", json_integer(drain));
	if (down >= 0)
		json_object_set_new(body, "down_ms", json_integer(down));
	char *js = json_dumps(body, 0);
	json_decref(body);
	char *path = node_path(pos[1], "/upgrade");
	char *resp;
	int st = call(cport, "POST", path, js, &resp);
	free(js);
	free(path);
	if (st < 0)
		return 1;
	if (st != 202) {
		print_error(st, resp);
		free(resp);
		return 1;
	}
	free(resp);
	if (!wait) {
		printf("%s: upgrading to %s\n", pos[1], pos[2]);
		return 0;
	}
	long tmo = timeout_s > 0 ? timeout_s * 1000
		: (drain >= 0 ? drain : 300) + (down >= 0 ? down : 500) + 30000;
	return wait_up(cport, pos[1], pos[2], tmo);
}
