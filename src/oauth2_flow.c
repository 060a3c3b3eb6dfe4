/*
 * oauth2_flow.c - obtaining the first grant (oauth2.h oauth2_authorize):
 * the device authorization grant (RFC 8628) and the authorization code
 * with PKCE (RFC 7636) through a loopback redirect (RFC 8252 7.3).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "config.h"
#include "log.h"
#include "oauth2_http.h"
#include "oauth2_impl.h"
#include "result.h"
#include "util.h"

#define DEVICE_INTERVAL	5	/* RFC 8628 3.2: default seconds */
#define SLOW_DOWN_STEP	5	/* RFC 8628 3.5: slow_down adds this */
#define DEVICE_EXPIRES	600	/* when the provider gives no expires_in */
#define DEVICE_WAIT_MAX	1800	/* seconds we poll at most */
#define INTERVAL_MAX	60
#define CODE_MAX	O2_CODE_MAX	/* device_code, user_code, auth code */
#define URI_MAX		1024
#define VERIFIER_BYTES	32	/* RFC 7636 4.1: 43 base64url chars */
#define STATE_BYTES	16
#define B64URL_MAX	64	/* base64 of VERIFIER_BYTES or a SHA-256, NUL */
#define REDIRECT_MAX	64	/* "http://127.0.0.1:65535/" */

_Static_assert(B64URL_MAX >= B64_LEN(VERIFIER_BYTES) &&
    B64URL_MAX >= B64_LEN(32) && VERIFIER_BYTES >= STATE_BYTES,
    "the verifier, the challenge and the state fit their buffers");
#define REQUEST_MAX	8192	/* the browser's one request */
#define REQUEST_TIMEOUT	10	/* seconds for it, once connected */

/* Wait s seconds. */
static void
pause_s(long s)
{
	struct timespec	 ts = { .tv_sec = s, .tv_nsec = 0 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/* The device endpoint said no: the client or scope is wrong (4xx). */
static int
device_refused(const struct account *a, const struct o2json *j,
    long status, struct result *res)
{
	const char	*e = o2_json_str(j, "error");
	char		 err[O2_ERROR_MAX];

	result_sanitise(err, sizeof(err), e ? e : "", e ? strlen(e) : 0);
	return result_fail(res, status >= 400 && status < 500 ? EX_CONFIG :
	    EX_PROTOCOL, "oauth2: device endpoint refused account '%s': "
	    "HTTP %ld%s%s", a->name, status, e ? " " : "", err);
}

/* RFC 8628 3.1-3.3: ask for a user code and show where to enter it. */
static int
device_start(const struct account *a, char *device_code, long *interval,
    long *expires, struct result *res)
{
	char		 form[O2_FORM_MAX], uri[URI_MAX], code[CODE_MAX];
	const char	*dc, *uc, *vu, *vc;
	struct o2json	*j;
	long		 status;
	int		 rv = -1;

	if (o2_form_client(a, form, sizeof(form), res) == -1 ||
	    (a->oauth2_scope != NULL && o2_form_add(form, sizeof(form),
	    "scope", a->oauth2_scope, res) == -1) ||
	    o2_post(a, "device endpoint", a->oauth2_device_endpoint, form,
	    &status, &j, res) == -1) {
		explicit_bzero(form, sizeof(form));	/* client secret */
		return -1;
	}
	explicit_bzero(form, sizeof(form));
	dc = o2_json_str(j, "device_code");
	uc = o2_json_str(j, "user_code");
	/* Google spells it verification_url. */
	if ((vu = o2_json_str(j, "verification_uri")) == NULL)
		vu = o2_json_str(j, "verification_url");
	vc = o2_json_str(j, "verification_uri_complete");
	if (status != 200)
		device_refused(a, j, status, res);
	else if (dc == NULL || uc == NULL || vu == NULL ||
	    strlen(dc) >= CODE_MAX || strlen(uc) >= CODE_MAX ||
	    strlen(vu) >= URI_MAX || (vc != NULL && strlen(vc) >= URI_MAX))
		result_fail(res, EX_PROTOCOL, "oauth2: device endpoint: the "
		    "answer lacks device_code, user_code or verification_uri");
	else {
		str_copy(device_code, CODE_MAX, dc);
		*interval = o2_json_int(j, "interval", DEVICE_INTERVAL);
		*expires = o2_json_int(j, "expires_in", DEVICE_EXPIRES);
		result_sanitise(uri, sizeof(uri), vu, strlen(vu));
		result_sanitise(code, sizeof(code), uc, strlen(uc));
		printf("To authorize stamp for account '%s', open\n  %s\n"
		    "and enter the code\n  %s\n", a->name, uri, code);
		if (vc != NULL) {
			result_sanitise(uri, sizeof(uri), vc, strlen(vc));
			printf("(or open %s)\n", uri);
		}
		printf("Waiting for the authorization...\n");
		fflush(stdout);
		rv = 0;
	}
	o2_json_free(j);
	return rv;
}

/* The user has not entered the code in time (ours or the provider's). */
static int
device_expired(const struct account *a, struct result *res)
{
	memset(res, 0, sizeof(*res));
	return result_fail(res, EX_TEMPFAIL, "oauth2: the code expired "
	    "before it was entered; run stamp --oauth2-authorize %s again",
	    a->name);
}

/* RFC 8628 3.4-3.5: POST form until the user has decided. */
static int
poll_loop(const struct account *a, const char *form, const char *const *hide,
    long interval, long long deadline, struct o2grant *g, struct result *res)
{
	char	 err[O2_ERROR_MAX];

	for (;;) {
		pause_s(interval);
		if (o2_token_request(a, form, hide, g, err, res) == 0)
			return 0;
		if (strcmp(err, "slow_down") == 0)
			interval += SLOW_DOWN_STEP;
		else if (strcmp(err, "authorization_pending") != 0)
			break;
		log_trace("oauth2: %s, next poll in %ld s", err, interval);
		if ((long long)time(NULL) + interval >= deadline)
			return device_expired(a, res);
		memset(res, 0, sizeof(*res));
	}
	if (strcmp(err, "expired_token") == 0)
		return device_expired(a, res);
	return -1;
}

/* The form carries the device code (and the client secret): wiped. */
static int
device_poll(const struct account *a, const char *device_code,
    long interval, long expires, struct o2grant *g, struct result *res)
{
	char		 form[O2_FORM_MAX];
	const char	*hide[] = { device_code, NULL };
	int		 rv = -1;

	if (interval < 1 || interval > INTERVAL_MAX)
		interval = DEVICE_INTERVAL;
	if (expires < 1 || expires > DEVICE_WAIT_MAX)
		expires = DEVICE_WAIT_MAX;
	if (o2_form_client(a, form, sizeof(form), res) == 0 &&
	    o2_form_add(form, sizeof(form), "grant_type",
	    "urn:ietf:params:oauth:grant-type:device_code", res) == 0 &&
	    o2_form_add(form, sizeof(form), "device_code", device_code,
	    res) == 0)
		rv = poll_loop(a, form, hide, interval,
		    (long long)time(NULL) + expires, g, res);
	explicit_bzero(form, sizeof(form));
	return rv;
}

int
o2_device_flow(const struct account *a, struct o2grant *g,
    struct result *res)
{
	char	 dc[CODE_MAX];
	long	 interval, expires;
	int	 rv;

	if (device_start(a, dc, &interval, &expires, res) == -1)
		return -1;
	rv = device_poll(a, dc, interval, expires, g, res);
	explicit_bzero(dc, sizeof(dc));
	return rv;
}

/* n random bytes as base64url without padding (RFC 7636 appendix A). */
static int
b64url(const unsigned char *in, size_t n, char *out)
{
	size_t	 len = b64_encode(in, n, out), i;

	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (i = 0; i < len; i++)
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	return 0;
}

static int
random_b64url(size_t n, char *out, struct result *res)
{
	unsigned char	 raw[VERIFIER_BYTES];

	if (n > sizeof(raw) || RAND_bytes(raw, (int)n) != 1)
		return result_fail(res, EX_OSERR, "oauth2: no random bytes");
	b64url(raw, n, out);
	explicit_bzero(raw, sizeof(raw));
	return 0;
}

int
o2_pkce_challenge(const char *verifier, char *out, struct result *res)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;

	if (EVP_Digest(verifier, strlen(verifier), md, &mdlen, EVP_sha256(),
	    NULL) != 1)
		return result_fail(res, EX_SOFTWARE, "oauth2: SHA-256 failed");
	b64url(md, mdlen, out);
	return 0;
}

/* RFC 8252 7.3: a socket on 127.0.0.1 and an ephemeral port. */
static int
listen_loopback(int *port, struct result *res)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Non-blocking: a connection gone between poll and accept must
	 * not leave us blocked in accept past the timeout. */
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 1) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		result_fail(res, EX_OSERR, "oauth2: loopback listener: %s",
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

/* The authorization URL (RFC 6749 4.1.1, RFC 7636 4.3). */
static int
auth_url(const struct account *a, const char *redirect, const char *state,
    const char *challenge, char *url, size_t n, struct result *res)
{
	char	 q[O2_FORM_MAX];
	int	 w;

	q[0] = '\0';
	if (o2_form_add(q, sizeof(q), "response_type", "code", res) == -1 ||
	    o2_form_add(q, sizeof(q), "client_id", a->oauth2_client_id,
	    res) == -1 ||
	    o2_form_add(q, sizeof(q), "redirect_uri", redirect, res) == -1 ||
	    (a->oauth2_scope != NULL && o2_form_add(q, sizeof(q), "scope",
	    a->oauth2_scope, res) == -1) ||
	    o2_form_add(q, sizeof(q), "state", state, res) == -1 ||
	    o2_form_add(q, sizeof(q), "code_challenge", challenge,
	    res) == -1 ||
	    o2_form_add(q, sizeof(q), "code_challenge_method", "S256",
	    res) == -1)
		return -1;
	/* Google returns a refresh token only when asked for offline use. */
	if (strcmp(a->oauth2_provider, "google") == 0 &&
	    (o2_form_add(q, sizeof(q), "access_type", "offline", res) == -1 ||
	    o2_form_add(q, sizeof(q), "prompt", "consent", res) == -1))
		return -1;
	w = snprintf(url, n, "%s%c%s", a->oauth2_authorize_endpoint,
	    strchr(a->oauth2_authorize_endpoint, '?') ? '&' : '?', q);
	if (w < 0 || (size_t)w >= n)
		return result_fail(res, EX_CONFIG, "oauth2: authorization URL "
		    "longer than %zu bytes", n);
	return 0;
}

int
o2_query_param(const char *q, const char *name, char *out, size_t n)
{
	size_t		 nl = strlen(name), vl;
	const char	*p = q;

	while (*p != '\0' && *p != ' ') {
		vl = strcspn(p, "& ");
		if (vl > nl && strncmp(p, name, nl) == 0 && p[nl] == '=')
			return o2_unescape(p + nl + 1, vl - nl - 1, out, n);
		p += vl;
		if (*p == '&')
			p++;
	}
	return -1;
}

/*
 * Read the request head, up to its blank line, until the deadline (ms,
 * now_ms()) however slowly it comes: a local process that dribbles a
 * byte at a time must not hold the listener longer.  0: a whole head;
 * 1: none (closed, silent, or cut by the deadline); -1: over n - 1.
 */
static int
read_request(int fd, char *buf, size_t n, long long deadline)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	size_t		 len = 0;
	long long	 left;
	ssize_t		 r;

	while (strstr(buf, "\r\n\r\n") == NULL) {
		if (len == n - 1)
			return -1;
		if ((left = deadline - now_ms()) <= 0 ||
		    poll(&pfd, 1, (int)left) <= 0 ||
		    (r = read(fd, buf + len, n - 1 - len)) <= 0)
			return 1;
		len += (size_t)r;
		buf[len] = '\0';
	}
	return 0;
}

static void
respond(int fd, int ok)
{
	static const char okr[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain"
	    "; charset=utf-8\r\nConnection: close\r\n\r\nstamp is authorized."
	    " You can close this window.\n";
	static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Type: "
	    "text/plain; charset=utf-8\r\nConnection: close\r\n\r\nstamp was "
	    "not authorized; see its terminal.\n";

	if (ok)
		(void)write_all(fd, okr, sizeof(okr) - 1);
	else
		(void)write_all(fd, bad, sizeof(bad) - 1);
}

/* Exactly our state, compared in constant time (CSRF, RFC 6749 10.12). */
static int
state_ok(const char *got, const char *state)
{
	size_t	 n = strlen(state);

	return strlen(got) == n && CRYPTO_memcmp(got, state, n) == 0;
}

int
o2_redirect_parse(const char *req, const char *state, char *code,
    char err[O2_ERROR_MAX])
{
	char		 got[CODE_MAX];
	const char	*q;

	code[0] = err[0] = '\0';
	if (strncmp(req, "GET /", 5) != 0 ||
	    (q = strchr(req + 4, '?')) == NULL ||
	    q > req + 4 + strcspn(req + 4, " "))
		return O2_REDIRECT_NOT_GET;
	q++;
	if (o2_query_param(q, "state", got, sizeof(got)) == -1 ||
	    !state_ok(got, state))
		return O2_REDIRECT_STATE;
	if (o2_query_param(q, "error", err, O2_ERROR_MAX) == 0)
		return O2_REDIRECT_ERROR;
	err[0] = '\0';
	if (o2_query_param(q, "code", code, O2_CODE_MAX) == -1 ||
	    code[0] == '\0') {
		explicit_bzero(code, O2_CODE_MAX);
		return O2_REDIRECT_NO_CODE;
	}
	return O2_REDIRECT_OK;
}

/* o2_redirect_parse's verdict as the one stderr line. */
static int
redirect_fail(const struct account *a, int how, const char *err,
    struct result *res)
{
	switch (how) {
	case O2_REDIRECT_NOT_GET:
		return result_fail(res, EX_PROTOCOL, "oauth2: the redirect "
		    "was not a GET with a query");
	case O2_REDIRECT_STATE:
		return result_fail(res, EX_PROTOCOL, "oauth2: the redirect "
		    "carries a wrong state; not from this authorization");
	case O2_REDIRECT_ERROR:
		return result_fail(res, EX_NOPERM, "oauth2: authorization "
		    "for account '%s' refused: %s", a->name, err);
	default:
		return result_fail(res, EX_PROTOCOL, "oauth2: the redirect "
		    "carries no code");
	}
}

/*
 * The one redirect request: its state must be ours; code into code.  0,
 * -1, or 1 for a connection without a whole request head (a browser's
 * speculative connection; a local process that is slow or sends more
 * than REQUEST_MAX): the wait goes on.  The request (it holds the code)
 * is wiped.
 */
static int
take_redirect(const struct account *a, int c, const char *state,
    char *code, long long end, struct result *res)
{
	char		 req[REQUEST_MAX], err[O2_ERROR_MAX];
	long long	 deadline = now_ms() + REQUEST_TIMEOUT * 1000LL;
	int		 how, rv;

	req[0] = '\0';
	switch (read_request(c, req, sizeof(req), deadline < end ? deadline :
	    end)) {
	case 1:
		explicit_bzero(req, sizeof(req));
		return 1;		/* no request on it: not the one */
	case -1:
		explicit_bzero(req, sizeof(req));
		respond(c, 0);
		return 1;		/* not a browser's: not the one */
	default:
		break;
	}
	how = o2_redirect_parse(req, state, code, err);
	explicit_bzero(req, sizeof(req));
	respond(c, how == O2_REDIRECT_OK);
	rv = how == O2_REDIRECT_OK ? 0 : redirect_fail(a, how, err, res);
	return rv;
}

/*
 * Wait for the browser's redirect, the account's timeout in all: the
 * first request decides; connections without one are closed and skipped.
 */
static int
await_redirect(const struct account *a, int fd, const char *state,
    char *code, struct result *res)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	long long	 end = now_ms() + a->timeout * 1000LL, left;
	int		 c, rv = 1;

	while (rv == 1) {
		if ((left = end - now_ms()) <= 0 ||
		    poll(&pfd, 1, (int)left) <= 0)
			return result_fail(res, EX_TEMPFAIL, "oauth2: no "
			    "redirect within %d s (the account's timeout); run "
			    "stamp --oauth2-authorize %s again", a->timeout,
			    a->name);
		if ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ECONNABORTED || errno == EINTR)
				continue;
			return result_fail(res, EX_OSERR, "oauth2: accept: %s",
			    strerror(errno));
		}
		rv = take_redirect(a, c, state, code, end, res);
		close(c);
	}
	return rv;
}

/* RFC 6749 4.1.3 with the PKCE verifier. */
static int
redeem(const struct account *a, const char *code, const char *redirect,
    const char *verifier, struct o2grant *g, struct result *res)
{
	char		 form[O2_FORM_MAX], err[O2_ERROR_MAX];
	const char	*hide[] = { code, verifier, NULL };
	int		 rv = -1;

	if (o2_form_client(a, form, sizeof(form), res) == 0 &&
	    o2_form_add(form, sizeof(form), "grant_type",
	    "authorization_code", res) == 0 &&
	    o2_form_add(form, sizeof(form), "code", code, res) == 0 &&
	    o2_form_add(form, sizeof(form), "redirect_uri", redirect,
	    res) == 0 &&
	    o2_form_add(form, sizeof(form), "code_verifier", verifier,
	    res) == 0)
		rv = o2_token_request(a, form, hide, g, err, res);
	explicit_bzero(form, sizeof(form));
	return rv;
}

int
o2_code_flow(const struct account *a, struct o2grant *g, struct result *res)
{
	char	 verifier[B64URL_MAX], challenge[B64URL_MAX];
	char	 state[B64URL_MAX], redirect[REDIRECT_MAX];
	char	 url[URI_MAX * 4], code[CODE_MAX];
	int	 fd, port, rv = -1;

	if (a->oauth2_authorize_endpoint == NULL)
		return result_fail(res, EX_CONFIG, "oauth2: account '%s' has "
		    "no oauth2_authorize_endpoint", a->name);
	if (random_b64url(VERIFIER_BYTES, verifier, res) == -1 ||
	    random_b64url(STATE_BYTES, state, res) == -1 ||
	    o2_pkce_challenge(verifier, challenge, res) == -1 ||
	    (fd = listen_loopback(&port, res)) == -1)
		return -1;
	snprintf(redirect, sizeof(redirect), "http://127.0.0.1:%d/", port);
	if (auth_url(a, redirect, state, challenge, url, sizeof(url),
	    res) == 0) {
		printf("To authorize stamp for account '%s', open this URL in "
		    "a browser on this machine:\n  %s\n", a->name, url);
		printf("Waiting for the redirect to %s ...\n", redirect);
		fflush(stdout);
		if (await_redirect(a, fd, state, code, res) == 0)
			rv = redeem(a, code, redirect, verifier, g, res);
	}
	close(fd);
	explicit_bzero(verifier, sizeof(verifier));
	explicit_bzero(code, sizeof(code));
	return rv;
}
