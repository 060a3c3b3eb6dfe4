/*
 * main.c - the order of operations (DESIGN.md section 3) and the one
 * exit().  argv -> cli -> config -> msg -> envelope -> secret -> smtp ->
 * log -> exit status.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "envelope.h"
#include "log.h"
#include "msg.h"
#include "result.h"
#include "secret.h"
#include "smtp.h"
#include "util.h"

#define CONNECT_TIMEOUT	30	/* seconds, DESIGN.md section 4 */

struct run {
	struct cli		 cli;
	struct config		 cfg;
	const struct account	*acct;
	struct msg		 msg;
	struct envelope		 env;
	struct secret		 sec;
	struct smtp_info	 info;
	struct result		 res;
	int			 spooled;	/* msg holds stdin */
};

static int
submit(struct run *r)
{
	const struct account	*a = r->acct;
	struct smtp_opts	 o = {
		.host = a->host, .port = a->port,
		.implicit_tls = a->tls == TLS_SMTPS,
		.domain = a->domain ? a->domain : "localhost",
		.trust_file = a->tls_trust_file,
		.connect_s = a->timeout < CONNECT_TIMEOUT ? a->timeout :
		    CONNECT_TIMEOUT,
		.timeout_s = a->timeout, .user = a->user, .auth = a->auth,
		.pass = r->sec.buf, .passlen = r->sec.len,
	};
	struct smtp_msg		 m = {
		.from = r->env.from, .rcpts = r->env.rcpts.v,
		.nrcpts = r->env.rcpts.n, .hdr = r->env.hdr,
		.hdrlen = r->env.hdrlen, .msg = &r->msg,
		.body_off = r->env.body_off, .body_type = r->cli.body_type,
		.notify = r->cli.notify, .ret = r->cli.ret,
		.envid = r->cli.envid,
	};

	return smtp_send(&o, &m, &r->info, &r->res);
}

/* Everything up to the network: nothing is sent if any step fails. */
static int
prepare(struct run *r)
{
	if (config_load(&r->cfg, r->cli.config_file, &r->res) == -1 ||
	    (r->acct = config_choose(&r->cfg, r->cli.account, r->cli.from,
	    &r->res)) == NULL)
		return -1;
	if (msg_spool(&r->msg, STDIN_FILENO, &r->res) == -1)
		return -1;
	r->spooled = 1;
	if (envelope_build(&r->env, &r->cli, r->acct, &r->msg, &r->res) == -1)
		return -1;
	/* Before connecting, so an unlock prompt never stalls a server. */
	if (r->acct->user != NULL &&
	    secret_get(r->acct, &r->sec, &r->res) == -1)
		return -1;
	return 0;
}

static void
report(struct run *r, long long start)
{
	const struct account	*a = r->acct;
	struct logrec		 rec = {
		.host = a ? a->host : NULL,
		.tls = r->info.tls, .auth = r->info.auth,
		.user = a ? a->user : NULL,
		.from = r->env.from, .rcpts = r->env.rcpts.v,
		.nrcpts = r->env.rcpts.n,
		.mailsize = r->spooled ? (long long)r->msg.size : -1,
		.msgid = r->env.msgid, .smtpstatus = r->res.smtpcode,
		.smtpmsg = r->res.smtpmsg,
		.errormsg = r->res.set ? r->res.msg : NULL,
		.duration_ms = now_ms() - start,
		.exitcode = r->res.set ? r->res.exitcode : EX_OK,
	};

	log_result(&rec);
	if (r->res.set)
		log_err("%s", r->res.msg);
}

int
main(int argc, char *argv[])
{
	static struct run r;
	long long	 start = now_ms();
	int		 status;

	/* A server that closes early must not kill us mid-write. */
	signal(SIGPIPE, SIG_IGN);
	r.msg.fd = -1;
	log_open();
	if (cli_parse(&r.cli, argc, argv, &r.res) == 0) {
		if (r.cli.mode == CLI_HELP) {
			fputs(cli_usage, stdout);
			goto out;
		}
		if (r.cli.mode == CLI_VERSION) {
			printf("stamp %s\n", STAMP_VERSION);
			goto out;
		}
		log_verbose = r.cli.verbose;
		if (prepare(&r) == 0)
			submit(&r);
	}
	secret_wipe(&r.sec);
	report(&r, start);
out:
	status = r.res.set ? r.res.exitcode : EX_OK;
	envelope_free(&r.env);
	msg_free(&r.msg);
	config_free(&r.cfg);
	cli_free(&r.cli);
	if (fflush(stdout) == EOF && status == EX_OK)
		status = EX_IOERR;
	exit(status);
}
