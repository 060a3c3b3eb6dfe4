/*
 * fuzz_smtp.c - the client session (smtp.h) against a hostile server:
 * this file is its conn.c (conn.h), which plays the input as what the
 * server says and records what stamp writes.  Reply parsing in context,
 * the EHLO capability parser, AUTH, the all-or-nothing RCPT logic, the
 * body (dot-stuffed, or quoted-printable) and every error path.
 *
 * Input: byte 0 bit 0 is implicit TLS (else STARTTLS), bit 1 a user
 * (AUTH), bits 2-3 auth (auto, plain, login, auto), bit 4 a
 * quoted-printable body, bit 5 STARTTLS fails (EX_PROTOCOL), bits 6-7
 * 1-4 recipients; byte 1 bit 0 -B 8BITMIME, bit 1 -N, bit 2 -V, bit 3
 * an 8-bit body, bit 4 a non-ASCII recipient.  The rest is the server's
 * side of the connection, read line by line like conn.c (a line over
 * max + 2 bytes is EX_PROTOCOL, the end of input EX_TEMPFAIL).
 *
 * Checks: no AUTH command and no secret ever goes out before TLS; the
 * password never goes out as it is; every write outside the message is
 * one command line or the parts of one (CRLF only at its end); no DATA
 * after a refused RCPT in lockstep, and no end of data after one even
 * when pipelined (replies are matched to commands in order); BDAT's
 * count covers the message exactly; 0 only after the final dot (or the
 * BDAT LAST bytes), and then QUIT follows; a failure is one of the
 * sysexits of DESIGN.md section 5, never EX_SOFTWARE (stamp's own bug).
 * data[1] & 0x20 turns pipelining on, & 0x40 chunking.
 */
#include <sysexits.h>

#include "conn.h"
#include "fuzz.h"
#include "msg.h"
#include "result.h"
#include "smtp.h"

#define PASSWORD	"Pa55-Fuzz-s3cret"
#define PASSWORD_B64	"UGE1NS1GdXp6LXMzY3JldA=="	/* for LOGIN */

#define FAKE_INFLIGHT	32	/* commands without a reply, at most */

struct conn {
	const char	*in;		/* the server's bytes */
	size_t		 len, pos;
	int		 tls, fail_tls, dead;
	const char	*stage;
	int		 in_body;	/* between DATA's 354 and the dot */
	char		 tail[5];	/* the last bytes of the body */
	size_t		 body;		/* bytes of it so far */
	int		 refused;	/* a RCPT got other than 250/251 */
	int		 dot, quit;
	int		 pipelining;	/* smtp_opts.pipelining */
	unsigned long long bdat;	/* BDAT bytes still to come */
	char		 cur[8];	/* the command being written */
	int		 open;		/* cur has no CRLF yet */
	char		 sent[FAKE_INFLIGHT][8];	/* awaiting replies */
	size_t		 head, inflight;
};

static struct conn	 fake;

/* ---- conn.h, scripted ------------------------------------------------- */

int
conn_open(struct conn **cp, const char *host, int port, int connect_ms,
    int io_ms, struct result *res)
{
	(void)host, (void)port, (void)connect_ms, (void)io_ms, (void)res;
	*cp = &fake;
	return 0;
}

int
conn_starttls(struct conn *c, const struct tls_opts *o, struct result *res)
{
	(void)o;
	if (c->fail_tls) {
		c->dead = 1;
		return result_fail(res, EX_PROTOCOL, "%s: data before the "
		    "TLS handshake", c->stage);
	}
	c->tls = 1;
	return 0;
}

int
conn_is_tls(const struct conn *c)
{
	return c->tls;
}

const char *
conn_tls_version(const struct conn *c)
{
	return c->tls ? "TLSv1.3" : NULL;
}

/* No channel binding here: -PLUS mechanisms are refused before AUTH. */
int
conn_channel_binding(struct conn *c, const char *type, const char **used,
    unsigned char *buf, size_t max, size_t *len)
{
	(void)c;
	(void)type;
	(void)used;
	(void)buf;
	(void)max;
	*len = 0;
	return -1;
}

void
conn_stage(struct conn *c, const char *stage)
{
	c->stage = stage;
}

/* The scripted server never speaks before an implicit-TLS handshake. */
int
conn_unread(const struct conn *c)
{
	(void)c;
	return 0;
}

/* stamp --doctor's probe: not reached from smtp_send. */
int
conn_probe(const char *host, int port, int connect_ms,
    void (*cb)(void *arg, const char *addr, int err), void *arg,
    struct result *res)
{
	(void)host, (void)port, (void)connect_ms, (void)cb, (void)arg;
	return result_fail(res, EX_SOFTWARE, "conn_probe: not in fuzz_smtp");
}

static int
has(const char *p, size_t n, const char *s)
{
	return memmem(p, n, s, strlen(s)) != NULL;
}

/* Message bytes: dot-stuffed, so CRLF "." CRLF is the end of data. */
static void
body_bytes(struct conn *c, const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		memmove(c->tail, c->tail + 1, sizeof(c->tail) - 1);
		c->tail[sizeof(c->tail) - 1] = p[i];
		c->body++;
	}
	if ((c->body >= 5 && memcmp(c->tail, "\r\n.\r\n", 5) == 0) ||
	    (c->body == 3 && memcmp(c->tail + 2, ".\r\n", 3) == 0)) {
		fuzz_check(!c->refused, "no end of data after a refused RCPT");
		c->in_body = 0;
		c->dot = 1;
	}
}

int
conn_write(struct conn *c, const void *buf, size_t n, struct result *res)
{
	const char	*p = buf;
	const char	*cr;

	(void)res;
	fuzz_check(!c->quit, "nothing after QUIT");
	fuzz_check(!has(p, n, PASSWORD), "the password never goes as it is");
	if (!c->tls)
		fuzz_check(!has(p, n, "AUTH") && !has(p, n, PASSWORD_B64),
		    "no AUTH before TLS");
	if (c->in_body) {
		body_bytes(c, p, n);
		return 0;
	}
	if (c->bdat > 0) {
		fuzz_check(n <= c->bdat, "BDAT counts the message exactly");
		if ((c->bdat -= n) == 0)
			c->dot = 1;
		return 0;
	}
	cr = memchr(p, '\r', n);
	fuzz_check(memchr(p, '\n', n) == NULL || (cr != NULL &&
	    cr + 2 == p + n && cr[1] == '\n'), "one command line");
	fuzz_check(cr == NULL || cr + 2 == p + n, "CR only in the CRLF");
	if (n >= 4 && memcmp(p, "DATA", 4) == 0 && !c->pipelining)
		fuzz_check(!c->refused, "no DATA after a refused RCPT");
	if (n >= 6 && memcmp(p, "QUIT\r\n", 6) == 0)
		c->quit = 1;
	if (n > 5 && memcmp(p, "BDAT ", 5) == 0) {
		c->bdat = strtoull(p + 5, NULL, 10);
		fuzz_check(c->bdat > 0, "BDAT of a message");
	}
	if (n > 0 && p[0] != '\r' && !c->open) {
		snprintf(c->cur, sizeof(c->cur), "%.*s", (int)(n < 7 ? n : 7),
		    p);
		c->open = 1;
	}
	if (cr != NULL) {
		fuzz_check(c->inflight < FAKE_INFLIGHT, "a bounded group");
		memcpy(c->sent[(c->head + c->inflight++) % FAKE_INFLIGHT],
		    c->cur, sizeof(c->cur));
		c->open = 0;
	}
	return 0;
}

int
conn_flush(struct conn *c, struct result *res)
{
	if (c->dead)
		return result_fail(res, EX_TEMPFAIL, "%s: connection lost",
		    c->stage);
	return 0;
}

/* The final line of a reply to RCPT: was it a refusal? */
static void
note_reply(struct conn *c, const char *line, size_t len)
{
	const char	*cmd = "";

	if (len < 3 || (len > 3 && line[3] == '-'))
		return;
	if (c->inflight > 0) {		/* else the greeting */
		cmd = c->sent[c->head];
		c->head = (c->head + 1) % FAKE_INFLIGHT;
		c->inflight--;
	}
	if (strncmp(cmd, "RCPT", 4) == 0 && memcmp(line, "250", 3) != 0 &&
	    memcmp(line, "251", 3) != 0)
		c->refused = 1;
	if (strncmp(cmd, "DATA", 4) == 0 && memcmp(line, "354", 3) == 0)
		c->in_body = 1;
}

int
conn_getline(struct conn *c, char *buf, size_t max, size_t *len,
    struct result *res)
{
	const char	*p = c->in + c->pos, *nl;
	size_t		 n, left = c->len - c->pos;

	if (conn_flush(c, res) == -1)
		return -1;
	nl = memchr(p, '\n', left);
	if (nl == NULL || (size_t)(nl - p) > max + 1) {
		c->dead = 1;
		if (left > max + 1)
			return result_fail(res, EX_PROTOCOL, "%s: reply line "
			    "longer than %zu bytes", c->stage, max);
		return result_fail(res, EX_TEMPFAIL, "%s: connection closed",
		    c->stage);
	}
	n = (size_t)(nl - p);
	if (n > 0 && nl[-1] == '\r')
		n--;
	if (n > max) {
		c->dead = 1;
		return result_fail(res, EX_PROTOCOL, "%s: reply line longer "
		    "than %zu bytes", c->stage, max);
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	*len = n;
	c->pos += (size_t)(nl - p) + 1;
	note_reply(c, buf, n);
	return 0;
}

void
conn_close(struct conn *c)
{
	(void)c;
}

/* ---- the session ------------------------------------------------------ */

static int
known_status(int ex)
{
	return ex == EX_TEMPFAIL || ex == EX_UNAVAILABLE || ex == EX_PROTOCOL ||
	    ex == EX_NOUSER || ex == EX_NOPERM || ex == EX_DATAERR ||
	    ex == EX_NOHOST || ex == EX_CONFIG;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const auth[] = { "auto", "plain", "login", "auto" };
	static char *rcpts[] = {
		"bob@example.org", "carol@example.net", "dave@example.com",
		"erin@example.org",
	};
	static char *urcpts[] = {
		"bob@example.org", "j\xc3\xb6rg@b\xc3\xbc" "cher.example",
	};
	static const char hdr[] = "From: joe@example.org\r\nSubject: fuzz\r\n\r\n";
	static const char body7[] = ".leading dot\n..\nlast line without end";
	static const char body8[] = "caf\xc3\xa9 \n.\r\nx\r";
	struct smtp_opts o;
	struct smtp_msg	 m;
	struct smtp_info info;
	struct msg	 spool;
	struct result	 res;
	const char	*body;
	int		 r;

	if (size < 2)
		return 0;
	memset(&fake, 0, sizeof(fake));
	fake.in = (const char *)data + 2;
	fake.len = size - 2;
	fake.fail_tls = (data[0] & 0x20) != 0;
	fake.stage = "";

	memset(&o, 0, sizeof(o));
	o.host = "smtp.example.org";
	o.port = 465;
	o.implicit_tls = data[0] & 1;
	o.domain = "client.example.org";
	o.tls.host = o.host;
	o.connect_s = 30;
	o.timeout_s = 300;
	o.user = data[0] & 2 ? "joe" : NULL;
	o.auth = auth[data[0] >> 2 & 3];
	o.pass = PASSWORD;
	o.passlen = strlen(PASSWORD);
	o.pipelining = (data[1] & 0x20) != 0;
	o.chunking = (data[1] & 0x40) != 0;
	fake.pipelining = o.pipelining;

	memset(&res, 0, sizeof(res));
	body = data[1] & 8 ? body8 : body7;
	fuzz_check(msg_begin(&spool, &res) == 0 &&
	    msg_append(&spool, body, strlen(body), &res) == 0 &&
	    msg_end(&spool, &res) == 0, "spool");
	memset(&m, 0, sizeof(m));
	m.from = "joe@example.org";
	m.rcpts = data[1] & 0x10 ? urcpts : rcpts;
	m.nrcpts = data[1] & 0x10 ? 2 : (size_t)(data[0] >> 6) + 1;
	m.hdr = hdr;
	m.hdrlen = sizeof(hdr) - 1;
	m.msg = &spool;
	m.body_off = 0;
	m.body_type = data[1] & 1 ? "8BITMIME" : NULL;
	m.notify = data[1] & 2 ? "SUCCESS,FAILURE" : NULL;
	m.envid = data[1] & 4 ? "fuzz+id" : NULL;
	m.body_qp = (data[0] & 0x10) != 0;

	r = smtp_send(&o, &m, &info, &res);
	if (getenv("FUZZ_VERBOSE") != NULL)	/* to see what a seed reaches */
		fprintf(stderr, "smtp_send: %d, exit %d: %s\n", r,
		    res.exitcode, res.msg);
	if (r == 0) {
		fuzz_check(!res.set, "no error on success");
		fuzz_check(fake.dot && fake.quit, "0 only after the dot; QUIT");
	} else {
		if (!known_status(res.exitcode))
			fprintf(stderr, "fuzz: exit %d: %s\n", res.exitcode,
			    res.msg);
		fuzz_check(res.set && known_status(res.exitcode),
		    "a failure has a status of DESIGN.md 5, not EX_SOFTWARE");
	}
	msg_free(&spool);
	return 0;
}
