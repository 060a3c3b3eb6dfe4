/*
 * body.c - CRLF normalisation and dot-stuffing, streaming.
 */
#include "body.h"

void
body_init(struct body_filter *f, int stuff)
{
	f->stuff = stuff;
	f->bol = 1;
	f->cr = 0;
}

size_t
body_filter(struct body_filter *f, const char *in, size_t n, char *out)
{
	size_t	 i, o = 0;
	char	 c;

	for (i = 0; i < n; i++) {
		c = in[i];
		if (f->cr) {
			/* CR LF, or a bare CR: either way one line end. */
			out[o++] = '\r';
			out[o++] = '\n';
			f->cr = 0;
			f->bol = 1;
			if (c == '\n')
				continue;
		}
		if (c == '\r') {
			f->cr = 1;
			continue;
		}
		if (c == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			f->bol = 1;
			continue;
		}
		if (f->bol && c == '.' && f->stuff)
			out[o++] = '.';
		out[o++] = c;
		f->bol = 0;
	}
	return o;
}

size_t
body_finish(struct body_filter *f, char *out)
{
	if (!f->cr && f->bol)
		return 0;
	f->cr = 0;
	f->bol = 1;
	out[0] = '\r';
	out[1] = '\n';
	return 2;
}
