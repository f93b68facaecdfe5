/* test-exec.c: runner/exec.c with real programs (/bin/sh, /bin/sleep,
 * /bin/echo, ...): output lines, environment, descriptors, process group,
 * timeouts, cancellation (also from a signal handler), and that nothing of
 * the group outlives the step. Each test takes well under a second. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/strbuf.h"
#include "core/xalloc.h"
#include "proc/exec.h"

/* --- helpers ---------------------------------------------------------- */

struct lines {
	char **v;
	size_t *len;
	size_t n, cap, lcap;
	size_t bytes;
};

static void on_line(void *ctx, const char *line, size_t len)
{
	struct lines *l = ctx;
	assert_int_equal(line[len], '\0');
	xgrow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	xgrow(&l->len, &l->lcap, l->n + 1, sizeof(*l->len));
	l->v[l->n] = xmalloc(len + 1);
	memcpy(l->v[l->n], line, len + 1);
	l->len[l->n++] = len;
	l->bytes += len;
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->len);
	memset(l, 0, sizeof(*l));
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* exec_run, which must succeed. */
static void run(char *const *argv, char *const *env, double timeout, double grace,
		struct lines *l, struct exec_result *res)
{
	struct bs_err err = { 0 };
	memset(l, 0, sizeof(*l));
	if (exec_run(argv, env, timeout, grace, on_line, l, res, &err) != BS_ST_OK)
		fail_msg("exec_run: %s", err.detail);
}

/* Reap what the group left to us (we are a subreaper) and wait until no
 * process of the group is left; fails after max_s. */
static void assert_group_gone(pid_t pgid, double max_s)
{
	double until = now_s() + max_s;
	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (kill(-pgid, 0) == -1 && errno == ESRCH)
			return;
		if (now_s() > until)
			fail_msg("process group %d still has members after %.1f s", (int)pgid, max_s);
		usleep(5000);
	}
}

/* --- output ------------------------------------------------------------- */

static void test_echo(void **state)
{
	char *argv[] = { "echo", "hello", "world", NULL };
	struct lines l;
	struct exec_result res;
	run(argv, NULL, 5, 1, &l, &res);
	assert_true(res.exited);
	assert_int_equal(res.exit_code, 0);
	assert_false(res.signaled || res.timed_out || res.cancelled || res.killed);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], "hello world");
	assert_string_equal(res.output_tail, "hello world\n");
	assert_true(res.seconds >= 0 && res.seconds < 2);
	exec_result_free(&res);
	assert_null(res.output_tail);
	exec_result_free(NULL);
	lines_free(&l);
}

static void test_stdout_stderr_one_pipe(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "echo out1; echo err1 >&2; echo out2; echo err2 >&2; exit 3",
			 NULL };
	struct lines l;
	struct exec_result res;
	run(argv, NULL, 5, 1, &l, &res);
	assert_true(res.exited);
	assert_int_equal(res.exit_code, 3);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0], "out1");
	assert_string_equal(l.v[1], "err1");
	assert_string_equal(l.v[2], "out2");
	assert_string_equal(l.v[3], "err2");
	exec_result_free(&res);
	lines_free(&l);
}

static void test_lines_edges(void **state)
{
	/* no newline at the end; empty lines; \r kept; a NUL inside */
	char *argv[] = { "printf", "a\\n\\n\\nb\\r\\nc\\000d\\ne", NULL };
	struct lines l;
	struct exec_result res;
	run(argv, NULL, 5, 1, &l, &res);
	assert_int_equal(l.n, 6);
	assert_string_equal(l.v[0], "a");
	assert_int_equal(l.len[1], 0);
	assert_int_equal(l.len[2], 0);
	assert_string_equal(l.v[3], "b\r");
	assert_int_equal(l.len[4], 3);
	assert_memory_equal(l.v[4], "c\0d", 3);
	assert_string_equal(l.v[5], "e");
	exec_result_free(&res);
	lines_free(&l);
}

static void test_long_lines(void **state)
{
	/* 20000 x without a newline, then a line of exactly EXEC_LINE_MAX, then
	 * one byte more */
	char *script = xasprintf("head -c 20000 /dev/zero | tr '\\0' x; echo;"
				 "head -c %d /dev/zero | tr '\\0' y; echo;"
				 "head -c %d /dev/zero | tr '\\0' z; echo;"
				 "head -c 30000 /dev/zero | tr '\\0' w",
				 EXEC_LINE_MAX, EXEC_LINE_MAX + 1);
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct lines l;
	struct exec_result res;
	run(argv, NULL, 5, 1, &l, &res);
	size_t want[] = { EXEC_LINE_MAX, EXEC_LINE_MAX, 20000 - 2 * EXEC_LINE_MAX, EXEC_LINE_MAX,
			  EXEC_LINE_MAX, 1, EXEC_LINE_MAX, EXEC_LINE_MAX, EXEC_LINE_MAX,
			  30000 - 3 * EXEC_LINE_MAX };
	char wantc[] = { 'x', 'x', 'x', 'y', 'z', 'z', 'w', 'w', 'w', 'w' };
	assert_int_equal(l.n, ARRAY_SIZE(want));
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(l.len[i], want[i]);
		for (size_t k = 0; k < l.len[i]; k++)
			if (l.v[i][k] != wantc[i])
				fail_msg("line %zu byte %zu", i, k);
	}
	assert_int_equal(l.bytes, 20000 + EXEC_LINE_MAX + EXEC_LINE_MAX + 1 + 30000);
	/* the tail: the last 4 KiB */
	assert_int_equal(strlen(res.output_tail), EXEC_TAIL_MAX);
	assert_int_equal(strspn(res.output_tail, "w"), EXEC_TAIL_MAX);
	exec_result_free(&res);
	lines_free(&l);
	free(script);
}

static void test_many_lines(void **state)
{
	char *argv[] = { "seq", "1", "50000", NULL };
	struct lines l;
	struct exec_result res;
	run(argv, NULL, 5, 1, &l, &res);
	assert_int_equal(l.n, 50000);
	for (size_t i = 0; i < l.n; i++) {
		char want[32];
		snprintf(want, sizeof(want), "%zu", i + 1);
		assert_string_equal(l.v[i], want);
	}
	/* the tail ends with the last lines, whole */
	assert_non_null(strstr(res.output_tail, "\n49999\n50000\n"));
	exec_result_free(&res);
	lines_free(&l);
}

static void test_tail_utf8(void **state)
{
	/* 3000 x U+00E9 then 'x': the last 4096 bytes start inside a character */
	char *argv[] = { "/bin/sh", "-c",
			 "i=0; while [ $i -lt 3000 ]; do printf '\\303\\251'; i=$((i+1)); done; printf x",
			 NULL };
	struct lines l;
	struct exec_result res;
	run(argv, NULL, 5, 1, &l, &res);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.bytes, 6001);
	assert_int_equal(strlen(res.output_tail), EXEC_TAIL_MAX - 1);
	assert_int_equal((unsigned char)res.output_tail[0], 0xc3);
	exec_result_free(&res);
	lines_free(&l);
}

/* --- the child's world ---------------------------------------------------- */

static void test_env(void **state)
{
	setenv("BS_TEST_KEEP", "kept", 1);
	setenv("BS_TEST_REPLACE", "old", 1);
	char *env[] = { "BS_TEST_NEW=a b $c", "BS_TEST_REPLACE=new", "BS_TEST_TWICE=1",
			"BS_TEST_TWICE=2", "BS_TEST_EMPTY=", NULL };
	char *argv[] = { "/bin/sh", "-c",
			 "echo \"$BS_TEST_KEEP|$BS_TEST_NEW|$BS_TEST_REPLACE|$BS_TEST_TWICE|${BS_TEST_EMPTY-unset}\";"
			 "env | grep -c '^BS_TEST_REPLACE='; env | grep -c '^BS_TEST_TWICE='",
			 NULL };
	struct lines l;
	struct exec_result res;
	run(argv, env, 5, 1, &l, &res);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0], "kept|a b $c|new|2|");
	assert_string_equal(l.v[1], "1");
	assert_string_equal(l.v[2], "1");
	exec_result_free(&res);
	lines_free(&l);
	/* our own environment is untouched */
	assert_string_equal(getenv("BS_TEST_REPLACE"), "old");
	assert_null(getenv("BS_TEST_NEW"));
	unsetenv("BS_TEST_KEEP");
	unsetenv("BS_TEST_REPLACE");
}

static void test_stdin_devnull(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "readlink /proc/self/fd/0; cat; echo done", NULL };
	struct lines l;
	struct exec_result res;
	run(argv, NULL, 5, 1, &l, &res);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "/dev/null");
	assert_string_equal(l.v[1], "done");
	exec_result_free(&res);
	lines_free(&l);
}

/* Descriptors the caller left open (without close-on-exec) do not reach
 * the step: ls shows 0-2 and its own directory descriptor only. */
static void test_no_inherited_fds(void **state)
{
	int a = open("/dev/null", O_RDONLY);
	assert_true(a >= 0);
	assert_int_equal(dup2(a, 77), 77);
	int p[2];
	assert_int_equal(pipe(p), 0);
	char *argv[] = { "ls", "-1", "/proc/self/fd", NULL };
	struct lines l;
	struct exec_result res;
	run(argv, NULL, 5, 1, &l, &res);
	assert_true(res.exited && res.exit_code == 0);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.v[0], "0");
	assert_string_equal(l.v[1], "1");
	assert_string_equal(l.v[2], "2");
	assert_string_equal(l.v[3], "3"); /* ls's opendir */
	exec_result_free(&res);
	lines_free(&l);
	close(a);
	close(77);
	close(p[0]);
	close(p[1]);
}

static void test_process_group(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "cut -d' ' -f5 /proc/self/stat; echo $$", NULL };
	struct exec *e;
	struct lines l = { 0 };
	struct bs_err err = { 0 };
	assert_int_equal(exec_start(argv, NULL, 5, 1, on_line, &l, &e, &err), BS_ST_OK);
	pid_t pid = exec_pid(e);
	assert_true(exec_fd(e) > 2);
	assert_true(exec_timeout_ms(e) > 0);
	struct exec_result res;
	while (!exec_poll(e, &res))
		usleep(2000);
	assert_int_equal(exec_fd(e), -1);
	assert_int_equal(exec_timeout_ms(e), 0);
	exec_free(e);
	assert_int_equal(l.n, 2);
	char want[16];
	snprintf(want, sizeof(want), "%d", (int)pid);
	assert_string_equal(l.v[0], want); /* cut's process group is the step's */
	assert_string_equal(l.v[1], want); /* and the shell leads it */
	assert_int_not_equal(getpgrp(), pid);
	exec_result_free(&res);
	lines_free(&l);
}

/* No timeout: exec_timeout_ms says to wait on the descriptor alone. */
static void test_no_timeout(void **state)
{
	char *argv[] = { "echo", NULL };
	struct exec *e;
	struct bs_err err = { 0 };
	assert_int_equal(exec_start(argv, NULL, 0, 1, NULL, NULL, &e, &err), BS_ST_OK);
	assert_int_equal(exec_timeout_ms(e), -1);
	exec_free(e);
}

static void test_not_found(void **state)
{
	struct bs_err err = { 0 };
	struct exec_result res;
	char *a1[] = { "bs-no-such-program", "x", NULL };
	assert_int_equal(exec_run(a1, NULL, 5, 1, NULL, NULL, &res, &err), BS_ST_IO);
	assert_string_equal(err.detail, "cannot run bs-no-such-program: No such file or directory");
	char *a2[] = { "/etc/passwd", NULL };
	assert_int_equal(exec_run(a2, NULL, 5, 1, NULL, NULL, &res, &err), BS_ST_IO);
	assert_string_equal(err.detail, "cannot run /etc/passwd: Permission denied");
	char *a3[] = { "/tmp", NULL };
	struct exec *e = (struct exec *)1;
	assert_int_equal(exec_start(a3, NULL, 5, 1, NULL, NULL, &e, &err), BS_ST_IO);
	assert_null(e);
	assert_string_equal(err.detail, "cannot run /tmp: Permission denied");
	/* the failed child was reaped */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);

	char *a4[] = { NULL };
	assert_int_equal(exec_run(a4, NULL, 5, 1, NULL, NULL, &res, &err), BS_ST_INTERNAL);
	assert_int_equal(exec_run(NULL, NULL, 5, 1, NULL, NULL, &res, &err), BS_ST_INTERNAL);
	char *a5[] = { "true", NULL };
	char *bad_env[] = { "OK=1", "secret-without-equals", NULL };
	assert_int_equal(exec_run(a5, bad_env, 5, 1, NULL, NULL, &res, &err), BS_ST_INTERNAL);
	assert_string_equal(err.detail, "extra environment entry 2 is not NAME=value");
}

static void test_exit_and_signal(void **state)
{
	char *a1[] = { "/bin/sh", "-c", "exit 42", NULL };
	struct lines l;
	struct exec_result res;
	run(a1, NULL, 5, 1, &l, &res);
	assert_true(res.exited);
	assert_false(res.signaled);
	assert_int_equal(res.exit_code, 42);
	exec_result_free(&res);
	lines_free(&l);
	char *a2[] = { "/bin/sh", "-c", "kill -USR1 $$", NULL };
	run(a2, NULL, 5, 1, &l, &res);
	assert_false(res.exited);
	assert_true(res.signaled);
	assert_int_equal(res.signal, SIGUSR1);
	assert_false(res.timed_out || res.cancelled || res.killed);
	exec_result_free(&res);
	lines_free(&l);
}

/* A caller that ignores SIGPIPE and blocks SIGTERM does not pass that on. */
static void test_signal_state_reset(void **state)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_pipe;
	sigaction(SIGPIPE, &ign, &old_pipe);
	sigset_t term, old_mask;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old_mask);

	char *a1[] = { "/bin/sh", "-c", "yes | head -n 1; echo done", NULL };
	struct lines l;
	struct exec_result res;
	run(a1, NULL, 5, 1, &l, &res);
	assert_int_equal(l.n, 2); /* no "yes: Broken pipe" */
	assert_string_equal(l.v[0], "y");
	assert_string_equal(l.v[1], "done");
	exec_result_free(&res);
	lines_free(&l);

	char *a2[] = { "sleep", "5", NULL };
	run(a2, NULL, 0.1, 2, &l, &res);
	assert_true(res.signaled);
	assert_int_equal(res.signal, SIGTERM);
	assert_false(res.killed);
	exec_result_free(&res);
	lines_free(&l);

	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
}

/* --- ending it ------------------------------------------------------------ */

static void test_timeout(void **state)
{
	char *argv[] = { "/bin/sleep", "10", NULL };
	struct lines l;
	struct exec_result res;
	double t0 = now_s();
	run(argv, NULL, 0.2, 2, &l, &res);
	double took = now_s() - t0;
	assert_true(res.timed_out);
	assert_false(res.cancelled);
	assert_false(res.killed);
	assert_true(res.signaled);
	assert_int_equal(res.signal, SIGTERM);
	assert_true(res.seconds >= 0.2 && res.seconds < 1.5);
	assert_true(took >= 0.2 && took < 1.5);
	exec_result_free(&res);
	lines_free(&l);
}

/* A step that ignores SIGTERM gets SIGKILL after the grace period. */
static void test_timeout_kill(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "trap '' TERM; echo ready; sleep 10; echo never", NULL };
	struct lines l;
	struct exec_result res;
	run(argv, NULL, 0.2, 0.3, &l, &res);
	assert_true(res.timed_out);
	assert_true(res.killed);
	assert_true(res.signaled);
	assert_int_equal(res.signal, SIGKILL);
	assert_true(res.seconds >= 0.5 && res.seconds < 1.8);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], "ready");
	exec_result_free(&res);
	lines_free(&l);
}

/* The whole group ends, the grandchild that holds our pipe too. */
static void test_timeout_grandchild(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "sleep 100 & sleep 100", NULL };
	struct exec *e;
	struct bs_err err = { 0 };
	double t0 = now_s();
	assert_int_equal(exec_start(argv, NULL, 0.2, 0.5, NULL, NULL, &e, &err), BS_ST_OK);
	pid_t pgid = exec_pid(e);
	struct exec_result res;
	while (!exec_poll(e, &res))
		usleep(5000);
	exec_free(e);
	assert_true(now_s() - t0 < 0.2 + 0.5 + 0.5);
	assert_true(res.timed_out);
	assert_true(res.signaled);
	assert_group_gone(pgid, 0.5);
	exec_result_free(&res);
}

/* A leader that exits while its background child still holds the output:
 * the step lasts until the output closes (here: the timeout ends it). */
static void test_background_holds_output(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "sleep 100 & echo started", NULL };
	struct lines l;
	struct exec_result res;
	struct exec *e;
	struct bs_err err = { 0 };
	memset(&l, 0, sizeof(l));
	assert_int_equal(exec_start(argv, NULL, 0.3, 0.5, on_line, &l, &e, &err), BS_ST_OK);
	pid_t pgid = exec_pid(e);
	while (!exec_poll(e, &res))
		usleep(5000);
	exec_free(e);
	assert_true(res.exited);
	assert_int_equal(res.exit_code, 0);
	assert_true(res.timed_out);
	assert_int_equal(l.n, 1);
	assert_group_gone(pgid, 0.5);
	exec_result_free(&res);
	lines_free(&l);
}

/* A process that left the group (setsid) and holds the output: after the
 * group got SIGKILL, the output is abandoned after a short while. */
static void test_escaped_process(void **state)
{
	char *argv[] = { "/bin/sh", "-c",
			 "trap '' TERM; setsid sh -c 'echo $$; exec sleep 5' & sleep 100", NULL };
	struct lines l;
	struct exec_result res;
	double t0 = now_s();
	run(argv, NULL, 0.1, 0.1, &l, &res);
	double took = now_s() - t0;
	assert_true(res.timed_out);
	assert_true(res.killed);
	assert_true(took >= 0.2 + 0.5 && took < 1.5);
	assert_int_equal(l.n, 1);
	long pid = strtol(l.v[0], NULL, 10);
	assert_true(pid > 1);
	assert_int_equal(kill((pid_t)pid, SIGKILL), 0); /* it was out of our reach */
	exec_result_free(&res);
	lines_free(&l);
}

/* Output closed before the exit: the exit is still noticed promptly. */
static void test_output_closed_early(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "echo bye; exec >&- 2>&-; sleep 0.2", NULL };
	struct lines l;
	struct exec_result res;
	run(argv, NULL, 5, 1, &l, &res);
	assert_true(res.exited);
	assert_int_equal(res.exit_code, 0);
	assert_false(res.timed_out);
	/* promptly: well before the 5 s timeout, however slow the machine (ASan, valgrind) */
	assert_true(res.seconds >= 0.2 && res.seconds < 4.0);
	assert_int_equal(l.n, 1);
	exec_result_free(&res);
	lines_free(&l);
}

static void test_cancel(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "echo go; sleep 100 & sleep 100", NULL };
	struct exec *e;
	struct lines l = { 0 };
	struct bs_err err = { 0 };
	assert_int_equal(exec_start(argv, NULL, 10, 1, on_line, &l, &e, &err), BS_ST_OK);
	pid_t pgid = exec_pid(e);
	struct exec_result res;
	double t0 = now_s();
	while (l.n == 0) {
		assert_false(exec_poll(e, &res));
		usleep(2000);
	}
	exec_cancel(e);
	exec_cancel(e); /* twice is once */
	while (!exec_poll(e, &res))
		usleep(2000);
	assert_true(now_s() - t0 < 1.0);
	exec_free(e);
	assert_true(res.cancelled);
	assert_false(res.timed_out);
	assert_false(res.killed);
	assert_true(res.signaled);
	assert_int_equal(res.signal, SIGTERM);
	assert_group_gone(pgid, 0.5);
	exec_result_free(&res);
	lines_free(&l);
}

static void on_alarm(int sig)
{
	exec_cancel_request();
}

/* Ctrl-C in the CLI: a signal handler cancels a blocking exec_run. */
static void test_cancel_from_signal_handler(void **state)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, &old);
	struct itimerval it = { .it_value = { .tv_sec = 0, .tv_usec = 200000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	char *argv[] = { "/bin/sh", "-c", "sleep 100 & sleep 100", NULL };
	struct lines l;
	struct exec_result res;
	double t0 = now_s();
	run(argv, NULL, 10, 1, &l, &res);
	double took = now_s() - t0;
	assert_true(res.cancelled);
	assert_false(res.timed_out);
	assert_true(res.signaled);
	assert_true(took >= 0.15 && took < 1.0);
	exec_result_free(&res);
	lines_free(&l);

	/* a request before exec_run: nothing is started */
	exec_cancel_request();
	char *echo[] = { "echo", "never", NULL };
	run(echo, NULL, 10, 1, &l, &res);
	assert_true(res.cancelled);
	assert_false(res.exited || res.signaled);
	assert_int_equal(l.n, 0);
	exec_result_free(&res);
	lines_free(&l);
	/* ... and it is used up */
	run(echo, NULL, 10, 1, &l, &res);
	assert_true(res.exited);
	assert_int_equal(l.n, 1);
	exec_result_free(&res);
	lines_free(&l);
	/* exec_cancel_reset forgets a stale request */
	exec_cancel_request();
	exec_cancel_reset();
	run(echo, NULL, 10, 1, &l, &res);
	assert_true(res.exited);
	assert_false(res.cancelled);
	exec_result_free(&res);
	lines_free(&l);
	sigaction(SIGALRM, &old, NULL);
}

/* exec_free on a running step ends its whole group. */
static void test_free_running(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "sleep 100 & sleep 100", NULL };
	struct exec *e;
	struct bs_err err = { 0 };
	assert_int_equal(exec_start(argv, NULL, 10, 1, NULL, NULL, &e, &err), BS_ST_OK);
	pid_t pgid = exec_pid(e);
	usleep(50000);
	exec_free(e);
	assert_int_equal(kill(pgid, 0), -1); /* the leader is reaped */
	assert_group_gone(pgid, 0.5);
	exec_free(NULL);
}

static int group_setup(void **state)
{
	/* orphans of the steps come to us, so that the tests can reap them and
	 * see their group empty (instead of waiting for a slow init) */
	return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_stdout_stderr_one_pipe),
		cmocka_unit_test(test_lines_edges),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_many_lines),
		cmocka_unit_test(test_tail_utf8),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_stdin_devnull),
		cmocka_unit_test(test_no_inherited_fds),
		cmocka_unit_test(test_process_group),
		cmocka_unit_test(test_no_timeout),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_exit_and_signal),
		cmocka_unit_test(test_signal_state_reset),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_timeout_kill),
		cmocka_unit_test(test_timeout_grandchild),
		cmocka_unit_test(test_background_holds_output),
		cmocka_unit_test(test_escaped_process),
		cmocka_unit_test(test_output_closed_early),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_cancel_from_signal_handler),
		cmocka_unit_test(test_free_running),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
