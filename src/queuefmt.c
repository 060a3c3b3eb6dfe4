/*
 * queuefmt.c - an item's format (queue.h): the envelope section written
 * and parsed, the message read back, the state file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
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

#define QUEUE_MAGIC	"stamp-queue 1"
#define QUEUE_META_SMALL (16 * 1024)	/* first read of an envelope */

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

static int
clean_value(const char *v)
{
	return v == NULL || strpbrk(v, "\r\n") == NULL;
}

/* The envelope section of a new item into b. */
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

char *
queue_meta_text(const char *account, const struct smtp_msg *m,
    const char *msgid, const char *error, size_t *len, struct result *res)
{
	struct tbuf	 b = { NULL, 0, QUEUE_META_MAX, 0 };

	if ((b.p = xmalloc(b.cap, res)) == NULL)
		return NULL;
	if (put_meta(&b, account, m, msgid, error, res) == -1) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

size_t
queue_state_text(char *buf, size_t n, const struct queue_state *st)
{
	struct tbuf	 b = { buf, 0, n, 0 };

	tput(&b, "attempts %d\nlast %lld\nnext %lld\nerror %s\n",
	    st->attempts, st->last, st->next, st->error);
	return b.len;
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
void
queue_read_state(struct queue_item *it)
{
	char		*path, buf[QUEUE_STATE_MAX], *p;
	FILE		*f;
	struct result	 ignored = { 0 };
	struct queue_state st = { 1, it->created, 0, "" };

	str_copy(st.error, sizeof(st.error), it->st.error);
	st.next = it->created + queue_backoff(1);
	it->st = st;
	if ((path = queue_path(it->dir, "", it->id, ".state",
	    &ignored)) == NULL)
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
int
queue_parse_item(struct queue_item *it, int full, struct result *res)
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
