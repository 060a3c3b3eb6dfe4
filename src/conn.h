/*
 * conn.h - a connection to the server: connect with a deadline over
 * every address of the host, buffered line reads, coalesced writes, and
 * an optional TLS layer (tls.h).  Knows nothing of SMTP.
 */
#ifndef STAMP_CONN_H
#define STAMP_CONN_H

#include <stddef.h>

struct result;
struct tls_opts;

#define CONN_RBUF	(16 * 1024)	/* read block */
#define CONN_WBUF	(64 * 1024)	/* writes are flushed in this size */

struct conn;

/*
 * Connect to host:port within connect_ms, name resolution included: the
 * lookup (getaddrinfo_a, so that a resolver that never answers cannot
 * hang us) gets the whole budget, then all addresses share what it left,
 * each trying in turn with an equal share of what is left (a dead first
 * address leaves time for the next).  A lookup that ran out of time ->
 * EX_TEMPFAIL ("name lookup timed out"); it may go on in its helper
 * thread, harmlessly, until the resolver gives up.
 *
 * io_ms bounds every later wait for the server: the TLS handshake, each
 * write, and each reply as a whole (the clock starts when the last bytes
 * before it were sent, or at connect or TLS start for the greeting),
 * however slowly it trickles in.  Errors: unknown host -> EX_NOHOST; DNS
 * temporary failure, refused, unreachable, timeout -> EX_TEMPFAIL.
 *
 * After an I/O error, a timeout or a protocol error found here (a line
 * too long, data before the TLS handshake) the connection is dead: every
 * later conn_flush or conn_getline fails at once, without waiting (so a
 * QUIT after a failure never blocks).
 */
int	 conn_open(struct conn **, const char *host, int port, int connect_ms,
	    int io_ms, struct result *);

/*
 * Start TLS.  Bytes that the server sent and we have not read yet (data
 * after "220" to STARTTLS, buffered or already in the socket) are a
 * protocol error (EX_PROTOCOL): they could be injected by a man in the
 * middle (RFC 3207 section 6).
 */
int	 conn_starttls(struct conn *, const struct tls_opts *, struct result *);

int	 conn_is_tls(const struct conn *);
const char *conn_tls_version(const struct conn *);	/* NULL: plain */

/*
 * Name the protocol stage for error messages ("RCPT TO:<b@x>"); the
 * string must outlive the next conn call.  Errors read "STAGE: why".
 */
void	 conn_stage(struct conn *, const char *stage);

/* Queue bytes; flushed when the buffer fills or before a read. */
int	 conn_write(struct conn *, const void *, size_t, struct result *);
int	 conn_flush(struct conn *, struct result *);

/*
 * Flush, then read one line into buf (at most max bytes, without CRLF;
 * NUL-terminated, so buf needs max + 1; max + 2 <= CONN_RBUF).  The line
 * is untrusted and may contain NUL bytes: use *len.  A longer line ->
 * EX_PROTOCOL as soon as max + 2 bytes came without a line end (memory
 * stays bounded); EOF (even in the middle of a line), a lost connection
 * or the reply's deadline -> EX_TEMPFAIL.
 */
int	 conn_getline(struct conn *, char *buf, size_t max, size_t *len,
	    struct result *);

void	 conn_close(struct conn *);

/* tls_channel_binding (tls.h) of the connection; -1 without TLS. */
int	 conn_channel_binding(struct conn *, const char *type,
	    const char **used, unsigned char *buf, size_t max, size_t *len);

/*
 * Has the server sent bytes that we have not read (without waiting)?
 * Before an implicit-TLS handshake that means a plain-text port.
 */
int	 conn_unread(const struct conn *);

/*
 * For stamp --doctor: resolve host and try a TCP connection to each of
 * its addresses in turn, each with its own connect_ms, closing it at
 * once.  cb gets each address in numeric form and 0, or the errno of
 * that address's failure (ETIMEDOUT for the deadline).  0, or -1 when
 * the name does not resolve or the lookup takes longer than connect_ms
 * (with conn_open's errors).
 */
int	 conn_probe(const char *host, int port, int connect_ms,
	    void (*cb)(void *arg, const char *addr, int err), void *arg,
	    struct result *);

#endif
