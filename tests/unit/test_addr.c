/*
 * test_addr.c - address lists (RFC 5322 3.4, Appendix A) and the
 * injection guard.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
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

/* What mail clients and scripts write. */
static void
test_client_forms(void **state)
{
	(void)state;
	/* Outlook/Exchange: "Last, First", and an address as the name. */
	ok("\"Doe, John\" <john.doe@example.com>", "john.doe@example.com", NULL);
	ok("'joe@example.org' <joe@example.org>", "joe@example.org", NULL);
	ok("\"joe@example.org\" <joe@example.org>", "joe@example.org", NULL);
	/* Empty quoted name, spaces inside the angle brackets. */
	ok("\"\" <a@example.org>", "a@example.org", NULL);
	ok("Joe < joe@example.org >", "joe@example.org", NULL);
	/* Comment names (the old style), before and after. */
	ok("joe@example.org (Joe Doe, Jr.)", "joe@example.org", NULL);
	ok("(Joe) joe@example.org", "joe@example.org", NULL);
	/* RFC 2047 names, Q and B, with specials encoded. */
	ok("=?UTF-8?Q?Doe=2C_John?= <j@x.example>, k@y.example",
	    "j@x.example", "k@y.example", NULL);
	/* Raw UTF-8 (RFC 6532) name and address; an IDN domain. */
	ok("\"M\xc3\xbcller, J\xc3\xb6rg\" <j\xc3\xb6rg@m\xc3\xbcller.example>",
	    "j\xc3\xb6rg@m\xc3\xbcller.example", NULL);
	/* Unfolded header values keep their tabs; trailing commas. */
	ok("a@x.example,\tb@y.example,\t", "a@x.example", "b@y.example",
	    NULL);
	/* Subaddresses, apostrophes, quoted local parts with '@'. */
	ok("joe+lists@example.org", "joe+lists@example.org", NULL);
	ok("\"a@b\"@example.org", "\"a@b\"@example.org", NULL);
	/* mutt's empty group for Bcc-only mail, then a list. */
	ok("undisclosed-recipients: ;, a@b.example", "a@b.example", NULL);
	/* A domain literal, IPv6. */
	ok("root@[IPv6:2001:db8::1]", "root@[IPv6:2001:db8::1]", NULL);
	/* Outlook's ';' separator is not an address list: refused. */
	bad("a@x.example; b@y.example", "unexpected ';'");
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

static void
check_ok(const char *a, int want)
{
	if (addr_check(a, strlen(a)) != want)
		fail_msg("addr_check(\"%s\") != %d", a, want);
}

/* RFC 6531: UTF-8 passes, broken UTF-8 and C1 controls do not. */
static void
test_check_utf8(void **state)
{
	(void)state;
	check_ok("j\xc3\xb6rg@b\xc3\xbc.example", 0);		/* 2 bytes */
	check_ok("\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b.example", 0); /* 3 */
	check_ok("\xf0\x9f\x93\xa7@x.example", 0);		/* 4 bytes */
	check_ok("\"j\xc3\xb6 rg\"@x", 0);			/* quoted */
	check_ok("\"j\\\xc3\xb6\"@x", 0);			/* quoted-pair */
	check_ok("j\xf6rg@x", -1);				/* Latin-1 */
	check_ok("j\xc3@x", -1);				/* cut short */
	check_ok("j\xc3", -1);					/* at the end */
	check_ok("\xb6@x", -1);				/* stray */
	check_ok("\xc0\xbc@x", -1);				/* overlong '<' */
	check_ok("\xe0\x80\xbc@x", -1);			/* overlong '<' */
	check_ok("\xf0\x80\x80\xbc@x", -1);			/* overlong '<' */
	check_ok("\xed\xa0\x80@x", -1);			/* surrogate */
	check_ok("\xf4\x90\x80\x80@x", -1);			/* > U+10FFFF */
	check_ok("\xf5\x80\x80\x80@x", -1);
	check_ok("a\xc2\x85" "b@x", -1);				/* NEL, C1 */
	check_ok("a\xc2\x9f@x", -1);				/* C1 */
	check_ok("a\xc2\xa0@x", 0);				/* NBSP */
	check_ok("\xe2\x80\xa8@x", 0);			/* U+2028 */
	/* The parser applies the same check. */
	bad("J <j\xf6rg@x>", "bad address");
	ok("J\xf6rg <j@x>", "j@x", NULL);	/* a name is not our business */
}

static void
test_domain(void **state)
{
	(void)state;
	assert_string_equal(addr_domain("a@b.example"), "b.example");
	assert_null(addr_domain("root"));
	assert_null(addr_domain("\"a@b\""));
	assert_string_equal(addr_domain("\"a@b\"@c"), "c");
	assert_string_equal(addr_domain("\"a\\\"@b\"@c"), "c");
	assert_string_equal(addr_domain("a@[1.2.3.4]"), "[1.2.3.4]");
}

static void
mailbox(const char *s, int rc, const char *addr, const char *name,
    const char *cmt)
{
	struct addr_mailbox	 mb;
	struct result		 res;

	memset(&res, 0, sizeof(res));
	if (addr_mailbox_parse(s, strlen(s), &mb, &res) != rc)
		fail_msg("\"%s\": not %d (%s)", s, rc, res.msg);
	if (rc == -1) {
		assert_int_equal(res.exitcode, EX_DATAERR);
		return;
	}
	assert_string_equal(mb.addr, addr);
	assert_int_equal(mb.name_len, strlen(name));
	assert_memory_equal(s + mb.name_off, name, mb.name_len);
	assert_int_equal(mb.cmt_len, strlen(cmt));
	assert_memory_equal(s + mb.cmt_off, cmt, mb.cmt_len);
}

/* One From: mailbox: its address, name and comment as written. */
static void
test_mailbox(void **state)
{
	(void)state;
	mailbox("\"(Cron Daemon)\" <root>", 0, "root", "\"(Cron Daemon)\"", "");
	mailbox("root (systemd-cron)", 0, "root", "", "systemd-cron");
	mailbox("mdadm monitoring <root>", 0, "root", "mdadm monitoring", "");
	mailbox("  Joe (x)  Doe <j@x> (y)", 0, "j@x", "Joe (x)  Doe", "x");
	mailbox("(a (b) \\) c) r@x", 0, "r@x", "", "a (b) \\) c");
	mailbox("<root>", 0, "root", "", "");
	mailbox("root", 0, "root", "", "");
	mailbox("=?UTF-8?B?w6k=?= <a@b>", 0, "a@b", "=?UTF-8?B?w6k=?=", "");
	mailbox("()a@b", 0, "a@b", "", "");
	mailbox("", -1, NULL, NULL, NULL);
	mailbox("a@b, c@d", -1, NULL, NULL, NULL);
	mailbox("g: a@b;", -1, NULL, NULL, NULL);
	mailbox("g:;", -1, NULL, NULL, NULL);
	mailbox("Joe Bloggs", -1, NULL, NULL, NULL);
	mailbox("a@b\r\nBcc: x", -1, NULL, NULL, NULL);
}

/* s with "@Q" inserted where addr_list_unqualified says. */
static void
unq(const char *s, const char *want)
{
	struct result	 res;
	size_t		*ends, n, i, at = 0;
	char		 got[512];
	size_t		 g = 0;

	memset(&res, 0, sizeof(res));
	if (addr_list_unqualified(s, strlen(s), &ends, &n, &res) != 0)
		fail_msg("\"%s\": %s", s, res.msg);
	for (i = 0; i < n; i++) {
		assert_true(ends[i] >= at && ends[i] <= strlen(s));
		memcpy(got + g, s + at, ends[i] - at);
		g += ends[i] - at;
		memcpy(got + g, "@Q", 2);
		g += 2;
		at = ends[i];
	}
	memcpy(got + g, s + at, strlen(s + at) + 1);
	assert_string_equal(got, want);
	assert_true((n == 0) == (ends == NULL));
	free(ends);
}

static void
test_unqualified_ends(void **state)
{
	struct result	 res;
	size_t		*ends = (size_t *)1, n = 9;

	(void)state;
	unq("a@b, c@d", "a@b, c@d");
	unq("root", "root@Q");
	unq("root (admin), \"(Cron)\" <root>",
	    "root@Q (admin), \"(Cron)\" <root@Q>");
	unq("g: a, b@x;, \"q r\"", "g: a@Q, b@x;, \"q r\"@Q");
	unq("a . b (c) , <@r.x:d>", "a . b@Q (c) , <@r.x:d@Q>");
	unq("=?UTF-8?Q?J=C3=B6?= <jo>", "=?UTF-8?Q?J=C3=B6?= <jo@Q>");
	unq("undisclosed-recipients:;", "undisclosed-recipients:;");
	memset(&res, 0, sizeof(res));
	assert_int_equal(addr_list_unqualified("a, <b", 5, &ends, &n, &res),
	    -1);
	assert_null(ends);
	assert_int_equal(n, 0);
	assert_int_equal(res.exitcode, EX_DATAERR);
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
		cmocka_unit_test(test_client_forms),
		cmocka_unit_test(test_unbalanced),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_check_utf8),
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_mailbox),
		cmocka_unit_test(test_unqualified_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
