/*
 * cli.h - sendmail's command line -> struct cli.
 *
 * Knows nothing of files or sockets.  Strings in struct cli point into
 * argv; the rcpts array itself is owned (cli_free).  Flags that real
 * callers pass but that mean nothing to stamp are accepted and ignored
 * (CALLERS.md).
 */
#ifndef STAMP_CLI_H
#define STAMP_CLI_H

#include <stddef.h>

struct result;

enum cli_mode {
	CLI_SEND,		/* -bm, the default */
	CLI_VERSION,		/* --version */
	CLI_HELP		/* --help */
};

struct cli {
	enum cli_mode	 mode;
	int		 read_headers;	/* -t */
	int		 verbose;	/* -v */
	const char	*from;		/* -f / -r: envelope sender */
	const char	*fullname;	/* -F: full name for a built From: */
	const char	*account;	/* -a NAME */
	const char	*config_file;	/* -C FILE */
	const char	*body_type;	/* -B TYPE (8BITMIME, 7BIT), or NULL */
	const char	*notify;	/* -N: DSN NOTIFY= (RFC 3461) */
	const char	*ret;		/* -R: DSN RET= (FULL, HDRS) */
	const char	*envid;		/* -V: DSN ENVID= */
	char		**rcpts;	/* recipients from argv (unchecked) */
	size_t		 nrcpts;
};

/*
 * Parse argv.  Returns 0, or -1 with EX_USAGE and a one-line reason in
 * res ("unknown option -Z").  Recipients are taken as given; their syntax
 * is checked by envelope.c.
 */
int	 cli_parse(struct cli *, int argc, char *const argv[], struct result *);

void	 cli_free(struct cli *);

/* The --help text. */
extern const char cli_usage[];

#endif
