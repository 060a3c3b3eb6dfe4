/*
 * cli.c - sendmail's command line (CALLERS.md) -> struct cli.
 *
 * getopt(3) cannot be used: sendmail flags take glued or separate
 * arguments ("-FCronDaemon", "-F Cron"), "-o" and "-b" take a glued
 * word ("-oi", "-bm"), and options may follow recipients (GNU order).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "result.h"
#include "util.h"

const char cli_usage[] =
"usage: stamp [-tiv] [-a account] [-C file] [-f from] [-F name]\n"
"             [--] recipient ...\n"
"       stamp -bs [-v] [-a account] [-C file]\n"
"       stamp -bp | -q[arg] | -bi     (also as mailq, newaliases)\n"
"Reads one message on standard input and submits it over SMTPS or\n"
"STARTTLS with SMTP AUTH.  Recipients come from the arguments and, with\n"
"-t, from the To, Cc and Bcc fields (or the first Resent-* block).\n"
"\n"
"  -t          also send to the To, Cc and Bcc addresses of the message\n"
"  -a account  use this account of the configuration file\n"
"  -C file     read this configuration file\n"
"  -f from     envelope sender (also -r); default: the account's from\n"
"  -F name     full name for a From: field that stamp adds\n"
"  -v          print the SMTP dialogue (passwords redacted) on stderr\n"
"  -i, -oi     accepted; stamp always reads standard input to the end\n"
"  -B type     BODY= (8BITMIME or 7BIT); -N notify, -R ret, -V envid:\n"
"              DSN requests, sent when the server offers DSN\n"
"  -bs         speak SMTP on standard input and output; each message is\n"
"              submitted before its end of data is answered\n"
"  -bp         list the queue (mailq);  -q  run it;  -bi  no-op\n"
"  --queue-drop ID            remove one message from the queue\n"
"  --password set|clear|check [ACCOUNT]\n"
"              store, remove or try the account's password (Secret\n"
"              Service)\n"
"  --import-msmtprc [FILE]    print a stamp.ini for an msmtprc\n"
"  --doctor [ACCOUNT]         check the account's server and settings\n"
"  --oauth2-authorize ACCOUNT get the account's OAuth2 grant (Secret\n"
"              Service); later sends refresh the token themselves\n"
"  --version   print the version;  --help  print this text\n"
"\n"
"Other sendmail flags that callers pass are accepted and ignored:\n"
"-oX (-oem, -odi), -A -d -e -h -L -O -p -X with an argument, and\n"
"-G -m -n -U -x.  See stamp(1) and stamp.ini(5).\n";

/* Flags that take an argument, glued or as the next word. */
static const char with_arg[] = "aACfrFBNRVhdepLXO";
/* Flags without an argument that we accept and ignore. */
static const char ignored[] = "GmnxUi";

/* Store the argument of flag f. */
static void
set_arg(struct cli *c, char f, const char *arg)
{
	switch (f) {
	case 'a':
		c->account = arg;
		break;
	case 'C':
		c->config_file = arg;
		break;
	case 'f':
	case 'r':
		c->from = arg;
		break;
	case 'F':
		c->fullname = arg;
		break;
	case 'B':
		c->body_type = arg;
		break;
	case 'N':
		c->notify = arg;
		break;
	case 'R':
		c->ret = arg;
		break;
	case 'V':
		c->envid = arg;
		break;
	default:		/* -A -h -d -e -p -L -X -O: accepted */
		break;
	}
}

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* sendmail 8's -b modes: what stamp does with each, or what it is not. */
static const struct bmode {
	const char	*name;
	int		 mode;		/* enum cli_mode, or -1: unsupported */
	const char	*what;
} bmodes[] = {
	{ "m", CLI_SEND, NULL },
	{ "s", CLI_SMTP, NULL },
	{ "p", CLI_QUEUE_LIST, NULL },
	{ "i", CLI_NEWALIASES, NULL },
	{ "t", -1, "address test mode" },
	{ "v", -1, "address verification" },
	{ "d", -1, "daemon mode" },
	{ "D", -1, "foreground daemon mode" },
	{ "h", -1, "host status" },
	{ "H", -1, "host status purge" },
	{ "P", -1, "queue counts" },
	{ "a", -1, "ARPANET mode" },
};

static int
set_mode(struct cli *c, const char *m, struct result *res)
{
	const char	*what = NULL;
	size_t		 i;

	for (i = 0; i < NITEMS(bmodes); i++) {
		if (strcmp(m, bmodes[i].name) != 0)
			continue;
		if (bmodes[i].mode != -1) {
			c->mode = (enum cli_mode)bmodes[i].mode;
			return 0;
		}
		what = bmodes[i].what;
	}
	return result_fail(res, EX_USAGE, "unsupported mode -b%s%s%s%s; stamp "
	    "knows -bm, -bs, -bp and -bi", m, what ? " (" : "",
	    what ? what : "", what ? ")" : "");
}

/* "30m", "1h30m", "90", "": digits, each run with an optional unit. */
static int
is_interval(const char *s)
{
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
		if (*s != '\0' && strchr("smhdw", *s++) == NULL)
			return 0;
	}
	return 1;
}

/* -q[time], -qp[time], -qf, -q[!]{I,R,S,Q,L}substr, -qGname. */
static int
queue_arg_ok(const char *q)
{
	const char	*s = q + (*q == '!');

	if (*s != '\0' && strchr("IRSQL", *s) != NULL)
		return s[1] != '\0';
	if (s != q)
		return 0;		/* '!' only negates a selection */
	if (*q == 'G')
		return q[1] != '\0';
	if (*q == 'f')
		return q[1] == '\0';
	return is_interval(q + (*q == 'p'));
}

static int
set_queue(struct cli *c, const char *q, struct result *res)
{
	if (!queue_arg_ok(q))
		return result_fail(res, EX_USAGE, "unsupported queue option "
		    "-q%s (see stamp(1))", q);
	c->mode = CLI_QUEUE_RUN;
	c->queue_arg = q;
	return 0;
}

/* "mailq" and "newaliases" are sendmail by other names (CALLERS.md). */
static enum cli_mode
mode_of_name(const char *argv0)
{
	const char	*base;

	if (argv0 == NULL)
		return CLI_SEND;
	base = strrchr(argv0, '/');
	base = base != NULL ? base + 1 : argv0;
	if (strcmp(base, "mailq") == 0)
		return CLI_QUEUE_LIST;
	if (strcmp(base, "newaliases") == 0)
		return CLI_NEWALIASES;
	return CLI_SEND;
}

/*
 * One word of flags, e.g. "-ti", "-fjoe@x", "-oem".  *i is advanced when
 * the flag's argument is the next word.
 */
static int
parse_flags(struct cli *c, int argc, char *const argv[], int *i,
    struct result *res)
{
	const char	*p = argv[*i] + 1;
	char		 f;

	for (; (f = *p) != '\0'; p++) {
		if (f == 'o' || f == 'b') {
			/* -oX...: sendmail option (-oi, -oem, -odi); ignored.
			 * -bX: mode.  Both take the rest, or the next word. */
			const char *w = p + 1;
			if (*w == '\0') {
				if (*i + 1 >= argc)
					return result_fail(res, EX_USAGE,
					    "option -%c needs an argument", f);
				w = argv[++*i];
			}
			return f == 'b' ? set_mode(c, w, res) : 0;
		}
		if (f == 'q')		/* the rest of the word only */
			return set_queue(c, p + 1, res);
		if (strchr(with_arg, f) != NULL) {
			const char *arg = p + 1;
			if (*arg == '\0') {
				if (*i + 1 >= argc)
					return result_fail(res, EX_USAGE,
					    "option -%c needs an argument", f);
				arg = argv[++*i];
			}
			set_arg(c, f, arg);
			return 0;
		}
		if (f == 't')
			c->read_headers = 1;
		else if (f == 'v')
			c->verbose = 1;
		else if (strchr(ignored, f) == NULL)
			return result_fail(res, EX_USAGE,
			    "unknown option -%c (see stamp --help)", f);
	}
	return 0;
}

/* The argument of a long option: "--opt=value" or the next word. */
static const char *
long_arg(const char *eq, int argc, char *const argv[], int *i, int need)
{
	if (eq != NULL)
		return eq + 1;
	if (*i + 1 < argc && (need || argv[*i + 1][0] != '-'))
		return argv[++*i];
	return NULL;
}

static const struct lopt {
	const char	*name;
	enum cli_mode	 mode;
	int		 arg;		/* 0 none, 1 optional, 2 required */
} lopts[] = {
	{ "--version", CLI_VERSION, 0 },
	{ "--help", CLI_HELP, 0 },
	{ "--queue-drop", CLI_QUEUE_DROP, 2 },
	{ "--password", CLI_PASSWORD, 2 },
	{ "--import-msmtprc", CLI_IMPORT_MSMTPRC, 1 },
	{ "--doctor", CLI_DOCTOR, 1 },
	{ "--oauth2-authorize", CLI_OAUTH2_AUTHORIZE, 2 },
};

static void
set_long(struct cli *c, enum cli_mode m, const char *v)
{
	c->mode = m;
	if (m == CLI_QUEUE_DROP)
		c->queue_id = v;
	else if (m == CLI_PASSWORD)
		c->password_action = v;
	else if (m == CLI_IMPORT_MSMTPRC)
		c->msmtprc = v;
	else if (m == CLI_DOCTOR && v != NULL)
		c->account = v;
	else if (m == CLI_OAUTH2_AUTHORIZE)
		c->account = v;
}

static int
parse_long(struct cli *c, int argc, char *const argv[], int *i,
    struct result *res)
{
	const char	*a = argv[*i], *eq = strchr(a, '='), *v = NULL;
	size_t		 n = eq != NULL ? (size_t)(eq - a) : strlen(a), k;

	for (k = 0; k < NITEMS(lopts); k++)
		if (strlen(lopts[k].name) == n &&
		    strncmp(a, lopts[k].name, n) == 0)
			break;
	if (k == NITEMS(lopts))
		return result_fail(res, EX_USAGE,
		    "unknown option %.*s (see stamp --help)", (int)n, a);
	if (eq != NULL && lopts[k].arg == 0)
		return result_fail(res, EX_USAGE, "option %s takes no "
		    "argument", lopts[k].name);
	if (lopts[k].arg > 0 && (v = long_arg(eq, argc, argv, i,
	    lopts[k].arg == 2)) == NULL && lopts[k].arg == 2)
		return result_fail(res, EX_USAGE, "option %s needs an "
		    "argument", lopts[k].name);
	if (lopts[k].mode == CLI_PASSWORD) {
		if (strcmp(v, "set") != 0 && strcmp(v, "clear") != 0 &&
		    strcmp(v, "check") != 0)
			return result_fail(res, EX_USAGE, "--password %s: "
			    "the action is set, clear or check", v);
		if (*i + 1 < argc && argv[*i + 1][0] != '-')
			c->account = argv[++*i];
	}
	set_long(c, lopts[k].mode, v);
	return 0;
}

/* Recipients are collected in an array of pointers into argv. */
int
cli_parse(struct cli *c, int argc, char *const argv[], struct result *res)
{
	char		**rcpt;
	size_t		 n = 0;
	int		 i, opts = 1;

	memset(c, 0, sizeof(*c));
	c->mode = mode_of_name(argc > 0 ? argv[0] : NULL);
	if ((rcpt = xcalloc((size_t)argc + 1, sizeof(*rcpt), res)) == NULL)
		return -1;
	c->rcpts = rcpt;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (opts && strcmp(a, "--") == 0) {
			opts = 0;
		} else if (opts && a[0] == '-' && a[1] == '-') {
			if (parse_long(c, argc, argv, &i, res) == -1)
				return -1;
		} else if (opts && a[0] == '-' && a[1] != '\0') {
			if (parse_flags(c, argc, argv, &i, res) == -1)
				return -1;
		} else
			rcpt[n++] = argv[i];
	}
	c->nrcpts = n;
	return 0;
}

void
cli_free(struct cli *c)
{
	free(c->rcpts);
	c->rcpts = NULL;
	c->nrcpts = 0;
}
