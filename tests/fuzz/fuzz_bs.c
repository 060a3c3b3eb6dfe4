/*
 * fuzz_bs.c - the -bs server (bs.h): bs_run with the input as the
 * client's side of the SMTP channel (a memfd, read to EOF) and a fake
 * deliver that accepts or refuses each message (by its size) with a
 * text that quotes the client's addresses.
 *
 * Checks: bs_run returns 0; every message handed over has a sender and
 * 1..BS_RCPT_MAX recipients that pass addr_check, a BODY of NULL, 7BIT
 * or 8BITMIME, and a spool whose bytes can all be read; the replies are
 * lines of printable ASCII ending in CRLF, at most BS_REPLY_MAX octets,
 * that reply_feed (reply.h) reads as well-formed replies, the first a
 * 220, never more of them than the client sent lines, plus two.
 */
#include <sysexits.h>

#include "addr.h"
#include "bs.h"
#include "fuzz.h"
#include "msg.h"
#include "reply.h"
#include "result.h"

static int	 in_fd = -1, out_fd = -1;

/* Exit statuses the fake upstream answers with, chosen by size. */
static const int outcome[] = {
	EX_OK, EX_TEMPFAIL, EX_NOUSER, EX_DATAERR, EX_OK, EX_CONFIG,
	EX_UNAVAILABLE, EX_PROTOCOL, EX_SOFTWARE, -1 /* no text */,
};

static int
fake_deliver(void *arg, const struct bs_txn *t, struct result *r)
{
	char	 buf[4096];
	off_t	 off = 0;
	ssize_t	 n;
	size_t	 i;
	int	 ex;

	(void)arg;
	fuzz_check(t->from != NULL && (t->from[0] == '\0' ||
	    addr_check(t->from, strlen(t->from)) == 0),
	    "sender is <> or passes addr_check");
	fuzz_check(t->nrcpts >= 1 && t->nrcpts <= BS_RCPT_MAX,
	    "1..BS_RCPT_MAX recipients");
	for (i = 0; i < t->nrcpts; i++)
		fuzz_check(addr_check(t->rcpts[i], strlen(t->rcpts[i])) == 0,
		    "recipients pass addr_check");
	fuzz_check(t->body_type == NULL || strcmp(t->body_type, "7BIT") == 0 ||
	    strcmp(t->body_type, "8BITMIME") == 0, "BODY value");
	while ((n = msg_read_at(t->msg, off, buf, sizeof(buf), r)) > 0)
		off += n;
	fuzz_check(n == 0 && off == t->msg->size, "the spool reads back");
	ex = outcome[t->msg->size % (off_t)(sizeof(outcome) /
	    sizeof(outcome[0]))];
	if (ex == EX_OK) {
		result_note_reply(r, 250, "250 2.0.0 Ok: queued for <\r\n>");
		return 0;
	}
	if (ex == -1)
		return -1;
	return result_fail(r, ex, "RCPT TO:<%s>: 550 5.1.1 <%s>\r\n%s",
	    t->rcpts[0], t->from, t->rcpts[t->nrcpts - 1]);
}

static int
memfd(void)
{
	int	 fd = memfd_create("stamp-fuzz-bs", MFD_CLOEXEC);

	fuzz_check(fd != -1, "memfd_create");
	return fd;
}

/* The replies: well-formed lines, read by reply_feed. */
static void
check_replies(size_t nlines)
{
	static struct reply r;
	struct result	 res;
	off_t		 size = lseek(out_fd, 0, SEEK_END);
	char		*out, *p, *e, *eol, *c;
	size_t		 nreplies = 0;
	int		 rc = 0;

	fuzz_check(size > 0, "a greeting at least");
	out = malloc((size_t)size);
	fuzz_check(out != NULL, "memory");
	fuzz_check(pread(out_fd, out, (size_t)size, 0) == size, "pread");
	fuzz_check(size >= 5 && memcmp(out, "220 ", 4) == 0, "220 first");
	reply_init(&r);
	memset(&res, 0, sizeof(res));
	for (p = out, e = out + size; p < e; p = eol + 2) {
		eol = memchr(p, '\r', (size_t)(e - p));
		fuzz_check(eol != NULL && eol + 1 < e && eol[1] == '\n',
		    "replies end in CRLF");
		fuzz_check(eol + 2 - p <= BS_REPLY_MAX, "BS_REPLY_MAX");
		for (c = p; c < eol; c++)
			fuzz_check(*c >= 0x20 && *c < 0x7f, "printable ASCII");
		rc = reply_feed(&r, p, (size_t)(eol - p), &res);
		fuzz_check(rc != -1, "reply_feed reads our replies");
		if (rc == 1) {
			nreplies++;
			reply_init(&r);
		}
	}
	fuzz_check(rc == 1, "the last reply is complete");
	fuzz_check(nreplies <= nlines + 2, "no more replies than lines");
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bs_opts	 o = {
		.hostname = "mx.test", .deliver = fake_deliver,
	};
	struct result	 res;
	size_t		 i, nlines = 1, off = 0;
	ssize_t		 n;

	if (in_fd == -1) {
		in_fd = memfd();
		out_fd = memfd();
	}
	fuzz_check(ftruncate(in_fd, 0) == 0 && ftruncate(out_fd, 0) == 0 &&
	    lseek(out_fd, 0, SEEK_SET) == 0, "reset memfds");
	while (off < size) {
		n = pwrite(in_fd, data + off, size - off, (off_t)off);
		fuzz_check(n > 0, "pwrite");
		off += (size_t)n;
	}
	fuzz_check(lseek(in_fd, 0, SEEK_SET) == 0, "lseek");
	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			nlines++;
	o.in = in_fd;
	o.out = out_fd;
	memset(&res, 0, sizeof(res));
	fuzz_check(bs_run(&o, &res) == 0 && !res.set, "bs_run returns 0");
	check_replies(nlines);
	return 0;
}
