/*
 * qrun.h - the queue at work (queue.h has the files): the flush (-q,
 * -qI), the listing (-bp, mailq), --queue-drop, and the account's due
 * items that follow a delivery over its connection.  Like main.c it
 * ties config, secret, smtp, queue and log together; it never exits.
 *
 * Which queues: the default one (queue.h) and every account's queue_dir.
 * An item is sent with the settings of the account it names, read now.
 *
 * Outcome of an item: 250 -> removed (status=sent); a temporary failure
 * -> retried later (status=deferred, LOG_WARNING), or, past
 * QUEUE_MAX_AGE, moved to failed/ (status=expired, LOG_ERR); a permanent
 * one -> failed/ (status=failed, LOG_ERR).  A failure of the session
 * before MAIL FROM (connection, TLS, greeting, EHLO, STARTTLS, AUTH: a
 * wrong password, a certificate) is the account's, not the message's:
 * its items are deferred as for a temporary one, and the flush's exit
 * status is that failure's.  A corrupt item is reported
 * and moved to failed/; the flush goes on.  When the first item meets
 * a temporary failure that ends the session (server down; a refusal
 * inside a pipelined group), the account's items not reached are
 * deferred with the same reason.  An
 * account missing from the configuration leaves its items as they are
 * (EX_CONFIG).  The exit status of a flush is the first hard failure's
 * (a permanent refusal, EX_UNAVAILABLE for an expired item, EX_DATAERR
 * for a corrupt one, a local error), else 0.
 */
#ifndef STAMP_QRUN_H
#define STAMP_QRUN_H

#include "queue.h"
#include "smtp.h"
#include "util.h"

struct account;
struct cli;
struct config;
struct result;
struct secret;

/* An account's due items, as smtp_more callbacks (smtp.h). */
struct qrun_batch {
	const struct account	*acct;
	char			*dir;
	struct strlist		 ids;	/* candidates, oldest first */
	size_t			 at;	/* the next one to try */
	int			 force;	/* -qI/-qR/-qS: due or not */
	const struct result	*first;	/* non-NULL: go on only if this
					   (the delivery before) is unset */
	struct queue_item	 cur;	/* being sent (locked) */
	int			 have;	/* cur is open */
	struct queue_item	*lead;	/* -q: the session's first item */
	int			 lead_done; /* lead is settled */
	struct smtp_info	*info;
	struct smtp_detail	 det;	/* -q: where the session failed */
	long long		 start;	/* ms, for the log lines */
	int			 status; /* the first hard failure, or 0 */
	struct smtp_more	 more;
};

/*
 * The SMTP settings of an account, with its secret (NULL: none), which
 * is wiped as soon as AUTH succeeds (smtp.h authed).
 */
struct smtp_opts qrun_smtp_opts(const struct account *,
	    struct secret *);
struct tls_opts qrun_tls_opts(const struct account *);

/*
 * The due items of acct in its queue, for smtp_opts.more after a
 * delivery whose outcome *first is.  0 (b->more.pending says if there
 * is any), or -1 (nothing to drain; the delivery goes on alone).
 * qrun_batch_end it either way.
 */
int	 qrun_batch_after(struct qrun_batch *b, const struct account *acct,
	    const struct result *first, struct smtp_info *info);
void	 qrun_batch_end(struct qrun_batch *b);

/* -q[arg]: send what is due (-qI/-qR/-qS<substr>: those, due or not). */
int	 qrun_flush(const struct cli *);

/* -bp / mailq: the queue and failed/ on stdout. */
int	 qrun_list(const struct cli *);

/* --queue-drop ID. */
int	 qrun_drop(const struct cli *);

#endif
