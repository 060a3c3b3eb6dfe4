/*
 * sasl.c - SASL mechanisms: the dispatcher and the one-step ones (PLAIN,
 * LOGIN, CRAM-MD5, XOAUTH2, OAUTHBEARER, EXTERNAL).  SCRAM is scram.c,
 * DIGEST-MD5 digestmd5.c.  Crypto and encodings come from OpenSSL.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "result.h"
#include "sasl.h"
#include "sasl_impl.h"
#include "util.h"

static const char *const mech_name[SASL_NMECH] = {
	NULL, "PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1",
	"SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS", "XOAUTH2",
	"OAUTHBEARER", "EXTERNAL"
};

const char *
sasl_name(enum sasl_mech m)
{
	return m > SASL_NONE && m < SASL_NMECH ? mech_name[m] : NULL;
}

enum sasl_mech
sasl_lookup(const char *name, size_t len)
{
	int	 m;

	for (m = SASL_NONE + 1; m < SASL_NMECH; m++)
		if (strlen(mech_name[m]) == len &&
		    strncasecmp(mech_name[m], name, len) == 0)
			return (enum sasl_mech)m;
	return SASL_NONE;
}

int
sasl_is_plus(enum sasl_mech m)
{
	return m == SASL_SCRAM_SHA1_PLUS || m == SASL_SCRAM_SHA256_PLUS;
}

static int
is_scram(enum sasl_mech m)
{
	return m >= SASL_SCRAM_SHA1 && m <= SASL_SCRAM_SHA256_PLUS;
}

int
sasl_fail(struct sasl *s, struct result *res, int ex, const char *fmt, ...)
{
	char	 why[RESULT_MSG_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return result_fail(res, ex, "AUTH %s: %s", sasl_name(s->mech), why);
}

char *
sasl_b64(const char *in, size_t len, struct result *res)
{
	char	*out;

	if (len > SASL_IN_MAX) {
		result_fail(res, EX_DATAERR, "SASL response too long");
		return NULL;
	}
	if ((out = xmalloc(B64_LEN(len), res)) == NULL)
		return NULL;
	b64_encode(in, len, out);
	return out;
}

int
sasl_unb64(const char *in, size_t len, char *out)
{
	size_t	 i, pad = 0;
	int	 n;

	if (len % 4 != 0 || len > SASL_IN_MAX * 2)
		return -1;
	for (i = 0; i < len; i++) {
		if (in[i] == '=' && i + 2 >= len)
			pad++;
		else if (pad > 0 || !(isalnum((unsigned char)in[i]) ||
		    in[i] == '+' || in[i] == '/'))
			return -1;
	}
	if (pad == 1 && in[len - 2] == '=')
		return -1;
	if (len == 0) {
		out[0] = '\0';
		return 0;
	}
	n = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)in,
	    (int)len);
	if (n < 0 || (size_t)n < pad)
		return -1;
	n -= (int)pad;
	out[n] = '\0';
	return n;
}

int
sasl_decode(struct sasl *s, const char *b64, char **out, size_t *len,
    struct result *res)
{
	size_t	 n = strlen(b64);
	int	 d;

	if ((*out = xmalloc(n / 4 * 3 + 3, res)) == NULL)
		return -1;
	if ((d = sasl_unb64(b64, n, *out)) == -1) {
		free(*out);
		*out = NULL;
		return sasl_fail(s, res, EX_PROTOCOL, "the server's challenge "
		    "is not base64");
	}
	*len = (size_t)d;
	return 0;
}

int
sasl_make_nonce(struct sasl *s, struct result *res)
{
	unsigned char	 r[24];

	if (s->nonce[0] != '\0')
		return 0;
	if (RAND_bytes(r, sizeof(r)) != 1)
		return result_fail(res, EX_OSERR, "no random bytes for the "
		    "SASL nonce");
	b64_encode(r, sizeof(r), s->nonce);	/* 32 characters, no ',' */
	return 0;
}

void
sasl_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t	 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

char *
sasl_plain(const char *authzid, const char *user, const char *pass,
    size_t passlen, struct result *res)
{
	size_t	 zlen = authzid ? strlen(authzid) : 0, ulen = strlen(user);
	size_t	 len = zlen + 1 + ulen + 1 + passlen;
	char	*buf, *out;

	if (memchr(pass, '\0', passlen) != NULL) {
		result_fail(res, EX_CONFIG, "the password contains a NUL "
		    "byte, which AUTH PLAIN cannot carry");
		return NULL;
	}
	if (len > SASL_IN_MAX) {
		result_fail(res, EX_CONFIG, "user name and password are too "
		    "long for AUTH PLAIN");
		return NULL;
	}
	if ((buf = xmalloc(len, res)) == NULL)
		return NULL;
	memcpy(buf, authzid ? authzid : "", zlen);
	buf[zlen] = '\0';
	memcpy(buf + zlen + 1, user, ulen);
	buf[zlen + 1 + ulen] = '\0';
	memcpy(buf + zlen + 1 + ulen + 1, pass, passlen);
	out = sasl_b64(buf, len, res);
	explicit_bzero(buf, len);
	free(buf);
	return out;
}

/* Concatenate NUL-terminated pieces (the last one NULL), base64 it. */
static char *
b64_join(struct result *res, ...)
{
	char		 buf[SASL_IN_MAX];
	const char	*p;
	size_t		 len = 0, n;
	va_list		 ap;
	char		*out = NULL;

	va_start(ap, res);
	while ((p = va_arg(ap, const char *)) != NULL) {
		if ((n = strlen(p)) > sizeof(buf) - len) {
			result_fail(res, EX_CONFIG, "SASL response too long");
			goto out;
		}
		memcpy(buf + len, p, n);
		len += n;
	}
	out = sasl_b64(buf, len, res);
out:
	va_end(ap);
	explicit_bzero(buf, sizeof(buf));
	return out;
}

/* The token as a string (the password buffer need not end in NUL). */
static char *
pass_str(struct sasl *s, struct result *res)
{
	return xstrndup(s->c.pass, s->c.passlen, res);
}

/* XOAUTH2 (Google, Microsoft): user=U ^A auth=Bearer T ^A ^A. */
static char *
xoauth2(struct sasl *s, struct result *res)
{
	char	*tok, *out;

	if ((tok = pass_str(s, res)) == NULL)
		return NULL;
	out = b64_join(res, "user=", s->c.user, "\001auth=Bearer ", tok,
	    "\001\001", (char *)NULL);
	sasl_wipe(tok);
	return out;
}

/* saslname (RFC 5801 4, RFC 5802 5.1): "," as =2C, "=" as =3D. */
int
sasl_saslname(const char *in, char *out, size_t n)
{
	size_t	 j = 0;

	for (; *in != '\0'; in++) {
		const char *e = *in == ',' ? "=2C" : *in == '=' ? "=3D" : NULL;
		size_t	 k = e != NULL ? 3 : 1;

		if (j + k >= n)
			return -1;
		memcpy(out + j, e != NULL ? e : in, k);
		j += k;
	}
	out[j] = '\0';
	return 0;
}

/* OAUTHBEARER (RFC 7628 3.1): gs2 header, host, port, auth. */
static char *
oauthbearer(struct sasl *s, struct result *res)
{
	char	 name[SASL_GS2_MAX], port[16], *tok, *out;

	if (sasl_saslname(s->c.authzid != NULL ? s->c.authzid : s->c.user, name,
	    sizeof(name)) == -1) {
		result_fail(res, EX_CONFIG, "user name too long");
		return NULL;
	}
	snprintf(port, sizeof(port), "%d", s->c.port);
	if ((tok = pass_str(s, res)) == NULL)
		return NULL;
	out = b64_join(res, "n,a=", name, ",\001host=", s->c.host ?
	    s->c.host : "", "\001port=", port, "\001auth=Bearer ", tok,
	    "\001\001", (char *)NULL);
	sasl_wipe(tok);
	return out;
}

static int
check_cred(enum sasl_mech m, const struct sasl_cred *c, struct result *res)
{
	if (m != SASL_EXTERNAL && (c->user == NULL || c->pass == NULL))
		return result_fail(res, EX_SOFTWARE, "SASL without a user");
	if (m != SASL_EXTERNAL && m != SASL_PLAIN &&
	    memchr(c->pass, '\0', c->passlen) != NULL)
		return result_fail(res, EX_CONFIG, "the password contains a "
		    "NUL byte, which AUTH %s cannot carry", sasl_name(m));
	if (sasl_is_plus(m) && (c->cb_type == NULL || c->cblen == 0 ||
	    c->cblen > SASL_CB_MAX))
		return result_fail(res, EX_UNAVAILABLE, "AUTH %s: no TLS "
		    "channel binding available", sasl_name(m));
	return 0;
}

struct sasl *
sasl_new(enum sasl_mech m, const struct sasl_cred *c, struct result *res)
{
	struct sasl	*s;

	if (m <= SASL_NONE || m >= SASL_NMECH) {
		result_fail(res, EX_SOFTWARE, "unknown SASL mechanism");
		return NULL;
	}
	if (check_cred(m, c, res) == -1 ||
	    (s = xcalloc(1, sizeof(*s), res)) == NULL)
		return NULL;
	s->mech = m;
	s->c = *c;
	if (m == SASL_SCRAM_SHA1 || m == SASL_SCRAM_SHA1_PLUS)
		s->md = EVP_sha1();
	else if (is_scram(m))
		s->md = EVP_sha256();
	return s;
}

int
sasl_set_nonce(struct sasl *s, const char *nonce, struct result *res)
{
	if (strlen(nonce) > SASL_NONCE_MAX || strchr(nonce, ',') != NULL)
		return result_fail(res, EX_SOFTWARE, "bad test nonce");
	str_copy(s->nonce, sizeof(s->nonce), nonce);
	return 0;
}

int
sasl_start(struct sasl *s, char **out, struct result *res)
{
	*out = NULL;
	switch (s->mech) {
	case SASL_PLAIN:
		*out = sasl_plain(s->c.authzid, s->c.user, s->c.pass,
		    s->c.passlen, res);
		break;
	case SASL_XOAUTH2:
		*out = xoauth2(s, res);
		break;
	case SASL_OAUTHBEARER:
		*out = oauthbearer(s, res);
		break;
	case SASL_EXTERNAL:	/* RFC 4422 A.1: the authzid, or nothing */
		*out = sasl_b64(s->c.authzid ? s->c.authzid : "",
		    s->c.authzid ? strlen(s->c.authzid) : 0, res);
		break;
	case SASL_LOGIN:
	case SASL_CRAM_MD5:
	case SASL_DIGEST_MD5:
		return 0;
	default:
		return scram_start(s, out, res);
	}
	return *out != NULL ? 1 : -1;
}

/* CRAM-MD5 (RFC 2195): user SP hex(HMAC-MD5(password, challenge)). */
static char *
cram_md5(struct sasl *s, const char *ch, size_t len, struct result *res)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0;
	char		 hex[2 * EVP_MAX_MD_SIZE + 1], *out;

	if (HMAC(EVP_md5(), s->c.pass, (int)s->c.passlen,
	    (const unsigned char *)ch, len, mac, &maclen) == NULL) {
		result_fail(res, EX_SOFTWARE, "HMAC-MD5 failed");
		return NULL;
	}
	sasl_hex(mac, maclen, hex);
	out = b64_join(res, s->c.user, " ", hex, (char *)NULL);
	explicit_bzero(mac, sizeof(mac));
	explicit_bzero(hex, sizeof(hex));
	return out;
}

/* XOAUTH2 and OAUTHBEARER: the error JSON, then a dummy response (RFC
 * 7628 3.2.3: ^A; XOAUTH2: empty) so that the server says 535. */
static char *
oauth_failed(struct sasl *s, const char *ch, size_t len, struct result *res)
{
	sasl_oauth_error(ch, len, s->err, sizeof(s->err));
	return s->mech == SASL_OAUTHBEARER ? sasl_b64("\001", 1, res) :
	    sasl_b64("", 0, res);
}

static char *
step_simple(struct sasl *s, const char *ch, size_t len, struct result *res)
{
	switch (s->mech) {
	case SASL_PLAIN:	/* initial response asked for again */
		return sasl_plain(s->c.authzid, s->c.user, s->c.pass,
		    s->c.passlen, res);
	case SASL_EXTERNAL:
		return sasl_b64(s->c.authzid ? s->c.authzid : "",
		    s->c.authzid ? strlen(s->c.authzid) : 0, res);
	case SASL_LOGIN:	/* "Username:", "Password:" */
		return s->step == 0 ?
		    sasl_b64(s->c.user, strlen(s->c.user), res) :
		    sasl_b64(s->c.pass, s->c.passlen, res);
	case SASL_CRAM_MD5:
		return cram_md5(s, ch, len, res);
	default:
		return oauth_failed(s, ch, len, res);
	}
}

/* How many challenges each mechanism may send. */
static int
max_steps(enum sasl_mech m)
{
	if (m == SASL_LOGIN || m == SASL_DIGEST_MD5 || is_scram(m))
		return 2;
	return 1;
}

int
sasl_step(struct sasl *s, const char *challenge, char **out,
    struct result *res)
{
	char	*ch;
	size_t	 len;
	int	 r = 0;

	*out = NULL;
	if (s->step >= max_steps(s->mech))
		return sasl_fail(s, res, EX_PROTOCOL, "unexpected challenge "
		    "after the exchange ended");
	if (sasl_decode(s, challenge, &ch, &len, res) == -1)
		return -1;
	if (is_scram(s->mech))
		r = scram_step(s, ch, len, out, res);
	else if (s->mech == SASL_DIGEST_MD5)
		r = digestmd5_step(s, ch, len, out, res);
	else if ((*out = step_simple(s, ch, len, res)) == NULL)
		r = -1;
	explicit_bzero(ch, len);
	free(ch);
	if (r == 0)
		s->step++;
	return r;
}

int
sasl_done(struct sasl *s, struct result *res)
{
	if ((is_scram(s->mech) || s->mech == SASL_DIGEST_MD5) && !s->proven)
		return sasl_fail(s, res, EX_UNAVAILABLE, "the server accepted "
		    "us without proving that it knows the password; refusing "
		    "it (a server in the middle?)");
	return 0;
}

const char *
sasl_error(const struct sasl *s)
{
	return s->err;
}

void
sasl_free(struct sasl *s)
{
	if (s == NULL)
		return;
	sasl_wipe(s->gs2);
	sasl_wipe(s->bare);
	explicit_bzero(s, sizeof(*s));
	free(s);
}

void
sasl_wipe(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* --- the OAuth error JSON (RFC 7628 3.2.2), flat objects only ------- */

struct json {
	const char	*p, *end;
};

static void
json_ws(struct json *j)
{
	while (j->p < j->end && strchr(" \t\r\n", *j->p) != NULL)
		j->p++;
}

/* A string or a bare literal (number, true, ...) appended to out. */
static int
json_value(struct json *j, char *out, size_t n)
{
	char	 c[2] = { 0, 0 };

	json_ws(j);
	if (j->p < j->end && *j->p != '"') {
		while (j->p < j->end && (isalnum((unsigned char)*j->p) ||
		    strchr(".+-", *j->p) != NULL)) {
			c[0] = *j->p++;
			str_append(out, n, c);
		}
		return 0;
	}
	for (j->p++; j->p < j->end && *j->p != '"'; j->p++) {
		c[0] = *j->p;
		if (*j->p == '\\') {
			if (++j->p >= j->end)
				return -1;
			c[0] = *j->p == 'u' ? '?' : strchr("\"\\/", *j->p) ?
			    *j->p : ' ';
			if (*j->p == 'u')
				j->p += j->end - j->p > 4 ? 4 : 0;
		}
		str_append(out, n, c);
	}
	if (j->p >= j->end)
		return -1;
	j->p++;
	return 0;
}

static int
json_object(struct json *j, char *out, size_t n)
{
	int	 first;

	json_ws(j);
	if (j->p >= j->end || *j->p++ != '{')
		return -1;
	for (first = 1;; first = 0) {
		json_ws(j);
		if (j->p < j->end && *j->p == '}' && first)
			break;
		if (!first)
			str_append(out, n, " ");
		if (j->p >= j->end || *j->p != '"' || json_value(j, out, n) ==
		    -1)
			return -1;
		json_ws(j);
		if (j->p >= j->end || *j->p++ != ':')
			return -1;
		str_append(out, n, "=");
		json_ws(j);
		if (j->p >= j->end || *j->p == '{' || *j->p == '[' ||
		    json_value(j, out, n) == -1)
			return -1;
		json_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == '}')
			break;
		return -1;
	}
	j->p++;
	json_ws(j);
	return j->p == j->end ? 0 : -1;
}

void
sasl_oauth_error(const char *json, size_t len, char *out, size_t n)
{
	struct json	 j = { json, json + len };
	char		 buf[SASL_ERR_MAX];

	buf[0] = '\0';
	if (json_object(&j, buf, sizeof(buf)) == -1)
		result_sanitise(out, n, json, len);
	else
		result_sanitise(out, n, buf, strlen(buf));
}
