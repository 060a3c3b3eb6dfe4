/*
 * msmtprc_read.c - the first pass of --import-msmtprc (msmtprc.h): the
 * lines of an msmtp configuration into accounts resolved as msmtp
 * resolves them (defaults copied at "account", parents merged in order).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msmtprc.h"
#include "msmtprc_int.h"
#include "result.h"
#include "util.h"

/* How a command's argument is taken. */
enum kind {
	A_TEXT,		/* as is; empty unsets */
	A_FILE,		/* "~" expanded; empty unsets */
	A_ONOFF,	/* on, off; empty is on */
	A_PORT,		/* 1-65535 */
	A_TIMEOUT,	/* off or seconds */
	A_AUTH,		/* on, off or a mechanism; empty is on */
	A_SETFROM,	/* auto, on, off; empty is on */
	A_OLDFROM	/* add_missing_from_header on|off: auto|off */
};

static const struct mcmd {
	const char	*name;
	enum mkey	 key;
	enum kind	 kind;
} mcmds[] = {
	{ "host",			M_HOST,		A_TEXT },
	{ "port",			M_PORT,		A_PORT },
	{ "tls",			M_TLS,		A_ONOFF },
	{ "tls_starttls",		M_STARTTLS,	A_ONOFF },
	{ "tls_trust_file",		M_TRUST,	A_FILE },
	{ "tls_fingerprint",		M_FPR,		A_TEXT },
	{ "tls_cert_file",		M_CERT,		A_FILE },
	{ "tls_key_file",		M_KEY,		A_FILE },
	{ "auth",			M_AUTH,		A_AUTH },
	{ "user",			M_USER,		A_TEXT },
	{ "password",			M_PASSWORD,	A_TEXT },
	{ "passwordeval",		M_PWEVAL,	A_TEXT },
	{ "from",			M_FROM,		A_TEXT },
	{ "domain",			M_DOMAIN,	A_TEXT },
	{ "timeout",			M_TIMEOUT,	A_TIMEOUT },
	{ "set_from_header",		M_SETFROM,	A_SETFROM },
	{ "add_missing_from_header",	M_SETFROM,	A_OLDFROM },
	{ "aliases",			M_ALIASES,	A_FILE },
};

/*
 * Commands without an equivalent.  ok lists the arguments with which
 * msmtp behaves as stamp does anyway (no warning); "*" is any argument.
 */
static const struct mnone {
	const char	*name;
	const char	*ok[3];
	const char	*why;
} mnones[] = {
	{ "source_ip", { "" }, "stamp does not bind a source address" },
	{ "proxy_host", { "" }, "stamp does not use a SOCKS proxy" },
	{ "proxy_port", { "" }, "stamp does not use a SOCKS proxy" },
	{ "socket", { "" }, "stamp connects to host and port" },
	{ "protocol", { "smtp" }, "stamp speaks SMTP only" },
	{ "ntlmdomain", { "" }, "stamp has no NTLM" },
	{ "tls_crl_file", { "" }, "stamp does not read CRL files" },
	{ "tls_certcheck", { "on", "" }, "stamp always verifies the "
	    "server's certificate; pin a self-signed one with "
	    "tls_fingerprint" },
	{ "tls_priorities", { "" }, "stamp takes OpenSSL's defaults (see "
	    "tls_min_version)" },
	{ "tls_host_override", { "" }, "stamp verifies the name given as "
	    "host" },
	{ "tls_min_dh_prime_bits", { "" }, "stamp takes OpenSSL's defaults" },
	{ "allow_from_override", { "on", "" }, "stamp always lets -f set "
	    "the envelope sender" },
	{ "dsn_notify", { "off" }, "give stamp -N instead" },
	{ "dsn_return", { "off" }, "give stamp -R instead" },
	{ "set_date_header", { "auto" }, "stamp adds a missing Date: field" },
	{ "add_missing_date_header", { "on", "" }, "stamp adds a missing "
	    "Date: field" },
	{ "set_msgid_header", { "auto" }, "stamp adds a missing Message-ID: "
	    "field" },
	{ "remove_bcc_headers", { "on", "" }, "stamp always removes Bcc: "
	    "fields" },
	{ "undisclosed_recipients", { "off" }, "stamp leaves To: and Cc: "
	    "as they are" },
	{ "logfile", { "" }, "stamp logs every message to syslog" },
	{ "logfile_time_format", { "*" }, NULL },
	{ "syslog", { "on", "", "LOG_MAIL" }, "stamp always logs to syslog, "
	    "facility mail" },
	{ "auto_from", { "off" }, "set from instead" },
	{ "maildomain", { "" }, "set from instead" },
	{ "eval", { NULL }, "stamp runs no commands while reading its "
	    "configuration; write the result in, or use password_command" },
};

struct macct *
mrc_find_account(struct mparse *p, const char *name)
{
	size_t	 i;

	for (i = 0; i < p->nacct; i++)
		if (strcmp(p->accts[i].name, name) == 0)
			return &p->accts[i];
	return NULL;
}

void
mrc_acct_free(struct macct *a)
{
	int	 k;

	free(a->name);
	free(a->alias);
	for (k = 0; k < M_NKEYS; k++) {
		/* Passwords and the commands that print them. */
		if (a->val[k] != NULL)
			explicit_bzero(a->val[k], strlen(a->val[k]));
		free(a->val[k]);
	}
	memset(a, 0, sizeof(*a));
}

/* Set (v != NULL) or unset one value; v is copied. */
static int
set_val(struct mparse *p, struct macct *a, enum mkey k, const char *v,
    int line)
{
	char	*copy = NULL;

	if (v != NULL && (copy = xstrdup(v, p->res)) == NULL)
		return -1;
	if (a->val[k] != NULL)
		explicit_bzero(a->val[k], strlen(a->val[k]));
	free(a->val[k]);
	a->val[k] = copy;
	a->vline[k] = line;
	return 0;
}

/* Every value that from has set, copied over into to. */
static int
merge(struct mparse *p, struct macct *to, const struct macct *from)
{
	int	 k;

	for (k = 0; k < M_NKEYS; k++)
		if (from->val[k] != NULL &&
		    set_val(p, to, k, from->val[k], from->vline[k]) == -1)
			return -1;
	return 0;
}

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static int
new_account(struct mparse *p, const char *name)
{
	struct macct	*a, *v;

	if (*name == '\0')
		return mrc_fail(p, "account needs a name");
	if (mrc_find_account(p, name) != NULL)
		return mrc_fail(p, "account %s was already defined", name);
	if (p->nacct == MSMTPRC_ACCOUNTS_MAX)
		return mrc_fail(p, "more than %d accounts", MSMTPRC_ACCOUNTS_MAX);
	if ((v = xreallocarray(p->accts, p->nacct + 1, sizeof(*v),
	    p->res)) == NULL)
		return -1;
	p->accts = v;
	a = &p->accts[p->nacct++];
	memset(a, 0, sizeof(*a));
	a->line = p->lineno;
	p->cur = a;
	if ((a->name = xstrdup(name, p->res)) == NULL)
		return -1;
	return merge(p, a, &p->defaults);
}

/* "account NAME [: PARENT[, PARENT...]]" */
static int
account_cmd(struct mparse *p, char *arg)
{
	struct macct	*parent;
	char		*colon, *list, *tok, *save;
	int		 nparents = 0;

	if ((colon = strchr(arg, ':')) != NULL)
		*colon = '\0';
	if (new_account(p, trim(arg)) == -1)
		return -1;
	if (colon == NULL)
		return 0;
	list = colon + 1;
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		tok = trim(tok);
		if ((parent = mrc_find_account(p, tok)) == NULL ||
		    parent == p->cur)
			return mrc_fail(p, "account %s not (yet) defined", tok);
		if (merge(p, p->cur, parent) == -1)
			return -1;
		nparents++;
	}
	if (nparents == 1 && strcmp(p->cur->name, "default") == 0 &&
	    (p->cur->alias = xstrdup(trim(list), p->res)) == NULL)
		return -1;
	return 0;
}

/* "~" at the start of a file name is $HOME, as msmtp does. */
static char *
expand_home(struct mparse *p, const char *v)
{
	size_t	 hl, vl;
	char	*s;

	if (v[0] != '~')
		return xstrdup(v, p->res);
	hl = strlen(p->home);
	vl = strlen(v + 1);
	if ((s = xmalloc(hl + vl + 1, p->res)) == NULL)
		return NULL;
	memcpy(s, p->home, hl);
	memcpy(s + hl, v + 1, vl + 1);
	return s;
}

int
mrc_is_number(const char *s, long max, long *out)
{
	char	*end;
	long	 v;

	if (!isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return 0;
	*out = v;
	return 1;
}

static int
one_of(const char *v, const char *a, const char *b, const char *c)
{
	return strcmp(v, a) == 0 || strcmp(v, b) == 0 ||
	    (c != NULL && strcmp(v, c) == 0);
}

/* The argument of a command that has an equivalent, normalised. */
static int
known_cmd(struct mparse *p, const struct mcmd *c, const char *arg)
{
	const char	*v = arg;
	char		*exp;
	long		 n;
	int		 rv;

	switch (c->kind) {
	case A_TEXT:
		v = *arg == '\0' ? NULL : arg;
		break;
	case A_FILE:
		if (*arg == '\0')
			return set_val(p, p->cur, c->key, NULL, p->lineno);
		if ((exp = expand_home(p, arg)) == NULL)
			return -1;
		rv = set_val(p, p->cur, c->key, exp, p->lineno);
		free(exp);
		return rv;
	case A_ONOFF:
	case A_AUTH:
		if (*arg == '\0')
			v = "on";
		else if (c->kind == A_ONOFF && !one_of(arg, "on", "off", NULL))
			goto bad;
		break;
	case A_PORT:
		if (!mrc_is_number(arg, 65535, &n) || n == 0)
			goto bad;
		break;
	case A_TIMEOUT:
		if (strcmp(arg, "off") != 0 && !mrc_is_number(arg, 1L << 30, &n))
			goto bad;
		if (strcmp(arg, "0") == 0)
			v = "off";
		break;
	case A_SETFROM:
		if (*arg == '\0')
			v = "on";
		else if (!one_of(arg, "auto", "on", "off"))
			goto bad;
		break;
	case A_OLDFROM:
		if (*arg == '\0' || strcmp(arg, "on") == 0)
			v = "auto";
		else if (strcmp(arg, "off") != 0)
			goto bad;
		break;
	}
	return set_val(p, p->cur, c->key, v, p->lineno);
bad:
	return mrc_fail(p, "invalid argument %s for command %s", arg, c->name);
}

static void
no_equivalent(struct mparse *p, const struct mnone *c, const char *arg)
{
	const char	*shown;
	int		 i;

	for (i = 0; i < 3 && c->ok[i] != NULL; i++)
		if (strcmp(c->ok[i], "*") == 0 || strcmp(c->ok[i], arg) == 0)
			return;
	/* eval's command may hold a secret: not repeated. */
	shown = c->ok[0] == NULL ? "" : arg;
	mrc_warn(p, p->lineno, "%s%s%s has no equivalent in stamp, not imported "
	    "(%s)", c->name, *shown != '\0' ? " " : "", shown, c->why);
}

static int
command(struct mparse *p, const char *cmd, char *arg)
{
	size_t	 i;

	if (strcmp(cmd, "defaults") == 0) {
		p->cur = &p->defaults;
		return 0;
	}
	if (strcmp(cmd, "account") == 0)
		return account_cmd(p, arg);
	for (i = 0; i < sizeof(mcmds) / sizeof(mcmds[0]); i++)
		if (strcmp(cmd, mcmds[i].name) == 0)
			return known_cmd(p, &mcmds[i], arg);
	for (i = 0; i < sizeof(mnones) / sizeof(mnones[0]); i++)
		if (strcmp(cmd, mnones[i].name) == 0) {
			no_equivalent(p, &mnones[i], arg);
			return 0;
		}
	mrc_warn(p, p->lineno, "unknown msmtp command %s, not imported", cmd);
	return 0;
}

/* "command argument": blanks around, one pair of double quotes. */
static int
parse_line(struct mparse *p, char *s)
{
	char	*cmd, *arg;
	size_t	 len;

	s = trim(s);
	if (*s == '\0' || *s == '#')
		return 0;
	cmd = s;
	s += strcspn(s, " \t");
	if (*s != '\0')
		*s++ = '\0';
	arg = trim(s);
	len = strlen(arg);
	if (len >= 2 && arg[0] == '"' && arg[len - 1] == '"') {
		arg[len - 1] = '\0';
		arg++;
	}
	return command(p, cmd, arg);
}

/* One line without its line ending into p->buf: 1, 0 at EOF, -1. */
static int
read_line(struct mparse *p, FILE *in)
{
	size_t	 len = 0;
	int	 c;

	p->lineno++;
	while ((c = getc(in)) != EOF && c != '\n') {
		if (c == '\0')
			return mrc_fail(p, "NUL byte in the line");
		if (len == MSMTPRC_LINE_MAX)
			return mrc_fail(p, "line longer than %d bytes",
			    MSMTPRC_LINE_MAX);
		p->buf[len++] = (char)c;
	}
	if (ferror(in))
		return result_fail(p->res, EX_IOERR, "%s: %s", p->name,
		    strerror(errno));
	if (c == EOF && len == 0) {
		p->lineno--;
		return 0;
	}
	if (len > 0 && p->buf[len - 1] == '\r')
		len--;
	p->buf[len] = '\0';
	return 1;
}

int
mrc_read(struct mparse *p, FILE *in)
{
	int	 rv;

	p->cur = &p->defaults;
	while ((rv = read_line(p, in)) == 1)
		if (parse_line(p, p->buf) == -1)
			return -1;
	return rv;
}

