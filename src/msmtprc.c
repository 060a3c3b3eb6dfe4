/*
 * msmtprc.c - an msmtp configuration -> stamp.ini (msmtprc.h).
 *
 * Two passes: msmtprc_read.c reads every line into accounts resolved as
 * msmtp resolves them, then msmtprc_ini.c maps each account to stamp's
 * keys, factors what they all share into [defaults], and prints.  This
 * file runs them, finds the file, and keeps the warnings of both.
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msmtprc.h"
#include "msmtprc_int.h"
#include "result.h"
#include "util.h"

int
mrc_fail(struct mparse *p, const char *fmt, ...)
{
	char	 msg[RESULT_MSG_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return result_fail(p->res, EX_CONFIG, "%s:%d: %s", p->name, p->lineno,
	    msg);
}

/* One warning per line of the file, however many accounts it affects. */
void
mrc_warn(struct mparse *p, int line, const char *fmt, ...)
{
	char		 msg[RESULT_MSG_MAX], clean[RESULT_MSG_MAX];
	struct mwarning	*w;
	va_list		 ap;

	if (p->warned != NULL && line > 0 && line <= p->lineno) {
		if (p->warned[line])
			return;
		p->warned[line] = 1;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	result_sanitise(clean, sizeof(clean), msg, strlen(msg));
	/* Out of memory: the warning is printed at once instead. */
	if ((w = reallocarray(p->warns, p->nwarns + 1, sizeof(*w))) == NULL ||
	    (w[p->nwarns].text = strdup(clean)) == NULL) {
		if (w != NULL)
			p->warns = w;
		fprintf(p->warn, "stamp: %s:%d: %s\n", p->name, line, clean);
		return;
	}
	p->warns = w;
	w[p->nwarns].line = line;
	w[p->nwarns].seq = p->nwarns;
	p->nwarns++;
}

static int
warning_cmp(const void *a, const void *b)
{
	const struct mwarning	*x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
mrc_print_warnings(struct mparse *p)
{
	size_t	 i;

	if (p->nwarns > 0)
		qsort(p->warns, p->nwarns, sizeof(*p->warns), warning_cmp);
	for (i = 0; i < p->nwarns; i++) {
		fprintf(p->warn, "stamp: %s:%d: %s\n", p->name,
		    p->warns[i].line, p->warns[i].text);
		free(p->warns[i].text);
	}
	free(p->warns);
}

int
msmtprc_convert(FILE *in, const char *name, const char *home, FILE *out,
    FILE *warn, struct result *res)
{
	struct mparse	*p;
	size_t		 i;
	int		 rv = -1;

	if ((p = xcalloc(1, sizeof(*p), res)) == NULL)
		return -1;
	p->name = name;
	p->home = home;
	p->warn = warn;
	p->res = res;
	if (mrc_read(p, in) == -1)
		goto out;
	if ((p->warned = xcalloc((size_t)p->lineno + 2, 1, res)) == NULL)
		goto out;
	rv = mrc_write(p, out);
out:
	mrc_print_warnings(p);
	for (i = 0; i < p->nacct; i++)
		mrc_acct_free(&p->accts[i]);
	mrc_acct_free(&p->defaults);
	free(p->accts);
	free(p->warned);
	/* The buffer held passwords. */
	explicit_bzero(p->buf, sizeof(p->buf));
	free(p);
	return rv;
}

static const char *
home_dir(void)
{
	const char	*h = getenv("HOME");
	struct passwd	*pw;

	if (h != NULL && *h != '\0')
		return h;
	if ((pw = getpwuid(getuid())) != NULL)
		return pw->pw_dir;
	return "/";
}

char *
msmtprc_find(const char *path, struct result *res)
{
	const char	*xdg = getenv("XDG_CONFIG_HOME");
	char		*first, *second;

	if (path != NULL)
		return xstrdup(path, res);
	if ((first = str_join(home_dir(), strlen(home_dir()), '/',
	    ".msmtprc", res)) == NULL)
		return NULL;
	if (access(first, F_OK) == 0)
		return first;
	if (xdg != NULL && *xdg == '/')
		second = str_join(xdg, strlen(xdg), '/', "msmtp/config", res);
	else
		second = str_join(home_dir(), strlen(home_dir()), '/',
		    ".config/msmtp/config", res);
	if (second != NULL && access(second, F_OK) == 0) {
		free(first);
		return second;
	}
	if (second != NULL)
		result_fail(res, EX_CONFIG, "no msmtp configuration: neither "
		    "%s nor %s exists", first, second);
	free(first);
	free(second);
	return NULL;
}

int
msmtprc_import(const char *path, FILE *out, FILE *warn, struct result *res)
{
	FILE	*in;
	char	*file;
	int	 rv;

	if ((file = msmtprc_find(path, res)) == NULL)
		return -1;
	if ((in = fopen(file, "r")) == NULL) {
		result_fail(res, EX_CONFIG, "%s: %s", file, strerror(errno));
		free(file);
		return -1;
	}
	rv = msmtprc_convert(in, file, home_dir(), out, warn, res);
	fclose(in);
	free(file);
	return rv;
}
