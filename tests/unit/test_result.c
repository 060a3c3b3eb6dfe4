/* test_result.c - the exit-code table (DESIGN.md 5), SASL encodings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "result.h"
#include "sasl.h"

static void
test_reply_classes(void **state)
{
	(void)state;
	assert_int_equal(result_reply_status(421, "421 4.3.2 bye", 0),
	    EX_TEMPFAIL);
	assert_int_equal(result_reply_status(450, "450 4.2.0 busy", 1),
	    EX_TEMPFAIL);
	assert_int_equal(result_reply_status(535, "535 5.7.8 bad", 0),
	    EX_NOPERM);
	assert_int_equal(result_reply_status(554, "554 5.7.8 no", 0),
	    EX_NOPERM);
	assert_int_equal(result_reply_status(550, "550 5.1.1 unknown", 1),
	    EX_NOUSER);
	/* 5.1.x outside RCPT (e.g. MAIL: bad sender) is not "no user". */
	assert_int_equal(result_reply_status(553, "553 5.1.8 bad", 0),
	    EX_UNAVAILABLE);
	assert_int_equal(result_reply_status(550, "550 no such user", 1),
	    EX_UNAVAILABLE);
	assert_int_equal(result_reply_status(554, "554 5.7.1 relay", 1),
	    EX_UNAVAILABLE);
	assert_int_equal(result_reply_status(250, "250 ok?", 0),
	    EX_PROTOCOL);
}

static void
test_first_error_wins(void **state)
{
	struct result	 res = { 0 };

	(void)state;
	assert_int_equal(result_fail(&res, EX_CONFIG, "first %d", 1), -1);
	assert_int_equal(result_fail(&res, EX_TEMPFAIL, "second"), -1);
	assert_int_equal(res.exitcode, EX_CONFIG);
	assert_string_equal(res.msg, "first 1");
	assert_string_equal(result_exname(EX_TEMPFAIL), "EX_TEMPFAIL");
	assert_string_equal(result_exname(0), "EX_OK");
}

static void
test_reply_message(void **state)
{
	struct result	 res = { 0 };

	(void)state;
	result_reply(&res, "RCPT TO:<b@x>", 550, "550 5.1.1 unknown\r\n", 1);
	assert_int_equal(res.exitcode, EX_NOUSER);
	assert_string_equal(res.msg, "RCPT TO:<b@x>: 550 5.1.1 unknown  ");
	assert_int_equal(res.smtpcode, 550);
}

static void
test_sasl_plain(void **state)
{
	struct result	 res = { 0 };
	char		*s;

	(void)state;
	/* RFC 4616 form; a published Verizon example. */
	s = sasl_plain(NULL, "jdoe@verizon.net", "YOURPASS", 8, &res);
	assert_string_equal(s, "AGpkb2VAdmVyaXpvbi5uZXQAWU9VUlBBU1M=");
	sasl_wipe(s);
	s = sasl_plain("admin", "tim", "tanstaaftanstaaf", 16, &res);
	assert_string_equal(s, "YWRtaW4AdGltAHRhbnN0YWFmdGFuc3RhYWY=");
	sasl_wipe(s);
	assert_null(sasl_plain(NULL, "u", "a\0b", 3, &res));
	assert_int_equal(res.exitcode, EX_CONFIG);
}

static void
test_b64(void **state)
{
	struct result	 res = { 0 };
	char		*s;

	(void)state;
	s = sasl_b64("", 0, &res);
	assert_string_equal(s, "");
	free(s);
	s = sasl_b64("joe", 3, &res);
	assert_string_equal(s, "am9l");
	free(s);
	s = sasl_b64("jo", 2, &res);
	assert_string_equal(s, "am8=");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_classes),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_reply_message),
		cmocka_unit_test(test_sasl_plain),
		cmocka_unit_test(test_b64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
