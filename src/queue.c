/*
 * queue.c - the durable queue on disk (queue.h): putting an item,
 * opening it, its fate (done, retry, failed/), dropping and tidying.
 * queuedir.c: names, directories, locks; queuefmt.c: the item format.
 */
#include <sys/file.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "queue.h"
#include "queue_impl.h"
#include "result.h"
#include "util.h"

#define QUEUE_BLOCK	(64 * 1024)	/* body bytes per write */

/* The envelope section, the header section, the body. */
static int
write_item(int fd, const char *path, const char *meta, size_t metalen,
    const struct smtp_msg *m, struct result *res)
{
	char	*buf;
	off_t	 off;
	ssize_t	 n;
	int	 r = -1;

	if (queue_write_or_fail(fd, meta, metalen, path, res) == -1 ||
	    queue_write_or_fail(fd, m->hdr, m->hdrlen, path, res) == -1)
		return -1;
	if ((buf = xmalloc(QUEUE_BLOCK, res)) == NULL)
		return -1;
	for (off = m->body_off; off < m->msg->size; off += n) {
		if ((n = msg_read_at(m->msg, off, buf, QUEUE_BLOCK, res)) <= 0)
			goto out;
		if (queue_write_or_fail(fd, buf, (size_t)n, path, res) == -1)
			goto out;
	}
	r = queue_fsync(fd, path, res);
out:
	free(buf);
	return r;
}

int
queue_put(const char *dir, const char *account, const struct smtp_msg *m,
    const char *msgid, const char *error, char id[QUEUE_ID_LEN + 1],
    struct result *res)
{
	char	*meta = NULL, *tmp = NULL;
	size_t	 metalen = 0;
	int	 fd = -1, r = -1;

	if (queue_new_id(id, res) == -1 || (meta = queue_meta_text(account,
	    m, msgid, error, &metalen, res)) == NULL ||
	    (fd = queue_tmp_create(dir, id, "", 0, &tmp, res)) == -1)
		goto out;
	/* Nothing half-written stays behind: not in tmp/, and not as an
	 * item (queue_publish_new undoes one whose directory sync failed). */
	if (write_item(fd, tmp, meta, metalen, m, res) == -1 ||
	    queue_publish_new(tmp, dir, id, res) == -1) {
		unlink(tmp);
		goto out;
	}
	r = 0;
out:
	if (fd != -1)
		close(fd);
	free(meta);
	free(tmp);
	return r;
}

int
queue_open(const char *dir, const char *id, int lock, struct queue_item *it,
    struct result *res)
{
	char	*path;
	int	 r;

	memset(it, 0, sizeof(*it));
	it->fd = -1;
	it->msg.fd = -1;
	if (!queue_is_id(id))
		return 1;
	memcpy(it->id, id, QUEUE_ID_LEN + 1);
	if ((it->dir = xstrdup(dir, res)) == NULL ||
	    (path = queue_path(dir, "", id, "", res)) == NULL) {
		queue_close(it);
		return -1;
	}
	it->fd = open(path, O_RDONLY | O_CLOEXEC);
	r = it->fd == -1 ? 1 : lock ? queue_lock_item(it->fd, path) : 0;
	free(path);
	if (r == 1) {
		queue_close(it);
		return 1;
	}
	if (queue_parse_item(it, lock, res) == -1)
		return -1;
	queue_read_state(it);
	return 0;
}

void
queue_close(struct queue_item *it)
{
	msg_free(&it->msg);
	if (it->fd != -1)
		close(it->fd);
	free(it->dir);
	free(it->account);
	free(it->from);
	free(it->msgid);
	free(it->body_type);
	free(it->notify);
	free(it->ret);
	free(it->envid);
	free(it->hdr);
	strlist_free(&it->rcpts);
	memset(it, 0, sizeof(*it));
	it->fd = -1;
	it->msg.fd = -1;
}

long long
queue_backoff(int attempts)
{
	long long	 d = QUEUE_BACKOFF_MIN;

	while (--attempts > 0 && d < QUEUE_BACKOFF_MAX)
		d *= 2;
	return d < QUEUE_BACKOFF_MAX ? d : QUEUE_BACKOFF_MAX;
}

int
queue_due(const struct queue_item *it, long long now)
{
	return it->st.next <= now;
}

int
queue_expired(const struct queue_item *it, long long now)
{
	return now - it->created >= QUEUE_MAX_AGE;
}

/* Write st as sub/<id>.state of it->dir, via tmp/, durably. */
static int
write_state(const struct queue_item *it, const char *sub,
    const struct queue_state *st, struct result *res)
{
	char	 buf[QUEUE_STATE_MAX];
	char	*tmp = NULL, *final = NULL, *fdir = NULL;
	size_t	 len = queue_state_text(buf, sizeof(buf), st);
	int	 fd = -1, r = -1;

	/* A leftover of a killed run in tmp/ is replaced. */
	if ((final = queue_path(it->dir, sub, it->id, ".state", res)) == NULL ||
	    (fdir = queue_path(it->dir, sub, "", "", res)) == NULL ||
	    queue_make_dirs(fdir, res) == -1 || (fd = queue_tmp_create(it->dir,
	    it->id, ".state", 1, &tmp, res)) == -1)
		goto out;
	if (queue_write_or_fail(fd, buf, len, tmp, res) == -1 ||
	    queue_fsync(fd, tmp, res) == -1 ||
	    queue_publish(tmp, final, fdir, res) == -1) {
		unlink(tmp);
		goto out;
	}
	r = 0;
out:
	if (fd != -1)
		close(fd);
	free(tmp);
	free(final);
	free(fdir);
	return r;
}

/*
 * Unlink item path (dir/<id>), then its state: the item first, as a
 * state file without one is only litter.  0, or -1 (EX_IOERR).
 */
static int
unlink_item(const char *dir, const char *id, const char *path,
    struct result *res)
{
	if (unlink(path) == -1)
		return result_fail(res, EX_IOERR, "queue: removing %s: %s",
		    id, strerror(errno));
	queue_remove_file(dir, "", id, ".state");
	return 0;
}

int
queue_done(struct queue_item *it, struct result *res)
{
	char	*p;
	int	 r;

	if ((p = queue_path(it->dir, "", it->id, "", res)) == NULL)
		return -1;
	r = unlink_item(it->dir, it->id, p, res);
	free(p);
	if (r == -1)
		return -1;
	return queue_sync_dir(it->dir, res);
}

/* it's state after one more attempt at now that failed with error. */
static struct queue_state
attempted(const struct queue_item *it, const char *error, long long now)
{
	struct queue_state	 st = it->st;

	st.attempts++;
	st.last = now;
	result_sanitise(st.error, sizeof(st.error), error, strlen(error));
	return st;
}

int
queue_retry(struct queue_item *it, const char *error, long long now,
    struct result *res)
{
	struct queue_state	 st = attempted(it, error, now);

	st.next = now + queue_backoff(st.attempts);
	if (write_state(it, "", &st, res) == -1)
		return -1;
	it->st = st;
	return 0;
}

int
queue_fail(struct queue_item *it, const char *error, long long now,
    struct result *res)
{
	struct queue_state	 st = attempted(it, error, now);
	char			*from = NULL, *to = NULL, *fdir = NULL;
	int			 r = -1;

	st.next = 0;
	/* The state first: an item in failed/ always says why. */
	if (write_state(it, QUEUE_FAILED, &st, res) == -1 ||
	    (from = queue_path(it->dir, "", it->id, "", res)) == NULL ||
	    (to = queue_path(it->dir, QUEUE_FAILED, it->id, "", res)) == NULL ||
	    (fdir = queue_path(it->dir, QUEUE_FAILED, "", "", res)) == NULL)
		goto out;
	if (queue_publish(from, to, fdir, res) == -1 ||
	    queue_sync_dir(it->dir, res) == -1)
		goto out;
	queue_remove_file(it->dir, "", it->id, ".state");
	it->st = st;
	r = 0;
out:
	free(from);
	free(to);
	free(fdir);
	return r;
}

/* Remove dir/<id> if nobody holds it: 0, 1 absent, -1 busy. */
static int
drop_in(const char *dir, const char *id, struct result *res)
{
	char	*p;
	int	 fd, r;

	if ((p = queue_path(dir, "", id, "", res)) == NULL)
		return -1;
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1) {
		free(p);
		return 1;
	}
	if ((r = queue_lock_item(fd, p)) == 0)
		r = unlink_item(dir, id, p, res);
	else
		r = access(p, F_OK) == 0 ? result_fail(res, EX_TEMPFAIL,
		    "queue: item %s is being sent; try again", id) : 1;
	close(fd);
	free(p);
	if (r == 0)
		queue_sync_dir(dir, res);
	return r;
}

int
queue_drop(const char *dir, const char *id, struct result *res)
{
	char	*failed;
	int	 r;

	if (!queue_is_id(id))
		return 1;
	if ((r = drop_in(dir, id, res)) != 1)
		return r;
	if ((failed = queue_path(dir, QUEUE_FAILED, "", "", res)) == NULL)
		return -1;
	r = drop_in(failed, id, res);
	free(failed);
	return r;
}

/* A tmp/ file nobody holds: its writer died. */
static void
tidy_tmp(const char *dir)
{
	struct result	 ignored = { 0 };
	char		*tdir, *p;
	DIR		*d;
	struct dirent	*e;
	int		 fd;

	if ((tdir = queue_path(dir, QUEUE_TMP, "", "", &ignored)) == NULL)
		return;
	if ((d = opendir(tdir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.' || (p = queue_path(tdir, "",
			    e->d_name, "", &ignored)) == NULL)
				continue;
			if ((fd = open(p, O_RDONLY | O_CLOEXEC |
			    O_NOFOLLOW)) != -1) {
				if (flock(fd, LOCK_EX | LOCK_NB) == 0)
					unlink(p);
				close(fd);
			}
			free(p);
		}
		closedir(d);
	}
	free(tdir);
}

/* <id>.state files of items that are gone (dir and failed/). */
static void
tidy_states(const char *dir)
{
	struct result	 ignored = { 0 };
	char		 id[QUEUE_ID_LEN + 1], *p;
	DIR		*d;
	struct dirent	*e;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strlen(e->d_name) != QUEUE_ID_LEN + 6 ||
		    strcmp(e->d_name + QUEUE_ID_LEN, ".state") != 0)
			continue;
		memcpy(id, e->d_name, QUEUE_ID_LEN);
		id[QUEUE_ID_LEN] = '\0';
		if (!queue_is_id(id) ||
		    (p = queue_path(dir, "", id, "", &ignored)) == NULL)
			continue;
		if (access(p, F_OK) == -1 && errno == ENOENT)
			queue_remove_file(dir, "", id, ".state");
		free(p);
	}
	closedir(d);
}

void
queue_tidy(const char *dir)
{
	struct result	 ignored = { 0 };
	char		*failed;

	tidy_tmp(dir);
	tidy_states(dir);
	if ((failed = queue_path(dir, QUEUE_FAILED, "", "", &ignored)) != NULL)
		tidy_states(failed);
	free(failed);
}
