/* driver.c: runs a libFuzzer-style target (LLVMFuzzerTestOneInput) without
 * libFuzzer, so that every fuzz target also runs in `meson test` on any
 * compiler:
 *
 *   fuzz-X FILE...                 each file once (a regression corpus)
 *   fuzz-X --mutate N SEED DIR     every file of DIR once (the corpus and the
 *                                  crash reproducers kept there: a regression
 *                                  replay), then N inputs made by mutating
 *                                  them (bit flips, byte inserts and deletes,
 *                                  splices, interesting bytes), reproducibly
 *                                  from SEED
 *
 * The real coverage-guided run uses clang -fsanitize=fuzzer with the same
 * target file (see bench/fuzz.sh). A crash, an ASan report or an abort in the
 * target fails the test. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct blob {
	uint8_t *data;
	size_t len;
};

static int read_file(const char *path, struct blob *b)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t cap = 4096, len = 0;
	uint8_t *buf = malloc(cap);
	size_t n;
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			uint8_t *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				buf = NULL;
			}
			buf = nb;
		}
	}
	fclose(f);
	if (!buf)
		return -1;
	b->data = buf;
	b->len = len;
	return 0;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static const uint8_t interesting[] = {
	0, '\n', '\r', '\t', ' ', '[', ']', '=', ':', '#', ';', '"', '\'', '$', '{', '}',
	'\\', '@', '/', '?', '&', '%', '+', ',', '.', '-', 0x7f, 0x80, 0xc3, 0xe2, 0xef, 0xff,
};

static size_t mutate(uint8_t *buf, size_t len, size_t cap, const struct blob *corpus, size_t ncorpus)
{
	int rounds = 1 + (int)(rnd() % 8);
	for (int r = 0; r < rounds; r++) {
		switch (rnd() % 6) {
		case 0: /* flip a bit */
			if (len)
				buf[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 1: /* set an interesting byte */
			if (len)
				buf[rnd() % len] = interesting[rnd() % sizeof(interesting)];
			break;
		case 2: /* insert an interesting byte */
			if (len < cap) {
				size_t at = len ? rnd() % (len + 1) : 0;
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = interesting[rnd() % sizeof(interesting)];
				len++;
			}
			break;
		case 3: /* delete a range */
			if (len) {
				size_t at = rnd() % len, n = 1 + rnd() % 8;
				if (n > len - at)
					n = len - at;
				memmove(buf + at, buf + at + n, len - at - n);
				len -= n;
			}
			break;
		case 4: /* splice from another corpus file */
			if (ncorpus) {
				const struct blob *o = &corpus[rnd() % ncorpus];
				if (o->len) {
					size_t from = rnd() % o->len, n = 1 + rnd() % 64;
					if (n > o->len - from)
						n = o->len - from;
					size_t at = len ? rnd() % (len + 1) : 0;
					if (len + n <= cap) {
						memmove(buf + at + n, buf + at, len - at);
						memcpy(buf + at, o->data + from, n);
						len += n;
					}
				}
			}
			break;
		case 5: /* duplicate a range */
			if (len && len < cap) {
				size_t at = rnd() % len, n = 1 + rnd() % 32;
				if (n > len - at)
					n = len - at;
				if (len + n <= cap) {
					memmove(buf + at + n, buf + at, len - at);
					len += n;
				}
			}
			break;
		}
	}
	return len;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "--mutate") == 0) {
		char *end;
		unsigned long n = strtoul(argv[2], &end, 10);
		rng_state = strtoull(argv[3], &end, 10);
		DIR *d = opendir(argv[4]);
		if (!d) {
			perror(argv[4]);
			return 2;
		}
		struct blob *corpus = NULL;
		size_t ncorpus = 0, corpus_cap = 0;
		struct dirent *e;
		while ((e = readdir(d))) {
			if (e->d_name[0] == '.')
				continue;
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[4], e->d_name);
			if (ncorpus == corpus_cap) {
				corpus_cap = corpus_cap ? 2 * corpus_cap : 256;
				struct blob *nc = realloc(corpus, corpus_cap * sizeof(*corpus));
				if (!nc)
					return 2;
				corpus = nc;
			}
			if (read_file(path, &corpus[ncorpus]) == 0)
				ncorpus++;
		}
		closedir(d);
		if (ncorpus == 0) {
			fprintf(stderr, "no corpus files in %s\n", argv[4]);
			return 2;
		}
		/* the corpus as it is first: each file once, in a private copy of
		 * exactly its length */
		for (size_t i = 0; i < ncorpus; i++) {
			uint8_t *in = malloc(corpus[i].len ? corpus[i].len : 1);
			if (!in)
				return 2;
			memcpy(in, corpus[i].data, corpus[i].len);
			LLVMFuzzerTestOneInput(in, corpus[i].len);
			free(in);
		}
		size_t cap = 1 << 16;
		uint8_t *buf = malloc(cap);
		if (!buf)
			return 2;
		for (unsigned long i = 0; i < n; i++) {
			const struct blob *seed = &corpus[rnd() % ncorpus];
			size_t len = seed->len < cap ? seed->len : cap;
			memcpy(buf, seed->data, len);
			len = mutate(buf, len, cap, corpus, ncorpus);
			/* a private copy of exactly len bytes, so ASan sees overreads */
			uint8_t *in = malloc(len ? len : 1);
			if (!in)
				return 2;
			memcpy(in, buf, len);
			LLVMFuzzerTestOneInput(in, len);
			free(in);
		}
		free(buf);
		for (size_t i = 0; i < ncorpus; i++)
			free(corpus[i].data);
		free(corpus);
		printf("%zu corpus files and %lu mutated inputs: no crash\n", ncorpus, n);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		struct blob b;
		if (read_file(argv[i], &b) != 0) {
			perror(argv[i]);
			return 2;
		}
		LLVMFuzzerTestOneInput(b.data, b.len);
		free(b.data);
	}
	printf("%d inputs: no crash\n", argc - 1);
	return 0;
}
