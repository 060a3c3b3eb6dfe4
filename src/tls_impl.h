/*
 * tls_impl.h - what the parts of the TLS module share; not a contract
 * for anyone else (tls.h is).  Only the tls*.c files include OpenSSL's
 * ssl.h, and only they include this.
 *
 *   tls.c        handshake, I/O, free
 *   tlsctx.c     the SSL_CTX: trust, client certificate; tls_check
 *   tlsverify.c  the pin, the certificate's SHA-256; tls_peer
 *   tlserr.c     error texts; OpenSSL's error strings, loaded lazily
 *   tlsresume.c  session resumption (tcache.h)
 *   tlscb.c      channel binding
 */
#ifndef STAMP_TLS_IMPL_H
#define STAMP_TLS_IMPL_H

#include <openssl/ssl.h>

#include "tcache.h"
#include "tls.h"

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

/*
 * OpenSSL's error strings are loaded when the first one is printed, not
 * at initialisation (tlserr.c says why), where the deprecated
 * per-library loaders still exist.
 */
#if defined(OPENSSL_NO_DEPRECATED_3_0) || OPENSSL_VERSION_MAJOR < 3
#define TLS_LAZY_STRINGS	0
#define TLS_INIT_STRINGS	0
#else
#define TLS_LAZY_STRINGS	1
#define TLS_INIT_STRINGS	(OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS | \
				    OPENSSL_INIT_NO_LOAD_SSL_STRINGS)
#endif

/* tls.c */
void	 tls_lib_init(void);

/* tlsctx.c: t->ctx for o (tls_check's if it fits: 1, else 0), or -1. */
int	 tls_ctx_setup(struct tls *, const struct tls_opts *,
	    const char *stage, struct result *);
int	 tls_ctx_take_checked(struct tls *, const struct tls_opts *,
	    struct result *);

/* tlsverify.c */
void	 tls_fpr_text(char out[FPR_TEXT], const char *hex);
int	 tls_cert_sha256(X509 *, char hex[FPR_HEX + 1]);
int	 tls_verify_pin(X509_STORE_CTX *, void *tls);
int	 tls_host_is_ip(const char *);
void	 tls_peer_note(struct tls *);

/* tlserr.c: each -1 with the result filled, as tls.h says, or 0. */
const char *tls_ssl_reason(void);
const char *tls_close_hint(const struct tls *);
int	 tls_pem_failed(const struct tls_opts *, const char *what,
	    const char *path, struct result *);
int	 tls_client_cert_refused(struct tls *, const char *stage,
	    struct result *);
int	 tls_handshake_failed(struct tls *, int err, const char *stage,
	    struct result *);

/* tlsresume.c: offer a cached session, keep the new one; never fails. */
void	 tls_resume_setup(struct tls *);

#endif
