/*
 * fuzz_config.c - config_load (config.h) over the input as the file, then
 * config_choose and config_from_matches on what it built.
 *
 * The file is a memfd with mode 0600, read as /proc/self/fd/N: ours and
 * closed to others, so a password in it passes the permission check.
 *
 * Checks: a refused file is EX_CONFIG naming the path; a loaded one has
 * accounts with a name, a host, a port in 1..65535, a timeout > 0 and an
 * auth; -a NAME chooses that account; an account's from (not a pattern)
 * matches itself, "<itself>" and its +detail form, and as -f it chooses
 * an account whose from matches it.
 */
#include <sysexits.h>

#include "config.h"
#include "fuzz.h"
#include "result.h"

static struct fuzz_file	 file;

static void
check_from(const struct config *cfg, const char *from)
{
	const struct account *b;
	struct result	 res;
	const char	*at;
	char		*s;
	size_t		 n = strlen(from);

	if (config_is_pattern(from))
		return;
	fuzz_check(config_from_matches(from, from), "from matches itself");
	fuzz_check((s = malloc(n + 4)) != NULL, "memory");
	snprintf(s, n + 4, "<%s>", from);
	fuzz_check(n + 2 > CONFIG_LINE_MAX || config_from_matches(from, s),
	    "from matches <from>");
	at = strrchr(from, '@');
	if (at != NULL && at > from && memchr(from, '+', (size_t)(at - from))
	    == NULL && n + 2 < CONFIG_LINE_MAX) {
		snprintf(s, n + 4, "%.*s+x%s", (int)(at - from), from, at);
		fuzz_check(config_from_matches(from, s),
		    "from matches its +detail form");
	}
	free(s);
	memset(&res, 0, sizeof(res));
	b = config_choose(cfg, NULL, from, &res);
	fuzz_check(b != NULL && b->from != NULL &&
	    config_from_matches(b->from, from), "-f picks a matching account");
}

static void
check_config(const struct config *cfg)
{
	const struct account *a;
	struct result	 res;
	size_t		 i;

	fuzz_check(cfg->naccounts > 0, "at least one account");
	fuzz_check(cfg->path != NULL && strcmp(cfg->path, file.path) == 0,
	    "path kept");
	memset(&res, 0, sizeof(res));
	a = config_choose(cfg, NULL, NULL, &res);
	fuzz_check(a != NULL || res.exitcode == EX_CONFIG, "default choice");
	for (i = 0; i < cfg->naccounts; i++) {
		a = &cfg->accounts[i];
		fuzz_check(a->name != NULL && a->host != NULL && a->auth != NULL,
		    "name, host, auth");
		fuzz_check(a->port >= 1 && a->port <= 65535, "port");
		fuzz_check(a->timeout > 0, "timeout");
		fuzz_check((a->tls_cert_file == NULL) == (a->tls_key_file ==
		    NULL), "cert and key together");
		fuzz_check(a->password == NULL || a->password_command == NULL,
		    "password or password_command");
		fuzz_check(a->tls_fingerprint == NULL ||
		    strlen(a->tls_fingerprint) == CONFIG_FPR_LEN,
		    "fingerprint length");
		memset(&res, 0, sizeof(res));
		fuzz_check(config_choose(cfg, a->name, NULL, &res) == a,
		    "-a NAME chooses NAME");
		if (a->from != NULL)
			check_from(cfg, a->from);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	 cfg;
	struct result	 res;

	fuzz_file_set(&file, data, size);
	memset(&cfg, 0, sizeof(cfg));
	memset(&res, 0, sizeof(res));
	if (config_load(&cfg, file.path, &res) == 0) {
		fuzz_check(!res.set, "no error on success");
		check_config(&cfg);
	} else
		fuzz_check(res.exitcode == EX_CONFIG &&
		    strstr(res.msg, file.path) != NULL,
		    "EX_CONFIG naming the file");
	config_free(&cfg);
	return 0;
}
