/*
 * doctor.c - stamp --doctor: every step a send takes, one line each,
 * with the fix for what is wrong (doctor.h).  The session is smtp.c's
 * own (smtp_opts.probe), described through smtp_detail and tls_peer:
 * there is no second SMTP engine here, only the words around it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "config.h"
#include "conn.h"
#include "doctor.h"
#include "msg.h"
#include "oauth2.h"
#include "qrun.h"
#include "result.h"
#include "sasl.h"
#include "secret.h"
#include "smtp.h"
#include "tls.h"
#include "util.h"

#define DOCTOR_TIMEOUT	20	/* s: at most this per wait, however long
				   the account's timeout: someone waits */
#define DOCTOR_EXPIRY	14	/* days: a certificate expiring sooner
				   is a warning */
#define DOCTOR_LINE	2048	/* one printed line */
#define DOCTOR_ADDRS	16	/* addresses of the host we try */
#define DOCTOR_ADDR	64	/* one, numeric */

struct doctor {
	const struct cli	*cli;
	FILE			*out;
	struct config		 cfg;
	const struct account	*a;
	struct secret		 sec;
	int			 have_pass;	/* the password was found */
	int			 status;	/* the first failure's */
	struct smtp_opts	 o;
	struct smtp_detail	 det;
	struct tls_peer		 peer;
	struct smtp_info	 info;
	struct result		 res;
	int			 tcp_ok;	/* addresses that connected */
	size_t			 tcp_n;		/* addresses tried */
	char			 addr[DOCTOR_ADDRS][DOCTOR_ADDR];
	int			 addr_err[DOCTOR_ADDRS]; /* errno, 0: ok */
};

/* "OK   what": one step.  Control bytes never reach the terminal. */
static void __attribute__((format(printf, 3, 4)))
say(struct doctor *d, const char *tag, const char *fmt, ...)
{
	char	 line[DOCTOR_LINE], clean[DOCTOR_LINE];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	result_sanitise(clean, sizeof(clean), line, strlen(line));
	fprintf(d->out, "%-4s %s\n", tag, clean);
}

/* The first failure decides the exit status (doctor.h). */
static void
failed(struct doctor *d, int status)
{
	if (d->status == 0)
		d->status = status != 0 ? status : EX_SOFTWARE;
}

/* -- the configuration ------------------------------------------------ */

static int
step_config(struct doctor *d)
{
	const struct cli	*c = d->cli;
	const struct account	*a;
	struct result		 res = { 0 };

	if (secret_protect(&res) == -1 ||
	    config_load(&d->cfg, c->config_file, &res) == -1) {
		say(d, "FAIL", "config: %s", res.msg);
		say(d, "", "fix: the line named above (stamp.ini(5)); "
		    "stamp --import-msmtprc writes one from ~/.msmtprc");
		failed(d, res.exitcode);
		return -1;
	}
	if ((d->a = config_choose(&d->cfg, c->account, c->from,
	    &res)) == NULL) {
		say(d, "FAIL", "config: %s: %s", d->cfg.path, res.msg);
		say(d, "", "fix: name an account of %s (stamp --doctor "
		    "ACCOUNT) or set default_account = in its [defaults]",
		    d->cfg.path);
		failed(d, res.exitcode);
		return -1;
	}
	a = d->a;
	d->o = qrun_smtp_opts(a, NULL);
	if (tls_check(&d->o.tls, &res) == -1) {
		say(d, "FAIL", "config: %s", res.msg);
		say(d, "", "fix: correct the file named (tls_trust_file, "
		    "tls_cert_file, tls_key_file, tls_fingerprint) in [%s] of "
		    "%s", a->name, a->file ? a->file : d->cfg.path);
		failed(d, res.exitcode);
		return -1;
	}
	say(d, "OK", "config: %s, account %s: host = %s, port = %d, tls = %s, "
	    "user = %s, auth = %s%s%s", d->cfg.path, a->name, a->host,
	    a->port, a->tls == TLS_SMTPS ? "smtps" : "starttls",
	    a->user ? a->user : "(none: no AUTH)", a->auth ? a->auth : "auto",
	    a->tls_fingerprint ? ", tls_fingerprint set" : "",
	    a->tls_trust_file ? ", tls_trust_file set" : "");
	return 0;
}

/* -- DNS and TCP ------------------------------------------------------ */

static void
tcp_seen(void *arg, const char *addr, int err)
{
	struct doctor	*d = arg;

	if (d->tcp_n == DOCTOR_ADDRS)
		return;
	str_copy(d->addr[d->tcp_n], DOCTOR_ADDR, addr);
	d->addr_err[d->tcp_n++] = err;
	if (err == 0)
		d->tcp_ok++;
}

static void
say_tcp(struct doctor *d)
{
	char	 list[DOCTOR_ADDRS * (DOCTOR_ADDR + 2)] = "";
	size_t	 i;
	int	 err;

	for (i = 0; i < d->tcp_n; i++) {
		if (i > 0)
			str_append(list, sizeof(list), ", ");
		str_append(list, sizeof(list), d->addr[i]);
	}
	say(d, "OK", "dns: %s -> %s", d->a->host, list);
	for (i = 0; i < d->tcp_n; i++) {
		if ((err = d->addr_err[i]) == 0)
			say(d, "OK", "tcp: %s port %d: connected", d->addr[i],
			    d->a->port);
		else
			say(d, d->tcp_ok > 0 ? "WARN" : "FAIL", "tcp: %s port "
			    "%d: %s", d->addr[i], d->a->port,
			    err == ETIMEDOUT ? "timed out" : strerror(err));
		if (err != 0 && d->tcp_ok > 0)
			say(d, "", "fix: none needed while another address "
			    "works; this one costs time when tried first");
	}
}

static int
step_network(struct doctor *d)
{
	const struct account	*a = d->a;
	struct result		 res = { 0 };

	if (conn_probe(a->host, a->port, d->o.connect_s * 1000, tcp_seen, d,
	    &res) == -1) {
		say(d, "FAIL", "dns: %s", res.msg);
		if (res.exitcode == EX_NOHOST)
			say(d, "", "fix: host = %s does not exist: correct "
			    "host = in [%s] of %s", a->host, a->name,
			    d->cfg.path);
		else
			say(d, "", "fix: the resolver failed: check "
			    "/etc/resolv.conf and the network, then retry");
		failed(d, res.exitcode);
		return -1;
	}
	say_tcp(d);
	if (d->tcp_ok > 0)
		return 0;
	say(d, "", "fix: nothing accepts connections on port %d of %s: "
	    "check port = (465 for tls = smtps, 587 for tls = starttls) and "
	    "that no firewall blocks it", a->port, a->host);
	failed(d, EX_TEMPFAIL);
	return -1;
}

/* -- the password ----------------------------------------------------- */

static void
password_fix(struct doctor *d)
{
	const struct account	*a = d->a;

	if (oauth2_enabled(a))
		say(d, "", "fix: see the message; stamp --oauth2-authorize %s "
		    "gets a new grant", a->name);
	else if (a->password_command != NULL)
		say(d, "", "fix: password_command must print the password "
		    "and exit 0: run it by hand (sh -c '...') and correct it "
		    "in [%s] of %s", a->name, a->file ? a->file : d->cfg.path);
	else
		say(d, "", "fix: store the password in the Secret Service "
		    "with: stamp --password set %s (this needs a desktop or "
		    "D-Bus session with a keyring, e.g. gnome-keyring; under "
		    "cron use password_command = instead)", a->name);
}

static int
step_password(struct doctor *d)
{
	const struct account	*a = d->a;
	struct result		 res = { 0 };

	if (a->user == NULL) {
		say(d, "SKIP", "password: no user = in [%s]: no AUTH",
		    a->name);
		return 0;
	}
	if (!config_needs_password(a)) {
		say(d, "SKIP", "password: auth = external uses the client "
		    "certificate");
		return 0;
	}
	/* OAuth2: the token exactly as a send gets it (oauth2.h). */
	if ((oauth2_enabled(a) ? oauth2_token(a, &d->sec, &res) :
	    secret_get(a, &d->sec, &res)) == -1) {
		say(d, "FAIL", "password: %s", res.msg);
		password_fix(d);
		failed(d, res.exitcode);
		return -1;
	}
	d->have_pass = 1;
	say(d, "OK", "password: found (from %s; not shown)",
	    strcmp(d->sec.source, "oauth2") == 0 ? "OAuth2, an access token" :
	    strcmp(d->sec.source, "libsecret") == 0 ? "the Secret Service" :
	    strcmp(d->sec.source, "password_command") == 0 ?
	    "password_command" : "password = in the file");
	return 0;
}

/* -- TLS -------------------------------------------------------------- */

/* One certificate of the chain: tag "OK" once it verified, "" (a
 * description only) when the handshake failed. */
static void
say_cert(struct doctor *d, const char *tag, size_t i)
{
	const struct tls_peer_cert *c = &d->peer.cert[i];
	char			 left[48];
	long			 n = c->days_left;

	if (n >= 0)
		snprintf(left, sizeof(left), "%ld day%s left", n,
		    n == 1 ? "" : "s");
	else
		snprintf(left, sizeof(left), "expired %ld day%s ago", -n,
		    n == -1 ? "" : "s");
	say(d, tag, "certificate %zu: %s; issuer %s%s%s; not after %s (%s)",
	    i, c->subject, c->issuer, c->names[0] ? "; names " : "",
	    c->names, c->not_after, left);
}

static void
say_chain(struct doctor *d, const char *tag)
{
	size_t	 i;

	for (i = 0; i < d->peer.n; i++)
		say_cert(d, tag, i);
}

/* The handshake failed on the certificate: what it was, what to do. */
static void
tls_cert_problem(struct doctor *d)
{
	const struct tls_peer	*p = &d->peer;
	const char		*names = p->n > 0 ? p->cert[0].names : "";

	switch (p->problem) {
	case TLS_PEER_NAME:
		say(d, "FAIL", "name: the certificate is not for %s; it names: "
		    "%s", d->a->host, names[0] ? names : p->n > 0 ?
		    p->cert[0].subject : "nothing");
		say(d, "", "fix: set host = to one of those names if it is "
		    "the same server, or have the server's certificate "
		    "include %s", d->a->host);
		break;
	case TLS_PEER_UNTRUSTED:
		say(d, "FAIL", "chain: not trusted: %s", p->verify_text);
		say(d, "", "fix: set tls_trust_file = to the PEM file of the "
		    "CA that signed it, or, having checked it with the "
		    "server's admin, pin it: tls_fingerprint = %s",
		    p->fingerprint);
		break;
	case TLS_PEER_EXPIRED:
		say(d, "FAIL", "expiry: the certificate expired on %s",
		    p->n > 0 ? p->cert[0].not_after : "?");
		say(d, "", "fix: the server's admin must renew it; until "
		    "then stamp refuses this server");
		break;
	case TLS_PEER_NOT_YET_VALID:
		say(d, "FAIL", "expiry: the certificate is not valid yet");
		say(d, "", "fix: check this machine's clock (date -u)");
		break;
	case TLS_PEER_PIN:
		say(d, "FAIL", "pin: the certificate is not the one "
		    "tls_fingerprint names; the server's is %s",
		    p->fingerprint);
		say(d, "", "fix: if the server's certificate was changed "
		    "on purpose, set tls_fingerprint = %s", p->fingerprint);
		break;
	default:
		say(d, "FAIL", "tls: %s", d->res.msg);
		say(d, "", "fix: see the reason above; stamp -v shows the "
		    "session");
	}
}

/* -1 if the session failed in the TLS handshake (reported here). */
static int
report_tls(struct doctor *d)
{
	const struct tls_peer	*p = &d->peer;
	const char		*at = d->det.failed_at;
	int			 failed_here;

	failed_here = at != NULL && (strcmp(at, "TLS") == 0 ||
	    (strcmp(at, "STARTTLS") == 0 && p->started));
	if (!failed_here) {
		if (!p->handshake)
			return 0;
		say(d, "OK", "tls: %s, cipher %s", p->version, p->cipher);
		say_chain(d, "OK");
		if (d->a->tls_fingerprint != NULL)
			say(d, "OK", "pin: the certificate is the one "
			    "tls_fingerprint names (chain and name not "
			    "checked)");
		else
			say(d, "OK", "name: the certificate is valid for %s",
			    d->a->host);
		if (p->n > 0 && p->cert[0].days_left < DOCTOR_EXPIRY) {
			say(d, "WARN", "expiry: the certificate expires in "
			    "%ld day%s (%s)", p->cert[0].days_left,
			    p->cert[0].days_left == 1 ? "" : "s",
			    p->cert[0].not_after);
			say(d, "", "fix: ask the server's admin to renew it "
			    "before then");
		}
		return 0;
	}
	if (p->plain_text) {
		say(d, "FAIL", "tls: the server answered the TLS ClientHello "
		    "in plain text: port %d speaks STARTTLS (or plain SMTP), "
		    "not implicit TLS", d->a->port);
		say(d, "", "fix: set tls = starttls (or port = 465) in [%s]",
		    d->a->name);
	} else if (p->n > 0 && p->problem != TLS_PEER_OK) {
		say_chain(d, "");
		tls_cert_problem(d);
	} else if (d->res.exitcode == EX_TEMPFAIL) {
		say(d, "FAIL", "tls: %s", d->res.msg);
		say(d, "", "fix: the server did not finish a TLS handshake: "
		    "check port = (465 speaks implicit TLS) and tls = in [%s]",
		    d->a->name);
	} else {
		say(d, "FAIL", "tls: %s", d->res.msg);
		say(d, "", "fix: see the reason above (tls_min_version, "
		    "tls_cert_file); stamp -v shows the session");
	}
	failed(d, d->res.exitcode);
	return -1;
}

/* -- the greeting, EHLO ----------------------------------------------- */

/*
 * STARTTLS mode, and no greeting came: does the port answer a TLS
 * ClientHello (implicit TLS)?  A second connection, nothing but the
 * handshake.
 */
static int
speaks_tls(struct doctor *d)
{
	struct tls_opts	 t = d->o.tls;
	struct tls_peer	 p;
	struct result	 res = { 0 };
	struct conn	*c;

	memset(&p, 0, sizeof(p));
	t.peer = &p;
	t.resume = 0;
	if (conn_open(&c, d->a->host, d->a->port, d->o.connect_s * 1000,
	    d->o.timeout_s * 1000, &res) == -1)
		return 0;
	conn_starttls(c, &t, &res);
	conn_close(c);
	return p.handshake || p.n > 0;
}

static int
report_greeting(struct doctor *d)
{
	const char	*at = d->det.failed_at;

	if (at == NULL || strcmp(at, "GREETING") != 0) {
		if (d->det.greeting[0] != '\0')
			say(d, "OK", "greeting: %s", d->det.greeting);
		return 0;
	}
	failed(d, d->res.exitcode);
	if (d->det.greeting[0] != '\0') {
		say(d, "FAIL", "greeting: %s", d->det.greeting);
		say(d, "", "fix: the server turns this host away%s",
		    d->det.greeting[0] == '4' ? " for now: try again later" :
		    ": ask its admin, or use another server");
		return -1;
	}
	if (d->a->tls == TLS_STARTTLS && speaks_tls(d)) {
		say(d, "FAIL", "greeting: none within %d s; port %d answers "
		    "a TLS handshake: it speaks implicit TLS (SMTPS), not "
		    "STARTTLS", d->o.timeout_s, d->a->port);
		say(d, "", "fix: set tls = smtps (or port = 587) in [%s]",
		    d->a->name);
		return -1;
	}
	say(d, "FAIL", "greeting: %s", d->res.msg);
	say(d, "", "fix: is this an SMTP port? check host = and port = in "
	    "[%s]", d->a->name);
	return -1;
}

static const char *
yes_no(unsigned caps, unsigned bit)
{
	return (caps & bit) ? "yes" : "no";
}

static void
say_caps(struct doctor *d)
{
	const struct smtp_detail *t = &d->det;
	char			 size[32] = "no";

	if (t->caps & SMTP_CAP_SIZE)
		snprintf(size, sizeof(size), "%llu", t->size_max);
	say(d, "OK", "capabilities: PIPELINING %s, CHUNKING %s, SIZE %s, "
	    "8BITMIME %s, SMTPUTF8 %s, DSN %s, AUTH %s",
	    yes_no(t->caps, SMTP_CAP_PIPELINING),
	    yes_no(t->caps, SMTP_CAP_CHUNKING), size,
	    yes_no(t->caps, SMTP_CAP_8BITMIME),
	    yes_no(t->caps, SMTP_CAP_SMTPUTF8), yes_no(t->caps, SMTP_CAP_DSN),
	    t->offered[0] ? t->offered : "none");
}

/* The first mechanism offered that auth = can name and that needs
 * only a password: what to suggest. */
static const char *
usable_offered(const char *offered, char *buf, size_t n)
{
	enum sasl_mech	 m;
	size_t		 len;

	for (; *offered != '\0'; offered += len + strspn(offered + len, " ")) {
		len = strcspn(offered, " ");
		m = sasl_lookup(offered, len);
		if (m == SASL_NONE || m == SASL_XOAUTH2 ||
		    m == SASL_OAUTHBEARER || m == SASL_EXTERNAL)
			continue;
		str_copy(buf, n, sasl_name(m));
		for (len = 0; buf[len] != '\0'; len++)
			if (buf[len] >= 'A' && buf[len] <= 'Z')
				buf[len] = (char)(buf[len] - 'A' + 'a');
		return buf;
	}
	return NULL;
}

/* EHLO passed but the mechanism could not be chosen (smtp.h). */
static void
auth_choice_problem(struct doctor *d)
{
	char		 buf[32];
	const char	*use = usable_offered(d->det.offered, buf, sizeof(buf));

	say(d, "FAIL", "auth: %s", strncmp(d->res.msg, "AUTH: ", 6) == 0 ?
	    d->res.msg + 6 : d->res.msg);
	if (!(d->det.caps & SMTP_CAP_AUTH))
		say(d, "", "fix: this server does not authenticate on this "
		    "port: remove user = from [%s] (then stamp sends "
		    "without AUTH), or use the server's submission port",
		    d->a->name);
	else if (use != NULL)
		say(d, "", "fix: set auth = %s (or auth = auto) in [%s]; the "
		    "server offers: %s", use, d->a->name, d->det.offered);
	else
		say(d, "", "fix: the server offers only %s, which need "
		    "other credentials (OAuth: password_command printing a "
		    "token, with auth = xoauth2 or oauthbearer)",
		    d->det.offered);
}

static int
report_ehlo(struct doctor *d)
{
	const char	*at = d->det.failed_at;

	if (d->det.ehlo_done)
		say_caps(d);
	if (at == NULL || strcmp(at, "EHLO") != 0)
		return 0;
	failed(d, d->res.exitcode);
	if (strncmp(d->res.msg, "STARTTLS:", 9) == 0) {
		say(d, "FAIL", "starttls: %s", d->res.msg);
		say(d, "", "fix: this port offers no STARTTLS: use the "
		    "server's implicit-TLS port (tls = smtps, port = 465); "
		    "stamp never sends in plain text");
	} else if (strncmp(d->res.msg, "AUTH:", 5) == 0)
		auth_choice_problem(d);
	else {
		say(d, "FAIL", "ehlo: %s", d->res.msg);
		say(d, "", "fix: the server refused EHLO %s: set domain = "
		    "to this host's name", d->o.domain);
	}
	return -1;
}

/* -- AUTH, MAIL, RCPT ------------------------------------------------- */

/* As a send does (oauth2.h): the refused token goes, the fix follows. */
static void
refused_token(struct doctor *d)
{
	oauth2_refused(d->a);
	say(d, "", "fix: the server refused the OAuth2 access token for "
	    "user %s: check user = in [%s] (the mailbox the grant is for); "
	    "the token is dropped and the next run refreshes it; if the "
	    "server refuses that one too: stamp --oauth2-authorize %s",
	    d->a->user, d->a->name, d->a->name);
}

static int
report_auth(struct doctor *d)
{
	const char	*at = d->det.failed_at;

	if (d->a->user == NULL || !d->have_pass) {
		if (d->a->user != NULL)
			say(d, "SKIP", "auth: no password (above)");
		return 0;
	}
	if (d->det.authed) {
		say(d, "OK", "auth: %s as %s accepted", d->info.auth,
		    d->a->user);
		return 0;
	}
	if (at == NULL || strcmp(at, "AUTH") != 0)
		return 0;
	failed(d, d->res.exitcode);
	say(d, "FAIL", "auth: %s", d->res.msg);
	if (d->res.exitcode == EX_NOPERM) {
		if (strcmp(d->sec.source, "oauth2") == 0)
			refused_token(d);
		else if (strcmp(d->sec.source, "libsecret") == 0)
			say(d, "", "fix: the server refused user %s with "
			    "this password: check user =, and store the "
			    "right password with: stamp --password set %s",
			    d->a->user, d->a->name);
		else
			say(d, "", "fix: the server refused user %s with "
			    "this password: check user = and %s in [%s] of "
			    "%s", d->a->user, d->sec.source, d->a->name,
			    d->a->file ? d->a->file : d->cfg.path);
	} else
		say(d, "", "fix: see the server's words above; auth = "
		    "another mechanism may help (it offers: %s)",
		    d->det.offered);
	return -1;
}

static int
report_probe(struct doctor *d, const struct smtp_msg *m)
{
	const char	*at = d->det.failed_at;

	if (m == NULL) {
		say(d, "SKIP", "MAIL FROM / RCPT TO: give -f FROM and "
		    "recipients to try them (then RSET: nothing is sent)");
		return 0;
	}
	if (at != NULL && strcmp(at, "MAIL") == 0) {
		failed(d, d->res.exitcode);
		say(d, "FAIL", "MAIL FROM:<%s>: %s", m->from, d->det.mail);
		say(d, "", "fix: the server does not let %s send as <%s>: "
		    "set from = in [%s] (or -f) to an address this account "
		    "may use", d->a->user ? d->a->user : "this host",
		    m->from, d->a->name);
		return -1;
	}
	if (d->det.mail[0] == '\0')
		return 0;
	say(d, "OK", "MAIL FROM:<%s>: %s", m->from, d->det.mail);
	if (at != NULL && strcmp(at, "RCPT") == 0) {
		failed(d, d->res.exitcode);
		say(d, "FAIL", "RCPT: %s", d->res.msg);
		say(d, "", "fix: check the address%s; 5.1.x: no such "
		    "mailbox, 5.7.x: this account may not send there "
		    "(relaying)", m->nrcpts == 1 ? "" : "es");
		return -1;
	}
	if (at != NULL) {
		failed(d, d->res.exitcode);
		say(d, "FAIL", "%s", d->res.msg);
		return -1;
	}
	say(d, "OK", "RCPT TO: %zu recipient%s accepted (%s); RSET, "
	    "nothing sent", m->nrcpts, m->nrcpts == 1 ? "" : "s",
	    d->det.rcpt);
	return 0;
}

/* -- the session ------------------------------------------------------ */

static int
step_session(struct doctor *d, const struct smtp_msg *m)
{
	int	 r;

	d->o.tls.peer = &d->peer;
	d->o.tls.resume = 0;		/* a full handshake shows the chain */
	d->o.probe = 1;
	d->o.detail = &d->det;
	if (!d->have_pass && config_needs_password(d->a))
		d->o.user = NULL;	/* no AUTH without a password */
	r = smtp_send(&d->o, m, &d->info, &d->res);
	if (d->a->tls == TLS_SMTPS) {
		if (report_tls(d) == -1 || report_greeting(d) == -1)
			return -1;
	} else if (report_greeting(d) == -1 || report_tls(d) == -1)
		return -1;
	if (report_ehlo(d) == -1 || report_auth(d) == -1 ||
	    report_probe(d, m) == -1)
		return -1;
	if (r == -1 && d->status == 0) {	/* not named above */
		say(d, "FAIL", "%s", d->res.msg);
		say(d, "", "fix: see the server's words above; stamp -v "
		    "--doctor shows the whole dialogue");
		failed(d, d->res.exitcode);
		return -1;
	}
	return 0;
}

int
doctor_run(const struct cli *c, FILE *out)
{
	struct doctor	 d;
	struct msg	 empty;
	struct smtp_msg	 probe = { 0 };

	memset(&d, 0, sizeof(d));
	memset(&empty, 0, sizeof(empty));
	empty.fd = -1;
	d.cli = c;
	d.out = out;
	if (step_config(&d) == 0) {
		if (d.o.timeout_s > DOCTOR_TIMEOUT)
			d.o.timeout_s = DOCTOR_TIMEOUT;
		if (d.o.connect_s > DOCTOR_TIMEOUT)
			d.o.connect_s = DOCTOR_TIMEOUT;
		if (step_network(&d) == 0) {
			step_password(&d);
			d.o.pass = d.sec.buf;
			d.o.passlen = d.sec.len;
			probe.from = c->from;
			probe.rcpts = c->rcpts;
			probe.nrcpts = c->nrcpts;
			probe.hdr = "";
			probe.msg = &empty;
			step_session(&d, c->from != NULL && c->nrcpts > 0 ?
			    &probe : NULL);
		}
	}
	secret_wipe(&d.sec);
	if (d.status == 0)
		say(&d, "OK", "all checks passed");
	else
		say(&d, "FAIL", "stopped at the first failure (exit status "
		    "%d, %s)", d.status, result_exname(d.status));
	config_free(&d.cfg);
	return d.status;
}
