/*
 * test_bs.c - the -bs SMTP server against scripted input (all of it
 * written at once, as a PIPELINING client may) and a fake deliver.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "bs.h"
#include "msg.h"
#include "result.h"
#include "util.h"

#define MAXMSG	8

/* What the fake upstream got, and what it answers (exit status). */
static struct {
	int	 n;
	char	 from[MAXMSG][64];
	char	 rcpts[MAXMSG][256];	/* joined with ',' */
	char	 body_type[MAXMSG][16];
	char	*data[MAXMSG];
	size_t	 len[MAXMSG];
	int	 spilled[MAXMSG];	/* the spool went to a file */
	int	 ex[MAXMSG];		/* scripted exit status */
	int	 queued[MAXMSG];	/* 0, but queued (main.c's words) */
	const char *text;		/* scripted error text */
} up;

static char	*out;			/* the replies of the last session */
static int	 rc;			/* bs_run's return */
static struct result res;

static void
reset(void)
{
	int	 i;

	for (i = 0; i < MAXMSG; i++)
		free(up.data[i]);
	memset(&up, 0, sizeof(up));
	free(out);
	out = NULL;
}

static int
fake_deliver(void *arg, const struct bs_txn *t, struct result *r)
{
	int	 k = up.n++;
	size_t	 i;

	(void)arg;
	assert_true(k < MAXMSG);
	str_copy(up.from[k], sizeof(up.from[k]), t->from);
	for (i = 0; i < t->nrcpts; i++) {
		if (i > 0)
			str_append(up.rcpts[k], sizeof(up.rcpts[k]), ",");
		str_append(up.rcpts[k], sizeof(up.rcpts[k]), t->rcpts[i]);
	}
	str_copy(up.body_type[k], sizeof(up.body_type[k]),
	    t->body_type ? t->body_type : "");
	up.len[k] = (size_t)t->msg->size;
	up.spilled[k] = t->msg->fd != -1;
	up.data[k] = malloc(up.len[k] + 1);
	assert_non_null(up.data[k]);
	assert_int_equal(msg_read_at(t->msg, 0, up.data[k], up.len[k], r),
	    (ssize_t)up.len[k]);
	up.data[k][up.len[k]] = '\0';
	if (up.ex[k] == 0 && up.queued[k]) {
		str_copy(r->smtpmsg, sizeof(r->smtpmsg), "queued as "
		    "Q1, to be retried: connect: refused");
		return 0;
	}
	if (up.ex[k] == 0) {
		result_note_reply(r, 250, "250 2.0.0 queued as X1");
		return 0;
	}
	return result_fail(r, up.ex[k], "%s", up.text ? up.text : "upstream");
}

static int
memfd(const void *p, size_t n)
{
	int	 fd = memfd_create("bs", 0);

	assert_true(fd != -1);
	assert_int_equal(write_all(fd, p, n), (ssize_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static char *
slurp(int fd)
{
	off_t	 n = lseek(fd, 0, SEEK_END);
	char	*s = malloc((size_t)n + 1);

	assert_non_null(s);
	assert_int_equal(pread(fd, s, (size_t)n, 0), (ssize_t)n);
	s[n] = '\0';
	return s;
}

/* Run a session over input (n bytes); out gets the replies. */
static void
session_n(const char *input, size_t n)
{
	struct bs_opts	 o = {
		.hostname = "mx.test", .deliver = fake_deliver,
	};

	free(out);
	memset(&res, 0, sizeof(res));
	o.in = memfd(input, n);
	o.out = memfd("", 0);
	rc = bs_run(&o, &res);
	out = slurp(o.out);
	close(o.in);
	close(o.out);
}

static void
session(const char *input)
{
	session_n(input, strlen(input));
}

#define GREET	"220 mx.test ESMTP stamp\r\n"
#define BYE	"221 2.0.0 mx.test closing\r\n"
#define EHLO_R	"250-mx.test\r\n250-8BITMIME\r\n250-PIPELINING\r\n" \
		"250-ENHANCEDSTATUSCODES\r\n250 HELP\r\n"

/* The null sender (bounces): deliver gets from "", RCPT <> still 501. */
static void
test_null_sender(void **state)
{
	(void)state;
	reset();
	session("MAIL FROM:<> BODY=7BIT\r\nRCPT TO:<>\r\nRCPT TO:<b@y.org>\r\n"
	    "DATA\r\nSubject: bounce\r\n\r\nbody\r\n.\r\n"
	    "MAIL FROM: <>\r\nRSET\r\nQUIT\r\n");
	assert_int_equal(rc, 0);
	assert_string_equal(out, GREET "250 2.1.0 Ok\r\n"
	    "501 5.1.3 bad recipient address\r\n250 2.1.5 Ok\r\n"
	    "354 End data with <CR><LF>.<CR><LF>\r\n"
	    "250 2.0.0 Ok: sent (upstream: 250 2.0.0 queued as X1)\r\n"
	    "250 2.1.0 Ok\r\n250 2.0.0 Ok\r\n" BYE);
	assert_int_equal(up.n, 1);
	assert_string_equal(up.from[0], "");
	assert_string_equal(up.rcpts[0], "b@y.org");
	assert_string_equal(up.body_type[0], "7BIT");
}

/* The queue kept it: the 250 says queued, never sent. */
static void
test_queued_is_not_sent(void **state)
{
	(void)state;
	reset();
	up.queued[0] = 1;
	session("MAIL FROM:<a@x.org>\r\nRCPT TO:<b@y.org>\r\nDATA\r\n"
	    "Subject: one\r\n\r\nbody\r\n.\r\nQUIT\r\n");
	assert_int_equal(rc, 0);
	assert_string_equal(out, GREET "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
	    "354 End data with <CR><LF>.<CR><LF>\r\n"
	    "250 2.0.0 Ok: queued as Q1, to be retried: connect: refused\r\n"
	    BYE);
	assert_null(strstr(out, "sent"));
	assert_int_equal(up.n, 1);
}

static void
test_ehlo_quit(void **state)
{
	(void)state;
	reset();
	session("EHLO client.example\r\nNOOP\r\nHELO c\r\nQUIT\r\n");
	assert_int_equal(rc, 0);
	assert_string_equal(out, GREET EHLO_R "250 2.0.0 Ok\r\n"
	    "250 mx.test\r\n" BYE);
	assert_int_equal(up.n, 0);
}

static void
test_two_messages_and_rset(void **state)
{
	(void)state;
	reset();
	session("EHLO c\r\n"
	    "MAIL FROM:<a@x.org> BODY=8BITMIME SIZE=30\r\n"
	    "RCPT TO:<b@y.org>\r\nRCPT TO:<c@z.org>\r\nDATA\r\n"
	    "Subject: one\r\n\r\nbody 1\r\n.\r\n"
	    "MAIL FROM:<skip@x.org>\r\nRCPT TO:<skip@y.org>\r\nRSET\r\n"
	    "mail from:<d@x.org>\r\nrcpt to:<e@y.org>\r\ndata\r\n"
	    "Subject: two\n\nbody 2\n.\n"
	    "QUIT\r\n");
	assert_int_equal(rc, 0);
	assert_string_equal(out, GREET EHLO_R
	    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
	    "354 End data with <CR><LF>.<CR><LF>\r\n"
	    "250 2.0.0 Ok: sent (upstream: 250 2.0.0 queued as X1)\r\n"
	    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok\r\n"
	    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
	    "354 End data with <CR><LF>.<CR><LF>\r\n"
	    "250 2.0.0 Ok: sent (upstream: 250 2.0.0 queued as X1)\r\n" BYE);
	assert_int_equal(up.n, 2);
	assert_string_equal(up.from[0], "a@x.org");
	assert_string_equal(up.rcpts[0], "b@y.org,c@z.org");
	assert_string_equal(up.body_type[0], "8BITMIME");
	assert_string_equal(up.data[0], "Subject: one\r\n\r\nbody 1\r\n");
	/* Nothing of the first transaction, nor of the reset one, leaks. */
	assert_string_equal(up.from[1], "d@x.org");
	assert_string_equal(up.rcpts[1], "e@y.org");
	assert_string_equal(up.body_type[1], "");
	assert_string_equal(up.data[1], "Subject: two\n\nbody 2\n");
}

static void
test_dot_unstuffing(void **state)
{
	(void)state;
	reset();
	session("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"
	    "..\r\n..x\r\n...\r\n.y\r\n. \r\nx.\r\n\r\n..\n.\r\n");
	assert_int_equal(rc, 0);
	assert_int_equal(up.n, 1);
	assert_string_equal(up.data[0],
	    ".\r\n.x\r\n..\r\ny\r\n \r\nx.\r\n\r\n.\n");
	/* EOF after the dot, without QUIT: the session simply ends. */
	assert_non_null(strstr(out, "250 2.0.0 Ok: sent"));
}

static void
test_empty_message(void **state)
{
	(void)state;
	reset();
	session("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n.\r\nQUIT\r\n");
	assert_int_equal(up.n, 1);
	assert_int_equal(up.len[0], 0);
}

static void
test_sequence(void **state)
{
	(void)state;
	reset();
	session("RCPT TO:<b@y>\r\nDATA\r\nMAIL FROM:<a@x>\r\n"
	    "MAIL FROM:<a@x>\r\nDATA\r\nRCPT TO:<b@y>\r\nDATA x\r\n"
	    "EHLO c\r\nDATA\r\nQUIT\r\n");
	assert_string_equal(out, GREET
	    "503 5.5.1 need MAIL before RCPT\r\n"
	    "503 5.5.1 need MAIL before DATA\r\n"
	    "250 2.1.0 Ok\r\n"
	    "503 5.5.1 nested MAIL command\r\n"
	    "503 5.5.1 need RCPT before DATA\r\n"
	    "250 2.1.5 Ok\r\n"
	    "501 5.5.4 syntax: DATA\r\n"
	    EHLO_R			/* EHLO resets the transaction */
	    "503 5.5.1 need MAIL before DATA\r\n" BYE);
	assert_int_equal(up.n, 0);
}

static void
test_syntax(void **state)
{
	(void)state;
	reset();
	session("EHLO\r\nHELO\r\nMAIL\r\nMAIL TO:<a@x>\r\nMAIL FROM:<a@x\r\n"
	    "MAIL FROM:<a@x>junk\r\nMAIL FROM:<a b@x>\r\n"
	    "MAIL FROM:<a@x> BODY=BINARYMIME\r\nMAIL FROM:<a@x> SIZE=1k\r\n"
	    "MAIL FROM:<a@x> SMTPUTF8\r\n"
	    "MAIL FROM: a@x size=5 body=7bit\r\n"
	    "RCPT TO:<b@y> NOTIFY=NEVER\r\nRCPT TO:<b@y,c@z>\r\n"
	    "RCPT TO:<>\r\nRCPT TO:<@r.example:b@y>\r\nRSET x\r\n"
	    "VRFY\r\nVRFY root\r\nHELP\r\nEXPN list\r\nAUTH PLAIN\r\n"
	    "FROB\r\n\r\nQUIT\r\n");
	assert_string_equal(out, GREET
	    "501 5.5.4 syntax: EHLO domain\r\n"
	    "501 5.5.4 syntax: HELO domain\r\n"
	    "501 5.5.4 syntax: MAIL FROM:<address>\r\n"
	    "501 5.5.4 syntax: MAIL FROM:<address>\r\n"
	    "501 5.5.4 syntax: MAIL FROM:<address>\r\n"
	    "501 5.5.4 syntax: MAIL FROM:<address>\r\n"
	    "501 5.1.7 bad sender address\r\n"
	    "501 5.5.4 BODY must be 7BIT or 8BITMIME\r\n"
	    "501 5.5.4 SIZE must be a number\r\n"
	    "555 5.5.4 unsupported MAIL parameter\r\n"
	    "250 2.1.0 Ok\r\n"
	    "555 5.5.4 unsupported RCPT parameter\r\n"
	    "501 5.1.3 bad recipient address\r\n"
	    "501 5.1.3 bad recipient address\r\n"
	    "250 2.1.5 Ok\r\n"
	    "501 5.5.4 syntax: RSET\r\n"
	    "501 5.5.4 syntax: VRFY address\r\n"
	    "252 2.5.2 Cannot VRFY user; try RCPT to attempt delivery\r\n"
	    "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT "
	    "VRFY HELP; see stamp(1)\r\n"
	    "502 5.5.1 command not implemented\r\n"
	    "502 5.5.1 command not implemented\r\n"
	    "500 5.5.1 unknown command\r\n"
	    "500 5.5.1 unknown command\r\n" BYE);
}

static void
test_addresses_normalised(void **state)
{
	(void)state;
	reset();
	session("MAIL FROM: <a@x.org> BODY=7bit\r\n"
	    "RCPT TO:<@relay.example:b@y.org>\r\nRCPT TO:root\r\n"
	    "RCPT TO:<\"x,y\"@z.org>\r\nDATA\r\nhi\r\n.\r\n");
	assert_int_equal(up.n, 1);
	assert_string_equal(up.from[0], "a@x.org");
	assert_string_equal(up.body_type[0], "7BIT");
	assert_string_equal(up.rcpts[0], "b@y.org,root,\"x,y\"@z.org");
}

static void
test_nul_and_cr_in_command(void **state)
{
	static const char in[] = "NOOP\0x\r\nNO\rOP\r\nQUIT\r\n";

	(void)state;
	reset();
	session_n(in, sizeof(in) - 1);
	assert_string_equal(out, GREET
	    "500 5.5.2 NUL or CR in a command line\r\n"
	    "500 5.5.2 NUL or CR in a command line\r\n" BYE);
}

static void
test_failure_replies(void **state)
{
	(void)state;
	reset();
	up.ex[0] = EX_TEMPFAIL;
	up.ex[1] = EX_NOUSER;
	up.text = "RCPT TO:<b@y>: 550 5.1.1 no such user";
	session("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nm1\r\n.\r\n"
	    "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nm2\r\n.\r\n"
	    "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nm3\r\n.\r\n"
	    "QUIT\r\n");
	assert_int_equal(rc, 0);
	assert_int_equal(up.n, 3);
	assert_non_null(strstr(out, "\r\n451 4.3.0 RCPT TO:<b@y>: 550 5.1.1 "
	    "no such user\r\n"));
	assert_non_null(strstr(out, "\r\n550 5.1.1 RCPT TO:<b@y>: 550 5.1.1 "
	    "no such user\r\n"));
	assert_non_null(strstr(out, "\r\n250 2.0.0 Ok: sent"));
	assert_string_equal(up.data[2], "m3\r\n");
}

static void
test_long_error_text_cut(void **state)
{
	char	 text[RESULT_MSG_MAX];
	char	*line, *end;

	(void)state;
	reset();
	memset(text, 'e', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	up.ex[0] = EX_UNAVAILABLE;
	up.text = text;
	session("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n.\r\nQUIT\r\n");
	line = strstr(out, "554 5.0.0 eee");
	assert_non_null(line);
	end = strstr(line, "\r\n");
	assert_true(end - line + 2 <= BS_REPLY_MAX);
	assert_memory_equal(end - 3, "...", 3);
}

static void
test_reply_table(void **state)
{
	static const struct {
		int		 ex, code;
		const char	*enh;
	} t[] = {
		{ EX_TEMPFAIL, 451, "4.3.0" }, { EX_OSERR, 451, "4.3.0" },
		{ EX_IOERR, 451, "4.3.0" }, { EX_CANTCREAT, 451, "4.3.0" },
		{ EX_SOFTWARE, 451, "4.3.0" }, { EX_CONFIG, 451, "4.3.5" },
		{ EX_NOUSER, 550, "5.1.1" }, { EX_DATAERR, 554, "5.6.0" },
		{ EX_USAGE, 554, "5.5.4" }, { EX_NOPERM, 554, "5.7.0" },
		{ EX_NOHOST, 554, "5.4.4" }, { EX_PROTOCOL, 554, "5.5.0" },
		{ EX_UNAVAILABLE, 554, "5.0.0" }, { 12345, 451, "4.3.0" },
	};
	const char	*enh;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(bs_reply_code(t[i].ex, &enh), t[i].code);
		assert_string_equal(enh, t[i].enh);
	}
}

/* A filler line of n bytes with its CRLF. */
static size_t
put_line(char *p, size_t n, char c)
{
	memset(p, c, n - 2);
	memcpy(p + n - 2, "\r\n", 2);
	return n;
}

static void
test_long_command_line(void **state)
{
	char	 in[3 * BS_CMD_MAX];
	size_t	 n = 0;

	(void)state;
	reset();
	n += put_line(in + n, BS_CMD_MAX + 1, 'N');
	n += put_line(in + n, BS_CMD_MAX, ' ');		/* just fits */
	memcpy(in + n, "QUIT\r\n", 6);
	session_n(in, n + 6);
	assert_string_equal(out, GREET
	    "500 5.5.2 line too long (over 1024 octets)\r\n"
	    "500 5.5.1 unknown command\r\n" BYE);
}

static void
test_long_data_line(void **state)
{
	static const char head[] = "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n"
	    "DATA\r\n";
	static const char tail[] = "more\r\n.\r\nNOOP\r\nQUIT\r\n";
	size_t	 n, cap = 4 * BS_TEXT_MAX;
	char	*in = malloc(cap);

	(void)state;
	assert_non_null(in);
	reset();
	/* First a line that just fits: delivered. */
	n = strlen(head);
	memcpy(in, head, n);
	n += put_line(in + n, BS_TEXT_MAX, 'x');
	memcpy(in + n, tail, strlen(tail));
	session_n(in, n + strlen(tail));
	assert_int_equal(up.n, 1);
	assert_int_equal(up.len[0], BS_TEXT_MAX + 6);
	/* Then one byte more, and far more: refused after the dot. */
	for (cap = BS_TEXT_MAX + 1; cap <= 3 * BS_TEXT_MAX; cap += BS_TEXT_MAX) {
		reset();
		n = strlen(head);
		memcpy(in, head, n);
		n += put_line(in + n, cap, 'x');
		memcpy(in + n, tail, strlen(tail));
		session_n(in, n + strlen(tail));
		assert_int_equal(up.n, 0);
		assert_non_null(strstr(out, "354 End data with <CR><LF>.<CR>"
		    "<LF>\r\n500 5.5.2 line too long (over 65536 octets): "
		    "message not sent\r\n250 2.0.0 Ok\r\n" BYE));
	}
	free(in);
}

static void
test_large_message_spills(void **state)
{
	static const char head[] = "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n"
	    "DATA\r\n";
	size_t	 body = MSG_MEM_MAX + 100000, n, i;
	char	*in = malloc(2 * body), *want = malloc(body + 1);

	(void)state;
	assert_non_null(in);
	assert_non_null(want);
	reset();
	n = strlen(head);
	memcpy(in, head, n);
	/* 76-byte lines, some starting with a dot, one 8-bit byte. */
	for (i = 0; i + 78 <= body; i += 78)
		put_line(want + i, 78, (i / 78) % 7 == 0 ? '.' : 'a' + i % 26);
	body = i;
	want[100] = (char)0xe9;
	for (i = 0; i < body; i += 78) {
		if (want[i] == '.')
			in[n++] = '.';
		memcpy(in + n, want + i, 78);
		n += 78;
	}
	memcpy(in + n, ".\r\nQUIT\r\n", 9);
	session_n(in, n + 9);
	assert_int_equal(up.n, 1);
	assert_true(up.spilled[0]);
	assert_int_equal(up.len[0], body);
	assert_memory_equal(up.data[0], want, body);
	free(in);
	free(want);
}

/* The chunked spool itself: any chunking gives the same bytes. */
static void
test_msg_chunks(void **state)
{
	static const size_t chunks[] = { 1, 77, 4096, MSG_MEM_MAX - 1,
	    MSG_MEM_MAX, MSG_MEM_MAX + 1 };
	size_t		 total = 3 * MSG_MEM_MAX + 12345, i, k, n;
	char		*want = malloc(total), *got = malloc(total);
	struct msg	 m;
	struct result	 r;

	(void)state;
	assert_non_null(want);
	assert_non_null(got);
	for (i = 0; i < total; i++)
		want[i] = (char)('a' + i % 23);
	for (k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		memset(&r, 0, sizeof(r));
		assert_int_equal(msg_begin(&m, &r), 0);
		for (i = 0; i < total; i += n) {
			n = total - i < chunks[k] ? total - i : chunks[k];
			assert_int_equal(msg_append(&m, want + i, n, &r), 0);
		}
		assert_int_equal(msg_end(&m, &r), 0);
		assert_int_equal(m.size, (off_t)total);
		assert_false(m.eightbit);
		assert_true(m.fd != -1);
		assert_int_equal(msg_read_at(&m, 0, got, total, &r),
		    (ssize_t)total);
		assert_memory_equal(got, want, total);
		msg_free(&m);
	}
	/* Small stays in memory; 8-bit is noticed in any chunk. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(msg_begin(&m, &r), 0);
	assert_int_equal(msg_append(&m, "abc", 3, &r), 0);
	assert_int_equal(msg_append(&m, "\xe9", 1, &r), 0);
	assert_int_equal(msg_end(&m, &r), 0);
	assert_int_equal(m.fd, -1);
	assert_true(m.eightbit);
	assert_int_equal(m.size, 4);
	msg_free(&m);
	free(want);
	free(got);
}

static void
test_eof_inside_data(void **state)
{
	(void)state;
	reset();
	session("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\npartial\r\n.x");
	assert_int_equal(rc, 0);
	assert_int_equal(up.n, 0);
	reset();
	session("EHLO c\r\nNOOP");		/* last line without CRLF */
	assert_int_equal(rc, 0);
	assert_string_equal(out, GREET EHLO_R "250 2.0.0 Ok\r\n");
}

static void
test_too_many_recipients(void **state)
{
	size_t	 i, n = 0, cap = (BS_RCPT_MAX + 2) * 32 + 128;
	char	*in = malloc(cap);

	(void)state;
	assert_non_null(in);
	reset();
	n += (size_t)snprintf(in, cap, "MAIL FROM:<a@x>\r\n");
	for (i = 0; i <= BS_RCPT_MAX; i++)
		n += (size_t)snprintf(in + n, cap - n, "RCPT TO:<r%zu@y>\r\n",
		    i);
	n += (size_t)snprintf(in + n, cap - n, "QUIT\r\n");
	session_n(in, n);
	assert_non_null(strstr(out, "250 2.1.5 Ok\r\n452 4.5.3 too many "
	    "recipients\r\n" BYE));
	free(in);
}

static void
test_write_error(void **state)
{
	struct bs_opts	 o = {
		.hostname = "mx.test", .deliver = fake_deliver,
	};

	(void)state;
	reset();
	memset(&res, 0, sizeof(res));
	o.in = memfd("NOOP\r\nQUIT\r\n", 12);
	o.out = open("/dev/null", O_RDONLY);
	assert_int_equal(bs_run(&o, &res), -1);
	assert_int_equal(res.exitcode, EX_IOERR);
	close(o.in);
	close(o.out);
}

/* A client that opens the session and then says nothing: 421, EX_TEMPFAIL. */
static void
test_idle_timeout(void **state)
{
	struct bs_opts	 o = {
		.hostname = "mx.test", .deliver = fake_deliver, .idle_s = 1,
	};
	int		 p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "NOOP\r\n", 6), 6);	/* then silence */
	free(out);
	memset(&res, 0, sizeof(res));
	o.in = p[0];
	o.out = memfd("", 0);
	rc = bs_run(&o, &res);
	out = slurp(o.out);
	close(o.out);
	close(p[0]);
	close(p[1]);
	assert_int_equal(rc, -1);
	assert_int_equal(res.exitcode, EX_TEMPFAIL);
	assert_string_equal(res.msg, "-bs: no input for 1 s");
	assert_string_equal(out, GREET "250 2.0.0 Ok\r\n"
	    "421 4.4.2 mx.test idle for 1 s, closing\r\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ehlo_quit),
		cmocka_unit_test(test_two_messages_and_rset),
		cmocka_unit_test(test_dot_unstuffing),
		cmocka_unit_test(test_empty_message),
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_addresses_normalised),
		cmocka_unit_test(test_nul_and_cr_in_command),
		cmocka_unit_test(test_failure_replies),
		cmocka_unit_test(test_long_error_text_cut),
		cmocka_unit_test(test_reply_table),
		cmocka_unit_test(test_long_command_line),
		cmocka_unit_test(test_long_data_line),
		cmocka_unit_test(test_large_message_spills),
		cmocka_unit_test(test_msg_chunks),
		cmocka_unit_test(test_eof_inside_data),
		cmocka_unit_test(test_too_many_recipients),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_queued_is_not_sent),
		cmocka_unit_test(test_null_sender),
	};
	int	 r = cmocka_run_group_tests(tests, NULL, NULL);

	reset();
	return r;
}
