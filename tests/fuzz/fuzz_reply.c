/*
 * fuzz_reply.c - reply_feed (reply.h) over a server's bytes: the input is
 * split into lines as conn_getline does (LF, one CR before it dropped),
 * each line handed over in a buffer of exactly its length.  A complete
 * or malformed reply starts the next one.
 *
 * Checks: a complete reply has a code 200..599, 1..REPLY_LINES_MAX
 * lines whose texts lie inside text[]; first[] is NUL-terminated,
 * starts with the code and holds no control byte; a malformed one is
 * EX_PROTOCOL.
 */
#include <sysexits.h>

#include "fuzz.h"
#include "reply.h"
#include "result.h"

static void
check_reply(const struct reply *r)
{
	size_t	 i, n;
	const char *t;

	fuzz_check(r->code >= 200 && r->code <= 599, "code in 2xx-5xx");
	fuzz_check(r->nlines >= 1 && r->nlines <= REPLY_LINES_MAX,
	    "line count");
	fuzz_check(r->used <= sizeof(r->text), "text used");
	for (i = 0; i < r->nlines; i++) {
		fuzz_check(r->off[i] < r->used, "line offset");
		t = reply_line(r, i);
		n = strnlen(t, sizeof(r->text) - r->off[i]);
		fuzz_check(r->off[i] + n < r->used, "line NUL-terminated");
	}
	fuzz_check(*reply_line(r, r->nlines) == '\0', "line past the end");
	n = strnlen(r->first, sizeof(r->first));
	fuzz_check(n < sizeof(r->first), "first NUL-terminated");
	fuzz_check(n >= 3 && r->first[0] - '0' == r->code / 100,
	    "first starts with the code");
	for (i = 0; i < n; i++)
		fuzz_check((unsigned char)r->first[i] >= 0x20 &&
		    (unsigned char)r->first[i] < 0x7f, "first sanitised");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct reply	 r;
	struct result		 res;
	const char		*p = (const char *)data, *nl;
	char			*line;
	size_t			 left = size, len, eol;
	int			 rc;

	reply_init(&r);
	memset(&res, 0, sizeof(res));
	while (left > 0) {
		nl = memchr(p, '\n', left);
		eol = nl != NULL ? (size_t)(nl - p) + 1 : left;
		len = nl != NULL ? (size_t)(nl - p) : left;
		if (nl != NULL && len > 0 && p[len - 1] == '\r')
			len--;
		line = fuzz_dup(p, len);
		rc = reply_feed(&r, line, len, &res);
		free(line);
		fuzz_check(rc >= -1 && rc <= 1, "return value");
		if (rc == -1) {
			fuzz_check(res.set && res.exitcode == EX_PROTOCOL,
			    "malformed is EX_PROTOCOL");
			memset(&res, 0, sizeof(res));
			reply_init(&r);
		} else if (rc == 1) {
			fuzz_check(!res.set, "no error on success");
			check_reply(&r);
			reply_init(&r);
		}
		p += eol;
		left -= eol;
	}
	return 0;
}
