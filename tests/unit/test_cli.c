/* test_cli.c - every invocation of CALLERS.md parses; bad flags fail. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "result.h"

#define ARGC(v)		(int)(sizeof(v) / sizeof(v[0]) - 1)

static struct cli c;
static struct result res;

static int
parse(int argc, char **argv)
{
	cli_free(&c);
	memset(&res, 0, sizeof(res));
	return cli_parse(&c, argc, argv, &res);
}

#define PARSE(...) do {						\
	char *v_[] = { "sendmail", __VA_ARGS__, NULL };		\
	assert_int_equal(parse(ARGC(v_), v_), 0);		\
} while (0)

#define FAILS(msgpart, ...) do {				\
	char *v_[] = { "sendmail", __VA_ARGS__, NULL };		\
	assert_int_equal(parse(ARGC(v_), v_), -1);		\
	assert_int_equal(res.exitcode, EX_USAGE);		\
	assert_non_null(strstr(res.msg, msgpart));		\
} while (0)

static void
rcpts_are(size_t n, ...)
{
	va_list	 ap;
	size_t	 i;

	assert_int_equal(c.nrcpts, n);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		assert_string_equal(c.rcpts[i], va_arg(ap, const char *));
	va_end(ap);
}

static void
test_cronie(void **state)
{
	(void)state;
	PARSE("-FCronDaemon", "-i", "-odi", "-oem", "-oi", "-t", "-f", "root");
	assert_true(c.read_headers);
	assert_string_equal(c.fullname, "CronDaemon");
	assert_string_equal(c.from, "root");
	rcpts_are(0);
}

static void
test_debian_cron(void **state)
{
	(void)state;
	PARSE("-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root");
	assert_false(c.read_headers);
	assert_string_equal(c.body_type, "8BITMIME");
	rcpts_are(1, "root");
	PARSE("-i", "-B", "8BITMIME", "bob");		/* systemd-cron */
	assert_string_equal(c.body_type, "8BITMIME");
	rcpts_are(1, "bob");
	PARSE("-FAnacron", "-odi", "root");		/* anacron */
	rcpts_are(1, "root");
}

static void
test_mutt(void **state)
{
	(void)state;
	PARSE("-oem", "-oi", "-B8BITMIME", "-f", "me@x.org", "-N",
	    "failure,delay", "-R", "hdrs", "--", "a@x.org", "-b@y.org");
	assert_string_equal(c.from, "me@x.org");
	/* After "--" even "-b@y.org" is a recipient. */
	rcpts_are(2, "a@x.org", "-b@y.org");
}

static void
test_glued_and_separate(void **state)
{
	(void)state;
	PARSE("-t", "-fADDR@x");			/* mdadm */
	assert_string_equal(c.from, "ADDR@x");
	PARSE("-oi", "-fSENDER@x", "-t");		/* PHPMailer */
	assert_string_equal(c.from, "SENDER@x");
	PARSE("-r", "r@x", "-F", "Full Name", "a@b");
	assert_string_equal(c.from, "r@x");
	assert_string_equal(c.fullname, "Full Name");
	PARSE("-ti", "-v", "a@b");			/* grouped flags */
	assert_true(c.read_headers);
	assert_true(c.verbose);
	PARSE("-a", "work", "-C", "/tmp/x.ini", "a@b");
	assert_string_equal(c.account, "work");
	assert_string_equal(c.config_file, "/tmp/x.ini");
	PARSE("-awork", "-C/tmp/y.ini", "a@b");
	assert_string_equal(c.account, "work");
	assert_string_equal(c.config_file, "/tmp/y.ini");
}

static void
test_ignored_flags(void **state)
{
	(void)state;
	PARSE("-oem", "-odi", "-odb", "-om", "-oXfoo", "-O", "k=v", "-Ac",
	    "-G", "-h", "5", "-m", "-n", "-U", "-d", "0.1", "-e", "m", "-p",
	    "x:y", "-x", "-V", "envid", "-L", "tag", "-bm", "a@b");
	rcpts_are(1, "a@b");
	assert_false(c.read_headers);
	assert_false(c.verbose);
}

static void
test_options_after_recipients(void **state)
{
	(void)state;
	PARSE("a@b", "-oi", "c@d", "-t");
	rcpts_are(2, "a@b", "c@d");
	assert_true(c.read_headers);
}

static void
test_modes(void **state)
{
	(void)state;
	PARSE("--version");
	assert_int_equal(c.mode, CLI_VERSION);
	PARSE("--help");
	assert_int_equal(c.mode, CLI_HELP);
	PARSE("a@b");
	assert_int_equal(c.mode, CLI_SEND);
}

static void
test_errors(void **state)
{
	(void)state;
	FAILS("unknown option -Z", "-Z", "a@b");
	FAILS("unknown option --frobnicate", "--frobnicate");
	FAILS("option -f needs an argument", "a@b", "-f");
	FAILS("option -o needs an argument", "-o");
	FAILS("unsupported mode -bt", "-bt");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cronie),
		cmocka_unit_test(test_debian_cron),
		cmocka_unit_test(test_mutt),
		cmocka_unit_test(test_glued_and_separate),
		cmocka_unit_test(test_ignored_flags),
		cmocka_unit_test(test_options_after_recipients),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_errors),
	};
	int	 r = cmocka_run_group_tests(tests, NULL, NULL);

	cli_free(&c);
	return r;
}
