/*
 * params.c - MAIL FROM and RCPT TO parameters (see params.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "params.h"
#include "result.h"
#include "smtp.h"

static int
has_8bit(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

/* Append src to dst (size n, holding *len bytes); -1 if it is full. */
static int
put(char *dst, size_t n, size_t *len, const char *src, size_t srclen)
{
	if (*len + srclen + 1 > n)
		return -1;
	memcpy(dst + *len, src, srclen);
	*len += srclen;
	dst[*len] = '\0';
	return 0;
}

static int
put_str(char *dst, size_t n, size_t *len, const char *src)
{
	return put(dst, n, len, src, strlen(src));
}

int
params_xtext(char *dst, size_t n, const char *src)
{
	char		 hex[4];
	size_t		 len = 0;
	unsigned char	 c;

	if (n == 0)
		return -1;
	dst[0] = '\0';
	for (; *src != '\0'; src++) {
		c = (unsigned char)*src;
		if (c < 33 || c > 126 || c == '+' || c == '=') {
			snprintf(hex, sizeof(hex), "+%02X", c);
			if (put(dst, n, &len, hex, 3) == -1)
				return -1;
		} else if (put(dst, n, &len, src, 1) == -1)
			return -1;
	}
	return (int)len;
}

/* One UTF-8 character at s (RFC 3629 4): its code point, or -1. */
static long
utf8_char(const unsigned char *s, size_t *used)
{
	static const long min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	long	 cp;
	size_t	 i, n;

	if (s[0] < 0x80)
		n = 1;
	else if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return -1;
	cp = n == 1 ? s[0] : s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, past U+10FFFF. */
	if (cp < min[n] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return -1;
	*used = n;
	return cp;
}

int
params_utf8_xtext(char *dst, size_t n, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	char		 esc[16];
	size_t		 len = 0, used;
	long		 cp;

	if (n == 0)
		return -1;
	dst[0] = '\0';
	while (*s != '\0') {
		if ((cp = utf8_char(s, &used)) == -1)
			return -1;
		/* QCHAR: printable ASCII but for '+', '=' and '\'. */
		if (cp >= 33 && cp <= 126 && cp != '+' && cp != '=' &&
		    cp != '\\') {
			if (put(dst, n, &len, (const char *)s, 1) == -1)
				return -1;
		} else {
			/* HEXPOINT: upper case, no leading zeros past two. */
			snprintf(esc, sizeof(esc), "\\x{%02lX}", cp);
			if (put_str(dst, n, &len, esc) == -1)
				return -1;
		}
		s += used;
	}
	return (int)len;
}

/* -N: NEVER, or SUCCESS, FAILURE, DELAY in any order and case. */
static int
parse_notify(struct params *p, const char *v, struct result *res)
{
	static const char *const word[] = { "SUCCESS", "FAILURE", "DELAY" };
	unsigned	 set = 0, never = 0, i;
	size_t		 len = 0, n;
	const char	*t;

	for (t = v;; t += n + 1) {
		n = strcspn(t, ",");
		if (n == 5 && strncasecmp(t, "NEVER", 5) == 0)
			never = 1;
		else {
			for (i = 0; i < 3; i++)
				if (n == strlen(word[i]) &&
				    strncasecmp(t, word[i], n) == 0)
					break;
			if (i == 3)
				goto bad;
			set |= 1U << i;
		}
		if (t[n] == '\0')
			break;
	}
	if (never && set != 0)
		goto bad;
	p->notify[0] = '\0';
	if (never)
		return put_str(p->notify, sizeof(p->notify), &len, "NEVER");
	/* Upper case, in RFC 3461's order, each once. */
	for (i = 0; i < 3; i++)
		if ((set & (1U << i)) && (put_str(p->notify, sizeof(p->notify),
		    &len, len > 0 ? "," : "") == -1 || put_str(p->notify,
		    sizeof(p->notify), &len, word[i]) == -1))
			goto bad;
	return 0;
bad:
	return result_fail(res, EX_USAGE, "-N %s: expected NEVER, or a comma "
	    "list of SUCCESS, FAILURE and DELAY", v);
}

static int
parse_flags(struct params *p, const struct smtp_msg *m, struct result *res)
{
	if (m->body_type == NULL)
		p->want_body = PARAMS_BODY_NONE;
	else if (strcasecmp(m->body_type, "8BITMIME") == 0)
		p->want_body = PARAMS_BODY_8BITMIME;
	else if (strcasecmp(m->body_type, "7BIT") == 0)
		p->want_body = PARAMS_BODY_7BIT;
	else
		return result_fail(res, EX_USAGE, "-B %s: expected 8BITMIME "
		    "or 7BIT", m->body_type);
	if (m->ret == NULL)
		p->ret = NULL;
	else if (strcasecmp(m->ret, "FULL") == 0)
		p->ret = "FULL";
	else if (strcasecmp(m->ret, "HDRS") == 0)
		p->ret = "HDRS";
	else
		return result_fail(res, EX_USAGE, "-R %s: expected FULL or "
		    "HDRS", m->ret);
	if (m->notify != NULL && parse_notify(p, m->notify, res) == -1)
		return -1;
	if (m->envid != NULL && (*m->envid == '\0' ||
	    params_xtext(p->envid, sizeof(p->envid), m->envid) == -1))
		return result_fail(res, EX_USAGE, "-V: the envelope id must "
		    "be 1 to %d characters (as xtext, RFC 3461)",
		    PARAMS_ENVID_MAX);
	return 0;
}

int
params_init(struct params *p, const struct smtp_msg *m, struct result *res)
{
	size_t	 i;

	memset(p, 0, sizeof(*p));
	if (parse_flags(p, m, res) == -1)
		return -1;
	p->utf8_hdr = has_8bit(m->hdr, m->hdrlen);
	/* msg->eightbit covers all of stdin, header included. */
	p->eightbit = p->utf8_hdr || m->msg->eightbit;
	if (has_8bit(m->from, strlen(m->from)))
		p->utf8_addr = m->from;
	for (i = 0; i < m->nrcpts && p->utf8_addr == NULL; i++)
		if (has_8bit(m->rcpts[i], strlen(m->rcpts[i]))) {
			p->utf8_addr = m->rcpts[i];
			p->utf8_addr_rcpt = 1;
		}
	return 0;
}

static void
choose_body(struct params *p, unsigned offered)
{
	/* RFC 6531 3.1: an SMTPUTF8 message is 8-bit. */
	int	 eight = p->eightbit || p->smtputf8;

	p->body = PARAMS_BODY_NONE;
	if (!(offered & PARAMS_8BITMIME)) {
		if (p->want_body == PARAMS_BODY_8BITMIME)
			p->warnings |= PARAMS_W_8BITMIME;
		return;
	}
	if (p->want_body == PARAMS_BODY_7BIT && !eight)
		p->body = PARAMS_BODY_7BIT;
	else if (p->want_body != PARAMS_BODY_NONE || eight)
		p->body = PARAMS_BODY_8BITMIME;
	/* RFC 6152 3: 7BIT would be a lie the server may act on. */
	if (p->want_body == PARAMS_BODY_7BIT && eight)
		p->warnings |= PARAMS_W_7BIT;
}

int
params_choose(struct params *p, unsigned offered, struct result *res)
{
	p->warnings = 0;
	p->smtputf8 = (p->utf8_addr != NULL || p->utf8_hdr) &&
	    (offered & PARAMS_SMTPUTF8);
	if (p->utf8_addr != NULL && !p->smtputf8)
		return result_fail(res, EX_DATAERR, "%s <%s> needs SMTPUTF8, "
		    "which the server does not offer", p->utf8_addr_rcpt ?
		    "recipient" : "sender", p->utf8_addr);
	/* RFC 6532 header fields without SMTPUTF8: what PHP's mail() does
	 * every day, and servers take it; refusing would lose the mail. */
	if (p->utf8_hdr && !p->smtputf8)
		p->warnings |= PARAMS_W_UTF8HDR;
	choose_body(p, offered);
	p->dsn = 0;
	if (p->ret != NULL || p->notify[0] != '\0' || p->envid[0] != '\0') {
		if (offered & PARAMS_DSN)
			p->dsn = 1;
		else
			p->warnings |= PARAMS_W_DSN;
	}
	return 0;
}

const char *
params_warning(unsigned bit)
{
	switch (bit) {
	case PARAMS_W_DSN:
		return "server does not offer DSN; -N/-R/-V ignored";
	case PARAMS_W_8BITMIME:
		return "server does not offer 8BITMIME; -B 8BITMIME ignored, "
		    "sent without BODY=";
	case PARAMS_W_UTF8HDR:
		return "header has raw UTF-8 but the server does not offer "
		    "SMTPUTF8; sent anyway";
	case PARAMS_W_7BIT:
		return "-B 7BIT given but the message has 8-bit bytes; "
		    "declared BODY=8BITMIME";
	default:
		return "unknown warning";
	}
}

int
params_mail(const struct params *p, char *buf, size_t n)
{
	size_t	 len = 0;

	if (n == 0)
		return -1;
	buf[0] = '\0';
	if (p->body != PARAMS_BODY_NONE && put_str(buf, n, &len,
	    p->body == PARAMS_BODY_7BIT ? " BODY=7BIT" :
	    " BODY=8BITMIME") == -1)
		return -1;
	if (p->smtputf8 && put_str(buf, n, &len, " SMTPUTF8") == -1)
		return -1;
	if (!p->dsn)
		return 0;
	if (p->ret != NULL && (put_str(buf, n, &len, " RET=") == -1 ||
	    put_str(buf, n, &len, p->ret) == -1))
		return -1;
	if (p->envid[0] != '\0' && (put_str(buf, n, &len, " ENVID=") == -1 ||
	    put_str(buf, n, &len, p->envid) == -1))
		return -1;
	return 0;
}

/* "rfc822;" + xtext, or "utf-8;" + utf-8-addr-xtext (RFC 6533 3). */
static int
orcpt(char *dst, size_t n, const char *rcpt)
{
	size_t	 len = 0;
	int	 utf8 = has_8bit(rcpt, strlen(rcpt));

	if (put_str(dst, n, &len, utf8 ? "utf-8;" : "rfc822;") == -1)
		return -1;
	return utf8 ? params_utf8_xtext(dst + len, n - len, rcpt) :
	    params_xtext(dst + len, n - len, rcpt);
}

int
params_rcpt(const struct params *p, const char *rcpt, char *buf, size_t n)
{
	char	 value[PARAMS_ORCPT_MAX + 1];
	size_t	 len = 0;

	if (n == 0)
		return -1;
	buf[0] = '\0';
	if (!p->dsn)
		return 0;
	if (p->notify[0] != '\0' && (put_str(buf, n, &len, " NOTIFY=") == -1 ||
	    put_str(buf, n, &len, p->notify) == -1))
		return -1;
	/* ORCPT is optional: left out rather than sent too long. */
	if (orcpt(value, sizeof(value), rcpt) != -1 &&
	    (put_str(buf, n, &len, " ORCPT=") == -1 ||
	    put_str(buf, n, &len, value) == -1))
		return -1;
	return 0;
}
