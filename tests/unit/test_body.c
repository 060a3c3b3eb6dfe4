/* test_body.c - CRLF normalisation and dot-stuffing, and the property
 * that un-stuffing the output gives back the (normalised) input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "body.h"
#include "lines.h"

/* Filter in (cut into chunks of at most chunk bytes), then finish. */
static size_t
run(const char *in, size_t n, size_t chunk, int stuff, char *out)
{
	struct body_filter f;
	size_t	 i, k, o = 0;

	body_init(&f, stuff);
	for (i = 0; i < n; i += k) {
		k = n - i < chunk ? n - i : chunk;
		o += body_filter(&f, in + i, k, out + o);
	}
	return o + body_finish(&f, out + o);
}

static void
expect(const char *in, const char *want)
{
	char	 out[256];
	size_t	 chunk, n;

	for (chunk = 1; chunk <= strlen(in) + 1; chunk++) {
		n = run(in, strlen(in), chunk, 1, out);
		assert_int_equal(n, strlen(want));
		assert_memory_equal(out, want, n);
	}
}

static void
test_line_ends(void **state)
{
	(void)state;
	expect("a\nb\n", "a\r\nb\r\n");
	expect("a\r\nb\r\n", "a\r\nb\r\n");
	expect("a\rb", "a\r\nb\r\n");		/* bare CR is a line end */
	expect("a\r\r\nb", "a\r\n\r\nb\r\n");
	expect("no newline", "no newline\r\n");
	expect("", "");
	expect("\n", "\r\n");
	expect("\r", "\r\n");
}

static void
test_dots(void **state)
{
	(void)state;
	expect(".\n", "..\r\n");
	expect("a\n.\nb\n", "a\r\n..\r\nb\r\n");
	expect("..x\n", "...x\r\n");
	expect("a.b\n.", "a.b\r\n..\r\n");
	expect("x\r.\r\n", "x\r\n..\r\n");
	expect("x\r\n.\r\n", "x\r\n..\r\n");
}

static void
test_no_stuffing_for_bdat(void **state)
{
	char	 out[64];
	size_t	 n;

	(void)state;
	n = run(".a\n.\n", 5, 2, 0, out);
	assert_int_equal(n, 7);
	assert_memory_equal(out, ".a\r\n.\r\n", 7);
}

static void
test_eightbit_and_nul_pass(void **state)
{
	const char in[] = "caf\xc3\xa9 \xe9\x00z\n";
	char	 out[64];
	size_t	 n;

	(void)state;
	n = run(in, sizeof(in) - 1, 3, 1, out);
	assert_int_equal(n, sizeof(in));
	assert_memory_equal(out, "caf\xc3\xa9 \xe9\x00z\r\n", n);
}

/* Reverse the transformation: split on CRLF, drop a leading '.'. */
static size_t
unstuff(const char *w, size_t n, char *out)
{
	size_t	 i = 0, o = 0;
	int	 bol = 1;

	while (i < n) {
		if (bol && w[i] == '.') {
			assert_true(i + 1 < n && w[i + 1] == '.');
			i++;
		}
		if (w[i] == '\r') {
			assert_true(i + 1 < n && w[i + 1] == '\n');
			out[o++] = '\n';
			i += 2;
			bol = 1;
			continue;
		}
		assert_true(w[i] != '\n');	/* no bare LF on the wire */
		out[o++] = w[i++];
		bol = 0;
	}
	return o;
}

static void
test_property_roundtrip(void **state)
{
	static const char alphabet[] = ".\r\n\na\xff\0 ";
	char	 in[300], wire[BODY_OUT_MAX(300)], back[700], want[700];
	size_t	 n, w, b, m;
	unsigned seed = 12345;
	int	 iter;

	(void)state;
	for (iter = 0; iter < 20000; iter++) {
		n = (size_t)(rand_r(&seed) % 300);
		for (size_t i = 0; i < n; i++)
			in[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		w = run(in, n, 1 + (size_t)(rand_r(&seed) % 17), 1, wire);
		assert_true(w <= BODY_OUT_MAX(n));
		if (w > 0)
			assert_memory_equal(wire + w - 2, "\r\n", 2);
		b = unstuff(wire, w, back);
		m = normalise(in, n, want);
		assert_int_equal(b, m);
		assert_memory_equal(back, want, m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_dots),
		cmocka_unit_test(test_no_stuffing_for_bdat),
		cmocka_unit_test(test_eightbit_and_nul_pass),
		cmocka_unit_test(test_property_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
