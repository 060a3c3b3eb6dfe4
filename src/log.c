/*
 * log.c - syslog, stderr, and the redacted -v transcript.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log.h"
#include "result.h"

int log_verbose;

void
log_open(void)
{
	openlog("stamp", LOG_PID, LOG_MAIL);
}

static void
vprint(const char *fmt, va_list ap)
{
	char	 raw[2048], clean[2048];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	result_sanitise(clean, sizeof(clean), raw, strlen(raw));
	fprintf(stderr, "stamp: %s\n", clean);
}

void
log_err(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

void
log_trace(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
}

void
log_wire(const char *dir, const char *line, size_t len, int secret)
{
	char	 clean[1024];
	size_t	 keep;
	const char *sp;

	if (!log_verbose)
		return;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (secret) {
		fprintf(stderr, "%s<redacted>\n", dir);
		return;
	}
	/* "AUTH PLAIN <initial response>": keep "AUTH PLAIN" only. */
	if (len > 5 && strncasecmp(line, "AUTH ", 5) == 0) {
		sp = memchr(line + 5, ' ', len - 5);
		keep = sp ? (size_t)(sp - line) : len;
		result_sanitise(clean, sizeof(clean), line, keep);
		fprintf(stderr, "%s%s%s\n", dir, clean, sp ? " <redacted>" : "");
		return;
	}
	result_sanitise(clean, sizeof(clean), line, len);
	fprintf(stderr, "%s%s\n", dir, clean);
}

void
log_syslog(int pri, const char *line)
{
	syslog(pri, "%s", line);
}
