/*
 * reply.c - multi-line reply parsing and validation (RFC 5321 4.2.1).
 */
#include <string.h>

#include "reply.h"
#include "result.h"

void
reply_init(struct reply *r)
{
	r->code = 0;
	r->nlines = 0;
	r->used = 0;
	r->first[0] = '\0';
}

static int
bad(struct result *res, const char *why, const char *line, size_t len)
{
	char	 clean[80];

	result_sanitise(clean, sizeof(clean), line, len);
	return result_fail(res, EX_PROTOCOL, "malformed reply from server "
	    "(%s): %s", why, clean);
}

/* Append the line's text (NULs replaced) to r->text. */
static int
keep_text(struct reply *r, const char *t, size_t len, struct result *res)
{
	size_t	 i;

	if (r->nlines == REPLY_LINES_MAX)
		return bad(res, "too many lines", t, len);
	if (r->used + len + 1 > sizeof(r->text))
		return bad(res, "too long", t, len);
	r->off[r->nlines++] = r->used;
	for (i = 0; i < len; i++)
		r->text[r->used++] = t[i] == '\0' ? '?' : t[i];
	r->text[r->used++] = '\0';
	return 0;
}

int
reply_feed(struct reply *r, const char *line, size_t len, struct result *res)
{
	int	 code;
	char	 sep;

	if (len > REPLY_LINE_MAX)
		return bad(res, "line too long", line, len);
	if (len < 3 || line[0] < '2' || line[0] > '5' ||
	    line[1] < '0' || line[1] > '9' || line[2] < '0' || line[2] > '9')
		return bad(res, "no reply code", line, len);
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + line[2] - '0';
	sep = len > 3 ? line[3] : ' ';
	if (sep != ' ' && sep != '-')
		return bad(res, "bad separator", line, len);
	if (r->code != 0 && code != r->code)
		return bad(res, "inconsistent codes", line, len);
	if (r->code == 0) {
		r->code = code;
		/* Keep the first line for messages: "CODE text". */
		result_sanitise(r->first, sizeof(r->first), line, len);
		if (len > 3)
			r->first[3] = ' ';
	}
	if (keep_text(r, line + (len > 3 ? 4 : 3), len > 3 ? len - 4 : 0,
	    res) == -1)
		return -1;
	return sep == ' ' ? 1 : 0;
}

const char *
reply_line(const struct reply *r, size_t i)
{
	return i < r->nlines ? r->text + r->off[i] : "";
}
