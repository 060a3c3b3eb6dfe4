/*
 * oauth2.h - OAuth2 access tokens for XOAUTH2 and OAUTHBEARER.
 *
 * For an account with oauth2_provider (config.h).  The grant lives in
 * the Secret Service, never in a file: a refresh token item and an
 * access token item (with its expiry), whose attributes
 * (service=stamp-oauth2, kind, user, oauth2_endpoint, client_id) cannot
 * match the password entry (host, service=smtp, user).  All HTTP and
 * JSON is oauth2_http.h's, loaded only when a token must be fetched.
 *
 * Exit statuses: no grant stored: EX_CONFIG; the grant revoked or
 * invalid (invalid_grant), the user refused (access_denied): EX_NOPERM,
 * the message naming "stamp --oauth2-authorize ACCOUNT"; the provider
 * unreachable, timing out, or answering 5xx: EX_TEMPFAIL (the queue
 * retries); its certificate unverifiable: EX_UNAVAILABLE; an answer
 * that makes no sense: EX_PROTOCOL.
 */
#ifndef STAMP_OAUTH2_H
#define STAMP_OAUTH2_H

struct account;
struct result;
struct secret;

#define OAUTH2_MARGIN	60	/* seconds: a token this close to its
				   expiry is refreshed first */

/* Does the account take its token from OAuth2 (oauth2_provider set)? */
int	 oauth2_enabled(const struct account *);

/*
 * The access token for a send into s (secret.h; the caller wipes it):
 * the cached one while it has more than OAUTH2_MARGIN seconds left,
 * else a new one from the refresh token, stored back with its expiry
 * (and the refresh token when the provider rotates it).  0 or -1.
 */
int	 oauth2_token(const struct account *, struct secret *s,
	    struct result *);

/*
 * The server refused the access token (EX_NOPERM at AUTH): drop the
 * cached one, so that the next send asks the provider for a new one
 * instead of offering the same token until it expires.  Best effort.
 */
void	 oauth2_refused(const struct account *);

/*
 * --oauth2-authorize: obtain the first grant and store it.  The device
 * grant (RFC 8628) when the account has a device endpoint and its
 * oauth2_flow is not "code"; else the authorization code with PKCE
 * (RFC 7636, S256) and a loopback redirect (RFC 8252) on 127.0.0.1.
 * What the user must open is printed on stdout.  0 or -1.
 */
int	 oauth2_authorize(const struct account *, struct result *);

#endif
