/*
 * test_msg.c - what the spool notes while reading (msg.h): 8-bit bytes
 * and lines over MSG_LINE_MAX, the same whatever the chunks, in memory,
 * spilled to the temp file, or read in place from a regular file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "msg.h"
#include "result.h"

/* Spool n bytes of s in chunks of at most chunk bytes. */
static void
spool(struct msg *m, const char *s, size_t n, size_t chunk)
{
	struct result	 res;
	size_t		 i, k;

	memset(&res, 0, sizeof(res));
	assert_int_equal(msg_begin(m, &res), 0);
	for (i = 0; i < n; i += k) {
		k = n - i < chunk ? n - i : chunk;
		assert_int_equal(msg_append(m, s + i, k, &res), 0);
	}
	assert_int_equal(msg_end(m, &res), 0);
	assert_int_equal(m->size, (off_t)n);
}

static void
assert_line(const struct msg_line *l, off_t off, size_t no, size_t len)
{
	assert_int_equal(l->off, off);
	assert_int_equal(l->no, no);
	assert_int_equal(l->len, len);
}

/* "a", then lines of 998 and 999 octets, then "z" without a line end. */
static size_t
build(char *buf, const char *eol)
{
	size_t	 n = 0, e = strlen(eol);

	memcpy(buf, "a", 1);
	n = 1;
	memcpy(buf + n, eol, e);
	n += e;
	memset(buf + n, 'x', 998);
	n += 998;
	memcpy(buf + n, eol, e);
	n += e;
	memset(buf + n, 'y', 999);
	n += 999;
	memcpy(buf + n, eol, e);
	n += e;
	buf[n++] = 'z';
	return n;
}

static void
test_long_lines_any_chunks(void **state)
{
	static const char *const eols[] = { "\n", "\r\n", "\r" };
	char		 buf[2100];
	struct msg	 m;
	struct msg_line	 l;
	size_t		 n, chunk, i, e;

	(void)state;
	for (i = 0; i < 3; i++) {
		n = build(buf, eols[i]);
		e = strlen(eols[i]);
		for (chunk = 1; chunk <= n; chunk += chunk < 40 ? 1 : 97) {
			spool(&m, buf, n, chunk);
			assert_int_equal(m.longest, 999);
			assert_line(&m.long_first, (off_t)(1 + 2 * e + 998), 3,
			    999);
			assert_line(&m.long_last, (off_t)(1 + 2 * e + 998), 3,
			    999);
			assert_int_equal(m.cur.no, 5);	/* "z" was line 4 */
			assert_false(m.eightbit);
			assert_true(msg_long_line(&m, 2, &l));
			assert_int_equal(l.no, 3);
			assert_false(msg_long_line(&m, m.long_last.off + 1,
			    &l));
			msg_free(&m);
		}
	}
}

/* The figures scan() keeps, the slow way: one byte at a time. */
struct ref {
	off_t		 eightbit_end;
	size_t		 longest, lines;
	struct msg_line	 first, last, cur;
};

static void
ref_end_line(struct ref *r)
{
	if (r->cur.len > r->longest)
		r->longest = r->cur.len;
	if (r->cur.len > MSG_LINE_MAX) {
		if (r->first.len == 0)
			r->first = r->cur;
		r->last = r->cur;
	}
	r->cur.no++;
	r->cur.len = 0;
}

static void
reference(const char *p, size_t n, struct ref *r)
{
	size_t	 i;
	int	 cr = 0;

	memset(r, 0, sizeof(*r));
	r->cur.no = 1;
	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] >= 0x80)
			r->eightbit_end = (off_t)i + 1;
		if (p[i] == '\n' && cr) {
			cr = 0;
			r->cur.off = (off_t)i + 1;
			continue;
		}
		cr = p[i] == '\r';
		if (p[i] == '\r' || p[i] == '\n') {
			ref_end_line(r);
			r->cur.off = (off_t)i + 1;
		} else
			r->cur.len++;
	}
	if (r->cur.len > 0)
		ref_end_line(r);
}

/* Random input, random chunks: the same figures as the byte loop. */
static void
test_property_scan(void **state)
{
	static const char alphabet[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\xe9\0";
	static char	 in[3000];
	struct msg	 m;
	struct ref	 r;
	size_t		 n, i;
	unsigned	 seed = 4242;
	int		 iter;

	(void)state;
	for (iter = 0; iter < 3000; iter++) {
		n = (size_t)(rand_r(&seed) % sizeof(in));
		for (i = 0; i < n; i++)
			in[i] = alphabet[rand_r(&seed) %
			    (sizeof(alphabet) - 1)];
		if (iter % 3 == 0)	/* long lines, long 7-bit runs too */
			for (i = 0; i < n; i++)
				if ((unsigned char)in[i] >= 0x80 ||
				    ((in[i] == '\r' || in[i] == '\n') &&
				    rand_r(&seed) % 20 != 0))
					in[i] = 'b';
		reference(in, n, &r);
		spool(&m, in, n, 1 + (size_t)(rand_r(&seed) % 1500));
		assert_int_equal(m.eightbit, r.eightbit_end > 0);
		assert_int_equal(m.eightbit_end, r.eightbit_end);
		assert_int_equal(m.longest, r.longest);
		assert_line(&m.long_first, r.first.off, r.first.no,
		    r.first.len);
		assert_line(&m.long_last, r.last.off, r.last.no, r.last.len);
		assert_int_equal(m.cur.no, r.cur.no);
		msg_free(&m);
	}
}

static void
test_exactly_998_is_not_long(void **state)
{
	char		 buf[1000];
	struct msg	 m;
	struct msg_line	 l;

	(void)state;
	memset(buf, 'x', 998);
	buf[998] = '\n';
	spool(&m, buf, 999, 64);
	assert_int_equal(m.longest, 998);
	assert_int_equal(m.long_last.len, 0);
	assert_false(msg_long_line(&m, 0, &l));
	msg_free(&m);
	/* The same line without its line end, and then one more octet. */
	spool(&m, buf, 998, 7);
	assert_int_equal(m.longest, 998);
	assert_false(msg_long_line(&m, 0, &l));
	msg_free(&m);
	buf[998] = 'x';
	spool(&m, buf, 999, 7);
	assert_true(msg_long_line(&m, 0, &l));
	assert_line(&l, 0, 1, 999);
	msg_free(&m);
}

/* Which line is named: the first in the body, else the last. */
static void
test_long_line_in_header_and_body(void **state)
{
	char		 buf[4000];
	struct msg	 m;
	struct msg_line	 l;
	size_t		 n = 0;

	(void)state;
	memcpy(buf, "X: ", 3);
	memset(buf + 3, 'h', 1200);
	n = 1203;
	memcpy(buf + n, "\n\nbody\n", 7);
	n += 7;
	memset(buf + n, 'b', 1000);
	n += 1000;
	memcpy(buf + n, "\n", 1);
	n += 1;
	memset(buf + n, 'c', 1100);
	n += 1100;
	spool(&m, buf, n, 4096);
	assert_line(&m.long_first, 0, 1, 1203);
	assert_line(&m.long_last, 1210 + 1001, 5, 1100);
	assert_int_equal(m.longest, 1203);
	assert_true(msg_long_line(&m, 1205, &l));	/* the body */
	assert_line(&l, 1210 + 1001, 5, 1100);		/* the last one */
	assert_true(msg_long_line(&m, 0, &l));
	assert_line(&l, 0, 1, 1203);			/* the first one */
	msg_free(&m);
}

static void
test_eightbit_where(void **state)
{
	const char	 s[] = "Subject: caf\xc3\xa9\n\nplain body\n";
	struct msg	 m;

	(void)state;
	spool(&m, s, sizeof(s) - 1, 3);
	assert_true(m.eightbit);
	assert_int_equal(m.eightbit_end, 14);	/* just after the \xa9 */
	assert_true(msg_eightbit_from(&m, 13));
	assert_false(msg_eightbit_from(&m, 14));
	assert_false(msg_eightbit_from(&m, 16));	/* the body */
	msg_free(&m);
	spool(&m, "a\n\n\0\x80", 5, 1);
	assert_int_equal(m.eightbit_end, 5);
	assert_true(msg_eightbit_from(&m, 3));
	msg_free(&m);
}

/* Past MSG_MEM_MAX the spool is a file; offsets go on counting. */
static void
test_spilled(void **state)
{
	size_t		 n = MSG_MEM_MAX + 5000;
	char		*buf = malloc(n);
	struct msg	 m;
	struct msg_line	 l;
	size_t		 i;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < n; i++)
		buf[i] = i % 80 == 79 ? '\n' : 'a';
	memset(buf + MSG_MEM_MAX + 100, 'L', 2000);
	spool(&m, buf, n, 65536);
	assert_true(m.fd != -1);
	assert_true(msg_long_line(&m, MSG_MEM_MAX, &l));
	assert_true(l.len >= 2000);
	assert_true(l.off <= MSG_MEM_MAX + 100 && l.off > MSG_MEM_MAX);
	assert_int_equal(l.no, (size_t)l.off / 80 + 1);
	msg_free(&m);
	free(buf);
}

/* A regular file on stdin, from its current offset. */
static void
test_in_place(void **state)
{
	char		 path[] = "/tmp/stamp-test-msg-XXXXXX", buf[2100];
	struct result	 res;
	struct msg	 m;
	size_t		 n;
	int		 fd;

	(void)state;
	n = build(buf, "\r\n");
	fd = mkstemp(path);
	assert_true(fd != -1);
	unlink(path);
	assert_int_equal(write(fd, "skip\xff\n", 6), 6);
	assert_int_equal(write(fd, buf, n), (ssize_t)n);
	assert_int_equal(lseek(fd, 6, SEEK_SET), 6);
	memset(&res, 0, sizeof(res));
	assert_int_equal(msg_spool(&m, fd, &res), 0);
	assert_int_equal(m.size, (off_t)n);
	assert_null(m.mem);
	assert_false(m.eightbit);	/* the skipped prefix is not in */
	assert_int_equal(m.longest, 999);
	assert_line(&m.long_last, 1 + 4 + 998, 3, 999);
	msg_free(&m);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_lines_any_chunks),
		cmocka_unit_test(test_property_scan),
		cmocka_unit_test(test_exactly_998_is_not_long),
		cmocka_unit_test(test_long_line_in_header_and_body),
		cmocka_unit_test(test_eightbit_where),
		cmocka_unit_test(test_spilled),
		cmocka_unit_test(test_in_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
