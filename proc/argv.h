/* argv.h: step templates ([steps] in barbican-status.conf) turned into an
 * argv, never through a shell.
 *
 * Splitting follows the POSIX shell's word rules without any expansion:
 * blanks (space, tab, newline) separate words; '...' keeps everything
 * literally; "..." keeps everything, a backslash escaping only $ ` " \ and
 * newline (a backslash-newline pair disappears); outside quotes a backslash
 * makes the next character literal (backslash-newline disappears); adjacent
 * quoted and unquoted parts form one word; "" and '' make an empty word. An
 * unterminated quote or a trailing backslash is an error. $, `, *, ?, [, ~, |,
 * ;, &, <, >, (, ) and # are ordinary characters (no expansion, no
 * operators, no comments); so is '\r'. The reference is Python's
 * shlex.split(s, comments=False, posix=True), except where shlex differs
 * from the shell ('\r' is a blank to it, it keeps the newline of a
 * backslash-newline and the backslash of "\$" and "\`"): there argv.c
 * follows the shell. tests/unit/test-argv.c compares with both.
 *
 * Placeholders are substituted inside single words, after splitting, so a
 * value never creates or merges words: {node} {host} {service} {url}
 * {release} {revision}. "{{" and "}}" give literal braces. An unknown
 * placeholder, or a known one without a value for this step, is an error
 * naming it. A word that is exactly {config_files} becomes one
 * "--config-file" PATH pair per configuration file in use (nothing when
 * there are none); anywhere else it is an error. Braces are read after the
 * quotes are gone (quoting does not make them literal: '{{x}}' does), a
 * single '{' or '}' is an error, and a value is never read for
 * placeholders again. */
#ifndef BS_ARGV_H
#define BS_ARGV_H

#include <stddef.h>

#include "core/status.h"

/* Split a template into words. *words is a NULL-terminated malloc'd array of
 * malloc'd strings. Errors: BS_ST_CONFIG_VALUE with the position (1-based
 * byte offset of the unterminated quote or the trailing backslash); *words
 * is then NULL. */
enum bs_status argv_split(const char *tmpl, char ***words, size_t *nwords, struct bs_err *err);

struct argv_values {
	const char *node, *host, *service, *url, *release, *revision;
	const char *const *config_files;
	size_t nconfig_files;
};

/* Split and substitute. *argv is NULL-terminated; free with argv_free.
 * v may be NULL (no values). Errors: BS_ST_CONFIG_VALUE naming the
 * placeholder and the word (1-based); *argv is then NULL. */
enum bs_status argv_expand(const char *tmpl, const struct argv_values *v, char ***argv,
			   size_t *argc, struct bs_err *err);
void argv_free(char **argv);

/* One line for people: words joined by spaces, each quoted with '...' when
 * it holds anything a shell would treat specially (or is empty), so that
 * pasting it into a shell runs the same argv. Characters that need no
 * quotes: A-Z a-z 0-9 _ - . / : , + @ and '=' (but in the first word, where
 * NAME=value would be an assignment); a reserved word (if, time, ...) as the
 * first word is quoted too. The words' bytes are kept as they are (a
 * newline or an escape inside quotes): pass the line through sanitize_term
 * before it reaches a terminal. argv_split gives the words back. NULL gives
 * "". Caller frees. */
char *argv_display(char *const *argv);

#endif
