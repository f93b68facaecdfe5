/* bench/floor-curl.c: what libcurl alone gets from the fleet's server, for
 * reading the scale issue's "one poll" figure: N GETs of BASE/0 .. BASE/N-1
 * through one multi handle with C transfers at a time on kept-alive
 * connections (curl_multi_perform and curl_multi_poll, as probes/http.c
 * drives them), bodies thrown away; no configuration, no parsing, no
 * output. Built and run by bench/fleet.sh:
 *   floor-curl BASE N C      prints "REQUESTS SECONDS" */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <curl/curl.h>

static size_t discard(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)u;
	return size * n;
}

static const char *base;
static long next, total;
static char url[512];

static void ask(CURLM *m, CURL *e)
{
	snprintf(url, sizeof(url), "%s%ld", base, next++);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_multi_add_handle(m, e);
}

int main(int argc, char **argv)
{
	if (argc != 4 || atol(argv[2]) < 1 || atol(argv[3]) < 1) {
		fprintf(stderr, "usage: floor-curl BASE N C\n");
		return 2;
	}
	base = argv[1];
	total = atol(argv[2]);
	long conc = atol(argv[3]), done = 0, failed = 0;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURLM *m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, conc * 2);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < conc && next < total; i++) {
		CURL *e = curl_easy_init();
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		ask(m, e);
	}
	while (done < total) {
		int running;
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			CURL *e = msg->easy_handle;
			failed += msg->data.result != CURLE_OK;
			curl_multi_remove_handle(m, e);
			done++;
			if (next < total)
				ask(m, e);
			else
				curl_easy_cleanup(e);
		}
		if (done < total)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	if (failed) {
		fprintf(stderr, "floor-curl: %ld of %ld requests failed\n", failed, total);
		return 1;
	}
	printf("%ld %.4f\n", total,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}
