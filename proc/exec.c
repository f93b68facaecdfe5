#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "core/xalloc.h"

extern char **environ;

/* How often exec_poll must look at a child whose output is closed but which
 * has not exited yet (there is no descriptor to wait on then). */
#define EXEC_REAP_TICK_MS 20
/* After SIGKILL, how long the output may stay open: a process that left
 * the group (setsid) and holds the pipe must not hold us forever. */
#define EXEC_ABANDON_MS 500
/* Reads per exec_poll call, so that a chatty child cannot starve the caller. */
#define EXEC_READS_PER_POLL 16

struct exec {
	pid_t pid;
	int fd;                 /* output pipe (non-blocking); -1 after EOF */
	exec_line_fn on_line;
	void *ctx;
	struct strbuf line;     /* the current partial line */
	char tail[EXEC_TAIL_MAX];
	size_t tail_len;
	bool tail_cut;          /* more output than the tail holds */
	struct timespec started;
	long long deadline_ms;  /* since started; -1: no timeout */
	long long grace_ms;
	long long kill_at_ms;   /* since started, once SIGTERM was sent */
	long long abandon_at_ms;/* since started, once SIGKILL was sent */
	bool reaped;
	int status;
	bool term_sent, timed_out, cancelled, killed;
	bool done;
	double seconds;
};

static long long elapsed_ms(const struct exec *e)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - e->started.tv_sec) * 1000 +
	       (now.tv_nsec - e->started.tv_nsec) / 1000000;
}

static double elapsed_s(const struct exec *e)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - e->started.tv_sec) +
	       (double)(now.tv_nsec - e->started.tv_nsec) / 1e9;
}

static long long seconds_to_ms(double s)
{
	if (s <= 0)
		return 0;
	if (s > 1e12)
		return (long long)1e15;
	return (long long)(s * 1000.0 + 0.5);
}

/* A descriptor moved to 3 or above (so that dup2 onto 0-2 in the child can
 * never clobber it), close-on-exec. */
static int fd_above_stdio(int fd)
{
	if (fd > 2)
		return fd;
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	int e = errno;
	close(fd);
	errno = e;
	return nfd;
}

static int pipe_above_stdio(int p[2])
{
	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	p[0] = fd_above_stdio(p[0]);
	p[1] = fd_above_stdio(p[1]);
	if (p[0] < 0 || p[1] < 0) {
		if (p[0] >= 0)
			close(p[0]);
		if (p[1] >= 0)
			close(p[1]);
		return -1;
	}
	return 0;
}

static size_t env_name_len(const char *s)
{
	const char *eq = strchr(s, '=');
	return eq ? (size_t)(eq - s) : strlen(s);
}

static bool env_has_name(char *const *list, size_t from, const char *entry)
{
	size_t n = env_name_len(entry);
	for (size_t i = from; list && list[i]; i++)
		if (env_name_len(list[i]) == n && strncmp(list[i], entry, n) == 0)
			return true;
	return false;
}

/* environ without the names that extra_env sets, then extra_env (the last
 * of a repeated name wins). The strings are borrowed. */
static char **build_env(char *const *extra_env)
{
	size_t n = 0, k = 0;
	for (char **p = environ; p && *p; p++)
		n++;
	for (char *const *p = extra_env; p && *p; p++)
		n++;
	char **envp = xcalloc(n + 1, sizeof(*envp));
	for (char **p = environ; p && *p; p++)
		if (!env_has_name(extra_env, 0, *p))
			envp[k++] = *p;
	for (size_t i = 0; extra_env && extra_env[i]; i++)
		if (!env_has_name(extra_env, i + 1, extra_env[i]))
			envp[k++] = extra_env[i];
	envp[k] = NULL;
	return envp;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
BS_NORETURN static void child(char *const *argv, char **envp, int devnull, int out_w, int err_w,
			      int stderr_fd, long maxfd)
{
	setpgid(0, 0);
	/* the caller's handlers must not run here (a SIGINT handler could
	 * write to the caller's pipes); SIGPIPE and SIGXFSZ as by default */
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;
		if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa) != 0)
			continue;
		if ((sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN) || sig == SIGPIPE ||
		    sig == SIGXFSZ) {
			memset(&sa, 0, sizeof(sa));
			sa.sa_handler = SIG_DFL;
			sigaction(sig, &sa, NULL);
		}
	}
	/* and nothing blocked: a caller that blocks SIGTERM for its own
	 * event loop must not make the step deaf to our SIGTERM */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (dup2(devnull, 0) < 0 || dup2(out_w, 1) < 0 ||
	    dup2(stderr_fd >= 0 ? stderr_fd : out_w, 2) < 0)
		goto fail;
	if (stderr_fd >= 0) {
		/* standard error goes to a file of the caller's: bounded */
		struct rlimit rl = { EXEC_STDERR_MAX, EXEC_STDERR_MAX };
		setrlimit(RLIMIT_FSIZE, &rl);
	}
	/* nothing but 0-2 survives exec: err_w must stay open until then */
#ifdef CLOSE_RANGE_CLOEXEC
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
#endif
		for (long fd = 3; fd < maxfd; fd++)
			fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	execvpe(argv[0], argv, envp);
fail:;
	int e = errno;
	ssize_t r = write(err_w, &e, sizeof(e));
	(void)r;
	_exit(127);
}

enum bs_status exec_start(char *const *argv, char *const *extra_env, double timeout_s,
			  double grace_s, exec_line_fn on_line, void *ctx, struct exec **out,
			  struct bs_err *err)
{
	return exec_start_stderr(argv, extra_env, timeout_s, grace_s, on_line, ctx, -1, out, err);
}

enum bs_status exec_start_stderr(char *const *argv, char *const *extra_env, double timeout_s,
				 double grace_s, exec_line_fn on_line, void *ctx, int stderr_fd,
				 struct exec **out, struct bs_err *err)
{
	*out = NULL;
	if (!argv || !argv[0])
		return bs_fail(err, BS_ST_INTERNAL, "cannot run an empty command");
	for (size_t i = 0; extra_env && extra_env[i]; i++)
		if (!strchr(extra_env[i], '=') || extra_env[i][0] == '=')
			return bs_fail(err, BS_ST_INTERNAL,
				       "extra environment entry %zu is not NAME=value", i + 1);

	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull >= 0)
		devnull = fd_above_stdio(devnull);
	if (devnull < 0)
		return bs_fail(err, BS_ST_IO, "cannot open /dev/null: %s", strerror(errno));
	int outp[2], errp[2];
	if (pipe_above_stdio(outp) != 0) {
		int e = errno;
		close(devnull);
		return bs_fail(err, BS_ST_IO, "cannot run %s: pipe: %s", argv[0], strerror(e));
	}
	if (pipe_above_stdio(errp) != 0) {
		int e = errno;
		close(devnull);
		close(outp[0]);
		close(outp[1]);
		return bs_fail(err, BS_ST_IO, "cannot run %s: pipe: %s", argv[0], strerror(e));
	}

	char **envp = build_env(extra_env);
	long maxfd = sysconf(_SC_OPEN_MAX);
	if (maxfd < 0 || maxfd > 65536)
		maxfd = 65536;
	struct exec *e = xcalloc(1, sizeof(*e));
	clock_gettime(CLOCK_MONOTONIC, &e->started);

	/* no signal handler of ours may run in the child before it resets them */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = fork();
	if (pid == 0)
		child(argv, envp, devnull, outp[1], errp[1], stderr_fd, maxfd);
	int fork_errno = errno;
	if (pid > 0)
		setpgid(pid, pid); /* also here: kill(-pid) must work at once */
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(envp);
	close(devnull);
	close(outp[1]);
	close(errp[1]);
	if (pid < 0) {
		close(outp[0]);
		close(errp[0]);
		free(e);
		return bs_fail(err, BS_ST_IO, "cannot run %s: fork: %s", argv[0],
			       strerror(fork_errno));
	}

	/* the error pipe closes on a successful exec, or brings errno */
	int child_errno = 0;
	ssize_t n;
	do
		n = read(errp[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(errp[0]);
	if (n == (ssize_t)sizeof(child_errno)) {
		close(outp[0]);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		free(e);
		return bs_fail(err, BS_ST_IO, "cannot run %s: %s", argv[0], strerror(child_errno));
	}

	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	e->pid = pid;
	e->fd = outp[0];
	e->on_line = on_line;
	e->ctx = ctx;
	e->deadline_ms = timeout_s > 0 ? seconds_to_ms(timeout_s) : -1;
	e->grace_ms = seconds_to_ms(grace_s);
	sb_init(&e->line, 0);
	*out = e;
	return BS_ST_OK;
}

int exec_fd(const struct exec *e)
{
	return e->fd;
}

pid_t exec_pid(const struct exec *e)
{
	return e->pid;
}

static void deliver(struct exec *e)
{
	if (e->on_line)
		e->on_line(e->ctx, sb_str(&e->line), e->line.len);
	sb_reset(&e->line);
}

static void add_tail(struct exec *e, const char *p, size_t n)
{
	if (n >= EXEC_TAIL_MAX) {
		memcpy(e->tail, p + n - EXEC_TAIL_MAX, EXEC_TAIL_MAX);
		e->tail_cut = e->tail_cut || n > EXEC_TAIL_MAX || e->tail_len > 0;
		e->tail_len = EXEC_TAIL_MAX;
		return;
	}
	if (e->tail_len + n > EXEC_TAIL_MAX) {
		size_t drop = e->tail_len + n - EXEC_TAIL_MAX;
		memmove(e->tail, e->tail + drop, e->tail_len - drop);
		e->tail_len -= drop;
		e->tail_cut = true;
	}
	memcpy(e->tail + e->tail_len, p, n);
	e->tail_len += n;
}

static void feed(struct exec *e, const char *p, size_t n)
{
	add_tail(e, p, n);
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t seg = nl ? (size_t)(nl - p) : n;
		size_t room = EXEC_LINE_MAX - e->line.len;
		if (seg > room) {
			/* a very long line: deliver what fits, keep going */
			sb_add(&e->line, p, room);
			deliver(e);
			p += room;
			n -= room;
			continue;
		}
		sb_add(&e->line, p, seg);
		if (!nl) {
			break;
		}
		deliver(e);
		p += seg + 1;
		n -= seg + 1;
	}
}

static void close_output(struct exec *e)
{
	if (e->line.len)
		deliver(e); /* the last line had no newline */
	close(e->fd);
	e->fd = -1;
}

static void read_output(struct exec *e)
{
	char buf[65536];
	for (int i = 0; e->fd >= 0 && i < EXEC_READS_PER_POLL; i++) {
		ssize_t n = read(e->fd, buf, sizeof(buf));
		if (n > 0) {
			feed(e, buf, (size_t)n);
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else {
			close_output(e); /* EOF (or an error, treated as one) */
		}
	}
}

/* Signal the whole group. Once the leader is reaped its pid may be reused,
 * but not while the group still has members (who hold our pipe open). */
static void signal_group(struct exec *e, int sig)
{
	if (e->reaped && e->fd < 0)
		return;
	kill(-e->pid, sig);
}

static void terminate(struct exec *e, long long now)
{
	signal_group(e, SIGTERM);
	e->term_sent = true;
	e->kill_at_ms = now + e->grace_ms;
}

static void fill_result(const struct exec *e, struct exec_result *res)
{
	memset(res, 0, sizeof(*res));
	if (WIFEXITED(e->status)) {
		res->exited = true;
		res->exit_code = WEXITSTATUS(e->status);
	} else if (WIFSIGNALED(e->status)) {
		res->signaled = true;
		res->signal = WTERMSIG(e->status);
	}
	res->timed_out = e->timed_out;
	res->cancelled = e->cancelled;
	res->killed = e->killed;
	res->seconds = e->seconds;
	size_t off = 0;
	/* a cut tail starts at a character, not inside a UTF-8 sequence */
	while (e->tail_cut && off < e->tail_len && off < 3 &&
	       ((unsigned char)e->tail[off] & 0xc0) == 0x80)
		off++;
	res->output_tail = xstrndup(e->tail + off, e->tail_len - off);
}

bool exec_poll(struct exec *e, struct exec_result *res)
{
	if (!e->done) {
		read_output(e);
		if (!e->reaped) {
			int status;
			pid_t r = waitpid(e->pid, &status, WNOHANG);
			if (r == e->pid) {
				e->reaped = true;
				e->status = status;
			}
		}
		long long now = elapsed_ms(e);
		bool over = e->reaped && e->fd < 0;
		if (!over && !e->term_sent && e->deadline_ms >= 0 && now >= e->deadline_ms) {
			e->timed_out = true;
			terminate(e, now);
		}
		if (!over && e->term_sent && !e->killed && now >= e->kill_at_ms) {
			signal_group(e, SIGKILL);
			e->killed = true;
			e->abandon_at_ms = now + EXEC_ABANDON_MS;
		}
		if (!over && e->killed && e->reaped && now >= e->abandon_at_ms) {
			close_output(e); /* held by a process outside the group */
			over = true;
		}
		if (over) {
			e->done = true;
			e->seconds = elapsed_s(e);
		}
	}
	if (!e->done)
		return false;
	fill_result(e, res);
	return true;
}

long exec_timeout_ms(const struct exec *e)
{
	if (e->done || (e->reaped && e->fd < 0))
		return 0;
	long long now = elapsed_ms(e), t = 0;
	bool has = true;
	if (!e->term_sent && e->deadline_ms >= 0)
		t = e->deadline_ms - now;
	else if (e->term_sent && !e->killed)
		t = e->kill_at_ms - now;
	else if (e->killed && e->reaped)
		t = e->abandon_at_ms - now;
	else if (e->killed)
		t = EXEC_REAP_TICK_MS; /* SIGKILL sent: the exit comes soon */
	else
		has = false;
	if (has && t < 0)
		t = 0; /* overdue: exec_poll acts on it at once */
	if (e->fd < 0 && (!has || t > EXEC_REAP_TICK_MS))
		t = EXEC_REAP_TICK_MS;
	else if (!has)
		return -1;
	return t > LONG_MAX ? LONG_MAX : (long)t;
}

void exec_cancel(struct exec *e)
{
	if (e->done || e->term_sent || (e->reaped && e->fd < 0))
		return;
	e->cancelled = true;
	terminate(e, elapsed_ms(e));
}

void exec_free(struct exec *e)
{
	if (!e)
		return;
	if (!e->reaped || e->fd >= 0)
		signal_group(e, SIGKILL); /* nobody waits for it any more */
	if (!e->reaped)
		while (waitpid(e->pid, NULL, 0) < 0 && errno == EINTR)
			;
	if (e->fd >= 0)
		close(e->fd);
	sb_free(&e->line);
	free(e);
}

void exec_result_free(struct exec_result *r)
{
	if (!r)
		return;
	free(r->output_tail);
	r->output_tail = NULL;
}

/* --- blocking run, cancelled from a signal handler --------------------- */

static volatile sig_atomic_t cancel_requested;
static volatile sig_atomic_t cancel_wfd = -1;
static int cancel_rfd = -1;

void exec_cancel_request(void)
{
	int saved = errno;
	cancel_requested = 1;
	int fd = cancel_wfd;
	if (fd >= 0) {
		ssize_t r = write(fd, "c", 1);
		(void)r;
	}
	errno = saved;
}

static void drain_cancel_pipe(void)
{
	char buf[64];
	while (cancel_rfd >= 0 && read(cancel_rfd, buf, sizeof(buf)) > 0)
		;
}

void exec_cancel_reset(void)
{
	cancel_requested = 0;
	drain_cancel_pipe();
}

enum bs_status exec_run(char *const *argv, char *const *extra_env, double timeout_s,
			double grace_s, exec_line_fn on_line, void *ctx, struct exec_result *res,
			struct bs_err *err)
{
	memset(res, 0, sizeof(*res));
	if (cancel_rfd < 0) {
		/* made once, kept for the life of the process: a signal handler
		 * may write to it at any time */
		int p[2];
		if (pipe_above_stdio(p) == 0) {
			fcntl(p[0], F_SETFL, O_NONBLOCK);
			fcntl(p[1], F_SETFL, O_NONBLOCK);
			cancel_rfd = p[0];
			cancel_wfd = p[1];
		}
	}
	if (cancel_requested) {
		/* cancelled before it started: nothing runs */
		exec_cancel_reset();
		res->cancelled = true;
		res->output_tail = xstrdup("");
		return BS_ST_OK;
	}
	struct exec *e;
	enum bs_status st = exec_start(argv, extra_env, timeout_s, grace_s, on_line, ctx, &e, err);
	if (st != BS_ST_OK)
		return st;
	for (;;) {
		if (cancel_requested) {
			exec_cancel_reset();
			exec_cancel(e);
		}
		if (exec_poll(e, res))
			break;
		struct pollfd pfd[2] = {
			{ .fd = exec_fd(e), .events = POLLIN },
			{ .fd = cancel_rfd, .events = POLLIN },
		};
		long t = exec_timeout_ms(e);
		poll(pfd, 2, t < 0 ? -1 : t > INT_MAX ? INT_MAX : (int)t);
	}
	exec_free(e);
	exec_cancel_reset();
	return BS_ST_OK;
}
