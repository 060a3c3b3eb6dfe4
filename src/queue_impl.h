/*
 * queue_impl.h - what the parts of the queue share; queue.h is the
 * contract.  queue.c: putting, opening, the fate of an item, dropping,
 * tidying; queuedir.c: names, directories, tmp/ files, locks;
 * queuefmt.c: the item format and the state file.
 * Each int function: 0, or -1 with the result filled (as queue.h says).
 */
#ifndef STAMP_QUEUE_IMPL_H
#define STAMP_QUEUE_IMPL_H

#include "queue.h"

#define QUEUE_TMP	"tmp"
#define QUEUE_STATE_MAX	(QUEUE_ERR_MAX + 128)	/* a state file */

/* queuedir.c */

/* "dir/sub/name" + suffix (no "/" for an empty sub or name); allocated. */
char	*queue_path(const char *dir, const char *sub, const char *name,
	    const char *suffix, struct result *);
int	 queue_sync_dir(const char *dir, struct result *);
int	 queue_make_dirs(const char *dir, struct result *);
int	 queue_new_id(char id[QUEUE_ID_LEN + 1], struct result *);
int	 queue_write_or_fail(int fd, const void *, size_t n, const char *path,
	    struct result *);
int	 queue_fsync(int fd, const char *path, struct result *);
int	 queue_open_tmp(const char *path, struct result *);

/*
 * A new file dir/tmp/<id>suffix (the directory made), flock'd: its fd,
 * and its allocated path in *tmp; or -1 (*tmp NULL).  replace: a
 * leftover of a killed run is removed first, else it is an error.
 */
int	 queue_tmp_create(const char *dir, const char *id, const char *suffix,
	    int replace, char **tmp, struct result *);
int	 queue_publish(const char *tmp, const char *final, const char *dir,
	    struct result *);
int	 queue_publish_new(const char *tmp, const char *dir,
	    char id[QUEUE_ID_LEN + 1], struct result *);
/* 0: locked, and path still names fd's file; 1: not (busy or gone). */
int	 queue_lock_item(int fd, const char *path);
/* Remove dir/sub/<id>[suffix], best effort. */
void	 queue_remove_file(const char *dir, const char *sub, const char *id,
	    const char *suffix);

/* queuefmt.c */

/* The envelope section of a new item, allocated, its length in *len. */
char	*queue_meta_text(const char *account, const struct smtp_msg *,
	    const char *msgid, const char *error, size_t *len,
	    struct result *);
/* A state file's text into buf (n bytes): its length, 0 if too long. */
size_t	 queue_state_text(char *buf, size_t n, const struct queue_state *);
/* it->fd's envelope, then the message (full) or only its length. */
int	 queue_parse_item(struct queue_item *, int full, struct result *);
/* The state file of it, if any: else its own first attempt. */
void	 queue_read_state(struct queue_item *);

#endif
