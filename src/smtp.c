/*
 * smtp.c - the submission session as a state machine: enter() sends what
 * a state needs, decide() reads its reply and picks the next state.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "addr.h"
#include "body.h"
#include "conn.h"
#include "log.h"
#include "msg.h"
#include "params.h"
#include "qp.h"
#include "reply.h"
#include "result.h"
#include "sasl.h"
#include "smtp.h"
#include "tls.h"
#include "util.h"

#define SMTP_CMD_MAX	1024		/* a command line, except AUTH */
#define SMTP_CHUNK	(64 * 1024)	/* message bytes per filter pass */
#define SMTP_QP_IN	(SMTP_CHUNK / 4 - 4)	/* QP_OUT_MAX is SMTP_CHUNK */
#define SMTP_REFUSED_MAX 800		/* text naming refused recipients */
/*
 * Recipients pipelined in one group at most; more go in lockstep.  We
 * write the whole group before reading a reply: the replies must fit
 * in the socket buffers meanwhile, or a server blocked on writing them
 * stops reading and both wait (RFC 2920 3.1).
 */
#define SMTP_PIPE_RCPTS	100

enum state {
	S_GREETING, S_EHLO, S_STARTTLS, S_AUTH, S_MAIL, S_RCPT, S_DATA,
	S_BDAT, S_BODY, S_QUIT, S_DONE
};

static const char *const state_name[] = {
	"GREETING", "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA",
	"BDAT", "BODY", "QUIT", "DONE"
};

/* EHLO keywords (RFC 5321 4.1.1.1) we act on. */
#define CAP_STARTTLS	0x01
#define CAP_AUTH	0x02
#define CAP_8BITMIME	0x04
#define CAP_SIZE	0x08
#define CAP_DSN		0x10
#define CAP_SMTPUTF8	0x20
#define CAP_PIPELINING	0x40
#define CAP_CHUNKING	0x80
#define SMTP_AUTH_STEPS	4		/* 334 challenges we answer */
#define SMTP_OFFERED_MAX 256		/* the AUTH line, for messages */
#define SMTP_AUTH_LINE	12288		/* RFC 4954 4: longest AUTH line */

struct session {
	const struct smtp_opts	*o;
	const struct smtp_msg	*m;
	struct smtp_info	*info;
	struct result		*res;
	struct conn		*c;
	enum state		 state;
	unsigned		 caps, mechs;
	unsigned long long	 size_max;
	enum sasl_mech		 mech;		/* chosen */
	struct sasl		*sasl;		/* its exchange */
	char			*pending;	/* an initial response too long
						   for the AUTH line (secret) */
	int			 step;		/* AUTH exchange step */
	char			 offered[SMTP_OFFERED_MAX]; /* AUTH's list */
	const char		*cb_type;	/* TLS channel binding */
	unsigned char		 cb[TLS_CB_MAX];
	size_t			 cblen;
	int			 dot;		/* the end of data is queued */
	int			 data_sent;	/* DATA sent, no refusal read */
	int			 quit_sent;	/* QUIT is queued already */
	int			 grouped;	/* the pipelined group is sent:
						   enter() only names stages */
	int			 dry;		/* cmd() names, does not send */
	int			 bdat;		/* BDAT LAST instead of DATA */
	int			 sized;		/* size is known */
	unsigned long long	 size;		/* for SIZE= */
	unsigned long long	 wire;		/* the exact bytes (exact_size) */
	int			 wired;		/* wire is known */
	struct params		 p;		/* MAIL and RCPT parameters */
	size_t			 rcpt;		/* next recipient */
	size_t			 nrefused;
	int			 refused_code;	/* worst refusal */
	int			 clean;		/* the failure ended only the
						   transaction (smtp.h) */
	struct result		 after;		/* RSET's and later replies:
						   no message's outcome */
	char			 refused_first[RESULT_SMTP_MAX];
	char			 refused[SMTP_REFUSED_MAX];
	char			 stage[SMTP_CMD_MAX];
	struct reply		 r;
};

static void
next(struct session *s, enum state st)
{
	log_trace("%s -> %s", state_name[s->state], state_name[st]);
	s->state = st;
}

/* Send one command line (not secret); the stage names it for errors. */
static int __attribute__((format(printf, 2, 3)))
cmd(struct session *s, const char *fmt, ...)
{
	char	 line[SMTP_CMD_MAX];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		return result_fail(s->res, EX_SOFTWARE, "command too long");
	memcpy(s->stage, line, (size_t)n + 1);
	conn_stage(s->c, s->stage);
	if (s->dry)
		return 0;
	log_wire("-> ", line, (size_t)n, 0);
	memcpy(line + n, "\r\n", 2);
	return conn_write(s->c, line, (size_t)n + 2, s->res);
}

/* Send prefix + secret: the transcript never shows the secret. */
static int
cmd_secret(struct session *s, const char *prefix, const char *secret)
{
	log_wire("-> ", prefix, strlen(prefix), *prefix == '\0');
	if (conn_write(s->c, prefix, strlen(prefix), s->res) == -1 ||
	    conn_write(s->c, secret, strlen(secret), s->res) == -1 ||
	    conn_write(s->c, "\r\n", 2, s->res) == -1)
		return -1;
	return 0;
}

/* One reply line; a malformed one is reported with the stage. */
static int
feed_line(struct session *s, const char *line, size_t len)
{
	struct result	 why = { 0 };
	int		 done;

	if ((done = reply_feed(&s->r, line, len, &why)) == -1) {
		log_wire("<- ", line, len, 0);
		return result_fail(s->res, why.exitcode, "%s: %s", s->stage,
		    why.msg);
	}
	return done;
}

static int
read_reply(struct session *s)
{
	char	 line[REPLY_LINE_MAX + 1];
	size_t	 len;
	int	 done;

	reply_init(&s->r);
	do {
		if (conn_getline(s->c, line, REPLY_LINE_MAX, &len,
		    s->res) == -1 || (done = feed_line(s, line, len)) == -1)
			return -1;
		log_wire("<- ", line, len, 0);
	} while (!done);
	result_note_reply(s->res, s->r.code, s->r.first);
	return 0;
}

/* A reply we cannot go on from: record it with the stage. */
static int
refuse(struct session *s, int rcpt)
{
	return result_reply(s->res, s->stage, s->r.code, s->r.first, rcpt);
}

/* "AUTH PLAIN SCRAM-SHA-256 ..." (RFC 4954 3); unknown names are kept
 * for messages only.  Several AUTH lines (AUTH=, old Outlook) add up. */
static void
parse_mechs(struct session *s, const char *p)
{
	enum sasl_mech	 m;
	size_t		 n;

	for (p += strspn(p, " "); *p != '\0'; p += n, p += strspn(p, " ")) {
		n = strcspn(p, " ");
		if ((m = sasl_lookup(p, n)) != SASL_NONE)
			s->mechs |= 1u << m;
		if (strlen(s->offered) + n + 2 >= sizeof(s->offered))
			continue;
		if (s->offered[0] != '\0')
			str_append(s->offered, sizeof(s->offered), " ");
		strncat(s->offered, p, n);
	}
}

static void
parse_caps(struct session *s)
{
	const char	*l;
	size_t		 i;

	s->caps = s->mechs = 0;
	s->offered[0] = '\0';
	s->size_max = 0;
	for (i = 1; i < s->r.nlines; i++) {
		l = reply_line(&s->r, i);
		if (strcasecmp(l, "STARTTLS") == 0)
			s->caps |= CAP_STARTTLS;
		else if (strcasecmp(l, "8BITMIME") == 0)
			s->caps |= CAP_8BITMIME;
		else if (strcasecmp(l, "DSN") == 0)
			s->caps |= CAP_DSN;
		else if (strcasecmp(l, "SMTPUTF8") == 0)
			s->caps |= CAP_SMTPUTF8;
		else if (strcasecmp(l, "PIPELINING") == 0)
			s->caps |= CAP_PIPELINING;
		else if (strcasecmp(l, "CHUNKING") == 0)
			s->caps |= CAP_CHUNKING;
		else if (strncasecmp(l, "SIZE", 4) == 0 &&
		    (l[4] == '\0' || l[4] == ' ')) {
			s->caps |= CAP_SIZE;
			s->size_max = strtoull(l + 4, NULL, 10);
		} else if (strncasecmp(l, "AUTH", 4) == 0 &&
		    (l[4] == ' ' || l[4] == '=')) {
			s->caps |= CAP_AUTH;
			parse_mechs(s, l + 5);
		}
	}
}

/* AUTH is wanted: a user, or EXTERNAL (the certificate says who). */
static int
wants_auth(const struct smtp_opts *o)
{
	return o->user != NULL || (o->auth != NULL &&
	    strcasecmp(o->auth, "external") == 0);
}

/* RFC 4954 4: only these may start the pipelined group. */
static int
one_round_trip(enum sasl_mech m)
{
	return m == SASL_PLAIN || m == SASL_EXTERNAL;
}

/* PLAIN's or EXTERNAL's initial response would not fit the AUTH line
 * (enter_auth then waits for a 334): not one round trip after all. */
static int
long_initial_response(const struct session *s)
{
	size_t	 n = s->o->authzid != NULL ? strlen(s->o->authzid) : 0;

	if (s->mech == SASL_PLAIN)
		n += strlen(s->o->user) + s->o->passlen + 2;
	return strlen("AUTH EXTERNAL ") + B64_LEN(n) + 2 > SMTP_AUTH_LINE;
}

/*
 * auth = auto: the strongest mechanism both sides have.  -PLUS binds
 * the exchange to this TLS connection; SCRAM proves the server knows
 * the password and never shows it; PLAIN and LOGIN show it (over TLS);
 * CRAM-MD5 and DIGEST-MD5 are weak hashes, for old servers only.
 * XOAUTH2, OAUTHBEARER and EXTERNAL need other credentials: forced only.
 */
static const enum sasl_mech auto_order[] = {
	SASL_SCRAM_SHA256_PLUS, SASL_SCRAM_SHA1_PLUS, SASL_SCRAM_SHA256,
	SASL_SCRAM_SHA1, SASL_PLAIN, SASL_LOGIN, SASL_CRAM_MD5,
	SASL_DIGEST_MD5
};

static int
offered(const struct session *s, enum sasl_mech m)
{
	return (s->mechs & (1u << m)) != 0;
}

static enum sasl_mech
auto_mech(struct session *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(auto_order) / sizeof(auto_order[0]); i++)
		if (offered(s, auto_order[i]) &&
		    (!sasl_is_plus(auto_order[i]) || s->cblen > 0))
			return auto_order[i];
	return SASL_NONE;
}

static int
choose_mech(struct session *s)
{
	const char	*want = s->o->auth ? s->o->auth : "auto";
	int		 is_auto = strcasecmp(want, "auto") == 0;

	if (!(s->caps & CAP_AUTH))
		return result_fail(s->res, EX_UNAVAILABLE, "AUTH: the server "
		    "does not offer authentication (remove user = to send "
		    "without it)");
	if (conn_channel_binding(s->c, NULL, &s->cb_type, s->cb,
	    sizeof(s->cb), &s->cblen) == -1)
		s->cblen = 0;
	s->mech = is_auto ? auto_mech(s) : sasl_lookup(want, strlen(want));
	if (s->mech == SASL_NONE)
		return result_fail(s->res, EX_UNAVAILABLE, "AUTH: no usable "
		    "mechanism (auth = %s; the server offers: %s)", want,
		    s->offered[0] != '\0' ? s->offered : "none");
	if (!offered(s, s->mech))
		return result_fail(s->res, EX_UNAVAILABLE, "AUTH: the server "
		    "does not offer %s (auth = %s; it offers: %s)",
		    sasl_name(s->mech), want, s->offered[0] != '\0' ?
		    s->offered : "none");
	if (s->mech == SASL_EXTERNAL && s->o->tls.cert_file == NULL)
		return result_fail(s->res, EX_CONFIG, "AUTH: auth = external "
		    "needs a client certificate (tls_cert_file and "
		    "tls_key_file)");
	if (sasl_is_plus(s->mech) && s->cblen == 0)
		return result_fail(s->res, EX_UNAVAILABLE, "AUTH: %s needs TLS "
		    "channel binding, which this connection does not have",
		    sasl_name(s->mech));
	snprintf(s->info->auth, sizeof(s->info->auth), "%s",
	    sasl_name(s->mech));
	log_trace("AUTH: %s (the server offers: %s)%s%s", s->info->auth,
	    s->offered, sasl_is_plus(s->mech) ? "; channel binding " : "",
	    sasl_is_plus(s->mech) ? s->cb_type : "");
	return 0;
}

static int
start_sasl(struct session *s)
{
	struct sasl_cred c = {
		.authzid = s->o->authzid, .user = s->o->user ?
		    s->o->user : "", .pass = s->o->pass ? s->o->pass : "",
		.passlen = s->o->pass ? s->o->passlen : 0,
		.host = s->o->host, .port = s->o->port,
		.cb_type = s->cb_type, .cb = s->cb, .cblen = s->cblen,
	};

	/* RFC 5802 6: "y" only when we could bind and the server can't. */
	c.server_plus = offered(s, SASL_SCRAM_SHA1_PLUS) ||
	    offered(s, SASL_SCRAM_SHA256_PLUS) || s->cblen == 0;
	if (!sasl_is_plus(s->mech))
		c.cb = NULL, c.cblen = 0, c.cb_type = NULL;
	return (s->sasl = sasl_new(s->mech, &c, s->res)) == NULL ? -1 : 0;
}

/* RFC 4954 4: "*" cancels an exchange we cannot go on with. */
static void
cancel_auth(struct session *s)
{
	struct result	 ignored = { 0 };

	log_wire("-> ", "*", 1, 0);
	conn_write(s->c, "*\r\n", 3, &ignored);
}

/* AUTH MECH [initial-response] ("=" when empty), or the next response. */
static int
enter_auth(struct session *s)
{
	char	 prefix[64], *resp = NULL;
	int	 r;

	if (!conn_is_tls(s->c))		/* never: see smtp.h */
		return result_fail(s->res, EX_SOFTWARE, "AUTH without TLS");
	snprintf(s->stage, sizeof(s->stage), "AUTH %s", s->info->auth);
	conn_stage(s->c, s->stage);
	if (s->dry)
		return 0;
	if (s->step > 0) {
		if (s->pending != NULL) {	/* the 334 asks for it */
			resp = s->pending;
			s->pending = NULL;
		} else if (sasl_step(s->sasl, reply_line(&s->r, 0), &resp,
		    s->res) == -1) {
			cancel_auth(s);
			return -1;
		}
		r = cmd_secret(s, "", resp);
		sasl_wipe(resp);
		return r;
	}
	if (s->sasl == NULL && start_sasl(s) == -1)
		return -1;
	if ((r = sasl_start(s->sasl, &resp, s->res)) <= 0)
		return r == 0 ? cmd(s, "AUTH %s", s->info->auth) : -1;
	snprintf(prefix, sizeof(prefix), "AUTH %s ", s->info->auth);
	/* RFC 4954 4: too long for the line, it waits for a 334. */
	if (strlen(prefix) + strlen(resp) + 2 > SMTP_AUTH_LINE) {
		s->pending = resp;
		return cmd(s, "AUTH %s", s->info->auth);
	}
	r = cmd_secret(s, prefix, *resp != '\0' ? resp : "=");
	sasl_wipe(resp);
	return r;
}

/* A refusal; XOAUTH2 and OAUTHBEARER explained it in a challenge. */
static int
refuse_auth(struct session *s)
{
	char	 text[RESULT_MSG_MAX];

	if (s->sasl == NULL || *sasl_error(s->sasl) == '\0')
		return refuse(s, 0);
	str_copy(text, sizeof(text), s->r.first);
	str_append(text, sizeof(text), " (");
	str_append(text, sizeof(text), sasl_error(s->sasl));
	str_append(text, sizeof(text), ")");
	return result_reply(s->res, s->stage, s->r.code, text, 0);
}

static int
decide_auth(struct session *s)
{
	if (s->r.code == 235) {
		/* SCRAM, DIGEST-MD5: the server must have proven itself. */
		if (s->sasl != NULL && sasl_done(s->sasl, s->res) == -1)
			return -1;
		next(s, s->o->auth_only ? S_QUIT : S_MAIL);
		return 0;
	}
	/* 334: the next response.  Not when MAIL and the rest follow
	 * already: that would be their data. */
	if (s->r.code == 334 && !s->grouped && s->step < SMTP_AUTH_STEPS) {
		s->step++;
		return 0;
	}
	return refuse_auth(s);
}

static int	 exact_size(struct session *);

/* The size for SIZE=, once; a server limit it exceeds ends here. */
static int
mail_size(struct session *s)
{
	if (s->sized)
		return 0;
	s->sized = 1;
	s->size = s->m->hdrlen + (unsigned long long)(s->m->msg->size -
	    s->m->body_off);
	/* Quoted-printable can triple the body: SIZE= must not understate
	 * it, so count it exactly (rare: a line over 998 octets). */
	if ((s->caps & CAP_SIZE) && s->m->body_qp) {
		if (exact_size(s) == -1)
			return -1;
		s->size = s->wire;
	}
	if ((s->caps & CAP_SIZE) && s->size_max > 0 &&
	    s->size > s->size_max) {
		/* Nothing sent yet: only the transaction is over. */
		s->clean = s->state == S_MAIL;
		return result_fail(s->res, EX_UNAVAILABLE, "MAIL: the "
		    "message (%llu bytes) is larger than the server accepts "
		    "(%llu)", s->size, s->size_max);
	}
	return 0;
}

static int
enter_mail(struct session *s)
{
	char		 size_param[32] = "", params[PARAMS_MAX];

	if (mail_size(s) == -1)
		return -1;
	/* SIZE= (RFC 1870) lets the server refuse before the upload. */
	if (s->caps & CAP_SIZE)
		snprintf(size_param, sizeof(size_param), " SIZE=%llu",
		    s->size);
	if (params_mail(&s->p, params, sizeof(params)) == -1)
		return result_fail(s->res, EX_SOFTWARE, "MAIL parameters too "
		    "long");
	return cmd(s, "MAIL FROM:<%s>%s%s", s->m->from, size_param, params);
}

static int
enter_rcpt(struct session *s)
{
	const char	*rcpt = s->m->rcpts[s->rcpt];
	char		 params[PARAMS_MAX];

	if (params_rcpt(&s->p, rcpt, params, sizeof(params)) == -1)
		return result_fail(s->res, EX_SOFTWARE, "RCPT parameters too "
		    "long");
	return cmd(s, "RCPT TO:<%s>%s", rcpt, params);
}

/* Remember a refused recipient; the error comes after the last RCPT. */
static void
note_refused(struct session *s)
{
	/* A permanent refusal outweighs a temporary one: retrying later
	 * cannot deliver to everybody. */
	if (s->nrefused == 0 || (s->refused_code < 500 && s->r.code >= 500)) {
		s->refused_code = s->r.code;
		str_copy(s->refused_first, sizeof(s->refused_first),
		    s->r.first);
	}
	if (s->nrefused++ > 0)
		str_append(s->refused, sizeof(s->refused), "; ");
	str_append(s->refused, sizeof(s->refused), s->stage);
	str_append(s->refused, sizeof(s->refused), ": ");
	str_append(s->refused, sizeof(s->refused), s->r.first);
}

static int
decide_rcpt(struct session *s)
{
	if (s->r.code != 250 && s->r.code != 251)
		note_refused(s);
	if (++s->rcpt < s->m->nrcpts)
		return 0;
	if (s->nrefused == 0) {
		next(s, s->bdat ? S_BDAT : S_DATA);
		return 0;
	}
	/* All or nothing (DESIGN.md 4): no DATA, name every refusal. */
	result_note_reply(s->res, s->refused_code, s->refused_first);
	return result_fail(s->res, result_reply_status(s->refused_code,
	    s->refused_first, 1), "%zu of %zu recipients refused, nothing "
	    "sent: %s", s->nrefused, s->m->nrcpts, s->refused);
}

/* What the message goes through on its way out: buffers and filters. */
struct sendbuf {
	struct body_filter	 f;	/* CRLF, dot-stuffing for DATA */
	struct qp		 q;	/* the body, when it goes QP */
	char			*in;	/* SMTP_CHUNK bytes of the spool */
	char			*qp;	/* SMTP_CHUNK: QP_OUT_MAX(SMTP_QP_IN) */
	char			*out;	/* BODY_OUT_MAX(SMTP_CHUNK) */
	unsigned long long	*count;	/* non-NULL: count, do not send */
};

static int
sendbuf_init(struct session *s, struct sendbuf *sb, int stuff)
{
	memset(sb, 0, sizeof(*sb));
	sb->in = xmalloc(SMTP_CHUNK, s->res);
	sb->out = xmalloc(BODY_OUT_MAX(SMTP_CHUNK), s->res);
	if (s->m->body_qp)
		sb->qp = xmalloc(SMTP_CHUNK, s->res);
	body_init(&sb->f, stuff);
	qp_init(&sb->q);
	if (sb->in == NULL || sb->out == NULL ||
	    (s->m->body_qp && sb->qp == NULL))
		return -1;
	return 0;
}

static void
sendbuf_free(struct sendbuf *sb)
{
	free(sb->in);
	free(sb->qp);
	free(sb->out);
}

/* Queue n bytes of sb->out, or only count them. */
static int
sink(struct session *s, struct sendbuf *sb, size_t n)
{
	if (sb->count != NULL) {
		*sb->count += n;
		return 0;
	}
	return conn_write(s->c, sb->out, n, s->res);
}

/*
 * Filter len bytes through f (through q first, unless q is NULL) and
 * queue them; any len, in pieces whose output fits the buffers.
 */
static int
put_filtered(struct session *s, struct sendbuf *sb, struct qp *q,
    const char *p, size_t len)
{
	const char	*b;
	size_t		 n, k, step = q != NULL ? SMTP_QP_IN : SMTP_CHUNK;

	while (len > 0) {
		n = k = len < step ? len : step;
		b = p;
		if (q != NULL) {
			k = qp_encode(q, p, n, sb->qp);
			b = sb->qp;
		}
		if (sink(s, sb, body_filter(&sb->f, b, k, sb->out)) == -1)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* The body, read from the spool: as it is, or quoted-printable (qp.h). */
static int
send_spool(struct session *s, struct sendbuf *sb)
{
	const struct msg *msg = s->m->msg;
	struct qp	*q = s->m->body_qp ? &sb->q : NULL;
	off_t		 off;
	ssize_t		 n;
	size_t		 k;

	for (off = s->m->body_off; off < msg->size; off += n) {
		if ((n = msg_read_at(msg, off, sb->in, SMTP_CHUNK,
		    s->res)) <= 0) {
			if (n == 0)	/* a regular stdin file shrank */
				result_fail(s->res, EX_IOERR, "the message "
				    "changed while it was being sent");
			return -1;
		}
		if (put_filtered(s, sb, q, sb->in, (size_t)n) == -1)
			return -1;
	}
	if (q == NULL)
		return 0;
	k = qp_finish(q, sb->qp);
	return sink(s, sb, body_filter(&sb->f, sb->qp, k, sb->out));
}

/* The header section and the body, the last line ended with CRLF. */
static int
put_message(struct session *s, struct sendbuf *sb)
{
	if (put_filtered(s, sb, NULL, s->m->hdr, s->m->hdrlen) == -1 ||
	    send_spool(s, sb) == -1)
		return -1;
	return sink(s, sb, body_finish(&sb->f, sb->out));
}

/*
 * What BDAT announces (RFC 3030 2): the bytes exactly as they will go,
 * CRLF and not dot-stuffed, counted by the very filters that send them.
 */
static int
wire_size(struct session *s, unsigned long long *n)
{
	struct sendbuf	 sb;
	int		 r = -1;

	*n = 0;
	if (sendbuf_init(s, &sb, 0) == 0) {
		sb.count = n;
		r = put_message(s, &sb);
	}
	sendbuf_free(&sb);
	return r;
}

/* wire_size into s->wire, once: for BDAT and for a QP body's SIZE=. */
static int
exact_size(struct session *s)
{
	if (s->wired)
		return 0;
	s->wired = 1;
	return wire_size(s, &s->wire);
}

static void
sending(struct session *s, const char *stage)
{
	snprintf(s->stage, sizeof(s->stage), "%s", stage);
	conn_stage(s->c, s->stage);
}

/* Might another transaction follow this one (smtp.h)? */
static int
more_pending(const struct session *s)
{
	return s->o->more != NULL && s->o->more->pending(s->o->more->arg);
}

/*
 * QUIT right behind the end of data, in the same write (RFC 2920),
 * unless another transaction may follow.
 */
static int
send_quit(struct session *s)
{
	if (more_pending(s))
		return 0;
	log_wire("-> ", "QUIT", 4, 0);
	s->quit_sent = 1;
	return conn_write(s->c, "QUIT\r\n", 6, s->res);
}

/* The header section, the body from the spool, the final dot. */
static int
send_body(struct session *s)
{
	struct sendbuf	 sb;
	int		 r = -1;

	if (sendbuf_init(s, &sb, 1) == -1)
		goto out;
	sending(s, "sending the message");
	if (put_message(s, &sb) == -1)
		goto out;
	log_trace("(%lld bytes of message data)", (long long)(s->m->hdrlen +
	    (size_t)(s->m->msg->size - s->m->body_off)));
	log_wire("-> ", ".", 1, 0);
	sending(s, "end of data");
	r = conn_write(s->c, ".\r\n", 3, s->res);
out:
	sendbuf_free(&sb);
	return r;
}

/* BDAT <n> LAST and the n bytes (RFC 3030 2): no dot, no stuffing. */
static int
send_bdat(struct session *s)
{
	struct sendbuf	 sb;
	int		 r = -1;

	if (cmd(s, "BDAT %llu LAST", s->wire) == -1)
		return -1;
	if (sendbuf_init(s, &sb, 0) == -1)
		goto out;
	sending(s, "sending the message");
	if (put_message(s, &sb) == -1)
		goto out;
	log_trace("(%llu bytes of message data)", s->wire);
	s->dot = 1;
	r = 0;
out:
	sendbuf_free(&sb);
	return r;
}

static int
enter_data(struct session *s)
{
	if (cmd(s, "DATA") == -1)
		return -1;
	if (!s->dry)
		s->data_sent = 1;
	return 0;
}

/* Sends what a state needs; with s->dry only names its stage. */
static int
enter_state(struct session *s)
{
	switch (s->state) {
	case S_GREETING:
		sending(s, "greeting");
		return 0;
	case S_EHLO:
		return cmd(s, "EHLO %s", s->o->domain);
	case S_STARTTLS:
		return cmd(s, "STARTTLS");
	case S_AUTH:
		return enter_auth(s);
	case S_MAIL:
		return enter_mail(s);
	case S_RCPT:
		return enter_rcpt(s);
	case S_DATA:
		return enter_data(s);
	case S_BDAT:		/* sent with the group */
		return cmd(s, "BDAT %llu LAST", s->wire);
	case S_BODY:
		if (send_body(s) == -1 || (s->grouped && send_quit(s) == -1))
			return -1;
		s->dot = 1;
		return 0;
	default:
		return result_fail(s->res, EX_SOFTWARE, "bad state");
	}
}

static int
enter_dry(struct session *s)
{
	int	 r;

	s->dry = 1;
	r = enter_state(s);
	s->dry = 0;
	return r;
}

/*
 * RFC 2920, and RFC 4954 4 for AUTH PLAIN with its initial response:
 * AUTH, MAIL, every RCPT and DATA in one write, or with CHUNKING and a
 * single recipient (all or none, DESIGN.md 4) BDAT LAST, the message
 * and QUIT.  The replies are then read in order, each state entered
 * dry to name its stage; the first refusal ends the session.
 */
static int
send_group(struct session *s)
{
	s->bdat = s->o->chunking && (s->caps & CAP_CHUNKING) &&
	    s->m->nrcpts == 1;
	/* Local failures and a SIZE refusal before anything is sent. */
	if (mail_size(s) == -1 ||
	    (s->bdat && exact_size(s) == -1))
		return -1;
	log_trace("pipelining: %s%zu RCPT, %s", s->state == S_AUTH ?
	    "AUTH, MAIL, " : "MAIL, ", s->m->nrcpts, s->bdat ?
	    "BDAT LAST, QUIT" : "DATA");
	if ((s->state == S_AUTH && enter_auth(s) == -1) ||
	    enter_mail(s) == -1)
		return -1;
	for (s->rcpt = 0; s->rcpt < s->m->nrcpts; s->rcpt++)
		if (enter_rcpt(s) == -1)
			return -1;
	s->rcpt = 0;
	if (s->bdat ? send_bdat(s) == -1 || send_quit(s) == -1 :
	    enter_data(s) == -1)
		return -1;
	s->grouped = 1;
	return enter_dry(s);
}

static int
enter(struct session *s)
{
	int	 group;

	if (s->grouped && s->state >= S_AUTH && s->state <= S_BDAT)
		return enter_dry(s);
	/* The group starts at MAIL, or at AUTH when PLAIN's or EXTERNAL's
	 * single round trip allows it (RFC 4954 4); others wait for 334s. */
	group = !s->o->auth_only && s->o->pipelining &&
	    (s->caps & CAP_PIPELINING) &&
	    s->m->nrcpts <= SMTP_PIPE_RCPTS && (s->state == S_MAIL ||
	    (s->state == S_AUTH && one_round_trip(s->mech) &&
	    !long_initial_response(s)));
	return group ? send_group(s) : enter_state(s);
}

static int
start_tls(struct session *s)
{
	if (conn_starttls(s->c, &s->o->tls, s->res) == -1)
		return -1;
	snprintf(s->info->tls, sizeof(s->info->tls), "%s",
	    conn_tls_version(s->c));
	log_trace("TLS established: %s", s->info->tls);
	/* RFC 3207 4.2: forget what the server said before TLS. */
	s->caps = s->mechs = 0;
	return 0;
}

/*
 * After the last EHLO, before AUTH: what MAIL and RCPT carry.  What the
 * server lacks is a warning (syslog, and -v), except an address that
 * needs SMTPUTF8: nothing is sent then.
 */
static int
choose_params(struct session *s)
{
	char		 line[256];
	unsigned	 offered = 0, bit;

	if (s->caps & CAP_8BITMIME)
		offered |= PARAMS_8BITMIME;
	if (s->caps & CAP_SMTPUTF8)
		offered |= PARAMS_SMTPUTF8;
	if (s->caps & CAP_DSN)
		offered |= PARAMS_DSN;
	if (params_choose(&s->p, offered, s->res) == -1)
		return -1;
	for (bit = 1; bit <= s->p.warnings; bit <<= 1) {
		if (!(s->p.warnings & bit))
			continue;
		snprintf(line, sizeof(line), "warning: %s",
		    params_warning(bit));
		log_syslog(LOG_WARNING, line);
		log_trace("%s", line);
	}
	return 0;
}

static int
decide_ehlo(struct session *s)
{
	if (s->r.code != 250)
		return refuse(s, 0);
	parse_caps(s);
	if (!conn_is_tls(s->c)) {
		if (!(s->caps & CAP_STARTTLS))
			return result_fail(s->res, EX_UNAVAILABLE, "STARTTLS: "
			    "the server does not offer STARTTLS; refusing to "
			    "continue without TLS");
		next(s, S_STARTTLS);
		return 0;
	}
	if (!s->o->auth_only && choose_params(s) == -1)
		return -1;
	if (wants_auth(s->o)) {
		if (choose_mech(s) == -1)
			return -1;
		next(s, S_AUTH);
	} else
		next(s, S_MAIL);
	return 0;
}

/*
 * A refusal (r == -1) that ended only the transaction: not inside a
 * pipelined group with replies still unread (the end of data and BDAT
 * LAST are the last of theirs), not with DATA sent and no end of data.
 */
static int
txn_refused(struct session *s, int r)
{
	if (r == -1 && (!s->grouped || s->state == S_BODY ||
	    s->state == S_BDAT) && !(s->data_sent && !s->dot))
		s->clean = 1;
	return r;
}

static int
decide(struct session *s)
{
	switch (s->state) {
	case S_GREETING:
		if (s->r.code != 220)
			return refuse(s, 0);
		next(s, S_EHLO);
		return 0;
	case S_EHLO:
		return decide_ehlo(s);
	case S_STARTTLS:
		if (s->r.code != 220)
			return refuse(s, 0);
		if (start_tls(s) == -1)
			return -1;
		next(s, S_EHLO);
		return 0;
	case S_AUTH:
		return decide_auth(s);
	case S_MAIL:
		if (s->r.code != 250)
			return txn_refused(s, refuse(s, 0));
		next(s, S_RCPT);
		return 0;
	case S_RCPT:
		return txn_refused(s, decide_rcpt(s));
	case S_DATA:
		if (s->r.code != 354) {
			s->data_sent = 0;
			return txn_refused(s, refuse(s, 0));
		}
		next(s, S_BODY);
		return 0;
	case S_BDAT:
	case S_BODY:
		if (s->r.code != 250)
			return txn_refused(s, refuse(s, 0));
		next(s, S_QUIT);
		return 0;
	default:
		return result_fail(s->res, EX_SOFTWARE, "bad state");
	}
}

/*
 * QUIT without waiting for 221: after a 250 to the end of data the
 * message is accepted; after a failure we are leaving anyway.  A dead
 * connection (conn.c) refuses the write at once.  After DATA (sent,
 * and not refused: a pipelined one may have got 354 unread) QUIT would
 * only be data: closing the connection without the end of data is what
 * abandons the transaction there (RFC 5321 3.3, 4.1.1.4).
 */
static void
quit(struct session *s)
{
	struct result	 ignored = { 0 };

	if (s->c == NULL || (s->data_sent && !s->dot))
		return;
	if (!s->quit_sent) {
		log_wire("-> ", "QUIT", 4, 0);
		if (conn_write(s->c, "QUIT\r\n", 6, &ignored) == -1)
			return;
	}
	conn_flush(s->c, &ignored);
}

static int
connect_server(struct session *s)
{
	int	 cms = s->o->connect_s * 1000, ioms = s->o->timeout_s * 1000;

	log_trace("connecting to %s:%d (%s)", s->o->host, s->o->port,
	    s->o->implicit_tls ? "SMTPS" : "STARTTLS");
	if (conn_open(&s->c, s->o->host, s->o->port, cms, ioms, s->res) == -1)
		return -1;
	if (!s->o->implicit_tls)
		return 0;
	snprintf(s->stage, sizeof(s->stage), "TLS with %s:%d", s->o->host,
	    s->o->port);
	conn_stage(s->c, s->stage);
	return start_tls(s);
}

/* Defence in depth against command injection (DESIGN.md 7). */
static int
check_addrs(const struct smtp_msg *m, struct result *res)
{
	size_t	 i;

	/* "": the null sender, MAIL FROM:<> (RFC 5321 4.5.5). */
	if (m->from[0] != '\0' && addr_check(m->from, strlen(m->from)) == -1)
		return result_fail(res, EX_DATAERR, "invalid sender address "
		    "<%s>", m->from);
	for (i = 0; i < m->nrcpts; i++)
		if (addr_check(m->rcpts[i], strlen(m->rcpts[i])) == -1)
			return result_fail(res, EX_DATAERR, "invalid "
			    "recipient address <%s>", m->rcpts[i]);
	return 0;
}

/* The state machine, until QUIT is due or something fails. */
static int
run(struct session *s)
{
	while (s->state != S_QUIT)
		if (enter(s) == -1 || read_reply(s) == -1 || decide(s) == -1)
			return -1;
	return 0;
}

/* RSET after a failed transaction (RFC 5321 4.1.1.5): 0 if 250. */
static int
rset(struct session *s)
{
	memset(&s->after, 0, sizeof(s->after));
	s->res = &s->after;
	if (cmd(s, "RSET") == -1 || read_reply(s) == -1)
		return -1;
	return s->r.code == 250 ? 0 : -1;
}

/* A new transaction for m, on the same session (smtp.h). */
static int
txn_start(struct session *s, const struct smtp_msg *m, struct result *res)
{
	s->m = m;
	s->res = res;
	s->dot = s->data_sent = s->grouped = s->bdat = 0;
	s->sized = s->wired = s->clean = 0;
	s->size = s->wire = 0;
	s->rcpt = s->nrefused = 0;
	s->refused_code = 0;
	s->refused_first[0] = s->refused[0] = '\0';
	s->state = S_MAIL;
	log_trace("next transaction");
	/* Its own parameters, for what this session's EHLO offered. */
	if (params_init(&s->p, m, res) == -1 || check_addrs(m, res) == -1 ||
	    choose_params(s) == -1) {
		s->clean = 1;
		return -1;
	}
	return 0;
}

/* Further messages while the connection can carry them. */
static void
go_on(struct session *s, int r)
{
	const struct smtp_more	*more = s->o->more;
	const struct smtp_msg	*m;
	struct result		 txn;

	for (;;) {
		if (r == -1 && (!s->clean || rset(s) == -1))
			break;
		if ((m = more->next(more->arg)) == NULL)
			break;
		memset(&txn, 0, sizeof(txn));
		r = txn_start(s, m, &txn);
		if (r == 0)
			r = run(s);
		more->done(more->arg, m, &txn);
	}
	s->res = &s->after;	/* txn is gone: QUIT has its own */
}

int
smtp_send(const struct smtp_opts *o, const struct smtp_msg *m,
    struct smtp_info *info, struct result *res)
{
	struct session	*s;
	int		 r = -1;

	memset(info, 0, sizeof(*info));
	if ((s = xcalloc(1, sizeof(*s), res)) == NULL)
		return -1;
	s->o = o;
	s->m = m;
	s->info = info;
	s->res = res;
	s->state = S_GREETING;
	if (o->auth_only && !wants_auth(o)) {
		result_fail(res, EX_CONFIG, "no user = in the account: "
		    "nothing to authenticate");
		goto out;
	}
	if (!o->auth_only && (params_init(&s->p, m, res) == -1 ||
	    check_addrs(m, res) == -1))
		goto first;
	if (connect_server(s) == -1)
		goto first;
	r = run(s);
first:
	/* At once, before QUIT: the caller's bookkeeping (a queue item's
	 * removal) is closest to the reply it depends on. */
	if (o->more != NULL && !o->auth_only) {
		o->more->done(o->more->arg, m, res);
		if (s->c != NULL && (r == 0 || s->clean))
			go_on(s, r);
	}
out:
	quit(s);
	sasl_free(s->sasl);
	sasl_wipe(s->pending);
	conn_close(s->c);
	free(s);
	return r;
}
