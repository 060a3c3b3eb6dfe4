/*
 * result.h - the outcome of one run: the first error wins, and the one
 * table that maps situations to sysexits(3) codes (DESIGN.md section 5).
 *
 * Every function that can fail returns -1 and records why in the caller's
 * struct result; only main.c turns that into an exit status.
 */
#ifndef STAMP_RESULT_H
#define STAMP_RESULT_H

#include <stddef.h>
#include <sysexits.h>

#define RESULT_MSG_MAX	1024	/* the stderr line, without "stamp: " */
#define RESULT_SMTP_MAX	512	/* the server's last words, for the log */

struct result {
	int	 set;			/* an error has been recorded */
	int	 exitcode;		/* EX_* from sysexits.h; EX_OK until set */
	char	 msg[RESULT_MSG_MAX];	/* "RCPT TO:<b@x>: 550 5.1.1 unknown" */
	int	 smtpcode;		/* last reply code seen, 0 if none */
	char	 smtpmsg[RESULT_SMTP_MAX]; /* last reply, one line, sanitised */
};

/*
 * Record an error unless one is recorded already (the first error wins).
 * Always returns -1 so callers can write "return result_fail(...)".
 * The formatted text is sanitised: control bytes become '?'.
 */
int	 result_fail(struct result *, int exitcode, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Record a failure reply from the server at a stage ("MAIL FROM:<a@b>",
 * "AUTH PLAIN", ...).  Maps the code per DESIGN.md section 5: 4xx -> 75,
 * 535 or 5.7.8 -> 77, 5.1.x to RCPT (rcpt != 0) -> 67, other 5xx -> 69.
 * text is the server's reply (first line), untrusted.
 */
int	 result_reply(struct result *, const char *stage, int code,
	    const char *text, int rcpt);

/* The exit status that result_reply would record for this reply. */
int	 result_reply_status(int code, const char *text, int rcpt);

/* Remember the last reply seen (success or not) for the log line. */
void	 result_note_reply(struct result *, int code, const char *text);

/* "EX_OK", "EX_TEMPFAIL", ... for the log line. */
const char *result_exname(int exitcode);

/* Copy src to dst (size n), replacing control and non-ASCII bytes. */
void	 result_sanitise(char *dst, size_t n, const char *src, size_t len);

#endif
