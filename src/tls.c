/*
 * tls.c - OpenSSL, verified, over a non-blocking socket.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "result.h"
#include "tcache.h"
#include "tls.h"
#include "util.h"

#define FPR_BYTES	32			/* SHA-256 */
#define FPR_HEX		(2 * FPR_BYTES)		/* tls_fingerprint */
#define FPR_TEXT	(3 * FPR_BYTES)		/* "AB:CD:...:EF" + NUL */

struct tls {
	SSL_CTX		*ctx;
	SSL		*ssl;
	int		 fd;
	struct tls_opts	 o;		/* a copy (its strings: the caller's) */
	int		 cert_requested; /* the server asked for ours */
	int		 got_data;	/* a read has returned bytes */
	int		 pin_failed;	/* the leaf is not the pinned one */
	int		 check_only;	/* tls_check: only what the user set */
	char		 seen[FPR_TEXT]; /* the server's, when pin_failed */
	char		 ckey[TCACHE_KEY_LEN + 1]; /* session cache entry */
	int		 offered;	/* a cached session was offered */
	int		 stored;	/* the server's new one was kept */
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

static void	 err_strings_load(void);

static const char *
ssl_reason(void)
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

/* "AB:CD:..." from FPR_HEX hex digits. */
static void
fpr_text(char out[FPR_TEXT], const char *hex)
{
	size_t	 i;

	for (i = 0; i < FPR_BYTES; i++) {
		out[3 * i] = (char)toupper((unsigned char)hex[2 * i]);
		out[3 * i + 1] = (char)toupper((unsigned char)hex[2 * i + 1]);
		out[3 * i + 2] = i + 1 < FPR_BYTES ? ':' : '\0';
	}
}

/* SHA-256 of x (DER) in lower-case hex; -1 if it cannot be had. */
static int
cert_sha256(X509 *x, char hex[FPR_HEX + 1])
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
static int
verify_pin(X509_STORE_CTX *xs, void *arg)
{
	struct tls	*t = arg;
	char		 hex[FPR_HEX + 1];

	if (cert_sha256(X509_STORE_CTX_get0_cert(xs), hex) == -1) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	if (strcasecmp(hex, t->o.fingerprint) == 0)
		return 1;
	t->pin_failed = 1;
	fpr_text(t->seen, hex);
	X509_STORE_CTX_set_error(xs, X509_V_ERR_CERT_REJECTED);
	return 0;
}

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
static int
pem_failed(const struct tls_opts *o, const char *what, const char *path,
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
		return pem_failed(o, "tls_cert_file", o->cert_file, res);
	if (SSL_CTX_use_PrivateKey_file(t->ctx, o->key_file,
	    SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(t->ctx) != 1)
		return pem_failed(o, "tls_key_file", o->key_file, res);
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
		SSL_CTX_set_cert_verify_callback(t->ctx, verify_pin, t);
	} else if (o->trust_file != NULL) {
		if (SSL_CTX_load_verify_locations(t->ctx, o->trust_file,
		    NULL) != 1)
			return result_fail(res, EX_CONFIG, "cannot load "
			    "tls_trust_file %s: %s", o->trust_file,
			    ssl_reason());
	} else if (t->check_only)
		return 0;	/* nothing configured to check; see tls_check */
	else if (system_store(t->ctx) != 1)
		return result_fail(res, EX_CONFIG, "cannot load the system "
		    "CA certificates: %s", ssl_reason());
	return 0;
}

static int
ctx_setup(struct tls *t, const struct tls_opts *o, const char *stage,
    struct result *res)
{
	if ((t->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return result_fail(res, EX_SOFTWARE, "%s: %s", stage,
		    ssl_reason());
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

static int
host_is_ip(const char *host)
{
	unsigned char	 ip[16];

	return inet_pton(AF_INET, host, ip) == 1 ||
	    inet_pton(AF_INET6, host, ip) == 1;
}

/* SNI and the name to verify: a DNS name, or an IP address literal. */
static int
ssl_setup(struct tls *t, const struct tls_opts *o, const char *stage,
    struct result *res)
{
	if ((t->ssl = SSL_new(t->ctx)) == NULL ||
	    SSL_set_fd(t->ssl, t->fd) != 1)
		return result_fail(res, EX_SOFTWARE, "%s: %s", stage,
		    ssl_reason());
	if (host_is_ip(o->host)) {
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

/*
 * Why a server that hangs up before saying anything may have done so:
 * servers that do not send TLS alerts just close.  "" if no idea.
 */
static const char *
close_hint(const struct tls *t)
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
static int
client_cert_refused(struct tls *t, const char *stage, struct result *res)
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
		    "and tls_key_file", stage, ssl_reason());
	return result_fail(res, EX_UNAVAILABLE, "%s: the server refused the "
	    "TLS client certificate %s (%s)", stage, t->o.cert_file,
	    ssl_reason());
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
		fpr_text(want, t->o.fingerprint);
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

static int
handshake_failed(struct tls *t, int err, const char *stage,
    struct result *res)
{
	long	 v = SSL_get_verify_result(t->ssl);

	if (v != X509_V_OK || t->pin_failed)
		return verify_failed(t, v, stage, res);
	if (client_cert_refused(t, stage, res) == -1)
		return -1;
	if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN ||
	    ERR_GET_REASON(ERR_peek_last_error()) ==
	    SSL_R_UNEXPECTED_EOF_WHILE_READING)
		return result_fail(res, EX_TEMPFAIL, "%s: connection closed "
		    "during the TLS handshake%s", stage, close_hint(t));
	if (ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_WRONG_VERSION_NUMBER)
		return result_fail(res, EX_UNAVAILABLE, "%s: TLS handshake "
		    "failed: the server answered in plain text, so this port "
		    "speaks STARTTLS, not implicit TLS: set tls = starttls "
		    "(or port = 465)", stage);
	if (no_common_version())
		return result_fail(res, EX_UNAVAILABLE, "%s: TLS handshake "
		    "failed: no protocol version in common with the server "
		    "(%s); stamp requires TLS %s or later (tls_min_version)",
		    stage, ssl_reason(), t->o.min_version == 13 ? "1.3" :
		    "1.2");
	return result_fail(res, EX_UNAVAILABLE, "%s: TLS handshake failed: "
	    "%s", stage, ssl_reason());
}

/*
 * TLS session resumption (tcache.h).  A session is a shortcut past
 * verification: resuming it checks no certificate.  So the entry's key
 * binds everything that decided the verification that made it, and a
 * loaded session must still pass the checks that we can redo without
 * the chain: the name (or the pin) and the leaf's expiry.
 */

/* A file's identity: a tls_trust_file edited or replaced is a new key. */
static void
file_id(char *buf, size_t n, const char *path)
{
	struct stat	 st;

	if (path == NULL || stat(path, &st) == -1)
		str_copy(buf, n, "-");
	else
		snprintf(buf, n, "%llu:%llu:%lld:%lld.%09ld",
		    (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino, (long long)st.st_size,
		    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void
session_key(struct tls *t)
{
	const struct tls_opts	*o = &t->o;
	char			 port[16], minv[8], trust[128], fpr[FPR_HEX + 1];
	char			 mine[FPR_HEX + 1];
	const char		*parts[10];
	size_t			 i;

	snprintf(port, sizeof(port), "%d", o->port);
	snprintf(minv, sizeof(minv), "%d", o->min_version);
	file_id(trust, sizeof(trust), o->trust_file);
	str_copy(fpr, sizeof(fpr), o->fingerprint ? o->fingerprint : "-");
	for (i = 0; fpr[i] != '\0'; i++)
		fpr[i] = (char)tolower((unsigned char)fpr[i]);
	/* The certificate itself, not its file's name. */
	if (cert_sha256(SSL_CTX_get0_certificate(t->ctx), mine) == -1)
		str_copy(mine, sizeof(mine), "-");
	parts[0] = "stamp tls session 1";
	parts[1] = o->host;
	parts[2] = port;
	parts[3] = o->trust_file;
	parts[4] = trust;
	parts[5] = o->fingerprint ? fpr : NULL;
	parts[6] = mine;
	parts[7] = minv;
	/* Without trust_file: which system store. */
	parts[8] = getenv(X509_get_default_cert_file_env());
	parts[9] = getenv(X509_get_default_cert_dir_env());
	tcache_key(t->ckey, parts, 10);
}

/* Why a loaded session may not be offered, or NULL if it may. */
static const char *
session_unusable(const struct tls *t, SSL_SESSION *s)
{
	X509		*peer = SSL_SESSION_get0_peer(s);
	const char	*host = t->o.host;
	char		 hex[FPR_HEX + 1];

	if (!SSL_SESSION_is_resumable(s))
		return "not resumable";
	if ((long long)time(NULL) >= (long long)SSL_SESSION_get_time(s) +
	    SSL_SESSION_get_timeout(s))
		return "expired";
	if (SSL_SESSION_get_protocol_version(s) < (t->o.min_version == 13 ?
	    TLS1_3_VERSION : TLS1_2_VERSION))
		return "older than tls_min_version";
	if (peer == NULL)
		return "no server certificate in it";
	if (t->o.fingerprint != NULL)	/* the pin replaces the checks */
		return cert_sha256(peer, hex) == 0 &&
		    strcasecmp(hex, t->o.fingerprint) == 0 ? NULL :
		    "its certificate is not the pinned one";
	if (host_is_ip(host) ? X509_check_ip_asc(peer, host, 0) != 1 :
	    X509_check_host(peer, host, 0, 0, NULL) != 1)
		return "its certificate is not for the host";
	if (X509_cmp_current_time(X509_get0_notAfter(peer)) <= 0)
		return "its certificate has expired";
	return NULL;
}

/*
 * OpenSSL's new-session callback: the server's session (TLS 1.2, at the
 * end of the handshake) or ticket (TLS 1.3, during a read; servers send
 * several: the first is kept).  0: OpenSSL keeps ownership.
 */
static int
session_new(SSL *ssl, SSL_SESSION *s)
{
	struct tls	*t = SSL_get_app_data(ssl);
	unsigned char	*der, *p;
	int		 n;

	if (t == NULL || t->stored || !SSL_SESSION_is_resumable(s))
		return 0;
	t->stored = 1;
	if ((n = i2d_SSL_SESSION(s, NULL)) <= 0 || n > TCACHE_ENTRY_MAX) {
		log_trace("TLS session cache: a session of %d bytes is not "
		    "kept", n);
		return 0;
	}
	if ((der = malloc((size_t)n)) == NULL)
		return 0;
	p = der;
	if (i2d_SSL_SESSION(s, &p) == n)
		tcache_store(t->ckey, der, (size_t)n);
	explicit_bzero(der, (size_t)n);	/* it holds a master secret */
	free(der);
	return 0;
}

/* Offer the cached session, if one is usable; never fails. */
static void
session_offer(struct tls *t)
{
	unsigned char		 buf[TCACHE_ENTRY_MAX];
	const unsigned char	*p = buf;
	SSL_SESSION		*s = NULL;
	const char		*why = NULL;
	size_t			 n;

	if ((n = tcache_load(t->ckey, buf, sizeof(buf))) == 0)
		return;
	if ((s = d2i_SSL_SESSION(NULL, &p, (long)n)) == NULL ||
	    p != buf + n)
		why = "not a TLS session";
	else if ((why = session_unusable(t, s)) == NULL &&
	    SSL_set_session(t->ssl, s) != 1)
		why = ssl_reason();
	explicit_bzero(buf, n);
	SSL_SESSION_free(s);
	ERR_clear_error();
	if (why != NULL) {
		log_trace("TLS session cache: entry %s not used: %s", t->ckey,
		    why);
		tcache_drop(t->ckey);
		return;
	}
	t->offered = 1;
	log_trace("TLS session cache: offering the session of entry %s",
	    t->ckey);
}

static void
resume_setup(struct tls *t)
{
	session_key(t);
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(t->ctx, session_new);
	SSL_set_app_data(t->ssl, t);
	session_offer(t);
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
static int
ctx_take_checked(struct tls *t, const struct tls_opts *o, struct result *res)
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
		SSL_CTX_set_cert_verify_callback(t->ctx, verify_pin, t);
	else if (o->trust_file == NULL && system_store(t->ctx) != 1)
		return result_fail(res, EX_CONFIG, "cannot load the system "
		    "CA certificates: %s", ssl_reason());
	return 1;
}

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
 */
#if defined(OPENSSL_NO_DEPRECATED_3_0) || OPENSSL_VERSION_MAJOR < 3
#define TLS_INIT_STRINGS	0
static void
err_strings_load(void)
{
}
#else
#define TLS_INIT_STRINGS	(OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | \
				    OPENSSL_INIT_NO_LOAD_SSL_STRINGS)
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

/*
 * No OPENSSL_cleanup at exit: freeing every algorithm and provider one by
 * one costs more CPU than some handshakes, for memory that exit returns
 * anyway.  Only effective if this is OpenSSL's first initialisation.
 */
static void
tls_init(void)
{
	OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT | TLS_INIT_STRINGS, NULL);
}

int
tls_check(const struct tls_opts *o, struct result *res)
{
	struct tls	 t;
	int		 rv;

	tls_init();
	memset(&t, 0, sizeof(t));
	t.o = *o;
	t.check_only = 1;
	ERR_clear_error();
	SSL_CTX_free(checked_ctx);
	checked_ctx = NULL;
	if ((rv = ctx_setup(&t, o, "TLS", res)) == 0) {
		checked_ctx = t.ctx;
		ctx_key(checked_key, o);
	} else
		SSL_CTX_free(t.ctx);
	return rv;
}

static void	 peer_note(struct tls *);

int
tls_start(struct tls **tp, int fd, const struct tls_opts *o, int timeout_ms,
    const char *stage, struct result *res)
{
	struct tls	*t;
	long long	 deadline = now_ms() + timeout_ms;
	int		 r, err;

	*tp = NULL;
	tls_init();
	ERR_clear_error();
	if ((t = xcalloc(1, sizeof(*t), res)) == NULL)
		return -1;
	t->fd = fd;
	t->o = *o;
	*tp = t;
	if ((r = ctx_take_checked(t, o, res)) == -1 ||
	    (r == 0 && ctx_setup(t, o, stage, res) == -1) ||
	    ssl_setup(t, o, stage, res) == -1)
		return -1;
	if (o->resume)
		resume_setup(t);
	while ((r = SSL_connect(t->ssl)) != 1) {
		err = SSL_get_error(t->ssl, r);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			peer_note(t);
			return handshake_failed(t, err, stage, res);
		}
		if (wait_ssl(t, err, deadline) != 1)
			return result_fail(res, EX_TEMPFAIL, "%s: TLS "
			    "handshake timed out", stage);
	}
	peer_note(t);
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
	if (err == SSL_ERROR_SSL && client_cert_refused(t, stage, res) == -1)
		return -1;
	if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE)
		return result_fail(res, EX_TEMPFAIL, "%s: connection lost: "
		    "%s%s", stage, err == SSL_ERROR_SYSCALL ? strerror(errno) :
		    ssl_reason(), close_hint(t));
	if (wait_ssl(t, err, deadline) != 1)
		return result_fail(res, EX_TEMPFAIL, "%s: timed out %s", stage,
		    waiting);
	return 0;
}

/* EOF: 0, or -1 (EX_TEMPFAIL) when there is a hint to give. */
static int
eof(struct tls *t, const char *stage, struct result *res)
{
	const char	*hint = close_hint(t);

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
	    client_cert_refused(t, stage, res) == -1)
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

static void
peer_note(struct tls *t)
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
	if (leaf != NULL && cert_sha256(leaf, hex) == 0)
		fpr_text(p->fingerprint, hex);
	if (chain == NULL || sk_X509_num(chain) == 0) {
		if (leaf != NULL)
			peer_cert(&p->cert[p->n++], leaf);
		return;
	}
	for (i = 0; i < sk_X509_num(chain) && p->n < TLS_PEER_CHAIN; i++)
		peer_cert(&p->cert[p->n++], sk_X509_value(chain, i));
}
