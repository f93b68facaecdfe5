/* ini.h: one configuration file parsed exactly as oslo.config's iniparser
 * (oslo_config/iniparser.py BaseParser + cfg.ConfigParser, oslo.config 9.0.0)
 * parses it. No line length limit (Debian's libinih splits lines over 200
 * characters; Debian's own barbican.conf has a 451-character line).
 *
 * Semantics (all of them tested against /usr/bin/python3 + oslo_config):
 * - the file is UTF-8 (invalid UTF-8 is an error naming the file); lines end
 *   at \n, \r\n or \r (Python's universal newlines);
 * - every line is right-stripped of Python whitespace (str.rstrip(): ASCII
 *   whitespace, \x1c-\x1f, \x85, \xa0 and the Unicode spaces);
 * - a blank line ends a multi-line value; a line starting with ' ' or '\t'
 *   continues the previous value (left-stripped, joined with '\n'), and is an
 *   error when no assignment precedes it;
 * - "[name]" starts a section (error if it does not end with ']' or the name
 *   is empty); '#' or ';' at column 0 starts a comment;
 * - "key = value" or "key: value" (whichever of '=' and ':' comes first);
 *   key and value are stripped; a value that starts and ends with the same
 *   quote character (' or ") loses those two characters (first line only);
 * - an empty key, or an assignment before any section, is an error;
 * - repeated keys and sections accumulate (a key keeps a list of values).
 */
#ifndef BS_INI_H
#define BS_INI_H

#include <stddef.h>

#include "status.h"
#include "strbuf.h"

struct ini_value {
	char *value;  /* the joined value ('\n' between continuation lines) */
	int line;     /* line of the "key =" line */
};

struct ini_key {
	char *key;
	struct ini_value *values; /* in file order */
	size_t nvalues, cap;
};

struct ini_section {
	char *name;   /* as written in the file */
	struct ini_key *keys;     /* in order of first appearance */
	size_t nkeys, cap;
};

struct ini_chunk;

struct ini_file {
	char *path;
	struct ini_section *sections; /* in order of first appearance; repeated
	                               * headers of the same name merge */
	size_t nsections, cap;
	/* where the names, keys and values are: a few large blocks, not one
	 * allocation per string (a 10,000-node file has 70,000 of them) */
	struct ini_chunk *strings;
};

/* Parse the file at path. On failure returns the status and fills err:
 * BS_ST_CONFIG_NOT_FOUND (ENOENT), BS_ST_CONFIG_READ (other I/O errors,
 * invalid UTF-8), BS_ST_CONFIG_PARSE ("PATH: line N: message: 'line'",
 * the message being oslo's own). On an I/O failure errno is left set (EACCES
 * tells a file that exists but cannot be opened). A NUL byte is an error
 * (BS_ST_CONFIG_READ): oslo would read it, but no C string can hold it.
 * A file of more than INI_MAX_FILE bytes is BS_ST_CONFIG_READ too (errno
 * EFBIG), read no further: /dev/zero or a pipe that never ends must not take
 * the machine's memory. */
#define INI_MAX_FILE (16u << 20)
/* A value (its continuation lines joined) of more than INI_MAX_VALUE bytes
 * is BS_ST_CONFIG_PARSE, naming the file, the line and the key: oslo takes
 * any, but none of barbican.conf's comes near, and a 15 MiB one cost 88 MiB
 * and seconds in copies and in an error message quoting it whole. */
#define INI_MAX_VALUE (1u << 20)
enum bs_status ini_parse_file(const char *path, struct ini_file **out, struct bs_err *err);
/* Same for a buffer (len bytes, may hold NULs); name is used in messages. */
enum bs_status ini_parse_buffer(const char *name, const char *buf, size_t len,
				struct ini_file **out, struct bs_err *err);
void ini_free(struct ini_file *f);

const struct ini_section *ini_section(const struct ini_file *f, const char *name);
const struct ini_key *ini_key(const struct ini_section *s, const char *key);

/* Python's str.isspace() for one code point. */
int py_isspace(unsigned cp);
/* Python's str.lower() of a UTF-8 string, malloc'd (oslo lower-cases section
 * names other than DEFAULT). */
char *py_lower(const char *s);
/* Python's repr() of a str, appended to sb: exact for ASCII; of the other
 * code points, controls, spaces, format characters and private use are
 * escaped as Python does, unassigned ones are not (no table for them). */
void py_repr(struct strbuf *sb, const char *s);

#endif
