/*
 * test_qp.c - the streaming quoted-printable encoder (RFC 2045 6.7):
 * exact outputs for each rule, the rules checked on random input, and a
 * decoder written here (Python's quopri, binascii.a2b_qp, in C) that
 * must give the input back whatever the chunk sizes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "qp.h"
#include "lines.h"

#define BIG	4000

/* Encode in (cut into chunks of at most chunk bytes), then finish. */
static size_t
run(const char *in, size_t n, size_t chunk, char *out)
{
	struct qp q;
	size_t	 i, k, o = 0, w;

	qp_init(&q);
	for (i = 0; i < n; i += k) {
		k = n - i < chunk ? n - i : chunk;
		w = qp_encode(&q, in + i, k, out + o);
		assert_true(w <= QP_OUT_MAX(k));
		o += w;
	}
	w = qp_finish(&q, out + o);
	assert_true(w <= QP_OUT_MAX(0));
	return o + w;
}

static void
expect_n(const char *in, size_t n, const char *want)
{
	static char out[QP_OUT_MAX(BIG)];
	size_t	 chunk, len;

	for (chunk = 1; chunk <= n + 1; chunk++) {
		len = run(in, n, chunk, out);
		if (len != strlen(want) || memcmp(out, want, len) != 0)
			fail_msg("chunk %zu: got \"%.*s\", want \"%s\"", chunk,
			    (int)len, out, want);
	}
}

static void
expect(const char *in, const char *want)
{
	expect_n(in, strlen(in), want);
}

static void
test_literal_and_encoded(void **state)
{
	(void)state;
	expect("", "");
	expect("plain text\n", "plain text\r\n");
	expect("a=b\n", "a=3Db\r\n");			/* rule 1: '=' */
	expect("caf\xc3\xa9\n", "caf=C3=A9\r\n");	/* 8-bit, upper case */
	expect("~!<>\"@\n", "~!<>\"@\r\n");		/* rule 2 */
	expect("\x1b[0m\x7f\n", "=1B[0m=7F\r\n");	/* controls */
	expect_n("a\0b\n", 4, "a=00b\r\n");
	expect("tab\there\n", "tab\there\r\n");	/* HTAB kept inside */
	expect(".\n..x\n", ".\r\n..x\r\n");		/* dots: body.h's job */
}

static void
test_line_ends(void **state)
{
	(void)state;
	expect("a\nb\n", "a\r\nb\r\n");
	expect("a\r\nb\r\n", "a\r\nb\r\n");
	expect("a\rb\r", "a\r\nb\r\n");		/* bare CR: a line end */
	expect("a\r\r\nb", "a\r\n\r\nb\r\n");
	expect("\n\n", "\r\n\r\n");
	expect("no final line end", "no final line end\r\n");
	expect("\r", "\r\n");
}

/* Rule 3: white space at the end of a line is encoded, elsewhere not. */
static void
test_trailing_white_space(void **state)
{
	(void)state;
	expect("x \n", "x=20\r\n");
	expect("x\t\r\n", "x=09\r\n");
	expect("x   \n", "x  =20\r\n");
	expect("x \t\n", "x =09\r\n");
	expect(" \n", "=20\r\n");
	expect("a b \nc", "a b=20\r\nc\r\n");
	expect("end ", "end=20\r\n");		/* also at the very end */
	expect("x \ry", "x=20\r\ny\r\n");
}

/* Rule 5: at most 76 octets a line, "=" included; tokens not split. */
static void
test_soft_breaks(void **state)
{
	char	 in[BIG], want[BIG + 8];

	(void)state;
	memset(in, 'x', 75);
	in[75] = '\0';
	snprintf(want, sizeof(want), "%s\r\n", in);
	expect(in, want);				/* 75: fits */
	memset(in, 'x', 76);
	in[76] = '\0';
	snprintf(want, sizeof(want), "%.75s=\r\nx\r\n", in);
	expect(in, want);
	memset(in, 'x', 74);
	memcpy(in + 74, "=\n", 3);
	snprintf(want, sizeof(want), "%.74s=\r\n=3D\r\n", in);
	expect(in, want);				/* "=3D" moves whole */
	memset(in, 'x', 72);
	memcpy(in + 72, "=\n", 3);
	snprintf(want, sizeof(want), "%.72s=3D\r\n", in);
	expect(in, want);			/* 75, room left for a "=" */
	memset(in, 'x', 74);
	memcpy(in + 74, " y\n", 4);
	snprintf(want, sizeof(want), "%.74s =\r\ny\r\n", in);
	expect(in, want);		/* a space before the "=" is fine */
}

/*
 * The encoded text must follow RFC 2045 6.7 to the letter: lines of at
 * most 76 octets ending in CRLF, printable ASCII, SP and HTAB only, no
 * white space before a line end, '=' only as "=XX" (upper-case hex) or a
 * soft break at the end of a line.
 */
static void
check_rules(const char *w, size_t n)
{
	size_t	 i, col = 0;

	if (n > 0)
		assert_memory_equal(w + n - 2, "\r\n", 2);
	for (i = 0; i < n; i++) {
		if (w[i] == '\r') {
			assert_true(i + 1 < n && w[i + 1] == '\n');
			assert_true(i == 0 || (w[i - 1] != ' ' &&
			    w[i - 1] != '\t'));
			assert_true(col <= QP_LINE_MAX);
			col = 0;
			i++;
			continue;
		}
		col++;
		assert_true(w[i] == ' ' || w[i] == '\t' ||
		    (w[i] >= 33 && w[i] <= 126));
		if (w[i] != '=')
			continue;
		assert_true(i + 2 < n);
		if (w[i + 1] == '\r')
			assert_true(w[i + 2] == '\n');
		else
			assert_true(hexval(w[i + 1]) >= 0 &&
			    hexval(w[i + 2]) >= 0);
	}
}

/*
 * Decoding as Python's quopri.decode does: per line, white space before
 * the line end is dropped, a final '=' is a soft break, "=XX" is a byte;
 * each hard line break becomes LF here.
 */
static size_t
decode(const char *w, size_t n, char *out)
{
	size_t	 i = 0, o = 0, end, e;
	int	 soft;

	while (i < n) {
		for (end = i; end < n && w[end] != '\r'; end++)
			;
		for (e = end; e > i && (w[e - 1] == ' ' || w[e - 1] == '\t');
		    e--)
			;
		soft = e > i && w[e - 1] == '=';
		if (soft)
			e--;
		for (; i < e; i++) {
			if (w[i] == '=' && i + 2 < e + 1 &&
			    hexval(w[i + 1]) >= 0 && hexval(w[i + 2]) >= 0) {
				out[o++] = (char)(hexval(w[i + 1]) * 16 +
				    hexval(w[i + 2]));
				i += 2;
			} else
				out[o++] = w[i];
		}
		if (!soft && end < n)
			out[o++] = '\n';
		i = end + 2;
	}
	return o;
}

static void
test_decoder_agrees(void **state)
{
	char	 out[64];

	(void)state;
	/* The decoder itself, on text quopri decodes the same way. */
	assert_int_equal(decode("a=3Db=\r\nc \r\n", 12, out), 5);
	assert_memory_equal(out, "a=bc\n", 5);
	assert_int_equal(decode("x=20\r\n\r\n", 8, out), 4);
	assert_memory_equal(out, "x \n\n", 4);
	assert_int_equal(decode("=C3=A9=\r\n=\r\n", 12, out), 2);
	assert_memory_equal(out, "\xc3\xa9", 2);
}

/* Random text, long lines included: the rules hold, decoding gives it back,
 * and the output does not depend on where the chunks were cut. */
static void
test_property_roundtrip(void **state)
{
	static const char alphabet[] = "==\r\n\n  \t\0\xff\xc3.aaaaaaaaaaaa";
	static char	 in[BIG], wire[QP_OUT_MAX(BIG)], whole[QP_OUT_MAX(BIG)];
	static char	 back[2 * BIG], want[2 * BIG];
	size_t		 n, w, w1, b, m, i, k;
	unsigned	 seed = 4242;
	int		 iter;

	(void)state;
	for (iter = 0; iter < 3000; iter++) {
		n = (size_t)(rand_r(&seed) % BIG);
		k = 1 + (size_t)(rand_r(&seed) % 8);	/* alphabet skew */
		for (i = 0; i < n; i++)
			in[i] = alphabet[(size_t)rand_r(&seed) %
			    (sizeof(alphabet) - k)];
		w1 = run(in, n, n + 1, whole);
		w = run(in, n, 1 + (size_t)(rand_r(&seed) % 97), wire);
		assert_int_equal(w, w1);
		assert_memory_equal(wire, whole, w);
		check_rules(wire, w);
		b = decode(wire, w, back);
		m = normalise(in, n, want);
		assert_int_equal(b, m);
		assert_memory_equal(back, want, m);
	}
}

/* The worst case for the output bound: every byte encoded, chunk 1. */
static void
test_output_bound(void **state)
{
	static char	 in[BIG], out[QP_OUT_MAX(BIG)];
	size_t		 n;

	(void)state;
	memset(in, 0xff, sizeof(in));
	n = run(in, sizeof(in), 1, out);
	assert_true(n <= QP_OUT_MAX(sizeof(in)));
	memset(in, ' ', sizeof(in));
	in[sizeof(in) - 1] = '\n';
	n = run(in, sizeof(in), 7, out);
	check_rules(out, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal_and_encoded),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_trailing_white_space),
		cmocka_unit_test(test_soft_breaks),
		cmocka_unit_test(test_decoder_agrees),
		cmocka_unit_test(test_property_roundtrip),
		cmocka_unit_test(test_output_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
