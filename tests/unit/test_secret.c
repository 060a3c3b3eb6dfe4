/*
 * test_secret.c - secret.c: password_command (output, newline, exit
 * status, stderr line, ceilings), password, and a Secret Service lookup
 * without a session bus (must fail at once).  The lookup against a real
 * gnome-keyring is tested in tests/integration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "result.h"
#include "secret.h"
#include "util.h"

static struct account
acct(char *command, char *password)
{
	struct account	 a;

	memset(&a, 0, sizeof(a));
	a.name = "test";
	a.host = "mail.example.org";
	a.user = "joe";
	a.timeout = 10;			/* config.c: 1..86400, default 300 */
	a.file = "/nonexistent/stamp.ini";
	a.password_command = command;
	a.password = password;
	return a;
}

/* Run command and expect it to give want (len bytes). */
static void
cmd_ok(char *command, const char *want, size_t len)
{
	struct account	 a = acct(command, NULL);
	struct secret	 s;
	struct result	 res = { 0 };

	if (secret_get(&a, &s, &res) != 0)
		fail_msg("%s: %s", command, res.msg);
	assert_string_equal(s.source, "password_command");
	assert_int_equal(s.len, len);
	assert_memory_equal(s.buf, want, len);
	assert_int_equal(s.buf[len], '\0');
	secret_wipe(&s);
	assert_null(s.buf);
	assert_int_equal(s.len, 0);
}

static void
cmd_err(char *command, const char *want)
{
	struct account	 a = acct(command, NULL);
	struct secret	 s;
	struct result	 res = { 0 };

	assert_int_equal(secret_get(&a, &s, &res), -1);
	assert_int_equal(res.exitcode, EX_CONFIG);
	assert_string_equal(res.msg, want);
	assert_null(s.buf);
	secret_wipe(&s);		/* harmless after a failure */
}

/* A command that never ends is killed after the account's timeout. */
static void
test_command_timeout(void **state)
{
	struct account	 a = acct("sleep 30", NULL);
	struct secret	 s;
	struct result	 res = { 0 };
	long long	 start = now_ms();

	(void)state;
	a.timeout = 1;
	assert_int_equal(secret_get(&a, &s, &res), -1);
	assert_true(now_ms() - start < 5000);
	assert_int_equal(res.exitcode, EX_TEMPFAIL);
	assert_string_equal(res.msg, "password_command did not finish within "
	    "1 s (timeout = in the account)");
	assert_null(s.buf);
}

static void
test_command_output(void **state)
{
	(void)state;
	cmd_ok("printf 'pw'", "pw", 2);
	cmd_ok("echo 'pass word'", "pass word", 9);
	cmd_ok("printf 'pw\\r\\n'", "pw", 2);
	cmd_ok("printf 'pw\\n\\n'", "pw\n", 3);	/* one newline only */
	cmd_ok("printf ' pw \\n'", " pw ", 4);	/* no other trimming */
	cmd_ok("echo pw; echo noise >&2", "pw", 2);
	/* stdin is /dev/null, not ours: cat ends at once. */
	cmd_ok("cat; echo pw", "pw", 2);
	/* The environment is passed as is. */
	setenv("STAMP_TEST_PW", "from-env", 1);
	cmd_ok("printf %s \"$STAMP_TEST_PW\"", "from-env", 8);
	unsetenv("STAMP_TEST_PW");
}

static void
test_command_limits(void **state)
{
	char	 cmd[128], want[SECRET_MAX];

	(void)state;
	memset(want, 'a', sizeof(want));
	snprintf(cmd, sizeof(cmd), "head -c %d /dev/zero | tr '\\0' a; echo",
	    SECRET_MAX);
	cmd_ok(cmd, want, SECRET_MAX);
	snprintf(cmd, sizeof(cmd), "head -c %d /dev/zero | tr '\\0' a",
	    SECRET_MAX + 1);
	cmd_err(cmd, "password_command printed more than 4096 bytes");
	/* Endless output must not hang us. */
	cmd_err("yes", "password_command printed more than 4096 bytes");
}

static void
test_command_errors(void **state)
{
	(void)state;
	cmd_err("echo oops >&2; echo more >&2; echo pw; exit 3",
	    "password_command failed (exit status 3): oops");
	cmd_err("exit 1", "password_command failed (exit status 1)");
	cmd_err("printf 'first\\r\\nsecond' >&2; false",
	    "password_command failed (exit status 1): first");
	cmd_err("/nonexistent/pass-helper",
	    "password_command failed (exit status 127): sh: 1: "
	    "/nonexistent/pass-helper: not found");
	cmd_err("kill -9 $$", "password_command killed by signal 9");
	cmd_err("true", "password_command printed nothing");
	cmd_err("echo", "password_command printed nothing");
	cmd_err("printf 'a\\000b'", "password_command printed a NUL byte");
}

static void
test_password(void **state)
{
	struct account	 a = acct(NULL, "s3cret pw");
	struct secret	 s;
	struct result	 res = { 0 };

	(void)state;
	assert_int_equal(secret_get(&a, &s, &res), 0);
	assert_string_equal(s.source, "password");
	assert_string_equal(s.buf, "s3cret pw");
	assert_int_equal(s.len, 9);
	secret_wipe(&s);

	/* password_command comes first. */
	a = acct("echo from-command", "from-file");
	assert_int_equal(secret_get(&a, &s, &res), 0);
	assert_string_equal(s.buf, "from-command");
	secret_wipe(&s);
	secret_wipe(&s);
}

/* Under cron: no bus, no display.  GLib must fail at once. */
static void
test_no_bus(void **state)
{
	struct account	 a = acct(NULL, NULL);
	struct secret	 s;
	struct result	 res = { 0 };
	long long	 t0;
	static const char want[] = "Secret Service not reachable (";

	(void)state;
	unsetenv("DBUS_SESSION_BUS_ADDRESS");
	unsetenv("DISPLAY");
	unsetenv("WAYLAND_DISPLAY");
	unsetenv("XDG_RUNTIME_DIR");
	t0 = now_ms();
	assert_int_equal(secret_get(&a, &s, &res), -1);
	assert_true(now_ms() - t0 < 1000);
	assert_int_equal(res.exitcode, EX_CONFIG);
	assert_memory_equal(res.msg, want, sizeof(want) - 1);
	assert_non_null(strstr(res.msg, "; set password_command or password "
	    "for account 'test' in /nonexistent/stamp.ini, or run stamp "
	    "inside a session with a D-Bus session bus"));
	assert_null(s.buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_output),
		cmocka_unit_test(test_command_limits),
		cmocka_unit_test(test_command_errors),
		cmocka_unit_test(test_command_timeout),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_no_bus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
