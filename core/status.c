#include "status.h"

#include <stdarg.h>
#include <stdio.h>

static const struct {
	const char *msg;
	int code;
} status_info[] = {
#define BS_STATUS_ROW(name, msg, code) { msg, code },
	BS_STATUS_INFO(BS_STATUS_ROW)
#undef BS_STATUS_ROW
};

const char *bs_status_message(enum bs_status st)
{
	return (unsigned)st < BS_ST__COUNT ? status_info[st].msg : "unknown status";
}

int bs_status_exit_code(enum bs_status st)
{
	return (unsigned)st < BS_ST__COUNT ? status_info[st].code : 255;
}

enum bs_status bs_fail(struct bs_err *err, enum bs_status st, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		err->status = st;
		va_start(ap, fmt);
		vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
		va_end(ap);
	}
	return st;
}

void bs_err_print(const struct bs_err *err)
{
	if (err->detail[0])
		fprintf(stderr, BS_PROG ": %s: %s\n", bs_status_message(err->status), err->detail);
	else
		fprintf(stderr, BS_PROG ": %s\n", bs_status_message(err->status));
}
