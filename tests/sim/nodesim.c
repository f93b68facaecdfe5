/* nodesim.c: main of bs-nodesim, a fleet of simulated Barbican nodes.
 *
 *   bs-nodesim --fleet FILE [--ports-file PATH] [--control-port N]
 *              [--pidfile PATH] [--verbose]
 *   bs-nodesim ctl ...            (see ctl.c)
 *
 * Binds every node's port (nodes of kind "none" have none) and the control
 * port on 127.0.0.1, writes the pidfile, then the ports file (atomically:
 * the file appearing means ready), and serves until SIGTERM or SIGINT; then
 * removes both files. */
#include "sim.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/xalloc.h"

static volatile int stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *fp)
{
	fputs("usage: " SIM_PROG " --fleet FILE [--ports-file PATH] [--control-port N]\n"
	      "                  [--pidfile PATH] [--verbose]\n"
	      "       " SIM_PROG " ctl --help\n"
	      "\n"
	      "Simulates the Barbican service nodes described in FILE, each on its own\n"
	      "port of 127.0.0.1, with a control endpoint. See tests/sim/README.md.\n", fp);
}

/* Write data to path through a temporary file and rename(2). */
static int write_atomic(const char *path, const char *data)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *fp = fopen(tmp, "w");
	int rc = -1;
	if (fp) {
		bool ok = fputs(data, fp) >= 0;
		ok = fflush(fp) == 0 && ok;
		ok = fsync(fileno(fp)) == 0 && ok;
		ok = fclose(fp) == 0 && ok;
		if (ok && rename(tmp, path) == 0)
			rc = 0;
	}
	if (rc)
		fprintf(stderr, SIM_PROG ": cannot write %s: %s\n", path, strerror(errno));
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* {"control": PORT, "nodes": {NAME: PORT, ...}, "unobservable": [NAME, ...]}:
 * the nodes of kind "none" have no port and are listed apart, so that
 * "nodes" maps every name to a port. */
static char *ports_json(struct server *s)
{
	struct fleet *f = server_fleet(s);
	json_t *nodes = json_object();
	json_t *unobservable = json_array();
	for (size_t i = 0; i < f->n; i++) {
		const struct node *n = &f->nodes[i];
		if (node_kind(n) == KIND_NONE)
			json_array_append_new(unobservable, json_string(n->name));
		else
			json_object_set_new(nodes, n->name, json_integer(n->port));
	}
	json_t *o = json_pack("{s:i, s:o, s:o}", "control", server_control_port(s), "nodes", nodes,
		"unobservable", unobservable);
	char *js = json_dumps(o, 0);
	json_decref(o);
	char *out = xasprintf("%s\n", js);
	free(js);
	return out;
}

/* Room for many nodes and their connections. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static bool parse_port(const char *s, int *out)
{
	errno = 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (errno || !*s || *end || v < 0 || v > 65535)
		return false;
	*out = (int)v;
	return true;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return ctl_main(argc - 1, argv + 1);

	static const struct option longopts[] = {
		{ "fleet", required_argument, NULL, 'f' },
		{ "ports-file", required_argument, NULL, 'p' },
		{ "control-port", required_argument, NULL, 'c' },
		{ "pidfile", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fleet_path = NULL, *ports_path = NULL, *pid_path = NULL;
	struct server_opts so = { 0, false };
	int opt;
	while ((opt = getopt_long(argc, argv, "f:p:c:P:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': fleet_path = optarg; break;
		case 'p': ports_path = optarg; break;
		case 'P': pid_path = optarg; break;
		case 'v': so.verbose = true; break;
		case 'c':
			if (!parse_port(optarg, &so.control_port)) {
				fprintf(stderr, SIM_PROG ": bad --control-port: %s\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!fleet_path || optind != argc) {
		usage(stderr);
		return 2;
	}

	struct fleet fleet;
	char *err = NULL;
	if (fleet_load(&fleet, fleet_path, &err) < 0) {
		fprintf(stderr, SIM_PROG ": %s\n", err);
		free(err);
		return 1;
	}
	raise_nofile();

	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	struct server *s = server_new(&fleet, &so, &err);
	if (!s) {
		fprintf(stderr, SIM_PROG ": %s\n", err);
		free(err);
		fleet_free(&fleet);
		return 1;
	}
	int rc = 1;
	bool pid_written = false, ports_written = false;
	char *ports = ports_json(s);
	if (pid_path) {
		char *pid = xasprintf("%ld\n", (long)getpid());
		pid_written = write_atomic(pid_path, pid) == 0;
		free(pid);
		if (!pid_written)
			goto out;
	}
	if (ports_path) {
		ports_written = write_atomic(ports_path, ports) == 0;
		if (!ports_written)
			goto out;
	} else {
		fputs(ports, stdout);
		fflush(stdout);
	}
	if (so.verbose)
		fprintf(stderr, SIM_PROG ": %zu nodes, control on 127.0.0.1:%d\n", fleet.n, server_control_port(s));
	rc = server_run(s, &stop_flag) == 0 ? 0 : 1;
out:
	if (pid_written)
		unlink(pid_path);
	if (ports_written)
		unlink(ports_path);
	free(ports);
	server_free(s);
	fleet_free(&fleet);
	return rc;
}
