/* conf.h: the configuration files of a run, read the way oslo.config 9.0.0
 * reads them for a program named barbican-status in project barbican
 * (ConfigOpts(project='barbican', prog='barbican-status')), and option values
 * looked up with oslo.config's rules. The reference is oslo.config itself:
 * tests/oracle/oslo_conf.py prints what it reads, tests/unit/test-conf.c
 * compares.
 *
 * Which files (oslo's _parse_config_files):
 * - without --config-file on the command line: the default files, i.e. for
 *   each of "barbican.conf" and "barbican-status.conf" the first that exists
 *   in ~/.barbican/, ~/, /etc/barbican/, /etc/ (plus $SNAP_COMMON/etc/barbican
 *   and $SNAP/etc/barbican when those are set);
 * - without --config-dir: the default dirs found the same way for
 *   "barbican.conf.d" and "barbican-status.conf.d" (each dir's "*.conf",
 *   sorted, dot files excluded); a default dir that does not exist is skipped;
 * - default files first, then default dirs, then the command line's
 *   --config-file and --config-dir arguments in the order given;
 * - a named file that does not exist is an error (BS_ST_CONFIG_NOT_FOUND), so
 *   is a named dir (BS_ST_CONFIG_DIR); a file that cannot be read
 *   (BS_ST_CONFIG_READ) or parsed (BS_ST_CONFIG_PARSE) too.
 *
 * Which value (oslo's ConfigOpts._do_get and _Namespace._get_file_value):
 * - the environment first: OS_<GROUP>__<NAME> upper-cased (group DEFAULT when
 *   none), for the option's current name only;
 * - then the files, the last parsed file first; within a file the current
 *   name, then each deprecated name in order; section names are compared
 *   normalized ("DEFAULT" as is, every other name lower-cased, so [Database]
 *   is group "database" but [default] is not DEFAULT);
 * - a non-multi option takes the last value in that file; a multi option
 *   gets the values of every file that sets it, in parse order;
 * - then the registered default;
 * - the value is then substituted as oslo does (string.Template with
 *   idpattern [_a-z][._a-z0-9]* case-insensitive, safe_substitute): "$$" and
 *   "\$" give "$"; "$name"/"${name}" is the value of option name in the same
 *   group, "${group.name}" of option name in group; an unset option without a
 *   default gives ""; an option that is not registered is an error
 *   (BS_ST_CONFIG_VALUE), as it is a crash in oslo; a '$' not followed by an
 *   identifier is left as is. Substitution recurses (the substituted option's
 *   value is itself substituted) and a cycle is an error.
 *   Also as oslo: "$name" not in the group falls back to DEFAULT; a group
 *   that is not registered ("${nogroup.x}", "${DEFAULT.x}") or a group as a
 *   value ("$database") is an error; a name may be a deprecated name of an
 *   option; a multi option gives Python's str() of its list. Unlike oslo,
 *   substitution may not grow a value by more than 1 MiB (an error).
 */
#ifndef BS_CONF_H
#define BS_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

struct conf;
struct ini_file;

/* One command-line --config-file or --config-dir, in command-line order. */
struct conf_arg {
	bool is_dir;
	const char *path;
};

struct conf_args {
	const struct conf_arg *args;
	size_t nargs;
	/* Used for "~" (oslo's expanduser); NULL: $HOME (then the passwd entry). */
	const char *home;
	/* Project and program names: NULL for "barbican" and "barbican-status". */
	const char *project;
	const char *prog;
};

/* A name an option may be found under. group NULL means DEFAULT (oslo's
 * DeprecatedOpt(name, group='DEFAULT'), not "the option's group"). */
struct conf_name {
	const char *group;
	const char *name;
};

/* A registered option (oslo's register_opt): lookups and substitution only
 * know registered options. */
struct conf_opt {
	const char *group;                  /* NULL: DEFAULT */
	const char *name;
	const struct conf_name *deprecated; /* in oslo's order */
	size_t ndeprecated;
	bool multi;                         /* MultiStrOpt */
	const char *dflt;                   /* NULL: no default (None) */
};

/* Where a value came from. */
struct conf_loc {
	enum { CONF_LOC_DEFAULT, CONF_LOC_FILE, CONF_LOC_ENV } kind;
	const char *file;   /* CONF_LOC_FILE: the file (owned by the conf) */
	int line;           /* CONF_LOC_FILE: the line of the assignment */
	const char *group;  /* the section/env group it was found under (owned) */
	const char *name;   /* the key or env variable name (owned) */
};

enum bs_status conf_load(const struct conf_args *a, struct conf **out, struct bs_err *err);
void conf_free(struct conf *c);
/* A conf of files already parsed, in parse order (the conf takes them), with
 * no search of files, no config_file option and no HOME: for tests and
 * fuzzing. */
struct conf *conf_from_files(struct ini_file **files, size_t n);

/* Register an option (copied). A second registration of the same group and
 * name replaces the first. */
void conf_register(struct conf *c, const struct conf_opt *opt);

/* The options of one group for one step, not registered: until
 * conf_scope_end (or the next conf_scope), group is registered and has the
 * options names (no default, not multi, no deprecated name; the strings
 * borrowed till then) besides any registered ones, which they hide. Lookups
 * and substitution find them exactly as if conf_register had registered
 * them and they were forgotten after, but for one thing: the environment is
 * looked at when the scope begins (no variable named OS_GROUP__ then: none
 * of its options is looked for there). For the options of one [node:NAME] or
 * [waiver:NAME] section while it is read: 10,000 nodes registered and
 * forgot 60,000 options, a quarter of loading their configuration. */
void conf_scope(struct conf *c, const char *group, const char *const *names, size_t n);
void conf_scope_end(struct conf *c);

/* Look up a registered, non-multi option (group NULL or "DEFAULT" for
 * DEFAULT; a deprecated name finds its option, as in oslo). Returns BS_ST_OK
 * and sets *out (malloc'd, substituted; NULL when unset and without default)
 * and *loc (if not NULL). Errors: BS_ST_CONFIG_VALUE (substitution),
 * BS_ST_INTERNAL (option not registered, or a multi option). */
enum bs_status conf_get(const struct conf *c, const char *group, const char *name,
			char **out, struct conf_loc *loc, struct bs_err *err);
/* For a multi option: *out is a malloc'd array of malloc'd strings; NULL
 * (n 0) when unset without default (oslo's None), an empty array for oslo's
 * [] (an empty environment variable or default: oslo makes one item of each
 * character of such a string). */
enum bs_status conf_get_multi(const struct conf *c, const char *group, const char *name,
			      char ***out, size_t *n, struct bs_err *err);

/* The section names of every parsed file, as first written, in order of
 * first appearance, once per normalized name. The array is owned by c. */
size_t conf_sections(const struct conf *c, const char *const **out);
/* The files parsed, in parse order (owned by c). */
size_t conf_files(const struct conf *c, const char *const **out);
/* The config_file option's value as oslo has it (the command line's
 * --config-file paths, or the default files), made absolute. */
size_t conf_config_file_opt(const struct conf *c, const char *const **out);

/* oslo's ConfigOpts.find_file(name): search the config dirs given or found,
 * then the directory of each config_file (last first), then ~/.barbican/,
 * ~/, /etc/barbican/, /etc/; the first path that exists (as os.path.exists:
 * any kind of file, following links), malloc'd, or NULL. An absolute name is
 * returned when it exists. */
char *conf_find_file(const struct conf *c, const char *name);

/* Done reading values: frees what the files held and the options registered
 * (at 10,000 nodes most of a command's memory), keeping what
 * conf_config_file_opt and conf_find_file answer from. After it, no file,
 * section or option is known: conf_get answers as for an empty
 * configuration, conf_files and conf_sections are empty. settings_load
 * calls it once it has taken everything it keeps. */
void conf_drop_values(struct conf *c);

#endif
