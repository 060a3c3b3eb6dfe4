/*
 * tlsverify.c - the checks that OpenSSL's chain and name checks do not
 * make: the pin (tls_fingerprint), the certificate's SHA-256; and the
 * server as the handshake showed it (tls_peer, for --doctor).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "result.h"
#include "tls.h"
#include "tls_impl.h"
#include "util.h"

/* "AB:CD:..." from FPR_HEX hex digits. */
void
tls_fpr_text(char out[FPR_TEXT], const char *hex)
{
	size_t	 i;

	for (i = 0; i < FPR_BYTES; i++) {
		out[3 * i] = (char)toupper((unsigned char)hex[2 * i]);
		out[3 * i + 1] = (char)toupper((unsigned char)hex[2 * i + 1]);
		out[3 * i + 2] = i + 1 < FPR_BYTES ? ':' : '\0';
	}
}

/* SHA-256 of x (DER) in lower-case hex; -1 if it cannot be had. */
int
tls_cert_sha256(X509 *x, char hex[FPR_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0, i;

	if (x == NULL || X509_digest(x, EVP_sha256(), md, &n) != 1 ||
	    n != FPR_BYTES)
		return -1;
	for (i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[FPR_HEX] = '\0';
	return 0;
}

/*
 * tls_fingerprint replaces the chain and name checks (as in msmtp): the
 * server's certificate must be exactly the pinned one, whoever signed
 * it.  Called by OpenSSL instead of X509_verify_cert().
 */
int
tls_verify_pin(X509_STORE_CTX *xs, void *arg)
{
	struct tls	*t = arg;
	char		 hex[FPR_HEX + 1];

	if (tls_cert_sha256(X509_STORE_CTX_get0_cert(xs), hex) == -1) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	if (strcasecmp(hex, t->o.fingerprint) == 0)
		return 1;
	t->pin_failed = 1;
	tls_fpr_text(t->seen, hex);
	X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
	return 0;
}

int
tls_host_is_ip(const char *host)
{
	unsigned char	 ip[16];

	return inet_pton(AF_INET, host, ip) == 1 ||
	    inet_pton(AF_INET6, host, ip) == 1;
}

/*
 * The server as the handshake showed it (tls_peer, for --doctor).  The
 * chain is the one the server sent, kept even when verification failed.
 */

/* name (RFC 2253 form) into buf, sanitised. */
static void
peer_name(char *buf, size_t n, const X509_NAME *name)
{
	BIO	*b = BIO_new(BIO_s_mem());
	char	*p;
	long	 len;

	buf[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0 &&
	    (len = BIO_get_mem_data(b, &p)) > 0)
		result_sanitise(buf, n, p, (size_t)len);
	BIO_free(b);
}

/* "DNS:a, IP:1.2.3.4": the subjectAltName entries we can name. */
static void
peer_sans(char *buf, size_t n, X509 *x)
{
	GENERAL_NAMES	*gens = X509_get_ext_d2i(x, NID_subject_alt_name,
			    NULL, NULL);
	const GENERAL_NAME *g;
	char		 one[TLS_PEER_TEXT], ip[INET6_ADDRSTRLEN];
	int		 i, len;

	buf[0] = '\0';
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS) {
			len = ASN1_STRING_length(g->d.dNSName);
			str_copy(one, sizeof(one), "DNS:");
			result_sanitise(one + 4, sizeof(one) - 4, (const char *)
			    ASN1_STRING_get0_data(g->d.dNSName), (size_t)len);
		} else if (g->type == GEN_IPADD && inet_ntop(
		    ASN1_STRING_length(g->d.iPAddress) == 4 ? AF_INET :
		    AF_INET6, ASN1_STRING_get0_data(g->d.iPAddress), ip,
		    sizeof(ip)) != NULL)
			snprintf(one, sizeof(one), "IP:%s", ip);
		else
			continue;
		if (buf[0] != '\0')
			str_append(buf, n, ", ");
		str_append(buf, n, one);
	}
	GENERAL_NAMES_free(gens);
}

static void
peer_cert(struct tls_peer_cert *c, X509 *x)
{
	const ASN1_TIME	*na = X509_get0_notAfter(x);
	struct tm	 tm;
	int		 days = 0, secs = 0;

	peer_name(c->subject, sizeof(c->subject), X509_get_subject_name(x));
	peer_name(c->issuer, sizeof(c->issuer), X509_get_issuer_name(x));
	peer_sans(c->names, sizeof(c->names), x);
	c->not_after[0] = '\0';
	if (na != NULL && ASN1_TIME_to_tm(na, &tm) == 1)
		strftime(c->not_after, sizeof(c->not_after),
		    "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (na != NULL && ASN1_TIME_diff(&days, &secs, NULL, na) == 1)
		c->days_left = days - (secs < 0 && days <= 0 ? 1 : 0);
}

static enum tls_problem
peer_problem(long v, int pin_failed)
{
	if (pin_failed)
		return TLS_PEER_PIN;
	switch (v) {
	case X509_V_OK:
		return TLS_PEER_OK;
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH:
		return TLS_PEER_NAME;
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		return TLS_PEER_UNTRUSTED;
	case X509_V_ERR_CERT_HAS_EXPIRED:
		return TLS_PEER_EXPIRED;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		return TLS_PEER_NOT_YET_VALID;
	default:
		return TLS_PEER_OTHER;
	}
}

void
tls_peer_note(struct tls *t)
{
	struct tls_peer	*p = t->o.peer;
	STACK_OF(X509)	*chain;
	X509		*leaf;
	char		 hex[FPR_HEX + 1];
	int		 i, r;

	if (p == NULL)
		return;
	memset(p, 0, sizeof(*p));
	r = ERR_GET_REASON(ERR_peek_last_error());
	p->plain_text = r == SSL_R_WRONG_VERSION_NUMBER ||
	    r == SSL_R_PACKET_LENGTH_TOO_LONG;
	p->handshake = SSL_is_init_finished(t->ssl);
	if (p->handshake) {
		str_copy(p->version, sizeof(p->version), tls_version(t));
		str_copy(p->cipher, sizeof(p->cipher), tls_cipher(t));
	}
	p->started = 1;
	p->verify = SSL_get_verify_result(t->ssl);
	p->pin_failed = t->pin_failed;
	p->problem = peer_problem(p->verify, t->pin_failed);
	if (p->verify != X509_V_OK)
		str_copy(p->verify_text, sizeof(p->verify_text),
		    X509_verify_cert_error_string(p->verify));
	leaf = SSL_get0_peer_certificate(t->ssl);
	chain = SSL_get_peer_cert_chain(t->ssl);
	if (leaf == NULL && chain != NULL && sk_X509_num(chain) > 0)
		leaf = sk_X509_value(chain, 0);
	if (leaf != NULL && tls_cert_sha256(leaf, hex) == 0)
		tls_fpr_text(p->fingerprint, hex);
	if (chain == NULL || sk_X509_num(chain) == 0) {
		if (leaf != NULL)
			peer_cert(&p->cert[p->n++], leaf);
		return;
	}
	for (i = 0; i < sk_X509_num(chain) && p->n < TLS_PEER_CHAIN; i++)
		peer_cert(&p->cert[p->n++], sk_X509_value(chain, i));
}
