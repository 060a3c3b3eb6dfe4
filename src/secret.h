/*
 * secret.h - the account's password, and items in the Secret Service.
 *
 * Order: the account's password_command, else its password, else the
 * Secret Service (attributes host, service=smtp, user: the entries msmtp
 * uses).  The Secret Service is keyring.c, the only file that includes
 * libsecret/GLib headers; stamp is not linked with them: libsecret-1.so.0
 * (and GLib, GIO, D-Bus through it) is dlopen()ed only in that last case,
 * or by a secret_item_*() call.  Without the library that is EX_CONFIG
 * ("the Secret Service library libsecret-1.so.0 is not installed: ...").
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

#define SECRET_MAX	16384	/* longest password or token (OAuth2) we accept */

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

/*
 * Items of one's own in the Secret Service (e.g. OAuth2 tokens).  attrs
 * is a NULL-terminated array of name, value, name, value, ..., NULL (at
 * most 16 pairs); the strings stay the caller's.  A pair
 * "xdg:schema", name sets the schema a stored item gets (default
 * "org.stamp.Secret"); lookups and removals match the other attributes
 * only, whatever the schema (so items made with secret-tool count too).
 * Each D-Bus call may take timeout_s seconds (at most 25; 0: 25), then
 * is abandoned.  Errors are EX_CONFIG, with the words of the password
 * lookup above: not reachable (which of the cases; "...; run stamp inside
 * a session with a D-Bus session bus"), the library missing, "the Secret
 * Service keyring that holds the item for name=value ... is locked" (never
 * unlocked: no prompt), a value with a NUL byte or over SECRET_MAX bytes.
 *
 * secret_item_lookup: the first unlocked item's value into out, which it
 * allocates as secret_alloc() does (locked memory, NUL-terminated,
 * source "libsecret"): 1, and the caller owns out and must secret_wipe()
 * it; 0 when there is no such item, -1 on error (out->buf NULL both
 * times).  libsecret's own copy is wiped and freed before it returns.
 */
int	 secret_item_lookup(const char *const *attrs, struct secret *out,
	    int timeout_s, struct result *);

/*
 * Store value (len bytes; it stays the caller's, to wipe) with label in
 * the default collection; then no other item has these attributes (one
 * of ours is replaced, others are removed).  A locked matching item or a
 * locked or missing default collection is refused, and so is a value
 * over SECRET_MAX bytes (EX_DATAERR).  0 or -1.
 */
int	 secret_item_store(const char *const *attrs, const char *label,
	    const char *value, size_t len, int timeout_s, struct result *);

/* Remove every matching item (refused if one is locked): the number
 * removed (0: there was none), or -1. */
int	 secret_item_clear(const char *const *attrs, int timeout_s,
	    struct result *);

/* Wipe (explicit_bzero) and free.  Safe on an empty struct. */
void	 secret_wipe(struct secret *);

#endif
