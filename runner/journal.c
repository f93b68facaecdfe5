#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/strbuf.h"
#include "core/xalloc.h"
#include "render/pyjson.h"

/* A line longer than this is not a record (reported as bad, skipped). */
#define JOURNAL_LINE_MAX (1024 * 1024)



char *journal_default_path(const char *configured)
{
	if (configured && *configured)
		return xstrdup(configured);
	const char *state = getenv("XDG_STATE_HOME");
	/* the XDG spec: a relative path is invalid and ignored */
	if (state && state[0] == '/')
		return xasprintf("%s/barbican-status/journal.jsonl", state);
	const char *home = getenv("HOME");
	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(getuid());
		home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
	}
	if (!home)
		return NULL;
	return xasprintf("%s/.local/state/barbican-status/journal.jsonl", home);
}

/* --- times ------------------------------------------------------------ */

char *journal_new_id(void)
{
	unsigned char rnd[4];
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint32_t x = (uint32_t)ts.tv_nsec ^ ((uint32_t)getpid() << 16) ^ (uint32_t)ts.tv_sec;
		x ^= x >> 16;
		x *= 0x7feb352dU;
		x ^= x >> 15;
		memcpy(rnd, &x, sizeof(rnd));
	}
	/* nanoseconds in the id: records that start in the same second (the
	 * shared record orders by start_at, then id) keep the order they were
	 * taken in */
	char when[32];
	struct tm tm;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if (!gmtime_r(&now.tv_sec, &tm) || strftime(when, sizeof(when), "%Y%m%dT%H%M%S", &tm) == 0)
		snprintf(when, sizeof(when), "19700101T000000");
	return xasprintf("%s.%09ldZ-%ld-%02x%02x%02x%02x", when, (long)now.tv_nsec, (long)getpid(),
			 rnd[0], rnd[1], rnd[2], rnd[3]);
}

/* --- writing ---------------------------------------------------------- */

struct journal {
	int fd;
	char *path;
	/* the file may not end with a newline (a write failed half-way, here
	 * or in another process): start the next record on a line of its own */
	bool need_newline;
};

/* mkdir -p of the directories above path; each one created gets 0700. */

static enum bs_status make_parents(const char *path, struct bs_err *err)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	enum bs_status st = BS_ST_OK;
	if (!slash || slash == dir) {
		free(dir);
		return BS_ST_OK;
	}
	*slash = '\0';
	struct stat sb;
	if (stat(dir, &sb) == 0) {
		free(dir);
		return BS_ST_OK;
	}
	for (char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(dir, 0700) == 0) {
			/* whatever the umask says */
			chmod(dir, 0700);
		} else if (errno != EEXIST) {
			st = bs_fail(err, BS_ST_IO, "cannot create directory %s for journal %s: %s",
				     dir, path, strerror(errno));
			break;
		}
		*p = saved;
		if (!saved)
			break;
	}
	free(dir);
	return st;
}

static void sync_parent_dir(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

enum bs_status journal_open(const char *path, struct journal **out, struct bs_err *err)
{
	*out = NULL;
	if (!path || !*path)
		return bs_fail(err, BS_ST_IO, "no journal path (set [journal] path, HOME or XDG_STATE_HOME)");
	enum bs_status st = make_parents(path, err);
	if (st != BS_ST_OK)
		return st;

	bool created = true;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0 && errno == EEXIST) {
		created = false;
		fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	}
	if (fd < 0)
		return bs_fail(err, BS_ST_IO, "cannot open journal %s: %s", path, strerror(errno));

	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		st = bs_fail(err, BS_ST_IO, "cannot open journal %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		st = bs_fail(err, BS_ST_IO, "cannot open journal %s: not a regular file", path);
		goto fail;
	}
	/* O_NONBLOCK was only for opening (a FIFO must not hang us) */
	fcntl(fd, F_SETFL, O_APPEND);
	if (created && fchmod(fd, 0600) != 0) {
		st = bs_fail(err, BS_ST_IO, "cannot set mode 0600 on journal %s: %s", path,
			     strerror(errno));
		goto fail;
	}
	if (fsync(fd) != 0) {
		st = bs_fail(err, BS_ST_IO, "cannot sync journal %s: %s", path, strerror(errno));
		goto fail;
	}
	if (created)
		sync_parent_dir(path);

	struct journal *j = xcalloc(1, sizeof(*j));
	j->fd = fd;
	j->path = xstrdup(path);
	if (sb.st_size > 0) {
		char last;
		int rfd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (rfd >= 0) {
			if (pread(rfd, &last, 1, sb.st_size - 1) == 1 && last != '\n')
				j->need_newline = true;
			close(rfd);
		}
	}
	*out = j;
	return BS_ST_OK;
fail:
	close(fd);
	return st;
}

/* The record as one JSON line (with its newline). */
static char *record_line(const struct journal_record *r)
{
	char start[32], end[32];
	record_format_time(r->start, start);
	record_format_time(r->end, end);
	json_t *o = json_object();
	json_object_set_new(o, "id", pyjson_str(r->id));
	json_object_set_new(o, "user", pyjson_str(r->user));
	json_object_set_new(o, "host", pyjson_str(r->host));
	json_object_set_new(o, "step", pyjson_str(r->step));
	json_object_set_new(o, "node", pyjson_str(r->node));
	if (r->argv) {
		json_t *a = json_array();
		for (char **p = r->argv; *p; p++)
			json_array_append_new(a, pyjson_str(*p));
		json_object_set_new(o, "argv", a);
	} else {
		json_object_set_new(o, "argv", json_null());
	}
	json_object_set_new(o, "start", json_string(start));
	json_object_set_new(o, "end", json_string(end));
	json_object_set_new(o, "exit", r->has_exit ? json_integer(r->exit_code) : json_null());
	json_object_set_new(o, "signal", r->has_signal ? json_integer(r->signal) : json_null());
	json_object_set_new(o, "outcome", json_string(journal_outcome_name(r->outcome)));
	json_object_set_new(o, "detail", pyjson_str(r->detail ? r->detail : ""));
	json_object_set_new(o, "release", pyjson_str(r->release));
	json_object_set_new(o, "revision", pyjson_str(r->revision));
	char *text = pyjson_dumps(o);
	json_decref(o);
	char *line = xasprintf("%s\n", text);
	free(text);
	return line;
}

enum bs_status journal_append(struct journal *j, const struct journal_record *r,
			      struct bs_err *err)
{
	if (!r->id || !r->user || !r->host || !r->step ||
	    (unsigned)r->outcome > OUTCOME_ABANDONED)
		return bs_fail(err, BS_ST_INTERNAL,
			       "journal record without id, user, host, step or a valid outcome");
	char *line = record_line(r);
	struct strbuf sb = STRBUF_INIT;
	if (j->need_newline)
		sb_addch(&sb, '\n');
	sb_addstr(&sb, line);
	free(line);

	/* one write(2) per record: with O_APPEND, concurrent writers never
	 * interleave within it (regular files; short writes only on errors) */
	size_t off = 0;
	enum bs_status st = BS_ST_OK;
	while (off < sb.len) {
		ssize_t n = write(j->fd, sb.buf + off, sb.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			st = bs_fail(err, BS_ST_IO, "cannot write journal %s: %s", j->path,
				     strerror(e));
			j->need_newline = true;
			break;
		}
		off += (size_t)n;
	}
	sb_free(&sb);
	if (st != BS_ST_OK)
		return st;
	j->need_newline = false;
	if (fsync(j->fd) != 0)
		return bs_fail(err, BS_ST_IO, "cannot sync journal %s: %s", j->path, strerror(errno));
	return BS_ST_OK;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	close(j->fd);
	free(j->path);
	free(j);
}

/* --- reading ---------------------------------------------------------- */

static bool get_str(json_t *o, const char *key, bool nullable, bool optional, char **out)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v)
		return optional;
	if (json_is_null(v))
		return nullable;
	if (!json_is_string(v))
		return false;
	*out = xstrndup(json_string_value(v), json_string_length(v));
	return true;
}

static bool get_int(json_t *o, const char *key, bool *has, int *out)
{
	json_t *v = json_object_get(o, key);
	*has = false;
	*out = 0;
	if (!v)
		return false;
	if (json_is_null(v))
		return true;
	if (!json_is_integer(v))
		return false;
	json_int_t i = json_integer_value(v);
	if (i < INT_MIN || i > INT_MAX)
		return false;
	*has = true;
	*out = (int)i;
	return true;
}

static bool get_time(json_t *o, const char *key, time_t *out)
{
	json_t *v = json_object_get(o, key);
	return v && json_is_string(v) && record_parse_time(json_string_value(v), out);
}

static bool parse_record(const char *line, size_t len, struct journal_record *r)
{
	memset(r, 0, sizeof(*r));
	json_error_t jerr;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		return false;
	bool ok = json_is_object(o);
	char *outcome = NULL;
	ok = ok && get_str(o, "id", false, false, &r->id);
	ok = ok && get_str(o, "user", false, false, &r->user);
	ok = ok && get_str(o, "host", false, false, &r->host);
	ok = ok && get_str(o, "step", false, false, &r->step);
	ok = ok && get_str(o, "node", true, false, &r->node);
	if (ok) {
		json_t *a = json_object_get(o, "argv");
		if (!a) {
			ok = false;
		} else if (json_is_array(a)) {
			size_t n = json_array_size(a);
			r->argv = xcalloc(n + 1, sizeof(*r->argv));
			for (size_t i = 0; i < n && ok; i++) {
				json_t *w = json_array_get(a, i);
				if (!json_is_string(w))
					ok = false;
				else
					r->argv[i] = xstrndup(json_string_value(w), json_string_length(w));
			}
		} else if (!json_is_null(a)) {
			ok = false;
		}
	}
	ok = ok && get_time(o, "start", &r->start) && get_time(o, "end", &r->end);
	ok = ok && get_int(o, "exit", &r->has_exit, &r->exit_code);
	ok = ok && get_int(o, "signal", &r->has_signal, &r->signal);
	ok = ok && get_str(o, "outcome", false, false, &outcome) &&
	     journal_outcome_parse(outcome, &r->outcome);
	ok = ok && get_str(o, "detail", false, false, &r->detail);
	/* release and revision came later: absent reads as null */
	ok = ok && get_str(o, "release", true, true, &r->release);
	ok = ok && get_str(o, "revision", true, true, &r->revision);
	free(outcome);
	json_decref(o);
	if (!ok)
		journal_record_free(r);
	return ok;
}

struct reader {
	struct journal_record *recs;
	size_t n, cap;
	size_t *bad;
	size_t nbad, badcap;
};

static void take_line(struct reader *rd, const char *line, size_t len, bool too_long,
		      size_t lineno)
{
	if (!too_long && len && line[len - 1] == '\r')
		len--;
	/* blank lines (the separator after a failed write) are not records */
	size_t k = 0;
	while (!too_long && k < len && (line[k] == ' ' || line[k] == '\t'))
		k++;
	if (!too_long && k == len)
		return;
	struct journal_record r;
	if (!too_long && parse_record(line, len, &r)) {
		xgrow(&rd->recs, &rd->cap, rd->n + 1, sizeof(*rd->recs));
		rd->recs[rd->n++] = r;
	} else {
		xgrow(&rd->bad, &rd->badcap, rd->nbad + 1, sizeof(*rd->bad));
		rd->bad[rd->nbad++] = lineno;
	}
}

enum bs_status journal_read(const char *path, struct journal_record **out, size_t *n,
			    size_t **bad_lines, size_t *nbad, struct bs_err *err)
{
	*out = NULL;
	*n = 0;
	if (bad_lines)
		*bad_lines = NULL;
	if (nbad)
		*nbad = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return BS_ST_OK;
		return bs_fail(err, BS_ST_IO, "cannot read journal %s: %s", path, strerror(errno));
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		int e = errno;
		close(fd);
		return bs_fail(err, BS_ST_IO, "cannot read journal %s: %s", path, strerror(e));
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return bs_fail(err, BS_ST_IO, "cannot read journal %s: %s", path,
			       S_ISDIR(sb.st_mode) ? strerror(EISDIR) : "not a regular file");
	}

	struct reader rd = { 0 };
	struct strbuf line = STRBUF_INIT;
	bool too_long = false;
	size_t lineno = 1;
	char buf[65536];
	enum bs_status st = BS_ST_OK;
	for (;;) {
		ssize_t got = read(fd, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			st = bs_fail(err, BS_ST_IO, "cannot read journal %s: %s", path, strerror(errno));
			break;
		}
		if (got == 0)
			break;
		const char *p = buf, *end = buf + got;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t chunk = (size_t)((nl ? nl : end) - p);
			if (!too_long && (line.len + chunk > JOURNAL_LINE_MAX)) {
				too_long = true;
				sb_reset(&line);
			}
			if (!too_long)
				sb_add(&line, p, chunk);
			if (!nl)
				break;
			take_line(&rd, sb_str(&line), line.len, too_long, lineno++);
			sb_reset(&line);
			too_long = false;
			p = nl + 1;
		}
	}
	/* a last line without its newline: a record if it is complete */
	if (st == BS_ST_OK && (line.len || too_long))
		take_line(&rd, sb_str(&line), line.len, too_long, lineno);
	sb_free(&line);
	close(fd);
	if (st != BS_ST_OK) {
		journal_records_free(rd.recs, rd.n);
		free(rd.bad);
		return st;
	}
	*out = rd.recs;
	*n = rd.n;
	if (bad_lines)
		*bad_lines = rd.bad;
	else
		free(rd.bad);
	if (nbad)
		*nbad = rd.nbad;
	return BS_ST_OK;
}

static char **argv_copy(char *const *argv)
{
	if (!argv)
		return NULL;
	size_t n = 0;
	while (argv[n])
		n++;
	char **out = xcalloc(n + 1, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(argv[i]);
	return out;
}

enum bs_status journal_read_shared(const char *path, const struct record_obs *rec,
				   struct journal_record **out, size_t *n, size_t **bad_lines,
				   size_t *nbad, struct bs_err *err)
{
	struct journal_record *local = NULL;
	size_t nlocal = 0;
	enum bs_status st = journal_read(path, &local, &nlocal, bad_lines, nbad, err);
	if (st != BS_ST_OK) {
		local = NULL;
		nlocal = 0;
	}
	size_t nshared = rec ? rec->nrecs : 0;
	struct journal_record *shared = xcalloc(nshared ? nshared : 1, sizeof(*shared));
	for (size_t i = 0; i < nshared; i++) {
		const struct journal_record *r = &rec->recs[i];
		struct journal_record *d = &shared[i];
		*d = *r;
		d->id = xstrdup(r->id);
		d->user = xstrdup(r->user);
		d->host = xstrdup(r->host);
		d->step = xstrdup(r->step);
		d->node = xstrdup_or_null(r->node);
		d->argv = argv_copy(r->argv);
		d->detail = xstrdup_or_null(r->detail);
		d->release = xstrdup_or_null(r->release);
		d->revision = xstrdup_or_null(r->revision);
	}
	records_merge(local, nlocal, shared, nshared, out, n);
	return st;
}
