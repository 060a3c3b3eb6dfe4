/*
 * queue.h - the durable queue: a message that met a temporary failure
 * (the EX_TEMPFAIL class, DESIGN.md 5) waits on disk, and is retried by
 * "stamp -q" or right after the next successful delivery of its account
 * (qrun.h).  Knows nothing of SMTP: it stores and hands back the bytes
 * and the envelope of a struct smtp_msg.
 *
 * Locations: the account's queue_dir; else, for root, /var/spool/stamp;
 * else $XDG_STATE_HOME/stamp/queue (~/.local/state/stamp/queue).
 * Directories are made 0700, files 0600, owned by the submitting user:
 *
 *   DIR/<id>          an item: its envelope section, then the message
 *   DIR/<id>.state    its retry state after the first retry (optional)
 *   DIR/tmp/          items and states being written (flock'd meanwhile)
 *   DIR/failed/       items past QUEUE_MAX_AGE or refused for good, with
 *                     their state: mailq shows them, nothing retries them
 *
 * <id> is QUEUE_ID_LEN lower-case hex digits: 8 of the time of queueing,
 * 8 random, so the names sort by age.  A new item never replaces
 * another: when its id is taken (in DIR or failed/), it is renamed into
 * DIR under a newly drawn one (RENAME_NOREPLACE, or link + unlink).
 *
 * An item holds what would have been sent, so a retry is the same
 * message: the header section as edited on the first attempt (Date: and
 * Message-ID: included), the body as read, and the envelope.  Format: a
 * text section of "key value" lines ended by an empty line:
 *
 *   stamp-queue 1            (first line: the format version)
 *   account NAME             created UNIX-TIME      from ADDR ("" = <>)
 *   rcpt ADDR (one per recipient)   body_type / notify / ret / envid V
 *   body_qp 0|1              msgid <...>            error TEXT
 *   hdrlen N                 size N  (header section + body, in bytes)
 *
 * then exactly size bytes: hdrlen of header section, then the body.  A
 * file that does not parse, or whose length disagrees with size, is
 * corrupt (EX_DATAERR naming it).  Values never hold CR or LF.
 *
 * Durability: an item is written to tmp/, fsync'd, renamed into DIR and
 * DIR is fsync'd; only then does stamp exit 0.  A state file is
 * replaced the same way; a missing one means "attempted once, at
 * created, with the item's error".  A kill at any point leaves the item
 * whole in DIR or absent (a tmp/ leftover, removed by the next flush).
 *
 * Locks: the sender of an item holds flock(LOCK_EX) on it; another
 * flush skips a locked item, and re-checks after locking that the path
 * still names the same file (it may have been delivered meanwhile).  So
 * two flushes never send an item twice.  After a 250 to the end of
 * data the item is unlinked at once; a kill between the two is the one
 * window where an item goes twice (as is a lost reply to the end of
 * data itself, RFC 1047): stamp prefers a duplicate to a loss.
 *
 * Retries back off: QUEUE_BACKOFF_MIN after the first attempt, doubling
 * to QUEUE_BACKOFF_MAX.  A temporary failure of an item older than
 * QUEUE_MAX_AGE, and any permanent failure, moves it to failed/.
 */
#ifndef STAMP_QUEUE_H
#define STAMP_QUEUE_H

#include <stddef.h>
#include <sys/types.h>

#include "msg.h"
#include "smtp.h"
#include "util.h"

struct result;

#define QUEUE_ID_LEN		16
#define QUEUE_META_MAX		(1024 * 1024)	/* envelope section */
#define QUEUE_HDR_MAX		(4 * 1024 * 1024) /* header section */
#define QUEUE_ERR_MAX		512	/* the last error, one line */
#define QUEUE_BACKOFF_MIN	60	/* seconds */
#define QUEUE_BACKOFF_MAX	3600
#define QUEUE_MAX_AGE		(5 * 24 * 3600)
#define QUEUE_SYSTEM_DIR	"/var/spool/stamp"
#define QUEUE_FAILED		"failed"

/* Retry state. */
struct queue_state {
	int		 attempts;	/* attempts so far, >= 1 */
	long long	 last;		/* time of the last one */
	long long	 next;		/* earliest time of the next */
	char		 error[QUEUE_ERR_MAX];	/* why the last one failed */
};

/* One item, read back: everything smtp_send needs (in sm). */
struct queue_item {
	char		 id[QUEUE_ID_LEN + 1];
	char		*dir;		/* the queue (or failed/) it is in */
	int		 fd;		/* the item, flock'd when locked */
	char		*account, *from, *msgid;
	char		*body_type, *notify, *ret, *envid;
	struct strlist	 rcpts;
	int		 body_qp;
	long long	 created;
	long long	 size;		/* header section + body */
	char		*hdr;		/* the header section, hdrlen bytes */
	size_t		 hdrlen;
	struct msg	 msg;		/* [0, size) in place in fd */
	struct queue_state st;
	struct smtp_msg	 sm;		/* ready to send */
};

/*
 * The queue directory for queue_dir (NULL: the default above).
 * Allocated; NULL with EX_CONFIG when there is no home to put it in.
 */
char	*queue_dir(const char *queue_dir, struct result *);

/*
 * Write m (account, msgid and the error that sent it here too) into
 * dir durably; its id goes to id.  0, or -1 with EX_CANTCREAT (making
 * a file or directory) or EX_IOERR (writing, fsync, rename): nothing is
 * left behind then.  EX_DATAERR if a value holds CR or LF.
 */
int	 queue_put(const char *dir, const char *account,
	    const struct smtp_msg *m, const char *msgid, const char *error,
	    char id[QUEUE_ID_LEN + 1], struct result *);

/*
 * The item ids in dir (sorted, oldest first); none if dir does not
 * exist.  0, or -1 with EX_IOERR.
 */
int	 queue_list(const char *dir, struct strlist *ids, struct result *);

/*
 * Open item id of dir.  lock: take its flock without waiting, and read
 * the message (it->sm is then ready to send); without lock only the
 * envelope is read and the length checked (a listing).  Returns
 * 0 (item filled; queue_close it), 1 when another process holds it or
 * it is gone (nothing to close), -1 with EX_DATAERR when it is corrupt
 * (the reason names it; *it still needs queue_close) or another error.
 */
int	 queue_open(const char *dir, const char *id, int lock,
	    struct queue_item *it, struct result *);

void	 queue_close(struct queue_item *);

/* Is the item due at time now?  Its age past QUEUE_MAX_AGE? */
int	 queue_due(const struct queue_item *, long long now);
int	 queue_expired(const struct queue_item *, long long now);

/* The back-off after this many attempts, in seconds. */
long long queue_backoff(int attempts);

/* Delivered: remove the item (locked) and its state.  0 or -1. */
int	 queue_done(struct queue_item *, struct result *);

/* A temporary failure at time now: record it, next attempt backed off. */
int	 queue_retry(struct queue_item *, const char *error, long long now,
	    struct result *);

/* A failure for good: into failed/ with the reason.  0 or -1. */
int	 queue_fail(struct queue_item *, const char *error, long long now,
	    struct result *);

/*
 * Remove item id from dir or its failed/: 0, 1 if there is no such
 * item, -1 with EX_TEMPFAIL when it is being sent, or another error.
 */
int	 queue_drop(const char *dir, const char *id, struct result *);

/*
 * Remove what dead writers left in tmp/ (files nobody holds a lock on)
 * and state files without an item.
 */
void	 queue_tidy(const char *dir);

/* Is s a well-formed item id? */
int	 queue_is_id(const char *s);

#endif
