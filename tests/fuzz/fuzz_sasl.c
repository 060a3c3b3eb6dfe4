/*
 * fuzz_sasl.c - the SASL mechanisms (sasl.h).  sasl.c has encoders only
 * today (PLAIN and base64); there is no decoder of server challenges to
 * fuzz yet.  When one comes (LOGIN's "334 VXNlcm5hbWU6", CRAM-MD5,
 * XOAUTH2's error JSON), it belongs here.
 *
 * Input: byte 0 bit 0 says whether there is an authzid; the rest, split
 * at the first NUL bytes, is authzid (if any), user, then the password,
 * which is the whole rest and may hold NUL bytes itself.
 *
 * Checks: sasl_b64 of the whole input decodes back to it (or refuses
 * more than its limit with EX_DATAERR); sasl_plain refuses a password
 * with a NUL byte and an over-long response (EX_CONFIG), else its
 * response is base64 of authzid NUL user NUL password, exactly.
 */
#include <sysexits.h>

#include "fuzz.h"
#include "result.h"
#include "sasl.h"

static int
b64_val(char c)
{
	static const char set[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c != '\0' ? strchr(set, c) : NULL;

	return p != NULL ? (int)(p - set) : -1;
}

/* Strict base64 (RFC 4648 4, padded) back to bytes; -1 if malformed. */
static ssize_t
b64_decode(const char *s, char *out)
{
	size_t	 i, n = strlen(s), o = 0;
	int	 v[4], k, pad;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		pad = 0;
		for (k = 0; k < 4; k++) {
			if (s[i + k] == '=' && k >= 2 && i + 4 == n) {
				v[k] = 0;
				pad++;
			} else if (pad > 0 || (v[k] = b64_val(s[i + k])) < 0)
				return -1;
		}
		out[o++] = (char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (char)(v[1] << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (char)(v[2] << 6 | v[3]);
	}
	return (ssize_t)o;
}

static void
check_b64(const char *in, size_t n)
{
	struct result	 res;
	char		*enc, *dec;
	ssize_t		 d;

	memset(&res, 0, sizeof(res));
	if ((enc = sasl_b64(in, n, &res)) == NULL) {
		fuzz_check(res.exitcode == EX_DATAERR && n > 16 * 1024,
		    "sasl_b64 refuses only what is too long");
		return;
	}
	fuzz_check((dec = malloc(strlen(enc) + 1)) != NULL, "memory");
	d = b64_decode(enc, dec);
	fuzz_check(d >= 0 && (size_t)d == n && memcmp(dec, in, n) == 0,
	    "sasl_b64 decodes to its input");
	free(dec);
	sasl_wipe(enc);
}

static void
check_plain(const char *authzid, const char *user, const char *pass,
    size_t passlen)
{
	struct result	 res;
	char		*enc, *dec, *want;
	size_t		 zlen = authzid != NULL ? strlen(authzid) : 0;
	size_t		 ulen = strlen(user), n = zlen + 1 + ulen + 1 + passlen;
	ssize_t		 d;

	memset(&res, 0, sizeof(res));
	enc = sasl_plain(authzid, user, pass, passlen, &res);
	if (memchr(pass, '\0', passlen) != NULL) {
		fuzz_check(enc == NULL && res.exitcode == EX_CONFIG,
		    "a NUL in the password is refused");
		return;
	}
	if (enc == NULL) {
		fuzz_check(res.exitcode == EX_CONFIG && n > 16 * 1024,
		    "sasl_plain refuses only what is too long");
		return;
	}
	fuzz_check((want = malloc(n)) != NULL, "memory");
	memcpy(want, authzid != NULL ? authzid : "", zlen);
	want[zlen] = '\0';
	memcpy(want + zlen + 1, user, ulen);
	want[zlen + 1 + ulen] = '\0';
	memcpy(want + zlen + 1 + ulen + 1, pass, passlen);
	fuzz_check((dec = malloc(strlen(enc) + 1)) != NULL, "memory");
	d = b64_decode(enc, dec);
	fuzz_check(d >= 0 && (size_t)d == n && memcmp(dec, want, n) == 0,
	    "PLAIN is authzid NUL user NUL password");
	free(dec);
	free(want);
	sasl_wipe(enc);
}

/* The next NUL-terminated field at *pos of copy (len bytes + NUL). */
static char *
field(char *copy, size_t len, size_t *pos)
{
	char	*f = copy + (*pos < len ? *pos : len);

	*pos = (size_t)(f - copy) + strlen(f) + 1;
	return f;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*copy, *authzid = NULL, *user, *pass;
	size_t		 len, pos = 0;

	if (size < 1)
		return 0;
	len = size - 1;
	check_b64((const char *)data + 1, len);
	copy = fuzz_strndup(data + 1, len);
	if (data[0] & 1)
		authzid = field(copy, len, &pos);
	user = field(copy, len, &pos);
	pass = copy + (pos < len ? pos : len);
	check_plain(authzid, user, pass, len - (size_t)(pass - copy));
	free(copy);
	return 0;
}
