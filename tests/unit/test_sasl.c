/*
 * test_sasl.c - every mechanism against its RFC's test vectors (RFC 4616,
 * 2195, 2831, 5802, 7677, 7628) and the two published exchanges of issue
 * 7 (IndiMail CRAM-MD5, Verizon PLAIN); hostile challenges.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "result.h"
#include "sasl.h"
#include "util.h"

static struct result res;

/* base64 of a C string (the vectors are text). */
static char *
b64(const char *s)
{
	char	*out = sasl_b64(s, strlen(s), &res);

	assert_non_null(out);
	return out;
}

/* Decoded response, for comparing with the RFC's text. */
static char *
unb64(const char *s)
{
	char	*out = malloc(strlen(s) + 1);
	int	 n;

	assert_non_null(out);
	n = sasl_unb64(s, strlen(s), out);
	assert_true(n >= 0);
	return out;
}

static struct sasl *
mk(enum sasl_mech m, const char *user, const char *pass, const char *nonce)
{
	struct sasl_cred c = { .user = user, .pass = pass,
	    .passlen = pass ? strlen(pass) : 0, .server_plus = 1 };
	struct sasl	*s;

	memset(&res, 0, sizeof(res));
	s = sasl_new(m, &c, &res);
	assert_non_null(s);
	if (nonce != NULL)
		assert_int_equal(sasl_set_nonce(s, nonce, &res), 0);
	return s;
}

/* One step: challenge text (plain) -> response text (plain). */
static void
step_is(struct sasl *s, const char *challenge, const char *want)
{
	char	*ch = b64(challenge), *out, *got;

	assert_int_equal(sasl_step(s, ch, &out, &res), 0);
	got = unb64(out);
	assert_string_equal(got, want);
	free(got);
	free(out);
	free(ch);
}

static void
test_names(void **state)
{
	(void)state;
	assert_int_equal(sasl_lookup("scram-sha-256-plus", 18),
	    SASL_SCRAM_SHA256_PLUS);
	assert_int_equal(sasl_lookup("CRAM-MD5 LOGIN", 8), SASL_CRAM_MD5);
	assert_int_equal(sasl_lookup("GSSAPI", 6), SASL_NONE);
	assert_string_equal(sasl_name(SASL_XOAUTH2), "XOAUTH2");
	assert_null(sasl_name(SASL_NONE));
	assert_true(sasl_is_plus(SASL_SCRAM_SHA1_PLUS));
	assert_false(sasl_is_plus(SASL_SCRAM_SHA1));
}

/* RFC 4616 4 examples, with and without authzid; Verizon's example. */
static void
test_plain(void **state)
{
	struct sasl	*s;
	struct sasl_cred c = { .authzid = "Ursel", .user = "Kurt",
	    .pass = "xipj3plmq", .passlen = 9 };
	char		*out;

	(void)state;
	memset(&res, 0, sizeof(res));
	s = sasl_new(SASL_PLAIN, &c, &res);
	assert_int_equal(sasl_start(s, &out, &res), 1);
	assert_string_equal(out, "VXJzZWwAS3VydAB4aXBqM3BsbXE=");
	free(out);
	assert_int_equal(sasl_done(s, &res), 0);
	sasl_free(s);

	s = mk(SASL_PLAIN, "tim", "tanstaaftanstaaf", NULL);
	assert_int_equal(sasl_start(s, &out, &res), 1);
	assert_string_equal(out, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	free(out);
	sasl_free(s);

	s = mk(SASL_PLAIN, "jdoe@verizon.net", "YOURPASS", NULL);
	assert_int_equal(sasl_start(s, &out, &res), 1);
	assert_string_equal(out, "AGpkb2VAdmVyaXpvbi5uZXQAWU9VUlBBU1M=");
	free(out);
	sasl_free(s);
}

static void
test_login(void **state)
{
	struct sasl	*s = mk(SASL_LOGIN, "joe", "pw", NULL);
	char		*out, *ch = b64("Username:");

	(void)state;
	assert_int_equal(sasl_start(s, &out, &res), 0);
	step_is(s, "Username:", "joe");
	step_is(s, "Password:", "pw");
	/* A third challenge is not LOGIN. */
	assert_int_equal(sasl_step(s, ch, &out, &res), -1);
	assert_int_equal(res.exitcode, EX_PROTOCOL);
	free(ch);
	sasl_free(s);
}

/* RFC 2195 2, and the IndiMail exchange of issue 7. */
static void
test_cram_md5(void **state)
{
	struct sasl	*s = mk(SASL_CRAM_MD5, "tim", "tanstaaftanstaaf", NULL);
	char		*out;

	(void)state;
	assert_int_equal(sasl_start(s, &out, &res), 0);
	step_is(s, "<1896.697170952@postoffice.reston.mci.net>",
	    "tim b913a602c7eda7a495b4e6e7334d3890");
	sasl_free(s);

	s = mk(SASL_CRAM_MD5, "postmaster@example.com", "pass", NULL);
	assert_int_equal(sasl_step(s,
	    "PDIwMTM3LjEyNjc1ODUxMDBAaW5kaW1haWwub3JnPg==", &out, &res), 0);
	assert_string_equal(out, "cG9zdG1hc3RlckBleGFtcGxlLmNvbSBjZWU4Mzk3Y"
	    "WIxMjNhMGQ0ZjNhN2ZkZGJiOWNiODcxOQ==");
	free(out);
	sasl_free(s);
}

/* RFC 2831 4, the IMAP example (digest-uri imap/...), then rspauth. */
static void
test_digest_md5(void **state)
{
	struct sasl_cred c = { .user = "chris", .pass = "secret",
	    .passlen = 6, .host = "elwood.innosoft.com", .service = "imap" };
	struct sasl	*s;
	char		*out, *bad;

	(void)state;
	memset(&res, 0, sizeof(res));
	s = sasl_new(SASL_DIGEST_MD5, &c, &res);
	assert_int_equal(sasl_set_nonce(s, "OA6MHXh6VqTrRk", &res), 0);
	assert_int_equal(sasl_start(s, &out, &res), 0);
	step_is(s, "realm=\"elwood.innosoft.com\",nonce=\"OA6MG9tEQGm2hh\","
	    "qop=\"auth\",algorithm=md5-sess,charset=utf-8",
	    "charset=utf-8,username=\"chris\",realm=\"elwood.innosoft.com\","
	    "nonce=\"OA6MG9tEQGm2hh\",nc=00000001,cnonce=\"OA6MHXh6VqTrRk\","
	    "digest-uri=\"imap/elwood.innosoft.com\","
	    "response=d388dad90d4bbd760a152321f2143af7,qop=auth");
	/* 235 before rspauth: the server has proven nothing. */
	assert_int_equal(sasl_done(s, &res), -1);
	assert_int_equal(res.exitcode, EX_UNAVAILABLE);
	memset(&res, 0, sizeof(res));
	bad = b64("rspauth=ea40f60335c427b5527b84dbabcdfffe");
	assert_int_equal(sasl_step(s, bad, &out, &res), -1);
	assert_int_equal(res.exitcode, EX_UNAVAILABLE);
	assert_non_null(strstr(res.msg, "rspauth is wrong"));
	free(bad);
	memset(&res, 0, sizeof(res));
	step_is(s, "rspauth=ea40f60335c427b5527b84dbabcdfffd", "");
	assert_int_equal(sasl_done(s, &res), 0);
	sasl_free(s);
}

/* One DIGEST-MD5 challenge: its response (decoded) or -1 and status. */
static char *
digest_first(const char *challenge, int *ex)
{
	struct sasl_cred c = { .user = "u", .pass = "p", .passlen = 1,
	    .host = "mx" };
	struct sasl	*s;
	char		*ch = b64(challenge), *out, *got = NULL;

	memset(&res, 0, sizeof(res));
	s = sasl_new(SASL_DIGEST_MD5, &c, &res);
	sasl_set_nonce(s, "cn", &res);
	*ex = 0;
	if (sasl_step(s, ch, &out, &res) == 0) {
		got = unb64(out);
		free(out);
	} else
		*ex = res.exitcode;
	free(ch);
	sasl_free(s);
	return got;
}

static void
test_digest_md5_challenges(void **state)
{
	char	*got;
	int	 ex;

	(void)state;
	/* Only auth-int (which we lack): refused, not misread. */
	assert_null(digest_first("nonce=\"n\",qop=\"auth-int\","
	    "algorithm=md5-sess", &ex));
	assert_int_equal(ex, EX_UNAVAILABLE);
	/* Several realms: the first; no realm: none sent. */
	got = digest_first("realm=\"a\",realm=\"b\",nonce=\"n\","
	    "qop=\"auth-int,auth\",algorithm=md5-sess", &ex);
	assert_non_null(strstr(got, "realm=\"a\""));
	assert_null(strstr(got, "realm=\"b\""));
	assert_non_null(strstr(got, "digest-uri=\"smtp/mx\""));
	assert_null(strstr(got, "charset"));
	free(got);
	got = digest_first("nonce=\"n\",algorithm=md5-sess", &ex);
	assert_null(strstr(got, "realm"));
	free(got);
	/* A quoted value with an escaped quote. */
	got = digest_first("nonce=\"a\\\"b\",algorithm=md5-sess", &ex);
	assert_non_null(strstr(got, "nonce=\"a\\\"b\""));
	free(got);
	assert_null(digest_first("realm=\"a\",algorithm=md5-sess", &ex));
	assert_int_equal(ex, EX_PROTOCOL);
	assert_null(digest_first("nonce=\"n\",algorithm=md5", &ex));
	assert_int_equal(ex, EX_PROTOCOL);
	assert_null(digest_first("nonce=\"n,algorithm=md5-sess", &ex));
	assert_int_equal(ex, EX_PROTOCOL);
}

static void
scram_vector(enum sasl_mech m, const char *nonce, const char *first,
    const char *final, const char *sfinal, const char *badfinal)
{
	struct sasl	*s = mk(m, "user", "pencil", nonce);
	char		*out, *got, *bad = b64(badfinal), want[64];

	assert_int_equal(sasl_start(s, &out, &res), 1);
	got = unb64(out);
	snprintf(want, sizeof(want), "n,,n=user,r=%s", nonce);
	assert_string_equal(got, want);
	free(got);
	free(out);
	sasl_free(s);

	/* Again, step by step: the RFC's exchange exactly. */
	s = mk(m, "user", "pencil", nonce);
	assert_int_equal(sasl_start(s, &out, &res), 1);
	free(out);
	step_is(s, first, final);
	assert_int_equal(sasl_done(s, &res), -1);	/* no v= yet */
	assert_int_equal(res.exitcode, EX_UNAVAILABLE);
	memset(&res, 0, sizeof(res));
	assert_int_equal(sasl_step(s, bad, &out, &res), -1);
	assert_int_equal(res.exitcode, EX_UNAVAILABLE);
	assert_non_null(strstr(res.msg, "signature is wrong"));
	memset(&res, 0, sizeof(res));
	step_is(s, sfinal, "");
	assert_int_equal(sasl_done(s, &res), 0);
	free(bad);
	sasl_free(s);
}

static void
test_scram_sha1(void **state)
{
	(void)state;
	scram_vector(SASL_SCRAM_SHA1, "fyko+d2lbbFgONRv9qkxdawL",
	    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,"
	    "i=4096",
	    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
	    "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
	    "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
	    "v=rmF9pqV8S7suAoZWja4dJRkFsKA=");
}

static void
test_scram_sha256(void **state)
{
	(void)state;
	scram_vector(SASL_SCRAM_SHA256, "rOprNGfwEbeRWgbNEkqO",
	    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	    "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
	    "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

/* gs2 flags and c= (RFC 5802 6, 7): y when the server has no -PLUS, p=
 * with the binding data appended in c=; authzid and saslname escaping. */
static void
test_scram_gs2(void **state)
{
	struct sasl_cred c = { .user = "a,b=c", .pass = "p", .passlen = 1,
	    .authzid = "z" };
	struct sasl	*s;
	char		*out, *got, *ch;

	(void)state;
	memset(&res, 0, sizeof(res));
	s = sasl_new(SASL_SCRAM_SHA256, &c, &res);
	sasl_set_nonce(s, "abc", &res);
	assert_int_equal(sasl_start(s, &out, &res), 1);
	got = unb64(out);
	assert_string_equal(got, "y,a=z,n=a=2Cb=3Dc,r=abc");
	free(got);
	free(out);
	/* c= is base64("y,a=z,"). */
	ch = b64("r=abcdef,s=QSXCR+Q6sek8bf92,i=1");
	assert_int_equal(sasl_step(s, ch, &out, &res), 0);
	got = unb64(out);
	assert_memory_equal(got, "c=eSxhPXos,r=abcdef,p=", 22);
	free(got);
	free(out);
	free(ch);
	sasl_free(s);
}

static void
test_scram_plus(void **state)
{
	static const unsigned char cb[] = { 1, 2, 3 };
	struct sasl_cred c = { .user = "u", .pass = "p", .passlen = 1,
	    .cb_type = "tls-exporter", .cb = cb, .cblen = 3 };
	struct sasl	*s;
	char		*out, *got, *ch;

	(void)state;
	memset(&res, 0, sizeof(res));
	s = sasl_new(SASL_SCRAM_SHA256_PLUS, &c, &res);
	sasl_set_nonce(s, "abc", &res);
	assert_int_equal(sasl_start(s, &out, &res), 1);
	got = unb64(out);
	assert_string_equal(got, "p=tls-exporter,,n=u,r=abc");
	free(got);
	free(out);
	ch = b64("r=abcdef,s=QSXCR+Q6sek8bf92,i=1");
	assert_int_equal(sasl_step(s, ch, &out, &res), 0);
	got = unb64(out);
	/* base64("p=tls-exporter,," 01 02 03) */
	assert_memory_equal(got, "c=cD10bHMtZXhwb3J0ZXIsLAECAw==,r=abcdef,p=",
	    41);
	free(got);
	free(out);
	free(ch);
	sasl_free(s);

	/* No binding data: -PLUS cannot start. */
	c.cblen = 0;
	memset(&res, 0, sizeof(res));
	assert_null(sasl_new(SASL_SCRAM_SHA1_PLUS, &c, &res));
	assert_int_equal(res.exitcode, EX_UNAVAILABLE);
}

/* Hostile server-first messages. */
static void
test_scram_hostile(void **state)
{
	static const char *const bad[] = {
		"r=xyz,s=QSXCR+Q6sek8bf92,i=4096",	/* not our nonce */
		"r=abc,s=QSXCR+Q6sek8bf92,i=4096",	/* nothing added */
		"r=abcd,s=QSXCR+Q6sek8bf92,i=0",
		"r=abcd,s=QSXCR+Q6sek8bf92,i=99999999",	/* DoS */
		"r=abcd,s=QSXCR+Q6sek8bf92,i=12x",
		"r=abcd,s=,i=4096",
		"r=abcd,s=!!!!,i=4096",
		"r=abcd,i=4096",
		"s=QSXCR+Q6sek8bf92,r=abcd,i=4096",
		"",
	};
	struct sasl	*s;
	char		*out, *ch;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = mk(SASL_SCRAM_SHA1, "u", "p", "abc");
		assert_int_equal(sasl_start(s, &out, &res), 1);
		free(out);
		ch = b64(bad[i]);
		assert_int_equal(sasl_step(s, ch, &out, &res), -1);
		assert_int_equal(res.exitcode, EX_PROTOCOL);
		free(ch);
		sasl_free(s);
	}
	/* m= (a mandatory extension) and e= (the server's refusal). */
	s = mk(SASL_SCRAM_SHA1, "u", "p", "abc");
	assert_int_equal(sasl_start(s, &out, &res), 1);
	free(out);
	ch = b64("e=invalid-proof");
	assert_int_equal(sasl_step(s, ch, &out, &res), -1);
	assert_int_equal(res.exitcode, EX_NOPERM);
	assert_string_equal(res.msg, "AUTH SCRAM-SHA-1: the server refused: "
	    "invalid-proof");
	free(ch);
	sasl_free(s);
	/* Not base64 at all. */
	s = mk(SASL_SCRAM_SHA1, "u", "p", "abc");
	assert_int_equal(sasl_start(s, &out, &res), 1);
	free(out);
	assert_int_equal(sasl_step(s, "cj1h*", &out, &res), -1);
	assert_int_equal(res.exitcode, EX_PROTOCOL);
	sasl_free(s);
}

/* RFC 7628 4.1 (the example's port 143 and host), XOAUTH2's format, and
 * the error JSON of RFC 7628 3.2.2 decoded. */
static void
test_oauth(void **state)
{
	struct sasl_cred c = { .user = "user@example.com",
	    .pass = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
	    .host = "server.example.com", .port = 143 };
	struct sasl	*s;
	char		*out, *ch;

	(void)state;
	c.passlen = strlen(c.pass);
	memset(&res, 0, sizeof(res));
	s = sasl_new(SASL_OAUTHBEARER, &c, &res);
	assert_int_equal(sasl_start(s, &out, &res), 1);
	assert_string_equal(out, "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2Vyd"
	    "mVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjM"
	    "k52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB");
	free(out);
	ch = b64("{\n \"status\":\"invalid_token\",\n \"scope\":\"example_"
	    "scope\",\n \"openid-configuration\":\"https://example.com/."
	    "well-known/openid-configuration\"\n}");
	assert_int_equal(sasl_step(s, ch, &out, &res), 0);
	assert_string_equal(out, "AQ==");	/* RFC 7628 3.2.3: ^A */
	assert_string_equal(sasl_error(s), "status=invalid_token "
	    "scope=example_scope openid-configuration=https://example.com/"
	    ".well-known/openid-configuration");
	free(out);
	free(ch);
	sasl_free(s);

	c.user = "someuser@example.com";
	c.pass = "ya29.vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg";
	c.passlen = strlen(c.pass);
	s = sasl_new(SASL_XOAUTH2, &c, &res);
	assert_int_equal(sasl_start(s, &out, &res), 1);
	/* Google's documented example. */
	assert_string_equal(out, "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPU"
	    "JlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZ"
	    "Mjl0Q2cBAQ==");
	free(out);
	ch = b64("{\"status\":\"401\",\"schemes\":\"bearer mac\",\"scope\":"
	    "\"https://mail.google.com/\"}");
	assert_int_equal(sasl_step(s, ch, &out, &res), 0);
	assert_string_equal(out, "");
	assert_string_equal(sasl_error(s), "status=401 schemes=bearer mac "
	    "scope=https://mail.google.com/");
	free(out);
	free(ch);
	sasl_free(s);
}

static void
test_oauth_error_json(void **state)
{
	char		 out[SASL_ERR_MAX];
	const char	*json;

	(void)state;
	/* Not an object: shown as it is, sanitised. */
	sasl_oauth_error("bad\x1b[31m", 8, out, sizeof(out));
	assert_string_equal(out, "bad?[31m");
	sasl_oauth_error("{\"a\":{\"b\":1}}", 13, out, sizeof(out));
	assert_string_equal(out, "{\"a\":{\"b\":1}}");
	json = "{\"n\":42,\"t\":true,\"e\":\"x\\\"y\\u0041\"}";
	sasl_oauth_error(json, strlen(json), out, sizeof(out));
	assert_string_equal(out, "n=42 t=true e=x\"y?");
	sasl_oauth_error("{}", 2, out, sizeof(out));
	assert_string_equal(out, "");
	sasl_oauth_error("{\"s\":\"unterminated}", 19, out, sizeof(out));
	assert_string_equal(out, "{\"s\":\"unterminated}");
}

/* RFC 4422 A.1; SMTP sends an empty initial response as "=". */
static void
test_external(void **state)
{
	struct sasl_cred c = { .authzid = NULL };
	struct sasl	*s;
	char		*out;

	(void)state;
	memset(&res, 0, sizeof(res));
	s = sasl_new(SASL_EXTERNAL, &c, &res);
	assert_int_equal(sasl_start(s, &out, &res), 1);
	assert_string_equal(out, "");
	free(out);
	sasl_free(s);
	c.authzid = "admin";
	s = sasl_new(SASL_EXTERNAL, &c, &res);
	assert_int_equal(sasl_start(s, &out, &res), 1);
	assert_string_equal(out, "YWRtaW4=");
	free(out);
	sasl_free(s);
}

static void
test_unb64(void **state)
{
	char	 out[16];

	(void)state;
	assert_int_equal(sasl_unb64("", 0, out), 0);
	assert_int_equal(sasl_unb64("YQ==", 4, out), 1);
	assert_int_equal(sasl_unb64("YWI=", 4, out), 2);
	assert_int_equal(sasl_unb64("YQ=", 3, out), -1);
	assert_int_equal(sasl_unb64("Y===", 4, out), -1);
	assert_int_equal(sasl_unb64("YQ=a", 4, out), -1);
	assert_int_equal(sasl_unb64("Y Q=", 4, out), -1);
	assert_int_equal(sasl_unb64("=YQ=", 4, out), -1);
}

static void
test_nul_password(void **state)
{
	struct sasl_cred c = { .user = "u", .pass = "a\0b", .passlen = 3 };

	(void)state;
	memset(&res, 0, sizeof(res));
	assert_null(sasl_new(SASL_SCRAM_SHA256, &c, &res));
	assert_int_equal(res.exitcode, EX_CONFIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_cram_md5),
		cmocka_unit_test(test_digest_md5),
		cmocka_unit_test(test_digest_md5_challenges),
		cmocka_unit_test(test_scram_sha1),
		cmocka_unit_test(test_scram_sha256),
		cmocka_unit_test(test_scram_gs2),
		cmocka_unit_test(test_scram_plus),
		cmocka_unit_test(test_scram_hostile),
		cmocka_unit_test(test_oauth),
		cmocka_unit_test(test_oauth_error_json),
		cmocka_unit_test(test_external),
		cmocka_unit_test(test_unb64),
		cmocka_unit_test(test_nul_password),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
