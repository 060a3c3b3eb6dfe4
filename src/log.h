/*
 * log.h - syslog, the stderr error line, and the -v transcript.
 *
 * Nothing here ever prints a secret: the transcript redacts AUTH lines
 * itself (log_wire), so callers pass the bytes they really send.
 */
#ifndef STAMP_LOG_H
#define STAMP_LOG_H

#include <stddef.h>

extern int log_verbose;		/* -v: transcript and traces on stderr */

void	 log_open(void);		/* openlog("stamp", LOG_PID, LOG_MAIL) */

/* "stamp: <msg>" on stderr (one line). */
void	 log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Under -v: "stamp: <msg>" on stderr. */
void	 log_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Under -v: one protocol line, dir is "<- " (server) or "-> " (client).
 * Client lines starting with "AUTH " keep only the mechanism; lines sent
 * while secret != 0 (SASL continuation responses) are fully redacted.
 */
void	 log_wire(const char *dir, const char *line, size_t len, int secret);

/* One syslog line at priority pri (LOG_INFO, LOG_WARNING or LOG_ERR). */
void	 log_syslog(int pri, const char *line);

#define LOG_LINE_MAX	4096	/* recipients past this are summarised */

/* What one message's log line says (DESIGN.md section 6). */
struct logrec {
	const char	*host, *tls, *auth, *user, *from;
	char *const	*rcpts;
	size_t		 nrcpts;
	long long	 mailsize;	/* bytes read on stdin; -1 unknown */
	const char	*msgid;
	int		 smtpstatus;	/* 0: no reply seen */
	const char	*smtpmsg, *errormsg;
	long long	 duration_ms;
	int		 exitcode;
	const char	*status;	/* queue.h: "queued", "sent",
					   "deferred", "failed", "expired";
					   NULL: none (not queue business) */
	const char	*queueid;	/* the queue item, or NULL */
};

/*
 * Format rec as "key=value ..." into buf (LOG_LINE_MAX); NULL or empty
 * fields are left out, values with spaces or quotes are single-quoted.
 */
void	 log_format(char *buf, const struct logrec *rec);

/*
 * log_format, then syslog at LOG_INFO (success), LOG_WARNING (status
 * "queued" or "deferred": it will be retried) or LOG_ERR.
 */
void	 log_result(const struct logrec *);

#endif
