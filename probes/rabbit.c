#include "rabbit.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/xalloc.h"

static char *numeric(const struct sockaddr *sa)
{
	char buf[INET6_ADDRSTRLEN];
	const void *a = sa->sa_family == AF_INET
				? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
				: (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (!inet_ntop(sa->sa_family, a, buf, sizeof(buf)))
		return NULL;
	return xstrdup(buf);
}

/* This machine's addresses (every interface's). */
static char **local_addrs(size_t *n)
{
	*n = 0;
	char **out = NULL;
	struct ifaddrs *ifa = NULL;
	if (getifaddrs(&ifa) != 0)
		return NULL;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || (i->ifa_addr->sa_family != AF_INET &&
				     i->ifa_addr->sa_family != AF_INET6))
			continue;
		char *a = numeric(i->ifa_addr);
		if (!a)
			continue;
		out = xreallocarray(out, *n + 1, sizeof(*out));
		out[(*n)++] = a;
	}
	freeifaddrs(ifa);
	return out;
}

void rabbit_resolve_hosts(struct snapshot *s)
{
	char me[256] = "";
	if (gethostname(me, sizeof(me)) != 0)
		me[0] = '\0';
	me[sizeof(me) - 1] = '\0';
	size_t nlocal = 0;
	char **local = NULL;
	bool have_local = false;
	for (size_t i = 0; i < s->nnodes; i++) {
		struct node *n = &s->nodes[i];
		if (n->addrs_resolved || n->conf->service == SVC_API)
			continue;
		n->addrs_resolved = true;
		const char *h = n->conf->host;
		if (!h)
			continue;
		struct addrinfo hints = { 0 }, *res = NULL;
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(h, NULL, &hints, &res) == 0) {
			for (struct addrinfo *a = res; a; a = a->ai_next) {
				char *num = numeric(a->ai_addr);
				if (!num)
					continue;
				bool dup = false;
				for (size_t k = 0; k < n->naddrs && !dup; k++)
					dup = strcmp(n->addrs[k], num) == 0;
				if (dup) {
					free(num);
					continue;
				}
				n->addrs = xreallocarray(n->addrs, n->naddrs + 1, sizeof(*n->addrs));
				n->addrs[n->naddrs++] = num;
			}
			freeaddrinfo(res);
		}
		n->is_local = strcmp(h, me) == 0 || strcmp(h, "localhost") == 0;
		if (!have_local) {
			local = local_addrs(&nlocal);
			have_local = true;
		}
		for (size_t k = 0; k < n->naddrs && !n->is_local; k++) {
			if (strncmp(n->addrs[k], "127.", 4) == 0 || strcmp(n->addrs[k], "::1") == 0)
				n->is_local = true;
			for (size_t l = 0; l < nlocal && !n->is_local; l++)
				n->is_local = strcmp(n->addrs[k], local[l]) == 0;
		}
	}
	for (size_t l = 0; l < nlocal; l++)
		free(local[l]);
	free(local);
}
