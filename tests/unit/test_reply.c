/* test_reply.c - reply parsing; the server is not trusted. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "reply.h"
#include "result.h"

static struct reply r;
static struct result res;

static int
feed(const char *line)
{
	return reply_feed(&r, line, strlen(line), &res);
}

static void
reset(void)
{
	reply_init(&r);
	memset(&res, 0, sizeof(res));
}

static void
test_single_line(void **state)
{
	(void)state;
	reset();
	assert_int_equal(feed("250 2.1.0 Ok"), 1);
	assert_int_equal(r.code, 250);
	assert_int_equal(r.nlines, 1);
	assert_string_equal(reply_line(&r, 0), "2.1.0 Ok");
	assert_string_equal(r.first, "250 2.1.0 Ok");
	reset();
	assert_int_equal(feed("354"), 1);	/* code alone is valid */
	assert_int_equal(r.code, 354);
	assert_string_equal(reply_line(&r, 0), "");
}

static void
test_multi_line_ehlo(void **state)
{
	(void)state;
	reset();
	assert_int_equal(feed("250-mail.example.org"), 0);
	assert_int_equal(feed("250-AUTH PLAIN LOGIN"), 0);
	assert_int_equal(feed("250-SIZE 10240000"), 0);
	assert_int_equal(feed("250 STARTTLS"), 1);
	assert_int_equal(r.nlines, 4);
	assert_string_equal(reply_line(&r, 1), "AUTH PLAIN LOGIN");
	assert_string_equal(reply_line(&r, 3), "STARTTLS");
	assert_string_equal(reply_line(&r, 9), "");
	/* The first line is shown as "CODE text" even if it was "CODE-". */
	assert_string_equal(r.first, "250 mail.example.org");
}

static void
expect_bad(const char *line, const char *why)
{
	assert_int_equal(feed(line), -1);
	assert_int_equal(res.exitcode, EX_PROTOCOL);
	assert_non_null(strstr(res.msg, why));
}

static void
test_malformed(void **state)
{
	char	 longline[REPLY_LINE_MAX + 10];

	(void)state;
	reset(); expect_bad("", "no reply code");
	reset(); expect_bad("25", "no reply code");
	reset(); expect_bad("abc hello", "no reply code");
	reset(); expect_bad("150 too low", "no reply code");
	reset(); expect_bad("650 too high", "no reply code");
	reset(); expect_bad("2500 four digits", "bad separator");
	reset(); expect_bad("250_x", "bad separator");
	reset();
	assert_int_equal(feed("250-first"), 0);
	expect_bad("251 second", "inconsistent codes");
	reset();
	memset(longline, 'a', sizeof(longline) - 1);
	memcpy(longline, "250 ", 4);
	longline[sizeof(longline) - 1] = '\0';
	expect_bad(longline, "line too long");
}

static void
test_too_many_lines(void **state)
{
	size_t	 i;

	(void)state;
	reset();
	for (i = 0; i < REPLY_LINES_MAX; i++)
		assert_int_equal(feed("250-x"), 0);
	expect_bad("250-x", "too many lines");
}

static void
test_nul_and_controls(void **state)
{
	const char line[] = "550 bad\0byte\x1b[31m";

	(void)state;
	reset();
	assert_int_equal(reply_feed(&r, line, sizeof(line) - 1, &res), 1);
	assert_int_equal(r.code, 550);
	/* Stored text has no NUL inside; the printable form no escapes. */
	assert_string_equal(reply_line(&r, 0), "bad?byte\x1b[31m");
	assert_string_equal(r.first, "550 bad?byte?[31m");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_line),
		cmocka_unit_test(test_multi_line_ehlo),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_too_many_lines),
		cmocka_unit_test(test_nul_and_controls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
