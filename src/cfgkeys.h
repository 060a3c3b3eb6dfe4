/*
 * cfgkeys.h - the configuration keys: the table, the value checks, and
 * the parser state they share with config.c.  Internal to config.c and
 * cfgkeys.c; the rest of the program sees config.h only.
 */
#ifndef STAMP_CFGKEYS_H
#define STAMP_CFGKEYS_H

#include <stdio.h>

#include "config.h"
#include "result.h"

enum key {
	K_HOST, K_PORT, K_TLS, K_USER, K_FROM, K_AUTH, K_TRUST, K_TIMEOUT,
	K_DOMAIN, K_PWCMD, K_PW, K_DEFAULT, K_QUALIFY, K_ALIASES, K_SETFROM,
	K_FPR, K_CERT, K_KEY, K_TLSMIN, K_LONG, K_PIPE, K_CHUNK,
	K_AUTHZID, K_QUEUE, K_QDIR, K_RESUME,
	K_O2PROV, K_O2ID, K_O2SECRET, K_O2SCOPE, K_O2TOKEN, K_O2AUTHZ,
	K_O2DEVICE, K_O2FLOW, K_NKEYS
};

struct section {
	char	*name;
	int	 line;			/* of "[name]"; 0: not in the file */
	char	*val[K_NKEYS];		/* checked and normalised */
	int	 vline[K_NKEYS];	/* 0: not set in this section */
};

struct parse {
	const char	*path;
	FILE		*fp;
	int		 lineno;	/* lines handed to inih so far */
	struct section	 defaults;
	struct section	*sects;		/* the accounts, in file order */
	size_t		 nsects;
	struct section	*cur;		/* NULL before the first header */
	int		 secret_line;	/* first secret key, or 0 */
	enum key	 secret_key;	/* ... and which */
	struct result	 res;		/* the first error, ... */
	int		 errline;	/* ... and its line */
	char		 buf[CONFIG_LINE_MAX + 2]; /* +1 to see "too long" */
};

struct keydef {
	const char	*name;
	char		*(*check)(struct parse *, const char *, const char *);
};

/* Indexed by enum key. */
extern const struct keydef cfg_keys[K_NKEYS];

/* Record "FILE:LINE: ..." unless an error is recorded already; -1. */
int	 cfg_fail(struct parse *, int line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* The key called name, or -1. */
int	 cfg_key_lookup(const char *name);

/* Does the key's value need wiping (a secret, or a command that may
 * embed one)? */
int	 cfg_key_secret(enum key);

/* OAuth2 endpoints and scope of a built-in provider (oauth2.h). */
struct oauth2_preset {
	const char	*name;		/* oauth2_provider value */
	const char	*authorize;	/* code + PKCE; NULL: none */
	const char	*token;
	const char	*device;	/* RFC 8628; NULL: not for mail scopes */
	const char	*scope;
};

/* The preset called name ("google", "microsoft"), or NULL ("custom"). */
const struct oauth2_preset *cfg_oauth2_preset(const char *name);

/* Letters, digits, '.', '_', '-'; at least one. */
int	 cfg_valid_name(const char *, size_t);

/* Free a value, wiping it first when cfg_key_secret(). */
void	 cfg_free_value(char *, enum key);

#endif
