/*
 * tls.c - OpenSSL, verified, over a non-blocking socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "result.h"
#include "tls.h"
#include "util.h"

struct tls {
	SSL_CTX	*ctx;
	SSL	*ssl;
	int	 fd;
};

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

static const char *
ssl_reason(void)
{
	unsigned long	 e = ERR_peek_last_error();
	const char	*r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "unknown error";
}

static int
ctx_setup(struct tls *t, const struct tls_opts *o, const char *stage,
    struct result *res)
{
	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return result_fail(res, EX_SOFTWARE, "%s: %s", stage,
		    ssl_reason());
	SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
	/* SMTP frames itself; a missing close_notify is only an EOF. */
	SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	if (o->trust_file != NULL) {
		if (SSL_CTX_load_verify_locations(t->ctx, o->trust_file,
		    NULL) != 1)
			return result_fail(res, EX_CONFIG, "cannot load "
			    "tls_trust_file %s: %s", o->trust_file,
			    ssl_reason());
	} else if (SSL_CTX_set_default_verify_paths(t->ctx) != 1)
		return result_fail(res, EX_CONFIG, "cannot load the system "
		    "CA certificates: %s", ssl_reason());
	return 0;
}

/* SNI and the name to verify: a DNS name, or an IP address literal. */
static int
ssl_setup(struct tls *t, const struct tls_opts *o, const char *stage,
    struct result *res)
{
	unsigned char	 ip[16];
	int		 is_ip;

	if ((t->ssl = SSL_new(t->ctx)) == NULL ||
	    SSL_set_fd(t->ssl, t->fd) != 1)
		return result_fail(res, EX_SOFTWARE, "%s: %s", stage,
		    ssl_reason());
	is_ip = inet_pton(AF_INET, o->host, ip) == 1 ||
	    inet_pton(AF_INET6, o->host, ip) == 1;
	if (is_ip) {
		if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl),
		    o->host) != 1)
			return result_fail(res, EX_SOFTWARE, "%s: %s", stage,
			    ssl_reason());
	} else if (SSL_set_tlsext_host_name(t->ssl, o->host) != 1 ||
	    SSL_set1_host(t->ssl, o->host) != 1)
		return result_fail(res, EX_SOFTWARE, "%s: %s", stage,
		    ssl_reason());
	return 0;
}

static int
handshake_failed(struct tls *t, int err, const char *stage,
    struct result *res)
{
	long	 v = SSL_get_verify_result(t->ssl);

	if (v != X509_V_OK)
		return result_fail(res, EX_UNAVAILABLE, "%s: TLS certificate "
		    "verification failed: %s", stage,
		    X509_verify_cert_error_string(v));
	if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN ||
	    ERR_GET_REASON(ERR_peek_last_error()) ==
	    SSL_R_UNEXPECTED_EOF_WHILE_READING)
		return result_fail(res, EX_TEMPFAIL, "%s: connection closed "
		    "during the TLS handshake", stage);
	if (ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_WRONG_VERSION_NUMBER)
		return result_fail(res, EX_UNAVAILABLE, "%s: TLS handshake "
		    "failed: the server does not speak TLS here (a STARTTLS "
		    "port? then set tls = starttls)", stage);
	return result_fail(res, EX_UNAVAILABLE, "%s: TLS handshake failed: "
	    "%s", stage, ssl_reason());
}

int
tls_start(struct tls **tp, int fd, const struct tls_opts *o, int timeout_ms,
    const char *stage, struct result *res)
{
	struct tls	*t;
	long long	 deadline = now_ms() + timeout_ms;
	int		 r, err;

	*tp = NULL;
	ERR_clear_error();
	if ((t = xcalloc(1, sizeof(*t), res)) == NULL)
		return -1;
	t->fd = fd;
	*tp = t;
	if (ctx_setup(t, o, stage, res) == -1 ||
	    ssl_setup(t, o, stage, res) == -1)
		return -1;
	while ((r = SSL_connect(t->ssl)) != 1) {
		err = SSL_get_error(t->ssl, r);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
			return handshake_failed(t, err, stage, res);
		if (wait_ssl(t, err, deadline) != 1)
			return result_fail(res, EX_TEMPFAIL, "%s: TLS "
			    "handshake timed out", stage);
	}
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
	if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
		return result_fail(res, EX_TEMPFAIL, "%s: connection lost: %s",
		    stage, err == SSL_ERROR_SYSCALL ? strerror(errno) :
		    ssl_reason());
	if (wait_ssl(t, err, deadline) != 1)
		return result_fail(res, EX_TEMPFAIL, "%s: timed out %s", stage,
		    waiting);
	return 0;
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
			return 0;
		if (retry(t, err, deadline, stage, "waiting for the server",
		    res) == -1)
			return -1;
	}
	return (ssize_t)got;
}

int
tls_write(struct tls *t, const void *buf, size_t n, int timeout_ms,
    const char *stage, struct result *res)
{
	long long	 deadline = now_ms() + timeout_ms;
	size_t		 done;

	ERR_clear_error();
	while (SSL_write_ex(t->ssl, buf, n, &done) != 1)
		if (retry(t, SSL_get_error(t->ssl, 0), deadline, stage,
		    "sending", res) == -1)
			return -1;
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
