/*
 * msmtprc.h - an msmtp configuration file -> the equivalent stamp.ini.
 *
 * For users who move from msmtp (stamp --import-msmtprc).  The input is
 * read as msmtp(1) reads it ("CONFIGURATION FILES"): one "command
 * argument" per line, '#' lines are comments, an argument in double
 * quotes loses the quotes (no escapes), an empty argument means "on",
 * "~" at the start of a file name is $HOME.  "defaults" sets values for
 * the accounts that follow; "account NAME : A, B" starts from those
 * defaults and takes every setting of A, then B; "account default : NAME"
 * only names the default account.  Every account is resolved as msmtp
 * would resolve it, then written as one stamp.ini section; settings that
 * all accounts share go to [defaults].  msmtp's own defaults that differ
 * from stamp's are written out (tls off, port 25 for STARTTLS, no AUTH
 * without "auth on").
 *
 * A setting that stamp has no equivalent for (proxy, logfile, ntlm,
 * "tls off", an SHA-1 fingerprint, ...) or a value that a stamp.ini line
 * cannot hold is left out with one warning naming the file and line.
 *
 * The file is untrusted: lines are at most MSMTPRC_LINE_MAX bytes, no NUL;
 * at most MSMTPRC_ACCOUNTS_MAX accounts.  Passwords are copied to the
 * output (that is the point) but never to a warning.
 */
#ifndef STAMP_MSMTPRC_H
#define STAMP_MSMTPRC_H

#include <stdio.h>

struct result;

#define MSMTPRC_LINE_MAX	4096	/* longest msmtprc line we read */
#define MSMTPRC_ACCOUNTS_MAX	256	/* as config.c's SECTIONS_MAX */

/*
 * The file to import: path when not NULL, else ~/.msmtprc when it
 * exists, else $XDG_CONFIG_HOME/msmtp/config (~/.config/msmtp/config),
 * msmtp's own order.  Returns an allocated path, or NULL with EX_CONFIG
 * naming the files tried (EX_OSERR when out of memory).
 */
char	*msmtprc_find(const char *path, struct result *);

/*
 * Read the msmtp configuration on in (name is used in messages, home
 * replaces a leading "~" in file names) and write the stamp.ini to out;
 * warnings go to warn as "stamp: NAME:LINE: ...", one line each.
 * Returns 0, or -1 with EX_CONFIG and "NAME:LINE: what is wrong" for a
 * file that msmtp itself would refuse (unknown parent account, account
 * defined twice, bad argument to port/timeout/tls/auth..., a line too
 * long or with a NUL, no account at all); then nothing is written to out.
 */
int	 msmtprc_convert(FILE *in, const char *name, const char *home,
	    FILE *out, FILE *warn, struct result *);

/*
 * msmtprc_find, then msmtprc_convert with $HOME: the whole of
 * --import-msmtprc [FILE].  EX_CONFIG when the file cannot be opened.
 */
int	 msmtprc_import(const char *path, FILE *out, FILE *warn,
	    struct result *);

#endif
