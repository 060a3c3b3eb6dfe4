/*
 * digestmd5.c - DIGEST-MD5 (RFC 2831), client side, qop=auth only.
 * Legacy: RFC 6331 moved it to Historic; it is here for old servers.
 * The server's rspauth is verified like SCRAM's signature.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "result.h"
#include "sasl.h"
#include "sasl_impl.h"
#include "util.h"

#define DMD5_VAL_MAX	512	/* one directive value */
#define DMD5_MSG_MAX	(4 * 1024)

struct dchal {
	char	 realm[DMD5_VAL_MAX];
	char	 nonce[DMD5_VAL_MAX];
	char	 qop[DMD5_VAL_MAX];
	char	 algorithm[DMD5_VAL_MAX];
	char	 charset[DMD5_VAL_MAX];
	char	 rspauth[DMD5_VAL_MAX];
	int	 has_realm, has_nonce, has_qop, has_algorithm;
};

/* One value (quoted-string with \-escapes, or token) into out. */
static const char *
dvalue(const char *p, const char *end, char *out, size_t n)
{
	size_t	 j = 0;
	int	 quoted = p < end && *p == '"';

	for (p += quoted; p < end; p++) {
		if (quoted && *p == '"')
			break;
		if (!quoted && (*p == ',' || *p == ' ' || *p == '\t'))
			break;
		if (quoted && *p == '\\' && ++p >= end)
			return NULL;
		if (j + 1 >= n)
			return NULL;
		out[j++] = *p;
	}
	if (quoted && (p >= end || *p++ != '"'))
		return NULL;
	out[j] = '\0';
	return p;
}

/* The directives we use; the others (maxbuf, stale, ...) are skipped. */
static const struct {
	const char	*name;
	size_t		 val;		/* offsetof the value */
	size_t		 seen;		/* offsetof its flag, or 0 */
} directives[] = {
	{ "realm", offsetof(struct dchal, realm),
	    offsetof(struct dchal, has_realm) },
	{ "nonce", offsetof(struct dchal, nonce),
	    offsetof(struct dchal, has_nonce) },
	{ "qop", offsetof(struct dchal, qop), offsetof(struct dchal, has_qop) },
	{ "algorithm", offsetof(struct dchal, algorithm),
	    offsetof(struct dchal, has_algorithm) },
	{ "charset", offsetof(struct dchal, charset), 0 },
	{ "rspauth", offsetof(struct dchal, rspauth), 0 },
};

/*
 * Where the value of directive key goes: its field, or junk for one we
 * skip, and for a second realm (several mean "choose one": the first is
 * ours).
 */
static char *
slot(struct dchal *d, const char *key, size_t klen, char *junk)
{
	char	*base = (char *)d;
	int	*seen;
	size_t	 i;

	for (i = 0; i < sizeof(directives) / sizeof(directives[0]); i++) {
		if (strlen(directives[i].name) != klen ||
		    strncasecmp(directives[i].name, key, klen) != 0)
			continue;
		if (directives[i].seen == 0)
			return base + directives[i].val;
		seen = (int *)(void *)(base + directives[i].seen);
		if (*seen && directives[i].val == offsetof(struct dchal, realm))
			return junk;
		*seen = 1;
		return base + directives[i].val;
	}
	return junk;
}

static int
parse(const char *p, size_t len, struct dchal *d)
{
	const char	*end = p + len, *key;
	char		*v, junk[DMD5_VAL_MAX];
	size_t		 klen;

	memset(d, 0, sizeof(*d));
	for (;;) {
		while (p < end && strchr(" \t,", *p) != NULL)
			p++;
		if (p >= end)
			return 0;
		key = p;
		while (p < end && *p != '=' && *p != ',')
			p++;
		if (p >= end || *p != '=')
			return -1;
		klen = (size_t)(p - key);
		while (klen > 0 && strchr(" \t", key[klen - 1]) != NULL)
			klen--;
		v = slot(d, key, klen, junk);
		if ((p = dvalue(p + 1, end, v, DMD5_VAL_MAX)) == NULL)
			return -1;
	}
}

/* Hex of MD5 over the pieces (the last NULL). */
static void
md5_hex(char *out, const void *first, size_t flen, ...)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	unsigned char	 h[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;
	const char	*p;
	va_list		 ap;

	memset(h, 0, sizeof(h));
	if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1) {
		EVP_DigestUpdate(ctx, first, flen);
		va_start(ap, flen);
		while ((p = va_arg(ap, const char *)) != NULL)
			EVP_DigestUpdate(ctx, p, strlen(p));
		va_end(ap);
		EVP_DigestFinal_ex(ctx, h, &n);
	}
	EVP_MD_CTX_free(ctx);
	sasl_hex(h, 16, out);
	explicit_bzero(h, sizeof(h));
}

/* HEX(H(A1)) for qop=auth, md5-sess (RFC 2831 2.1.2.1). */
static void
ha1(struct sasl *s, const struct dchal *d, char *out)
{
	EVP_MD_CTX	*ctx = EVP_MD_CTX_new();
	unsigned char	 h[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;
	const char	*z = s->c.authzid;

	memset(h, 0, sizeof(h));
	/* H(user:realm:pass) is binary in A1, not hex. */
	if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1) {
		EVP_DigestUpdate(ctx, s->c.user, strlen(s->c.user));
		EVP_DigestUpdate(ctx, ":", 1);
		EVP_DigestUpdate(ctx, d->realm, strlen(d->realm));
		EVP_DigestUpdate(ctx, ":", 1);
		EVP_DigestUpdate(ctx, s->c.pass, s->c.passlen);
		EVP_DigestFinal_ex(ctx, h, &n);
	}
	EVP_MD_CTX_free(ctx);
	md5_hex(out, h, 16, ":", d->nonce, ":", s->nonce, z ? ":" : "",
	    z ? z : "", (char *)NULL);
	explicit_bzero(h, sizeof(h));
}

/* response= (A2 "AUTHENTICATE:uri") or rspauth= (A2 ":uri"). */
static void
digest(const char *a1, const struct dchal *d, const char *cnonce,
    const char *a2pre, const char *uri, char *out)
{
	char	 a2[33];

	md5_hex(a2, a2pre, strlen(a2pre), uri, (char *)NULL);
	md5_hex(out, a1, strlen(a1), ":", d->nonce, ":00000001:", cnonce,
	    ":auth:", a2, (char *)NULL);
}

/* A quoted-string value: '"' and '\' escaped. */
static void
quote(char *out, size_t n, const char *v)
{
	char	 c[3] = { '\\', 0, 0 };

	str_append(out, n, "\"");
	for (; *v != '\0'; v++) {
		c[1] = *v;
		str_append(out, n, *v == '"' || *v == '\\' ? c : c + 1);
	}
	str_append(out, n, "\"");
}

/* "auth" among the comma-separated qop options. */
static int
has_auth(const char *qop)
{
	size_t	 n;

	for (;;) {
		qop += strspn(qop, " \t,");
		if (*qop == '\0')
			return 0;
		n = strcspn(qop, " \t,");
		if (n == 4 && strncasecmp(qop, "auth", 4) == 0)
			return 1;
		qop += n;
	}
}

static int
check_chal(struct sasl *s, const struct dchal *d, struct result *res)
{
	if (!d->has_nonce || d->nonce[0] == '\0')
		return sasl_fail(s, res, EX_PROTOCOL, "no nonce in the "
		    "challenge");
	if (!d->has_algorithm || strcasecmp(d->algorithm, "md5-sess") != 0)
		return sasl_fail(s, res, EX_PROTOCOL, "algorithm is not "
		    "md5-sess");
	/* qop is a list: "auth,auth-int"; absent means auth. */
	if (d->has_qop && !has_auth(d->qop))
		return sasl_fail(s, res, EX_UNAVAILABLE, "the server wants "
		    "qop=%s; only auth is supported", d->qop);
	return 0;
}

static int
response(struct sasl *s, const struct dchal *d, char **out,
    struct result *res)
{
	char	 uri[DMD5_VAL_MAX], a1[33], resp[33], msg[DMD5_MSG_MAX];
	int	 utf8 = strcasecmp(d->charset, "utf-8") == 0;

	snprintf(uri, sizeof(uri), "%s/%s", s->c.service ? s->c.service :
	    "smtp", s->c.host ? s->c.host : "");
	if (sasl_make_nonce(s, res) == -1)
		return -1;
	ha1(s, d, a1);
	digest(a1, d, s->nonce, "AUTHENTICATE:", uri, resp);
	digest(a1, d, s->nonce, ":", uri, s->rspauth);
	explicit_bzero(a1, sizeof(a1));
	snprintf(msg, sizeof(msg), "%susername=", utf8 ? "charset=utf-8," :
	    "");
	quote(msg, sizeof(msg), s->c.user);
	/* No realm offered: none sent, "" in A1 (RFC 2831 2.1.2). */
	if (d->has_realm) {
		str_append(msg, sizeof(msg), ",realm=");
		quote(msg, sizeof(msg), d->realm);
	}
	str_append(msg, sizeof(msg), ",nonce=");
	quote(msg, sizeof(msg), d->nonce);
	str_append(msg, sizeof(msg), ",nc=00000001,cnonce=");
	quote(msg, sizeof(msg), s->nonce);
	str_append(msg, sizeof(msg), ",digest-uri=");
	quote(msg, sizeof(msg), uri);
	str_append(msg, sizeof(msg), ",response=");
	str_append(msg, sizeof(msg), resp);
	str_append(msg, sizeof(msg), ",qop=auth");
	if (s->c.authzid != NULL) {
		str_append(msg, sizeof(msg), ",authzid=");
		quote(msg, sizeof(msg), s->c.authzid);
	}
	if (strlen(msg) + 1 >= sizeof(msg))
		return sasl_fail(s, res, EX_CONFIG, "response too long");
	return (*out = sasl_b64(msg, strlen(msg), res)) != NULL ? 0 : -1;
}

int
digestmd5_step(struct sasl *s, const char *ch, size_t len, char **out,
    struct result *res)
{
	struct dchal	 d;

	if (memchr(ch, '\0', len) != NULL || parse(ch, len, &d) == -1)
		return sasl_fail(s, res, EX_PROTOCOL, "malformed challenge");
	if (s->step == 0)
		return check_chal(s, &d, res) == -1 ? -1 :
		    response(s, &d, out, res);
	if (strlen(d.rspauth) != 32 ||
	    CRYPTO_memcmp(d.rspauth, s->rspauth, 32) != 0)
		return sasl_fail(s, res, EX_UNAVAILABLE, "the server's "
		    "rspauth is wrong: it does not know the password, or "
		    "someone is in the middle; refusing it");
	s->proven = 1;
	return (*out = sasl_b64("", 0, res)) != NULL ? 0 : -1;
}
