/* xalloc.h: allocation that never returns NULL (aborts with a message on
 * out-of-memory, as tmux's xmalloc.h does). Everything returned is owned by
 * the caller and released with free(). */
#ifndef BS_XALLOC_H
#define BS_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

#include "bs.h"

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xstrdup(s) or NULL when s is NULL. */
char *xstrdup_or_null(const char *s);
char *xasprintf(const char *fmt, ...) BS_PRINTF(1, 2);
char *xvasprintf(const char *fmt, va_list ap) BS_PRINTF(1, 0);

/* Called before the out-of-memory message and abort (the console restores
 * the terminal there). NULL: none. */
void xalloc_set_fatal_hook(void (*hook)(void));

/* Grow an array *pv of *cap elements of size sz so that it holds at least n. */
void xgrow(void *pv, size_t *cap, size_t n, size_t sz);

#endif
