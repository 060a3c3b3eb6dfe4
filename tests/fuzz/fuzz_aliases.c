/*
 * fuzz_aliases.c - aliases_load (aliases.h) over the input as the file
 * (a memfd read as /proc/self/fd/N), then aliases_lookup.
 *
 * Checks: a refused file is EX_CONFIG naming the path; in a loaded one
 * every alias has a name that is one word without '@', at least one
 * target, each passing addr_check, and increasing line numbers; looking
 * up a name, in any case, finds its own alias; an unknown name finds
 * "default" or nothing.
 */
#include <ctype.h>
#include <sysexits.h>

#include "addr.h"
#include "aliases.h"
#include "fuzz.h"
#include "result.h"

static struct fuzz_file	 file;

static void
check_alias(const struct aliases *al, size_t i)
{
	const struct alias *a = &al->v[i];
	char		*up;
	size_t		 k, n = strlen(a->name);

	fuzz_check(n > 0 && addr_check(a->name, n) == 0 &&
	    strchr(a->name, '@') == NULL, "name is one word without '@'");
	fuzz_check(a->to.n > 0, "at least one target");
	for (k = 0; k < a->to.n; k++)
		fuzz_check(addr_check(a->to.v[k], strlen(a->to.v[k])) == 0,
		    "targets pass addr_check");
	fuzz_check(i == 0 || a->line > al->v[i - 1].line, "line numbers");
	fuzz_check(aliases_lookup(al, a->name) == &a->to,
	    "a name finds its alias");
	up = fuzz_strndup(a->name, n);
	for (k = 0; k < n; k++)
		up[k] = (char)toupper((unsigned char)up[k]);
	fuzz_check(aliases_lookup(al, up) == &a->to,
	    "names compare without regard to case");
	free(up);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct aliases	 al;
	struct result	 res;
	const struct strlist *l, *def;
	size_t		 i;

	fuzz_file_set(&file, data, size);
	memset(&res, 0, sizeof(res));
	if (aliases_load(&al, file.path, &res) == -1) {
		fuzz_check(res.exitcode == EX_CONFIG &&
		    strstr(res.msg, file.path) != NULL &&
		    al.v == NULL && al.n == 0, "EX_CONFIG naming the file");
		return 0;
	}
	for (i = 0; i < al.n; i++)
		check_alias(&al, i);
	/* An alias name is one word: one with a space is no alias. */
	l = aliases_lookup(&al, "no such name");
	def = aliases_lookup(&al, "default");
	fuzz_check(l == def, "unknown names go to default");
	aliases_free(&al);
	return 0;
}
