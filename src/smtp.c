/*
 * smtp.c - the submission session as a state machine: enter() sends what
 * a state needs, decide() reads its reply and picks the next state.
 * Greeting, EHLO, STARTTLS, the transaction's commands, QUIT and the
 * transactions that follow on the same session.  AUTH is smtpauth.c's,
 * the message's bytes smtpdata.c's (smtp_impl.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "addr.h"
#include "conn.h"
#include "log.h"
#include "smtp_impl.h"
#include "util.h"

/*
 * Recipients pipelined in one group at most; more go in lockstep.  We
 * write the whole group before reading a reply: the replies must fit
 * in the socket buffers meanwhile, or a server blocked on writing them
 * stops reading and both wait (RFC 2920 3.1).
 */
#define SMTP_PIPE_RCPTS	100

static const char *const state_name[] = {
	"GREETING", "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA",
	"BDAT", "BODY", "QUIT", "DONE"
};

void
smtp_next(struct session *s, enum state st)
{
	log_trace("%s -> %s", state_name[s->state], state_name[st]);
	s->state = st;
}

/* Send one command line (not secret); the stage names it for errors. */
int
smtp_cmd(struct session *s, const char *fmt, ...)
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
int
smtp_cmd_secret(struct session *s, const char *prefix,
    const char *secret)
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
int
smtp_refuse(struct session *s, int rcpt)
{
	return result_reply(s->res, s->stage, s->r.code, s->r.first, rcpt);
}

/* A transaction follows AUTH: not with auth_only, nor a bare probe. */
static int
has_txn(const struct session *s)
{
	return !s->o->auth_only && s->m != NULL;
}

/* Keep the reply's first line in a smtp_detail field (--doctor). */
static void
note(struct session *s, char *field)
{
	if (s->o->detail != NULL)
		str_copy(field, SMTP_DETAIL_TEXT, s->r.first);
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
			smtp_parse_mechs(s, l + 5);
		}
	}
	if (s->o->detail != NULL) {
		s->o->detail->ehlo_done = 1;
		s->o->detail->caps = s->caps;
		s->o->detail->size_max = s->size_max;
		str_copy(s->o->detail->offered, sizeof(s->o->detail->offered),
		    s->offered);
	}
}

static int
enter_mail(struct session *s)
{
	char		 size_param[32] = "", params[PARAMS_MAX];

	if (!s->o->probe && smtp_mail_size(s) == -1)
		return -1;
	/* SIZE= (RFC 1870) lets the server refuse before the upload. */
	if ((s->caps & CAP_SIZE) && !s->o->probe)
		snprintf(size_param, sizeof(size_param), " SIZE=%llu",
		    s->size);
	if (params_mail(&s->p, params, sizeof(params)) == -1)
		return result_fail(s->res, EX_SOFTWARE, "MAIL parameters too "
		    "long");
	return smtp_cmd(s, "MAIL FROM:<%s>%s%s", s->m->from, size_param, params);
}

static int
enter_rcpt(struct session *s)
{
	const char	*rcpt = s->m->rcpts[s->rcpt];
	char		 params[PARAMS_MAX];

	if (params_rcpt(&s->p, rcpt, params, sizeof(params)) == -1)
		return result_fail(s->res, EX_SOFTWARE, "RCPT parameters too "
		    "long");
	return smtp_cmd(s, "RCPT TO:<%s>%s", rcpt, params);
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

/* --doctor's probe ends the transaction it only tried (smtp.h). */
static int
probe_rset(struct session *s)
{
	smtp_next(s, S_QUIT);
	if (smtp_cmd(s, "RSET") == -1 || read_reply(s) == -1)
		return -1;
	return s->r.code == 250 ? 0 : smtp_refuse(s, 0);
}

static int
decide_rcpt(struct session *s)
{
	note(s, s->o->detail ? s->o->detail->rcpt : NULL);
	if (s->r.code != 250 && s->r.code != 251)
		note_refused(s);
	if (++s->rcpt < s->m->nrcpts)
		return 0;
	if (s->nrefused == 0 && s->o->probe)
		return probe_rset(s);
	if (s->nrefused == 0) {
		smtp_next(s, s->bdat ? S_BDAT : S_DATA);
		return 0;
	}
	/* All or nothing (DESIGN.md 4): no DATA, name every refusal. */
	result_note_reply(s->res, s->refused_code, s->refused_first);
	return result_fail(s->res, result_reply_status(s->refused_code,
	    s->refused_first, 1), "%zu of %zu recipients refused, nothing "
	    "sent: %s", s->nrefused, s->m->nrcpts, s->refused);
}

void
smtp_sending(struct session *s, const char *stage)
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

static int
enter_data(struct session *s)
{
	if (smtp_cmd(s, "DATA") == -1)
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
		smtp_sending(s, "greeting");
		return 0;
	case S_EHLO:
		return smtp_cmd(s, "EHLO %s", s->o->domain);
	case S_STARTTLS:
		return smtp_cmd(s, "STARTTLS");
	case S_AUTH:
		return smtp_enter_auth(s);
	case S_MAIL:
		return enter_mail(s);
	case S_RCPT:
		return enter_rcpt(s);
	case S_DATA:
		return enter_data(s);
	case S_BDAT:		/* sent with the group */
		return smtp_cmd(s, "BDAT %llu LAST", s->wire);
	case S_BODY:
		if (smtp_send_body(s) == -1 || (s->grouped && send_quit(s) == -1))
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
	if (smtp_mail_size(s) == -1 ||
	    (s->bdat && smtp_exact_size(s) == -1))
		return -1;
	log_trace("pipelining: %s%zu RCPT, %s", s->state == S_AUTH ?
	    "AUTH, MAIL, " : "MAIL, ", s->m->nrcpts, s->bdat ?
	    "BDAT LAST, QUIT" : "DATA");
	if ((s->state == S_AUTH && smtp_enter_auth(s) == -1) ||
	    enter_mail(s) == -1)
		return -1;
	for (s->rcpt = 0; s->rcpt < s->m->nrcpts; s->rcpt++)
		if (enter_rcpt(s) == -1)
			return -1;
	s->rcpt = 0;
	if (s->bdat ? smtp_send_bdat(s) == -1 || send_quit(s) == -1 :
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
	group = !s->o->auth_only && !s->o->probe && s->o->pipelining &&
	    (s->caps & CAP_PIPELINING) &&
	    s->m->nrcpts <= SMTP_PIPE_RCPTS && (s->state == S_MAIL ||
	    (s->state == S_AUTH && smtp_one_round_trip(s->mech) &&
	    !smtp_long_initial_response(s)));
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
		return smtp_refuse(s, 0);
	parse_caps(s);
	if (!conn_is_tls(s->c)) {
		if (!(s->caps & CAP_STARTTLS))
			return result_fail(s->res, EX_UNAVAILABLE, "STARTTLS: "
			    "the server does not offer STARTTLS; refusing to "
			    "continue without TLS");
		smtp_next(s, S_STARTTLS);
		return 0;
	}
	if (has_txn(s) && choose_params(s) == -1)
		return -1;
	if (smtp_wants_auth(s->o)) {
		if (smtp_choose_mech(s) == -1)
			return -1;
		smtp_next(s, S_AUTH);
	} else
		smtp_next(s, has_txn(s) ? S_MAIL : S_QUIT);
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
		note(s, s->o->detail ? s->o->detail->greeting : NULL);
		if (s->r.code != 220)
			return smtp_refuse(s, 0);
		smtp_next(s, S_EHLO);
		return 0;
	case S_EHLO:
		return decide_ehlo(s);
	case S_STARTTLS:
		if (s->r.code != 220)
			return smtp_refuse(s, 0);
		if (start_tls(s) == -1)
			return -1;
		smtp_next(s, S_EHLO);
		return 0;
	case S_AUTH:
		return smtp_decide_auth(s);
	case S_MAIL:
		note(s, s->o->detail ? s->o->detail->mail : NULL);
		if (s->r.code != 250)
			return txn_refused(s, smtp_refuse(s, 0));
		smtp_next(s, S_RCPT);
		return 0;
	case S_RCPT:
		return txn_refused(s, decide_rcpt(s));
	case S_DATA:
		if (s->r.code != 354) {
			s->data_sent = 0;
			return txn_refused(s, smtp_refuse(s, 0));
		}
		smtp_next(s, S_BODY);
		return 0;
	case S_BDAT:
	case S_BODY:
		if (s->r.code != 250)
			return txn_refused(s, smtp_refuse(s, 0));
		smtp_next(s, S_QUIT);
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
	/* The server spoke first: a greeting, so not implicit TLS. */
	if (conn_unread(s->c)) {
		if (s->o->tls.peer != NULL)
			s->o->tls.peer->plain_text = s->o->tls.peer->started = 1;
		return result_fail(s->res, EX_UNAVAILABLE, "%s: the server "
		    "spoke first, in plain text, so this port speaks "
		    "STARTTLS, not implicit TLS: set tls = starttls (or port "
		    "= 465)", s->stage);
	}
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
	if (smtp_cmd(s, "RSET") == -1 || read_reply(s) == -1)
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

static void
failed_at(struct session *s, const char *stage)
{
	if (s->o->detail != NULL)
		s->o->detail->failed_at = stage;
}

/*
 * STARTTLS mode and no greeting (a timeout, the connection closed, or
 * bytes that are no reply): an implicit-TLS port waits for our
 * ClientHello, or answers EHLO with TLS bytes.  Say so with the fix.
 */
static void
greeting_hint(struct session *s)
{
	if (s->state != S_GREETING || s->o->implicit_tls || s->r.code != 0 ||
	    (s->res->exitcode != EX_TEMPFAIL &&
	    s->res->exitcode != EX_PROTOCOL))
		return;
	str_append(s->res->msg, sizeof(s->res->msg), " (no SMTP greeting: "
	    "if this port speaks implicit TLS, set tls = smtps, or port = "
	    "587)");
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
	if (o->auth_only && !o->probe && !smtp_wants_auth(o)) {
		result_fail(res, EX_CONFIG, "no user = in the account: "
		    "nothing to authenticate");
		goto out;
	}
	if (has_txn(s) && (params_init(&s->p, m, res) == -1 ||
	    check_addrs(m, res) == -1))
		goto first;
	if (connect_server(s) == -1) {
		failed_at(s, s->c == NULL ? "CONNECT" : "TLS");
		goto first;
	}
	if ((r = run(s)) == -1) {
		failed_at(s, state_name[s->state]);
		greeting_hint(s);
	}
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