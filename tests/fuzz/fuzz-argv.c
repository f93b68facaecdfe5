/* fuzz-argv.c: runner/argv.c on arbitrary bytes: split, expand (with
 * values full of quotes, blanks, braces and $, and with none), display.
 * Invariants (abort when broken):
 *  - an error is BS_ST_CONFIG_VALUE with a message, and leaves no argv;
 *  - the word count matches the NULL-terminated vector;
 *  - argv_display of any result splits back to the same words;
 *  - a template without braces expands to exactly its split words;
 *  - expand succeeds only where split succeeds.
 * The words themselves are checked against shlex and /bin/sh by
 * tests/unit/test-argv.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proc/argv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count(char *const *w)
{
	size_t n = 0;
	while (w[n])
		n++;
	return n;
}

static int same(char *const *a, char *const *b)
{
	size_t i = 0;
	for (; a[i] && b[i]; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return !a[i] && !b[i];
}

static void check_error(enum bs_status st, const struct bs_err *err, char **out)
{
	if (st != BS_ST_CONFIG_VALUE || err->status != BS_ST_CONFIG_VALUE || !err->detail[0] || out)
		abort();
}

/* argv_display(w) splits back to w. */
static void check_display(char *const *w)
{
	char *d = argv_display(w);
	char **back;
	size_t n;
	struct bs_err err = { 0 };
	if (!d || argv_split(d, &back, &n, &err) != BS_ST_OK)
		abort();
	if (n != count(back) || !same(back, w))
		abort();
	argv_free(back);
	free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a C string: up to the first NUL of the input */
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	char **words = NULL;
	size_t nwords = 0;
	struct bs_err err = { 0 };
	enum bs_status st = argv_split(s, &words, &nwords, &err);
	if (st == BS_ST_OK) {
		if (nwords != count(words))
			abort();
		check_display(words);
	} else {
		check_error(st, &err, words);
	}

	static const char *const files[] = { "/etc/barbican/barbican.conf", "/etc/b c/'x'.conf", "" };
	const struct argv_values v = {
		.node = "n 1",
		.host = "h'\"\\",
		.service = "{node}",
		.url = "$x `y` {{ }} \n\t",
		.release = "",
		.revision = "\xff\xc3",
		.config_files = files,
		.nconfig_files = 3,
	};
	const struct argv_values *vals[] = { &v, NULL };
	for (size_t i = 0; i < 2; i++) {
		char **argv = NULL;
		size_t argc = 0;
		struct bs_err e2 = { 0 };
		enum bs_status st2 = argv_expand(s, vals[i], &argv, &argc, &e2);
		if (st2 == BS_ST_OK) {
			if (st != BS_ST_OK || argc != count(argv))
				abort();
			if (!strchr(s, '{') && !strchr(s, '}') && !same(argv, words))
				abort();
			check_display(argv);
			argv_free(argv);
		} else {
			check_error(st2, &e2, argv);
		}
	}
	argv_free(words);
	free(s);
	return 0;
}
