/*
 * test_hdr.c - header section indexing and unfolding (RFC 5322 2.2).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "hdr.h"
#include "result.h"

static int
parse(struct hdrs *h, const char *s, struct result *res)
{
	memset(res, 0, sizeof(*res));
	return hdr_parse(h, s, strlen(s), 1, res);
}

static void
assert_value(const struct hdrs *h, size_t i, const char *want)
{
	struct result	 res;
	char		*v;

	memset(&res, 0, sizeof(res));
	v = hdr_value(h, &h->f[i], &res);
	assert_non_null(v);
	assert_string_equal(v, want);
	free(v);
}

static void
assert_field(const struct hdrs *h, size_t i, const char *text)
{
	assert_true(i < h->n);
	assert_int_equal(h->f[i].len, strlen(text));
	assert_memory_equal(h->buf + h->f[i].off, text, strlen(text));
}

static void
test_simple_lf(void **state)
{
	const char	*m = "From: a@b\nTo: c@d\nSubject: hi\n\nbody\n";
	struct hdrs	 h;
	struct result	 res;

	(void)state;
	assert_int_equal(parse(&h, m, &res), 0);
	assert_int_equal(h.n, 3);
	assert_true(h.has_blank);
	assert_int_equal(h.body_off, strlen(m) - 5);
	assert_field(&h, 1, "To: c@d\n");
	assert_int_equal(h.f[2].namelen, 7);
	assert_true(hdr_is(&h, &h.f[2], "subject"));
	assert_false(hdr_is(&h, &h.f[1], "T"));
	assert_false(hdr_is(&h, &h.f[1], "To-X"));
	assert_value(&h, 2, "hi");
	hdr_free(&h);
}

static void
test_crlf_folding(void **state)
{
	const char	*m = "To: a@b,\r\n\tc@d,\r\n  e@f\r\nX: y\r\n\r\nbody";
	struct hdrs	 h;
	struct result	 res;

	(void)state;
	assert_int_equal(parse(&h, m, &res), 0);
	assert_int_equal(h.n, 2);
	assert_field(&h, 0, "To: a@b,\r\n\tc@d,\r\n  e@f\r\n");
	assert_value(&h, 0, "a@b,\tc@d,  e@f");
	assert_int_equal(h.body_off, strlen(m) - 4);
	hdr_free(&h);
}

static void
test_no_blank_line(void **state)
{
	const char	*m = "To: a@b\nSubject: x\nhello world\nmore\n";
	struct hdrs	 h;
	struct result	 res;

	(void)state;
	assert_int_equal(parse(&h, m, &res), 0);
	assert_int_equal(h.n, 2);
	assert_false(h.has_blank);
	assert_int_equal(h.body_off, strlen("To: a@b\nSubject: x\n"));
	hdr_free(&h);
}

static void
test_header_only_no_eol(void **state)
{
	const char	*m = "To: a@b\nSubject: x";
	struct hdrs	 h;
	struct result	 res;

	(void)state;
	assert_int_equal(parse(&h, m, &res), 0);
	assert_int_equal(h.n, 2);
	assert_false(h.has_blank);
	assert_int_equal(h.body_off, strlen(m));
	assert_field(&h, 1, "Subject: x");
	assert_value(&h, 1, "x");
	hdr_free(&h);
}

/* An mbox "From " line is not a field: the body starts at once. */
static void
test_mbox_from_line(void **state)
{
	const char	*m = "From root Mon Jan 1\nTo: a@b\n\nx\n";
	struct hdrs	 h;
	struct result	 res;

	(void)state;
	assert_int_equal(parse(&h, m, &res), 0);
	assert_int_equal(h.n, 0);
	assert_int_equal(h.body_off, 0);
	hdr_free(&h);
}

static void
test_odd_first_lines(void **state)
{
	struct hdrs	 h;
	struct result	 res;

	(void)state;
	/* A continuation with nothing to continue. */
	assert_int_equal(parse(&h, " To: a@b\n\nx", &res), 0);
	assert_int_equal(h.n, 0);
	assert_int_equal(h.body_off, 0);
	hdr_free(&h);
	/* An empty field name. */
	assert_int_equal(parse(&h, ": x\n\n", &res), 0);
	assert_int_equal(h.n, 0);
	hdr_free(&h);
	/* A blank first line: no fields, the separator only. */
	assert_int_equal(parse(&h, "\r\nbody", &res), 0);
	assert_int_equal(h.n, 0);
	assert_true(h.has_blank);
	assert_int_equal(h.body_off, 2);
	hdr_free(&h);
	/* Empty input. */
	assert_int_equal(parse(&h, "", &res), 0);
	assert_int_equal(h.n, 0);
	assert_int_equal(h.body_off, 0);
	hdr_free(&h);
}

/* RFC 5322 A.6.3: white space before ':', a white-space-only line. */
static void
test_obsolete_whitespace(void **state)
{
	const char	*m =
	    "From  : John Doe <jdoe@machine(comment).  example>\n"
	    "To    : Mary Smith\n  \n          <mary@example.net>\n\nHi\n";
	struct hdrs	 h;
	struct result	 res;

	(void)state;
	assert_int_equal(parse(&h, m, &res), 0);
	assert_int_equal(h.n, 2);
	assert_int_equal(h.f[0].namelen, 4);
	assert_true(hdr_is(&h, &h.f[0], "from"));
	assert_true(hdr_is(&h, &h.f[1], "TO"));
	assert_value(&h, 1, "Mary Smith            <mary@example.net>");
	hdr_free(&h);
}

static void
test_value_trim_and_empty(void **state)
{
	struct hdrs	 h;
	struct result	 res;

	(void)state;
	assert_int_equal(parse(&h, "A:   \t x y \t \r\nB:\nC:\r\n \r\n\n",
	    &res), 0);
	assert_int_equal(h.n, 3);
	assert_value(&h, 0, "x y");
	assert_value(&h, 1, "");
	assert_value(&h, 2, "");
	hdr_free(&h);
}

static void
test_nul_refused(void **state)
{
	const char	 m1[] = "To: a\0b@c\n\nbody";
	const char	 m2[] = "To: a@b\n\0Subject: x\n\n";
	const char	 m3[] = "To: a@b\n\nbo\0dy";
	struct hdrs	 h;
	struct result	 res;

	(void)state;
	memset(&res, 0, sizeof(res));
	assert_int_equal(hdr_parse(&h, m1, sizeof(m1) - 1, 1, &res), -1);
	assert_int_equal(res.exitcode, EX_DATAERR);
	assert_non_null(strstr(res.msg, "NUL"));
	assert_null(h.f);
	memset(&res, 0, sizeof(res));
	assert_int_equal(hdr_parse(&h, m2, sizeof(m2) - 1, 1, &res), -1);
	assert_int_equal(res.exitcode, EX_DATAERR);
	/* NUL in the body is not the header's business. */
	memset(&res, 0, sizeof(res));
	assert_int_equal(hdr_parse(&h, m3, sizeof(m3) - 1, 1, &res), 0);
	assert_int_equal(h.n, 1);
	hdr_free(&h);
}

/* buf is not the whole message and the header does not end in it. */
static void
test_not_at_eof(void **state)
{
	struct hdrs	 h;
	struct result	 res;
	const char	*m = "To: a@b\nSubject: x\n";

	(void)state;
	memset(&res, 0, sizeof(res));
	assert_int_equal(hdr_parse(&h, m, strlen(m), 0, &res), -1);
	assert_int_equal(res.exitcode, EX_DATAERR);
	assert_non_null(strstr(res.msg, "header section larger than"));
	memset(&res, 0, sizeof(res));
	assert_int_equal(hdr_parse(&h, m, strlen(m) - 3, 0, &res), -1);
	assert_int_equal(res.exitcode, EX_DATAERR);
	/* Ending within buf is fine, and so is an unfinished body line. */
	memset(&res, 0, sizeof(res));
	assert_int_equal(hdr_parse(&h, "To: a@b\n\nbo", 11, 0, &res), 0);
	assert_int_equal(h.body_off, 9);
	hdr_free(&h);
}

static void
test_section_max(void **state)
{
	struct hdrs	 h;
	struct result	 res;
	size_t		 len = HDR_SECTION_MAX + 100, i;
	char		*m;

	(void)state;
	m = malloc(len);
	assert_non_null(m);
	memcpy(m, "X-Big: ", 7);
	for (i = 7; i < len; i++)
		m[i] = (i % 70 == 0) ? '\n' : (i % 70 == 1) ? ' ' : 'a';
	memset(&res, 0, sizeof(res));
	assert_int_equal(hdr_parse(&h, m, len, 1, &res), -1);
	assert_int_equal(res.exitcode, EX_DATAERR);
	assert_non_null(strstr(res.msg, "header section larger than"));
	/* The same header, ended in time, is fine. */
	memcpy(m + HDR_SECTION_MAX - 71, "\n\n", 2);
	memset(&res, 0, sizeof(res));
	assert_int_equal(hdr_parse(&h, m, len, 1, &res), 0);
	assert_int_equal(h.n, 1);
	assert_true(h.has_blank);
	hdr_free(&h);
	free(m);
}

static void
test_fields_max(void **state)
{
	struct hdrs	 h;
	struct result	 res;
	size_t		 n = HDR_FIELDS_MAX + 1, i;
	char		*m;

	(void)state;
	m = malloc(n * 4 + 1);
	assert_non_null(m);
	for (i = 0; i < n; i++)
		memcpy(m + i * 4, "X:\r\n", 4);
	memset(&res, 0, sizeof(res));
	assert_int_equal(hdr_parse(&h, m, n * 4, 1, &res), -1);
	assert_int_equal(res.exitcode, EX_DATAERR);
	assert_non_null(strstr(res.msg, "header fields"));
	memset(&res, 0, sizeof(res));
	assert_int_equal(hdr_parse(&h, m, (n - 1) * 4, 1, &res), 0);
	assert_int_equal(h.n, HDR_FIELDS_MAX);
	hdr_free(&h);
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_lf),
		cmocka_unit_test(test_crlf_folding),
		cmocka_unit_test(test_no_blank_line),
		cmocka_unit_test(test_header_only_no_eol),
		cmocka_unit_test(test_mbox_from_line),
		cmocka_unit_test(test_odd_first_lines),
		cmocka_unit_test(test_obsolete_whitespace),
		cmocka_unit_test(test_value_trim_and_empty),
		cmocka_unit_test(test_nul_refused),
		cmocka_unit_test(test_not_at_eof),
		cmocka_unit_test(test_section_max),
		cmocka_unit_test(test_fields_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
