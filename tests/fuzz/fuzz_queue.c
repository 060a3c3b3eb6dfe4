/*
 * fuzz_queue.c - queue_open (queue.h) reading an item, and its state
 * file, that the input makes: byte 0 bit 0 locks (a flush: the whole
 * message is read), else only the envelope and the length (a listing);
 * bit 1 adds a state file, whose length is byte 1 and which follows it;
 * the rest is the item.  Files live in a private directory (mkdtemp).
 * FUZZ_VERBOSE=1 says what each input gave.
 *
 * Checks: 0 or -1, never 1 (the item is there, nobody holds it); -1 is
 * EX_DATAERR naming the item; an item read has an account, a sender and
 * at least one recipient, none with a line end, hdrlen <= size, a state
 * with attempts >= 1 and a printable error below QUEUE_ERR_MAX; locked, the
 * message it hands to smtp.c is exactly the bytes after the envelope
 * section, the header section its first hdrlen bytes.
 */
#include <sysexits.h>

#include "fuzz.h"
#include "msg.h"
#include "queue.h"
#include "result.h"
#include "util.h"

#define ID	"0000000000000001"

static char	 dir[64];
static char	 item[128], state[128];

static void
cleanup(void)
{
	unlink(item);
	unlink(state);
	rmdir(dir);
}

static void
put_file(const char *path, const uint8_t *p, size_t n)
{
	FILE	*f = fopen(path, "w");

	fuzz_check(f != NULL, "create a file");
	fuzz_check(fwrite(p, 1, n, f) == n || n == 0, "write a file");
	fuzz_check(fclose(f) == 0, "close a file");
}

static int
no_eol(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}

/* The message handed to smtp.c is the item's bytes after "\n\n". */
static void
check_message(const struct queue_item *it, const uint8_t *p, size_t n)
{
	const uint8_t	*sep = memmem(p, n, "\n\n", 2);
	size_t		 off;
	struct result	 res;
	char		*buf;

	fuzz_check(sep != NULL, "an envelope section");
	off = (size_t)(sep - p) + 2;
	fuzz_check((long long)(n - off) == it->size, "size is the rest");
	fuzz_check(it->sm.msg == &it->msg && it->msg.size == it->size,
	    "the message is size bytes");
	fuzz_check(it->sm.hdrlen == it->hdrlen && it->sm.body_off ==
	    (off_t)it->hdrlen, "header section, then body");
	fuzz_check(memcmp(it->sm.hdr, p + off, it->hdrlen) == 0,
	    "the header section as stored");
	buf = malloc(n - off + 1);
	fuzz_check(buf != NULL, "out of memory");
	memset(&res, 0, sizeof(res));
	fuzz_check(n - off == 0 || msg_read_at(&it->msg, 0, buf, n - off,
	    &res) == (ssize_t)(n - off), "the message reads back");
	fuzz_check(memcmp(buf, p + off, n - off) == 0,
	    "the message as stored");
	free(buf);
	fuzz_check(it->sm.from == it->from && it->sm.nrcpts == it->rcpts.n,
	    "the envelope handed on");
}

static void
check_item(const struct queue_item *it)
{
	size_t	 i;

	fuzz_check(no_eol(it->account) && no_eol(it->from),
	    "account and sender, one line each");
	fuzz_check(it->rcpts.n >= 1, "a recipient");
	for (i = 0; i < it->rcpts.n; i++)
		fuzz_check(it->rcpts.v[i][0] != '\0' &&
		    no_eol(it->rcpts.v[i]), "recipients, one line each");
	fuzz_check(it->created >= 0 && it->size >= 0 &&
	    (long long)it->hdrlen <= it->size, "hdrlen <= size");
	fuzz_check(it->body_qp == 0 || it->body_qp == 1, "body_qp 0 or 1");
	fuzz_check(it->st.attempts >= 1, "attempts >= 1");
	fuzz_check(strlen(it->st.error) < QUEUE_ERR_MAX, "error bounded");
	for (i = 0; it->st.error[i] != '\0'; i++)
		fuzz_check(it->st.error[i] >= 0x20 && it->st.error[i] < 0x7f,
		    "the error is printable (mailq shows it)");
	(void)queue_due(it, it->created);
	(void)queue_expired(it, it->created);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct queue_item	 it;
	struct result		 res;
	size_t			 slen = 0, off = 1;
	int			 lock, rc;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/stamp-fuzz-queue-XXXXXX");
		fuzz_check(mkdtemp(dir) != NULL, "mkdtemp");
		snprintf(item, sizeof(item), "%s/%s", dir, ID);
		snprintf(state, sizeof(state), "%s/%s.state", dir, ID);
		atexit(cleanup);
	}
	if (size < 1 || size > 1024 * 1024)
		return 0;
	lock = data[0] & 1;
	unlink(state);
	if (data[0] & 2) {
		if (size < 2 || (slen = data[1]) > size - 2)
			return 0;
		put_file(state, data + 2, slen);
		off = 2 + slen;
	}
	put_file(item, data + off, size - off);
	memset(&res, 0, sizeof(res));
	rc = queue_open(dir, ID, lock, &it, &res);
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_queue: lock %d state %zu: %d %s\n", lock,
		    slen, rc, rc == -1 ? res.msg : "read");
	fuzz_check(rc == 0 || rc == -1, "0 or -1: the item is there");
	if (rc == -1) {
		fuzz_check(res.exitcode == EX_DATAERR &&
		    strstr(res.msg, ID) != NULL, "EX_DATAERR naming the item");
		queue_close(&it);
		return 0;
	}
	check_item(&it);
	if (lock)
		check_message(&it, data + off, size - off);
	queue_close(&it);
	return 0;
}
