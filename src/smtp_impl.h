/*
 * smtp_impl.h - private to smtp.c (the session's state machine),
 * smtpauth.c (AUTH: choosing a mechanism, its exchange) and smtpdata.c
 * (the message on the wire: filters, DATA and BDAT, its exact size).
 * Not a contract for anyone else: smtp.h is.
 */
#ifndef STAMP_SMTP_IMPL_H
#define STAMP_SMTP_IMPL_H

#include "params.h"
#include "reply.h"
#include "result.h"
#include "sasl.h"
#include "smtp.h"
#include "tls.h"

#define SMTP_CMD_MAX	1024		/* a command line, except AUTH */
#define SMTP_REFUSED_MAX 800		/* text naming refused recipients */
#define SMTP_OFFERED_MAX 256		/* the AUTH line, for messages */

enum state {
	S_GREETING, S_EHLO, S_STARTTLS, S_AUTH, S_MAIL, S_RCPT, S_DATA,
	S_BDAT, S_BODY, S_QUIT, S_DONE
};

#define CAP_STARTTLS	SMTP_CAP_STARTTLS
#define CAP_AUTH	SMTP_CAP_AUTH
#define CAP_8BITMIME	SMTP_CAP_8BITMIME
#define CAP_SIZE	SMTP_CAP_SIZE
#define CAP_DSN		SMTP_CAP_DSN
#define CAP_SMTPUTF8	SMTP_CAP_SMTPUTF8
#define CAP_PIPELINING	SMTP_CAP_PIPELINING
#define CAP_CHUNKING	SMTP_CAP_CHUNKING

struct conn;

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

/* smtp.c: the engine's primitives. */
void	 smtp_next(struct session *, enum state);
/* Send one command line (not secret); the stage names it for errors. */
int	 smtp_cmd(struct session *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Send prefix + secret: the transcript never shows the secret. */
int	 smtp_cmd_secret(struct session *, const char *prefix,
	    const char *secret);
/* A reply we cannot go on from: record it with the stage. */
int	 smtp_refuse(struct session *, int rcpt);
/* Name the stage of what is being sent (not a command). */
void	 smtp_sending(struct session *, const char *stage);

/* smtpauth.c */
void	 smtp_parse_mechs(struct session *, const char *);
int	 smtp_wants_auth(const struct smtp_opts *);
int	 smtp_one_round_trip(enum sasl_mech);
int	 smtp_long_initial_response(const struct session *);
int	 smtp_choose_mech(struct session *);
int	 smtp_enter_auth(struct session *);
int	 smtp_decide_auth(struct session *);

/* smtpdata.c */
int	 smtp_mail_size(struct session *);
int	 smtp_exact_size(struct session *);
int	 smtp_send_body(struct session *);
int	 smtp_send_bdat(struct session *);

#endif
