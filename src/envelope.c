/*
 * envelope.c - sender, recipients and the header section to transmit,
 * from the command line, the account and the message's headers.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "cli.h"
#include "config.h"
#include "envelope.h"
#include "hdr.h"
#include "msg.h"
#include "result.h"
#include "util.h"

#define FULLNAME_MAX	256	/* longest -F put into a From: field */
#define EWORD_IN	45	/* bytes per encoded-word: 60 of base64 */
#define HEAD_BLOCK	(64 * 1024)	/* first read of the header section */

/* A growing copy of the header section; cap is computed beforehand. */
struct obuf {
	char	*p;
	size_t	 n;
};

static void
put(struct obuf *b, const char *s, size_t len)
{
	memcpy(b->p + b->n, s, len);
	b->n += len;
}

static int
bad_conf_from(const struct account *acct, struct result *res)
{
	if (acct->file != NULL)
		return result_fail(res, EX_CONFIG,
		    "%s:%d: account %s: bad from address \"%s\"", acct->file,
		    acct->line, acct->name ? acct->name : "", acct->from);
	return result_fail(res, EX_CONFIG, "account %s: bad from address "
	    "\"%s\"", acct->name ? acct->name : "", acct->from);
}

static int
set_sender(struct envelope *env, const struct cli *cli,
    const struct account *acct, struct result *res)
{
	const char	*a;
	size_t		 len;

	if (cli->from != NULL) {
		a = cli->from;
		len = strlen(a);
		/* "-f '<a@b>'" is a common spelling of "-f a@b". */
		if (len >= 2 && a[0] == '<' && a[len - 1] == '>') {
			a++;
			len -= 2;
		}
		if (addr_check(a, len) == -1)
			return result_fail(res, EX_USAGE,
			    "bad sender address -f \"%s\"", cli->from);
	} else if (acct != NULL && acct->from != NULL) {
		a = acct->from;
		len = strlen(a);
		if (addr_check(a, len) == -1)
			return bad_conf_from(acct, res);
	} else
		return result_fail(res, EX_CONFIG, "no envelope sender: "
		    "set from = in the account or pass -f");
	env->from = xstrndup(a, len, res);
	return env->from == NULL ? -1 : 0;
}

/* Does p hold an empty line?  The header section ends there at the latest. */
static int
has_empty_line(const char *p, size_t n)
{
	const char	*q, *end = p + n;

	if (n > 0 && (p[0] == '\n' || (n > 1 && p[0] == '\r' && p[1] == '\n')))
		return 1;
	for (q = p; (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++)
		if ((end - q > 1 && q[1] == '\n') ||
		    (end - q > 2 && q[1] == '\r' && q[2] == '\n'))
			return 1;
	return 0;
}

/*
 * The start of the message, read in growing blocks until it holds an
 * empty line, the whole message, or HDR_SECTION_MAX bytes: a large
 * message costs one block, not the whole header ceiling.
 */
static char *
read_head(const struct msg *m, size_t *lenp, int *at_eof,
    struct result *res)
{
	char	*buf = NULL, *nbuf;
	size_t	 cap = 0, got = 0, limit;
	ssize_t	 r;

	limit = m->size > HDR_SECTION_MAX ? HDR_SECTION_MAX : (size_t)m->size;
	do {
		cap = cap == 0 ? HEAD_BLOCK : 2 * cap;
		if (cap > limit)
			cap = limit;
		if ((nbuf = xreallocarray(buf, cap + 1, 1, res)) == NULL)
			goto fail;
		buf = nbuf;
		for (; got < cap; got += (size_t)r)
			if ((r = msg_read_at(m, (off_t)got, buf + got, cap - got,
			    res)) <= 0) {
				if (r == 0)
					result_fail(res, EX_IOERR, "the spooled "
					    "message is shorter than its size");
				goto fail;
			}
	} while (got < limit && !has_empty_line(buf, got));
	*lenp = got;
	*at_eof = got == (size_t)m->size;
	return buf;
fail:
	free(buf);
	return NULL;
}

/* One address list; errors say where it came from. */
static int
add_list(struct strlist *l, const char *where, size_t wlen, const char *s,
    struct result *res)
{
	struct result	 tmp;

	memset(&tmp, 0, sizeof(tmp));
	if (addr_list_parse(s, strlen(s), l, &tmp) == 0)
		return 0;
	return result_fail(res, tmp.exitcode, "%.*s: %s", (int)wlen, where,
	    tmp.msg);
}

static int
from_headers(struct strlist *l, const struct hdrs *h, struct result *res)
{
	const struct hdr_field *f;
	char		*v;
	size_t		 i;
	int		 rc;

	for (i = 0; i < h->n; i++) {
		f = &h->f[i];
		if (!hdr_is(h, f, "To") && !hdr_is(h, f, "Cc") &&
		    !hdr_is(h, f, "Bcc"))
			continue;
		if ((v = hdr_value(h, f, res)) == NULL)
			return -1;
		rc = add_list(l, h->buf + f->off, f->namelen, v, res);
		free(v);
		if (rc == -1)
			return -1;
	}
	return 0;
}

struct rcpt_ent {
	const char	*s;
	size_t		 i;		/* position in the list */
};

static int
rcpt_cmp(const void *a, const void *b)
{
	const struct rcpt_ent *x = a, *y = b;
	int	 c;

	if ((c = strcasecmp(x->s, y->s)) != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Drop case-insensitive duplicates, keeping the first: O(n log n). */
static int
dedup(struct strlist *l, struct result *res)
{
	struct rcpt_ent	*e;
	size_t		 i, j, first = 0;

	if (l->n < 2)
		return 0;
	if ((e = xreallocarray(NULL, l->n, sizeof(*e), res)) == NULL)
		return -1;
	for (i = 0; i < l->n; i++) {
		e[i].s = l->v[i];
		e[i].i = i;
	}
	qsort(e, l->n, sizeof(*e), rcpt_cmp);
	for (i = 1; i < l->n; i++) {
		if (strcasecmp(e[i].s, e[first].s) != 0) {
			first = i;
			continue;
		}
		free(l->v[e[i].i]);
		l->v[e[i].i] = NULL;
	}
	free(e);
	for (i = j = 0; i < l->n; i++)
		if (l->v[i] != NULL)
			l->v[j++] = l->v[i];
	l->n = j;
	return 0;
}

static int
set_rcpts(struct envelope *env, const struct cli *cli,
    const struct hdrs *h, struct result *res)
{
	static const char where[] = "recipient argument";
	size_t		 i;

	for (i = 0; i < cli->nrcpts; i++)
		if (add_list(&env->rcpts, where, sizeof(where) - 1,
		    cli->rcpts[i], res) == -1)
			return -1;
	if (cli->read_headers && from_headers(&env->rcpts, h, res) == -1)
		return -1;
	if (dedup(&env->rcpts, res) == -1)
		return -1;
	if (env->rcpts.n == 0)
		return result_fail(res, EX_USAGE, "no recipients");
	return 0;
}

/*
 * -F: refuse what could break the header; say how it must be written:
 * 0 as is, 1 as a quoted-string, 2 as RFC 2047 encoded-words.
 */
static int
check_fullname(const char *s, size_t len, int *quote, struct result *res)
{
	size_t		 i;
	unsigned char	 c;

	if (len > FULLNAME_MAX)
		return result_fail(res, EX_USAGE,
		    "full name -F longer than %d bytes", FULLNAME_MAX);
	*quote = 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return result_fail(res, EX_USAGE, "full name -F "
			    "\"%s\" has a control character", s);
		/* RFC 5322 section 3.2.3: specials need a quoted-string. */
		if (strchr("()<>[]:;@\\,.\"", c) != NULL && *quote == 0)
			*quote = 1;
		/* Without SMTPUTF8 a header must be ASCII: RFC 2047. */
		if (c >= 0x80)
			*quote = 2;
	}
	return 0;
}

/*
 * RFC 2047 section 5 (3): "=?UTF-8?B?...?=" words of at most 75 bytes,
 * never splitting a UTF-8 sequence between two words.
 */
static void
put_encoded(struct obuf *b, const char *name)
{
	char	 word[B64_LEN(EWORD_IN)];
	size_t	 len = strlen(name), n;

	while (len > 0) {
		n = len < EWORD_IN ? len : EWORD_IN;
		while (n < len && n > 1 && ((unsigned char)name[n] & 0xc0) ==
		    0x80)
			n--;
		put(b, "=?UTF-8?B?", 10);
		put(b, word, b64_encode(name, n, word));
		put(b, "?=", 2);
		name += n;
		len -= n;
		if (len > 0)
			put(b, " ", 1);
	}
}

/* "From: NAME <sender>" or "From: sender", with eol. */
static void
put_from(struct obuf *b, const struct envelope *env, const char *name,
    int quote, const char *eol)
{
	size_t	 i;

	put(b, "From: ", 6);
	if (name == NULL) {
		put(b, env->from, strlen(env->from));
		put(b, eol, strlen(eol));
		return;
	}
	if (quote == 2)
		put_encoded(b, name);
	if (quote == 1)
		put(b, "\"", 1);
	for (i = 0; quote < 2 && name[i] != '\0'; i++) {
		/* Section 3.2.4: '"' and '\' are quoted-pairs in a qcontent. */
		if (quote && (name[i] == '"' || name[i] == '\\'))
			put(b, "\\", 1);
		put(b, name + i, 1);
	}
	if (quote == 1)
		put(b, "\"", 1);
	put(b, " <", 2);
	put(b, env->from, strlen(env->from));
	put(b, ">", 1);
	put(b, eol, strlen(eol));
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

/*
 * The header section minus Bcc, byte for byte, plus a From: when there
 * is none (RFC 5322 section 3.6 requires one), placed just before the
 * separator line.
 */
static int
build_hdr(struct envelope *env, const struct hdrs *h, const struct cli *cli,
    size_t headlen, size_t msgsize, struct result *res)
{
	struct obuf	 b;
	const char	*eol = msg_eol(h, headlen), *name = cli->fullname;
	size_t		 i, fend, cap;
	int		 add_from, quote = 0;

	fend = h->n > 0 ? h->f[h->n - 1].off + h->f[h->n - 1].len : 0;
	add_from = !has_field(h, "From");
	if (name != NULL && name[0] == '\0')
		name = NULL;
	if (add_from && name != NULL &&
	    check_fullname(name, strlen(name), &quote, res) == -1)
		return -1;
	/* Fields, separator, From: (name doubled by escapes, or encoded:
	 * 4/3 plus 13 per word), 2 EOLs more. */
	cap = h->body_off + 6 + (name ? 3 * strlen(name) + 16 : 0) +
	    strlen(env->from) + 3 * 2 + 1;
	if ((b.p = xmalloc(cap, res)) == NULL)
		return -1;
	b.n = 0;
	for (i = 0; i < h->n; i++)
		if (!hdr_is(h, &h->f[i], "Bcc"))
			put(&b, h->buf + h->f[i].off, h->f[i].len);
	if (add_from) {
		/* A last field without EOL ends the message: end it first. */
		if (fend > 0 && h->buf[fend - 1] != '\n')
			put(&b, eol, strlen(eol));
		put_from(&b, env, name, quote, eol);
		/* Keep the body from being read as header fields. */
		if (!h->has_blank && h->body_off < msgsize)
			put(&b, eol, strlen(eol));
	}
	put(&b, h->buf + fend, h->body_off - fend);
	env->hdr = b.p;
	env->hdrlen = b.n;
	return 0;
}

static int
set_msgid(struct envelope *env, const struct hdrs *h, struct result *res)
{
	size_t	 i;

	for (i = 0; i < h->n; i++)
		if (hdr_is(h, &h->f[i], "Message-ID")) {
			env->msgid = hdr_value(h, &h->f[i], res);
			return env->msgid == NULL ? -1 : 0;
		}
	return 0;
}

int
envelope_build(struct envelope *env, const struct cli *cli,
    const struct account *acct, const struct msg *m, struct result *res)
{
	struct hdrs	 h;
	char		*head = NULL;
	size_t		 headlen = 0;
	int		 at_eof = 1, rc = -1;

	memset(env, 0, sizeof(*env));
	memset(&h, 0, sizeof(h));
	if (set_sender(env, cli, acct, res) == -1)
		goto out;
	if ((head = read_head(m, &headlen, &at_eof, res)) == NULL)
		goto out;
	if (hdr_parse(&h, head, headlen, at_eof, res) == -1)
		goto out;
	if (set_rcpts(env, cli, &h, res) == -1)
		goto out;
	if (build_hdr(env, &h, cli, headlen, (size_t)m->size, res) == -1)
		goto out;
	if (set_msgid(env, &h, res) == -1)
		goto out;
	env->body_off = (off_t)h.body_off;
	rc = 0;
out:
	hdr_free(&h);
	free(head);
	if (rc == -1)
		envelope_free(env);
	return rc;
}

void
envelope_free(struct envelope *env)
{
	free(env->from);
	strlist_free(&env->rcpts);
	free(env->hdr);
	free(env->msgid);
	memset(env, 0, sizeof(*env));
}
