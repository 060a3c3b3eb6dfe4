/*
 * queuedir.c - the queue's names and directories: paths, new ids,
 * durable directories, tmp/ files, publishing without replacing, locks.
 */
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "queue.h"
#include "queue_impl.h"
#include "result.h"
#include "util.h"

#define QUEUE_ID_TRIES	16	/* ids drawn before giving up */

char *
queue_path(const char *dir, const char *sub, const char *name,
    const char *suffix, struct result *res)
{
	char	*p;
	size_t	 n = strlen(dir) + strlen(sub) + strlen(name) +
	    strlen(suffix) + 3;

	if ((p = xmalloc(n, res)) == NULL)
		return NULL;
	snprintf(p, n, "%s/%s%s%s%s", dir, sub, *sub && *name ? "/" : "",
	    name, suffix);
	return p;
}

int
queue_is_id(const char *s)
{
	size_t	 i;

	for (i = 0; i < QUEUE_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

char *
queue_dir(const char *qdir, struct result *res)
{
	const char	*base, *home;
	struct passwd	*pw;

	if (qdir != NULL)
		return xstrdup(qdir, res);
	if (getuid() == 0)
		return xstrdup(QUEUE_SYSTEM_DIR, res);
	if ((base = getenv("XDG_STATE_HOME")) != NULL && *base == '/')
		return queue_path(base, "", "stamp/queue", "", res);
	if ((home = getenv("HOME")) == NULL || *home != '/') {
		if ((pw = getpwuid(getuid())) == NULL || pw->pw_dir == NULL)
			return result_fail(res, EX_CONFIG, "queue: no home "
			    "directory; set queue_dir"), NULL;
		home = pw->pw_dir;
	}
	return queue_path(home, "", ".local/state/stamp/queue", "", res);
}

int
queue_sync_dir(const char *dir, struct result *res)
{
	int	 fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return result_fail(res, EX_IOERR, "queue: %s: %s", dir,
		    strerror(errno));
	if (fsync(fd) == -1)
		r = result_fail(res, EX_IOERR, "queue: fsync %s: %s", dir,
		    strerror(errno));
	close(fd);
	return r;
}

/*
 * mkdir -p, new directories 0700.  A new directory's parent is synced:
 * its entry must be as durable as the items that will be in it.
 */
int
queue_make_dirs(const char *dir, struct result *res)
{
	char	 p[PATH_MAX];
	size_t	 i, slash = 0, n = strlen(dir);

	if (n >= sizeof(p))
		return result_fail(res, EX_CANTCREAT, "queue: %s: path too "
		    "long", dir);
	memcpy(p, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) == -1) {
			if (errno != EEXIST)
				return result_fail(res, EX_CANTCREAT, "queue: "
				    "cannot create %s: %s", p,
				    strerror(errno));
		} else {
			p[slash] = '\0';
			if (queue_sync_dir(slash == 0 ? "/" : p, res) == -1)
				return -1;
			p[slash] = '/';
		}
		p[i] = i < n ? '/' : '\0';
		slash = i;
	}
	return 0;
}

int
queue_new_id(char id[QUEUE_ID_LEN + 1], struct result *res)
{
	unsigned int	 rnd;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		return result_fail(res, EX_OSERR, "queue: getrandom: %s",
		    strerror(errno));
	snprintf(id, QUEUE_ID_LEN + 1, "%08llx%08x",
	    (unsigned long long)time(NULL) & 0xffffffffULL, rnd);
	return 0;
}

int
queue_write_or_fail(int fd, const void *p, size_t n, const char *path,
    struct result *res)
{
	if (write_all(fd, p, n) == -1)
		return result_fail(res, EX_IOERR, "queue: writing %s: %s",
		    path, strerror(errno));
	return 0;
}

/* A new file in dir/tmp, locked so that a flush leaves it alone. */
int
queue_open_tmp(const char *path, struct result *res)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		return result_fail(res, EX_CANTCREAT, "queue: cannot create "
		    "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX) == -1) {
		result_fail(res, EX_OSERR, "queue: flock %s: %s", path,
		    strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

int
queue_tmp_create(const char *dir, const char *id, const char *suffix,
    int replace, char **tmp, struct result *res)
{
	char	*tdir;
	int	 fd = -1;

	if ((tdir = queue_path(dir, QUEUE_TMP, "", "", res)) == NULL)
		return -1;
	if ((*tmp = queue_path(dir, QUEUE_TMP, id, suffix, res)) != NULL &&
	    queue_make_dirs(tdir, res) == 0) {
		if (replace)
			unlink(*tmp);
		fd = queue_open_tmp(*tmp, res);
	}
	free(tdir);
	if (fd == -1) {
		free(*tmp);
		*tmp = NULL;
	}
	return fd;
}

int
queue_fsync(int fd, const char *path, struct result *res)
{
	if (fsync(fd) == -1)
		return result_fail(res, EX_IOERR, "queue: fsync %s: %s", path,
		    strerror(errno));
	return 0;
}

/* tmp -> final, then the directory: the name is as durable as the data. */
int
queue_publish(const char *tmp, const char *final, const char *dir,
    struct result *res)
{
	if (rename(tmp, final) == -1)
		return result_fail(res, EX_IOERR, "queue: rename %s: %s", tmp,
		    strerror(errno));
	return queue_sync_dir(dir, res);
}

/*
 * Put path at dir/<id> without ever replacing a file: renameat2's
 * RENAME_NOREPLACE, else (a file system without it) link + unlink.
 * 0, or -1 with errno (EEXIST: the name is taken).
 */
static int
rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return -1;
	if (link(from, to) == -1)
		return -1;
	unlink(from);
	return 0;
}

/* An id is taken when an item or a failed item has it. */
static int
id_taken(const char *dir, const char *id, struct result *res)
{
	char	*p;
	int	 r;

	if ((p = queue_path(dir, QUEUE_FAILED, id, "", res)) == NULL)
		return -1;
	r = access(p, F_OK) == 0;
	free(p);
	return r;
}

/*
 * tmp -> dir/<id>, never over another item: two items of the same
 * second may draw the same 32 random bits.  On a collision a new id is
 * drawn (id gets it), up to QUEUE_ID_TRIES times; then dir is synced.
 */
int
queue_publish_new(const char *tmp, const char *dir, char id[QUEUE_ID_LEN + 1],
    struct result *res)
{
	char	*final;
	int	 i, taken;

	for (i = 0; i < QUEUE_ID_TRIES; i++) {
		if (i > 0 && queue_new_id(id, res) == -1)
			return -1;
		if ((taken = id_taken(dir, id, res)) == -1)
			return -1;
		if (taken)
			continue;
		if ((final = queue_path(dir, "", id, "", res)) == NULL)
			return -1;
		if (rename_noreplace(tmp, final) == 0) {
			free(final);
			if (queue_sync_dir(dir, res) == -1) {
				/* Not durable: undo it, nothing half-made. */
				queue_remove_file(dir, "", id, "");
				return -1;
			}
			return 0;
		}
		free(final);
		if (errno != EEXIST)
			return result_fail(res, EX_IOERR, "queue: rename "
			    "%s: %s", tmp, strerror(errno));
	}
	return result_fail(res, EX_CANTCREAT, "queue: no free item name "
	    "after %d tries", QUEUE_ID_TRIES);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
queue_list(const char *dir, struct strlist *ids, struct result *res)
{
	DIR		*d;
	struct dirent	*e;
	int		 r = 0;

	memset(ids, 0, sizeof(*ids));
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return result_fail(res, EX_IOERR, "queue: %s: %s", dir,
		    strerror(errno));
	}
	while (r == 0 && (e = readdir(d)) != NULL)
		if (queue_is_id(e->d_name))
			r = strlist_add(ids, e->d_name, strlen(e->d_name), res);
	closedir(d);
	if (ids->n > 1)
		qsort(ids->v, ids->n, sizeof(*ids->v), cmp_str);
	return r;
}

/* The flock, and the path still names this file (not delivered yet). */
int
queue_lock_item(int fd, const char *path)
{
	struct stat	 a, b;

	if (flock(fd, LOCK_EX | LOCK_NB) == -1)
		return 1;
	if (fstat(fd, &a) == -1 || a.st_nlink == 0 ||
	    stat(path, &b) == -1 || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev)
		return 1;
	return 0;
}

/* Remove dir/sub/<id>[suffix]. */
void
queue_remove_file(const char *dir, const char *sub, const char *id,
    const char *suffix)
{
	struct result	 ignored = { 0 };
	char		*p;

	if ((p = queue_path(dir, sub, id, suffix, &ignored)) != NULL)
		unlink(p);
	free(p);
}
