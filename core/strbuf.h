/* strbuf.h: a growable byte buffer with an optional maximum size (curl's
 * curlx_dyn). Anything read from the network goes through one with a cap, so
 * that a node that sends 1 GB gets an error, not our memory. */
#ifndef BS_STRBUF_H
#define BS_STRBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

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
/* Room for len more bytes at the end (and the NUL after them): a pointer to
 * them, the length grown by len, the NUL written after; NULL when that would
 * exceed max (nothing changes then). The caller fills them at once. */
char *sb_extend(struct strbuf *sb, size_t len);
/* 0 on success, -1 when the data would exceed max (nothing is added then). */
static inline int sb_add(struct strbuf *sb, const void *data, size_t len)
{
	/* the JSON writers add a few bytes at a time, millions of times for a
	 * large fleet: when there is room and no cap, no call */
	if (!sb->max && sb->alloc - sb->len > len) {
		if (len)
			memcpy(sb->buf + sb->len, data, len);
		sb->len += len;
		sb->buf[sb->len] = '\0';
		return 0;
	}
	char *to = sb_extend(sb, len);
	if (!to)
		return -1;
	if (len)
		memcpy(to, data, len);
	return 0;
}
static inline int sb_addstr(struct strbuf *sb, const char *s)
{
	return sb_add(sb, s, strlen(s));
}
static inline int sb_addch(struct strbuf *sb, char c)
{
	return sb_add(sb, &c, 1);
}
int sb_addf(struct strbuf *sb, const char *fmt, ...) BS_PRINTF(2, 3);
/* The contents, "" when empty; valid until the next change. */
const char *sb_str(const struct strbuf *sb);
/* Take ownership of the contents (never NULL); the buffer is left empty. */
char *sb_detach(struct strbuf *sb);

#endif
