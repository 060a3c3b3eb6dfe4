/*
 * oauth2_http.h - HTTPS POST and JSON for oauth2.c, and nothing else.
 *
 * The only module that includes <curl/curl.h> and <json-c/...>.  Both
 * libraries are loaded with dlopen(3) on first use, so that a send that
 * does not use OAuth2 never maps them (start-up cost, DESIGN.md 1.4).
 * They are not linked into stamp.
 *
 * HTTPS follows DESIGN.md 7: the peer and its name are always verified,
 * against the system CA store or the account's tls_trust_file; at least
 * the account's tls_min_version; no redirects; https only; the whole
 * exchange bounded by the account's timeout; a response over
 * O2_RESPONSE_MAX is an error.  Everything the provider sends is
 * untrusted.
 */
#ifndef STAMP_OAUTH2_HTTP_H
#define STAMP_OAUTH2_HTTP_H

#include <stddef.h>

struct account;
struct result;
struct o2json;

#define O2_RESPONSE_MAX	(64 * 1024)	/* bytes of one response body */
/* Bytes of one request body: a token of SECRET_MAX bytes percent-encoded
 * (3 each), and the client's id and secret, the grant type, ... */
#define O2_FORM_MAX	(3 * 16384 + 8192)

/*
 * Load libcurl (OpenSSL flavour) and json-c.  0, or -1 with EX_OSERR
 * naming the missing library.  Idempotent.
 */
int	 o2_load(struct result *);

/*
 * Append "&name=value" (no '&' when form is empty), value
 * percent-encoded, to form (size n).  -1 with EX_SOFTWARE when it does
 * not fit.
 */
int	 o2_form_add(char *form, size_t n, const char *name, const char *value,
	    struct result *);

/* Percent-decode s (len bytes) into out (size n, NUL-terminated).  -1
 * when it does not fit or holds a NUL. */
int	 o2_unescape(const char *s, size_t len, char *out, size_t n);

/*
 * POST form (application/x-www-form-urlencoded) to url for the account
 * and parse the answer as a JSON object into *json.  *status is the HTTP
 * status.  Failures: provider unreachable, timeout, 5xx, 429:
 * EX_TEMPFAIL; certificate or name verification: EX_UNAVAILABLE; body
 * too large or not a JSON object (other than for a 5xx): EX_PROTOCOL.
 * what names the request in messages ("token endpoint").  The response
 * buffer is wiped (it may hold tokens).
 */
int	 o2_post(const struct account *, const char *what, const char *url,
	    const char *form, long *status, struct o2json **json,
	    struct result *);

/*
 * Parse buf (len bytes, at most O2_RESPONSE_MAX) as exactly one JSON
 * object (nesting at most 8 deep), nothing after it.  0 and *json, or -1.
 * Needs o2_load().
 */
int	 o2_json_parse(const char *buf, size_t len, struct o2json **json);

/* The string member name, or NULL (absent, or not a string). */
const char *o2_json_str(const struct o2json *, const char *name);

/* The integer member name (a number, or a string of digits), or dflt. */
long	 o2_json_int(const struct o2json *, const char *name, long dflt);

/* Wipe every string value in the object, at any depth (keys stay). */
void	 o2_json_wipe(struct o2json *);

/* o2_json_wipe, then free.  Safe on NULL. */
void	 o2_json_free(struct o2json *);

#endif
