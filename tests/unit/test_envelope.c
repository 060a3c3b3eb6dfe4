/*
 * test_envelope.c - sender, recipients and the transmitted header.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "envelope.h"
#include "hdr.h"
#include "msg.h"
#include "result.h"

struct fix {
	struct cli	 cli;
	struct account	 acct;
	struct msg	 msg;
	struct envelope	 env;
	struct result	 res;
	char		*rv[8];
	char		 rbuf[8][128];
};

static struct fix F;

static int
setup(void **state)
{
	(void)state;
	memset(&F, 0, sizeof(F));
	F.acct.name = "work";
	F.acct.from = "me@example.org";
	F.msg.fd = -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	envelope_free(&F.env);
	return 0;
}

static void
set_msg(const char *s, size_t len)
{
	F.msg.mem = (char *)(uintptr_t)s;
	F.msg.memcap = len;
	F.msg.size = (off_t)len;
}

static void
add_rcpt(const char *s)
{
	size_t	 i = F.cli.nrcpts++;

	snprintf(F.rbuf[i], sizeof(F.rbuf[i]), "%s", s);
	F.rv[i] = F.rbuf[i];
	F.cli.rcpts = F.rv;
}

static int
build(const char *m)
{
	set_msg(m, strlen(m));
	return envelope_build(&F.env, &F.cli, &F.acct, &F.msg, &F.res);
}

static void
assert_rcpts(const char *first, ...)
{
	const char	*want = first;
	size_t		 i = 0;
	va_list		 ap;

	va_start(ap, first);
	for (; want != NULL; want = va_arg(ap, const char *), i++) {
		if (i >= F.env.rcpts.n)
			fail_msg("only %zu recipients", F.env.rcpts.n);
		assert_string_equal(F.env.rcpts.v[i], want);
	}
	va_end(ap);
	assert_int_equal(F.env.rcpts.n, i);
}

/* What goes on the wire: hdr, then the message from body_off. */
static void
assert_sent(const char *want)
{
	size_t	 blen = (size_t)(F.msg.size - F.env.body_off);
	size_t	 n = F.env.hdrlen + blen;
	char	*got;

	got = malloc(n + 1);
	assert_non_null(got);
	memcpy(got, F.env.hdr, F.env.hdrlen);
	memcpy(got + F.env.hdrlen, F.msg.mem + F.env.body_off, blen);
	got[n] = '\0';
	assert_string_equal(got, want);
	free(got);
}

static void
assert_fail(int ex, const char *msgpart)
{
	assert_true(F.res.set);
	assert_int_equal(F.res.exitcode, ex);
	if (strstr(F.res.msg, msgpart) == NULL)
		fail_msg("\"%s\" not in \"%s\"", msgpart, F.res.msg);
	assert_null(F.env.from);
	assert_null(F.env.hdr);
	assert_int_equal(F.env.rcpts.n, 0);
}

static void
test_passthrough(void **state)
{
	const char	*m = "From: Me <me@example.org>\nTo: x@y\n\nhello\n";

	(void)state;
	F.cli.from = "sender@example.org";
	add_rcpt("a@example.net");
	assert_int_equal(build(m), 0);
	assert_string_equal(F.env.from, "sender@example.org");
	assert_rcpts("a@example.net", NULL);
	assert_int_equal(F.env.hdrlen, strlen(m) - 6);
	assert_int_equal(F.env.body_off, strlen(m) - 6);
	assert_sent(m);
	assert_null(F.env.msgid);
}

static void
test_sender_from_account(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build("From: x@y\n\nhi\n"), 0);
	assert_string_equal(F.env.from, "me@example.org");
}

static void
test_no_sender(void **state)
{
	(void)state;
	F.acct.from = NULL;
	add_rcpt("a@b");
	assert_int_equal(build("\nhi\n"), -1);
	assert_fail(EX_CONFIG, "no envelope sender: set from = in the account "
	    "or pass -f");
	assert_int_equal(envelope_build(&F.env, &F.cli, NULL, &F.msg, &F.res),
	    -1);
}

static void
test_bad_sender(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.cli.from = "a@b>\r\nRCPT TO:<evil@x>";
	assert_int_equal(build("\nhi\n"), -1);
	assert_fail(EX_USAGE, "-f \"a@b>  RCPT TO:<evil@x>\"");
}

static void
test_sender_in_angles(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.cli.from = "<bounce@example.org>";
	assert_int_equal(build("From: x@y\n\nhi\n"), 0);
	assert_string_equal(F.env.from, "bounce@example.org");
}

static void
test_bad_account_from(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.acct.from = "me @example.org";
	F.acct.file = "/etc/stamp.ini";
	F.acct.line = 7;
	assert_int_equal(build("\nhi\n"), -1);
	assert_fail(EX_CONFIG, "/etc/stamp.ini:7: account work: bad from "
	    "address \"me @example.org\"");
}

static void
test_argv_lists(void **state)
{
	(void)state;
	add_rcpt("a@b, Bob <c@d>");
	add_rcpt("root");
	add_rcpt("undisclosed-recipients:;");
	assert_int_equal(build("From: x@y\n\nhi\n"), 0);
	assert_rcpts("a@b", "c@d", "root", NULL);
}

/* -t: every To, Cc and Bcc, folded or not, after argv; no duplicates. */
static void
test_read_headers(void **state)
{
	const char	*m = "From: x@y\nTo: A <a@x>,\n  b@x\nCc: c@x\n"
	    "Subject: To: z@z\nBcc: d@x\ncc: C@X, e@x\nTO: \"B\" <B@X>\n\nhi\n";

	(void)state;
	F.cli.read_headers = 1;
	add_rcpt("e@x");
	add_rcpt("A@X");
	assert_int_equal(build(m), 0);
	assert_rcpts("e@x", "A@X", "b@x", "c@x", "d@x", NULL);
}

static void
test_headers_ignored_without_t(void **state)
{
	(void)state;
	add_rcpt("z@z");
	assert_int_equal(build("To: a@x\nCc: b@x\n\nhi\n"), 0);
	assert_rcpts("z@z", NULL);
}

static void
test_no_recipients(void **state)
{
	(void)state;
	assert_int_equal(build("From: x@y\nTo: a@b\n\nhi\n"), -1);
	assert_fail(EX_USAGE, "no recipients");
}

static void
test_no_recipients_group(void **state)
{
	(void)state;
	F.cli.read_headers = 1;
	assert_int_equal(build("To: undisclosed-recipients:;\n\nhi\n"), -1);
	assert_fail(EX_USAGE, "no recipients");
}

static void
test_bad_argv_recipient(void **state)
{
	(void)state;
	add_rcpt("ok@x");
	add_rcpt("a@b>\r\nDATA");
	assert_int_equal(build("\nhi\n"), -1);
	assert_fail(EX_DATAERR, "recipient argument: unbalanced <> in address "
	    "list \"a@b>  DATA\"");
}

static void
test_bad_header_recipient(void **state)
{
	(void)state;
	F.cli.read_headers = 1;
	assert_int_equal(build("To: ok@x\nCc: a@x,\n John Smith\n\nhi\n"), -1);
	assert_fail(EX_DATAERR, "Cc: bad address \"John Smith\"");
}

/* Bcc fields, with their continuation lines, are never transmitted. */
static void
test_bcc_removed(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build("Bcc: s@x\nFrom: x@y\nBCC: t@x,\n u@x\n"
	    "Subject: s\r\nbcc:\nbcc-not: keep\nbcc : v@x\n\nBcc: body\n"), 0);
	assert_sent("From: x@y\nSubject: s\r\nbcc-not: keep\n\nBcc: body\n");
}

static void
test_bcc_last_crlf(void **state)
{
	(void)state;
	F.cli.read_headers = 1;
	assert_int_equal(build("From: x@y\r\nTo: a@b\r\nBcc: c@d\r\n"
	    "\r\nhi\r\n"), 0);
	assert_rcpts("a@b", "c@d", NULL);
	assert_sent("From: x@y\r\nTo: a@b\r\n\r\nhi\r\n");
}

static void
test_from_added(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build("To: a@b\nSubject: s\n\nhi\n"), 0);
	assert_sent("To: a@b\nSubject: s\nFrom: me@example.org\n\nhi\n");
}

static void
test_from_added_crlf_fullname(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.cli.from = "root";
	F.cli.fullname = "CronDaemon";
	assert_int_equal(build("Subject: s\r\n\r\nhi\r\n"), 0);
	assert_sent("Subject: s\r\nFrom: CronDaemon <root>\r\n\r\nhi\r\n");
}

static void
test_from_fullname_quoted(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.cli.fullname = "Doe, John \"JD\" a\\b";
	assert_int_equal(build("Subject: s\n\nhi\n"), 0);
	assert_sent("Subject: s\nFrom: \"Doe, John \\\"JD\\\" a\\\\b\" "
	    "<me@example.org>\n\nhi\n");
}

/* Non-ASCII -F: RFC 2047 encoded-words, never raw 8-bit in a header. */
static void
test_from_fullname_encoded(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.cli.fullname = "J\xc3\xb6rg M\xc3\xbcller";
	assert_int_equal(build("Subject: s\n\nhi\n"), 0);
	assert_sent("Subject: s\nFrom: =?UTF-8?B?SsO2cmcgTcO8bGxlcg==?= <me@example.org>\n\nhi\n");
}

/* 30 x U+00E9 (60 bytes): cut at 44, not inside a character at 45. */
static void
test_from_fullname_encoded_words_split(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.cli.fullname = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
	assert_int_equal(build("Subject: s\n\nhi\n"), 0);
	assert_sent("Subject: s\nFrom: =?UTF-8?B?w6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6k=?= "
	    "=?UTF-8?B?w6nDqcOpw6nDqcOpw6nDqQ==?= <me@example.org>\n\nhi\n");
}

static void
test_from_fullname_injection(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.cli.fullname = "x\nBcc: evil@x";
	assert_int_equal(build("Subject: s\n\nhi\n"), -1);
	assert_fail(EX_USAGE, "full name -F");
}

/* -F does not matter when the message has its own From:. */
static void
test_from_kept(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.cli.fullname = "x\nBcc: evil@x";
	assert_int_equal(build("from: \"(Cron Daemon)\" <root>\n\nhi\n"), 0);
	assert_sent("from: \"(Cron Daemon)\" <root>\n\nhi\n");
}

/* No separator line: one is added so the body stays a body. */
static void
test_from_added_no_blank(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build("Subject: s\nhello\n"), 0);
	assert_int_equal(F.env.body_off, 11);
	assert_sent("Subject: s\nFrom: me@example.org\n\nhello\n");
}

static void
test_no_headers_at_all(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build(" indented body\n"), 0);
	assert_int_equal(F.env.body_off, 0);
	assert_sent("From: me@example.org\n\n indented body\n");
}

static void
test_header_only_no_eol(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build("Subject: s\r\nX: y"), 0);
	assert_sent("Subject: s\r\nX: y\r\nFrom: me@example.org\r\n");
}

static void
test_empty_message(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build(""), 0);
	assert_int_equal(F.env.body_off, 0);
	assert_sent("From: me@example.org\n");
}

static void
test_msgid(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build("From: x@y\nMessage-Id:\n <1@x.example> \n"
	    "Message-ID: <2@x>\n\nhi\n"), 0);
	assert_string_equal(F.env.msgid, "<1@x.example>");
}

static void
test_nul_in_header(void **state)
{
	static const char m[] = "From: x@y\nSubject: a\0b\n\nhi\n";

	(void)state;
	add_rcpt("a@b");
	set_msg(m, sizeof(m) - 1);
	assert_int_equal(envelope_build(&F.env, &F.cli, &F.acct, &F.msg,
	    &F.res), -1);
	assert_fail(EX_DATAERR, "NUL");
}

/* A message larger than HDR_SECTION_MAX: only its head is read. */
static void
test_large_message(void **state)
{
	const char	*h = "Bcc: b@x\nTo: a@x\n\n";
	const char	*want = "To: a@x\nFrom: me@example.org\n\n";
	size_t		 len = HDR_SECTION_MAX * 2 + 10, hl = strlen(h);
	char		*m;

	(void)state;
	F.cli.read_headers = 1;
	m = malloc(len);
	assert_non_null(m);
	memcpy(m, h, hl);
	memset(m + hl, 'x', len - hl);
	set_msg(m, len);
	assert_int_equal(envelope_build(&F.env, &F.cli, &F.acct, &F.msg,
	    &F.res), 0);
	assert_rcpts("b@x", "a@x", NULL);
	assert_int_equal(F.env.body_off, hl);
	assert_int_equal(F.env.hdrlen, strlen(want));
	assert_memory_equal(F.env.hdr, want, F.env.hdrlen);
	free(m);
}

/*
 * The header section is read in growing blocks: a 200 KiB header (more
 * than the first block) followed by a body with its own blank lines.
 */
static void
test_large_header_then_body(void **state)
{
	size_t	 hlen = 200 * 1024, len = hlen + 64, i;
	char	*m;

	(void)state;
	F.cli.read_headers = 1;
	m = malloc(len + 1);
	assert_non_null(m);
	memcpy(m, "To: a@b\nX: ", 11);
	for (i = 11; i < hlen - 1; i++)
		m[i] = i % 64 == 0 ? '\n' : i % 64 == 1 ? '\t' : 'a';
	m[hlen - 1] = '\n';
	memcpy(m + hlen, "Bcc: c@d\n\nbody\n\nBcc: not@header\n", 33);
	len = hlen + 33;
	m[len] = '\0';
	set_msg(m, len);
	assert_int_equal(envelope_build(&F.env, &F.cli, &F.acct, &F.msg,
	    &F.res), 0);
	assert_rcpts("a@b", "c@d", NULL);
	assert_int_equal(F.env.body_off, hlen + 10);
	assert_int_equal(F.env.hdrlen, hlen + 1 + strlen("From: me@example.org\n"));
	assert_memory_equal(F.env.hdr, m, hlen);
	free(m);
}

static void
test_header_too_large(void **state)
{
	size_t	 len = HDR_SECTION_MAX + 4096, i;
	char	*m;

	(void)state;
	add_rcpt("a@b");
	m = malloc(len);
	assert_non_null(m);
	memcpy(m, "X: ", 3);
	for (i = 3; i < len; i++)
		m[i] = i % 64 == 0 ? '\n' : i % 64 == 1 ? '\t' : 'a';
	set_msg(m, len);
	assert_int_equal(envelope_build(&F.env, &F.cli, &F.acct, &F.msg,
	    &F.res), -1);
	assert_fail(EX_DATAERR, "header section larger than");
	free(m);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_passthrough),
		T(test_sender_from_account),
		T(test_no_sender),
		T(test_bad_sender),
		T(test_sender_in_angles),
		T(test_bad_account_from),
		T(test_argv_lists),
		T(test_read_headers),
		T(test_headers_ignored_without_t),
		T(test_no_recipients),
		T(test_no_recipients_group),
		T(test_bad_argv_recipient),
		T(test_bad_header_recipient),
		T(test_bcc_removed),
		T(test_bcc_last_crlf),
		T(test_from_added),
		T(test_from_added_crlf_fullname),
		T(test_from_fullname_quoted),
		T(test_from_fullname_encoded),
		T(test_from_fullname_encoded_words_split),
		T(test_from_fullname_injection),
		T(test_from_kept),
		T(test_from_added_no_blank),
		T(test_no_headers_at_all),
		T(test_header_only_no_eol),
		T(test_empty_message),
		T(test_msgid),
		T(test_nul_in_header),
		T(test_large_message),
		T(test_large_header_then_body),
		T(test_header_too_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
