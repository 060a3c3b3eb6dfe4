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

static void __attribute__((format(printf, 1, 0)))
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

struct line {
	char	*buf;
	size_t	 len;
	int	 full;
};

static void
put(struct line *l, const char *s, size_t n)
{
	if (l->full || l->len + n + 1 > LOG_LINE_MAX) {
		l->full = 1;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
	l->buf[l->len] = '\0';
}

/* key=value, quoted when the value has spaces or quotes. */
static void
kv(struct line *l, const char *key, const char *val)
{
	char	 clean[LOG_LINE_MAX];
	size_t	 i, n;
	int	 quote;

	if (val == NULL || *val == '\0')
		return;
	result_sanitise(clean, sizeof(clean), val, strlen(val));
	n = strlen(clean);
	quote = strpbrk(clean, " '\\") != NULL;
	if (l->len > 0)
		put(l, " ", 1);
	put(l, key, strlen(key));
	put(l, quote ? "='" : "=", quote ? 2 : 1);
	for (i = 0; i < n; i++) {
		if (quote && (clean[i] == '\'' || clean[i] == '\\'))
			put(l, "\\", 1);
		put(l, clean + i, 1);
	}
	if (quote)
		put(l, "'", 1);
}

/* "a@x,b@y", summarised past a share of the line. */
static void
recipients(struct line *l, char *const *r, size_t n)
{
	char		 list[LOG_LINE_MAX / 2];
	struct line	 rl = { list, 0, 0 };
	char		 tail[64];
	size_t		 i, room = sizeof(list) - sizeof(tail);

	list[0] = '\0';
	for (i = 0; i < n && rl.len + strlen(r[i]) + 1 < room; i++) {
		if (i > 0)
			put(&rl, ",", 1);
		put(&rl, r[i], strlen(r[i]));
	}
	if (i < n) {
		snprintf(tail, sizeof(tail), "%s...(%zu more)", i ? "," : "",
		    n - i);
		put(&rl, tail, strlen(tail));
	}
	kv(l, "recipients", list);
}

void
log_format(char *buf, const struct logrec *r)
{
	struct line	 l = { buf, 0, 0 };
	char		 num[64];

	buf[0] = '\0';
	kv(&l, "host", r->host);
	kv(&l, "tls", r->tls);
	kv(&l, "auth", r->auth);
	kv(&l, "user", r->user);
	kv(&l, "from", r->from);
	recipients(&l, r->rcpts, r->nrcpts);
	if (r->mailsize >= 0) {
		snprintf(num, sizeof(num), "%lld", r->mailsize);
		kv(&l, "mailsize", num);
	}
	kv(&l, "msgid", r->msgid);
	if (r->smtpstatus > 0) {
		snprintf(num, sizeof(num), "%d", r->smtpstatus);
		kv(&l, "smtpstatus", num);
		kv(&l, "smtpmsg", r->smtpmsg);
	}
	kv(&l, "status", r->status);
	kv(&l, "queueid", r->queueid);
	kv(&l, "errormsg", r->errormsg);
	snprintf(num, sizeof(num), "%lld.%02llds", r->duration_ms / 1000,
	    r->duration_ms % 1000 / 10);
	kv(&l, "duration", num);
	kv(&l, "exitcode", result_exname(r->exitcode));
}

void
log_result(const struct logrec *r)
{
	char	 buf[LOG_LINE_MAX];

	int	 pri = r->exitcode == 0 ? LOG_INFO : LOG_ERR;

	if (r->status != NULL && (strcmp(r->status, "queued") == 0 ||
	    strcmp(r->status, "deferred") == 0))
		pri = LOG_WARNING;
	log_format(buf, r);
	log_syslog(pri, buf);
}
