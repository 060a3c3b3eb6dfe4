/*
 * test_addr.c - address lists (RFC 5322 3.4, Appendix A) and the
 * injection guard.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "addr.h"
#include "result.h"
#include "util.h"

/* Parse s; the addresses must be exactly the NULL-terminated rest. */
static void
ok(const char *s, ...)
{
	struct strlist	 l = { NULL, 0, 0 };
	struct result	 res;
	const char	*want;
	size_t		 i = 0;
	va_list		 ap;

	memset(&res, 0, sizeof(res));
	if (addr_list_parse(s, strlen(s), &l, &res) != 0)
		fail_msg("\"%s\": %s", s, res.msg);
	va_start(ap, s);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (i >= l.n)
			fail_msg("\"%s\": only %zu addresses", s, l.n);
		assert_string_equal(l.v[i], want);
		i++;
	}
	va_end(ap);
	assert_int_equal(l.n, i);
	strlist_free(&l);
}

/* Parse s (len bytes): EX_DATAERR with a message containing msgpart. */
static void
bad_len(const char *s, size_t len, const char *msgpart)
{
	struct strlist	 l = { NULL, 0, 0 };
	struct result	 res;

	memset(&res, 0, sizeof(res));
	if (addr_list_parse(s, len, &l, &res) != -1)
		fail_msg("\"%s\" was accepted", s);
	assert_int_equal(res.exitcode, EX_DATAERR);
	if (strstr(res.msg, msgpart) == NULL)
		fail_msg("\"%s\" not in \"%s\"", msgpart, res.msg);
	strlist_free(&l);
}

static void
bad(const char *s, const char *msgpart)
{
	bad_len(s, strlen(s), msgpart);
}

/* RFC 5322 A.1.1 and A.1.2. */
static void
test_rfc_a1_simple(void **state)
{
	(void)state;
	ok("John Doe <jdoe@machine.example>", "jdoe@machine.example", NULL);
	ok("Mary Smith <mary@example.net>", "mary@example.net", NULL);
	ok("\"Joe Q. Public\" <john.q.public@example.com>",
	    "john.q.public@example.com", NULL);
	ok("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
	    "mary@x.test", "jdoe@example.org", "one@y.test", NULL);
	ok("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" "
	    "<sysservices@example.net>",
	    "boss@nil.test", "sysservices@example.net", NULL);
}

/* RFC 5322 A.1.3 and A.2: groups, a display name with ':'. */
static void
test_rfc_a1_groups(void **state)
{
	(void)state;
	ok("Pete <pete@silly.example>", "pete@silly.example", NULL);
	ok("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
	    "c@a.test", "joe@where.test", "jdoe@one.test", NULL);
	ok("Undisclosed recipients:;", NULL);
	ok("\"Mary Smith: Personal Account\" <smith@home.example>",
	    "smith@home.example", NULL);
	ok("Jane Brown <j-brown@other.example>", "j-brown@other.example",
	    NULL);
}

/* RFC 5322 A.5: comments and white space everywhere. */
static void
test_rfc_a5_comments(void **state)
{
	(void)state;
	ok("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
	    "pete@silly.test", NULL);
	ok("A Group(Some people)\t     :Chris Jones "
	    "<c@(Chris's host.)public.example>,\t         joe@example.org,"
	    "  John <jdoe@one.test> (my dear friend); (the end of the group)",
	    "c@public.example", "joe@example.org", "jdoe@one.test", NULL);
	ok("(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;",
	    NULL);
}

/* RFC 5322 A.6.1 and A.6.3: route, empty element, CFWS around dots. */
static void
test_rfc_a6_obsolete(void **state)
{
	(void)state;
	ok("Joe Q. Public <john.q.public@example.com>",
	    "john.q.public@example.com", NULL);
	ok("Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example",
	    "mary@example.net", "jdoe@test.example", NULL);
	ok("John Doe <jdoe@machine(comment).  example>",
	    "jdoe@machine.example", NULL);
	ok("Mary Smith            <mary@example.net>", "mary@example.net",
	    NULL);
	ok("<@r1.example,@[192.0.2.1], ,@r3:u@h.example>", "u@h.example",
	    NULL);
	ok("john . q . public @ example . com", "john.q.public@example.com",
	    NULL);
}

/* What cron, systemd-cron and mdadm write (CALLERS.md). */
static void
test_unqualified(void **state)
{
	(void)state;
	ok("root", "root", NULL);
	ok("\"(Cron Daemon)\" <root>", "root", NULL);
	ok("root (systemd-cron)", "root", NULL);
	ok("mdadm monitoring <root>", "root", NULL);
	ok("root, mhmd", "root", "mhmd", NULL);
}

static void
test_quoted(void **state)
{
	(void)state;
	ok("\"Doe, John\" <j@x.example>, k@y.example", "j@x.example",
	    "k@y.example", NULL);
	ok("\"john doe\"@x.example", "\"john doe\"@x.example", NULL);
	ok("Bob <\"a\\\"b\"@x.example>", "\"a\\\"b\"@x.example", NULL);
	ok("\"<a@b>\" <c@d>", "c@d", NULL);
	ok("\"a@b, c@d\" <e@f>", "e@f", NULL);
}

static void
test_comments_nested(void **state)
{
	(void)state;
	ok("a@b (x (y \\) \\( z) \"w) , c@d", "a@b", "c@d", NULL);
	ok("(c1)<(c2)a(c3)@(c4)b(c5)>(c6)", "a@b", NULL);
	ok("(only a comment)", NULL);
}

static void
test_misc_forms(void **state)
{
	(void)state;
	ok("", NULL);
	ok(" \t ", NULL);
	ok(",,a@b,, ,", "a@b", NULL);
	ok("user@[192.0.2.1]", "user@[192.0.2.1]", NULL);
	ok("=?UTF-8?B?w6lsw6hu?= <e@x.example>", "e@x.example", NULL);
	ok("=?iso-8859-1?q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>",
	    "PIRARD@vm1.ulg.ac.be", NULL);
	ok("J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc.example>",
	    "j\xc3\xb6rg@b\xc3\xbc.example", NULL);
	ok("a@b.example <c@d.example>", "c@d.example", NULL);
	ok("team: a@b, c@d;, e@f", "a@b", "c@d", "e@f", NULL);
	ok("g: a@b", "a@b", NULL);
	ok("a+tag@b.example, o'brien@c.example", "a+tag@b.example",
	    "o'brien@c.example", NULL);
}

static void
test_unbalanced(void **state)
{
	(void)state;
	bad("John <a@b", "unbalanced <>");
	bad("a@b>", "unbalanced <>");
	bad(">a@b", "unbalanced <>");
	bad("<<a@b>>", "unbalanced <>");
	bad("<a@b> <c@d>", "unbalanced <>");
	bad("\"abc <a@b>", "unbalanced quotes");
	bad("\"a@b", "unbalanced quotes");
	bad("a@b (x", "unbalanced parentheses");
	bad("a@b (x (y)", "unbalanced parentheses");
	bad("a@b x)", "unbalanced parentheses");
	bad("a@[1.2.3.4", "unbalanced []");
	bad("a@b]", "unbalanced []");
}

static void
test_bad_addresses(void **state)
{
	(void)state;
	bad("a@b, John Doe, c@d", "bad address \"John Doe\"");
	bad("<>", "bad address \"<>\"");
	bad("a@@b", "bad address \"a@@b\"");
	bad("a@b@c", "bad address \"a@b@c\"");
	bad("a.@b", "bad address");
	bad("a@b.", "bad address");
	bad("@b", "bad address");
	bad("a@", "bad address");
	bad("<a@b c>", "bad address");
	bad("\"a>b\"@x", "bad address");
	bad("\"a\tb\"@x", "bad address");
	bad("g: h: a@b;;", "nested group");
	bad("a@b; c@d", "unexpected ';'");
	bad("a\\b@c", "unexpected '\\'");
	bad("a@b\x01", "unexpected byte 0x01");
}

static void
test_too_long(void **state)
{
	char	 s[ADDR_MAX + 16];

	(void)state;
	memset(s, 'a', sizeof(s));
	s[64] = '@';
	s[ADDR_MAX] = '\0';
	ok(s, s, NULL);
	s[ADDR_MAX] = 'a';
	s[ADDR_MAX + 1] = '\0';
	bad(s, "bad address");
}

/* DESIGN.md 7: nothing that could end an SMTP command gets through. */
static void
test_injection(void **state)
{
	static const char nul[] = "a@b\0RCPT TO:<evil@x>";

	(void)state;
	bad("a@b>\r\nRCPT TO:<evil@x>", "unbalanced <>");
	bad("<a@b>\r\nRCPT TO:<evil@x>", "control character");
	bad("a@b\r\nRCPT TO:<evil@x>", "control character");
	bad("a@b\nc@d", "control character");
	bad("\"a@b\r\nRCPT TO:<evil@x>\"@c", "control character");
	bad("a@b (\r\n) c@d", "control character");
	bad("Name\r\n <a@b>", "control character");
	bad_len(nul, sizeof(nul) - 1, "control character");
	/* The message names the input, sanitised: one line. */
	bad("a@b>\r\nRCPT TO:<evil@x>", "\"a@b>  RCPT TO:<evil@x>\"");
}

static void
test_check(void **state)
{
	char	 s[ADDR_MAX + 2];

	(void)state;
	assert_int_equal(addr_check("a@b", 3), 0);
	assert_int_equal(addr_check("root", 4), 0);
	assert_int_equal(addr_check("\"john doe\"@x", 12), 0);
	assert_int_equal(addr_check("\"a\\\"b\"@x", 8), 0);
	assert_int_equal(addr_check("a@[192.0.2.1]", 13), 0);
	assert_int_equal(addr_check("", 0), -1);
	assert_int_equal(addr_check("a@b\r", 4), -1);
	assert_int_equal(addr_check("a@b\n", 4), -1);
	assert_int_equal(addr_check("a\0@b", 4), -1);
	assert_int_equal(addr_check("a\t@b", 4), -1);
	assert_int_equal(addr_check("a\x7f@b", 4), -1);
	assert_int_equal(addr_check("a b@c", 5), -1);
	assert_int_equal(addr_check("a<b@c", 5), -1);
	assert_int_equal(addr_check("a@b>", 4), -1);
	assert_int_equal(addr_check("\"a>b\"@c", 7), -1);
	assert_int_equal(addr_check("\"a b@c", 6), -1);
	assert_int_equal(addr_check("\"a\\\"@c", 6), -1);
	assert_int_equal(addr_check("\"a\\", 3), -1);
	assert_int_equal(addr_check("\"a\\\r\"@c", 7), -1);
	memset(s, 'a', sizeof(s));
	assert_int_equal(addr_check(s, ADDR_MAX), 0);
	assert_int_equal(addr_check(s, ADDR_MAX + 1), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_a1_simple),
		cmocka_unit_test(test_rfc_a1_groups),
		cmocka_unit_test(test_rfc_a5_comments),
		cmocka_unit_test(test_rfc_a6_obsolete),
		cmocka_unit_test(test_unqualified),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_comments_nested),
		cmocka_unit_test(test_misc_forms),
		cmocka_unit_test(test_unbalanced),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
