/*
 * oauth2_impl.h - what oauth2.c shares with oauth2_flow.c.
 */
#ifndef STAMP_OAUTH2_IMPL_H
#define STAMP_OAUTH2_IMPL_H

#include "secret.h"

struct account;
struct result;

#define O2_ERROR_MAX	64	/* an OAuth "error" code we keep */
#define O2_EXPIRES_DEFAULT 3600	/* when the provider gives no expires_in */

/* A token response (RFC 6749 5.1). */
struct o2grant {
	struct secret	 access;
	struct secret	 refresh;	/* buf NULL: none returned */
	long		 expires_in;
};

#define O2_HIDE_MAX	4	/* secrets one request sends */

/*
 * POST form to the token endpoint.  0 and g filled; or -1 with res
 * set and the OAuth error code (RFC 6749 5.2; "" if none) in err, so
 * that the device flow can tell authorization_pending and slow_down.
 * hide: the secrets the form carries (NULL-terminated, at most
 * O2_HIDE_MAX; the client secret is added): a provider that echoes one
 * in its error has it masked in err and in the message.
 */
int	 o2_token_request(const struct account *, const char *form,
	    const char *const *hide, struct o2grant *g,
	    char err[O2_ERROR_MAX], struct result *);

/* Overwrite every occurrence of secret (if not empty) in s with '*'. */
void	 o2_mask(char *s, const char *secret);

/* Start a form with client_id (and client_secret when there is one). */
int	 o2_form_client(const struct account *, char *form, size_t n,
	    struct result *);

/* Store the grant: the refresh token (when g has one) and the access
 * token with its expiry.  0 or -1. */
int	 o2_store_grant(const struct account *, const struct o2grant *,
	    struct result *);

void	 o2_grant_wipe(struct o2grant *);

/* RFC 7636 4.2: S256 = BASE64URL(SHA256(ASCII(verifier))), no padding,
 * into out (at least B64_LEN(32) = 45 bytes: b64_encode writes the
 * padding and a NUL before the padding is cut).  0 or -1. */
int	 o2_pkce_challenge(const char *verifier, char *out, struct result *);

/* The value of name in the query string q (which ends at a NUL or a
 * space), percent-decoded into out (size n).  0, or -1 when absent or
 * too long. */
int	 o2_query_param(const char *q, const char *name, char *out, size_t n);

#define O2_CODE_MAX	512	/* an authorization code, device or user code */

enum o2_redirect {
	O2_REDIRECT_OK,		/* code filled */
	O2_REDIRECT_NOT_GET,	/* not "GET /...?query" */
	O2_REDIRECT_STATE,	/* no state, or not exactly ours */
	O2_REDIRECT_ERROR,	/* the provider's error code in err */
	O2_REDIRECT_NO_CODE
};

/*
 * The loopback redirect's request head req (NUL-terminated; untrusted:
 * any local process may connect first), checked against our state:
 * an enum o2_redirect.  code (O2_CODE_MAX bytes) and err are
 * percent-decoded and NUL-free, not sanitised for a terminal.
 */
int	 o2_redirect_parse(const char *req, const char *state, char *code,
	    char err[O2_ERROR_MAX]);

/* The device grant (RFC 8628), the code flow with PKCE (RFC 7636). */
int	 o2_device_flow(const struct account *, struct o2grant *,
	    struct result *);
int	 o2_code_flow(const struct account *, struct o2grant *,
	    struct result *);

#endif
