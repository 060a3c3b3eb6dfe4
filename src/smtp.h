/*
 * smtp.h - one SMTP submission session (RFC 5321, 3207, 4954): greeting,
 * EHLO, STARTTLS, AUTH, one transaction, QUIT.  Knows nothing of argv,
 * configuration files or GLib: everything comes in the two structs.
 *
 * Security: AUTH is only ever sent over verified TLS; in STARTTLS mode a
 * server that does not offer STARTTLS is an error (EX_UNAVAILABLE), and
 * the capabilities of the plain-text EHLO are forgotten after it.
 * All recipients or none: if any RCPT is refused no data is sent and
 * the error names every refused recipient.
 *
 * AUTH (sasl.h): opts.auth names the mechanism or "auto", the strongest
 * both sides have (SCRAM-PLUS, SCRAM, PLAIN, LOGIN, CRAM-MD5, DIGEST-MD5;
 * never XOAUTH2, OAUTHBEARER or EXTERNAL).  One the server lacks, or no
 * usable one, is EX_UNAVAILABLE naming what it offers; a server that
 * cannot prove it knows the password (SCRAM v=, DIGEST-MD5 rspauth) is
 * EX_UNAVAILABLE too; a refusal (535) EX_NOPERM, with the decoded OAuth
 * error when the server gave one.  -PLUS binds to the TLS connection
 * (tls_channel_binding).  EXTERNAL needs no user and no password, but
 * a client certificate (EX_CONFIG without one, before AUTH).
 *
 * Round trips (DESIGN.md 4): with PIPELINING offered and opts.pipelining,
 * AUTH PLAIN or EXTERNAL (initial response), MAIL, every RCPT and DATA
 * go in one write and QUIT with the end of data; a refused RCPT closes the
 * connection without the end of data (RFC 5321 3.3: no delivery).  With
 * CHUNKING too, opts.chunking and one recipient, "BDAT n LAST", the
 * message (CRLF, not dot-stuffed, n exact) and QUIT join that write.
 * Errors name the same stages, with the same statuses, as in lockstep.
 *
 * MAIL and RCPT parameters (SIZE, BODY, SMTPUTF8, DSN) follow params.h:
 * a bad -B/-N/-R/-V is EX_USAGE before connecting; an address that needs
 * SMTPUTF8 on a server without it is EX_DATAERR after EHLO, before AUTH
 * or MAIL; anything else the server lacks only costs a LOG_WARNING line.
 *
 * Several transactions on one session (RFC 5321 3.3), for the queue
 * (queue.h): with opts.more, once a transaction has ended and the
 * connection can carry another, more->next gives the next message (NULL:
 * QUIT).  A transaction "ended" after the reply to its end of data
 * (250 or not), or after a refusal before any message data went out
 * (MAIL, every RCPT read, DATA, a SIZE limit); RSET (RFC 5321 4.1.1.5)
 * follows a failed one.  A refusal inside a pipelined group, or after a
 * pipelined DATA, ends the session (the unread replies, or the server
 * waiting for data, make the connection unfit), as does any connection
 * or protocol error.  more->done gets every message's own outcome, in
 * order, as soon as it is known (before QUIT): the first one's too (even
 * when no connection was made), which is also smtp_send's.  QUIT goes
 * with an end of data only when more->pending says nothing follows.
 */
#ifndef STAMP_SMTP_H
#define STAMP_SMTP_H

#include <stddef.h>
#include <sys/types.h>

#include "tls.h"

struct msg;
struct result;

struct smtp_opts {
	const char	*host;
	int		 port;
	int		 implicit_tls;	/* 1: SMTPS; 0: STARTTLS required */
	const char	*domain;	/* EHLO name */
	struct tls_opts	 tls;		/* verification, client certificate */
	int		 connect_s;	/* connect budget for all addresses */
	int		 timeout_s;	/* each wait for the server */
	const char	*user;		/* NULL: no AUTH (but EXTERNAL) */
	const char	*auth;		/* "auto" or a mechanism (sasl.h),
					   any case; see choose_mech */
	const char	*authzid;	/* authorization identity, or NULL */
	const char	*pass;		/* the secret, passlen bytes */
	size_t		 passlen;
	int		 pipelining;	/* RFC 2920 when offered; 0: lockstep */
	int		 chunking;	/* RFC 3030 BDAT when offered (and
					   PIPELINING), one recipient */
	int		 auth_only;	/* stop after AUTH succeeds (235):
					   no transaction, m may be NULL */
	const struct smtp_more *more;	/* NULL: one message */
	/* Called once AUTH has succeeded (235), before anything else is
	 * sent: pass is not needed any more and may be wiped there (DESIGN.md
	 * 7).  NULL: nothing to do.  The session's own copies (sasl.h) are
	 * wiped by then. */
	void		(*authed)(void *arg);
	void		*authed_arg;
	/* stamp --doctor: no message.  Without m: QUIT after EHLO (or AUTH,
	 * with a user).  With m (from and rcpts only; msg an empty spool):
	 * MAIL and every RCPT in lockstep, then RSET and QUIT, never DATA. */
	int		 probe;
	struct smtp_detail *detail;	/* non-NULL: filled as below */
};

/* EHLO keywords (RFC 5321 4.1.1.1) we act on: smtp_detail.caps. */
#define SMTP_CAP_STARTTLS	0x01
#define SMTP_CAP_AUTH		0x02
#define SMTP_CAP_8BITMIME	0x04
#define SMTP_CAP_SIZE		0x08
#define SMTP_CAP_DSN		0x10
#define SMTP_CAP_SMTPUTF8	0x20
#define SMTP_CAP_PIPELINING	0x40
#define SMTP_CAP_CHUNKING	0x80

#define SMTP_DETAIL_TEXT	512

/* What the session saw, for --doctor; texts sanitised, "" if none. */
struct smtp_detail {
	char		 greeting[SMTP_DETAIL_TEXT];	/* the 220 line */
	int		 ehlo_done;	/* the last EHLO got its 250 */
	unsigned	 caps;		/* of the last EHLO */
	unsigned long long size_max;	/* SIZE's limit, 0: none given */
	char		 offered[256];	/* AUTH's mechanisms, as offered */
	int		 authed;	/* 235 */
	char		 mail[SMTP_DETAIL_TEXT];	/* reply to MAIL */
	char		 rcpt[SMTP_DETAIL_TEXT];	/* to the last RCPT */
	/* Where it failed: "CONNECT", "TLS" (implicit), "GREETING",
	 * "EHLO", "STARTTLS" (the command or its handshake), "AUTH",
	 * "MAIL", "RCPT", "RSET"; NULL: it did not. */
	const char	*failed_at;
};

struct smtp_msg;
struct smtp_more {
	/* The message for the next transaction, or NULL: QUIT. */
	const struct smtp_msg *(*next)(void *arg);
	/* The outcome of a message (res->set: failed), the first too. */
	void	(*done)(void *arg, const struct smtp_msg *,
		    const struct result *);
	/* Might next give a message?  Asked before each end of data. */
	int	(*pending)(void *arg);
	void	*arg;
};

struct smtp_msg {
	const char	*from;
	char *const	*rcpts;
	size_t		 nrcpts;
	const char	*hdr;		/* header section to send */
	size_t		 hdrlen;
	const struct msg *msg;		/* the body: [body_off, size) */
	off_t		 body_off;
	const char	*body_type;	/* -B: "8BITMIME", "7BIT" or NULL */
	const char	*notify;	/* -N, -R, -V: DSN (RFC 3461), or NULL;
					   unchecked: see params_init */
	const char	*ret;
	const char	*envid;
	int		 body_qp;	/* send the body quoted-printable
					   (long_lines = encode, envelope.h) */
};

struct smtp_info {
	char	 tls[16];		/* "TLSv1.3" once TLS is up */
	char	 auth[24];		/* mechanism used, or "" */
};

/*
 * Submit the message (with opts.auth_only: only authenticate; 0 after
 * 235).  0 when the server said 250 to the end of data;
 * otherwise -1 with the exit status, stage and server words in res.
 * res->smtpcode/smtpmsg hold the last reply either way.
 */
int	 smtp_send(const struct smtp_opts *, const struct smtp_msg *,
	    struct smtp_info *, struct result *);

#endif
