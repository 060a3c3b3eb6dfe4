/*
 * qp.c - streaming quoted-printable encoding of a body (RFC 2045
 * section 6.7), for long_lines = encode.
 */
#include <string.h>

#include "qp.h"

static const char hexdigit[] = "0123456789ABCDEF";

void
qp_init(struct qp *q)
{
	q->col = 0;
	q->bol = 1;
	q->cr = 0;
	q->wsp = 0;
}

/* Rule 2: printable ASCII but '=' stands for itself. */
static int
is_literal(unsigned char c)
{
	return c >= 33 && c <= 126 && c != '=';
}

/*
 * One output token, 1 or 3 octets, after a soft line break (rule 5) if
 * it does not fit: QP_LINE_MAX keeps room for that "=".
 */
static size_t
put_tok(struct qp *q, const char *t, int len, char *out)
{
	size_t	 o = 0;

	if (q->col + len > QP_LINE_MAX - 1) {
		memcpy(out, "=\r\n", 3);
		o = 3;
		q->col = 0;
	}
	memcpy(out + o, t, (size_t)len);
	q->col += len;
	return o + (size_t)len;
}

/* c as itself, or as "=XX" (rule 1). */
static size_t
put_byte(struct qp *q, unsigned char c, int literal, char *out)
{
	char	 t[3];

	if (literal) {
		t[0] = (char)c;
		return put_tok(q, t, 1, out);
	}
	t[0] = '=';
	t[1] = hexdigit[c >> 4];
	t[2] = hexdigit[c & 0x0f];
	return put_tok(q, t, 3, out);
}

/*
 * Rule 3: a SP or HTAB is held until the next byte says whether it ends
 * its line; there it would be taken for padding and dropped, so it is
 * encoded.
 */
static size_t
flush_wsp(struct qp *q, int at_eol, char *out)
{
	size_t	 o;

	if (q->wsp == 0)
		return 0;
	o = put_byte(q, (unsigned char)q->wsp, !at_eol, out);
	q->wsp = 0;
	return o;
}

/* Rule 4: a line end of the text is a hard line break, CRLF. */
static size_t
hard_break(struct qp *q, char *out)
{
	size_t	 o = flush_wsp(q, 1, out);

	memcpy(out + o, "\r\n", 2);
	q->col = 0;
	q->bol = 1;
	return o + 2;
}

size_t
qp_encode(struct qp *q, const char *in, size_t n, char *out)
{
	size_t		 i, o = 0;
	unsigned char	 c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)in[i];
		if (q->cr) {
			q->cr = 0;
			/* The LF of a CRLF: its break was written at the CR. */
			if (c == '\n')
				continue;
		}
		if (c == '\r' || c == '\n') {
			o += hard_break(q, out + o);
			q->cr = c == '\r';
			continue;
		}
		o += flush_wsp(q, 0, out + o);
		q->bol = 0;
		if (c == ' ' || c == '\t')
			q->wsp = (char)c;
		else
			o += put_byte(q, c, is_literal(c), out + o);
	}
	return o;
}

size_t
qp_finish(struct qp *q, char *out)
{
	q->cr = 0;
	return q->bol ? 0 : hard_break(q, out);
}
