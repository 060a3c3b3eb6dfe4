/*
 * fuzz_oauth2.c - what oauth2*.c reads from others: the loopback
 * redirect's request head (any local process may connect first) and the
 * provider's JSON answers, through the dlopen'd libcurl (percent-
 * decoding) and json-c.  The first byte chooses: even, the rest is a
 * request head for o2_redirect_parse (oauth2_impl.h) against the state
 * "S7q-x_Z"; odd, a provider's answer for o2_json_parse (oauth2_http.h).
 *
 * Checks: the verdict is one of the enum; OK only with a request that
 * starts "GET /" and carries our exact state, and a code that is not
 * empty, NUL-terminated below O2_CODE_MAX; an error NUL-terminated below
 * O2_ERROR_MAX.  A parsed answer gives strings or NULL, and after
 * o2_json_wipe every string it gave is zero bytes; o2_mask leaves no
 * copy of the secret (refresh_token) in the text (error_description).
 */
#include "fuzz.h"
#include "oauth2_http.h"
#include "oauth2_impl.h"
#include "result.h"

#define STATE	"S7q-x_Z"

static void
redirect(const char *req)
{
	char	 code[O2_CODE_MAX], err[O2_ERROR_MAX];
	int	 how;

	memset(code, 'x', sizeof(code));
	memset(err, 'x', sizeof(err));
	how = o2_redirect_parse(req, STATE, code, err);
	fuzz_check(how >= O2_REDIRECT_OK && how <= O2_REDIRECT_NO_CODE,
	    "verdict in the enum");
	fuzz_check(memchr(code, '\0', sizeof(code)) != NULL, "code ends");
	fuzz_check(memchr(err, '\0', sizeof(err)) != NULL, "error ends");
	if (how == O2_REDIRECT_ERROR)
		fuzz_check(err[0] != '\0' || strstr(req, "error=") != NULL,
		    "error from the query");
	if (how != O2_REDIRECT_OK)
		return;
	fuzz_check(strncmp(req, "GET /", 5) == 0, "OK is a GET");
	fuzz_check(strstr(req, "state=" STATE) != NULL, "OK has our state");
	fuzz_check(code[0] != '\0', "OK has a code");
}

static void
answer(const char *buf, size_t len)
{
	static const char *const names[] = { "access_token", "refresh_token",
	    "error", "error_description", "device_code", "user_code",
	    "verification_uri", "token_type" };
	const char	*got[sizeof(names) / sizeof(names[0])];
	size_t		 glen[sizeof(names) / sizeof(names[0])], i, k;
	struct o2json	*j;
	char		*m;

	if (o2_json_parse(buf, len, &j) == -1) {
		fuzz_check(j == NULL, "no object on failure");
		return;
	}
	(void)o2_json_int(j, "expires_in", 1);
	(void)o2_json_int(j, "interval", 1);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		got[i] = o2_json_str(j, names[i]);
		glen[i] = got[i] != NULL ? strlen(got[i]) : 0;
	}
	/* A secret with a '*' may meet the mask itself: not a copy. */
	if (got[3] != NULL && got[1] != NULL && glen[1] > 0 &&
	    strchr(got[1], '*') == NULL) {
		m = fuzz_dup(got[3], glen[3] + 1);
		o2_mask(m, got[1]);
		fuzz_check(strstr(m, got[1]) == NULL, "masked");
		free(m);
	}
	o2_json_wipe(j);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (k = 0; k < glen[i]; k++)
			fuzz_check(got[i][k] == '\0', "string wiped");
	o2_json_free(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 loaded;
	struct result	 res;
	char		*s;

	if (size < 1 || size - 1 > O2_RESPONSE_MAX)
		return 0;
	if (!loaded) {
		memset(&res, 0, sizeof(res));
		fuzz_check(o2_load(&res) == 0, "libcurl and json-c load");
		loaded = 1;
	}
	if (data[0] % 2 == 0) {
		s = fuzz_strndup(data + 1, size - 1);
		redirect(s);
	} else {
		s = fuzz_dup(data + 1, size - 1);
		answer(s, size - 1);
	}
	free(s);
	return 0;
}
