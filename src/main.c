/*
 * main.c - the order of operations (DESIGN.md section 3) and the one
 * exit().  argv -> cli -> the mode.  A message goes config -> msg ->
 * envelope -> secret -> smtp -> log, in one function (deliver) for the
 * normal path and for each message of a -bs session alike.  With the
 * account's queue on, a temporary failure puts it in the queue (queue.h)
 * and a delivery takes the account's due items along (qrun.h).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs.h"
#include "cli.h"
#include "config.h"
#include "doctor.h"
#include "envelope.h"
#include "log.h"
#include "msg.h"
#include "msmtprc.h"
#include "oauth2.h"
#include "passwd.h"
#include "qrun.h"
#include "queue.h"
#include "result.h"
#include "secret.h"
#include "smtp.h"
#include "tls.h"
#include "util.h"

#define BS_IDLE_TIMEOUT	300	/* -bs: RFC 5321 4.5.3.2.7 */

/* One message: all of its state, made and dropped by deliver(). */
struct job {
	const struct cli	*cli;
	struct config		 cfg;
	const struct account	*acct;
	int			 in_fd;	/* spool this (stdin), or -1 */
	struct msg		 own;	/* the spool of in_fd */
	const struct msg	*msg;	/* own once spooled, or -bs's */
	struct envelope		 env;
	struct secret		 sec;
	struct smtp_info	 info;
	struct result		 res;
	int			 auth_only; /* --password check */
	int			 ready;	/* message and envelope built */
	char			 qid[QUEUE_ID_LEN + 1]; /* queued as */
	char			 why[RESULT_MSG_MAX];	/* ... because */
};

/* The message as smtp.h (and the queue) take it. */
static struct smtp_msg
smtp_msg_of(const struct job *j)
{
	struct smtp_msg		 m = {
		.from = j->env.from, .rcpts = j->env.rcpts.v,
		.nrcpts = j->env.rcpts.n, .hdr = j->env.hdr,
		.hdrlen = j->env.hdrlen, .msg = j->msg,
		.body_off = j->env.body_off, .body_type = j->cli->body_type,
		.notify = j->cli->notify, .ret = j->cli->ret,
		.envid = j->cli->envid, .body_qp = j->env.body_qp,
	};

	return m;
}

/*
 * Send; with the queue on, the account's due items follow on the same
 * connection once this message is through (qrun.h).
 */
static int
submit(struct job *j)
{
	struct smtp_opts	 o = qrun_smtp_opts(j->acct, &j->sec);
	struct smtp_msg		 m = smtp_msg_of(j);
	struct qrun_batch	 b;
	int			 drain = j->acct->queue && !j->auth_only, r;

	o.auth_only = j->auth_only;
	if (drain && qrun_batch_after(&b, j->acct, &j->res, &j->info) == 0)
		o.more = &b.more;
	r = smtp_send(&o, &m, &j->info, &j->res);
	if (r == -1 && j->res.exitcode == EX_NOPERM && oauth2_enabled(j->acct))
		oauth2_refused(j->acct);
	if (drain)
		qrun_batch_end(&b);
	return r;
}

/*
 * A temporary failure with the queue on: the message goes to the queue
 * and the run succeeds (DESIGN.md 1).  If it cannot be written, that
 * failure is the outcome, naming the original one.
 */
static void
enqueue(struct job *j)
{
	struct smtp_msg	 m = smtp_msg_of(j);
	struct result	 qres;
	char		*dir;

	memset(&qres, 0, sizeof(qres));
	str_copy(j->why, sizeof(j->why), j->res.msg);
	if ((dir = queue_dir(j->acct->queue_dir, &qres)) != NULL &&
	    queue_put(dir, j->acct->name, &m, j->env.msgid, j->why, j->qid,
	    &qres) == 0) {
		log_trace("queued as %s in %s: %s", j->qid, dir, j->why);
		j->res.set = 0;
		j->res.exitcode = EX_OK;
		j->res.msg[0] = '\0';
	} else {
		j->qid[0] = '\0';
		result_fail(&qres, EX_IOERR, "queue: cannot queue");
		memset(&j->res, 0, sizeof(j->res));
		result_fail(&j->res, qres.exitcode, "%s; the message was "
		    "not sent: %s", qres.msg, j->why);
	}
	free(dir);
}

/* The password, or the OAuth2 access token (oauth2.h), if AUTH needs one. */
static int
credential(struct job *j)
{
	if (!config_needs_password(j->acct))
		return 0;
	if (oauth2_enabled(j->acct))
		return oauth2_token(j->acct, &j->sec, &j->res);
	return secret_get(j->acct, &j->sec, &j->res);
}

/* Everything up to the network: nothing is sent if any step fails. */
static int
prepare(struct job *j)
{
	const struct cli	*c = j->cli;
	struct tls_opts		 t;

	/* No core dumps from here on: the file may hold a password. */
	if (secret_protect(&j->res) == -1 ||
	    config_load(&j->cfg, c->config_file, &j->res) == -1 ||
	    (j->acct = config_choose(&j->cfg, c->account, c->from,
	    &j->res)) == NULL)
		return -1;
	/* Certificate files and the pin are configuration: check them
	 * before reading the message or connecting. */
	t = qrun_tls_opts(j->acct);
	if (tls_check(&t, &j->res) == -1)
		return -1;
	if (j->in_fd != -1) {
		if (msg_spool(&j->own, j->in_fd, &j->res) == -1)
			return -1;
		j->msg = &j->own;
	}
	if (envelope_build(&j->env, c, j->acct, j->msg, &j->res) == -1)
		return -1;
	j->ready = 1;
	/* Before connecting, so an unlock prompt never stalls a server. */
	return credential(j);
}

/* The syslog line, and the stderr line of a failure. */
static void
report(const struct job *j, long long start)
{
	const struct account	*a = j->acct;
	struct logrec		 rec = {
		.host = a ? a->host : NULL,
		.tls = j->info.tls, .auth = j->info.auth,
		.user = a ? a->user : NULL,
		.from = j->env.from, .rcpts = j->env.rcpts.v,
		.nrcpts = j->env.rcpts.n,
		.mailsize = j->msg ? (long long)j->msg->size : -1,
		.msgid = j->env.msgid, .smtpstatus = j->res.smtpcode,
		.smtpmsg = j->res.smtpmsg,
		.errormsg = j->res.set ? j->res.msg : NULL,
		.duration_ms = now_ms() - start,
		.exitcode = j->res.set ? j->res.exitcode : EX_OK,
		.status = j->qid[0] ? "queued" : NULL,
		.queueid = j->qid[0] ? j->qid : NULL,
	};

	if (j->qid[0])
		rec.errormsg = j->why;

	log_result(&rec);
	if (j->res.set)
		log_err("%s", j->res.msg);
}

/*
 * One message from start to end: prepare, submit, report.  m is the
 * spooled message (-bs), or NULL to spool stdin.  Nothing outlives the
 * call: the secret is wiped, the rest freed.  Returns the exit status;
 * *res gets the outcome.
 */
static int
deliver(const struct cli *c, const struct msg *m, struct result *res)
{
	struct job	 j;
	long long	 start = now_ms();

	memset(&j, 0, sizeof(j));
	j.cli = c;
	j.msg = m;
	j.in_fd = m == NULL ? STDIN_FILENO : -1;
	j.own.fd = -1;
	if (prepare(&j) == 0)
		submit(&j);
	/* From ready on, a temporary failure (the credential's too: an
	 * OAuth2 provider that is down) leaves the message in the queue. */
	if (j.ready && j.res.set && j.acct->queue &&
	    j.res.exitcode == EX_TEMPFAIL)
		enqueue(&j);
	secret_wipe(&j.sec);
	report(&j, start);
	*res = j.res;
	/* For -bs's 250: what happened, not the server's refusal. */
	if (j.qid[0])
		snprintf(res->smtpmsg, sizeof(res->smtpmsg), "queued as %s, "
		    "to be retried: %.400s", j.qid, j.why);
	envelope_free(&j.env);
	msg_free(&j.own);
	config_free(&j.cfg);
	return res->set ? res->exitcode : EX_OK;
}

/* A -bs message: its MAIL FROM and RCPTs stand for -f and argv. */
static int
deliver_bs(void *arg, const struct bs_txn *t, struct result *res)
{
	struct cli	 c = *(const struct cli *)arg;

	c.from = t->from;
	c.rcpts = t->rcpts;
	c.nrcpts = t->nrcpts;
	c.read_headers = 0;
	if (t->body_type != NULL)
		c.body_type = t->body_type;
	return deliver(&c, t->msg, res) == EX_OK ? 0 : -1;
}

/* 0 after QUIT or EOF: each message's fate was in its reply. */
static int
run_bs(const struct cli *c)
{
	struct cli	 session = *c;
	struct result	 res;
	struct bs_opts	 o = {
		.in = STDIN_FILENO, .out = STDOUT_FILENO,
		.idle_s = BS_IDLE_TIMEOUT,
		.deliver = deliver_bs, .arg = &session,
	};

	memset(&res, 0, sizeof(res));
	if (c->nrcpts > 0)
		log_trace("-bs: recipients on the command line are ignored");
	if (bs_run(&o, &res) == -1) {
		log_err("%s", res.msg);
		return res.exitcode;
	}
	return EX_OK;
}

/*
 * --password check: the password exactly as a send finds it, then the
 * session up to 235 and QUIT (smtp.h auth_only); no message.
 */
static int
password_check(struct job *j)
{
	struct tls_opts	 t = qrun_tls_opts(j->acct);

	if (j->acct->user == NULL)
		return result_fail(&j->res, EX_CONFIG, "account '%s' has no "
		    "user, so there is nothing to check (add user = to it in "
		    "%s)", j->acct->name, j->cfg.path);
	if (tls_check(&t, &j->res) == -1 || credential(j) == -1)
		return -1;
	j->auth_only = 1;
	if (submit(j) == -1)
		return -1;
	passwd_checked(j->acct, &j->info);
	return 0;
}

/* --password set|clear|check [ACCOUNT]: the usual account choice. */
static int
run_password(const struct cli *c)
{
	struct job	 j;
	const char	*act = c->password_action;

	memset(&j, 0, sizeof(j));
	j.cli = c;
	j.in_fd = -1;
	j.own.fd = -1;
	if (secret_protect(&j.res) == 0 &&
	    config_load(&j.cfg, c->config_file, &j.res) == 0 &&
	    (j.acct = config_choose(&j.cfg, c->account, NULL,
	    &j.res)) != NULL) {
		if (strcmp(act, "set") == 0)
			passwd_set(j.acct, &j.res);
		else if (strcmp(act, "clear") == 0)
			passwd_clear(j.acct, &j.res);
		else
			password_check(&j);
	}
	secret_wipe(&j.sec);
	if (j.res.set)
		log_err("%s", j.res.msg);
	config_free(&j.cfg);
	return j.res.set ? j.res.exitcode : EX_OK;
}

/* --oauth2-authorize ACCOUNT: the first grant into the Secret Service. */
static int
run_oauth2(const struct cli *c)
{
	struct config		 cfg;
	const struct account	*a;
	struct result		 res;

	memset(&res, 0, sizeof(res));
	if (secret_protect(&res) == 0 &&
	    config_load(&cfg, c->config_file, &res) == 0) {
		if ((a = config_choose(&cfg, c->account, NULL, &res)) != NULL)
			oauth2_authorize(a, &res);
		config_free(&cfg);
	}
	if (res.set)
		log_err("%s", res.msg);
	return res.set ? res.exitcode : EX_OK;
}

/* A usage error still gets its syslog line. */
static int
usage_error(const struct result *res)
{
	struct job	 j;

	memset(&j, 0, sizeof(j));
	j.res = *res;
	report(&j, now_ms());
	return res->exitcode;
}

static int
run_mode(const struct cli *c)
{
	struct result	 res;

	switch (c->mode) {
	case CLI_HELP:
		fputs(cli_usage, stdout);
		return EX_OK;
	case CLI_VERSION:
		printf("stamp %s\n", STAMP_VERSION);
		return EX_OK;
	case CLI_QUEUE_LIST:
		return qrun_list(c);
	case CLI_QUEUE_RUN:
		return qrun_flush(c);
	case CLI_QUEUE_DROP:
		return qrun_drop(c);
	case CLI_NEWALIASES:
		log_trace("newaliases: nothing to rebuild");
		return EX_OK;
	case CLI_SMTP:
		return run_bs(c);
	case CLI_PASSWORD:
		return run_password(c);
	case CLI_IMPORT_MSMTPRC:
		memset(&res, 0, sizeof(res));
		if (msmtprc_import(c->msmtprc, stdout, stderr, &res) == -1) {
			log_err("%s", res.msg);
			return res.exitcode;
		}
		return EX_OK;
	case CLI_OAUTH2_AUTHORIZE:
		return run_oauth2(c);
	case CLI_DOCTOR:
		return doctor_run(c, stdout);
	case CLI_SEND:
		break;
	}
	memset(&res, 0, sizeof(res));
	return deliver(c, NULL, &res);
}

int
main(int argc, char *argv[])
{
	struct cli	 cli;
	struct result	 res;
	int		 status;

	/* A server that closes early must not kill us mid-write. */
	signal(SIGPIPE, SIG_IGN);
	memset(&res, 0, sizeof(res));
	log_open();
	if (cli_parse(&cli, argc, argv, &res) == -1)
		status = usage_error(&res);
	else {
		log_verbose = cli.verbose;
		status = run_mode(&cli);
	}
	cli_free(&cli);
	if (fflush(stdout) == EOF && status == EX_OK)
		status = EX_IOERR;
	exit(status);
}
