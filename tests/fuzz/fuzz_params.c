/*
 * fuzz_params.c - params.h: -B, -N, -R and -V as the caller gives them,
 * the parameters chosen for what the server offers, and the two xtexts.
 *
 * Input: byte 0 bits 0-2 are what the server offers (PARAMS_8BITMIME,
 * PARAMS_SMTPUTF8, PARAMS_DSN), bit 3 says the body is 8-bit, bits 4-7
 * which of -B, -N, -R, -V are given; byte 1 a buffer size for the raw
 * xtext calls.  The rest, split at NUL bytes (as argv is), gives in turn
 * -B, -N, -R, -V, the sender, the header section, then the recipients.
 *
 * Checks: a bad flag is EX_USAGE, a sender or recipient that needs
 * SMTPUTF8 the server lacks EX_DATAERR; the MAIL and RCPT parameters are
 * " KEY=VALUE" words of printable ASCII, DSN ones only when offered and
 * asked for; ENVID and ORCPT decode back to -V and the recipient; both
 * xtexts, into buffers of every size, are NUL-terminated within them
 * and, when they fit, decode back to their input.
 */
#include <sysexits.h>

#include "fuzz.h"
#include "../unit/lines.h"
#include "msg.h"
#include "params.h"
#include "result.h"
#include "smtp.h"

#define FIELDS_MAX	64

/* xtext (RFC 3461 4) back to bytes; 0 if it is not strict xtext. */
static int
xtext_decode(const char *x, char *out)
{
	size_t	 o = 0;

	for (; *x != '\0'; x++) {
		if (*x == '+') {
			if (hexval(x[1]) < 0 || hexval(x[2]) < 0)
				return 0;
			out[o++] = (char)(hexval(x[1]) << 4 | hexval(x[2]));
			x += 2;
		} else if (*x < 33 || *x > 126 || *x == '=')
			return 0;
		else
			out[o++] = *x;
	}
	out[o] = '\0';
	return 1;
}

/* UTF-8 of code point cp into out; its length. */
static size_t
utf8_put(unsigned long cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* utf-8-addr-xtext (RFC 6533 3) back to UTF-8; 0 if malformed. */
static int
uxtext_decode(const char *x, char *out)
{
	size_t		 o = 0;
	unsigned long	 cp;
	int		 d, nd;

	while (*x != '\0') {
		if (*x == '\\') {
			if (x[1] != 'x' || x[2] != '{')
				return 0;
			cp = 0;
			for (x += 3, nd = 0; (d = hexval(*x)) >= 0; x++, nd++)
				cp = cp << 4 | (unsigned long)d;
			if (*x != '}' || nd < 2 || nd > 6 ||
			    (nd > 2 && x[-nd] == '0') || cp > 0x10ffff)
				return 0;
			o += utf8_put(cp, out + o);
			x++;
		} else if (*x < 33 || *x > 126 || *x == '+' || *x == '=')
			return 0;
		else
			out[o++] = *x++;
	}
	out[o] = '\0';
	return 1;
}

/* The raw xtext functions into a buffer of exactly n bytes. */
static void
check_xtexts(const char *s, size_t n)
{
	char	*dst = malloc(n > 0 ? n : 1), *back;
	size_t	 len = strlen(s);
	int	 r;

	fuzz_check(dst != NULL, "memory");
	fuzz_check((back = malloc(len + 1)) != NULL, "memory");
	r = params_xtext(dst, n, s);
	fuzz_check(r >= -1 && (r == -1 || (size_t)r < n), "xtext size");
	if (n > 0)
		fuzz_check(strnlen(dst, n) < n, "xtext NUL-terminated");
	if (r >= 0) {
		fuzz_check(strlen(dst) == (size_t)r, "xtext length");
		fuzz_check(xtext_decode(dst, back) && strcmp(back, s) == 0,
		    "xtext decodes to its input");
	}
	r = params_utf8_xtext(dst, n, s);
	fuzz_check(r >= -1 && (r == -1 || (size_t)r < n), "uxtext size");
	if (n > 0)
		fuzz_check(strnlen(dst, n) < n, "uxtext NUL-terminated");
	if (r >= 0) {
		fuzz_check(strlen(dst) == (size_t)r, "uxtext length");
		fuzz_check(uxtext_decode(dst, back) && strcmp(back, s) == 0,
		    "utf-8-addr-xtext decodes to its input");
	}
	free(back);
	free(dst);
}

/* " KEY=VALUE" words (or " SMTPUTF8"); *val gets the value of key. */
static void
check_words(const char *buf, const char *key, char **val)
{
	const char	*w, *e, *eq;
	size_t		 klen = strlen(key);

	*val = NULL;
	for (w = buf; *w != '\0'; w = e) {
		fuzz_check(*w == ' ' && w[1] != '\0' && w[1] != ' ',
		    "parameters are ' '-separated words");
		w++;
		e = w + strcspn(w, " ");
		for (eq = w; eq < e; eq++)
			fuzz_check(*eq > 32 && *eq < 127, "printable ASCII");
		eq = memchr(w, '=', (size_t)(e - w));
		fuzz_check(eq != NULL || (e - w == 8 &&
		    memcmp(w, "SMTPUTF8", 8) == 0), "KEY=VALUE");
		if (eq != NULL && (size_t)(eq - w) == klen &&
		    memcmp(w, key, klen) == 0)
			*val = fuzz_strndup(eq + 1, (size_t)(e - eq - 1));
	}
}

static void
check_chosen(const struct params *p, const struct smtp_msg *m,
    unsigned offered)
{
	char	 buf[PARAMS_MAX], *v, *back;
	size_t	 i;

	fuzz_check(!p->dsn || (offered & PARAMS_DSN), "DSN only if offered");
	fuzz_check(!p->smtputf8 || (offered & PARAMS_SMTPUTF8),
	    "SMTPUTF8 only if offered");
	fuzz_check(p->body == PARAMS_BODY_NONE || (offered & PARAMS_8BITMIME),
	    "BODY only with 8BITMIME");
	fuzz_check(params_mail(p, buf, sizeof(buf)) == 0, "MAIL params fit");
	check_words(buf, "ENVID", &v);
	fuzz_check((v != NULL) == (p->dsn && m->envid != NULL),
	    "ENVID iff DSN and -V");
	if (v != NULL) {
		fuzz_check((back = malloc(strlen(v) + 1)) != NULL, "memory");
		fuzz_check(xtext_decode(v, back) && strcmp(back, m->envid) == 0,
		    "ENVID decodes to -V");
		free(back);
	}
	free(v);
	for (i = 0; i < m->nrcpts; i++) {
		fuzz_check(params_rcpt(p, m->rcpts[i], buf, sizeof(buf)) == 0,
		    "RCPT params fit");
		check_words(buf, "ORCPT", &v);
		fuzz_check(v == NULL || p->dsn, "ORCPT only with DSN");
		if (v == NULL)
			continue;
		fuzz_check((back = malloc(strlen(v) + 1)) != NULL, "memory");
		if (strncmp(v, "rfc822;", 7) == 0)
			fuzz_check(xtext_decode(v + 7, back) &&
			    strcmp(back, m->rcpts[i]) == 0, "ORCPT rfc822");
		else
			fuzz_check(strncmp(v, "utf-8;", 6) == 0 &&
			    uxtext_decode(v + 6, back) &&
			    strcmp(back, m->rcpts[i]) == 0, "ORCPT utf-8");
		free(back);
		free(v);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*copy, *field[FIELDS_MAX];
	struct smtp_msg	 m;
	struct msg	 body;
	struct params	 p;
	struct result	 res;
	size_t		 nf = 0, i, bufn;
	unsigned	 offered, flags;

	if (size < 2)
		return 0;
	offered = data[0] & 7;
	flags = data[0];
	bufn = data[1];
	/* NUL-separated fields, in a copy that ends in NUL. */
	copy = fuzz_strndup(data + 2, size - 2);
	field[nf++] = copy;
	for (i = 0; i < size - 2 && nf < FIELDS_MAX; i++)
		if (copy[i] == '\0')
			field[nf++] = copy + i + 1;
	for (i = nf; i < 7; i++)
		field[i] = copy + size - 2;		/* "" */

	for (i = 0; i < nf; i++)
		check_xtexts(field[i], bufn);

	memset(&body, 0, sizeof(body));
	body.fd = -1;
	body.eightbit = (flags & 8) != 0;
	memset(&m, 0, sizeof(m));
	m.body_type = flags & 0x10 ? field[0] : NULL;
	m.notify = flags & 0x20 ? field[1] : NULL;
	m.ret = flags & 0x40 ? field[2] : NULL;
	m.envid = flags & 0x80 ? field[3] : NULL;
	m.from = field[4];
	m.hdr = field[5];
	m.hdrlen = strlen(field[5]);
	m.rcpts = nf > 6 ? field + 6 : NULL;
	m.nrcpts = nf > 6 ? nf - 6 : 0;
	m.msg = &body;

	memset(&res, 0, sizeof(res));
	if (params_init(&p, &m, &res) == -1) {
		fuzz_check(res.exitcode == EX_USAGE, "bad flag is EX_USAGE");
		goto out;
	}
	fuzz_check(strlen(p.envid) <= PARAMS_ENVID_MAX, "ENVID length");
	if (params_choose(&p, offered, &res) == -1) {
		fuzz_check(res.exitcode == EX_DATAERR && p.utf8_addr != NULL &&
		    !(offered & PARAMS_SMTPUTF8), "EX_DATAERR: SMTPUTF8");
		goto out;
	}
	for (i = 1; i <= PARAMS_W_7BIT; i <<= 1)
		fuzz_check(params_warning((unsigned)i) != NULL, "warning text");
	check_chosen(&p, &m, offered);
out:
	free(copy);
	return 0;
}
