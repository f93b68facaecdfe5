/* status.h: typed status codes carried up to main (tig's STATUS_CODE_INFO).
 * Library code never exits: it returns a status and fills a struct bs_err
 * whose detail says what failed; main turns it into one message
 *     barbican-status: <what>: <detail>
 * and an exit code. */
#ifndef BS_STATUS_H
#define BS_STATUS_H

#include "bs.h"

/*      name                 message                              exit code */
#define BS_STATUS_INFO(_) \
	_(OK,                "ok",                                0) \
	_(USAGE,             "usage error",                       2) \
	_(CONFIG_NOT_FOUND,  "config file not found",             255) \
	_(CONFIG_DIR,        "config directory not found",        255) \
	_(CONFIG_READ,       "cannot read config file",           255) \
	_(CONFIG_PARSE,      "cannot parse config file",          255) \
	_(CONFIG_VALUE,      "invalid config value",              255) \
	_(DBURL,             "invalid database URL",              255) \
	_(POLICY_READ,       "cannot read policy file",           255) \
	_(IO,                "input/output error",                255) \
	_(INTERNAL,          "internal error",                    255)

#define BS_STATUS_ENUM(name, msg, code) BS_ST_##name,
enum bs_status { BS_STATUS_INFO(BS_STATUS_ENUM) BS_ST__COUNT };
#undef BS_STATUS_ENUM

struct bs_err {
	enum bs_status status;
	char detail[1024];
};

const char *bs_status_message(enum bs_status st);
int bs_status_exit_code(enum bs_status st);

/* Set err (if not NULL) and return st, so that callers can write
 *     return bs_fail(err, BS_ST_CONFIG_PARSE, "%s: line %d: ...", ...); */
enum bs_status bs_fail(struct bs_err *err, enum bs_status st, const char *fmt, ...)
	BS_PRINTF(3, 4);

/* "barbican-status: <message>: <detail>" on stderr. */
void bs_err_print(const struct bs_err *err);

#endif
