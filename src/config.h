/*
 * config.h - the INI file -> accounts.
 *
 * The only module that includes <ini.h>.  Knows nothing of sockets.
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

struct account {
	char		*name;		/* section name */
	char		*host;		/* required */
	int		 port;		/* default from tls: 465 or 587 */
	enum tls_mode	 tls;		/* default TLS_SMTPS */
	char		*user;		/* NULL: no AUTH */
	char		*from;		/* envelope sender when no -f */
	char		*auth;		/* "auto" (default), "plain", "login" */
	char		*tls_trust_file; /* NULL: system CA store */
	int		 timeout;	/* seconds, per reply; default 300 */
	char		*domain;	/* EHLO name; NULL: "localhost" */
	char		*password_command; /* run by /bin/sh -c */
	char		*password;
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
 * A file that holds password or password_command must be owned by the
 * user and not readable by group or others (DESIGN.md section 7).
 */
int	 config_load(struct config *, const char *explicit_path,
	    struct result *);

/*
 * Choose the account: name (-a) if given, else default_account, else the
 * only account.  EX_CONFIG with a clear message when none fits.  sender
 * is the -f/-r address or NULL (issue 3: matching it against the
 * accounts' from patterns comes before default_account).
 */
const struct account *config_choose(const struct config *, const char *name,
	    const char *sender, struct result *);

void	 config_free(struct config *);

#endif
