/* fuzz-proc.c: what /proc shows (a stat line, a command line, /proc/stat,
 * a uwsgi ini file) through the parsers of probes/host.c. Any input gives
 * an answer, never a crash or a leak; a parsed command line has as many
 * words as it says, each without a NUL; a parsed stat line's comm is a
 * string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probes/host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct proc_stat st;
	if (host_parse_stat(buf, size, &st) && memchr(st.comm, '\0', sizeof(st.comm)) == NULL)
		abort();
	long long bt;
	(void)host_parse_btime(buf, size, &bt);
	(void)host_uwsgi_ini_is_api(buf, size);
	size_t argc = 0;
	char **argv = host_parse_cmdline(buf, size, &argc);
	if ((argv == NULL) != (argc == 0) || (argv && argv[argc] != NULL))
		abort();
	for (int svc = SVC_API; argv && svc <= SVC_RETRY; svc++)
		(void)host_argv_is_service(argv, argc, (enum service_kind)svc);
	for (size_t i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
	return 0;
}
