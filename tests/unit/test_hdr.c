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

/* A leading mbox "From " line is skipped: the fields start after it. */
static void
test_mbox_from_line(void **state)
{
	const char	*m = "From root Mon Jan 1\nTo: a@b\n\nFrom x\n";
	struct hdrs	 h;
	struct result	 res;

	(void)state;
	assert_int_equal(parse(&h, m, &res), 0);
	assert_int_equal(h.start, 20);
	assert_int_equal(h.n, 1);
	assert_field(&h, 0, "To: a@b\n");
	assert_int_equal(h.body_off, 29);
	hdr_free(&h);
	/* Only the very first line; CRLF; no LF at the end of the input. */
	assert_int_equal(parse(&h, "From a\r\nFrom b\r\n\r\n", &res), 0);
	assert_int_equal(h.start, 8);
	assert_int_equal(h.n, 0);
	assert_int_equal(h.body_off, 8);
	hdr_free(&h);
	assert_int_equal(parse(&h, "From a", &res), 0);
	assert_int_equal(h.start, 6);
	assert_int_equal(h.body_off, 6);
	hdr_free(&h);
	/* Not at the end, no LF: we cannot tell, so it is not skipped. */
	memset(&res, 0, sizeof(res));
	assert_int_equal(hdr_parse(&h, "From a\nTo: b\n\n", 6, 0, &res), 0);
	assert_int_equal(h.start, 0);
	assert_int_equal(h.body_off, 0);
	hdr_free(&h);
	/* Fields, not mbox lines: "From:", "From : x", "from x". */
	assert_int_equal(parse(&h, "From : a@b\n\n", &res), 0);
	assert_int_equal(h.start, 0);
	assert_int_equal(h.n, 1);
	hdr_free(&h);
	assert_int_equal(parse(&h, "from a\nTo: b\n\n", &res), 0);
	assert_int_equal(h.start, 0);
	assert_int_equal(h.n, 0);
	assert_int_equal(h.body_off, 0);
	hdr_free(&h);
}

static void
test_has_prefix(void **state)
{
	struct hdrs	 h;
	struct result	 res;

	(void)state;
	assert_int_equal(parse(&h, "Resent-To: a\nRESENT-cc: b\nResent: c\n"
	    "Resent-: d\nTo: e\n\n", &res), 0);
	assert_int_equal(h.n, 5);
	assert_true(hdr_has_prefix(&h, &h.f[0], "Resent-"));
	assert_true(hdr_has_prefix(&h, &h.f[1], "resent-"));
	assert_false(hdr_has_prefix(&h, &h.f[2], "Resent-"));
	assert_true(hdr_has_prefix(&h, &h.f[3], "Resent-"));
	assert_false(hdr_has_prefix(&h, &h.f[4], "Resent-"));
	assert_true(hdr_has_prefix(&h, &h.f[4], ""));
	hdr_free(&h);
}

static void
date_in(const char *tz, time_t t, const char *want)
{
	char	 buf[HDR_DATE_MAX];

	setenv("TZ", tz, 1);
	tzset();
	assert_int_equal(hdr_date(buf, t), 0);
	assert_string_equal(buf, want);
}

/* RFC 5322 section 3.3, local time with its numeric zone. */
static void
test_date(void **state)
{
	char	*old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;

	(void)state;
	/* 2026-11-22 06:14:00 UTC; then 2000-02-29 23:59:59 UTC. */
	date_in("UTC0", 1795328040, "Sun, 22 Nov 2026 06:14:00 +0000");
	date_in("UTC0", 951868799, "Tue, 29 Feb 2000 23:59:59 +0000");
	/* POSIX TZ strings, no tzdata needed: east is '-' in them. */
	date_in("CET-1", 1795328040, "Sun, 22 Nov 2026 07:14:00 +0100");
	date_in("NST+3:30", 1795328040, "Sun, 22 Nov 2026 02:44:00 -0330");
	date_in("NPT-5:45", 951868799, "Wed, 1 Mar 2000 05:44:59 +0545");
	date_in("XYZ+12", 0, "Wed, 31 Dec 1969 12:00:00 -1200");
	if (old != NULL)
		setenv("TZ", old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(old);
}

static void
phrase(const char *name, const char *want)
{
	struct result	 res;
	char		*p;

	memset(&res, 0, sizeof(res));
	p = hdr_phrase(name, strlen(name), &res);
	if (want == NULL) {
		assert_null(p);
		assert_int_equal(res.exitcode, EX_DATAERR);
		return;
	}
	assert_non_null(p);
	assert_string_equal(p, want);
	free(p);
}

static void
test_phrase(void **state)
{
	(void)state;
	phrase("Cron Daemon", "Cron Daemon");
	phrase("O'Brien", "O'Brien");
	phrase("Joe Q. Public", "\"Joe Q. Public\"");
	phrase("(Cron Daemon)", "\"(Cron Daemon)\"");
	phrase("Say \"hi\" \\o/", "\"Say \\\"hi\\\" \\\\o/\"");
	phrase("   ", "\"   \"");
	phrase("tab\there", "tab\there");
	phrase("J\xc3\xb6rg", "=?UTF-8?B?SsO2cmc=?=");
	phrase("a\nb", NULL);
	phrase("a\x7f", NULL);
	phrase("a\rb", NULL);
}

/*
 * Not UTF-8, a long run of continuation bytes (as fuzzing found): the
 * words still take 42 to 45 bytes each, within hdr_phrase's buffer (a
 * word of one byte each overflowed it).
 */
static void
test_phrase_not_utf8(void **state)
{
	struct result	 res;
	char		 name[300], *p, *w;
	size_t		 words = 0;

	(void)state;
	memset(name, 0x8e, sizeof(name));
	memset(&res, 0, sizeof(res));
	p = hdr_phrase(name, sizeof(name), &res);
	assert_non_null(p);
	for (w = p; (w = strstr(w, "=?UTF-8?B?")) != NULL; w++)
		words++;
	assert_int_equal(words, 8);		/* 7 of 42 bytes, then 6 */
	assert_true(strlen(p) <= 8 * 76);
	free(p);
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

static void
assert_line(const char *s, size_t n, int at_eof, size_t want, int complete)
{
	int	 c = -1;

	assert_int_equal(hdr_line(s, n, at_eof, &c), want);
	assert_int_equal(c, complete);
}

/* LF, CRLF and a bare CR end a line; a CR at the end may be half a CRLF. */
static void
test_line_ends(void **state)
{
	(void)state;
	assert_line("ab\ncd", 5, 0, 3, 1);
	assert_line("ab\r\ncd", 6, 0, 4, 1);
	assert_line("ab\rcd", 5, 0, 3, 1);
	assert_line("ab\r\r\n", 5, 0, 3, 1);
	assert_line("ab\r", 3, 0, 3, 0);
	assert_line("ab\r", 3, 1, 3, 1);
	assert_line("ab", 2, 0, 2, 0);
	assert_line("ab", 2, 1, 2, 1);
	assert_line("\n", 1, 0, 1, 1);
}

/* A message with bare CR line ends reads as the wire will show it. */
static void
test_bare_cr(void **state)
{
	const char	*m = "From: a@b\rTo: c@d,\r e@f\r\rBcc: body\r";
	struct hdrs	 h;
	struct result	 res;

	(void)state;
	assert_int_equal(parse(&h, m, &res), 0);
	assert_int_equal(h.n, 2);
	assert_field(&h, 1, "To: c@d,\r e@f\r");
	assert_value(&h, 1, "c@d, e@f");
	assert_true(h.has_blank);
	assert_int_equal(h.body_off, 25);
	hdr_free(&h);
	/* A field hidden behind a bare CR is a field of its own. */
	assert_int_equal(parse(&h, "Subject: x\rBcc: y@z\n\n", &res), 0);
	assert_int_equal(h.n, 2);
	assert_true(hdr_is(&h, &h.f[1], "Bcc"));
	assert_value(&h, 0, "x");
	hdr_free(&h);
	/* A bare CR ends a body line too: "x" has no colon. */
	assert_int_equal(parse(&h, "A: b\rx\r: c\n", &res), 0);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.body_off, 5);
	hdr_free(&h);
	/* The mbox line. */
	assert_int_equal(parse(&h, "From a\rTo: b\r\r", &res), 0);
	assert_int_equal(h.start, 7);
	assert_int_equal(h.n, 1);
	hdr_free(&h);
}

/* A CR as the last byte of buf, the message going on: cannot tell. */
static void
test_cr_at_end_of_buf(void **state)
{
	struct hdrs	 h;
	struct result	 res;

	(void)state;
	memset(&res, 0, sizeof(res));
	assert_int_equal(hdr_parse(&h, "To: a\n\r", 7, 0, &res), -1);
	assert_int_equal(res.exitcode, EX_DATAERR);
	memset(&res, 0, sizeof(res));
	assert_int_equal(hdr_parse(&h, "To: a\n\r", 7, 1, &res), 0);
	assert_int_equal(h.body_off, 7);
	hdr_free(&h);
	memset(&res, 0, sizeof(res));
	assert_int_equal(hdr_parse(&h, "To: a\n\r\nb", 9, 0, &res), 0);
	assert_int_equal(h.body_off, 8);
	hdr_free(&h);
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
		cmocka_unit_test(test_has_prefix),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_phrase),
		cmocka_unit_test(test_phrase_not_utf8),
		cmocka_unit_test(test_odd_first_lines),
		cmocka_unit_test(test_obsolete_whitespace),
		cmocka_unit_test(test_value_trim_and_empty),
		cmocka_unit_test(test_nul_refused),
		cmocka_unit_test(test_not_at_eof),
		cmocka_unit_test(test_section_max),
		cmocka_unit_test(test_fields_max),
		cmocka_unit_test(test_line_ends),
		cmocka_unit_test(test_bare_cr),
		cmocka_unit_test(test_cr_at_end_of_buf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
