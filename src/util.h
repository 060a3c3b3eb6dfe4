/*
 * util.h - small helpers shared by every module.
 */
#ifndef STAMP_UTIL_H
#define STAMP_UTIL_H

#include <stddef.h>
#include <sys/types.h>

struct result;

/* Allocation that records EX_OSERR in res and returns NULL on failure. */
void	*xmalloc(size_t, struct result *);
void	*xcalloc(size_t, size_t, struct result *);
void	*xreallocarray(void *, size_t, size_t, struct result *);
char	*xstrdup(const char *, struct result *);
char	*xstrndup(const char *, size_t, struct result *);

/* write(2)/read(2) until done, retrying EINTR; -1 on error (errno set). */
ssize_t	 write_all(int fd, const void *, size_t);

/*
 * Bounded copies for text that may be shortened (summaries, messages):
 * dst (size n) always ends up NUL-terminated.
 */
void	 str_copy(char *dst, size_t n, const char *src);
void	 str_append(char *dst, size_t n, const char *src);

/* a (alen bytes) + sep + b, allocated; NULL with EX_OSERR. */
char	*str_join(const char *a, size_t alen, char sep, const char *b,
	    struct result *);

/* base64 (OpenSSL EVP) of len bytes into out, which needs
 * B64_LEN(len) bytes; NUL-terminated.  Returns the length. */
#define B64_LEN(n)	(4 * (((n) + 2) / 3) + 1)
size_t	 b64_encode(const void *in, size_t len, char *out);

/* Monotonic clock in milliseconds. */
long long now_ms(void);

/*
 * The run of bytes at p[i] up to (not including) the next CR or LF, or
 * to n: its length.  *lf caches where the next LF is; set it to
 * MEM_LF_UNKNOWN before the first call on a buffer, then pass it back,
 * so that scanning a buffer run by run stays linear (memchr, not a byte
 * loop: the message filters' hot path).
 */
#define MEM_LF_UNKNOWN	((size_t)-1)
size_t	 mem_run(const char *p, size_t i, size_t n, size_t *lf);

/* Offset after the last byte >= 0x80 of p[0..n), or 0 if there is none. */
size_t	 mem_last_8bit(const char *p, size_t n);

/*
 * A growable string list (recipients).  Items are owned by the list.
 */
struct strlist {
	char	**v;
	size_t	 n;
	size_t	 cap;
};

int	 strlist_add(struct strlist *, const char *s, size_t len,
	    struct result *);
void	 strlist_free(struct strlist *);

#endif
