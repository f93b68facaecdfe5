/* bs.h: small definitions shared by every part of barbican-status. */
#ifndef BS_BS_H
#define BS_BS_H

#include <stdbool.h>
#include <stddef.h>

#define BS_PROG "barbican-status"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define BS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define BS_NORETURN __attribute__((noreturn))
#define BS_UNUSED __attribute__((unused))
#define BS_WARN_UNUSED __attribute__((warn_unused_result))

/* Check results, with the numeric values of oslo.upgradecheck's Code enum. */
enum bs_code {
	BS_SUCCESS = 0,
	BS_WARNING = 1,
	BS_FAILURE = 2,
};

static inline const char *bs_code_label(enum bs_code c)
{
	return c == BS_SUCCESS ? "Success" : c == BS_WARNING ? "Warning" : "Failure";
}

#endif
