/*
 * body.c - CRLF normalisation and dot-stuffing, streaming.
 */
#include <string.h>

#include "body.h"
#include "util.h"

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
	size_t	 i = 0, o = 0, k, lf = MEM_LF_UNKNOWN;
	char	 c;

	while (i < n) {
		c = in[i];
		if (f->cr) {
			/* CR LF, or a bare CR: either way one line end. */
			out[o++] = '\r';
			out[o++] = '\n';
			f->cr = 0;
			f->bol = 1;
			if (c == '\n') {
				i++;
				continue;
			}
		}
		if (c == '\r' || c == '\n') {
			if (c == '\r')
				f->cr = 1;
			else {
				out[o++] = '\r';
				out[o++] = '\n';
				f->bol = 1;
			}
			i++;
			continue;
		}
		if (f->bol && c == '.' && f->stuff)
			out[o++] = '.';
		/* The rest of the line at once: nothing in it changes. */
		k = mem_run(in, i, n, &lf);
		memcpy(out + o, in + i, k);
		o += k;
		i += k;
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
