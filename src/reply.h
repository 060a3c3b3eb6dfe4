/*
 * reply.h - SMTP replies (RFC 5321 4.2), one line at a time.  No I/O.
 * Server input is untrusted: codes must be three digits 2xx-5xx, every
 * line of a multi-line reply must carry the same code, and lines and
 * line counts have ceilings.
 */
#ifndef STAMP_REPLY_H
#define STAMP_REPLY_H

#include <stddef.h>

struct result;

#define REPLY_LINE_MAX	2048	/* RFC 5321 says 512; be lenient */
#define REPLY_LINES_MAX	128	/* EHLO replies have a dozen */
#define REPLY_TEXT_MAX	(16 * 1024)

struct reply {
	int	 code;			/* 0 until the first line */
	size_t	 nlines;
	size_t	 used;			/* bytes of text in use */
	size_t	 off[REPLY_LINES_MAX];	/* start of each line's text */
	char	 text[REPLY_TEXT_MAX];	/* texts, NUL-separated */
	char	 first[REPLY_LINE_MAX];	/* "550 5.1.1 unknown", sanitised */
};

void	 reply_init(struct reply *);

/*
 * Feed one line without its CRLF.  Returns 1 when the reply is complete,
 * 0 when more lines follow, -1 (EX_PROTOCOL in res) when it is malformed.
 */
int	 reply_feed(struct reply *, const char *line, size_t len,
	    struct result *);

/* The text of line i (after "250-" / "250 "), NUL-terminated. */
const char *reply_line(const struct reply *, size_t i);

#endif
