/*
 * fuzz_msmtprc.c - msmtprc_convert (msmtprc.h) over the input as an msmtp
 * configuration, followed by one more line "password MARK" (a secret
 * this target knows), with the stamp.ini and the warnings in memory.
 *
 * Checks: a refused file is EX_CONFIG "NAME:LINE: ..." and nothing is
 * written; else the output is bounded and has the shape of a stamp.ini:
 * lines of at most 198 bytes (stamp.ini(5)), each a comment, empty, a
 * "[section]" or "key = value", no control bytes, a [defaults] first.
 * Every warning is one line "stamp: NAME:LINE: ..." without control
 * bytes, and no warning ever shows the password (MARK), while the
 * output holds it at most where it belongs ("password = MARK").
 */
#include <ctype.h>
#include <sysexits.h>

#include "fuzz.h"
#include "msmtprc.h"
#include "result.h"

#define NAME	"/fuzz/msmtprc"
#define MARK	"Fz9sEcReTmArK"
#define INI_LINE_MAX	198	/* stamp.ini(5) */
#define KEYS_MAX	32	/* keys an account may be written with */

static int
has_ctl(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (iscntrl((unsigned char)s[i]) && s[i] != '\t')
			return 1;
	return 0;
}

static void
check_ini_line(const char *l, size_t n, int first, size_t *sections)
{
	const char	*eq;
	size_t		 i;

	fuzz_check(n <= INI_LINE_MAX, "stamp.ini lines <= 198 bytes");
	fuzz_check(!has_ctl(l, n), "no control bytes in stamp.ini");
	if (n == 0 || l[0] == ';')
		return;
	if (l[0] == '[') {
		fuzz_check(n >= 3 && l[n - 1] == ']' &&
		    memchr(l + 1, ']', n - 2) == NULL, "a [section] line");
		fuzz_check(*sections > 0 || (n == 10 &&
		    memcmp(l, "[defaults]", 10) == 0), "[defaults] first");
		(*sections)++;
		return;
	}
	fuzz_check(!first && *sections > 0, "keys inside a section");
	eq = memchr(l, '=', n);
	fuzz_check(eq != NULL && eq - l >= 2 && eq[-1] == ' ' &&
	    (size_t)(eq - l) + 1 < n && eq[1] == ' ', "key = value");
	for (i = 0; l + i < eq - 1; i++)
		fuzz_check(islower((unsigned char)l[i]) || l[i] == '_',
		    "keys are lower-case words");
	if (memmem(l, n, MARK, strlen(MARK)) != NULL)
		fuzz_check(n > 11 && memcmp(l, "password = ", 11) == 0,
		    "the password only as password =");
}

static void
check_ini(const char *out, size_t len)
{
	const char	*l = out, *nl;
	size_t		 lines = 0, sections = 0;

	fuzz_check(len > 0 && out[len - 1] == '\n', "output ends a line");
	for (; l < out + len; l = nl + 1) {
		nl = memchr(l, '\n', (size_t)(out + len - l));
		fuzz_check(nl != NULL, "whole lines");
		check_ini_line(l, (size_t)(nl - l), lines == 0, &sections);
		lines++;
	}
	fuzz_check(sections >= 2 &&
	    sections <= MSMTPRC_ACCOUNTS_MAX + 1, "[defaults] and accounts");
	fuzz_check(lines <= 8 + sections * (KEYS_MAX + 2),
	    "output bounded by the accounts");
}

static void
check_warnings(const char *w, size_t len)
{
	const char	*l = w, *nl;
	size_t		 pre = strlen("stamp: " NAME ":");

	for (; l < w + len; l = nl + 1) {
		nl = memchr(l, '\n', (size_t)(w + len - l));
		fuzz_check(nl != NULL, "warnings are whole lines");
		fuzz_check((size_t)(nl - l) > pre &&
		    memcmp(l, "stamp: " NAME ":", pre) == 0 &&
		    isdigit((unsigned char)l[pre]), "stamp: NAME:LINE:");
		fuzz_check(!has_ctl(l, (size_t)(nl - l)),
		    "no control bytes in warnings");
		fuzz_check((size_t)(nl - l) < RESULT_MSG_MAX + 64,
		    "warnings bounded");
	}
	fuzz_check(memmem(w, len, MARK, strlen(MARK)) == NULL,
	    "no password in a warning");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char tail[] = "\npassword " MARK "\n";
	struct result	 res;
	char		*in, *out = NULL, *warn = NULL;
	size_t		 outlen = 0, warnlen = 0;
	FILE		*fin, *fout, *fwarn;
	int		 rc;

	if (size > 256 * 1024 || memmem(data, size, MARK, 4) != NULL)
		return 0;
	in = malloc(size + sizeof(tail));
	fuzz_check(in != NULL, "out of memory");
	memcpy(in, data, size);
	memcpy(in + size, tail, sizeof(tail) - 1);
	fin = fmemopen(in, size + sizeof(tail) - 1, "r");
	fout = open_memstream(&out, &outlen);
	fwarn = open_memstream(&warn, &warnlen);
	fuzz_check(fin && fout && fwarn, "memory streams");
	memset(&res, 0, sizeof(res));
	rc = msmtprc_convert(fin, NAME, "/home/fuzz", fout, fwarn, &res);
	fclose(fin);
	fclose(fout);
	fclose(fwarn);
	if (rc == -1) {
		fuzz_check(res.exitcode == EX_CONFIG && strncmp(res.msg,
		    NAME ":", strlen(NAME ":")) == 0, "EX_CONFIG NAME:LINE");
		fuzz_check(strstr(res.msg, MARK) == NULL,
		    "no password in the error");
		fuzz_check(outlen == 0, "nothing written on error");
	} else {
		fuzz_check(rc == 0 && !res.set, "0 and no error");
		check_ini(out, outlen);
	}
	check_warnings(warn, warnlen);
	free(in);
	free(out);
	free(warn);
	return 0;
}
