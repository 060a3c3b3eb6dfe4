/*
 * fuzz_body.c - the body filter (body.h): its round-trip property.
 *
 * Input: byte 0 bit 0 says dot-stuffing (DATA) or not (BDAT), bits 1-3
 * how many chunk sizes follow (each byte + 1); the rest is the body, fed
 * to body_filter in chunks of those sizes, in turn, each call given an
 * output buffer of exactly BODY_OUT_MAX(chunk) bytes, then body_finish
 * with exactly 2.
 *
 * Checks: the output only has CRLF line ends (no bare CR or LF) and ends
 * with CRLF unless empty; with stuffing every line that starts with '.'
 * starts with "..", so no line is "." (the end of DATA); undoing that
 * and turning CRLF into LF gives the input with every line end (LF,
 * CRLF, bare CR) as LF and a final LF added: nothing lost or reordered,
 * whatever the chunking.
 */
#include "body.h"
#include "fuzz.h"
#include "../unit/lines.h"

/* The wire form back: CRLF -> LF, a doubled leading dot undone. */
static size_t
unstuff(const char *w, size_t n, int stuff, char *out)
{
	size_t	 i = 0, o = 0;
	int	 bol = 1;

	while (i < n) {
		if (stuff && bol && w[i] == '.') {
			fuzz_check(i + 1 < n && w[i + 1] == '.',
			    "a leading dot is doubled");
			i++;
		}
		if (w[i] == '\r') {
			fuzz_check(i + 1 < n && w[i + 1] == '\n',
			    "no bare CR on the wire");
			out[o++] = '\n';
			i += 2;
			bol = 1;
			continue;
		}
		fuzz_check(w[i] != '\n', "no bare LF on the wire");
		out[o++] = w[i++];
		bol = 0;
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct body_filter f;
	const uint8_t	*sizes;
	const char	*in;
	char		*wire, *out, *back, *want;
	size_t		 nsizes, n, i, k, w = 0, o, b, m, c = 0;
	int		 stuff;

	if (size < 1)
		return 0;
	stuff = data[0] & 1;
	nsizes = (data[0] >> 1) & 7;
	if (size < 1 + nsizes)
		return 0;
	sizes = data + 1;
	in = (const char *)data + 1 + nsizes;
	n = size - 1 - nsizes;

	wire = malloc(BODY_OUT_MAX(n) + 2);
	back = malloc(n + 2);
	want = malloc(n + 2);
	fuzz_check(wire != NULL && back != NULL && want != NULL, "memory");
	body_init(&f, stuff);
	for (i = 0; i < n; i += k) {
		k = nsizes > 0 ? (size_t)sizes[c++ % nsizes] + 1 : n;
		if (k > n - i)
			k = n - i;
		out = malloc(BODY_OUT_MAX(k));
		fuzz_check(out != NULL, "memory");
		o = body_filter(&f, in + i, k, out);
		fuzz_check(o <= BODY_OUT_MAX(k), "within BODY_OUT_MAX");
		memcpy(wire + w, out, o);
		w += o;
		free(out);
	}
	out = malloc(2);
	fuzz_check(out != NULL, "memory");
	o = body_finish(&f, out);
	fuzz_check(o == 0 || o == 2, "body_finish writes 0 or 2 bytes");
	memcpy(wire + w, out, o);
	w += o;
	free(out);

	fuzz_check(w <= BODY_OUT_MAX(n), "total within BODY_OUT_MAX");
	fuzz_check(w == 0 || (w >= 2 && wire[w - 2] == '\r' &&
	    wire[w - 1] == '\n'), "ends with CRLF");
	fuzz_check((w == 0) == (n == 0), "empty only for empty input");
	b = unstuff(wire, w, stuff, back);
	m = normalise(in, n, want);
	fuzz_check(b == m && memcmp(back, want, m) == 0,
	    "round trip gives the normalised input");
	free(wire);
	free(back);
	free(want);
	return 0;
}
