/*
 * test_aliases.c - msmtp-style alias files: lookups, "default", every
 * error with its FILE:LINE.
 */
#include <sys/stat.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "aliases.h"
#include "result.h"
#include "util.h"

static char	 dir[64];		/* a fresh mkdtemp directory */
static char	 path[128];		/* dir/aliases */

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/stamp-test-aliases-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/aliases", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(dir);
}

static void
write_bytes(const char *text, size_t len)
{
	FILE	*fp;

	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void
load_ok(struct aliases *al, const char *text)
{
	struct result	 res = { 0 };

	write_bytes(text, strlen(text));
	if (aliases_load(al, path, &res) != 0)
		fail_msg("unexpected error: %s", res.msg);
}

/* Loading len bytes fails with EX_CONFIG and "path:line: msg". */
static void
load_err_bytes(const char *text, size_t len, int line, const char *msg)
{
	struct aliases	 al;
	struct result	 res = { 0 };
	char		 want[RESULT_MSG_MAX];

	write_bytes(text, len);
	assert_int_equal(aliases_load(&al, path, &res), -1);
	assert_int_equal(res.exitcode, EX_CONFIG);
	snprintf(want, sizeof(want), "%s:%d: %s", path, line, msg);
	assert_string_equal(res.msg, want);
	assert_null(al.v);
	assert_int_equal(al.n, 0);
}

static void
load_err(const char *text, int line, const char *msg)
{
	load_err_bytes(text, strlen(text), line, msg);
}

/* name's targets are exactly the NULL-terminated rest (none: NULL). */
static void
lookup(const struct aliases *al, const char *name, ...)
{
	const struct strlist *l = aliases_lookup(al, name);
	const char	*want;
	size_t		 i = 0;
	va_list		 ap;

	va_start(ap, name);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (l == NULL || i >= l->n)
			fail_msg("%s: too few targets", name);
		assert_string_equal(l->v[i], want);
		i++;
	}
	va_end(ap);
	if (i == 0)
		assert_null(l);
	else
		assert_int_equal(l->n, i);
}

static void
test_lookup(void **state)
{
	struct aliases	 al;

	(void)state;
	load_ok(&al,
	    "# msmtp aliases\n"
	    "\n"
	    "root: joe@example.org\n"
	    "  # indented comment\n"
	    "postmaster :joe@example.org , Ops <ops@example.org>\r\n"
	    "\tcron:\t\"(Cron)\" <cron@example.org>, (nobody) ,\n"
	    "local: mhmd\n"
	    "Mixed.Case-1_x+y: a@b.example\n"
	    "   \t\n"
	    "last: z@example.org");		/* no final newline */
	assert_int_equal(al.n, 6);
	assert_int_equal(al.v[1].line, 5);
	lookup(&al, "root", "joe@example.org", NULL);
	lookup(&al, "ROOT", "joe@example.org", NULL);
	lookup(&al, "postmaster", "joe@example.org", "ops@example.org", NULL);
	lookup(&al, "cron", "cron@example.org", NULL);
	lookup(&al, "local", "mhmd", NULL);
	lookup(&al, "mixed.case-1_X+Y", "a@b.example", NULL);
	lookup(&al, "last", "z@example.org", NULL);
	lookup(&al, "nobody", NULL);
	aliases_free(&al);
	assert_null(al.v);
}

static void
test_default(void **state)
{
	struct aliases	 al;

	(void)state;
	load_ok(&al, "default: catch@example.org\nroot: r@example.org\n");
	lookup(&al, "root", "r@example.org", NULL);
	lookup(&al, "anyone", "catch@example.org", NULL);
	lookup(&al, "DEFAULT", "catch@example.org", NULL);
	aliases_free(&al);
	load_ok(&al, "");
	lookup(&al, "root", NULL);
	aliases_free(&al);
}

static void
test_errors(void **state)
{
	static const char nul[] = "root: a@b\nx: a\0@b\n";
	char	 long_line[ALIASES_LINE_MAX + 16];

	(void)state;
	load_err("root: a@b\nroot joe@example.org\n", 2,
	    "expected 'name: address, ...'");
	load_err(": a@b\n", 1, "alias without a name");
	load_err("  \t: a@b\n", 1, "alias without a name");
	load_err("a b: c@d\n", 1, "alias name 'a b' must be one word "
	    "without '@'");
	load_err("a@b: c@d\n", 1, "alias name 'a@b' must be one word "
	    "without '@'");
	load_err("a<b: c@d\n", 1, "alias name 'a<b' must be one word "
	    "without '@'");
	load_err("root: a@b\n# x\nRoot: c@d\n", 3, "alias 'Root' given twice "
	    "(first on line 1)");
	load_err("root:\n", 1, "alias 'root' has no address");
	load_err("root: , (none) ,\n", 1, "alias 'root' has no address");
	load_err("root: joe@example.org # admin\n", 1,
	    "bad address \"joe@example.org # admin\"");
	load_err("root: a@b>\n", 1,
	    "unbalanced <> in address list \" a@b>\"");
	load_err("root: g: a@b;\nx: \"unbalanced\n", 2,
	    "unbalanced quotes in address list \" \"unbalanced\"");
	load_err_bytes(nul, sizeof(nul) - 1, 2, "NUL byte in line");
	/* ALIASES_LINE_MAX bytes (a CR does not count); one more is too many. */
	memset(long_line, ' ', sizeof(long_line));
	memcpy(long_line, "a: b@c", 6);
	memcpy(long_line + ALIASES_LINE_MAX, "\r\n", 2);
	write_bytes(long_line, ALIASES_LINE_MAX + 2);
	{
		struct aliases	 al;
		struct result	 res = { 0 };

		assert_int_equal(aliases_load(&al, path, &res), 0);
		aliases_free(&al);
	}
	long_line[ALIASES_LINE_MAX] = ' ';
	load_err_bytes(long_line, ALIASES_LINE_MAX + 2, 1,
	    "line longer than 4096 bytes");
}

static void
test_too_many(void **state)
{
	char	*text, want[64];
	size_t	 i, n = 0, cap = (ALIASES_MAX + 1) * 24;

	(void)state;
	assert_non_null(text = malloc(cap));
	for (i = 0; i <= ALIASES_MAX; i++)
		n += (size_t)snprintf(text + n, cap - n, "a%zu: b@c\n", i);
	snprintf(want, sizeof(want), "more than %d aliases", ALIASES_MAX);
	load_err_bytes(text, n, ALIASES_MAX + 1, want);
	free(text);
}

static void
test_open_errors(void **state)
{
	struct aliases	 al;
	struct result	 res = { 0 };
	char		 want[RESULT_MSG_MAX];

	(void)state;
	assert_int_equal(aliases_load(&al, "/nonexistent/aliases", &res), -1);
	assert_int_equal(res.exitcode, EX_CONFIG);
	assert_string_equal(res.msg, "cannot open aliases "
	    "/nonexistent/aliases: No such file or directory");
	memset(&res, 0, sizeof(res));
	assert_int_equal(aliases_load(&al, dir, &res), -1);
	assert_int_equal(res.exitcode, EX_CONFIG);
	snprintf(want, sizeof(want), "cannot open aliases %s: not a regular "
	    "file", dir);
	assert_string_equal(res.msg, want);
	/* A FIFO must not hang us. */
	assert_int_equal(mkfifo(path, 0600), 0);
	memset(&res, 0, sizeof(res));
	assert_int_equal(aliases_load(&al, path, &res), -1);
	assert_int_equal(res.exitcode, EX_CONFIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
