#include "libcurl.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

struct libcurl_functions libcurl;

static enum { LC_CLOSED, LC_OPEN, LC_FAILED } state;
static char *failure;   /* why, when LC_FAILED */

static bool fail(char **why, char *msg)
{
	state = LC_FAILED;
	failure = msg;
	*why = xstrdup(msg);
	return false;
}

bool libcurl_open(char **why)
{
	if (state == LC_OPEN)
		return true;
	if (state == LC_FAILED) {
		*why = xstrdup(failure);
		return false;
	}
	/* never closed: libcurl stays for the life of the process */
	void *h = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		return fail(why, xasprintf("libcurl cannot be loaded (%s): install Debian's "
					   "libcurl4", e ? e : LIBCURL_SONAME));
	}
	void *sym;
	/* memcpy: ISO C has no conversion from void * to a function pointer */
#define LIBCURL_TAKE(name)                                                                  \
	if (!(sym = dlsym(h, "curl_" #name)))                                               \
		return fail(why, xasprintf("libcurl cannot be loaded: %s has no curl_" #name \
					   " (libcurl 7.66 or later is needed)", LIBCURL_SONAME)); \
	memcpy(&libcurl.name, &sym, sizeof(sym));
	LIBCURL_FUNCTIONS(LIBCURL_TAKE)
#undef LIBCURL_TAKE
	CURLcode rc = libcurl.global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK)
		return fail(why, xasprintf("libcurl cannot start: curl_global_init: %s",
					   libcurl.easy_strerror(rc)));
	state = LC_OPEN;
	return true;
}

void libcurl_close(void)
{
	if (state == LC_OPEN)
		libcurl.global_cleanup();
	if (state == LC_FAILED)
		free(failure);
	failure = NULL;
	state = LC_CLOSED;
}
