#include "cmdwrap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "core/xalloc.h"
#include "textwrap.h"

/* Inside a command, a space and a hyphen stand in as bytes that textwrap
 * neither splits at nor breaks after; they are put back after wrapping. */
#define NB_SPACE '\x1f'
#define NB_HYPHEN '\x1e'

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* code points, as textwrap counts them */
static size_t width_of(const char *s, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		w += ((unsigned char)s[i] & 0xC0) != 0x80;
	return w;
}

static bool is_command(const char *w, size_t n, const char *const *commands, size_t ncommands)
{
	for (size_t i = 0; i < ncommands; i++)
		if (strlen(commands[i]) == n && memcmp(commands[i], w, n) == 0)
			return true;
	return false;
}

/* Mark the commands of t in place (spaces and hyphens made unbreakable). */
static void mark_commands(char *t, const char *const *commands, size_t ncommands)
{
	size_t i = 0, len = strlen(t);
	while (i < len) {
		while (i < len && is_ws(t[i]))
			i++;
		size_t ws = i;
		while (i < len && !is_ws(t[i]))
			i++;
		if (i == ws || !is_command(t + ws, i - ws, commands, ncommands))
			continue;
		/* the command runs from ws to its clause's end */
		size_t end = i, j = i;
		bool done = false;
		while (!done && j < len) {
			size_t k = j;
			while (k < len && is_ws(t[k]))
				k++;
			if (k == len || t[k] == '(')
				break;
			size_t we = k;
			while (we < len && !is_ws(t[we]))
				we++;
			if (is_command(t + k, we - k, commands, ncommands))
				break; /* the next command */
			char last = t[we - 1];
			if (last == ',' || last == ';' || last == ':' || last == ')' || last == '.') {
				end = we - 1;
				done = true;
			} else {
				end = we;
			}
			j = we;
		}
		/* the command word itself may end a clause ("... db upgrade;") */
		char last = t[i - 1];
		if (end == i && (last == ',' || last == ';' || last == ':' || last == ')' || last == '.'))
			end = i - 1;
		for (size_t k = ws; k < end; k++) {
			if (is_ws(t[k]))
				t[k] = NB_SPACE;
			else if (t[k] == '-')
				t[k] = NB_HYPHEN;
		}
		i = end;
	}
}

static void unmark(char *s)
{
	for (; *s; s++) {
		if (*s == NB_SPACE)
			*s = ' ';
		else if (*s == NB_HYPHEN)
			*s = '-';
	}
}

static void add_wrapped(struct strbuf *out, const char *text, size_t width, const char *init,
			const char *sub)
{
	size_t n;
	char **lines = textwrap_wrap(text, width, init, sub, &n);
	for (size_t i = 0; i < n; i++)
		sb_addf(out, "%s%s", out->len ? "\n" : "", lines[i]);
	textwrap_free(lines, n);
}

char *textwrap_fill_commands(const char *text, size_t width, const char *initial_indent,
			     const char *subsequent_indent, const char *const *commands,
			     size_t ncommands)
{
	const char *init = initial_indent ? initial_indent : "";
	const char *sub = subsequent_indent ? subsequent_indent : "";
	if (strchr(text, NB_SPACE) || strchr(text, NB_HYPHEN))
		return textwrap_fill(text, width, init, sub); /* nothing to mark with */
	char *t = xstrdup(text);
	mark_commands(t, commands, ncommands);
	size_t wi = width_of(init, strlen(init)), wsub = width_of(sub, strlen(sub));
	size_t indent_w = wi > wsub ? wi : wsub;
	/* textwrap moves a word that does not fit to the next line whole, but
	 * breaks a word longer than a line: a command that long gets a line of
	 * its own, the text around it wrapped as usual */
	struct strbuf out = STRBUF_INIT;
	const char *indent = init;
	char *p = t;
	for (;;) {
		char *w = p, *we = p, *long_word = NULL;
		while (*w) {
			while (*w && is_ws(*w))
				w++;
			we = w;
			while (*we && !is_ws(*we))
				we++;
			if (we > w && memchr(w, NB_SPACE, (size_t)(we - w)) &&
			    width_of(w, (size_t)(we - w)) + indent_w > width) {
				long_word = w;
				break;
			}
			w = we;
		}
		if (!long_word) {
			add_wrapped(&out, p, width, indent, sub);
			break;
		}
		char save = *long_word;
		*long_word = '\0';
		add_wrapped(&out, p, width, indent, sub);
		*long_word = save;
		if (out.len)
			indent = sub;
		sb_addf(&out, "%s%s%.*s", out.len ? "\n" : "", indent, (int)(we - long_word),
			long_word);
		indent = sub;
		/* the rest starts a line: textwrap keeps a paragraph's leading blanks */
		for (p = we; *p && is_ws(*p); p++)
			;
	}
	free(t);
	char *res = sb_detach(&out);
	unmark(res);
	return res;
}
