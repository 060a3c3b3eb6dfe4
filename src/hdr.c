/*
 * hdr.c - index the RFC 5322 header section (section 2.2) and unfold
 * field values (section 2.2.3).  No I/O; all input is untrusted.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hdr.h"
#include "result.h"
#include "util.h"

#define HDR_GROW	64	/* fields added to the index at a time */

enum line_kind {
	L_FIELD,		/* "name: value" */
	L_CONT,			/* folded continuation of the previous field */
	L_BLANK,		/* the separator; belongs to the header */
	L_BODY,			/* neither: the body starts here */
	L_MORE			/* cannot tell before the end of buf */
};

/* RFC 5322 section 3.6.8: ftext is printable US-ASCII except ':'. */
static int
is_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Classify the line p[0 .. n), n > 0, which ends in LF unless it is the
 * last one in buf.  For a field, *namelen and *valoff (relative to p)
 * are set.  A NUL where a field name is expected is L_BODY with *nul.
 */
static enum line_kind
classify(const char *p, size_t n, int complete, int have_field,
    size_t *namelen, size_t *valoff, int *nul)
{
	size_t	 i, j;

	*nul = 0;
	if (p[0] == '\n' || (n >= 2 && p[0] == '\r' && p[1] == '\n'))
		return L_BLANK;
	if (is_wsp(p[0]))
		return have_field ? L_CONT : L_BODY;
	for (i = 0; i < n && is_ftext((unsigned char)p[i]); i++)
		;
	/* Section 4.5 (obsolete syntax): white space may precede ':'. */
	for (j = i; j < n && is_wsp(p[j]); j++)
		;
	if (j == n)
		return complete ? L_BODY : L_MORE;
	if (p[j] == '\0') {
		*nul = 1;
		return L_BODY;
	}
	if (i == 0 || p[j] != ':')
		return L_BODY;
	*namelen = i;
	*valoff = j + 1;
	return L_FIELD;
}

static int
add_field(struct hdrs *h, size_t off, size_t namelen, size_t valoff,
    struct result *res)
{
	struct hdr_field *f;

	if (h->n == HDR_FIELDS_MAX)
		return result_fail(res, EX_DATAERR,
		    "more than %d header fields", HDR_FIELDS_MAX);
	if (h->n % HDR_GROW == 0) {
		f = xreallocarray(h->f, h->n + HDR_GROW, sizeof(*f), res);
		if (f == NULL)
			return -1;
		h->f = f;
	}
	f = &h->f[h->n++];
	f->off = off;
	f->len = 0;
	f->namelen = namelen;
	f->valoff = off + valoff;
	return 0;
}

static int
too_large(size_t n, struct result *res)
{
	return result_fail(res, EX_DATAERR,
	    "header section larger than %zu bytes", n);
}

/* One line of the header section at pos; *pos moves past it. */
static int
one_line(struct hdrs *h, size_t *pos, size_t len, int at_eof, int *done,
    struct result *res)
{
	const char	*p = h->buf + *pos, *lf;
	size_t		 n, namelen = 0, valoff = 0;
	int		 nul;
	enum line_kind	 kind;

	lf = memchr(p, '\n', len - *pos);
	n = lf != NULL ? (size_t)(lf - p) + 1 : len - *pos;
	kind = classify(p, n, lf != NULL || at_eof, h->n > 0, &namelen,
	    &valoff, &nul);
	if (nul)
		return result_fail(res, EX_DATAERR,
		    "NUL byte in the header section");
	if (kind == L_MORE || ((kind == L_FIELD || kind == L_CONT) &&
	    lf == NULL && !at_eof))
		return too_large(len, res);
	if (kind == L_BODY) {
		*done = 1;
		return 0;
	}
	if (*pos + n > HDR_SECTION_MAX)
		return too_large(HDR_SECTION_MAX, res);
	if (kind != L_BLANK && memchr(p, '\0', n) != NULL)
		return result_fail(res, EX_DATAERR,
		    "NUL byte in the header section");
	if (kind == L_FIELD && add_field(h, *pos, namelen, valoff, res) == -1)
		return -1;
	*pos += n;
	if (kind == L_BLANK) {
		h->has_blank = 1;
		*done = 1;
	} else
		h->f[h->n - 1].len += n;
	return 0;
}

int
hdr_parse(struct hdrs *h, const char *buf, size_t len, int at_eof,
    struct result *res)
{
	size_t	 pos = 0;
	int	 done = 0;

	memset(h, 0, sizeof(*h));
	h->buf = buf;
	while (!done && pos < len) {
		if (one_line(h, &pos, len, at_eof, &done, res) == -1) {
			hdr_free(h);
			return -1;
		}
	}
	/* buf ended on a line boundary but the message goes on. */
	if (!done && !at_eof) {
		hdr_free(h);
		return too_large(len, res);
	}
	h->body_off = pos;
	return 0;
}

int
hdr_is(const struct hdrs *h, const struct hdr_field *f, const char *name)
{
	size_t	 n = strlen(name);

	return f->namelen == n && strncasecmp(h->buf + f->off, name, n) == 0;
}

char *
hdr_value(const struct hdrs *h, const struct hdr_field *f,
    struct result *res)
{
	const char	*p = h->buf + f->valoff, *e = h->buf + f->off + f->len;
	char		*v;
	size_t		 n = 0, s = 0;

	if ((v = xmalloc((size_t)(e - p) + 1, res)) == NULL)
		return NULL;
	/* Unfolding (section 2.2.3): drop the CRLF (or LF) of each line. */
	for (; p < e; p++) {
		if (*p == '\n' || (*p == '\r' && (p + 1 == e || p[1] == '\n')))
			continue;
		v[n++] = *p;
	}
	while (n > 0 && is_wsp(v[n - 1]))
		n--;
	while (s < n && is_wsp(v[s]))
		s++;
	memmove(v, v + s, n - s);
	v[n - s] = '\0';
	return v;
}

void
hdr_free(struct hdrs *h)
{
	free(h->f);
	h->f = NULL;
	h->n = 0;
}
