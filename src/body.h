/*
 * body.h - the streaming body filter: line ends become CRLF and, for
 * DATA, lines starting with '.' get a second '.' (RFC 5321 4.5.2).
 * No I/O; state carries across calls, so input can come in any chunks.
 *
 * Line ends in the input are LF, CRLF, or a bare CR (which RFC 5321
 * 2.3.8 forbids on the wire, so it becomes CRLF too).  After
 * body_finish the output ends with CRLF unless it is empty.
 */
#ifndef STAMP_BODY_H
#define STAMP_BODY_H

#include <stddef.h>

/* Output can be at most twice the input, plus BODY_SLACK. */
#define BODY_OUT_MAX(n)	(2 * (n) + 4)

struct body_filter {
	int	 stuff;		/* dot-stuff (DATA), not for BDAT */
	int	 bol;		/* at the beginning of a line */
	int	 cr;		/* a CR was seen, its LF not yet */
};

void	 body_init(struct body_filter *, int stuff);

/* Filter n bytes of in into out (room for BODY_OUT_MAX(n)); returns
 * the number of bytes written. */
size_t	 body_filter(struct body_filter *, const char *in, size_t n,
	    char *out);

/* Flush a pending CR and end the last line; out needs 2 bytes. */
size_t	 body_finish(struct body_filter *, char *out);

#endif
