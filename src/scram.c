/*
 * scram.c - SCRAM-SHA-1, SCRAM-SHA-256 and their -PLUS variants (RFC
 * 5802, 7677; channel binding RFC 5929, 9266), client side.  The server
 * must prove that it knows the password (v=, RFC 5802 3): a wrong or
 * missing signature is refused, however happy the server says it is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "result.h"
#include "sasl.h"
#include "sasl_impl.h"
#include "util.h"

#define SCRAM_ITER_MAX	1000000	/* PBKDF2 rounds we accept: RFC 7677
				   asks for 4096 at least; more is a
				   server making us spin */
#define SCRAM_SALT_MAX	256	/* bytes */
#define SCRAM_MSG_MAX	(4 * 1024)

/* The gs2 header (RFC 5802 7): p=type, or n / y, and the authzid. */
static int
gs2_header(struct sasl *s, struct result *res)
{
	char	 name[SASL_GS2_MAX], hdr[SASL_GS2_MAX + 64];
	const char *flag = sasl_is_plus(s->mech) ? "p=" : s->c.server_plus ?
	    "n" : "y";

	name[0] = '\0';
	if (s->c.authzid != NULL && sasl_saslname(s->c.authzid, name,
	    sizeof(name)) == -1)
		return result_fail(res, EX_CONFIG, "authzid too long");
	snprintf(hdr, sizeof(hdr), "%s%s,%s%s,", flag,
	    sasl_is_plus(s->mech) ? s->c.cb_type : "",
	    s->c.authzid != NULL ? "a=" : "", name);
	return (s->gs2 = xstrdup(hdr, res)) == NULL ? -1 : 0;
}

int
scram_start(struct sasl *s, char **out, struct result *res)
{
	char	 name[SASL_GS2_MAX], msg[SCRAM_MSG_MAX];
	int	 n;

	if (sasl_saslname(s->c.user, name, sizeof(name)) == -1)
		return result_fail(res, EX_CONFIG, "user name too long");
	if (sasl_make_nonce(s, res) == -1 || gs2_header(s, res) == -1)
		return -1;
	n = snprintf(msg, sizeof(msg), "n=%s,r=%s", name, s->nonce);
	if (n < 0 || (size_t)n >= sizeof(msg) ||
	    (s->bare = xstrdup(msg, res)) == NULL)
		return result_fail(res, EX_CONFIG, "user name too long");
	n = snprintf(msg, sizeof(msg), "%s%s", s->gs2, s->bare);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return result_fail(res, EX_CONFIG, "authzid too long");
	return (*out = sasl_b64(msg, (size_t)n, res)) != NULL ? 1 : -1;
}

/* server-first-message (RFC 5802 7), parsed in place. */
struct first {
	const char	*nonce;
	unsigned char	 salt[SCRAM_SALT_MAX];
	int		 saltlen;
	long		 iter;
};

/* The next "x=value" attribute of msg at *p, NUL-terminated in place. */
static char *
attr(char **p, char name)
{
	char	*v = *p, *comma;

	if (v == NULL || v[0] != name || v[1] != '=')
		return NULL;
	if ((comma = strchr(v, ',')) != NULL) {
		*comma = '\0';
		*p = comma + 1;
	} else
		*p = NULL;
	return v + 2;
}

static int
parse_first(struct sasl *s, char *msg, struct first *f, struct result *res)
{
	char	*p = msg, *salt, *iter, *end;

	if (msg[0] == 'm' && msg[1] == '=')
		return sasl_fail(s, res, EX_UNAVAILABLE, "the server requires "
		    "an extension we do not know (m=)");
	if ((f->nonce = attr(&p, 'r')) == NULL || (salt = attr(&p, 's')) ==
	    NULL || (iter = attr(&p, 'i')) == NULL)
		return sasl_fail(s, res, EX_PROTOCOL, "malformed server-first "
		    "message");
	/* Our nonce, then the server's part (RFC 5802 5.1 r=). */
	if (strncmp(f->nonce, s->nonce, strlen(s->nonce)) != 0 ||
	    strlen(f->nonce) == strlen(s->nonce) ||
	    strspn(f->nonce, "!\"#$%&'()*+-./0123456789:;<=>?@ABCDEFGHIJKLM"
	    "NOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~") !=
	    strlen(f->nonce))
		return sasl_fail(s, res, EX_PROTOCOL, "the server's nonce does "
		    "not extend ours");
	if (strlen(salt) > SCRAM_SALT_MAX || (f->saltlen = sasl_unb64(salt,
	    strlen(salt), (char *)f->salt)) <= 0)
		return sasl_fail(s, res, EX_PROTOCOL, "bad salt");
	f->iter = strtol(iter, &end, 10);
	if (iter[0] < '1' || iter[0] > '9' || *end != '\0' || f->iter < 1 ||
	    f->iter > SCRAM_ITER_MAX)
		return sasl_fail(s, res, EX_PROTOCOL, "bad iteration count "
		    "(1 to %d)", SCRAM_ITER_MAX);
	return 0;
}

/* c=: base64 of the gs2 header, and for -PLUS the binding data. */
static int
cbind(struct sasl *s, char *out, size_t n)
{
	unsigned char	 in[SASL_GS2_MAX + SASL_CB_MAX];
	size_t		 hl = strlen(s->gs2), cl = 0;

	if (sasl_is_plus(s->mech))
		cl = s->c.cblen;
	if (hl + cl > sizeof(in) || B64_LEN(hl + cl) > n)
		return -1;
	memcpy(in, s->gs2, hl);
	if (cl > 0)
		memcpy(in + hl, s->c.cb, cl);
	b64_encode(in, hl + cl, out);
	return 0;
}

static int
hmac(const EVP_MD *md, const void *key, size_t klen, const void *d,
    size_t dlen, unsigned char *out)
{
	unsigned int	 n;

	return HMAC(md, key, (int)klen, d, dlen, out, &n) == NULL ? -1 : 0;
}

/* Proof and server signature (RFC 5802 3) for auth message am. */
static int
keys(struct sasl *s, const struct first *f, const char *am,
    unsigned char *proof, struct result *res)
{
	unsigned char	 salted[EVP_MAX_MD_SIZE], ckey[EVP_MAX_MD_SIZE];
	unsigned char	 stored[EVP_MAX_MD_SIZE], skey[EVP_MAX_MD_SIZE];
	unsigned char	 csig[EVP_MAX_MD_SIZE];
	size_t		 h = (size_t)EVP_MD_get_size(s->md), i, al = strlen(am);
	int		 r = -1;

	if (PKCS5_PBKDF2_HMAC(s->c.pass, (int)s->c.passlen, f->salt,
	    f->saltlen, (int)f->iter, s->md, (int)h, salted) != 1 ||
	    hmac(s->md, salted, h, "Client Key", 10, ckey) == -1 ||
	    EVP_Digest(ckey, h, stored, NULL, s->md, NULL) != 1 ||
	    hmac(s->md, stored, h, am, al, csig) == -1 ||
	    hmac(s->md, salted, h, "Server Key", 10, skey) == -1 ||
	    hmac(s->md, skey, h, am, al, s->server_sig) == -1) {
		result_fail(res, EX_SOFTWARE, "SCRAM: OpenSSL failed");
		goto out;
	}
	for (i = 0; i < h; i++)
		proof[i] = ckey[i] ^ csig[i];
	r = 0;
out:
	explicit_bzero(salted, sizeof(salted));
	explicit_bzero(ckey, sizeof(ckey));
	explicit_bzero(stored, sizeof(stored));
	explicit_bzero(skey, sizeof(skey));
	explicit_bzero(csig, sizeof(csig));
	return r;
}

/* server-first -> client-final-message. */
static int
client_final(struct sasl *s, const char *ch, char **out, struct result *res)
{
	char		 msg[SCRAM_MSG_MAX], copy[SCRAM_MSG_MAX];
	char		 c[B64_LEN(SASL_GS2_MAX + SASL_CB_MAX)];
	char		 am[3 * SCRAM_MSG_MAX], p64[B64_LEN(EVP_MAX_MD_SIZE)];
	unsigned char	 proof[EVP_MAX_MD_SIZE];
	struct first	 f;
	int		 n, r = -1;

	if (strlen(ch) >= sizeof(copy))
		return sasl_fail(s, res, EX_PROTOCOL, "server-first message "
		    "too long");
	str_copy(copy, sizeof(copy), ch);
	if (parse_first(s, copy, &f, res) == -1)
		return -1;
	if (cbind(s, c, sizeof(c)) == -1)
		return result_fail(res, EX_SOFTWARE, "SCRAM: c= too long");
	n = snprintf(msg, sizeof(msg), "c=%s,r=%s", c, f.nonce);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return sasl_fail(s, res, EX_PROTOCOL, "nonce too long");
	snprintf(am, sizeof(am), "%s,%s,%s", s->bare, ch, msg);
	if (keys(s, &f, am, proof, res) == -1)
		goto out;
	b64_encode(proof, (size_t)EVP_MD_get_size(s->md), p64);
	str_append(msg, sizeof(msg), ",p=");
	str_append(msg, sizeof(msg), p64);
	*out = sasl_b64(msg, strlen(msg), res);
	r = *out != NULL ? 0 : -1;
out:
	explicit_bzero(proof, sizeof(proof));
	explicit_bzero(p64, sizeof(p64));
	explicit_bzero(msg, sizeof(msg));
	return r;
}

/* server-final-message: v= must be the signature we expect. */
static int
verify_final(struct sasl *s, const char *ch, size_t len, char **out,
    struct result *res)
{
	char	 v[SCRAM_MSG_MAX];
	size_t	 h = (size_t)EVP_MD_get_size(s->md);
	int	 n;

	if (len > 2 && strncmp(ch, "e=", 2) == 0)
		return sasl_fail(s, res, EX_NOPERM, "the server refused: %.*s",
		    (int)(len - 2 > 200 ? 200 : len - 2), ch + 2);
	if (len < 2 || strncmp(ch, "v=", 2) != 0 || len - 2 >= sizeof(v) / 2)
		return sasl_fail(s, res, EX_PROTOCOL, "malformed server-final "
		    "message");
	/* Extensions may follow (RFC 5802 7): v= ends at the first ','. */
	n = sasl_unb64(ch + 2, strcspn(ch + 2, ","), v);
	if (n < 0 || (size_t)n != h || CRYPTO_memcmp(v, s->server_sig, h) != 0)
		return sasl_fail(s, res, EX_UNAVAILABLE, "the server's "
		    "signature is wrong: it does not know the password, or "
		    "someone is in the middle; refusing it");
	s->proven = 1;
	return (*out = sasl_b64("", 0, res)) != NULL ? 0 : -1;
}

int
scram_step(struct sasl *s, const char *ch, size_t len, char **out,
    struct result *res)
{
	if (s->bare == NULL)
		return result_fail(res, EX_SOFTWARE, "SCRAM step before start");
	if (memchr(ch, '\0', len) != NULL)
		return sasl_fail(s, res, EX_PROTOCOL, "NUL in the challenge");
	if (s->step == 0) {
		/* A server that fails at once says e= here too. */
		if (len > 2 && strncmp(ch, "e=", 2) == 0)
			return verify_final(s, ch, len, out, res);
		return client_final(s, ch, out, res);
	}
	return verify_final(s, ch, len, out, res);
}
