/*
 * aliases.c - msmtp-style alias files (aliases.h): "name: addr, addr".
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "aliases.h"
#include "result.h"
#include "util.h"

#define ALIASES_DEFAULT	"default"

struct reader {
	const char	*path;
	FILE		*fp;
	int		 lineno;
	char		 buf[ALIASES_LINE_MAX + 2];	/* +1 to see "too long" */
};

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* One line into r->buf without its line ending; 0 at the end. */
static int
read_line(struct reader *r, struct result *res)
{
	size_t	 n = 0;
	int	 c, nul = 0;

	while ((c = getc(r->fp)) != EOF && c != '\n') {
		if (c == '\0')
			nul = 1;
		if (n < sizeof(r->buf) - 1)
			r->buf[n] = (char)c;
		n++;
	}
	if (ferror(r->fp))
		return result_fail(res, EX_IOERR, "%s:%d: cannot read: %s",
		    r->path, r->lineno + 1, strerror(errno));
	if (c == EOF && n == 0)
		return 0;
	r->lineno++;
	if (n > 0 && n <= sizeof(r->buf) - 1 && r->buf[n - 1] == '\r')
		n--;
	if (n > ALIASES_LINE_MAX)
		return result_fail(res, EX_CONFIG, "%s:%d: line longer than "
		    "%d bytes", r->path, r->lineno, ALIASES_LINE_MAX);
	if (nul)
		return result_fail(res, EX_CONFIG, "%s:%d: NUL byte in line",
		    r->path, r->lineno);
	r->buf[n] = '\0';
	return 1;
}

static struct alias *
find(const struct aliases *al, const char *name)
{
	size_t	 i;

	for (i = 0; i < al->n; i++)
		if (strcasecmp(al->v[i].name, name) == 0)
			return &al->v[i];
	return NULL;
}

/* "name" of a line: one word, a local part without '@'. */
static int
check_name(const struct reader *r, const char *name, size_t len,
    const struct aliases *al, struct result *res)
{
	const struct alias *old;

	if (len == 0)
		return result_fail(res, EX_CONFIG, "%s:%d: alias without a "
		    "name", r->path, r->lineno);
	if (addr_check(name, len) == -1 || memchr(name, '@', len) != NULL)
		return result_fail(res, EX_CONFIG, "%s:%d: alias name '%.*s' "
		    "must be one word without '@'", r->path, r->lineno,
		    (int)len, name);
	if ((old = find(al, name)) != NULL)
		return result_fail(res, EX_CONFIG, "%s:%d: alias '%s' given "
		    "twice (first on line %d)", r->path, r->lineno, name,
		    old->line);
	if (al->n == ALIASES_MAX)
		return result_fail(res, EX_CONFIG, "%s:%d: more than %d "
		    "aliases", r->path, r->lineno, ALIASES_MAX);
	return 0;
}

/* The address list after the ':'; errors say where. */
static int
parse_targets(const struct reader *r, struct alias *a, const char *s,
    struct result *res)
{
	struct result	 tmp;

	memset(&tmp, 0, sizeof(tmp));
	if (addr_list_parse(s, strlen(s), &a->to, &tmp) == -1)
		return result_fail(res, tmp.exitcode == EX_DATAERR ?
		    EX_CONFIG : tmp.exitcode, "%s:%d: %s", r->path,
		    r->lineno, tmp.msg);
	if (a->to.n == 0)
		return result_fail(res, EX_CONFIG, "%s:%d: alias '%s' has no "
		    "address", r->path, r->lineno, a->name);
	return 0;
}

/* One line that is neither blank nor a comment. */
static int
parse_line(struct reader *r, struct aliases *al, char *s,
    struct result *res)
{
	struct alias	*a, *v;
	char		*colon, *e;

	if ((colon = strchr(s, ':')) == NULL)
		return result_fail(res, EX_CONFIG, "%s:%d: expected "
		    "'name: address, ...'", r->path, r->lineno);
	for (e = colon; e > s && is_blank(e[-1]); e--)
		;
	*e = '\0';
	if (check_name(r, s, (size_t)(e - s), al, res) == -1)
		return -1;
	if ((v = xreallocarray(al->v, al->n + 1, sizeof(*v), res)) == NULL)
		return -1;
	al->v = v;
	a = &al->v[al->n++];
	memset(a, 0, sizeof(*a));
	a->line = r->lineno;
	if ((a->name = xstrdup(s, res)) == NULL)
		return -1;
	return parse_targets(r, a, colon + 1, res);
}

static int
parse_file(struct reader *r, struct aliases *al, struct result *res)
{
	char	*s;
	int	 rc;

	while ((rc = read_line(r, res)) == 1) {
		for (s = r->buf; is_blank(*s); s++)
			;
		if (*s == '\0' || *s == '#')
			continue;
		if (parse_line(r, al, s, res) == -1)
			return -1;
	}
	return rc;
}

/* O_NONBLOCK: a FIFO must not hang us; only regular files are read. */
static FILE *
open_file(const char *path, struct result *res)
{
	struct stat	 st;
	FILE		*fp;
	int		 fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1 || fstat(fd, &st) == -1) {
		saved = errno;
		if (fd != -1)
			close(fd);
		result_fail(res, EX_CONFIG, "cannot open aliases %s: %s",
		    path, strerror(saved));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		result_fail(res, EX_CONFIG, "cannot open aliases %s: not a "
		    "regular file", path);
		return NULL;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		result_fail(res, EX_OSERR, "%s: %s", path, strerror(errno));
	}
	return fp;
}

int
aliases_load(struct aliases *al, const char *path, struct result *res)
{
	struct reader	 r;
	int		 rc;

	memset(al, 0, sizeof(*al));
	memset(&r, 0, sizeof(r));
	r.path = path;
	if ((r.fp = open_file(path, res)) == NULL)
		return -1;
	rc = parse_file(&r, al, res);
	fclose(r.fp);
	if (rc == -1)
		aliases_free(al);
	return rc;
}

const struct strlist *
aliases_lookup(const struct aliases *al, const char *name)
{
	const struct alias *a;

	if ((a = find(al, name)) == NULL)
		a = find(al, ALIASES_DEFAULT);
	return a != NULL ? &a->to : NULL;
}

void
aliases_free(struct aliases *al)
{
	size_t	 i;

	for (i = 0; i < al->n; i++) {
		free(al->v[i].name);
		strlist_free(&al->v[i].to);
	}
	free(al->v);
	memset(al, 0, sizeof(*al));
}
