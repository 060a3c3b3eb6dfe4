/*
 * tlscb.c - channel binding data for SASL's -PLUS mechanisms (RFC 5056,
 * RFC 5929, RFC 9266).
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "tls.h"
#include "tls_impl.h"

/* RFC 9266 2: exporter, label "EXPORTER-Channel-Binding", no context. */
static int
cb_exporter(struct tls *t, unsigned char *buf, size_t max, size_t *len)
{
	static const char label[] = "EXPORTER-Channel-Binding";

	if (SSL_version(t->ssl) != TLS1_3_VERSION || max < 32 ||
	    SSL_export_keying_material(t->ssl, buf, 32, label,
	    sizeof(label) - 1, NULL, 0, 0) != 1)
		return -1;
	*len = 32;
	return 0;
}

/* RFC 5929 3.1: the client's Finished on a full handshake, the
 * server's on a resumed one. */
static int
cb_unique(struct tls *t, unsigned char *buf, size_t max, size_t *len)
{
	if (SSL_version(t->ssl) >= TLS1_3_VERSION ||
	    SSL_get_extms_support(t->ssl) != 1)
		return -1;
	*len = SSL_session_reused(t->ssl) ?
	    SSL_get_peer_finished(t->ssl, buf, max) :
	    SSL_get_finished(t->ssl, buf, max);
	return *len > 0 && *len <= max ? 0 : -1;
}

/* RFC 5929 4.1: SHA-256, or the certificate's own hash if stronger
 * (MD5 and SHA-1 become SHA-256). */
static int
cb_end_point(struct tls *t, unsigned char *buf, size_t max, size_t *len)
{
	X509		*cert = SSL_get0_peer_certificate(t->ssl);
	const EVP_MD	*md = EVP_sha256();
	unsigned int	 n = 0;
	int		 nid = NID_undef;

	if (cert == NULL)
		return -1;
	if (X509_get_signature_info(cert, &nid, NULL, NULL, NULL) == 1 &&
	    nid != NID_undef && nid != NID_md5 && nid != NID_sha1 &&
	    nid != NID_sha224 && EVP_get_digestbynid(nid) != NULL)
		md = EVP_get_digestbynid(nid);
	if ((size_t)EVP_MD_get_size(md) > max ||
	    X509_digest(cert, md, buf, &n) != 1)
		return -1;
	*len = n;
	return 0;
}

int
tls_channel_binding(struct tls *t, const char *type, const char **used,
    unsigned char *buf, size_t max, size_t *len)
{
	static const char *const names[] = { "tls-exporter", "tls-unique",
	    "tls-server-end-point" };
	int		(*fn[])(struct tls *, unsigned char *, size_t,
			    size_t *) = { cb_exporter, cb_unique, cb_end_point };
	size_t		 i;

	*len = 0;
	if (t == NULL || t->ssl == NULL || !SSL_is_init_finished(t->ssl))
		return -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (type != NULL && strcmp(type, names[i]) != 0)
			continue;
		if (fn[i](t, buf, max, len) == 0) {
			*used = names[i];
			return 0;
		}
	}
	return -1;
}
