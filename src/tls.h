/*
 * tls.h - TLS over a connected, non-blocking socket.  The only module
 * that includes OpenSSL's ssl.h.  Verification is always on: the chain
 * against the system CA store or trust_file, and the host name (or IP
 * address) against the certificate (RFC 6125); TLS 1.2 at least.
 */
#ifndef STAMP_TLS_H
#define STAMP_TLS_H

#include <stddef.h>
#include <sys/types.h>

struct result;
struct tls;

struct tls_opts {
	const char	*host;		/* SNI and name to verify */
	const char	*trust_file;	/* PEM CA bundle, or NULL: system */
};

/*
 * Handshake on fd within timeout_ms.  Failures: certificate or name
 * verification -> EX_UNAVAILABLE; connection lost or timeout ->
 * EX_TEMPFAIL; unreadable trust file -> EX_CONFIG; other TLS errors ->
 * EX_UNAVAILABLE.  The message starts with stage.
 */
int	 tls_start(struct tls **, int fd, const struct tls_opts *,
	    int timeout_ms, const char *stage, struct result *);

/*
 * Read up to n bytes: > 0 bytes, 0 at EOF, -1 on error or timeout
 * (EX_TEMPFAIL, the message starting with stage).
 */
ssize_t	 tls_read(struct tls *, void *, size_t n, int timeout_ms,
	    const char *stage, struct result *);

/* Write all n bytes or fail (-1, as tls_read). */
int	 tls_write(struct tls *, const void *, size_t n, int timeout_ms,
	    const char *stage, struct result *);

/* Bytes already decrypted and waiting in OpenSSL's buffer. */
size_t	 tls_pending(struct tls *);

const char *tls_version(const struct tls *);	/* "TLSv1.3" */
const char *tls_cipher(const struct tls *);

/* Send close_notify (best effort, no waiting) and free. */
void	 tls_free(struct tls *);

#endif
