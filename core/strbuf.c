#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void sb_init(struct strbuf *sb, size_t max)
{
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
	sb->max = max;
}

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

char *sb_extend(struct strbuf *sb, size_t len)
{
	if (sb->max && (len > sb->max || sb->len > sb->max - len))
		return NULL;
	if (sb->len + len + 1 > sb->alloc) {
		size_t n = sb->alloc ? sb->alloc : 64;
		while (n < sb->len + len + 1)
			n *= 2;
		sb->buf = xrealloc(sb->buf, n);
		sb->alloc = n;
	}
	char *to = sb->buf + sb->len;
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return to;
}

int sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	/* most are short (an escape, a number): formatted on the stack, no
	 * allocation; longer ones formatted again, allocated */
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (len < 0)
		return -1;
	if ((size_t)len < sizeof(small))
		return sb_add(sb, small, (size_t)len);
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	int r = sb_addstr(sb, s);
	free(s);
	return r;
}

const char *sb_str(const struct strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

char *sb_detach(struct strbuf *sb)
{
	char *s = sb->buf ? sb->buf : xstrdup("");
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
	return s;
}
