/* exec.h: run one step's argv in its own process group, stream its output,
 * and end it on a timeout or on request.
 *
 * The child gets stdin from /dev/null, stdout and stderr on one pipe (read
 * by the caller, line by line, through a callback), the environment of the
 * caller plus the given extra variables (e.g. OS_DEFAULT__SQL_CONNECTION,
 * never written anywhere by this module), its own process group
 * (setpgid), and no inherited descriptors beyond 0-2. At the timeout, or
 * when exec_cancel is called (Ctrl-C, the console's cancel), the whole group
 * gets SIGTERM, then SIGKILL after a grace period; the result says which.
 *
 * The step is over when the child has exited AND its output pipe is closed
 * (as with Python's subprocess.run(capture_output=True)): a process it left
 * running in the background that still holds the pipe keeps the step going
 * until it ends or the timeout ends the whole group (then the result may
 * say both exited and timed_out); without a timeout, that may be forever.
 * A process that left the group (setsid) is out of reach: once the group
 * got SIGKILL, its output is read for 0.5 s more, then abandoned. */
#ifndef BS_EXEC_H
#define BS_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/status.h"

/* Output kept in exec_result.output_tail, and the longest piece of a line
 * given to the callback at once (a longer line comes in several pieces). */
#define EXEC_TAIL_MAX 4096
#define EXEC_LINE_MAX 8192

struct exec_result {
	bool exited;          /* exited normally: exit_code is valid */
	int exit_code;
	bool signaled;        /* killed by a signal: signal is valid */
	int signal;
	bool timed_out;       /* we ended it because of the timeout */
	bool cancelled;       /* we ended it because exec_cancel was called */
	bool killed;          /* SIGTERM was not enough: it got SIGKILL */
	double seconds;       /* wall time */
	char *output_tail;    /* the last output bytes (at most 4 KiB), malloc'd */
};

void exec_result_free(struct exec_result *r);

struct exec;

/* One line of output without its '\n' (a '\r' is kept), NUL-terminated
 * at len; it may hold NUL bytes. A last line without a newline is given
 * too. The callback must not call exec_poll or exec_free. */
typedef void (*exec_line_fn)(void *ctx, const char *line, size_t len);

/* Start argv[0] (searched in the caller's PATH) with argv. extra_env:
 * NULL-terminated "NAME=value" strings added to (or replacing in) the
 * environment. timeout_s <= 0: no timeout. Errors: BS_ST_IO when the
 * process cannot be started (e.g. the program is not found: the message
 * names it; an exec failure is reported here, never as exit 127),
 * BS_ST_INTERNAL for an empty argv or an extra_env entry without '='. */
enum bs_status exec_start(char *const *argv, char *const *extra_env, double timeout_s,
			  double grace_s, exec_line_fn on_line, void *ctx, struct exec **out,
			  struct bs_err *err);
/* The same, with the child's standard error written to stderr_fd (a file
 * of the caller's, e.g. a memfd; -1: the output pipe, as exec_start) and
 * bounded there at EXEC_STDERR_MAX bytes (RLIMIT_FSIZE: a child that
 * writes more gets SIGXFSZ). The callback then sees standard output only. */
#define EXEC_STDERR_MAX (64 * 1024)
enum bs_status exec_start_stderr(char *const *argv, char *const *extra_env, double timeout_s,
				 double grace_s, exec_line_fn on_line, void *ctx, int stderr_fd,
				 struct exec **out, struct bs_err *err);
/* The descriptor to wait on for output (-1 once the output is closed). */
int exec_fd(const struct exec *e);
/* Milliseconds until exec_poll must run again for the timeout (-1 none). */
long exec_timeout_ms(const struct exec *e);
/* Read available output, enforce the timeout, reap the child; never
 * blocks. Returns true once the child has ended and its output is read:
 * *res is then filled. */
bool exec_poll(struct exec *e, struct exec_result *res);
/* Ask the group to stop (SIGTERM now, SIGKILL after the grace period). */
void exec_cancel(struct exec *e);
/* The child's pid, which is also its process group id. */
pid_t exec_pid(const struct exec *e);
/* A child still running then gets SIGKILL (its whole group) and is reaped. */
void exec_free(struct exec *e);

/* Run to the end, blocking (the CLI): poll() on exec_fd and a private
 * self-pipe with exec_timeout_ms. Cancelled from a signal handler through
 * exec_cancel_request(). A request made before exec_run starts its child
 * (and not cleared by exec_cancel_reset) means nothing is started: BS_ST_OK
 * with res->cancelled set and neither exited nor signaled. Requests are
 * cleared when exec_run returns. Not thread-safe (one exec_run at a time). */
enum bs_status exec_run(char *const *argv, char *const *extra_env, double timeout_s,
			double grace_s, exec_line_fn on_line, void *ctx, struct exec_result *res,
			struct bs_err *err);
/* Async-signal-safe: makes a running exec_run cancel its child. */
void exec_cancel_request(void);
/* Forget a cancel request made while no exec_run was running. */
void exec_cancel_reset(void);

#endif
