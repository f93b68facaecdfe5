#include "sanitize.h"

#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	if (n == 0)
		return 0;
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2, min = 0x80, c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, min = 0x800, c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Unicode's format characters (general category Cf, Unicode 14: what
 * Debian 12's Python knows): invisible, yet they change what is shown (the
 * bidi overrides and isolates) or hide in it (zero-width space and joiners,
 * the BOM, soft hyphen, tags), so that "15.0.1\u200b" looks like 15.0.1.
 * tests/unit/test-sanitize.c compares this table with unicodedata. */
static const struct { unsigned lo, hi; } format_chars[] = {
	{ 0xad, 0xad }, { 0x600, 0x605 }, { 0x61c, 0x61c }, { 0x6dd, 0x6dd },
	{ 0x70f, 0x70f }, { 0x890, 0x891 }, { 0x8e2, 0x8e2 }, { 0x180e, 0x180e },
	{ 0x200b, 0x200f }, { 0x202a, 0x202e }, { 0x2060, 0x2064 }, { 0x2066, 0x206f },
	{ 0xfeff, 0xfeff }, { 0xfff9, 0xfffb }, { 0x110bd, 0x110bd }, { 0x110cd, 0x110cd },
	{ 0x13430, 0x13438 }, { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a }, { 0xe0001, 0xe0001 },
	{ 0xe0020, 0xe007f },
};

bool is_format_char(unsigned cp)
{
	size_t lo = 0, hi = sizeof(format_chars) / sizeof(format_chars[0]);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (cp < format_chars[mid].lo)
			hi = mid;
		else if (cp > format_chars[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static char *sanitize(const char *s, size_t len, bool keep_newlines, bool keep_ws)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned cp;
		size_t n = utf8_decode(p + i, len - i, &cp);
		if (n == 0) {
			sb_addf(&sb, "\\x%02x", p[i]);
			i++;
			continue;
		}
		if ((cp == '\n' && keep_newlines) || (keep_ws && cp < 0x80 && cp && strchr("\t\n\v\f\r", (int)cp)) ||
		    (cp >= 0x20 && cp < 0x7f) ||
		    (cp >= 0xa0 && !is_format_char(cp))) {
			sb_add(&sb, p + i, n);
		} else if (cp < 0x80) {
			sb_addf(&sb, "\\x%02x", cp);
		} else {
			sb_addf(&sb, "\\u%04x", cp);
		}
		i += n;
	}
	return sb_detach(&sb);
}

char *sanitize_term_n(const char *s, size_t len, bool keep_newlines)
{
	return sanitize(s, len, keep_newlines, false);
}

char *sanitize_output_line(const char *s, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c != 0x1b) {
			sb_addch(&sb, (char)c);
			i++;
			continue;
		}
		if (i + 1 >= len) {
			i++; /* a lone ESC at the end */
			continue;
		}
		unsigned char k = (unsigned char)s[i + 1];
		if (k == '[') { /* CSI: parameters and intermediates, then a final byte */
			i += 2;
			while (i < len && ((unsigned char)s[i] < 0x40 || (unsigned char)s[i] > 0x7e))
				i++;
			i++;
		} else if (k == ']' || k == 'P' || k == '_' || k == '^') {
			/* OSC, DCS, APC, PM: up to BEL or ESC \ */
			i += 2;
			while (i < len && s[i] != '\a' && !(s[i] == 0x1b && i + 1 < len && s[i + 1] == '\\'))
				i++;
			i += i < len && s[i] == '\a' ? 1 : 2;
		} else {
			i += 2; /* ESC and one byte: charset selection, keypad modes */
		}
	}
	size_t n = sb.len;
	const char *t = sb_str(&sb);
	while (n > 0 && t[n - 1] == '\r')
		n--;
	char *r = sanitize(t, n, false, false);
	sb_free(&sb);
	return r;
}

char *sanitize_term_keep_ws(const char *s)
{
	return s ? sanitize(s, strlen(s), true, true) : NULL;
}

char *sanitize_term(const char *s, bool keep_newlines)
{
	return s ? sanitize_term_n(s, strlen(s), keep_newlines) : NULL;
}

bool is_term_safe(const char *s)
{
	char *t = sanitize_term(s, false);
	bool same = strcmp(s, t) == 0;
	free(t);
	return same;
}

const char *url_authority(const char *url, const char **userinfo_at, size_t *len)
{
	const char *p = url ? strstr(url, "://") : NULL;
	if (!p)
		return NULL;
	p += 3;
	size_t auth = strcspn(p, "/?#");
	const char *last = NULL;
	for (size_t i = 0; i < auth; i++)
		if (p[i] == '@')
			last = p + i;
	*userinfo_at = last;
	*len = auth;
	return p;
}

/* Where a URL's userinfo is: from *start (just after "://") to *at (its '@');
 * false when it has none. */
static bool userinfo(const char *url, const char **start, const char **at)
{
	size_t len;
	*start = url_authority(url, at, &len);
	return *start && *at;
}

char *url_masked(const char *url)
{
	if (!url)
		return NULL;
	const char *start, *at;
	const char *colon = userinfo(url, &start, &at) ? memchr(start, ':', (size_t)(at - start))
							: NULL;
	if (!colon)
		return xstrdup(url);
	return xasprintf("%.*s***%s", (int)(colon + 1 - url), url, at);
}

char *url_without_userinfo(const char *url)
{
	if (!url)
		return NULL;
	const char *start, *at;
	if (!userinfo(url, &start, &at))
		return xstrdup(url);
	return xasprintf("%.*s%s", (int)(start - url), url, at + 1);
}
