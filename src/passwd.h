/*
 * passwd.h - stamp --password set|clear|check: the account's password in
 * the Secret Service, put there by the user, and the line that says the
 * server took it.
 *
 * The Secret Service itself is secret.c's (the only module that knows
 * GLib); the check's AUTH is smtp.c's (main.c runs it with auth_only).
 * Nothing here prints a password, and the one read from the user lives
 * only in a struct secret (locked, wiped).
 */
#ifndef STAMP_PASSWD_H
#define STAMP_PASSWD_H

#include <stddef.h>

struct account;
struct result;
struct secret;
struct smtp_info;

#define PASSWD_PROMPT_MAX	512	/* "Password for joe@host: " */

/*
 * Read a password for the account into s (from secret_alloc).  When
 * stdin is a terminal: prompt on /dev/tty (else stderr), read one line
 * with echo off; echo is restored on every path, a fatal signal (^C,
 * SIGTERM, SIGHUP, ^\) included, and ^Z/fg turns it off again.  Else
 * one line from stdin, without a prompt, the LF or CRLF dropped.
 * EX_DATAERR for an empty password, one over SECRET_MAX bytes or one
 * with a NUL; EX_IOERR when reading fails.  0 or -1.
 */
int	 passwd_read(const struct account *, struct secret *s,
	    struct result *);

/*
 * --password set: check that the Secret Service can take it, read the
 * password (passwd_read), store it (secret_store), and say so on
 * stdout.  Warns on stderr when the account's password_command or
 * password would be used before it.  0 or -1.
 */
int	 passwd_set(const struct account *, struct result *);

/* --password clear: remove it, and say whether there was one.  0 or -1. */
int	 passwd_clear(const struct account *, struct result *);

/* --password check succeeded: "authenticated as USER at HOST:PORT
 * (TLSv1.3, PLAIN)" on stdout. */
void	 passwd_checked(const struct account *, const struct smtp_info *);

#endif
