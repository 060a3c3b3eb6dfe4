/*
 * queue.c - the durable queue on disk (queue.h): items, their retry
 * state, locks, failed/.
 */
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "queue.h"
#include "result.h"
#include "util.h"

#define QUEUE_MAGIC	"stamp-queue 1"
#define QUEUE_BLOCK	(64 * 1024)	/* body bytes per write */
#define QUEUE_TMP	"tmp"
#define QUEUE_META_SMALL (16 * 1024)	/* first read of an envelope */
#define QUEUE_ID_TRIES	16	/* ids drawn before giving up */

/* A text buffer with a ceiling: hitting it is an error, not a cut. */
struct tbuf {
	char	*p;
	size_t	 len, cap;
	int	 over;
};

static void __attribute__((format(printf, 2, 3)))
tput(struct tbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (b->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->over = 1;
	else
		b->len += (size_t)n;
}

static void	 remove_file(const char *, const char *, const char *,
		    const char *);

static char *
path_of(const char *dir, const char *sub, const char *name,
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
		return path_of(base, "", "stamp/queue", "", res);
	if ((home = getenv("HOME")) == NULL || *home != '/') {
		if ((pw = getpwuid(getuid())) == NULL || pw->pw_dir == NULL)
			return result_fail(res, EX_CONFIG, "queue: no home "
			    "directory; set queue_dir"), NULL;
		home = pw->pw_dir;
	}
	return path_of(home, "", ".local/state/stamp/queue", "", res);
}

static int
sync_dir(const char *dir, struct result *res)
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
static int
make_dirs(const char *dir, struct result *res)
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
			if (sync_dir(slash == 0 ? "/" : p, res) == -1)
				return -1;
			p[slash] = '/';
		}
		p[i] = i < n ? '/' : '\0';
		slash = i;
	}
	return 0;
}

static int
new_id(char id[QUEUE_ID_LEN + 1], struct result *res)
{
	unsigned int	 rnd;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		return result_fail(res, EX_OSERR, "queue: getrandom: %s",
		    strerror(errno));
	snprintf(id, QUEUE_ID_LEN + 1, "%08llx%08x",
	    (unsigned long long)time(NULL) & 0xffffffffULL, rnd);
	return 0;
}

static int
clean_value(const char *v)
{
	return v == NULL || strpbrk(v, "\r\n") == NULL;
}

/* The envelope section of a new item. */
static int
put_meta(struct tbuf *b, const char *account, const struct smtp_msg *m,
    const char *msgid, const char *error, struct result *res)
{
	const char	*opt[] = { "body_type", m->body_type, "notify",
	    m->notify, "ret", m->ret, "envid", m->envid, "msgid", msgid };
	char		 err[QUEUE_ERR_MAX];
	size_t		 i;

	if (!clean_value(account) || !clean_value(m->from))
		return result_fail(res, EX_DATAERR, "queue: line end in "
		    "the envelope");
	if (m->hdrlen > QUEUE_HDR_MAX)		/* never: hdr.h's is smaller */
		return result_fail(res, EX_DATAERR, "queue: header section "
		    "over %d bytes", QUEUE_HDR_MAX);
	tput(b, "%s\naccount %s\ncreated %lld\nfrom %s\n", QUEUE_MAGIC,
	    account, (long long)time(NULL), m->from);
	for (i = 0; i < m->nrcpts; i++) {
		if (!clean_value(m->rcpts[i]))
			return result_fail(res, EX_DATAERR, "queue: line "
			    "end in a recipient");
		tput(b, "rcpt %s\n", m->rcpts[i]);
	}
	for (i = 0; i < sizeof(opt) / sizeof(opt[0]); i += 2) {
		if (opt[i + 1] == NULL)
			continue;
		if (!clean_value(opt[i + 1]))
			return result_fail(res, EX_DATAERR, "queue: line "
			    "end in %s", opt[i]);
		tput(b, "%s %s\n", opt[i], opt[i + 1]);
	}
	result_sanitise(err, sizeof(err), error, strlen(error));
	tput(b, "body_qp %d\nerror %s\nhdrlen %zu\nsize %lld\n\n",
	    m->body_qp ? 1 : 0, err, m->hdrlen, (long long)m->hdrlen +
	    (long long)(m->msg->size - m->body_off));
	if (b->over)
		return result_fail(res, EX_DATAERR, "queue: the envelope is "
		    "larger than %d bytes", QUEUE_META_MAX);
	return 0;
}

static int
write_or_fail(int fd, const void *p, size_t n, const char *path,
    struct result *res)
{
	if (write_all(fd, p, n) == -1)
		return result_fail(res, EX_IOERR, "queue: writing %s: %s",
		    path, strerror(errno));
	return 0;
}

/* The envelope section, the header section, the body. */
static int
write_item(int fd, const char *path, const struct tbuf *meta,
    const struct smtp_msg *m, struct result *res)
{
	char	*buf;
	off_t	 off;
	ssize_t	 n;
	int	 r = -1;

	if (write_or_fail(fd, meta->p, meta->len, path, res) == -1 ||
	    write_or_fail(fd, m->hdr, m->hdrlen, path, res) == -1)
		return -1;
	if ((buf = xmalloc(QUEUE_BLOCK, res)) == NULL)
		return -1;
	for (off = m->body_off; off < m->msg->size; off += n) {
		if ((n = msg_read_at(m->msg, off, buf, QUEUE_BLOCK, res)) <= 0)
			goto out;
		if (write_or_fail(fd, buf, (size_t)n, path, res) == -1)
			goto out;
	}
	if (fsync(fd) == -1) {
		result_fail(res, EX_IOERR, "queue: fsync %s: %s", path,
		    strerror(errno));
		goto out;
	}
	r = 0;
out:
	free(buf);
	return r;
}

/* A new file in dir/tmp, locked so that a flush leaves it alone. */
static int
open_tmp(const char *path, struct result *res)
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

/* tmp -> final, then the directory: the name is as durable as the data. */
static int
publish(const char *tmp, const char *final, const char *dir,
    struct result *res)
{
	if (rename(tmp, final) == -1)
		return result_fail(res, EX_IOERR, "queue: rename %s: %s", tmp,
		    strerror(errno));
	return sync_dir(dir, res);
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

	if ((p = path_of(dir, QUEUE_FAILED, id, "", res)) == NULL)
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
static int
publish_new(const char *tmp, const char *dir, char id[QUEUE_ID_LEN + 1],
    struct result *res)
{
	char	*final;
	int	 i, taken;

	for (i = 0; i < QUEUE_ID_TRIES; i++) {
		if (i > 0 && new_id(id, res) == -1)
			return -1;
		if ((taken = id_taken(dir, id, res)) == -1)
			return -1;
		if (taken)
			continue;
		if ((final = path_of(dir, "", id, "", res)) == NULL)
			return -1;
		if (rename_noreplace(tmp, final) == 0) {
			free(final);
			if (sync_dir(dir, res) == -1) {
				/* Not durable: undo it, nothing half-made. */
				remove_file(dir, "", id, "");
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

int
queue_put(const char *dir, const char *account, const struct smtp_msg *m,
    const char *msgid, const char *error, char id[QUEUE_ID_LEN + 1],
    struct result *res)
{
	struct tbuf	 meta = { NULL, 0, QUEUE_META_MAX, 0 };
	char		*tdir = NULL, *tmp = NULL;
	int		 fd = -1, r = -1;

	if (new_id(id, res) == -1 ||
	    (meta.p = xmalloc(meta.cap, res)) == NULL ||
	    put_meta(&meta, account, m, msgid, error, res) == -1 ||
	    (tdir = path_of(dir, QUEUE_TMP, "", "", res)) == NULL ||
	    (tmp = path_of(dir, QUEUE_TMP, id, "", res)) == NULL ||
	    make_dirs(tdir, res) == -1 || (fd = open_tmp(tmp, res)) == -1)
		goto out;
	/* Nothing half-written stays behind: not in tmp/, and not as an
	 * item (publish_new undoes one whose directory sync failed). */
	if (write_item(fd, tmp, &meta, m, res) == -1 ||
	    publish_new(tmp, dir, id, res) == -1) {
		unlink(tmp);
		goto out;
	}
	r = 0;
out:
	if (fd != -1)
		close(fd);
	free(meta.p);
	free(tdir);
	free(tmp);
	return r;
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
static int
lock_item(int fd, const char *path)
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

/* One "key value" line of the envelope section into it. */
static int
meta_line(struct queue_item *it, char *line, struct result *res)
{
	char	*v, *end, **dst = NULL;
	long long n;

	/* Values never hold a line end (queue.h): a CR is corruption. */
	if ((v = strchr(line, ' ')) == NULL || strchr(line, '\r') != NULL)
		return -1;
	*v++ = '\0';
	if (strcmp(line, "rcpt") == 0)
		return *v == '\0' ? -1 :
		    strlist_add(&it->rcpts, v, strlen(v), res);
	if (strcmp(line, "error") == 0) {
		/* Written sanitised; a tampered one must not reach a
		 * terminal through mailq either. */
		result_sanitise(it->st.error, sizeof(it->st.error), v,
		    strlen(v));
		return 0;
	}
	if (strcmp(line, "account") == 0)
		dst = &it->account;
	else if (strcmp(line, "from") == 0)
		dst = &it->from;
	else if (strcmp(line, "msgid") == 0)
		dst = &it->msgid;
	else if (strcmp(line, "body_type") == 0)
		dst = &it->body_type;
	else if (strcmp(line, "notify") == 0)
		dst = &it->notify;
	else if (strcmp(line, "ret") == 0)
		dst = &it->ret;
	else if (strcmp(line, "envid") == 0)
		dst = &it->envid;
	if (dst != NULL) {
		if (*dst != NULL)
			return -1;
		return (*dst = xstrdup(v, res)) == NULL ? -1 : 0;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < 0)
		return -1;
	if (strcmp(line, "created") == 0)
		it->created = n;
	else if (strcmp(line, "body_qp") == 0 && n <= 1)
		it->body_qp = (int)n;
	else if (strcmp(line, "hdrlen") == 0 && n <= QUEUE_HDR_MAX)
		it->hdrlen = (size_t)n;
	else if (strcmp(line, "size") == 0)
		it->size = n;
	else
		return -1;
	return 0;
}

/* Parse the envelope section of buf (len bytes); its length in *end. */
static int
parse_meta(struct queue_item *it, char *buf, size_t len, size_t *end,
    struct result *res)
{
	char	*p, *nl, *stop;

	buf[len] = '\0';
	if ((stop = strstr(buf, "\n\n")) == NULL || memchr(buf, '\0',
	    (size_t)(stop - buf)) != NULL)
		return -1;
	*end = (size_t)(stop - buf) + 2;
	*stop = '\0';
	if ((nl = strchr(buf, '\n')) == NULL)
		return -1;
	*nl = '\0';
	if (strcmp(buf, QUEUE_MAGIC) != 0)
		return -1;
	it->created = -1;
	it->size = -1;
	it->hdrlen = SIZE_MAX;
	for (p = nl + 1; p != NULL; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		if (meta_line(it, p, res) == -1)
			return -1;
	}
	if (it->account == NULL || it->from == NULL || it->rcpts.n == 0 ||
	    it->created < 0 || it->size < 0 || it->hdrlen == SIZE_MAX ||
	    (long long)it->hdrlen > it->size)
		return -1;
	return 0;
}

/* The state file, if any: else the item's own first attempt. */
static void
read_state(struct queue_item *it)
{
	char		*path, buf[QUEUE_ERR_MAX + 128], *p;
	FILE		*f;
	struct result	 ignored = { 0 };
	struct queue_state st = { 1, it->created, 0, "" };

	str_copy(st.error, sizeof(st.error), it->st.error);
	st.next = it->created + queue_backoff(1);
	it->st = st;
	if ((path = path_of(it->dir, "", it->id, ".state", &ignored)) == NULL)
		return;
	f = fopen(path, "re");
	free(path);
	if (f == NULL)
		return;
	while (fgets(buf, sizeof(buf), f) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		if ((p = strchr(buf, ' ')) == NULL)
			continue;
		*p++ = '\0';
		if (strcmp(buf, "attempts") == 0)
			st.attempts = atoi(p);
		else if (strcmp(buf, "last") == 0)
			st.last = atoll(p);
		else if (strcmp(buf, "next") == 0)
			st.next = atoll(p);
		else if (strcmp(buf, "error") == 0)
			result_sanitise(st.error, sizeof(st.error), p,
			    strlen(p));
	}
	fclose(f);
	if (st.attempts >= 1)
		it->st = st;
}

/* Header section into memory, the whole message in place as it->msg. */
static int
read_message(struct queue_item *it, off_t data, struct result *res)
{
	ssize_t	 n;

	if ((it->hdr = xmalloc(it->hdrlen + 1, res)) == NULL)
		return -1;
	n = pread(it->fd, it->hdr, it->hdrlen, data);
	if (n < 0 || (size_t)n != it->hdrlen)
		return -1;
	if (lseek(it->fd, data, SEEK_SET) == -1 ||
	    msg_spool(&it->msg, it->fd, res) == -1)
		return -1;
	if ((long long)it->msg.size != it->size)
		return -1;
	it->sm.from = it->from;
	it->sm.rcpts = it->rcpts.v;
	it->sm.nrcpts = it->rcpts.n;
	it->sm.hdr = it->hdr;
	it->sm.hdrlen = it->hdrlen;
	it->sm.msg = &it->msg;
	it->sm.body_off = (off_t)it->hdrlen;
	it->sm.body_type = it->body_type;
	it->sm.notify = it->notify;
	it->sm.ret = it->ret;
	it->sm.envid = it->envid;
	it->sm.body_qp = it->body_qp;
	return 0;
}

/* Only the length: for a listing, no need to read the message. */
static int
check_size(struct queue_item *it, off_t data)
{
	struct stat	 st;

	if (fstat(it->fd, &st) == -1 || st.st_size - data != it->size)
		return -1;
	return 0;
}

/*
 * The envelope section (QUEUE_META_SMALL bytes are read first: most
 * items need no more), then the message (full) or only its length.
 */
static int
parse_item(struct queue_item *it, int full, struct result *res)
{
	char	*buf;
	ssize_t	 n;
	size_t	 end = 0, want = QUEUE_META_SMALL;
	int	 r = -1;

	if ((buf = xmalloc(QUEUE_META_MAX + 1, res)) == NULL)
		return -1;
	for (;;) {
		if ((n = pread(it->fd, buf, want, 0)) < 0)
			break;
		buf[n] = '\0';
		if ((size_t)n == want && want < QUEUE_META_MAX &&
		    strstr(buf, "\n\n") == NULL) {
			want = QUEUE_META_MAX;
			continue;
		}
		if (parse_meta(it, buf, (size_t)n, &end, res) == 0 &&
		    (full ? read_message(it, (off_t)end, res) :
		    check_size(it, (off_t)end)) == 0)
			r = 0;
		break;
	}
	free(buf);
	if (r == -1 && !res->set)
		result_fail(res, EX_DATAERR, "queue: item %s in %s is "
		    "corrupt", it->id, it->dir);
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
	    (path = path_of(dir, "", id, "", res)) == NULL) {
		queue_close(it);
		return -1;
	}
	it->fd = open(path, O_RDONLY | O_CLOEXEC);
	r = it->fd == -1 ? 1 : lock ? lock_item(it->fd, path) : 0;
	free(path);
	if (r == 1) {
		queue_close(it);
		return 1;
	}
	if (parse_item(it, lock, res) == -1)
		return -1;
	read_state(it);
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
	char		 buf[QUEUE_ERR_MAX + 128];
	struct tbuf	 b = { buf, 0, sizeof(buf), 0 };
	char		*tdir = NULL, *tmp = NULL, *final = NULL, *fdir = NULL;
	int		 fd = -1, r = -1;

	tput(&b, "attempts %d\nlast %lld\nnext %lld\nerror %s\n",
	    st->attempts, st->last, st->next, st->error);
	if ((tdir = path_of(it->dir, QUEUE_TMP, "", "", res)) == NULL ||
	    (tmp = path_of(it->dir, QUEUE_TMP, it->id, ".state",
	    res)) == NULL ||
	    (final = path_of(it->dir, sub, it->id, ".state", res)) == NULL ||
	    (fdir = path_of(it->dir, sub, "", "", res)) == NULL ||
	    make_dirs(tdir, res) == -1 || make_dirs(fdir, res) == -1)
		goto out;
	/* O_EXCL would refuse a leftover of a killed run: replace it. */
	unlink(tmp);
	if ((fd = open_tmp(tmp, res)) == -1)
		goto out;
	if (write_or_fail(fd, buf, b.len, tmp, res) == -1 ||
	    (fsync(fd) == -1 && result_fail(res, EX_IOERR, "queue: fsync "
	    "%s: %s", tmp, strerror(errno)) == -1) ||
	    publish(tmp, final, fdir, res) == -1) {
		unlink(tmp);
		goto out;
	}
	r = 0;
out:
	if (fd != -1)
		close(fd);
	free(tdir);
	free(tmp);
	free(final);
	free(fdir);
	return r;
}

/* Remove dir/sub/<id>[suffix]. */
static void
remove_file(const char *dir, const char *sub, const char *id,
    const char *suffix)
{
	struct result	 ignored = { 0 };
	char		*p;

	if ((p = path_of(dir, sub, id, suffix, &ignored)) != NULL)
		unlink(p);
	free(p);
}

int
queue_done(struct queue_item *it, struct result *res)
{
	char	*p;
	int	 r;

	/* The item first: a state file without one is only litter. */
	if ((p = path_of(it->dir, "", it->id, "", res)) == NULL)
		return -1;
	r = unlink(p);
	free(p);
	if (r == -1)
		return result_fail(res, EX_IOERR, "queue: removing %s: %s",
		    it->id, strerror(errno));
	remove_file(it->dir, "", it->id, ".state");
	return sync_dir(it->dir, res);
}

int
queue_retry(struct queue_item *it, const char *error, long long now,
    struct result *res)
{
	struct queue_state	 st = it->st;

	st.attempts++;
	st.last = now;
	st.next = now + queue_backoff(st.attempts);
	result_sanitise(st.error, sizeof(st.error), error, strlen(error));
	if (write_state(it, "", &st, res) == -1)
		return -1;
	it->st = st;
	return 0;
}

int
queue_fail(struct queue_item *it, const char *error, long long now,
    struct result *res)
{
	struct queue_state	 st = it->st;
	char			*from = NULL, *to = NULL, *fdir = NULL;
	int			 r = -1;

	st.attempts++;
	st.last = now;
	st.next = 0;
	result_sanitise(st.error, sizeof(st.error), error, strlen(error));
	/* The state first: an item in failed/ always says why. */
	if (write_state(it, QUEUE_FAILED, &st, res) == -1 ||
	    (from = path_of(it->dir, "", it->id, "", res)) == NULL ||
	    (to = path_of(it->dir, QUEUE_FAILED, it->id, "", res)) == NULL ||
	    (fdir = path_of(it->dir, QUEUE_FAILED, "", "", res)) == NULL)
		goto out;
	if (publish(from, to, fdir, res) == -1 ||
	    sync_dir(it->dir, res) == -1)
		goto out;
	remove_file(it->dir, "", it->id, ".state");
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

	if ((p = path_of(dir, "", id, "", res)) == NULL)
		return -1;
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) == -1) {
		free(p);
		return 1;
	}
	if ((r = lock_item(fd, p)) == 0) {
		if (unlink(p) == -1)
			r = result_fail(res, EX_IOERR, "queue: removing %s: "
			    "%s", id, strerror(errno));
		else
			remove_file(dir, "", id, ".state");
	} else
		r = access(p, F_OK) == 0 ? result_fail(res, EX_TEMPFAIL,
		    "queue: item %s is being sent; try again", id) : 1;
	close(fd);
	free(p);
	if (r == 0)
		sync_dir(dir, res);
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
	if ((failed = path_of(dir, QUEUE_FAILED, "", "", res)) == NULL)
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

	if ((tdir = path_of(dir, QUEUE_TMP, "", "", &ignored)) == NULL)
		return;
	if ((d = opendir(tdir)) != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.' || (p = path_of(tdir, "",
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
		    (p = path_of(dir, "", id, "", &ignored)) == NULL)
			continue;
		if (access(p, F_OK) == -1 && errno == ENOENT)
			remove_file(dir, "", id, ".state");
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
	if ((failed = path_of(dir, QUEUE_FAILED, "", "", &ignored)) != NULL)
		tidy_states(failed);
	free(failed);
}
