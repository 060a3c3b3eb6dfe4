/*
 * sasl.c - SASL mechanisms.  Crypto and encodings come from OpenSSL.
 */
#include <stdlib.h>
#include <string.h>

#include "result.h"
#include "sasl.h"
#include "util.h"

#define SASL_IN_MAX	(16 * 1024)	/* longest response before base64 */

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

void
sasl_wipe(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}
