/* oracle-util.h: what the unit tests share for talking to their Python
 * references, the scripts of tests/oracle (run by $BS_PYTHON, or
 * /usr/bin/python3 when it is not set, from $BS_SOURCE_ROOT; meson test sets
 * both): running an oracle and reading what it prints, the x<hex> encoding
 * of the line-based oracles, batches of texts, the seeded random numbers of
 * the random cases, and a temporary directory for tests that write files.
 *
 * The functions fail the current cmocka test (fail_msg, assert_*) when
 * something outside the code under test goes wrong: no BS_SOURCE_ROOT, an
 * oracle that exits with an error, output that is not what was asked for.
 * What they return is owned by the caller unless said otherwise. */
#ifndef BS_TEST_ORACLE_UTIL_H
#define BS_TEST_ORACLE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "strbuf.h"

/* Run $BS_PYTHON $BS_SOURCE_ROOT/tests/oracle/SCRIPT ARG... with
 * PYTHONUTF8=1. The arguments are the strings after input, up to a NULL;
 * when input is not NULL, its bytes are written to a temporary file first,
 * /tmp/bs-PROG-XXXXXX (PROG the test program's name), whose path is the
 * last argument (the file is removed afterwards). Returns everything the
 * oracle wrote to stdout, NUL-terminated, in a new string the caller frees.
 * The oracle's stderr goes to the test's. */
char *oracle_run(const char *script, const struct strbuf *input, ...)
	__attribute__((sentinel));

/* Run PROG FILE (no Python, no PYTHONUTF8), FILE a temporary file that
 * holds input's bytes as for oracle_run (PROG alone when input is NULL):
 * for a shell and a script, say. Returns all PROG wrote to stdout,
 * NUL-terminated, in a new string the caller frees; its length (which counts
 * any NULs inside) goes to *len unless len is NULL. Fails the test when PROG
 * exits with an error. */
char *oracle_run_prog(const char *prog, const struct strbuf *input, size_t *len);

/* Write req (not consumed) as JSON to DIR/request.json (left there, to look
 * at), run SCRIPT on that file, and parse its stdout as one JSON value: a new
 * reference the caller releases with json_decref(). */
json_t *oracle_run_json(const char *script, const char *dir, json_t *req);

/* Append 'x' and the n bytes of s as lowercase hex: how the line-based
 * oracles take and give texts that may hold any byte. */
void oracle_add_hex(struct strbuf *sb, const char *s, size_t n);

/* Decode the n characters of an "x<hex>" token (not necessarily
 * NUL-terminated) to a new NUL-terminated string the caller frees; its
 * length (which counts any NULs inside) goes to *len unless len is NULL. */
char *oracle_unhex(const char *tok, size_t n, size_t *len);

/* The next line of an oracle's answer, the text at *p (what oracle_run
 * returned): the '\n' that ends it is replaced with a NUL in place and *p
 * moved past it. The line points into the text; nothing is allocated. Fails
 * the test when the text has no more lines (the oracle answered fewer cases
 * than were sent). */
char *oracle_answer(char **p);

/* Print "  LABEL: S" to stderr, the n bytes of s made safe for a terminal
 * (newlines escaped too) and, when max is not 0, cut after max bytes with
 * "..." to show it was. */
void oracle_show(const char *label, const char *s, size_t n, size_t max);

/* A batch of texts, any bytes (NULs included), to send to an oracle in one
 * run. Start from { 0 }; oracle_texts_free releases what it holds. */
struct oracle_texts {
	char **v;    /* each a copy, NUL-terminated after its len[i] bytes */
	size_t *len;
	size_t n, cap, lcap;
};

/* Append a copy of the len bytes at s. */
void oracle_texts_add(struct oracle_texts *t, const char *s, size_t len);
void oracle_texts_free(struct oracle_texts *t);
/* oracle_run(script, input, mode, NULL) with one x<hex> line per text of t
 * as input: the oracle's stdout, which the caller frees. */
char *oracle_run_texts(const char *script, const char *mode, const struct oracle_texts *t);
/* Run SCRIPT corpus FILE, which decodes the escapes of a corpus file and
 * prints one x<hex> line per text, and append those texts to t. Returns how
 * many were appended. */
size_t oracle_add_corpus(struct oracle_texts *t, const char *script, const char *file);

/* Run SCRIPT MODE, which prints a table of runs over the code points: lines
 * "START VALUE", each the first code point of a run of code points that
 * share VALUE, in order. Fills starts[] and vals[] (max entries at most) and
 * returns how many runs there are. */
size_t oracle_read_runs(const char *script, const char *mode, uint32_t *starts, int *vals,
			size_t max);

/* The next number of splitmix64 from *state, which it advances: the random
 * cases of a test come from a fixed seed, so every run sends the same. */
uint64_t oracle_rand(uint64_t *state);

/* Group fixtures, cmocka_run_group_tests(tests, oracle_tmpdir_setup,
 * oracle_tmpdir_teardown), for tests that write many files. Setup makes a
 * new empty directory $TMPDIR/bs-PROG-XXXXXX (PROG the test program's name;
 * without TMPDIR in /dev/shm when it can be written, else in /tmp), and
 * oracle_tmpdir() names it (a string the module owns) until teardown removes
 * it with everything below it (links are removed, not followed). With
 * BS_TEST_KEEP set in the environment, teardown keeps it all and prints its
 * path to stderr, to look at. Both return 0 on success, else -1. */
int oracle_tmpdir_setup(void **state);
int oracle_tmpdir_teardown(void **state);
const char *oracle_tmpdir(void);

#endif
