#include "cli.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/xalloc.h"

#include "args.h"
#include "probes/db.h"
#include "probes/observe.h"
#include "core/status.h"
#include "core/suggest.h"

int cli_load(struct cli *cli, struct settings *st)
{
	struct conf_args ca = { cli->conf_args, cli->nconf_args, NULL, NULL, NULL };
	struct conf *c = NULL;
	struct bs_err err = { 0 };
	enum bs_status rc = conf_load(&ca, &c, &err);
	if (rc == BS_ST_OK)
		rc = settings_load(c, st, &err);
	else
		memset(st, 0, sizeof(*st));
	if (rc != BS_ST_OK) {
		if (!st->conf && c)
			conf_free(c);
		else
			settings_free(st);
		bs_err_print(&err);
		return bs_status_exit_code(rc);
	}
	return 0;
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "usage: " BS_PROG " %s\n", usage);
	fprintf(stderr, BS_PROG ": error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

void cli_suggest(const char *word, const char *const *candidates, size_t n)
{
	char *near = suggest_nearest(word, candidates, n);
	if (near)
		fprintf(stderr, BS_PROG ": did you mean %s?\n", near);
	free(near);
}

int cli_help(const char *usage, const char *description, const char *options)
{
	printf("usage: " BS_PROG " %s\n\n%s\n", usage, description);
	if (options)
		printf("\nOptions:\n%s", options);
	return 0;
}

enum { OPT_JSON = 1, OPT_HELP, OPT_WATCH };

static const struct arg_opt output_opts[] = {
	{ "json", 0, false, OPT_JSON },
	{ "help", 'h', false, OPT_HELP },
	{ NULL, 0, false, 0 },
};

static const struct arg_opt output_watch_opts[] = {
	{ "json", 0, false, OPT_JSON },
	{ "help", 'h', false, OPT_HELP },
	{ "watch", 0, true, OPT_WATCH },
	{ NULL, 0, false, 0 },
};

/* the longest --watch: a day (a bigger value is a typo, and poll's
 * milliseconds must hold it) */
#define WATCH_MAX 86400.0

int cli_output_opts(int argc, char **argv, const char *usage, const char *description,
		    const struct output_ops **out, double *watch)
{
	*out = &output_text;
	if (watch)
		*watch = 0;
	struct arg_state a;
	args_init(&a, argc, argv, 1);
	int id;
	while ((id = args_next(&a, watch ? output_watch_opts : output_opts, false)) != ARG_END) {
		switch (id) {
		case OPT_JSON:
			*out = &output_json;
			break;
		case OPT_WATCH:
			if (!conf_parse_double(a.value, watch) || !(*watch > 0) || *watch > WATCH_MAX)
				return cli_usage_error(usage, "argument --watch: expected seconds "
						       "(more than 0, at most %.0f), got '%s'",
						       WATCH_MAX, a.value);
			break;
		case OPT_HELP: {
			/* the schema is named after the command: "upgrade check" ->
			 * upgrade-check, "upgrade plan" -> plan, "nodes" -> nodes */
			size_t n = strcspn(usage, " [");
			const char *word = usage;
			if (strncmp(usage, "upgrade check", 13) == 0) {
				word = "upgrade-check";
				n = strlen(word);
			} else if (strncmp(usage, "upgrade ", 8) == 0) {
				word = usage + 8;
				n = strcspn(word, " [");
			}
			char *opts = xasprintf("  --json      print JSON (schema barbican-status/%.*s/1)%s\n"
					       "%s"
					       "  -h, --help  show this help and exit\n", (int)n, word,
					       watch ? "; with --watch one\n"
						       "              document per line and refresh" : "",
					       watch ? "  --watch S   observe and print again every S seconds, "
						       "in place in a\n"
						       "              terminal, until Ctrl-C (exit 0)\n" : "");
			cli_help(usage, description, opts);
			free(opts);
			return 0;
		}
		case ARG_POSITIONAL:
			return cli_usage_error(usage, "unrecognized arguments: %s", a.positional);
		default:
			return cli_usage_error(usage, "%s", a.error);
		}
	}
	return -1;
}

int cli_observe(struct cli *cli, unsigned what, bool target_from_installed,
		struct settings *st, struct snapshot *s)
{
	int rc = cli_load(cli, st);
	if (rc)
		return rc;
	snapshot_init(s, st);
	struct observe_opts oo = { what, target_from_installed, 0, NULL, cli->dbkeep };
	observe(s, settings_manifest(st), &oo);
	return 0;
}

void cli_observed_free(struct settings *st, struct snapshot *s)
{
	snapshot_free(s);
	settings_free(st);
}

/* ---- --watch ---- */

static volatile sig_atomic_t watch_signal;

static void watch_on_signal(int sig)
{
	if (!watch_signal)
		watch_signal = sig;
}

static double mono_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int cli_watch(struct cli *cli, const char *what, double watch, bool json, cli_show_fn show,
	      void *arg)
{
	if (!(watch > 0))
		return show(cli, stdout, arg);

	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { 0 }, old[3];
	sa.sa_handler = watch_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART; /* poll and nanosleep still return EINTR */
	sigset_t block, prev;
	sigemptyset(&block);
	watch_signal = 0;
	for (int i = 0; i < 3; i++) {
		sigaction(sigs[i], &sa, &old[i]);
		sigaddset(&block, sigs[i]);
	}
	bool tty = !json && isatty(STDOUT_FILENO);
	int rc = 0;
	/* one database session for the whole watch, as the console keeps it
	 * (a refresh connecting afresh is a session and, with scram, a key
	 * derivation each time for the server) */
	struct dbprobe_keep keep = { 0 };
	cli->dbkeep = &keep;
	for (unsigned long n = 1; !watch_signal; n++) {
		double start = mono_now();
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		if (!f) {
			fprintf(stderr, BS_PROG ": cannot buffer the output: %s\n", strerror(errno));
			rc = EXIT_CANNOT_TELL;
			break;
		}
		if (!json) {
			char when[32];
			time_t now = time(NULL);
			struct tm tm;
			gmtime_r(&now, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			fprintf(f, "%s--- " BS_PROG " %s: refresh %lu at %s, every %g s ---\n",
				tty ? "\033[H\033[J" : "", what, n, when, watch);
		}
		rc = show(cli, f, arg);
		fclose(f);
		if (rc || watch_signal) {
			free(buf);
			break;
		}
		/* all of it or nothing: a signal now waits until it is written */
		sigprocmask(SIG_BLOCK, &block, &prev);
		fwrite(buf, 1, len, stdout);
		fflush(stdout);
		sigprocmask(SIG_SETMASK, &prev, NULL);
		free(buf);
		double next = start + watch;
		double now;
		while (!watch_signal && (now = mono_now()) < next)
			poll(NULL, 0, (int)((next - now) * 1000.0) + 1);
	}
	int sig = watch_signal;
	cli->dbkeep = NULL;
	dbprobe_keep_clear(&keep);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (rc)
		return rc;
	/* Ctrl-C is how a watch ends; another signal was sent by someone else */
	return sig == SIGINT ? 0 : 128 + sig;
}
