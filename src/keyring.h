/*
 * keyring.h - the Secret Service (libsecret over D-Bus), for secret.c.
 *
 * keyring.c is the only file that includes libsecret/GLib headers, and
 * stamp is not linked with them: the first call here loads
 * libsecret-1.so.0 (and through it GLib, GIO and GObject) with dlopen(),
 * so a run that never asks the keyring maps none of them.  A missing
 * library is EX_CONFIG ("the Secret Service library libsecret-1.so.0 is
 * not installed: ...").
 *
 * Others use secret_item_lookup/store/clear (secret.h), which are these
 * calls with generic words in their errors; secret.c's password calls
 * pass the account's words.  attrs is as in secret.h: name, value, ...,
 * NULL.  An "xdg:schema" pair names the schema an item is stored under
 * (default KEYRING_SCHEMA); lookups and removals ignore it (they also
 * find items stored by secret-tool or under another schema).
 */
#ifndef STAMP_KEYRING_H
#define STAMP_KEYRING_H

#include <stddef.h>

struct result;
struct secret;

#define KEYRING_SONAME	"libsecret-1.so.0"
#define KEYRING_SCHEMA	"org.stamp.Secret"	/* when attrs name none */
#define KEYRING_ATTRS_MAX 16			/* name/value pairs */
#define KEYRING_WAIT_MAX 25	/* s per D-Bus call (D-Bus's own limit) */

/* The caller's words for the errors. */
struct keyring_ctx {
	const char	*kind;	/* "the password": "holds <kind> for <what>" */
	const char	*what;	/* "joe@mail.example.org" */
	const char	*hint;	/* after "not reachable: why": "; set ..." */
	int		 wait_s;	/* per D-Bus call, 1..KEYRING_WAIT_MAX */
};

/* The library dlopen()ed; tests point it elsewhere before the first call. */
extern const char *keyring_soname;

/*
 * The first unlocked item's value into out (from secret_alloc, source
 * "libsecret"): 1; no item: 0 (out->buf NULL); -1 with EX_CONFIG: not
 * reachable, every item locked, a NUL byte or more than SECRET_MAX bytes.
 */
int	 keyring_lookup(const char *const *attrs, struct secret *out,
	    const struct keyring_ctx *, struct result *);

/* No matching item is locked and the default collection is there and
 * unlocked: a store would work.  0 or -1. */
int	 keyring_ready(const char *const *attrs, const struct keyring_ctx *,
	    struct result *);

/* Store value (len bytes) with a label in the default collection, then
 * remove every other item with these attributes.  0 or -1. */
int	 keyring_store(const char *const *attrs, const char *label,
	    const char *value, size_t len, const struct keyring_ctx *,
	    struct result *);

/* Remove every matching item (none may be locked): how many, or -1. */
int	 keyring_clear(const char *const *attrs, const struct keyring_ctx *,
	    struct result *);

#endif
