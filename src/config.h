/*
 * config.h - the INI file -> accounts.
 *
 * The only module that includes <ini.h> (config.c; the key table and the
 * value checks are cfgkeys.c).  Knows nothing of sockets.
 *
 * File search order: -C FILE; $XDG_CONFIG_HOME/stamp/stamp.ini (or
 * ~/.config/stamp/stamp.ini); /etc/stamp.ini.  A [defaults] section gives
 * values every account inherits; every other section is an account.
 * Errors name "FILE:LINE" and are EX_CONFIG.  Unknown keys are errors.
 */
#ifndef STAMP_CONFIG_H
#define STAMP_CONFIG_H

#include <stddef.h>

struct result;

#define CONFIG_LINE_MAX		1024	/* longest line we accept */
#define CONFIG_NAME_MAX		64	/* longest section (account) name */

enum tls_mode {
	TLS_SMTPS,			/* implicit TLS, default port 465 */
	TLS_STARTTLS			/* STARTTLS required, default port 587 */
};

/* set_from_header: what stamp does to the message's From: field. */
enum from_header {
	FROM_HDR_AUTO,			/* add if missing; fix an unqualified one */
	FROM_HDR_ON,			/* always the envelope sender */
	FROM_HDR_OFF			/* never touch it */
};

/* long_lines: what to do with a body line over 998 octets (RFC 5322 2.1.1). */
enum long_lines {
	LONG_ENCODE,			/* single-part: quoted-printable; else pass */
	LONG_PASS,			/* send as is; the server decides */
	LONG_REFUSE			/* EX_DATAERR, nothing sent */
};

/* oauth2_flow: how --oauth2-authorize gets the first grant (oauth2.h). */
enum oauth2_flow {
	OAUTH2_FLOW_AUTO,		/* device when there is an endpoint */
	OAUTH2_FLOW_DEVICE,		/* RFC 8628 */
	OAUTH2_FLOW_CODE		/* RFC 7636 + RFC 8252 loopback */
};

#define CONFIG_FPR_LEN	64		/* SHA-256 as lower-case hex */

struct account {
	char		*name;		/* section name */
	char		*host;		/* required */
	int		 port;		/* default from tls: 465 or 587 */
	enum tls_mode	 tls;		/* default TLS_SMTPS */
	char		*user;		/* NULL: no AUTH */
	char		*from;		/* envelope sender when no -f; or a
					   pattern (config_is_pattern) */
	char		*auth;		/* "auto" (default) or a mechanism,
					   lower case ("scram-sha-256") */
	char		*authzid;	/* PLAIN authorization identity, or NULL */
	char		*tls_trust_file; /* NULL: system CA store */
	int		 timeout;	/* seconds, per reply; default 300 */
	char		*domain;	/* EHLO name; NULL: "localhost" */
	char		*password_command; /* run by /bin/sh -c */
	char		*password;
	char		*qualify_domain; /* for unqualified addresses, or NULL */
	char		*aliases;	/* alias file (aliases.h), or NULL */
	enum from_header set_from_header; /* default FROM_HDR_AUTO */
	char		*tls_fingerprint; /* SHA-256 of the server certificate,
					   CONFIG_FPR_LEN lower-case hex, or NULL */
	char		*tls_cert_file;	/* client certificate (PEM), or NULL */
	char		*tls_key_file;	/* its key; set with tls_cert_file */
	int		 tls_min_version; /* 12 (TLS 1.2, default) or 13 */
	enum long_lines	 long_lines;	/* default LONG_ENCODE */
	int		 pipelining;	/* 1 (auto, default): when offered */
	int		 chunking;	/* 1 (auto, default): when offered */
	int		 tls_resume;	/* 1 (auto, default): session tickets */
	int		 queue;		/* queue = yes: keep on EX_TEMPFAIL */
	char		*queue_dir;	/* NULL: the default (queue.h) */
	/*
	 * OAuth2 (oauth2.h): set when oauth2_provider is; the endpoints and
	 * scope are the provider's preset unless the file overrides them.
	 * Then auth is xoauth2 or oauthbearer, user and client_id are set,
	 * and so is the token endpoint.
	 */
	char		*oauth2_provider; /* google, microsoft, custom; NULL */
	char		*oauth2_client_id;
	char		*oauth2_client_secret; /* or NULL (public client) */
	char		*oauth2_scope;	/* space-separated, or NULL */
	char		*oauth2_token_endpoint;
	char		*oauth2_authorize_endpoint; /* or NULL */
	char		*oauth2_device_endpoint; /* or NULL */
	enum oauth2_flow oauth2_flow;
	char		*file;		/* config file path (for messages) */
	int		 line;		/* line of the section header */
};

struct config {
	char		*path;		/* the file that was read */
	struct account	*accounts;
	size_t		 naccounts;
	char		*default_account; /* from [defaults], or NULL */
};

/*
 * Find and read the configuration.  explicit_path is -C (NULL to search).
 * A file that holds password, password_command or oauth2_client_secret
 * must be owned by the user and not readable by group or others (DESIGN.md section 7).
 */
int	 config_load(struct config *, const char *explicit_path,
	    struct result *);

/*
 * Choose the account: name (-a) if given; else, when sender (the -f/-r
 * address, "<a@b>" accepted; NULL if none) is given, the account whose
 * from matches it (config_from_matches): default_account if it does,
 * else the first in file order; else default_account; else the only
 * account.  EX_CONFIG with a clear message when none fits.
 */
const struct account *config_choose(const struct config *, const char *name,
	    const char *sender, struct result *);

/* Does sending need a password (user set, and auth is not external)? */
int	 config_needs_password(const struct account *);

/* Is this from a pattern (it has '*', '?' or '[')? */
int	 config_is_pattern(const char *from);

/*
 * Does sender match an account's from?  Case-insensitive: equal, or
 * from is a pattern that matches (fnmatch(3) wildcards), or either holds
 * for the sender without its +detail ("joe+lists@x" -> "joe@x").
 */
int	 config_from_matches(const char *from, const char *sender);

void	 config_free(struct config *);

#endif
