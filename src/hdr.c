/*
 * hdr.c - index the RFC 5322 header section (section 2.2) and unfold
 * field values (section 2.2.3).  No I/O; all input is untrusted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hdr.h"
#include "result.h"
#include "util.h"

#define HDR_GROW	64	/* fields added to the index at a time */
#define EWORD_IN	45	/* bytes per encoded-word: 60 of base64 */
#define EWORD_OUT	73	/* "=?UTF-8?B?" 60 "?=" and a space */

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

size_t
hdr_line(const char *p, size_t n, int at_eof, int *complete)
{
	size_t	 i;

	for (i = 0; i < n && p[i] != '\n' && p[i] != '\r'; i++)
		;
	*complete = 1;
	if (i < n && p[i] == '\n')
		return i + 1;
	if (i + 1 < n)
		return p[i + 1] == '\n' ? i + 2 : i + 1;
	/* No line end, or a CR whose LF may be still to come. */
	*complete = at_eof;
	return n;
}

/*
 * Classify the line p[0 .. n), n > 0, with its line end unless it is the
 * last one in buf.  For a field, *namelen and *valoff (relative to p)
 * are set.  A NUL where a field name is expected is L_BODY with *nul.
 */
static enum line_kind
classify(const char *p, size_t n, int complete, int have_field,
    size_t *namelen, size_t *valoff, int *nul)
{
	size_t	 i, j;

	*nul = 0;
	if (p[0] == '\n' || p[0] == '\r')
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
	const char	*p = h->buf + *pos;
	size_t		 n, namelen = 0, valoff = 0;
	int		 nul, complete;
	enum line_kind	 kind;

	n = hdr_line(p, len - *pos, at_eof, &complete);
	kind = classify(p, n, complete, h->n > 0, &namelen, &valoff, &nul);
	if (nul)
		return result_fail(res, EX_DATAERR,
		    "NUL byte in the header section");
	if (kind == L_MORE || (kind != L_BODY && !complete))
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

/*
 * The length of a leading mbox "From " line (mboxrd's separator, which
 * git format-patch writes too), or 0.  "From : a@b" is a field with the
 * obsolete white space before the ':' (section 4.5), not such a line.
 */
static size_t
mbox_line(const char *buf, size_t len, int at_eof)
{
	size_t	 i, n;
	int	 complete;

	if (len < 5 || memcmp(buf, "From ", 5) != 0)
		return 0;
	for (i = 5; i < len && is_wsp(buf[i]); i++)
		;
	if (i < len && buf[i] == ':')
		return 0;
	n = hdr_line(buf, len, at_eof, &complete);
	return complete ? n : 0;
}

int
hdr_parse(struct hdrs *h, const char *buf, size_t len, int at_eof,
    struct result *res)
{
	size_t	 pos;
	int	 done = 0;

	memset(h, 0, sizeof(*h));
	h->buf = buf;
	pos = h->start = mbox_line(buf, len, at_eof);
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

int
hdr_has_prefix(const struct hdrs *h, const struct hdr_field *f,
    const char *prefix)
{
	size_t	 n = strlen(prefix);

	return f->namelen >= n && strncasecmp(h->buf + f->off, prefix, n) == 0;
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
	/* Unfolding (section 2.2.3): drop the line end of each line. */
	for (; p < e; p++) {
		if (*p == '\n' || *p == '\r')
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

int
hdr_date(char buf[HDR_DATE_MAX], time_t t)
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	struct tm	 tm;
	long		 off, a;
	int		 n;

	if (localtime_r(&t, &tm) == NULL || tm.tm_wday < 0 ||
	    tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11)
		return -1;
	/* Section 3.3: zone = ("+" / "-") 4DIGIT, hours and minutes. */
	off = tm.tm_gmtoff / 60;
	a = off < 0 ? -off : off;
	n = snprintf(buf, HDR_DATE_MAX, "%s, %d %s %04d %02d:%02d:%02d "
	    "%c%02ld%02ld", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    off < 0 ? '-' : '+', a / 60 % 100, a % 60);
	return n < 0 || n >= HDR_DATE_MAX ? -1 : 0;
}

/* 0: atoms as they are; 1: a quoted-string; 2: encoded-words; -1: bad. */
static int
phrase_style(const char *s, size_t len)
{
	size_t		 i;
	unsigned char	 c;
	int		 style = 0, blank = 1;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -1;
		if (!is_wsp((char)c))
			blank = 0;
		/* Section 3.2.3: specials need a quoted-string. */
		if (strchr("()<>[]:;@\\,.\"", c) != NULL && style == 0)
			style = 1;
		/* Without SMTPUTF8 a header must be ASCII: RFC 2047. */
		if (c >= 0x80)
			style = 2;
	}
	return blank && style == 0 ? 1 : style;
}

/*
 * RFC 2047 section 5 (3): "=?UTF-8?B?...?=" words of at most 75 bytes,
 * never splitting a UTF-8 sequence between two words.  A sequence is at
 * most 4 bytes, so a word gives back at most 3: more continuation bytes
 * than that are not UTF-8 anyway, and each word keeps taking at least
 * EWORD_IN - 3 bytes of the name (hdr_phrase's buffer counts on it).
 */
static size_t
put_encoded(char *out, const char *name, size_t len)
{
	char	 word[B64_LEN(EWORD_IN)];
	size_t	 n, o = 0, w;

	while (len > 0) {
		n = len < EWORD_IN ? len : EWORD_IN;
		while (n < len && n > EWORD_IN - 3 &&
		    ((unsigned char)name[n] & 0xc0) == 0x80)
			n--;
		w = b64_encode(name, n, word);
		memcpy(out + o, "=?UTF-8?B?", 10);
		memcpy(out + o + 10, word, w);
		memcpy(out + o + 10 + w, "?=", 2);
		o += 12 + w;
		name += n;
		len -= n;
		if (len > 0)
			out[o++] = ' ';
	}
	return o;
}

char *
hdr_phrase(const char *name, size_t len, struct result *res)
{
	char	*out;
	size_t	 i, o = 0;
	int	 style;

	if ((style = phrase_style(name, len)) == -1) {
		result_fail(res, EX_DATAERR, "control character in a name");
		return NULL;
	}
	/* Each word takes at least EWORD_IN - 3 bytes of the name. */
	if ((out = xmalloc(2 * len + 3 + (len / (EWORD_IN - 3) + 1) *
	    EWORD_OUT, res)) == NULL)
		return NULL;
	if (style == 2)
		o = put_encoded(out, name, len);
	if (style == 1)
		out[o++] = '"';
	for (i = 0; style < 2 && i < len; i++) {
		/* Section 3.2.4: '"' and '\' are quoted-pairs. */
		if (style == 1 && (name[i] == '"' || name[i] == '\\'))
			out[o++] = '\\';
		out[o++] = name[i];
	}
	if (style == 1)
		out[o++] = '"';
	out[o] = '\0';
	return out;
}
