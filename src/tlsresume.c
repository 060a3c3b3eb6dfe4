/*
 * tlsresume.c - TLS session resumption through the session cache
 * (tcache.h).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "tcache.h"
#include "tls.h"
#include "tls_impl.h"
#include "util.h"

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
	if (tls_cert_sha256(SSL_CTX_get0_certificate(t->ctx), mine) == -1)
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
		return tls_cert_sha256(peer, hex) == 0 &&
		    strcasecmp(hex, t->o.fingerprint) == 0 ? NULL :
		    "its certificate is not the pinned one";
	if (tls_host_is_ip(host) ? X509_check_ip_asc(peer, host, 0) != 1 :
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
		why = tls_ssl_reason();
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

void
tls_resume_setup(struct tls *t)
{
	session_key(t);
	SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_CLIENT |
	    SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(t->ctx, session_new);
	SSL_set_app_data(t->ssl, t);
	session_offer(t);
}
