/*
 * cfgkeys.c - the configuration keys (cfgkeys.h): each key's name and
 * the check that turns its text into a normalised value, with a
 * "FILE:LINE: ..." message when it is wrong.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "cfgkeys.h"
#include "config.h"
#include "result.h"
#include "util.h"

#define PORT_MAX		65535
#define TIMEOUT_MAX		86400

static char	*check_word(struct parse *, const char *, const char *);
static char	*check_text(struct parse *, const char *, const char *);
static char	*check_port(struct parse *, const char *, const char *);
static char	*check_timeout(struct parse *, const char *, const char *);
static char	*check_tls(struct parse *, const char *, const char *);
static char	*check_auth(struct parse *, const char *, const char *);
static char	*check_path(struct parse *, const char *, const char *);
static char	*check_name(struct parse *, const char *, const char *);
static char	*check_domain(struct parse *, const char *, const char *);
static char	*check_setfrom(struct parse *, const char *, const char *);
static char	*check_fpr(struct parse *, const char *, const char *);
static char	*check_tlsmin(struct parse *, const char *, const char *);
static char	*check_long(struct parse *, const char *, const char *);
static char	*check_autooff(struct parse *, const char *, const char *);
static char	*check_yesno(struct parse *, const char *, const char *);
static char	*check_provider(struct parse *, const char *, const char *);
static char	*check_url(struct parse *, const char *, const char *);
static char	*check_flow(struct parse *, const char *, const char *);

const struct keydef cfg_keys[K_NKEYS] = {
	[K_HOST] =	{ "host",		check_word },
	[K_PORT] =	{ "port",		check_port },
	[K_TLS] =	{ "tls",		check_tls },
	[K_USER] =	{ "user",		check_text },
	[K_FROM] =	{ "from",		check_word },
	[K_AUTH] =	{ "auth",		check_auth },
	[K_TRUST] =	{ "tls_trust_file",	check_path },
	[K_TIMEOUT] =	{ "timeout",		check_timeout },
	[K_DOMAIN] =	{ "domain",		check_word },
	[K_PWCMD] =	{ "password_command",	check_text },
	[K_PW] =	{ "password",		check_text },
	[K_DEFAULT] =	{ "default_account",	check_name },
	[K_QUALIFY] =	{ "qualify_domain",	check_domain },
	[K_ALIASES] =	{ "aliases",		check_path },
	[K_SETFROM] =	{ "set_from_header",	check_setfrom },
	[K_FPR] =	{ "tls_fingerprint",	check_fpr },
	[K_CERT] =	{ "tls_cert_file",	check_path },
	[K_KEY] =	{ "tls_key_file",	check_path },
	[K_TLSMIN] =	{ "tls_min_version",	check_tlsmin },
	[K_LONG] =	{ "long_lines",		check_long },
	[K_PIPE] =	{ "pipelining",		check_autooff },
	[K_CHUNK] =	{ "chunking",		check_autooff },
	[K_AUTHZID] =	{ "authzid",		check_text },
	[K_QUEUE] =	{ "queue",		check_yesno },
	[K_QDIR] =	{ "queue_dir",		check_path },
	[K_RESUME] =	{ "tls_resume",		check_autooff },
	[K_O2PROV] =	{ "oauth2_provider",	check_provider },
	[K_O2ID] =	{ "oauth2_client_id",	check_word },
	[K_O2SECRET] =	{ "oauth2_client_secret", check_text },
	[K_O2SCOPE] =	{ "oauth2_scope",	check_text },
	[K_O2TOKEN] =	{ "oauth2_token_endpoint", check_url },
	[K_O2AUTHZ] =	{ "oauth2_authorize_endpoint", check_url },
	[K_O2DEVICE] =	{ "oauth2_device_endpoint", check_url },
	[K_O2FLOW] =	{ "oauth2_flow",	check_flow },
};

int
cfg_fail(struct parse *p, int line, const char *fmt, ...)
{
	char	 msg[RESULT_MSG_MAX];
	va_list	 ap;

	if (p->res.set)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->errline = line;
	return result_fail(&p->res, EX_CONFIG, "%s:%d: %s", p->path, line,
	    msg);
}

/* Control bytes other than TAB; white space too unless allowed. */
static int
bad_chars(const char *v, int space_ok)
{
	const unsigned char *c;

	for (c = (const unsigned char *)v; *c != '\0'; c++) {
		if (*c == '\t' && space_ok)
			continue;
		if (iscntrl(*c) || (isspace(*c) && !space_ok))
			return 1;
	}
	return 0;
}

/* Strings that must be one word: host, from, domain. */
static char *
check_word(struct parse *p, const char *key, const char *v)
{
	if (bad_chars(v, 0)) {
		cfg_fail(p, p->lineno, "%s must not contain white space or "
		    "control characters", key);
		return NULL;
	}
	return xstrdup(v, &p->res);
}

/* Free text (user, password, password_command, a path). */
static char *
check_text(struct parse *p, const char *key, const char *v)
{
	if (bad_chars(v, 1)) {
		cfg_fail(p, p->lineno, "%s must not contain control characters",
		    key);
		return NULL;
	}
	return xstrdup(v, &p->res);
}

/* Decimal digits only: no sign, no space, no trailing junk. */
static int
parse_number(const char *s, long min, long max, long *out)
{
	char	*end;
	long	 v;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static char *
check_range(struct parse *p, const char *key, const char *v, long max)
{
	long	 n;

	if (parse_number(v, 1, max, &n) == -1) {
		cfg_fail(p, p->lineno, "%s must be a number from 1 to %ld, "
		    "not '%s'", key, max, v);
		return NULL;
	}
	return xstrdup(v, &p->res);
}

static char *
check_port(struct parse *p, const char *key, const char *v)
{
	return check_range(p, key, v, PORT_MAX);
}

static char *
check_timeout(struct parse *p, const char *key, const char *v)
{
	return check_range(p, key, v, TIMEOUT_MAX);
}

/* One of a NULL-terminated list, any case; returns the lower-case form. */
static char *
check_choice(struct parse *p, const char *key, const char *v,
    const char *const *choices, const char *hint)
{
	for (; *choices != NULL; choices++)
		if (strcasecmp(v, *choices) == 0)
			return xstrdup(*choices, &p->res);
	cfg_fail(p, p->lineno, "%s must be %s, not '%s'", key, hint, v);
	return NULL;
}

static char *
check_tls(struct parse *p, const char *key, const char *v)
{
	static const char *const c[] = { "smtps", "starttls", NULL };

	return check_choice(p, key, v, c, "smtps or starttls");
}

static char *
check_auth(struct parse *p, const char *key, const char *v)
{
	static const char *const c[] = { "auto", "plain", "login",
	    "cram-md5", "digest-md5", "scram-sha-1", "scram-sha-256",
	    "scram-sha-1-plus", "scram-sha-256-plus", "xoauth2",
	    "oauthbearer", "external", NULL };

	return check_choice(p, key, v, c, "auto, plain, login, cram-md5, "
	    "digest-md5, scram-sha-1, scram-sha-256, scram-sha-1-plus, "
	    "scram-sha-256-plus, xoauth2, oauthbearer or external");
}

static char *
check_setfrom(struct parse *p, const char *key, const char *v)
{
	static const char *const c[] = { "auto", "on", "off", NULL };

	return check_choice(p, key, v, c, "auto, on or off");
}

static char *
check_tlsmin(struct parse *p, const char *key, const char *v)
{
	static const char *const c[] = { "1.2", "1.3", NULL };

	return check_choice(p, key, v, c, "1.2 or 1.3");
}

static char *
check_long(struct parse *p, const char *key, const char *v)
{
	static const char *const c[] = { "encode", "pass", "refuse", NULL };

	return check_choice(p, key, v, c, "encode, pass or refuse");
}

/* queue: a switch. */
static char *
check_yesno(struct parse *p, const char *key, const char *v)
{
	static const char *const c[] = { "yes", "no", NULL };

	return check_choice(p, key, v, c, "yes or no");
}

/* pipelining, chunking, tls_resume: a protocol shortcut (DESIGN.md 4) or not. */
static char *
check_autooff(struct parse *p, const char *key, const char *v)
{
	static const char *const c[] = { "auto", "off", NULL };

	return check_choice(p, key, v, c, "auto or off");
}

/*
 * The built-in providers.  Google does not give mail scopes to the device
 * grant, so it gets the code flow; Microsoft allows both.
 */
static const struct oauth2_preset presets[] = {
	{ "google", "https://accounts.google.com/o/oauth2/v2/auth",
	    "https://oauth2.googleapis.com/token", NULL,
	    "https://mail.google.com/" },
	{ "microsoft",
	    "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
	    "https://login.microsoftonline.com/common/oauth2/v2.0/token",
	    "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode",
	    "https://outlook.office.com/SMTP.Send offline_access" },
};

const struct oauth2_preset *
cfg_oauth2_preset(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
		if (strcmp(presets[i].name, name) == 0)
			return &presets[i];
	return NULL;
}

static char *
check_provider(struct parse *p, const char *key, const char *v)
{
	static const char *const c[] = { "google", "microsoft", "custom",
	    NULL };

	return check_choice(p, key, v, c, "google, microsoft or custom");
}

static char *
check_flow(struct parse *p, const char *key, const char *v)
{
	static const char *const c[] = { "auto", "device", "code", NULL };

	return check_choice(p, key, v, c, "auto, device or code");
}

/* An endpoint: https only (DESIGN.md 7), one word. */
static char *
check_url(struct parse *p, const char *key, const char *v)
{
	if (strncasecmp(v, "https://", 8) != 0 || v[8] == '\0' ||
	    v[8] == '/' || bad_chars(v, 0)) {
		cfg_fail(p, p->lineno, "%s must be an https:// URL, not '%s'",
		    key, v);
		return NULL;
	}
	return xstrdup(v, &p->res);
}

/*
 * SHA-256 as 64 hex digits, with or without ':' between the bytes (as
 * "openssl x509 -fingerprint -sha256" prints it); kept as lower-case hex.
 */
static char *
check_fpr(struct parse *p, const char *key, const char *v)
{
	char	 hex[CONFIG_FPR_LEN + 1];
	size_t	 n = 0;

	for (; *v != '\0'; v++) {
		if (*v == ':')
			continue;
		if (!isxdigit((unsigned char)*v) || n == CONFIG_FPR_LEN)
			break;
		hex[n++] = (char)tolower((unsigned char)*v);
	}
	if (*v != '\0' || n != CONFIG_FPR_LEN) {
		cfg_fail(p, p->lineno, "%s must be a SHA-256 fingerprint: 64 hex "
		    "digits, ':' between bytes allowed", key);
		return NULL;
	}
	hex[n] = '\0';
	return xstrdup(hex, &p->res);
}

/* What follows '@': letters, digits, '-', UTF-8, dots between labels. */
static char *
check_domain(struct parse *p, const char *key, const char *v)
{
	const unsigned char *c = (const unsigned char *)v;

	for (; *c != '\0'; c++)
		if (!isalnum(*c) && *c != '-' && *c < 0x80 && (*c != '.' ||
		    c == (const unsigned char *)v || c[1] == '.' ||
		    c[1] == '\0'))
			break;
	/* addr_check: well-formed UTF-8, at most ADDR_MAX bytes. */
	if (*c != '\0' || addr_check(v, strlen(v)) == -1) {
		cfg_fail(p, p->lineno, "%s must be a domain name such as "
		    "example.org, not '%s'", key, v);
		return NULL;
	}
	return xstrdup(v, &p->res);
}

/* A relative path is taken from the configuration file's directory. */
static char *
check_path(struct parse *p, const char *key, const char *v)
{
	const char	*slash;

	if (bad_chars(v, 1)) {
		cfg_fail(p, p->lineno, "%s must not contain control characters",
		    key);
		return NULL;
	}
	if (v[0] == '~') {
		cfg_fail(p, p->lineno, "%s: '~' is not expanded; give an absolute "
		    "path or one relative to the directory of %s", key,
		    p->path);
		return NULL;
	}
	if (v[0] == '/' || (slash = strrchr(p->path, '/')) == NULL)
		return xstrdup(v, &p->res);
	if (slash == p->path)
		return str_join("", 0, '/', v, &p->res);
	return str_join(p->path, (size_t)(slash - p->path), '/', v,
	    &p->res);
}

int
cfg_valid_name(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '_' && s[i] != '-')
			return 0;
	return len > 0;
}

static char *
check_name(struct parse *p, const char *key, const char *v)
{
	if (!cfg_valid_name(v, strlen(v))) {
		cfg_fail(p, p->lineno, "%s: '%s' is not an account name", key, v);
		return NULL;
	}
	return xstrdup(v, &p->res);
}

/* Wipe values that may hold a secret (a command may embed one). */
int
cfg_key_secret(enum key k)
{
	return k == K_PW || k == K_PWCMD || k == K_O2SECRET;
}

void
cfg_free_value(char *v, enum key k)
{
	if (v != NULL && cfg_key_secret(k))
		explicit_bzero(v, strlen(v));
	free(v);
}

int
cfg_key_lookup(const char *name)
{
	int	 k;

	for (k = 0; k < K_NKEYS; k++)
		if (strcmp(cfg_keys[k].name, name) == 0)
			return k;
	return -1;
}
