/*
 * fuzz_sasl.c - the SASL mechanisms (sasl.h): what the server sends them
 * is untrusted (SCRAM's server-first and server-final messages, CRAM-MD5
 * and DIGEST-MD5 challenges, OAuth error JSON), and the encoders.
 *
 * Input: bits 1-2 of byte 0 pick the part.
 *   0: encoders.  Bit 0 says whether there is an authzid; the rest, split
 *      at the first NUL bytes, is authzid (if any), user, then the
 *      password, which is the whole rest and may hold NUL bytes itself.
 *   1: an exchange.  Byte 1 picks the mechanism; the rest, split at '\n',
 *      is up to four server challenges (raw: the target base64s them),
 *      each answered with sasl_step, then sasl_done.
 *   2: the OAuth error JSON decoder, on the rest.
 *   3: sasl_unb64 on the rest.
 *
 * Checks: sasl_b64 of the whole input decodes back to it (or refuses
 * more than its limit with EX_DATAERR); sasl_plain refuses a password
 * with a NUL byte and an over-long response (EX_CONFIG), else its
 * response is base64 of authzid NUL user NUL password, exactly.  Every
 * step either answers with strict base64 or fails with EX_PROTOCOL,
 * EX_UNAVAILABLE or EX_NOPERM and a message naming the mechanism;
 * sasl_done succeeds for SCRAM and DIGEST-MD5 only after a verified
 * proof, which random challenges cannot give.  The JSON decoder's output
 * is printable and bounded; sasl_unb64 agrees with the local decoder.
 * SCRAM iteration counts between 10000 and the module's limit are
 * skipped: they are legal, only slow.
 */
#include <sysexits.h>

#include "fuzz.h"
#include "result.h"
#include "sasl.h"

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
	d = fuzz_b64_decode(enc, strlen(enc), dec);
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
	d = fuzz_b64_decode(enc, strlen(enc), dec);
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

static void
check_response(const char *out)
{
	char	*dec;

	fuzz_check(out != NULL, "a step that succeeds has a response");
	fuzz_check((dec = malloc(strlen(out) + 1)) != NULL, "memory");
	fuzz_check(fuzz_b64_decode(out, strlen(out), dec) >= 0, "responses are base64");
	free(dec);
}

static void
check_failure(const struct result *res, enum sasl_mech m)
{
	char	 want[64];

	fuzz_check(res->exitcode == EX_PROTOCOL ||
	    res->exitcode == EX_UNAVAILABLE || res->exitcode == EX_NOPERM,
	    "a bad challenge is EX_PROTOCOL, EX_UNAVAILABLE or EX_NOPERM");
	snprintf(want, sizeof(want), "AUTH %s: ", sasl_name(m));
	fuzz_check(strncmp(res->msg, want, strlen(want)) == 0,
	    "the message names the mechanism");
}

/* PBKDF2 rounds that are legal but make the fuzzer crawl. */
static int
slow(const char *p, size_t n)
{
	const char	*i, *end = p + n;
	long		 v;

	for (i = p; (i = memmem(i, (size_t)(end - i), "i=", 2)) != NULL;) {
		for (i += 2, v = 0; i < end && *i >= '0' && *i <= '9'; i++)
			if ((v = v * 10 + (*i - '0')) > 10000)
				return 1;
	}
	return 0;
}

static void
check_exchange(const uint8_t *data, size_t size)
{
	static const unsigned char cb[32] = { 1 };
	struct sasl_cred c = { .user = "user", .pass = "pencil", .passlen = 6,
	    .host = "mx.test", .port = 587, .cb_type = "tls-exporter",
	    .cb = cb, .cblen = sizeof(cb) };
	struct result	 res;
	struct sasl	*s;
	enum sasl_mech	 m;
	const char	*p, *end, *nl;
	char		*out, *ch;
	int		 i, r = 0;

	if (size < 1 || slow((const char *)data + 1, size - 1))
		return;
	m = (enum sasl_mech)(1 + data[0] % (SASL_NMECH - 1));
	memset(&res, 0, sizeof(res));
	c.authzid = data[0] & 0x80 ? "admin" : NULL;
	fuzz_check((s = sasl_new(m, &c, &res)) != NULL, "sasl_new");
	fuzz_check(sasl_start(s, &out, &res) >= 0, "sasl_start");
	free(out);
	p = (const char *)data + 1;
	end = (const char *)data + size;
	for (i = 0; i < 4 && p <= end && r == 0; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		ch = sasl_b64(p, (size_t)(nl - p), &res);
		fuzz_check(ch != NULL, "challenge too long for the target");
		if ((r = sasl_step(s, ch, &out, &res)) == 0)
			check_response(out);
		else
			check_failure(&res, m);
		free(ch);
		sasl_wipe(out);
		p = nl + 1;
	}
	if (r == 0 && (m == SASL_DIGEST_MD5 || (m >= SASL_SCRAM_SHA1 &&
	    m <= SASL_SCRAM_SHA256_PLUS)))
		fuzz_check(sasl_done(s, &res) == -1, "no proof from noise");
	sasl_free(s);
}

static void
check_json(const uint8_t *data, size_t size)
{
	char	 out[64];
	size_t	 i;

	memset(out, 'x', sizeof(out));
	sasl_oauth_error((const char *)data, size, out, sizeof(out));
	fuzz_check(memchr(out, '\0', sizeof(out)) != NULL, "NUL-terminated");
	for (i = 0; out[i] != '\0'; i++)
		fuzz_check(out[i] >= 0x20 && out[i] < 0x7f, "printable");
}

static void
check_unb64(const uint8_t *data, size_t size)
{
	char	*in = fuzz_strndup(data, size), *a, *b;
	int	 n;
	ssize_t	 m;

	a = malloc(size + 1);
	b = malloc(size + 1);
	fuzz_check(a != NULL && b != NULL, "memory");
	n = sasl_unb64(in, strlen(in), a);
	m = fuzz_b64_decode(in, strlen(in), b);
	fuzz_check((n < 0) == (m < 0), "strict base64: both agree");
	if (n >= 0)
		fuzz_check(n == m && memcmp(a, b, (size_t)n) == 0,
		    "same bytes");
	free(a);
	free(b);
	free(in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*copy, *authzid = NULL, *user, *pass;
	size_t		 len, pos = 0;

	if (size < 1)
		return 0;
	switch ((data[0] >> 1) & 3) {
	case 1:
		check_exchange(data + 1, size - 1);
		return 0;
	case 2:
		check_json(data + 1, size - 1);
		return 0;
	case 3:
		check_unb64(data + 1, size - 1);
		return 0;
	}
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
