/*
 * fuzz_hdr.c - hdr_parse (hdr.h) over a message, with at_eof 1 and 0,
 * hdr_value on every field, and hdr_phrase on every value.
 *
 * Checks: the fields are contiguous from start (after an mbox "From "
 * line), each a name of ftext bytes, ':' at valoff - 1, no NUL, ending
 * in a line end (LF, CRLF or a bare CR); the body starts after the last
 * field (and the blank line, if any); hdr_is and hdr_has_prefix know
 * each field by its name; a success with at_eof 0 gives the same index
 * as at_eof 1; values are unfolded (no CR or LF) and trimmed.  A phrase
 * is quoted so that "phrase <a@b>" is one mailbox with that display name
 * and address a@b (addr_mailbox_parse), and encoded-words are at most 75
 * bytes, decode to the name and, for a UTF-8 name, never split a
 * character.
 */
#include <sysexits.h>

#include "addr.h"
#include "fuzz.h"
#include "hdr.h"
#include "result.h"

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* LF, CRLF and a bare CR all end a line (hdr.h). */
static int
is_eol(char c)
{
	return c == '\n' || c == '\r';
}

/* Does the first line of buf end within it (at_eof 0)? */
static int
first_line_complete(const char *buf, size_t size)
{
	size_t	 i;

	for (i = 0; i < size && !is_eol(buf[i]); i++)
		;
	return i < size && (buf[i] == '\n' || i + 1 < size);
}

/* Decode base64 s (n bytes, padded) into out; returns the length. */
static size_t
b64_decode(const char *s, size_t n, char *out)
{
	ssize_t	 o = fuzz_b64_decode(s, n, out);

	fuzz_check(o >= 0, "base64 (RFC 4648 4)");
	return (size_t)o;
}

/* Is s[0..n) well-formed UTF-8 (RFC 3629)? */
static int
utf8_ok(const unsigned char *s, size_t n)
{
	size_t	 i = 0, k, len;
	unsigned long cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			len = 2;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			len = 3;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			len = 4;
		else
			return 0;
		if (i + len > n)
			return 0;
		cp = s[i] & (0x7f >> len);
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		i += len;
	}
	return 1;
}

/* Encoded-words (RFC 2047): each <= 75 bytes, together the name. */
static void
check_ewords(const char *ph, const char *name, size_t len)
{
	char	*dec = malloc(strlen(ph) + 1);
	const char *w = ph, *e;
	size_t	 o = 0, n, wn;
	int	 utf8 = utf8_ok((const unsigned char *)name, len);

	fuzz_check(dec != NULL, "out of memory");
	for (;;) {
		fuzz_check(strncmp(w, "=?UTF-8?B?", 10) == 0,
		    "encoded-word start");
		e = strstr(w + 10, "?=");
		fuzz_check(e != NULL, "encoded-word end");
		fuzz_check(e + 2 - w <= 75, "encoded-word at most 75 bytes");
		wn = b64_decode(w + 10, (size_t)(e - w - 10), dec + o);
		fuzz_check(!utf8 || utf8_ok((unsigned char *)dec + o, wn),
		    "encoded-word splits a UTF-8 character");
		o += wn;
		if (e[2] == '\0')
			break;
		fuzz_check(e[2] == ' ', "encoded-words separated by a space");
		w = e + 3;
	}
	n = o;
	fuzz_check(n == len && memcmp(dec, name, len) == 0,
	    "encoded-words decode to the name");
	free(dec);
}

/* "phrase <a@b>" must be one mailbox with that name. */
static void
check_phrase(const char *name, size_t len)
{
	struct addr_mailbox mb;
	struct result	 res;
	char		*ph, *field;
	size_t		 plen, k;

	memset(&res, 0, sizeof(res));
	if ((ph = hdr_phrase(name, len, &res)) == NULL) {
		fuzz_check(res.exitcode == EX_DATAERR, "phrase error");
		return;
	}
	plen = strlen(ph);
	for (k = 0; k < len; k++)
		if ((unsigned char)name[k] >= 0x80)
			break;
	if (k < len)
		check_ewords(ph, name, len);
	fuzz_check((field = malloc(plen + 8)) != NULL, "out of memory");
	memcpy(field, ph, plen);
	memcpy(field + plen, " <a@b>", 6);
	memset(&mb, 0, sizeof(mb));
	if (addr_mailbox_parse(field, plen + 6, &mb, &res) != 0) {
		fprintf(stderr, "fuzz: phrase [%s]: %s\n", ph, res.msg);
		fuzz_check(0, "a phrase makes a mailbox");
	}
	fuzz_check(strcmp(mb.addr, "a@b") == 0, "phrase keeps the address");
	fuzz_check(mb.name_len == plen && mb.name_off == 0 &&
	    memcmp(field, ph, plen) == 0, "phrase is the display name");
	free(field);
	free(ph);
}

static void
check_field(const struct hdrs *h, size_t i, size_t size, int at_eof)
{
	const struct hdr_field *f = &h->f[i];
	struct result	 res;
	char		*name, *v;
	size_t		 k, n;

	fuzz_check(f->off == (i == 0 ? h->start : h->f[i - 1].off +
	    h->f[i - 1].len), "fields are contiguous");
	fuzz_check(f->len > 0 && f->off + f->len <= size, "field in buf");
	fuzz_check(f->namelen > 0 && f->off + f->namelen < f->valoff &&
	    f->valoff <= f->off + f->len && h->buf[f->valoff - 1] == ':',
	    "name, then ':'");
	for (k = 0; k < f->namelen; k++)
		fuzz_check(h->buf[f->off + k] > 32 && h->buf[f->off + k] < 127 &&
		    h->buf[f->off + k] != ':', "name is ftext");
	for (k = f->off + f->namelen; k < f->valoff - 1; k++)
		fuzz_check(is_wsp(h->buf[k]), "only white space before ':'");
	fuzz_check(memchr(h->buf + f->off, '\0', f->len) == NULL,
	    "no NUL in a field");
	if (!at_eof || i + 1 < h->n)
		fuzz_check(is_eol(h->buf[f->off + f->len - 1]),
		    "a field ends in a line end");
	name = fuzz_strndup(h->buf + f->off, f->namelen);
	fuzz_check(hdr_is(h, f, name) && hdr_has_prefix(h, f, name),
	    "hdr_is knows the field's name");
	free(name);

	memset(&res, 0, sizeof(res));
	v = hdr_value(h, f, &res);
	fuzz_check(v != NULL, "hdr_value");
	n = strlen(v);
	fuzz_check(memchr(v, '\n', n) == NULL && memchr(v, '\r', n) == NULL,
	    "value unfolded");
	fuzz_check(n == 0 || (!is_wsp(v[0]) && !is_wsp(v[n - 1])),
	    "value trimmed");
	check_phrase(v, n);
	free(v);
}

static void
check_hdrs(const struct hdrs *h, const char *buf, size_t size, int at_eof)
{
	size_t	 i, end;

	fuzz_check(h->buf == buf, "buf kept");
	fuzz_check(h->start <= h->body_off && h->body_off <= size,
	    "start <= body_off <= size");
	fuzz_check(h->start == 0 || (size >= 5 && memcmp(buf, "From ", 5) == 0),
	    "only an mbox line is skipped");
	for (i = 0; i < h->n; i++)
		check_field(h, i, size, at_eof);
	end = h->n > 0 ? h->f[h->n - 1].off + h->f[h->n - 1].len : h->start;
	fuzz_check(end <= h->body_off, "body after the fields");
	if (h->has_blank)
		fuzz_check((h->body_off - end == 1 && is_eol(buf[end])) ||
		    (h->body_off - end == 2 && buf[end] == '\r' &&
		    buf[end + 1] == '\n'), "the blank line ends the section");
	else
		fuzz_check(end == h->body_off, "no gap without a blank line");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*buf = (const char *)data;
	struct hdrs	 h1, h0;
	struct result	 res;
	int		 rc1, rc0;

	memset(&res, 0, sizeof(res));
	rc1 = hdr_parse(&h1, buf, size, 1, &res);
	fuzz_check(rc1 == 0 || (rc1 == -1 && res.exitcode == EX_DATAERR &&
	    h1.f == NULL), "at_eof 1: 0, or EX_DATAERR with nothing to free");
	if (rc1 == 0)
		check_hdrs(&h1, buf, size, 1);

	memset(&res, 0, sizeof(res));
	rc0 = hdr_parse(&h0, buf, size, 0, &res);
	fuzz_check(rc0 == 0 || (rc0 == -1 && res.exitcode == EX_DATAERR &&
	    h0.f == NULL), "at_eof 0: 0, or EX_DATAERR with nothing to free");
	if (rc0 == 0) {
		check_hdrs(&h0, buf, size, 0);
		/* A first line "From x" cut short: the mbox line or not? */
		if (!(size >= 5 && memcmp(buf, "From ", 5) == 0 &&
		    !first_line_complete(buf, size))) {
			fuzz_check(rc1 == 0 && h1.n == h0.n &&
			    h1.body_off == h0.body_off && h1.start == h0.start &&
			    h1.has_blank == h0.has_blank,
			    "at_eof 0 and 1 agree");
			fuzz_check(h0.n == 0 || memcmp(h0.f, h1.f,
			    h0.n * sizeof(*h0.f)) == 0, "same fields");
		}
		hdr_free(&h0);
	}
	if (rc1 == 0)
		hdr_free(&h1);
	return 0;
}
