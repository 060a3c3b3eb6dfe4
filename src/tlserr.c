/*
 * tlserr.c - why a TLS step failed, in words that say what to fix: the
 * handshake, a refused client certificate, unusable PEM files; OpenSSL's
 * error strings, loaded only when one is printed.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "result.h"
#include "tls.h"
#include "tls_impl.h"

/*
 * OpenSSL's error strings are not loaded at initialisation, where they
 * cost ~1.1 M instructions (4 % of a whole send), but only before the
 * first one is printed: errors are queued as codes, and their strings are
 * looked up by code when printed, so the codes queued before stay good.
 * OPENSSL_INIT_NO_LOAD_*_STRINGS uses up OpenSSL 3.0's own once, so the
 * only way to load them afterwards is the per-library loaders, deprecated
 * in 3.0 but exported.  Without them (OPENSSL_NO_DEPRECATED_3_0), the
 * strings are loaded at initialisation as before.  Common reasons
 * ("unsupported", "malloc failure") come with ERR's own table.
 * TLS_LAZY_STRINGS: tls_impl.h.
 */
#if !TLS_LAZY_STRINGS
static void
err_strings_load(void)
{
}
#else
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static void
err_strings_load(void)
{
	static int	 loaded;

	if (loaded)
		return;
	loaded = 1;
	(void)ERR_load_ERR_strings();
	(void)ERR_load_ASN1_strings();
	(void)ERR_load_ASYNC_strings();
	(void)ERR_load_BIO_strings();
	(void)ERR_load_BN_strings();
	(void)ERR_load_BUF_strings();
	(void)ERR_load_CMS_strings();
	(void)ERR_load_COMP_strings();
	(void)ERR_load_CONF_strings();
	(void)ERR_load_CRYPTO_strings();
	(void)ERR_load_CT_strings();
	(void)ERR_load_DH_strings();
	(void)ERR_load_DSA_strings();
	(void)ERR_load_EC_strings();
	(void)ERR_load_ENGINE_strings();
	(void)ERR_load_EVP_strings();
	(void)ERR_load_KDF_strings();
	(void)ERR_load_OBJ_strings();
	(void)ERR_load_OCSP_strings();
	(void)ERR_load_OSSL_STORE_strings();
	(void)ERR_load_PEM_strings();
	(void)ERR_load_PKCS12_strings();
	(void)ERR_load_PKCS7_strings();
	(void)ERR_load_RAND_strings();
	(void)ERR_load_RSA_strings();
	(void)ERR_load_TS_strings();
	(void)ERR_load_UI_strings();
	(void)ERR_load_X509_strings();
	(void)ERR_load_X509V3_strings();
	(void)ERR_load_SSL_strings();
}
#pragma GCC diagnostic pop
#endif

const char *
tls_ssl_reason(void)
{
	unsigned long	 e = ERR_peek_last_error();
	const char	*r;

	err_strings_load();
	r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : "unknown error";
}

/* The TLS alert the server sent (RFC 8446 6), or 0 if that was not it. */
static int
alert_received(void)
{
	int	 r = ERR_GET_REASON(ERR_peek_last_error());

	return r > SSL_AD_REASON_OFFSET ? r - SSL_AD_REASON_OFFSET : 0;
}

/* Why OpenSSL could not use a PEM file; empties its error queue. */
enum pem_why {
	PEM_UNUSABLE,			/* not PEM, or not what was wanted */
	PEM_SYSTEM,			/* cannot read it: errno */
	PEM_ENCRYPTED,			/* a key with a passphrase */
	PEM_MISMATCH			/* the key is not the certificate's */
};

static enum pem_why
pem_failure(int *err)
{
	enum pem_why	 w = PEM_UNUSABLE;
	unsigned long	 e;

	while ((e = ERR_get_error()) != 0) {
		if (ERR_SYSTEM_ERROR(e)) {
			w = PEM_SYSTEM;
			*err = ERR_GET_REASON(e);
		} else if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
		    ERR_GET_REASON(e) == PEM_R_BAD_PASSWORD_READ)
			w = PEM_ENCRYPTED;
		else if (ERR_GET_LIB(e) == ERR_LIB_X509 &&
		    ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
			w = PEM_MISMATCH;
	}
	return w;
}

/* The error for tls_cert_file or tls_key_file (key: what) at path. */
int
tls_pem_failed(const struct tls_opts *o, const char *what, const char *path,
    struct result *res)
{
	int	 err = 0;

	switch (pem_failure(&err)) {
	case PEM_SYSTEM:
		return result_fail(res, EX_CONFIG, "cannot read %s %s: %s",
		    what, path, strerror(err));
	case PEM_ENCRYPTED:
		return result_fail(res, EX_CONFIG, "%s %s is encrypted; stamp "
		    "never asks for a passphrase: store the key without one "
		    "(openssl pkey -in %s -out NEW.key), mode 600", what, path,
		    path);
	case PEM_MISMATCH:
		return result_fail(res, EX_CONFIG, "tls_key_file %s does not "
		    "match tls_cert_file %s", o->key_file, o->cert_file);
	case PEM_UNUSABLE:
		break;
	}
	return result_fail(res, EX_CONFIG, "%s %s holds no usable PEM %s", what,
	    path, strcmp(what, "tls_key_file") == 0 ? "private key" :
	    "certificate");
}

/*
 * Why a server that hangs up before saying anything may have done so:
 * servers that do not send TLS alerts just close.  "" if no idea.
 */
const char *
tls_close_hint(const struct tls *t)
{
	if (t->got_data)
		return "";
	if (t->cert_requested && t->o.cert_file == NULL)
		return "; the server asked for a TLS client certificate and "
		    "none is set (tls_cert_file, tls_key_file)";
	if (t->cert_requested)
		return "; the server may have refused the TLS client "
		    "certificate";
	if (t->o.min_version == 13 && !SSL_is_init_finished(t->ssl))
		return "; tls_min_version = 1.3: does the server speak "
		    "TLS 1.3?";
	return "";
}

/*
 * The server sent a fatal alert about certificates after it had asked
 * for ours: it wants one (none set) or refused ours.  Permanent: 69.
 * With TLS 1.3 this arrives after our side of the handshake is done,
 * on the first read.  0 if it was not that.
 */
int
tls_client_cert_refused(struct tls *t, const char *stage, struct result *res)
{
	switch (t->cert_requested ? alert_received() : 0) {
	case SSL_AD_HANDSHAKE_FAILURE:
	case SSL_AD_BAD_CERTIFICATE:
	case SSL_AD_UNSUPPORTED_CERTIFICATE:
	case SSL_AD_CERTIFICATE_REVOKED:
	case SSL_AD_CERTIFICATE_EXPIRED:
	case SSL_AD_CERTIFICATE_UNKNOWN:
	case SSL_AD_UNKNOWN_CA:
	case SSL_AD_ACCESS_DENIED:
	case SSL_AD_CERTIFICATE_REQUIRED:
		break;
	default:
		return 0;
	}
	if (t->o.cert_file == NULL)
		return result_fail(res, EX_UNAVAILABLE, "%s: the server "
		    "requires a TLS client certificate (%s); set tls_cert_file "
		    "and tls_key_file", stage, tls_ssl_reason());
	return result_fail(res, EX_UNAVAILABLE, "%s: the server refused the "
	    "TLS client certificate %s (%s)", stage, t->o.cert_file,
	    tls_ssl_reason());
}

/* No TLS version that both sides allow (tls_min_version). */
static int
no_common_version(void)
{
	int	 r = ERR_GET_REASON(ERR_peek_last_error());

	return r == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
	    r == SSL_R_UNSUPPORTED_PROTOCOL ||
	    r == SSL_R_NO_PROTOCOLS_AVAILABLE;
}

static int
verify_failed(struct tls *t, long v, const char *stage, struct result *res)
{
	char	 want[FPR_TEXT];

	if (t->pin_failed) {
		tls_fpr_text(want, t->o.fingerprint);
		return result_fail(res, EX_UNAVAILABLE, "%s: TLS certificate "
		    "fingerprint mismatch: server has SHA256 %s, "
		    "tls_fingerprint expects %s", stage, t->seen, want);
	}
	if (v == X509_V_ERR_HOSTNAME_MISMATCH ||
	    v == X509_V_ERR_IP_ADDRESS_MISMATCH)
		return result_fail(res, EX_UNAVAILABLE, "%s: TLS certificate "
		    "verification failed: %s (the certificate is not for %s)",
		    stage, X509_verify_cert_error_string(v), t->o.host);
	return result_fail(res, EX_UNAVAILABLE, "%s: TLS certificate "
	    "verification failed: %s (stamp --doctor shows the certificate "
	    "and what to change)", stage, X509_verify_cert_error_string(v));
}

int
tls_handshake_failed(struct tls *t, int err, const char *stage,
    struct result *res)
{
	long	 v = SSL_get_verify_result(t->ssl);

	if (v != X509_V_OK || t->pin_failed)
		return verify_failed(t, v, stage, res);
	if (tls_client_cert_refused(t, stage, res) == -1)
		return -1;
	if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN ||
	    ERR_GET_REASON(ERR_peek_last_error()) ==
	    SSL_R_UNEXPECTED_EOF_WHILE_READING)
		return result_fail(res, EX_TEMPFAIL, "%s: connection closed "
		    "during the TLS handshake%s", stage, tls_close_hint(t));
	if (ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_WRONG_VERSION_NUMBER)
		return result_fail(res, EX_UNAVAILABLE, "%s: TLS handshake "
		    "failed: the server answered in plain text, so this port "
		    "speaks STARTTLS, not implicit TLS: set tls = starttls "
		    "(or port = 465)", stage);
	if (no_common_version())
		return result_fail(res, EX_UNAVAILABLE, "%s: TLS handshake "
		    "failed: no protocol version in common with the server "
		    "(%s); stamp requires TLS %s or later (tls_min_version)",
		    stage, tls_ssl_reason(), t->o.min_version == 13 ? "1.3" :
		    "1.2");
	return result_fail(res, EX_UNAVAILABLE, "%s: TLS handshake failed: "
	    "%s", stage, tls_ssl_reason());
}
