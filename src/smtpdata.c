/*
 * smtpdata.c - the message on the wire: the header section and the body
 * through the QP and CRLF/dot-stuffing filters, after DATA or as BDAT
 * LAST with its exact size (RFC 3030), and the size for SIZE= (RFC 1870).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "conn.h"
#include "log.h"
#include "msg.h"
#include "qp.h"
#include "smtp_impl.h"
#include "util.h"

#define SMTP_CHUNK	(64 * 1024)	/* message bytes per filter pass */
#define SMTP_QP_IN	(SMTP_CHUNK / 4 - 4)	/* QP_OUT_MAX is SMTP_CHUNK */

/* The size for SIZE=, once; a server limit it exceeds ends here. */
int
smtp_mail_size(struct session *s)
{
	if (s->sized)
		return 0;
	s->sized = 1;
	s->size = s->m->hdrlen + (unsigned long long)(s->m->msg->size -
	    s->m->body_off);
	/* Quoted-printable can triple the body: SIZE= must not understate
	 * it, so count it exactly (rare: a line over 998 octets). */
	if ((s->caps & CAP_SIZE) && s->m->body_qp) {
		if (smtp_exact_size(s) == -1)
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
int
smtp_exact_size(struct session *s)
{
	if (s->wired)
		return 0;
	s->wired = 1;
	return wire_size(s, &s->wire);
}

/* The header section, the body from the spool, the final dot. */
int
smtp_send_body(struct session *s)
{
	struct sendbuf	 sb;
	int		 r = -1;

	if (sendbuf_init(s, &sb, 1) == -1)
		goto out;
	smtp_sending(s, "sending the message");
	if (put_message(s, &sb) == -1)
		goto out;
	log_trace("(%lld bytes of message data)", (long long)(s->m->hdrlen +
	    (size_t)(s->m->msg->size - s->m->body_off)));
	log_wire("-> ", ".", 1, 0);
	smtp_sending(s, "end of data");
	r = conn_write(s->c, ".\r\n", 3, s->res);
out:
	sendbuf_free(&sb);
	return r;
}

/* BDAT <n> LAST and the n bytes (RFC 3030 2): no dot, no stuffing. */
int
smtp_send_bdat(struct session *s)
{
	struct sendbuf	 sb;
	int		 r = -1;

	if (smtp_cmd(s, "BDAT %llu LAST", s->wire) == -1)
		return -1;
	if (sendbuf_init(s, &sb, 0) == -1)
		goto out;
	smtp_sending(s, "sending the message");
	if (put_message(s, &sb) == -1)
		goto out;
	log_trace("(%llu bytes of message data)", s->wire);
	s->dot = 1;
	r = 0;
out:
	sendbuf_free(&sb);
	return r;
}