/*
 * oauth2.c - access tokens on send, the grant in the Secret Service
 * (oauth2.h).  The flows that obtain a grant are oauth2_flow.c; HTTP and
 * JSON are oauth2_http.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "oauth2.h"
#include "oauth2_http.h"
#include "oauth2_impl.h"
#include "result.h"
#include "secret.h"
#include "util.h"

#define KEYRING_TIMEOUT_MAX 25	/* seconds, as secret.h's lookups */
#define LABEL_MAX	256
#define ATTRS_MAX	11	/* 5 name/value pairs and NULL */
#define EXPIRES_MAX	(366L * 86400)	/* a larger expires_in is nonsense */

/* A refresh token we accept (take_token) can be sent back (refresh). */
_Static_assert(O2_FORM_MAX >= 3 * SECRET_MAX + 4096,
    "a refresh token fits a request, percent-encoded");

int
oauth2_enabled(const struct account *a)
{
	return a->oauth2_provider != NULL;
}

static int
keyring_timeout(const struct account *a)
{
	return a->timeout < KEYRING_TIMEOUT_MAX ? a->timeout :
	    KEYRING_TIMEOUT_MAX;
}

/* kind "refresh" or "access": never the password entry's attributes. */
static void
attrs_of(const struct account *a, const char *kind,
    const char *v[ATTRS_MAX])
{
	v[0] = "service";	v[1] = "stamp-oauth2";
	v[2] = "kind";		v[3] = kind;
	v[4] = "user";		v[5] = a->user;
	v[6] = "oauth2_endpoint"; v[7] = a->oauth2_token_endpoint;
	v[8] = "client_id";	v[9] = a->oauth2_client_id;
	v[10] = NULL;
}

static int
store(const struct account *a, const char *kind, const char *value,
    size_t len, struct result *res)
{
	const char	*attrs[ATTRS_MAX];
	char		 label[LABEL_MAX];

	attrs_of(a, kind, attrs);
	snprintf(label, sizeof(label), "stamp OAuth2 %s token for %s "
	    "(account %s)", kind, a->user, a->name);
	return secret_item_store(attrs, label, value, len,
	    keyring_timeout(a), res);
}

void
oauth2_refused(const struct account *a)
{
	const char	*attrs[ATTRS_MAX];
	struct result	 ignored;

	memset(&ignored, 0, sizeof(ignored));
	attrs_of(a, "access", attrs);
	if (secret_item_clear(attrs, keyring_timeout(a), &ignored) > 0)
		log_trace("the server refused the access token: dropped, "
		    "the next send refreshes it");
}

/* 1 found, 0 not found, -1 error. */
static int
lookup(const struct account *a, const char *kind, struct secret *s,
    struct result *res)
{
	const char	*attrs[ATTRS_MAX];

	attrs_of(a, kind, attrs);
	return secret_item_lookup(attrs, s, keyring_timeout(a), res);
}

void
o2_grant_wipe(struct o2grant *g)
{
	secret_wipe(&g->access);
	secret_wipe(&g->refresh);
	g->expires_in = 0;
}

/* The access item's value: "EXPIRY TOKEN", EXPIRY in seconds since 1970. */
int
o2_store_grant(const struct account *a, const struct o2grant *g,
    struct result *res)
{
	struct secret	 v = { 0 };
	int		 n, rv = -1;

	if (g->refresh.buf != NULL && store(a, "refresh", g->refresh.buf,
	    g->refresh.len, res) == -1)
		return -1;
	if (secret_alloc(&v, res) == -1)
		return -1;
	n = snprintf(v.buf, SECRET_MAX + 1, "%lld %s",
	    (long long)time(NULL) + g->expires_in, g->access.buf);
	if (n < 0 || n > SECRET_MAX)
		result_fail(res, EX_PROTOCOL, "oauth2: access token longer "
		    "than %d bytes", SECRET_MAX);
	else
		rv = store(a, "access", v.buf, (size_t)n, res);
	secret_wipe(&v);
	return rv;
}

/* The cached token into s if it is still good for OAUTH2_MARGIN. */
static int
cached(const struct account *a, struct secret *s, struct result *res)
{
	char		*end;
	long long	 expiry;
	size_t		 skip;
	int		 found;

	if ((found = lookup(a, "access", s, res)) != 1)
		return found;
	errno = 0;
	expiry = strtoll(s->buf, &end, 10);
	/* Any process of the user can write the item: no overflow. */
	if (end == s->buf || *end != ' ' || errno != 0 || expiry <= 0 ||
	    expiry > (long long)time(NULL) + EXPIRES_MAX ||
	    expiry - OAUTH2_MARGIN <= (long long)time(NULL)) {
		secret_wipe(s);
		return 0;
	}
	skip = (size_t)(end + 1 - s->buf);
	memmove(s->buf, end + 1, s->len - skip);
	explicit_bzero(s->buf + s->len - skip, skip);
	s->len -= skip;
	s->buf[s->len] = '\0';
	s->source = "oauth2";
	log_trace("oauth2: cached access token, %lld s left",
	    expiry - (long long)time(NULL));
	return 1;
}

int
o2_form_client(const struct account *a, char *form, size_t n,
    struct result *res)
{
	form[0] = '\0';
	if (o2_form_add(form, n, "client_id", a->oauth2_client_id, res) == -1)
		return -1;
	if (a->oauth2_client_secret != NULL && o2_form_add(form, n,
	    "client_secret", a->oauth2_client_secret, res) == -1)
		return -1;
	return 0;
}

/* A token from the provider: printable ASCII without spaces (RFC 6750). */
static int
take_token(const char *v, struct secret *s, struct result *res)
{
	size_t	 len = strlen(v), i;

	if (len == 0 || len > SECRET_MAX)
		return result_fail(res, EX_PROTOCOL, "oauth2: the provider "
		    "sent a token of %zu bytes", len);
	for (i = 0; i < len; i++)
		if (!isgraph((unsigned char)v[i]))
			return result_fail(res, EX_PROTOCOL, "oauth2: the "
			    "provider sent a token with a space or control "
			    "character");
	if (secret_alloc(s, res) == -1)
		return -1;
	memcpy(s->buf, v, len);
	s->buf[len] = '\0';
	s->len = len;
	return 0;
}

/* RFC 6749 5.1: access_token, token_type Bearer, expires_in, refresh. */
static int
grant_of(const struct o2json *j, struct o2grant *g, struct result *res)
{
	const char	*at, *rt, *type;

	at = o2_json_str(j, "access_token");
	type = o2_json_str(j, "token_type");
	if (at == NULL)
		return result_fail(res, EX_PROTOCOL, "oauth2: token endpoint: "
		    "no access_token in the answer");
	if (type != NULL && strcasecmp(type, "bearer") != 0)
		return result_fail(res, EX_PROTOCOL, "oauth2: token endpoint: "
		    "token_type is not Bearer");
	g->expires_in = o2_json_int(j, "expires_in", O2_EXPIRES_DEFAULT);
	if (g->expires_in <= 0 || g->expires_in > EXPIRES_MAX)
		g->expires_in = O2_EXPIRES_DEFAULT;
	if (take_token(at, &g->access, res) == -1)
		return -1;
	if ((rt = o2_json_str(j, "refresh_token")) != NULL &&
	    take_token(rt, &g->refresh, res) == -1)
		return -1;
	return 0;
}

void
o2_mask(char *s, const char *secret)
{
	size_t	 n = strlen(secret);
	char	*p = s;

	if (n == 0)
		return;
	while ((p = strstr(p, secret)) != NULL) {
		memset(p, '*', n);
		p += n;
	}
}

/*
 * src (the provider's words, may be NULL) made printable into out (size
 * n), with every secret the request sent masked: in the whole text,
 * before it is cut to n, so no prefix of a secret is left at the cut.
 */
static void
shown(const struct account *a, const char *const *hide, const char *src,
    char *out, size_t n)
{
	size_t	 len = src != NULL ? strlen(src) : 0, i;
	char	*full;

	out[0] = '\0';
	if (len == 0 || (full = malloc(len + 1)) == NULL)
		return;
	result_sanitise(full, len + 1, src, len);
	for (i = 0; hide != NULL && i < O2_HIDE_MAX && hide[i] != NULL; i++)
		o2_mask(full, hide[i]);
	if (a->oauth2_client_secret != NULL)
		o2_mask(full, a->oauth2_client_secret);
	str_copy(out, n, full);		/* cut: the message's ceiling */
	explicit_bzero(full, len);
	free(full);
}

/* token_error's message; e, d: whether there was an error, a description. */
static int
token_fail(const struct account *a, int e, int d, long status,
    const char *err, const char *desc, struct result *res)
{
	int	 code;

	if (!e)
		return result_fail(res, EX_PROTOCOL, "oauth2: token endpoint: "
		    "HTTP %ld without an OAuth error", status);
	if (strcmp(err, "invalid_grant") == 0 ||
	    strcmp(err, "access_denied") == 0)
		return result_fail(res, EX_NOPERM, "oauth2: the provider "
		    "refused the grant for account '%s' (%s%s%s); run: stamp "
		    "--oauth2-authorize %s", a->name, err, d ? ": " : "",
		    desc, a->name);
	code = strcmp(err, "invalid_client") == 0 ||
	    strcmp(err, "unauthorized_client") == 0 ||
	    strcmp(err, "invalid_scope") == 0 ? EX_CONFIG :
	    strcmp(err, "authorization_pending") == 0 ||
	    strcmp(err, "slow_down") == 0 ||
	    strcmp(err, "temporarily_unavailable") == 0 ? EX_TEMPFAIL :
	    EX_UNAVAILABLE;
	return result_fail(res, code, "oauth2: token endpoint refused "
	    "account '%s': %s%s%s", a->name, err, d ? ": " : "", desc);
}

/* RFC 6749 5.2: the provider's error, mapped to an exit status. */
static int
token_error(const struct account *a, const struct o2json *j, long status,
    const char *const *hide, char err[O2_ERROR_MAX], struct result *res)
{
	const char	*e, *d;
	char		 desc[RESULT_MSG_MAX / 2];
	int		 rv;

	e = o2_json_str(j, "error");
	d = o2_json_str(j, "error_description");
	shown(a, hide, e, err, O2_ERROR_MAX);
	shown(a, hide, d, desc, sizeof(desc));
	rv = token_fail(a, e != NULL, d != NULL, status, err, desc, res);
	explicit_bzero(desc, sizeof(desc));
	return rv;
}

int
o2_token_request(const struct account *a, const char *form,
    const char *const *hide, struct o2grant *g, char err[O2_ERROR_MAX],
    struct result *res)
{
	struct o2json	*j;
	long		 status;
	int		 rv;

	err[0] = '\0';
	memset(g, 0, sizeof(*g));
	if (o2_post(a, "token endpoint", a->oauth2_token_endpoint, form,
	    &status, &j, res) == -1)
		return -1;
	if (status == 200)
		rv = grant_of(j, g, res);
	else
		rv = token_error(a, j, status, hide, err, res);
	o2_json_free(j);
	if (rv == -1)
		o2_grant_wipe(g);
	return rv;
}

/* A new access token from the refresh token in rt. */
static int
refresh(const struct account *a, const struct secret *rt, struct o2grant *g,
    struct result *res)
{
	char		 form[O2_FORM_MAX];
	char		 err[O2_ERROR_MAX];
	const char	*hide[] = { rt->buf, NULL };
	int		 rv = -1;

	if (o2_load(res) == -1)
		return -1;
	if (o2_form_client(a, form, sizeof(form), res) == 0 &&
	    o2_form_add(form, sizeof(form), "grant_type", "refresh_token",
	    res) == 0 &&
	    o2_form_add(form, sizeof(form), "refresh_token", rt->buf,
	    res) == 0)
		rv = o2_token_request(a, form, hide, g, err, res);
	explicit_bzero(form, sizeof(form));
	/* A pending code has no place here: the provider is confused. */
	if (rv == -1 && res->exitcode == EX_TEMPFAIL && err[0] != '\0' &&
	    strcmp(err, "temporarily_unavailable") != 0)
		res->exitcode = EX_PROTOCOL;
	return rv;
}

/* Store what the refresh brought; the send goes on if that fails. */
static void
keep(const struct account *a, struct o2grant *g, const struct secret *rt)
{
	struct result	 sres = { 0 };

	/* Rotated only if it changed. */
	if (g->refresh.buf != NULL && g->refresh.len == rt->len &&
	    memcmp(g->refresh.buf, rt->buf, rt->len) == 0)
		secret_wipe(&g->refresh);
	if (g->refresh.buf != NULL)
		log_trace("oauth2: the provider rotated the refresh token");
	if (o2_store_grant(a, g, &sres) == -1)
		log_err("warning: %s", sres.msg);
}

/* Refresh with rt, store what came, hand the access token to s. */
static int
refresh_with(const struct account *a, const struct secret *rt,
    struct secret *s, struct result *res)
{
	struct o2grant	 g = { 0 };
	int		 rv;

	log_trace("oauth2: refreshing the access token at %s",
	    a->oauth2_token_endpoint);
	if ((rv = refresh(a, rt, &g, res)) == 0) {
		keep(a, &g, rt);
		*s = g.access;		/* hand the buffer over */
		memset(&g.access, 0, sizeof(g.access));
		s->source = "oauth2";
	}
	o2_grant_wipe(&g);
	return rv;
}

/*
 * The provider refused old: did another stamp (a queue flush, a
 * parallel send) rotate it meanwhile?  Providers that rotate revoke the
 * old token at once.  Then its access token, or one refresh with the
 * new refresh token: 0 (res cleared) or -1 (res kept or replaced).
 */
static int
rotated(const struct account *a, const struct secret *old, struct secret *s,
    struct result *res)
{
	struct secret	 now = { 0 };
	struct result	 r2 = { 0 };
	int		 rv = -1, found;

	if (lookup(a, "refresh", &now, &r2) != 1 || (now.len == old->len &&
	    memcmp(now.buf, old->buf, old->len) == 0)) {
		secret_wipe(&now);
		return -1;
	}
	log_trace("oauth2: the refresh token was rotated meanwhile: using "
	    "the new one");
	if ((found = cached(a, s, &r2)) == 1)
		rv = 0;
	else if (found == 0)
		rv = refresh_with(a, &now, s, &r2);
	secret_wipe(&now);
	if (rv == 0)
		memset(res, 0, sizeof(*res));
	else if (r2.set)
		*res = r2;
	return rv;
}

int
oauth2_token(const struct account *a, struct secret *s, struct result *res)
{
	struct secret	 rt = { 0 };
	int		 found, rv;

	if (secret_protect(res) == -1 || (found = cached(a, s, res)) == -1)
		return -1;
	if (found)
		return 0;
	if ((found = lookup(a, "refresh", &rt, res)) != 1) {
		if (found == 0)
			result_fail(res, EX_CONFIG, "oauth2: no grant for "
			    "account '%s' in the Secret Service; run: stamp "
			    "--oauth2-authorize %s", a->name, a->name);
		return -1;
	}
	rv = refresh_with(a, &rt, s, res);
	if (rv == -1 && res->exitcode == EX_NOPERM)
		rv = rotated(a, &rt, s, res);
	secret_wipe(&rt);
	return rv;
}

int
oauth2_authorize(const struct account *a, struct result *res)
{
	struct o2grant	 g = { 0 };
	int		 device, rv;

	if (!oauth2_enabled(a))
		return result_fail(res, EX_CONFIG, "account '%s' has no "
		    "oauth2_provider (see stamp.ini(5))", a->name);
	if (secret_protect(res) == -1 || o2_load(res) == -1)
		return -1;
	device = a->oauth2_flow == OAUTH2_FLOW_DEVICE ||
	    (a->oauth2_flow == OAUTH2_FLOW_AUTO &&
	    a->oauth2_device_endpoint != NULL);
	rv = device ? o2_device_flow(a, &g, res) : o2_code_flow(a, &g, res);
	if (rv == 0 && g.refresh.buf == NULL)
		rv = result_fail(res, EX_PROTOCOL, "oauth2: the provider gave "
		    "no refresh token (does oauth2_scope ask for offline "
		    "access?)");
	if (rv == 0 && (rv = o2_store_grant(a, &g, res)) == 0)
		printf("stamp: account '%s' is authorized; its refresh token "
		    "is in the Secret Service\n", a->name);
	o2_grant_wipe(&g);
	return rv;
}
