/* fuzz-ini.c: ini_parse_buffer on any bytes, then conf.c's lookups over what
 * it parsed (normalized sections, deprecated names, multi options and $
 * substitution, with every key found registered, then each section's keys
 * in a scope). Besides crashes it checks
 * what the parser promises: keys and section names are non-empty and have no
 * line break, no key has outer whitespace, no value has a '\r'. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "ini.h"
#include "sanitize.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct conf_name db_deprecated[] = {
	{ NULL, "sql_connection" }, { "DATABASE", "sql_connection" }, { "sql", "connection" },
};

static const struct conf_opt fixed_opts[] = {
	{ "database", "connection", db_deprecated, 3, false, NULL },
	{ NULL, "a", NULL, 0, false, "$b" },
	{ NULL, "b", NULL, 0, false, "${database.connection}/\\$$$" },
	{ NULL, "m", NULL, 0, true, "$a" },
	{ "x", "m", NULL, 0, true, NULL },
};

enum { MAX_KEYS = 64 };

static int outer_space(const char *s)
{
	size_t len = strlen(s), n;
	unsigned cp;
	if (len == 0)
		return 1;
	if ((n = utf8_decode((const unsigned char *)s, len, &cp)) && py_isspace(cp))
		return 1;
	size_t last = len - 1;
	while (last > 0 && ((unsigned char)s[last] & 0xc0) == 0x80)
		last--;
	return utf8_decode((const unsigned char *)s + last, len - last, &cp) && py_isspace(cp);
}

static void check(const struct ini_file *f)
{
	for (size_t i = 0; i < f->nsections; i++) {
		const struct ini_section *s = &f->sections[i];
		if (!*s->name || strpbrk(s->name, "\r\n"))
			abort();
		for (size_t j = 0; j < s->nkeys; j++) {
			const struct ini_key *k = &s->keys[j];
			if (outer_space(k->key) || strpbrk(k->key, "\r\n") || k->nvalues == 0)
				abort();
			for (size_t v = 0; v < k->nvalues; v++)
				if (strchr(k->values[v].value, '\r') || k->values[v].line < 1)
					abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ini_file *f;
	if (ini_parse_buffer("fuzz", (const char *)data, size, &f, NULL) != BS_ST_OK)
		return 0;
	check(f);

	struct conf_opt opts[MAX_KEYS];
	size_t nopts = 0;
	for (size_t i = 0; i < f->nsections && nopts < MAX_KEYS; i++) {
		const struct ini_section *s = &f->sections[i];
		for (size_t j = 0; j < s->nkeys && nopts < MAX_KEYS; j++) {
			opts[nopts] = (struct conf_opt){
				strcmp(s->name, "DEFAULT") == 0 ? NULL : s->name, s->keys[j].key,
				NULL, 0, nopts % 3 == 2, nopts % 2 ? "$a" : NULL,
			};
			nopts++;
		}
	}
	struct conf *c = conf_from_files(&f, 1); /* keeps f: the names above stay */
	for (size_t i = 0; i < sizeof(fixed_opts) / sizeof(fixed_opts[0]); i++)
		conf_register(c, &fixed_opts[i]);
	for (size_t i = 0; i < nopts; i++)
		conf_register(c, &opts[i]);

	struct conf_opt all[MAX_KEYS + 8];
	size_t nall = 0;
	for (size_t i = 0; i < sizeof(fixed_opts) / sizeof(fixed_opts[0]); i++)
		all[nall++] = fixed_opts[i];
	for (size_t i = 0; i < nopts; i++)
		all[nall++] = opts[i];
	for (size_t i = 0; i < nall; i++) {
		char *v = NULL, **list = NULL;
		size_t n = 0;
		/* a later registration may have changed the kind: both calls
		 * must then fail cleanly */
		conf_get(c, all[i].group, all[i].name, &v, NULL, NULL);
		conf_get_multi(c, all[i].group, all[i].name, &list, &n, NULL);
		free(v);
		for (size_t k = 0; k < n; k++)
			free(list[k]);
		free(list);
	}
	/* deprecated names looked up as names */
	char *v = NULL;
	conf_get(c, NULL, "sql_connection", &v, NULL, NULL);
	free(v);
	const char *const *sections;
	conf_sections(c, &sections);
	/* each section's keys in scope, as a [node:] section is read
	 * (conf_scope): over the registered ones, then gone */
	for (size_t i = 0; i < f->nsections; i++) {
		const struct ini_section *s = &f->sections[i];
		if (strcmp(s->name, "DEFAULT") == 0)
			continue;
		const char *names[8];
		size_t nn = 0;
		for (size_t j = 0; j < s->nkeys && nn < 7; j++)
			names[nn++] = s->keys[j].key;
		names[nn++] = "a";
		conf_scope(c, s->name, names, nn);
		for (size_t k = 0; k < nn; k++) {
			conf_get(c, s->name, names[k], &v, NULL, NULL);
			free(v);
			v = NULL;
		}
		conf_scope_end(c);
		conf_get(c, s->name, names[0], &v, NULL, NULL);
		free(v);
		v = NULL;
	}
	conf_free(c);
	return 0;
}
