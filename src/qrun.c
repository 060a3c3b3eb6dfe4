/*
 * qrun.c - the queue at work (qrun.h): flush, list, drop, and the
 * items that ride on a delivery's connection.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "log.h"
#include "oauth2.h"
#include "qrun.h"
#include "queue.h"
#include "result.h"
#include "secret.h"
#include "smtp.h"
#include "tls.h"
#include "util.h"

#define QRUN_CONNECT_TIMEOUT	30	/* seconds, DESIGN.md section 4 */

struct tls_opts
qrun_tls_opts(const struct account *a)
{
	struct tls_opts	 t = {
		.host = a->host, .trust_file = a->tls_trust_file,
		.fingerprint = a->tls_fingerprint,
		.cert_file = a->tls_cert_file, .key_file = a->tls_key_file,
		.min_version = a->tls_min_version,
		.port = a->port, .resume = a->tls_resume,
	};

	return t;
}

/* smtp.h authed: AUTH is over, the password has done its work. */
static void
secret_used(void *arg)
{
	struct secret	*sec = arg;

	if (sec->buf != NULL)
		explicit_bzero(sec->buf, sec->len);
}

struct smtp_opts
qrun_smtp_opts(const struct account *a, struct secret *sec)
{
	struct smtp_opts	 o = {
		.host = a->host, .port = a->port,
		.implicit_tls = a->tls == TLS_SMTPS,
		.domain = a->domain ? a->domain : "localhost",
		.tls = qrun_tls_opts(a),
		.connect_s = a->timeout < QRUN_CONNECT_TIMEOUT ? a->timeout :
		    QRUN_CONNECT_TIMEOUT,
		.timeout_s = a->timeout, .user = a->user, .auth = a->auth,
		.authzid = a->authzid,
		.pass = sec ? sec->buf : NULL, .passlen = sec ? sec->len : 0,
		.pipelining = a->pipelining, .chunking = a->chunking,
		.authed = sec ? secret_used : NULL, .authed_arg = sec,
	};

	return o;
}

/* The first hard failure decides the exit status of the flush. */
static void
hard(struct qrun_batch *b, int status)
{
	if (b->status == 0)
		b->status = status;
}

static void
log_item(const struct qrun_batch *b, const struct queue_item *it,
    const struct result *r, const char *status)
{
	struct logrec	 rec = {
		.host = b->acct ? b->acct->host : NULL,
		.tls = b->info ? b->info->tls : NULL,
		.auth = b->info ? b->info->auth : NULL,
		.user = b->acct ? b->acct->user : NULL,
		.from = it->from, .rcpts = it->rcpts.v,
		.nrcpts = it->rcpts.n, .mailsize = it->size,
		.msgid = it->msgid, .smtpstatus = r->smtpcode,
		.smtpmsg = r->smtpmsg, .errormsg = r->set ? r->msg : NULL,
		.duration_ms = now_ms() - b->start,
		.exitcode = r->set ? r->exitcode : EX_OK,
		.status = status, .queueid = it->id,
	};

	log_result(&rec);
}

/*
 * Did the session fail before MAIL FROM (smtp.h smtp_detail)?  Then no
 * message was refused: the account (password, certificate, server) is
 * at fault, and the items wait for it to be fixed.
 */
static int
session_fault(const struct qrun_batch *b)
{
	static const char *const stages[] = { "CONNECT", "TLS", "GREETING",
	    "EHLO", "STARTTLS", "AUTH" };
	size_t	 i;

	for (i = 0; b->det.failed_at != NULL &&
	    i < sizeof(stages) / sizeof(stages[0]); i++)
		if (strcmp(b->det.failed_at, stages[i]) == 0)
			return 1;
	return 0;
}

/* The outcome r of item it: removed, retried later, or failed/. */
static void
settle(struct qrun_batch *b, struct queue_item *it, const struct result *r)
{
	struct result	 io = { 0 };
	long long	 now = time(NULL);
	const char	*status;
	int		 later = r->exitcode == EX_TEMPFAIL || session_fault(b);

	if (r->set && r->exitcode != EX_TEMPFAIL && later)
		hard(b, r->exitcode);	/* said, though the item waits */
	if (!r->set) {
		status = "sent";
		queue_done(it, &io);
		log_trace("queue: %s sent", it->id);
	} else if (later && !queue_expired(it, now)) {
		status = "deferred";
		queue_retry(it, r->msg, now, &io);
		log_trace("queue: %s deferred: %s", it->id, r->msg);
	} else {
		status = later ? "expired" : "failed";
		queue_fail(it, r->msg, now, &io);
		log_err("queue item %s %s, moved to %s/: %s", it->id, status,
		    QUEUE_FAILED, r->msg);
		hard(b, later ? EX_UNAVAILABLE : r->exitcode);
	}
	log_item(b, it, r, status);
	if (io.set) {
		log_err("%s", io.msg);
		hard(b, io.exitcode);
	}
}

/* Does -q's argument select this item?  I: id, R: recipient, S: sender. */
static int
selected(const struct queue_item *it, const char *filter)
{
	size_t	 i;

	switch (filter[0]) {
	case 'I':
		return strstr(it->id, filter + 1) != NULL;
	case 'S':
		return strcasestr(it->from, filter + 1) != NULL;
	case 'R':
		for (i = 0; i < it->rcpts.n; i++)
			if (strcasestr(it->rcpts.v[i], filter + 1) != NULL)
				return 1;
		return 0;
	default:
		return -1;		/* no filter */
	}
}

/* An item of this batch's account that is due, or selected by -qX. */
static int
wanted(const struct queue_item *it, const struct account *a,
    const char *filter, long long now)
{
	int	 sel;

	if (strcmp(it->account, a->name) != 0)
		return 0;
	if (filter != NULL && (sel = selected(it, filter)) != -1)
		return sel;
	return queue_due(it, now);
}

/* The candidates: b->acct's wanted items in b->dir, oldest first. */
static int
scan(struct qrun_batch *b, const char *filter, struct result *res)
{
	struct strlist	 ids;
	struct queue_item it;
	struct result	 ignored;
	long long	 now = time(NULL);
	size_t		 i;
	int		 r = 0;

	if (queue_list(b->dir, &ids, res) == -1)
		return -1;
	for (i = 0; i < ids.n && r == 0; i++) {
		memset(&ignored, 0, sizeof(ignored));
		if (queue_open(b->dir, ids.v[i], 0, &it, &ignored) == 0 &&
		    wanted(&it, b->acct, filter, now))
			r = strlist_add(&b->ids, ids.v[i], QUEUE_ID_LEN, res);
		if (it.dir != NULL)
			queue_close(&it);
	}
	strlist_free(&ids);
	return r;
}

/* Lock the next candidate that is still there and due: 0, or -1. */
static int
take(struct qrun_batch *b, struct queue_item *it, int force)
{
	struct result	 ignored;
	int		 r;

	while (b->at < b->ids.n) {
		memset(&ignored, 0, sizeof(ignored));
		r = queue_open(b->dir, b->ids.v[b->at++], 1, it, &ignored);
		if (r == 1)
			continue;
		/* Tried by another flush since the scan: not due now. */
		if (r == 0 && (force || queue_due(it, time(NULL)))) {
			log_trace("queue: sending %s", it->id);
			return 0;
		}
		queue_close(it);
	}
	return -1;
}

static const struct smtp_msg *
batch_next(void *arg)
{
	struct qrun_batch	*b = arg;

	if (b->first != NULL && b->first->set)
		return NULL;
	if (take(b, &b->cur, b->force) == -1)
		return NULL;
	b->have = 1;
	return &b->cur.sm;
}

static void
batch_done(void *arg, const struct smtp_msg *m, const struct result *r)
{
	struct qrun_batch	*b = arg;

	if (b->have && m == &b->cur.sm) {
		settle(b, &b->cur, r);
		queue_close(&b->cur);
		b->have = 0;
	} else if (b->lead != NULL && m == &b->lead->sm && !b->lead_done) {
		settle(b, b->lead, r);
		b->lead_done = 1;
	}
	/* else: the delivery the batch follows, main.c's business. */
}

static int
batch_pending(void *arg)
{
	struct qrun_batch	*b = arg;

	return (b->first == NULL || !b->first->set) && b->at < b->ids.n;
}

static void
batch_init(struct qrun_batch *b, const struct account *a,
    struct smtp_info *info)
{
	memset(b, 0, sizeof(*b));
	b->acct = a;
	b->info = info;
	b->start = now_ms();
	b->cur.fd = -1;
	b->more.next = batch_next;
	b->more.done = batch_done;
	b->more.pending = batch_pending;
	b->more.arg = b;
}

int
qrun_batch_after(struct qrun_batch *b, const struct account *acct,
    const struct result *first, struct smtp_info *info)
{
	struct result	 ignored = { 0 };

	batch_init(b, acct, info);
	b->first = first;
	if ((b->dir = queue_dir(acct->queue_dir, &ignored)) == NULL ||
	    scan(b, NULL, &ignored) == -1 || b->ids.n == 0)
		return -1;
	log_trace("queue: %zu due item(s) may follow", b->ids.n);
	return 0;
}

void
qrun_batch_end(struct qrun_batch *b)
{
	if (b->have)
		queue_close(&b->cur);
	b->have = 0;
	strlist_free(&b->ids);
	free(b->dir);
	b->dir = NULL;
}

/* The session never reached these: they wait, with its reason. */
static void
defer_rest(struct qrun_batch *b, const struct result *why)
{
	struct queue_item	 it;

	while (take(b, &it, 1) == 0) {
		settle(b, &it, why);
		queue_close(&it);
	}
}

/* One session for the account's items in dir (filter: -q's argument). */
static void
flush_account(struct qrun_batch *b, const char *filter)
{
	struct queue_item	 lead;
	struct secret		 sec = { 0 };
	struct smtp_opts	 o;
	struct result		 res = { 0 };

	b->force = filter != NULL && *filter != '\0' &&
	    strchr("IRS", *filter) != NULL;
	if (scan(b, filter, &res) == -1 || take(b, &lead, b->force) == -1) {
		if (res.set) {
			log_err("%s", res.msg);
			hard(b, res.exitcode);
		}
		return;
	}
	if (config_needs_password(b->acct) && (oauth2_enabled(b->acct) ?
	    oauth2_token(b->acct, &sec, &res) :
	    secret_get(b->acct, &sec, &res)) == -1) {
		/* Not the message's fault: it waits for a fixed config. */
		log_err("%s", res.msg);
		hard(b, res.exitcode);
		res.exitcode = EX_TEMPFAIL;
	} else {
		o = qrun_smtp_opts(b->acct, &sec);
		o.more = &b->more;
		o.detail = &b->det;
		b->lead = &lead;
		if (smtp_send(&o, &lead.sm, b->info, &res) == -1 &&
		    res.exitcode == EX_NOPERM && oauth2_enabled(b->acct))
			oauth2_refused(b->acct);
	}
	secret_wipe(&sec);
	if (!b->lead_done)
		settle(b, &lead, &res);
	b->lead = NULL;
	queue_close(&lead);
	if (res.set && res.exitcode != EX_TEMPFAIL && session_fault(b))
		log_err("%s (the account's items stay queued)", res.msg);
	if (res.set && (res.exitcode == EX_TEMPFAIL || session_fault(b)))
		defer_rest(b, &res);
}

/* The default queue and every account's queue_dir, once each. */
static int
queue_dirs(const struct config *cfg, struct strlist *dirs,
    struct result *res)
{
	char	*d;
	size_t	 i, k;

	memset(dirs, 0, sizeof(*dirs));
	if ((d = queue_dir(NULL, res)) == NULL ||
	    strlist_add(dirs, d, strlen(d), res) == -1) {
		free(d);
		return -1;
	}
	free(d);
	for (i = 0; cfg != NULL && i < cfg->naccounts; i++) {
		if (cfg->accounts[i].queue_dir == NULL)
			continue;
		for (k = 0; k < dirs->n; k++)
			if (strcmp(dirs->v[k], cfg->accounts[i].queue_dir) == 0)
				break;
		if (k == dirs->n && strlist_add(dirs,
		    cfg->accounts[i].queue_dir,
		    strlen(cfg->accounts[i].queue_dir), res) == -1)
			return -1;
	}
	return 0;
}

/*
 * For -q, -bp and --queue-drop: the configuration as far as it loads
 * (*loaded; cres says why not: a broken file must not hide the queue)
 * and the queue directories, the default one and those it names.  0,
 * or -1 with res set; the caller frees cfg and dirs either way.
 */
static int
load_dirs(const struct cli *c, struct config *cfg, int *loaded,
    struct result *cres, struct strlist *dirs, struct result *res)
{
	memset(cfg, 0, sizeof(*cfg));
	*loaded = config_load(cfg, c->config_file, cres) == 0;
	return queue_dirs(*loaded ? cfg : NULL, dirs, res);
}

/* A corrupt item: reported, and out of the way in failed/. */
static void
fail_corrupt(const char *dir, const char *id, const struct result *why,
    int *status)
{
	struct queue_item	 it;
	struct result		 res = { 0 };

	log_err("%s; moved to %s/", why->msg, QUEUE_FAILED);
	log_syslog(LOG_ERR, why->msg);
	if (*status == 0)
		*status = why->exitcode;
	if (queue_open(dir, id, 1, &it, &res) == -1 &&
	    res.exitcode == EX_DATAERR)
		queue_fail(&it, why->msg, time(NULL), &res);
	if (it.dir != NULL)
		queue_close(&it);
}

/*
 * The accounts with items in dir, each name once (oldest item first);
 * corrupt items go to failed/ on the way.
 */
static int
accounts_in(const char *dir, struct strlist *names, int *status,
    struct result *res)
{
	struct strlist	 ids;
	struct queue_item it;
	struct result	 why;
	size_t		 i, k;
	int		 r = 0, o;

	memset(names, 0, sizeof(*names));
	if (queue_list(dir, &ids, res) == -1)
		return -1;
	for (i = 0; i < ids.n && r == 0; i++) {
		memset(&why, 0, sizeof(why));
		if ((o = queue_open(dir, ids.v[i], 0, &it, &why)) == -1 &&
		    why.exitcode == EX_DATAERR)
			fail_corrupt(dir, ids.v[i], &why, status);
		if (o == 0) {
			for (k = 0; k < names->n; k++)
				if (strcmp(names->v[k], it.account) == 0)
					break;
			if (k == names->n)
				r = strlist_add(names, it.account,
				    strlen(it.account), res);
		}
		if (it.dir != NULL)
			queue_close(&it);
	}
	strlist_free(&ids);
	return r;
}

/* Flush one queue directory. */
static void
flush_dir(const struct config *cfg, const char *dir, const char *filter,
    int *status)
{
	struct strlist		 names;
	struct qrun_batch	 b;
	struct smtp_info	 info;
	struct result		 res = { 0 };
	const struct account	*a;
	size_t			 i;

	if (accounts_in(dir, &names, status, &res) == -1) {
		log_err("%s", res.msg);
		if (*status == 0)
			*status = res.exitcode;
	}
	for (i = 0; i < names.n; i++) {
		memset(&res, 0, sizeof(res));
		if ((a = config_choose(cfg, names.v[i], NULL, &res)) == NULL) {
			log_err("queue %s: %s", dir, res.msg);
			if (*status == 0)
				*status = res.exitcode;
			continue;
		}
		memset(&info, 0, sizeof(info));
		batch_init(&b, a, &info);
		if ((b.dir = xstrdup(dir, &res)) != NULL)
			flush_account(&b, filter);
		if (*status == 0)
			*status = b.status;
		qrun_batch_end(&b);
	}
	strlist_free(&names);
}

/* Any item in any of dirs (or failed/, with failed)? */
static int
any_items(const struct strlist *dirs)
{
	struct strlist	 ids;
	struct result	 ignored = { 0 };
	size_t		 i, n = 0;

	for (i = 0; i < dirs->n; i++) {
		if (queue_list(dirs->v[i], &ids, &ignored) == 0)
			n += ids.n;
		strlist_free(&ids);
	}
	return n > 0;
}

/* A killed writer's tmp/ leftovers go even when nothing is queued. */
static void
tidy_all(const struct strlist *dirs)
{
	size_t	 i;

	for (i = 0; i < dirs->n; i++)
		queue_tidy(dirs->v[i]);
}

int
qrun_flush(const struct cli *c)
{
	struct config	 cfg;
	struct strlist	 dirs;
	struct result	 res = { 0 }, cres = { 0 };
	int		 status = 0, loaded;
	size_t		 i;

	if (secret_protect(&res) == -1) {
		log_err("%s", res.msg);
		return res.exitcode;
	}
	if (load_dirs(c, &cfg, &loaded, &cres, &dirs, &res) == -1) {
		log_err("%s", res.msg);
		strlist_free(&dirs);
		config_free(&cfg);
		return res.exitcode;
	}
	tidy_all(&dirs);
	if (!any_items(&dirs))
		/* A cron line without a config is fine: nothing to do. */
		log_trace("-q%s: the queue is empty, nothing to run",
		    c->queue_arg);
	else if (!loaded) {
		log_err("%s", cres.msg);
		status = cres.exitcode;
	} else
		for (i = 0; i < dirs.n; i++)
			flush_dir(&cfg, dirs.v[i], c->queue_arg, &status);
	strlist_free(&dirs);
	config_free(&cfg);
	return status;
}

/* "45s", "12m", "3h05m", "2d04h". */
static void
span(char *buf, size_t n, long long s)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, n, "%llds", s);
	else if (s < 3600)
		snprintf(buf, n, "%lldm", s / 60);
	else if (s < 86400)
		snprintf(buf, n, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, n, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

static void
print_item(const struct queue_item *it, int failed, long long now)
{
	char	 age[32], next[32];
	size_t	 i;

	span(age, sizeof(age), now - it->created);
	printf("%s %10lld %8s  <%s>\n", it->id, it->size, age, it->from);
	if (failed)
		printf("    failed after %d attempt%s: %s\n", it->st.attempts,
		    it->st.attempts == 1 ? "" : "s", it->st.error);
	else {
		span(next, sizeof(next), it->st.next - now);
		printf("    attempts %d, next %s%s: %s\n", it->st.attempts,
		    it->st.next <= now ? "now" : "in ",
		    it->st.next <= now ? "" : next, it->st.error);
	}
	for (i = 0; i < it->rcpts.n; i++)
		printf("    <%s>\n", it->rcpts.v[i]);
}

/* The items of one directory (dir or its failed/); how many. */
static size_t
list_dir(const char *dir, int failed, int *status)
{
	struct strlist	 ids;
	struct queue_item it;
	struct result	 res = { 0 };
	long long	 now = time(NULL);
	size_t		 i;

	if (queue_list(dir, &ids, &res) == -1) {
		log_err("%s", res.msg);
		*status = res.exitcode;
		return 0;
	}
	for (i = 0; i < ids.n; i++) {
		memset(&res, 0, sizeof(res));
		if (queue_open(dir, ids.v[i], 0, &it, &res) == 0)
			print_item(&it, failed, now);
		else if (res.set)
			printf("%s (unreadable: %s)\n", ids.v[i], res.msg);
		if (it.dir != NULL)
			queue_close(&it);
	}
	i = ids.n;
	strlist_free(&ids);
	return i;
}

int
qrun_list(const struct cli *c)
{
	struct config	 cfg;
	struct strlist	 dirs;
	struct result	 res = { 0 }, cres = { 0 };
	char		 failed[PATH_MAX];
	size_t		 i, n, nf, total = 0;
	int		 status = 0, loaded;

	if (load_dirs(c, &cfg, &loaded, &cres, &dirs, &res) == -1) {
		log_err("%s", res.msg);
		strlist_free(&dirs);
		config_free(&cfg);
		return res.exitcode;
	}
	for (i = 0; i < dirs.n; i++) {
		snprintf(failed, sizeof(failed), "%s/%s", dirs.v[i],
		    QUEUE_FAILED);
		n = list_dir(dirs.v[i], 0, &status);
		nf = list_dir(failed, 1, &status);
		if (n + nf > 0)
			printf("-- %zu queued, %zu failed, in %s\n", n, nf,
			    dirs.v[i]);
		total += n + nf;
	}
	if (total == 0)
		puts("Mail queue is empty");
	strlist_free(&dirs);
	config_free(&cfg);
	return status;
}

int
qrun_drop(const struct cli *c)
{
	struct config	 cfg;
	struct strlist	 dirs;
	struct result	 res = { 0 }, cres = { 0 };
	size_t		 i;
	int		 r = 1, loaded;

	memset(&cfg, 0, sizeof(cfg));
	memset(&dirs, 0, sizeof(dirs));
	if (!queue_is_id(c->queue_id))
		result_fail(&res, EX_USAGE, "--queue-drop: %s is not a queue "
		    "id (%d hex digits, see mailq)", c->queue_id,
		    QUEUE_ID_LEN);
	else if (load_dirs(c, &cfg, &loaded, &cres, &dirs, &res) == 0) {
		for (i = 0; i < dirs.n && r == 1; i++)
			r = queue_drop(dirs.v[i], c->queue_id, &res);
		if (r == 1)
			result_fail(&res, EX_USAGE, "--queue-drop: no queue "
			    "item %s", c->queue_id);
	}
	strlist_free(&dirs);
	config_free(&cfg);
	if (!res.set)
		return EX_OK;
	log_err("%s", res.msg);
	return res.exitcode;
}
