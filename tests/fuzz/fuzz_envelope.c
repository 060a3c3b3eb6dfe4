/*
 * fuzz_envelope.c - envelope_build (envelope.h): sender, recipients and
 * the header section to transmit (hdredit.h), from a command line, an
 * account and a message, all chosen by the input.
 *
 * Input: byte 0 bit 0 is -t, bit 1 -f given, bit 2 -F given, bit 3 the
 * account has a from, bit 4 a qualify_domain, bit 5 an aliases file
 * ("root: admin@example.org", "default: ops@example.org"), bits 6-7 how
 * many recipient arguments (0-3); byte 1 bits 0-1 set_from_header (auto,
 * on, off, auto), bits 2-3 long_lines (encode, pass, refuse, encode), bit
 * 4 an EHLO domain.  Then, NUL-terminated, the -f, -F and from values
 * that are given and the recipient arguments; the rest is the message.
 *
 * Checks: a failure is EX_USAGE, EX_DATAERR or EX_CONFIG; on success the
 * sender and the 1.. recipients pass addr_check (the sender may be the
 * null sender "" when -f is "<>" or ""), the recipients are unique
 * (case-insensitively) and qualified when qualify_domain is set;
 * the header section parses as one (hdr.h) ending where the body starts;
 * it has no Bcc or Resent-Bcc, a Date:, a Message-ID: and, unless
 * set_from_header is off, a From:; its first fields are the message's
 * (but Bcc), same names and, but for From: and Content-Transfer-Encoding,
 * same unfolded values, or, with qualify_domain, the same addresses with
 * the unqualified ones qualified and none left; the fields after them
 * are only ones stamp adds; with -t and a Resent-* block, Resent-Date:
 * and Resent-Message-ID: are there (added ones only within the fields);
 * with long_lines = refuse no line is over HDR_LINE_MAX octets.
 */
#include <strings.h>
#include <sysexits.h>

#include "addr.h"
#include "cli.h"
#include "config.h"
#include "envelope.h"
#include "fuzz.h"
#include "hdr.h"
#include "msg.h"
#include "result.h"
#include "util.h"

static struct fuzz_file	 aliases;

/* The next NUL-terminated field at *pos of copy (len bytes + NUL). */
static char *
field(char *copy, size_t len, size_t *pos)
{
	char	*f = copy + (*pos < len ? *pos : len);

	*pos = (size_t)(f - copy) + strlen(f) + 1;
	return f;
}

static int
dropped(const struct hdrs *h, size_t i)
{
	return hdr_is(h, &h->f[i], "Bcc") || hdr_is(h, &h->f[i], "Resent-Bcc");
}

static int
added(const struct hdrs *h, size_t i)
{
	static const char *const names[] = {
		"From", "Date", "Message-ID", "MIME-Version",
		"Content-Transfer-Encoding", "Content-Type",
	};
	size_t	 k;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if (hdr_is(h, &h->f[i], names[k]))
			return 1;
	return 0;
}

static int
count(const struct hdrs *h, const char *name)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < h->n; i++)
		n += hdr_is(h, &h->f[i], name);
	return n;
}

/* The addresses of list v, those unqualified given @example.org. */
static int
qualified_list(const char *v, struct strlist *l)
{
	struct strlist	 raw = { NULL, 0, 0 };
	struct result	 res;
	char		 q[ADDR_MAX + 32];
	size_t		 i;

	memset(&res, 0, sizeof(res));
	if (addr_list_parse(v, strlen(v), &raw, &res) == -1) {
		strlist_free(&raw);
		return -1;
	}
	for (i = 0; i < raw.n; i++) {
		snprintf(q, sizeof(q), "%s%s", raw.v[i],
		    addr_domain(raw.v[i]) == NULL ? "@example.org" : "");
		fuzz_check(strlist_add(l, q, strlen(q), &res) == 0, "add");
	}
	strlist_free(&raw);
	return 0;
}

/*
 * qualify_domain rewrote an address field: the output holds the same
 * addresses, qualified, and nothing unqualified is left.
 */
static int
same_qualified(const char *va, const char *vb)
{
	struct strlist	 a = { NULL, 0, 0 }, b = { NULL, 0, 0 };
	struct result	 res;
	size_t		*ends = NULL, n = 0, i;
	int		 same;

	memset(&res, 0, sizeof(res));
	same = qualified_list(va, &a) == 0 && qualified_list(vb, &b) == 0 &&
	    addr_list_unqualified(vb, strlen(vb), &ends, &n, &res) == 0 &&
	    n == 0 && a.n == b.n;
	for (i = 0; same && i < a.n; i++)
		same = strcmp(a.v[i], b.v[i]) == 0;
	free(ends);
	strlist_free(&a);
	strlist_free(&b);
	return same;
}

static int
same_value(const struct hdrs *a, size_t i, const struct hdrs *b, size_t j,
    int qualify)
{
	struct result	 res;
	char		*va, *vb;
	int		 same;

	memset(&res, 0, sizeof(res));
	va = hdr_value(a, &a->f[i], &res);
	vb = hdr_value(b, &b->f[j], &res);
	fuzz_check(va != NULL && vb != NULL, "hdr_value");
	same = strcmp(va, vb) == 0 || (qualify && same_qualified(va, vb));
	if (!same)
		fprintf(stderr, "fuzz: [%s] became [%s]\n", va, vb);
	free(va);
	free(vb);
	return same;
}

static int
resent_added(const struct hdrs *h, size_t j)
{
	return hdr_is(h, &h->f[j], "Resent-Date") ||
	    hdr_is(h, &h->f[j], "Resent-Message-ID");
}

/*
 * The message's fields, in order, then only fields stamp adds; with -t
 * (resent), Resent-Date: and Resent-Message-ID: may come between.
 */
static void
check_fields(const struct hdrs *in, const struct hdrs *out, int resent,
    int qualify)
{
	size_t	 i, j = 0;

	for (i = 0; i < in->n; i++) {
		if (dropped(in, i))
			continue;
		while (resent && j < out->n && resent_added(out, j) &&
		    !(in->f[i].namelen == out->f[j].namelen &&
		    strncasecmp(in->buf + in->f[i].off, out->buf +
		    out->f[j].off, in->f[i].namelen) == 0))
			j++;
		fuzz_check(j < out->n, "every field but Bcc is kept");
		fuzz_check(in->f[i].namelen == out->f[j].namelen &&
		    strncasecmp(in->buf + in->f[i].off, out->buf +
		    out->f[j].off, in->f[i].namelen) == 0,
		    "fields kept in order, same names");
		if (!hdr_is(in, &in->f[i], "From") &&
		    !hdr_is(in, &in->f[i], "Content-Transfer-Encoding"))
			fuzz_check(same_value(in, i, out, j, qualify),
			    "a kept field keeps its unfolded value");
		j++;
	}
	for (; j < out->n; j++)
		fuzz_check(added(out, j) || (resent && resent_added(out, j)),
		    "only From, Date, Message-ID, MIME fields are added");
}

static void
check_lines(const char *p, size_t n)
{
	size_t	 i, col = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n' || p[i] == '\r')
			col = 0;
		else
			fuzz_check(++col <= HDR_LINE_MAX, "refuse: no long line");
	}
}

static int
has_prefix(const struct hdrs *h, const char *prefix)
{
	size_t	 i;

	for (i = 0; i < h->n; i++)
		if (hdr_has_prefix(h, &h->f[i], prefix))
			return 1;
	return 0;
}

static void
check_env(const struct envelope *env, const struct cli *cli,
    const struct account *acct, const char *msg, size_t size)
{
	struct hdrs	 in, out;
	struct result	 res;
	size_t		 i, k;
	int		 null;

	null = cli->from != NULL && (strcmp(cli->from, "<>") == 0 ||
	    cli->from[0] == '\0');
	fuzz_check(env->from != NULL && (null ? env->from[0] == '\0' :
	    addr_check(env->from, strlen(env->from)) == 0), "sender checked");
	fuzz_check(env->rcpts.n > 0, "recipients");
	for (i = 0; i < env->rcpts.n; i++) {
		fuzz_check(addr_check(env->rcpts.v[i],
		    strlen(env->rcpts.v[i])) == 0, "recipients checked");
		fuzz_check(acct->qualify_domain == NULL ||
		    addr_domain(env->rcpts.v[i]) != NULL, "qualified");
		for (k = 0; k < i; k++)
			fuzz_check(strcasecmp(env->rcpts.v[i],
			    env->rcpts.v[k]) != 0, "no duplicates");
	}
	fuzz_check(acct->qualify_domain == NULL || null ||
	    addr_domain(env->from) != NULL, "sender qualified");
	fuzz_check(env->msgid != NULL, "msgid");
	fuzz_check(env->body_off >= 0 && (size_t)env->body_off <= size,
	    "body_off");

	memset(&res, 0, sizeof(res));
	fuzz_check(hdr_parse(&in, msg, size, 1, &res) == 0, "input parses");
	if (hdr_parse(&out, env->hdr, env->hdrlen, 1, &res) != 0) {
		fprintf(stderr, "fuzz: %s\n", res.msg);
		fuzz_check(0, "the header section parses");
	}
	fuzz_check(out.body_off == env->hdrlen, "all of it is header");
	fuzz_check(out.has_blank || (size_t)env->body_off == size,
	    "a separator when a body follows");
	fuzz_check(count(&out, "Bcc") == 0 && count(&out, "Resent-Bcc") == 0,
	    "no Bcc transmitted");
	fuzz_check(count(&out, "Date") > 0 && count(&out, "Message-ID") > 0,
	    "Date and Message-ID");
	fuzz_check(acct->set_from_header == FROM_HDR_OFF ||
	    count(&out, "From") > 0, "From");
	check_fields(&in, &out, cli->read_headers,
	    acct->qualify_domain != NULL);
	if (cli->read_headers && has_prefix(&in, "Resent-"))
		fuzz_check(count(&out, "Resent-Date") > 0 &&
		    count(&out, "Resent-Message-ID") > 0,
		    "a resent message has Resent-Date and Resent-Message-ID");
	if (acct->long_lines == LONG_REFUSE)
		check_lines(env->hdr, env->hdrlen);
	hdr_free(&in);
	hdr_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum from_header fmode[] = {
		FROM_HDR_AUTO, FROM_HDR_ON, FROM_HDR_OFF, FROM_HDR_AUTO
	};
	static const enum long_lines lmode[] = {
		LONG_ENCODE, LONG_PASS, LONG_REFUSE, LONG_ENCODE
	};
	static const char al[] = "root: admin@example.org\n"
	    "default: ops@example.org\n";
	struct envelope	 env;
	struct account	 acct;
	struct cli	 cli;
	struct msg	 m;
	struct result	 res;
	char		*copy, *rcpts[3];
	size_t		 len, pos = 0, i;
	int		 rc;

	if (size < 2)
		return 0;
	if (aliases.path[0] == '\0')
		fuzz_file_set(&aliases, (const uint8_t *)al, sizeof(al) - 1);
	len = size - 2;
	copy = fuzz_strndup(data + 2, len);
	memset(&cli, 0, sizeof(cli));
	memset(&acct, 0, sizeof(acct));
	cli.read_headers = data[0] & 1;
	if (data[0] & 2)
		cli.from = field(copy, len, &pos);
	if (data[0] & 4)
		cli.fullname = field(copy, len, &pos);
	if (data[0] & 8)
		acct.from = field(copy, len, &pos);
	acct.qualify_domain = data[0] & 0x10 ? "example.org" : NULL;
	acct.aliases = data[0] & 0x20 ? aliases.path : NULL;
	for (i = 0; i < (size_t)(data[0] >> 6); i++)
		rcpts[i] = field(copy, len, &pos);
	cli.rcpts = rcpts;
	cli.nrcpts = data[0] >> 6;
	acct.set_from_header = fmode[data[1] & 3];
	acct.long_lines = lmode[data[1] >> 2 & 3];
	acct.domain = data[1] & 0x10 ? "client.example.org" : NULL;
	if (pos > len)
		pos = len;

	memset(&res, 0, sizeof(res));
	fuzz_check(msg_begin(&m, &res) == 0 &&
	    msg_append(&m, copy + pos, len - pos, &res) == 0 &&
	    msg_end(&m, &res) == 0, "spool the message");
	rc = envelope_build(&env, &cli, &acct, &m, &res);
	if (getenv("FUZZ_VERBOSE") != NULL)	/* to see what a seed reaches */
		fprintf(stderr, "envelope_build: %d %s\n", rc, res.msg);
	if (rc == 0) {
		check_env(&env, &cli, &acct, copy + pos, len - pos);
		envelope_free(&env);
	} else
		fuzz_check(res.exitcode == EX_USAGE ||
		    res.exitcode == EX_DATAERR || res.exitcode == EX_CONFIG,
		    "EX_USAGE, EX_DATAERR or EX_CONFIG");
	msg_free(&m);
	free(copy);
	return 0;
}
