/*
 * lines.h - for tests of the body filters (unit and fuzz): the input as
 * a reader sees it once the wire's CRLF and dot-stuffing are undone,
 * and the hex digits of their encodings.
 */
#ifndef STAMP_TEST_LINES_H
#define STAMP_TEST_LINES_H

#include <stddef.h>

/* Every line end (LF, CRLF, bare CR) as LF, and a final LF added;
 * out needs n + 1 bytes. */
static inline size_t
normalise(const char *in, size_t n, char *out)
{
	size_t	 i, o = 0;

	for (i = 0; i < n; i++) {
		if (in[i] == '\r') {
			out[o++] = '\n';
			if (i + 1 < n && in[i + 1] == '\n')
				i++;
		} else
			out[o++] = in[i];
	}
	if (o > 0 && out[o - 1] != '\n')
		out[o++] = '\n';
	return o;
}

/* An upper-case hex digit's value, or -1: quoted-printable's "=XX"
 * (RFC 2045 6.7) and xtext's "+XX" (RFC 3461 4) allow no other. */
static inline int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
