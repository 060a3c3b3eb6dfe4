/*
 * conn.c - TCP with deadlines, buffered I/O, and the switch to TLS.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "conn.h"
#include "result.h"
#include "tls.h"
#include "util.h"

struct conn {
	int		 fd;
	struct tls	*tls;
	int		 io_ms;
	long long	 reply_by;	/* now_ms() deadline for the reply */
	int		 dead;		/* the stream cannot be used any more */
	const char	*stage;
	size_t		 rpos, rlen;
	size_t		 wlen;
	char		 rbuf[CONN_RBUF];
	char		 wbuf[CONN_WBUF];
};

void
conn_stage(struct conn *c, const char *stage)
{
	c->stage = stage;
}

/* Wait for fd to be ready for ev; 1 ready, 0 timeout, -1 error. */
static int
wait_fd(int fd, short ev, int ms)
{
	struct pollfd	 p = { .fd = fd, .events = ev };
	long long	 end = now_ms() + ms;
	int		 n;

	for (;;) {
		n = poll(&p, 1, ms);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return -1;
		if ((ms = (int)(end - now_ms())) < 0)
			return 0;
	}
}

/* One address: 0 connected, -1 with errno set. */
static int
try_addr(const struct addrinfo *ai, long long deadline)
{
	int		 fd, err = 0, one = 1, ms;
	socklen_t	 len = sizeof(err);

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		ms = (int)(deadline - now_ms());
		if (ms <= 0 || wait_fd(fd, POLLOUT, ms) != 1) {
			errno = ETIMEDOUT;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
			goto fail;
		if (err != 0) {
			errno = err;
			goto fail;
		}
	}
	/* Commands are small and sent as whole groups: no Nagle delay. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/*
 * Name resolution runs in getaddrinfo_a's helper thread, so that a
 * resolver that never answers costs the connect budget, not for ever.
 * A request that timed out may still be running when we return: its
 * gaicb must outlive the call, so it lives in one of these slots (static,
 * hence reachable, never a leak) until it ends; a later call reuses it
 * then.  All slots busy is a temporary failure.
 */
#define RESOLVE_SLOTS	4

struct resolve_slot {
	struct gaicb	 req;
	struct addrinfo	 hints;
	char		 host[NI_MAXHOST];
	char		 serv[16];
	int		 used;		/* req was submitted */
};

static struct resolve_slot	 slots[RESOLVE_SLOTS];

/* A slot whose request has ended (its result freed), or NULL. */
static struct resolve_slot *
free_slot(void)
{
	struct resolve_slot	*sl;
	size_t			 i;

	for (i = 0; i < RESOLVE_SLOTS; i++) {
		sl = &slots[i];
		if (sl->used && gai_error(&sl->req) == EAI_INPROGRESS)
			continue;
		if (sl->used && sl->req.ar_result != NULL)
			freeaddrinfo(sl->req.ar_result);
		memset(sl, 0, sizeof(*sl));
		return sl;
	}
	return NULL;
}

/* Wait for sl's request until deadline: its gai error, or EAI_AGAIN. */
static int
resolve_wait(struct resolve_slot *sl, long long deadline)
{
	const struct gaicb	*list[1] = { &sl->req };
	struct timespec		 ts;
	long long		 ms;
	int			 e;

	for (;;) {
		if ((e = gai_error(&sl->req)) != EAI_INPROGRESS)
			return e;
		if ((ms = deadline - now_ms()) <= 0)
			return EAI_AGAIN;
		ts.tv_sec = (time_t)(ms / 1000);
		ts.tv_nsec = (long)(ms % 1000) * 1000000L;
		e = gai_suspend(list, 1, &ts);
		if (e != 0 && e != EAI_AGAIN && e != EAI_INTR &&
		    e != EAI_ALLDONE)
			return e;
	}
}

/*
 * host:port to addresses within deadline.  Unknown host -> EX_NOHOST;
 * the deadline, or a temporary DNS failure -> EX_TEMPFAIL.
 */
static int
resolve(const char *host, int port, long long deadline, int budget_ms,
    struct addrinfo **ai, struct result *res)
{
	struct resolve_slot	*sl;
	struct gaicb		*list[1];
	int			 e;

	*ai = NULL;
	if (strlen(host) >= sizeof(sl->host))
		return result_fail(res, EX_NOHOST, "connect to %.64s...:%d: "
		    "host name too long", host, port);
	if ((sl = free_slot()) == NULL)
		return result_fail(res, EX_TEMPFAIL, "connect to %s:%d: "
		    "earlier name lookups still running", host, port);
	str_copy(sl->host, sizeof(sl->host), host);
	snprintf(sl->serv, sizeof(sl->serv), "%d", port);
	sl->hints.ai_socktype = SOCK_STREAM;
	sl->req.ar_name = sl->host;
	sl->req.ar_service = sl->serv;
	sl->req.ar_request = &sl->hints;
	list[0] = &sl->req;
	if ((e = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) != 0)
		return result_fail(res, EX_TEMPFAIL, "connect to %s:%d: name "
		    "lookup: %s", host, port, gai_strerror(e));
	sl->used = 1;
	e = resolve_wait(sl, deadline);
	if (e == 0) {
		/* Ours now: the slot forgets it. */
		*ai = sl->req.ar_result;
		sl->req.ar_result = NULL;
		return 0;
	}
	if (e == EAI_INPROGRESS || gai_error(&sl->req) == EAI_INPROGRESS) {
		/* gai_cancel may not stop it: the slot waits for its end. */
		gai_cancel(&sl->req);
		return result_fail(res, EX_TEMPFAIL, "connect to %s:%d: name "
		    "lookup timed out after %d ms (the resolver does not "
		    "answer)", host, port, budget_ms);
	}
	if (e == EAI_NONAME || e == EAI_NODATA)
		return result_fail(res, EX_NOHOST, "connect to %s:%d: host "
		    "not found", host, port);
	return result_fail(res, EX_TEMPFAIL, "connect to %s:%d: %s", host,
	    port, e == EAI_SYSTEM ? strerror(errno) : gai_strerror(e));
}

/*
 * Every address shares one budget (DESIGN.md section 4), and each gets
 * an equal share of what is left, so that a first address that swallows
 * SYNs leaves time for the others; the last one gets the rest.  Returns
 * the socket, or -1 with errno.
 */
static int
try_addrs(const struct addrinfo *ai, int connect_ms)
{
	const struct addrinfo *a;
	long long	 now, deadline = now_ms() + connect_ms;
	size_t		 left = 0;
	int		 fd, err = ETIMEDOUT;

	for (a = ai; a != NULL; a = a->ai_next)
		left++;
	for (a = ai; a != NULL; a = a->ai_next, left--) {
		if ((now = now_ms()) >= deadline)
			break;
		fd = try_addr(a, now + (deadline - now) / (long long)left);
		if (fd != -1)
			return fd;
		err = errno;
	}
	errno = err;
	return -1;
}

int
conn_open(struct conn **cp, const char *host, int port, int connect_ms,
    int io_ms, struct result *res)
{
	struct addrinfo	*ai;
	struct conn	*c;
	long long	 deadline = now_ms() + connect_ms;
	int		 fd, err;

	*cp = NULL;
	if (resolve(host, port, deadline, connect_ms, &ai, res) == -1)
		return -1;
	/* What the lookup left of the budget. */
	fd = try_addrs(ai, (int)(deadline - now_ms()));
	err = errno;
	freeaddrinfo(ai);
	if (fd == -1)
		return result_fail(res, EX_TEMPFAIL, "connect to %s:%d: %s",
		    host, port, err == ETIMEDOUT ? "timed out" :
		    strerror(err));
	if ((c = xcalloc(1, sizeof(*c), res)) == NULL) {
		close(fd);
		return -1;
	}
	c->fd = fd;
	c->io_ms = io_ms;
	c->reply_by = now_ms() + io_ms;		/* the greeting */
	c->stage = "connect";
	*cp = c;
	return 0;
}

/*
 * Has the server sent bytes that we have not read?  Those already in
 * rbuf, or waiting in the socket: nothing may come before our
 * ClientHello.  (Bytes still in flight cannot be seen; the handshake then
 * fails on them.)
 */
static int
unread_bytes(const struct conn *c)
{
	char	 b;

	if (c->rpos < c->rlen)
		return 1;
	return recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
}

int
conn_starttls(struct conn *c, const struct tls_opts *o, struct result *res)
{
	if (unread_bytes(c)) {
		c->dead = 1;
		return result_fail(res, EX_PROTOCOL, "%s: the server sent "
		    "data before the TLS handshake (a man in the middle?)",
		    c->stage);
	}
	if (tls_start(&c->tls, c->fd, o, c->io_ms, c->stage, res) == -1) {
		c->dead = 1;
		return -1;
	}
	c->reply_by = now_ms() + c->io_ms;	/* SMTPS: the greeting */
	return 0;
}

int
conn_is_tls(const struct conn *c)
{
	return c->tls != NULL;
}

const char *
conn_tls_version(const struct conn *c)
{
	return c->tls ? tls_version(c->tls) : NULL;
}

static int
plain_write(struct conn *c, const char *p, size_t n, struct result *res)
{
	ssize_t	 w;
	int	 r;

	while (n > 0) {
		w = write(c->fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno != EAGAIN && errno != EINTR)
			return result_fail(res, EX_TEMPFAIL, "%s: connection "
			    "lost: %s", c->stage, strerror(errno));
		if ((r = wait_fd(c->fd, POLLOUT, c->io_ms)) != 1)
			return result_fail(res, EX_TEMPFAIL, "%s: %s",
			    c->stage, r == 0 ? "timed out sending" :
			    strerror(errno));
	}
	return 0;
}

int
conn_flush(struct conn *c, struct result *res)
{
	int	 r;

	if (c->dead)
		return result_fail(res, EX_TEMPFAIL, "%s: connection lost",
		    c->stage);
	if (c->wlen == 0)
		return 0;
	if (c->tls)
		r = tls_write(c->tls, c->wbuf, c->wlen, c->io_ms, c->stage,
		    res);
	else
		r = plain_write(c, c->wbuf, c->wlen, res);
	/* AUTH responses pass through here: a shorter command later
	 * would leave the tail of one behind (DESIGN.md 7). */
	explicit_bzero(c->wbuf, c->wlen);
	c->wlen = 0;
	if (r == -1)
		c->dead = 1;
	else	/* the reply to what we sent is due within io_ms */
		c->reply_by = now_ms() + c->io_ms;
	return r;
}

int
conn_write(struct conn *c, const void *buf, size_t n, struct result *res)
{
	const char	*p = buf;
	size_t		 k;

	while (n > 0) {
		if (c->wlen == sizeof(c->wbuf) && conn_flush(c, res) == -1)
			return -1;
		k = sizeof(c->wbuf) - c->wlen;
		if (k > n)
			k = n;
		memcpy(c->wbuf + c->wlen, p, k);
		c->wlen += k;
		p += k;
		n -= k;
	}
	return 0;
}

/* Plain read within ms: > 0 bytes, 0 at EOF, -1 (res filled). */
static ssize_t
plain_read(struct conn *c, int ms, struct result *res)
{
	ssize_t	 n;
	int	 r;

	if ((r = wait_fd(c->fd, POLLIN, ms)) != 1)
		return result_fail(res, EX_TEMPFAIL, "%s: %s", c->stage,
		    r == 0 ? "timed out waiting for the server" :
		    strerror(errno));
	do
		n = read(c->fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return result_fail(res, EX_TEMPFAIL, "%s: connection lost: %s",
		    c->stage, strerror(errno));
	return n;
}

/*
 * Read more bytes into rbuf before the reply's deadline (one for the
 * whole reply, however slowly it trickles in: RFC 5321 4.5.3.2 times
 * replies, not reads).  -1 on EOF, error or timeout.
 */
static int
fill(struct conn *c, struct result *res)
{
	long long	 left = c->reply_by - now_ms();
	int		 ms = left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
	ssize_t		 n;

	if (c->rpos > 0) {
		memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
		c->rlen -= c->rpos;
		c->rpos = 0;
	}
	if (c->tls)
		n = tls_read(c->tls, c->rbuf + c->rlen,
		    sizeof(c->rbuf) - c->rlen, ms, c->stage, res);
	else
		n = plain_read(c, ms, res);
	if (n == 0)
		return result_fail(res, EX_TEMPFAIL, "%s: connection closed "
		    "by the server%s", c->stage, c->rlen > 0 ? " in the middle "
		    "of a reply" : "");
	if (n < 0)
		return -1;
	c->rlen += (size_t)n;
	return 0;
}

/* The rest of the stream cannot be trusted: nothing more is sent. */
static int
too_long(struct conn *c, size_t max, struct result *res)
{
	c->dead = 1;
	return result_fail(res, EX_PROTOCOL, "%s: malformed reply from "
	    "server (line longer than %zu bytes)", c->stage, max);
}

int
conn_getline(struct conn *c, char *buf, size_t max, size_t *len,
    struct result *res)
{
	char	*nl;
	size_t	 n;

	if (max + 2 > sizeof(c->rbuf))	/* line, CR, LF must fit */
		return result_fail(res, EX_SOFTWARE, "conn_getline: %zu "
		    "bytes do not fit", max);
	if (conn_flush(c, res) == -1)
		return -1;
	while ((nl = memchr(c->rbuf + c->rpos, '\n', c->rlen - c->rpos))
	    == NULL) {
		if (c->rlen - c->rpos > max + 1)
			return too_long(c, max, res);
		if (fill(c, res) == -1) {
			c->dead = 1;
			return -1;
		}
	}
	n = (size_t)(nl - (c->rbuf + c->rpos));
	if (n > 0 && nl[-1] == '\r')
		n--;
	if (n > max)
		return too_long(c, max, res);
	memcpy(buf, c->rbuf + c->rpos, n);
	buf[n] = '\0';
	*len = n;
	c->rpos = (size_t)(nl - c->rbuf) + 1;
	return 0;
}

void
conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->tls)
		tls_free(c->tls);
	close(c->fd);
	explicit_bzero(c->wbuf, c->wlen);	/* unsent, maybe secret */
	free(c);
}

int
conn_channel_binding(struct conn *c, const char *type, const char **used,
    unsigned char *buf, size_t max, size_t *len)
{
	*len = 0;
	if (c == NULL || c->tls == NULL)
		return -1;
	return tls_channel_binding(c->tls, type, used, buf, max, len);
}

int
conn_probe(const char *host, int port, int connect_ms,
    void (*cb)(void *, const char *, int), void *arg, struct result *res)
{
	struct addrinfo	*ai, *a;
	char		 addr[NI_MAXHOST];
	int		 fd;

	/* The lookup shares the connect budget, as in conn_open. */
	if (resolve(host, port, now_ms() + connect_ms, connect_ms, &ai,
	    res) == -1)
		return -1;
	for (a = ai; a != NULL; a = a->ai_next) {
		if (getnameinfo(a->ai_addr, a->ai_addrlen, addr, sizeof(addr),
		    NULL, 0, NI_NUMERICHOST) != 0)
			str_copy(addr, sizeof(addr), "?");
		fd = try_addr(a, now_ms() + connect_ms);
		cb(arg, addr, fd == -1 ? errno : 0);
		if (fd != -1)
			close(fd);
	}
	freeaddrinfo(ai);
	return 0;
}

int
conn_unread(const struct conn *c)
{
	return unread_bytes(c);
}
