/* test_params.c - MAIL and RCPT parameters: xtext, flags, choices. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "msg.h"
#include "params.h"
#include "result.h"
#include "smtp.h"

#define ALL	(PARAMS_8BITMIME | PARAMS_SMTPUTF8 | PARAMS_DSN)

static struct result	 res;
static struct msg	 body;
static char		*rcpts[3];
static struct smtp_msg	 m;
static struct params	 p;
static char		 buf[PARAMS_MAX];

/* A 7-bit message from a@x.org to b@y.org, no flags. */
static void
reset(void)
{
	memset(&res, 0, sizeof(res));
	memset(&body, 0, sizeof(body));
	body.fd = -1;
	rcpts[0] = (char *)(uintptr_t)"b@y.org";
	memset(&m, 0, sizeof(m));
	m.from = "a@x.org";
	m.rcpts = rcpts;
	m.nrcpts = 1;
	m.hdr = "Subject: s\n\n";
	m.hdrlen = strlen(m.hdr);
	m.msg = &body;
}

static const char *
xtext(const char *s)
{
	static char	 out[64];

	return params_xtext(out, sizeof(out), s) == -1 ? NULL : out;
}

static const char *
uxtext(const char *s)
{
	static char	 out[64];

	return params_utf8_xtext(out, sizeof(out), s) == -1 ? NULL : out;
}

static void
test_xtext(void **state)
{
	char	 small[4];

	(void)state;
	assert_string_equal(xtext("abc+=x"), "abc+2B+3Dx");
	assert_string_equal(xtext("a b\x7f~!"), "a+20b+7F~!");
	assert_string_equal(xtext("\xc3\xa9"), "+C3+A9");
	assert_string_equal(xtext(""), "");
	assert_int_equal(params_xtext(small, sizeof(small), "abc"), 3);
	assert_int_equal(params_xtext(small, sizeof(small), "abcd"), -1);
	assert_int_equal(params_xtext(small, sizeof(small), "a+"), -1);
}

static void
test_utf8_xtext(void **state)
{
	(void)state;
	assert_string_equal(uxtext("j\xc3\xb6rg@x.org"), "j\\x{F6}rg@x.org");
	assert_string_equal(uxtext("a+b=c\\d e"),
	    "a\\x{2B}b\\x{3D}c\\x{5C}d\\x{20}e");
	assert_string_equal(uxtext("\xe2\x82\xac"), "\\x{20AC}");
	assert_string_equal(uxtext("\xf0\x9f\x93\xa7"), "\\x{1F4E7}");
	/* Not UTF-8: stray continuation, overlong, surrogate, truncated. */
	assert_null(uxtext("\x80"));
	assert_null(uxtext("\xc0\xaf"));
	assert_null(uxtext("\xe0\x80\xaf"));
	assert_null(uxtext("\xed\xa0\x80"));
	assert_null(uxtext("\xf4\x90\x80\x80"));
	assert_null(uxtext("a\xc3"));
}

static int
init(const char *B, const char *N, const char *R, const char *V)
{
	reset();
	m.body_type = B;
	m.notify = N;
	m.ret = R;
	m.envid = V;
	return params_init(&p, &m, &res);
}

/* The same with an 8-bit body. */
static void
eightbit(const char *B)
{
	reset();
	m.body_type = B;
	body.eightbit = 1;
	assert_int_equal(params_init(&p, &m, &res), 0);
}

static void
test_flags(void **state)
{
	char	 envid[PARAMS_ENVID_MAX + 2];

	(void)state;
	assert_int_equal(init("8bitmime", "delay,Success", "hdrs", "e"), 0);
	assert_int_equal(p.want_body, PARAMS_BODY_8BITMIME);
	assert_string_equal(p.notify, "SUCCESS,DELAY");
	assert_string_equal(p.ret, "HDRS");
	assert_string_equal(p.envid, "e");
	assert_int_equal(init("7Bit", "NEVER", "Full", NULL), 0);
	assert_int_equal(p.want_body, PARAMS_BODY_7BIT);
	assert_string_equal(p.notify, "NEVER");
	assert_string_equal(p.ret, "FULL");
	assert_string_equal(p.envid, "");

	assert_int_equal(init("BINARYMIME", NULL, NULL, NULL), -1);
	assert_int_equal(res.exitcode, EX_USAGE);
	assert_non_null(strstr(res.msg, "-B BINARYMIME"));
	assert_int_equal(init(NULL, "never,delay", NULL, NULL), -1);
	assert_non_null(strstr(res.msg, "-N never,delay"));
	assert_int_equal(init(NULL, ",failure", NULL, NULL), -1);
	assert_int_equal(init(NULL, "failurex", NULL, NULL), -1);
	assert_int_equal(init(NULL, "", NULL, NULL), -1);
	assert_int_equal(init(NULL, NULL, "headers", NULL), -1);
	assert_int_equal(res.exitcode, EX_USAGE);
	assert_int_equal(init(NULL, NULL, NULL, ""), -1);
	memset(envid, 'e', sizeof(envid) - 2);
	envid[sizeof(envid) - 2] = '\0';
	assert_int_equal(init(NULL, NULL, NULL, envid), 0);
	envid[sizeof(envid) - 3] = '+';		/* 102 as xtext */
	assert_int_equal(init(NULL, NULL, NULL, envid), -1);
	assert_int_equal(res.exitcode, EX_USAGE);
}

static const char *
mail(unsigned offered)
{
	assert_int_equal(params_choose(&p, offered, &res), 0);
	assert_int_equal(params_mail(&p, buf, sizeof(buf)), 0);
	return buf;
}

static void
test_body(void **state)
{
	(void)state;
	init(NULL, NULL, NULL, NULL);
	assert_string_equal(mail(ALL), "");
	eightbit(NULL);
	assert_string_equal(mail(ALL), " BODY=8BITMIME");
	assert_string_equal(mail(0), "");
	assert_int_equal(p.warnings, 0);

	init("8BITMIME", NULL, NULL, NULL);
	assert_string_equal(mail(ALL), " BODY=8BITMIME");
	assert_string_equal(mail(PARAMS_SMTPUTF8), "");
	assert_int_equal(p.warnings, PARAMS_W_8BITMIME);

	init("7BIT", NULL, NULL, NULL);
	assert_string_equal(mail(PARAMS_8BITMIME), " BODY=7BIT");
	assert_string_equal(mail(0), "");
	assert_int_equal(p.warnings, 0);
	eightbit("7BIT");			/* never a false 7BIT */
	assert_string_equal(mail(PARAMS_8BITMIME), " BODY=8BITMIME");
	assert_int_equal(p.warnings, PARAMS_W_7BIT);
}

static void
test_smtputf8(void **state)
{
	(void)state;
	/* An 8-bit byte in the transmitted header counts. */
	reset();
	m.hdr = "Subject: Gr\xc3\xbc\xc3\x9f" "e\n\n";
	m.hdrlen = strlen(m.hdr);
	assert_int_equal(params_init(&p, &m, &res), 0);
	assert_string_equal(mail(ALL), " BODY=8BITMIME SMTPUTF8");
	assert_string_equal(mail(PARAMS_8BITMIME), " BODY=8BITMIME");
	assert_int_equal(p.warnings, PARAMS_W_UTF8HDR);

	reset();
	rcpts[0] = (char *)(uintptr_t)"j\xc3\xb6rg@x.org";
	assert_int_equal(params_init(&p, &m, &res), 0);
	assert_string_equal(mail(ALL), " BODY=8BITMIME SMTPUTF8");
	assert_int_equal(params_choose(&p, PARAMS_8BITMIME | PARAMS_DSN,
	    &res), -1);
	assert_int_equal(res.exitcode, EX_DATAERR);
	assert_non_null(strstr(res.msg, "recipient <j??rg@x.org> needs "
	    "SMTPUTF8, which the server does not offer"));

	reset();
	m.from = "j\xc3\xb6rg@x.org";
	assert_int_equal(params_init(&p, &m, &res), 0);
	assert_int_equal(params_choose(&p, PARAMS_8BITMIME, &res), -1);
	assert_non_null(strstr(res.msg, "sender <"));
}

static const char *
rcpt(const char *to)
{
	assert_int_equal(params_rcpt(&p, to, buf, sizeof(buf)), 0);
	return buf;
}

static void
test_dsn(void **state)
{
	char	 longaddr[200];

	(void)state;
	init(NULL, "failure,delay", "hdrs", "abc+=x");
	assert_string_equal(mail(ALL), " RET=HDRS ENVID=abc+2B+3Dx");
	assert_string_equal(rcpt("a@x.org"),
	    " NOTIFY=FAILURE,DELAY ORCPT=rfc822;a@x.org");
	assert_string_equal(mail(PARAMS_8BITMIME), "");
	assert_int_equal(p.warnings, PARAMS_W_DSN);
	assert_string_equal(rcpt("a@x.org"), "");

	init(NULL, NULL, "full", NULL);		/* ORCPT without NOTIFY */
	assert_string_equal(mail(ALL), " RET=FULL");
	assert_string_equal(rcpt("a+b@x.org"), " ORCPT=rfc822;a+2Bb@x.org");
	assert_string_equal(rcpt("j\xc3\xb6rg@x.org"),
	    " ORCPT=utf-8;j\\x{F6}rg@x.org");
	/* ORCPT past 500 characters is left out (RFC 3461 4.2). */
	memset(longaddr, '+', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = '\0';
	assert_string_equal(rcpt(longaddr), "");

	init(NULL, NULL, NULL, NULL);		/* no flags: nothing */
	assert_string_equal(mail(ALL), "");
	assert_string_equal(rcpt("a@x.org"), "");
	assert_int_equal(p.warnings, 0);
}

static void
test_too_small(void **state)
{
	char	 small[8];

	(void)state;
	init(NULL, "never", "hdrs", NULL);
	assert_int_equal(params_choose(&p, ALL, &res), 0);
	assert_int_equal(params_mail(&p, small, sizeof(small)), -1);
	assert_int_equal(params_rcpt(&p, "a@x.org", small, sizeof(small)),
	    -1);
	assert_non_null(params_warning(PARAMS_W_DSN));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xtext),
		cmocka_unit_test(test_utf8_xtext),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_smtputf8),
		cmocka_unit_test(test_dsn),
		cmocka_unit_test(test_too_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
