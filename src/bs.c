/*
 * bs.c - "sendmail -bs": an SMTP server on stdin/stdout (bs.h).
 *
 * A command table over a small state machine: IDLE -> MAIL -> RCPT ->
 * DATA -> IDLE, and END after QUIT, EOF or a channel error.  One line
 * reader with a bounded buffer serves commands and data; replies are
 * gathered and written whenever we are about to wait for input, which
 * is all PIPELINING (RFC 2920) asks of a server that answers in order.
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "bs.h"
#include "log.h"
#include "msg.h"
#include "result.h"
#include "util.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define BS_OUT_MAX	4096	/* replies gathered before one write */
/* Room for stamp's error text in "554 5.0.0 <text>...\r\n". */
#define BS_TEXT_ROOM	(BS_REPLY_MAX - 16)

enum bs_state {
	BS_IDLE,		/* no transaction */
	BS_MAIL,		/* sender given: RCPT */
	BS_RCPT,		/* a recipient given: RCPT or DATA */
	BS_DATA,		/* reading the message */
	BS_END			/* QUIT, EOF or a broken channel */
};

static const char *const state_name[] = {
	"IDLE", "MAIL", "RCPT", "DATA", "END"
};

enum line_kind { LINE_OK, LINE_LONG, LINE_EOF, LINE_ERR };

struct bs {
	const struct bs_opts *o;
	struct result	*res;		/* channel errors only */
	enum bs_state	 state;
	int		 broken;	/* a reply could not be written */
	char		 host[BS_HOST_MAX];
	char		 in[BS_TEXT_MAX + 1];	/* +1: a NUL after a line */
	size_t		 ioff, ilen;	/* unread input: in[ioff, +ilen) */
	int		 eof;
	char		 out[BS_OUT_MAX];
	size_t		 olen;
	/* The transaction: reset by RSET, EHLO, HELO and after DATA. */
	char		*from;
	struct strlist	 rcpts;
	const char	*body_type;
	struct msg	 msg;
	struct result	 spool;		/* spooling trouble during DATA */
	int		 too_long;	/* a data line over BS_TEXT_MAX */
};

/* The reply to a refused message, by exit status (bs.h). */
static const struct {
	int		 ex;
	int		 code;
	const char	*enh;
} fail_replies[] = {
	{ EX_NOUSER, 550, "5.1.1" },		/* a recipient refused */
	{ EX_DATAERR, 554, "5.6.0" },		/* the message, an address */
	{ EX_USAGE, 554, "5.5.4" },		/* stamp's flags (-F) */
	{ EX_NOPERM, 554, "5.7.0" },		/* upstream refused AUTH */
	{ EX_NOHOST, 554, "5.4.4" },		/* no such upstream host */
	{ EX_PROTOCOL, 554, "5.5.0" },		/* upstream spoke nonsense */
	{ EX_UNAVAILABLE, 554, "5.0.0" },	/* other 5xx, TLS checks */
	{ EX_CONFIG, 451, "4.3.5" },		/* fix stamp.ini, retry */
};

int
bs_reply_code(int exitcode, const char **enh)
{
	size_t	 i;

	for (i = 0; i < NITEMS(fail_replies); i++)
		if (fail_replies[i].ex == exitcode) {
			*enh = fail_replies[i].enh;
			return fail_replies[i].code;
		}
	/* Temporary or local trouble, or unknown: never lose a message. */
	*enh = "4.3.0";
	return 451;
}

static void
set_state(struct bs *b, enum bs_state st)
{
	if (b->state != st)
		log_trace("bs: %s -> %s", state_name[b->state],
		    state_name[st]);
	b->state = st;
}

/* ---- output ---------------------------------------------------------- */

static int
flush_out(struct bs *b)
{
	size_t	 n = b->olen;

	b->olen = 0;
	if (n == 0 || b->broken)
		return 0;
	if (write_all(b->o->out, b->out, n) == -1) {
		b->broken = 1;
		set_state(b, BS_END);
		return result_fail(b->res, EX_IOERR, "-bs: writing a reply: "
		    "%s", strerror(errno));
	}
	return 0;
}

/* One reply line; our texts fit BS_REPLY_MAX (error texts are cut). */
static void __attribute__((format(printf, 2, 3)))
reply(struct bs *b, const char *fmt, ...)
{
	char	 line[BS_REPLY_MAX];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(line) - 3)
		n = (int)(sizeof(line) - 3);
	log_wire(">> ", line, (size_t)n, 0);
	memcpy(line + n, "\r\n", 2);
	if (b->olen + (size_t)n + 2 > sizeof(b->out) && flush_out(b) == -1)
		return;
	memcpy(b->out + b->olen, line, (size_t)n + 2);
	b->olen += (size_t)n + 2;
}

/* A refused message: the code for its exit status, and stamp's words. */
static void
fail_reply(struct bs *b, const struct result *r)
{
	const char	*enh, *text = r->msg[0] != '\0' ? r->msg : "failed";
	int		 code = bs_reply_code(r->exitcode, &enh);

	reply(b, "%d %s %.*s%s", code, enh, BS_TEXT_ROOM, text,
	    strlen(text) > BS_TEXT_ROOM ? "..." : "");
}

/* ---- input ----------------------------------------------------------- */

/*
 * Wait for input at most idle_s (RFC 5321 4.5.3.2.7: a server gives up
 * on a silent client); then say 421 and end the session.
 */
static int
idle(struct bs *b)
{
	struct pollfd	 p = { .fd = b->o->in, .events = POLLIN };
	int		 n;

	if (b->o->idle_s <= 0)
		return 0;
	while ((n = poll(&p, 1, b->o->idle_s * 1000)) == -1 && errno == EINTR)
		continue;
	if (n != 0)
		return 0;	/* ready, or an error that read() will report */
	reply(b, "421 4.4.2 %s idle for %d s, closing", b->host,
	    b->o->idle_s);
	flush_out(b);
	return result_fail(b->res, EX_TEMPFAIL, "-bs: no input for %d s",
	    b->o->idle_s);
}

/* More input.  Replies go out first: the caller may be waiting for them. */
static int
fill(struct bs *b)
{
	ssize_t	 n;

	if (flush_out(b) == -1)
		return -1;
	if (b->ioff > 0) {
		memmove(b->in, b->in + b->ioff, b->ilen);
		b->ioff = 0;
	}
	if (idle(b) == -1)
		return -1;
	do
		n = read(b->o->in, b->in + b->ilen, BS_TEXT_MAX - b->ilen);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return result_fail(b->res, EX_IOERR, "-bs: reading the SMTP "
		    "input: %s", strerror(errno));
	if (n == 0)
		b->eof = 1;
	b->ilen += (size_t)n;
	return 0;
}

/*
 * The next line with its LF (CRLF or LF), at most max bytes.  A longer
 * one is skipped up to its LF and is LINE_LONG.  At EOF a last line
 * without LF is returned as it is.  *line stays valid until the next call.
 */
static enum line_kind
next_line(struct bs *b, size_t max, char **line, size_t *len)
{
	char	*p, *nl;
	int	 skipped = 0;

	for (;;) {
		p = b->in + b->ioff;
		nl = memchr(p, '\n', b->ilen);
		if (nl != NULL || (b->eof && b->ilen > 0)) {
			*len = nl != NULL ? (size_t)(nl - p) + 1 : b->ilen;
			*line = p;
			b->ioff += *len;
			b->ilen -= *len;
			return skipped || *len > max ? LINE_LONG : LINE_OK;
		}
		if (b->eof)
			return skipped ? LINE_LONG : LINE_EOF;
		if (b->ilen >= max) {		/* too long: drop it */
			skipped = 1;
			b->ioff = b->ilen = 0;
		}
		if (fill(b) == -1)
			return LINE_ERR;
	}
}

/* ---- the transaction ------------------------------------------------- */

static void
txn_reset(struct bs *b)
{
	free(b->from);
	b->from = NULL;
	strlist_free(&b->rcpts);
	b->body_type = NULL;
	msg_free(&b->msg);
	memset(&b->spool, 0, sizeof(b->spool));
	b->too_long = 0;
	if (b->state != BS_END)
		set_state(b, BS_IDLE);
}

/*
 * "FROM:<a@b> BODY=8BITMIME" -> "a@b" and "BODY=8BITMIME", in place.
 * Like Postfix, also takes a space after the colon and a bare address.
 */
static int
split_path(char *arg, const char *prefix, char **addr, char **params)
{
	size_t	 n = strlen(prefix);
	char	*p;

	if (strncasecmp(arg, prefix, n) != 0)
		return -1;
	for (p = arg + n; *p == ' '; p++)
		;
	if (*p == '<') {
		*addr = p + 1;
		if ((p = strchr(p, '>')) == NULL)
			return -1;
		*p++ = '\0';
	} else {
		*addr = p;
		p += strcspn(p, " ");
		if (p == *addr)
			return -1;
	}
	if (*p != '\0' && *p != ' ')
		return -1;			/* "<a@b>junk" */
	while (*p == ' ')
		*p++ = '\0';
	*params = p;
	return 0;
}

/*
 * a as envelope.c will read it: exactly one addr-spec (addr.h), a source
 * route dropped.  0 with it in l->v[0]; -1 with r->exitcode EX_OSERR if
 * memory, not the address, was the trouble.
 */
static int
parse_addr(const char *a, struct strlist *l, struct result *r)
{
	char	 buf[ADDR_MAX + 3];
	int	 n;

	if (addr_check(a, strlen(a)) == -1)
		return result_fail(r, EX_DATAERR, "bad address");
	n = snprintf(buf, sizeof(buf), "<%s>", a);
	if (n < 0 || (size_t)n >= sizeof(buf) ||
	    addr_list_parse(buf, (size_t)n, l, r) == -1 || l->n != 1)
		return result_fail(r, EX_DATAERR, "bad address");
	return 0;
}

static void
addr_refused(struct bs *b, const struct result *r, const char *enh,
    const char *what)
{
	if (r->exitcode == EX_OSERR)
		reply(b, "451 4.3.0 out of memory");
	else
		reply(b, "501 %s bad %s address", enh, what);
}

static const char *
body_value(const char *v)
{
	if (strcasecmp(v, "7BIT") == 0)
		return "7BIT";
	if (strcasecmp(v, "8BITMIME") == 0)
		return "8BITMIME";
	return NULL;
}

/* One MAIL parameter (RFC 6152 BODY, RFC 1870 SIZE): NULL if taken. */
static const char *
mail_param(const char *kw, const char *val, const char **body)
{
	if (strcasecmp(kw, "BODY") == 0) {
		if (val == NULL || (*body = body_value(val)) == NULL)
			return "501 5.5.4 BODY must be 7BIT or 8BITMIME";
	} else if (strcasecmp(kw, "SIZE") == 0) {
		if (val == NULL || *val == '\0' || strlen(val) > 20 ||
		    strspn(val, "0123456789") != strlen(val))
			return "501 5.5.4 SIZE must be a number";
	} else
		return "555 5.5.4 unsupported MAIL parameter";
	return NULL;
}

static int
mail_params(struct bs *b, char *params, const char **body)
{
	char		*kw, *val, *save = NULL;
	const char	*err;

	*body = NULL;
	for (kw = strtok_r(params, " ", &save); kw != NULL;
	    kw = strtok_r(NULL, " ", &save)) {
		if ((val = strchr(kw, '=')) != NULL)
			*val++ = '\0';
		if ((err = mail_param(kw, val, body)) != NULL) {
			reply(b, "%s", err);
			return -1;
		}
	}
	return 0;
}

/* ---- commands -------------------------------------------------------- */

static const char *const caps[] = {
	"8BITMIME", "PIPELINING", "ENHANCEDSTATUSCODES", "HELP"
};

/* RFC 2034: no enhanced codes in replies to EHLO and HELO. */
static void
cmd_ehlo(struct bs *b, char *arg)
{
	size_t	 i;

	if (*arg == '\0') {
		reply(b, "501 5.5.4 syntax: EHLO domain");
		return;
	}
	txn_reset(b);				/* RFC 5321 4.1.4 */
	reply(b, "250-%s", b->host);
	for (i = 0; i + 1 < NITEMS(caps); i++)
		reply(b, "250-%s", caps[i]);
	reply(b, "250 %s", caps[i]);
}

static void
cmd_helo(struct bs *b, char *arg)
{
	if (*arg == '\0') {
		reply(b, "501 5.5.4 syntax: HELO domain");
		return;
	}
	txn_reset(b);
	reply(b, "250 %s", b->host);
}

static void
cmd_mail(struct bs *b, char *arg)
{
	struct strlist	 l = { 0 };
	struct result	 r = { 0 };
	const char	*body = NULL;
	char		*addr, *params;

	if (b->state != BS_IDLE)
		reply(b, "503 5.5.1 nested MAIL command");
	else if (split_path(arg, "FROM:", &addr, &params) == -1)
		reply(b, "501 5.5.4 syntax: MAIL FROM:<address>");
	else if (mail_params(b, params, &body) == -1)
		;				/* replied */
	/* <> is the null sender (RFC 5321 4.5.5): bounces, vacation. */
	else if (*addr != '\0' && parse_addr(addr, &l, &r) == -1)
		addr_refused(b, &r, "5.1.7", "sender");
	else if ((b->from = xstrdup(*addr == '\0' ? "" : l.v[0], &r)) ==
	    NULL)
		reply(b, "451 4.3.0 out of memory");
	else {
		b->body_type = body;
		reply(b, "250 2.1.0 Ok");
		set_state(b, BS_MAIL);
	}
	strlist_free(&l);
}

static void
cmd_rcpt(struct bs *b, char *arg)
{
	struct strlist	 l = { 0 };
	struct result	 r = { 0 };
	char		*addr, *params;

	if (b->state != BS_MAIL && b->state != BS_RCPT)
		reply(b, "503 5.5.1 need MAIL before RCPT");
	else if (split_path(arg, "TO:", &addr, &params) == -1)
		reply(b, "501 5.5.4 syntax: RCPT TO:<address>");
	else if (*params != '\0')
		reply(b, "555 5.5.4 unsupported RCPT parameter");
	else if (b->rcpts.n >= BS_RCPT_MAX)
		reply(b, "452 4.5.3 too many recipients");
	else if (parse_addr(addr, &l, &r) == -1)
		addr_refused(b, &r, "5.1.3", "recipient");
	else if (strlist_add(&b->rcpts, l.v[0], strlen(l.v[0]), &r) == -1)
		reply(b, "451 4.3.0 out of memory");
	else {
		reply(b, "250 2.1.5 Ok");
		set_state(b, BS_RCPT);
	}
	strlist_free(&l);
}

static int
is_dot(const char *line, size_t len)
{
	return (len == 2 && memcmp(line, ".\n", 2) == 0) ||
	    (len == 3 && memcmp(line, ".\r\n", 3) == 0);
}

/*
 * Data lines up to the lone dot, un-dot-stuffed (RFC 5321 4.5.2).  After
 * a spooling error or an over-long line, read on to the dot regardless.
 * -1 at EOF or on a read error: no reply is owed, the session ends.
 */
static int
read_data(struct bs *b)
{
	char		*line;
	size_t		 len;
	enum line_kind	 k;

	for (;;) {
		k = next_line(b, BS_TEXT_MAX, &line, &len);
		if (k == LINE_EOF || k == LINE_ERR) {
			log_trace("bs: input ended inside DATA: message "
			    "dropped");
			set_state(b, BS_END);
			return -1;
		}
		if (k == LINE_LONG)
			b->too_long = 1;
		else if (is_dot(line, len))
			return 0;
		else if (!b->spool.set && !b->too_long) {
			if (line[0] == '.') {
				line++;
				len--;
			}
			msg_append(&b->msg, line, len, &b->spool);
		}
	}
}

/* Submit the message, then answer its end of data. */
static void
end_data(struct bs *b)
{
	struct result	 r = { 0 };
	struct bs_txn	 t = {
		.from = b->from, .rcpts = b->rcpts.v, .nrcpts = b->rcpts.n,
		.body_type = b->body_type, .msg = &b->msg,
	};

	log_trace("bs: %lld bytes of message data", (long long)b->msg.size);
	if (b->too_long)
		reply(b, "500 5.5.2 line too long (over %d octets): message "
		    "not sent", BS_TEXT_MAX);
	else if (b->spool.set || msg_end(&b->msg, &b->spool) == -1)
		fail_reply(b, &b->spool);
	else if (b->o->deliver(b->o->arg, &t, &r) == -1) {
		if (!r.set)
			result_fail(&r, EX_SOFTWARE, "not sent");
		fail_reply(b, &r);
	} else if (strncmp(r.smtpmsg, BS_QUEUED, strlen(BS_QUEUED)) == 0)
		reply(b, "250 2.0.0 Ok: %.400s", r.smtpmsg);
	else if (r.smtpmsg[0] != '\0')
		reply(b, "250 2.0.0 Ok: sent (upstream: %.400s)", r.smtpmsg);
	else
		reply(b, "250 2.0.0 Ok: sent");
	txn_reset(b);
}

static void
cmd_data(struct bs *b, char *arg)
{
	if (b->state == BS_IDLE)
		reply(b, "503 5.5.1 need MAIL before DATA");
	else if (b->state != BS_RCPT)
		reply(b, "503 5.5.1 need RCPT before DATA");
	else if (*arg != '\0')
		reply(b, "501 5.5.4 syntax: DATA");
	else if (msg_begin(&b->msg, &b->spool) == -1) {
		fail_reply(b, &b->spool);
		txn_reset(b);
	} else {
		reply(b, "354 End data with <CR><LF>.<CR><LF>");
		set_state(b, BS_DATA);
		if (read_data(b) == 0)
			end_data(b);
	}
}

static void
cmd_rset(struct bs *b, char *arg)
{
	if (*arg != '\0') {
		reply(b, "501 5.5.4 syntax: RSET");
		return;
	}
	txn_reset(b);
	reply(b, "250 2.0.0 Ok");
}

static void
cmd_noop(struct bs *b, char *arg)
{
	(void)arg;
	reply(b, "250 2.0.0 Ok");
}

static void
cmd_quit(struct bs *b, char *arg)
{
	(void)arg;
	reply(b, "221 2.0.0 %s closing", b->host);
	set_state(b, BS_END);
}

static void
cmd_vrfy(struct bs *b, char *arg)
{
	if (*arg == '\0')
		reply(b, "501 5.5.4 syntax: VRFY address");
	else
		reply(b, "252 2.5.2 Cannot VRFY user; try RCPT to attempt "
		    "delivery");
}

static void
cmd_help(struct bs *b, char *arg)
{
	(void)arg;
	reply(b, "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP "
	    "QUIT VRFY HELP; see stamp(1)");
}

static const struct {
	const char	*verb;
	void		(*fn)(struct bs *, char *);
} cmds[] = {
	{ "EHLO", cmd_ehlo }, { "HELO", cmd_helo }, { "MAIL", cmd_mail },
	{ "RCPT", cmd_rcpt }, { "DATA", cmd_data }, { "RSET", cmd_rset },
	{ "NOOP", cmd_noop }, { "QUIT", cmd_quit }, { "VRFY", cmd_vrfy },
	{ "HELP", cmd_help },
};

/* Known to SMTP, not offered here: 502, not 500. */
static const char *const unimplemented[] = {
	"EXPN", "AUTH", "STARTTLS", "BDAT", "ETRN", "ATRN", "TURN", "SEND",
	"SOML", "SAML",
};

static int
verb_is(const char *line, size_t vlen, const char *verb)
{
	return strlen(verb) == vlen && strncasecmp(line, verb, vlen) == 0;
}

static void
command(struct bs *b, char *line, size_t len)
{
	char	*arg;
	size_t	 i, vlen;

	log_wire("<< ", line, len, 0);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (memchr(line, '\0', len) != NULL || memchr(line, '\r', len)) {
		reply(b, "500 5.5.2 NUL or CR in a command line");
		return;
	}
	line[len] = '\0';
	vlen = strcspn(line, " ");
	for (arg = line + vlen; *arg == ' '; arg++)
		;
	for (i = 0; i < NITEMS(cmds); i++)
		if (verb_is(line, vlen, cmds[i].verb)) {
			cmds[i].fn(b, arg);
			return;
		}
	for (i = 0; i < NITEMS(unimplemented); i++)
		if (verb_is(line, vlen, unimplemented[i])) {
			reply(b, "502 5.5.1 command not implemented");
			return;
		}
	reply(b, "500 5.5.1 unknown command");
}

/* ---- the session ----------------------------------------------------- */

/* Our name for the greeting: gethostname(2), if it looks like one. */
static void
set_host(struct bs *b)
{
	char		 buf[BS_HOST_MAX];
	const char	*h = b->o->hostname, *p;

	if (h == NULL && gethostname(buf, sizeof(buf)) == 0) {
		buf[sizeof(buf) - 1] = '\0';
		h = buf;
	}
	for (p = h; p != NULL && *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			break;
	if (h == NULL || *h == '\0' || *p != '\0')
		h = "localhost";
	str_copy(b->host, sizeof(b->host), h);
}

int
bs_run(const struct bs_opts *o, struct result *res)
{
	struct bs	*b;
	char		*line;
	size_t		 len;
	enum line_kind	 k;
	int		 rc;

	if ((b = xcalloc(1, sizeof(*b), res)) == NULL)
		return -1;
	b->o = o;
	b->res = res;
	b->msg.fd = -1;
	set_host(b);
	reply(b, "220 %s ESMTP stamp", b->host);
	while (b->state != BS_END) {
		k = next_line(b, BS_CMD_MAX, &line, &len);
		if (k == LINE_EOF || k == LINE_ERR)
			set_state(b, BS_END);
		else if (k == LINE_LONG)
			reply(b, "500 5.5.2 line too long (over %d octets)",
			    BS_CMD_MAX);
		else
			command(b, line, len);
	}
	flush_out(b);
	txn_reset(b);
	rc = b->res->set ? -1 : 0;
	free(b);
	return rc;
}
