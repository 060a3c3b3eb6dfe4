/*
 * sasl.h - SASL mechanisms as pure functions (no sockets).  Responses
 * hold secrets: callers wipe them with sasl_wipe.
 */
#ifndef STAMP_SASL_H
#define STAMP_SASL_H

#include <stddef.h>

struct result;

/* base64 of len bytes, malloc'd, NUL-terminated (OpenSSL EVP). */
char	*sasl_b64(const char *in, size_t len, struct result *);

/*
 * PLAIN (RFC 4616): base64("authzid" NUL "user" NUL "pass"); authzid
 * may be NULL.  NUL bytes inside user or password are refused.
 */
char	*sasl_plain(const char *authzid, const char *user, const char *pass,
	    size_t passlen, struct result *);

/* explicit_bzero and free a NUL-terminated response. */
void	 sasl_wipe(char *);

#endif
