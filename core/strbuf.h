/* strbuf.h: a growable byte buffer with an optional maximum size (curl's
 * curlx_dyn). Anything read from the network goes through one with a cap, so
 * that a node that sends 1 GB gets an error, not our memory. */
#ifndef BS_STRBUF_H
#define BS_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "bs.h"

struct strbuf {
	char *buf;     /* always NUL-terminated once anything was added; may be NULL */
	size_t len;
	size_t alloc;
	size_t max;    /* 0: no limit */
};

#define STRBUF_INIT { NULL, 0, 0, 0 }

void sb_init(struct strbuf *sb, size_t max);
void sb_free(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
/* 0 on success, -1 when the data would exceed max (nothing is added then). */
int sb_add(struct strbuf *sb, const void *data, size_t len);
int sb_addstr(struct strbuf *sb, const char *s);
int sb_addf(struct strbuf *sb, const char *fmt, ...) BS_PRINTF(2, 3);
int sb_addch(struct strbuf *sb, char c);
/* The contents, "" when empty; valid until the next change. */
const char *sb_str(const struct strbuf *sb);
/* Take ownership of the contents (never NULL); the buffer is left empty. */
char *sb_detach(struct strbuf *sb);

#endif
