/*
 * test_envelope.c - sender, recipients and the transmitted header: -t
 * with Resent-*, the mbox line, Date and Message-ID (parsed back),
 * qualification, aliases, set_from_header.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
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
	char		 rbuf[8][ADDR_MAX + 16];
	const char	*id_domain;	/* expected in a Message-ID we add */
	char		 aliases[64];	/* a temporary alias file, or "" */
	int		 spooled;	/* msg is a real spool: msg_free it */
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
	F.id_domain = "example.org";
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	envelope_free(&F.env);
	if (F.spooled)
		msg_free(&F.msg);
	if (F.aliases[0] != '\0')
		unlink(F.aliases);
	return 0;
}

/* An alias file holding text, for the account. */
static void
set_aliases(const char *text)
{
	FILE	*fp;
	int	 fd;

	snprintf(F.aliases, sizeof(F.aliases), "/tmp/stamp-test-al-XXXXXX");
	fd = mkstemp(F.aliases);
	assert_true(fd != -1);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	F.acct.aliases = F.aliases;
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

/* Through a real spool (msg.h), so that its line figures are there. */
static int
build_spooled(const char *m, size_t len)
{
	if (F.spooled)
		msg_free(&F.msg);
	F.spooled = 1;
	assert_int_equal(msg_begin(&F.msg, &F.res), 0);
	assert_int_equal(msg_append(&F.msg, m, len, &F.res), 0);
	assert_int_equal(msg_end(&F.msg, &F.res), 0);
	return envelope_build(&F.env, &F.cli, &F.acct, &F.msg, &F.res);
}

/* head, then a body of: "short", n octets of c, "end". */
static int
build_long(const char *head, size_t n, char c)
{
	size_t	 hl = strlen(head), len = hl + 6 + n + 5;
	char	*m = malloc(len + 1);
	int	 rc;

	assert_non_null(m);
	memcpy(m, head, hl);
	memcpy(m + hl, "short\n", 6);
	memset(m + hl + 6, c, n);
	memcpy(m + hl + 6 + n, "\nend\n", 6);
	rc = build_spooled(m, len);
	free(m);
	return rc;
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

/*
 * A Date: value stamp made, at s: RFC 5322 section 3.3 as hdr_date
 * writes it, parsed back, within a minute of now.  Returns its length.
 */
static size_t
check_date(const char *s)
{
	static const char days[] = "SunMonTueWedThuFriSat";
	static const char mons[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char		 wd[4], mon[4], again[64];
	const char	*m;
	struct tm	 tm;
	int		 d, y, hh, mi, ss, zh, zm, len = 0;
	char		 sign;
	time_t		 t;

	if (sscanf(s, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %c%2d%2d%n",
	    wd, &d, mon, &y, &hh, &mi, &ss, &sign, &zh, &zm, &len) != 10)
		fail_msg("bad Date: \"%.40s\"", s);
	/* Exactly this form, not merely something sscanf takes. */
	snprintf(again, sizeof(again), "%s, %d %s %04d %02d:%02d:%02d "
	    "%c%02d%02d", wd, d, mon, y, hh, mi, ss, sign, zh, zm);
	assert_int_equal(strlen(again), len);
	assert_memory_equal(again, s, (size_t)len);
	assert_true(sign == '+' || sign == '-');
	assert_non_null(m = strstr(mons, mon));
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = (int)(m - mons) / 3;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mi;
	tm.tm_sec = ss;
	t = timegm(&tm);
	assert_memory_equal(days + 3 * tm.tm_wday, wd, 3);
	t -= (sign == '-' ? -1 : 1) * (zh * 3600 + zm * 60);
	assert_true(labs((long)(t - time(NULL))) < 60);
	return (size_t)len;
}

/*
 * A Message-ID stamp made: "<" 14 digits "." pid "." 16 hex "@" dom ">";
 * the message's (env.msgid), or a Resent-Message-ID (resent).
 */
static size_t
check_id(const char *s, int resent)
{
	size_t	 i = 1, dl = strlen(F.id_domain);
	char	 pid[32];

	assert_int_equal(s[0], '<');
	for (; i < 15; i++)
		assert_true(isdigit((unsigned char)s[i]));
	assert_int_equal(s[i++], '.');
	snprintf(pid, sizeof(pid), "%ld.", (long)getpid());
	assert_memory_equal(s + i, pid, strlen(pid));
	i += strlen(pid);
	for (; i < 16 + strlen(pid) + 16; i++)
		assert_true(isxdigit((unsigned char)s[i]) &&
		    !isupper((unsigned char)s[i]));
	assert_int_equal(s[i++], '@');
	assert_memory_equal(s + i, F.id_domain, dl);
	i += dl;
	assert_int_equal(s[i++], '>');
	if (resent)
		return i;
	assert_non_null(F.env.msgid);
	assert_int_equal(strlen(F.env.msgid), i);
	assert_memory_equal(F.env.msgid, s, i);
	return i;
}


/*
 * got against want, where "%D" stands for a Date: value and "%M" for a
 * Message-ID that stamp made (checked by check_date, check_id), "%R"
 * for a Resent-Message-ID.
 */
static void
match(const char *got, const char *want)
{
	const char	*g = got, *w = want;

	while (*w != '\0') {
		if (w[0] == '%' && (w[1] == 'D' || w[1] == 'M' ||
		    w[1] == 'R')) {
			g += w[1] == 'D' ? check_date(g) :
			    check_id(g, w[1] == 'R');
			w += 2;
		} else if (*g++ != *w++)
			fail_msg("sent:\n%s\nwanted:\n%s\ndiffers at byte "
			    "%zu of the wanted text", got, want,
			    (size_t)(w - want - 1));
	}
	if (*g != '\0')
		fail_msg("sent:\n%s\nwanted:\n%s\nmore was sent", got, want);
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
	match(got, want);
	free(got);
}

/* The header section sent, against the first n bytes of want. */
static void
assert_hdr_n(const char *want, size_t n)
{
	char	*got = strndup(F.env.hdr, F.env.hdrlen);
	char	*w = strndup(want, n);

	assert_non_null(got);
	assert_non_null(w);
	match(got, w);
	free(got);
	free(w);
}

static void
assert_hdr(const char *want)
{
	assert_hdr_n(want, strlen(want));
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

/* A message with From, Date and Message-ID goes as it is. */
static void
test_passthrough(void **state)
{
	const char	*m = "From: Me <me@example.org>\nTo: x@y\n"
	    "Date: Sat, 1 Nov 2025 10:00:00 +0100\nMessage-ID: <1@x>\n"
	    "\nhello\n";

	(void)state;
	F.cli.from = "sender@example.org";
	add_rcpt("a@example.net");
	assert_int_equal(build(m), 0);
	assert_string_equal(F.env.from, "sender@example.org");
	assert_rcpts("a@example.net", NULL);
	assert_int_equal(F.env.hdrlen, strlen(m) - 6);
	assert_int_equal(F.env.body_off, strlen(m) - 6);
	assert_sent(m);
	assert_string_equal(F.env.msgid, "<1@x>");
}

/* Date and Message-ID are added, before the separator, in the order. */
static void
test_date_msgid_added(void **state)
{
	const char	*m = "From: Me <me@example.org>\nTo: x@y\n\nhello\n";

	(void)state;
	F.cli.from = "sender@example.net";
	F.id_domain = "example.net";
	add_rcpt("a@example.net");
	assert_int_equal(build(m), 0);
	assert_sent("From: Me <me@example.org>\nTo: x@y\nDate: %D\n"
	    "Message-ID: %M\n\nhello\n");
	assert_int_equal(F.env.body_off, strlen(m) - 6);
}

/* Two messages, two Message-IDs. */
static void
test_msgid_unique(void **state)
{
	char	*first;

	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build("Subject: s\n\nhi\n"), 0);
	first = strdup(F.env.msgid);
	assert_non_null(first);
	envelope_free(&F.env);
	assert_int_equal(build("Subject: s\n\nhi\n"), 0);
	assert_string_not_equal(first, F.env.msgid);
	free(first);
}

/* The domain: the sender's, else the EHLO name, else localhost. */
static void
test_msgid_domain(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.cli.from = "root";
	F.acct.from = NULL;
	F.acct.domain = "host.example.com";
	F.id_domain = "host.example.com";
	assert_int_equal(build("Date: x\n\nhi\n"), 0);
	assert_sent("Date: x\nFrom: root\nMessage-ID: %M\n\nhi\n");
	envelope_free(&F.env);
	F.acct.domain = NULL;
	F.id_domain = "localhost";
	assert_int_equal(build("Date: x\nFrom: y@z\n\nhi\n"), 0);
	assert_sent("Date: x\nFrom: y@z\nMessage-ID: %M\n\nhi\n");
	envelope_free(&F.env);
	/* Not a plain ASCII host name: not in our Message-ID. */
	F.cli.from = "j@b\xc3\xbc.example";
	F.acct.domain = "bad_name";
	assert_int_equal(build("Date: x\nFrom: y@z\n\nhi\n"), 0);
	assert_sent("Date: x\nFrom: y@z\nMessage-ID: %M\n\nhi\n");
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

/*
 * The null sender (RFC 5321 4.5.5), as bounce and vacation tools pass
 * it: "<>" or "", never qualified, and the From: is never emptied: the
 * message's is kept (whatever set_from_header), a missing one is the
 * account's from, and without one that is EX_CONFIG.
 */
static void
test_null_sender(void **state)
{
	static const char *const spell[] = { "<>", "" };
	size_t	 i;

	(void)state;
	add_rcpt("a@b");
	F.acct.qualify_domain = "example.net";
	for (i = 0; i < 2; i++) {
		F.cli.from = spell[i];
		F.acct.set_from_header = FROM_HDR_ON;
		assert_int_equal(build("From: Vacation <joe@x.org>\n\nhi\n"), 0);
		assert_string_equal(F.env.from, "");
		F.id_domain = "example.org";
		assert_sent("From: Vacation <joe@x.org>\nDate: %D\n"
		    "Message-ID: %M\n\nhi\n");
		envelope_free(&F.env);
		F.acct.set_from_header = FROM_HDR_AUTO;
		/* Kept, but qualified as the envelope would be. */
		assert_int_equal(build("From: root\n\nhi\n"), 0);
		assert_sent("From: root@example.net\nDate: %D\n"
		    "Message-ID: %M\n\nhi\n");
		envelope_free(&F.env);
		assert_int_equal(build("Subject: bounce\n\nhi\n"), 0);
		assert_string_equal(F.env.from, "");
		assert_sent("Subject: bounce\nFrom: me@example.org\nDate: %D\n"
		    "Message-ID: %M\n\nhi\n");
		envelope_free(&F.env);
	}
	/* -F names the From: that is added. */
	F.cli.fullname = "Mail System";
	assert_int_equal(build("Subject: bounce\n\nhi\n"), 0);
	assert_sent("Subject: bounce\nFrom: Mail System <me@example.org>\n"
	    "Date: %D\nMessage-ID: %M\n\nhi\n");
	envelope_free(&F.env);
	/* No From: anywhere: refused, not sent with an empty one. */
	F.acct.from = "*@example.org";
	assert_int_equal(build("Subject: bounce\n\nhi\n"), -1);
	assert_fail(EX_CONFIG, "the null sender needs a From: field");
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
	assert_sent("From: x@y\nSubject: s\r\nbcc-not: keep\nDate: %D\n"
	    "Message-ID: %M\n\nBcc: body\n");
}

static void
test_bcc_last_crlf(void **state)
{
	(void)state;
	F.cli.read_headers = 1;
	assert_int_equal(build("From: x@y\r\nTo: a@b\r\nBcc: c@d\r\n"
	    "\r\nhi\r\n"), 0);
	assert_rcpts("a@b", "c@d", NULL);
	assert_sent("From: x@y\r\nTo: a@b\r\nDate: %D\r\nMessage-ID: %M\r\n"
	    "\r\nhi\r\n");
}

static void
test_from_added(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build("To: a@b\nSubject: s\n\nhi\n"), 0);
	assert_sent("To: a@b\nSubject: s\nFrom: me@example.org\nDate: %D\n"
	    "Message-ID: %M\n\nhi\n");
}

static void
test_from_added_crlf_fullname(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.cli.from = "root";
	F.acct.from = NULL;
	F.id_domain = "localhost";
	F.cli.fullname = "CronDaemon";
	assert_int_equal(build("Subject: s\r\n\r\nhi\r\n"), 0);
	assert_sent("Subject: s\r\nFrom: CronDaemon <root>\r\nDate: %D\r\n"
	    "Message-ID: %M\r\n\r\nhi\r\n");
}

static void
test_from_fullname_quoted(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.cli.fullname = "Doe, John \"JD\" a\\b";
	assert_int_equal(build("Subject: s\n\nhi\n"), 0);
	assert_sent("Subject: s\nFrom: \"Doe, John \\\"JD\\\" a\\\\b\" "
	    "<me@example.org>\nDate: %D\nMessage-ID: %M\n\nhi\n");
}

/* Non-ASCII -F: RFC 2047 encoded-words, never raw 8-bit in a header. */
static void
test_from_fullname_encoded(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.cli.fullname = "J\xc3\xb6rg M\xc3\xbcller";
	assert_int_equal(build("Subject: s\n\nhi\n"), 0);
	assert_sent("Subject: s\nFrom: =?UTF-8?B?SsO2cmcgTcO8bGxlcg==?= "
	    "<me@example.org>\nDate: %D\nMessage-ID: %M\n\nhi\n");
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
	    "=?UTF-8?B?w6nDqcOpw6nDqcOpw6nDqQ==?= <me@example.org>\n"
	    "Date: %D\nMessage-ID: %M\n\nhi\n");
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
	assert_int_equal(build("from: \"(Cron Daemon)\" <root@x>\nDate: d\n"
	    "Message-ID: <i@x>\n\nhi\n"), 0);
	assert_sent("from: \"(Cron Daemon)\" <root@x>\nDate: d\n"
	    "Message-ID: <i@x>\n\nhi\n");
}

/* No separator line: one is added so the body stays a body. */
static void
test_from_added_no_blank(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build("Subject: s\nhello\n"), 0);
	assert_int_equal(F.env.body_off, 11);
	assert_sent("Subject: s\nFrom: me@example.org\nDate: %D\nMessage-ID: %M\n"
	    "\nhello\n");
}

static void
test_no_headers_at_all(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build(" indented body\n"), 0);
	assert_int_equal(F.env.body_off, 0);
	assert_sent("From: me@example.org\nDate: %D\nMessage-ID: %M\n\n"
	    " indented body\n");
}

static void
test_header_only_no_eol(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build("Subject: s\r\nX: y"), 0);
	assert_sent("Subject: s\r\nX: y\r\nFrom: me@example.org\r\nDate: %D\r\n"
	    "Message-ID: %M\r\n");
}

static void
test_empty_message(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build(""), 0);
	assert_int_equal(F.env.body_off, 0);
	assert_sent("From: me@example.org\nDate: %D\nMessage-ID: %M\n");
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
	const char	*h2 = "To: a@x\nFrom: me@example.org\nDate: %D\n"
	    "Message-ID: %M\n\n";
	char		*got;
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
	got = strndup(F.env.hdr, F.env.hdrlen);
	assert_non_null(got);
	match(got, h2);
	free(got);
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
	assert_memory_equal(F.env.hdr, m, hlen);
	assert_memory_equal(F.env.hdr + hlen, "From: me@example.org\nDate: ", 27);
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

/* An mbox "From " line is dropped; the fields after it are the header. */
static void
test_mbox_line_dropped(void **state)
{
	(void)state;
	F.cli.read_headers = 1;
	assert_int_equal(build("From joe@example.org Mon Sep 17 00:00:00 "
	    "2001\nFrom: x@y\nTo: a@b\nDate: d\nMessage-ID: <i@x>\n\n"
	    "From the body\n"), 0);
	assert_rcpts("a@b", NULL);
	assert_sent("From: x@y\nTo: a@b\nDate: d\nMessage-ID: <i@x>\n\n"
	    "From the body\n");
}

static void
test_mbox_line_then_body(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build("From x\nbody line\n"), 0);
	assert_int_equal(F.env.body_off, 7);
	assert_sent("From: me@example.org\nDate: %D\nMessage-ID: %M\n\n"
	    "body line\n");
	envelope_free(&F.env);
	/* "From : a@b" is a field (obsolete syntax), not an mbox line. */
	assert_int_equal(build("From : x@y\nDate: d\nMessage-ID: <i@x>\n\n"
	    "hi\n"), 0);
	assert_sent("From : x@y\nDate: d\nMessage-ID: <i@x>\n\nhi\n");
}

/* -t with Resent-*: the topmost block, not To/Cc/Bcc; no Resent-Bcc. */
static void
test_resent_block(void **state)
{
	const char	*m = "Received: from a by b\n"
	    "Resent-From: r@x\nResent-To: r1@x, R2 <r2@x>\n"
	    "Resent-cc: r3@x\nRESENT-BCC: r4@x\nResent-Date: d2\n"
	    "Received: from c by d\n"
	    "Resent-To: old@x\nResent-Bcc: oldb@x\n"
	    "From: o@x\nTo: to@x\nCc: cc@x\nBcc: bcc@x\nDate: d\n"
	    "Message-ID: <i@x>\n\nhi\n";

	(void)state;
	F.cli.read_headers = 1;
	add_rcpt("argv@x");
	assert_int_equal(build(m), 0);
	assert_rcpts("argv@x", "r1@x", "r2@x", "r3@x", "r4@x", NULL);
	/* The block had its Resent-Date:, not its Resent-Message-ID:. */
	assert_sent("Received: from a by b\n"
	    "Resent-From: r@x\nResent-To: r1@x, R2 <r2@x>\n"
	    "Resent-cc: r3@x\nResent-Date: d2\nResent-Message-ID: %R\n"
	    "Received: from c by d\n"
	    "Resent-To: old@x\n"
	    "From: o@x\nTo: to@x\nCc: cc@x\nDate: d\n"
	    "Message-ID: <i@x>\n\nhi\n");
}

/*
 * -t with a Resent-* block: Resent-Date: and Resent-Message-ID: added
 * when missing (RFC 5322 3.6.6), at the end of the topmost block (even
 * when a dropped Resent-Bcc: ends it), in the message's line ending;
 * kept when there; never without -t or without a block.
 */
static void
test_resent_fields_added(void **state)
{
	(void)state;
	F.cli.read_headers = 1;
	assert_int_equal(build("Resent-From: r@x\r\nResent-To: r1@x\r\n"
	    "Resent-Bcc: b@x\r\nReceived: x\r\nResent-Date: old\r\n"
	    "From: o@x\r\nDate: d\r\nMessage-ID: <i@x>\r\n\r\nhi\r\n"), 0);
	assert_rcpts("r1@x", "b@x", NULL);
	assert_sent("Resent-From: r@x\r\nResent-To: r1@x\r\n"
	    "Resent-Date: %D\r\nResent-Message-ID: %R\r\n"
	    "Received: x\r\nResent-Date: old\r\n"
	    "From: o@x\r\nDate: d\r\nMessage-ID: <i@x>\r\n\r\nhi\r\n");
	assert_string_equal(F.env.msgid, "<i@x>");
	envelope_free(&F.env);
	/* Both there: byte for byte. */
	assert_int_equal(build("Resent-To: r1@x\nResent-Message-ID: <r@x>\n"
	    "Resent-Date: d2\nFrom: o@x\nDate: d\nMessage-ID: <i@x>\n\nhi\n"),
	    0);
	assert_sent("Resent-To: r1@x\nResent-Message-ID: <r@x>\n"
	    "Resent-Date: d2\nFrom: o@x\nDate: d\nMessage-ID: <i@x>\n\nhi\n");
	envelope_free(&F.env);
	/* Without -t: the Resent-* block is not what is sent. */
	F.cli.read_headers = 0;
	add_rcpt("a@b");
	assert_int_equal(build("Resent-To: r1@x\nFrom: o@x\nDate: d\n"
	    "Message-ID: <i@x>\n\nhi\n"), 0);
	assert_sent("Resent-To: r1@x\nFrom: o@x\nDate: d\n"
	    "Message-ID: <i@x>\n\nhi\n");
	envelope_free(&F.env);
	/* -t without a block: nothing Resent-. */
	F.cli.read_headers = 1;
	assert_int_equal(build("To: t@x\nFrom: o@x\nDate: d\n"
	    "Message-ID: <i@x>\n\nhi\n"), 0);
	assert_sent("To: t@x\nFrom: o@x\nDate: d\nMessage-ID: <i@x>\n\nhi\n");
}

/* A topmost block without Resent-To/Cc/Bcc has no recipients. */
static void
test_resent_block_without_recipients(void **state)
{
	(void)state;
	F.cli.read_headers = 1;
	assert_int_equal(build("Resent-From: r@x\nResent-Date: d\n"
	    "Received: from a by b\nResent-To: old@x\nTo: to@x\n\nhi\n"), -1);
	assert_fail(EX_USAGE, "no recipients");
}

/* Without -t, Resent-* only loses its Resent-Bcc. */
static void
test_resent_without_t(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build("Resent-To: r@x\nResent-Bcc: s@x\n"
	    "Date: d\nFrom: f@x\nMessage-ID: <i@x>\n\nhi\n"), 0);
	assert_rcpts("a@b", NULL);
	assert_sent("Resent-To: r@x\nDate: d\nFrom: f@x\nMessage-ID: <i@x>\n"
	    "\nhi\n");
}

static void
test_bad_resent_recipient(void **state)
{
	(void)state;
	F.cli.read_headers = 1;
	assert_int_equal(build("Resent-To: a@b, Joe Smith\n\nhi\n"), -1);
	assert_fail(EX_DATAERR, "Resent-To: bad address \"Joe Smith\"");
}

/* qualify_domain: every unqualified envelope address. */
static void
test_qualify_domain(void **state)
{
	(void)state;
	F.acct.qualify_domain = "example.net";
	F.cli.from = "root";
	F.cli.read_headers = 1;
	F.id_domain = "example.net";
	add_rcpt("root, Bob <bob>");
	add_rcpt("a@example.com");
	assert_int_equal(build("To: \"quoted name\"@x, mhmd\nDate: d\n\nhi\n"),
	    0);
	assert_string_equal(F.env.from, "root@example.net");
	assert_rcpts("root@example.net", "bob@example.net", "a@example.com",
	    "\"quoted name\"@x", "mhmd@example.net", NULL);
	/* The From: stamp adds has the qualified sender; To: is qualified. */
	assert_sent("To: \"quoted name\"@x, mhmd@example.net\nDate: d\n"
	    "From: root@example.net\nMessage-ID: %M\n\nhi\n");
}

/*
 * qualify_domain in the header: the unqualified addresses of To:, Cc:
 * (and Reply-To:, Resent-*) get it, names, comments, groups and encoded
 * words untouched; qualified ones, other fields and fields that do not
 * parse go byte for byte; set_from_header = off keeps From: as it is.
 */
static void
test_qualify_header_fields(void **state)
{
	(void)state;
	F.acct.qualify_domain = "example.net";
	F.id_domain = "example.org";
	add_rcpt("a@b");
	assert_int_equal(build("From: me@example.org\r\n"
	    "To: \"(Cron Daemon)\" <root>, root (admin), =?UTF-8?Q?J=C3=B6?= "
	    "<jo>\r\n"
	    "Cc: staff: bob, \"a b\"@x.org;,\r\n \"x y\"\r\n"
	    "Reply-To: ops\r\nX-Other: root\r\nResent-Cc: <kim>\r\n"
	    "Bcc: secret\r\nTo: a@b.org (ok)\r\nCc: bad <x\r\n"
	    "Date: d\r\nMessage-ID: <i@x>\r\n\r\nhi\r\n"), 0);
	assert_sent("From: me@example.org\r\n"
	    "To: \"(Cron Daemon)\" <root@example.net>, "
	    "root@example.net (admin), =?UTF-8?Q?J=C3=B6?= "
	    "<jo@example.net>\r\n"
	    "Cc: staff: bob@example.net, \"a b\"@x.org;, "
	    "\"x y\"@example.net\r\n"
	    "Reply-To: ops@example.net\r\nX-Other: root\r\n"
	    "Resent-Cc: <kim@example.net>\r\n"
	    "To: a@b.org (ok)\r\nCc: bad <x\r\n"
	    "Date: d\r\nMessage-ID: <i@x>\r\n\r\nhi\r\n");
	envelope_free(&F.env);
	/* An address qualify_domain would make too long: as it was. */
	{
		char	 m[512];

		snprintf(m, sizeof(m), "To: %0315d, c\nDate: d\n"
		    "Message-ID: <i@x>\n\nhi\n", 0);
		assert_int_equal(build(m), 0);
		assert_memory_equal(F.env.hdr, m, strlen(m) - 4);
		envelope_free(&F.env);
	}
	/* Without qualify_domain: as they were. */
	F.acct.qualify_domain = NULL;
	assert_int_equal(build("To: root (admin)\nDate: d\nMessage-ID: <i@x>"
	    "\n\nhi\n"), 0);
	assert_sent("To: root (admin)\nDate: d\nMessage-ID: <i@x>\n"
	    "From: me@example.org\n\nhi\n");
	envelope_free(&F.env);
	/* off: From: as it is; To: still qualified. */
	F.acct.qualify_domain = "example.net";
	F.acct.set_from_header = FROM_HDR_OFF;
	assert_int_equal(build("From: root\nTo: root\nDate: d\n"
	    "Message-ID: <i@x>\n\nhi\n"), 0);
	assert_sent("From: root\nTo: root@example.net\nDate: d\n"
	    "Message-ID: <i@x>\n\nhi\n");
}

/* A qualified To: over 998 octets is folded again, between addresses. */
static void
test_qualify_header_folded(void **state)
{
	char	 m[4096], *p, *line;
	size_t	 i, n = 0;

	(void)state;
	F.acct.qualify_domain = "example.net";
	add_rcpt("a@b");
	n += (size_t)snprintf(m + n, sizeof(m) - n, "To: u0");
	for (i = 1; i < 200; i++)
		n += (size_t)snprintf(m + n, sizeof(m) - n, ",\n u%zu", i);
	snprintf(m + n, sizeof(m) - n, "\nDate: d\nMessage-ID: <i@x>\n\nhi\n");
	assert_int_equal(build(m), 0);
	p = strndup(F.env.hdr, F.env.hdrlen);
	assert_non_null(p);
	for (line = strtok(p, "\n"); line != NULL; line = strtok(NULL, "\n"))
		assert_true(strlen(line) <= 998);
	free(p);
	assert_non_null(memmem(F.env.hdr, F.env.hdrlen, "u0@example.net, "
	    "u1@example.net,", 31));
	assert_non_null(memmem(F.env.hdr, F.env.hdrlen, "u199@example.net\n",
	    17));
}

static void
test_qualify_too_long(void **state)
{
	char	 local[ADDR_MAX];

	(void)state;
	memset(local, 'a', sizeof(local) - 1);
	local[sizeof(local) - 1] = '\0';
	F.acct.qualify_domain = "example.net";
	add_rcpt(local);
	assert_int_equal(build("\nhi\n"), -1);
	assert_fail(EX_DATAERR, "is longer than 320 bytes");
}

/* Unqualified -f without qualify_domain: the account's from. */
static void
test_unqualified_f_takes_account_from(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.cli.from = "root";
	assert_int_equal(build("From: \"(Cron Daemon)\" <root>\n\nhi\n"), 0);
	assert_string_equal(F.env.from, "me@example.org");
	assert_sent("From: \"(Cron Daemon)\" <me@example.org>\nDate: %D\n"
	    "Message-ID: %M\n\nhi\n");
}

/* ... unless there is none, or it is a pattern: then as it is. */
static void
test_unqualified_f_kept(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.cli.from = "<root>";
	F.acct.from = "*@example.org";
	F.id_domain = "localhost";
	assert_int_equal(build("From: \"(Cron Daemon)\" <root>\n\nhi\n"), 0);
	assert_string_equal(F.env.from, "root");
	/* auto leaves the From: alone: the sender would not be better. */
	assert_sent("From: \"(Cron Daemon)\" <root>\nDate: %D\n"
	    "Message-ID: %M\n\nhi\n");
	envelope_free(&F.env);
	F.acct.from = NULL;
	assert_int_equal(build("\nhi\n"), 0);
	assert_string_equal(F.env.from, "root");
}

/* An unqualified from = in the account is qualified too. */
static void
test_unqualified_account_from(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.acct.from = "joe";
	F.acct.qualify_domain = "example.org";
	assert_int_equal(build("\nhi\n"), 0);
	assert_string_equal(F.env.from, "joe@example.org");
	envelope_free(&F.env);
	F.acct.qualify_domain = NULL;
	F.id_domain = "localhost";
	assert_int_equal(build("\nhi\n"), 0);
	assert_string_equal(F.env.from, "joe");
}

static void
test_pattern_from_needs_f(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.acct.from = "*@example.org";
	F.acct.file = "/etc/stamp.ini";
	F.acct.line = 3;
	assert_int_equal(build("\nhi\n"), -1);
	assert_fail(EX_CONFIG, "/etc/stamp.ini:3: account work: from "
	    "\"*@example.org\" is a pattern for choosing the account, not an "
	    "address; pass -f");
	F.cli.from = "bob@example.org";
	assert_int_equal(build("\nhi\n"), 0);
	assert_string_equal(F.env.from, "bob@example.org");
}

/* aliases: own entry, else default; targets qualified, not expanded. */
static void
test_aliases(void **state)
{
	(void)state;
	set_aliases("# system mail\nroot: admin@example.com, ops\n"
	    "ops: not-used@example.com\ndefault: catch@example.com\n");
	F.acct.qualify_domain = "example.net";
	F.cli.read_headers = 1;
	add_rcpt("ROOT");
	add_rcpt("a@b");
	assert_int_equal(build("To: mhmd, x@y\nCc: admin@example.com\n\nhi\n"),
	    0);
	assert_rcpts("admin@example.com", "ops@example.net", "a@b",
	    "catch@example.com", "x@y", NULL);
	envelope_free(&F.env);
	/* Without qualify_domain an unqualified target goes as it is. */
	F.acct.qualify_domain = NULL;
	assert_int_equal(build("To: root\n\nhi\n"), 0);
	assert_rcpts("admin@example.com", "ops", "a@b", NULL);
}

/* The file is read only for an unqualified recipient; errors say where. */
static void
test_aliases_errors(void **state)
{
	char	 want[128];

	(void)state;
	F.acct.aliases = "/nonexistent/aliases";
	add_rcpt("a@b");
	assert_int_equal(build("\nhi\n"), 0);
	envelope_free(&F.env);
	add_rcpt("root");
	assert_int_equal(build("\nhi\n"), -1);
	assert_fail(EX_CONFIG, "cannot open aliases /nonexistent/aliases");
	memset(&F.res, 0, sizeof(F.res));
	set_aliases("root: a@b\nbad line\n");
	assert_int_equal(build("\nhi\n"), -1);
	snprintf(want, sizeof(want), "%s:2: expected 'name: address, ...'",
	    F.aliases);
	assert_fail(EX_CONFIG, want);
}

/* set_from_header = auto: only an unqualified From: address changes. */
static void
test_from_auto_rewrites(void **state)
{
	static const struct {
		const char	*in, *out;
	} t[] = {
		{ "\"(Cron Daemon)\" <root>", "\"(Cron Daemon)\" <me@example.org>" },
		{ "mdadm monitoring <root>", "mdadm monitoring <me@example.org>" },
		{ "root (systemd-cron)", "systemd-cron <me@example.org>" },
		{ "root (Cron Daemon)", "Cron Daemon <me@example.org>" },
		{ "root", "root <me@example.org>" },
		{ "<root>", "root <me@example.org>" },
		{ "first.last", "\"first.last\" <me@example.org>" },
		{ "root (a, \\) b)", "\"a, ) b\" <me@example.org>" },
		{ "root (J\xc3\xb6rg)", "=?UTF-8?B?SsO2cmc=?= <me@example.org>" },
		{ "root (\x01)", "root <me@example.org>" },
		{ "Logwatch <logwatch> (nightly)", "Logwatch <me@example.org>" },
		{ "=?UTF-8?B?w6k=?= <root>", "=?UTF-8?B?w6k=?= <me@example.org>" },
	};
	char	 in[128], want[128];
	size_t	 i;

	(void)state;
	add_rcpt("a@b");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(in, sizeof(in), "Subject: s\nFrom: %s\nDate: d\n"
		    "Message-ID: <i@x>\n\nhi\n", t[i].in);
		snprintf(want, sizeof(want), "Subject: s\nFrom: %s\nDate: d\n"
		    "Message-ID: <i@x>\n\nhi\n", t[i].out);
		if (build(in) != 0)
			fail_msg("%s: %s", t[i].in, F.res.msg);
		assert_sent(want);
		envelope_free(&F.env);
	}
}

/* auto keeps every other From: byte for byte, folding included. */
static void
test_from_auto_keeps(void **state)
{
	static const char *const keep[] = {
		"From: Joe <joe@example.org>\n",
		"From: joe@other.example (Joe)\n",
		"From: a@x, root\n",		/* not one mailbox */
		"From: Joe Bloggs\n",		/* no address at all */
		"From: g: root;\n",		/* a group */
		"From: \"Long\n\tname\" <joe@example.org>\r\n",
	};
	char	 in[128], want[128];
	size_t	 i;

	(void)state;
	add_rcpt("a@b");
	F.cli.from = "root@x";
	F.id_domain = "x";
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		snprintf(in, sizeof(in), "%sDate: d\n\nhi\n", keep[i]);
		assert_int_equal(build(in), 0);
		snprintf(want, sizeof(want), "%sDate: d\nMessage-ID: %%M\n\nhi\n",
		    keep[i]);
		assert_sent(want);
		envelope_free(&F.env);
	}
}

/* set_from_header = on: the envelope sender, always. */
static void
test_from_on(void **state)
{
	static const struct {
		const char	*in, *out;
	} t[] = {
		{ "Joe <joe@other.example>", "Joe <me@example.org>" },
		{ "joe@other.example", "me@example.org" },
		{ "joe@other.example (Joe)", "Joe <me@example.org>" },
		{ "\"(Cron Daemon)\" <root>", "\"(Cron Daemon)\" <me@example.org>" },
		{ "a@x, b@y", "Cron <me@example.org>" },
		{ "Joe Bloggs", "Cron <me@example.org>" },
	};
	char	 in[128], want[128];
	size_t	 i;

	(void)state;
	add_rcpt("a@b");
	F.acct.set_from_header = FROM_HDR_ON;
	F.cli.fullname = "Cron";
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(in, sizeof(in), "From: %s\nDate: d\nMessage-ID: <i@x>"
		    "\n\nhi\n", t[i].in);
		snprintf(want, sizeof(want), "From: %s\nDate: d\n"
		    "Message-ID: <i@x>\n\nhi\n", t[i].out);
		if (build(in) != 0)
			fail_msg("%s: %s", t[i].in, F.res.msg);
		assert_sent(want);
		envelope_free(&F.env);
	}
	/* The same address (any case) keeps the field as it is. */
	assert_int_equal(build("FROM: Me\n <ME@example.org>\n\nhi\n"), 0);
	assert_sent("FROM: Me\n <ME@example.org>\nDate: %D\nMessage-ID: %M\n"
	    "\nhi\n");
	envelope_free(&F.env);
	/* Missing: added, as with auto. */
	assert_int_equal(build("Subject: s\n\nhi\n"), 0);
	assert_sent("Subject: s\nFrom: Cron <me@example.org>\nDate: %D\n"
	    "Message-ID: %M\n\nhi\n");
}

/* set_from_header = off: From: is neither added nor changed. */
static void
test_from_off(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.acct.set_from_header = FROM_HDR_OFF;
	assert_int_equal(build("Subject: s\n\nhi\n"), 0);
	assert_sent("Subject: s\nDate: %D\nMessage-ID: %M\n\nhi\n");
	envelope_free(&F.env);
	assert_int_equal(build("From: root\n\nhi\n"), 0);
	assert_sent("From: root\nDate: %D\nMessage-ID: %M\n\nhi\n");
}

/* RFC 6531: UTF-8 addresses pass; broken UTF-8 does not. */
static void
test_utf8_addresses(void **state)
{
	(void)state;
	F.cli.from = "j\xc3\xb6rg@b\xc3\xbc.example";
	add_rcpt("\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.example");
	assert_int_equal(build("From: x@y\nDate: d\nMessage-ID: <i@x>\n\nhi\n"),
	    0);
	assert_string_equal(F.env.from, "j\xc3\xb6rg@b\xc3\xbc.example");
	assert_rcpts("\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90"
	    ".example", NULL);
	envelope_free(&F.env);
	F.cli.from = "j\xf6rg@example.org";		/* Latin-1 */
	assert_int_equal(build("\nhi\n"), -1);
	assert_fail(EX_USAGE, "bad sender address -f");
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

#define FULL	"From: x@y\nDate: d\nMessage-ID: <1@x>\n"

/* long_lines = encode, a plain text body with a line over 998 octets. */
static void
test_long_body_encoded(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build_long(FULL "Subject: s\n\n", 999, 'x'), 0);
	assert_true(F.env.body_qp);
	assert_hdr(FULL "Subject: s\nMIME-Version: 1.0\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n");
	envelope_free(&F.env);
	/* 998 is within the limit: nothing changes. */
	assert_int_equal(build_long(FULL "\n", 998, 'x'), 0);
	assert_false(F.env.body_qp);
	assert_hdr(FULL "\n");
}

/* The identity encodings are replaced in place; the rest is kept. */
static void
test_long_body_fields_replaced(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build_long(FULL "MIME-Version: 1.0\n"
	    "Content-Transfer-Encoding: 8bit\nContent-Type: text/plain; "
	    "charset=iso-8859-1\n\n", 1500, '\xe9'), 0);
	assert_true(F.env.body_qp);
	assert_hdr(FULL "MIME-Version: 1.0\n"
	    "Content-Transfer-Encoding: quoted-printable\nContent-Type: "
	    "text/plain; charset=iso-8859-1\n\n");
	envelope_free(&F.env);
	assert_int_equal(build_long(FULL "Content-Transfer-Encoding:\n"
	    "  (comment) BINARY\r\nContent-Type: (x) Text/Plain\n\n", 1500,
	    'x'), 0);
	assert_true(F.env.body_qp);
	assert_hdr(FULL "Content-Transfer-Encoding: quoted-printable\n"
	    "Content-Type: (x) Text/Plain\nMIME-Version: 1.0\n\n");
}

/* An 8-bit body without Content-Type is labelled UTF-8; 8-bit in the
 * header only is not the body's. */
static void
test_long_body_8bit_charset(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build_long(FULL "\n", 1200, '\xc3'), 0);
	assert_true(F.env.body_qp);
	assert_hdr(FULL "MIME-Version: 1.0\nContent-Type: text/plain; "
	    "charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n");
	envelope_free(&F.env);
	assert_int_equal(build_long(FULL "Subject: caf\xc3\xa9\n\n", 1200,
	    'x'), 0);
	assert_true(F.env.body_qp);
	assert_hdr(FULL "Subject: caf\xc3\xa9\nMIME-Version: 1.0\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n");
}

/* Multipart, message/, already encoded, ambiguous: as it is. */
static void
test_long_body_not_encodable(void **state)
{
	static const char *const heads[] = {
		FULL "Content-Type: multipart/mixed; boundary=b\n\n",
		FULL "Content-Type:\n (c) MultiPart/alternative\n\n",
		FULL "Content-Type: message/rfc822\n\n",
		FULL "Content-Transfer-Encoding: base64\n\n",
		FULL "Content-Transfer-Encoding: quoted-printable\n\n",
		FULL "Content-Transfer-Encoding: x-uuencode\n\n",
		FULL "Content-Transfer-Encoding: 8bit\n"
		    "Content-Transfer-Encoding: 7bit\n\n",
		FULL "Content-Type: text/plain\nContent-Type: text/html\n\n",
	};
	size_t	 i;

	(void)state;
	add_rcpt("a@b");
	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		assert_int_equal(build_long(heads[i], 2000, 'x'), 0);
		assert_false(F.env.body_qp);
		assert_hdr(heads[i]);
		envelope_free(&F.env);
	}
}

static void
test_long_body_pass(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.acct.long_lines = LONG_PASS;
	assert_int_equal(build_long(FULL "\n", 5000, 'x'), 0);
	assert_false(F.env.body_qp);
	assert_hdr(FULL "\n");
}

static void
test_long_body_refused(void **state)
{
	(void)state;
	add_rcpt("a@b");
	F.acct.long_lines = LONG_REFUSE;
	assert_int_equal(build_long(FULL "Subject: s\n\n", 999, 'x'), -1);
	assert_fail(EX_DATAERR, "line 7 of the message has 999 octets, over "
	    "the limit of 998 (long_lines = refuse)");
	memset(&F.res, 0, sizeof(F.res));
	assert_int_equal(build_long(FULL "\n", 998, 'x'), 0);
	assert_false(F.env.body_qp);
}

/* A header line over 998 octets: folded at white space (encode). */
static void
test_long_header_folded(void **state)
{
	char	 m[4000], want[4000];
	size_t	 i, n;

	(void)state;
	add_rcpt("a@b");
	n = (size_t)snprintf(m, sizeof(m), FULL "To: ");
	for (i = 0; i < 150; i++)
		n += (size_t)snprintf(m + n, sizeof(m) - n, "u%03zu@x.org, ",
		    i);
	memcpy(m + n - 2, "\n\nbody\n", 8);	/* 1961 octets of To: */
	assert_int_equal(build_spooled(m, strlen(m)), 0);
	assert_false(F.env.body_qp);
	/* Cut before the last space within 998 octets: after u081's comma. */
	memcpy(want, m, strlen(m) + 1);
	n = strlen(FULL) + 4 + 82 * 12 - 1;
	assert_int_equal(want[n - 1], ',');
	memmove(want + n + 1, want + n, strlen(want + n) + 1);
	want[n] = '\n';
	assert_hdr_n(want, strlen(want) - 5);
	assert_rcpts("a@b", NULL);
}

/* Unfolding gives the field back; no white space, no fold. */
static void
test_long_header_unfolds_back(void **state)
{
	struct hdrs	 h;
	struct result	 res;
	char		 m[10000], *v1, *v2;
	size_t		 n, i;

	(void)state;
	add_rcpt("a@b");
	n = (size_t)snprintf(m, sizeof(m), "Subject:");
	for (i = 0; n < 7000; i++)
		n += (size_t)snprintf(m + n, sizeof(m) - n, "%s%s",
		    i % 7 == 0 ? "  \t" : " ", i % 3 ? "word" : "w\xc3\xa9");
	memcpy(m + n, "  \nX-Token: ", 12);
	n += 12;
	memset(m + n, 'z', 1500);
	memcpy(m + n + 1500, "\n\n", 3);
	assert_int_equal(build_spooled(m, strlen(m)), 0);
	memset(&res, 0, sizeof(res));
	assert_int_equal(hdr_parse(&h, F.env.hdr, F.env.hdrlen, 1, &res), 0);
	assert_true(hdr_is(&h, &h.f[0], "Subject"));
	/* Folded lines: at most 998 octets, text before each cut, white
	 * space after it. */
	for (i = 0; i + 1 < h.f[0].len; i += n + 1) {
		n = strcspn(h.buf + h.f[0].off + i, "\n");
		assert_true(n <= 998);
		if (i + n + 1 == h.f[0].len)
			break;
		assert_false(h.buf[h.f[0].off + i + n - 1] == ' ' ||
		    h.buf[h.f[0].off + i + n - 1] == '\t');
		assert_true(h.buf[h.f[0].off + i + n + 1] == ' ' ||
		    h.buf[h.f[0].off + i + n + 1] == '\t');
	}
	v1 = hdr_value(&h, &h.f[0], &res);
	assert_non_null(v1);
	assert_true(h.f[0].len > strcspn(m, "\n") + 1);   /* it was folded */
	m[strcspn(m, "\n")] = '\0';
	v2 = m + strlen("Subject:");
	v2 += strspn(v2, " \t");
	assert_memory_equal(v1, v2, strlen(v2) - 2);	/* less the end WSP */
	assert_int_equal(strlen(v1), strlen(v2) - 2);
	free(v1);
	assert_int_equal(h.f[1].len, strlen("X-Token: ") + 1501);
	hdr_free(&h);
}

static void
test_long_header_pass_and_refuse(void **state)
{
	char	 m[3000];
	size_t	 n;

	(void)state;
	add_rcpt("a@b");
	n = (size_t)snprintf(m, sizeof(m), FULL "Subject: ");
	memset(m + n, 'x', 500);
	m[n + 500] = ' ';
	memset(m + n + 501, 'y', 500);
	memcpy(m + n + 1001, "\n\nbody\n", 8);
	F.acct.long_lines = LONG_PASS;
	assert_int_equal(build_spooled(m, strlen(m)), 0);
	assert_hdr_n(m, strlen(m) - 5);
	envelope_free(&F.env);
	F.acct.long_lines = LONG_REFUSE;
	assert_int_equal(build_spooled(m, strlen(m)), -1);
	assert_fail(EX_DATAERR, "header field Subject: a line of 1010 octets, "
	    "over the limit of 998 (long_lines = refuse)");
}

/* Bare CR line ends are line ends in the header too: the Bcc goes. */
static void
test_bare_cr_header(void **state)
{
	(void)state;
	F.cli.read_headers = 1;
	assert_int_equal(build("From: x@y\rTo: a@b\rBcc: c@d\r\rbody\r"), 0);
	assert_rcpts("a@b", "c@d", NULL);
	assert_sent("From: x@y\rTo: a@b\rDate: %D\rMessage-ID: %M\r\rbody\r");
	envelope_free(&F.env);
	F.cli.read_headers = 0;
	add_rcpt("a@b");
	assert_int_equal(build("Subject: x\rBcc: hidden@y\n\nbody\n"), 0);
	assert_sent("Subject: x\rFrom: me@example.org\rDate: %D\r"
	    "Message-ID: %M\r\r\nbody\n");
	envelope_free(&F.env);
	/* A bare CR, then an LF that was after a dropped Bcc or is added:
	 * still two line ends, not one CRLF (fuzzing found this). */
	assert_int_equal(build(FULL "X: y\rBcc: z@z\n\nbody\n"), 0);
	assert_sent(FULL "X: y\r\r\nbody\n");
	envelope_free(&F.env);
	assert_int_equal(build(FULL "X: y\rbody line\n"), 0);
	assert_sent(FULL "X: y\r\r\nbody line\n");
}

/* No blank line before the body: one is added, even with nothing else. */
static void
test_separator_added(void **state)
{
	(void)state;
	add_rcpt("a@b");
	assert_int_equal(build(FULL "body line\n"), 0);
	assert_sent(FULL "\nbody line\n");
	envelope_free(&F.env);
	assert_int_equal(build(FULL "X: y\r\nno colon\r\n"), 0);
	assert_sent(FULL "X: y\r\n\nno colon\r\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_passthrough),
		T(test_date_msgid_added),
		T(test_msgid_unique),
		T(test_msgid_domain),
		T(test_sender_from_account),
		T(test_no_sender),
		T(test_bad_sender),
		T(test_sender_in_angles),
		T(test_null_sender),
		T(test_qualify_header_fields),
		T(test_qualify_header_folded),
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
		T(test_mbox_line_dropped),
		T(test_mbox_line_then_body),
		T(test_resent_block),
		T(test_resent_fields_added),
		T(test_resent_block_without_recipients),
		T(test_resent_without_t),
		T(test_bad_resent_recipient),
		T(test_qualify_domain),
		T(test_qualify_too_long),
		T(test_unqualified_f_takes_account_from),
		T(test_unqualified_f_kept),
		T(test_unqualified_account_from),
		T(test_pattern_from_needs_f),
		T(test_aliases),
		T(test_aliases_errors),
		T(test_from_auto_rewrites),
		T(test_from_auto_keeps),
		T(test_from_on),
		T(test_from_off),
		T(test_utf8_addresses),
		T(test_long_body_encoded),
		T(test_long_body_fields_replaced),
		T(test_long_body_8bit_charset),
		T(test_long_body_not_encodable),
		T(test_long_body_pass),
		T(test_long_body_refused),
		T(test_long_header_folded),
		T(test_long_header_unfolds_back),
		T(test_long_header_pass_and_refuse),
		T(test_bare_cr_header),
		T(test_separator_added),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
