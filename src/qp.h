/*
 * qp.h - a streaming quoted-printable encoder for a message body (RFC
 * 2045 section 6.7), for bodies with lines over 998 octets (DESIGN.md
 * section 4, long_lines = encode).  No I/O; state carries across calls,
 * so input can come in any chunks and the output does not depend on how
 * it was cut.  Memory is the struct: nothing is allocated.
 *
 * The input's line ends (LF, CRLF, or a bare CR, as body.h) are the
 * text's own and become hard line breaks, CRLF.  Everything else is
 * encoded: '=', bytes >= 0x80 and control bytes other than HTAB become
 * "=XX" (upper-case hex); a SP or HTAB just before a line end (or the
 * end) becomes "=20" or "=09"; encoded lines are at most QP_LINE_MAX
 * octets, longer ones end in a soft line break "=" CRLF.  Decoding gives
 * back the input with every line end made CRLF and a final line end
 * added if it had none, like body.h.
 *
 * The output is all printable ASCII and CRLF; it still needs body.h's
 * dot-stuffing for DATA.
 */
#ifndef STAMP_QP_H
#define STAMP_QP_H

#include <stddef.h>

#define QP_LINE_MAX	76	/* octets per encoded line, CRLF not counted */

/*
 * Output of qp_encode for n input bytes is at most QP_OUT_MAX(n) bytes
 * (each byte at most 3, a soft break per 24 of them, the held white
 * space); qp_finish writes at most QP_OUT_MAX(0).
 */
#define QP_OUT_MAX(n)	(4 * (n) + 16)

struct qp {
	int	 col;		/* octets on the current output line */
	int	 bol;		/* at the beginning of an input line */
	int	 cr;		/* a CR was seen, its LF not yet */
	char	 wsp;		/* a held SP or HTAB, or 0 */
};

void	 qp_init(struct qp *);

/* Encode n bytes of in into out (room for QP_OUT_MAX(n)); returns the
 * number of bytes written. */
size_t	 qp_encode(struct qp *, const char *in, size_t n, char *out);

/* Flush held white space and end the last line. */
size_t	 qp_finish(struct qp *, char *out);

#endif
