/*
 * fuzz_addr.c - addr_list_parse, addr_mailbox_parse, addr_check and
 * addr_domain (addr.h) over the input as one unfolded field value.
 *
 * Checks: a list that parses held no CR, LF or NUL; every address it
 * yields passes addr_check, and parses again, alone or as "<addr>", to
 * itself (the normal form is a fixed point); a mailbox that parses is
 * the one address addr_list_parse finds, with its name and comment
 * spans inside the input; what addr_check accepts is 1..ADDR_MAX bytes
 * without control bytes, '<' or '>'; addr_domain points after an '@'.
 * Errors are EX_DATAERR.
 */
#include <sysexits.h>

#include "addr.h"
#include "fuzz.h"
#include "result.h"
#include "util.h"

/* s parses to exactly one address, want. */
static void
reparse(const char *s, size_t len, const char *want)
{
	struct strlist	 l = { NULL, 0, 0 };
	struct result	 res;
	char		*copy = fuzz_dup(s, len);

	memset(&res, 0, sizeof(res));
	if (addr_list_parse(copy, len, &l, &res) != 0 || l.n != 1 ||
	    strcmp(l.v[0], want) != 0) {
		fprintf(stderr, "fuzz: [%.*s] -> %zu addresses, %s\n",
		    (int)len, s, l.n, res.set ? res.msg : l.n ? l.v[0] : "");
		fuzz_check(0, "an address parses to itself");
	}
	strlist_free(&l);
	free(copy);
}

static void
check_domain(const char *a)
{
	const char	*d = addr_domain(a);

	fuzz_check(d == NULL || (d > a && d <= a + strlen(a) && d[-1] == '@'),
	    "addr_domain after an '@'");
}

static void
check_list(const char *s, size_t len)
{
	struct strlist	 l = { NULL, 0, 0 };
	struct result	 res;
	char		*br;
	size_t		 i, n;

	memset(&res, 0, sizeof(res));
	if (addr_list_parse(s, len, &l, &res) == -1) {
		fuzz_check(res.exitcode == EX_DATAERR, "list error EX_DATAERR");
		strlist_free(&l);
		return;
	}
	fuzz_check(memchr(s, '\r', len) == NULL && memchr(s, '\n', len) ==
	    NULL && memchr(s, '\0', len) == NULL, "CR, LF and NUL refused");
	for (i = 0; i < l.n; i++) {
		n = strlen(l.v[i]);
		fuzz_check(n <= ADDR_MAX && addr_check(l.v[i], n) == 0,
		    "addresses pass addr_check");
		check_domain(l.v[i]);
		reparse(l.v[i], n, l.v[i]);
		br = malloc(n + 2);
		fuzz_check(br != NULL, "out of memory");
		br[0] = '<';
		memcpy(br + 1, l.v[i], n);
		br[n + 1] = '>';
		reparse(br, n + 2, l.v[i]);
		free(br);
	}
	strlist_free(&l);
}

static void
check_mailbox(const char *s, size_t len)
{
	struct addr_mailbox mb;
	struct result	 res;

	memset(&res, 0, sizeof(res));
	if (addr_mailbox_parse(s, len, &mb, &res) == -1) {
		fuzz_check(res.exitcode == EX_DATAERR, "mailbox error");
		return;
	}
	reparse(s, len, mb.addr);
	fuzz_check(mb.name_off + mb.name_len <= len &&
	    mb.cmt_off + mb.cmt_len <= len, "spans inside the input");
	fuzz_check(mb.name_len == 0 || (s[mb.name_off] != ' ' &&
	    s[mb.name_off + mb.name_len - 1] != ' '), "name without blanks");
	fuzz_check(mb.cmt_len == 0 || (mb.cmt_off > 0 &&
	    s[mb.cmt_off - 1] == '('), "comment after its '('");
}

static void
check_addr(const char *s, size_t len)
{
	char	*z;
	size_t	 i;

	if (addr_check(s, len) == -1)
		return;
	fuzz_check(len > 0 && len <= ADDR_MAX, "addr_check length");
	for (i = 0; i < len; i++)
		fuzz_check((unsigned char)s[i] >= 0x20 && s[i] != 0x7f &&
		    s[i] != '<' && s[i] != '>', "addr_check bytes");
	z = fuzz_strndup(s, len);
	check_domain(z);
	free(z);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*s = (const char *)data;

	check_list(s, size);
	check_mailbox(s, size);
	check_addr(s, size);
	return 0;
}
