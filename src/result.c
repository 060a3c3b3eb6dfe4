/*
 * result.c - the first error wins; the exit-code table (DESIGN.md 5).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "result.h"

void
result_sanitise(char *dst, size_t n, const char *src, size_t len)
{
	size_t	 i, j = 0;
	unsigned char c;

	if (n == 0)
		return;
	for (i = 0; i < len && j + 1 < n; i++) {
		c = (unsigned char)src[i];
		if (c == '\r' || c == '\n')
			c = ' ';
		else if (c < 0x20 || c == 0x7f || c >= 0x80)
			c = '?';
		dst[j++] = (char)c;
	}
	dst[j] = '\0';
}

int
result_fail(struct result *res, int exitcode, const char *fmt, ...)
{
	char	 raw[RESULT_MSG_MAX];
	va_list	 ap;

	if (res->set)
		return -1;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Server words and file contents end up here: keep it one line. */
	result_sanitise(res->msg, sizeof(res->msg), raw, strlen(raw));
	res->exitcode = exitcode;
	res->set = 1;
	return -1;
}

void
result_note_reply(struct result *res, int code, const char *text)
{
	res->smtpcode = code;
	result_sanitise(res->smtpmsg, sizeof(res->smtpmsg), text, strlen(text));
}

/* "5.1.1 ..." -> class 5, subject 1; returns 0 when text has no code. */
static int
enhanced(const char *text, int *cls, int *subject)
{
	if (text[0] < '2' || text[0] > '5' || text[1] != '.' ||
	    text[2] < '0' || text[2] > '9')
		return 0;
	*cls = text[0] - '0';
	*subject = text[2] - '0';
	return 1;
}

int
result_reply_status(int code, const char *text, int rcpt)
{
	const char	*t = text;
	int		 ex, cls = 0, subject = -1;

	/* text is the whole first line: "550 5.1.1 <b@x>: unknown". */
	if (strlen(t) > 4 && (t[3] == ' ' || t[3] == '-'))
		enhanced(t + 4, &cls, &subject);
	if (code >= 400 && code < 500)
		ex = EX_TEMPFAIL;
	else if (code == 535 || (cls == 5 && subject == 7 &&
	    strncmp(t + 4, "5.7.8", 5) == 0))
		ex = EX_NOPERM;
	else if (rcpt && cls == 5 && subject == 1)
		ex = EX_NOUSER;
	else if (code >= 500 && code < 600)
		ex = EX_UNAVAILABLE;
	else
		ex = EX_PROTOCOL;	/* a 2xx/3xx where it makes no sense */
	return ex;
}

int
result_reply(struct result *res, const char *stage, int code,
    const char *text, int rcpt)
{
	result_note_reply(res, code, text);
	return result_fail(res, result_reply_status(code, text, rcpt),
	    "%s: %s", stage, text);
}

const char *
result_exname(int ex)
{
	static const struct { int ex; const char *name; } tab[] = {
		{ EX_OK, "EX_OK" }, { EX_USAGE, "EX_USAGE" },
		{ EX_DATAERR, "EX_DATAERR" }, { EX_NOINPUT, "EX_NOINPUT" },
		{ EX_NOUSER, "EX_NOUSER" }, { EX_NOHOST, "EX_NOHOST" },
		{ EX_UNAVAILABLE, "EX_UNAVAILABLE" },
		{ EX_SOFTWARE, "EX_SOFTWARE" }, { EX_OSERR, "EX_OSERR" },
		{ EX_OSFILE, "EX_OSFILE" }, { EX_CANTCREAT, "EX_CANTCREAT" },
		{ EX_IOERR, "EX_IOERR" }, { EX_TEMPFAIL, "EX_TEMPFAIL" },
		{ EX_PROTOCOL, "EX_PROTOCOL" }, { EX_NOPERM, "EX_NOPERM" },
		{ EX_CONFIG, "EX_CONFIG" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (tab[i].ex == ex)
			return tab[i].name;
	return "EX_UNKNOWN";
}
