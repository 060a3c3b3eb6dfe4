/*
 * smtpauth.c - AUTH (RFC 4954): which mechanism (auth = auto or forced),
 * and its exchange of challenges and responses (sasl.h) on the session.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conn.h"
#include "log.h"
#include "smtp_impl.h"
#include "util.h"

#define SMTP_AUTH_STEPS	4		/* 334 challenges we answer */
#define SMTP_AUTH_LINE	12288		/* RFC 4954 4: longest AUTH line */

/* "AUTH PLAIN SCRAM-SHA-256 ..." (RFC 4954 3); unknown names are kept
 * for messages only.  Several AUTH lines (AUTH=, old Outlook) add up. */
void
smtp_parse_mechs(struct session *s, const char *p)
{
	enum sasl_mech	 m;
	size_t		 n;

	for (p += strspn(p, " "); *p != '\0'; p += n, p += strspn(p, " ")) {
		n = strcspn(p, " ");
		if ((m = sasl_lookup(p, n)) != SASL_NONE)
			s->mechs |= 1u << m;
		if (strlen(s->offered) + n + 2 >= sizeof(s->offered))
			continue;
		if (s->offered[0] != '\0')
			str_append(s->offered, sizeof(s->offered), " ");
		strncat(s->offered, p, n);
	}
}

/* AUTH is wanted: a user, or EXTERNAL (the certificate says who). */
int
smtp_wants_auth(const struct smtp_opts *o)
{
	return o->user != NULL || (o->auth != NULL &&
	    strcasecmp(o->auth, "external") == 0);
}

/* RFC 4954 4: only these may start the pipelined group. */
int
smtp_one_round_trip(enum sasl_mech m)
{
	return m == SASL_PLAIN || m == SASL_EXTERNAL;
}

/* PLAIN's or EXTERNAL's initial response would not fit the AUTH line
 * (enter_auth then waits for a 334): not one round trip after all. */
int
smtp_long_initial_response(const struct session *s)
{
	size_t	 n = s->o->authzid != NULL ? strlen(s->o->authzid) : 0;

	if (s->mech == SASL_PLAIN)
		n += strlen(s->o->user) + s->o->passlen + 2;
	return strlen("AUTH EXTERNAL ") + B64_LEN(n) + 2 > SMTP_AUTH_LINE;
}

/*
 * auth = auto: the strongest mechanism both sides have.  -PLUS binds
 * the exchange to this TLS connection; SCRAM proves the server knows
 * the password and never shows it; PLAIN and LOGIN show it (over TLS);
 * CRAM-MD5 and DIGEST-MD5 are weak hashes, for old servers only.
 * XOAUTH2, OAUTHBEARER and EXTERNAL need other credentials: forced only.
 */
static const enum sasl_mech auto_order[] = {
	SASL_SCRAM_SHA256_PLUS, SASL_SCRAM_SHA1_PLUS, SASL_SCRAM_SHA256,
	SASL_SCRAM_SHA1, SASL_PLAIN, SASL_LOGIN, SASL_CRAM_MD5,
	SASL_DIGEST_MD5
};

static int
offered(const struct session *s, enum sasl_mech m)
{
	return (s->mechs & (1u << m)) != 0;
}

static enum sasl_mech
auto_mech(struct session *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(auto_order) / sizeof(auto_order[0]); i++)
		if (offered(s, auto_order[i]) &&
		    (!sasl_is_plus(auto_order[i]) || s->cblen > 0))
			return auto_order[i];
	return SASL_NONE;
}

int
smtp_choose_mech(struct session *s)
{
	const char	*want = s->o->auth ? s->o->auth : "auto";
	int		 is_auto = strcasecmp(want, "auto") == 0;

	if (!(s->caps & CAP_AUTH))
		return result_fail(s->res, EX_UNAVAILABLE, "AUTH: the server "
		    "does not offer authentication (remove user = to send "
		    "without it)");
	if (conn_channel_binding(s->c, NULL, &s->cb_type, s->cb,
	    sizeof(s->cb), &s->cblen) == -1)
		s->cblen = 0;
	s->mech = is_auto ? auto_mech(s) : sasl_lookup(want, strlen(want));
	if (s->mech == SASL_NONE)
		return result_fail(s->res, EX_UNAVAILABLE, "AUTH: no usable "
		    "mechanism (auth = %s; the server offers: %s)", want,
		    s->offered[0] != '\0' ? s->offered : "none");
	if (!offered(s, s->mech))
		return result_fail(s->res, EX_UNAVAILABLE, "AUTH: the server "
		    "does not offer %s (auth = %s; it offers: %s)",
		    sasl_name(s->mech), want, s->offered[0] != '\0' ?
		    s->offered : "none");
	if (s->mech == SASL_EXTERNAL && s->o->tls.cert_file == NULL)
		return result_fail(s->res, EX_CONFIG, "AUTH: auth = external "
		    "needs a client certificate (tls_cert_file and "
		    "tls_key_file)");
	if (sasl_is_plus(s->mech) && s->cblen == 0)
		return result_fail(s->res, EX_UNAVAILABLE, "AUTH: %s needs TLS "
		    "channel binding, which this connection does not have",
		    sasl_name(s->mech));
	snprintf(s->info->auth, sizeof(s->info->auth), "%s",
	    sasl_name(s->mech));
	log_trace("AUTH: %s (the server offers: %s)%s%s", s->info->auth,
	    s->offered, sasl_is_plus(s->mech) ? "; channel binding " : "",
	    sasl_is_plus(s->mech) ? s->cb_type : "");
	return 0;
}

static int
start_sasl(struct session *s)
{
	struct sasl_cred c = {
		.authzid = s->o->authzid, .user = s->o->user ?
		    s->o->user : "", .pass = s->o->pass ? s->o->pass : "",
		.passlen = s->o->pass ? s->o->passlen : 0,
		.host = s->o->host, .port = s->o->port,
		.cb_type = s->cb_type, .cb = s->cb, .cblen = s->cblen,
	};

	/* RFC 5802 6: "y" only when we could bind and the server can't. */
	c.server_plus = offered(s, SASL_SCRAM_SHA1_PLUS) ||
	    offered(s, SASL_SCRAM_SHA256_PLUS) || s->cblen == 0;
	if (!sasl_is_plus(s->mech))
		c.cb = NULL, c.cblen = 0, c.cb_type = NULL;
	return (s->sasl = sasl_new(s->mech, &c, s->res)) == NULL ? -1 : 0;
}

/* RFC 4954 4: "*" cancels an exchange we cannot go on with. */
static void
cancel_auth(struct session *s)
{
	struct result	 ignored = { 0 };

	log_wire("-> ", "*", 1, 0);
	conn_write(s->c, "*\r\n", 3, &ignored);
}

/* AUTH MECH [initial-response] ("=" when empty), or the next response. */
int
smtp_enter_auth(struct session *s)
{
	char	 prefix[64], *resp = NULL;
	int	 r;

	if (!conn_is_tls(s->c))		/* never: see smtp.h */
		return result_fail(s->res, EX_SOFTWARE, "AUTH without TLS");
	snprintf(s->stage, sizeof(s->stage), "AUTH %s", s->info->auth);
	conn_stage(s->c, s->stage);
	if (s->dry)
		return 0;
	if (s->step > 0) {
		if (s->pending != NULL) {	/* the 334 asks for it */
			resp = s->pending;
			s->pending = NULL;
		} else if (sasl_step(s->sasl, reply_line(&s->r, 0), &resp,
		    s->res) == -1) {
			cancel_auth(s);
			return -1;
		}
		r = smtp_cmd_secret(s, "", resp);
		sasl_wipe(resp);
		return r;
	}
	if (s->sasl == NULL && start_sasl(s) == -1)
		return -1;
	if ((r = sasl_start(s->sasl, &resp, s->res)) <= 0)
		return r == 0 ? smtp_cmd(s, "AUTH %s", s->info->auth) : -1;
	snprintf(prefix, sizeof(prefix), "AUTH %s ", s->info->auth);
	/* RFC 4954 4: too long for the line, it waits for a 334. */
	if (strlen(prefix) + strlen(resp) + 2 > SMTP_AUTH_LINE) {
		s->pending = resp;
		return smtp_cmd(s, "AUTH %s", s->info->auth);
	}
	r = smtp_cmd_secret(s, prefix, *resp != '\0' ? resp : "=");
	sasl_wipe(resp);
	return r;
}

/* A refusal; XOAUTH2 and OAUTHBEARER explained it in a challenge. */
static int
refuse_auth(struct session *s)
{
	char	 text[RESULT_MSG_MAX];

	if (s->sasl == NULL || *sasl_error(s->sasl) == '\0')
		return smtp_refuse(s, 0);
	str_copy(text, sizeof(text), s->r.first);
	str_append(text, sizeof(text), " (");
	str_append(text, sizeof(text), sasl_error(s->sasl));
	str_append(text, sizeof(text), ")");
	return result_reply(s->res, s->stage, s->r.code, text, 0);
}

int
smtp_decide_auth(struct session *s)
{
	if (s->r.code == 235) {
		/* SCRAM, DIGEST-MD5: the server must have proven itself. */
		if (s->sasl != NULL && sasl_done(s->sasl, s->res) == -1)
			return -1;
		/* The secret's work is done: wipe it now (DESIGN.md 7). */
		sasl_free(s->sasl);
		s->sasl = NULL;
		if (s->o->authed != NULL)
			s->o->authed(s->o->authed_arg);
		if (s->o->detail != NULL)
			s->o->detail->authed = 1;
		smtp_next(s, s->o->auth_only || s->m == NULL ? S_QUIT :
		    S_MAIL);
		return 0;
	}
	/* 334: the next response.  Not when MAIL and the rest follow
	 * already: that would be their data. */
	if (s->r.code == 334 && !s->grouped && s->step < SMTP_AUTH_STEPS) {
		s->step++;
		return 0;
	}
	return refuse_auth(s);
}