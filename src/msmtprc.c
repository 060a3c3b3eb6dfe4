/*
 * msmtprc.c - an msmtp configuration -> stamp.ini (msmtprc.h).
 *
 * Two passes: read every line into accounts resolved as msmtp resolves
 * them (defaults copied at "account", parents merged in order), then map
 * each account to stamp's keys, factor what they all share into
 * [defaults], and print.  The mapping follows msmtp(1) 1.8 and
 * stamp.ini(5); where msmtp's default differs from stamp's, the msmtp
 * behaviour is written out explicitly.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msmtprc.h"
#include "result.h"
#include "util.h"

#define INI_LINE_MAX	198	/* a stamp.ini line, stamp.ini(5) */
#define INI_NAME_MAX	49	/* inih's section name ceiling, less NUL */
#define STAMP_TIMEOUT_MAX 86400
#define FPR_SHA256_HEX	64	/* hex digits of a SHA-256 fingerprint */

/* The msmtp settings that have a stamp equivalent. */
enum mkey {
	M_HOST, M_PORT, M_TLS, M_STARTTLS, M_TRUST, M_FPR, M_CERT, M_KEY,
	M_AUTH, M_USER, M_PASSWORD, M_PWEVAL, M_FROM, M_DOMAIN, M_TIMEOUT,
	M_SETFROM, M_ALIASES, M_NKEYS
};

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

/* stamp's keys, in the order they are written. */
enum skey {
	S_HOST, S_PORT, S_TLS, S_TRUST, S_FPR, S_CERT, S_KEY, S_AUTH, S_USER,
	S_PWCMD, S_PW, S_FROM, S_DOMAIN, S_TIMEOUT, S_SETFROM, S_ALIASES,
	S_NKEYS
};

static const struct skeydef {
	const char	*name;
	int		 word;		/* no white space inside */
	int		 shared;	/* may move to [defaults] */
} skeys[S_NKEYS] = {
	[S_HOST] =	{ "host",		1, 0 },
	[S_PORT] =	{ "port",		1, 1 },
	[S_TLS] =	{ "tls",		1, 1 },
	[S_TRUST] =	{ "tls_trust_file",	0, 1 },
	[S_FPR] =	{ "tls_fingerprint",	1, 0 },
	[S_CERT] =	{ "tls_cert_file",	0, 1 },
	[S_KEY] =	{ "tls_key_file",	0, 1 },
	[S_AUTH] =	{ "auth",		1, 1 },
	[S_USER] =	{ "user",		0, 0 },
	[S_PWCMD] =	{ "password_command",	0, 0 },
	[S_PW] =	{ "password",		0, 0 },
	[S_FROM] =	{ "from",		1, 0 },
	[S_DOMAIN] =	{ "domain",		1, 1 },
	[S_TIMEOUT] =	{ "timeout",		1, 1 },
	[S_SETFROM] =	{ "set_from_header",	1, 1 },
	[S_ALIASES] =	{ "aliases",		0, 1 },
};

/* The mechanisms stamp.ini's auth takes (config.c), besides auto. */
static const char *const stamp_mechs[] = {
	"plain", "login", "cram-md5", "digest-md5", "scram-sha-1",
	"scram-sha-256", "scram-sha-1-plus", "scram-sha-256-plus", "xoauth2",
	"oauthbearer", "external", NULL
};

struct macct {
	char	*name;
	int	 line;
	char	*alias;			/* "account default : NAME" */
	char	*val[M_NKEYS];		/* NULL: not set */
	int	 vline[M_NKEYS];
};

/* One account as stamp.ini will hold it; values point into macct. */
struct sacct {
	char		 name[INI_NAME_MAX + 1];
	int		 line;
	int		 skip;		/* not written */
	const char	*v[S_NKEYS];
	int		 vline[S_NKEYS];
};

/* A warning, kept until the end to be printed in line order. */
struct mwarning {
	int	 line;
	size_t	 seq;
	char	*text;
};

struct mparse {
	const char	*name;		/* for messages */
	const char	*home;
	FILE		*warn;
	int		 lineno;
	struct macct	 defaults;
	struct macct	*accts;
	size_t		 nacct;
	struct macct	*cur;		/* &defaults before any account */
	char		*warned;	/* per line: a warning was given */
	struct mwarning	*warns;
	size_t		 nwarns;
	struct result	*res;
	char		 buf[MSMTPRC_LINE_MAX + 1];
};

static int __attribute__((format(printf, 2, 3)))
mfail(struct mparse *p, const char *fmt, ...)
{
	char	 msg[RESULT_MSG_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return result_fail(p->res, EX_CONFIG, "%s:%d: %s", p->name, p->lineno,
	    msg);
}

/* One warning per line of the file, however many accounts it affects. */
static void __attribute__((format(printf, 3, 4)))
mwarn(struct mparse *p, int line, const char *fmt, ...)
{
	char		 msg[RESULT_MSG_MAX], clean[RESULT_MSG_MAX];
	struct mwarning	*w;
	va_list		 ap;

	if (p->warned != NULL && line > 0 && line <= p->lineno) {
		if (p->warned[line])
			return;
		p->warned[line] = 1;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	result_sanitise(clean, sizeof(clean), msg, strlen(msg));
	/* Out of memory: the warning is printed at once instead. */
	if ((w = reallocarray(p->warns, p->nwarns + 1, sizeof(*w))) == NULL ||
	    (w[p->nwarns].text = strdup(clean)) == NULL) {
		if (w != NULL)
			p->warns = w;
		fprintf(p->warn, "stamp: %s:%d: %s\n", p->name, line, clean);
		return;
	}
	p->warns = w;
	w[p->nwarns].line = line;
	w[p->nwarns].seq = p->nwarns;
	p->nwarns++;
}

static int
warning_cmp(const void *a, const void *b)
{
	const struct mwarning	*x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
print_warnings(struct mparse *p)
{
	size_t	 i;

	if (p->nwarns > 0)
		qsort(p->warns, p->nwarns, sizeof(*p->warns), warning_cmp);
	for (i = 0; i < p->nwarns; i++) {
		fprintf(p->warn, "stamp: %s:%d: %s\n", p->name,
		    p->warns[i].line, p->warns[i].text);
		free(p->warns[i].text);
	}
	free(p->warns);
}

static struct macct *
find_account(struct mparse *p, const char *name)
{
	size_t	 i;

	for (i = 0; i < p->nacct; i++)
		if (strcmp(p->accts[i].name, name) == 0)
			return &p->accts[i];
	return NULL;
}

static void
acct_free(struct macct *a)
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
		return mfail(p, "account needs a name");
	if (find_account(p, name) != NULL)
		return mfail(p, "account %s was already defined", name);
	if (p->nacct == MSMTPRC_ACCOUNTS_MAX)
		return mfail(p, "more than %d accounts", MSMTPRC_ACCOUNTS_MAX);
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
		if ((parent = find_account(p, tok)) == NULL ||
		    parent == p->cur)
			return mfail(p, "account %s not (yet) defined", tok);
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

static int
is_number(const char *s, long max, long *out)
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
		if (!is_number(arg, 65535, &n) || n == 0)
			goto bad;
		break;
	case A_TIMEOUT:
		if (strcmp(arg, "off") != 0 && !is_number(arg, 1L << 30, &n))
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
	return mfail(p, "invalid argument %s for command %s", arg, c->name);
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
	mwarn(p, p->lineno, "%s%s%s has no equivalent in stamp, not imported "
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
	mwarn(p, p->lineno, "unknown msmtp command %s, not imported", cmd);
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
			return mfail(p, "NUL byte in the line");
		if (len == MSMTPRC_LINE_MAX)
			return mfail(p, "line longer than %d bytes",
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

static int
read_all(struct mparse *p, FILE *in)
{
	int	 rv;

	p->cur = &p->defaults;
	while ((rv = read_line(p, in)) == 1)
		if (parse_line(p, p->buf) == -1)
			return -1;
	return rv;
}

static void
put(struct sacct *s, enum skey k, const char *v, int line)
{
	s->v[k] = v;
	s->vline[k] = line;
}

static int
line_of(const struct macct *a, enum mkey k)
{
	return a->vline[k] != 0 ? a->vline[k] : a->line;
}

static void
map_tls(struct mparse *p, const struct macct *a, struct sacct *s)
{
	const char	*tls = a->val[M_TLS], *stls = a->val[M_STARTTLS];
	const char	*port = a->val[M_PORT];
	int		 on, smtps;

	on = tls != NULL && strcmp(tls, "on") == 0;
	smtps = on && stls != NULL && strcmp(stls, "off") == 0;
	if (!on && a->vline[M_TLS] != 0)
		mwarn(p, a->vline[M_TLS], "tls off: msmtp sends without TLS "
		    "here; stamp always uses TLS: tls = starttls");
	else if (!on)
		mwarn(p, a->line, "account %s: msmtp sends without TLS here "
		    "(tls off is msmtp's default); stamp always uses TLS: "
		    "tls = starttls", a->name);
	put(s, S_TLS, smtps ? "smtps" : "starttls", line_of(a, M_TLS));
	/* msmtp's default port is 25 unless SMTPS; stamp's is 587. */
	if (port == NULL)
		port = smtps ? "465" : "25";
	if (strcmp(port, smtps ? "465" : "587") != 0)
		put(s, S_PORT, port, line_of(a, M_PORT));
}

static int
is_sha256_fpr(const char *f)
{
	size_t	 n = 0;

	for (; *f != '\0'; f++) {
		if (isxdigit((unsigned char)*f))
			n++;
		else if (*f != ':')
			return 0;
	}
	return n == FPR_SHA256_HEX;
}

static void
map_file(struct mparse *p, const struct macct *a, struct sacct *s,
    enum mkey mk, enum skey sk)
{
	const char	*v = a->val[mk];

	if (v == NULL)
		return;
	if (v[0] != '/')
		mwarn(p, a->vline[mk], "%s %s is relative: stamp takes it "
		    "from the directory of stamp.ini", skeys[sk].name, v);
	put(s, sk, v, a->vline[mk]);
}

static void
map_certs(struct mparse *p, const struct macct *a, struct sacct *s)
{
	const char	*fpr = a->val[M_FPR], *trust = a->val[M_TRUST];

	if (trust != NULL && strcmp(trust, "system") != 0)
		map_file(p, a, s, M_TRUST, S_TRUST);
	if (fpr != NULL && is_sha256_fpr(fpr))
		put(s, S_FPR, fpr, a->vline[M_FPR]);
	else if (fpr != NULL)
		mwarn(p, a->vline[M_FPR], "tls_fingerprint: stamp takes only "
		    "SHA-256 fingerprints, not imported; get it with: openssl "
		    "s_client -connect %s:%s </dev/null | openssl x509 -noout "
		    "-fingerprint -sha256", a->val[M_HOST],
		    s->v[S_PORT] != NULL ? s->v[S_PORT] : "465");
	if ((a->val[M_CERT] == NULL) != (a->val[M_KEY] == NULL)) {
		mwarn(p, line_of(a, a->val[M_CERT] ? M_CERT : M_KEY),
		    "account %s: tls_cert_file and tls_key_file go together, "
		    "not imported", a->name);
		return;
	}
	map_file(p, a, s, M_CERT, S_CERT);
	map_file(p, a, s, M_KEY, S_KEY);
}

static void
map_auth(struct mparse *p, const struct macct *a, struct sacct *s)
{
	const char	*auth = a->val[M_AUTH];
	size_t		 i;

	if (auth == NULL || strcmp(auth, "off") == 0) {
		/* msmtp authenticates only with auth on or a mechanism. */
		if (a->val[M_USER] != NULL)
			mwarn(p, a->vline[M_USER], "account %s: msmtp does not "
			    "authenticate without \"auth on\"; user and "
			    "password not imported", a->name);
		return;
	}
	for (i = 0; strcmp(auth, "on") != 0 && stamp_mechs[i] != NULL; i++)
		if (strcmp(auth, stamp_mechs[i]) == 0)
			break;
	if (strcmp(auth, "on") != 0 && stamp_mechs[i] != NULL)
		put(s, S_AUTH, auth, a->vline[M_AUTH]);
	else if (strcmp(auth, "on") != 0)
		mwarn(p, a->vline[M_AUTH], "auth %s has no equivalent in "
		    "stamp, not imported (stamp chooses: auth = auto)", auth);
	if (a->val[M_USER] != NULL)
		put(s, S_USER, a->val[M_USER], a->vline[M_USER]);
	if (a->val[M_PWEVAL] != NULL) {
		put(s, S_PWCMD, a->val[M_PWEVAL], a->vline[M_PWEVAL]);
		if (a->val[M_PASSWORD] != NULL)
			mwarn(p, a->vline[M_PASSWORD], "password: passwordeval "
			    "takes precedence, password not imported");
	} else if (a->val[M_PASSWORD] != NULL)
		put(s, S_PW, a->val[M_PASSWORD], a->vline[M_PASSWORD]);
}

static void
map_misc(struct mparse *p, const struct macct *a, struct sacct *s)
{
	const char	*v;
	long		 n;

	if ((v = a->val[M_FROM]) != NULL && strchr(v, '%') != NULL)
		mwarn(p, a->vline[M_FROM], "from %s: substitution patterns "
		    "have no equivalent in stamp, not imported", v);
	else if (v != NULL)
		put(s, S_FROM, v, a->vline[M_FROM]);
	if ((v = a->val[M_DOMAIN]) != NULL && strchr(v, '%') != NULL)
		mwarn(p, a->vline[M_DOMAIN], "domain %s: substitution "
		    "patterns have no equivalent in stamp, not imported", v);
	else if (v != NULL && strcmp(v, "localhost") != 0)
		put(s, S_DOMAIN, v, a->vline[M_DOMAIN]);
	if ((v = a->val[M_TIMEOUT]) != NULL && strcmp(v, "off") == 0)
		mwarn(p, a->vline[M_TIMEOUT], "timeout off has no equivalent "
		    "in stamp, which always waits at most timeout seconds "
		    "(default 300)");
	else if (v != NULL && is_number(v, STAMP_TIMEOUT_MAX, &n))
		put(s, S_TIMEOUT, v, a->vline[M_TIMEOUT]);
	else if (v != NULL) {
		mwarn(p, a->vline[M_TIMEOUT], "timeout %s: stamp waits at "
		    "most %d seconds", v, STAMP_TIMEOUT_MAX);
		put(s, S_TIMEOUT, "86400", a->vline[M_TIMEOUT]);
	}
	if ((v = a->val[M_SETFROM]) != NULL && strcmp(v, "auto") != 0)
		put(s, S_SETFROM, v, a->vline[M_SETFROM]);
	map_file(p, a, s, M_ALIASES, S_ALIASES);
}

/* Why v cannot be a stamp.ini value, or NULL. */
static const char *
unwritable(enum skey k, const char *v)
{
	const unsigned char	*c;

	if (strlen(skeys[k].name) + 3 + strlen(v) > INI_LINE_MAX)
		return "the line would be longer than 198 bytes";
	if (v[0] == ' ' || v[0] == '\t' || (*v != '\0' &&
	    (v[strlen(v) - 1] == ' ' || v[strlen(v) - 1] == '\t')))
		return "white space at its start or end would be lost";
	for (c = (const unsigned char *)v; *c != '\0'; c++) {
		if (iscntrl(*c) && *c != '\t')
			return "it has control characters";
		if (isspace(*c) && skeys[k].word)
			return "it has white space";
		/* "key = ;..." too: the ';' follows the space after '='. */
		if (*c == ';' && (c == (const unsigned char *)v ||
		    isspace(c[-1])))
			return "a ';' after white space starts a comment";
	}
	return NULL;
}

static void
check_writable(struct mparse *p, struct sacct *s)
{
	const char	*why;
	int		 k;

	for (k = 0; k < S_NKEYS; k++) {
		if (s->v[k] == NULL || (why = unwritable(k, s->v[k])) == NULL)
			continue;
		if (k == S_PW)
			mwarn(p, s->vline[k], "password cannot be written in "
			    "stamp.ini (%s), not imported: store it with "
			    "secret-tool store --label=stamp host %s service "
			    "smtp user %s", why, s->v[S_HOST],
			    s->v[S_USER] != NULL ? s->v[S_USER] : "USER");
		else
			mwarn(p, s->vline[k], "%s cannot be written in "
			    "stamp.ini (%s), not imported", skeys[k].name, why);
		s->v[k] = NULL;
	}
}

/* stamp's account names: letters, digits, '.', '_', '-'. */
static void
stamp_name(struct mparse *p, const struct macct *a, struct sacct *s)
{
	size_t	 i, len = strlen(a->name);
	int	 changed = len > INI_NAME_MAX;

	if (len > INI_NAME_MAX)
		len = INI_NAME_MAX;
	for (i = 0; i < len; i++) {
		s->name[i] = a->name[i];
		if (!isalnum((unsigned char)a->name[i]) &&
		    a->name[i] != '.' && a->name[i] != '-' &&
		    a->name[i] != '_') {
			s->name[i] = '_';
			changed = 1;
		}
	}
	s->name[len] = '\0';
	/* [defaults] is stamp's own section. */
	if (strcmp(s->name, "defaults") == 0) {
		str_copy(s->name, sizeof(s->name), "defaults_");
		changed = 1;
	}
	if (changed)
		mwarn(p, a->line, "account %s is [%s] in stamp.ini (letters, "
		    "digits, '.', '_', '-', at most %d bytes, not defaults)",
		    a->name, s->name, INI_NAME_MAX);
}

static void
map_account(struct mparse *p, const struct macct *a, struct sacct *s)
{
	memset(s, 0, sizeof(*s));
	s->line = a->line;
	stamp_name(p, a, s);
	if (a->val[M_HOST] == NULL) {
		mwarn(p, a->line, "account %s has no host, not imported",
		    a->name);
		s->skip = 1;
		return;
	}
	put(s, S_HOST, a->val[M_HOST], a->vline[M_HOST]);
	map_tls(p, a, s);
	map_certs(p, a, s);
	map_auth(p, a, s);
	map_misc(p, a, s);
	check_writable(p, s);
}

static int
same_values(const struct macct *a, const struct macct *b)
{
	int	 k;

	for (k = 0; k < M_NKEYS; k++) {
		if ((a->val[k] == NULL) != (b->val[k] == NULL))
			return 0;
		if (a->val[k] != NULL && strcmp(a->val[k], b->val[k]) != 0)
			return 0;
	}
	return 1;
}

/*
 * The default account: "account default : X" with nothing of its own is
 * default_account = X; an account "default" with settings stays one.
 */
static const char *
default_account(struct mparse *p, struct sacct *s)
{
	const struct macct	*target;
	size_t			 i;

	for (i = 0; i < p->nacct; i++) {
		if (strcmp(p->accts[i].name, "default") != 0)
			continue;
		if (p->accts[i].alias != NULL &&
		    (target = find_account(p, p->accts[i].alias)) != NULL &&
		    same_values(&p->accts[i], target) &&
		    !s[target - p->accts].skip) {
			s[i].skip = 1;
			return s[target - p->accts].name;
		}
		return s[i].skip ? NULL : s[i].name;
	}
	return NULL;
}

/* A key with one value in every written account moves to [defaults]. */
static void
share(struct mparse *p, struct sacct *s, struct sacct *def)
{
	const char	*v;
	size_t		 i, n = 0;
	int		 k;

	for (i = 0; i < p->nacct; i++)
		n += !s[i].skip;
	if (n < 2)
		return;
	for (k = 0; k < S_NKEYS; k++) {
		if (!skeys[k].shared)
			continue;
		for (v = NULL, i = 0; i < p->nacct; i++) {
			if (s[i].skip)
				continue;
			if (s[i].v[k] == NULL || (v != NULL &&
			    strcmp(v, s[i].v[k]) != 0))
				break;
			v = s[i].v[k];
		}
		if (i < p->nacct)
			continue;
		def->v[k] = v;
		for (i = 0; i < p->nacct; i++)
			s[i].v[k] = NULL;
	}
}

static void
print_keys(FILE *out, const struct sacct *s)
{
	int	 k;

	for (k = 0; k < S_NKEYS; k++)
		if (s->v[k] != NULL)
			fprintf(out, "%s = %s\n", skeys[k].name, s->v[k]);
}

static void
print_header(struct mparse *p, FILE *out, int secret)
{
	fprintf(out, "; stamp.ini(5) for stamp(1), made by stamp "
	    "--import-msmtprc from\n");
	if (strlen(p->name) + 2 <= INI_LINE_MAX &&
	    unwritable(S_TRUST, p->name) == NULL)
		fprintf(out, "; %s\n", p->name);
	fprintf(out, "; Check it, then save it as "
	    "~/.config/stamp/stamp.ini%s\n", secret ?
	    "\n; and chmod 600 it: it holds a password or password_command." :
	    ".");
}

static void
print_ini(struct mparse *p, FILE *out, struct sacct *s,
    const struct sacct *def, const char *dflt)
{
	size_t	 i;
	int	 secret = 0;

	for (i = 0; i < p->nacct; i++)
		if (!s[i].skip && (s[i].v[S_PW] != NULL ||
		    s[i].v[S_PWCMD] != NULL))
			secret = 1;
	print_header(p, out, secret);
	fprintf(out, "\n[defaults]\n");
	if (dflt != NULL)
		fprintf(out, "default_account = %s\n", dflt);
	print_keys(out, def);
	for (i = 0; i < p->nacct; i++) {
		if (s[i].skip)
			continue;
		fprintf(out, "\n[%s]\n", s[i].name);
		print_keys(out, &s[i]);
	}
}

/* Two written accounts with one name (after stamp_name): an error. */
static int
check_names(struct mparse *p, struct sacct *s)
{
	size_t	 i, j;

	for (i = 0; i < p->nacct; i++)
		for (j = i + 1; j < p->nacct; j++)
			if (!s[i].skip && !s[j].skip &&
			    strcmp(s[i].name, s[j].name) == 0) {
				p->lineno = s[j].line;
				return mfail(p, "accounts %s and %s are both "
				    "[%s] in stamp.ini", p->accts[i].name,
				    p->accts[j].name, s[j].name);
			}
	return 0;
}

static int
convert(struct mparse *p, FILE *out)
{
	struct sacct	*s, def;
	const char	*dflt;
	size_t		 i, n = 0;
	int		 rv = -1;

	if ((s = xcalloc(p->nacct + 1, sizeof(*s), p->res)) == NULL)
		return -1;
	for (i = 0; i < p->nacct; i++)
		map_account(p, &p->accts[i], &s[i]);
	memset(&def, 0, sizeof(def));
	dflt = default_account(p, s);
	for (i = 0; i < p->nacct; i++)
		n += !s[i].skip;
	if (n == 0) {
		mfail(p, "no account with a host to import");
		goto out;
	}
	if (check_names(p, s) == -1)
		goto out;
	share(p, s, &def);
	print_ini(p, out, s, &def, dflt);
	rv = 0;
out:
	free(s);
	return rv;
}

int
msmtprc_convert(FILE *in, const char *name, const char *home, FILE *out,
    FILE *warn, struct result *res)
{
	struct mparse	*p;
	size_t		 i;
	int		 rv = -1;

	if ((p = xcalloc(1, sizeof(*p), res)) == NULL)
		return -1;
	p->name = name;
	p->home = home;
	p->warn = warn;
	p->res = res;
	if (read_all(p, in) == -1)
		goto out;
	if ((p->warned = xcalloc((size_t)p->lineno + 2, 1, res)) == NULL)
		goto out;
	rv = convert(p, out);
out:
	print_warnings(p);
	for (i = 0; i < p->nacct; i++)
		acct_free(&p->accts[i]);
	acct_free(&p->defaults);
	free(p->accts);
	free(p->warned);
	/* The buffer held passwords. */
	explicit_bzero(p->buf, sizeof(p->buf));
	free(p);
	return rv;
}

static const char *
home_dir(void)
{
	const char	*h = getenv("HOME");
	struct passwd	*pw;

	if (h != NULL && *h != '\0')
		return h;
	if ((pw = getpwuid(getuid())) != NULL)
		return pw->pw_dir;
	return "/";
}

char *
msmtprc_find(const char *path, struct result *res)
{
	const char	*xdg = getenv("XDG_CONFIG_HOME");
	char		*first, *second;

	if (path != NULL)
		return xstrdup(path, res);
	if ((first = str_join(home_dir(), strlen(home_dir()), '/',
	    ".msmtprc", res)) == NULL)
		return NULL;
	if (access(first, F_OK) == 0)
		return first;
	if (xdg != NULL && *xdg == '/')
		second = str_join(xdg, strlen(xdg), '/', "msmtp/config", res);
	else
		second = str_join(home_dir(), strlen(home_dir()), '/',
		    ".config/msmtp/config", res);
	if (second != NULL && access(second, F_OK) == 0) {
		free(first);
		return second;
	}
	if (second != NULL)
		result_fail(res, EX_CONFIG, "no msmtp configuration: neither "
		    "%s nor %s exists", first, second);
	free(first);
	free(second);
	return NULL;
}

int
msmtprc_import(const char *path, FILE *out, FILE *warn, struct result *res)
{
	FILE	*in;
	char	*file;
	int	 rv;

	if ((file = msmtprc_find(path, res)) == NULL)
		return -1;
	if ((in = fopen(file, "r")) == NULL) {
		result_fail(res, EX_CONFIG, "%s: %s", file, strerror(errno));
		free(file);
		return -1;
	}
	rv = msmtprc_convert(in, file, home_dir(), out, warn, res);
	fclose(in);
	free(file);
	return rv;
}
