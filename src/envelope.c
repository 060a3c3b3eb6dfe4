/*
 * envelope.c - sender, recipients and the header section to transmit,
 * from the command line, the account and the message's headers.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "aliases.h"
#include "cli.h"
#include "config.h"
#include "envelope.h"
#include "hdr.h"
#include "hdredit.h"
#include "log.h"
#include "msg.h"
#include "result.h"
#include "util.h"

#define HEAD_BLOCK	(64 * 1024)	/* first read of the header section */

static const struct account no_account;	/* envelope_build without one */

static int
bad_conf_from(const struct account *acct, const char *what,
    const char *why, struct result *res)
{
	if (acct->file != NULL)
		return result_fail(res, EX_CONFIG, "%s:%d: account %s: %s "
		    "\"%s\"%s", acct->file, acct->line, acct->name ?
		    acct->name : "", what, acct->from, why);
	return result_fail(res, EX_CONFIG, "account %s: %s \"%s\"%s",
	    acct->name ? acct->name : "", what, acct->from, why);
}

/* local@domain for an unqualified address; NULL (EX_DATAERR) if too long. */
static char *
qualify(const char *a, const char *domain, struct result *res)
{
	size_t	 la = strlen(a), ld = strlen(domain);

	if (la + 1 + ld > ADDR_MAX) {
		result_fail(res, EX_DATAERR, "address \"%s@%s\" is longer than "
		    "%d bytes", a, domain, ADDR_MAX);
		return NULL;
	}
	return str_join(a, la, '@', domain, res);
}

/*
 * An unqualified sender ("-f root", cronie's): local@qualify_domain; else,
 * for -f, the account's from, which the server will take (a submission
 * server refuses "root"); else as it is, and the server decides.
 */
static int
qualify_sender(struct envelope *env, const struct cli *cli,
    const struct account *acct, struct result *res)
{
	const char	*af = acct->from;
	char		*q;

	if (acct->qualify_domain != NULL)
		q = qualify(env->from, acct->qualify_domain, res);
	else if (cli->from != NULL && af != NULL && !config_is_pattern(af) &&
	    addr_domain(af) != NULL && addr_check(af, strlen(af)) == 0) {
		log_trace("sender %s is unqualified and account %s has no "
		    "qualify_domain: using its from %s", env->from,
		    acct->name ? acct->name : "", af);
		q = xstrdup(af, res);
	} else
		return 0;
	if (q == NULL)
		return -1;
	free(env->from);
	env->from = q;
	return 0;
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
		/* The null sender (RFC 5321 4.5.5): bounces, vacation. */
		if (len == 0) {
			log_trace("the null sender: MAIL FROM:<>");
			return (env->from = xstrdup("", res)) == NULL ? -1 : 0;
		}
		if (addr_check(a, len) == -1)
			return result_fail(res, EX_USAGE,
			    "bad sender address -f \"%s\"", cli->from);
	} else if (acct->from != NULL) {
		a = acct->from;
		len = strlen(a);
		if (config_is_pattern(a))
			return bad_conf_from(acct, "from", " is a pattern "
			    "for choosing the account, not an address; pass -f",
			    res);
		if (addr_check(a, len) == -1)
			return bad_conf_from(acct, "bad from address", "", res);
	} else
		return result_fail(res, EX_CONFIG, "no envelope sender: "
		    "set from = in the account or pass -f");
	if ((env->from = xstrndup(a, len, res)) == NULL)
		return -1;
	if (addr_domain(env->from) == NULL)
		return qualify_sender(env, cli, acct, res);
	return 0;
}

/*
 * Does p hold an empty line whose end can be told (hdr.h)?  The header
 * section ends there at the latest.
 */
static int
has_empty_line(const char *p, size_t n)
{
	size_t	 pos = 0;
	int	 complete;

	while (pos < n) {
		if (p[pos] == '\n' || p[pos] == '\r') {
			hdr_line(p + pos, n - pos, 0, &complete);
			return complete;
		}
		pos += hdr_line(p + pos, n - pos, 0, &complete);
		if (!complete)
			return 0;
	}
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
is_one_of(const struct hdrs *h, const struct hdr_field *f,
    const char *const *names)
{
	for (; *names != NULL; names++)
		if (hdr_is(h, f, *names))
			return 1;
	return 0;
}

/*
 * -t: every To, Cc and Bcc.  A message that has been resent (RFC 5322
 * section 3.6.6: a block of Resent-* fields prepended for each resending)
 * goes to the Resent-To, Resent-Cc and Resent-Bcc of its topmost block
 * instead, as with sendmail 8.  The block is the run of consecutive
 * Resent-* fields that starts at the first one.
 */
static int
from_headers(struct strlist *l, const struct hdrs *h, struct result *res)
{
	static const char *const plain[] = { "To", "Cc", "Bcc", NULL };
	static const char *const resent[] = { "Resent-To", "Resent-Cc",
	    "Resent-Bcc", NULL };
	const char *const *names = plain;
	const struct hdr_field *f;
	char		*v;
	size_t		 i, first = 0, end = h->n;
	int		 rc;

	for (i = 0; i < h->n && !hdr_has_prefix(h, &h->f[i], "Resent-"); i++)
		;
	if (i < h->n) {
		names = resent;
		for (first = i; i < h->n &&
		    hdr_has_prefix(h, &h->f[i], "Resent-"); i++)
			;
		end = i;
	}
	for (i = first; i < end; i++) {
		f = &h->f[i];
		if (!is_one_of(h, f, names))
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

/* a, or a@qualify_domain when a is unqualified and the account has one. */
static int
add_qualified(struct strlist *l, const char *a, const struct account *acct,
    struct result *res)
{
	char	*q;
	int	 rc;

	if (addr_domain(a) != NULL || acct->qualify_domain == NULL)
		return strlist_add(l, a, strlen(a), res);
	if ((q = qualify(a, acct->qualify_domain, res)) == NULL)
		return -1;
	rc = strlist_add(l, q, strlen(q), res);
	free(q);
	return rc;
}

/*
 * Unqualified recipients ("root"): the account's aliases replace one (its
 * own entry, else "default"; targets are not looked up again), then what
 * is still unqualified gets @qualify_domain.  Without either it goes out
 * as it is and the server decides.  The alias file is read only when an
 * unqualified recipient needs it.
 */
static int
resolve(struct strlist *out, const struct strlist *in,
    const struct account *acct, struct result *res)
{
	struct aliases		 al = { NULL, 0 };
	const struct strlist	*to;
	size_t			 i, j;
	int			 loaded = 0, rc = -1;

	for (i = 0; i < in->n; i++) {
		to = NULL;
		if (addr_domain(in->v[i]) == NULL && acct->aliases != NULL) {
			if (!loaded && aliases_load(&al, acct->aliases,
			    res) == -1)
				goto out;
			loaded = 1;
			if ((to = aliases_lookup(&al, in->v[i])) != NULL)
				log_trace("recipient %s: alias in %s",
				    in->v[i], acct->aliases);
		}
		if (to == NULL && add_qualified(out, in->v[i], acct,
		    res) == -1)
			goto out;
		for (j = 0; to != NULL && j < to->n; j++)
			if (add_qualified(out, to->v[j], acct, res) == -1)
				goto out;
	}
	rc = 0;
out:
	aliases_free(&al);
	return rc;
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
    const struct account *acct, const struct hdrs *h, struct result *res)
{
	static const char where[] = "recipient argument";
	struct strlist	 given = { NULL, 0, 0 };
	size_t		 i;
	int		 rc = -1;

	for (i = 0; i < cli->nrcpts; i++)
		if (add_list(&given, where, sizeof(where) - 1, cli->rcpts[i],
		    res) == -1)
			goto out;
	if (cli->read_headers && from_headers(&given, h, res) == -1)
		goto out;
	if (resolve(&env->rcpts, &given, acct, res) == -1 ||
	    dedup(&env->rcpts, res) == -1)
		goto out;
	if (env->rcpts.n == 0) {
		result_fail(res, EX_USAGE, cli->read_headers ? "no recipients "
		    "(none as arguments, none in the message's To, Cc or Bcc)" :
		    "no recipients: name them as arguments, or pass -t to "
		    "take them from the message's To, Cc and Bcc");
		goto out;
	}
	rc = 0;
out:
	strlist_free(&given);
	return rc;
}

/*
 * long_lines (DESIGN.md section 4) for a body line over MSG_LINE_MAX
 * octets: encode sends a single-part body quoted-printable, and anything
 * else as it is; pass sends as is; refuse is EX_DATAERR.
 */
static int
set_body_qp(struct envelope *env, const struct hdrs *h,
    const struct account *acct, const struct msg *m, struct result *res)
{
	struct msg_line	 l;
	int		 ok;

	if (acct->long_lines == LONG_PASS ||
	    !msg_long_line(m, (off_t)h->body_off, &l))
		return 0;
	if (acct->long_lines == LONG_REFUSE)
		return result_fail(res, EX_DATAERR, "line %zu of the message "
		    "has %zu octets, over the limit of %d (long_lines = "
		    "refuse); nothing sent", l.no, l.len, MSG_LINE_MAX);
	if ((ok = hdredit_qp_ok(h, res)) == -1)
		return -1;
	env->body_qp = ok;
	log_trace("line %zu has %zu octets: %s", l.no, l.len, ok ?
	    "the body goes quoted-printable (long_lines = encode)" :
	    "a multipart or encoded body goes as it is");
	return 0;
}

/* The account's from, when it is an address (not a pattern), or NULL. */
static const char *
null_from(const struct account *acct)
{
	const char	*af = acct->from;

	if (af == NULL || config_is_pattern(af) ||
	    addr_check(af, strlen(af)) == -1)
		return NULL;
	return af;
}

/* The header section to transmit (hdredit.h), for the final sender. */
static int
build_hdr(struct envelope *env, const struct hdrs *h, const struct cli *cli,
    const struct account *acct, const struct msg *m, size_t headlen,
    struct result *res)
{
	struct hdredit	 in = {
		.sender = env->from, .null_from = null_from(acct),
		.fullname = cli->fullname,
		.domain = acct->domain, .qualify_domain = acct->qualify_domain,
		.from_mode = acct->set_from_header,
		.long_lines = acct->long_lines, .body_qp = env->body_qp,
		.body_8bit = msg_eightbit_from(m, (off_t)h->body_off),
		.resent = cli->read_headers,
	};

	return hdredit_build(h, headlen, (size_t)m->size, &in, &env->hdr,
	    &env->hdrlen, &env->msgid, res);
}

static int
set_msgid(struct envelope *env, const struct hdrs *h, struct result *res)
{
	size_t	 i;

	for (i = 0; env->msgid == NULL && i < h->n; i++)
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
	if (acct == NULL)
		acct = &no_account;
	if ((head = read_head(m, &headlen, &at_eof, res)) == NULL)
		goto out;
	if (hdr_parse(&h, head, headlen, at_eof, res) == -1)
		goto out;
	/* Recipients first: "stamp" with no argument is a usage error
	 * (64), whatever the account lacks. */
	if (set_rcpts(env, cli, acct, &h, res) == -1 ||
	    set_sender(env, cli, acct, res) == -1)
		goto out;
	if (set_body_qp(env, &h, acct, m, res) == -1 ||
	    build_hdr(env, &h, cli, acct, m, headlen, res) == -1)
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
