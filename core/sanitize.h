/* sanitize.h: make strings that came from a node or the database safe for a
 * terminal. Control characters (C0, DEL, C1), invalid UTF-8 and Unicode's
 * format characters (category Cf: zero-width space and joiners, the BOM, the
 * bidirectional overrides) are shown as visible escapes (\x1b, \u200b,
 * \u202e), so that no escape sequence reaches the terminal, nothing
 * invisible passes for something else, and nothing is silently lost. */
#ifndef BS_SANITIZE_H
#define BS_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>

/* A new string (caller frees); NULL gives NULL. With keep_newlines, '\n' is
 * kept as is (for multi-line details); otherwise it is escaped too. */
char *sanitize_term(const char *s, bool keep_newlines);
/* Same, but the ASCII whitespace that Python's textwrap handles itself
 * (\t \n \v \f \r) is kept, for text that is wrapped afterwards. */
char *sanitize_term_keep_ws(const char *s);
/* Same, for a byte range that may hold NULs. */
char *sanitize_term_n(const char *s, size_t len, bool keep_newlines);
/* A program's output line (a step's, shown to people): its terminal escape
 * sequences removed (CSI such as the colour reset "\x1b[00m", OSC ended by
 * BEL or ESC \, and two-byte ESC sequences), a '\r' that ends it dropped,
 * then sanitized as sanitize_term_n (newlines escaped). The text is kept,
 * only the sequences go. Caller frees. */
char *sanitize_output_line(const char *s, size_t len);
/* A URL with the password of its userinfo replaced by "***"
 * ("http://admin:pw@host/" -> "http://admin:***@host/"); a URL without one
 * is returned as it is. NULL gives NULL; caller frees. For any URL shown
 * (database URLs have dburl_masked, which follows SQLAlchemy). */
char *url_masked(const char *url);
/* The URL without its userinfo ("http://admin:pw@h:1/x" -> "http://h:1/x");
 * NULL for NULL. Caller frees. */
char *url_without_userinfo(const char *url);
/* The authority of a URL (just after "://", len bytes, up to its path,
 * query or fragment) and *userinfo_at, its last '@' (NULL: no userinfo);
 * NULL when the URL has no "://". */
const char *url_authority(const char *url, const char **userinfo_at, size_t *len);
/* True when s needs no escaping. */
bool is_term_safe(const char *s);

/* True for a format character (Unicode general category Cf). */
bool is_format_char(unsigned cp);

/* Decode one UTF-8 sequence at s (n bytes available). Returns its length and
 * sets *cp, or returns 0 for an invalid or truncated sequence (overlongs and
 * surrogates are invalid). */
size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp);

#endif
