/*
 * bs.h - "sendmail -bs": an SMTP server (RFC 5321) on a pair of file
 * descriptors (stdin/stdout), for callers that speak SMTP to their
 * sendmail (symfony/mailer and SwiftMailer by default, CALLERS.md).
 *
 * Knows nothing of accounts, secrets or the upstream server: each
 * message accepted by DATA goes to the deliver callback, synchronously,
 * and only its outcome is answered.  Replies are sent strictly in the
 * order of the commands, so PIPELINING (RFC 2920) is honoured; they are
 * buffered and written before every wait for input.
 *
 * Commands: EHLO (250 with 8BITMIME, PIPELINING, ENHANCEDSTATUSCODES,
 * HELP), HELO, MAIL FROM:<a> [BODY=7BIT|8BITMIME] [SIZE=n], RCPT TO:<a>,
 * DATA, RSET, NOOP, QUIT, VRFY (252), HELP.  MAIL does not require EHLO
 * first (as sendmail and Postfix).  Unknown command 500 5.5.1; a known
 * but unimplemented one (EXPN, AUTH, STARTTLS, BDAT, ...) 502 5.5.1; bad
 * sequence 503 5.5.1; bad syntax 501 5.5.4 (a bad address 501 5.1.7 or
 * 5.1.3); an unknown MAIL or RCPT parameter 555 5.5.4; a command line
 * over BS_CMD_MAX, or a data line over BS_TEXT_MAX, 500 5.5.2 (for data,
 * after the final dot: the session stays in step and nothing is sent).
 *
 * Addresses are checked as envelope.c reads them: exactly one addr-spec
 * (addr.h), stored in that normal form; the null sender <> is taken
 * (RFC 5321 section 4.5.5) and is from "".
 * The message is the data un-dot-stuffed, line ends as received (CRLF or
 * LF), spooled by msg.c (memory, then an unlinked temp file).
 *
 * All input is untrusted.  Under -v the dialogue goes to stderr ("<< "
 * from the caller, ">> " our replies), never to the SMTP channel.
 */
#ifndef STAMP_BS_H
#define STAMP_BS_H

#include <stddef.h>

struct msg;
struct result;

#define BS_CMD_MAX	1024	/* command line with its CRLF; RFC 5321
				   4.5.3.1.4 says 512 before extensions */
#define BS_TEXT_MAX	65536	/* data line with its CRLF; RFC 5321
				   4.5.3.1.6 says 1000, but stdin takes
				   longer ones too (DESIGN.md section 4) */
#define BS_RCPT_MAX	1000	/* recipients per message (4.5.3.1.8:
				   at least 100); more: 452 4.5.3 */
#define BS_REPLY_MAX	512	/* reply line with its CRLF (4.5.3.1.5);
				   longer error texts end in "..." */
#define BS_HOST_MAX	256	/* our name in the greeting */
#define BS_QUEUED	"queued as "	/* deliver's smtpmsg for a queued
					   message (an upstream reply starts
					   with its code) */

/* One message, as accepted by DATA.  Valid during the callback only. */
struct bs_txn {
	const char	*from;		/* MAIL FROM address, without <>;
					   "" for the null sender */
	char		**rcpts;	/* RCPT TO addresses, without <> */
	size_t		 nrcpts;
	const char	*body_type;	/* BODY= ("7BIT", "8BITMIME") or NULL */
	const struct msg *msg;		/* the complete, ended spool */
};

struct bs_opts {
	int		 in, out;	/* SMTP channel: commands, replies */
	const char	*hostname;	/* for 220/250/221; NULL: gethostname */
	int		 idle_s;	/* no input for this long: 421, end;
					 * 0: wait for ever */
	/*
	 * Submit one message: 0 when the upstream server accepted it, else
	 * -1 with the failure in res (its exitcode picks the reply, its msg
	 * is the reply's text).  res->smtpmsg, if any, ends a 250 reply:
	 * "Ok: sent (upstream: <it>)", or, when it starts with BS_QUEUED
	 * (the queue kept the message: it was not sent), "Ok: <it>".
	 */
	int		(*deliver)(void *arg, const struct bs_txn *,
			    struct result *res);
	void		*arg;
};

/*
 * Run the session until QUIT or EOF: 0 either way, whatever became of
 * the messages (their replies said so).  -1 only when the channel
 * itself fails: EX_IOERR (read or write error) or EX_OSERR.
 */
int	 bs_run(const struct bs_opts *, struct result *);

/*
 * The reply to a message that deliver refused, by its exit status:
 * EX_TEMPFAIL, EX_OSERR, EX_IOERR, EX_CANTCREAT, EX_SOFTWARE and any
 * status not listed: 451 4.3.0; EX_CONFIG: 451 4.3.5 (temporary: the
 * caller should retry once stamp is fixed); EX_NOUSER: 550 5.1.1;
 * EX_DATAERR: 554 5.6.0; EX_USAGE: 554 5.5.4; EX_NOPERM: 554 5.7.0;
 * EX_NOHOST: 554 5.4.4; EX_PROTOCOL: 554 5.5.0; EX_UNAVAILABLE:
 * 554 5.0.0.  Returns the code and sets *enh to the enhanced code.
 */
int	 bs_reply_code(int exitcode, const char **enh);

#endif
