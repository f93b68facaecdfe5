/* test-settings.c: barbican-status's own options as settings_load reads
 * them from a configuration file (barbican-status.conf(5)). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ini.h"
#include "core/manifest.h"
#include "core/settings.h"
#include "core/xalloc.h"

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar, counted
 * without the C library (H. Hinnant's days_from_civil): the reference the
 * waiver's end is compared with. */
static long days_from_civil(long y, long m, long d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

/* settings_load of one [waiver:w] whose until is `until` */
static enum bs_status load_waiver_until(const char *until, struct settings *s,
					struct bs_err *err)
{
	char *text = xasprintf("[waiver:w]\ncheck = rpc-objects\nuntil = %s\n"
			       "owner = ops\nreason = a test\n", until);
	struct ini_file *f;
	assert_int_equal(ini_parse_buffer("waiver.conf", text, strlen(text), &f, NULL), BS_ST_OK);
	free(text);
	return settings_load(conf_from_files(&f, 1), s, err);
}

static void check_every_day_of(int y)
{
	int days = 0;
	for (int m = 1; m <= 12; m++) {
		for (int d = 1; d <= days_in_month(y, m); d++, days++) {
			char until[40];
			snprintf(until, sizeof(until), "%04d-%02d-%02d", y, m, d);
			struct settings s;
			struct bs_err err = { 0 };
			enum bs_status st = load_waiver_until(until, &s, &err);
			if (st != BS_ST_OK)
				fail_msg("until = %s rejected: %s", until, err.detail);
			assert_int_equal(s.nwaivers, 1);
			assert_string_equal(s.waivers[0].until, until);
			/* the first second after that day */
			assert_int_equal((long long)s.waivers[0].until_end,
					 (days_from_civil(y, m, d) + 1) * 86400LL);
			settings_free(&s);
		}
	}
	assert_int_equal(days, (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 366 : 365);
}

static void a_waiver_may_end_on_every_day_of_a_leap_year(void **state)
{
	check_every_day_of(2028);
	check_every_day_of(2000);
}

static void a_waiver_may_end_on_every_day_of_a_non_leap_year(void **state)
{
	check_every_day_of(2026);
	check_every_day_of(2099); /* 2099-12-31 among them */
	check_every_day_of(2100); /* divisible by 100: not a leap year */
}

static void a_waiver_that_ends_on_a_day_that_does_not_exist_is_rejected(void **state)
{
	static const char *const bad[] = {
		"2026-02-29", "2100-02-29", "2026-02-30", "2028-02-30", "2026-04-31",
		"2026-06-31", "2026-09-31", "2026-11-31", "2026-12-32", "2026-01-00",
		"2026-00-10", "2026-13-01", "2026-1-01", "2026-01-1", "26-01-01",
		"2026/01/01", "2026-01-01x", "+026-01-01", "2026-0a-01", "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct settings s;
		struct bs_err err = { 0 };
		enum bs_status st = load_waiver_until(bad[i], &s, &err);
		if (st == BS_ST_OK)
			fail_msg("until = %s accepted", bad[i]);
		assert_int_equal(st, BS_ST_CONFIG_VALUE);
		assert_non_null(strstr(err.detail, "expected a date YYYY-MM-DD"));
		settings_free(&s);
	}
}

/* settings_load of one configuration text */
static enum bs_status load_text(const char *text, struct settings *s, struct bs_err *err)
{
	struct ini_file *f;
	assert_int_equal(ini_parse_buffer("range.conf", text, strlen(text), &f, NULL), BS_ST_OK);
	return settings_load(conf_from_files(&f, 1), s, err);
}

/* Every numeric option has the range barbican-status.conf(5) gives it: its
 * ends are taken, a step past either end (or a value that is no number:
 * nan, inf, a fraction where whole numbers are counted) is an error that
 * names the option and the range. */
static void every_numeric_option_is_range_checked_with_a_message_naming_the_range(void **state)
{
	(void)state;
	static const struct {
		const char *section, *key, *low, *high, *below, *above, *range;
	} opts[] = {
		{ "upgrade", "max_unavailable", "1", "1000", "0", "1001", "from 1 to 1000" },
		{ "probes", "timeout", "0.1", "600", "0.09", "600.5", "from 0.1 to 600" },
		{ "node:n", "timeout", "0.1", "600", "0.05", "601", "from 0.1 to 600" },
		{ "probes", "concurrency", "1", "1024", "0", "1025", "from 1 to 1024" },
		{ "probes", "max_body", "1024", "67108864", "1023", "67108865",
		  "from 1024 to 67108864" },
		{ "probes", "report_interval", "1", "86400", "0.5", "86401", "from 1 to 86400" },
		{ "probes", "console_rate", "0", "1000000", "0.5", "1000001", "from 0 to 1000000" },
		{ "steps", "settle_timeout", "1", "86400", "0", "100000", "from 1 to 86400" },
		{ "lock", "lease", "5", "300", "4.9", "301", "from 5 to 300" },
	};
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		const char *node = strncmp(opts[i].section, "node:", 5) == 0
					   ? "service = barbican-api\nurl = http://127.0.0.1:9311\n" : "";
		const char *values[] = { opts[i].low, opts[i].high, opts[i].below, opts[i].above,
					 "nan", "inf", "-1", "1e400", "" };
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			char *text = xasprintf("[%s]\n%s%s = %s\n", opts[i].section, node, opts[i].key,
					       values[v]);
			struct settings s;
			struct bs_err err = { 0 };
			enum bs_status st = load_text(text, &s, &err);
			bool want_ok = v < 2;
			if (want_ok && st != BS_ST_OK)
				fail_msg("%s rejected: %s", text, err.detail);
			if (!want_ok && st == BS_ST_OK)
				fail_msg("%s accepted", text);
			if (!want_ok) {
				assert_int_equal(st, BS_ST_CONFIG_VALUE);
				char *name = xasprintf("[%s] %s", opts[i].section, opts[i].key);
				if (!strstr(err.detail, name) || !strstr(err.detail, opts[i].range))
					fail_msg("%s: message without '%s' and '%s': %s", text, name,
						 opts[i].range, err.detail);
				free(name);
			}
			settings_free(&s);
			free(text);
		}
	}
}

/* A bad value is quoted in its message up to 200 bytes, cut where no UTF-8
 * sequence is split, with the length of the whole. */
static void a_long_bad_value_is_quoted_cut(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	sb_addstr(&sb, "[upgrade]\ntarget_release = ");
	for (int i = 0; i < 199; i++)
		sb_addch(&sb, 'x');
	for (int i = 0; i < 1000; i++)
		sb_addstr(&sb, "\xc3\xa9");
	sb_addstr(&sb, "\n");
	struct settings s;
	struct bs_err err = { 0 };
	assert_int_equal(load_text(sb_str(&sb), &s, &err), BS_ST_CONFIG_VALUE);
	char *want = xasprintf("[upgrade] target_release = '%0199d'... (2199 bytes) ([upgrade] "
			       "target_release in range.conf line 2): expected", 0);
	memset(strchr(want, '\'') + 1, 'x', 199);
	if (strncmp(err.detail, want, strlen(want)) != 0)
		fail_msg("got %s\nwant %s", err.detail, want);
	free(want);
	settings_free(&s);
	sb_free(&sb);
}

/* The stock-host and shared-record options, read and freed (under valgrind
 * and ASan: an empty [journal] path once freed them too early). */
static void stock_host_and_record_options_are_read_and_freed_once(void **state)
{
	(void)state;
	struct settings s;
	struct bs_err err = { 0 };
	assert_int_equal(load_text("[journal]\npath =\n"
				   "[rabbitmq]\nmanagement_url = http://rabbit:15672\nusername = m\n"
				   "password = p\n"
				   "[DEFAULT]\ntransport_url = rabbit://u:p@h:5672/\n"
				   "[probes]\nreport_command = ssh {host} true\nreport_interval = 60\n"
				   "[record]\nconnection = postgresql://u@h/r\n"
				   "[node:w]\nservice = barbican-worker\nhost = h\n",
				   &s, &err), BS_ST_OK);
	assert_null(s.journal_path);
	assert_string_equal(s.rabbit_url, "http://rabbit:15672");
	assert_string_equal(s.rabbit_user, "m");
	assert_string_equal(s.transport_url, "rabbit://u:p@h:5672/");
	assert_string_equal(s.record_connection, "postgresql://u@h/r");
	assert_string_equal(s.nodes[0].report_command, "ssh {host} true"); /* [probes]' default */
	assert_true(s.report_interval > 59.9 && s.report_interval < 60.1);
	settings_free(&s);
}

/* [upgrade] manifest: builtin (the default) or demo (its synthetic release
 * with a contract migration); anything else names the choices. */
static void the_manifest_is_builtin_or_demo(void **state)
{
	(void)state;
	struct settings s;
	struct bs_err err = { 0 };
	assert_int_equal(load_text("[upgrade]\ntarget_release = 15.0.1\n", &s, &err), BS_ST_OK);
	assert_ptr_equal(settings_manifest(&s), manifest_builtin());
	assert_false(s.manifest_demo);
	settings_free(&s);
	assert_int_equal(load_text("[upgrade]\nmanifest = demo\n", &s, &err), BS_ST_OK);
	const struct manifest *m = settings_manifest(&s);
	assert_ptr_equal(m, manifest_demo());
	assert_true(s.manifest_demo);
	const struct mf_release *r = mf_release(m, "15.99.0");
	assert_non_null(r);
	assert_string_equal(r->series, "zed");
	assert_int_equal(mf_any_row(m, "c0a7ac7de300")->cls, MIG_CONTRACT);
	assert_null(mf_release(manifest_builtin(), "15.99.0"));
	settings_free(&s);
	static const char *const bad[] = { "Demo", "/etc/barbican/manifest.tsv", "builtin demo" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *text = xasprintf("[upgrade]\nmanifest = %s\n", bad[i]);
		assert_int_equal(load_text(text, &s, &err), BS_ST_CONFIG_VALUE);
		if (!strstr(err.detail, "[upgrade] manifest") || !strstr(err.detail, "expected builtin"))
			fail_msg("%s: %s", text, err.detail);
		settings_free(&s);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_waiver_may_end_on_every_day_of_a_leap_year),
		cmocka_unit_test(a_waiver_may_end_on_every_day_of_a_non_leap_year),
		cmocka_unit_test(a_waiver_that_ends_on_a_day_that_does_not_exist_is_rejected),
		cmocka_unit_test(every_numeric_option_is_range_checked_with_a_message_naming_the_range),
		cmocka_unit_test(stock_host_and_record_options_are_read_and_freed_once),
		cmocka_unit_test(the_manifest_is_builtin_or_demo),
		cmocka_unit_test(a_long_bad_value_is_quoted_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
