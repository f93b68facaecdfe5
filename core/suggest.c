#include "suggest.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

size_t suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t w = lb + 1;
	/* three rows: i-2, i-1, i */
	size_t *d = xcalloc(3 * w, sizeof(*d));
	size_t *r2 = d, *r1 = d + w, *r0 = d + 2 * w;
	for (size_t j = 0; j <= lb; j++)
		r1[j] = j;
	for (size_t i = 1; i <= la; i++) {
		r0[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = r1[j - 1] + cost;        /* substitution (or match) */
			if (r1[j] + 1 < best)
				best = r1[j] + 1;              /* deletion */
			if (r0[j - 1] + 1 < best)
				best = r0[j - 1] + 1;          /* insertion */
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    r2[j - 2] + 1 < best)
				best = r2[j - 2] + 1;          /* swap */
			r0[j] = best;
		}
		size_t *t = r2;
		r2 = r1;
		r1 = r0;
		r0 = t;
	}
	size_t dist = r1[lb];
	free(d);
	return dist;
}

char *suggest_nearest(const char *word, const char *const *candidates, size_t n)
{
	size_t best = (size_t)-1;
	for (size_t i = 0; i < n; i++) {
		size_t dist = suggest_distance(word, candidates[i]);
		if (dist == 0)
			return NULL;
		if (dist <= 2 && 2 * dist < strlen(candidates[i]) && dist < best)
			best = dist;
	}
	if (best == (size_t)-1)
		return NULL;
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (suggest_distance(word, candidates[i]) != best)
			continue;
		/* the same word twice in the table (a command of two forms) once */
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(candidates[k], candidates[i]) == 0;
		if (!seen)
			sb_addf(&sb, "%s'%s'", sb.len ? " or " : "", candidates[i]);
	}
	return sb_detach(&sb);
}
