/* golden.h: golden files written by hand from the specification
 * (tests/data/golden/), for the tests of the renderers and the console. */
#ifndef BS_TEST_GOLDEN_H
#define BS_TEST_GOLDEN_H

/* The whole file tests/data/golden/REL (under $BS_SOURCE_ROOT), malloc'd;
 * the test fails when it cannot be read. */
char *golden_read(const char *rel);

#endif
