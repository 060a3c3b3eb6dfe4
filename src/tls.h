/*
 * tls.h - TLS over a connected, non-blocking socket.  Only the tls*.c
 * files (tls.c and its parts, which share tls_impl.h) include OpenSSL's
 * ssl.h.  Verification is always on: either the
 * chain against the system CA store or trust_file and the host name (or
 * IP address) against the certificate (RFC 6125), or, when fingerprint
 * is set, the pin instead of both (as msmtp's tls_fingerprint): the
 * server's certificate must then be exactly the pinned one, self-signed
 * or expired as it may be.  There is no third way.  TLS 1.2 at least.
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
	const char	*fingerprint;	/* SHA-256 of the server certificate
					   (DER), 64 hex digits, or NULL */
	const char	*cert_file;	/* client certificate chain (PEM), or
					   NULL */
	const char	*key_file;	/* its private key (PEM, no passphrase:
					   nobody is asked for one) */
	int		 min_version;	/* 12: TLS 1.2 (default), 13: TLS 1.3 */
	int		 port;		/* with host: the session cache's entry */
	int		 resume;	/* 1: offer a cached session, keep the
					   server's new one (tcache.h) */
	struct tls_peer	*peer;		/* non-NULL: tls_start describes the
					   server there (tls_peer, below),
					   even when the handshake fails */
};

/*
 * Load what tls_start would load (trust_file, cert_file, key_file; the
 * pin's format) without touching the network, so that a configuration
 * error is reported before connecting.  0, or -1 with EX_CONFIG as
 * tls_start.  The context it built is kept for the next tls_start with
 * the same options (and freed by the next tls_check): OpenSSL 3.0 spends
 * about as much CPU making one as on a handshake.
 */
int	 tls_check(const struct tls_opts *, struct result *);

/*
 * Handshake on fd within timeout_ms.  The options are copied; their
 * strings must outlive the struct tls.  Failures, the message starting
 * with stage:
 *   certificate or name verification, fingerprint mismatch (the message
 *     gives both SHA-256 values), no TLS version in common
 *     (min_version), the server refusing our client certificate or
 *     wanting one -> EX_UNAVAILABLE;
 *   connection lost or timeout -> EX_TEMPFAIL;
 *   unreadable trust_file, cert_file or key_file, a key that does not
 *     match the certificate -> EX_CONFIG (the message names the file);
 *   other TLS errors -> EX_UNAVAILABLE.
 * No application data has been sent when this fails.
 *
 * With resume, a session cached for exactly these options (host, port,
 * trust_file and its identity, fingerprint, the client certificate,
 * min_version) is offered, but only if its server certificate still
 * passes the name check (or the pin) and has not expired; else it is
 * dropped and the handshake is a full one.  The server's new session
 * (TLS 1.3: a ticket, which arrives with the first tls_read) replaces
 * the entry.  The cache never makes this fail.
 */
int	 tls_start(struct tls **, int fd, const struct tls_opts *,
	    int timeout_ms, const char *stage, struct result *);

/*
 * Read up to n bytes: > 0 bytes, 0 at EOF, -1 on error or timeout
 * (EX_TEMPFAIL, the message starting with stage).  With TLS 1.3 a
 * server's refusal of our client certificate (or of its absence) comes
 * here, on the first read: EX_UNAVAILABLE, as from tls_start.  An EOF
 * before any data, from a server that asked for a client certificate,
 * is -1 (EX_TEMPFAIL) with a message that says so.
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

/*
 * Channel binding data (RFC 5056) for SASL's -PLUS mechanisms, once the
 * handshake is done.  type "tls-exporter" (RFC 9266: 32 bytes of keying
 * material, label "EXPORTER-Channel-Binding", TLS 1.3 only),
 * "tls-unique" (RFC 5929 3: the first Finished message of the latest
 * handshake, TLS 1.2 only, and only with the extended master secret of
 * RFC 7627, which closes the triple handshake attack) or
 * "tls-server-end-point" (RFC 5929 4: the hash of the server's
 * certificate, SHA-256 unless its signature uses a stronger one); NULL
 * picks the best this connection has: tls-exporter on TLS 1.3,
 * tls-unique or else tls-server-end-point on TLS 1.2.  *used names it.
 * 0 with the data in buf (max bytes, TLS_CB_MAX is enough) and *len;
 * -1 when that type is not available on this connection.
 */
#define TLS_CB_MAX	64
int	 tls_channel_binding(struct tls *, const char *type,
	    const char **used, unsigned char *buf, size_t max, size_t *len);

/*
 * What the server showed in the handshake, for stamp --doctor: filled by
 * tls_start when tls_opts.peer is set, after success or failure (what
 * the handshake got that far).  Text fields are sanitised.
 */
#define TLS_PEER_CHAIN	4		/* certificates described */
#define TLS_PEER_TEXT	256		/* each name field */

struct tls_peer_cert {
	char		 subject[TLS_PEER_TEXT];
	char		 issuer[TLS_PEER_TEXT];
	char		 names[TLS_PEER_TEXT];	/* SANs: "DNS:a, IP:b" */
	char		 not_after[32];		/* "2027-01-31 12:00:00 UTC" */
	long		 days_left;		/* < 0: expired */
};

/* What was wrong with the server's certificate, in words a fix needs. */
enum tls_problem {
	TLS_PEER_OK,			/* nothing (or no certificate seen) */
	TLS_PEER_NAME,			/* not for the host name */
	TLS_PEER_UNTRUSTED,		/* self-signed, unknown CA */
	TLS_PEER_EXPIRED,
	TLS_PEER_NOT_YET_VALID,		/* or our clock is wrong */
	TLS_PEER_PIN,			/* not the tls_fingerprint one */
	TLS_PEER_OTHER			/* verify_text says it */
};

struct tls_peer {
	int		 started;	/* tls_start got as far as a handshake */
	int		 handshake;	/* 1: the handshake completed */
	enum tls_problem problem;
	int		 plain_text;	/* the server answered the ClientHello
					   with something that is not TLS (a
					   plain-text SMTP port) */
	char		 version[16];	/* "TLSv1.3", or "" */
	char		 cipher[64];
	long		 verify;	/* X509_V_OK (0) or the X509 error */
	char		 verify_text[128]; /* its description, or "" */
	int		 pin_failed;	/* tls_fingerprint did not match */
	char		 fingerprint[100]; /* the leaf's SHA-256, hex: the
					   value for tls_fingerprint */
	size_t		 n;		/* certificates described (0: none) */
	struct tls_peer_cert cert[TLS_PEER_CHAIN]; /* leaf first */
};

#endif
