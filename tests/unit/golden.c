#include "golden.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

char *golden_read(const char *rel)
{
	const char *root = getenv("BS_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/data/golden/%s", root ? root : "..", rel);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (is BS_SOURCE_ROOT set?)", path);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int c;
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(f);
	fclose(m);
	return buf;
}
