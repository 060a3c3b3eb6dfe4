/*
 * test_passwd.c - passwd_read() from a pipe (stdin not a terminal): one
 * line, its LF or CRLF dropped, nothing past it consumed, the ceilings
 * and the refusals.  The terminal path (no echo, signals) is tested on a
 * real pseudo-terminal in tests/integration/test_password_cmd.py.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "passwd.h"
#include "result.h"
#include "secret.h"

static struct account
test_account(void)
{
	struct account	 a;

	memset(&a, 0, sizeof(a));
	a.name = "test";
	a.host = "mail.example.org";
	a.user = "joe";
	return a;
}

/* Make stdin a pipe holding len bytes of data (then EOF). */
static void
stdin_from(const char *data, size_t len)
{
	int	 p[2];
	pid_t	 pid;

	assert_int_equal(pipe(p), 0);
	/* A writer child: the data may be larger than the pipe buffer. */
	if ((pid = fork()) == 0) {
		close(p[0]);
		(void)!write(p[1], data, len);
		_exit(0);
	}
	assert_true(pid > 0);
	close(p[1]);
	assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
	close(p[0]);
}

/* Reap the writer, so that each test starts clean. */
static void
reap(void)
{
	while (waitpid(-1, NULL, 0) > 0)
		continue;
}

static void
read_ok(const char *data, size_t len, const char *want, size_t wantlen)
{
	struct account	 a = test_account();
	struct secret	 s;
	struct result	 res = { 0 };

	memset(&s, 0, sizeof(s));
	assert_int_equal(secret_alloc(&s, &res), 0);
	stdin_from(data, len);
	if (passwd_read(&a, &s, &res) != 0)
		fail_msg("%s", res.msg);
	assert_int_equal(s.len, wantlen);
	assert_memory_equal(s.buf, want, wantlen);
	assert_int_equal(s.buf[wantlen], '\0');
	secret_wipe(&s);
	reap();
}

static void
read_err(const char *data, size_t len, int code, const char *want)
{
	struct account	 a = test_account();
	struct secret	 s;
	struct result	 res = { 0 };

	memset(&s, 0, sizeof(s));
	assert_int_equal(secret_alloc(&s, &res), 0);
	stdin_from(data, len);
	assert_int_equal(passwd_read(&a, &s, &res), -1);
	assert_int_equal(res.exitcode, code);
	assert_string_equal(res.msg, want);
	secret_wipe(&s);
	reap();
}

static void
test_one_line(void **state)
{
	(void)state;
	read_ok("pw\n", 3, "pw", 2);
	read_ok("pw\r\n", 4, "pw", 2);
	read_ok("pw", 2, "pw", 2);		/* printf '%s' pw | ... */
	read_ok(" pass word \n", 12, " pass word ", 11);	/* kept */
	read_ok("first\nsecond\n", 13, "first", 5);
	read_ok("a\rb\n", 4, "a\rb", 3);	/* only a CR before the LF */
	read_ok("\xc3\xa9t\xc3\xa9\n", 6, "\xc3\xa9t\xc3\xa9", 5);
}

/* The rest of stdin is left for whoever reads it next. */
static void
test_nothing_past_the_line(void **state)
{
	struct account	 a = test_account();
	struct secret	 s;
	struct result	 res = { 0 };
	char		 rest[16];

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(secret_alloc(&s, &res), 0);
	stdin_from("pw\nrest", 7);
	assert_int_equal(passwd_read(&a, &s, &res), 0);
	assert_string_equal(s.buf, "pw");
	assert_int_equal(read(STDIN_FILENO, rest, sizeof(rest)), 4);
	assert_memory_equal(rest, "rest", 4);
	secret_wipe(&s);
	reap();
}

static void
test_limits(void **state)
{
	char	*big = malloc(SECRET_MAX + 3);

	(void)state;
	assert_non_null(big);
	memset(big, 'a', SECRET_MAX + 2);
	big[SECRET_MAX] = '\n';
	read_ok(big, SECRET_MAX + 1, big, SECRET_MAX);
	big[SECRET_MAX] = '\r';
	big[SECRET_MAX + 1] = '\n';
	read_ok(big, SECRET_MAX + 2, big, SECRET_MAX);
	big[SECRET_MAX] = 'a';
	read_err(big, SECRET_MAX + 2, EX_DATAERR, "password longer than 16384 "
	    "bytes");
	read_err(big, SECRET_MAX + 1, EX_DATAERR, "password longer than 16384 "
	    "bytes");
	free(big);
}

static void
test_refused(void **state)
{
	(void)state;
	read_err("", 0, EX_DATAERR, "no password given (an empty line or end "
	    "of input)");
	read_err("\n", 1, EX_DATAERR, "no password given (an empty line or end "
	    "of input)");
	read_err("\r\n", 2, EX_DATAERR, "no password given (an empty line or "
	    "end of input)");
	read_err("a\0b\n", 4, EX_DATAERR, "the password has a NUL byte");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_line),
		cmocka_unit_test(test_nothing_past_the_line),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
