/* test_cli.c - every invocation of CALLERS.md parses; bad flags fail. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
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

/* The same, invoked under another name (a symlink). */
#define NAMED(name, ...) do {					\
	char *v_[] = { name, __VA_ARGS__, NULL };		\
	assert_int_equal(parse(ARGC(v_), v_), 0);		\
} while (0)

#define NAMED0(name) do {					\
	char *v_[] = { name, NULL };				\
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
test_program_name(void **state)
{
	(void)state;
	NAMED0("mailq");
	assert_int_equal(c.mode, CLI_QUEUE_LIST);
	NAMED("/usr/bin/mailq", "-v");
	assert_int_equal(c.mode, CLI_QUEUE_LIST);
	assert_true(c.verbose);
	NAMED0("newaliases");
	assert_int_equal(c.mode, CLI_NEWALIASES);
	NAMED0("/usr/sbin/newaliases");
	assert_int_equal(c.mode, CLI_NEWALIASES);
	NAMED("/usr/sbin/sendmail", "a@b");
	assert_int_equal(c.mode, CLI_SEND);
	NAMED("/usr/lib/sendmail", "a@b");		/* mdadm */
	assert_int_equal(c.mode, CLI_SEND);
	NAMED("stamp", "a@b");
	assert_int_equal(c.mode, CLI_SEND);
	NAMED("/tmp/mailq.d/xmailq", "a@b");		/* basename only */
	assert_int_equal(c.mode, CLI_SEND);
	NAMED("/tmp/mailq/sendmail", "a@b");
	assert_int_equal(c.mode, CLI_SEND);
	NAMED("mailq", "-bs");				/* a flag wins */
	assert_int_equal(c.mode, CLI_SMTP);
	NAMED("newaliases", "-bm", "a@b");
	assert_int_equal(c.mode, CLI_SEND);
	rcpts_are(1, "a@b");
}

static void
test_no_argv0(void **state)
{
	char	*v[] = { NULL };

	(void)state;
	assert_int_equal(parse(0, v), 0);
	assert_int_equal(c.mode, CLI_SEND);
	rcpts_are(0);
}

static void
test_b_modes(void **state)
{
	(void)state;
	PARSE("-bs");
	assert_int_equal(c.mode, CLI_SMTP);
	PARSE("-b", "s", "-v", "-a", "work");
	assert_int_equal(c.mode, CLI_SMTP);
	assert_true(c.verbose);
	assert_string_equal(c.account, "work");
	PARSE("-bp");
	assert_int_equal(c.mode, CLI_QUEUE_LIST);
	PARSE("-bi");
	assert_int_equal(c.mode, CLI_NEWALIASES);
	PARSE("-bs", "-bm", "a@b");			/* the last one wins */
	assert_int_equal(c.mode, CLI_SEND);
	PARSE("-vbs");
	assert_int_equal(c.mode, CLI_SMTP);
	assert_true(c.verbose);
}

static void
test_queue_run(void **state)
{
	static const char *const ok[] = {
		"", "30m", "1h30m", "90", "2d", "1w", "15s", "p", "p5m", "f",
		"Iabc", "R@example.org", "Sjoe", "Qquarantined", "Lreason",
		"!Iabc", "!Rfoo", "Gqueuegroup",
	};
	char	 flag[64];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(flag, sizeof(flag), "-q%s", ok[i]);
		PARSE(flag);
		assert_int_equal(c.mode, CLI_QUEUE_RUN);
		assert_string_equal(c.queue_arg, ok[i]);
	}
	PARSE("-vq30m");
	assert_int_equal(c.mode, CLI_QUEUE_RUN);
	assert_string_equal(c.queue_arg, "30m");
	assert_true(c.verbose);
	PARSE("-q", "-v");		/* -q never takes the next word */
	assert_string_equal(c.queue_arg, "");
	assert_true(c.verbose);
	PARSE("a@b");
	assert_null(c.queue_arg);
}

static void
test_long_options(void **state)
{
	(void)state;
	PARSE("--queue-drop", "20261122T0842.abc");
	assert_int_equal(c.mode, CLI_QUEUE_DROP);
	assert_string_equal(c.queue_id, "20261122T0842.abc");
	PARSE("--queue-drop=x1");
	assert_string_equal(c.queue_id, "x1");
	PARSE("--password", "set", "work");
	assert_int_equal(c.mode, CLI_PASSWORD);
	assert_string_equal(c.password_action, "set");
	assert_string_equal(c.account, "work");
	PARSE("-C", "f.ini", "--password=check");
	assert_string_equal(c.password_action, "check");
	assert_null(c.account);
	assert_string_equal(c.config_file, "f.ini");
	PARSE("--password", "clear", "-a", "home");
	assert_string_equal(c.account, "home");
	PARSE("--import-msmtprc");
	assert_int_equal(c.mode, CLI_IMPORT_MSMTPRC);
	assert_null(c.msmtprc);
	PARSE("--import-msmtprc", "/etc/msmtprc");
	assert_string_equal(c.msmtprc, "/etc/msmtprc");
	PARSE("--doctor", "-v");
	assert_int_equal(c.mode, CLI_DOCTOR);
	assert_null(c.account);
	assert_int_equal(c.verbose, 1);
	PARSE("--doctor", "work");
	assert_string_equal(c.account, "work");
	FAILS("option --queue-drop needs an argument", "--queue-drop");
	FAILS("--password show: the action is set, clear or check",
	    "--password", "show");
	FAILS("option --version takes no argument", "--version=2");
	FAILS("unknown option --queue (see stamp --help)", "--queue=1");
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
	FAILS("unsupported mode -bt (address test mode)", "-bt");
	FAILS("unsupported mode -bv (address verification)", "-bv");
	FAILS("unsupported mode -bd (daemon mode)", "-bd");
	FAILS("unsupported mode -bD (foreground daemon mode)", "-bD");
	FAILS("unsupported mode -bh", "-bh");
	FAILS("unsupported mode -bH", "-bH");
	FAILS("unsupported mode -bP", "-bP");
	FAILS("unsupported mode -bZ; stamp knows -bm, -bs, -bp and -bi",
	    "-bZ");
	FAILS("unsupported mode -bss", "-bss");
	FAILS("option -b needs an argument", "-b");
	FAILS("unsupported queue option -qZ", "-qZ");
	FAILS("unsupported queue option -qI", "-qI");
	FAILS("unsupported queue option -q!", "-q!");
	FAILS("unsupported queue option -q!G", "-q!Gx");
	FAILS("unsupported queue option -q30x", "-q30x");
	FAILS("unsupported queue option -qm", "-qm");
	FAILS("unsupported queue option -qfx", "-qfx");
	FAILS("unsupported queue option -qG", "-qG");
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
		cmocka_unit_test(test_program_name),
		cmocka_unit_test(test_no_argv0),
		cmocka_unit_test(test_b_modes),
		cmocka_unit_test(test_queue_run),
		cmocka_unit_test(test_long_options),
		cmocka_unit_test(test_errors),
	};
	int	 r = cmocka_run_group_tests(tests, NULL, NULL);

	cli_free(&c);
	return r;
}
