/*
 * test_oauth2.c - the pieces of oauth2*.c that need no network: the PKCE
 * challenge (RFC 7636 appendix B), form encoding and its ceiling, the
 * redirect's query parsing, JSON answers (through the dlopen'd json-c),
 * and the config-level guard.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "oauth2.h"
#include "oauth2_http.h"
#include "oauth2_impl.h"
#include "result.h"

static int
setup(void **state)
{
	struct result	 res = { 0 };

	(void)state;
	return o2_load(&res);
}

static void
test_pkce_rfc7636_vector(void **state)
{
	struct result	 res = { 0 };
	char		 out[64];

	(void)state;
	assert_int_equal(o2_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_"
	    "wW1gFWFOEjXk", out, &res), 0);
	assert_string_equal(out, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw"
	    "-cM");
}

static void
test_form(void **state)
{
	struct result	 res = { 0 };
	char		 f[64], tiny[16];

	(void)state;
	f[0] = '\0';
	assert_int_equal(o2_form_add(f, sizeof(f), "a", "x y&z=1/é", &res),
	    0);
	assert_int_equal(o2_form_add(f, sizeof(f), "b", "c", &res), 0);
	assert_string_equal(f, "a=x%20y%26z%3D1%2F%C3%A9&b=c");
	tiny[0] = '\0';
	assert_int_equal(o2_form_add(tiny, sizeof(tiny), "token",
	    "0123456789", &res), -1);
	assert_int_equal(res.exitcode, EX_SOFTWARE);
	assert_string_equal(tiny, "");		/* never half a field */
}

static void
test_query_param(void **state)
{
	static const char q[] = "state=s%2B1&code=4%2F0Ab_x&scope=a+b "
	    "HTTP/1.1";
	char	 v[16], small[4];

	(void)state;
	assert_int_equal(o2_query_param(q, "code", v, sizeof(v)), 0);
	assert_string_equal(v, "4/0Ab_x");
	assert_int_equal(o2_query_param(q, "state", v, sizeof(v)), 0);
	assert_string_equal(v, "s+1");
	assert_int_equal(o2_query_param(q, "error", v, sizeof(v)), -1);
	assert_int_equal(o2_query_param(q, "cod", v, sizeof(v)), -1);
	assert_int_equal(o2_query_param(q, "HTTP/1.1", v, sizeof(v)), -1);
	assert_int_equal(o2_query_param(q, "code", small, sizeof(small)), -1);
	assert_int_equal(o2_query_param("code=a%00b", "code", v, sizeof(v)),
	    -1);
}

static void
test_json(void **state)
{
	static const char ok[] = "{\"access_token\":\"ya29.x\",\"expires_in\":"
	    "3599,\"ext\":\"120\",\"n\":{\"a\":1},\"neg\":\"-5\"}";
	struct o2json	*j;

	(void)state;
	assert_int_equal(o2_json_parse(ok, strlen(ok), &j), 0);
	assert_string_equal(o2_json_str(j, "access_token"), "ya29.x");
	assert_null(o2_json_str(j, "expires_in"));	/* not a string */
	assert_null(o2_json_str(j, "missing"));
	assert_int_equal(o2_json_int(j, "expires_in", 7), 3599);
	assert_int_equal(o2_json_int(j, "ext", 7), 120);
	assert_int_equal(o2_json_int(j, "n", 7), 7);
	assert_int_equal(o2_json_int(j, "neg", 7), 7);
	assert_int_equal(o2_json_int(j, "missing", 7), 7);
	o2_json_free(j);
	/* Not one object, or something after it. */
	assert_int_equal(o2_json_parse("[1]", 3, &j), -1);
	assert_int_equal(o2_json_parse("{}x", 3, &j), -1);
	assert_int_equal(o2_json_parse("{\"a\":", 5, &j), -1);
	assert_int_equal(o2_json_parse("", 0, &j), -1);
	assert_int_equal(o2_json_parse("{\"a\":[[[[[[[[[[1]]]]]]]]]]}", 27,
	    &j), -1);
	assert_null(j);
}

/* A provider may echo a token anywhere: every string is wiped. */
static void
test_json_wipe(void **state)
{
	static const char in[] = "{\"error\":\"invalid_grant\","
	    "\"error_description\":\"RT1 is revoked\",\"x\":{\"y\":"
	    "[\"RT1\",{\"z\":\"RT1\"}]},\"n\":null,\"i\":5}";
	struct o2json	*j;
	const char	*d, *e;

	(void)state;
	assert_int_equal(o2_json_parse(in, strlen(in), &j), 0);
	d = o2_json_str(j, "error_description");
	e = o2_json_str(j, "error");
	assert_non_null(d);
	o2_json_wipe(j);
	assert_memory_equal(d, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 14);
	assert_memory_equal(e, "\0\0\0\0\0\0\0\0\0\0\0\0\0", 13);
	assert_int_equal(o2_json_int(j, "i", 0), 5);
	o2_json_free(j);
}

static void
test_redirect_parse(void **state)
{
	char	 code[O2_CODE_MAX], err[O2_ERROR_MAX];

	(void)state;
	assert_int_equal(o2_redirect_parse("GET /?code=c%2F1&state=S1 "
	    "HTTP/1.1\r\n\r\n", "S1", code, err), O2_REDIRECT_OK);
	assert_string_equal(code, "c/1");
	assert_int_equal(o2_redirect_parse("POST /?code=c&state=S1 HTTP/1.1"
	    "\r\n\r\n", "S1", code, err), O2_REDIRECT_NOT_GET);
	assert_int_equal(o2_redirect_parse("GET / HTTP/1.1\r\nX: ?state=S1"
	    "\r\n\r\n", "S1", code, err), O2_REDIRECT_NOT_GET);
	/* Exactly our state: not a prefix, not longer, not absent. */
	assert_int_equal(o2_redirect_parse("GET /?code=c&state=S HTTP/1.1",
	    "S1", code, err), O2_REDIRECT_STATE);
	assert_int_equal(o2_redirect_parse("GET /?code=c&state=S12 HTTP/1.1",
	    "S1", code, err), O2_REDIRECT_STATE);
	assert_int_equal(o2_redirect_parse("GET /?code=c HTTP/1.1", "S1",
	    code, err), O2_REDIRECT_STATE);
	assert_int_equal(o2_redirect_parse("GET /?state=S1&error=access_denied"
	    " HTTP/1.1", "S1", code, err), O2_REDIRECT_ERROR);
	assert_string_equal(err, "access_denied");
	assert_int_equal(o2_redirect_parse("GET /?state=S1&code= HTTP/1.1",
	    "S1", code, err), O2_REDIRECT_NO_CODE);
	assert_int_equal(o2_redirect_parse("GET /?state=S1&code=a%00 "
	    "HTTP/1.1", "S1", code, err), O2_REDIRECT_NO_CODE);
}

/* An empty value is empty, not the rest of the line (libcurl's 0). */
static void
test_unescape_empty(void **state)
{
	char	 v[64];

	(void)state;
	assert_int_equal(o2_unescape("abc", 0, v, sizeof(v)), 0);
	assert_string_equal(v, "");
	assert_int_equal(o2_query_param("code=&state=x HTTP/1.1", "code", v,
	    sizeof(v)), 0);
	assert_string_equal(v, "");
}

static void
test_mask(void **state)
{
	char	 s[] = "RT1 x RT1RT1 RT";

	(void)state;
	o2_mask(s, "RT1");
	assert_string_equal(s, "*** x ****** RT");
	o2_mask(s, "");
	assert_string_equal(s, "*** x ****** RT");
}

/* Hostile numbers: no overflow, the caller's default or a clamp. */
static void
test_json_numbers(void **state)
{
	static const char in[] = "{\"big\":99999999999999999999999,"
	    "\"sbig\":\"99999999999999999999999\",\"d\":1.5e300,"
	    "\"neg\":-99999999999999999999999,\"t\":true}";
	struct o2json	*j;

	(void)state;
	assert_int_equal(o2_json_parse(in, strlen(in), &j), 0);
	assert_true(o2_json_int(j, "big", 7) > 0);
	assert_int_equal(o2_json_int(j, "sbig", 7), 7);
	assert_int_equal(o2_json_int(j, "d", 7), 7);
	assert_true(o2_json_int(j, "neg", 7) < 0);
	assert_int_equal(o2_json_int(j, "t", 7), 7);
	o2_json_free(j);
}

static void
test_authorize_needs_provider(void **state)
{
	struct account	 a;
	struct result	 res = { 0 };

	(void)state;
	memset(&a, 0, sizeof(a));
	a.name = (char *)(uintptr_t)"plain";
	assert_false(oauth2_enabled(&a));
	assert_int_equal(oauth2_authorize(&a, &res), -1);
	assert_int_equal(res.exitcode, EX_CONFIG);
	assert_string_equal(res.msg, "account 'plain' has no oauth2_provider "
	    "(see stamp.ini(5))");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkce_rfc7636_vector),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_query_param),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_wipe),
		cmocka_unit_test(test_json_numbers),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_unescape_empty),
		cmocka_unit_test(test_redirect_parse),
		cmocka_unit_test(test_authorize_needs_provider),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
