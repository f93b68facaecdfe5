#include "argv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "core/strbuf.h"
#include "core/xalloc.h"

/* --- splitting -------------------------------------------------------- */

struct wordlist {
	char **v;
	size_t n, cap;
};

static void wl_push(struct wordlist *wl, char *w)
{
	xgrow(&wl->v, &wl->cap, wl->n + 2, sizeof(*wl->v));
	wl->v[wl->n++] = w;
	wl->v[wl->n] = NULL;
}

static char **wl_finish(struct wordlist *wl, size_t *n)
{
	if (!wl->v)
		wl->v = xcalloc(1, sizeof(*wl->v));
	*n = wl->n;
	return wl->v;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

enum bs_status argv_split(const char *tmpl, char ***words, size_t *nwords, struct bs_err *err)
{
	struct wordlist wl = { 0 };
	struct strbuf cur = STRBUF_INIT;
	bool in_word = false;
	size_t i = 0;
	enum bs_status st = BS_ST_OK;

	*words = NULL;
	*nwords = 0;
	while (tmpl[i]) {
		char c = tmpl[i];
		if (is_blank(c)) {
			if (in_word) {
				wl_push(&wl, sb_detach(&cur));
				in_word = false;
			}
			i++;
		} else if (c == '\\') {
			if (!tmpl[i + 1]) {
				st = bs_fail(err, BS_ST_CONFIG_VALUE,
					     "trailing backslash at position %zu", i + 1);
				goto out;
			}
			if (tmpl[i + 1] != '\n') {
				sb_addch(&cur, tmpl[i + 1]);
				in_word = true;
			}
			/* a backslash-newline pair disappears (line continuation) */
			i += 2;
		} else if (c == '\'') {
			const char *end = strchr(tmpl + i + 1, '\'');
			if (!end) {
				st = bs_fail(err, BS_ST_CONFIG_VALUE,
					     "unterminated single quote starting at position %zu", i + 1);
				goto out;
			}
			sb_add(&cur, tmpl + i + 1, (size_t)(end - (tmpl + i + 1)));
			in_word = true;
			i = (size_t)(end - tmpl) + 1;
		} else if (c == '"') {
			size_t start = i++;
			for (;;) {
				char d = tmpl[i];
				if (!d) {
					st = bs_fail(err, BS_ST_CONFIG_VALUE,
						     "unterminated double quote starting at position %zu",
						     start + 1);
					goto out;
				}
				if (d == '"') {
					i++;
					break;
				}
				if (d == '\\' && tmpl[i + 1] && strchr("$`\"\\\n", tmpl[i + 1])) {
					if (tmpl[i + 1] != '\n')
						sb_addch(&cur, tmpl[i + 1]);
					i += 2;
				} else {
					sb_addch(&cur, d);
					i++;
				}
			}
			in_word = true;
		} else {
			sb_addch(&cur, c);
			in_word = true;
			i++;
		}
	}
	if (in_word)
		wl_push(&wl, sb_detach(&cur));
out:
	sb_free(&cur);
	if (st != BS_ST_OK) {
		argv_free(wl.v);
		return st;
	}
	*words = wl_finish(&wl, nwords);
	return BS_ST_OK;
}

void argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

/* --- placeholders ----------------------------------------------------- */

static const char *value_of(const struct argv_values *v, const char *name, size_t len,
			    bool *known)
{
	static const struct {
		const char *name;
		size_t off;
	} names[] = {
		{ "node", offsetof(struct argv_values, node) },
		{ "host", offsetof(struct argv_values, host) },
		{ "service", offsetof(struct argv_values, service) },
		{ "url", offsetof(struct argv_values, url) },
		{ "release", offsetof(struct argv_values, release) },
		{ "revision", offsetof(struct argv_values, revision) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (strlen(names[i].name) == len && memcmp(names[i].name, name, len) == 0) {
			*known = true;
			if (!v)
				return NULL;
			return *(const char *const *)((const char *)v + names[i].off);
		}
	}
	*known = false;
	return NULL;
}

/* "unknown placeholder {name} in word N" and the like; the name as typed
 * (cut, and safe for a terminal). */
static enum bs_status placeholder_fail(struct bs_err *err, bool known, const char *name,
				       size_t len, size_t wordno)
{
	char *raw = xstrndup(name, len > 64 ? 64 : len);
	char *shown = sanitize_term(raw, false);
	const char *more = len > 64 ? "..." : "";
	enum bs_status st =
		known ? bs_fail(err, BS_ST_CONFIG_VALUE,
				"placeholder {%s} has no value for this step (word %zu)", shown,
				wordno) :
			bs_fail(err, BS_ST_CONFIG_VALUE, "unknown placeholder {%s%s} in word %zu",
				shown, more, wordno);
	free(shown);
	free(raw);
	return st;
}

/* Substitute the placeholders of one word (1-based wordno) into out. */
static enum bs_status expand_word(const char *w, size_t wordno, const struct argv_values *v,
				  struct strbuf *out, struct bs_err *err)
{
	for (size_t i = 0; w[i];) {
		if (w[i] == '{' && w[i + 1] == '{') {
			sb_addch(out, '{');
			i += 2;
		} else if (w[i] == '}' && w[i + 1] == '}') {
			sb_addch(out, '}');
			i += 2;
		} else if (w[i] == '}') {
			return bs_fail(err, BS_ST_CONFIG_VALUE,
				       "single '}' in word %zu (write '}}' for a literal brace)", wordno);
		} else if (w[i] == '{') {
			const char *name = w + i + 1, *end = strchr(name, '}');
			if (!end)
				return bs_fail(err, BS_ST_CONFIG_VALUE,
					       "unterminated placeholder in word %zu (write '{{' for a literal brace)",
					       wordno);
			size_t len = (size_t)(end - name);
			bool known;
			const char *val = value_of(v, name, len, &known);
			if (len == strlen("config_files") && memcmp(name, "config_files", len) == 0)
				return bs_fail(err, BS_ST_CONFIG_VALUE,
					       "{config_files} must be a word of its own (word %zu)", wordno);
			if (!known || !val)
				return placeholder_fail(err, known, name, len, wordno);
			sb_addstr(out, val);
			i += len + 2;
		} else {
			sb_addch(out, w[i]);
			i++;
		}
	}
	return BS_ST_OK;
}

enum bs_status argv_expand(const char *tmpl, const struct argv_values *v, char ***argv,
			   size_t *argc, struct bs_err *err)
{
	char **words;
	size_t nwords;
	*argv = NULL;
	*argc = 0;
	enum bs_status st = argv_split(tmpl, &words, &nwords, err);
	if (st != BS_ST_OK)
		return st;

	struct wordlist wl = { 0 };
	for (size_t i = 0; i < nwords; i++) {
		if (strcmp(words[i], "{config_files}") == 0) {
			for (size_t j = 0; v && j < v->nconfig_files; j++) {
				wl_push(&wl, xstrdup("--config-file"));
				wl_push(&wl, xstrdup(v->config_files[j]));
			}
			continue;
		}
		struct strbuf w = STRBUF_INIT;
		st = expand_word(words[i], i + 1, v, &w, err);
		if (st != BS_ST_OK) {
			sb_free(&w);
			argv_free(wl.v);
			argv_free(words);
			return st;
		}
		wl_push(&wl, sb_detach(&w));
	}
	argv_free(words);
	*argv = wl_finish(&wl, argc);
	return BS_ST_OK;
}

/* --- display ---------------------------------------------------------- */

/* Characters that no POSIX shell (nor bash or zsh) treats specially
 * anywhere in a word. '=' is among them except in the command word, where
 * NAME=value would be an assignment. */
static bool is_safe_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("_-./:,+@=", c));
}

/* Words that are reserved in the command position of sh, bash, ksh or zsh. */
static bool is_reserved_word(const char *w)
{
	static const char *const reserved[] = {
		"case", "coproc", "do", "done", "elif", "else", "esac", "fi", "for",
		"foreach", "function", "if", "in", "repeat", "select", "then", "time",
		"until", "while", "end",
	};
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		if (strcmp(w, reserved[i]) == 0)
			return true;
	return false;
}

static bool needs_quotes(const char *w, bool command_word)
{
	if (!*w)
		return true;
	if (command_word && (strchr(w, '=') || is_reserved_word(w)))
		return true;
	for (const unsigned char *p = (const unsigned char *)w; *p; p++)
		if (!is_safe_char(*p))
			return true;
	return false;
}

char *argv_display(char *const *argv)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; argv && argv[i]; i++) {
		const char *w = argv[i];
		if (i)
			sb_addch(&sb, ' ');
		if (!needs_quotes(w, i == 0)) {
			sb_addstr(&sb, w);
			continue;
		}
		sb_addch(&sb, '\'');
		for (const char *p = w; *p; p++) {
			if (*p == '\'')
				sb_addstr(&sb, "'\\''");
			else
				sb_addch(&sb, *p);
		}
		sb_addch(&sb, '\'');
	}
	return sb_detach(&sb);
}
