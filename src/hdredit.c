/*
 * hdredit.c - the header section to transmit (hdredit.h): RFC 5322
 * section 3.6 wants a From:, a Date: and (should) a Message-ID:.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "addr.h"
#include "hdr.h"
#include "hdredit.h"
#include "log.h"
#include "result.h"
#include "util.h"

#define MSGID_RANDOM	8	/* random bytes in a Message-ID we add */
#define MSGID_MAX	512	/* "<" stamp.pid.random "@" domain ">" */
#define NAME_SHOWN	64	/* bytes of a field name in a message */

/* The header section being built; a failure sticks (and is in res). */
struct obuf {
	char		*p;
	size_t		 n;
	size_t		 cap;
	int		 failed;
	struct result	*res;
};

static void
put_raw(struct obuf *b, const char *s, size_t len)
{
	char	*np;
	size_t	 cap;

	if (b->failed)
		return;
	if (b->cap - b->n < len) {
		cap = b->cap + (b->cap > len ? b->cap : len) + 256;
		if ((np = xreallocarray(b->p, cap, 1, b->res)) == NULL) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
}

/*
 * Each put is whole lines or text within one.  After a bare CR line end
 * (hdr.h), an LF would make the two one CRLF and lose a line end (the
 * separator, when a Bcc between them is dropped or one is added): the
 * LF's line end goes as CRLF then, which means the same.
 */
static void
put(struct obuf *b, const char *s, size_t len)
{
	if (len > 0 && s[0] == '\n' && b->n > 0 && b->p[b->n - 1] == '\r')
		put_raw(b, "\r", 1);
	put_raw(b, s, len);
}

static void
put_str(struct obuf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* The message's line ending: that of its first line (hdr.h). */
static const char *
msg_eol(const struct hdrs *h, size_t len)
{
	size_t	 n;
	int	 complete;

	n = hdr_line(h->buf, len, 1, &complete);
	if (n >= 2 && h->buf[n - 2] == '\r' && h->buf[n - 1] == '\n')
		return "\r\n";
	return n >= 1 && h->buf[n - 1] == '\r' ? "\r" : "\n";
}

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Where to fold p[start .. end), end being just after the line's last
 * non-white byte: before a white space at or after lo that follows a
 * non-white byte (never leaving a line of white space only, section
 * 4.2), the last such within HDR_LINE_MAX octets of start, else the
 * first after; 0 if none.
 */
static size_t
fold_point(const char *p, size_t start, size_t lo, size_t end)
{
	size_t	 i, cut = 0;

	for (i = start + 1 > lo ? start + 1 : lo; i < end; i++) {
		if (!is_wsp(p[i]) || is_wsp(p[i - 1]))
			continue;
		if (i - start > HDR_LINE_MAX) {
			if (cut == 0)
				cut = i;
			break;
		}
		cut = i;
	}
	return cut;
}

/*
 * A line of len octets, without its line end, folded (section 2.2.3)
 * into lines of at most HDR_LINE_MAX octets where white space at or
 * after lo allows.
 */
static void
put_folded(struct obuf *b, const char *p, size_t len, size_t lo,
    const char *eol)
{
	size_t	 start = 0, end = len, cut;

	while (end > 0 && is_wsp(p[end - 1]))
		end--;
	while (len - start > HDR_LINE_MAX &&
	    (cut = fold_point(p, start, lo, end)) != 0) {
		put(b, p + start, cut - start);
		put_str(b, eol);
		start = cut;
	}
	put(b, p + start, len - start);
}

/*
 * A field as it is, but for its lines over HDR_LINE_MAX: folded, kept
 * or refused, as long_lines says (hdredit.h).
 */
static int
put_field(struct obuf *b, const struct hdrs *h, const struct hdr_field *f,
    const struct hdredit *in, const char *eol)
{
	const char	*p = h->buf + f->off, *end = p + f->len;
	size_t		 n, text, lo;
	int		 complete;

	/* Not before the first word of the value: "Name:" alone is no use. */
	for (lo = f->valoff - f->off; lo < f->len && is_wsp(p[lo]); lo++)
		;
	for (; p < end; p += n, lo = 1) {
		n = hdr_line(p, (size_t)(end - p), 1, &complete);
		for (text = n; text > 0 && (p[text - 1] == '\n' ||
		    p[text - 1] == '\r'); text--)
			;
		if (text <= HDR_LINE_MAX || in->long_lines == LONG_PASS)
			put(b, p, n);
		else if (in->long_lines == LONG_REFUSE)
			return result_fail(b->res, EX_DATAERR, "header field "
			    "%.*s: a line of %zu octets, over the limit of %d "
			    "(long_lines = refuse); nothing sent",
			    (int)(f->namelen < NAME_SHOWN ? f->namelen :
			    NAME_SHOWN), h->buf + f->off, text, HDR_LINE_MAX);
		else {
			put_folded(b, p, text, lo + 1, eol);
			put(b, p + text, n - text);
		}
	}
	return 0;
}

static int
has_field(const struct hdrs *h, const char *name)
{
	size_t	 i;

	for (i = 0; i < h->n; i++)
		if (hdr_is(h, &h->f[i], name))
			return 1;
	return 0;
}

/* -F as a display name, or NULL for none; EX_USAGE if it is unusable. */
static int
fullname_phrase(const char *name, char **out, struct result *res)
{
	struct result	 tmp;

	*out = NULL;
	if (name == NULL || name[0] == '\0')
		return 0;
	if (strlen(name) > HDREDIT_NAME_MAX)
		return result_fail(res, EX_USAGE,
		    "full name -F longer than %d bytes", HDREDIT_NAME_MAX);
	memset(&tmp, 0, sizeof(tmp));
	if ((*out = hdr_phrase(name, strlen(name), &tmp)) != NULL)
		return 0;
	if (tmp.exitcode != EX_DATAERR)
		return result_fail(res, tmp.exitcode, "%s", tmp.msg);
	return result_fail(res, EX_USAGE, "full name -F \"%s\" has a control "
	    "character", name);
}

/*
 * text (len bytes) as a display name, or no name (*out NULL) when it
 * cannot be one; -1 only when out of memory.
 */
static int
text_phrase(const char *text, size_t len, char **out, struct result *res)
{
	struct result	 tmp;

	*out = NULL;
	while (len > 0 && (text[0] == ' ' || text[0] == '\t')) {
		text++;
		len--;
	}
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	memset(&tmp, 0, sizeof(tmp));
	if (len == 0 || len > HDREDIT_NAME_MAX ||
	    (*out = hdr_phrase(text, len, &tmp)) != NULL)
		return 0;
	return tmp.exitcode == EX_DATAERR ? 0 :
	    result_fail(res, tmp.exitcode, "%s", tmp.msg);
}

/*
 * The display name to keep when the address of a From: changes: the one
 * written ("(Cron Daemon)" <root>); else a comment's text, its quoted-pairs
 * undone (root (systemd-cron)); else an unqualified local part (root).
 * Text that cannot be a name (a control byte, too long) is skipped.
 */
static int
kept_name(const char *v, const struct addr_mailbox *mb, char **out,
    struct result *res)
{
	char	*c;
	size_t	 i, n = 0;
	int	 rc;

	*out = NULL;
	if (mb->name_len > 0)
		return (*out = xstrndup(v + mb->name_off, mb->name_len,
		    res)) == NULL ? -1 : 0;
	if (mb->cmt_len > 0) {
		if ((c = xmalloc(mb->cmt_len + 1, res)) == NULL)
			return -1;
		for (i = mb->cmt_off; i < mb->cmt_off + mb->cmt_len; i++) {
			if (v[i] == '\\' && i + 1 < mb->cmt_off + mb->cmt_len)
				i++;
			c[n++] = v[i];
		}
		rc = text_phrase(c, n, out, res);
		free(c);
		if (rc == -1 || *out != NULL)
			return rc;
	}
	if (addr_domain(mb->addr) != NULL)
		return 0;
	return text_phrase(mb->addr, strlen(mb->addr), out, res);
}

/* Fields whose unqualified addresses get @qualify_domain (hdredit.h). */
static int
qualifies(const struct hdrs *h, const struct hdr_field *f)
{
	static const char *const names[] = { "From", "To", "Cc",
	    "Reply-To", "Resent-From", "Resent-To", "Resent-Cc", NULL };
	const char *const *n;

	for (n = names; *n != NULL; n++)
		if (hdr_is(h, f, *n))
			return 1;
	return 0;
}

/* v with "@" domain inserted at each of the n offsets ends. */
static void
put_inserted(struct obuf *b, const char *v, const size_t *ends, size_t n,
    const char *domain)
{
	size_t	 i, at = 0;

	for (i = 0; i < n; i++) {
		put(b, v + at, ends[i] - at);
		put_str(b, "@");
		put_str(b, domain);
		at = ends[i];
	}
	put_str(b, v + at);
}

/* Is the rebuilt value (line from off) still an address list? */
static int
still_parses(const struct obuf *line, size_t off)
{
	struct strlist	 l = { NULL, 0, 0 };
	struct result	 tmp;
	int		 ok;

	memset(&tmp, 0, sizeof(tmp));
	ok = addr_list_parse(line->p + off, line->n - off, &l, &tmp) == 0;
	strlist_free(&l);
	return ok;
}

/*
 * With qualify_domain, a field that qualifies() and holds unqualified
 * addresses is rebuilt: its name, ": ", its unfolded value with
 * "@domain" after each such address (names and comments untouched),
 * folded again where it is too long.  Returns 1 when it was put, 0 when
 * the field is to go as it is (nothing to qualify, a value that does
 * not parse, or would not once qualified: an address over ADDR_MAX; the
 * server decides), -1 out of memory.
 */
static int
put_qualified(struct obuf *b, const struct hdrs *h,
    const struct hdr_field *f, const struct hdredit *in, const char *eol)
{
	struct obuf	 line = { NULL, 0, 0, 0, b->res };
	struct result	 tmp;
	size_t		*ends = NULL, n = 0;
	char		*v;
	int		 rc = 0;

	if (in->qualify_domain == NULL || !qualifies(h, f))
		return 0;
	if ((v = hdr_value(h, f, b->res)) == NULL)
		return -1;
	memset(&tmp, 0, sizeof(tmp));
	if (addr_list_unqualified(v, strlen(v), &ends, &n, &tmp) == -1 &&
	    tmp.exitcode != EX_DATAERR)
		rc = result_fail(b->res, tmp.exitcode, "%s", tmp.msg);
	else if (n > 0) {
		put(&line, h->buf + f->off, f->namelen);
		put_str(&line, ": ");
		put_inserted(&line, v, ends, n, in->qualify_domain);
		if (line.failed)
			rc = -1;
		else if (!still_parses(&line, f->namelen + 2))
			rc = 0;		/* an address too long: as it is */
		else {
			log_trace("%.*s: %s qualified with @%s",
			    (int)f->namelen, h->buf + f->off, v,
			    in->qualify_domain);
			put_folded(b, line.p, line.n, f->namelen + 2, eol);
			put_str(b, eol);
			rc = 1;
		}
	}
	free(line.p);
	free(ends);
	free(v);
	return rc;
}

/* "From: name <addr>", or "From: addr" without a name. */
static void
put_mailbox(struct obuf *b, const char *name, const char *addr,
    const char *eol)
{
	put_str(b, "From: ");
	if (name != NULL) {
		put_str(b, name);
		put_str(b, " <");
	}
	put_str(b, addr);
	if (name != NULL)
		put_str(b, ">");
	put_str(b, eol);
}

/* Does set_from_header replace the address of this From:? */
static int
rewrites(const struct hdredit *in, int one, const struct addr_mailbox *mb)
{
	if (in->sender[0] == '\0')		/* the null sender */
		return 0;
	if (in->from_mode == FROM_HDR_ON)
		return !one || strcasecmp(mb->addr, in->sender) != 0;
	/* auto: only what the server would refuse, for a usable sender. */
	return in->from_mode == FROM_HDR_AUTO && one &&
	    addr_domain(mb->addr) == NULL && addr_domain(in->sender) != NULL;
}

/*
 * A From: field under set_from_header (stamp.ini(5)): kept byte for byte,
 * or rebuilt as the kept display name and the envelope sender.  A field
 * that is not one mailbox is rebuilt (on) from -F like a missing one.
 */
static int
put_from_field(struct obuf *b, const struct hdrs *h,
    const struct hdr_field *f, const struct hdredit *in, const char *eol)
{
	struct addr_mailbox	 mb;
	struct result		 tmp;
	char			*v, *name = NULL;
	int			 one, rc;

	if (in->from_mode == FROM_HDR_OFF)
		return put_field(b, h, f, in, eol);
	if ((v = hdr_value(h, f, b->res)) == NULL)
		return -1;
	memset(&tmp, 0, sizeof(tmp));
	one = addr_mailbox_parse(v, strlen(v), &mb, &tmp) == 0;
	if (!rewrites(in, one, &mb)) {
		free(v);
		if ((rc = put_qualified(b, h, f, in, eol)) != 0)
			return rc == -1 ? -1 : 0;
		return put_field(b, h, f, in, eol);
	}
	rc = one ? kept_name(v, &mb, &name, b->res) :
	    fullname_phrase(in->fullname, &name, b->res);
	if (rc == 0) {
		log_trace("From: %s -> %s (set_from_header)", v, in->sender);
		put_mailbox(b, name, in->sender, eol);
	}
	free(name);
	free(v);
	return rc;
}

/* The address of a From: we add: the sender, or null_from for <>. */
static const char *
from_addr(const struct hdredit *in)
{
	if (in->sender[0] != '\0' || in->null_from == NULL)
		return in->sender;
	return in->null_from;
}

/* A Message-ID right part: ASCII letters, digits, '-', inner dots. */
static int
is_hostname(const char *d)
{
	const char	*c;

	for (c = d; *c != '\0'; c++)
		if ((*c < 'a' || *c > 'z') && (*c < 'A' || *c > 'Z') &&
		    (*c < '0' || *c > '9') && *c != '-' &&
		    (*c != '.' || c == d || c[1] == '.' || c[1] == '\0'))
			return 0;
	return c != d;
}

/*
 * RFC 5322 section 3.6.4: "<" UTC time "." pid "." random "@" domain ">",
 * the domain being the sender's, else the EHLO name, else localhost.
 */
static char *
make_msgid(const struct hdredit *in, struct result *res)
{
	unsigned char	 rnd[MSGID_RANDOM];
	char		 id[MSGID_MAX], hex[2 * MSGID_RANDOM + 1], when[16];
	const char	*dom = addr_domain(from_addr(in));
	struct tm	 tm;
	time_t		 t = time(NULL);
	size_t		 i;
	int		 n;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		result_fail(res, EX_OSERR, "no random bytes for a Message-ID");
		return NULL;
	}
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y%m%d%H%M%S", &tm) == 0) {
		result_fail(res, EX_OSERR, "cannot format the time");
		return NULL;
	}
	if (dom == NULL || !is_hostname(dom))
		dom = in->domain != NULL && is_hostname(in->domain) ?
		    in->domain : "localhost";
	n = snprintf(id, sizeof(id), "<%s.%ld.%s@%s>", when, (long)getpid(),
	    hex, dom);
	if (n < 0 || (size_t)n >= sizeof(id)) {
		result_fail(res, EX_SOFTWARE, "Message-ID too long");
		return NULL;
	}
	return xstrdup(id, res);
}

/* A last field without a line end ends the message: end it first. */
static void
end_line(struct obuf *b, const char *eol)
{
	if (b->n > 0 && b->p[b->n - 1] != '\n' && b->p[b->n - 1] != '\r')
		put_str(b, eol);
}

static void
put_field3(struct obuf *b, const char *name, const char *value,
    const char *eol)
{
	put_str(b, name);
	put_str(b, value);
	put_str(b, eol);
}

/*
 * RFC 5322 section 3.6: a message has a From:, a Date: and (should have)
 * a Message-ID:; add those missing, in the message's line ending.
 */
static int
add_fields(struct obuf *b, const struct hdrs *h, const struct hdredit *in,
    char **msgidp, const char *eol)
{
	char	 date[HDR_DATE_MAX], *name = NULL;
	int	 from, add_date, add_id;

	from = in->from_mode != FROM_HDR_OFF && !has_field(h, "From");
	add_date = !has_field(h, "Date");
	add_id = !has_field(h, "Message-ID");
	if (!from && !add_date && !add_id)
		return 0;
	if (from && from_addr(in)[0] == '\0')
		return result_fail(b->res, EX_CONFIG, "the null sender needs "
		    "a From: field: the message has none and the account no "
		    "from address");
	if (from && fullname_phrase(in->fullname, &name, b->res) == -1)
		return -1;
	if (add_date && hdr_date(date, time(NULL)) == -1) {
		free(name);
		return result_fail(b->res, EX_OSERR, "no local time for Date:");
	}
	if (add_id && (*msgidp = make_msgid(in, b->res)) == NULL) {
		free(name);
		return -1;
	}
	end_line(b, eol);
	if (from)
		put_mailbox(b, name, from_addr(in), eol);
	free(name);
	if (add_date)
		put_field3(b, "Date: ", date, eol);
	if (add_id)
		put_field3(b, "Message-ID: ", *msgidp, eol);
	return 0;
}

/*
 * The topmost block of Resent-* fields (RFC 5322 section 3.6.6): the run
 * of consecutive ones that starts at the first.  Its last index, or -1
 * when the message has none.
 */
static long
resent_block(const struct hdrs *h, size_t *first)
{
	size_t	 i;

	for (i = 0; i < h->n && !hdr_has_prefix(h, &h->f[i], "Resent-"); i++)
		;
	if (i == h->n)
		return -1;
	for (*first = i; i + 1 < h->n &&
	    hdr_has_prefix(h, &h->f[i + 1], "Resent-"); i++)
		;
	return (long)i;
}

static int
block_has(const struct hdrs *h, size_t first, size_t last, const char *name)
{
	for (; first <= last; first++)
		if (hdr_is(h, &h->f[first], name))
			return 1;
	return 0;
}

/*
 * -t resends by the topmost Resent-* block: like a message's own
 * fields, it must have a Resent-Date: and should have a
 * Resent-Message-ID: (section 3.6.6); add them at its end.
 */
static int
add_resent(struct obuf *b, const struct hdrs *h, size_t first, size_t last,
    const struct hdredit *in, const char *eol)
{
	char	 date[HDR_DATE_MAX], *id;

	end_line(b, eol);
	if (!block_has(h, first, last, "Resent-Date")) {
		if (hdr_date(date, time(NULL)) == -1)
			return result_fail(b->res, EX_OSERR, "no local time "
			    "for Resent-Date:");
		put_field3(b, "Resent-Date: ", date, eol);
	}
	if (!block_has(h, first, last, "Resent-Message-ID")) {
		if ((id = make_msgid(in, b->res)) == NULL)
			return -1;
		put_field3(b, "Resent-Message-ID: ", id, eol);
		free(id);
	}
	return 0;
}

/* RFC 2045 sections 4, 5.2, 6.7: the fields of a quoted-printable body. */
static void
add_mime(struct obuf *b, const struct hdrs *h, const struct hdredit *in,
    const char *eol)
{
	if (!in->body_qp)
		return;
	end_line(b, eol);
	if (!has_field(h, "MIME-Version"))
		put_field3(b, "MIME-Version: ", "1.0", eol);
	if (!has_field(h, "Content-Type") && in->body_8bit)
		put_field3(b, "Content-Type: ", "text/plain; charset=utf-8",
		    eol);
	if (!has_field(h, "Content-Transfer-Encoding"))
		put_field3(b, "Content-Transfer-Encoding: ", "quoted-printable",
		    eol);
}

/* One field of the message, edited as hdredit.h says. */
static int
put_edited(struct obuf *b, const struct hdrs *h, const struct hdr_field *f,
    const struct hdredit *in, const char *eol)
{
	if (hdr_is(h, f, "Bcc") || hdr_is(h, f, "Resent-Bcc"))
		return 0;
	if (hdr_is(h, f, "From"))
		return put_from_field(b, h, f, in, eol);
	if (in->body_qp && hdr_is(h, f, "Content-Transfer-Encoding")) {
		put_field3(b, "Content-Transfer-Encoding: ", "quoted-printable",
		    eol);
		return 0;
	}
	switch (put_qualified(b, h, f, in, eol)) {
	case -1:
		return -1;
	case 1:
		return 0;
	}
	return put_field(b, h, f, in, eol);
}

int
hdredit_build(const struct hdrs *h, size_t headlen, size_t msgsize,
    const struct hdredit *in, char **hdrp, size_t *lenp, char **msgidp,
    struct result *res)
{
	struct obuf	 b = { NULL, 0, 0, 0, res };
	const char	*eol = msg_eol(h, headlen);
	size_t		 i, fend, rfirst = 0;
	long		 rlast = in->resent ? resent_block(h, &rfirst) : -1;

	*msgidp = NULL;
	fend = h->n > 0 ? h->f[h->n - 1].off + h->f[h->n - 1].len : h->start;
	for (i = 0; i < h->n; i++) {
		if (put_edited(&b, h, &h->f[i], in, eol) == -1)
			goto fail;
		if ((long)i == rlast && add_resent(&b, h, rfirst, i, in,
		    eol) == -1)
			goto fail;
	}
	if (add_fields(&b, h, in, msgidp, eol) == -1)
		goto fail;
	add_mime(&b, h, in, eol);
	/* Keep the body from being read as header fields (section 2.1). */
	if (!h->has_blank && h->body_off < msgsize) {
		end_line(&b, eol);
		put_str(&b, eol);
	}
	put(&b, h->buf + fend, h->body_off - fend);
	if (b.failed)
		goto fail;
	*hdrp = b.p;
	*lenp = b.n;
	return 0;
fail:
	free(b.p);
	free(*msgidp);
	*msgidp = NULL;
	return -1;
}

/* The first token of a MIME field value, after CFWS: its length. */
static size_t
mime_token(const char *v, const char **start)
{
	size_t	 n;
	int	 depth = 0;

	for (; *v != '\0'; v++) {
		if (*v == '(')
			depth++;
		else if (*v == ')' && depth > 0)
			depth--;
		else if (depth == 0 && !is_wsp(*v))
			break;
	}
	*start = v;
	for (n = 0; v[n] != '\0' && !is_wsp(v[n]) &&
	    strchr("()<>@,;:\\\"/[]?=", v[n]) == NULL; n++)
		;
	return n;
}

static int
token_is(const char *t, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp(t, word, n) == 0;
}

/*
 * Is this Content-Type (cte 0) or Content-Transfer-Encoding (cte 1) fine
 * for a quoted-printable body?  1 or 0, or -1 (EX_OSERR).
 */
static int
mime_ok(const struct hdrs *h, const struct hdr_field *f, int cte,
    struct result *res)
{
	const char	*t;
	char		*v;
	size_t		 n;
	int		 ok;

	if ((v = hdr_value(h, f, res)) == NULL)
		return -1;
	n = mime_token(v, &t);
	if (cte)
		ok = token_is(t, n, "7bit") || token_is(t, n, "8bit") ||
		    token_is(t, n, "binary");
	else
		ok = !token_is(t, n, "multipart") && !token_is(t, n, "message");
	free(v);
	return ok;
}

int
hdredit_qp_ok(const struct hdrs *h, struct result *res)
{
	const struct hdr_field *f;
	size_t		 i;
	int		 ntype = 0, ncte = 0, ok = 1;

	for (i = 0; i < h->n && ok == 1; i++) {
		f = &h->f[i];
		if (hdr_is(h, f, "Content-Type"))
			ok = ntype++ > 0 ? 0 : mime_ok(h, f, 0, res);
		else if (hdr_is(h, f, "Content-Transfer-Encoding"))
			ok = ncte++ > 0 ? 0 : mime_ok(h, f, 1, res);
	}
	return ok;
}
