/*
 * sasl.h - SASL mechanisms as pure functions (no sockets): the client
 * side of PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195), DIGEST-MD5 (RFC
 * 2831, legacy), SCRAM-SHA-1/256 and their -PLUS variants (RFC 5802,
 * 7677, channel binding RFC 5929 / 9266), XOAUTH2, OAUTHBEARER (RFC
 * 7628) and EXTERNAL (RFC 4422 appendix A).
 *
 * Every exchange goes through one struct sasl: sasl_start gives the
 * initial response (if the mechanism has one), sasl_step turns each
 * server challenge into the next response, and sasl_done says, once the
 * server has said yes, whether the server has proven itself (SCRAM's
 * v=, DIGEST-MD5's rspauth).  Challenges and responses are base64 text,
 * as they travel in SMTP (RFC 4954 4).
 *
 * Server challenges are untrusted: a malformed one is EX_PROTOCOL, a
 * server whose signature is wrong (or missing) EX_UNAVAILABLE, a SCRAM
 * "e=" error EX_NOPERM; every message starts with "AUTH MECH: ".
 * Responses hold secrets: callers wipe them with sasl_wipe; sasl_free
 * wipes the context.  Passwords are used as the UTF-8 bytes given, without
 * SASLprep (RFC 4013) normalisation.
 */
#ifndef STAMP_SASL_H
#define STAMP_SASL_H

#include <stddef.h>

struct result;

#define SASL_CB_MAX	64	/* channel binding data (a SHA-512 hash) */
#define SASL_ERR_MAX	256	/* an OAuth error, decoded, for messages */

enum sasl_mech {
	SASL_NONE, SASL_PLAIN, SASL_LOGIN, SASL_CRAM_MD5, SASL_DIGEST_MD5,
	SASL_SCRAM_SHA1, SASL_SCRAM_SHA256, SASL_SCRAM_SHA1_PLUS,
	SASL_SCRAM_SHA256_PLUS, SASL_XOAUTH2, SASL_OAUTHBEARER,
	SASL_EXTERNAL, SASL_NMECH
};

/* "SCRAM-SHA-256" for SASL_SCRAM_SHA256; NULL for SASL_NONE. */
const char *sasl_name(enum sasl_mech);

/* The mechanism named by the len bytes of name (any case), or SASL_NONE. */
enum sasl_mech sasl_lookup(const char *name, size_t len);

/* 1 for the -PLUS mechanisms, which need channel binding data. */
int	 sasl_is_plus(enum sasl_mech);

/*
 * What a mechanism needs.  Strings are borrowed and must outlive the
 * struct sasl.  pass is the password, or the OAuth 2.0 access token for
 * XOAUTH2 and OAUTHBEARER; EXTERNAL uses neither user nor pass.  host and
 * port: DIGEST-MD5's digest-uri ("service/host") and OAUTHBEARER's host= and
 * port=.  cb_type and cb ("tls-exporter", "tls-unique" or
 * "tls-server-end-point" and its data) are required by the -PLUS
 * mechanisms.  server_plus makes plain SCRAM's gs2 flag "n" instead of
 * "y" (RFC 5802 6): set it when the server offers a -PLUS variant too,
 * or when this connection has no binding to offer.
 */
struct sasl_cred {
	const char		*authzid;	/* or NULL */
	const char		*user;
	const char		*pass;
	size_t			 passlen;
	const char		*host;
	int			 port;
	const char		*service;	/* "smtp" if NULL */
	const char		*cb_type;
	const unsigned char	*cb;
	size_t			 cblen;
	int			 server_plus;
};

struct sasl;

/* A context for one exchange, or NULL (EX_OSERR, or EX_CONFIG when the
 * credentials cannot be carried: a NUL byte, a missing channel binding). */
struct sasl *sasl_new(enum sasl_mech, const struct sasl_cred *,
	    struct result *);

/*
 * The initial response (RFC 4954 4), base64 in *out (malloc'd; "" for an
 * empty one, which SMTP sends as "="): 1.  0 when the mechanism has none
 * (LOGIN, CRAM-MD5, DIGEST-MD5).  -1 on error.
 */
int	 sasl_start(struct sasl *, char **out, struct result *);

/*
 * The response to one server challenge (the base64 text of a 334 reply,
 * untrusted) in *out, malloc'd base64.  0, or -1 as above.
 */
int	 sasl_step(struct sasl *, const char *challenge, char **out,
	    struct result *);

/*
 * After the server said yes (235): 0 when that completes the exchange;
 * -1 (EX_UNAVAILABLE) when the mechanism requires the server's proof
 * (SCRAM: v=) and it has not been given and verified.
 */
int	 sasl_done(struct sasl *, struct result *);

/*
 * An error the server explained in a challenge (XOAUTH2 and OAUTHBEARER
 * send JSON, RFC 7628 3.2.2), decoded and sanitised: "status=401
 * schemes=Bearer scope=..."; "" if none.
 */
const char *sasl_error(const struct sasl *);

/* Tests only: use this client nonce instead of a random one. */
int	 sasl_set_nonce(struct sasl *, const char *, struct result *);

/* Wipe and free (NULL is fine). */
void	 sasl_free(struct sasl *);

/* base64 of len bytes, malloc'd, NUL-terminated (OpenSSL EVP). */
char	*sasl_b64(const char *in, size_t len, struct result *);

/*
 * Strict base64 (RFC 4648 4, padding required, no spaces) of len bytes
 * into out (room for 3 * len / 4 + 1 bytes, NUL-terminated): the
 * length, or -1.
 */
int	 sasl_unb64(const char *in, size_t len, char *out);

/*
 * PLAIN (RFC 4616): base64("authzid" NUL "user" NUL "pass"); authzid
 * may be NULL.  NUL bytes inside user or password are refused.
 */
char	*sasl_plain(const char *authzid, const char *user, const char *pass,
	    size_t passlen, struct result *);

/*
 * The flat JSON object of an OAuth error ({"status":"401",...}) as
 * "status=401 schemes=Bearer ..." into out (n bytes, sanitised); the
 * text itself, sanitised, when it is not such an object.
 */
void	 sasl_oauth_error(const char *json, size_t len, char *out, size_t n);

/* explicit_bzero and free a NUL-terminated response. */
void	 sasl_wipe(char *);

#endif
