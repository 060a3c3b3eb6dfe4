/*
 * cli.h - sendmail's command line -> struct cli.
 *
 * Knows nothing of files or sockets.  Strings in struct cli point into
 * argv; the rcpts array itself is owned (cli_free).  Flags that real
 * callers pass but that mean nothing to stamp are accepted and ignored
 * (CALLERS.md).
 *
 * The program name (basename of argv[0]) sets the starting mode, so that
 * symlinks work: "mailq" is -bp, "newaliases" is -bi, any other name
 * ("sendmail", "stamp") sends.  A later -b or -q flag overrides it.
 */
#ifndef STAMP_CLI_H
#define STAMP_CLI_H

#include <stddef.h>

struct result;

enum cli_mode {
	CLI_SEND,		/* -bm, the default */
	CLI_VERSION,		/* --version */
	CLI_HELP,		/* --help */
	CLI_SMTP,		/* -bs: SMTP on stdin/stdout (bs.h) */
	CLI_QUEUE_LIST,		/* -bp, or the name "mailq" */
	CLI_QUEUE_RUN,		/* -q[arg]: run the queue */
	CLI_NEWALIASES,		/* -bi, or the name "newaliases": no-op */
	CLI_QUEUE_DROP,		/* --queue-drop ID */
	CLI_PASSWORD,		/* --password set|clear|check [ACCOUNT] */
	CLI_IMPORT_MSMTPRC,	/* --import-msmtprc [FILE] */
	CLI_DOCTOR,		/* --doctor [ACCOUNT] */
	CLI_OAUTH2_AUTHORIZE	/* --oauth2-authorize ACCOUNT (oauth2.h) */
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
	const char	*queue_arg;	/* -q: the rest of the word ("30m",
					   "Iabc", ""); NULL without -q */
	const char	*queue_id;	/* --queue-drop ID */
	const char	*password_action; /* --password: "set", "clear",
					   "check" */
	const char	*msmtprc;	/* --import-msmtprc FILE, or NULL:
					   ~/.msmtprc */
	char		**rcpts;	/* recipients from argv (unchecked) */
	size_t		 nrcpts;
};

/*
 * Parse argv.  Returns 0, or -1 with EX_USAGE and a one-line reason in
 * res ("unknown option -Z", "unsupported mode -bt ...").  Recipients are
 * taken as given; their syntax is checked by envelope.c.
 *
 * -q takes only what is glued to it: -q, -q30m, -q1h30m, -qp[time], -qf,
 * -q[!]I|R|S|Q|L<substr>, -qG<name> (sendmail 8, Postfix); anything else
 * is EX_USAGE.  Modes other than send ignore recipients.
 *
 * Long options: --version, --help; --queue-drop ID; --password ACTION
 * [ACCOUNT] (ACTION set, clear or check); --import-msmtprc [FILE];
 * --doctor [ACCOUNT]; --oauth2-authorize ACCOUNT.  An optional word is
 * taken when the next argument does not start with '-'; ACCOUNT is then
 * as -a.  "--opt=value" works for the required argument too.
 */
int	 cli_parse(struct cli *, int argc, char *const argv[], struct result *);

void	 cli_free(struct cli *);

/* The --help text. */
extern const char cli_usage[];

#endif
