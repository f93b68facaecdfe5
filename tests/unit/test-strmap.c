/* test-strmap.c: core/strmap.c against a plain array, through random puts
 * (new keys and overwrites, the table growing) and lookups, found and not. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "strmap.h"

enum { KEYS = 3000 };

static uint64_t seed = 12;

static unsigned rnd(unsigned n)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(seed >> 33) % n;
}

static void check_all(const struct strmap *m, const size_t *want, const bool *in)
{
	size_t n = 0;
	for (int k = 0; k < KEYS; k++) {
		char key[16];
		int len = snprintf(key, sizeof(key), "k%d", k);
		size_t v = 0;
		bool found = strmap_get(m, key, (size_t)len, &v);
		assert_int_equal(found, in[k]);
		if (in[k])
			assert_int_equal(v, want[k]);
		n += in[k];
	}
	assert_int_equal(m->n, n);
}

static void test_random_ops(void **state)
{
	(void)state;
	static size_t want[KEYS];
	static bool in[KEYS];
	struct strmap m = { 0 };
	check_all(&m, want, in); /* an empty map finds nothing */
	for (int round = 0; round < 200000; round++) {
		/* the first half mostly new keys, the second mostly overwrites */
		int k = (int)rnd(round < 100000 ? KEYS : KEYS / 3);
		char key[16];
		int len = snprintf(key, sizeof(key), "k%d", k);
		want[k] = (size_t)round;
		in[k] = true;
		if (rnd(2)) {
			strmap_put(&m, key, (size_t)len, want[k]);
		} else {
			bool added;
			size_t *v = strmap_ref(&m, key, (size_t)len, &added);
			*v = want[k];
		}
		size_t *f = strmap_find(&m, key, (size_t)len);
		assert_non_null(f);
		assert_int_equal(*f, want[k]);
		if (round % 20000 == 0)
			check_all(&m, want, in);
	}
	check_all(&m, want, in);
	assert_null(strmap_find(&m, "absent", 6));
	strmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
