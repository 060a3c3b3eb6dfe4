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

/* The header section being built; a failure sticks (and is in res). */
struct obuf {
	char		*p;
	size_t		 n;
	size_t		 cap;
	int		 failed;
	struct result	*res;
};

static void
put(struct obuf *b, const char *s, size_t len)
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

static void
put_str(struct obuf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* The message's line ending: that of its first line. */
static const char *
msg_eol(const struct hdrs *h, size_t len)
{
	const char	*lf = memchr(h->buf, '\n', len);

	return lf != NULL && lf > h->buf && lf[-1] == '\r' ? "\r\n" : "\n";
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

	if (in->from_mode == FROM_HDR_OFF) {
		put(b, h->buf + f->off, f->len);
		return 0;
	}
	if ((v = hdr_value(h, f, b->res)) == NULL)
		return -1;
	memset(&tmp, 0, sizeof(tmp));
	one = addr_mailbox_parse(v, strlen(v), &mb, &tmp) == 0;
	if (!rewrites(in, one, &mb)) {
		put(b, h->buf + f->off, f->len);
		free(v);
		return 0;
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
	const char	*dom = addr_domain(in->sender);
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
	/* A last field without EOL ends the message: end it first. */
	if (b->n > 0 && b->p[b->n - 1] != '\n')
		put_str(b, eol);
	if (from)
		put_mailbox(b, name, in->sender, eol);
	free(name);
	if (add_date) {
		put_str(b, "Date: ");
		put_str(b, date);
		put_str(b, eol);
	}
	if (add_id) {
		put_str(b, "Message-ID: ");
		put_str(b, *msgidp);
		put_str(b, eol);
	}
	return 0;
}

int
hdredit_build(const struct hdrs *h, size_t headlen, size_t msgsize,
    const struct hdredit *in, char **hdrp, size_t *lenp, char **msgidp,
    struct result *res)
{
	struct obuf	 b = { NULL, 0, 0, 0, res };
	const struct hdr_field *f;
	const char	*eol = msg_eol(h, headlen);
	size_t		 i, fend, before;

	*msgidp = NULL;
	fend = h->n > 0 ? h->f[h->n - 1].off + h->f[h->n - 1].len : h->start;
	for (i = 0; i < h->n; i++) {
		f = &h->f[i];
		if (hdr_is(h, f, "Bcc") || hdr_is(h, f, "Resent-Bcc"))
			continue;
		if (!hdr_is(h, f, "From"))
			put(&b, h->buf + f->off, f->len);
		else if (put_from_field(&b, h, f, in, eol) == -1)
			goto fail;
	}
	before = b.n;
	if (add_fields(&b, h, in, msgidp, eol) == -1)
		goto fail;
	/* Keep the body from being read as header fields. */
	if (b.n > before && !h->has_blank && h->body_off < msgsize)
		put_str(&b, eol);
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
