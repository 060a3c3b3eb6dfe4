/*
 * tlsctx.c - the SSL_CTX: protocol floor, trust (pin, tls_trust_file or
 * the system store), client certificate; tls_check, and the context it
 * keeps for the next tls_start.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "result.h"
#include "tcache.h"
#include "tls.h"
#include "tls_impl.h"

/*
 * OpenSSL calls this on a client only when the server asks for a
 * certificate (CertificateRequest); noted for the error messages.
 */
static int
note_cert_request(SSL *ssl, void *arg)
{
	struct tls	*t = arg;

	(void)ssl;
	t->cert_requested = 1;
	return 1;
}

/* No prompt for a key's passphrase: nobody may be there to answer. */
static int
no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

static int
client_cert(struct tls *t, const struct tls_opts *o, struct result *res)
{
	if (o->cert_file == NULL)
		return 0;
	if (o->key_file == NULL)	/* config.c requires both */
		return result_fail(res, EX_CONFIG, "tls_cert_file %s needs "
		    "tls_key_file", o->cert_file);
	SSL_CTX_set_default_passwd_cb(t->ctx, no_passphrase);
	ERR_clear_error();
	if (SSL_CTX_use_certificate_chain_file(t->ctx, o->cert_file) != 1)
		return tls_pem_failed(o, "tls_cert_file", o->cert_file, res);
	if (SSL_CTX_use_PrivateKey_file(t->ctx, o->key_file,
	    SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(t->ctx) != 1)
		return tls_pem_failed(o, "tls_key_file", o->key_file, res);
	return 0;
}

/* Does dir hold c_rehash links ("1a2b3c4d.0")?  Then lookups work. */
static int
has_hash_links(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	size_t		 n;
	int		 found = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while (!found && (e = readdir(d)) != NULL) {
		n = strlen(e->d_name);
		found = n == 10 && e->d_name[8] == '.' &&
		    strspn(e->d_name, "0123456789abcdef") == 8;
	}
	closedir(d);
	return found;
}

/*
 * The system store.  Its hashed directory (kept by Debian's
 * update-ca-certificates) is searched lazily, one CA per handshake;
 * the bundle file that SSL_CTX_set_default_verify_paths adds is parsed
 * whole, some 25 ms of CPU for every message.  SSL_CERT_FILE set, or no
 * usable directory: OpenSSL's defaults, as before.
 */
static int
system_store(SSL_CTX *ctx)
{
	const char	*dir = getenv(X509_get_default_cert_dir_env());

	if (dir == NULL)
		dir = X509_get_default_cert_dir();
	if (getenv(X509_get_default_cert_file_env()) == NULL &&
	    has_hash_links(dir))
		return SSL_CTX_load_verify_dir(ctx, dir);
	return SSL_CTX_set_default_verify_paths(ctx);
}

/* Where the chain is checked: the pin, tls_trust_file, or the system. */
static int
trust_setup(struct tls *t, const struct tls_opts *o, struct result *res)
{
	if (o->fingerprint != NULL) {
		if (strlen(o->fingerprint) != FPR_HEX)
			return result_fail(res, EX_CONFIG, "tls_fingerprint "
			    "must be %d hex digits", FPR_HEX);
		SSL_CTX_set_cert_verify_callback(t->ctx, tls_verify_pin, t);
	} else if (o->trust_file != NULL) {
		if (SSL_CTX_load_verify_locations(t->ctx, o->trust_file,
		    NULL) != 1)
			return result_fail(res, EX_CONFIG, "cannot load "
			    "tls_trust_file %s: %s", o->trust_file,
			    tls_ssl_reason());
	} else if (t->check_only)
		return 0;	/* nothing configured to check; see tls_check */
	else if (system_store(t->ctx) != 1)
		return result_fail(res, EX_CONFIG, "cannot load the system "
		    "CA certificates: %s", tls_ssl_reason());
	return 0;
}

int
tls_ctx_setup(struct tls *t, const struct tls_opts *o, const char *stage,
    struct result *res)
{
	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return result_fail(res, EX_SOFTWARE, "%s: %s", stage,
		    tls_ssl_reason());
	SSL_CTX_set_min_proto_version(t->ctx, o->min_version == 13 ?
	    TLS1_3_VERSION : TLS1_2_VERSION);
	/* SMTP frames itself; a missing close_notify is only an EOF. */
	SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* Always on: a failed check (or pin) aborts the handshake. */
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_cb(t->ctx, note_cert_request, t);
	if (trust_setup(t, o, res) == -1 || client_cert(t, o, res) == -1)
		return -1;
	return 0;
}

/*
 * tls_check's context, kept for the tls_start that follows with the same
 * options.  Making one costs OpenSSL 3.0 about as much CPU as the whole
 * handshake (it fetches every algorithm, and each certificate parsed
 * from tls_trust_file sets up all the key decoders): the check and the
 * connection would otherwise each pay for it.
 */
static SSL_CTX	*checked_ctx;
static char	 checked_key[TCACHE_KEY_LEN + 1];

/* What ctx_setup did with o, as a digest (o's strings may not last). */
static void
ctx_key(char *key, const struct tls_opts *o)
{
	char		 minv[8];
	const char	*parts[5];

	snprintf(minv, sizeof(minv), "%d", o->min_version);
	parts[0] = o->trust_file;
	parts[1] = o->fingerprint;
	parts[2] = o->cert_file;
	parts[3] = o->key_file;
	parts[4] = minv;
	tcache_key(key, parts, 5);
}

/*
 * Take the checked context for t if it was made with o: 1, or 0 (none
 * fits), or -1.  Its callbacks pointed at tls_check's struct tls, and
 * tls_check leaves the system store out.
 */
int
tls_ctx_take_checked(struct tls *t, const struct tls_opts *o,
    struct result *res)
{
	char	 key[TCACHE_KEY_LEN + 1];

	if (checked_ctx == NULL)
		return 0;
	ctx_key(key, o);
	if (strcmp(key, checked_key) != 0)
		return 0;
	t->ctx = checked_ctx;
	checked_ctx = NULL;
	SSL_CTX_set_cert_cb(t->ctx, note_cert_request, t);
	if (o->fingerprint != NULL)
		SSL_CTX_set_cert_verify_callback(t->ctx, tls_verify_pin, t);
	else if (o->trust_file == NULL && system_store(t->ctx) != 1)
		return result_fail(res, EX_CONFIG, "cannot load the system "
		    "CA certificates: %s", tls_ssl_reason());
	return 1;
}

int
tls_check(const struct tls_opts *o, struct result *res)
{
	struct tls	 t;
	int		 rv;

	tls_lib_init();
	memset(&t, 0, sizeof(t));
	t.o = *o;
	t.check_only = 1;
	ERR_clear_error();
	SSL_CTX_free(checked_ctx);
	checked_ctx = NULL;
	if ((rv = tls_ctx_setup(&t, o, "TLS", res)) == 0) {
		checked_ctx = t.ctx;
		ctx_key(checked_key, o);
	} else
		SSL_CTX_free(t.ctx);
	return rv;
}
