/* cmdwrap.h: text wrapped as textwrap.h wraps it, except that a command the
 * text names is never broken across lines, so that it can be copied into a
 * shell whole. textwrap itself is left as Python's. */
#ifndef BS_CMDWRAP_H
#define BS_CMDWRAP_H

#include <stddef.h>

/* A command starts at a word equal to one of commands[] (program names such
 * as "barbican-manage") and runs over the following words up to the end of
 * its clause: a word ending in ',', ';', ':' or ')', or in '.' (a sentence
 * end; the punctuation is not part of it), or before a word starting with
 * '(' or another command. The text is wrapped as textwrap_fill() wraps it,
 * with each command as one unbreakable word; a command longer than a line
 * gets a line of its own (the only line that may exceed width). malloc'd. */
char *textwrap_fill_commands(const char *text, size_t width, const char *initial_indent,
			     const char *subsequent_indent, const char *const *commands,
			     size_t ncommands);

#endif
