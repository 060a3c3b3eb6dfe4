/*
 * fuzz_qp.c - the quoted-printable encoder (qp.h): its round trip.
 *
 * Input: byte 0 bits 0-2 say how many chunk sizes follow (each byte + 1);
 * the rest is the body, encoded in chunks of those sizes, in turn, each
 * call given an output buffer of exactly QP_OUT_MAX(chunk) bytes, then
 * qp_finish with exactly QP_OUT_MAX(0); and again in one piece.
 *
 * Checks: the output does not depend on the chunking; it is printable
 * ASCII, SP, HTAB and CRLF only; lines are at most QP_LINE_MAX octets and
 * never end in SP or HTAB; '=' starts "=XX" (upper-case hex) or ends the
 * line (a soft break).  Decoding it here, strictly, gives the input with
 * every line end (LF, CRLF, bare CR) made CRLF and a final one added.
 */
#include "fuzz.h"
#include "../unit/lines.h"
#include "qp.h"

/* Encode in[0..n) in chunks (sizes cycled; none: one piece). */
static size_t
encode(const char *in, size_t n, const uint8_t *sizes, size_t nsizes,
    char *wire)
{
	struct qp	 q;
	char		*out;
	size_t		 i, k, o, w = 0, c = 0;

	qp_init(&q);
	for (i = 0; i < n; i += k) {
		k = nsizes > 0 ? (size_t)sizes[c++ % nsizes] + 1 : n;
		if (k > n - i)
			k = n - i;
		fuzz_check((out = malloc(QP_OUT_MAX(k))) != NULL, "memory");
		o = qp_encode(&q, in + i, k, out);
		fuzz_check(o <= QP_OUT_MAX(k), "within QP_OUT_MAX");
		memcpy(wire + w, out, o);
		w += o;
		free(out);
	}
	fuzz_check((out = malloc(QP_OUT_MAX(0))) != NULL, "memory");
	o = qp_finish(&q, out);
	fuzz_check(o <= QP_OUT_MAX(0), "qp_finish within QP_OUT_MAX(0)");
	memcpy(wire + w, out, o);
	free(out);
	return w + o;
}

/* Strict RFC 2045 6.7 decoding of w[0..n) into out; returns its length. */
static size_t
decode(const char *w, size_t n, char *out)
{
	size_t	 i = 0, o = 0, bol = 0;
	int	 hi, lo;

	while (i < n) {
		if (w[i] == '\r') {
			fuzz_check(i + 1 < n && w[i + 1] == '\n', "CR only in CRLF");
			fuzz_check(i - bol <= QP_LINE_MAX, "line at most 76");
			fuzz_check(i == bol || (w[i - 1] != ' ' &&
			    w[i - 1] != '\t'), "no white space at a line end");
			out[o++] = '\r';
			out[o++] = '\n';
			i += 2;
			bol = i;
			continue;
		}
		fuzz_check(w[i] != '\n', "LF only in CRLF");
		if (w[i] == '=') {
			if (i + 2 < n && w[i + 1] == '\r' && w[i + 2] == '\n') {
				fuzz_check(i + 1 - bol <= QP_LINE_MAX,
				    "soft-broken line at most 76");
				i += 3;		/* soft line break */
				bol = i;
				continue;
			}
			fuzz_check(i + 2 < n, "'=' followed by two digits");
			hi = hexval(w[i + 1]);
			lo = hexval(w[i + 2]);
			fuzz_check(hi >= 0 && lo >= 0, "=XX upper-case hex");
			out[o++] = (char)(hi << 4 | lo);
			i += 3;
			continue;
		}
		fuzz_check((w[i] >= 33 && w[i] <= 126) || w[i] == ' ' ||
		    w[i] == '\t', "printable ASCII, SP, HTAB");
		out[o++] = w[i++];
	}
	fuzz_check(n == 0 || (n >= 2 && w[n - 2] == '\r' && w[n - 1] == '\n'),
	    "ends with CRLF");
	fuzz_check(n - bol <= QP_LINE_MAX, "last line at most 76");
	return o;
}

/* Every line end (LF, CRLF, bare CR) as CRLF, and a final one. */
static size_t
normalise_crlf(const char *in, size_t n, char *out)
{
	size_t	 i, o = 0;

	for (i = 0; i < n; i++) {
		if (in[i] == '\r' || in[i] == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
			if (in[i] == '\r' && i + 1 < n && in[i + 1] == '\n')
				i++;
		} else
			out[o++] = in[i];
	}
	if (o > 0 && out[o - 1] != '\n') {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*in;
	char		*wire, *whole, *back, *want;
	size_t		 nsizes, n, w, w1, b, m;

	if (size < 1)
		return 0;
	nsizes = data[0] & 7;
	if (size < 1 + nsizes)
		return 0;
	in = (const char *)data + 1 + nsizes;
	n = size - 1 - nsizes;

	wire = malloc(4 * n + QP_OUT_MAX(0) + 1);
	whole = malloc(QP_OUT_MAX(n) + QP_OUT_MAX(0));
	back = malloc(4 * n + QP_OUT_MAX(0) + 1);
	want = malloc(2 * n + 2);
	fuzz_check(wire && whole && back && want, "memory");
	w = encode(in, n, data + 1, nsizes, wire);
	w1 = encode(in, n, NULL, 0, whole);
	fuzz_check(w == w1 && memcmp(wire, whole, w) == 0,
	    "output independent of the chunking");
	b = decode(wire, w, back);
	m = normalise_crlf(in, n, want);
	fuzz_check(b == m && memcmp(back, want, m) == 0,
	    "decoding gives the normalised input");
	free(wire);
	free(whole);
	free(back);
	free(want);
	return 0;
}
