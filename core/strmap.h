/* strmap.h: a string -> size_t hash map (open addressing, linear probing,
 * a word-at-a-time multiplicative hash), for the
 * lookups that would otherwise scan a list: registered options, groups,
 * sections by name. Keys are copied; a key is any byte string (len given),
 * so two strings can be joined with a NUL into one key. */
#ifndef BS_STRMAP_H
#define BS_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strmap {
	struct strmap_slot *slots;
	size_t cap, n;
};

/* The map's hash of len bytes (for others that need a quick fingerprint of
 * a short text; not a cryptographic one). */
uint64_t strmap_hash(const void *key, size_t len);
/* Set key -> value (replacing). */
void strmap_put(struct strmap *m, const char *key, size_t len, size_t value);
/* The value of key, or false. */
bool strmap_get(const struct strmap *m, const char *key, size_t len, size_t *value);
/* The value of key to read or change in place, or NULL when absent. */
size_t *strmap_find(const struct strmap *m, const char *key, size_t len);
/* The value of key to change in place, made (0) when absent (*added then
 * true): one lookup where get and put would be two. Valid until the next
 * put or ref. */
size_t *strmap_ref(struct strmap *m, const char *key, size_t len, bool *added);
void strmap_free(struct strmap *m);

#endif
