/*
 * msmtprc_ini.c - the second pass of --import-msmtprc (msmtprc.h): each
 * account read by msmtprc_read.c mapped to stamp's keys, what they all
 * share factored into [defaults], and the stamp.ini printed.  The
 * mapping follows msmtp(1) 1.8 and stamp.ini(5); where msmtp's default
 * differs from stamp's, the msmtp behaviour is written out explicitly.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msmtprc.h"
#include "msmtprc_int.h"
#include "result.h"
#include "util.h"

#define STAMP_TIMEOUT_MAX 86400
#define FPR_SHA256_HEX	64	/* hex digits of a SHA-256 fingerprint */

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

/* One account as stamp.ini will hold it; values point into macct. */
struct sacct {
	char		 name[INI_NAME_MAX + 1];
	int		 line;
	int		 skip;		/* not written */
	const char	*v[S_NKEYS];
	int		 vline[S_NKEYS];
};

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
		mrc_warn(p, a->vline[M_TLS], "tls off: msmtp sends without TLS "
		    "here; stamp always uses TLS: tls = starttls");
	else if (!on)
		mrc_warn(p, a->line, "account %s: msmtp sends without TLS here "
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
		mrc_warn(p, a->vline[mk], "%s %s is relative: stamp takes it "
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
		mrc_warn(p, a->vline[M_FPR], "tls_fingerprint: stamp takes only "
		    "SHA-256 fingerprints, not imported; get it with: openssl "
		    "s_client -connect %s:%s </dev/null | openssl x509 -noout "
		    "-fingerprint -sha256", a->val[M_HOST],
		    s->v[S_PORT] != NULL ? s->v[S_PORT] : "465");
	if ((a->val[M_CERT] == NULL) != (a->val[M_KEY] == NULL)) {
		mrc_warn(p, line_of(a, a->val[M_CERT] ? M_CERT : M_KEY),
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
			mrc_warn(p, a->vline[M_USER], "account %s: msmtp does not "
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
		mrc_warn(p, a->vline[M_AUTH], "auth %s has no equivalent in "
		    "stamp, not imported (stamp chooses: auth = auto)", auth);
	if (a->val[M_USER] != NULL)
		put(s, S_USER, a->val[M_USER], a->vline[M_USER]);
	if (a->val[M_PWEVAL] != NULL) {
		put(s, S_PWCMD, a->val[M_PWEVAL], a->vline[M_PWEVAL]);
		if (a->val[M_PASSWORD] != NULL)
			mrc_warn(p, a->vline[M_PASSWORD], "password: passwordeval "
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
		mrc_warn(p, a->vline[M_FROM], "from %s: substitution patterns "
		    "have no equivalent in stamp, not imported", v);
	else if (v != NULL)
		put(s, S_FROM, v, a->vline[M_FROM]);
	if ((v = a->val[M_DOMAIN]) != NULL && strchr(v, '%') != NULL)
		mrc_warn(p, a->vline[M_DOMAIN], "domain %s: substitution "
		    "patterns have no equivalent in stamp, not imported", v);
	else if (v != NULL && strcmp(v, "localhost") != 0)
		put(s, S_DOMAIN, v, a->vline[M_DOMAIN]);
	if ((v = a->val[M_TIMEOUT]) != NULL && strcmp(v, "off") == 0)
		mrc_warn(p, a->vline[M_TIMEOUT], "timeout off has no equivalent "
		    "in stamp, which always waits at most timeout seconds "
		    "(default 300)");
	else if (v != NULL && mrc_is_number(v, STAMP_TIMEOUT_MAX, &n))
		put(s, S_TIMEOUT, v, a->vline[M_TIMEOUT]);
	else if (v != NULL) {
		mrc_warn(p, a->vline[M_TIMEOUT], "timeout %s: stamp waits at "
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
			mrc_warn(p, s->vline[k], "password cannot be written in "
			    "stamp.ini (%s), not imported: store it with "
			    "secret-tool store --label=stamp host %s service "
			    "smtp user %s", why, s->v[S_HOST],
			    s->v[S_USER] != NULL ? s->v[S_USER] : "USER");
		else
			mrc_warn(p, s->vline[k], "%s cannot be written in "
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
		mrc_warn(p, a->line, "account %s is [%s] in stamp.ini (letters, "
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
		mrc_warn(p, a->line, "account %s has no host, not imported",
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
		    (target = mrc_find_account(p, p->accts[i].alias)) != NULL &&
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
				return mrc_fail(p, "accounts %s and %s are both "
				    "[%s] in stamp.ini", p->accts[i].name,
				    p->accts[j].name, s[j].name);
			}
	return 0;
}

int
mrc_write(struct mparse *p, FILE *out)
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
		mrc_fail(p, "no account with a host to import");
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

