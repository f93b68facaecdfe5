#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/pyjson_accept.h"
#include "core/sanitize.h"
#include "core/strbuf.h"
#include "core/xalloc.h"

/* Policy files are small; a cap keeps a stray huge file from eating memory. */
#define POLICY_MAX (64L * 1024 * 1024)

static bool valid_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	unsigned cp;
	while (i < len) {
		size_t n = utf8_decode(p + i, len - i, &cp);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

void probe_policy(const struct settings *st, struct policy_obs *p)
{
	policy_obs_clear(p);
	p->policy_file = xstrdup(st->policy_file ? st->policy_file : "policy.json");
	p->policy_file_set = st->policy_file_set;
	p->path = conf_find_file(st->conf, p->policy_file);
	if (!p->path)
		return;

	int fd = open(p->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		p->error = xasprintf("cannot open %s: %s", p->path, strerror(errno));
		return;
	}
	struct stat sb;
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		p->error = xasprintf("%s is a directory", p->path);
		close(fd);
		return;
	}
	struct strbuf buf;
	sb_init(&buf, POLICY_MAX);
	char chunk[65536];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (sb_add(&buf, chunk, (size_t)n) != 0) {
			p->error = xasprintf("%s is larger than %ld bytes", p->path, POLICY_MAX);
			break;
		}
	}
	if (n < 0 && !p->error)
		p->error = xasprintf("cannot read %s: %s", p->path, strerror(errno));
	close(fd);
	if (!p->error && !valid_utf8(sb_str(&buf), buf.len))
		p->error = xasprintf("%s is not valid UTF-8 (Barbican's check cannot read it either)",
				     p->path);
	if (!p->error) {
		switch (pyjson_accepts(sb_str(&buf), buf.len)) {
		case PYJSON_VALID:
			p->is_json = true;
			break;
		case PYJSON_INVALID:
			break;
		case PYJSON_TOO_DEEP:
			p->error = xasprintf("%s nests deeper than Python's json module can read", p->path);
			break;
		}
	}
	sb_free(&buf);
}
