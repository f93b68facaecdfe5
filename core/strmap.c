#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct strmap_slot {
	char *key;       /* NULL: empty */
	size_t len;
	size_t value;
	uint64_t hash;
};

/* Eight bytes at a time (the keys are a section and a name: 10 to 40
 * bytes), each word mixed in by a multiply, the whole by MurmurHash3's
 * finalizer so that the low bits, which pick the slot, depend on every
 * byte. */
uint64_t strmap_hash(const void *key, size_t len)
{
	const char *s = key;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)len;
	uint64_t w;
	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 31;
	}
	w = 0;
	memcpy(&w, s, len);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static struct strmap_slot *find(const struct strmap *m, const char *key, size_t len, uint64_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		struct strmap_slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
			return s;
	}
}

static void grow(struct strmap *m)
{
	struct strmap old = *m;
	m->cap = old.cap ? old.cap * 2 : 16;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].key)
			*find(m, old.slots[i].key, old.slots[i].len, old.slots[i].hash) = old.slots[i];
	free(old.slots);
}

size_t *strmap_ref(struct strmap *m, const char *key, size_t len, bool *added)
{
	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	uint64_t h = strmap_hash(key, len);
	struct strmap_slot *s = find(m, key, len, h);
	*added = !s->key;
	if (!s->key) {
		s->key = xmalloc(len + 1);
		memcpy(s->key, key, len);
		s->key[len] = '\0';
		s->len = len;
		s->hash = h;
		s->value = 0;
		m->n++;
	}
	return &s->value;
}

void strmap_put(struct strmap *m, const char *key, size_t len, size_t value)
{
	bool added;
	*strmap_ref(m, key, len, &added) = value;
}

size_t *strmap_find(const struct strmap *m, const char *key, size_t len)
{
	if (!m->cap)
		return NULL;
	struct strmap_slot *s = find(m, key, len, strmap_hash(key, len));
	return s->key ? &s->value : NULL;
}

bool strmap_get(const struct strmap *m, const char *key, size_t len, size_t *value)
{
	if (!m->cap)
		return false;
	struct strmap_slot *s = find(m, key, len, strmap_hash(key, len));
	if (!s->key)
		return false;
	*value = s->value;
	return true;
}

void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	m->slots = NULL;
	m->cap = m->n = 0;
}
