/* textwrap.h: Python's textwrap.wrap (CPython 3.11 Lib/textwrap.py) ported:
 * TextWrapper with its defaults (expand_tabs with tabsize 8,
 * replace_whitespace, drop_whitespace, break_long_words, break_on_hyphens,
 * fix_sentence_endings off), its wordsep_re split (hyphenated words, em-dashes,
 * whitespace runs) and its _wrap_chunks algorithm. Widths are counted in code
 * points, as len() counts them. \w and the letter class follow Python's
 * Unicode str semantics. The reference is textwrap itself: tests compare
 * against /usr/bin/python3 on a corpus of strings. */
#ifndef BS_TEXTWRAP_H
#define BS_TEXTWRAP_H

#include <stddef.h>

/* textwrap.wrap(text, width, initial_indent=initial, subsequent_indent=sub).
 * Returns a malloc'd array of malloc'd lines (count in *nlines; 0 lines for
 * a text that is empty or only whitespace, and for width 0, where Python
 * raises ValueError). NULL indents are "". */
char **textwrap_wrap(const char *text, size_t width, const char *initial_indent,
		     const char *subsequent_indent, size_t *nlines);
/* '\n'.join(textwrap.wrap(...)), malloc'd. */
char *textwrap_fill(const char *text, size_t width, const char *initial_indent,
		    const char *subsequent_indent);
void textwrap_free(char **lines, size_t nlines);

#endif
