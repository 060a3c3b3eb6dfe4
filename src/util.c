/*
 * util.c - allocation that reports into struct result, full writes,
 * the clock, string lists.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "result.h"
#include "util.h"

void *
xmalloc(size_t n, struct result *res)
{
	void	*p;

	if ((p = malloc(n ? n : 1)) == NULL)
		result_fail(res, EX_OSERR, "out of memory");
	return p;
}

void *
xcalloc(size_t nmemb, size_t size, struct result *res)
{
	void	*p;

	if ((p = calloc(nmemb ? nmemb : 1, size ? size : 1)) == NULL)
		result_fail(res, EX_OSERR, "out of memory");
	return p;
}

void *
xreallocarray(void *old, size_t nmemb, size_t size, struct result *res)
{
	void	*p;

	if ((p = reallocarray(old, nmemb ? nmemb : 1, size ? size : 1)) == NULL)
		result_fail(res, EX_OSERR, "out of memory");
	return p;
}

char *
xstrndup(const char *s, size_t len, struct result *res)
{
	char	*p;

	if ((p = xmalloc(len + 1, res)) == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xstrdup(const char *s, struct result *res)
{
	return xstrndup(s, strlen(s), res);
}

ssize_t
write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	size_t		 done = 0;
	ssize_t		 n;

	while (done < len) {
		n = write(fd, p + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

void
str_copy(char *dst, size_t n, const char *src)
{
	size_t	 len = strlen(src);

	if (n == 0)
		return;
	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

void
str_append(char *dst, size_t n, const char *src)
{
	size_t	 len = strnlen(dst, n);

	if (len < n)
		str_copy(dst + len, n - len, src);
}

char *
str_join(const char *a, size_t alen, char sep, const char *b,
    struct result *res)
{
	size_t	 blen = strlen(b);
	char	*s;

	if ((s = xmalloc(alen + 1 + blen + 1, res)) == NULL)
		return NULL;
	memcpy(s, a, alen);
	s[alen] = sep;
	memcpy(s + alen + 1, b, blen + 1);
	return s;
}

size_t
b64_encode(const void *in, size_t len, char *out)
{
	return (size_t)EVP_EncodeBlock((unsigned char *)out,
	    (const unsigned char *)in, (int)len);
}

long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
strlist_add(struct strlist *l, const char *s, size_t len, struct result *res)
{
	char	**v;
	size_t	  cap;

	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 8;
		if ((v = xreallocarray(l->v, cap, sizeof(*v), res)) == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if ((l->v[l->n] = xstrndup(s, len, res)) == NULL)
		return -1;
	l->n++;
	return 0;
}

void
strlist_free(struct strlist *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

size_t
mem_run(const char *p, size_t i, size_t n, size_t *lf)
{
	const char	*q;
	size_t		 end;

	if (*lf == MEM_LF_UNKNOWN || *lf < i) {
		q = memchr(p + i, '\n', n - i);
		*lf = q != NULL ? (size_t)(q - p) : n;
	}
	q = memchr(p + i, '\r', *lf - i);
	end = q != NULL ? (size_t)(q - p) : *lf;
	return end - i;
}

size_t
mem_last_8bit(const char *p, size_t n)
{
	const uint64_t	 high = 0x8080808080808080ULL;
	uint64_t	 w;
	size_t		 i = n;

	/* The tail byte by byte, then 8 bytes at a time, backwards. */
	for (; i % 8 != 0; i--)
		if ((unsigned char)p[i - 1] >= 0x80)
			return i;
	for (; i >= 8; i -= 8) {
		memcpy(&w, p + i - 8, sizeof(w));
		if (w & high)
			break;
	}
	for (; i > 0; i--)
		if ((unsigned char)p[i - 1] >= 0x80)
			return i;
	return 0;
}
