/* fuzz-dburl.c: core/dburl.c on arbitrary bytes: parse, the libpq arrays
 * (with extra parameters), the MySQL connect arguments, the masked form, and the free functions. Any
 * crash, sanitizer report or leak is a failure; the results themselves are
 * checked against SQLAlchemy by tests/unit/test-dburl.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dburl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a C string: up to the first NUL of the input */
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	struct dburl u;
	struct bs_err err = { 0 };
	if (dburl_parse(s, &u, &err) == BS_ST_OK) {
		static const char *const keys[] = { "connect_timeout", "application_name" };
		static const char *const values[] = { "5", "fuzz" };
		char **k, **v;
		dburl_to_libpq(&u, keys, values, 2, &k, &v);
		size_t n = 0;
		while (k[n]) {
			if (!v[n])
				abort();
			n++;
		}
		if (v[n])
			abort();
		dburl_free_params(k, v);
		(void)dburl_is_postgresql(&u);
		struct dburl_mysql my;
		struct bs_err merr = { 0 };
		enum bs_status mst = dburl_to_mysql(&u, &my, &merr);
		if (mst == BS_ST_OK ? !my.host || (my.ssl_verify_cert < -1 || my.ssl_verify_cert > 1)
				    : mst != BS_ST_DBURL || !merr.detail[0])
			abort();
		dburl_mysql_free(&my);
		dburl_free(&u);
	} else if (err.status != BS_ST_DBURL || !err.detail[0]) {
		abort();
	}
	char *m = dburl_masked(s);
	if (!m)
		abort();
	free(m);
	free(s);
	return 0;
}
