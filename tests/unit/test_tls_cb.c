/*
 * test_tls_cb.c - TLS channel binding (tls_channel_binding, tls.h) for
 * SCRAM-PLUS: a real handshake between tls_start and an OpenSSL server
 * on the other end of a socketpair (in a thread), with a throwaway
 * certificate trusted by its pin.  Both sides must derive the same
 * bytes: tls-exporter on TLS 1.3 (RFC 9266; Python's ssl cannot export
 * keying material, so this is where it is proven), tls-unique and
 * tls-server-end-point on TLS 1.2 (RFC 5929).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "result.h"
#include "tls.h"

struct peer {
	int		 fd;
	int		 version;	/* TLS1_2_VERSION or TLS1_3_VERSION */
	X509		*cert;
	EVP_PKEY	*key;
	int		 ok;
	unsigned char	 exporter[32];
	unsigned char	 unique[TLS_CB_MAX];	/* the client's Finished */
	size_t		 uniquelen;
};

/* A self-signed certificate for localhost, signed with md. */
static void
make_cert(const EVP_MD *md, X509 **cert, EVP_PKEY **key)
{
	X509_NAME	*n;

	*key = EVP_EC_gen("P-256");
	assert_non_null(*key);
	*cert = X509_new();
	assert_non_null(*cert);
	ASN1_INTEGER_set(X509_get_serialNumber(*cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(*cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(*cert), 3600);
	X509_set_pubkey(*cert, *key);
	n = X509_get_subject_name(*cert);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(*cert, n);
	assert_true(X509_sign(*cert, *key, md) > 0);
}

static void *
serve(void *arg)
{
	struct peer	*p = arg;
	SSL_CTX		*ctx = SSL_CTX_new(TLS_server_method());
	SSL		*ssl;

	SSL_CTX_set_min_proto_version(ctx, p->version);
	SSL_CTX_set_max_proto_version(ctx, p->version);
	SSL_CTX_use_certificate(ctx, p->cert);
	SSL_CTX_use_PrivateKey(ctx, p->key);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, p->fd);
	if (SSL_accept(ssl) == 1) {
		p->ok = 1;
		if (p->version == TLS1_3_VERSION)
			p->ok = SSL_export_keying_material(ssl, p->exporter,
			    32, "EXPORTER-Channel-Binding", 24, NULL, 0, 0);
		else
			p->uniquelen = SSL_get_peer_finished(ssl, p->unique,
			    sizeof(p->unique));
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return NULL;
}

/* Handshake with tls_start against a server thread; *tp is the client. */
static void
handshake(struct peer *p, struct tls **tp)
{
	struct tls_opts	 o = { .host = "localhost" };
	struct result	 res = { 0 };
	unsigned char	 fpr[32];
	char		 hex[65];
	unsigned int	 n, i;
	pthread_t	 th;
	int		 sv[2];

	assert_int_equal(X509_digest(p->cert, EVP_sha256(), fpr, &n), 1);
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", fpr[i]);
	o.fingerprint = hex;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p->fd = sv[1];
	assert_int_equal(pthread_create(&th, NULL, serve, p), 0);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	assert_int_equal(tls_start(tp, sv[0], &o, 5000, "TLS", &res), 0);
	pthread_join(th, NULL);
	assert_true(p->ok);
	close(sv[1]);
}

/* tls-server-end-point is the hash md of the certificate, len bytes. */
static void
end_point_is(struct tls *t, const struct peer *p, const EVP_MD *md,
    size_t want)
{
	unsigned char	 cb[TLS_CB_MAX], h[EVP_MAX_MD_SIZE];
	const char	*used = NULL;
	unsigned int	 hl;
	size_t		 len;

	assert_int_equal(tls_channel_binding(t, "tls-server-end-point", &used,
	    cb, sizeof(cb), &len), 0);
	assert_string_equal(used, "tls-server-end-point");
	assert_int_equal(X509_digest(p->cert, md, h, &hl), 1);
	assert_int_equal(len, want);
	assert_int_equal(len, hl);
	assert_memory_equal(cb, h, hl);
}

/* A certificate signed with md, and a handshake of p->version. */
static struct tls *
start(struct peer *p, const EVP_MD *md)
{
	struct tls	*t;

	make_cert(md, &p->cert, &p->key);
	handshake(p, &t);
	assert_string_equal(tls_version(t), p->version == TLS1_3_VERSION ?
	    "TLSv1.3" : "TLSv1.2");
	return t;
}

static void
done(struct tls *t, struct peer *p)
{
	tls_free(t);
	X509_free(p->cert);
	EVP_PKEY_free(p->key);
}

static void
test_tls13_exporter(void **state)
{
	struct peer	 p = { .version = TLS1_3_VERSION };
	struct tls	*t;
	unsigned char	 cb[TLS_CB_MAX];
	const char	*used = NULL;
	size_t		 len;

	(void)state;
	t = start(&p, EVP_sha256());
	/* The default on TLS 1.3 is tls-exporter, and both sides agree. */
	assert_int_equal(tls_channel_binding(t, NULL, &used, cb, sizeof(cb),
	    &len), 0);
	assert_string_equal(used, "tls-exporter");
	assert_int_equal(len, 32);
	assert_memory_equal(cb, p.exporter, 32);
	/* RFC 5929 3 does not define tls-unique for TLS 1.3. */
	assert_int_equal(tls_channel_binding(t, "tls-unique", &used, cb,
	    sizeof(cb), &len), -1);
	done(t, &p);
}

static void
test_tls12_unique_and_end_point(void **state)
{
	struct peer	 p = { .version = TLS1_2_VERSION };
	struct tls	*t;
	unsigned char	 cb[TLS_CB_MAX];
	const char	*used = NULL;
	size_t		 len;

	(void)state;
	t = start(&p, EVP_sha256());
	/* tls-unique: the client's Finished, as the server saw it. */
	assert_int_equal(tls_channel_binding(t, NULL, &used, cb, sizeof(cb),
	    &len), 0);
	assert_string_equal(used, "tls-unique");
	assert_true(len == p.uniquelen && len >= 12);
	assert_memory_equal(cb, p.unique, len);
	assert_int_equal(tls_channel_binding(t, "tls-exporter", &used, cb,
	    sizeof(cb), &len), -1);
	/* tls-server-end-point: SHA-256 of the certificate (RFC 5929 4.1). */
	end_point_is(t, &p, EVP_sha256(), 32);
	done(t, &p);
}

/* A certificate signed with SHA-384: its own, stronger hash is used. */
static void
test_end_point_uses_stronger_hash(void **state)
{
	struct peer	 p = { .version = TLS1_3_VERSION };
	struct tls	*t;

	(void)state;
	t = start(&p, EVP_sha384());
	end_point_is(t, &p, EVP_sha384(), 48);
	done(t, &p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls13_exporter),
		cmocka_unit_test(test_tls12_unique_and_end_point),
		cmocka_unit_test(test_end_point_uses_stronger_hash),
	};

	signal(SIGPIPE, SIG_IGN);	/* as stamp: tls_free's close_notify */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
