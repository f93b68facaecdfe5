/* libcurl.h: libcurl, opened the first time something is asked over HTTP
 * rather than when barbican-status starts.
 *
 * Linked, libcurl and the seven libraries it brings that libpq does not
 * (nghttp2, librtmp, libssh2, libpsl, zstd and brotli's two) are mapped and
 * relocated at every start, whether or not a node is asked: measured here,
 * `--version` took 6.6 ms of CPU linked and 5.5 ms without (median of 30),
 * about a twentieth of an `upgrade check` that asks no node, measured
 * against the scale issue's floor (a C program that links libpq only,
 * bench/upgrade-check-db.sh). Opened with
 * dlopen(3) by the prober (probes/http.c) when it is made, they cost
 * nothing to the commands that ask no node (upgrade check, migrations,
 * gate and plan without nodes, the journal), as git keeps libcurl out of
 * git itself in git-remote-http.
 *
 * The functions are the ones curl/curl.h declares, with their types, taken
 * from the library by name; only probes/http.c calls them. */
#ifndef BS_LIBCURL_H
#define BS_LIBCURL_H

#include <curl/curl.h>
#include <stdbool.h>

/* The library's name, as Debian's libcurl4 installs it (its ABI since 7.16) */
#define LIBCURL_SONAME "libcurl.so.4"

#define LIBCURL_FUNCTIONS(X)                                                                \
	X(global_init) X(global_cleanup) X(easy_init) X(easy_cleanup) X(easy_reset)         \
	X(easy_setopt) X(easy_getinfo) X(easy_strerror) X(free) X(slist_append)             \
	X(slist_free_all) X(multi_init) X(multi_cleanup) X(multi_setopt)                    \
	X(multi_add_handle) X(multi_remove_handle) X(multi_perform) X(multi_poll)           \
	X(multi_info_read) X(multi_timeout) X(url) X(url_cleanup) X(url_set) X(url_get)

/* libcurl.NAME is curl_NAME, once libcurl_open() has returned true */
struct libcurl_functions {
#define LIBCURL_MEMBER(name) __typeof__(curl_##name) *name;
	LIBCURL_FUNCTIONS(LIBCURL_MEMBER)
#undef LIBCURL_MEMBER
};
extern struct libcurl_functions libcurl;

/* Open the library and run curl_global_init, once (later calls return the
 * first one's answer). False when it cannot, *why saying why (the caller
 * frees it): the library missing or not loadable (dlerror's words), a
 * function missing from it, or curl_global_init failing. */
bool libcurl_open(char **why);
/* curl_global_cleanup, when libcurl_open succeeded; at exit. */
void libcurl_close(void);

#endif
