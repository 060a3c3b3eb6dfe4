/*
 * secret.h - the account's password.
 *
 * The only module that includes libsecret/GLib headers.  Order: the
 * account's password_command, else its password, else the Secret Service
 * (attributes host, service=smtp, user: the entries msmtp uses).  GLib
 * and D-Bus are touched only in that last case.
 *
 * Errors are EX_CONFIG and say which source failed and why: no Secret
 * Service reachable (e.g. under cron: no session bus), no entry for
 * user@host (or keyring locked), password_command failed (its status).
 */
#ifndef STAMP_SECRET_H
#define STAMP_SECRET_H

#include <stddef.h>

struct account;
struct result;

#define SECRET_MAX	4096	/* longest password or token we accept */

struct secret {
	char	*buf;		/* NUL-terminated, locked buffer; NULL if none */
	size_t	 len;
	const char *source;	/* "libsecret", "password_command", "password" */
};

/*
 * Disable core dumps (PR_SET_DUMPABLE 0, RLIMIT_CORE 0) for the rest of
 * the process's life.  Call before any secret is in memory: main.c does
 * so before config_load, since the file may hold a password.  0, or -1
 * with EX_OSERR.
 */
int	 secret_protect(struct result *);

/*
 * Fill s for the account (which must have a user).  0 or -1.  Calls
 * secret_protect() first.  s->buf is mlock'd when RLIMIT_MEMLOCK allows;
 * secret.c keeps no other copy: password_command's output is read
 * straight into it, GLib's copy is wiped (the account's password is the
 * caller's to wipe).
 */
int	 secret_get(const struct account *, struct secret *s, struct result *);

/* Wipe (explicit_bzero) and free.  Safe on an empty struct. */
void	 secret_wipe(struct secret *);

#endif
