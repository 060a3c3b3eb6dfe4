/*
 * tls.c - OpenSSL, verified, over a non-blocking socket: the handshake
 * and the I/O (tls.h).  The parts, sharing tls_impl.h: tlsctx.c (the
 * context: trust, client certificate), tlsverify.c (the pin, the name,
 * the peer for --doctor), tlserr.c (error texts), tlsresume.c (session
 * cache), tlscb.c (channel binding).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "log.h"
#include "result.h"
#include "tls.h"
#include "tls_impl.h"
#include "util.h"

/* Wait until OpenSSL's wish (err) can be met; 1 ready, 0 timeout. */
static int
wait_ssl(struct tls *t, int err, long long deadline)
{
	struct pollfd	 p = { .fd = t->fd };
	int		 ms, n;

	p.events = err == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
	for (;;) {
		if ((ms = (int)(deadline - now_ms())) < 0)
			return 0;
		if ((n = poll(&p, 1, ms)) >= 0)
			return n;
		if (errno != EINTR)
			return -1;
	}
}

/*
 * The SNI host name (RFC 6066 3).  SSL_set_tlsext_host_name is a macro
 * that casts the const away (OpenSSL copies the name): it gets a copy.
 * A longer name fails as OpenSSL would fail it.
 */
static int
set_sni(SSL *ssl, const char *host)
{
	char	 name[TLSEXT_MAXLEN_host_name + 1];

	if (strlen(host) >= sizeof(name))
		return 0;
	str_copy(name, sizeof(name), host);
	return (int)SSL_set_tlsext_host_name(ssl, name);
}

/* SNI and the name to verify: a DNS name, or an IP address literal. */
static int
ssl_setup(struct tls *t, const struct tls_opts *o, const char *stage,
    struct result *res)
{
	if ((t->ssl = SSL_new(t->ctx)) == NULL ||
	    SSL_set_fd(t->ssl, t->fd) != 1)
		return result_fail(res, EX_SOFTWARE, "%s: %s", stage,
		    tls_ssl_reason());
	if (tls_host_is_ip(o->host)) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl),
		    o->host) != 1)
			return result_fail(res, EX_SOFTWARE, "%s: %s", stage,
			    tls_ssl_reason());
	} else if (set_sni(t->ssl, o->host) != 1 ||
	    SSL_set1_host(t->ssl, o->host) != 1)
		return result_fail(res, EX_SOFTWARE, "%s: %s", stage,
		    tls_ssl_reason());
	return 0;
}

/*
 * No OPENSSL_cleanup at exit: freeing every algorithm and provider one by
 * one costs more CPU than some handshakes, for memory that exit returns
 * anyway.  Only effective if this is OpenSSL's first initialisation.
 */
void
tls_lib_init(void)
{
	OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT | TLS_INIT_STRINGS, NULL);
}

int
tls_start(struct tls **tp, int fd, const struct tls_opts *o, int timeout_ms,
    const char *stage, struct result *res)
{
	struct tls	*t;
	long long	 deadline = now_ms() + timeout_ms;
	int		 r, err;

	*tp = NULL;
	tls_lib_init();
	ERR_clear_error();
	if ((t = xcalloc(1, sizeof(*t), res)) == NULL)
		return -1;
	t->fd = fd;
	t->o = *o;
	*tp = t;
	if ((r = tls_ctx_take_checked(t, o, res)) == -1 ||
	    (r == 0 && tls_ctx_setup(t, o, stage, res) == -1) ||
	    ssl_setup(t, o, stage, res) == -1)
		return -1;
	if (o->resume)
		tls_resume_setup(t);
	while ((r = SSL_connect(t->ssl)) != 1) {
		err = SSL_get_error(t->ssl, r);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			tls_peer_note(t);
			return tls_handshake_failed(t, err, stage, res);
		}
		if (wait_ssl(t, err, deadline) != 1)
			return result_fail(res, EX_TEMPFAIL, "%s: TLS "
			    "handshake timed out", stage);
	}
	tls_peer_note(t);
	if (t->offered)
		log_trace("TLS session %s", SSL_session_reused(t->ssl) ?
		    "resumed" : "not resumed: full handshake");
	return 0;
}

/*
 * After an SSL call failed with err: wait for what OpenSSL needs and
 * return 0 to retry, or record why the connection is gone (-1).
 */
static int
retry(struct tls *t, int err, long long deadline, const char *stage,
    const char *waiting, struct result *res)
{
	if (err == SSL_ERROR_SSL &&
	    tls_client_cert_refused(t, stage, res) == -1)
		return -1;
	if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
		return result_fail(res, EX_TEMPFAIL, "%s: connection lost: "
		    "%s%s", stage, err == SSL_ERROR_SYSCALL ? strerror(errno) :
		    tls_ssl_reason(), tls_close_hint(t));
	if (wait_ssl(t, err, deadline) != 1)
		return result_fail(res, EX_TEMPFAIL, "%s: timed out %s", stage,
		    waiting);
	return 0;
}

/* EOF: 0, or -1 (EX_TEMPFAIL) when there is a hint to give. */
static int
eof(struct tls *t, const char *stage, struct result *res)
{
	const char	*hint = tls_close_hint(t);

	if (*hint == '\0')
		return 0;
	return result_fail(res, EX_TEMPFAIL, "%s: connection closed by the "
	    "server%s", stage, hint);
}

ssize_t
tls_read(struct tls *t, void *buf, size_t n, int timeout_ms,
    const char *stage, struct result *res)
{
	long long	 deadline = now_ms() + timeout_ms;
	size_t		 got;
	int		 err;

	ERR_clear_error();
	while (SSL_read_ex(t->ssl, buf, n, &got) != 1) {
		if ((err = SSL_get_error(t->ssl, 0)) == SSL_ERROR_ZERO_RETURN)
			return eof(t, stage, res);
		if (retry(t, err, deadline, stage, "waiting for the server",
		    res) == -1)
			return -1;
	}
	t->got_data = 1;
	return (ssize_t)got;
}

/*
 * Our first write after the handshake failed: the server, which had
 * asked for our certificate, has hung up.  It may have said why in an
 * alert just before (TLS 1.3 refuses a client certificate after the
 * handshake); read it, so that the error is the server's reason.
 * -1 if that was it.
 */
static int
refused_before_write(struct tls *t, const char *stage, struct result *res)
{
	char	 c;
	size_t	 got;
	int	 saved = errno;

	if (!t->cert_requested || t->got_data)
		return 0;
	ERR_clear_error();
	if (SSL_read_ex(t->ssl, &c, 1, &got) != 1 &&
	    SSL_get_error(t->ssl, 0) == SSL_ERROR_SSL &&
	    tls_client_cert_refused(t, stage, res) == -1)
		return -1;
	errno = saved;
	return 0;
}

int
tls_write(struct tls *t, const void *buf, size_t n, int timeout_ms,
    const char *stage, struct result *res)
{
	long long	 deadline = now_ms() + timeout_ms;
	size_t		 done;
	int		 err;

	ERR_clear_error();
	while (SSL_write_ex(t->ssl, buf, n, &done) != 1) {
		err = SSL_get_error(t->ssl, 0);
		if (err == SSL_ERROR_SYSCALL &&
		    refused_before_write(t, stage, res) == -1)
			return -1;
		if (retry(t, err, deadline, stage, "sending", res) == -1)
			return -1;
	}
	return 0;
}

size_t
tls_pending(struct tls *t)
{
	return (size_t)SSL_pending(t->ssl);
}

const char *
tls_version(const struct tls *t)
{
	return SSL_get_version(t->ssl);
}

const char *
tls_cipher(const struct tls *t)
{
	return SSL_get_cipher_name(t->ssl);
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	if (t->ssl != NULL) {
		if (SSL_is_init_finished(t->ssl))
			SSL_shutdown(t->ssl);
		SSL_free(t->ssl);
	}
	SSL_CTX_free(t->ctx);
	free(t);
}
