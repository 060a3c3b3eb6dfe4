/*
 * secret.h - the account's password.
 *
 * The only module that includes libsecret/GLib headers.  Order: the
 * account's password_command, else its password, else the Secret Service
 * (attributes host, service=smtp, user: the entries msmtp uses).  GLib
 * and D-Bus are touched only in that last case.
 *
 * Errors are EX_CONFIG, one distinct message each: no session bus
 * (DBUS_SESSION_BUS_ADDRESS unset: cron, ssh), a bus that cannot be
 * reached or does not answer within min(timeout, 25) s, nothing on the
 * bus providing the Secret Service, the item locked (stamp never asks
 * to unlock: no prompt, no hang), no entry for user@host (naming
 * "stamp --password set ACCOUNT"), password_command failed (its exit
 * status and the first line of its stderr).  password_command that does
 * not finish within the account's timeout is EX_TEMPFAIL.
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

/*
 * An empty secret: s->buf holds SECRET_MAX bytes and a NUL, locked and
 * wiped like any other (for a password read from the user).  0 or -1
 * with EX_OSERR.  s->source is left NULL.
 */
int	 secret_alloc(struct secret *s, struct result *);

/*
 * Could secret_store() store a password for the account now?  The
 * Secret Service answers, no item for the account is locked, and the
 * default collection exists and is unlocked.  0, or -1 as above.
 */
int	 secret_ready(const struct account *, struct result *);

/*
 * Store pw (len bytes, no NUL) in the Secret Service's default
 * collection for the account's host and user, with msmtp's schema and
 * attributes (so msmtp finds it too) and a label naming user@host.  Any
 * other item with those attributes (e.g. from secret-tool) is removed,
 * so that a lookup finds this one.  0, or -1 with the errors above (a
 * locked item or default collection is refused, never unlocked).
 */
int	 secret_store(const struct account *, const char *pw, size_t len,
	    struct result *);

/*
 * Remove every Secret Service item for the account's host and user;
 * *removed says how many there were.  0, or -1 as above.
 */
int	 secret_clear(const struct account *, int *removed, struct result *);

/* Wipe (explicit_bzero) and free.  Safe on an empty struct. */
void	 secret_wipe(struct secret *);

#endif
