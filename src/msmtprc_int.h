/*
 * msmtprc_int.h - what the parts of --import-msmtprc share (msmtprc.h
 * is the contract): msmtprc_read.c reads the msmtp configuration into
 * struct macct accounts, msmtprc_ini.c maps and prints them as stamp.ini,
 * msmtprc.c runs the two and owns the diagnostics.  Not for other
 * modules.
 */
#ifndef STAMP_MSMTPRC_INT_H
#define STAMP_MSMTPRC_INT_H

#include <stddef.h>
#include <stdio.h>

#include "msmtprc.h"

struct result;

#define INI_LINE_MAX	198	/* a stamp.ini line, stamp.ini(5) */
#define INI_NAME_MAX	49	/* inih's section name ceiling, less NUL */

/* The msmtp settings that have a stamp equivalent. */
enum mkey {
	M_HOST, M_PORT, M_TLS, M_STARTTLS, M_TRUST, M_FPR, M_CERT, M_KEY,
	M_AUTH, M_USER, M_PASSWORD, M_PWEVAL, M_FROM, M_DOMAIN, M_TIMEOUT,
	M_SETFROM, M_ALIASES, M_NKEYS
};

struct macct {
	char	*name;
	int	 line;
	char	*alias;			/* "account default : NAME" */
	char	*val[M_NKEYS];		/* NULL: not set */
	int	 vline[M_NKEYS];
};

/* A warning, kept until the end to be printed in line order. */
struct mwarning {
	int	 line;
	size_t	 seq;
	char	*text;
};

struct mparse {
	const char	*name;		/* for messages */
	const char	*home;
	FILE		*warn;
	int		 lineno;
	struct macct	 defaults;
	struct macct	*accts;
	size_t		 nacct;
	struct macct	*cur;		/* &defaults before any account */
	char		*warned;	/* per line: a warning was given */
	struct mwarning	*warns;
	size_t		 nwarns;
	struct result	*res;
	char		 buf[MSMTPRC_LINE_MAX + 1];
};

/*
 * msmtprc.c: an error at the current line (EX_CONFIG "NAME:LINE: ..."),
 * always -1; a warning for a line, one per line, printed in line order
 * by mrc_print_warnings (which frees them).
 */
int	 mrc_fail(struct mparse *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 mrc_warn(struct mparse *, int line, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	 mrc_print_warnings(struct mparse *);

/*
 * msmtprc_read.c: every line of in into p->defaults and p->accts (p->cur
 * is where settings go): 0 at EOF, -1 with the error in p->res.
 */
int	 mrc_read(struct mparse *, FILE *in);
struct macct *mrc_find_account(struct mparse *, const char *name);
void	 mrc_acct_free(struct macct *);	/* wipes the values */
/* s is a decimal number 0..max: 1 with *out, else 0. */
int	 mrc_is_number(const char *s, long max, long *out);

/*
 * msmtprc_ini.c: the accounts read as stamp.ini on out (warnings for
 * what is left out); -1 with EX_CONFIG when nothing can be written (no
 * account with a host, two accounts with one stamp name).
 */
int	 mrc_write(struct mparse *, FILE *out);

#endif
