/*
 * msg.c - stdin to EOF into a bounded spool (DESIGN.md section 4).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msg.h"
#include "result.h"
#include "util.h"

#define MSG_READ_BLOCK	(64 * 1024)

/* The line being read ends: note it if it is over the limit. */
static void
end_line(struct msg *m)
{
	if (m->cur.len > m->longest)
		m->longest = m->cur.len;
	if (m->cur.len > MSG_LINE_MAX) {
		if (m->long_first.len == 0)
			m->long_first = m->cur;
		m->long_last = m->cur;
	}
	m->cur.no++;
	m->cur.len = 0;
}

/*
 * n bytes at offset off: 8-bit bytes and line lengths, in one pass.  A
 * line ends at LF, CRLF or a bare CR (body.h); a CRLF split between two
 * chunks is one line end.
 */
static void
scan(struct msg *m, off_t off, const char *p, size_t n)
{
	size_t	 i = 0, e, lf = MEM_LF_UNKNOWN;
	char	 c;

	if ((e = mem_last_8bit(p, n)) > 0) {
		m->eightbit = 1;
		m->eightbit_end = off + (off_t)e;
	}
	while (i < n) {
		c = p[i];
		if (c == '\n' && m->cr) {
			m->cr = 0;
			m->cur.off = off + (off_t)++i;
			continue;
		}
		m->cr = c == '\r';
		if (c == '\r' || c == '\n') {
			end_line(m);
			m->cur.off = off + (off_t)++i;
			continue;
		}
		/* The rest of the line at once (memchr). */
		e = mem_run(p, i, n, &lf);
		m->cur.len += e;
		i += e;
	}
}

/* Before the first byte. */
static void
scan_init(struct msg *m)
{
	m->cur.no = 1;
}

/* After the last byte: a last line without a line end counts too. */
static void
scan_end(struct msg *m)
{
	if (m->cur.len > 0)
		end_line(m);
}

/* For file systems without O_TMPFILE: create, then unlink at once. */
static int
tmpfile_mkstemp(const char *dir)
{
	char	 path[4096];
	int	 fd, n;

	n = snprintf(path, sizeof(path), "%s/stamp.XXXXXX", dir);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) != -1)
		unlink(path);
	return fd;
}

/* An unlinked 0600 file in $TMPDIR: nobody else can open it. */
static int
tmpfile_open(struct result *res)
{
	const char	*dir = getenv("TMPDIR");
	int		 fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd == -1 && (errno == EOPNOTSUPP || errno == EISDIR))
		fd = tmpfile_mkstemp(dir);
	if (fd == -1)
		result_fail(res, EX_CANTCREAT,
		    "cannot create a spool file in %s: %s", dir,
		    strerror(errno));
	return fd;
}

/*
 * Move the in-memory spool to a temp file once it outgrows memory.  The
 * buffer stays, to gather what is appended next (m->pending).
 */
static int
spill(struct msg *m, struct result *res)
{
	if ((m->fd = tmpfile_open(res)) == -1)
		return -1;
	m->owned_fd = 1;
	if (write_all(m->fd, m->mem, (size_t)m->size) == -1)
		return result_fail(res, EX_IOERR, "spool file: %s",
		    strerror(errno));
	m->pending = 0;
	return 0;
}

static int
flush_pending(struct msg *m, struct result *res)
{
	if (m->pending > 0 && write_all(m->fd, m->mem, m->pending) == -1)
		return result_fail(res, EX_IOERR, "spool file: %s",
		    strerror(errno));
	m->pending = 0;
	return 0;
}

int
msg_begin(struct msg *m, struct result *res)
{
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	scan_init(m);
	if ((m->mem = xmalloc(MSG_MEM_MAX, res)) == NULL)
		return -1;
	m->memcap = MSG_MEM_MAX;
	return 0;
}

/* Past the memory spool: gather in mem, write in blocks. */
static int
append_file(struct msg *m, const void *p, size_t n, struct result *res)
{
	if (m->pending + n > m->memcap && flush_pending(m, res) == -1)
		return -1;
	if (n < m->memcap) {
		memcpy(m->mem + m->pending, p, n);
		m->pending += n;
		return 0;
	}
	if (write_all(m->fd, p, n) == -1)
		return result_fail(res, EX_IOERR, "spool file: %s",
		    strerror(errno));
	return 0;
}

int
msg_append(struct msg *m, const void *p, size_t n, struct result *res)
{
	scan(m, m->size, p, n);
	if (m->fd == -1 && (size_t)m->size + n > m->memcap &&
	    spill(m, res) == -1)
		return -1;
	if (m->fd == -1)
		memcpy(m->mem + m->size, p, n);
	else if (append_file(m, p, n, res) == -1)
		return -1;
	m->size += (off_t)n;
	return 0;
}

int
msg_end(struct msg *m, struct result *res)
{
	scan_end(m);
	return m->fd != -1 && m->owned_fd ? flush_pending(m, res) : 0;
}

/* A regular file on stdin is used in place; only scan it. */
static int
use_in_place(struct msg *m, int fd, const struct stat *st,
    struct result *res)
{
	char	 buf[MSG_READ_BLOCK];
	off_t	 off;
	ssize_t	 n;

	if ((m->base = lseek(fd, 0, SEEK_CUR)) == -1)
		m->base = 0;
	m->fd = fd;
	m->size = st->st_size > m->base ? st->st_size - m->base : 0;
	scan_init(m);
	for (off = 0; off < m->size; off += n) {
		if ((n = msg_read_at(m, off, buf, sizeof(buf), res)) <= 0) {
			if (n == 0)
				break;
			return -1;
		}
		scan(m, off, buf, (size_t)n);
	}
	scan_end(m);
	return 0;
}

int
msg_spool(struct msg *m, int fd, struct result *res)
{
	char		 buf[MSG_READ_BLOCK];
	struct stat	 st;
	ssize_t		 n;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		memset(m, 0, sizeof(*m));
		return use_in_place(m, fd, &st, res);
	}
	if (msg_begin(m, res) == -1)
		return -1;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return result_fail(res, EX_IOERR,
			    "reading the message on stdin: %s",
			    strerror(errno));
		if (n == 0)
			return msg_end(m, res);
		if (msg_append(m, buf, (size_t)n, res) == -1)
			return -1;
	}
}

ssize_t
msg_read_at(const struct msg *m, off_t off, void *buf, size_t n,
    struct result *res)
{
	ssize_t	 r;

	if (off >= m->size)
		return 0;
	if ((off_t)n > m->size - off)
		n = (size_t)(m->size - off);
	if (m->fd == -1) {
		memcpy(buf, m->mem + off, n);
		return (ssize_t)n;
	}
	do
		r = pread(m->fd, buf, n, m->base + off);
	while (r == -1 && errno == EINTR);
	if (r == -1)
		return result_fail(res, EX_IOERR, "reading the spooled "
		    "message: %s", strerror(errno));
	return r;
}

int
msg_long_line(const struct msg *m, off_t off, struct msg_line *l)
{
	if (m->long_last.len == 0 || m->long_last.off < off)
		return 0;
	*l = m->long_first.off >= off ? m->long_first : m->long_last;
	return 1;
}

int
msg_eightbit_from(const struct msg *m, off_t off)
{
	return m->eightbit_end > off;
}

void
msg_free(struct msg *m)
{
	free(m->mem);
	if (m->owned_fd && m->fd != -1)
		close(m->fd);
	memset(m, 0, sizeof(*m));
	m->fd = -1;
}
