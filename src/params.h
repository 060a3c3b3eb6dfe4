/*
 * params.h - the ESMTP parameters of MAIL FROM and RCPT TO, decided
 * without I/O: BODY (RFC 6152), SMTPUTF8 (RFC 6531) and the DSN
 * parameters RET, ENVID, NOTIFY and ORCPT (RFC 3461, RFC 6533).
 * SIZE (RFC 1870) stays with smtp.c, which knows the server's limit.
 *
 * Two steps.  params_init, before connecting, checks the caller's -B,
 * -N, -R and -V (EX_USAGE naming the flag) and notes which addresses and
 * which part of the message are not ASCII.  params_choose, after the last
 * EHLO, settles what is sent for what the server offers.  Only one thing
 * the server lacks is fatal: an address that needs SMTPUTF8 (EX_DATAERR,
 * before MAIL).  Everything else it lacks is left out with a warning
 * (params.warnings): a lost DSN request is better than lost mail.
 *
 *   BODY=8BITMIME  -B 8BITMIME, or 8-bit bytes in the body or in the
 *                  transmitted header section; only if 8BITMIME is offered
 *   BODY=7BIT      -B 7BIT with 8BITMIME offered and a 7-bit message (an
 *                  8-bit message is declared 8BITMIME whatever -B says)
 *   SMTPUTF8       a non-ASCII address or header, with SMTPUTF8 offered;
 *                  a raw UTF-8 header without it is sent anyway (warning)
 *   RET ENVID      -R, -V on MAIL; NOTIFY (-N) and ORCPT on every RCPT;
 *                  only if DSN is offered and one of -N -R -V was given
 */
#ifndef STAMP_PARAMS_H
#define STAMP_PARAMS_H

#include <stddef.h>

struct result;
struct smtp_msg;

#define PARAMS_MAX		1024	/* parameters of one command */
#define PARAMS_ENVID_MAX	100	/* RFC 3461 4.4: ENVID, as xtext */
#define PARAMS_ORCPT_MAX	500	/* RFC 3461 4.2: ORCPT value */
#define PARAMS_NOTIFY_MAX	32	/* "SUCCESS,FAILURE,DELAY" */

/* What the server's EHLO offers, as far as parameters go. */
#define PARAMS_8BITMIME		0x01
#define PARAMS_SMTPUTF8		0x02
#define PARAMS_DSN		0x04

/* Warnings params_choose may raise (params.warnings). */
#define PARAMS_W_DSN		0x01	/* -N/-R/-V given, no DSN */
#define PARAMS_W_8BITMIME	0x02	/* -B 8BITMIME given, no 8BITMIME */
#define PARAMS_W_UTF8HDR	0x04	/* raw UTF-8 header, no SMTPUTF8 */
#define PARAMS_W_7BIT		0x08	/* -B 7BIT given, 8-bit message */

enum params_body {
	PARAMS_BODY_NONE, PARAMS_BODY_7BIT, PARAMS_BODY_8BITMIME
};

struct params {
	/* params_init: what the caller asks for and the message needs */
	enum params_body want_body;		/* -B */
	int		 eightbit;		/* body or header not 7-bit */
	int		 utf8_hdr;		/* header has non-ASCII bytes */
	const char	*utf8_addr;		/* first non-ASCII address */
	int		 utf8_addr_rcpt;	/* ... and it is a recipient */
	const char	*ret;			/* "FULL", "HDRS" or NULL */
	char		 notify[PARAMS_NOTIFY_MAX]; /* upper case, or "" */
	char		 envid[PARAMS_ENVID_MAX + 1]; /* xtext, or "" */
	/* params_choose: what is sent */
	enum params_body body;
	int		 smtputf8;
	int		 dsn;
	unsigned	 warnings;		/* PARAMS_W_* */
};

/*
 * Check -B (8BITMIME or 7BIT), -N (NEVER, or a comma list of SUCCESS,
 * FAILURE, DELAY), -R (FULL or HDRS), all case-insensitive, and -V (at
 * most PARAMS_ENVID_MAX characters as xtext); EX_USAGE on a bad one.
 * p keeps pointers into m, which must outlive it.
 */
int	 params_init(struct params *p, const struct smtp_msg *m,
	    struct result *);

/*
 * Decide what is sent for what the server offers (PARAMS_8BITMIME ...).
 * -1 with EX_DATAERR when an address needs SMTPUTF8 and it is not
 * offered; otherwise 0, with the warnings in p->warnings.
 */
int	 params_choose(struct params *p, unsigned offered, struct result *);

/* The text of one warning bit, for the log. */
const char *params_warning(unsigned bit);

/*
 * The parameters for MAIL FROM (" BODY=8BITMIME SMTPUTF8 RET=HDRS
 * ENVID=x") or for RCPT TO:<rcpt> (" NOTIFY=FAILURE ORCPT=rfc822;x"),
 * each with a leading space, "" when none, into buf (PARAMS_MAX).
 * ORCPT is "rfc822;" + xtext for an ASCII address, "utf-8;" + RFC 6533
 * utf-8-addr-xtext otherwise; it is left out when longer than
 * PARAMS_ORCPT_MAX or not valid UTF-8 (it is optional).  Returns -1
 * only if buf is too small.
 */
int	 params_mail(const struct params *p, char *buf, size_t n);
int	 params_rcpt(const struct params *p, const char *rcpt, char *buf,
	    size_t n);

/*
 * xtext (RFC 3461 4): '+', '=' and bytes outside 33..126 as "+XX".
 * utf-8-addr-xtext (RFC 6533 3): '+', '=', '\', and bytes outside
 * 33..126 as "\x{XX}", non-ASCII characters as "\x{code point}"; -1 if
 * src is not valid UTF-8.  Both write a NUL-terminated string into dst
 * (size n) and return its length, or -1 if it does not fit.
 */
int	 params_xtext(char *dst, size_t n, const char *src);
int	 params_utf8_xtext(char *dst, size_t n, const char *src);

#endif
