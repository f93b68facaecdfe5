/* suggest.h: the nearest word to a typo, as git suggests a command
 * (help.c): "did you mean 'contract'?". */
#ifndef BS_SUGGEST_H
#define BS_SUGGEST_H

#include <stddef.h>

/* The optimal string alignment distance (restricted Damerau-Levenshtein):
 * insertions, deletions, substitutions and swaps of two adjacent bytes, each
 * costing 1. */
size_t suggest_distance(const char *a, const char *b);

/* The candidates nearest to word, when near enough to be a typo of one (at
 * most 2 edits, and fewer than half the candidate's length), as
 * "'contract'" or, for a tie, "'plan' or 'next'"; NULL when none is near
 * or word is one of them. Caller frees. */
char *suggest_nearest(const char *word, const char *const *candidates, size_t n);

#endif
